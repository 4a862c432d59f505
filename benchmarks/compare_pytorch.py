#!/usr/bin/python3
"""wrnn against PyTorch, side by side in one run, at the same thread count, with the roofline.

The PyTorch side is written from the equations of docs/model.md the way the authors run their
models: a Python loop over time steps, the wave cell's recurrence as nn.Conv1d(C, C, k,
padding=k//2, padding_mode='circular'), the input as nn.Linear, the iRNN's recurrence as
nn.Linear, the gated baselines as torch.nn.LSTM / torch.nn.GRU, and Adam. A training step is
forward, loss, backward, gradient-norm clipping to 1 and the optimizer update, on one fixed batch. The C++ side is
benchmarks/bench_training (Google Benchmark), run by this script in the same run. Times are
wall-clock medians.

PyTorch must run on an optimised BLAS, as a user would run it: Debian's python3-torch calls the
system libblas.so.3, which is the slow reference BLAS unless OpenBLAS is installed
(`apt-get install libopenblas0-pthread` makes it the libblas.so.3 alternative). The script prints
the BLAS PyTorch loaded (and OpenBLAS's core name, so that a fallback kernel forced by
OPENBLAS_CORETYPE shows) and refuses to compare against the reference BLAS (exit 2) unless
--allow-reference-blas is given. OpenBLAS is held to the same thread count as the comparison.

The roofline: every configuration's FLOP count (flops_per_step below: two FLOPs per multiply-add
of every product in its direct form: recurrence forward, backward to the state and to the weights;
input projection forward and weight gradient; readout forward, backward and weight gradient;
element-wise work not counted), wrnn's achieved GFLOP/s and its percentage of the core's vector
FMA peak, measured in the same run by bench_kernels (BM_FmaPeak*) beside the best GEMM rates
(Eigen's, and PyTorch's sgemm on its BLAS): a peak below a measured GEMM rate is a measurement
error, and the script stops (exit 3). With N threads the peak is N times one core's.

Usage (from the repository root, after building the benchmarks natively):
    cmake -S . -B build-release -DWRNN_NATIVE=ON -DWRNN_BUILD_BENCHMARKS=ON
    cmake --build build-release --target bench_training bench_kernels
    /usr/bin/python3 benchmarks/compare_pytorch.py --bench build-release/benchmarks/bench_training \
        [--threads 1 2] [--only copy] [--repeats 5] [--markdown]
"""
import argparse
import ctypes
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
# What the tasks are made of: steps T, input width d, outputs o, readout at every step or the last.
TASKS = {"copy": dict(T=130, d=10, o=10, every_step=True),
         "adding": dict(T=400, d=2, o=1, every_step=False),
         "smnist": dict(T=784, d=1, o=10, every_step=False)}


def flops_per_step(name):
    """FLOPs of one training step of a batch: 2 per multiply-add of every product, direct form."""
    task, kind, sizes = CONFIGS[name]
    T, d, o, every_step = (TASKS[task][key] for key in ("T", "d", "o", "every_step"))
    if kind == "wave":
        hidden = sizes["C"] * sizes["n"]
        recurrence = sizes["C"] * sizes["C"] * 3 * sizes["n"]  # k = 3 taps per channel pair and unit
        gates = 1
    else:
        hidden = sizes["N"]
        gates = {"irnn": 1, "lstm": 4, "gru": 3}[kind]
        recurrence = gates * hidden * hidden
    per_step = 3 * recurrence + 2 * gates * hidden * d  # recurrence: forward, to state, to weights
    readout_steps = T if every_step else 1
    multiply_adds = BATCH * (T * per_step + readout_steps * 3 * o * hidden)
    return 2.0 * multiply_adds


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
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)  # as bench_training clips
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
    """(kind, description, library) of the BLAS this process has mapped, after torch did a matrix
    product. kind is 'openblas', 'blis', 'reference' or 'unknown'."""
    torch.ones(8, 8) @ torch.ones(8, 8)
    with open("/proc/self/maps") as maps:
        paths = sorted({line.split()[-1] for line in maps if "blas" in line.lower() or "blis" in line.lower()})
    for path in paths:
        if "openblas" in path:
            library = ctypes.CDLL(path)
            corename = library.openblas_get_corename
            corename.restype = ctypes.c_char_p
            return "openblas", f"OpenBLAS ({path}, core {corename().decode()})", library
    for path in paths:
        if "blis" in path:
            return "blis", f"BLIS ({path})", None
    for path in paths:
        if "/blas/libblas.so" in path:
            return "reference", f"reference BLAS ({path})", None
    return "unknown", ", ".join(paths) or "none found", None


