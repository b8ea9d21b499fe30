"""The five training-step workloads of BENCHMARKS.md in PyTorch (same shapes, losses and
optimizers as bench/benches/common/workloads.rs), timed as median microseconds per full step.

    python bench/pytorch/train_step.py --threads 1 --out results.json
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def mlp(sizes, act):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i + 2 < len(sizes):
            layers.append(act())
    return nn.Sequential(*layers)


def classifier(sizes, batch):
    model = mlp(sizes, nn.ReLU)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(batch, sizes[0])
    y = torch.randint(0, sizes[-1], (batch,))
    return model, opt, x, lambda out: F.cross_entropy(out, y)


def workloads():
    torch.manual_seed(0)
    xor_model = mlp([2, 8, 1], nn.Tanh)
    xor_x = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    xor_y = torch.tensor([[0.0], [1.0], [1.0], [0.0]])
    lin = nn.Linear(13, 1)
    lin_x, lin_y = torch.randn(32, 13), torch.randn(32, 1)
    return {
        "W1_xor": (xor_model, torch.optim.SGD(xor_model.parameters(), lr=0.5), xor_x,
                   lambda out: F.mse_loss(torch.sigmoid(out), xor_y)),
        "W2_digits": classifier([64, 128, 10], 64),
        "W3_mnist": classifier([784, 256, 128, 10], 128),
        "W4_wide": classifier([1024, 1024, 1024, 10], 256),
        "W5_linreg": (lin, torch.optim.SGD(lin.parameters(), lr=0.01), lin_x, lambda out: F.mse_loss(out, lin_y)),
        "W6_digits_cnn": digits_cnn(),
        "W7_sort_transformer": sort_transformer(),
    }


def digits_cnn():
    model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Linear(512, 64), nn.ReLU(), nn.Linear(64, 10))
    x, y = torch.rand(32, 1, 8, 8), torch.randint(0, 10, (32,))
    return model, torch.optim.Adam(model.parameters(), lr=1e-3), x, lambda out: F.cross_entropy(out, y)


def sort_transformer():
    layers = [nn.TransformerEncoderLayer(32, 4, 64, dropout=0.0, batch_first=True) for _ in range(2)]
    model = nn.Sequential(nn.Embedding(10, 32), *layers, nn.Linear(32, 10))
    x = torch.randint(0, 10, (64, 8))
    y = x.sort(1).values.reshape(-1)
    return model, torch.optim.Adam(model.parameters(), lr=1e-3), x, lambda out: F.cross_entropy(out.reshape(-1, 10), y)


def time_steps(model, opt, x, loss_fn, seconds):
    def step():
        opt.zero_grad()
        loss = loss_fn(model(x))
        loss.backward()
        opt.step()

    for _ in range(20):
        step()
    times = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(times) < 10:
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e6, len(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--out")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    results = {"torch": torch.__version__, "threads": args.threads, "median_us": {}}
    for name, (model, opt, x, loss_fn) in workloads().items():
        us, n = time_steps(model, opt, x, loss_fn, args.seconds * (3 if name == "W4_wide" else 1))
        results["median_us"][name] = us
        print(f"{name:<10} {us:>12.1f} us/step  ({n} steps, {args.threads} thread(s))")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f)


if __name__ == "__main__":
    main()
