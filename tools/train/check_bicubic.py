"""Resample a .npy image with the trainer's bicubic code, for a C++ agreement test.

Why this exists: models are trained on inputs made by tools/train/degrade.py and
run on inputs made by svlrm::resize_bicubic; if the two disagree, the models see
a different degradation at inference. A C++ test writes IN.npy, runs

    /usr/bin/python3 -m tools.train.check_bicubic IN.npy OUT.npy HEIGHT WIDTH

and compares OUT.npy with its own resize_bicubic (same conventions, Keys a = -0.5).
IN.npy: a 2-D little-endian float32 array ('<f4', C order, any size >= 1x1),
values on the unit scale. OUT.npy: the HEIGHT x WIDTH result, the same dtype and
layout (npy format version 1.0). With --decimate S the input is first point-
decimated (x[S-1::S, S-1::S]) and HEIGHT/WIDTH default to S times its size:
the full depth-upsampling degradation. With --jbu GUIDE.npy (and --decimate S) the
upsampling is the trainer's joint bilateral upsampling on that guide plane instead
(degrade.upsampling_window with a guide, for models with input_upsampling = jbu).
"""

import argparse
import sys

import numpy as np

from . import degrade


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m tools.train.check_bicubic", description=__doc__.split("\n\n")[0])
    parser.add_argument("input", metavar="IN.npy")
    parser.add_argument("output", metavar="OUT.npy")
    parser.add_argument("height", type=int, nargs="?")
    parser.add_argument("width", type=int, nargs="?")
    parser.add_argument("--decimate", type=int, metavar="S", help="point-decimate by S first")
    parser.add_argument("--jbu", metavar="GUIDE.npy", help="with --decimate: JBU on this guide instead of bicubic")
    args = parser.parse_args(argv)
    image = np.load(args.input)
    if image.ndim != 2 or image.dtype != np.float32:
        sys.exit(f"check_bicubic.py: {args.input} must be a 2-D float32 array, "
                 f"got {image.ndim}-D {image.dtype}")
    full = image  # the undecimated input, for --jbu
    if args.decimate:
        scale = args.decimate
        image = degrade.decimate(image, scale)
        height = args.height or image.shape[0] * scale
        width = args.width or image.shape[1] * scale
    elif args.height is None or args.width is None:
        sys.exit("check_bicubic.py: HEIGHT and WIDTH are required without --decimate")
    else:
        height, width = args.height, args.width
    if height < 1 or width < 1 or image.size == 0:
        sys.exit("check_bicubic.py: sizes must be positive")
    if args.jbu:
        if not args.decimate:
            sys.exit("check_bicubic.py: --jbu needs --decimate")
        guide = np.load(args.jbu)
        out = degrade.upsampling_window(full[:height, :width], args.decimate, (slice(0, height), slice(0, width)), "point", None, guide)
        np.save(args.output, np.ascontiguousarray(out, dtype="<f4"))
        return
    out = degrade.resize_bicubic(image, height, width)
    np.save(args.output, np.ascontiguousarray(out, dtype="<f4"))


if __name__ == "__main__":
    main()
