#!/usr/bin/python3
"""Writes a small MNIST-format folder for the seq_image program's script tests: 3040 training
images (seq_image always holds out 3000 for validation, so 40 train) and 30 test images, 28 x 28
random pixels with random labels 0..9, as the four IDX files the program reads.

Usage: write_small_mnist.py DIR
"""
import os
import random
import struct
import sys


def write_set(folder, prefix, count, rng):
    images = rng.randbytes(count * 784)
    labels = bytes(byte % 10 for byte in rng.randbytes(count))
    with open(os.path.join(folder, prefix + "-images-idx3-ubyte"), "wb") as out:
        out.write(struct.pack(">IIII", 0x803, count, 28, 28) + images)
    with open(os.path.join(folder, prefix + "-labels-idx1-ubyte"), "wb") as out:
        out.write(struct.pack(">II", 0x801, count) + labels)


folder = sys.argv[1]
os.makedirs(folder, exist_ok=True)
rng = random.Random(1)
write_set(folder, "train", 3040, rng)
write_set(folder, "t10k", 30, rng)
