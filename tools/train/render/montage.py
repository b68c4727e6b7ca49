"""Montage of rendered frames: RGB next to colourised depth (for README / eyeballing).

Why: a wrong depth convention, black frames or broken textures are obvious in a
picture and invisible in a file listing; examples.png in this folder comes from here.
Usage: python3 -m tools.train.render.montage DIR SEED [SEED ...] --out examples.png [--width 320] [--palette]
"""

import argparse
import os

import numpy as np
from PIL import Image


def colourise(depth_mm):
    """Turbo-like colour map of depth (near = red, far = blue), black where 0."""
    valid = depth_mm > 0
    if not valid.any():
        return np.zeros(depth_mm.shape + (3,), np.uint8)
    lo, hi = np.percentile(depth_mm[valid], [1, 99])
    t = np.clip((depth_mm.astype(np.float64) - lo) / max(hi - lo, 1), 0, 1)
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import cm
    rgb = cm.turbo(1 - t)[..., :3]
    rgb[~valid] = 0
    return (rgb * 255).astype(np.uint8)


def main():
    p = argparse.ArgumentParser(prog="python3 -m tools.train.render.montage")
    p.add_argument("dir")
    p.add_argument("seeds", nargs="+", type=int)
    p.add_argument("--out", required=True)
    p.add_argument("--width", type=int, default=320)
    p.add_argument("--palette", action="store_true", help="256-colour PNG (small enough to commit)")
    args = p.parse_args()
    rows = []
    for s in args.seeds:
        stem = os.path.join(args.dir, "%07d" % s)
        rgb = Image.open(stem + "_rgb.png").convert("RGB")
        depth = np.asarray(Image.open(stem + "_depth.png")).astype(np.int64)
        h = rgb.height * args.width // rgb.width
        a = rgb.resize((args.width, h), Image.BILINEAR)
        b = Image.fromarray(colourise(depth)).resize((args.width, h), Image.NEAREST)
        rows.append(np.concatenate([np.asarray(a), np.asarray(b)], 1))
    img = Image.fromarray(np.concatenate(rows, 0))
    if args.palette:
        img = img.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    img.save(args.out, optimize=True)


if __name__ == "__main__":
    main()
