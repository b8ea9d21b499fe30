"""Writes tests/fixtures/rnn_<name>.safetensors (each model's state_dict) and
tests/fixtures/rnn.json (input, output, final state, input and parameter gradients of
out.square().sum() + state.square().sum()) for the recurrent layers and cells, with PyTorch,
in float64. For tests/recurrent.rs.

Run: bench/pytorch/.venv/bin/python scripts/gen_rnn_fixtures.py
"""
import json
import os

import torch
from safetensors.torch import save_file

torch.set_default_dtype(torch.float64)
torch.manual_seed(11)
nn = torch.nn
models = {
    "lstm": (nn.LSTM(3, 4, num_layers=2, batch_first=True, bidirectional=True), [2, 5, 3]),
    "gru": (nn.GRU(3, 4, num_layers=2), [5, 2, 3]),
    "rnn": (nn.RNN(3, 4, bidirectional=True), [4, 3]),  # unbatched [L, in]
    "lstm_cell": (nn.LSTMCell(3, 4), [2, 3]),
    "gru_cell": (nn.GRUCell(3, 4), [2, 3]),
    "rnn_cell": (nn.RNNCell(3, 4), [2, 3]),
}
flat = lambda t: [float(v) for v in t.detach().reshape(-1).tolist()]
out = {"torch": torch.__version__, "models": {}}
for name, (model, shape) in models.items():
    save_file({k: v.contiguous() for k, v in model.state_dict().items()},
              os.path.join("tests", "fixtures", f"rnn_{name}.safetensors"))
    x = torch.randn(*shape, requires_grad=True)
    if name.endswith("cell"):
        y = model(x)
        if isinstance(y, tuple):
            h, c = y
            loss = h.square().sum() + c.square().sum()
            outputs = {"h": flat(h), "c": flat(c)}
        else:
            loss = y.square().sum()
            outputs = {"h": flat(y)}
    else:
        y, state = model(x)
        if isinstance(state, tuple):
            h, c = state
            loss = y.square().sum() + h.square().sum() + c.square().sum()
            outputs = {"out": flat(y), "h": flat(h), "c": flat(c)}
        else:
            loss = y.square().sum() + state.square().sum()
            outputs = {"out": flat(y), "h": flat(state)}
    loss.backward()
    out["models"][name] = {
        "names": list(model.state_dict().keys()),
        "input": {"shape": shape, "data": flat(x)},
        "outputs": outputs,
        "input_grad": flat(x.grad),
        "grads": {n: flat(p.grad) for n, p in model.named_parameters()},
    }
with open(os.path.join("tests", "fixtures", "rnn.json"), "w") as f:
    json.dump(out, f)
print("wrote tests/fixtures/rnn.json and rnn_*.safetensors")
