"""Rendered RGB-D frames (tools/train/render/) as depth training and validation data.

Why this exists: real sensor frames are indoor rooms with posters, fabric and floor
patterns on flat surfaces, thin furniture legs and metric depth, and the few real
RGB-D scenes we may train on have little of that. The renderer writes frames into a
cache folder while training runs, so this module keeps each frame compact (uint16
millimetres, float16 luma), can be asked again for the frames that appeared since,
and leaves the degradation to the patch sampler (degrade.upsampling_window).

Each frame serves in two depth encodings, because sensors write metric depth (near =
small) and stereo writes disparity (near = large): "metric" is the depth itself,
"inverse" is 1 / depth. Either is normalised to [0, 1] over the frame's valid
pixels, as the library does at inference (input_normalisation = valid_range).
"""

import os

import numpy as np
from PIL import Image

from . import degrade

CACHE = os.path.join(os.environ.get("SVLRM_RENDER_CACHE", os.path.expanduser("~/.cache/svlrm/render")),
                     "rooms_v1")
VAL_SEEDS = range(900_000, 900_040)  # held out: never trained on (render/README.md)
ENCODINGS = ("metric", "inverse")
MULTIPLE = 16  # crop to the largest scale, as data.rgbd_item does


def encode(depth_mm, encoding):
    """Depth in millimetres (float) in the given encoding."""
    depth = np.asarray(depth_mm, dtype=np.float32)
    return depth if encoding == "metric" else 1000.0 / np.maximum(depth, 1.0)


class EncodedDepth:
    """The normalised target of one frame in one encoding, computed on slicing.

    Looks like the float32 array that data.rgbd_item stores (shape, size, [window]),
    at a third of the memory, shared between the two encodings of a frame.
    """

    def __init__(self, depth_mm, encoding, low, high):
        self.depth_mm, self.encoding = depth_mm, encoding
        self.low, self.span = low, max(high - low, 1e-12)
        self.shape, self.size = depth_mm.shape, depth_mm.size

    def __getitem__(self, window):
        return ((encode(self.depth_mm[window], self.encoding) - self.low) / self.span).astype(np.float32)

    def __array__(self, dtype=None):
        return self[:, :] if dtype is None else self[:, :].astype(dtype)


def finished_seeds(folder, seeds):
    """The seeds of `seeds` whose colour and depth files are both written (renames are atomic)."""
    if not os.path.isdir(folder):
        return []
    names = set(os.listdir(folder))
    return [s for s in seeds if f"{s:07d}_rgb.png" in names and f"{s:07d}_depth.png" in names]


def frame_items(folder, seed, encodings=ENCODINGS):
    """One item per encoding for frame `seed`: guide (luma), target (normalised), mask."""
    rgb = np.asarray(Image.open(os.path.join(folder, f"{seed:07d}_rgb.png")).convert("RGB"))
    depth = np.asarray(Image.open(os.path.join(folder, f"{seed:07d}_depth.png"))).astype(np.uint16)
    height = depth.shape[0] - depth.shape[0] % MULTIPLE
    width = depth.shape[1] - depth.shape[1] % MULTIPLE
    rgb, depth = rgb[:height, :width], depth[:height, :width]
    valid = depth > 0
    if valid.sum() < 0.5 * valid.size:
        return []  # mostly sky through a window: no depth to learn from
    filled = degrade.fill_nearest(depth, valid)  # holes are masked; this only keeps the input plausible
    guide = ((rgb.astype(np.float32) / 255.0) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)).astype(np.float16)
    colour = (rgb.astype(np.float32) / 255.0).astype(np.float16)  # the JBU start's guide
    items = []
    for encoding in encodings:
        values = encode(filled[valid], encoding)
        items.append({"name": f"render/{seed}/{encoding}", "guide": guide, "colour": colour, "mask": valid,
                      "target": EncodedDepth(filled, encoding, float(values.min()), float(values.max())),
                      "encoding": encoding})
    return items


def training_items(folder, known, limit):
    """Items of the training frames (seeds 0..limit-1) finished and not in `known` (a set, updated)."""
    items = []
    for seed in finished_seeds(folder, range(limit)):
        if seed not in known:
            known.add(seed)
            items += frame_items(folder, seed)
    return items


def validation_items(folder, count, crop=(256, 320)):
    """The first `count` finished validation frames, centre-cropped, encodings alternating.

    Cropped so that validating stays a few seconds on one CPU thread; one encoding per
    frame, alternating, so both are measured without doubling the time.
    """
    items = []
    for n, seed in enumerate(finished_seeds(folder, VAL_SEEDS)[:count]):
        for item in frame_items(folder, seed, (ENCODINGS[n % 2],)):
            h, w = item["mask"].shape
            y, x = (h - crop[0]) // 2 // MULTIPLE * MULTIPLE, (w - crop[1]) // 2 // MULTIPLE * MULTIPLE
            window = (slice(y, y + crop[0]), slice(x, x + crop[1]))
            target, mask = item["target"][window], item["mask"][window]
            if not mask.any():
                continue
            # the library normalises the image it is given, here the crop
            low, high = target[mask].min(), target[mask].max()
            items.append({"name": item["name"], "guide": item["guide"][window].astype(np.float32),
                          "colour": item["colour"][window],
                          "target": ((target - low) / max(high - low, 1e-12)).astype(np.float32),
                          "mask": mask.astype(np.float32), "encoding": item["encoding"]})
    return items
