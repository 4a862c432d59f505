#!/usr/bin/python3
"""ctest convert_pytorch: tools/convert_pytorch.py on the authors' models, both ways.

  convert_pytorch_roundtrip.py CONVERTER MODEL_FILE_OUTPUTS WORKDIR

The authors' modules are rebuilt here from the equations of docs/model.md (the cells of
tests/pytorch_roundtrip.py, put together as their coRNN: cell.Wx, cell.Wy, readout, with their
n_hid / n_ch sizes) with random weights and saved as the authors' scripts save them: a plain
state_dict, and their checkpoint.tar dict ('model_state_dict' beside the optimizer's state, the
epoch, the learning rate and the loss). For each:
  - to-wrnn: the file's metadata must be the literal expected entries and its tensors the
    state_dict's, bit for bit; wrnn (MODEL_FILE_OUTPUTS, which rebuilds the model from the file
    alone) must give PyTorch's outputs on random inputs within 1e-5 (F32; 1e-12 F64) relative to
    max(1, |y|), and a file converted with the wrong activation must not;
  - to-pytorch: the file back to a state_dict that the module loads (strict) with every tensor
    identical and the same outputs.
Then bad inputs must be refused with exit status 1 (bad file) or 2 (usage) and a message naming
what was expected and what was received. Exits 77 (skipped) when torch cannot be imported.
"""
import contextlib
import io
import pathlib
import subprocess
import sys

try:
    import torch
    from torch import nn
except ImportError:
    print(f"SKIPPED: {sys.executable} cannot import torch (Debian: apt-get install python3-torch)")
    sys.exit(77)

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tools"))
import convert_pytorch  # noqa: E402
from pytorch_roundtrip import DenseCell, WaveCell  # noqa: E402
from wrnn_model_file import read_safetensors, write_safetensors  # noqa: E402

TOLERANCE = {torch.float32: 1e-5, torch.float64: 1e-12}
STEPS, BATCH = 9, 3


