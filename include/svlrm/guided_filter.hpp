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
#include <svlrm/image.hpp>
#include <svlrm/parallel.hpp>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

namespace svlrm {

enum class border { he_normalized, reflect };

struct guided_options {
    border border_mode = border::he_normalized;
};

namespace detail {

// Zeroed rows carved out of one allocation, each starting on a cache line. Every row
// gets one spare cache line, so that rows of equal length (1024 doubles: 8 KiB) do not
// sit a multiple of 4 KiB apart: a store whose address matches a later load in its low
// 12 bits stalls that load (4K aliasing), which once made a pass 3x slower.
template <class T>
class row_arena {
public:
    static constexpr std::ptrdiff_t line = 64 / sizeof(T);
    explicit row_arena(std::ptrdiff_t elements) : data_(static_cast<std::size_t>(elements + line)) {
        const auto address = reinterpret_cast<std::uintptr_t>(data_.data());
        next_ = static_cast<std::ptrdiff_t>((64 - address % 64) % 64 / sizeof(T));
    }
    // Room to ask for: `rows` rows of `length` elements, `lead` of them before the row pointer.
    static std::ptrdiff_t need(std::ptrdiff_t rows, std::ptrdiff_t length, std::ptrdiff_t lead = 0) {
        return rows * (round(lead) + round(length - lead) + line);
    }
    T* take(std::ptrdiff_t length, std::ptrdiff_t lead = 0) {
        T* row = data_.data() + next_ + round(lead);
        next_ += round(lead) + round(length - lead) + line;
        return row;
    }

private:
    static std::ptrdiff_t round(std::ptrdiff_t n) { return (n + line - 1) / line * line; }
    std::vector<T> data_;
    std::ptrdiff_t next_ = 0;
};

// The channels of row y of v as float rows on the unit scale: rows[c]. A 1-channel
// float row is used in place (no copy); anything else is converted into buffer[c].
// `cols`, when given, picks the pixel columns (the fast guided filter's subsampling).
template <class T>
void gf_read_row(const image_view<const T>& v, std::ptrdiff_t y, const std::ptrdiff_t* cols, std::ptrdiff_t n,
                 float* const* buffer, const float** rows) {
    const T* __restrict src = v.row(y);
    const std::ptrdiff_t ch = v.channels;
    for (std::ptrdiff_t c = 0; c < ch; ++c) rows[c] = buffer[c];
    if (cols) {
        for (std::ptrdiff_t c = 0; c < ch; ++c) {
            float* __restrict d = buffer[c];
            for (std::ptrdiff_t x = 0; x < n; ++x) d[x] = to_unit(src[cols[x] * ch + c]);
        }
    } else if (ch == 1) {
        if constexpr (std::is_same_v<T, float>) {
            rows[0] = src;
        } else {
            float* __restrict d = buffer[0];
            SVLRM_NO_ALIAS
            for (std::ptrdiff_t x = 0; x < n; ++x) d[x] = to_unit(src[x]);
        }
    } else if (ch == 3) {
        float* __restrict d0 = buffer[0];
        float* __restrict d1 = buffer[1];
        float* __restrict d2 = buffer[2];
        SVLRM_NO_ALIAS
        for (std::ptrdiff_t x = 0; x < n; ++x) {
            d0[x] = to_unit(src[3 * x]);
            d1[x] = to_unit(src[3 * x + 1]);
            d2[x] = to_unit(src[3 * x + 2]);
        }
    } else {
        for (std::ptrdiff_t c = 0; c < ch; ++c) {
            float* __restrict d = buffer[c];
            for (std::ptrdiff_t x = 0; x < n; ++x) d[x] = to_unit(src[x * ch + c]);
        }
    }
}

// Requests the cache lines of `count` values from p (a hint; no effect without GCC builtins).
template <class T>
void prefetch_row(const T* p, std::ptrdiff_t count, bool write = false) {
#if defined(__GNUC__)
    const char* bytes = reinterpret_cast<const char*>(p);
    const std::ptrdiff_t size = count * static_cast<std::ptrdiff_t>(sizeof(T));
    for (std::ptrdiff_t b = 0; b < size; b += 64) {
        if (write) __builtin_prefetch(bytes + b, 1);
        else __builtin_prefetch(bytes + b, 0);
    }
#else
    (void)p, (void)count, (void)write;
#endif
}

// Where stage 1 reads its rows: guide and input views, at full resolution or sampled
// at `rows` x `cols` (the fast guided filter's nearest-neighbour subsampling).
template <class G, class I>
struct gf_source {
    image_view<const G> guide;
    image_view<const I> input;
    std::vector<std::ptrdiff_t> rows, cols;  // empty: every row / column
    std::ptrdiff_t width() const { return cols.empty() ? guide.width : static_cast<std::ptrdiff_t>(cols.size()); }
    std::ptrdiff_t height() const { return rows.empty() ? guide.height : static_cast<std::ptrdiff_t>(rows.size()); }
    // Guide channels to rows[0..G), input channels to rows[G..) (see gf_read_row).
    void read(std::ptrdiff_t j, float* const* buffer, const float** rows_out) const {
        const std::ptrdiff_t y = rows.empty() ? j : rows[static_cast<std::size_t>(j)];
        const std::ptrdiff_t* c = cols.empty() ? nullptr : cols.data();
        gf_read_row(guide, y, c, width(), buffer, rows_out);
        gf_read_row(input, y, c, width(), buffer + guide.channels, rows_out + guide.channels);
    }
    // Asks for row j of both views ahead of read(): a row of 1024 floats is one 4 KiB
    // page and the hardware prefetchers stop at page boundaries, so without this
    // every row entering the window waited for memory (~15% of the filter).
    void prefetch(std::ptrdiff_t j) const {
        const std::ptrdiff_t y = rows.empty() ? j : rows[static_cast<std::size_t>(j)];
        prefetch_row(guide.row(y), guide.width * guide.channels);
        prefetch_row(input.row(y), input.width * input.channels);
    }
};

// The view itself, or when out overlaps it, a copy in `keep` (in-place calls: every
// stripe reads rows other stripes have already written).
template <class T, class O>
image_view<const std::remove_const_t<T>> gf_unaliased(const image_view<T>& v, const image_view<O>& out,
                                                      std::vector<std::remove_const_t<T>>& keep) {
    if (!overlaps(v, out)) return v;
    const std::ptrdiff_t row = v.width * v.channels;
    keep.resize(static_cast<std::size_t>(row * v.height));
    for (std::ptrdiff_t y = 0; y < v.height; ++y) std::copy(v.row(y), v.row(y) + row, keep.data() + y * row);
    return {keep.data(), v.width, v.height, v.channels, row};
}

// cs[k] += w * stat_k(e) - stat_k(l) for the statistics of Eq. 19 in the order the
// a, b kernels read them: I_g (GN), I_g I_h (g <= h), p_c (cn), I_g p_c (c * GN + g).
// e, l: GN guide rows, then cn input rows (l all zero for a row outside a clipped
// axis). Products of two floats are exact in double; w is 1 unless Weighted.
template <int GN, bool Weighted>
SVLRM_WIDE_VECTORS void gf_update(double* const* cs, const float* const* e, const float* const* l, double w, std::ptrdiff_t cn,
               std::ptrdiff_t n) {
    constexpr std::ptrdiff_t kg = GN + GN * (GN + 1) / 2;
    auto weigh = [w](double v) {
        if constexpr (Weighted) return w * v;
        else return v;
    };
    const float* __restrict e0 = e[0];
    const float* __restrict l0 = l[0];
    if constexpr (GN == 1) {
        double* __restrict s0 = cs[0];
        double* __restrict s00 = cs[1];
        SVLRM_NO_ALIAS
        for (std::ptrdiff_t x = 0; x < n; ++x) {
            const double a = e0[x], b = l0[x];
            s0[x] += weigh(a) - b;
            s00[x] += weigh(a * a) - b * b;
        }
        for (std::ptrdiff_t c = 0; c < cn; ++c) {
            const float* __restrict pe = e[1 + c];
            const float* __restrict pl = l[1 + c];
            double* __restrict sp = cs[kg + c];
            double* __restrict s0p = cs[kg + cn + c];
            SVLRM_NO_ALIAS
            for (std::ptrdiff_t x = 0; x < n; ++x) {
                const double a = e0[x], b = l0[x], pa = pe[x], pb = pl[x];
                sp[x] += weigh(pa) - pb;
                s0p[x] += weigh(a * pa) - b * pb;
            }
        }
    } else {
        static_assert(GN == 3);
        const float* __restrict e1 = e[1];
        const float* __restrict e2 = e[2];
        const float* __restrict l1 = l[1];
        const float* __restrict l2 = l[2];
        double *__restrict s0 = cs[0], *__restrict s1 = cs[1], *__restrict s2 = cs[2];
        double *__restrict s00 = cs[3], *__restrict s01 = cs[4], *__restrict s02 = cs[5];
        double *__restrict s11 = cs[6], *__restrict s12 = cs[7], *__restrict s22 = cs[8];
        SVLRM_NO_ALIAS
        for (std::ptrdiff_t x = 0; x < n; ++x) {
            const double a0 = e0[x], a1 = e1[x], a2 = e2[x], b0 = l0[x], b1 = l1[x], b2 = l2[x];
            s0[x] += weigh(a0) - b0;
            s1[x] += weigh(a1) - b1;
            s2[x] += weigh(a2) - b2;
            s00[x] += weigh(a0 * a0) - b0 * b0;
            s01[x] += weigh(a0 * a1) - b0 * b1;
            s02[x] += weigh(a0 * a2) - b0 * b2;
            s11[x] += weigh(a1 * a1) - b1 * b1;
            s12[x] += weigh(a1 * a2) - b1 * b2;
            s22[x] += weigh(a2 * a2) - b2 * b2;
        }
        for (std::ptrdiff_t c = 0; c < cn; ++c) {
            const float* __restrict pe = e[3 + c];
            const float* __restrict pl = l[3 + c];
            double* __restrict sp = cs[kg + c];
            double* __restrict s0p = cs[kg + cn + 3 * c];
            double* __restrict s1p = cs[kg + cn + 3 * c + 1];
            double* __restrict s2p = cs[kg + cn + 3 * c + 2];
            SVLRM_NO_ALIAS
            for (std::ptrdiff_t x = 0; x < n; ++x) {
                const double pa = pe[x], pb = pl[x];
                sp[x] += weigh(pa) - pb;
                s0p[x] += weigh(double(e0[x]) * pa) - double(l0[x]) * pb;
                s1p[x] += weigh(double(e1[x]) * pa) - double(l1[x]) * pb;
                s2p[x] += weigh(double(e2[x]) * pa) - double(l2[x]) * pb;
            }
        }
    }
}

// Stage 1 for a gray guide (Eq. 5-6). box: [I, I*I, p_c..., I*p_c...] window sums of one row.
SVLRM_WIDE_VECTORS inline void gf_ab_gray(const box_sum* box, const double* __restrict inv_n, double eps, std::ptrdiff_t channels,
                       std::ptrdiff_t n, double* const* a, double* const* b) {
    const box_sum s_i = box[0];
    const box_sum s_ii = box[1];
    for (std::ptrdiff_t c = 0; c < channels; ++c) {
        const box_sum s_p = box[2 + c];
        const box_sum s_ip = box[2 + channels + c];
        double* __restrict a_c = a[c];
        double* __restrict b_c = b[c];
        SVLRM_NO_ALIAS
        for (std::ptrdiff_t x = 0; x < n; ++x) {
            const double mean_i = s_i(x) * inv_n[x];
            const double var_i = s_ii(x) * inv_n[x] - mean_i * mean_i;
            const double mean_p = s_p(x) * inv_n[x];
            const double cov_ip = s_ip(x) * inv_n[x] - mean_i * mean_p;
            const double ak = cov_ip / (var_i + eps);
            a_c[x] = ak;
            b_c[x] = mean_p - ak * mean_i;
        }
    }
}

// Stage 1 for a colour guide (Eq. 19-20). box: [I_0..2, I_gh (00 01 02 11 12 22),
// p_c..., I_g*p_c (c*3+g)...]. (Sigma + eps U)^-1 by the symmetric cofactors in
// double: with eps = 1e-6 the determinant is ~1e-18 yet keeps ~10 correct digits.
SVLRM_WIDE_VECTORS inline void gf_ab_color(const box_sum* box, const double* __restrict inv_n, double eps, std::ptrdiff_t channels,
                        std::ptrdiff_t n, double* const* tmp, double* const* a, double* const* b) {
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
        const box_sum s0 = box[0], s1 = box[1], s2 = box[2], s00 = box[3], s01 = box[4], s02 = box[5];
        const box_sum s11 = box[6], s12 = box[7], s22 = box[8];
        SVLRM_NO_ALIAS
        for (std::ptrdiff_t x = 0; x < n; ++x) {
            const double w = inv_n[x];
            const double u0 = s0(x) * w, u1 = s1(x) * w, u2 = s2(x) * w;
            const double c00 = s00(x) * w - u0 * u0 + eps;
            const double c01 = s01(x) * w - u0 * u1;
            const double c02 = s02(x) * w - u0 * u2;
            const double c11 = s11(x) * w - u1 * u1 + eps;
            const double c12 = s12(x) * w - u1 * u2;
            const double c22 = s22(x) * w - u2 * u2 + eps;
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
        const box_sum s_p = box[9 + c];
        const box_sum s0p = box[9 + channels + 3 * c];
        const box_sum s1p = box[9 + channels + 3 * c + 1];
        const box_sum s2p = box[9 + channels + 3 * c + 2];
        double* __restrict a0 = a[3 * c];
        double* __restrict a1 = a[3 * c + 1];
        double* __restrict a2 = a[3 * c + 2];
        double* __restrict b_c = b[c];
        SVLRM_NO_ALIAS
        for (std::ptrdiff_t x = 0; x < n; ++x) {
            const double w = inv_n[x];
            const double mean_p = s_p(x) * w;
            const double v0 = s0p(x) * w - m0[x] * mean_p;  // cov_k(I, p), Eq. 19
            const double v1 = s1p(x) * w - m1[x] * mean_p;
            const double v2 = s2p(x) * w - m2[x] * mean_p;
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

// cs += e - l; a null e or l is a row outside a clipped axis.
SVLRM_WIDE_VECTORS inline void gf_move_row(double* __restrict cs, const double* __restrict e, const double* __restrict l,
                                           std::ptrdiff_t n) {
    if (e && l) {
        for (std::ptrdiff_t x = 0; x < n; ++x) cs[x] += e[x] - l[x];
    } else if (e) {
        for (std::ptrdiff_t x = 0; x < n; ++x) cs[x] += e[x];
    } else if (l) {
        for (std::ptrdiff_t x = 0; x < n; ++x) cs[x] -= l[x];
    }
}

// Window sums of a and b (the numerators of mean_a, mean_b in Eq. 8) of every row,
// handed to sink(y, sums, inv_n, scratch): sums[c * G + g] for a (G guide channels),
// then sums[G * cn + c] for b, as box_sum; inv_n[x] = 1 / N of the window of (x, y);
// scratch: G + 1 float rows of the width for the sink's own use.
// Rows are processed in stripes of whole blocks in parallel; each stripe recomputes
// the a, b rows of its halo. Running sums restart at the first row of every block
// (stage 1: `radius` rows earlier), so the bits do not depend on the thread count.
template <class Source, class Sink>
void guided_means(const Source& src, std::ptrdiff_t radius, double eps, bool reflect, Sink&& sink) {
    const std::ptrdiff_t width = src.width(), height = src.height();
    const std::ptrdiff_t gn = src.guide.channels, cn = src.input.channels, ch = gn + cn;
    const box_axis ay(height, radius, reflect);
    const row_box hx(width, radius, reflect);
    const std::ptrdiff_t ry = ay.radius;
    const std::ptrdiff_t kg = gn + gn * (gn + 1) / 2;
    const std::ptrdiff_t k1 = kg + cn + gn * cn;  // statistics of Eq. 19 (see gf_update)
    const std::ptrdiff_t k2 = gn * cn + cn;       // a (c * G + g), then b (c)

    std::vector<double> inv_x(static_cast<std::size_t>(width));  // 1 / N = (1 / N_x) (1 / N_y)
    {
        const box_axis ax(width, radius, reflect);
        for (std::ptrdiff_t x = 0; x < width; ++x) inv_x[static_cast<std::size_t>(x)] = 1.0 / ax.count(x);
    }

    // Blocks long against the window keep the restart cost (2r + 1 rows) small.
    const std::ptrdiff_t block = std::max<std::ptrdiff_t>(128, 4 * (2 * ry + 1));
    const std::ptrdiff_t blocks = (height + block - 1) / block;
    const std::ptrdiff_t ring_max = std::min(2 * ry + 2, height);  // a, b rows stage 2's window needs

    // Stripes of whole blocks, taken by the threads as they come free: two per thread, so
    // that a thread the shared machine descheduled for a while does not hold the others
    // up (each stripe costs its 2r halo rows again). One workspace per thread, allocated
    // before any row is handed to the sink: an allocation failure leaves out untouched.
    const std::ptrdiff_t threads = std::min<std::ptrdiff_t>(get_num_threads(), blocks);
    const std::ptrdiff_t stripes = threads == 1 ? 1 : std::min(blocks, 2 * threads);
    struct workspace {
        workspace(std::ptrdiff_t doubles, std::ptrdiff_t floats) : d(doubles), f(floats) {}
        row_arena<double> d;
        row_arena<float> f;
        std::vector<double*> cs1, prefix1, tmp, ab, cs2, prefix2, a_rows;
        std::vector<box_sum> box1, box2;
        double *inv_n1 = nullptr, *inv_n2 = nullptr;
        std::vector<float*> buffer, scratch;
        std::vector<const float*> enter, leave, zero;
    };
    std::vector<workspace> spaces;
    spaces.reserve(static_cast<std::size_t>(stripes));
    const std::ptrdiff_t tmp_rows = gn == 3 ? 9 : 0;
    const std::ptrdiff_t d_need = row_arena<double>::need(k1 + k2, hx.stride(), hx.pad) +
                                  row_arena<double>::need(tmp_rows + ring_max * k2 + 2, width) +
                                  row_arena<double>::need(k1 + k2, hx.prefix_length());
    const std::ptrdiff_t f_need = row_arena<float>::need(2 * ch + 1 + gn + 1, width);
    for (std::ptrdiff_t t = 0; t < threads; ++t) {
        workspace& ws = spaces.emplace_back(d_need, f_need);
        auto rows = [](auto& arena, std::ptrdiff_t count, std::ptrdiff_t length, std::ptrdiff_t lead = 0) {
            std::vector<decltype(arena.take(0))> r;
            for (std::ptrdiff_t k = 0; k < count; ++k) r.push_back(arena.take(length, lead));
            return r;
        };
        ws.cs1 = rows(ws.d, k1, hx.stride(), hx.pad);
        ws.cs2 = rows(ws.d, k2, hx.stride(), hx.pad);
        ws.prefix1 = rows(ws.d, k1, hx.prefix_length());
        ws.prefix2 = rows(ws.d, k2, hx.prefix_length());
        ws.box1.resize(static_cast<std::size_t>(k1));
        ws.box2.resize(static_cast<std::size_t>(k2));
        ws.tmp = rows(ws.d, tmp_rows, width);
        ws.ab = rows(ws.d, ring_max * k2, width);
        ws.a_rows.resize(static_cast<std::size_t>(k2));
        ws.inv_n1 = ws.d.take(width);
        ws.inv_n2 = ws.d.take(width);
        ws.buffer = rows(ws.f, 2 * ch, width);  // enter rows, then leave rows
        ws.enter.resize(static_cast<std::size_t>(ch));
        ws.leave.resize(static_cast<std::size_t>(ch));
        ws.zero.assign(static_cast<std::size_t>(ch), ws.f.take(width));
        ws.scratch = rows(ws.f, gn + 1, width);
    }

    std::atomic<std::ptrdiff_t> next_stripe{0};
    parallel_for(threads, [&](std::ptrdiff_t thread, std::ptrdiff_t) {
      workspace& ws = spaces[static_cast<std::size_t>(thread)];
      for (std::ptrdiff_t t; (t = next_stripe.fetch_add(1)) < stripes;) {
        const std::ptrdiff_t y0 = blocks * t / stripes * block, y1 = std::min(height, blocks * (t + 1) / stripes * block);
        // Every sample of the windows of rows [y0, y1) lies in [lo, hi), reflected or not.
        const std::ptrdiff_t lo = std::max<std::ptrdiff_t>(0, y0 - ry), hi = std::min(height, y1 + ry);
        const std::ptrdiff_t ring = std::min(2 * ry + 2, hi - lo);
        auto ab_row = [&](std::ptrdiff_t j, std::ptrdiff_t k) {
            return ws.ab[static_cast<std::size_t>(((j - lo) % ring) * k2 + k)];
        };
        std::vector<double*>& a_rows = ws.a_rows;

        // inv_n changes only near a clipped border: recomputed when N_y changes.
        double cy1 = 0.0, cy2 = 0.0;
        auto set_inv_n = [&](double* inv_n, double& cached, std::ptrdiff_t j) {
            const double cy = ay.count(j);
            if (cy == cached) return;
            cached = cy;
            const double s = 1.0 / cy;
            SVLRM_NO_ALIAS
            for (std::ptrdiff_t x = 0; x < width; ++x) inv_n[x] = inv_x[static_cast<std::size_t>(x)] * s;
        };
        auto update = [&](bool weighted, const float* const* e, const float* const* l, double w) {
            if (gn == 1) {
                if (weighted) gf_update<1, true>(ws.cs1.data(), e, l, w, cn, width);
                else gf_update<1, false>(ws.cs1.data(), e, l, w, cn, width);
            } else {
                if (weighted) gf_update<3, true>(ws.cs1.data(), e, l, w, cn, width);
                else gf_update<3, false>(ws.cs1.data(), e, l, w, cn, width);
            }
        };

        auto stage1_row = [&](std::ptrdiff_t j) {
            if (j == 0 || (j + ry) % block == 0) {
                for (double* cs : ws.cs1) std::fill(cs, cs + width, 0.0);
                for (const auto& [row, w] : ay.window(j)) {
                    src.read(row, ws.buffer.data(), ws.enter.data());
                    update(true, ws.enter.data(), ws.zero.data(), w);
                }
            } else {
                const std::ptrdiff_t je = ay.enter[static_cast<std::size_t>(j)];
                const std::ptrdiff_t jl = ay.leave[static_cast<std::size_t>(j)];
                if (j + 1 < height && ay.enter[static_cast<std::size_t>(j + 1)] != height)
                    src.prefetch(ay.enter[static_cast<std::size_t>(j + 1)]);
                if (je != height) src.read(je, ws.buffer.data(), ws.enter.data());
                if (jl != height) src.read(jl, ws.buffer.data() + ch, ws.leave.data());
                update(false, (je != height ? ws.enter : ws.zero).data(), (jl != height ? ws.leave : ws.zero).data(),
                       1.0);
            }
            for (std::ptrdiff_t k = 0; k < k1; ++k)
                ws.box1[static_cast<std::size_t>(k)] = hx.box(ws.cs1[static_cast<std::size_t>(k)], ws.prefix1[static_cast<std::size_t>(k)]);
            set_inv_n(ws.inv_n1, cy1, j);
            for (std::ptrdiff_t k = 0; k < k2; ++k) a_rows[static_cast<std::size_t>(k)] = ab_row(j, k);
            if (gn == 1)
                gf_ab_gray(ws.box1.data(), ws.inv_n1, eps, cn, width, a_rows.data(), a_rows.data() + gn * cn);
            else
                gf_ab_color(ws.box1.data(), ws.inv_n1, eps, cn, width, ws.tmp.data(), a_rows.data(),
                            a_rows.data() + gn * cn);
        };

        std::ptrdiff_t next = lo;
        for (std::ptrdiff_t y = y0; y < y1; ++y) {
            for (const std::ptrdiff_t need = std::min(hi - 1, y + ry); next <= need; ++next) stage1_row(next);
            if (y % block == 0) {
                const auto win = ay.window(y);
                for (std::ptrdiff_t k = 0; k < k2; ++k) {
                    double* __restrict cs = ws.cs2[static_cast<std::size_t>(k)];
                    std::fill(cs, cs + width, 0.0);
                    for (const auto& [row, w] : win) {
                        const double* __restrict a = ab_row(row, k);
                        SVLRM_NO_ALIAS
                        for (std::ptrdiff_t x = 0; x < width; ++x) cs[x] += w * a[x];
                    }
                }
            } else {
                const std::ptrdiff_t je = ay.enter[static_cast<std::size_t>(y)];
                const std::ptrdiff_t jl = ay.leave[static_cast<std::size_t>(y)];
                for (std::ptrdiff_t k = 0; k < k2; ++k)
                    gf_move_row(ws.cs2[static_cast<std::size_t>(k)], je != height ? ab_row(je, k) : nullptr,
                                jl != height ? ab_row(jl, k) : nullptr, width);
            }
            for (std::ptrdiff_t k = 0; k < k2; ++k)
                ws.box2[static_cast<std::size_t>(k)] = hx.box(ws.cs2[static_cast<std::size_t>(k)], ws.prefix2[static_cast<std::size_t>(k)]);
            set_inv_n(ws.inv_n2, cy2, y);
            sink(y, static_cast<const box_sum*>(ws.box2.data()), static_cast<const double*>(ws.inv_n2), ws.scratch.data());
        }
      }
    }, 1);
}

// q = (sum_g sum_a[g] I_g + sum_b) inv_n (Eq. 8 from the window sums of a and b; the
// fast guided filter passes means and inv_n = 1) for row y, in double, into out's
// channel c. q_row: a float row of scratch.
template <class O>
SVLRM_WIDE_VECTORS void gf_apply_row(const float* const* guide, std::ptrdiff_t gn, const box_sum* sum_a, const box_sum& sum_b,
                                     const double* inv_n, float* q_row, const image_view<O>& out, std::ptrdiff_t y,
                                     std::ptrdiff_t c) {
    const std::ptrdiff_t n = out.width;
    constexpr bool float_out = std::is_same_v<O, float>;
    const bool direct = float_out && out.channels == 1;
    float* __restrict q = q_row;
    if constexpr (float_out)
        if (direct) q = out.row(y);
    const float* __restrict i0 = guide[0];
    const box_sum a0 = sum_a[0], b = sum_b;
    const double* __restrict w = inv_n;
    if (gn == 1) {
        SVLRM_NO_ALIAS
        for (std::ptrdiff_t x = 0; x < n; ++x) q[x] = static_cast<float>((a0(x) * i0[x] + b(x)) * w[x]);
    } else {
        const float* __restrict i1 = guide[1];
        const float* __restrict i2 = guide[2];
        const box_sum a1 = sum_a[1], a2 = sum_a[2];
        SVLRM_NO_ALIAS
        for (std::ptrdiff_t x = 0; x < n; ++x)
            q[x] = static_cast<float>((a0(x) * i0[x] + a1(x) * i1[x] + a2(x) * i2[x] + b(x)) * w[x]);
    }
    if (!direct) {
        O* dst = out.row(y) + c;
        for (std::ptrdiff_t x = 0; x < n; ++x) dst[x * out.channels] = from_unit<O>(q[x]);
    }
}

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
