// O(N) box sums, independent of the radius, with the two border rules the guided
// filter needs. A window of sample i is [i - radius, i + radius]:
//   clip    - samples outside [0, n) are absent; the mean divides by the number
//             inside, N(i) (He et al.'s reference code: N = boxfilter(ones)).
//   reflect - samples outside are mirrored with the edge repeated, fedcba|abcdef|fedcba
//             (OpenCV's BORDER_REFLECT, what cv::ximgproc::guidedFilter 4.6 uses: checked
//             against it), repeatedly when the radius exceeds the size, so every window
//             holds 2 * radius + 1 samples.
// Sums are kept in double: a float running sum over 1024 samples drifts by far more
// than the 1e-6 a variance needs next to an eps of 1e-6.
//
// Vertically (box_axis) the filters keep running column sums, updated by the row that
// enters and the row that leaves the window; horizontally (row_box) a row is boxed by
// the difference of two prefix sums, which vectorises (a running sum along the row is
// one serial chain of additions per row).
#pragma once

#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SVLRM_X86_DISPATCH 1
#include <immintrin.h>
#endif

namespace svlrm::detail {

// Index of position j (any integer) of an n-sample axis under BORDER_REFLECT,
// reflecting as often as needed: the sequence is periodic with period 2 n.
inline std::ptrdiff_t reflect(std::ptrdiff_t j, std::ptrdiff_t n) {
    const std::ptrdiff_t period = 2 * n;
    j %= period;
    if (j < 0) j += period;
    return j < n ? j : period - 1 - j;
}

// The windows along the vertical axis. Positions outside a clipped axis map to n
// (absent: the caller reads a zero row there).
struct box_axis {
    std::ptrdiff_t n = 0;
    std::ptrdiff_t radius = 0;  // for clip, min(radius, n - 1): a wider window adds nothing
    bool reflect = false;
    std::vector<std::ptrdiff_t> enter, leave;  // step i: sample(i + radius) enters, sample(i - radius - 1) leaves

    box_axis(std::ptrdiff_t n_, std::ptrdiff_t radius_, bool reflect_)
        : n(n_), radius(reflect_ ? radius_ : std::min(radius_, n_ - 1)), reflect(reflect_),
          enter(static_cast<std::size_t>(n_)), leave(static_cast<std::size_t>(n_)) {
        for (std::ptrdiff_t i = 0; i < n; ++i) {
            enter[static_cast<std::size_t>(i)] = sample(i + radius);
            leave[static_cast<std::size_t>(i)] = sample(i - radius - 1);
        }
    }

    std::ptrdiff_t sample(std::ptrdiff_t j) const {
        if (reflect) return detail::reflect(j, n);
        return (j < 0 || j >= n) ? n : j;
    }

    // N(i): how many samples the window of i averages.
    double count(std::ptrdiff_t i) const {
        if (reflect) return 2.0 * static_cast<double>(radius) + 1.0;
        return static_cast<double>(std::min(i + radius, n - 1) - std::max(i - radius, std::ptrdiff_t{0}) + 1);
    }

