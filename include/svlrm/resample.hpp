// Resampling used by the evaluation protocols and the baselines.
//
// decimate: point decimation of the depth-upsampling protocol (DJF, Table 1):
//   lr(x, y) = gt(s*x + s-1, s*y + s-1), i.e. numpy's gt[s-1::s, s-1::s] cut to
//   floor(W/s) x floor(H/s). No prefiltering: that is the protocol.
//
// resize_bicubic / resize_bilinear: separable interpolation to the size of `out`.
//   Alignment: half-pixel centres. Output pixel i along an axis of in -> out samples
//     src = (i + 0.5) * in / out - 0.5
//   in input coordinates (pixel j's centre at j), as OpenCV, PIL and MATLAB do.
//   Border: taps that fall outside the input take the nearest edge pixel
//     (coordinates clamped, "replicate"). PIL differs here: it drops outside taps
//     and renormalises, so it agrees with this only away from the border.
//   No antialiasing: when shrinking, the kernel is not widened (as OpenCV's
//     INTER_CUBIC / INTER_LINEAR; unlike PIL and MATLAB's imresize, which widen it
//     by the shrink factor). The protocols here only upsample with it.
//   Two passes, horizontal then vertical, accumulated in float with weights
//     computed in double. Pixels go through the unit scale (image.hpp).
#pragma once

#include <svlrm/detail/planes.hpp>
#include <svlrm/error.hpp>
#include <svlrm/image.hpp>
#include <svlrm/parallel.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <type_traits>
#include <vector>

namespace svlrm {

// Keys' cubic convolution kernel (R. Keys, IEEE TASSP 1981) with parameter a:
//   W(x) = (a+2)|x|^3 - (a+3)|x|^2 + 1      for |x| <= 1
//   W(x) = a|x|^3 - 5a|x|^2 + 8a|x| - 4a    for 1 < |x| < 2
//   W(x) = 0                                otherwise.
// For every a the four taps sum to 1. a = -0.5 (default) is the only value with
// third-order accuracy; it is PIL's BICUBIC and MATLAB's imresize 'bicubic'.
// a = -0.75 is OpenCV's INTER_CUBIC.
struct bicubic_kernel {
    double a = -0.5;

    static constexpr bicubic_kernel keys() { return {-0.5}; }
    static constexpr bicubic_kernel opencv() { return {-0.75}; }

