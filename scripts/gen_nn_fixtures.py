"""Generates the fixtures for losses, layers, optimizers and checkpoints, with PyTorch.

Run from the repository root:  python scripts/gen_nn_fixtures.py
Writes tests/fixtures/nn.json and tests/fixtures/mlp.safetensors.
"""
import json
import os

import torch
from safetensors.torch import save_file

torch.set_default_dtype(torch.float64)
g = torch.Generator().manual_seed(99)
F = torch.nn.functional


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def tensor(t):
    return {"shape": list(t.shape), "data": flat(t)}


def losses():
    out = []
    pred = torch.randn(4, 3, generator=g)
    target = torch.randn(4, 3, generator=g)
    probs = torch.rand(4, 3, generator=g)
    cases = {
        "mse": (lambda p, t: F.mse_loss(p, t), target),
        "l1": (lambda p, t: F.l1_loss(p, t), target),
        "huber": (lambda p, t: F.huber_loss(p, t, delta=0.7), target),
        "bce_with_logits": (lambda p, t: F.binary_cross_entropy_with_logits(p, t), probs),
    }
    for name, (fn, t) in cases.items():
        p = (pred * 2.0).clone().requires_grad_(True)
        tt = t.clone().requires_grad_(name != "bce_with_logits")
        loss = fn(p, tt)
        loss.backward()
        out.append({
            "name": name, "pred": tensor(p), "target": tensor(t), "value": float(loss),
            "grad_pred": flat(p.grad),
            "grad_target": flat(tt.grad) if tt.grad is not None else None,
        })
    logits = (torch.randn(5, 4, generator=g) * 3).requires_grad_(True)
    classes = [0, 3, 1, 1, 2]
    loss = F.cross_entropy(logits, torch.tensor(classes))
    loss.backward()
    out.append({"name": "cross_entropy", "pred": tensor(logits), "classes": classes,
                "value": float(loss), "grad_pred": flat(logits.grad)})
    lp = torch.randn(5, 4, generator=g).log_softmax(-1).requires_grad_(True)
    loss = F.nll_loss(lp, torch.tensor(classes))
    loss.backward()
    out.append({"name": "nll", "pred": tensor(lp), "classes": classes,
                "value": float(loss), "grad_pred": flat(lp.grad)})
    return out


def layers():
    x = torch.randn(3, 5, generator=g).requires_grad_(True)
    ln = torch.nn.LayerNorm(5)
    with torch.no_grad():
        ln.weight.copy_(torch.randn(5, generator=g))
        ln.bias.copy_(torch.randn(5, generator=g))
    y = ln(x)
    u = torch.randn(3, 5, generator=g)
    y.backward(u)
    layer_norm = {"x": tensor(x), "weight": flat(ln.weight), "bias": flat(ln.bias), "output": flat(y),
                  "upstream": flat(u), "grad_x": flat(x.grad), "grad_weight": flat(ln.weight.grad),
                  "grad_bias": flat(ln.bias.grad)}
    emb = torch.nn.Embedding(6, 3)
    idx = torch.tensor([[1, 4], [4, 0]])
    y = emb(idx)
    u = torch.randn(2, 2, 3, generator=g)
    y.backward(u)
    embedding = {"weight": tensor(emb.weight), "indices": [1, 4, 4, 0], "output": flat(y),
                 "upstream": flat(u), "grad_weight": flat(emb.weight.grad)}
    return {"layer_norm": layer_norm, "embedding": embedding}


