"""Convert a PyTorch SVLRM checkpoint into an svlrm weights file (safetensors).

Why this exists: public SVLRM re-implementations publish torch.save() pickles
with their own parameter names; the C++ library reads only the documented
safetensors format (docs/weights-format.md). This command finds the
convolutions, infers and validates the layer list from their shapes, and
writes the tensors and the metadata the C++ loader requires.
"""

import argparse
import inspect
import io
import math
import pickle
import re
import sys
import zipfile
from collections import OrderedDict

import numpy as np
import torch

from . import safetensors_io
from .svlrm_net import (ACTIVATIONS, INPUT_NORMALISATIONS, INPUT_ORDERS, OUTPUT_ORDERS, SVLRMNet,
                       format_layers)

WRAPPER_KEYS = ("state_dict", "model", "net")
DATA_PARALLEL_PREFIX = "module."
LAYER_NAME = re.compile(r"layers\.(0|[1-9][0-9]*)")

DESCRIPTION = """\
Convert a PyTorch SVLRM checkpoint to an svlrm weights file (safetensors,
docs/weights-format.md) and print a one-line summary.

CHECKPOINT is a torch.save()d state_dict, or a dict holding one under
'state_dict', 'model' or 'net' (looked up in that order, repeatedly, so
{'model': {'state_dict': ...}} works too). Non-tensor entries are ignored. A
leading 'module.' (torch.nn.DataParallel) is stripped from every key that has
one.

Safety: the checkpoint is read with torch.load(map_location='cpu',
weights_only=True), which only rebuilds tensors and plain containers, so a
hostile pickle cannot run code. Torch 1.13's weights_only reader rejects float
values (learning rates, losses stored beside the weights); such a file is read
again, by this script, with an unpickler whose only globals are OrderedDict,
storage types and tensor rebuilders, equally unable to run code (zip-format
checkpoints, torch >= 1.6, only). A torch without weights_only (older
than 1.13) is refused rather than unpickling unsafely.

Layers: every 4-D tensor named '<prefix>.weight' is a convolution kernel
[out, in, k, k]; its bias must be the 1-D tensor '<prefix>.bias' of length out.
Any other tensor (e.g. a normalisation layer's statistics) is an error, because
dropping it silently would change the network. Without --map, the layers are
taken in the checkpoint's stored (state_dict) order, which is the layer order
of a plain sequential model. The list is then validated: first layer takes 2
channels, last produces 2, channels chain, kernels are square, odd, 1..15.

--map SRC=DST (repeatable) renames keys before that, after 'module.' is
stripped: a key equal to SRC, or starting with SRC followed by '.', has that
leading SRC replaced by DST. So '--map conv1=layers.0' renames conv1.weight and
conv1.bias (but not conv10.weight) to layers.0.weight and layers.0.bias. Every
SRC must match at least one key, no key may match two SRCs, and no two keys may
end up with the same name. When any --map is given, the layer order comes from
the names, not from the stored order: after renaming, every convolution must be
named 'layers.<i>' with i = 0..L-1, each once. Use it for checkpoints whose
stored order is not the layer order, e.g.
  --map conv1=layers.0 --map conv2=layers.1 ... --map conv12=layers.11
"""


STORAGE_DTYPES = {
    "DoubleStorage": torch.float64, "FloatStorage": torch.float32, "HalfStorage": torch.float16,
    "BFloat16Storage": torch.bfloat16, "LongStorage": torch.int64, "IntStorage": torch.int32,
    "ShortStorage": torch.int16, "CharStorage": torch.int8, "ByteStorage": torch.uint8,
    "BoolStorage": torch.bool}


def _rebuild_tensor(storage, offset, size, stride, *_):
    return torch.as_strided(storage, size, stride, offset).clone()


def _rebuild_parameter(data, *_):
    return data


