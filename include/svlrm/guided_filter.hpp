// Guided filter (He, Sun, Tang, TPAMI 2013) and fast guided filter (He, Sun,
// arXiv 1505.00996), the classical baselines SVLRM is compared with.
//
//   q_i = mean_a_i . I_i + mean_b_i                                 (Eq. 8)
//   a_k = (Sigma_k + eps U)^-1 cov_k(I, p),  b_k = mean_p_k - a_k . mean_I_k   (Eq. 19-20;
//         for a gray guide Sigma_k is var_k(I) and a_k is scalar, Eq. 5-6)
// with windows of radius `radius` ((2r+1)^2 pixels) and eps on the unit scale of
// image.hpp (u8 / 255, u16 / 65535, float as is).
//
// Borders (guided_options::border_mode):
//   he_normalized - He's MATLAB code: every box mean divides by N, the number of
//                   window pixels inside the image (any radius works).
//   reflect       - cv::ximgproc::guidedFilter: full windows over mirrored pixels,
//                   fedcba|abcdef|fedcba. OpenCV 4.6 calls boxFilter with BORDER_REFLECT
//                   there, not its default BORDER_REFLECT_101 (checked against it). A
//                   radius >= the image size mirrors repeatedly (the periodic continuation
//                   BORDER_REFLECT defines), so every radius is well defined.
//
// Every input channel is filtered independently with the same guide (1 channel, or 3
// for the colour guide of Eq. 19-21); out has the channels of input. out may alias
// input or guide (the overlapping view is copied first), and out is untouched when an
// argument is rejected (std::invalid_argument).
//
// Implementation: a streaming row pipeline whose working memory is O(radius * width)
// per thread (it stays in the L2 cache; the filter allocates no image-sized plane:
// on the development VM every fresh multi-megabyte plane cost ~3 ms of page faults).
// Rows of guide and input are converted to float as they enter. Stage 1 keeps running
// column sums (double) of the statistics of Eq. 19 over the rows of the window, boxes
// them along the row (prefix sums) and turns them into a and b for that row, kept in a
// ring of 2r + 2 rows; stage 2 keeps running column sums of a and b the same way and
// emits output row y as soon as a and b exist up to row y + r. Rows are split into
// stripes (two per thread, taken as threads come free), each recomputing its 2r-row
// halo; running sums restart at fixed rows (every `block` rows), which bounds their
// drift on large images and makes the result independent of the thread count.
#pragma once

#include <svlrm/detail/box_filter.hpp>
#include <svlrm/detail/gf_kernels.hpp>
#include <svlrm/detail/gf_rows.hpp>
#include <svlrm/detail/gf_stream.hpp>
#include <svlrm/image.hpp>
#include <svlrm/parallel.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <type_traits>
#include <vector>

#include <svlrm/detail/loop_hints.hpp>

