"""Writes tests/fixtures/attn_<name>.safetensors and tests/fixtures/attention.json:
MultiheadAttention (batch_first, cross-attention with a key padding mask, weights returned)
and TransformerEncoderLayer (post- and pre-norm, causal mask), with PyTorch in float64:
inputs, outputs, input and parameter gradients of the sum of squared outputs.

Run: bench/pytorch/.venv/bin/python scripts/gen_attention_fixtures.py
"""
import json
import os

import torch
from safetensors.torch import save_file

torch.set_default_dtype(torch.float64)
torch.manual_seed(5)
nn = torch.nn
flat = lambda t: [float(v) for v in t.detach().reshape(-1).tolist()]
out = {"torch": torch.__version__, "models": {}}


def record(name, model, inputs, run):
    save_file({k: v.contiguous() for k, v in model.state_dict().items()},
              os.path.join("tests", "fixtures", f"attn_{name}.safetensors"))
    xs = [x.clone().requires_grad_(True) for x in inputs]
    outputs = run(model, *xs)
    loss = sum(t.square().sum() for t in outputs.values())
    loss.backward()
    out["models"][name] = {
        "names": list(model.state_dict().keys()),
        "inputs": [{"shape": list(x.shape), "data": flat(x)} for x in xs],
        "outputs": {k: flat(v) for k, v in outputs.items()},
        "input_grads": [flat(x.grad) for x in xs],
        "grads": {n: flat(p.grad) for n, p in model.named_parameters()},
    }


padding = torch.tensor([[False, False, True, False], [False, False, False, False]])
record("mha", nn.MultiheadAttention(8, 2, batch_first=True),
       [torch.randn(2, 3, 8), torch.randn(2, 4, 8), torch.randn(2, 4, 8)],
       lambda m, q, k, v: dict(zip(["out", "weights"], m(q, k, v, key_padding_mask=padding, need_weights=True))))
causal = torch.triu(torch.ones(5, 5, dtype=torch.bool), 1)
for name, norm_first in [("encoder", False), ("encoder_pre", True)]:
    record(name, nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, norm_first=norm_first),
           [torch.randn(5, 2, 8)],
           lambda m, x: {"out": m(x, src_mask=causal)})
with open(os.path.join("tests", "fixtures", "attention.json"), "w") as f:
    json.dump(out, f)
print("wrote tests/fixtures/attention.json and attn_*.safetensors")