class _TensorOnlyUnpickler(pickle.Unpickler):
    """Unpickler for torch's zip checkpoints that builds tensors and containers only.

    Torch 1.13's weights_only reader rejects float values (pickle opcode BINFLOAT),
    which ordinary checkpoints hold beside the weights (learning rates, losses),
    and this torch ignores torch.load's pickle_module when weights_only is off.
    So this fallback reads the zip itself, and its only globals are OrderedDict,
    storage dtypes and its own tensor rebuilders: it cannot call other code.
    """

    GLOBALS = {("collections", "OrderedDict"): OrderedDict,
               ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
               ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
               ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter}

    def __init__(self, archive, root):
        super().__init__(io.BytesIO(archive.read(root + "data.pkl")), encoding="utf-8")
        self.archive, self.root = archive, root

    def find_class(self, module, name):
        if module == "torch" and name in STORAGE_DTYPES:
            return STORAGE_DTYPES[name]
        if (module, name) in self.GLOBALS:
            return self.GLOBALS[(module, name)]
        raise pickle.UnpicklingError(f"global {module}.{name} is not allowed in a checkpoint")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"
                and isinstance(pid[1], torch.dtype)):
            raise pickle.UnpicklingError(f"unexpected persistent id {pid!r}")
        data = bytearray(self.archive.read(f"{self.root}data/{pid[2]}"))
        return torch.frombuffer(data, dtype=pid[1]) if data else torch.empty(0, dtype=pid[1])


def _load_tensor_only(path):
    """Read a zip-format torch.save() file with _TensorOnlyUnpickler."""
    with zipfile.ZipFile(path) as archive:
        pickles = [n for n in archive.namelist() if n.endswith("/data.pkl")]
        if len(pickles) != 1:
            raise ValueError("not a single-object torch zip checkpoint")
        root = pickles[0][:-len("data.pkl")]
        if root + "byteorder" in archive.namelist() and \
                archive.read(root + "byteorder") != b"little":
            raise ValueError("big-endian checkpoints are not supported")
        return _TensorOnlyUnpickler(archive, root).load()


def load_checkpoint(path):
    """Read CHECKPOINT safely; return its state_dict (name -> tensor) in stored order."""
    if "weights_only" not in inspect.signature(torch.load).parameters:
        raise ValueError(f"this torch ({torch.__version__}) has no weights_only loading; "
                         "refusing to unpickle an untrusted checkpoint")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as weights_only_err:  # torch raises many types for bad pickles
        try:
            obj = _load_tensor_only(path)
        except Exception as err:
            # torch's own message advises weights_only=False: keep only its diagnosis.
            reason = str(weights_only_err).split("WeightsUnpickler error:")[-1].strip()
            raise ValueError(f"cannot load checkpoint {path}: {err} (torch weights_only "
                             f"loader: {reason})") from None
    while isinstance(obj, dict) and not any(torch.is_tensor(v) for v in obj.values()):
        inner = next((obj[k] for k in WRAPPER_KEYS if isinstance(obj.get(k), dict)), None)
        if inner is None:
            break
        obj = inner
    if not isinstance(obj, dict):
        raise ValueError(f"checkpoint {path} holds a {type(obj).__name__}, not a state_dict")
    state = OrderedDict()
    for key, value in obj.items():
        if torch.is_tensor(value):
            name = key[len(DATA_PARALLEL_PREFIX):] if key.startswith(DATA_PARALLEL_PREFIX) else key
            if name in state:
                raise ValueError(f"key {name!r} occurs both with and without 'module.'")
            state[name] = value
    if not state:
        raise ValueError(f"checkpoint {path}: no tensors found (looked under "
                         f"{', '.join(WRAPPER_KEYS)})")
    return state


def parse_map(items):
    """'SRC=DST' strings -> [(SRC, DST)]."""
    pairs = []
    for item in items:
        src, sep, dst = item.partition("=")
        if not sep or not src or not dst:
            raise ValueError(f"--map {item!r}: expected SRC=DST")
        pairs.append((src, dst))
    return pairs


