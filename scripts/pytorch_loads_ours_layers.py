"""Checks that PyTorch reads tapegrad's checkpoints of a Conv2d + BatchNorm2d model and of a
bidirectional two-layer LSTM (written by `cargo run --release --example export_layers`):
strict load_state_dict into the same torch.nn modules, then the outputs compared with
tapegrad's, in float64.
"""
import json
import os
import tempfile

import torch
from safetensors.torch import load_file

torch.set_default_dtype(torch.float64)
nn = torch.nn
d = tempfile.gettempdir()
ref = json.load(open(os.path.join(d, "tapegrad-layers.json")))


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3, padding=1, stride=2)
        self.bn = nn.BatchNorm2d(4)
        self.head = nn.Linear(4 * 3 * 3, 3)

    def forward(self, x):
        return self.head(torch.relu(self.bn(self.conv(x))).flatten(1))


cnn = Cnn()
state = load_file(os.path.join(d, "tapegrad-cnn.safetensors"))
assert state["bn.num_batches_tracked"].dtype == torch.int64
cnn.load_state_dict(state)  # strict
cnn.eval()
y = cnn(torch.tensor(ref["cnn_x"]).reshape(2, 2, 6, 6)).detach().reshape(-1)
cnn_err = (y - torch.tensor(ref["cnn_y"])).abs().max().item()

lstm = nn.LSTM(3, 5, num_layers=2, bidirectional=True, batch_first=True)
lstm.load_state_dict(load_file(os.path.join(d, "tapegrad-lstm.safetensors")))
out, (h, c) = lstm(torch.tensor(ref["lstm_x"]).reshape(2, 4, 3))
lstm_err = max((a.detach().reshape(-1) - torch.tensor(ref[k])).abs().max().item()
               for a, k in [(out, "lstm_y"), (h, "lstm_h"), (c, "lstm_c")])
print(f"PyTorch loaded tapegrad's Conv2d+BatchNorm2d (max |Δ| {cnn_err:.1e}) and LSTM (max |Δ| {lstm_err:.1e})")
assert cnn_err < 1e-12 and lstm_err < 1e-12
