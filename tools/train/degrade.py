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
    """image + N(0, sigma^2), sigma on the [0, 1] scale (8% of range = 0.08); no clipping."""
    return (image + rng.normal(0.0, sigma, size=image.shape)).astype(np.float32)
