#!/usr/bin/python3
"""wrnn against PyTorch, side by side in one run, at the same thread count.

The PyTorch side is written from PAPER.md's equations the way the authors run their models: a
Python loop over time steps, the wave cell's recurrence as nn.Conv1d(C, C, k, padding=k//2,
padding_mode='circular'), the input as nn.Linear, the iRNN's recurrence as nn.Linear, the gated
baselines as torch.nn.LSTM / torch.nn.GRU, and Adam. A training step is forward, loss, backward
and the optimizer update, on one fixed batch. The C++ side is benchmarks/bench_training
(Google Benchmark), run by this script in the same session. Times are wall-clock medians.

Usage (run from the repository root after building the benchmarks):
    /usr/bin/python3 benchmarks/compare_pytorch.py --bench build-release/benchmarks/bench_training \
        [--threads 1 2] [--only copy] [--repeats 5]
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time

import torch
import torch.nn as nn

BATCH = 128

# name: (task, cell, size arguments) -- the same configurations as bench_training.cpp
CONFIGS = {
    "wave/copy": ("copy", "wave", dict(n=100, C=6)),
    "irnn/copy": ("copy", "irnn", dict(N=100)),
    "lstm/copy": ("copy", "lstm", dict(N=100)),
    "gru/copy": ("copy", "gru", dict(N=100)),
    "wave/adding": ("adding", "wave", dict(n=100, C=27)),
    "irnn/adding": ("adding", "irnn", dict(N=100)),
    "wave/smnist": ("smnist", "wave", dict(n=256, C=16)),
    "irnn/smnist": ("smnist", "irnn", dict(N=256)),
}
CXX_NAMES = {"wave": "wrnn::WaveCell<float>", "irnn": "wrnn::DenseCell<float>",
             "lstm": "wrnn::LSTMCell<float>", "gru": "wrnn::GRUCell<float>"}


def make_batch(task, generator):
    """Inputs [T, B, d] and targets, as the C++ task generators define them."""
    if task == "copy":
        gap, length = 120, 130
        digits = torch.randint(1, 9, (10, BATCH), generator=generator)
        symbols = torch.zeros(length, BATCH, dtype=torch.long)
        symbols[:10] = digits
        symbols[length - 11] = 9
        inputs = nn.functional.one_hot(symbols, 10).float()
        targets = torch.zeros(length, BATCH, dtype=torch.long)
        targets[length - 10:] = digits
        return inputs, targets, 10, True
    if task == "adding":
        length = 400
        values = torch.rand(length, BATCH, generator=generator)
        markers = torch.zeros(length, BATCH)
        first = torch.randint(0, length // 2, (BATCH,), generator=generator)
        second = torch.randint(length // 2, length, (BATCH,), generator=generator)
        markers[first, torch.arange(BATCH)] = 1
        markers[second, torch.arange(BATCH)] = 1
        targets = (values * markers).sum(0, keepdim=True).t()
        return torch.stack([values, markers], 2), targets, 1, False
    inputs = torch.rand(784, BATCH, 1, generator=generator)
    return inputs, torch.randint(0, 10, (BATCH,), generator=generator), 10, False


class WaveCell(nn.Module):
    """h_t = relu(u (*) h_{t-1} + b_u + V x_t + b_V), the authors' module names Wx and Wy."""

    def __init__(self, d, n, C, k=3):
        super().__init__()
        self.n, self.C = n, C
        self.Wx = nn.Linear(d, C * n)
        self.Wy = nn.Conv1d(C, C, k, padding=k // 2, padding_mode="circular")

    def forward(self, x, h):
        return torch.relu(self.Wy(h.view(-1, self.C, self.n)).flatten(1) + self.Wx(x))


class DenseCell(nn.Module):
    def __init__(self, d, N):
        super().__init__()
        self.Wx = nn.Linear(d, N)
        self.Wy = nn.Linear(N, N)

    def forward(self, x, h):
        return torch.relu(self.Wy(h) + self.Wx(x))


class Model(nn.Module):
    """cell + linear readout, looped over time in Python as the authors do."""

    def __init__(self, kind, d, o, sizes):
        super().__init__()
        self.kind = kind
        if kind == "wave":
            self.cell, hidden = WaveCell(d, sizes["n"], sizes["C"]), sizes["n"] * sizes["C"]
        elif kind == "irnn":
            self.cell, hidden = DenseCell(d, sizes["N"]), sizes["N"]
        else:  # the gated baselines run as one cuDNN-style module call over the sequence
            self.cell = (nn.LSTM if kind == "lstm" else nn.GRU)(d, sizes["N"])
            hidden = sizes["N"]
        self.hidden = hidden
        self.readout = nn.Linear(hidden, o)

    def forward(self, inputs, every_step):
        if self.kind in ("lstm", "gru"):
            states, _ = self.cell(inputs)
            return self.readout(states if every_step else states[-1])
        h = inputs.new_zeros(inputs.shape[1], self.hidden)
        outputs = []
        for t in range(inputs.shape[0]):
            h = self.cell(inputs[t], h)
            if every_step:
                outputs.append(self.readout(h))
        return torch.stack(outputs) if every_step else self.readout(h)


def time_pytorch(name, repeats):
    task, kind, sizes = CONFIGS[name]
    torch.manual_seed(0)
    inputs, targets, o, every_step = make_batch(task, torch.Generator().manual_seed(1))
    model = Model(kind, inputs.shape[2], o, sizes)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_function = nn.MSELoss() if task == "adding" else nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad()
        outputs = model(inputs, every_step)
        loss = loss_function(outputs.reshape(-1, o), targets.reshape(-1) if o > 1 else targets)
        loss.backward()
        optimizer.step()

    step()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def time_pytorch_streaming(repeats=2000):
    """One sample, one step of the copy-config wave cell (n=100, C=6), no autograd."""
    torch.manual_seed(0)
    cell = WaveCell(10, 100, 6)
    x = torch.zeros(1, 10)
    x[0, 3] = 1
    h = torch.zeros(1, 600)
    with torch.no_grad():
        for _ in range(100):
            h = cell(x, h)
        start = time.perf_counter()
        for _ in range(repeats):
            h = cell(x, h)
        return (time.perf_counter() - start) / repeats * 1e6


def loaded_blas():
    """The BLAS shared library this process has mapped (after torch did a matrix product).
    Debian's python3-torch uses the system libblas.so.3: the slow reference BLAS unless an
    optimised one (libopenblas0-pthread, libblis4) is installed as the libblas.so.3 alternative."""
    torch.ones(8, 8) @ torch.ones(8, 8)
    with open("/proc/self/maps") as maps:
        names = {line.split()[-1] for line in maps if "blas" in line.lower()}
    return ", ".join(sorted(names)) or "unknown"


# The streaming benchmarks: WaveCell::step (Wx in PyTorch's row-major layout) and
# StreamingWaveCell::step (a snapshot with Wx column-major), both n=100 C=6 d=10, batch 1.
STREAMING_KEYS = {"BM_StreamingStep<wrnn::WaveCell<float>>": "WaveCell::step",
                  "BM_StreamingWaveCellStep": "StreamingWaveCell::step"}


def time_wrnn(bench, names, threads, repeats):
    """Median real time (ms) of each BM_TrainStep, and the streaming step (us)."""
    cells = {CONFIGS[n][1] for n in names}
    pattern = "|".join(
        [f"BM_TrainStep<{CXX_NAMES[c]}, {t}>/{th}/" for c in cells for t in {CONFIGS[n][0] for n in names}
         for th in threads] + list(STREAMING_KEYS))
    pattern = pattern.replace("<", ".").replace(">", ".")
    result = subprocess.run(
        [bench, f"--benchmark_filter={pattern}", f"--benchmark_repetitions={repeats}",
         "--benchmark_report_aggregates_only=true", "--benchmark_format=json"],
        check=True, capture_output=True, text=True)
    times = {}
    for row in json.loads(result.stdout)["benchmarks"]:
        if row.get("aggregate_name") != "median":
            continue
        scale = {"ms": 1.0, "us": 1e-3, "ns": 1e-6}[row["time_unit"]]
        times[row["run_name"]] = row["real_time"] * scale
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bench", required=True, help="path to the bench_training binary")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--only", nargs="*", default=None, help="config names or prefixes (copy, wave/copy, ...)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    names = [n for n in CONFIGS if not args.only or any(n == o or o in n.split("/") for o in args.only)]

    cxx = time_wrnn(args.bench, names, args.threads, args.repeats)
    print(f"PyTorch {torch.__version__} vs wrnn, training step = forward + loss + BPTT + Adam, "
          f"batch {BATCH}; medians of {args.repeats} runs; machine: {os.cpu_count()} cores")
    print(f"PyTorch's BLAS: {loaded_blas()}")
    print(f"{'config':<14}{'threads':>8}{'PyTorch ms':>12}{'wrnn ms':>10}{'speed-up':>10}")
    for threads in args.threads:
        torch.set_num_threads(threads)
        for name in names:
            task, kind, _ = CONFIGS[name]
            key = f"BM_TrainStep<{CXX_NAMES[kind]}, {task}>/{threads}/real_time"
            if key not in cxx:
                continue
            reference = time_pytorch(name, max(2, args.repeats if task != "smnist" else 2))
            ours = cxx[key]
            print(f"{name:<14}{threads:>8}{reference:>12.1f}{ours:>10.2f}{reference / ours:>9.1f}x", flush=True)
    torch.set_num_threads(1)
    reference = time_pytorch_streaming()
    for key, label in STREAMING_KEYS.items():
        if key in cxx:
            ours = cxx[key] * 1e3
            print(f"streaming step, wave n=100 C=6, batch 1, 1 thread: PyTorch {reference:.1f} us, "
                  f"wrnn {label} {ours:.3f} us, speed-up {reference / ours:.0f}x")


if __name__ == "__main__":
    sys.exit(main())