namespace svlrm {

enum class border { he_normalized, reflect };

struct guided_options {
    border border_mode = border::he_normalized;
};

namespace detail {

template <class G, class I, class O>
void check_guided_args(const char* where, const image_view<G>& guide, const image_view<I>& input,
                       const image_view<O>& out, int radius, double eps) {
    check_joint_views(guide, input, out, where);
    if (radius < 0) throw_invalid(where, "radius (" + std::to_string(radius) + ") is negative");
    if (!(eps > 0.0) || !std::isfinite(eps))
        throw_invalid(where, "eps (" + std::to_string(eps) + ") must be positive and finite");
    check_finite(guide, where, "guide");
    check_finite(input, where, "input");
}

// Low-resolution sample i of an n-pixel axis subsampled by s: the pixel s * i + s / 2,
// the one MATLAB's imresize(.., 1/s, 'nearest') takes (as He's fastguidedfilter.m),
// clamped to the last pixel in a partial last block.
inline std::ptrdiff_t fgf_sample(std::ptrdiff_t i, std::ptrdiff_t s, std::ptrdiff_t n) {
    return std::min(s * i + s / 2, n - 1);
}

// Bilinear weights from the low-resolution samples (at their pixel positions above)
// to every pixel of the axis; constant beyond the first and last sample.
struct fgf_lerp {
    std::vector<std::ptrdiff_t> i0, i1;
    std::vector<double> t;
    fgf_lerp(std::ptrdiff_t n, std::ptrdiff_t m, std::ptrdiff_t s)
        : i0(static_cast<std::size_t>(n)), i1(static_cast<std::size_t>(n)), t(static_cast<std::size_t>(n)) {
        std::ptrdiff_t i = 0;
        SVLRM_NO_ALIAS
        for (std::ptrdiff_t x = 0; x < n; ++x) {
            while (i + 1 < m && fgf_sample(i + 1, s, n) <= x) ++i;
            const std::ptrdiff_t p0 = fgf_sample(i, s, n);
            const std::size_t ux = static_cast<std::size_t>(x);
            if (i + 1 < m && x > p0) {
                i0[ux] = i;
                i1[ux] = i + 1;
                t[ux] = double(x - p0) / double(fgf_sample(i + 1, s, n) - p0);
            } else {
                i0[ux] = i1[ux] = i;
                t[ux] = 0.0;
            }
        }
    }
};

}  // namespace detail

// Guided filter of `input` with `guide` (see the top of this file).
template <pixel_type G, pixel_type I, pixel_type O>
    requires(!std::is_const_v<O>)
void guided_filter(image_view<G> guide, image_view<I> input, image_view<O> out, int radius, double eps,
                   const guided_options& options = {}) {
    constexpr const char* where = "svlrm::guided_filter";
    detail::check_guided_args(where, guide, input, out, radius, eps);
    using GV = std::remove_const_t<G>;
    using IV = std::remove_const_t<I>;
    std::vector<GV> guide_copy;
    std::vector<IV> input_copy;
    const detail::gf_source<GV, IV> src{detail::gf_unaliased(guide, out, guide_copy),
                                        detail::gf_unaliased(input, out, input_copy), {}, {}};
    const std::ptrdiff_t gn = guide.channels, cn = input.channels;
    detail::guided_means(src, radius, eps, options.border_mode == border::reflect,
                         [&](std::ptrdiff_t y, const detail::box_sum* sums, const double* inv_n, float* const* scratch) {
                             if (y + 1 < out.height) detail::prefetch_row(out.row(y + 1), out.width * out.channels, true);
                             const float* guide_rows[3];
                             detail::gf_read_row(src.guide, y, nullptr, src.guide.width, scratch, guide_rows);
                             for (std::ptrdiff_t c = 0; c < cn; ++c)
                                 detail::gf_apply_row(guide_rows, gn, sums + c * gn, sums[gn * cn + c], inv_n,
                                                      scratch[gn], out, y, c);
                         });
}

// Fast guided filter (He & Sun 2015): a and b at 1/subsample resolution, with radius
// max(1, radius / subsample) (0 stays 0), their box means upsampled bilinearly, and
// q = mean_a . I + mean_b with the full-resolution guide. subsample == 1 is guided_filter.
template <pixel_type G, pixel_type I, pixel_type O>
    requires(!std::is_const_v<O>)
void fast_guided_filter(image_view<G> guide, image_view<I> input, image_view<O> out, int radius, double eps,
                        int subsample, const guided_options& options = {}) {
    constexpr const char* where = "svlrm::fast_guided_filter";
    detail::check_guided_args(where, guide, input, out, radius, eps);
    if (subsample < 1) detail::throw_invalid(where, "subsample (" + std::to_string(subsample) + ") must be at least 1");
    if (subsample == 1) {
        guided_filter(guide, input, out, radius, eps, options);
        return;
    }
    const std::ptrdiff_t s = subsample, width = input.width, height = input.height;
    const std::ptrdiff_t lw = (width + s - 1) / s, lh = (height + s - 1) / s;
    using GV = std::remove_const_t<G>;
    using IV = std::remove_const_t<I>;
    // The input is read only at low resolution, all of it before out is written; the
    // guide is read again at full resolution while out is written.
    std::vector<GV> guide_copy;
    detail::gf_source<GV, IV> low{detail::gf_unaliased(guide, out, guide_copy), input, {}, {}};
    for (std::ptrdiff_t i = 0; i < lh; ++i) low.rows.push_back(detail::fgf_sample(i, s, height));
    for (std::ptrdiff_t j = 0; j < lw; ++j) low.cols.push_back(detail::fgf_sample(j, s, width));
    const std::ptrdiff_t gn = guide.channels, cn = input.channels, k2 = gn * cn + cn;
    const std::ptrdiff_t radius_lo = radius == 0 ? 0 : std::max<std::ptrdiff_t>(1, radius / s);

    // mean_a (c * G + g) and mean_b (c) at low resolution, plane k at means[k * lw * lh].
    std::vector<double> means(static_cast<std::size_t>(k2 * lw * lh));
    detail::guided_means(low, radius_lo, eps, options.border_mode == border::reflect,
                         [&](std::ptrdiff_t y, const detail::box_sum* sums, const double* inv_n, float* const*) {
                             for (std::ptrdiff_t k = 0; k < k2; ++k) {
                                 double* __restrict m = means.data() + (k * lh + y) * lw;
                                 const detail::box_sum sum = sums[k];
                                 SVLRM_NO_ALIAS
                                 for (std::ptrdiff_t x = 0; x < lw; ++x) m[x] = sum(x) * inv_n[x];
                             }
                         });

    const detail::fgf_lerp lx(width, lw, s), ly(height, lh, s);
    const std::ptrdiff_t stripes = std::min<std::ptrdiff_t>(get_num_threads(), height);
    struct workspace {
        workspace(std::ptrdiff_t doubles, std::ptrdiff_t floats) : d(doubles), f(floats) {}
        detail::row_arena<double> d;
        detail::row_arena<float> f;
        std::vector<double*> column, full;
        std::vector<detail::box_sum> means;  // the full rows as gf_apply_row reads them (lo: zeros)
        double* ones = nullptr;
        std::vector<float*> guide_row;
        float* q = nullptr;
    };
    std::vector<workspace> spaces;  // per stripe, allocated before out is written
    for (std::ptrdiff_t t = 0; t < stripes; ++t) {
        workspace& ws = spaces.emplace_back(
            detail::row_arena<double>::need(k2, lw) + detail::row_arena<double>::need(k2 + 2, width),
            detail::row_arena<float>::need(gn + 1, width));
        const double* zero = ws.d.take(width);
        for (std::ptrdiff_t k = 0; k < k2; ++k) {
            ws.column.push_back(ws.d.take(lw));
            ws.full.push_back(ws.d.take(width));
            ws.means.push_back({ws.full.back(), zero, 0.0});
        }
        ws.ones = ws.d.take(width);
        std::fill(ws.ones, ws.ones + width, 1.0);
        for (std::ptrdiff_t g = 0; g < gn; ++g) ws.guide_row.push_back(ws.f.take(width));
        ws.q = ws.f.take(width);
    }
    parallel_for(stripes, [&](std::ptrdiff_t t0, std::ptrdiff_t t1) {
        for (std::ptrdiff_t t = t0; t < t1; ++t) {
            workspace& ws = spaces[static_cast<std::size_t>(t)];
            for (std::ptrdiff_t y = height * t / stripes; y < height * (t + 1) / stripes; ++y) {
                const std::size_t uy = static_cast<std::size_t>(y);
                const double ty = ly.t[uy];
                for (std::ptrdiff_t k = 0; k < k2; ++k) {
                    const double* __restrict r0 = means.data() + (k * lh + ly.i0[uy]) * lw;
                    const double* __restrict r1 = means.data() + (k * lh + ly.i1[uy]) * lw;
                    double* __restrict v = ws.column[static_cast<std::size_t>(k)];
                    for (std::ptrdiff_t j = 0; j < lw; ++j) v[j] = r0[j] + ty * (r1[j] - r0[j]);
                    double* __restrict f = ws.full[static_cast<std::size_t>(k)];
                    SVLRM_NO_ALIAS
                    for (std::ptrdiff_t x = 0; x < width; ++x) {
                        const std::size_t ux = static_cast<std::size_t>(x);
                        const double v0 = v[lx.i0[ux]], v1 = v[lx.i1[ux]];
                        f[x] = v0 + lx.t[ux] * (v1 - v0);
                    }
                }
                const float* guide_rows[3];
                detail::gf_read_row(low.guide, y, nullptr, width, ws.guide_row.data(), guide_rows);
                for (std::ptrdiff_t c = 0; c < cn; ++c)
                    detail::gf_apply_row(guide_rows, gn, ws.means.data() + c * gn, ws.means[gn * cn + c],
                                         ws.ones, ws.q, out, y, c);
            }
        }
    }, 1);
}

}  // namespace svlrm

#include <svlrm/detail/loop_hints_end.hpp>
