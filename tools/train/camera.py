"""How a real RGB-D camera's depth and colour disagree: a training degradation.

Why this exists: in rendered frames and in most real training data, depth and colour come
from one exact camera, so every depth edge lies on a colour edge at the same pixel and the
network learned to snap depth to colour edges. A real RGB-D camera has two sensors: after
registration the depth is off by 1-4 px, by an amount that varies over the frame (baseline,
rotation and intrinsics errors); the depth sensor blurs or dilates depth edges; and the
colour comes from its own sensor (exposure, white balance, noise, blur). Trained on exact
pairs only, depth_sr made its JBU start worse at x4 on every frame of an independent real
time-of-flight set (issue 27).

The geometry is drawn per frame and evaluated in absolute image coordinates, so a crop
degraded alone (the patch sampler's window plus its margin) is the same window of the whole
degraded frame, up to the clamping at the crop's border and the per-pixel noise.
"""

import numpy as np
from scipy import ndimage

LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # BT.601, as the library converts a guide
MAX_SHIFT = 4.0  # px: registration error of consumer RGB-D cameras after factory calibration


def draw(rng, height, width):
    """Camera parameters for one frame of height x width pixels."""
    params = {"shift": np.zeros(2), "linear": np.zeros((2, 2)), "centre": np.zeros(2)}
    if rng.random() < 0.8:  # the rest: exactly registered, as before
        angle = rng.uniform(0.0, 2.0 * np.pi)
        params["shift"] = rng.uniform(0.0, MAX_SHIFT) * np.array([np.sin(angle), np.cos(angle)])
        # a rotation error up to 0.3 deg and a focal-length error up to 0.5%: 1-2 px more at
        # the far side of a 640-px frame, so the error varies over the frame
        theta, zoom = rng.uniform(-0.005, 0.005), rng.uniform(-0.005, 0.005)
        params["linear"] = np.array([[zoom, -theta], [theta, zoom]])
        params["centre"] = np.array([rng.uniform(0, height), rng.uniform(0, width)])
    # depth edges: blurred, and one side grown by a pixel (ToF / structured-light edge effects)
    params["depth_blur"] = rng.uniform(0.3, 1.0) if rng.random() < 1 / 3 else 0.0
    params["depth_grow"] = int(rng.choice((-1, 0, 0, 1)))
    # the colour sensor
    params["gain"] = float(np.exp(rng.normal(0.0, 0.25)))
    params["gamma"] = float(np.exp(rng.normal(0.0, 0.15)))
    params["white"] = np.exp(rng.normal(0.0, 0.06, 3))
    params["colour_blur"] = rng.uniform(0.3, 1.0) if rng.random() < 0.3 else 0.0
    params["colour_noise"] = rng.uniform(0.0, 0.02)
    return params


def colour(rgb, params, origin, rng):
    """The colour image as the second sensor sees it: resampled through the registration
    error, then exposure, white balance, blur, noise and 8-bit quantisation. rgb: (h, w, 3) on
    [0, 1], the crop of the frame whose top-left pixel is `origin`; float32 result."""
    rgb = np.asarray(rgb, dtype=np.float32)
    h, w = rgb.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    position = np.stack([ys + origin[0], xs + origin[1]])
    offset = params["shift"][:, None, None] + np.einsum(
        "ij,jhw->ihw", params["linear"], position - params["centre"][:, None, None])
    if np.any(offset):
        coords = np.stack([ys + offset[0], xs + offset[1]])
        rgb = np.stack([ndimage.map_coordinates(rgb[..., c], coords, order=1, mode="nearest")
                        for c in range(3)], axis=-1)
    rgb = np.clip(rgb * (params["gain"] * params["white"]).astype(np.float32), 0.0, 1.0) ** params["gamma"]
    if params["colour_blur"]:
        rgb = ndimage.gaussian_filter(rgb, (params["colour_blur"], params["colour_blur"], 0))
    rgb = rgb + rng.normal(0.0, params["colour_noise"], rgb.shape)
    return (np.round(np.clip(rgb, 0.0, 1.0) * 255.0) / 255.0).astype(np.float32)


def depth(target, params):
    """The depth as a real sensor records it (what a real camera's ground truth looks like):
    edges blurred and / or one side of every edge grown by a pixel. float32."""
    out = np.asarray(target, dtype=np.float32)
    if params["depth_grow"] > 0:
        out = ndimage.maximum_filter(out, 3)
    elif params["depth_grow"] < 0:
        out = ndimage.minimum_filter(out, 3)
    if params["depth_blur"]:
        out = ndimage.gaussian_filter(out, params["depth_blur"])
    return out.astype(np.float32)


def luma(rgb):
    """The network's guide from a colour image on [0, 1]."""
    return (np.asarray(rgb, dtype=np.float32) @ LUMA).astype(np.float32)
