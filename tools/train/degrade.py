"""Degradations of the evaluation protocols (docs: shared/reference/protocols.md).

Why this exists: a model learns the inverse of the degradation it is trained on,
so training inputs must be made exactly as the evaluation harness and the C++
library make them. Depth upsampling input = point decimation then bicubic
upsampling with Keys' kernel (a = -0.5), half-pixel alignment, clamped
(replicate) borders and no antialiasing: the conventions of
svlrm::resize_bicubic (include/svlrm/resample.hpp); check_bicubic.py lets a C++
test prove the two agree. Noise levels are fractions of the [0, 1] range.
"""

import numpy as np
from scipy import ndimage

KEYS_A = -0.5


def keys_kernel(x, a=KEYS_A):
    """Keys' cubic convolution kernel W(x) (IEEE TASSP 1981), vectorised, float64."""
    x = np.abs(np.asarray(x, dtype=np.float64))
    near = ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0
    far = ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a
    return np.where(x <= 1.0, near, np.where(x < 2.0, far, 0.0))


def axis_matrix(in_size, out_size, a=KEYS_A):
    """[out_size, in_size] resampling matrix along one axis.

    Output pixel i samples src = (i + 0.5) * in/out - 0.5 with the four taps
    floor(src)-1 .. floor(src)+2; taps outside the input are clamped to the edge
    pixel (their weights add up there), as resample.hpp does. The weights are
    rounded to float32 as the C++ code stores them.
    """
    src = (np.arange(out_size, dtype=np.float64) + 0.5) * (in_size / out_size) - 0.5
    first = np.floor(src).astype(np.int64) - 1
    matrix = np.zeros((out_size, in_size), dtype=np.float64)
    rows = np.arange(out_size)
    for k in range(4):
        j = first + k
        weight = keys_kernel(src - j, a).astype(np.float32).astype(np.float64)
        np.add.at(matrix, (rows, np.clip(j, 0, in_size - 1)), weight)
    return matrix


def resize_bicubic(image, height, width, a=KEYS_A):
    """Bicubic resampling of a 2-D float array to height x width (see axis_matrix).

    Horizontal pass first, then vertical, as the C++ code; the result is float32.
    """
    image = np.asarray(image, dtype=np.float64)
    horizontal = image @ axis_matrix(image.shape[1], width, a).T
    return (axis_matrix(image.shape[0], height, a) @ horizontal).astype(np.float32)


def decimate(depth, scale):
    """Point decimation of the DJF protocol: lr = gt[s-1::s, s-1::s] (0-based)."""
    height, width = depth.shape[0] // scale, depth.shape[1] // scale
    return depth[scale - 1::scale, scale - 1::scale][:height, :width]


def box_downsample(depth, scale):
    """Mean of each scale x scale block: how Ferstl et al.'s (Park et al.'s) noisy
    low-resolution inputs were made (measured: their x4..x16 inputs sit closer to block
    means of the ground truth than to any point-decimation phase)."""
    height, width = depth.shape[0] // scale, depth.shape[1] // scale
    blocks = depth[:height * scale, :width * scale].reshape(height, scale, width, scale)
    return blocks.mean(axis=(1, 3), dtype=np.float64).astype(np.float32)


DOWNSAMPLERS = {"point": decimate, "box": box_downsample}


def upsampling_input(depth, scale, downsampling="point"):
    """The network input for depth upsampling: downsample by `scale`, bicubic back to full size.

    `depth` should have sides divisible by `scale` so that the protocol's
    src = (dst + 0.5) / s - 0.5 holds exactly (crop_to_multiple does that).
    """
    low = DOWNSAMPLERS[downsampling](depth, scale)
    return resize_bicubic(low, depth.shape[0], depth.shape[1])


_AXIS_CACHE = {}


def upsampled_noise_window(low_shape, scale, window, sigma, rng):
    """Bicubic upsampling of N(0, sigma^2) low-resolution noise, only inside `window`.

    Bicubic upsampling is linear, so upsample(low + n) = upsample(low) + upsample(n): the
    clean part is precomputed per image and only the noise is drawn per patch. Only the
    rows / columns of the axis matrices inside the window are multiplied.
    """
    noise = rng.normal(0.0, sigma, size=low_shape)
    rows, cols = window
    mats = []
    for low, out, sl in ((low_shape[0], low_shape[0] * scale, rows), (low_shape[1], low_shape[1] * scale, cols)):
        key = (low, out)
        if key not in _AXIS_CACHE:
            _AXIS_CACHE[key] = axis_matrix(low, out)
        mats.append(_AXIS_CACHE[key][sl])
    return (mats[0] @ noise @ mats[1].T).astype(np.float32)


