"""The SVLRM coefficient network in PyTorch (Pan et al., CVPR 2019).

Why this exists: it is the reference the C++ library is tested against. A plain
stack of stride-1, zero-padded, biased convolutions, with an activation after
every layer but the last, maps the target image I ("input") and the guidance G
("guide") to per-pixel coefficients alpha and beta; the filtered output is
F = alpha * G + beta (Eq. 5). Parameter names are `layers.{i}.weight` /
`layers.{i}.bias`, the tensor names of docs/weights-format.md, so a state_dict
is a weights file's tensor set.
"""

import math

import numpy as np
import torch
import torch.nn.functional as functional
from torch import nn

from . import safetensors_io

FORMAT_VERSION = "1"
PAPER_LAYERS = [(2, 64, 3)] + [(64, 64, 3)] * 10 + [(64, 2, 3)]
ACTIVATIONS = ("relu", "leaky_relu")
INPUT_ORDERS = ("input,guide", "guide,input")
OUTPUT_ORDERS = ("alpha,beta", "beta,alpha")
# Metadata key input_normalisation (docs/weights-format.md); absent means "none".
INPUT_NORMALISATIONS = ("none", "valid_range")
# Metadata keys this module writes from its own fields; any other key is carried along.
_OWN_KEYS = ("format", "format_version", "layers", "activation", "activation_slope",
             "input_order", "output_order")


def validate_layers(layers):
    """Check a layer list [(in, out, kernel), ...] against the format's rules.

    Raises ValueError naming the offending layer: first in must be 2 (I and G),
    last out must be 2 (alpha and beta), channels must chain, and kernels must be
    odd in 1..15 so that zero padding k//2 keeps the image size.
    """
    if not layers:
        raise ValueError("the network needs at least one layer")
    for i, (c_in, c_out, kernel) in enumerate(layers):
        if c_in < 1 or c_out < 1:
            raise ValueError(f"layer {i}: channel counts must be positive, got {c_in}->{c_out}")
        if kernel % 2 == 0 or not 1 <= kernel <= 15:
            raise ValueError(f"layer {i}: kernel size {kernel} must be odd and in 1..15")
        if i > 0 and c_in != layers[i - 1][1]:
            raise ValueError(f"layer {i}: takes {c_in} channels but layer {i - 1} "
                             f"produces {layers[i - 1][1]}")
    if layers[0][0] != 2:
        raise ValueError(f"layer 0: takes {layers[0][0]} channels, must take 2 (input and guide)")
    if layers[-1][1] != 2:
        raise ValueError(f"layer {len(layers) - 1}: produces {layers[-1][1]} channels, "
                         "must produce 2 (alpha and beta)")


def format_layers(layers):
    """The `layers` metadata string: comma-separated in:out:kernel."""
    return ",".join(f"{c_in}:{c_out}:{kernel}" for c_in, c_out, kernel in layers)


def parse_layers(text):
    """Inverse of format_layers; raises ValueError on malformed text."""
    layers = []
    for item in text.split(","):
        parts = item.split(":")
        if len(parts) != 3 or not all(p.isdigit() for p in parts):
            raise ValueError(f"layers: {item!r} is not in:out:kernel")
        layers.append(tuple(int(p) for p in parts))
    return layers


def input_normalisation_of(meta):
    """The metadata's input_normalisation ('none' when absent); ValueError if unknown."""
    value = meta.get("input_normalisation", "none")
    if value not in INPUT_NORMALISATIONS:
        raise ValueError(f"input_normalisation must be one of {INPUT_NORMALISATIONS}, "
                         f"got {value!r}")
    return value


