"""wrnn model files from Python: safetensors reading and writing, and the metadata of
include/wrnn/io/model_file.hpp (tools/convert_pytorch.py and tests/pytorch_roundtrip.py use it).

Debian's torch 1.13 has no safetensors support, so the format (8-byte little-endian header
length, JSON header, row-major little-endian data) is read and written here with struct + json.
"""
import json
import math
import os
import pathlib
import struct

import torch

DTYPES = {"F32": torch.float32, "F64": torch.float64}
NAMES = {value: key for key, value in DTYPES.items()}
ITEM_SIZES = {"F32": 4, "F64": 8}
FORMAT_VERSION = "1"


class FormatError(ValueError):
    """A file that is not what it should be; the message names the file and what is wrong."""


def write_safetensors(path, tensors, metadata):
    """Writes float32/float64 tensors (in the given order) and string metadata."""
    header = {"__metadata__": dict(metadata)}
    buffer = b""
    for name, tensor in tensors.items():
        if tensor.dtype not in NAMES:
            raise FormatError(f"tensor '{name}': expected float32 or float64, received "
                              f"{tensor.dtype}")
        data = tensor.detach().contiguous().cpu().numpy().astype(
            "<f4" if tensor.dtype == torch.float32 else "<f8").tobytes()
        header[name] = {"dtype": NAMES[tensor.dtype], "shape": list(tensor.shape),
                        "data_offsets": [len(buffer), len(buffer) + len(data)]}
        buffer += data
    text = json.dumps(header).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    # Written beside the target and renamed over it: a failed write leaves no half file.
    target = pathlib.Path(path)
    temporary = target.with_name(target.name + ".partial")
    temporary.write_bytes(struct.pack("<Q", len(text)) + text + buffer)
    os.replace(temporary, target)


