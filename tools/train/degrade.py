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


def upsampling_input(depth, scale):
    """The network input for depth upsampling: decimate by `scale`, bicubic back to full size.

    `depth` should have sides divisible by `scale` so that the protocol's
    src = (dst + 0.5) / s - 0.5 holds exactly (crop_to_multiple does that).
    """
    return resize_bicubic(decimate(depth, scale), depth.shape[0], depth.shape[1])


def crop_to_multiple(array, multiple):
    """Crop the bottom / right so that both sides are multiples of `multiple`."""
    height = array.shape[0] - array.shape[0] % multiple
    width = array.shape[1] - array.shape[1] % multiple
    return array[:height, :width]


def add_gaussian_noise(image, sigma, rng):
    """image + N(0, sigma^2), sigma on the [0, 1] scale (8% of range = 0.08); no clipping."""
    return (image + rng.normal(0.0, sigma, size=image.shape)).astype(np.float32)
