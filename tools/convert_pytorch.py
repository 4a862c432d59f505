#!/usr/bin/python3
"""Converts between the authors' PyTorch models and wrnn model files (docs/io.md, "Converting
PyTorch models").

  convert_pytorch.py to-wrnn CHECKPOINT MODEL.safetensors --act relu --readout-mode last_step
      CHECKPOINT: a torch.save()d state_dict of the authors' wave model (conv_rnn_model.py's
      coRNN), iRNN (rnn_model.py's coRNN) or locally connected model (sMNIST/loco_model.py's
      coRNN), plain or inside a dict (their checkpoint.tar keeps it under 'model_state_dict').
      Every size is read from the tensors' shapes; the activation and the readout's mode are not
      in a state_dict and must be given.
  convert_pytorch.py to-pytorch MODEL.safetensors STATE_DICT.pt [--wrap model_state_dict]
      A wrnn model file back to a state_dict that the authors' coRNN loads with
      load_state_dict(); prints the constructor arguments that build the matching module.

Exit status: 0 done, 1 a file that cannot be converted (the message names what was expected and
what was received), 2 a usage error.
"""
import argparse
import collections
import os
import pathlib
import pickle
import sys

import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from wrnn_model_file import (FORMAT_VERSION, FormatError, parameter_shapes,  # noqa: E402
                             model_metadata, read_safetensors, write_safetensors)

# The authors' names (their --act, --init, --solo_init flags) and wrnn's, to wrnn's.
ACTIVATIONS = {"relu": "relu", "tanh": "tanh", "ident": "identity", "identity": "identity"}
RECURRENT_INITS = {"eye": "identity", "identity": "identity", "fwd": "shift", "shift": "shift",
                   "rand": "random", "random": "random"}
INPUT_INITS = {"yes": "solo", "solo": "solo", "no": "normal", "normal": "normal",
               "pytorch": "pytorch"}
READOUT_MODES = {"every_step": "every_step", "every-step": "every_step",
                 "last_step": "last_step", "last-step": "last_step"}
# Where a checkpoint dict may keep the state_dict, tried in this order unless --key names one.
STATE_DICT_KEYS = ("model_state_dict", "state_dict", "model")
HALF_DTYPES = (torch.float16, torch.bfloat16)
READOUT_TEXT = {"linear": "a linear readout", "mlp": "an MLP readout"}
MODE_TEXT = {"every_step": "at every step", "last_step": "after the last step"}


class ConversionError(Exception):
    """Input that cannot be converted: exit status 1 with the message."""


def shape_text(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


# What a checkpoint of tensors, numbers, strings and containers needs unpickled: the tensor
# builders and OrderedDict (torch's own wrapper resolves the storage classes before asking).
# torch 1.13's weights_only=True refuses the floats in the authors' checkpoints (their 'lr'),
# so the restriction is done here; nothing else in a file is built, so no code in it runs.
ALLOWED_CLASSES = {("collections", "OrderedDict"), ("torch._utils", "_rebuild_tensor_v2"),
                   ("torch._utils", "_rebuild_parameter"), ("torch", "device"),
                   ("torch", "Size"), ("numpy.core.multiarray", "scalar"), ("numpy", "dtype"),
                   ("_codecs", "encode")}


class RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) not in ALLOWED_CLASSES:
            raise ConversionError(f"the file asks to build '{module}.{name}', which a checkpoint "
                                  "of tensors and numbers does not need; refused (no code from "
                                  "the file is run): save the model's state_dict() rather than "
                                  "the model")
        return super().find_class(module, name)


class RestrictedPickle:
    """The pickle_module torch.load() takes: its Unpickler and load()."""
    __name__ = "restricted_pickle"
    Unpickler = RestrictedUnpickler

    @staticmethod
    def load(file, **kwargs):
        return RestrictedUnpickler(file, **kwargs).load()