def read_safetensors(path):
    """(tensors, metadata) of an F32/F64 safetensors file; FormatError names what is wrong."""
    data = pathlib.Path(path).read_bytes()
    if len(data) < 8:
        raise FormatError(f"'{path}': expected a safetensors file (at least 8 bytes), received "
                          f"{len(data)} bytes")
    (length,) = struct.unpack("<Q", data[:8])
    if length > len(data) - 8:
        raise FormatError(f"'{path}': header length {length} exceeds the {len(data) - 8} bytes "
                          "after it: not a safetensors file")
    try:
        header = json.loads(data[8:8 + length].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise FormatError(f"'{path}': the header is not JSON ({error}): not a safetensors "
                          "file") from None
    if not isinstance(header, dict):
        raise FormatError(f"'{path}': expected a JSON object as header, received "
                          f"{type(header).__name__}")
    metadata = header.pop("__metadata__", {}) or {}
    buffer = data[8 + length:]
    tensors = {}
    for name, entry in header.items():
        try:
            dtype, shape, (begin, end) = entry["dtype"], entry["shape"], entry["data_offsets"]
        except (TypeError, KeyError, ValueError):
            raise FormatError(f"'{path}': tensor '{name}': expected dtype, shape and "
                              f"data_offsets, received {entry!r}") from None
        if dtype not in DTYPES:
            raise FormatError(f"'{path}': tensor '{name}': expected dtype F32 or F64, received "
                              f"'{dtype}'")
        size = ITEM_SIZES[dtype]
        if not (0 <= begin <= end <= len(buffer)) or end - begin != math.prod(shape) * size:
            raise FormatError(f"'{path}': tensor '{name}' of shape {shape} ({dtype}) needs "
                              f"{math.prod(shape) * size} bytes, its data_offsets [{begin}, {end}] "
                              f"in a buffer of {len(buffer)} bytes")
        flat = torch.frombuffer(bytearray(buffer[begin:end]), dtype=DTYPES[dtype]) \
            if end > begin else torch.zeros(0, dtype=DTYPES[dtype])
        tensors[name] = flat.reshape(shape)
    return tensors, metadata


def model_metadata(cell, input_size, *, activation=None, channels=None, ring_size=None,
                   kernel_size=None, hidden_size=None, recurrent_init="random",
                   input_init="normal", readout_kind="linear", readout_mode="every_step",
                   output_size=1, mlp_hidden=100, dtype="F32"):
    """The metadata save_model() writes for a model of this structure (every value a string)."""
    meta = {"wrnn.format_version": FORMAT_VERSION, "wrnn.cell": cell, "wrnn.dtype": dtype,
            "wrnn.cell.input_size": str(input_size)}
    if cell in ("wave", "loco"):
        meta.update({"wrnn.cell.channels": str(channels), "wrnn.cell.ring_size": str(ring_size),
                     "wrnn.cell.kernel_size": str(kernel_size)})
    else:
        meta["wrnn.cell.hidden_size"] = str(hidden_size)
    if cell in ("wave", "dense", "loco"):
        meta.update({"wrnn.cell.activation": activation, "wrnn.cell.recurrent_init": recurrent_init,
                     "wrnn.cell.input_init": input_init})
    meta.update({"wrnn.readout.kind": readout_kind, "wrnn.readout.mode": readout_mode,
                 "wrnn.readout.output_size": str(output_size),
                 "wrnn.readout.mlp_hidden": str(mlp_hidden)})
    return meta


def parameter_shapes(meta):
    """{name: shape} of every parameter of the model the metadata describes, in wrnn's order."""
    def size(key):
        text = meta.get(key)
        if text is None:
            raise FormatError(f"missing metadata key '{key}'")
        if not text.isdigit() or int(text) <= 0:
            raise FormatError(f"metadata '{key}': expected a positive integer, received '{text}'")
        return int(text)

    kind, d = meta.get("wrnn.cell"), size("wrnn.cell.input_size")
    if kind == "wave":
        C, n, k = size("wrnn.cell.channels"), size("wrnn.cell.ring_size"), \
            size("wrnn.cell.kernel_size")
        hidden = C * n
        shapes = {"cell.Wx.weight": [hidden, d], "cell.Wx.bias": [hidden],
                  "cell.Wy.weight": [C, C, k], "cell.Wy.bias": [C]}
    elif kind == "loco":
        C, n, k = size("wrnn.cell.channels"), size("wrnn.cell.ring_size"), \
            size("wrnn.cell.kernel_size")
        hidden = C * n
        shapes = {"cell.Wx.weight": [hidden, d], "cell.Wx.bias": [hidden],
                  "cell.Wy.weight": [1, C, C, n, k], "cell.Wy.bias": [1, C, n]}
    elif kind == "dense":
        hidden = size("wrnn.cell.hidden_size")
        shapes = {"cell.Wx.weight": [hidden, d], "cell.Wx.bias": [hidden],
                  "cell.Wy.weight": [hidden, hidden], "cell.Wy.bias": [hidden]}
    elif kind in ("lstm", "gru"):
        hidden = size("wrnn.cell.hidden_size")
        gates = (4 if kind == "lstm" else 3) * hidden
        shapes = {"cell.weight_ih_l0": [gates, d], "cell.weight_hh_l0": [gates, hidden],
                  "cell.bias_ih_l0": [gates], "cell.bias_hh_l0": [gates]}
    else:
        raise FormatError(f"metadata 'wrnn.cell': expected wave, dense, lstm, gru or loco, "
                          f"received '{kind}'")
    o = size("wrnn.readout.output_size")
    readout = meta.get("wrnn.readout.kind")
    if readout == "linear":
        shapes.update({"readout.weight": [o, hidden], "readout.bias": [o]})
    elif readout == "mlp":
        H = size("wrnn.readout.mlp_hidden")
        shapes.update({"readout.0.weight": [H, hidden], "readout.0.bias": [H],
                       "readout.2.weight": [o, H], "readout.2.bias": [o]})
    else:
        raise FormatError(f"metadata 'wrnn.readout.kind': expected linear or mlp, received "
                          f"'{readout}'")
    return shapes
