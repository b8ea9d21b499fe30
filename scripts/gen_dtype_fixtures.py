"""Writes tests/fixtures/dtypes.safetensors with PyTorch: one tensor of every dtype tapegrad
reads (float32, float64, int64, bool, and float16/bfloat16, which it widens), and
tests/fixtures/dtypes.json with each tensor's values as PyTorch reads them back in float64
(for the half types: the exact values the 16-bit numbers hold).

Run: bench/pytorch/.venv/bin/python scripts/gen_dtype_fixtures.py
"""
import json
import os

import torch
from safetensors.torch import save_file

g = torch.Generator().manual_seed(7)
base = torch.randn(2, 3, generator=g) * 3.0
tensors = {
    "f32": base.to(torch.float32),
    "f64": base.to(torch.float64),
    "i64": torch.tensor([[-3, 0, 7], [2**40, -(2**53) - 1, 1]], dtype=torch.int64),
    "bool": torch.tensor([True, False, True]),
    "f16": torch.cat([base.reshape(-1), torch.tensor([65504.0, 6e-8, float("inf")])]).to(torch.float16),
    "bf16": torch.cat([base.reshape(-1), torch.tensor([1e30, -1e-30, float("-inf")])]).to(torch.bfloat16),
}
out = os.path.join("tests", "fixtures")
save_file(tensors, os.path.join(out, "dtypes.safetensors"))
expected = {
    name: {
        "shape": list(t.shape),
        # As strings: int64 values beyond 2^53 do not survive a JSON float, nor does inf.
        "values": [str(v) for v in t.reshape(-1).tolist()] if t.dtype == torch.int64
        else [repr(float(v)) for v in t.to(torch.float64).reshape(-1).tolist()],
    }
    for name, t in tensors.items()
}
with open(os.path.join(out, "dtypes.json"), "w") as f:
    json.dump({"torch": torch.__version__, "tensors": expected}, f, indent=1)
print("wrote tests/fixtures/dtypes.safetensors and dtypes.json")
