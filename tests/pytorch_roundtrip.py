#!/usr/bin/python3
"""The PyTorch side of the wrnn <-> PyTorch round trip (tests/test_pytorch_roundtrip.cpp).

  pytorch_roundtrip.py make DIR    builds the authors' model structure (cell.Wx, cell.Wy, readout)
                                   and torch.nn.LSTM/GRU models with random weights and writes,
                                   for each, DIR/<name>.safetensors (parameters + wrnn metadata)
                                   and DIR/<name>.io.safetensors (random inputs, the outputs)
  pytorch_roundtrip.py check DIR   for every DIR/*.wrnn.safetensors written by wrnn (with its
                                   *.wrnn.io.safetensors), rebuilds the model in PyTorch from the
                                   metadata, loads the weights (strict: every name and shape) and
                                   compares the outputs; exits 1 on any mismatch

Files are read and written with tools/wrnn_model_file.py (safetensors with struct + json, as
Debian's torch 1.13 has no safetensors support), which tools/convert_pytorch.py uses too.
Inputs are [T, B, d] and outputs [T, B, o] (readout at every step) or [B, o] (last step), the
memory order of wrnn's Sequence and output matrix.
"""
import pathlib
import sys

import torch
from torch import nn

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tools"))
from wrnn_model_file import DTYPES, model_metadata, read_safetensors, write_safetensors  # noqa

TOLERANCE = {"F32": 1e-5, "F64": 1e-12}  # relative to max(1, |y|)


ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh, "identity": lambda x: x}


