"""PyTorch's run of examples/sequence.rs: the same LSTM forecaster and recipe (data drawn the
same way, from PyTorch's generator); prints test MSE and time per step (1 thread).

    bench/pytorch/.venv/bin/python bench/pytorch/sequence.py
"""
import math
import time

import torch
from torch import nn

torch.set_num_threads(1)
torch.manual_seed(0)
STEPS = 20


def batch(n, g):
    omega = torch.rand(n, 1, generator=g) * 0.4 + 0.2
    phase = torch.rand(n, 1, generator=g) * 2 * math.pi
    t = torch.arange(STEPS).float()
    noise = 0.05 * (torch.rand(n, STEPS, generator=g) + torch.rand(n, STEPS, generator=g) - 1.0) * 2.45
    x = torch.sin(omega * t + phase) + noise
    y = torch.sin(omega * STEPS + phase)
    return x.unsqueeze(-1), y


class Forecaster(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(1, 32, batch_first=True)
        self.head = nn.Linear(32, 1)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[:, -1])


model = Forecaster()
opt = torch.optim.Adam(model.parameters(), 1e-2)
g = torch.Generator().manual_seed(0)
test_x, test_y = batch(1000, torch.Generator().manual_seed(1))
start = time.perf_counter()
for step in range(400):
    x, y = batch(64, g)
    opt.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    opt.step()
elapsed = time.perf_counter() - start
with torch.no_grad():
    test = nn.functional.mse_loss(model(test_x), test_y).item()
print(f"pytorch sequence: test MSE {test:.5f}; {elapsed * 1e3 / 400:.2f} ms per step")
