// Joint bilateral upsampling (Kopf, Cohen, Lischinski, Uyttendaele, SIGGRAPH 2007)
// and the joint bilateral filter (the JBF baseline of the paper's Table 2).
//
// JBU, Kopf et al. Eq. 2: for every high-resolution pixel p,
//   out(p) = 1/k_p * sum_{q in Omega(p)} I_lr(q) f(||p_down - q||) g(||G(p) - G(q_up)||),
//   f(d) = exp(-d^2 / (2 sigma_spatial^2)),  g(d) = exp(-d^2 / (2 sigma_range^2)),
// k_p the sum of the weights.
//
// Grid convention: the one of svlrm::decimate and the depth-upsampling protocol
// (protocols.md): low-res pixel q is the high-res pixel q_up = s*q + s-1 on each
// axis. Hence the continuous low-res position of high-res pixel p is
//   p_down = (p - (s-1)) / s,
// Omega(p) is the (2r+1)^2 window of low-res pixels centred on the one nearest to
// p_down (floor(p_down + 0.5)), cut to the image, and G(q_up) is read exactly
// (no interpolation).
//
// Any sizes: when the high-res size does not decimate to the low-res one by one integer
// s (floor(W/s) = w and floor(H/s) = h), each axis has its own real factor s = W/w
// (H/h): a 192x144 time-of-flight map under a 512x384 image is x2.67, a 640x576 one under
// 1280x720 x2 by x1.25. The same formulas hold with real s: q_up = s*(q+1) - 1 (the last
// high-res pixel of q's block, as for integer s), p_down = (p+1)/s - 1, and G(q_up) is
// read at the nearest pixel, floor(q_up + 0.5). Integer factors give exactly the
// integer-factor results.
//
// Units: radius and sigma_spatial are in low-res pixels; sigma_range is on the unit
// scale of the guide (image.hpp). A colour guide uses the Euclidean distance of its
// unit-scale RGB values; it is not reduced to luma.
//
// The joint bilateral filter is the same sum at one resolution (s = 1, p_down = p,
// q_up = q).
#pragma once

#include <svlrm/detail/planes.hpp>
#include <svlrm/error.hpp>
#include <svlrm/image.hpp>
#include <svlrm/parallel.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace svlrm {

struct jbu_options {
    int scale = 0;               // integer factor; 0 derives it as W / w from the sizes
    int radius = 2;              // window radius in low-res pixels: a 5x5 window, as Kopf et al.
    double sigma_spatial = 1.0;  // in low-res pixels; the window then spans +-2 sigma
    double sigma_range = 0.1;    // on the unit scale (25.5 on 0..255)
};

