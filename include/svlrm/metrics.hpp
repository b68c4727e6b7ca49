// Image quality measures of the paper's tables: PSNR, RMSE and SSIM.
//
// All take two views of the same size and channels (any pixel types) and work in
// double on the unit scale of image.hpp (uint8 v -> v/255, uint16 v -> v/65535,
// float as is). Results on the 0..255 scale of Table 2: RMSE times 255; PSNR and
// SSIM are unchanged when both images and the peak / data range are scaled together,
// so psnr(a, b) on unit-scale data equals PSNR on 0..255 data with peak 255. Float
// images that hold 0..255 values are measured with peak = data_range = 255.
#pragma once

#include <svlrm/error.hpp>
#include <svlrm/image.hpp>
#include <svlrm/parallel.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

namespace svlrm {

namespace detail {

// to_unit in double: exact quotients for integer pixels.
template <class T>
double to_unit_double(T v) {
    using U = std::remove_const_t<T>;
    if constexpr (std::is_same_v<U, std::uint8_t>) return static_cast<double>(v) / 255.0;
    else if constexpr (std::is_same_v<U, std::uint16_t>) return static_cast<double>(v) / 65535.0;
    else return static_cast<double>(v);
}

template <class TA, class TB>
void check_metric_args(const image_view<TA>& a, const image_view<TB>& b, const char* where) {
    check_view(a, where, "a");
    check_view(b, where, "b");
    check_same_size(a, b, where, "a", "b");
    check_channels(b, a.channels, where, "b");
    check_finite(a, where, "a");
    check_finite(b, where, "b");
}

inline void check_metric_scale(double v, const char* where, const char* name) {
    if (!(v > 0.0) || !std::isfinite(v))
        throw_invalid(where, std::string(name) + " (" + std::to_string(v) + ") must be positive and finite");
}

// Mean of (a - b)^2 over all pixels and channels.
template <class TA, class TB>
double mean_squared_error(const image_view<TA>& a, const image_view<TB>& b) {
    std::vector<double> row_sums(static_cast<std::size_t>(a.height));
    parallel_for(a.height, [&](std::ptrdiff_t y0, std::ptrdiff_t y1) {
        for (std::ptrdiff_t y = y0; y < y1; ++y) {
            double s = 0.0;
            for (std::ptrdiff_t i = 0; i < a.width * a.channels; ++i) {
                const double d = to_unit_double(a.row(y)[i]) - to_unit_double(b.row(y)[i]);
                s += d * d;
            }
            row_sums[static_cast<std::size_t>(y)] = s;
        }
    }, 64);
    double total = 0.0;
    for (double s : row_sums) total += s;
    return total / static_cast<double>(a.width * a.height * a.channels);
}

// Wang et al.'s window as skimage builds it (scipy.ndimage's 1-D Gaussian):
// sigma 1.5, truncate 3.5, radius int(3.5 * 1.5 + 0.5) = 5, 11 taps, normalised.
inline constexpr std::ptrdiff_t ssim_radius = 5;
inline std::array<double, 2 * ssim_radius + 1> ssim_window() {
    constexpr double sigma = 1.5;
    std::array<double, 2 * ssim_radius + 1> w{};
    double sum = 0.0;
    for (std::ptrdiff_t i = -ssim_radius; i <= ssim_radius; ++i)
        sum += w[static_cast<std::size_t>(i + ssim_radius)] = std::exp(-0.5 / (sigma * sigma) * double(i * i));
    for (double& v : w) v /= sum;
    return w;
}

// Mean SSIM of channel c over the pixels whose whole window lies inside the image.
template <class TA, class TB>
double ssim_channel(const image_view<TA>& a, const image_view<TB>& b, std::ptrdiff_t c, double data_range) {
    constexpr std::ptrdiff_t r = ssim_radius, taps = 2 * r + 1;
    const auto win = ssim_window();
    const std::ptrdiff_t W = a.width, H = a.height, vw = W - 2 * r, vh = H - 2 * r;
    // Horizontal pass over every row, for the valid columns: moments x, y, xx, yy, xy.
    std::vector<std::array<double, 5>> horizontal(static_cast<std::size_t>(vw * H));
    parallel_for(H, [&](std::ptrdiff_t y0, std::ptrdiff_t y1) {
        std::vector<double> xs(static_cast<std::size_t>(W)), ys(static_cast<std::size_t>(W));
        for (std::ptrdiff_t y = y0; y < y1; ++y) {
            for (std::ptrdiff_t x = 0; x < W; ++x) {
                xs[static_cast<std::size_t>(x)] = to_unit_double(a.row(y)[x * a.channels + c]);
                ys[static_cast<std::size_t>(x)] = to_unit_double(b.row(y)[x * b.channels + c]);
            }
            for (std::ptrdiff_t x = 0; x < vw; ++x) {
                std::array<double, 5> m{};
                for (std::ptrdiff_t k = 0; k < taps; ++k) {
                    const double wk = win[static_cast<std::size_t>(k)];
                    const double u = xs[static_cast<std::size_t>(x + k)], v = ys[static_cast<std::size_t>(x + k)];
                    m[0] += wk * u;
                    m[1] += wk * v;
                    m[2] += wk * u * u;
                    m[3] += wk * v * v;
                    m[4] += wk * u * v;
                }
                horizontal[static_cast<std::size_t>(y * vw + x)] = m;
            }
        }
    }, 16);
    // Wang et al. Eq. 13 with population (co)variances (use_sample_covariance=False).
    const double c1 = (0.01 * data_range) * (0.01 * data_range);
    const double c2 = (0.03 * data_range) * (0.03 * data_range);
    std::vector<double> row_sums(static_cast<std::size_t>(vh));
    parallel_for(vh, [&](std::ptrdiff_t y0, std::ptrdiff_t y1) {
        for (std::ptrdiff_t y = y0; y < y1; ++y) {
            double s = 0.0;
            for (std::ptrdiff_t x = 0; x < vw; ++x) {
                std::array<double, 5> m{};
                for (std::ptrdiff_t k = 0; k < taps; ++k) {
                    const auto& h = horizontal[static_cast<std::size_t>((y + k) * vw + x)];
                    for (std::size_t i = 0; i < 5; ++i) m[i] += win[static_cast<std::size_t>(k)] * h[i];
                }
                const double ux = m[0], uy = m[1];
                const double vx = m[2] - ux * ux, vy = m[3] - uy * uy, vxy = m[4] - ux * uy;
                s += ((2.0 * ux * uy + c1) * (2.0 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
            }
            row_sums[static_cast<std::size_t>(y)] = s;
        }
    }, 16);
    double total = 0.0;
    for (double s : row_sums) total += s;
    return total / static_cast<double>(vw * vh);
}

}  // namespace detail

// Root mean squared error over all pixels and channels, on the unit scale.
template <pixel_type TA, pixel_type TB>
double rmse(image_view<TA> a, image_view<TB> b) {
    detail::check_metric_args(a, b, "svlrm::rmse");
    return std::sqrt(detail::mean_squared_error(a, b));
}

// 10 log10(peak^2 / MSE), MSE over all pixels and channels on the unit scale;
// +infinity for identical images.
template <pixel_type TA, pixel_type TB>
double psnr(image_view<TA> a, image_view<TB> b, double peak = 1.0) {
    constexpr const char* where = "svlrm::psnr";
    detail::check_metric_args(a, b, where);
    detail::check_metric_scale(peak, where, "peak");
    const double mse = detail::mean_squared_error(a, b);
    if (mse == 0.0) return std::numeric_limits<double>::infinity();
    return 10.0 * std::log10(peak * peak / mse);
}

// Mean structural similarity (Wang, Bovik, Sheikh, Simoncelli, IEEE TIP 2004),
// chosen to equal skimage.metrics.structural_similarity(a, b, data_range=data_range,
// gaussian_weights=True, sigma=1.5, use_sample_covariance=False[, channel_axis=-1])
// of skimage 0.19 (Debian bookworm):
//   - 11x11 Gaussian window, sigma 1.5 (skimage: truncate 3.5 -> radius 5), normalised;
//   - K1 = 0.01, K2 = 0.03, C1 = (K1 L)^2, C2 = (K2 L)^2, L = data_range;
//   - population (co)variances E[xy] - E[x]E[y];
//   - the mean over the pixels at least 5 from every border (skimage crops the SSIM
//     map by (win_size-1)//2; its reflected border never enters that region);
//   - several channels: the mean of the per-channel values.
// Both sides must be at least 11 pixels.
template <pixel_type TA, pixel_type TB>
double ssim(image_view<TA> a, image_view<TB> b, double data_range = 1.0) {
    constexpr const char* where = "svlrm::ssim";
    detail::check_metric_args(a, b, where);
    detail::check_metric_scale(data_range, where, "data_range");
    constexpr std::ptrdiff_t win = 2 * detail::ssim_radius + 1;
    if (a.width < win || a.height < win)
        detail::throw_invalid(where, "images are " + std::to_string(a.width) + "x" + std::to_string(a.height) +
                                         ", smaller than the 11x11 window");
    double total = 0.0;
    for (std::ptrdiff_t c = 0; c < a.channels; ++c) total += detail::ssim_channel(a, b, c, data_range);
    return total / static_cast<double>(a.channels);
}

}  // namespace svlrm
