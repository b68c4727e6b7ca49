// Rolling guidance (Zhang, Shen, Xu, Jia, "Rolling Guidance Filter", ECCV 2014): the
// scale-aware filtering of the SVLRM paper (Sec. 5.4), where the image is its own
// target and a joint filter is iterated with the previous result as the guide:
//   G^0 = I,   G^t = inner(guide G^{t-1}, input I),   out = G^n.
// Why iterate: step 1 removes small structures (texture) together with the edges'
// sharpness; every later step is guided by a picture without the small structures,
// so they stay removed while the large edges are recovered from I.
//
// Step 1 follows Zhang et al. (rolling_start::gaussian, the default): their G^0 is a
// constant, for which a joint bilateral step is a Gaussian blur of I, so step 1 is
// that blur, whatever the inner filter. rolling_start::input runs the inner filter
// in step 1 too, guided by I itself: OpenCV's ximgproc::rollingGuidanceFilter does
// this (there, step 1 is a plain bilateral filter of I). n = 0 returns I.
//
// The inner filter is anything with apply(guide, input, out) over image views, the
// signature of svlrm::joint_filter<B> (the paper: the depth-restoration model) and of
// svlrm::joint_bilateral below (the classical filter). The guide G^t has the input's
// channels, so the input must have 1 or 3 (a joint_filter reduces a 3-channel guide
// to its luma; the joint bilateral filter uses colour distances).
#pragma once

#include <svlrm/detail/planes.hpp>
#include <svlrm/error.hpp>
#include <svlrm/image.hpp>
#include <svlrm/jbu.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