namespace detail {

// 1/(2 sigma^2) for a sigma that must be positive with that value finite.
inline double gaussian_coefficient(double sigma, const char* where, const char* name) {
    const double c = 1.0 / (2.0 * sigma * sigma);
    if (!(sigma > 0.0) || !std::isfinite(sigma) || !std::isfinite(c))
        throw_invalid(where, std::string(name) + " (" + std::to_string(sigma) +
                                 ") must be positive, finite and not so small that 1/(2 sigma^2) overflows");
    return c;
}

// For one axis: for each high-res coordinate p, the first low-res sample of its window,
// the window length, and the spatial exponents (p_down - q)^2 / (2 sigma_s^2).
struct jbu_axis {
    std::ptrdiff_t window = 0;           // 2r+1, at most the low-res size
    std::vector<std::ptrdiff_t> first;   // per p
    std::vector<std::ptrdiff_t> count;   // per p, samples inside the image
    std::vector<double> exponent;        // per p, `window` entries (the first `count` used)
};

// p_down for an integer factor as (p - (s-1)) / s, the same double as before real factors.
inline double to_low(std::ptrdiff_t p, double s) {
    const double si = std::floor(s);
    return si == s ? static_cast<double>(p - (static_cast<std::ptrdiff_t>(si) - 1)) / s
                   : static_cast<double>(p + 1) / s - 1.0;
}

inline jbu_axis make_jbu_axis(std::ptrdiff_t hr, std::ptrdiff_t lr, double s, std::ptrdiff_t radius,
                              double spatial_coefficient) {
    jbu_axis a;
    // A radius beyond the low-res size adds nothing: the window is cut to the image.
    const std::ptrdiff_t r = std::min(radius, lr);
    a.window = std::min(2 * r + 1, lr);
    a.first.resize(static_cast<std::size_t>(hr));
    a.count.resize(static_cast<std::size_t>(hr));
    a.exponent.assign(static_cast<std::size_t>(hr * a.window), 0.0);
    for (std::ptrdiff_t p = 0; p < hr; ++p) {
        const double p_down = to_low(p, s);
        const auto centre = static_cast<std::ptrdiff_t>(std::floor(p_down + 0.5));
        const std::ptrdiff_t lo = std::max<std::ptrdiff_t>(centre - r, 0);
        const std::ptrdiff_t hi = std::min<std::ptrdiff_t>(centre + r, lr - 1);
        a.first[static_cast<std::size_t>(p)] = lo;
        a.count[static_cast<std::size_t>(p)] = hi - lo + 1;
        for (std::ptrdiff_t q = lo; q <= hi; ++q) {
            const double d = p_down - static_cast<double>(q);
            a.exponent[static_cast<std::size_t>(p * a.window + (q - lo))] = d * d * spatial_coefficient;
        }
    }
    return a;
}

// The shared sum. guide: high-res planes (1 or 3); guide_at_q: the guide at q_up
// for every low-res pixel (the guide decimated by s); input: low-res planes.
inline std::vector<plane> joint_bilateral_planes(const std::vector<plane>& guide, const std::vector<plane>& guide_at_q,
                                                 const std::vector<plane>& input, double sx, double sy, int radius,
                                                 double spatial_coefficient, double range_coefficient) {
    const std::ptrdiff_t W = guide[0].width, H = guide[0].height;
    const std::ptrdiff_t w = input[0].width, h = input[0].height;
    const jbu_axis ax = make_jbu_axis(W, w, sx, radius, spatial_coefficient);
    const jbu_axis ay = make_jbu_axis(H, h, sy, radius, spatial_coefficient);
    const std::size_t nc = input.size(), ng = guide.size();
    std::vector<plane> out(nc, plane(W, H));
    parallel_for(H, [&](std::ptrdiff_t y0, std::ptrdiff_t y1) {
        std::vector<double> exponent(static_cast<std::size_t>(ax.window * ay.window));
        std::vector<float> weight(exponent.size());
        std::vector<double> acc(nc);
        for (std::ptrdiff_t y = y0; y < y1; ++y) {
            const std::ptrdiff_t qy0 = ay.first[static_cast<std::size_t>(y)];
            const std::ptrdiff_t ny = ay.count[static_cast<std::size_t>(y)];
            const double* ey = ay.exponent.data() + y * ay.window;
            for (std::ptrdiff_t x = 0; x < W; ++x) {
                const std::ptrdiff_t qx0 = ax.first[static_cast<std::size_t>(x)];
                const std::ptrdiff_t nx = ax.count[static_cast<std::size_t>(x)];
                const double* ex = ax.exponent.data() + x * ax.window;
                float gp[3];
                for (std::size_t c = 0; c < ng; ++c) gp[c] = guide[c](x, y);
                // Spatial and range exponents together; the smallest is subtracted before
                // exp so that the largest weight is 1 and k_p never underflows to 0, however
                // small the sigmas (the normalised result is unchanged).
                double smallest = std::numeric_limits<double>::infinity();
                std::size_t n = 0;
                for (std::ptrdiff_t j = 0; j < ny; ++j)
                    for (std::ptrdiff_t i = 0; i < nx; ++i) {
                        float d2 = 0.0f;
                        for (std::size_t c = 0; c < ng; ++c) {
                            const float d = gp[c] - guide_at_q[c](qx0 + i, qy0 + j);
                            d2 += d * d;
                        }
                        const double e = ex[i] + ey[j] + range_coefficient * static_cast<double>(d2);
                        exponent[n++] = e;
                        smallest = std::min(smallest, e);
                    }
                double k_p = 0.0;
                for (std::size_t k = 0; k < n; ++k) {
                    weight[k] = std::exp(-static_cast<float>(exponent[k] - smallest));
                    k_p += weight[k];
                }
                for (std::size_t c = 0; c < nc; ++c) {
                    double sum = 0.0;
                    std::size_t k = 0;
                    for (std::ptrdiff_t j = 0; j < ny; ++j) {
                        const float* row = input[c].row(qy0 + j) + qx0;
                        for (std::ptrdiff_t i = 0; i < nx; ++i) sum += weight[k++] * row[i];
                    }
                    out[c](x, y) = static_cast<float>(sum / k_p);
                }
            }
        }
    }, 8);
    return out;
}

template <class T>
std::vector<plane> read_channel_planes(const image_view<T>& v) {
    std::vector<plane> p;
    for (std::ptrdiff_t c = 0; c < v.channels; ++c) p.push_back(read_plane(v, c));
    return p;
}

// The high-res pixel nearest to q_up = s*(q+1) - 1 (s*q + s-1 for integer s), in the image.
inline std::ptrdiff_t to_high(std::ptrdiff_t q, double s, std::ptrdiff_t size) {
    const auto p = static_cast<std::ptrdiff_t>(std::floor(s * static_cast<double>(q + 1) - 0.5));
    return std::clamp<std::ptrdiff_t>(p, 0, size - 1);
}

// The guide at q_up for every low-res pixel q.
inline std::vector<plane> decimate_planes(const std::vector<plane>& hr, double sx, double sy, std::ptrdiff_t w,
                                          std::ptrdiff_t h) {
    std::vector<plane> lr;
    for (const plane& p : hr) {
        plane d(w, h);
        for (std::ptrdiff_t y = 0; y < h; ++y)
            for (std::ptrdiff_t x = 0; x < w; ++x) d(x, y) = p(to_high(x, sx, p.width), to_high(y, sy, p.height));
        lr.push_back(std::move(d));
    }
    return lr;
}

// The factor of each axis from the sizes: one integer s where floor(W/s) x floor(H/s) =
// w x h (or the caller's `scale`, which must fit so), else W/w and H/h.
inline std::pair<double, double> upsampling_factors(std::ptrdiff_t W, std::ptrdiff_t H, std::ptrdiff_t w,
                                                    std::ptrdiff_t h, int scale, const char* where) {
    if (scale < 0) throw_invalid(where, "scale (" + std::to_string(scale) + ") is negative");
    if (w > W || h > H)
        throw_invalid(where, "the low-resolution input " + std::to_string(w) + "x" + std::to_string(h) +
                                 " is larger than the guide " + std::to_string(W) + "x" + std::to_string(H));
    const std::ptrdiff_t s = scale > 0 ? scale : W / w;
    if (s >= 1 && W / s == w && H / s == h) return {double(s), double(s)};
    if (scale > 0)
        throw_invalid(where, "the guide " + std::to_string(W) + "x" + std::to_string(H) +
                                 " does not decimate to the low-resolution input " + std::to_string(w) + "x" +
                                 std::to_string(h) + " by scale " + std::to_string(s) +
                                 " (floor(W/s) x floor(H/s)); give scale 0 for the factors of the sizes");
    return {double(W) / double(w), double(H) / double(h)};
}

inline void check_bilateral_parameters(int radius, double sigma_spatial, double sigma_range, const char* where,
                                       double& spatial_coefficient, double& range_coefficient) {
    if (radius < 0) throw_invalid(where, "radius (" + std::to_string(radius) + ") is negative");
    spatial_coefficient = gaussian_coefficient(sigma_spatial, where, "sigma_spatial");
    range_coefficient = gaussian_coefficient(sigma_range, where, "sigma_range");
}

template <class T>
void check_guide_channels(const image_view<T>& guide, const char* where, const char* name) {
    if (guide.channels != 1 && guide.channels != 3)
        throw_invalid(where, std::string(name) + " has " + std::to_string(guide.channels) +
                                 " channels, expected 1 or 3");
}

template <class T>
void write_channel_planes(const std::vector<plane>& p, const image_view<T>& v) {
    for (std::size_t c = 0; c < p.size(); ++c) write_plane(p[c], v, static_cast<std::ptrdiff_t>(c));
}

}  // namespace detail

