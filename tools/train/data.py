"""Training data: loaders of the training-allowed folders, patch sampling, validation sets.

Why this exists: the trainer needs (input, guide, target, mask) patches made
exactly as the evaluation protocols degrade images (degrade.py), from data the
project may train on. Evaluation-only folders are refused by path (assert_allowed)
so that no test image can leak into a model. Everything random is drawn from one
numpy Generator whose state is checkpointed, so the data order is reproducible
and resumes exactly.

Images are float32 on the unit scale; depth is normalised to [0, 1] per image
(the protocols' 0..255 normalised depth, divided by 255); the guide is the
BT.601 luma of the colour image, as the C++ library converts it. flash_deblur
items are whole RGB images from which flash.py renders a new pair per patch.
"""

import os

import numpy as np
from PIL import Image
from scipy import ndimage

from . import camera, degrade, flash, scenes

# Never read these (datasets/README.md): test sets of the paper's tables, and
# every Middlebury 2001-2006 scene (they overlap those test sets).
EVALUATION_ONLY = ("01_Middlebury_Dataset", "ferstl2013_middlebury", "BSD68")
MIDDLEBURY2014 = "middlebury2014_trainingQ"
LU_RGBZ = os.path.join("lu2014_depth_enh", "02_RGBZ_Dataset")
# Held out for validation. Motorcycle also ships with skimage: holding it out keeps
# that copy out of training too.
VAL_MIDDLEBURY2014 = ("Adirondack", "Motorcycle")
VAL_LU_RGBZ = ("RGBZ_09",)
VAL_NATURAL = ("kodim23", "kodim24", "mcmaster18")
VAL_SCENE_SEEDS = range(1_000_000, 1_000_004)
SKIMAGE_NATURAL = ("astronaut", "coffee", "chelsea", "rocket", "camera", "moon",
                   "brick", "grass", "gravel")
DEPTH_SCALES = (4, 8, 16)
RESTORE_SIGMA = (0.04, 0.12)  # training range around the Table 2 protocol's 8%
RESTORE_VAL_SIGMA = 0.08
DENOISE_SIGMA = (0.0, 0.10)  # the Table 3 protocol's per-image range
DENOISE_VAL_SIGMAS = (0.05, 0.10)
# flash_deblur: images never trained on. The trainer validates on FLASH_VAL_IMAGES (centre
# crops, FLASH_VAL_SEED + k); the evaluation (tools/eval/make_flash_pairs.py) uses all of
# them whole, with FLASH_EVAL_SEED + k
FLASH_HELD_OUT = tuple(f"kodim{i}" for i in range(19, 25)) + tuple(f"mcmaster{i}" for i in range(13, 19))
FLASH_VAL_IMAGES = ("kodim19", "kodim21", "kodim24", "mcmaster13", "mcmaster16", "mcmaster18")
FLASH_VAL_SEED = 700000
FLASH_EVAL_SEED = 800000
FLASH_VAL_CROP = 256


def assert_allowed(path):
    """Refuse any path inside an evaluation-only folder."""
    parts = os.path.normpath(os.path.abspath(path)).split(os.sep)
    for name in EVALUATION_ONLY:
        assert name not in parts, f"{path}: {name} is EVALUATION ONLY, never train on it"


def _read(path):
    assert_allowed(path)
    return np.asarray(Image.open(path))


def luma(rgb):
    """BT.601 luma of an RGB array on the unit scale (PIL's convert('L') weights)."""
    return (rgb[..., :3] @ np.array([0.299, 0.587, 0.114])).astype(np.float32)


def read_pfm(path):
    """A greyscale PFM as float32 [h, w], rows top-to-bottom (PFM stores them bottom-up)."""
    assert_allowed(path)
    with open(path, "rb") as pfm:
        if pfm.readline().strip() != b"Pf":
            raise ValueError(f"{path}: not a greyscale PFM")
        width, height = map(int, pfm.readline().split())
        scale = float(pfm.readline())
        dtype = "<f4" if scale < 0 else ">f4"
        values = np.frombuffer(pfm.read(width * height * 4), dtype=dtype)
    return values.reshape(height, width)[::-1].astype(np.float32)


