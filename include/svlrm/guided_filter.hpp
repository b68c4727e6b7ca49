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
// for the colour guide of Eq. 19-21); out has the channels of input. All inputs are
// read into float planes before anything is written, so out may alias input or guide,
// and out is untouched when an argument is rejected (std::invalid_argument).
//
// Implementation: per stripe of rows, one fused pass computes the box sums of all the
// statistics of Eq. 19 (vertical running sums, vectorised across columns, then
// horizontal running sums) in double, a and b for each row as soon as its sums are
// complete, and a second fused pass boxes a and b into the output rows. Results do
// not depend on the thread count: running sums restart at fixed rows.
#pragma once

#include <svlrm/detail/box_filter.hpp>
#include <svlrm/detail/planes.hpp>
#include <svlrm/image.hpp>
#include <svlrm/parallel.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <type_traits>
#include <vector>

namespace svlrm {

enum class border { he_normalized, reflect };

struct guided_options {
    border border_mode = border::he_normalized;
};

namespace detail {

// Rows of doubles, `width` apart, with one spare zero after each (box_axis's absent sample).
struct double_rows {
    std::ptrdiff_t width = 0;
    std::vector<double> data;
    std::vector<double*> ptr;
    double_rows(std::ptrdiff_t count, std::ptrdiff_t w)
        : width(w + 1), data(static_cast<std::size_t>(count * (w + 1)), 0.0), ptr(static_cast<std::size_t>(count)) {
        for (std::ptrdiff_t k = 0; k < count; ++k) ptr[static_cast<std::size_t>(k)] = data.data() + k * width;
    }
    double* operator[](std::ptrdiff_t k) const { return ptr[static_cast<std::size_t>(k)]; }
};

// A float plane on the unit scale, read in place: either a 1-channel float view of the
// caller's (no copy: copies of multi-megabyte planes cost as much as the filter, mostly
// in page faults) or a plane converted by read_plane.
struct gf_plane {
    const float* data = nullptr;
    std::ptrdiff_t stride = 0;
    const float* row(std::ptrdiff_t y) const { return data + y * stride; }
};

// One statistic of stage 1: the window mean of x (y null) or of x * y.
struct gf_stat {
    const gf_plane* x;
    const gf_plane* y;
};

// cs += w * stat(row j). Products of two floats are exact in double.
inline void gf_add_stat(double* __restrict cs, const gf_stat& s, std::ptrdiff_t j, double w, std::ptrdiff_t n) {
    const float* __restrict a = s.x->row(j);
    if (s.y) {
        const float* __restrict b = s.y->row(j);
        for (std::ptrdiff_t x = 0; x < n; ++x) cs[x] += w * (double(a[x]) * double(b[x]));
    } else {
        for (std::ptrdiff_t x = 0; x < n; ++x) cs[x] += w * double(a[x]);
    }
}

// cs += stat(row je) - stat(row jl); `absent` marks a row outside a clipped axis.
inline void gf_move_stat(double* __restrict cs, const gf_stat& s, std::ptrdiff_t je, std::ptrdiff_t jl,
                         std::ptrdiff_t absent, std::ptrdiff_t n) {
    if (je == absent || jl == absent) {
        if (je != absent) gf_add_stat(cs, s, je, 1.0, n);
        if (jl != absent) gf_add_stat(cs, s, jl, -1.0, n);
        return;
    }
    const float* __restrict ea = s.x->row(je);
    const float* __restrict la = s.x->row(jl);
    if (s.y) {
        const float* __restrict eb = s.y->row(je);
        const float* __restrict lb = s.y->row(jl);
        for (std::ptrdiff_t x = 0; x < n; ++x) cs[x] += double(ea[x]) * double(eb[x]) - double(la[x]) * double(lb[x]);
    } else {
        for (std::ptrdiff_t x = 0; x < n; ++x) cs[x] += double(ea[x]) - double(la[x]);
    }
}

// Stage 1 for a gray guide (Eq. 5-6). box: [I, I*I, p_c..., I*p_c...] sums of one row.
inline void gf_ab_gray(const double* const* box, const double* __restrict inv_n, double eps, std::ptrdiff_t channels,
                       std::ptrdiff_t n, double* const* a, double* const* b) {
    const double* __restrict s_i = box[0];
    const double* __restrict s_ii = box[1];
    for (std::ptrdiff_t c = 0; c < channels; ++c) {
        const double* __restrict s_p = box[2 + c];
        const double* __restrict s_ip = box[2 + channels + c];
        double* __restrict a_c = a[c];
        double* __restrict b_c = b[c];
        for (std::ptrdiff_t x = 0; x < n; ++x) {
            const double mean_i = s_i[x] * inv_n[x];
            const double var_i = s_ii[x] * inv_n[x] - mean_i * mean_i;
            const double mean_p = s_p[x] * inv_n[x];
            const double cov_ip = s_ip[x] * inv_n[x] - mean_i * mean_p;
            const double ak = cov_ip / (var_i + eps);
            a_c[x] = ak;
            b_c[x] = mean_p - ak * mean_i;
        }
    }
}

// Stage 1 for a colour guide (Eq. 19-20). box: [I_0..2, I_gh (00 01 02 11 12 22),
// p_c..., I_g*p_c (c*3+g)...]. (Sigma + eps U)^-1 by the symmetric cofactors in
// double: with eps = 1e-6 the determinant is ~1e-18 yet keeps ~10 correct digits.
inline void gf_ab_color(const double* const* box, const double* __restrict inv_n, double eps, std::ptrdiff_t channels,
                        std::ptrdiff_t n, double_rows& tmp, double* const* a, double* const* b) {
    // tmp: mean_I (3 rows) and the inverse (6 rows), shared by every input channel.
    double* __restrict m0 = tmp[0];
    double* __restrict m1 = tmp[1];
    double* __restrict m2 = tmp[2];
    double* __restrict i00 = tmp[3];
    double* __restrict i01 = tmp[4];
    double* __restrict i02 = tmp[5];
    double* __restrict i11 = tmp[6];
    double* __restrict i12 = tmp[7];
    double* __restrict i22 = tmp[8];
    {
        const double *__restrict s0 = box[0], *__restrict s1 = box[1], *__restrict s2 = box[2];
        const double *__restrict s00 = box[3], *__restrict s01 = box[4], *__restrict s02 = box[5];
        const double *__restrict s11 = box[6], *__restrict s12 = box[7], *__restrict s22 = box[8];
        for (std::ptrdiff_t x = 0; x < n; ++x) {
            const double w = inv_n[x];
            const double u0 = s0[x] * w, u1 = s1[x] * w, u2 = s2[x] * w;
            const double c00 = s00[x] * w - u0 * u0 + eps;
            const double c01 = s01[x] * w - u0 * u1;
            const double c02 = s02[x] * w - u0 * u2;
            const double c11 = s11[x] * w - u1 * u1 + eps;
            const double c12 = s12[x] * w - u1 * u2;
            const double c22 = s22[x] * w - u2 * u2 + eps;
            const double k00 = c11 * c22 - c12 * c12;
            const double k01 = c02 * c12 - c01 * c22;
            const double k02 = c01 * c12 - c02 * c11;
            const double k11 = c00 * c22 - c02 * c02;
            const double k12 = c01 * c02 - c00 * c12;
            const double k22 = c00 * c11 - c01 * c01;
            const double inv_det = 1.0 / (c00 * k00 + c01 * k01 + c02 * k02);
            m0[x] = u0;
            m1[x] = u1;
            m2[x] = u2;
            i00[x] = k00 * inv_det;
            i01[x] = k01 * inv_det;
            i02[x] = k02 * inv_det;
            i11[x] = k11 * inv_det;
            i12[x] = k12 * inv_det;
            i22[x] = k22 * inv_det;
        }
    }
    for (std::ptrdiff_t c = 0; c < channels; ++c) {
        const double* __restrict s_p = box[9 + c];
        const double* __restrict s0p = box[9 + channels + 3 * c];
        const double* __restrict s1p = box[9 + channels + 3 * c + 1];
        const double* __restrict s2p = box[9 + channels + 3 * c + 2];
        double* __restrict a0 = a[3 * c];
        double* __restrict a1 = a[3 * c + 1];
        double* __restrict a2 = a[3 * c + 2];
        double* __restrict b_c = b[c];
        for (std::ptrdiff_t x = 0; x < n; ++x) {
            const double w = inv_n[x];
            const double mean_p = s_p[x] * w;
            const double v0 = s0p[x] * w - m0[x] * mean_p;  // cov_k(I, p), Eq. 19
            const double v1 = s1p[x] * w - m1[x] * mean_p;
            const double v2 = s2p[x] * w - m2[x] * mean_p;
            const double ak0 = i00[x] * v0 + i01[x] * v1 + i02[x] * v2;
            const double ak1 = i01[x] * v0 + i11[x] * v1 + i12[x] * v2;
            const double ak2 = i02[x] * v0 + i12[x] * v1 + i22[x] * v2;
            a0[x] = ak0;
            a1[x] = ak1;
            a2[x] = ak2;
            b_c[x] = mean_p - (ak0 * m0[x] + ak1 * m1[x] + ak2 * m2[x]);  // Eq. 20
        }
    }
}

// Computes mean_a and mean_b (Eq. 8) of every row and hands each row to
// sink(y, mean_a, mean_b): mean_a[c * G + g] (G guide channels), mean_b[c].
// Rows are processed in stripes of whole blocks in parallel; each stripe recomputes
// the a, b rows of its halo. Running sums restart at the first row of every block
// (stage 1: `radius` rows earlier), so the bits do not depend on the thread count.
template <class Sink>
void guided_means(const std::vector<gf_plane>& guide, const std::vector<gf_plane>& input, std::ptrdiff_t width,
                  std::ptrdiff_t height, std::ptrdiff_t radius, double eps, bool reflect, Sink&& sink) {
    const std::ptrdiff_t gn = static_cast<std::ptrdiff_t>(guide.size());
    const std::ptrdiff_t cn = static_cast<std::ptrdiff_t>(input.size());
    const box_axis ax(width, radius, reflect), ay(height, radius, reflect);
    const std::ptrdiff_t ry = ay.radius;

    // Statistics of Eq. 19 in the order gf_ab_gray / gf_ab_color expect.
    std::vector<gf_stat> stats;
    for (std::ptrdiff_t g = 0; g < gn; ++g) stats.push_back({&guide[g], nullptr});
    for (std::ptrdiff_t g = 0; g < gn; ++g)
        for (std::ptrdiff_t h = g; h < gn; ++h) stats.push_back({&guide[g], &guide[h]});
    for (std::ptrdiff_t c = 0; c < cn; ++c) stats.push_back({&input[c], nullptr});
    for (std::ptrdiff_t c = 0; c < cn; ++c)
        for (std::ptrdiff_t g = 0; g < gn; ++g) stats.push_back({&guide[g], &input[c]});
    const std::ptrdiff_t k1 = static_cast<std::ptrdiff_t>(stats.size());
    const std::ptrdiff_t k2 = gn * cn + cn;  // a (c * G + g), then b (c)

    std::vector<double> count_x(static_cast<std::size_t>(width));
    for (std::ptrdiff_t x = 0; x < width; ++x) count_x[static_cast<std::size_t>(x)] = ax.count(x);

    // Blocks long against the window keep the restart cost (2r + 1 rows) small.
    const std::ptrdiff_t block = std::max<std::ptrdiff_t>(128, 4 * (2 * ry + 1));
    const std::ptrdiff_t blocks = (height + block - 1) / block;

    // One stripe of whole blocks per thread, its workspace allocated before any row is
    // handed to the sink, so that an allocation failure leaves the output untouched.
    const std::ptrdiff_t stripes = std::min<std::ptrdiff_t>(get_num_threads(), blocks);
    struct workspace {
        std::vector<double> ab;  // a, b rows for the last 2r + 2 rows of stage 1: all stage 2's window needs
        box_rows sums1, sums2;
        double_rows tmp;
        std::vector<double> inv_n;
        std::vector<double*> a_rows;
    };
    std::vector<workspace> spaces;
    spaces.reserve(static_cast<std::size_t>(stripes));
    for (std::ptrdiff_t t = 0; t < stripes; ++t)
        spaces.push_back({std::vector<double>(static_cast<std::size_t>(std::min(2 * ry + 2, height) * k2 * width)),
                          box_rows(k1, width), box_rows(k2, width), double_rows(gn == 3 ? 9 : 0, width),
                          std::vector<double>(static_cast<std::size_t>(width)),
                          std::vector<double*>(static_cast<std::size_t>(k2))});

    parallel_for(stripes, [&](std::ptrdiff_t t0, std::ptrdiff_t t1) {
      for (std::ptrdiff_t t = t0; t < t1; ++t) {
        const std::ptrdiff_t y0 = blocks * t / stripes * block, y1 = std::min(height, blocks * (t + 1) / stripes * block);
        // Every sample of the windows of rows [y0, y1) lies in [lo, hi), reflected or not.
        const std::ptrdiff_t lo = std::max<std::ptrdiff_t>(0, y0 - ry), hi = std::min(height, y1 + ry);
        const std::ptrdiff_t ring = std::min(2 * ry + 2, hi - lo);
        workspace& ws = spaces[static_cast<std::size_t>(t)];
        std::vector<double>& ab = ws.ab;
        box_rows& sums1 = ws.sums1;
        box_rows& sums2 = ws.sums2;
        double_rows& tmp = ws.tmp;
        std::vector<double>& inv_n = ws.inv_n;
        std::vector<double*>& a_rows = ws.a_rows;
        auto ab_row = [&](std::ptrdiff_t j, std::ptrdiff_t k) {
            return ab.data() + (((j - lo) % ring) * k2 + k) * width;
        };

        auto set_inv_n = [&](std::ptrdiff_t j) {
            const double cy = ay.count(j);
            for (std::ptrdiff_t x = 0; x < width; ++x)
                inv_n[static_cast<std::size_t>(x)] = 1.0 / (count_x[static_cast<std::size_t>(x)] * cy);
        };

        auto stage1_row = [&](std::ptrdiff_t j) {
            if (j == 0 || (j + ry) % block == 0) {
                const auto win = ay.window(j);
                for (std::ptrdiff_t k = 0; k < k1; ++k) {
                    std::fill(sums1.in[static_cast<std::size_t>(k)], sums1.in[static_cast<std::size_t>(k)] + width, 0.0);
                    for (const auto& [row, w] : win) gf_add_stat(sums1.in[static_cast<std::size_t>(k)], stats[static_cast<std::size_t>(k)], row, w, width);
                }
            } else {
                const std::ptrdiff_t je = ay.enter[static_cast<std::size_t>(j)];
                const std::ptrdiff_t jl = ay.leave[static_cast<std::size_t>(j)];
                for (std::ptrdiff_t k = 0; k < k1; ++k)
                    gf_move_stat(sums1.in[static_cast<std::size_t>(k)], stats[static_cast<std::size_t>(k)], je, jl, height, width);
            }
            running_box_rows(ax, sums1.in.data(), sums1.out.data(), k1);
            set_inv_n(j);
            for (std::ptrdiff_t k = 0; k < k2; ++k) a_rows[static_cast<std::size_t>(k)] = ab_row(j, k);
            if (gn == 1)
                gf_ab_gray(sums1.out.data(), inv_n.data(), eps, cn, width, a_rows.data(), a_rows.data() + gn * cn);
            else
                gf_ab_color(sums1.out.data(), inv_n.data(), eps, cn, width, tmp, a_rows.data(), a_rows.data() + gn * cn);
        };

        std::ptrdiff_t next = lo;
        for (std::ptrdiff_t y = y0; y < y1; ++y) {
            for (const std::ptrdiff_t need = std::min(hi - 1, y + ry); next <= need; ++next) stage1_row(next);
            if (y % block == 0) {
                const auto win = ay.window(y);
                for (std::ptrdiff_t k = 0; k < k2; ++k) {
                    double* __restrict cs = sums2.in[static_cast<std::size_t>(k)];
                    std::fill(cs, cs + width, 0.0);
                    for (const auto& [row, w] : win) {
                        const double* __restrict src = ab_row(row, k);
                        for (std::ptrdiff_t x = 0; x < width; ++x) cs[x] += w * src[x];
                    }
                }
            } else {
                const std::ptrdiff_t je = ay.enter[static_cast<std::size_t>(y)];
                const std::ptrdiff_t jl = ay.leave[static_cast<std::size_t>(y)];
                for (std::ptrdiff_t k = 0; k < k2; ++k) {
                    double* __restrict cs = sums2.in[static_cast<std::size_t>(k)];
                    if (je != height && jl != height) {
                        const double* __restrict e = ab_row(je, k);
                        const double* __restrict l = ab_row(jl, k);
                        for (std::ptrdiff_t x = 0; x < width; ++x) cs[x] += e[x] - l[x];
                    } else if (je != height) {
                        const double* __restrict e = ab_row(je, k);
                        for (std::ptrdiff_t x = 0; x < width; ++x) cs[x] += e[x];
                    } else if (jl != height) {
                        const double* __restrict l = ab_row(jl, k);
                        for (std::ptrdiff_t x = 0; x < width; ++x) cs[x] -= l[x];
                    }
                }
            }
            running_box_rows(ax, sums2.in.data(), sums2.out.data(), k2);
            set_inv_n(y);
            for (std::ptrdiff_t k = 0; k < k2; ++k) {
                double* __restrict m = sums2.out[static_cast<std::size_t>(k)];
                for (std::ptrdiff_t x = 0; x < width; ++x) m[x] *= inv_n[static_cast<std::size_t>(x)];
            }
            sink(y, sums2.out.data(), sums2.out.data() + gn * cn);
        }
      }
    }, 1);
}

template <class G, class I, class O>
void check_guided_args(const char* where, const image_view<G>& guide, const image_view<I>& input,
                       const image_view<O>& out, int radius, double eps) {
    check_view(guide, where, "guide");
    check_view(input, where, "input");
    check_view(out, where, "out");
    check_same_size(guide, input, where, "guide", "input");
    check_same_size(input, out, where, "input", "out");
    if (guide.channels != 1 && guide.channels != 3)
        throw_invalid(where, "guide has " + std::to_string(guide.channels) + " channels, expected 1 or 3");
    check_channels(out, input.channels, where, "out");
    if (radius < 0) throw_invalid(where, "radius (" + std::to_string(radius) + ") is negative");
    if (!(eps > 0.0) || !std::isfinite(eps))
        throw_invalid(where, "eps (" + std::to_string(eps) + ") must be positive and finite");
    check_finite(guide, where, "guide");
    check_finite(input, where, "input");
}

// The channels of v as float planes: a 1-channel float view that out does not overlap
// is read in place, anything else is converted by read_plane first (which is what
// makes in-place calls work).
struct gf_planes {
    std::vector<plane> owned;
    std::vector<gf_plane> planes;
};

template <class T, class O>
gf_planes gf_read(const image_view<T>& v, const image_view<O>& out) {
    gf_planes p;
    if constexpr (std::is_same_v<std::remove_const_t<T>, float>) {
        if (v.channels == 1 && !overlaps(v, out)) {
            p.planes.push_back({v.data, v.row_stride});
            return p;
        }
    }
    for (std::ptrdiff_t c = 0; c < v.channels; ++c) p.owned.push_back(read_plane(v, c));
    for (const plane& q : p.owned) p.planes.push_back({q.data.data(), q.width});
    return p;
}

// q = sum_g mean_a[g] * I_g + mean_b (Eq. 8) for row y, in double, into out's channel c.
template <class O>
void gf_apply_row(const std::vector<gf_plane>& guide, std::ptrdiff_t y, const double* const* mean_a,
                  const double* mean_b, const image_view<O>& out, std::ptrdiff_t c) {
    const std::ptrdiff_t n = out.width;
    const bool direct = std::is_same_v<O, float> && out.channels == 1;
    std::vector<float> buffer(direct ? 0 : static_cast<std::size_t>(n));
    float* __restrict q = direct ? reinterpret_cast<float*>(out.row(y)) : buffer.data();
    const float* __restrict i0 = guide[0].row(y);
    const double* __restrict a0 = mean_a[0];
    const double* __restrict b = mean_b;
    if (guide.size() == 1) {
        for (std::ptrdiff_t x = 0; x < n; ++x) q[x] = static_cast<float>(a0[x] * i0[x] + b[x]);
    } else {
        const float* __restrict i1 = guide[1].row(y);
        const float* __restrict i2 = guide[2].row(y);
        const double* __restrict a1 = mean_a[1];
        const double* __restrict a2 = mean_a[2];
        for (std::ptrdiff_t x = 0; x < n; ++x)
            q[x] = static_cast<float>(a0[x] * i0[x] + a1[x] * i1[x] + a2[x] * i2[x] + b[x]);
    }
    if (!direct) {
        O* dst = out.row(y) + c;
        for (std::ptrdiff_t x = 0; x < n; ++x) dst[x * out.channels] = from_unit<O>(q[x]);
    }
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
    const auto guide_p = detail::gf_read(guide, out);
    const auto input_p = detail::gf_read(input, out);
    const std::ptrdiff_t gn = guide.channels;
    detail::guided_means(guide_p.planes, input_p.planes, input.width, input.height, radius, eps,
                         options.border_mode == border::reflect,
                         [&](std::ptrdiff_t y, const double* const* mean_a, const double* const* mean_b) {
                             for (std::ptrdiff_t c = 0; c < input.channels; ++c)
                                 detail::gf_apply_row(guide_p.planes, y, mean_a + c * gn, mean_b[c], out, c);
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
    const auto guide_p = detail::gf_read(guide, out);
    auto shrink = [&](const std::vector<detail::gf_plane>& full) {
        detail::gf_planes low;
        for (const detail::gf_plane& f : full) {
            detail::plane& p = low.owned.emplace_back(lw, lh);
            for (std::ptrdiff_t i = 0; i < lh; ++i)
                for (std::ptrdiff_t j = 0; j < lw; ++j)
                    p(j, i) = f.row(detail::fgf_sample(i, s, height))[detail::fgf_sample(j, s, width)];
        }
        for (const detail::plane& p : low.owned) low.planes.push_back({p.data.data(), p.width});
        return low;
    };
    const auto guide_lo = shrink(guide_p.planes);
    const auto input_lo = shrink(detail::gf_read(input, out).planes);
    const std::ptrdiff_t gn = guide.channels, cn = input.channels, k2 = gn * cn + cn;
    const std::ptrdiff_t radius_lo = radius == 0 ? 0 : std::max<std::ptrdiff_t>(1, radius / s);

    // mean_a (c * G + g) and mean_b (c) at low resolution, plane k at means[k * lw * lh].
    std::vector<double> means(static_cast<std::size_t>(k2 * lw * lh));
    detail::guided_means(guide_lo.planes, input_lo.planes, lw, lh, radius_lo, eps,
                         options.border_mode == border::reflect,
                         [&](std::ptrdiff_t y, const double* const* mean_a, const double* const*) {
                             // mean_b rows follow the mean_a rows in the same array.
                             for (std::ptrdiff_t k = 0; k < k2; ++k)
                                 std::copy(mean_a[k], mean_a[k] + lw, means.data() + (k * lh + y) * lw);
                         });

    const detail::fgf_lerp lx(width, lw, s), ly(height, lh, s);
    const std::ptrdiff_t stripes = std::min<std::ptrdiff_t>(get_num_threads(), height);
    std::vector<detail::double_rows> column, full;  // per stripe, allocated before out is written
    for (std::ptrdiff_t t = 0; t < stripes; ++t) {
        column.emplace_back(k2, lw);
        full.emplace_back(k2, width);
    }
    parallel_for(stripes, [&](std::ptrdiff_t t0, std::ptrdiff_t t1) {
        for (std::ptrdiff_t t = t0; t < t1; ++t) {
            const detail::double_rows& col = column[static_cast<std::size_t>(t)];
            const detail::double_rows& up = full[static_cast<std::size_t>(t)];
            for (std::ptrdiff_t y = height * t / stripes; y < height * (t + 1) / stripes; ++y) {
                const std::size_t uy = static_cast<std::size_t>(y);
                const double ty = ly.t[uy];
                for (std::ptrdiff_t k = 0; k < k2; ++k) {
                    const double* __restrict r0 = means.data() + (k * lh + ly.i0[uy]) * lw;
                    const double* __restrict r1 = means.data() + (k * lh + ly.i1[uy]) * lw;
                    double* __restrict v = col[k];
                    for (std::ptrdiff_t j = 0; j < lw; ++j) v[j] = r0[j] + ty * (r1[j] - r0[j]);
                    double* __restrict f = up[k];
                    for (std::ptrdiff_t x = 0; x < width; ++x) {
                        const std::size_t ux = static_cast<std::size_t>(x);
                        const double v0 = v[lx.i0[ux]], v1 = v[lx.i1[ux]];
                        f[x] = v0 + lx.t[ux] * (v1 - v0);
                    }
                }
                for (std::ptrdiff_t c = 0; c < cn; ++c)
                    detail::gf_apply_row(guide_p.planes, y, up.ptr.data() + c * gn, up[gn * cn + c], out, c);
            }
        }
    }, 1);
}

}  // namespace svlrm
