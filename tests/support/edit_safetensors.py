#!/usr/bin/python3
"""Writes a changed copy of a safetensors file, for tests of what a loader refuses.

Usage: edit_safetensors.py IN OUT EDIT...
  set-meta KEY VALUE     set (or add) a metadata entry
  drop-meta KEY          remove a metadata entry
  drop-tensor NAME       remove a tensor
  set-value NAME I X     element I (row-major) of an F32 or F64 tensor becomes X (nan, inf allowed)
  as-int64 NAME          store the tensor as I64 zeros of the same shape
  reshape NAME D0,D1,..  give the tensor another shape of the same element count

The layout written is the format's: an 8-byte little-endian header length, the JSON header, the
tensors' bytes back to back in header order.
"""
import json
import struct
import sys

SIZES = {"F64": 8, "F32": 4, "I64": 8, "I32": 4, "F16": 2, "BF16": 2, "U8": 1, "I8": 1, "BOOL": 1}
FORMATS = {"F64": "<d", "F32": "<f"}


def read(path):
    data = open(path, "rb").read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    buffer = data[8 + length:]
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        tensors[name] = {"dtype": info["dtype"], "shape": info["shape"],
                         "bytes": bytearray(buffer[begin:end])}
    return metadata, tensors


def write(path, metadata, tensors):
    header = {"__metadata__": metadata} if metadata else {}
    offset, chunks = 0, []
    for name, tensor in tensors.items():
        header[name] = {"dtype": tensor["dtype"], "shape": tensor["shape"],
                        "data_offsets": [offset, offset + len(tensor["bytes"])]}
        offset += len(tensor["bytes"])
        chunks.append(bytes(tensor["bytes"]))
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def main(argv):
    source, target, edits = argv[1], argv[2], argv[3:]
    metadata, tensors = read(source)
    i = 0
    while i < len(edits):
        op = edits[i]
        if op == "set-meta":
            metadata[edits[i + 1]] = edits[i + 2]
            i += 3
        elif op == "drop-meta":
            del metadata[edits[i + 1]]
            i += 2
        elif op == "drop-tensor":
            del tensors[edits[i + 1]]
            i += 2
        elif op == "set-value":
            tensor, index, value = tensors[edits[i + 1]], int(edits[i + 2]), float(edits[i + 3])
            fmt = FORMATS[tensor["dtype"]]
            size = struct.calcsize(fmt)
            tensor["bytes"][index * size:(index + 1) * size] = struct.pack(fmt, value)
            i += 4
        elif op == "as-int64":
            tensor = tensors[edits[i + 1]]
            count = len(tensor["bytes"]) // SIZES[tensor["dtype"]]
            tensor["dtype"], tensor["bytes"] = "I64", bytearray(8 * count)
            i += 2
        elif op == "reshape":
            tensors[edits[i + 1]]["shape"] = [int(d) for d in edits[i + 2].split(",")]
            i += 3
        else:
            sys.exit(f"edit_safetensors.py: unknown edit '{op}'")
    write(target, metadata, tensors)


if __name__ == "__main__":
    main(sys.argv)