// Joint bilateral upsampling of input_lr (w x h, any channels) to out_hr (W x H, the
// channels of input_lr), guided by guide_hr (W x H, 1 or 3 channels), any sizes.
// Conventions at the top of this file. out_hr may alias guide_hr. Throws std::invalid_argument (out
// untouched) on bad views, sizes, channels, options, or non-finite float pixels.
template <pixel_type TG, pixel_type TI, pixel_type TO>
    requires(!std::is_const_v<TO>)
void joint_bilateral_upsample(image_view<TG> guide_hr, image_view<TI> input_lr, image_view<TO> out_hr,
                              const jbu_options& options = {}) {
    constexpr const char* where = "svlrm::joint_bilateral_upsample";
    detail::check_view(guide_hr, where, "guide_hr");
    detail::check_view(input_lr, where, "input_lr");
    detail::check_view(out_hr, where, "out_hr");
    detail::check_guide_channels(guide_hr, where, "guide_hr");
    detail::check_same_size(guide_hr, out_hr, where, "guide_hr", "out_hr");
    detail::check_channels(out_hr, input_lr.channels, where, "out_hr");
    const auto [sx, sy] = detail::upsampling_factors(guide_hr.width, guide_hr.height, input_lr.width,
                                                     input_lr.height, options.scale, where);
    double spatial_coefficient = 0, range_coefficient = 0;
    detail::check_bilateral_parameters(options.radius, options.sigma_spatial, options.sigma_range, where,
                                       spatial_coefficient, range_coefficient);
    detail::check_finite(guide_hr, where, "guide_hr");
    detail::check_finite(input_lr, where, "input_lr");

    const auto guide = detail::read_channel_planes(guide_hr);
    const auto guide_at_q = detail::decimate_planes(guide, sx, sy, input_lr.width, input_lr.height);
    const auto result = detail::joint_bilateral_planes(guide, guide_at_q, detail::read_channel_planes(input_lr), sx,
                                                       sy, options.radius, spatial_coefficient, range_coefficient);
    detail::write_channel_planes(result, out_hr);
}