    // (sample, multiplicity) pairs of the window of i, in increasing sample order.
    // Repeated reflection is counted per period (each period of 2 n positions holds
    // every sample twice), so a huge radius costs O(n), not O(radius).
    std::vector<std::pair<std::ptrdiff_t, double>> window(std::ptrdiff_t i) const {
        std::vector<std::pair<std::ptrdiff_t, double>> w;
        if (!reflect) {
            for (std::ptrdiff_t j = std::max(i - radius, std::ptrdiff_t{0}); j <= std::min(i + radius, n - 1); ++j)
                w.emplace_back(j, 1.0);
            return w;
        }
        const std::ptrdiff_t length = 2 * radius + 1, period = 2 * n;
        std::vector<double> mult(static_cast<std::size_t>(n), 2.0 * static_cast<double>(length / period));
        for (std::ptrdiff_t t = 0; t < length % period; ++t)
            mult[static_cast<std::size_t>(detail::reflect(i - radius + t, n))] += 1.0;
        for (std::ptrdiff_t j = 0; j < n; ++j)
            if (mult[static_cast<std::size_t>(j)] != 0.0) w.emplace_back(j, mult[static_cast<std::size_t>(j)]);
        return w;
    }
};

// Prefix sums in blocks of 8 with one association everywhere: within a block an
// in-register scan (add the block shifted by 1, then 2, then 4 lanes), between blocks
// a carry. The AVX-512 kernel and the portable one perform the same additions in the
// same order, so the sums (and the guided filter) have the same bits on every CPU and
// with every compiler flag; the kernel is chosen at run time (the copy of an inline
// function that a linker keeps must not depend on the flags of its translation unit).
inline void prefix_block_portable(const double* __restrict src, double* __restrict p, double& carry) {
    double s[8];
    for (int k = 0; k < 8; ++k) s[k] = src[k];
    for (int shift : {1, 2, 4})
        for (int k = 7; k >= shift; --k) s[k] = s[k] + s[k - shift];
    for (int k = 0; k < 8; ++k) p[k] = s[k] + carry;
    carry = carry + s[7];
}

#ifdef SVLRM_X86_DISPATCH
__attribute__((target("avx512f"))) inline std::ptrdiff_t prefix_blocks_avx512(const double* __restrict src,
                                                                                double* __restrict p,
                                                                                std::ptrdiff_t m, double& carry_out) {
    const __m512i zero = _mm512_setzero_si512();
    const __m512i last = _mm512_set1_epi64(7);
    __m512d carry = _mm512_set1_pd(carry_out);
    std::ptrdiff_t i = 0;
    for (; i + 8 <= m; i += 8) {
        __m512d s = _mm512_loadu_pd(src + i);
        s = _mm512_add_pd(s, _mm512_castsi512_pd(_mm512_alignr_epi64(_mm512_castpd_si512(s), zero, 7)));
        s = _mm512_add_pd(s, _mm512_castsi512_pd(_mm512_alignr_epi64(_mm512_castpd_si512(s), zero, 6)));
        s = _mm512_add_pd(s, _mm512_castsi512_pd(_mm512_alignr_epi64(_mm512_castpd_si512(s), zero, 4)));
        _mm512_storeu_pd(p + i, _mm512_add_pd(s, carry));
        carry = _mm512_add_pd(carry, _mm512_permutexvar_pd(last, s));
    }
    carry_out = _mm512_cvtsd_f64(carry);
    return i;
}

inline bool cpu_has_avx512f() {
    static const bool yes = __builtin_cpu_supports("avx512f");
    return yes;
}
#endif

// p[0] = 0, p[i + 1] = p[0..i] summed in the association above, for i < m.
// `portable_only` forces the portable kernel (tests compare the two).
inline void prefix_sum(const double* __restrict src, double* __restrict p, std::ptrdiff_t m,
                       bool portable_only = false) {
    p[0] = 0.0;
    double carry = 0.0;
    std::ptrdiff_t i = 0;
#ifdef SVLRM_X86_DISPATCH
    if (!portable_only && cpu_has_avx512f()) i = prefix_blocks_avx512(src, p + 1, m, carry);
#endif
    for (; i + 8 <= m; i += 8) prefix_block_portable(src + i, p + 1 + i, carry);
    for (; i < m; ++i) p[i + 1] = p[i] + src[i];
}

// A row of window sums: sum(x) = hi[x] - lo[x] + whole (see row_box::box).
struct box_sum {
    const double* hi = nullptr;
    const double* lo = nullptr;
    double whole = 0.0;
    double operator()(std::ptrdiff_t x) const { return (hi[x] - lo[x]) + whole; }
};

// Horizontal box sums of rows of n samples. A row lives in a buffer with `pad` slots
// before it and `tail` after it, that box() fills with the border samples:
//   clip    - zeros (set once by the caller, never written), radius min(radius, n - 1);
//   reflect - a window of 2 radius + 1 = q 2n + (2 R + 1) positions holds q whole periods,
//             each sample 2 q times, plus 2 R + 1 consecutive positions (R < n) centred
//             on i, or on i + n when q is odd (period 2 n: a shift by n, not 2 n).
struct row_box {
    std::ptrdiff_t n = 0, radius = 0;  // radius: R above
    bool reflect = false;
    std::ptrdiff_t shift = 0;   // 0, or n for an odd q
    double periods = 0.0;       // 2 q
    std::ptrdiff_t pad = 0, tail = 0;

    row_box(std::ptrdiff_t n_, std::ptrdiff_t radius_, bool reflect_) : n(n_), reflect(reflect_) {
        if (!reflect) {
            radius = std::min(radius_, n - 1);
        } else {
            const std::ptrdiff_t length = 2 * radius_ + 1, q = length / (2 * n);
            radius = (length % (2 * n) - 1) / 2;
            periods = 2.0 * static_cast<double>(q);
            shift = q % 2 == 1 ? n : 0;
        }
        pad = radius;
        tail = radius + shift;
    }

    // Length of a row buffer, and of the prefix buffer box() needs.
    std::ptrdiff_t stride() const { return pad + n + tail; }
    std::ptrdiff_t prefix_length() const { return stride() + 1; }

    // The window sums of row (row[0] is sample 0, pad slots before it), as a difference
    // of two prefix sums that the caller's kernel takes where it reads them (a pass
    // writing them out cost a tenth of the filter). prefix: prefix_length() doubles,
    // which must outlive the result.
    box_sum box(double* row, double* prefix) const {
        if (reflect) {
            for (std::ptrdiff_t t = 1; t <= pad; ++t) row[-t] = row[detail::reflect(-t, n)];
            for (std::ptrdiff_t t = n; t < n + tail; ++t) row[t] = row[detail::reflect(t, n)];
        }
        prefix_sum(row - pad, prefix, stride());
        const double whole = periods == 0.0 ? 0.0 : periods * (prefix[pad + n] - prefix[pad]);
        return {prefix + shift + 2 * radius + 1, prefix + shift, whole};
    }
};

}  // namespace svlrm::detail

#undef SVLRM_X86_DISPATCH  // internal: the dispatch above is decided
