#!/usr/bin/python3
"""Side-by-side training-step time: wrnn's LSTMCell/GRUCell against torch.nn.LSTM/torch.nn.GRU.

The configuration is the copy task's (PAPER.md section 2) as in benchmarks/bench_gated.cpp:
H = 100 hidden units, batch 128, sequence length 120, d = o = 10 (one-hot inputs), a linear
readout at every step, cross-entropy over all steps, Adam. One thread on both sides.

A training step is forward, loss, backward and the Adam update. Times are CPU time per step
(process time; with one thread it equals wall time on an idle machine, and stays meaningful on a
busy one) and wall time per step, the fastest of --repeats timed blocks (on a shared machine the
minimum is the least disturbed estimate).

PyTorch's speed depends on the BLAS it loads: Debian's python3-torch uses the system libblas.so.3,
which is the slow reference BLAS unless OpenBLAS (or BLIS) is installed. The script prints which
library was loaded; compare against an optimised BLAS, e.g. with Debian's libopenblas0-pthread
installed, or unpacked and put first on LD_LIBRARY_PATH (with OPENBLAS_NUM_THREADS=1).

Usage:
    cmake -S . -B build-bench -DWRNN_BUILD_BENCHMARKS=ON -DWRNN_NATIVE=ON
    cmake --build build-bench --target bench_gated
    /usr/bin/python3 benchmarks/compare_pytorch_gated.py --bench build-bench/benchmarks/bench_gated
Without --bench only the PyTorch side is timed.
"""
import argparse
import json
import subprocess
import time

import torch

HIDDEN, BATCH, STEPS, CLASSES, DIGITS = 100, 128, 120, 10, 10


def copy_batch(generator):
    """The copy task's batch (inputs T x B x 10 one-hot, targets T x B classes)."""
    inputs = torch.zeros(STEPS, BATCH, CLASSES)
    targets = torch.zeros(STEPS, BATCH, dtype=torch.long)
    digits = torch.randint(1, 9, (DIGITS, BATCH), generator=generator)
    inputs[:DIGITS].scatter_(2, digits.unsqueeze(2), 1.0)
    inputs[DIGITS:, :, 0] = 1.0
    inputs[STEPS - 11, :, 0] = 0.0
    inputs[STEPS - 11, :, 9] = 1.0
    targets[STEPS - DIGITS :] = digits
    return inputs, targets


def time_pytorch(kind, warmup, steps_per_block, repeats):
    torch.manual_seed(0)
    cell = (torch.nn.LSTM if kind == "lstm" else torch.nn.GRU)(CLASSES, HIDDEN)
    readout = torch.nn.Linear(HIDDEN, CLASSES)
    parameters = list(cell.parameters()) + list(readout.parameters())
    optimizer = torch.optim.Adam(parameters, lr=1e-3)
    inputs, targets = copy_batch(torch.Generator().manual_seed(1))
    loss_function = torch.nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad()
        hidden, _ = cell(inputs)
        loss = loss_function(readout(hidden).reshape(-1, CLASSES), targets.reshape(-1))
        loss.backward()
        optimizer.step()

    for _ in range(warmup):
        step()
    cpu_ms, wall_ms = [], []
    for _ in range(repeats):
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for _ in range(steps_per_block):
            step()
        cpu_ms.append((time.process_time() - cpu0) * 1e3 / steps_per_block)
        wall_ms.append((time.perf_counter() - wall0) * 1e3 / steps_per_block)
    return min(cpu_ms), min(wall_ms)


def time_wrnn(bench, kind, chunk, repeats):
    """Fastest CPU and wall ms per step of BM_TrainStep<...>/chunk from bench_gated."""
    cell = "LSTMCell" if kind == "lstm" else "GRUCell"
    name = f"BM_TrainStep<wrnn::{cell}<float>>/{chunk}"
    pattern = f"BM_TrainStep<wrnn::{cell}<float>>/{chunk}$"
    out = subprocess.run(
        [
            bench,
            f"--benchmark_filter={pattern}",
            f"--benchmark_repetitions={repeats}",
            "--benchmark_format=json",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    runs = [
        r
        for r in json.loads(out)["benchmarks"]
        if r.get("run_type") == "iteration" and r["run_name"] == name
    ]
    scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[runs[0]["time_unit"]]
    cpu = min(r["cpu_time"] * scale for r in runs)
    wall = min(r["real_time"] * scale for r in runs)
    return cpu, wall


def loaded_blas():
    """The BLAS shared library this process has mapped (after torch did a matrix product)."""
    torch.ones(8, 8) @ torch.ones(8, 8)
    with open("/proc/self/maps") as maps:
        names = {line.split()[-1] for line in maps if "blas" in line.lower()}
    return ", ".join(sorted(names)) or "unknown"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", help="path of the bench_gated program")
    parser.add_argument("--models", default="lstm,gru")
    parser.add_argument("--chunk", type=int, default=32, help="wrnn batch_chunk (32 or 128)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--steps", type=int, default=10, help="PyTorch steps per timed block")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    torch.set_num_threads(1)
    print(
        f"copy config: H={HIDDEN} batch={BATCH} T={STEPS} d=o={CLASSES}, Adam, 1 thread, "
        f"torch {torch.__version__}"
    )
    print(f"PyTorch's BLAS: {loaded_blas()}")
    print(f"{'model':6} {'side':8} {'CPU ms/step':>12} {'wall ms/step':>13}")
    for kind in args.models.split(","):
        torch_cpu, torch_wall = time_pytorch(kind, args.warmup, args.steps, args.repeats)
        print(f"{kind:6} {'pytorch':8} {torch_cpu:12.2f} {torch_wall:13.2f}")
        if args.bench:
            wrnn_cpu, wrnn_wall = time_wrnn(args.bench, kind, args.chunk, args.repeats)
            print(f"{kind:6} {'wrnn':8} {wrnn_cpu:12.2f} {wrnn_wall:13.2f}")
            print(
                f"{kind:6} {'ratio':8} {torch_cpu / wrnn_cpu:11.2f}x {torch_wall / wrnn_wall:12.2f}x"
                "   (pytorch / wrnn; > 1 means wrnn is faster)"
            )


if __name__ == "__main__":
    main()