namespace svlrm {

enum class rolling_start {
    gaussian,  // step 1 = Gaussian blur of I (Zhang et al.)
    input,     // step 1 = inner(guide I, input I) (OpenCV's convention)
};

struct rolling_guidance_options {
    rolling_start start = rolling_start::gaussian;
    double sigma_spatial = 3.0;  // step 1's Gaussian, in pixels (start = gaussian only)
};

// The classical inner filter: the joint bilateral filter with a (2 radius + 1)^2
// window (svlrm::joint_bilateral_filter's conventions).
struct joint_bilateral {
    int radius = 9;
    double sigma_spatial = 3.0;  // pixels
    double sigma_range = 0.05;   // unit scale
    template <pixel_type G, pixel_type I, pixel_type O>
    void apply(image_view<G> guide, image_view<I> input, image_view<O> out) const {
        joint_bilateral_filter(guide, input, out, radius, sigma_spatial, sigma_range);
    }
};

namespace detail {

// Gaussian blur of one plane with a (2r+1) window per axis, r = ceil(3 sigma), cut to
// the image and renormalised: exactly the joint bilateral filter of that window with a
// constant guide (its weights factor over the axes), run separably. A window wider than
// the image adds nothing, so r stops at the image's size.
inline plane gaussian_plane(const plane& p, double sigma) {
    const std::ptrdiff_t r = static_cast<std::ptrdiff_t>(
        std::min(std::ceil(3.0 * sigma), static_cast<double>(std::max(p.width, p.height))));
    std::vector<double> w(static_cast<std::size_t>(2 * r + 1));
    for (std::ptrdiff_t k = -r; k <= r; ++k) w[static_cast<std::size_t>(k + r)] = std::exp(-0.5 * double(k * k) / (sigma * sigma));
    auto blur_rows = [&](const plane& src, plane& dst) {  // along x; dst is src's size
        parallel_for(src.height, [&](std::ptrdiff_t y0, std::ptrdiff_t y1) {
            for (std::ptrdiff_t y = y0; y < y1; ++y) {
                const float* s = src.row(y);
                float* d = dst.row(y);
                for (std::ptrdiff_t x = 0; x < src.width; ++x) {
                    double sum = 0, norm = 0;
                    const std::ptrdiff_t a = std::max<std::ptrdiff_t>(x - r, 0), b = std::min(x + r, src.width - 1);
                    for (std::ptrdiff_t q = a; q <= b; ++q) {
                        const double wq = w[static_cast<std::size_t>(q - x + r)];
                        sum += wq * s[q];
                        norm += wq;
                    }
                    d[x] = static_cast<float>(sum / norm);
                }
            }
        }, 16);
    };
    auto transposed = [](const plane& src) {
        plane t(src.height, src.width);
        for (std::ptrdiff_t y = 0; y < src.height; ++y)
            for (std::ptrdiff_t x = 0; x < src.width; ++x) t(y, x) = src(x, y);
        return t;
    };
    plane along_x(p.width, p.height);
    blur_rows(p, along_x);
    plane t = transposed(along_x), t_blurred(t.width, t.height);
    blur_rows(t, t_blurred);
    return transposed(t_blurred);
}

// An interleaved float image of planes.
inline image<float> interleave(const std::vector<plane>& planes) {
    image<float> out(planes[0].width, planes[0].height, static_cast<std::ptrdiff_t>(planes.size()));
    for (std::size_t c = 0; c < planes.size(); ++c) write_plane(planes[c], out.view(), static_cast<std::ptrdiff_t>(c));
    return out;
}

}  // namespace detail

// out = G^n of the rolling guidance iteration above, with `inner` as the joint filter.
// input and out: the same size and channels (1 or 3), any pixel types; out may alias
// input. Throws std::invalid_argument (out untouched) on bad views, iterations < 0, a
// non-positive sigma or non-finite pixels; errors of `inner` leave out untouched too.
template <class Inner, pixel_type TI, pixel_type TO>
    requires(!std::is_const_v<TO>)
void rolling_guidance(image_view<TI> input, image_view<TO> out, int iterations, const Inner& inner,
                      const rolling_guidance_options& options = {}) {
    constexpr const char* where = "svlrm::rolling_guidance";
    detail::check_view(input, where, "input");
    detail::check_view(out, where, "out");
    detail::check_same_size(input, out, where, "input", "out");
    detail::check_channels(out, input.channels, where, "out");
    if (input.channels != 1 && input.channels != 3)
        detail::throw_invalid(where, "input has " + std::to_string(input.channels) +
                                         " channels, expected 1 or 3 (it is its own guide)");
    if (iterations < 0) detail::throw_invalid(where, "iterations (" + std::to_string(iterations) + ") is negative");
    if (options.start == rolling_start::gaussian && !(options.sigma_spatial > 0 && std::isfinite(options.sigma_spatial)))
        detail::throw_invalid(where, "sigma_spatial (" + std::to_string(options.sigma_spatial) +
                                         ") must be positive and finite");
    detail::check_finite(input, where, "input");

    std::vector<detail::plane> planes;
    for (std::ptrdiff_t c = 0; c < input.channels; ++c) planes.push_back(detail::read_plane(input, c));
    const image<float> source = detail::interleave(planes);
    const image_view<const float> source_view = source.view();
    image<float> guide = source;
    int step = 0;
    if (iterations > 0 && options.start == rolling_start::gaussian) {
        for (auto& p : planes) p = detail::gaussian_plane(p, options.sigma_spatial);
        guide = detail::interleave(planes);
        step = 1;
    }
    for (; step < iterations; ++step) {
        image<float> next(source.width(), source.height(), source.channels());
        inner.apply(image_view<const float>(guide.view()), source_view, next.view());
        guide = std::move(next);
    }
    for (std::ptrdiff_t c = 0; c < input.channels; ++c)
        detail::write_plane(detail::read_plane(guide.view(), c), out, c);
}

// The classical rolling guidance filter (Zhang et al.): a Gaussian step then joint
// bilateral steps, all with sigma_spatial (pixels; window radius ceil(3 sigma)) and
// sigma_range (unit scale). Their defaults: sigma_spatial 3, sigma_range 0.05..0.1, 4
// iterations.
template <pixel_type TI, pixel_type TO>
    requires(!std::is_const_v<TO>)
void rolling_guidance_filter(image_view<TI> input, image_view<TO> out, double sigma_spatial = 3.0,
                             double sigma_range = 0.05, int iterations = 4) {
    constexpr const char* where = "svlrm::rolling_guidance_filter";
    if (!(sigma_spatial > 0 && sigma_spatial <= 1000))  // the window radius must fit an int
        detail::throw_invalid(where, "sigma_spatial (" + std::to_string(sigma_spatial) + ") must be in (0, 1000]");
    const joint_bilateral inner{static_cast<int>(std::ceil(3.0 * sigma_spatial)), sigma_spatial, sigma_range};
    double spatial_coefficient = 0, range_coefficient = 0;  // checked here: iterations < 2 never call inner
    detail::check_bilateral_parameters(inner.radius, sigma_spatial, sigma_range, where, spatial_coefficient,
                                       range_coefficient);
    rolling_guidance(input, out, iterations, inner, {rolling_start::gaussian, sigma_spatial});
}

}  // namespace svlrm