OPTIMIZERS = {
    "sgd": lambda p: (torch.optim.SGD(p, lr=0.1), None),
    "sgd_momentum": lambda p: (torch.optim.SGD(p, lr=0.05, momentum=0.9), None),
    "sgd_nesterov_wd": lambda p: (torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01), None),
    "adam": lambda p: (torch.optim.Adam(p, lr=0.01), None),
    "adam_custom": lambda p: (torch.optim.Adam(p, lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1), None),
    "adamw": lambda p: (torch.optim.AdamW(p, lr=0.01, weight_decay=0.1), None),
    "rmsprop": lambda p: (torch.optim.RMSprop(p, lr=0.01), None),
    "rmsprop_momentum_wd": lambda p: (torch.optim.RMSprop(p, lr=0.01, momentum=0.9, weight_decay=0.01), None),
    "sgd_steplr": lambda p: (lambda o: (o, torch.optim.lr_scheduler.StepLR(o, step_size=5, gamma=0.5)))(torch.optim.SGD(p, lr=0.1)),
    "adam_exponentiallr": lambda p: (lambda o: (o, torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.9)))(torch.optim.Adam(p, lr=0.05)),
    "sgd_cosine": lambda p: (lambda o: (o, torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10, eta_min=0.01)))(torch.optim.SGD(p, lr=0.2, momentum=0.5)),
    # Issue 9: more optimizers, amsgrad, maximize, and schedules.
    "adagrad": lambda p: (torch.optim.Adagrad(p, lr=0.1, lr_decay=0.01, weight_decay=0.01), None),
    "adadelta": lambda p: (torch.optim.Adadelta(p, lr=1.0, rho=0.8, weight_decay=0.01), None),
    "adamax": lambda p: (torch.optim.Adamax(p, lr=0.02), None),
    "nadam": lambda p: (torch.optim.NAdam(p, lr=0.01, weight_decay=0.01), None),
    "radam": lambda p: (torch.optim.RAdam(p, lr=0.01), None),
    "adam_amsgrad": lambda p: (torch.optim.Adam(p, lr=0.01, amsgrad=True), None),
    "adamw_amsgrad_max": lambda p: (torch.optim.AdamW(p, lr=0.01, amsgrad=True, maximize=True), None),
    "sgd_maximize": lambda p: (torch.optim.SGD(p, lr=0.01, momentum=0.9, maximize=True), None),
    "sgd_linearlr": lambda p: (lambda o: (o, torch.optim.lr_scheduler.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=8)))(torch.optim.SGD(p, lr=0.1)),
    "sgd_multistep": lambda p: (lambda o: (o, torch.optim.lr_scheduler.MultiStepLR(o, [3, 8, 15], 0.5)))(torch.optim.SGD(p, lr=0.1)),
    "adam_onecycle": lambda p: (lambda o: (o, torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.05, total_steps=25, cycle_momentum=False)))(torch.optim.Adam(p, lr=0.01)),
    "sgd_warmrestarts": lambda p: (lambda o: (o, torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.001)))(torch.optim.SGD(p, lr=0.1, momentum=0.9)),
    "sgd_sequential": lambda p: (lambda o: (o, torch.optim.lr_scheduler.SequentialLR(o, [torch.optim.lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=4), torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=12)], milestones=[4])))(torch.optim.SGD(p, lr=0.1)),
    "sgd_lambda": lambda p: (lambda o: (o, torch.optim.lr_scheduler.LambdaLR(o, lambda e: 0.95 ** e)))(torch.optim.SGD(p, lr=0.1)),
    # Parameter groups: w with the optimizer's settings, b with its own lr and weight decay.
    "adam_groups": lambda p: (torch.optim.Adam([{"params": [p[0]]}, {"params": [p[1]], "lr": 0.05, "weight_decay": 0.1}], lr=0.01), None),
    "sgd_groups_steplr": lambda p: (lambda o: (o, torch.optim.lr_scheduler.StepLR(o, step_size=5, gamma=0.5)))(
        torch.optim.SGD([{"params": [p[0]]}, {"params": [p[1]], "lr": 0.02}], lr=0.1, momentum=0.9)),
    "rmsprop_maximize": lambda p: (torch.optim.RMSprop(p, lr=0.01, momentum=0.5, maximize=True), None),
    "nadam_groups": lambda p: (torch.optim.NAdam([{"params": [p[0]]}, {"params": [p[1]], "lr": 0.005}], lr=0.01), None),
    # OneCycleLR with its defaults: the momentum (β₁ for the Adam family) cycles 0.95 → 0.85
    # → 0.95, set to 0.95 by the constructor, even for SGD made without momentum.
    "sgd_onecycle": lambda p: (lambda o: (o, torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=20)))(torch.optim.SGD(p, lr=0.1)),
    "sgd_nesterov_onecycle": lambda p: (lambda o: (o, torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=20, pct_start=0.25)))(
        torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True)),
    "adam_onecycle_momentum": lambda p: (lambda o: (o, torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.05, total_steps=25)))(torch.optim.Adam(p, lr=0.01)),
    "nadam_onecycle": lambda p: (lambda o: (o, torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.02, total_steps=20, base_momentum=0.8, max_momentum=0.9)))(torch.optim.NAdam(p, lr=0.01)),
    "rmsprop_onecycle": lambda p: (lambda o: (o, torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.01, total_steps=20)))(torch.optim.RMSprop(p, lr=0.01)),
}


