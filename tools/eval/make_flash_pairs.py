"""Writes the held-out synthetic flash / no-flash pairs that svlrm_eval's `flash` section scores.

Why this exists: the pair recipe is the trainer's (tools/train/flash.py), so the
evaluation pairs are made by the same code, from the images the trainer never sees
(data.FLASH_HELD_OUT: Kodak24 kodim19..24, McMaster 13..18), with their own seeds
(data.FLASH_EVAL_SEED + index), as 8-bit PNGs like camera files:
  NAME_flash.png (the guide), NAME_noflash.png (blurred, noisy input), NAME_truth.png.
The trainer validates on 256x256 crops of some of these images with other seeds.

    python3 -m tools.eval.make_flash_pairs [DATASETS] [OUT_DIR]   (default ../shared/datasets,
                                                                ~/.cache/svlrm/flash_pairs)
"""

import os
import sys

import numpy as np
from PIL import Image

from ..train import data, flash

DEFAULT_OUT = os.path.join(os.path.expanduser("~"), ".cache", "svlrm", "flash_pairs")


def write(path, rgb):
    """8-bit RGB PNG, written under a temporary name then renamed (no half-written file)."""
    tmp = path + ".tmp.png"
    Image.fromarray(np.round(np.clip(rgb, 0, 1) * 255).astype(np.uint8)).save(tmp)
    os.replace(tmp, path)


def main(argv):
    root = argv[0] if argv else os.environ.get("SVLRM_DATA", "../shared/datasets")
    out = argv[1] if len(argv) > 1 else DEFAULT_OUT
    os.makedirs(out, exist_ok=True)
    items = {i["name"]: i for i in data.flash_images(root, held_out=True)}
    for k, name in enumerate(data.FLASH_HELD_OUT):
        shot, noisy, sharp = flash.pair(items[name]["rgb"], data.FLASH_EVAL_SEED + k)
        for suffix, image in (("flash", shot), ("noflash", noisy), ("truth", sharp)):
            write(os.path.join(out, f"{name}_{suffix}.png"), image)
    print(f"{len(data.FLASH_HELD_OUT)} pairs in {out}")


if __name__ == "__main__":
    main(sys.argv[1:])