def crop_to_multiple(array, multiple):
    """Crop the bottom / right so that both sides are multiples of `multiple`."""
    height = array.shape[0] - array.shape[0] % multiple
    width = array.shape[1] - array.shape[1] % multiple
    return array[:height, :width]


def add_gaussian_noise(image, sigma, rng):
    """image + N(0, sigma^2), sigma on the [0, 1] scale (8% of range = 0.08); no clipping
    (Tables 3-4; tools/common/noise.hpp is the C++ twin)."""
    return (image + rng.normal(0.0, sigma, size=image.shape)).astype(np.float32)


def table2_noise(image, sigma, rng):
    """The Table 2 protocol on depth scaled to [0, 1]: Gaussian noise, then clipped to
    [0, 1], as 8-bit depth files are (tools/common/noise.hpp, table2_noise)."""
    return np.clip(add_gaussian_noise(image, sigma, rng), 0.0, 1.0)


JBU = {"radius": 2, "sigma_spatial": 1.0, "sigma_range": 0.1}  # svlrm::jbu_options' defaults


def jbu(low, guide, scale, rows, cols, low_origin=(0, 0), radius=2, sigma_spatial=1.0, sigma_range=0.1):
    """Joint bilateral upsampling of `low` for the high-resolution pixels rows x cols.

    The conventions of svlrm::joint_bilateral_upsample (include/svlrm/jbu.hpp): low-res
    pixel q sits at high-res s*q + s-1; p's window is the (2r+1)^2 low-res pixels around
    floor((p - (s-1)) / s + 0.5), cut to the image; the range kernel compares the guide at
    p with the guide at s*q + s-1. `low` may be a crop of the low-resolution image whose
    top-left pixel is low_origin; the window is cut to the crop, which equals cutting it
    to the image when the crop reaches r pixels beyond the rows and columns (or the
    image's edge). `guide`: the whole high-resolution guide on the unit scale, one plane
    (H, W) or colour (H, W, 3), whose range kernel sums the squared differences of the
    three channels, as the library's does for an RGB guide. rows, cols: slices of
    high-resolution pixels. Float64 sums, float32 result.
    """
    spatial, ranged = 1.0 / (2 * sigma_spatial ** 2), 1.0 / (2 * sigma_range ** 2)
    axes = []
    for sl, origin, size in ((rows, low_origin[0], low.shape[0]), (cols, low_origin[1], low.shape[1])):
        p = np.arange(sl.start, sl.stop)
        down = (p - (scale - 1)) / scale
        q = np.floor(down + 0.5).astype(np.int64)[:, None] + np.arange(-radius, radius + 1)[None, :]
        inside = (q >= origin) & (q < origin + size)
        weight = np.exp(-spatial * (down[:, None] - q) ** 2) * inside
        axes.append((np.clip(q - origin, 0, size - 1), np.clip(q * scale + scale - 1, 0, None), weight))
    (qy, gy, wy), (qx, gx, wx) = axes
    # gathered first, then widened: the whole (float16, colour) guide is never copied per patch
    guide = np.asarray(guide)
    gy, gx = np.minimum(gy, guide.shape[0] - 1), np.minimum(gx, guide.shape[1] - 1)
    centre = guide[rows, cols].astype(np.float64)
    total = np.zeros(centre.shape[:2])
    norm = np.zeros(centre.shape[:2])
    for j in range(qy.shape[1]):
        for i in range(qx.shape[1]):
            d = centre - guide[np.ix_(gy[:, j], gx[:, i])].astype(np.float64)
            d2 = (d * d).sum(axis=-1) if guide.ndim == 3 else d * d
            w = wy[:, j, None] * wx[None, :, i] * np.exp(-ranged * d2)
            total += w * low[np.ix_(qy[:, j], qx[:, i])]
            norm += w
    return (total / norm).astype(np.float32)