def apply_map(state, pairs):
    """Rename keys by leading-component prefix, as described in --help."""
    renamed = OrderedDict()
    used = set()
    for key, value in state.items():
        hits = [(src, dst) for src, dst in pairs if key == src or key.startswith(src + ".")]
        if len(hits) > 1:
            raise ValueError(f"--map: key {key!r} matches several sources: "
                             f"{', '.join(src for src, _ in hits)}")
        name = key
        if hits:
            src, dst = hits[0]
            name = dst + key[len(src):]
            used.add(src)
        if name in renamed:
            raise ValueError(f"--map: two keys become {name!r}")
        renamed[name] = value
    unused = [src for src, _ in pairs if src not in used]
    if unused:
        raise ValueError(f"--map: no key matches {', '.join(unused)}")
    return renamed


def find_layers(state, by_name):
    """Pair convolution kernels with biases; return [(prefix, weight, bias)] in layer order."""
    convs = []
    claimed = set()
    for key, value in state.items():
        if value.dim() != 4:
            continue
        if key != "weight" and not key.endswith(".weight"):
            raise ValueError(f"4-D tensor {key!r} is not named '<prefix>.weight'")
        prefix = key[:-len(".weight")] if key != "weight" else ""
        bias_key = key[:-len("weight")] + "bias"
        bias = state.get(bias_key)
        if bias is None:
            raise ValueError(f"convolution {key!r} has no bias {bias_key!r}")
        if bias.dim() != 1 or bias.shape[0] != value.shape[0]:
            raise ValueError(f"bias {bias_key!r} has shape {list(bias.shape)}, "
                             f"expected [{value.shape[0]}]")
        if value.shape[2] != value.shape[3]:
            raise ValueError(f"convolution {prefix!r}: kernel {value.shape[2]}x{value.shape[3]} "
                             "is not square")
        convs.append((prefix, value, bias))
        claimed.update((key, bias_key))
    extra = [f"{k} {list(v.shape)}" for k, v in state.items() if k not in claimed]
    if extra:
        raise ValueError("tensors that are not a convolution or its bias: " + ", ".join(extra))
    if not convs:
        raise ValueError("no convolution kernels (4-D '<prefix>.weight' tensors) found")
    if by_name:
        index = {}
        for prefix, weight, bias in convs:
            match = LAYER_NAME.fullmatch(prefix)
            if match is None:
                raise ValueError(f"with --map every convolution must become 'layers.<i>', "
                                 f"but {prefix!r} did not")
            index[int(match.group(1))] = (prefix, weight, bias)
        if sorted(index) != list(range(len(convs))):
            raise ValueError(f"with --map the layers must be numbered 0..{len(convs) - 1}, "
                             f"got {sorted(index)}")
        convs = [index[i] for i in range(len(convs))]
    return convs


def build_net(state, by_name=False, **options):
    """An SVLRMNet (float32) holding the checkpoint's convolutions; options go to SVLRMNet."""
    convs = find_layers(state, by_name)
    layers = [(w.shape[1], w.shape[0], w.shape[2]) for _, w, _ in convs]
    try:
        net = SVLRMNet(layers, **options)
    except ValueError as err:
        order = ", ".join(f"{i}={prefix}" for i, (prefix, _, _) in enumerate(convs))
        raise ValueError(f"{err} (layers {format_layers(layers)}; layer order {order})") from None
    weights = OrderedDict()
    for i, (_, weight, bias) in enumerate(convs):
        weights[f"layers.{i}.weight"] = weight
        weights[f"layers.{i}.bias"] = bias
    net.load_state_dict(weights, strict=True)
    return net


