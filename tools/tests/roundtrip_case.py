"""Export public-style checkpoints with tools.export and write golden cases.

Why this exists: a C++ CTest runs it to check the whole path a user takes, from a
torch.save()d re-implementation checkpoint through the export command to the C++
inference. It writes into OUTDIR:

  model.safetensors, case.safetensors
      a 12 x 8-channel ReLU model saved the way public SVLRM code does:
      DataParallel keys (module.conv_in.*, module.body.0.*, module.body.2.*, ...,
      module.conv_out.*) in layer order, inside {'state_dict': ..., 'epoch': ...,
      'best_psnr': <float>}; exported with no options.
  mapped_model.safetensors, mapped_case.safetensors
      a 12 x 8-channel LeakyReLU(0.1) model with layers conv1..conv12 stored in a
      scrambled order, taking [guide, input] and producing [beta, alpha]; exported
      with --map convK=layers.K-1, --activation leaky_relu --slope 0.1,
      --input-order guide,input --output-order beta,alpha.

Cases hold F64 `input`, `guide` [H, W] and the `alpha`, `beta`, `output` [H, W]
the original PyTorch module computes in float64. Exits non-zero with a message on
any failure, including a float64 mismatch between the export and the original.
"""

import argparse
import os
import sys
import tempfile

import numpy as np
import torch
from torch import nn

from .. import run_module, safetensors_io
from ..make_fixtures import calibrate, calibration_batch, random_plane
from ..svlrm_net import load_model

CHANNELS = 8
DEPTH = 12
SCRAMBLED = [7, 2, 11, 1, 9, 4, 12, 6, 3, 10, 5, 8]


class PublicSVLRM(nn.Module):
    """Layout of common public re-implementations: conv_in, a Sequential body, conv_out."""

    def __init__(self):
        super().__init__()
        self.conv_in = nn.Conv2d(2, CHANNELS, 3, padding=1)
        body = []
        for _ in range(DEPTH - 2):
            body += [nn.Conv2d(CHANNELS, CHANNELS, 3, padding=1), nn.ReLU()]
        self.body = nn.Sequential(*body)
        self.conv_out = nn.Conv2d(CHANNELS, 2, 3, padding=1)

    def convs(self):
        return [self.conv_in] + [m for m in self.body if isinstance(m, nn.Conv2d)] + [self.conv_out]

    def forward(self, input, guide):  # noqa: A002
        x = self.conv_out(self.body(torch.relu(self.conv_in(torch.cat((input, guide), 1)))))
        return x[:, 0:1], x[:, 1:2]


class ScrambledSVLRM(nn.Module):
    """conv1..conv12 registered (so stored) out of order; [guide, input] -> [beta, alpha]."""

    def __init__(self):
        super().__init__()
        for k in SCRAMBLED:
            c_in = 2 if k == 1 else CHANNELS
            c_out = 2 if k == DEPTH else CHANNELS
            setattr(self, f"conv{k}", nn.Conv2d(c_in, c_out, 3, padding=1))

    def convs(self):
        return [getattr(self, f"conv{k}") for k in range(1, DEPTH + 1)]

    def forward(self, input, guide):  # noqa: A002
        x = torch.cat((guide, input), 1)
        for k, conv in enumerate(self.convs(), start=1):
            x = conv(x)
            if k < DEPTH:
                x = nn.functional.leaky_relu(x, 0.1)
        return x[:, 1:2], x[:, 0:1]


def export(checkpoint, model_path, options):
    result = run_module("tools.export", checkpoint, model_path, *options, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"roundtrip_case: tools.export failed ({result.returncode}): {result.stderr}")
    print(result.stdout.strip())


def write_case(path, module, model_path, rng, height, width):
    """Expected values from the original module in float64; check the export against them."""
    planes = {"input": random_plane(rng, height, width), "guide": random_plane(rng, height, width)}
    input_, guide = (torch.from_numpy(planes[k])[None, None] for k in ("input", "guide"))
    with torch.no_grad():
        alpha, beta = module.double()(input_, guide)
        exported = load_model(model_path, torch.float64)
        alpha_x, beta_x = exported(input_, guide)
    error = max((alpha - alpha_x).abs().max().item(), (beta - beta_x).abs().max().item())
    if error > 1e-12:
        sys.exit(f"roundtrip_case: {model_path} differs from its checkpoint by {error:g}")
    output = alpha * guide + beta
    safetensors_io.save(path, dict(planes, alpha=alpha[0, 0].numpy(), beta=beta[0, 0].numpy(),
                                   output=output[0, 0].numpy()),
                        {"model": os.path.basename(model_path), "height": str(height),
                         "width": str(width), "generator": "tools/tests/roundtrip_case.py"})


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("outdir", metavar="OUTDIR")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    os.makedirs(args.outdir, exist_ok=True)
    rng = np.random.default_rng(2019)
    torch.manual_seed(2019)

    public = PublicSVLRM()
    calibrate(public.convs(), torch.relu, 0.0, calibration_batch(rng))
    scrambled = ScrambledSVLRM()
    calibrate(scrambled.convs(), lambda x: nn.functional.leaky_relu(x, 0.1), 0.1,
              calibration_batch(rng))

    with tempfile.TemporaryDirectory() as tmp:
        checkpoint = os.path.join(tmp, "public.pth")
        torch.save({"state_dict": nn.DataParallel(public).state_dict(), "epoch": 300,
                    "best_psnr": 33.04}, checkpoint)
        model = os.path.join(args.outdir, "model.safetensors")
        export(checkpoint, model, [])
        write_case(os.path.join(args.outdir, "case.safetensors"), public, model, rng, 21, 18)

        checkpoint = os.path.join(tmp, "scrambled.pth")
        torch.save(scrambled.state_dict(), checkpoint)
        model = os.path.join(args.outdir, "mapped_model.safetensors")
        maps = [item for k in range(1, DEPTH + 1) for item in ("--map", f"conv{k}=layers.{k - 1}")]
        export(checkpoint, model, maps + ["--activation", "leaky_relu", "--slope", "0.1",
                                          "--input-order", "guide,input",
                                          "--output-order", "beta,alpha"])
        write_case(os.path.join(args.outdir, "mapped_case.safetensors"), scrambled, model,
                   rng, 15, 20)


if __name__ == "__main__":
    main()