def torch_sgemm_gflops(size=512, repeats=20):
    """PyTorch's float GEMM rate on its BLAS, one thread: a best GEMM to hold the peak against."""
    a, b = torch.rand(size, size), torch.rand(size, size)
    for _ in range(3):
        a @ b
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2.0 * size ** 3 / best / 1e9


def kernel_rates(bench_kernels):
    """GFLOP/s of the FMA peak (best chain count) and of Eigen's GEMM, from bench_kernels."""
    result = subprocess.run(
        [bench_kernels, "--benchmark_filter=BM_FmaPeak|BM_EigenGemm", "--benchmark_repetitions=3",
         "--benchmark_report_aggregates_only=true", "--benchmark_format=json"],
        check=True, capture_output=True, text=True)
    peak, gemm, chains = 0.0, 0.0, None
    for row in json.loads(result.stdout)["benchmarks"]:
        if row.get("aggregate_name") != "median":
            continue
        rate = row["FLOP/s"] / 1e9
        if row["run_name"].startswith("BM_FmaPeak"):
            if rate > peak:
                peak, chains = rate, int(row["chains"])
        elif row["run_name"].startswith("BM_EigenGemm"):
            gemm = max(gemm, rate)
    return peak, chains, gemm


# The streaming benchmarks: WaveCell::step (Wx in PyTorch's row-major layout) and
# StreamingWaveCell::step (a snapshot with Wx column-major), both n=100 C=6 d=10, batch 1.
STREAMING_KEYS = {"BM_StreamingStep<wrnn::WaveCell<float>>": "WaveCell::step",
                  "BM_StreamingWaveCellStep": "StreamingWaveCell::step"}