def normalise_depth(depth, valid):
    """Depth scaled to [0, 1] over its valid pixels; invalid pixels take the nearest valid value.

    The filled values only make the input plausible around holes; the loss and
    the metrics ignore them through the mask.
    """
    _, nearest = ndimage.distance_transform_edt(~valid, return_indices=True)
    filled = depth[tuple(nearest)]
    low, high = filled.min(), filled.max()
    return ((filled - low) / max(high - low, 1e-12)).astype(np.float32)


def rgbd_item(name, rgb, depth, valid=None):
    """One RGB-D image: guide (luma, what the network sees), colour (the guide of the JBU
    start, float16), target depth and valid mask, cropped to multiples of 16."""
    valid = np.isfinite(depth) if valid is None else valid
    guide = degrade.crop_to_multiple(luma(rgb), max(DEPTH_SCALES))
    colour = degrade.crop_to_multiple(np.asarray(rgb, dtype=np.float16), max(DEPTH_SCALES))
    target = degrade.crop_to_multiple(normalise_depth(depth, valid), max(DEPTH_SCALES))
    mask = degrade.crop_to_multiple(valid, max(DEPTH_SCALES)).astype(np.float32)
    return {"name": name, "guide": guide, "colour": colour, "target": target, "mask": mask}


def middlebury2014(root, held_out):
    """Middlebury 2014 trainingQ: im0.png + disp0GT.pfm (inf = unknown, masked)."""
    folder = os.path.join(root, MIDDLEBURY2014)
    items = []
    for scene in sorted(os.listdir(folder)):
        if not os.path.isdir(os.path.join(folder, scene)) or (scene in VAL_MIDDLEBURY2014) != held_out:
            continue
        rgb = _read(os.path.join(folder, scene, "im0.png")) / 255.0
        disparity = read_pfm(os.path.join(folder, scene, "disp0GT.pfm"))
        items.append(rgbd_item(f"mb2014/{scene}", rgb, disparity))
    return items


def lu_rgbz(root, held_out):
    """Lu et al.'s 02_RGBZ_Dataset: clean colour + clean 8-bit depth."""
    folder = os.path.join(root, LU_RGBZ)
    items = []
    for name in sorted(f for f in os.listdir(folder) if f.endswith("_clean_depth.png")):
        scene = name[:-len("_clean_depth.png")]
        if (scene in VAL_LU_RGBZ) != held_out:
            continue
        rgb = _read(os.path.join(folder, scene + "_clean_color.png")) / 255.0
        depth = _read(os.path.join(folder, name)).astype(np.float32)
        items.append(rgbd_item(f"lu/{scene}", rgb, depth, depth > 0))
    return items


def procedural(seeds, size=(256, 256)):
    """Procedural scenes (scenes.py) for the given seeds, each `size` = (height, width) pixels."""
    return [rgbd_item(f"scene/{seed}", *scenes.scene(seed, *size)) for seed in seeds]


def natural_sources(root, with_skimage):
    """[(name, loader)] of the natural RGB images: Kodak24, McMaster, and optionally skimage's."""
    sources = []
    for folder, ext, prefix in (("Kodak24", ".png", ""), ("McMaster", ".tif", "mcmaster")):
        for name in sorted(os.listdir(os.path.join(root, folder))):
            if name.endswith(ext):
                sources.append((prefix + name[:-len(ext)],
                                lambda p=os.path.join(root, folder, name): _read(p)))
    if with_skimage:
        import skimage.data
        sources += [(name, getattr(skimage.data, name)) for name in SKIMAGE_NATURAL]
    return sources


def natural(root, held_out):
    """Natural images for denoising: Kodak24, McMaster, skimage's natural images.

    Training uses the luma and each RGB channel as separate grey images (colour
    images are denoised one channel at a time); validation uses the luma only.
    """
    items = []
    for name, load in natural_sources(root, with_skimage=not held_out):
        if (name in VAL_NATURAL) != held_out:
            continue
        image = load() / 255.0
        planes = [luma(image)] if image.ndim == 3 else [image.astype(np.float32)]
        if image.ndim == 3 and not held_out:
            planes += [image[..., c].astype(np.float32) for c in range(3)]
        for plane in planes:
            items.append({"name": name, "guide": plane, "target": plane,
                          "mask": np.ones_like(plane)})
    return items


