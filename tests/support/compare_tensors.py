#!/usr/bin/env python3
"""Checks tensors of safetensors files, for the programs' tests (tests/program_errors.sh).

    compare_tensors.py same A B NAME...       each NAME holds the same bytes in A and B
    compare_tensors.py different A B NAME...  each NAME holds other bytes in A than in B
    compare_tensors.py absent A NAME...       A has no tensor NAME

Exit status 0 when every check holds, 1 otherwise (with the reason on stderr).
"""
import json
import struct
import sys


def tensors(path):
    with open(path, "rb") as f:
        (size,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(size))
        data = f.read()
    header.pop("__metadata__", None)
    return {name: data[t["data_offsets"][0]:t["data_offsets"][1]] for name, t in header.items()}


def main(argv):
    mode = argv[1]
    if mode == "absent":
        found = tensors(argv[2])
        bad = [name for name in argv[3:] if name in found]
        if bad:
            print(f"{argv[2]}: expected no tensor {bad}", file=sys.stderr)
        return 1 if bad else 0
    a, b = tensors(argv[2]), tensors(argv[3])
    status = 0
    for name in argv[4:]:
        if name not in a or name not in b:
            print(f"tensor {name}: missing in {argv[2] if name not in a else argv[3]}",
                  file=sys.stderr)
            status = 1
        elif (a[name] == b[name]) != (mode == "same"):
            print(f"tensor {name}: expected {mode} values in {argv[2]} and {argv[3]}",
                  file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