def low_crop(shape, scale, window):
    """(y0, x0, y1, x1): the low-resolution pixels upsampling_window reads for `window` of an
    image of `shape`, 3 beyond it on every side and cut to the image."""
    rows, cols = window
    low_h, low_w = shape[0] // scale, shape[1] // scale
    y0, x0 = max(0, rows.start // scale - 3), max(0, cols.start // scale - 3)
    return y0, x0, min(low_h, -(-rows.stop // scale) + 3), min(low_w, -(-cols.stop // scale) + 3)


def upsampling_window(target, scale, window, downsampling="point", low_transform=None, guide=None):
    """upsampling_input(target, scale, downsampling)[window], computed from a crop around the window.

    Why: rendered frames are too many to keep six upsampled copies of each in memory,
    and sensor-like degradations act on the low-resolution image, so the input is made
    per patch. The crop is aligned to the low-resolution grid and reaches 3 low-resolution
    pixels beyond the window (bicubic reads 2 on either side, JBU `radius`), so inside the
    window the result equals the whole-image one; only where the crop meets the image
    border does border handling apply, as it does for the whole image. `low_transform(low,
    offset)` may degrade the low-resolution crop (offset: its top-left low-resolution
    pixel). With a `guide` (the whole high-resolution guide, one plane or colour) the
    upsampling is JBU (the JBU dict's parameters) instead of bicubic.
    """
    rows, cols = window
    y0, x0, y1, x1 = low_crop(target.shape, scale, window)
    crop = np.asarray(target[y0 * scale:y1 * scale, x0 * scale:x1 * scale], dtype=np.float32)
    low = DOWNSAMPLERS[downsampling](crop, scale)
    if low_transform is not None:
        low = low_transform(low, (y0, x0))
    if guide is not None:
        return jbu(low, guide, scale, rows, cols, (y0, x0), **JBU)
    up = resize_bicubic(low, crop.shape[0], crop.shape[1])
    return up[rows.start - y0 * scale:rows.stop - y0 * scale, cols.start - x0 * scale:cols.stop - x0 * scale]


def _edges(low, threshold):
    """Pixels whose 3x3 neighbourhood spans more than `threshold`: depth discontinuities."""
    return (ndimage.maximum_filter(low, 3) - ndimage.minimum_filter(low, 3)) > threshold


def fill_nearest(values, valid):
    """Missing pixels take the value of the nearest valid one (svlrm::fill_missing, include/svlrm/missing.hpp)."""
    if valid.all() or not valid.any():
        return values
    _, nearest = ndimage.distance_transform_edt(~valid, return_indices=True)
    return values[tuple(nearest)]


def sensor_degrade(low, rng, sigma, metric):
    """Low-resolution depth as an active sensor delivers it (values on the unit scale).

    Each effect is drawn independently per patch so that clean-ish inputs stay in the mix:
    - Gaussian noise of standard deviation sigma; a Kinect's error grows with the square
      of the distance, so in metric depth sigma is scaled by ((0.5 + z) / 1.5)^2 (1 at the
      far end of the range); in inverse depth (disparity) it is roughly constant;
    - quantisation, as disparity / 8-bit files have it (step 1/1024 .. 1/128 of the range);
    - flying pixels: on depth edges, a mix of the two sides;
    - holes at depth edges (occlusion shadows) and in random blobs (dark or shiny
      surfaces), filled with the nearest valid value as svlrm::fill_missing does.
    """
    out = np.array(low, dtype=np.float32)
    edges = _edges(out, 0.03)
    if rng.random() < 0.5 and edges.any():
        lo, hi = ndimage.minimum_filter(out, 3), ndimage.maximum_filter(out, 3)
        mix = rng.uniform(0, 1, out.shape).astype(np.float32)
        flying = edges & (rng.random(out.shape) < rng.uniform(0.1, 0.5))
        out[flying] = (lo + mix * (hi - lo))[flying]
    if sigma > 0:
        gain = ((0.5 + np.clip(out, 0, 1)) / 1.5) ** 2 if metric else 1.0
        out = out + rng.normal(0.0, 1.0, out.shape).astype(np.float32) * sigma * gain
    if rng.random() < 0.5:
        step = 1.0 / rng.choice((128, 256, 512, 1024))
        out = np.round(out / step) * step
    valid = np.ones(out.shape, dtype=bool)
    if rng.random() < 0.5 and edges.any():
        valid &= ~(edges & (rng.random(out.shape) < rng.uniform(0.2, 0.8)))
    if rng.random() < 0.3:
        ys, xs = np.mgrid[0:out.shape[0], 0:out.shape[1]]
        for _ in range(rng.integers(1, 4)):
            cy, cx = rng.uniform(0, out.shape[0]), rng.uniform(0, out.shape[1])
            ry, rx = rng.uniform(0.5, 4, size=2)
            valid &= ((ys - cy) / ry) ** 2 + ((xs - cx) / rx) ** 2 > 1
    return fill_nearest(out, valid).astype(np.float32)
