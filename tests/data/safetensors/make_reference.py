#!/usr/bin/python3
"""Writes reference.safetensors, a safetensors file built independently of wrnn.

Only the Python standard library (struct, json) and numpy are used, following the format
specification: an 8-byte little-endian header length, a JSON header, then the data buffer.
The tensors are deliberately stored in an order different from the one wrnn's writer uses
(by name, F16 before F64, so F64 is not 8-byte aligned) and the header is padded with spaces,
so the reader is tested on a layout it did not produce. The expected values are written out as
literals in tests/test_safetensors.cpp; this script prints them for reference.

Run from the repository root:  /usr/bin/python3 tests/data/safetensors/make_reference.py
"""
import json
import pathlib
import struct

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent


def bfloat16_bits(values):
    """bfloat16 by truncating float32 bits (the values chosen are exact in bfloat16)."""
    return (np.asarray(values, dtype="<f4").view("<u4") >> 16).astype("<u2")


tensors = {
    # name: (dtype, shape, little-endian bytes)
    "a_f32_matrix": ("F32", [2, 3], (np.arange(6, dtype="<f4") / 4 - 0.5).tobytes()),
    "b_f16_values": ("F16", [11], np.array(
        [1.0, -2.0, 65504.0, 2.0**-14, 2.0**-24, 1023 * 2.0**-24, -0.0, np.inf, -np.inf,
         np.nan, 0.1], dtype="<f2").tobytes()),
    "c_f64_vector": ("F64", [4], np.array(
        [1.0 / 3.0, -1e300, 5e-324, np.pi], dtype="<f8").tobytes()),
    "d_bf16_values": ("BF16", [2, 3], bfloat16_bits(
        [1.0, -3.140625, 2.0**-133, np.inf, 3.3895313892515355e38, 2.0**-126]).tobytes()),
    "e_i32_vector": ("I32", [3], np.array([-2147483648, 0, 2147483647], dtype="<i4").tobytes()),
    "f_i64_scalar": ("I64", [], np.array(123456789012, dtype="<i8").tobytes()),
    "g_empty": ("F32", [0, 3], b""),
    "h_u8_mask": ("U8", [4], bytes([0, 1, 254, 255])),
}

header = {"__metadata__": {"format": "pt", "note": "made by make_reference.py"}}
buffer = b""
for name, (dtype, shape, data) in tensors.items():
    header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(buffer), len(buffer) + len(data)]}
    buffer += data
text = json.dumps(header).encode("utf-8")
text += b" " * (5 + (8 - len(text) % 8) % 8)  # padding, and not to a multiple of 8
(HERE / "reference.safetensors").write_bytes(struct.pack("<Q", len(text)) + text + buffer)

print("f16 bits:", [hex(b) for b in np.frombuffer(tensors["b_f16_values"][2], "<u2")])
print("f16 values:", np.frombuffer(tensors["b_f16_values"][2], "<f2").astype(np.float64).tolist())
print("bf16 bits:", [hex(b) for b in np.frombuffer(tensors["d_bf16_values"][2], "<u2")])