def time_wrnn(bench, names, threads, repeats):
    """Median real time (ms) of each BM_TrainStep, and the streaming step (us). OpenBLAS, where a
    build hands Eigen's products to it, runs single-threaded: wrnn's own pool does the threads."""
    cells = {CONFIGS[n][1] for n in names}
    pattern = "|".join(
        [f"BM_TrainStep<{CXX_NAMES[c]}, {t}>/{th}/" for c in cells for t in {CONFIGS[n][0] for n in names}
         for th in threads] + list(STREAMING_KEYS))
    pattern = pattern.replace("<", ".").replace(">", ".")
    result = subprocess.run(
        [bench, f"--benchmark_filter={pattern}", f"--benchmark_repetitions={repeats}",
         "--benchmark_report_aggregates_only=true", "--benchmark_format=json"],
        check=True, capture_output=True, text=True, env=dict(os.environ, OPENBLAS_NUM_THREADS="1"))
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
    parser.add_argument("--kernels", help="path to bench_kernels (default: beside --bench)")
    parser.add_argument("--eigen-blas-bench",
                        help="bench_training_eigen_blas (EIGEN_USE_BLAS), for a column of its own")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--only", nargs="*", default=None, help="config names or prefixes (copy, wave/copy, ...)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--markdown", action="store_true", help="print the table as markdown")
    parser.add_argument("--allow-reference-blas", action="store_true",
                        help="compare even when PyTorch runs on the reference BLAS (speed-ups marked)")
    args = parser.parse_args()
    names = [n for n in CONFIGS if not args.only or any(n == o or o in n.split("/") for o in args.only)]
    kernels = args.kernels or os.path.join(os.path.dirname(args.bench), "bench_kernels")
    for path in [args.bench, kernels] + ([args.eigen_blas_bench] if args.eigen_blas_bench else []):
        if not os.access(path, os.X_OK):
            print(f"compare_pytorch.py: expected an executable benchmark at {path}, found none "
                  "(build it: see the usage above)", file=sys.stderr)
            return 2

    blas_kind, blas, openblas = loaded_blas()
    if blas_kind == "reference" and not args.allow_reference_blas:
        print(f"compare_pytorch.py: PyTorch runs on the {blas}, the slowest BLAS there is; a fair "
              "comparison needs an optimised one: apt-get install libopenblas0-pthread (Debian), "
              "or pass --allow-reference-blas to compare anyway", file=sys.stderr)
        return 2

    torch.set_num_threads(1)
    if openblas is not None:
        openblas.openblas_set_num_threads(1)
    peak, chains, eigen_gemm = kernel_rates(kernels)
    torch_gemm = torch_sgemm_gflops()
    best_gemm = max(eigen_gemm, torch_gemm)
    print(f"PyTorch {torch.__version__} on {blas}; machine: {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.2f} (other work on the machine slows both sides)")
    print(f"one core: FMA peak {peak:.1f} GFLOP/s ({chains} chains, bench_kernels BM_FmaPeak*), "
          f"Eigen sgemm 512 {eigen_gemm:.1f}, PyTorch sgemm 512 {torch_gemm:.1f}")
    if peak < best_gemm:
        print(f"compare_pytorch.py: the measured FMA peak ({peak:.1f} GFLOP/s) is below a GEMM rate "
              f"measured in the same run ({best_gemm:.1f}): the peak measurement is wrong",
              file=sys.stderr)
        return 3

    cxx = time_wrnn(args.bench, names, args.threads, args.repeats)
    blas_cxx = time_wrnn(args.eigen_blas_bench, names, args.threads, args.repeats) if args.eigen_blas_bench else {}
    mark = " (reference BLAS)" if blas_kind == "reference" else ""
    header = ["config", "threads", "PyTorch ms", "wrnn ms", "speed-up", "GFLOP", "wrnn GFLOP/s", "% of peak"]
    if blas_cxx:
        header.insert(4, "wrnn+BLAS ms")
    print(f"training step = forward + loss + BPTT + clip + Adam, batch {BATCH}; medians of {args.repeats} runs")
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
    else:
        print("".join(f"{h:>14}" for h in header))
    for threads in args.threads:
        torch.set_num_threads(threads)
        if openblas is not None:
            openblas.openblas_set_num_threads(threads)
        for name in names:
            task, kind, _ = CONFIGS[name]
            key = f"BM_TrainStep<{CXX_NAMES[kind]}, {task}>/{threads}/real_time"
            if key not in cxx:
                continue
            reference = time_pytorch(name, max(2, args.repeats if task != "smnist" else 2))
            ours = cxx[key]
            flops = flops_per_step(name)
            rate = flops / (ours * 1e-3) / 1e9
            row = [name, str(threads), f"{reference:.1f}", f"{ours:.2f}", f"{reference / ours:.1f}x{mark}",
                   f"{flops / 1e9:.2f}", f"{rate:.1f}", f"{100 * rate / (peak * threads):.0f}%"]
            if blas_cxx:
                row.insert(4, f"{blas_cxx[key]:.2f}" if key in blas_cxx else "-")
            if args.markdown:
                print("| " + " | ".join(row) + " |", flush=True)
            else:
                print("".join(f"{c:>14}" for c in row), flush=True)
    torch.set_num_threads(1)
    if openblas is not None:
        openblas.openblas_set_num_threads(1)
    reference = time_pytorch_streaming()
    for key, label in STREAMING_KEYS.items():
        if key in cxx:
            ours = cxx[key] * 1e3
            print(f"streaming step, wave n=100 C=6, batch 1, 1 thread: PyTorch {reference:.1f} us, "
                  f"wrnn {label} {ours:.3f} us, speed-up {reference / ours:.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
