"""Depth upsampling as real RGB-D cameras deliver it: each model against joint bilateral
upsampling (JBU) on the same frames, per frame, with the texture it copies.

Why this exists: depth_sr beat JBU on our own sets and lost at x4 on every frame of an
independent real time-of-flight set (issue 27), because real depth and colour come from two
sensors that disagree. A mean over a set hides a model that loses on most frames; this
section reports every frame, how many each model loses to JBU, and the high-frequency
energy ratio output / truth (above 1: guide texture copied into the depth).

Sets (validation and evaluation data only, never trained on):
- nyu: NYU v2 raw Kinect frames (`nyu_raw_samples`), 16-bit mm, 0 = no measurement;
- middlebury: Middlebury 2014 Adirondack and Motorcycle (disparity in px);
- camera: rendered validation rooms (seeds 900000..) seen by a two-sensor camera
  (tools/train/camera.py with a fixed seed per frame: the colour misregistered by 0-4 px
  varying over the frame, depth edges as a sensor records them, the colour sensor's
  exposure, white balance, blur and noise); the recorded depth is the truth, as a real
  camera's ground truth is.

Protocol per frame and factor s: holes filled from the nearest valid pixel
(svlrm.fill_missing), the low-resolution depth taken by point decimation d[s-1::s, s-1::s]
(integer s) or, for a real factor, d at the nearest pixel of s (q + 1) - 1 on each axis (the
grid of include/svlrm/jbu.hpp); bicubic and JBU (r = 2, sigma_s = 1, sigma_r = 0.1, colour
guide) as the library gives them; each model through JointFilter.upsample, the path of
`svlrm upsample`. RMSE over the truth's valid pixels in the set's unit. hf: the RMS of the
result minus its 7x7 box mean over the valid pixels, divided by the truth's.

    PYTHONPATH=build/python /usr/bin/python3 -m tools.eval.real_cameras [--models A,B] [--out F.md]
"""

import argparse
import os
import sys

import numpy as np
from PIL import Image
from scipy import ndimage

import svlrm

from .. import REPO
from ..train import camera, data, rendered

SCALES = (4, 8, 16, 2.67, 7.5)
CAMERA_SEED = 4242


def nyu(root):
    folder = os.path.join(root, "nyu_raw_samples")
    for name in sorted(os.listdir(os.path.join(folder, "rgb"))):
        frame = name[len("rgb_"):-len(".jpg")]
        rgb = np.asarray(Image.open(os.path.join(folder, "rgb", name)).convert("RGB"))
        depth = np.asarray(Image.open(os.path.join(folder, "depth", f"sync_depth_{frame}.png"))).astype(np.float32)
        yield f"nyu/{frame}", rgb, depth, depth > 0


def middlebury(root):
    for scene in data.VAL_MIDDLEBURY2014:
        folder = os.path.join(root, data.MIDDLEBURY2014, scene)
        rgb = np.asarray(Image.open(os.path.join(folder, "im0.png")).convert("RGB"))
        disparity = data.read_pfm(os.path.join(folder, "disp0GT.pfm"))
        valid = np.isfinite(disparity) & (disparity > 0)
        yield f"mb2014/{scene}", rgb, np.where(valid, disparity, 0).astype(np.float32), valid


def camera_rooms(folder, count):
    rng = np.random.default_rng(CAMERA_SEED)
    for seed in rendered.finished_seeds(folder, rendered.VAL_SEEDS)[:count]:
        rgb = np.asarray(Image.open(os.path.join(folder, f"{seed:07d}_rgb.png")).convert("RGB"))
        depth = np.asarray(Image.open(os.path.join(folder, f"{seed:07d}_depth.png"))).astype(np.float32)
        valid = depth > 0
        params = camera.draw(rng, *depth.shape)
        seen = camera.colour(rgb / 255.0, params, (0, 0), rng)
        recorded = camera.depth(svlrm.fill_missing(depth), params)
        yield f"camera/{seed}", (seen * 255).round().astype(np.uint8), np.where(valid, recorded, 0), valid


