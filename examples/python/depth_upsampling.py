"""x8 depth upsampling from Python: the bundled rendered frame, the SVLRM model against
bicubic, the guided filter and joint bilateral upsampling (docs/python.md).

PYTHONPATH=build/python /usr/bin/python3 examples/python/depth_upsampling.py [--figure OUT.png]
"""

import argparse
import os

import numpy as np
from PIL import Image

import svlrm

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--figure", help="also write a picture of the results")
    ap.add_argument("--scale", type=int, default=8)
    args = ap.parse_args()

    guide = np.asarray(Image.open(os.path.join(HERE, "..", "data", "room_rgb.png")).convert("RGB"))  # uint8
    depth = np.asarray(Image.open(os.path.join(HERE, "..", "data", "room_depth.png"))).astype(np.uint16)  # mm
    s = args.scale
    # the DJF protocol: one sample per s x s block; 0 = no measurement, filled for the baselines
    # (f.upsample fills by itself)
    low = svlrm.fill_missing(svlrm.decimate(depth, s))
    h, w = depth.shape

    f = svlrm.JointFilter(svlrm.Model.bundled("depth_sr"))  # backend and precision: auto
    bicubic = svlrm.resize_bicubic(low, w, h)
    results = {
        "bicubic": bicubic,
        "guided filter": svlrm.guided_filter(guide, bicubic, radius=2 * s, eps=1e-4),
        "JBU": svlrm.joint_bilateral_upsample(low, guide),
        "SVLRM depth_sr": f.upsample(guide, low),
    }
    valid = depth > 0
    truth = depth.astype(np.float64)
    print(f"x{s} depth upsampling, {w}x{h}, backend {f.backend} ({f.precision}); RMSE on valid pixels:")
    for name, r in results.items():
        mm = r.astype(np.float64) * (65535 if r.dtype == np.float32 else 1)  # unit scale -> mm
        print(f"  {name:15s} {np.sqrt(np.mean((mm[valid] - truth[valid]) ** 2)):6.1f} mm")

    if args.figure:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        lo, hi = np.percentile(depth[valid], [1, 99])
        panels = [("guide", guide), ("ground truth", depth)] + list(results.items())
        fig, axes = plt.subplots(2, 3, figsize=(12, 6.2))
        for ax, (name, img) in zip(axes.flat, panels):
            if img.ndim == 2:
                mm = img.astype(np.float64) * (65535 if img.dtype == np.float32 else 1)
                ax.imshow(np.where(valid, mm, np.nan), cmap="turbo", vmin=lo, vmax=hi)
            else:
                ax.imshow(img)
            ax.set_title(name)
            ax.axis("off")
        fig.tight_layout()
        fig.savefig(args.figure, dpi=80)
        print("wrote", args.figure)


if __name__ == "__main__":
    main()
