"""Writes tests/fixtures/cnn.safetensors (a small CNN's state_dict, BatchNorm buffers and the
int64 num_batches_tracked included) and tests/fixtures/cnn.json (an input, the eval-mode
output, one training-mode step's output, loss gradients and updated running statistics),
all made by PyTorch, for tests/layers.rs.

Run: bench/pytorch/.venv/bin/python scripts/gen_cnn_fixtures.py
"""
import json
import os

import torch
from safetensors.torch import save_file

torch.set_default_dtype(torch.float64)
torch.manual_seed(3)
nn = torch.nn
model = nn.Sequential(
    nn.Conv2d(1, 4, 3, padding=1),
    nn.BatchNorm2d(4),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=1, groups=2),
    nn.GroupNorm(2, 6),
    nn.Tanh(),
    nn.AvgPool2d(2, stride=1),
    nn.Flatten(),
    nn.Linear(6 * 1 * 3, 3),
)
# A few training steps so the running statistics and counter are not their defaults.
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for _ in range(3):
    opt.zero_grad()
    model(torch.randn(5, 1, 6, 6)).square().mean().backward()
    opt.step()
out = os.path.join("tests", "fixtures")
save_file({k: v.contiguous() for k, v in model.state_dict().items()}, os.path.join(out, "cnn.safetensors"))

x = torch.randn(2, 1, 6, 6)
model.eval()
with torch.no_grad():
    eval_out = model(x)
model.train()
model.zero_grad()
y = model(x)
loss = y.square().sum()
loss.backward()
flat = lambda t: [float(v) for v in t.detach().reshape(-1).tolist()]
fixture = {
    "torch": torch.__version__,
    "names": list(model.state_dict().keys()),
    "input": {"shape": list(x.shape), "data": flat(x)},
    "eval_output": flat(eval_out),
    "train_output": flat(y),
    "grads": {n: flat(p.grad) for n, p in model.named_parameters()},
    "running_after": {n: flat(b.float() if b.dtype == torch.int64 else b) for n, b in model.named_buffers()},
}
with open(os.path.join(out, "cnn.json"), "w") as f:
    json.dump(fixture, f)
print("wrote tests/fixtures/cnn.safetensors and cnn.json")