class WaveCell(nn.Module):
    """h_t = act(Wy (*) h_{t-1} + Wx x_t): Wy a circular Conv1d over each ring, the authors' names."""

    def __init__(self, d, C, n, k, activation):
        super().__init__()
        self.C, self.n, self.activation = C, n, ACTIVATIONS[activation]
        self.Wx = nn.Linear(d, C * n)
        self.Wy = nn.Conv1d(C, C, k, padding=k // 2, padding_mode="circular")

    def forward(self, x, h):
        return self.activation(self.Wy(h.view(-1, self.C, self.n)).flatten(1) + self.Wx(x))


class DenseCell(nn.Module):
    """The iRNN: h_t = act(Wy h_{t-1} + Wx x_t)."""

    def __init__(self, d, N, activation):
        super().__init__()
        self.activation = ACTIVATIONS[activation]
        self.Wx = nn.Linear(d, N)
        self.Wy = nn.Linear(N, N)

    def forward(self, x, h):
        return self.activation(self.Wy(h) + self.Wx(x))


class Model(nn.Module):
    def __init__(self, meta):
        super().__init__()
        self.kind = meta["wrnn.cell"]
        d = int(meta["wrnn.cell.input_size"])
        if self.kind == "wave":
            C, n = int(meta["wrnn.cell.channels"]), int(meta["wrnn.cell.ring_size"])
            self.cell = WaveCell(d, C, n, int(meta["wrnn.cell.kernel_size"]),
                                 meta["wrnn.cell.activation"])
            self.hidden = C * n
        elif self.kind == "dense":
            self.hidden = int(meta["wrnn.cell.hidden_size"])
            self.cell = DenseCell(d, self.hidden, meta["wrnn.cell.activation"])
        else:
            self.hidden = int(meta["wrnn.cell.hidden_size"])
            self.cell = (nn.LSTM if self.kind == "lstm" else nn.GRU)(d, self.hidden)
        o = int(meta["wrnn.readout.output_size"])
        if meta["wrnn.readout.kind"] == "linear":
            self.readout = nn.Linear(self.hidden, o)
        else:
            H = int(meta["wrnn.readout.mlp_hidden"])
            self.readout = nn.Sequential(nn.Linear(self.hidden, H), nn.ReLU(), nn.Linear(H, o))
        self.every_step = meta["wrnn.readout.mode"] == "every_step"

    def forward(self, inputs):  # [T, B, d]
        if self.kind in ("lstm", "gru"):
            states, _ = self.cell(inputs)
        else:
            h = inputs.new_zeros(inputs.shape[1], self.hidden)
            states = []
            for t in range(inputs.shape[0]):
                h = self.cell(inputs[t], h)
                states.append(h)
            states = torch.stack(states)
        return self.readout(states if self.every_step else states[-1])


def metadata_for(cell, d, sizes, readout, dtype="F32"):
    kind, mode, o, hidden = readout
    return model_metadata(cell, d, activation=sizes.get("act"), channels=sizes.get("C"),
                          ring_size=sizes.get("n"), kernel_size=sizes.get("k"),
                          hidden_size=sizes.get("N"), recurrent_init="random",
                          input_init="normal", readout_kind=kind, readout_mode=mode,
                          output_size=o, mlp_hidden=hidden, dtype=dtype)


# name: (cell, input size d, sizes, (readout kind, mode, outputs, mlp hidden))
CONFIGS = {
    "wave_relu_linear": ("wave", 3, {"C": 3, "n": 10, "k": 3, "act": "relu"},
                         ("linear", "every_step", 4, 100)),
    "wave_tanh_k5_mlp": ("wave", 2, {"C": 2, "n": 9, "k": 5, "act": "tanh"},
                         ("mlp", "last_step", 3, 8)),
    "dense_relu_linear": ("dense", 3, {"N": 12, "act": "relu"}, ("linear", "last_step", 2, 100)),
    "dense_identity_mlp": ("dense", 2, {"N": 7, "act": "identity"},
                           ("mlp", "every_step", 3, 6)),
    "lstm_linear": ("lstm", 3, {"N": 8}, ("linear", "every_step", 4, 100)),
    "lstm_mlp": ("lstm", 2, {"N": 6}, ("mlp", "last_step", 2, 5)),
    "gru_linear": ("gru", 3, {"N": 8}, ("linear", "last_step", 4, 100)),
    "gru_mlp": ("gru", 2, {"N": 6}, ("mlp", "every_step", 2, 5)),
}
STEPS, BATCH = 11, 4


def make(directory):
    torch.manual_seed(2024)
    for name, (cell, d, sizes, readout) in CONFIGS.items():
        meta = metadata_for(cell, d, sizes, readout)
        model = Model(meta)
        with torch.no_grad():
            for parameter in model.parameters():  # beyond PyTorch's small default range
                parameter.copy_(torch.randn_like(parameter) * 0.4)
            inputs = torch.randn(STEPS, BATCH, d)
            outputs = model(inputs)
        write_safetensors(directory / f"{name}.safetensors", model.state_dict(), meta)
        write_safetensors(directory / f"{name}.io.safetensors",
                          {"inputs": inputs, "outputs": outputs}, {})
        print(f"made {name}: {sum(p.numel() for p in model.parameters())} parameters")


def check(directory):
    files = sorted(directory.glob("*.wrnn.safetensors"))
    if not files:
        print(f"no *.wrnn.safetensors in {directory}")
        return 1
    failures = 0
    for path in files:
        tensors, meta = read_safetensors(path)
        model = Model(meta).to(DTYPES[meta["wrnn.dtype"]])
        try:
            model.load_state_dict(tensors, strict=True)
        except RuntimeError as error:
            print(f"FAIL {path.name}: {error}")
            failures += 1
            continue
        io, _ = read_safetensors(str(path).replace(".wrnn.safetensors", ".wrnn.io.safetensors"))
        with torch.no_grad():
            outputs = model(io["inputs"])
        expected = io["outputs"]
        if outputs.shape != expected.shape:
            print(f"FAIL {path.name}: outputs of shape {list(outputs.shape)}, wrnn's "
                  f"{list(expected.shape)}")
            failures += 1
            continue
        error = ((outputs - expected).abs() / expected.abs().clamp(min=1.0)).max().item()
        tolerance = TOLERANCE[meta["wrnn.dtype"]]
        status = "ok  " if error <= tolerance else "FAIL"
        failures += error > tolerance
        print(f"{status} {path.name} ({meta['wrnn.cell']}, {meta['wrnn.dtype']}): max error "
              f"{error:.3g}, outputs {list(outputs.shape)}")
    return 1 if failures else 0


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("make", "check"):
        print(__doc__)
        return 2
    directory = pathlib.Path(sys.argv[2])
    if sys.argv[1] == "make":
        directory.mkdir(parents=True, exist_ok=True)
        make(directory)
        return 0
    return check(directory)


if __name__ == "__main__":
    sys.exit(main())
