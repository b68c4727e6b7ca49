"""Synthetic flash / no-flash pairs for training and evaluating flash deblurring (paper Sec. 5.6).

Why this exists: no pair dataset we may train on exists, so a pair is made from one
natural RGB image (treated as the scene's reflectance, linearised from sRGB) shown
under two lights, as Petschnigg et al. and Eisemann-Durand describe the two shots:
- the flash guide G: a near-frontal light, so brighter near a random flash centre and
  falling off with distance, slightly cool, with flatter shading (reflectance^gamma_f,
  gamma_f < 1), sparse white specular highlights that the no-flash shot lacks, little noise;
- the no-flash target: warm ambient light with its own colour cast, darker, deeper
  shading (gamma_a >= 1) and a smooth illumination field of its own; the sharp
  version is the ground truth F, the network's input I is it blurred by a camera-shake
  kernel (a random-walk trajectory, Boracchi and Foi 2012: 7..31 px, normalised) in
  linear light, plus signal-dependent sensor noise, quantised to 8 bits.
The colour transfer between the shots is therefore spatially varying and non-linear,
not a global gain. Every field is a function of absolute image coordinates, so a
window synthesised on its own equals the same window of the whole synthesised image
(up to the blur's border), and everything is drawn from one seeded numpy Generator:
the recipe is deterministic per seed.
"""

import numpy as np
from scipy import signal

KERNEL_SIZES = (7, 31)  # camera-shake kernel side, odd, inclusive
MARGIN = KERNEL_SIZES[1] // 2  # context a window needs for the blur


def srgb_to_linear(v):
    v = np.clip(v, 0.0, 1.0)
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(v):
    v = np.clip(v, 0.0, 1.0)
    return np.where(v <= 0.0031308, 12.92 * v, 1.055 * v ** (1 / 2.4) - 0.055)


def luma(rgb):
    """BT.601 luma of linear reflectance: how strongly a surface shows the flash's highlight.

    (The network's guide is the luma of the sRGB flash shot, data.luma, as the library makes it.)
    """
    return rgb @ np.array([0.299, 0.587, 0.114])