def flash_images(root, held_out):
    """RGB natural images for synthetic flash / no-flash pairs (flash.py); FLASH_HELD_OUT never trained on."""
    items = []
    for name, load in natural_sources(root, with_skimage=not held_out):
        if (name in FLASH_HELD_OUT) != held_out:
            continue
        image = load()
        if image.ndim == 3 and min(image.shape[:2]) >= 128:
            rgb = (image[..., :3] / 255.0).astype(np.float32)
            items.append({"name": name, "rgb": rgb, "mask": np.ones(rgb.shape[:2], np.float32)})
    return items


def flash_window(item, window, rng):
    """(input, guide, target) planes of a fresh synthetic pair inside `window`, one colour channel.

    The pair's lighting, kernel and noise are drawn per patch for the whole image,
    and the window is rendered with flash.MARGIN pixels of context for the blur.
    """
    h, w = item["rgb"].shape[:2]
    params = flash.draw(rng, h, w)
    ys, xs = window
    m = flash.MARGIN
    y0, y1 = max(ys.start - m, 0), min(ys.stop + m, h)
    x0, x1 = max(xs.start - m, 0), min(xs.stop + m, w)
    shot, noisy, sharp = flash.render(item["rgb"][y0:y1, x0:x1], params, rng, y0, x0)
    inner = (slice(ys.start - y0, ys.stop - y0), slice(xs.start - x0, xs.stop - x0))
    c = rng.integers(3)
    return noisy[inner][..., c], luma(shot[inner]), sharp[inner][..., c]


class Upsampling:
    """How depth_sr inputs are degraded: scales, low-resolution sampling, low-resolution noise.

    downsamplings: "point" (the DJF protocol) and / or "box" (block means, as Ferstl
    et al.'s set was made); noise: the largest sigma (unit depth range) of Gaussian
    noise added to the low-resolution depth, drawn uniformly in [0, noise] per patch;
    val_noise: the fixed sigma of the validation inputs.
    """

    def __init__(self, scales=DEPTH_SCALES, downsamplings=("point",), noise=0.0, val_noise=0.0, sensor=False,
                 method="bicubic", camera=False):
        self.scales, self.downsamplings = tuple(scales), tuple(downsamplings)
        self.noise, self.val_noise, self.sensor = noise, val_noise, sensor
        self.method = method  # how the low-resolution depth is brought to full size: bicubic or jbu
        self.camera = camera  # depth and colour from two sensors (camera.py)

    @property
    def per_patch(self):
        """Whether inputs are made per patch (no precomputed upsampling)."""
        return self.sensor or self.camera or self.method != "bicubic"

    def describe(self):
        text = (f"{'/'.join(self.downsamplings)} downsampling x{'/x'.join(map(str, self.scales))} "
                "(one scale per batch)")
        if self.sensor:
            text += (f" + sensor-like low-resolution depth (noise sigma uniform in 0..{self.noise:g}, "
                     "depth-dependent in metric depth, quantisation, flying pixels, holes filled "
                     "with the nearest value; degrade.sensor_degrade)")
        elif self.noise:
            text += f" + Gaussian noise on the low-resolution depth, sigma uniform in 0..{self.noise:g}"
        if self.camera:
            text += (" + two-sensor camera (camera.py: guide misregistered by 0-4 px varying over the frame, "
                     "depth edges blurred / grown, colour exposure, white balance, blur, noise)")
        if self.method == "jbu":
            return text + " + joint bilateral upsampling on the colour guide (r = 2, sigma_s = 1, sigma_r = 0.1)"
        return text + " + bicubic (Keys a=-0.5) upsampling"

    def window(self, item, scale, window, downsampling, transform):
        """The network input inside `window` (degrade.upsampling_window, bicubic or JBU)."""
        # the library's JBU start reads the colour guide (svlrm::upsample_input)
        guide = item.get("colour", item["guide"]) if self.method == "jbu" else None
        return degrade.upsampling_window(item["target"], scale, window, downsampling, transform, guide)

    def camera_window(self, item, scale, window, downsampling, transform, rng):
        """(input, guide, target) inside `window` as a two-sensor RGB-D camera gives them.

        The crop upsampling_window would read is degraded by camera.py (colour resampled
        through the registration error, the depth's edges as a sensor records them); the
        depth target is that recorded depth, as a real camera's ground truth is.
        """
        h, w = item["mask"].shape
        params = camera.draw(rng, h, w)
        y0, x0, y1, x1 = degrade.low_crop((h, w), scale, window)
        top, left = y0 * scale, x0 * scale
        crop = (slice(top, y1 * scale), slice(left, x1 * scale))
        target = camera.depth(item["target"][crop], params)
        colour = camera.colour(item["colour"][crop], params, (top, left), rng)
        rows, cols = window
        inner = (slice(rows.start - top, rows.stop - top), slice(cols.start - left, cols.stop - left))
        degraded = degrade.upsampling_window(target, scale, inner, downsampling, transform,
                                             colour if self.method == "jbu" else None)
        return degraded, camera.luma(colour[inner]), target[inner]

    def low_transform(self, rng, sigma, metric):
        """The degradation of the low-resolution depth for degrade.upsampling_window, or None."""
        if self.sensor:
            return lambda low, _: degrade.sensor_degrade(low, rng, sigma, metric)
        if sigma:
            return lambda low, _: (low + rng.normal(0.0, sigma, low.shape)).astype(np.float32)
        return None