    double operator()(double x) const {
        x = std::abs(x);
        if (x <= 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
        if (x < 2.0) return ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a;
        return 0.0;
    }
};

namespace detail {

// The taps of a separable resampler along one axis:
//   out[i] = sum_k weight[i*taps + k] * in[index[i*taps + k]].
struct axis_taps {
    std::ptrdiff_t taps = 0;
    std::vector<std::ptrdiff_t> index;
    std::vector<float> weight;
};

// Taps for a kernel of half-width `support` (2 for cubic, 1 for linear), with the
// half-pixel alignment and clamped (replicate) border described at the top.
template <class Kernel>
axis_taps make_axis_taps(std::ptrdiff_t in_size, std::ptrdiff_t out_size, std::ptrdiff_t support,
                         const Kernel& kernel) {
    axis_taps t;
    t.taps = 2 * support;
    t.index.resize(static_cast<std::size_t>(out_size * t.taps));
    t.weight.resize(t.index.size());
    const double ratio = static_cast<double>(in_size) / static_cast<double>(out_size);
    for (std::ptrdiff_t i = 0; i < out_size; ++i) {
        const double src = (static_cast<double>(i) + 0.5) * ratio - 0.5;
        const auto first = static_cast<std::ptrdiff_t>(std::floor(src)) - support + 1;
        for (std::ptrdiff_t k = 0; k < t.taps; ++k) {
            const std::ptrdiff_t j = first + k;
            const auto slot = static_cast<std::size_t>(i * t.taps + k);
            t.index[slot] = std::clamp<std::ptrdiff_t>(j, 0, in_size - 1);
            t.weight[slot] = static_cast<float>(kernel(src - static_cast<double>(j)));
        }
    }
    return t;
}

// Horizontal pass into a width x in.height plane, then vertical into width x height.
inline plane resample_plane(const plane& in, std::ptrdiff_t width, std::ptrdiff_t height, const axis_taps& tx,
                            const axis_taps& ty) {
    plane tmp(width, in.height);
    parallel_for(in.height, [&](std::ptrdiff_t y0, std::ptrdiff_t y1) {
        for (std::ptrdiff_t y = y0; y < y1; ++y) {
            const float* src = in.row(y);
            float* dst = tmp.row(y);
            for (std::ptrdiff_t x = 0; x < width; ++x) {
                const std::ptrdiff_t* idx = tx.index.data() + x * tx.taps;
                const float* w = tx.weight.data() + x * tx.taps;
                float acc = 0.0f;
                for (std::ptrdiff_t k = 0; k < tx.taps; ++k) acc += w[k] * src[idx[k]];
                dst[x] = acc;
            }
        }
    }, 16);
    plane out(width, height);
    parallel_for(height, [&](std::ptrdiff_t y0, std::ptrdiff_t y1) {
        for (std::ptrdiff_t y = y0; y < y1; ++y) {
            float* dst = out.row(y);
            const std::ptrdiff_t* idx = ty.index.data() + y * ty.taps;
            const float* w = ty.weight.data() + y * ty.taps;
            // Row-wise accumulation so that the inner loop vectorises.
            std::fill(dst, dst + width, 0.0f);
            for (std::ptrdiff_t k = 0; k < ty.taps; ++k) {
                const float* src = tmp.row(idx[k]);
                const float wk = w[k];
                for (std::ptrdiff_t x = 0; x < width; ++x) dst[x] += wk * src[x];
            }
        }
    }, 16);
    return out;
}

// Bicubic resampling of a plane to width x height (conventions at the top of this file).
inline plane resize_bicubic_plane(const plane& in, std::ptrdiff_t width, std::ptrdiff_t height,
                                  bicubic_kernel kernel = {}) {
    return resample_plane(in, width, height, make_axis_taps(in.width, width, 2, kernel),
                          make_axis_taps(in.height, height, 2, kernel));
}

// Bilinear resampling of a plane to width x height (conventions at the top of this file).
inline plane resize_bilinear_plane(const plane& in, std::ptrdiff_t width, std::ptrdiff_t height) {
    const auto tent = [](double x) { return std::max(0.0, 1.0 - std::abs(x)); };
    return resample_plane(in, width, height, make_axis_taps(in.width, width, 1, tent),
                          make_axis_taps(in.height, height, 1, tent));
}

template <class TI, class TO>
void check_resize_args(const image_view<TI>& input, const image_view<TO>& out, const char* where) {
    check_view(input, where, "input");
    check_view(out, where, "out");
    check_channels(out, input.channels, where, "out");
    check_finite(input, where, "input");
}

// Resamples every channel (all read before any is written, so out may alias input).
template <class TI, class TO, class Resize>
void resize_channels(const image_view<TI>& input, const image_view<TO>& out, const Resize& resize) {
    std::vector<plane> result;
    result.reserve(static_cast<std::size_t>(input.channels));
    for (std::ptrdiff_t c = 0; c < input.channels; ++c) result.push_back(resize(read_plane(input, c)));
    for (std::ptrdiff_t c = 0; c < input.channels; ++c) write_plane(result[static_cast<std::size_t>(c)], out, c);
}

}  // namespace detail

// Point decimation by an integer factor: out(x, y) = input(s*x + s-1, s*y + s-1).
// out must be exactly floor(W/s) x floor(H/s) with the channels of input.
template <pixel_type TI, pixel_type TO>
    requires(!std::is_const_v<TO>)
void decimate(image_view<TI> input, image_view<TO> out, int scale) {
    constexpr const char* where = "svlrm::decimate";
    detail::check_view(input, where, "input");
    detail::check_view(out, where, "out");
    if (scale < 1) detail::throw_invalid(where, "scale (" + std::to_string(scale) + ") must be at least 1");
    if (input.width < scale || input.height < scale)
        detail::throw_invalid(where, "input " + std::to_string(input.width) + "x" + std::to_string(input.height) +
                                         " is smaller than the scale " + std::to_string(scale));
    const std::ptrdiff_t w = input.width / scale, h = input.height / scale;
    if (out.width != w || out.height != h)
        detail::throw_invalid(where, "out is " + std::to_string(out.width) + "x" + std::to_string(out.height) +
                                         ", expected floor(W/scale) x floor(H/scale) = " + std::to_string(w) + "x" +
                                         std::to_string(h));
    detail::check_channels(out, input.channels, where, "out");
    detail::check_finite(input, where, "input");

    // Gather first, then write: out may alias input.
    const std::ptrdiff_t c = input.channels, s = scale;
    std::vector<float> lr(static_cast<std::size_t>(w * h * c));
    parallel_for(h, [&](std::ptrdiff_t y0, std::ptrdiff_t y1) {
        for (std::ptrdiff_t y = y0; y < y1; ++y) {
            const auto* src = input.row(s * y + s - 1);
            for (std::ptrdiff_t x = 0; x < w; ++x)
                for (std::ptrdiff_t k = 0; k < c; ++k)
                    lr[static_cast<std::size_t>((y * w + x) * c + k)] = to_unit(src[(s * x + s - 1) * c + k]);
        }
    }, 64);
    parallel_for(h, [&](std::ptrdiff_t y0, std::ptrdiff_t y1) {
        for (std::ptrdiff_t y = y0; y < y1; ++y)
            for (std::ptrdiff_t i = 0; i < w * c; ++i)
                out.row(y)[i] = from_unit<TO>(lr[static_cast<std::size_t>(y * w * c + i)]);
    }, 64);
}

// Bicubic resampling of input to the size of out (any sizes; same channels), with
// Keys' kernel (default a = -0.5) and the conventions at the top of this file.
// Integer outputs are rounded and clamped to [0, 1]; float outputs may overshoot
// [0, 1] near edges, as any cubic interpolation does.
template <pixel_type TI, pixel_type TO>
    requires(!std::is_const_v<TO>)
void resize_bicubic(image_view<TI> input, image_view<TO> out, bicubic_kernel kernel = {}) {
    constexpr const char* where = "svlrm::resize_bicubic";
    detail::check_resize_args(input, out, where);
    if (!std::isfinite(kernel.a)) detail::throw_invalid(where, "kernel parameter a is not finite");
    detail::resize_channels(input, out, [&](const detail::plane& p) {
        return detail::resize_bicubic_plane(p, out.width, out.height, kernel);
    });
}

// Bilinear resampling of input to the size of out (any sizes; same channels), with
// the conventions at the top of this file (OpenCV's INTER_LINEAR for float data).
template <pixel_type TI, pixel_type TO>
    requires(!std::is_const_v<TO>)
void resize_bilinear(image_view<TI> input, image_view<TO> out) {
    constexpr const char* where = "svlrm::resize_bilinear";
    detail::check_resize_args(input, out, where);
    detail::resize_channels(input, out, [&](const detail::plane& p) {
        return detail::resize_bilinear_plane(p, out.width, out.height);
    });
}

}  // namespace svlrm
