"""Checks that PyTorch reads a tapegrad checkpoint: loads the one `cargo run --release
--example digits` saves into the equivalent torch.nn.Sequential and prints its test accuracy,
which should equal the accuracy the example printed.

    cargo run --release --example digits && python scripts/pytorch_loads_ours.py
"""
import os
import sys
import tempfile

import numpy as np
import torch
from safetensors.torch import load_file

path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(tempfile.gettempdir(), "tapegrad-digits.safetensors")
state = load_file(path)
hidden = state["0.weight"].shape[0]
model = torch.nn.Sequential(torch.nn.Linear(64, hidden), torch.nn.ReLU(), torch.nn.Dropout(0.5), torch.nn.Linear(hidden, 10))
model.load_state_dict(state)  # strict: every name and shape must match
model.eval()
data = np.loadtxt(os.path.join(os.path.dirname(__file__), "..", "data", "digits.csv"), delimiter=",", skiprows=1)
x, y = torch.tensor(data[1437:, :64] / 16.0, dtype=torch.float32), torch.tensor(data[1437:, 64]).long()
with torch.no_grad():
    accuracy = (model(x).argmax(1) == y).float().mean().item()
print(f"PyTorch loaded {path}: {len(state)} tensors, test accuracy {accuracy:.4f}")