class LocoCell(nn.Module):
    """The locally connected cell (docs/model.md): a circular recurrence whose kernel
    Wy.weight[0, o, c, i, :] and bias Wy.bias[0, o, i] belong to unit i, with the authors'
    names and shapes (Wy.weight [1, C, C, n, k], Wy.bias [1, C, n])."""

    def __init__(self, d, C, n, k, activation):
        super().__init__()
        self.C, self.n, self.k = C, n, k
        self.activation = {"relu": torch.relu, "tanh": torch.tanh,
                           "identity": lambda z: z}[activation]
        self.Wx = nn.Linear(d, C * n)
        self.Wy = nn.Module()
        self.Wy.weight = nn.Parameter(torch.randn(1, C, C, n, k))
        self.Wy.bias = nn.Parameter(torch.randn(1, C, n))

    def forward(self, x, h):
        h = h.view(-1, self.C, self.n)
        z = self.Wy.bias.expand(h.shape[0], self.C, self.n)
        for j in range(self.k):  # unit i reads unit i + j - k // 2 of every channel
            z = z + torch.einsum("oci,bci->boi", self.Wy.weight[0, :, :, :, j],
                                 torch.roll(h, shifts=self.k // 2 - j, dims=2))
        return self.activation(z.flatten(1) + self.Wx(x))


class AuthorsModel(nn.Module):
    """The authors' coRNN: conv_rnn_model.py (wave), rnn_model.py (iRNN) or loco_model.py
    (loco), n_hid units per channel, n_ch channels, a Linear readout or their MLP decoder
    (mlp_hidden units)."""

    def __init__(self, model, n_inp, n_hid, n_out, n_ch, act, ksize, mlp_hidden, every_step):
        super().__init__()
        activation = {"ident": "identity"}.get(act, act)
        hidden = n_hid * n_ch
        self.hidden, self.every_step = hidden, every_step
        self.cell = WaveCell(n_inp, n_ch, n_hid, ksize, activation) if model == "wave" \
            else LocoCell(n_inp, n_ch, n_hid, ksize, activation) if model == "loco" \
            else DenseCell(n_inp, hidden, activation)
        self.readout = nn.Linear(hidden, n_out) if mlp_hidden is None else nn.Sequential(
            nn.Linear(hidden, mlp_hidden), nn.ReLU(), nn.Linear(mlp_hidden, n_out))

    def forward(self, inputs):  # [T, B, d] -> [T, B, o] or [B, o]
        h = inputs.new_zeros(inputs.shape[1], self.hidden)
        outputs = []
        for t in range(inputs.shape[0]):
            h = self.cell(inputs[t], h)
            outputs.append(self.readout(h))
        return torch.stack(outputs) if self.every_step else outputs[-1]


# name: (model, n_inp, n_hid, n_out, n_ch, act, ksize, mlp hidden, every step, dtype, saved as)
CONFIGS = {
    "wave_copy": ("wave", 3, 10, 4, 2, "relu", 3, None, True, torch.float32, "plain"),
    "wave_psmnist_mlp": ("wave", 1, 9, 5, 3, "tanh", 5, 7, False, torch.float32, "checkpoint"),
    "irnn_adding": ("irnn", 2, 6, 1, 2, "ident", 3, None, False, torch.float32, "checkpoint"),
    "irnn_mlp_double": ("irnn", 2, 8, 3, 1, "relu", 3, 5, True, torch.float64, "plain"),
    "loco_smnist": ("loco", 1, 7, 4, 2, "tanh", 3, None, False, torch.float32, "checkpoint"),
    "loco_mlp_double": ("loco", 2, 5, 3, 3, "relu", 5, 6, True, torch.float64, "plain"),
}

failures = []


def check(condition, message):
    print(("ok   " if condition else "FAIL ") + message)
    if not condition:
        failures.append(message)


def convert(args):
    """convert_pytorch.main(args) in this process: (exit status, stderr)."""
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
        try:
            status = convert_pytorch.main([str(a) for a in args])
        except SystemExit as exit:  # argparse's usage errors
            status = exit.code
    return status, stderr.getvalue()


def save_authors_file(model, path, saved_as):
    if saved_as == "plain":
        torch.save(model.state_dict(), path)
        return
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss = model(torch.randn(STEPS, 2, model.cell.Wx.in_features, dtype=next(
        model.parameters()).dtype)).square().mean()
    loss.backward()
    optimizer.step()
    torch.save({"epoch": 3, "model_state_dict": model.state_dict(),
                "optimizer_state_dict": optimizer.state_dict(), "lr": 1e-3, "loss": loss}, path)


def wrnn_outputs(runner, model_file, inputs, work):
    write_safetensors(work / "inputs.safetensors", {"inputs": inputs}, {})
    result = subprocess.run([runner, model_file, work / "inputs.safetensors",
                             work / "outputs.safetensors"], capture_output=True, text=True)
    if result.returncode != 0:
        return None, result.stderr.strip()
    return read_safetensors(work / "outputs.safetensors")[0]["outputs"], ""


def relative_error(a, b):
    return ((a - b).abs() / b.abs().clamp(min=1.0)).max().item()


def expected_metadata(model, n_inp, n_hid, n_out, n_ch, act, ksize, mlp_hidden, every_step,
                      dtype):
    meta = {"wrnn.format_version": "1", "wrnn.dtype": "F32" if dtype == torch.float32 else "F64",
            "wrnn.cell.input_size": str(n_inp),
            "wrnn.cell.activation": {"ident": "identity"}.get(act, act),
            "wrnn.cell.recurrent_init": "identity", "wrnn.cell.input_init": "normal",
            "wrnn.readout.kind": "linear" if mlp_hidden is None else "mlp",
            "wrnn.readout.mode": "every_step" if every_step else "last_step",
            "wrnn.readout.output_size": str(n_out),
            "wrnn.readout.mlp_hidden": str(mlp_hidden or 100)}
    if model in ("wave", "loco"):
        meta.update({"wrnn.cell": model, "wrnn.cell.channels": str(n_ch),
                     "wrnn.cell.ring_size": str(n_hid), "wrnn.cell.kernel_size": str(ksize)})
    else:
        meta.update({"wrnn.cell": "dense", "wrnn.cell.hidden_size": str(n_hid * n_ch)})
    return meta


def round_trip(name, config, converter, runner, work):
    model_kind, n_inp, n_hid, n_out, n_ch, act, ksize, mlp_hidden, every_step, dtype, saved_as = \
        config
    model = AuthorsModel(*config[:9]).to(dtype)
    with torch.no_grad():
        for parameter in model.parameters():  # beyond PyTorch's small default range
            parameter.copy_(torch.randn_like(parameter) * 0.4)
    source = work / f"{name}.{'tar' if saved_as == 'checkpoint' else 'pt'}"
    save_authors_file(model, source, saved_as)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    mode = "every_step" if every_step else "last_step"
    wrnn_file = work / f"{name}.safetensors"
    args = ["to-wrnn", source, wrnn_file, "--act", act, "--readout-mode", mode,
            "--n-hid", n_hid, "--n-ch", n_ch, "--n-inp", n_inp, "--n-out", n_out]
    if name == "wave_copy":  # once through the command line, as a user runs it
        result = subprocess.run([converter, *map(str, args)], capture_output=True, text=True)
        status, stderr = result.returncode, result.stderr
    else:
        status, stderr = convert(args)
    check(status == 0, f"{name}: to-wrnn from a {saved_as} file ({stderr.strip()})")
    if status != 0:
        return
    tensors, meta = read_safetensors(wrnn_file)
    expected = expected_metadata(*config[:10])
    check(meta == expected, f"{name}: metadata {meta if meta != expected else ''}")
    check(list(tensors) == list(state) and all(
        tensors[k].dtype == dtype and torch.equal(tensors[k], state[k]) for k in state),
        f"{name}: the file's tensors are the state_dict's ({', '.join(tensors)})")

    inputs = torch.randn(STEPS, BATCH, n_inp, dtype=dtype)
    with torch.no_grad():
        reference = model(inputs)
    outputs, error_text = wrnn_outputs(runner, wrnn_file, inputs, work)
    check(outputs is not None and outputs.shape == reference.shape and relative_error(
        outputs, reference) <= TOLERANCE[dtype],
        f"{name}: wrnn's outputs {list(reference.shape)} on the converted file equal PyTorch's: "
        f"max error {relative_error(outputs, reference) if outputs is not None else error_text}")
    check(reference.max() > reference.min(), f"{name}: the outputs vary")
    wrong = {"relu": "tanh", "tanh": "relu", "ident": "tanh"}[act]
    convert(["to-wrnn", source, work / "wrong.safetensors", "--act", wrong, "--readout-mode",
             mode])
    outputs, _ = wrnn_outputs(runner, work / "wrong.safetensors", inputs, work)
    check(outputs is not None and relative_error(outputs, reference) > 1e-3,
          f"{name}: converted as {wrong}, wrnn's outputs differ from PyTorch's")

    wrap = ["--wrap", "model_state_dict"] if saved_as == "checkpoint" else []
    back = work / f"{name}.back.pt"
    status, stderr = convert(["to-pytorch", wrnn_file, back, *wrap])
    check(status == 0, f"{name}: to-pytorch {' '.join(wrap)} ({stderr.strip()})")
    loaded = torch.load(back)
    if wrap:
        loaded = loaded["model_state_dict"]
    fresh = AuthorsModel(*config[:9]).to(dtype)
    fresh.load_state_dict(loaded, strict=True)
    check(all(torch.equal(fresh.state_dict()[k], state[k]) for k in state),
          f"{name}: back in PyTorch, every tensor identical")
    with torch.no_grad():
        check(torch.equal(fresh(inputs), reference), f"{name}: back in PyTorch, the same outputs")


def refusals(work):
    torch.manual_seed(5)
    wave = AuthorsModel("wave", 2, 8, 3, 2, "relu", 3, None, True)
    good = work / "good.pt"
    torch.save(wave.state_dict(), good)
    out = work / "refused.safetensors"
    run = ["--act", "relu", "--readout-mode", "every_step"]

    def refused(what, args, status, *needles):
        code, stderr = convert(args)
        check(code == status and all(n in stderr for n in needles),
              f"refuses {what}: exit {code}, {stderr.strip().splitlines()[-1] if stderr else ''}")

    refused("a channel count the tensors contradict", ["to-wrnn", good, out, *run, "--n-ch", 5],
            1, "--n-ch 5", "channels 2")
    refused("--model irnn for a wave model", ["to-wrnn", good, out, *run, "--model", "irnn"],
            1, "--model irnn", "[2, 2, 3]")
    refused("a missing --act", ["to-wrnn", good, out, "--readout-mode", "last_step"], 2, "--act")
    refused("an unknown readout mode", ["to-wrnn", good, out, "--act", "relu", "--readout-mode",
                                        "sometimes"], 2, "sometimes")
    variants = {
        "an extra tensor": ({**wave.state_dict(), "cell.extra": torch.zeros(2)},
                            "unexpected tensors cell.extra"),
        "a missing readout": ({k: v for k, v in wave.state_dict().items()
                               if not k.startswith("readout")}, "missing the readout"),
        "a readout of the wrong width": ({**wave.state_dict(), "readout.weight": torch.zeros(3, 7)},
                                         "expected shape [3, 16], received [3, 7]"),
        "an even kernel": ({**wave.state_dict(), "cell.Wy.weight": torch.zeros(2, 2, 4)},
                           "odd kernel size"),
        "a value that is not finite": ({**wave.state_dict(), "cell.Wy.bias":
                                        torch.tensor([0.0, float("nan")])},
                                       "expected finite values, received nan at element 1"),
        "a dict without a state_dict": ({"epoch": 1, "lr": 0.1}, "entries epoch, lr"),
        "a whole pickled module": (wave, "refused"),
        "a loco kernel for another ring size": (
            {**AuthorsModel("loco", 2, 8, 3, 2, "relu", 3, None, True).state_dict(),
             "cell.Wy.weight": torch.zeros(1, 2, 2, 7, 3)},
            "expected [1, 2, 2, 8, k] (n = 8 from cell.Wx.weight), received [1, 2, 2, 7, 3]"),
    }
    for what, (content, needle) in variants.items():
        path = work / "variant.pt"
        torch.save(content, path)
        refused(what, ["to-wrnn", path, out, *run], 1, needle)
    refused("a file that is not torch's", ["to-wrnn", HERE / "convert_pytorch_roundtrip.py", out,
                                           *run], 1, "torch.save()")

    convert(["to-wrnn", good, out, *run])
    tensors, meta = read_safetensors(out)
    tensors["cell.Wx.weight"] = tensors["cell.Wx.weight"][:, :1].contiguous()
    write_safetensors(work / "tampered.safetensors", tensors, meta)
    refused("a wrnn file whose tensor contradicts its metadata", ["to-pytorch", work /
            "tampered.safetensors", work / "x.pt"], 1, "'cell.Wx.weight': expected shape [16, 2],"
            " received [16, 1]")
    refused("a file that is not a wrnn model file", ["to-pytorch", good, work / "x.pt"], 1,
            "not a safetensors file")


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    converter, runner, work = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
    work.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(2027)
    for name, config in CONFIGS.items():
        round_trip(name, config, converter, runner, work)
    refusals(work)
    print(f"{len(failures)} failures" if failures else "all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
