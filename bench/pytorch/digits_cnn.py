"""PyTorch's run of examples/digits_cnn.rs: the same CNN, recipe and split; prints test
accuracy and time per epoch (1 thread by default, as the comparison in BENCHMARKS.md).

    bench/pytorch/.venv/bin/python bench/pytorch/digits_cnn.py [seed] [threads]
"""
import sys
import time

import numpy as np
import torch
from torch import nn

seed = int(sys.argv[1]) if len(sys.argv) > 1 else 0
torch.set_num_threads(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
torch.manual_seed(seed)
data = np.loadtxt("data/digits.csv", delimiter=",", skiprows=1, dtype=np.float32)
x, y = torch.tensor(data[:, :-1] / 16.0), torch.tensor(data[:, -1], dtype=torch.int64)
xtr, ytr, xte, yte = x[:1437], y[:1437], x[1437:], y[1437:]
model = nn.Sequential(
    nn.Unflatten(1, (1, 8, 8)),
    nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
    nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
    nn.MaxPool2d(2), nn.Flatten(),
    nn.Linear(512, 64), nn.ReLU(), nn.Linear(64, 10),
)
opt = torch.optim.Adam(model.parameters(), 1e-3)
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(xtr, ytr), batch_size=32, shuffle=True)
start = time.perf_counter()
for epoch in range(50):
    for xb, yb in loader:
        opt.zero_grad()
        nn.functional.cross_entropy(model(xb), yb).backward()
        opt.step()
elapsed = time.perf_counter() - start
with torch.no_grad():
    acc = (model(xte).argmax(1) == yte).float().mean().item()
print(f"pytorch digits_cnn seed {seed}: test accuracy {acc:.3f}, {elapsed * 1e3 / 50:.0f} ms per epoch")
