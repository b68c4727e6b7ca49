"""Generate the golden fixtures of tests/fixtures/ (see tests/fixtures/README.md).

Why this exists: the C++ inference must match PyTorch. Each fixture is a small
random SVLRM model written by the exporter's own code path (export.save_model)
plus cases whose expected alpha, beta and output PyTorch computed in float64
from the weights as stored in the file, so the C++ side can check its float32
and float64 paths against a reference free of float32 rounding.
"""

import argparse
import os
import sys

import numpy as np
import torch
from torch import nn

from . import REPO, export, safetensors_io
from .svlrm_net import PAPER_LAYERS, SVLRMNet, load_model

DEFAULT_OUT = os.path.join(REPO, "tests", "fixtures")
SMALL = [(2, 8, 3)] + [(8, 8, 3)] * 10 + [(8, 2, 3)]

# name: (seed, SVLRMNet options, storage dtype, case sizes (H, W); the first is
# <name>_case, the others <name>_case_<H>x<W>)
MODELS = {
    "relu_12x8": (1, dict(layers=SMALL), "f32", [(23, 17), (1, 1), (2, 3)]),
    "leaky_12x8": (2, dict(layers=SMALL, activation="leaky_relu", slope=0.1), "f32", [(19, 29)]),
    "orders_12x8": (3, dict(layers=SMALL, input_order="guide,input", output_order="beta,alpha"),
                    "f32", [(17, 23)]),
    "mixed_3layer": (4, dict(layers=[(2, 6, 3), (6, 5, 5), (5, 2, 1)], activation="leaky_relu",
                             slope=0.2), "f32", [(13, 11)]),
    "relu_12x8_f16": (5, dict(layers=SMALL), "f16", [(16, 16)]),
    "relu_12x8_bf16": (6, dict(layers=SMALL), "bf16", [(16, 16)]),
    "paper_12x64": (7, dict(layers=PAPER_LAYERS), "f32", [(23, 17)]),
}


def calibrate(convs, activate, slope, x):
    """Initialise `convs` (applied in order, `activate` between) so each outputs std ~1.

    Kaiming-normal kernels and small biases, then each layer rescaled so that its
    output on the calibration batch `x` has unit standard deviation (LSUV): alpha
    and beta are then of order 1 and vary across the image, instead of vanishing
    or being dominated by the biases, which would make comparisons toothless.
    """
    with torch.no_grad():
        for i, conv in enumerate(convs):
            nn.init.kaiming_normal_(conv.weight, a=slope, nonlinearity="leaky_relu")
            nn.init.uniform_(conv.bias, -0.1, 0.1)
            std = conv(x).std()
            conv.weight /= std
            conv.bias /= std
            x = conv(x)
            if i + 1 < len(convs):
                x = activate(x)


def calibration_batch(rng, size=32):
    """[1, 2, size, size] float32 planes to calibrate a network on."""
    return torch.from_numpy(np.stack([random_plane(rng, size, size) for _ in range(2)])[None]).float()


def random_net(seed, options, rng):
    """A random SVLRMNet with unit-scale activations (see calibrate)."""
    torch.manual_seed(seed)
    net = SVLRMNet(**options)
    slope = net.slope if net.activation == "leaky_relu" else 0.0
    calibrate(net.layers, net.activate, slope, calibration_batch(rng))
    return net


def random_plane(rng, height, width):
    """A [0, 1] image: a bilinearly upsampled coarse random field plus noise."""
    coarse = torch.from_numpy(rng.random((1, 1, height // 4 + 2, width // 4 + 2)))
    smooth = nn.functional.interpolate(coarse, size=(height, width), mode="bilinear",
                                       align_corners=True)[0, 0].numpy()
    return np.clip(0.1 + 0.8 * smooth + rng.normal(0.0, 0.05, (height, width)), 0.0, 1.0)


def write_case(path, net, model_file, rng, height, width):
    """Write one case: input, guide and the float64 alpha, beta, output; return them."""
    planes = {"input": random_plane(rng, height, width), "guide": random_plane(rng, height, width)}
    with torch.no_grad():
        input_, guide = (torch.from_numpy(planes[k])[None, None] for k in ("input", "guide"))
        alpha, beta = net(input_, guide)
        output = net.compose(alpha, beta, guide)
    case = dict(planes, alpha=alpha[0, 0].numpy(), beta=beta[0, 0].numpy(),
                output=output[0, 0].numpy())
    safetensors_io.save(path, case, {"model": model_file, "height": str(height),
                                     "width": str(width), "generator": "tools/make_fixtures.py"})
    return case


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m tools.make_fixtures", description=__doc__)
    parser.add_argument("--out", default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    for name, (seed, options, dtype, sizes) in MODELS.items():
        model_file = f"{name}.safetensors"
        rng = np.random.default_rng(seed)
        export.save_model(os.path.join(args.out, model_file), random_net(seed, options, rng),
                          dtype)
        reference = load_model(os.path.join(args.out, model_file), torch.float64)
        for i, (height, width) in enumerate(sizes):
            case_file = f"{name}_case.safetensors" if i == 0 else \
                f"{name}_case_{height}x{width}.safetensors"
            case = write_case(os.path.join(args.out, case_file), reference, model_file,
                              rng, height, width)
            print(f"{case_file}: {height}x{width}, alpha {case['alpha'].min():+.3f}.."
                  f"{case['alpha'].max():+.3f} (std {case['alpha'].std():.3f}), beta "
                  f"{case['beta'].min():+.3f}..{case['beta'].max():+.3f} "
                  f"(std {case['beta'].std():.3f})")
    total = sum(os.path.getsize(os.path.join(args.out, f)) for f in os.listdir(args.out))
    print(f"{args.out}: {total} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