def shake_kernel(rng, size=None):
    """A normalised camera-shake kernel: a random-walk trajectory with inertia and jerks, rasterised.

    The trajectory (Boracchi and Foi 2012's model: velocity driven by Gaussian
    acceleration, a pull back towards the start and occasional impulsive jerks) is
    scaled to fill 60-100% of the kernel side and splatted bilinearly.
    """
    size = size or int(rng.integers(KERNEL_SIZES[0] // 2, KERNEL_SIZES[1] // 2 + 1)) * 2 + 1
    steps = 400
    position = np.zeros(2)
    velocity = rng.normal(0, 1, 2)
    path = np.empty((steps, 2))
    anxiety, jerk_p = rng.uniform(0.1, 0.6), rng.uniform(0.0, 0.02)
    for t in range(steps):
        jerk = rng.normal(0, 8, 2) if rng.random() < jerk_p else 0.0
        velocity = 0.9 * velocity + anxiety * rng.normal(0, 1, 2) - 0.01 * position + jerk
        position = position + velocity * 0.1
        path[t] = position
    path -= (path.max(0) + path.min(0)) / 2
    extent = max(np.abs(path).max(), 1e-6)
    path *= rng.uniform(0.6, 1.0) * (size - 2) / 2 / extent
    path += size // 2
    kernel = np.zeros((size, size))
    y0, x0 = np.floor(path[:, 0]).astype(int), np.floor(path[:, 1]).astype(int)
    fy, fx = path[:, 0] - y0, path[:, 1] - x0
    for dy, wy in ((0, 1 - fy), (1, fy)):
        for dx, wx in ((0, 1 - fx), (1, fx)):
            np.add.at(kernel, (np.clip(y0 + dy, 0, size - 1), np.clip(x0 + dx, 0, size - 1)), wy * wx)
    return kernel / kernel.sum()


def _waves(rng, count, wavelengths):
    """Parameters of a sum of plane waves (direction, wavelength, phase, amplitude)."""
    angle = rng.uniform(0, np.pi, count)
    frequency = 2 * np.pi / rng.uniform(*wavelengths, count)
    return {"ky": frequency * np.sin(angle), "kx": frequency * np.cos(angle),
            "phase": rng.uniform(0, 2 * np.pi, count), "amp": rng.normal(0, 1, count) / np.sqrt(count)}


def _field(waves, ys, xs):
    out = np.zeros(np.broadcast(ys, xs).shape)
    for ky, kx, phase, amp in zip(waves["ky"], waves["kx"], waves["phase"], waves["amp"]):
        out += amp * np.cos(ky * ys + kx * xs + phase)
    return out


def draw(rng, height, width):
    """The parameters of one pair for an image of height x width (all randomness of the recipe)."""
    diagonal = np.hypot(height, width)
    return {
        "kernel": shake_kernel(rng),
        # flash: near-frontal, falloff from its centre, cool, flat shading, speculars, exposure
        "flash_centre": (rng.uniform(0.2, 0.8) * height, rng.uniform(0.2, 0.8) * width),
        "flash_reach": rng.uniform(0.35, 1.2) * diagonal,
        "flash_field": _waves(rng, 4, (150, 800)), "flash_field_gain": rng.uniform(0.1, 0.35),
        "flash_cast": np.array([rng.uniform(0.88, 1.0), rng.uniform(0.95, 1.03), rng.uniform(1.0, 1.15)]),
        "flash_gamma": rng.uniform(0.7, 0.95),
        "flash_exposure": rng.uniform(0.8, 1.6),
        "specular": _waves(rng, 6, (6, 40)), "specular_level": rng.uniform(1.2, 2.0),
        "specular_gain": rng.uniform(0.0, 0.6),
        "flash_noise": rng.uniform(0.0, 0.006),
        # no-flash: warm ambient, its own smooth illumination, deeper shading, darker
        "ambient_cast": np.array([1.0, rng.uniform(0.7, 0.92), rng.uniform(0.4, 0.75)]),
        "ambient_field": _waves(rng, 5, (80, 600)), "ambient_field_gain": rng.uniform(0.3, 0.9),
        "ambient_ramp": rng.normal(0, 0.8, 2) / diagonal, "centre": np.array([height / 2, width / 2]),
        "ambient_gamma": rng.uniform(1.0, 1.25),
        "ambient_exposure": rng.uniform(0.35, 0.9),
        # no-flash sensor noise (linear light): variance = shot * x + read^2
        "shot": rng.uniform(0.0, 4e-4), "read": rng.uniform(0.002, 0.012),
    }


def render(rgb, params, rng, y0=0, x0=0):
    """(flash RGB, blurred noisy no-flash RGB, sharp no-flash RGB) of an sRGB window.

    rgb: float [h, w, 3] on the unit scale, the window whose top-left pixel is (y0, x0)
    of the whole image (the fields are functions of whole-image coordinates). The
    blurred input is valid where the kernel's support lies inside the window
    (borders reflect); callers crop MARGIN pixels when they need exact windows.
    rng draws the noise only.
    """
    h, w = rgb.shape[:2]
    ys = (np.arange(h) + y0)[:, None].astype(np.float64)
    xs = (np.arange(w) + x0)[None, :].astype(np.float64)
    reflectance = srgb_to_linear(rgb)

    cy, cx = params["flash_centre"]
    falloff = 1.0 / (1.0 + ((ys - cy) ** 2 + (xs - cx) ** 2) / params["flash_reach"] ** 2)
    flash_light = falloff * np.exp(params["flash_field_gain"] * _field(params["flash_field"], ys, xs))
    flash = reflectance ** params["flash_gamma"] * (params["flash_exposure"] * flash_light)[..., None]
    flash = flash * params["flash_cast"]
    highlight = np.maximum(_field(params["specular"], ys, xs) - params["specular_level"], 0.0) ** 2
    flash = flash + (params["specular_gain"] * highlight * luma(reflectance))[..., None]
    flash = linear_to_srgb(flash + rng.normal(0.0, params["flash_noise"], flash.shape))

    cy, cx = params["centre"]
    ambient_light = params["ambient_exposure"] * np.exp(
        params["ambient_field_gain"] * _field(params["ambient_field"], ys, xs)
        + params["ambient_ramp"][0] * (ys - cy) + params["ambient_ramp"][1] * (xs - cx))
    sharp = np.clip(reflectance ** params["ambient_gamma"] * ambient_light[..., None] * params["ambient_cast"], 0, 1)
    kernel = params["kernel"]
    r = kernel.shape[0] // 2
    padded = np.pad(sharp, ((r, r), (r, r), (0, 0)), mode="symmetric")
    blurred = np.clip(signal.fftconvolve(padded, kernel[..., None], mode="valid", axes=(0, 1)), 0.0, 1.0)
    variance = params["shot"] * blurred + params["read"] ** 2
    noisy = blurred + rng.normal(0.0, 1.0, blurred.shape) * np.sqrt(variance)
    noisy = np.round(linear_to_srgb(noisy) * 255.0) / 255.0
    return flash.astype(np.float32), noisy.astype(np.float32), linear_to_srgb(sharp).astype(np.float32)


def pair(rgb, seed):
    """The whole-image pair of seed `seed` (evaluation and validation): (flash, no-flash input, target), RGB."""
    rng = np.random.default_rng(seed)
    params = draw(rng, *rgb.shape[:2])
    return render(rgb, params, rng)

