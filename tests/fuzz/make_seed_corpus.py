#!/usr/bin/python3
"""Writes the hand-made seed inputs of tests/fuzz/corpus/ (valid files and one of each kind of
corruption the reader must reject). Inputs the fuzzer found are added next to them by hand.

Run from the repository root:  /usr/bin/python3 tests/fuzz/make_seed_corpus.py
"""
import json
import pathlib
import shutil
import struct

HERE = pathlib.Path(__file__).resolve().parent
CORPUS = HERE / "corpus"


def file_bytes(header, buffer=b"", pad=True):
    text = header if isinstance(header, bytes) else json.dumps(header, separators=(",", ":")).encode()
    if pad:
        text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + buffer


def entry(dtype, shape, begin, end):
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


seeds = {
    "valid_empty": file_bytes({}),
    "valid_metadata_only": file_bytes({"__metadata__": {"cell": "wave", "n": "256"}}),
    "valid_f32": file_bytes({"w": entry("F32", [2, 2], 0, 16)}, struct.pack("<4f", 1, -2, 0.5, 3)),
    "valid_mixed": file_bytes(
        {"__metadata__": {"format": "pt"}, "d": entry("F64", [1], 0, 8), "f": entry("F32", [], 8, 12),
         "h": entry("F16", [2], 12, 16), "b": entry("BF16", [1, 1], 16, 18),
         "i": entry("I32", [1], 18, 22), "l": entry("I64", [0], 22, 22), "m": entry("BOOL", [2], 22, 24)},
        struct.pack("<dfHHHi", 1.5, 2.5, 0x3C00, 0x7C01, 0x3F80, -7) + bytes([1, 0])),
    "valid_all_integer_dtypes": file_bytes(
        {"u8": entry("U8", [1], 0, 1), "i8": entry("I8", [1], 1, 2), "i16": entry("I16", [1], 2, 4),
         "u16": entry("U16", [1], 4, 6), "u32": entry("U32", [1], 6, 10), "u64": entry("U64", [1], 10, 18)},
        bytes([255, 128]) + struct.pack("<hHIQ", -1, 65535, 2**32 - 1, 2**64 - 1)),
    "bad_f8_not_converted": file_bytes({"f8": entry("F8_E5M2", [1], 0, 1)}, b"\x01"),
    "bad_truncated_length": b"\x10\x00\x00",
    "bad_header_past_end": struct.pack("<Q", 1000) + b"{}",
    "bad_header_huge": struct.pack("<Q", 2**63) + b"{}",
    "bad_json": file_bytes(b'{"w":{"dtype":', pad=False),
    "bad_not_object": file_bytes(b"[1,2,3]", pad=False),
    "bad_nul_in_header": file_bytes(b"{}\x00{}", pad=False),
    "bad_deep_nesting": file_bytes(b"[" * 64 + b"]" * 64, pad=False),
    "bad_unknown_dtype": file_bytes({"w": entry("F31", [1], 0, 4)}, b"\0" * 4),
    "bad_size_mismatch": file_bytes({"w": entry("F32", [2, 2], 0, 12)}, b"\0" * 12),
    "bad_offsets_past_end": file_bytes({"w": entry("U8", [4], 100, 104)}, b"\0" * 4),
    "bad_begin_after_end": file_bytes({"w": {"dtype": "U8", "shape": [0], "data_offsets": [8, 4]}}, b"\0" * 8),
    "bad_overlap": file_bytes({"a": entry("F32", [2], 0, 8), "b": entry("F32", [2], 4, 12)}, b"\0" * 12),
    "bad_gap": file_bytes({"a": entry("F32", [1], 0, 4), "b": entry("F32", [1], 8, 12)}, b"\0" * 12),
    "bad_trailing_bytes": file_bytes({"a": entry("F32", [1], 0, 4)}, b"\0" * 9),
    "bad_negative_shape": file_bytes(b'{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', b"\0" * 4, pad=False),
    "bad_shape_overflow": file_bytes({"w": entry("F64", [2**32, 2**32], 0, 8)}, b"\0" * 8),
    "bad_shape_huge_times_zero": file_bytes({"w": entry("F32", [0, 2**64 - 1], 0, 0)}),
    "bad_metadata_number": file_bytes(b'{"__metadata__":{"epochs":3}}', pad=False),
    "bad_duplicate_name": file_bytes(
        b'{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"w":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}',
        b"\0\0", pad=False),
    "bad_extra_field": file_bytes({"w": {**entry("U8", [1], 0, 1), "strides": [1]}}, b"\0"),
    "bad_bool_value": file_bytes({"m": entry("BOOL", [1], 0, 1)}, b"\x07"),
    "bad_invalid_utf8": file_bytes(b'{"\xff":{}}', pad=False),
}

CORPUS.mkdir(exist_ok=True)
for name, data in seeds.items():
    (CORPUS / name).write_bytes(data)
shutil.copy(HERE.parent / "data" / "safetensors" / "reference.safetensors", CORPUS / "valid_reference")
print(f"{len(seeds) + 1} seeds in {CORPUS}")