def add_upsampling_inputs(items, upsampling):
    """Precompute the noise-free upsampling input of every item, scale and downsampling."""
    for item in items:
        item["upsampled"] = {(s, d): degrade.upsampling_input(item["target"], s, d)
                             for s in upsampling.scales for d in upsampling.downsamplings}
    return items


def training_groups(task, root, scene_count, upsampling=None, scene_size=(256, 256), rendered_share=0.0):
    """[(weight, items)]: groups of training images and the share of patches drawn from each.

    With rendered_share > 0 (depth_sr) a third group, initially empty, takes that share;
    PatchSampler.add fills it with rendered frames as the renderer writes them.
    """
    if task == "image_denoise":
        return [(1.0, natural(root, held_out=False))]
    if task == "flash_deblur":
        return [(1.0, flash_images(root, held_out=False))]
    real = middlebury2014(root, held_out=False) + lu_rgbz(root, held_out=False)
    rest = 1.0 - rendered_share
    groups = [(0.5 * rest, procedural(range(scene_count), scene_size)), (0.5 * rest, real)]
    if task == "depth_sr" and not (rendered_share or upsampling.per_patch):
        for _, items in groups:
            add_upsampling_inputs(items, upsampling)
    if rendered_share:
        groups.append((rendered_share, []))
    return groups