def low_resolution(depth, s):
    """Point decimation at an integer or real factor (the grid of jbu.hpp)."""
    if float(s).is_integer():
        return np.ascontiguousarray(depth[int(s) - 1::int(s), int(s) - 1::int(s)][:depth.shape[0] // int(s),
                                                                                   :depth.shape[1] // int(s)])
    h, w = int(round(depth.shape[0] / s)), int(round(depth.shape[1] / s))
    sy, sx = depth.shape[0] / h, depth.shape[1] / w
    ys = np.clip(np.floor(sy * (np.arange(h) + 1) - 0.5).astype(int), 0, depth.shape[0] - 1)
    xs = np.clip(np.floor(sx * (np.arange(w) + 1) - 0.5).astype(int), 0, depth.shape[1] - 1)
    return np.ascontiguousarray(depth[np.ix_(ys, xs)])


def high_frequency(v, valid):
    return float(np.sqrt(np.mean((v - ndimage.uniform_filter(v, 7))[valid] ** 2)))


def evaluate(frames, filters, scales):
    """rows[(frame, scale)] = {method: (rmse, hf ratio)}."""
    rows = {}
    for name, rgb, depth, valid in frames:
        filled = svlrm.fill_missing(depth)
        inner = np.zeros_like(valid)
        inner[8:-8, 8:-8] = True  # the border, where every method clamps, is not scored
        scored = valid & inner
        truth_hf = high_frequency(depth, scored)
        for s in scales:
            low = low_resolution(filled, s)
            h, w = depth.shape
            results = {"bicubic": svlrm.resize_bicubic(low, w, h), "JBU": svlrm.joint_bilateral_upsample(low, rgb)}
            for label, f in filters.items():
                results[label] = f.upsample(rgb, low)
            rows[(name, s)] = {m: (float(np.sqrt(np.mean((r - depth)[scored] ** 2))),
                                   high_frequency(r, scored) / truth_hf) for m, r in results.items()}
            print(name, s, {m: round(v[0], 3) for m, v in rows[(name, s)].items()}, file=sys.stderr, flush=True)
    return rows


def report(title, unit, rows, labels, scales):
    methods = ["bicubic", "JBU"] + labels
    out = [f"### {title}\n", f"RMSE ({unit}) per frame; in brackets the high-frequency energy ratio output / truth. "
           "Last rows: the mean, and for each model the frames where it is worse than JBU.\n"]
    for s in scales:
        frames = sorted({f for f, k in rows if k == s})
        if not frames:
            continue
        out.append(f"\nx{s:g}\n\n| frame | " + " | ".join(methods) + " |\n|---|" + "---|" * len(methods))
        for f in frames:
            r = rows[(f, s)]
            out.append(f"| {f} | " + " | ".join(f"{r[m][0]:.3f} ({r[m][1]:.2f})" for m in methods) + " |")
        mean = {m: np.mean([rows[(f, s)][m][0] for f in frames]) for m in methods}
        ratio = {m: np.mean([rows[(f, s)][m][1] for f in frames]) for m in methods}
        out.append("| **mean** | " + " | ".join(f"**{mean[m]:.3f}** ({ratio[m]:.2f})" for m in methods) + " |")
        losses = {m: sum(rows[(f, s)][m][0] > rows[(f, s)]["JBU"][0] for f in frames) for m in labels}
        out.append("| frames worse than JBU | - | - | " + " | ".join(f"{losses[m]} of {len(frames)}" for m in labels)
                   + " |")
    return "\n".join(out) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(prog="python3 -m tools.eval.real_cameras", description=__doc__.splitlines()[0])
    p.add_argument("--data", default=os.environ.get("SVLRM_DATA", os.path.join(REPO, "..", "shared", "datasets")))
    p.add_argument("--models", default=os.path.join(REPO, "models", "depth_sr.safetensors"),
                   help="comma-separated weights files (default: the bundled depth_sr)")
    p.add_argument("--rendered", default=rendered.CACHE, help="the render cache's rooms folder")
    p.add_argument("--camera-frames", type=int, default=12)
    p.add_argument("--scales", default=",".join(f"{s:g}" for s in SCALES))
    p.add_argument("--sets", default="nyu,middlebury,camera")
    p.add_argument("--backend", default="auto")
    p.add_argument("--precision", default="exact")
    p.add_argument("--out", help="write the markdown here (default: stdout)")
    args = p.parse_args(argv)
    scales = [float(s) for s in args.scales.split(",")]
    filters = {os.path.splitext(os.path.basename(m))[0]: svlrm.JointFilter(m, backend=args.backend,
                                                                            precision=args.precision)
               for m in args.models.split(",")}
    labels = list(filters)
    sets = {"nyu": ("NYU v2 raw Kinect frames", "mm", lambda: nyu(args.data)),
            "middlebury": ("Middlebury 2014 held-out scenes", "px", lambda: middlebury(args.data)),
            "camera": ("Rendered validation rooms through a two-sensor camera (camera.py)", "mm",
                       lambda: camera_rooms(args.rendered, args.camera_frames))}
    text = []
    for key in args.sets.split(","):
        title, unit, frames = sets[key]
        rows = evaluate(frames(), filters, scales)
        text.append(report(title, unit, rows, labels, scales) if rows else f"### {title}\n\nno frames\n")
    md = "\n".join(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(md)
    else:
        print(md)


if __name__ == "__main__":
    main()