def optimizers():
    w0 = torch.randn(3, 4, generator=g)
    b0 = torch.randn(3, generator=g)
    x = torch.randn(6, 4, generator=g)
    y = torch.randn(6, 3, generator=g)
    out = {"w0": flat(w0), "b0": flat(b0), "x": flat(x), "y": flat(y), "steps": 20, "runs": {}}
    for name, make in OPTIMIZERS.items():
        w = w0.clone().requires_grad_(True)
        b = b0.clone().requires_grad_(True)
        opt, sched = make([w, b])
        lrs = []
        for _ in range(20):
            opt.zero_grad()
            loss = F.mse_loss(torch.tanh(x @ w.T + b), y)
            loss.backward()
            opt.step()
            if sched is not None:
                sched.step()
            lrs.append(opt.param_groups[0]["lr"])
        out["runs"][name] = {"w": flat(w), "b": flat(b), "lrs": lrs}
    return out


def lbfgs():
    """L-BFGS on the optimizers' problem, with and without the strong-Wolfe line search:
    the parameters and the returned loss after each of 5 steps."""
    w0 = torch.randn(3, 4, generator=g)
    b0 = torch.randn(3, generator=g)
    x = torch.randn(6, 4, generator=g)
    y = torch.randn(6, 3, generator=g)
    out = {"w0": flat(w0), "b0": flat(b0), "x": flat(x), "y": flat(y), "runs": {}}
    for name, kwargs in {"plain": {"lr": 0.5, "max_iter": 4},
                         "wolfe": {"lr": 1.0, "max_iter": 6, "history_size": 3, "line_search_fn": "strong_wolfe"}}.items():
        w = w0.clone().requires_grad_(True)
        b = b0.clone().requires_grad_(True)
        opt = torch.optim.LBFGS([w, b], **kwargs)
        losses, ws = [], []

        def closure():
            opt.zero_grad()
            loss = F.mse_loss(torch.tanh(x @ w.T + b), y)
            loss.backward()
            return loss

        for _ in range(5):
            losses.append(float(opt.step(closure)))
            ws.append(flat(w) + flat(b))
        out["runs"][name] = {"losses": losses, "params": ws}
    return out


def checkpoint():
    torch.manual_seed(5)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3)).float()
    x = torch.randn(2, 4, dtype=torch.float32)
    y = model(x)
    save_file(model.state_dict(), os.path.join("tests", "fixtures", "mlp.safetensors"))
    return {"x": flat(x), "y": flat(y)}


# ReduceLROnPlateau on a fixed metric sequence (no randomness): improvements, plateaus, a
# relative threshold, cooldown and the floor, with PyTorch's rule (`mode="min"`,
# `threshold_mode="rel"`). name: (settings, metrics).
PLATEAU = {
    "defaults": ({}, [1.0] + [0.99995] * 12 + [0.5] + [0.6] * 12),
    "custom": ({"factor": 0.5, "patience": 2, "threshold": 0.01, "cooldown": 1, "min_lr": 0.02},
               [1.0, 0.95, 0.945, 0.944, 0.95, 0.9, 0.899, 0.9, 0.91, 0.5, 0.5, 0.5, 0.5, 0.5,
                0.5, 0.5, 0.5, 0.5, 0.5, 0.5]),
}


def plateau():
    out = {}
    for name, (kwargs, metrics) in PLATEAU.items():
        w = torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([w], lr=0.1)
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
        lrs = []
        for m in metrics:
            sched.step(m)
            lrs.append(opt.param_groups[0]["lr"])
        out[name] = {"settings": kwargs, "metrics": metrics, "lrs": lrs}
    return out


def main():
    data = {"meta": {"torch": torch.__version__, "generator": "scripts/gen_nn_fixtures.py"},
            "losses": losses(), "layers": layers(), "optimizers": optimizers(), "checkpoint": checkpoint(), "lbfgs": lbfgs(),
            "plateau": plateau()}
    with open(os.path.join("tests", "fixtures", "nn.json"), "w") as f:
        json.dump(data, f)
    print("wrote tests/fixtures/nn.json and tests/fixtures/mlp.safetensors")


if __name__ == "__main__":
    main()