def load_state_dict(path, key):
    """The state_dict in a torch.save() file: the file's object itself, or its entry `key` (or the
    first of STATE_DICT_KEYS it has)."""
    # torch 1.13's load() replaces a pickle_module given with weights_only=False by its module
    # global `pickle`, so that global is the restricted one for the call.
    unrestricted = torch.serialization.pickle
    torch.serialization.pickle = RestrictedPickle
    try:
        loaded = torch.load(path, map_location="cpu", pickle_module=RestrictedPickle,
                            weights_only=False)
    except FileNotFoundError:
        raise ConversionError(f"'{path}': no such file") from None
    except ConversionError as error:
        raise ConversionError(f"'{path}': {error}") from None
    except Exception as error:  # torch raises many kinds for a file that is not its format
        raise ConversionError(f"'{path}': expected a file written by torch.save() holding a "
                              f"state_dict (tensors, numbers, strings, dicts), could not load it: "
                              f"{error}") from None
    finally:
        torch.serialization.pickle = unrestricted
    if not isinstance(loaded, dict):
        raise ConversionError(f"'{path}': expected a state_dict or a dict holding one, received "
                              f"a {type(loaded).__name__}")

    def is_state_dict(value):
        return isinstance(value, dict) and value and \
            all(isinstance(v, torch.Tensor) for v in value.values())

    if key is not None:
        if key not in loaded:
            raise ConversionError(f"'{path}': no entry '{key}' (--key); the file's entries: "
                                  f"{', '.join(map(str, loaded))}")
        if not is_state_dict(loaded[key]):
            raise ConversionError(f"'{path}': entry '{key}' is not a state_dict (a dict of "
                                  "tensors)")
        return dict(loaded[key]), f"entry '{key}'"
    if is_state_dict(loaded):
        return dict(loaded), "a plain state_dict"
    for candidate in STATE_DICT_KEYS:
        if is_state_dict(loaded.get(candidate)):
            return dict(loaded[candidate]), f"entry '{candidate}'"
    raise ConversionError(f"'{path}': expected a state_dict or a dict with one under "
                          f"{' / '.join(STATE_DICT_KEYS)} (or --key), received a dict with "
                          f"entries {', '.join(map(str, loaded))}")


def require(condition, message):
    if not condition:
        raise ConversionError(message)


def require_tensors(path, tensors, expected, extra_hint=""):
    """Every expected tensor present with its shape, and no other."""
    for name, shape in expected.items():
        require(name in tensors, f"'{path}': missing tensor '{name}' (expected shape "
                                 f"{shape_text(shape)})")
        require(list(tensors[name].shape) == shape,
                f"'{path}': tensor '{name}': expected shape {shape_text(shape)}, received "
                f"{shape_text(tensors[name].shape)}")
    extra = [name for name in tensors if name not in expected]
    require(not extra, f"'{path}': unexpected tensors {', '.join(extra)}{extra_hint}")


def tensor_shape(tensors, name, path, rank):
    require(name in tensors, f"'{path}': missing tensor '{name}' (the authors' models have "
                             f"cell.Wx, cell.Wy and readout); the state_dict holds "
                             f"{', '.join(tensors)}")
    shape = list(tensors[name].shape)
    require(len(shape) == rank, f"'{path}': tensor '{name}': expected {rank} dimensions, "
                                f"received shape {shape_text(shape)}")
    return shape


def check_flag(value, derived, flag, what, path):
    require(value is None or value == derived,
            f"'{path}': {flag} {value}, but the tensors give {what} {derived}")