class PatchSampler:
    """Random training batches: image by group weight then by area, crop, flip / rotate, degrade."""

    def __init__(self, task, groups, rng, patch=64, upsampling=None):
        self.task, self.groups, self.rng, self.patch = task, groups, rng, patch
        self.upsampling = upsampling
        self._weigh()

    def _weigh(self):
        """Group and item probabilities; an empty group (no rendered frame yet) gets none."""
        weights = np.array([w if items else 0.0 for w, items in self.groups])
        self.group_p = weights / weights.sum()
        self.item_p = [np.array([i["mask"].size for i in items], dtype=np.float64)
                       for _, items in self.groups]
        self.item_p = [p / p.sum() if p.size else p for p in self.item_p]

    def add(self, group, items):
        """Append items to a group (rendered frames that appeared since the last call)."""
        if items:
            self.groups[group][1].extend(items)
            self._weigh()

    def batch(self, size):
        """Arrays [size, 1, patch, patch] input, guide, target, mask (float32); one scale per batch."""
        scale = int(self.rng.choice(self.upsampling.scales)) if self.task == "depth_sr" else None
        out = np.empty((4, size, 1, self.patch, self.patch), dtype=np.float32)
        for n in range(size):
            g = self.rng.choice(len(self.groups), p=self.group_p)
            items = self.groups[g][1]
            item = items[self.rng.choice(len(items), p=self.item_p[g])]
            h, w = item["mask"].shape
            y = self.rng.integers(0, h - self.patch + 1)
            x = self.rng.integers(0, w - self.patch + 1)
            window = (slice(y, y + self.patch), slice(x, x + self.patch))
            target = item["target"][window] if "target" in item else None
            guide = item["guide"][window] if "guide" in item else None
            if self.task == "depth_sr":
                up = self.upsampling
                # drawn only when there is a choice, so that point-only runs keep their data stream
                downsampling = (up.downsamplings[self.rng.integers(len(up.downsamplings))]
                                if len(up.downsamplings) > 1 else up.downsamplings[0])
                if "upsampled" in item:
                    degraded = item["upsampled"][(scale, downsampling)][window]
                    if up.noise:
                        low_shape = (h // scale, w // scale)
                        degraded = degraded + degrade.upsampled_noise_window(
                            low_shape, scale, window, self.rng.uniform(0.0, up.noise), self.rng)
                else:  # made per patch: rendered frames, sensor-like degradation
                    transform = up.low_transform(self.rng, self.rng.uniform(0.0, up.noise),
                                                 item.get("encoding") == "metric")
                    if up.camera:
                        degraded, guide, target = up.camera_window(item, scale, window, downsampling,
                                                                   transform, self.rng)
                    else:
                        degraded = up.window(item, scale, window, downsampling, transform)
            elif self.task == "depth_restore":
                degraded = degrade.table2_noise(target, self.rng.uniform(*RESTORE_SIGMA), self.rng)
            elif self.task == "flash_deblur":
                degraded, guide, target = flash_window(item, window, self.rng)
            else:
                degraded = degrade.add_gaussian_noise(target, self.rng.uniform(*DENOISE_SIGMA), self.rng)
                guide = degraded
            stack = np.stack([degraded, guide, target, item["mask"][window]])
            stack = np.rot90(stack, self.rng.integers(4), axes=(1, 2))
            if self.rng.integers(2):
                stack = stack[:, :, ::-1]
            out[:, n, 0] = stack
        return out[0], out[1], out[2], out[3]


def validation_set(task, root, upsampling=None, rendered_items=()):
    """Fixed held-out (name, input, guide, target, mask) tuples from training-allowed data.

    rendered_items: held-out rendered frames (rendered.validation_items), validated as the
    other depth images; with a sensor-like degradation, every image's input is made by it
    (fixed seed), with the validation noise sigma.
    """
    rng = np.random.default_rng(12345)
    cases = []
    if task == "image_denoise":
        for item in natural(root, held_out=True):
            for sigma in DENOISE_VAL_SIGMAS:
                noisy = degrade.add_gaussian_noise(item["target"], sigma, rng)
                cases.append((f"{item['name']}@{sigma:g}", noisy, noisy, item["target"], item["mask"]))
        return cases
    if task == "flash_deblur":
        for k, item in enumerate(i for i in flash_images(root, held_out=True) if i["name"] in FLASH_VAL_IMAGES):
            h, w = item["rgb"].shape[:2]
            y, x = (h - FLASH_VAL_CROP) // 2, (w - FLASH_VAL_CROP) // 2
            rgb = item["rgb"][y:y + FLASH_VAL_CROP, x:x + FLASH_VAL_CROP]
            shot, noisy, sharp = flash.pair(rgb, FLASH_VAL_SEED + k)
            guide, mask = luma(shot), np.ones(rgb.shape[:2], np.float32)
            for c in range(3):
                cases.append((f"{item['name']}/{'RGB'[c]}", noisy[..., c], guide, sharp[..., c], mask))
        return cases
    items = (middlebury2014(root, held_out=True) + lu_rgbz(root, held_out=True)
             + procedural(VAL_SCENE_SEEDS) + list(rendered_items))
    for item in items:
        if task == "depth_sr" and upsampling.per_patch:
            h, w = item["target"].shape
            whole = (slice(0, h), slice(0, w))
            for s in upsampling.scales:
                transform = upsampling.low_transform(rng, upsampling.val_noise, item.get("encoding") == "metric")
                if upsampling.camera:
                    degraded, guide, target = upsampling.camera_window(
                        item, s, whole, upsampling.downsamplings[-1], transform, rng)
                else:
                    degraded = upsampling.window(item, s, whole, upsampling.downsamplings[-1], transform)
                    guide, target = item["guide"], item["target"]
                cases.append((f"{item['name']}@x{s}", degraded, guide, target, item["mask"]))
        elif task == "depth_sr":
            # the last listed downsampling: "box" when both are trained (the noisy-sensor case)
            for s in upsampling.scales:
                degraded = degrade.upsampling_input(item["target"], s, upsampling.downsamplings[-1])
                if upsampling.val_noise:
                    h, w = item["target"].shape
                    degraded = degraded + degrade.upsampled_noise_window(
                        (h // s, w // s), s, (slice(0, h), slice(0, w)), upsampling.val_noise, rng)
                cases.append((f"{item['name']}@x{s}", degraded, item["guide"], item["target"], item["mask"]))
        else:
            noisy = degrade.table2_noise(item["target"], RESTORE_VAL_SIGMA, rng)
            cases.append((item["name"], noisy, item["guide"], item["target"], item["mask"]))
    return cases
