#!/usr/bin/python3
"""Reference values from torch.nn.LSTM / torch.nn.GRU for tests/test_lstm.cpp and test_gru.cpp.

Builds the cell with fixed, deterministically generated weights, runs a small batch of inputs,
adds a linear readout at every step and an MSE loss (mean reduction), and prints, as C++
constants: the hidden states h_t of every step and sample (and the final cell state c_T for the
LSTM), the loss, and the gradient of the loss with respect to every cell parameter.

Everything is float64 so the constants are exact to about 1e-15.

Usage (Debian's python3-torch 1.13):
    /usr/bin/python3 tests/pytorch_reference_gated.py lstm
    /usr/bin/python3 tests/pytorch_reference_gated.py gru
The C++ tests rebuild the same weights, inputs and targets from the formulas below (value()).
"""
import math
import sys

import torch

STEPS, BATCH, INPUT, HIDDEN, OUTPUT = 5, 3, 3, 4, 2

# One key per tensor, so that tensors of equal size get different values.
KEYS = {
    "weight_ih_l0": 0,
    "weight_hh_l0": 1,
    "bias_ih_l0": 2,
    "bias_hh_l0": 3,
    "readout.weight": 4,
    "readout.bias": 5,
}


def value(key, i):
    """Element i (flat, row-major) of the tensor with this key."""
    return 0.5 * math.sin(0.37 * i + 1.3 * key)


def input_value(i):
    """Element i of the input x[T][B][d] (flat, time-major)."""
    return math.cos(0.29 * i + 0.4)


def target_value(i):
    """Element i of the MSE targets y[T][B][o] (flat)."""
    return 0.5 * math.sin(0.41 * i - 0.2)


def filled(tensor, key):
    flat = torch.tensor([value(key, i) for i in range(tensor.numel())], dtype=torch.float64)
    return flat.reshape(tensor.shape)


def cpp_array(name, values):
    body = ",\n    ".join(
        ", ".join(repr(float(v)) for v in values[k : k + 4]) for k in range(0, len(values), 4)
    )
    return f"const double {name}[] = {{\n    {body}}};"


def main():
    kind = sys.argv[1] if len(sys.argv) > 1 else "lstm"
    if kind not in ("lstm", "gru"):
        raise SystemExit(f"expected 'lstm' or 'gru', received '{kind}'")
    torch.set_default_dtype(torch.float64)
    cell = (torch.nn.LSTM if kind == "lstm" else torch.nn.GRU)(INPUT, HIDDEN)
    readout = torch.nn.Linear(HIDDEN, OUTPUT)
    with torch.no_grad():
        for name, p in cell.named_parameters():
            p.copy_(filled(p, KEYS[name]))
        readout.weight.copy_(filled(readout.weight, KEYS["readout.weight"]))
        readout.bias.copy_(filled(readout.bias, KEYS["readout.bias"]))
    n_in = STEPS * BATCH * INPUT
    x = torch.tensor([input_value(i) for i in range(n_in)]).reshape(STEPS, BATCH, INPUT)
    n_out = STEPS * BATCH * OUTPUT
    y = torch.tensor([target_value(i) for i in range(n_out)]).reshape(STEPS, BATCH, OUTPUT)

    out, state = cell(x)
    loss = torch.nn.functional.mse_loss(readout(out), y)
    loss.backward()

    prefix = "kTorch" + ("Lstm" if kind == "lstm" else "Gru")
    print(f"// {kind}: T={STEPS} B={BATCH} d={INPUT} H={HIDDEN} o={OUTPUT}, torch {torch.__version__}")
    print(f"// Produced by: /usr/bin/python3 tests/pytorch_reference_gated.py {kind}")
    print("// h_t for t = 1..T, sample b, unit j at [((t-1)*B + b)*H + j]")
    print(cpp_array(prefix + "Hidden", out.detach().flatten().tolist()))
    if kind == "lstm":
        print("// c_T, sample b, unit j at [b*H + j]")
        print(cpp_array(prefix + "FinalCell", state[1].detach().flatten().tolist()))
    print(f"const double {prefix}Loss = {loss.item()!r};")
    for name, p in cell.named_parameters():
        print(f"// dL/d{name}, row-major {list(p.shape)}")
        print(cpp_array(prefix + "Grad_" + name, p.grad.flatten().tolist()))


if __name__ == "__main__":
    main()
