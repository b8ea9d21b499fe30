"""PyTorch's run of examples/sort_transformer.rs (same model and recipe): sequence accuracy
and time per step, 1 thread by default.

    bench/pytorch/.venv/bin/python bench/pytorch/sort_transformer.py [steps] [threads]
"""
import sys
import time

import torch
from torch import nn

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
torch.set_num_threads(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
torch.manual_seed(0)
L, DIGITS, D = 8, 10, 32


class Sorter(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(DIGITS, D)
        self.positions = nn.Parameter(torch.randn(L, D) * 0.02)
        self.layers = nn.ModuleList(
            nn.TransformerEncoderLayer(D, 4, 64, dropout=0.0, batch_first=True) for _ in range(2))
        self.head = nn.Linear(D, DIGITS)

    def forward(self, x):
        h = self.embed(x) + self.positions
        for layer in self.layers:
            h = layer(h)
        return self.head(h)


def batch(n, g):
    x = torch.randint(0, DIGITS, (n, L), generator=g)
    return x, x.sort(1).values


model = Sorter()
opt = torch.optim.Adam(model.parameters(), 1e-3)
g = torch.Generator().manual_seed(0)
test_x, test_y = batch(1000, torch.Generator().manual_seed(1))
start = time.perf_counter()
for step in range(steps):
    x, y = batch(64, g)
    opt.zero_grad()
    loss = nn.functional.cross_entropy(model(x).reshape(-1, DIGITS), y.reshape(-1))
    loss.backward()
    opt.step()
elapsed = time.perf_counter() - start
model.eval()
with torch.no_grad():
    acc = (model(test_x).argmax(-1) == test_y).all(1).float().mean().item()
print(f"pytorch sort_transformer: sequence accuracy {acc:.3f}; {elapsed * 1e3 / steps:.2f} ms per step")