class SVLRMNet(nn.Module):
    """Coefficient network: (input, guide) -> (alpha, beta).

    layers: [(in, out, kernel), ...], default the paper's 2->64, 10x 64->64, 64->2.
    activation: 'relu' (paper) or 'leaky_relu' with negative `slope`.
    input_order / output_order: channel order of the network's inputs / outputs.
    extra_metadata: other metadata keys (task, scale, input_normalisation,
    depth_encoding, ...) kept for metadata(); input_normalisation is checked and
    used by filter().
    """

    def __init__(self, layers=None, activation="relu", slope=0.1,
                 input_order="input,guide", output_order="alpha,beta", extra_metadata=None):
        super().__init__()
        layers = [tuple(layer) for layer in (layers or PAPER_LAYERS)]
        validate_layers(layers)
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
        if activation == "leaky_relu" and not math.isfinite(float(slope)):
            raise ValueError(f"activation_slope must be finite, got {slope!r}")
        if input_order not in INPUT_ORDERS:
            raise ValueError(f"input_order must be one of {INPUT_ORDERS}, got {input_order!r}")
        if output_order not in OUTPUT_ORDERS:
            raise ValueError(f"output_order must be one of {OUTPUT_ORDERS}, got {output_order!r}")
        self.layer_spec = layers
        self.activation = activation
        self.slope = float(slope)
        self.input_order = input_order
        self.output_order = output_order
        self.extra_metadata = dict(extra_metadata or {})
        input_normalisation_of(self.extra_metadata)
        self.layers = nn.ModuleList(
            nn.Conv2d(c_in, c_out, kernel, stride=1, padding=kernel // 2, bias=True)
            for c_in, c_out, kernel in layers)

    def forward(self, input, guide):  # noqa: A002 - the paper's name for the target image
        """input, guide: [N, 1, H, W]. Returns alpha, beta, each [N, 1, H, W]."""
        pair = (input, guide) if self.input_order == "input,guide" else (guide, input)
        x = torch.cat(pair, dim=1)
        for i, conv in enumerate(self.layers):
            x = conv(x)
            if i + 1 < len(self.layers):
                x = self.activate(x)
        first, second = x[:, 0:1], x[:, 1:2]
        return (first, second) if self.output_order == "alpha,beta" else (second, first)

    def activate(self, x):
        """The activation that follows every layer but the last."""
        if self.activation == "relu":
            return functional.relu(x)
        return functional.leaky_relu(x, self.slope)

    @staticmethod
    def compose(alpha, beta, guide):
        """The filtered output F = alpha * G + beta (Eq. 5)."""
        return alpha * guide + beta

    @property
    def input_normalisation(self):
        """'none' or 'valid_range': the metadata key, kept in extra_metadata."""
        return input_normalisation_of(self.extra_metadata)

    @staticmethod
    def valid_range(input):  # noqa: A002
        """lo, span [N, C, 1, 1]: min and max of each image's nonzero pixels.

        0 means "no measurement" (depth sensors), so it is left out; span is 1 when
        no pixel or a single value remains (the input is then only shifted).
        """
        valid = input != 0
        inf = torch.full_like(input, math.inf)
        lo = torch.where(valid, input, inf).amin(dim=(2, 3), keepdim=True)
        hi = torch.where(valid, input, -inf).amax(dim=(2, 3), keepdim=True)
        some = valid.any(dim=3, keepdim=True).any(dim=2, keepdim=True)
        lo = torch.where(some, lo, torch.zeros_like(lo))
        span = torch.where(some & (hi > lo), hi - lo, torch.ones_like(lo))
        return lo, span

    def filter(self, input, guide):  # noqa: A002
        """F for the given input and guide, [N, 1, H, W].

        With input_normalisation = valid_range, each image of the batch is first
        stretched from [lo, lo + span] (valid_range) to [0, 1] and F mapped back, as
        svlrm::joint_filter does; alpha and beta stay on the network's scale.
        """
        if self.input_normalisation == "none":
            alpha, beta = self(input, guide)
            return self.compose(alpha, beta, guide)
        lo, span = self.valid_range(input)
        alpha, beta = self((input - lo) / span, guide)
        return lo + span * self.compose(alpha, beta, guide)

    def metadata(self):
        """The `__metadata__` dict of docs/weights-format.md; every value a string."""
        meta = {
            "format": "svlrm",
            "format_version": FORMAT_VERSION,
            "layers": format_layers(self.layer_spec),
            "activation": self.activation,
            "input_order": self.input_order,
            "output_order": self.output_order,
        }
        if self.activation == "leaky_relu":
            meta["activation_slope"] = repr(self.slope)
        meta.update(self.extra_metadata)
        return meta

    @classmethod
    def from_metadata(cls, meta):
        """Build an (untrained) network from a weights file's metadata dict.

        Raises ValueError for a missing or invalid required key or an unknown
        format / higher format_version.
        """
        for key in ("format", "format_version", "layers", "activation",
                    "input_order", "output_order"):
            if key not in meta:
                raise ValueError(f"metadata: missing required key {key!r}")
        if meta["format"] != "svlrm":
            raise ValueError(f"metadata: format is {meta['format']!r}, expected 'svlrm'")
        if meta["format_version"] != FORMAT_VERSION:
            raise ValueError(f"metadata: format_version {meta['format_version']!r} "
                             f"is not supported (this tool reads {FORMAT_VERSION})")
        slope = 0.0
        if meta["activation"] == "leaky_relu":
            if "activation_slope" not in meta:
                raise ValueError("metadata: leaky_relu needs 'activation_slope'")
            slope = float(meta["activation_slope"])
        extra = {k: v for k, v in meta.items() if k not in _OWN_KEYS}
        return cls(parse_layers(meta["layers"]), meta["activation"], slope,
                   meta["input_order"], meta["output_order"], extra)


def load_model(path, dtype=torch.float64):
    """Read an svlrm weights file into an SVLRMNet of `dtype` (float64: exact upcast).

    Raises ValueError when the metadata is invalid or the tensor set is not exactly
    layers.0..L-1.{weight,bias} with the declared shapes.
    """
    tensors, meta = safetensors_io.load(path)
    net = SVLRMNet.from_metadata(meta).to(dtype)
    expected = {name: tuple(p.shape) for name, p in net.state_dict().items()}
    found = {name: tuple(t.shape) for name, t in tensors.items()}
    if found != expected:
        raise ValueError(f"{path}: tensors {sorted(found.items())} do not match the "
                         f"declared layers {sorted(expected.items())}")
    state = {}
    for name, values in tensors.items():
        if values.dtype == np.uint16:
            values = safetensors_io.from_bf16_bits(values)
        state[name] = torch.from_numpy(values.astype(np.float64))
    net.load_state_dict(state, strict=True)
    return net
