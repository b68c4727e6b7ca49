// The guided filter's row kernels (guided_filter.hpp): the running column sums of the
// statistics of Eq. 19, stage 1 (a and b of Eq. 5-6 and 19-20 from the window sums, gray
// and colour guide) and the output row of Eq. 8.
#pragma once

#include <svlrm/detail/box_filter.hpp>
#include <svlrm/image.hpp>

#include <cstddef>

#include <svlrm/detail/loop_hints.hpp>

namespace svlrm::detail {

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

}  // namespace svlrm::detail

#include <svlrm/detail/loop_hints_end.hpp>