// Joint bilateral filter at one resolution: guide (1 or 3 channels) and input (any
// channels) of the same size; out has the size and channels of input and may alias
// either. radius and sigma_spatial in pixels, sigma_range on the unit scale.
template <pixel_type TG, pixel_type TI, pixel_type TO>
    requires(!std::is_const_v<TO>)
void joint_bilateral_filter(image_view<TG> guide, image_view<TI> input, image_view<TO> out, int radius,
                            double sigma_spatial, double sigma_range) {
    constexpr const char* where = "svlrm::joint_bilateral_filter";
    detail::check_view(guide, where, "guide");
    detail::check_view(input, where, "input");
    detail::check_view(out, where, "out");
    detail::check_guide_channels(guide, where, "guide");
    detail::check_same_size(guide, input, where, "guide", "input");
    detail::check_same_size(input, out, where, "input", "out");
    detail::check_channels(out, input.channels, where, "out");
    double spatial_coefficient = 0, range_coefficient = 0;
    detail::check_bilateral_parameters(radius, sigma_spatial, sigma_range, where, spatial_coefficient,
                                       range_coefficient);
    detail::check_finite(guide, where, "guide");
    detail::check_finite(input, where, "input");

    const auto g = detail::read_channel_planes(guide);
    const auto result = detail::joint_bilateral_planes(g, g, detail::read_channel_planes(input), 1.0, 1.0, radius,
                                                       spatial_coefficient, range_coefficient);
    detail::write_channel_planes(result, out);
}

}  // namespace svlrm