def save_model(path, net, dtype="f32"):
    """Write `net` as an svlrm weights file in dtype f32, f16 or bf16; return the dtype name."""
    tensors = {}
    for name, param in net.state_dict().items():
        values = param.detach().cpu().to(torch.float32).numpy()
        if dtype == "f32":
            tensors[name] = values
        elif dtype == "f16":
            tensors[name] = values.astype(np.float16)
        elif dtype == "bf16":
            tensors[name] = safetensors_io.to_bf16_bits(values)
        else:
            raise ValueError(f"dtype must be f32, f16 or bf16, got {dtype!r}")
        stored = (safetensors_io.from_bf16_bits(tensors[name]) if dtype == "bf16"
                  else tensors[name])
        if not np.all(np.isfinite(stored)):
            raise ValueError(f"{name}: parameter not finite in {dtype} (NaN or overflow)")
    safetensors_io.save(path, tensors, net.metadata())
    return dtype.upper()


def check_scale(text):
    """--scale must be a positive finite number (kept as the given text)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"--scale {text!r} is not a positive number")


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python3 -m tools.export", description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint", metavar="CHECKPOINT", help="torch.save()d checkpoint")
    parser.add_argument("output", metavar="OUT.safetensors", help="weights file to write")
    parser.add_argument("--activation", choices=ACTIVATIONS, default="relu",
                        help="activation the model was trained with (default relu, as the paper)")
    parser.add_argument("--slope", type=float, default=0.1,
                        help="negative slope of leaky_relu (default 0.1)")
    parser.add_argument("--input-order", choices=INPUT_ORDERS, default="input,guide",
                        metavar="|".join(INPUT_ORDERS),
                        help="order of the network's input channels (default input,guide)")
    parser.add_argument("--output-order", choices=OUTPUT_ORDERS, default="alpha,beta",
                        metavar="|".join(OUTPUT_ORDERS),
                        help="order of the network's output channels (default alpha,beta)")
    parser.add_argument("--map", action="append", default=[], metavar="SRC=DST",
                        help="rename keys by prefix; see above (repeatable)")
    parser.add_argument("--task", help="e.g. depth_upsampling, depth_restoration, denoising")
    parser.add_argument("--scale", help="upsampling factor the model was trained for, e.g. 8")
    parser.add_argument("--input-normalisation", choices=INPUT_NORMALISATIONS,
                        help="valid_range for a model trained on inputs stretched per image to "
                             "[0, 1] over their nonzero pixels (default: key left out, = none)")
    parser.add_argument("--depth-encoding",
                        help="informational: depth encodings trained on, e.g. metric,inverse")
    parser.add_argument("--training-data", help="free text: what it was trained on")
    parser.add_argument("--description", help="free text")
    parser.add_argument("--dtype", choices=("f32", "f16", "bf16"), default="f32",
                        help="storage type of the parameters (default f32)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    extra = {key: value for key, value in (
        ("task", args.task), ("scale", args.scale),
        ("input_normalisation", args.input_normalisation),
        ("depth_encoding", args.depth_encoding),
        ("training_data", args.training_data), ("description", args.description))
        if value is not None}
    try:
        if args.scale is not None:
            check_scale(args.scale)
        state = load_checkpoint(args.checkpoint)
        pairs = parse_map(args.map)
        if pairs:
            state = apply_map(state, pairs)
        net = build_net(state, by_name=bool(pairs), activation=args.activation,
                        slope=args.slope, input_order=args.input_order,
                        output_order=args.output_order, extra_metadata=extra)
        stored = save_model(args.output, net, args.dtype)
    except ValueError as err:
        sys.exit(f"export.py: error: {err}")
    count = sum(p.numel() for p in net.parameters())
    activation = args.activation + (f"({args.slope:g})" if args.activation == "leaky_relu" else "")
    print(f"{args.output}: {len(net.layer_spec)} layers {format_layers(net.layer_spec)}, "
          f"{activation}, {args.input_order} -> {args.output_order}, {count} parameters "
          f"as {stored}, from {args.checkpoint} ({'--map' if pairs else 'stored'} order)")


if __name__ == "__main__":
    main()