def to_wrnn(args):
    path = args.checkpoint
    tensors, where = load_state_dict(path, args.key)
    # A model wrapped in nn.DataParallel saves every name with 'module.' in front.
    if all(name.startswith("module.") for name in tensors):
        tensors = {name[len("module."):]: value for name, value in tensors.items()}

    require("cell.Wy.weight" in tensors, f"'{path}': missing tensor 'cell.Wy.weight' (the "
                                         f"authors' models have cell.Wx, cell.Wy and readout); "
                                         f"the state_dict holds {', '.join(tensors)}")
    wy = list(tensors["cell.Wy.weight"].shape)
    model = {3: "wave", 2: "irnn", 5: "loco"}.get(len(wy))
    require(model is not None, f"'{path}': tensor 'cell.Wy.weight': expected [C, C, k] (the wave "
                               f"model's Conv1d), [N, N] (the iRNN's Linear) or [1, C, C, n, k] "
                               f"(the locally connected model's), received {shape_text(wy)}")
    layer = {"wave": "a Conv1d", "irnn": "a Linear", "loco": "a LocallyConnected1d"}[model]
    require(args.model is None or args.model == model,
            f"'{path}': --model {args.model}, but cell.Wy.weight of shape {shape_text(wy)} is "
            f"the {model} model's ({layer})")
    wx = tensor_shape(tensors, "cell.Wx.weight", path, 2)
    hidden, d = wx
    if model in ("wave", "loco"):
        if model == "loco":
            one, C, C_in, n_wy, k = wy
            require(one == 1 and C == C_in, f"'{path}': tensor 'cell.Wy.weight': expected "
                                            f"[1, C, C, n, k], received {shape_text(wy)}")
        else:
            C, C_in, k = wy
            require(C == C_in, f"'{path}': tensor 'cell.Wy.weight': expected [C, C, k], "
                               f"received {shape_text(wy)}")
        require(k % 2 == 1, f"'{path}': tensor 'cell.Wy.weight': expected an odd kernel size k "
                            f"(the authors' circular padding k//2 keeps the ring's length only "
                            f"then), received k = {k}")
        require(hidden % C == 0, f"'{path}': tensor 'cell.Wx.weight': expected C * n = a multiple "
                                 f"of C = {C} rows, received {hidden}")
        n = hidden // C
        require(model == "wave" or n_wy == n,
                f"'{path}': tensor 'cell.Wy.weight': expected [1, {C}, {C}, {n}, k] (n = {n} "
                f"from cell.Wx.weight), received {shape_text(wy)}")
        require(k // 2 <= n, f"'{path}': kernel size {k} needs rings of at least {k // 2} units, "
                             f"the tensors give {n}")
        check_flag(args.n_ch, C, "--n-ch", "channels", path)
        check_flag(args.n_hid, n, "--n-hid", "a ring size of", path)
        check_flag(args.ksize, k, "--ksize", "a kernel size of", path)
        expected = {"cell.Wx.weight": [hidden, d], "cell.Wx.bias": [hidden],
                    "cell.Wy.weight": [C, C, k], "cell.Wy.bias": [C]} if model == "wave" else {
            "cell.Wx.weight": [hidden, d], "cell.Wx.bias": [hidden],
            "cell.Wy.weight": [1, C, C, n, k], "cell.Wy.bias": [1, C, n]}
    else:
        require(wy[0] == wy[1] == hidden,
                f"'{path}': tensor 'cell.Wy.weight': expected [N, N] with N = {hidden} (the rows "
                f"of cell.Wx.weight), received {shape_text(wy)}")
        if args.n_hid is not None or args.n_ch is not None:
            given = (args.n_hid or hidden // (args.n_ch or 1)) * (args.n_ch or 1)
            require(given == hidden, f"'{path}': --n-hid x --n-ch = {given}, but the tensors "
                                     f"give N = {hidden} hidden units")
        expected = {"cell.Wx.weight": [hidden, d], "cell.Wx.bias": [hidden],
                    "cell.Wy.weight": [hidden, hidden], "cell.Wy.bias": [hidden]}
    check_flag(args.n_inp, d, "--n-inp", "an input size of", path)

    if "readout.weight" in tensors:
        o = tensor_shape(tensors, "readout.weight", path, 2)[0]
        readout = dict(readout_kind="linear", output_size=o)
        expected.update({"readout.weight": [o, hidden], "readout.bias": [o]})
    elif "readout.0.weight" in tensors:
        H = tensor_shape(tensors, "readout.0.weight", path, 2)[0]
        o = tensor_shape(tensors, "readout.2.weight", path, 2)[0]
        readout = dict(readout_kind="mlp", output_size=o, mlp_hidden=H)
        expected.update({"readout.0.weight": [H, hidden], "readout.0.bias": [H],
                         "readout.2.weight": [o, H], "readout.2.bias": [o]})
    else:
        raise ConversionError(f"'{path}': missing the readout: expected readout.weight (Linear) "
                              f"or readout.0.weight and readout.2.weight (the MLP decoder); the "
                              f"state_dict holds {', '.join(tensors)}")
    check_flag(args.n_out, o, "--n-out", "an output size of", path)

    require_tensors(path, tensors, expected, f" (the {model} model with "
                    f"{READOUT_TEXT[readout['readout_kind']]} has {', '.join(expected)})")

    dtypes = {tensors[name].dtype for name in expected}
    require(len(dtypes) == 1 and dtypes <= {torch.float32, torch.float64, *HALF_DTYPES},
            f"'{path}': expected every tensor in one of float32, float64, float16, bfloat16, "
            f"received {', '.join(sorted(str(t) for t in dtypes))}")
    dtype = dtypes.pop()
    if dtype in HALF_DTYPES:  # wrnn's models compute in float or double; the widening is exact
        dtype = torch.float32
    out = collections.OrderedDict()
    for name in expected:
        value = tensors[name].detach().to("cpu", dtype)
        bad = (~torch.isfinite(value)).flatten().nonzero().flatten().tolist()
        if bad:
            more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
            raise ConversionError(f"'{path}': tensor '{name}': expected finite values, received "
                                  f"{value.flatten()[bad[0]].item()} at element {bad[0]}{more}")
        out[name] = value

    ring = model in ("wave", "loco")
    meta = model_metadata(
        {"irnn": "dense"}.get(model, model), d, activation=ACTIVATIONS[args.act],
        channels=C if ring else None, ring_size=n if ring else None,
        kernel_size=k if ring else None,
        hidden_size=hidden if model == "irnn" else None,
        recurrent_init=RECURRENT_INITS[args.init], input_init=INPUT_INITS[args.solo_init],
        readout_mode=READOUT_MODES[args.readout_mode], dtype="F32" if dtype == torch.float32
        else "F64", **readout)
    write_safetensors(args.output, out, meta)
    sizes = f"C = {C}, n = {n}, k = {k}" if ring else f"N = {hidden}"
    print(f"{args.output}: the {model} model ({sizes}, d = {d}, {meta['wrnn.cell.activation']}) "
          f"with {READOUT_TEXT[readout['readout_kind']]} of {o} outputs "
          f"{MODE_TEXT[meta['wrnn.readout.mode']]}, {meta['wrnn.dtype']}, from {where} of {path}")
    return 0


def to_pytorch(args):
    path = args.model_file
    try:
        tensors, meta = read_safetensors(path)
    except FileNotFoundError:
        raise ConversionError(f"'{path}': no such file") from None
    except FormatError as error:
        raise ConversionError(str(error)) from None
    version = meta.get("wrnn.format_version")
    require(version == FORMAT_VERSION, f"'{path}': metadata 'wrnn.format_version': expected "
                                       f"'{FORMAT_VERSION}' (a wrnn model file), received "
                                       f"{version!r}")
    try:
        expected = parameter_shapes(meta)
    except FormatError as error:
        raise ConversionError(f"'{path}': {error}") from None
    require_tensors(path, tensors, expected)
    state_dict = collections.OrderedDict((name, tensors[name].clone()) for name in expected)
    target = pathlib.Path(args.output)
    temporary = target.with_name(target.name + ".partial")
    torch.save({args.wrap: state_dict} if args.wrap else state_dict, temporary)
    os.replace(temporary, target)

    cell, mode = meta["wrnn.cell"], meta["wrnn.readout.mode"]
    d, o = meta["wrnn.cell.input_size"], meta["wrnn.readout.output_size"]
    act = {"identity": "ident"}.get(meta.get("wrnn.cell.activation"), meta.get(
        "wrnn.cell.activation"))
    if cell in ("wave", "loco"):
        source = "conv_rnn_model.py" if cell == "wave" else "loco_model.py"
        module = (f"{source}'s coRNN with n_inp={d}, "
                  f"n_hid={meta['wrnn.cell.ring_size']}, n_out={o}, "
                  f"n_ch={meta['wrnn.cell.channels']}, act='{act}', "
                  f"ksize={meta['wrnn.cell.kernel_size']}")
    elif cell == "dense":
        module = (f"rnn_model.py's coRNN with n_inp={d}, "
                  f"n_hid={meta['wrnn.cell.hidden_size']}, n_out={o}, n_ch=1, act='{act}'")
    else:
        module = f"a module whose cell is torch.nn.{cell.upper()}({d}, " \
                 f"{meta['wrnn.cell.hidden_size']})"
    mlp = (f", an MLP decoder of {meta['wrnn.readout.mlp_hidden']} hidden units"
           if meta["wrnn.readout.kind"] == "mlp" else "")
    under = f" under '{args.wrap}'" if args.wrap else ""
    print(f"{args.output}: {len(state_dict)} tensors{under} for {module}{mlp}, read out "
          f"{MODE_TEXT[mode]}")
    return 0


def parser():
    top = argparse.ArgumentParser(
        prog="convert_pytorch.py",
        description="Converts between the authors' PyTorch models (conv_rnn_model.py, "
                    "rnn_model.py, loco_model.py) and wrnn model files.")
    commands = top.add_subparsers(dest="command", required=True)

    wrnn = commands.add_parser(
        "to-wrnn", help="a torch.save()d state_dict or checkpoint to a wrnn model file",
        description="Sizes, the model (wave, iRNN or loco) and the readout's kind (linear or "
                    "MLP) are read from the tensors' shapes; the optional size flags only check "
                    "them.")
    wrnn.add_argument("checkpoint", help="torch.save() file: a state_dict or a dict holding one")
    wrnn.add_argument("output", help="the wrnn model file to write (.safetensors)")
    wrnn.add_argument("--act", "--activation", required=True, choices=sorted(ACTIVATIONS),
                      help="the cell's activation (the authors' --act; ident = identity)")
    wrnn.add_argument("--readout-mode", "--readout_mode", required=True,
                      choices=sorted(READOUT_MODES),
                      help="every_step: an output at every step (their copy task); last_step: "
                           "one after the last (adding, sMNIST, psMNIST, noisy CIFAR-10)")
    wrnn.add_argument("--key", help="the checkpoint dict's entry holding the state_dict "
                                    f"(default: the first of {', '.join(STATE_DICT_KEYS)}, or "
                                    "the whole file when it is a state_dict)")
    wrnn.add_argument("--model", choices=("wave", "irnn", "loco"),
                      help="check that the file is this model (conv_rnn_model.py's, "
                           "rnn_model.py's or loco_model.py's)")
    for flag, what in (("n-inp", "input size"), ("n-hid", "ring size (wave, loco) or hidden units "
                       "per channel (iRNN)"), ("n-ch", "channels"), ("ksize", "kernel size"),
                       ("n-out", "output size")):
        wrnn.add_argument(f"--{flag}", f"--{flag.replace('-', '_')}", type=int,
                          dest=flag.replace("-", "_"), metavar="N",
                          help=f"check the {what} (the authors' --{flag.replace('-', '_')})")
    wrnn.add_argument("--init", default="eye", choices=sorted(RECURRENT_INITS),
                      help="recorded as wrnn.cell.recurrent_init: how training began (the "
                           "authors' --init, default eye)")
    wrnn.add_argument("--solo-init", "--solo_init", default="no", choices=sorted(INPUT_INITS),
                      help="recorded as wrnn.cell.input_init (the authors' --solo_init: yes = "
                           "solo, no = normal; default no)")
    wrnn.set_defaults(run=to_wrnn)

    pytorch = commands.add_parser(
        "to-pytorch", help="a wrnn model file to a state_dict for the authors' module")
    pytorch.add_argument("model_file", help="the wrnn model file (.safetensors)")
    pytorch.add_argument("output", help="the torch.save() file to write")
    pytorch.add_argument("--wrap", metavar="KEY",
                         help="save {KEY: state_dict} (as in their checkpoint.tar: "
                              "model_state_dict) instead of the plain state_dict")
    pytorch.set_defaults(run=to_pytorch)
    return top


def main(argv=None):
    args = parser().parse_args(argv)  # exits 2 on a usage error
    try:
        return args.run(args)
    except ConversionError as error:
        print(f"convert_pytorch.py: error: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"convert_pytorch.py: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
