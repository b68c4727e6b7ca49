// O(N) running box sums, independent of the radius, with the two border rules the
// guided filter needs. A window of sample i is [i - radius, i + radius]:
//   clip    - samples outside [0, n) are absent; the mean divides by the number
//             inside, N(i) (He et al.'s reference code: N = boxfilter(ones)).
//   reflect - samples outside are mirrored with the edge repeated, fedcba|abcdef|fedcba
//             (OpenCV's BORDER_REFLECT, what cv::ximgproc::guidedFilter 4.6 uses: checked
//             against it), repeatedly when the radius exceeds the size, so every window
//             holds 2 * radius + 1 samples.
// Sums are kept in double: a float running sum over 1024 samples drifts by far more
// than the 1e-6 a variance needs next to an eps of 1e-6.
#pragma once

#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

namespace svlrm::detail {

// Index of position j (any integer) of an n-sample axis under BORDER_REFLECT,
// reflecting as often as needed: the sequence is periodic with period 2 n.
inline std::ptrdiff_t reflect(std::ptrdiff_t j, std::ptrdiff_t n) {
    const std::ptrdiff_t period = 2 * n;
    j %= period;
    if (j < 0) j += period;
    return j < n ? j : period - 1 - j;
}

// The windows along one axis. Positions outside a clipped axis map to n, where the
// rows handed to running_box_rows keep a zero, so the running sum needs no branch.
struct box_axis {
    std::ptrdiff_t n = 0;
    std::ptrdiff_t radius = 0;  // for clip, min(radius, n - 1): a wider window adds nothing
    bool reflect = false;
    std::vector<std::ptrdiff_t> enter, leave;  // step i: sample(i + radius) enters, sample(i - radius - 1) leaves
    std::vector<std::pair<std::ptrdiff_t, double>> first;  // window(0)


    box_axis() = default;
    box_axis(std::ptrdiff_t n_, std::ptrdiff_t radius_, bool reflect_)
        : n(n_), radius(reflect_ ? radius_ : std::min(radius_, n_ - 1)), reflect(reflect_),
          enter(static_cast<std::size_t>(n_)), leave(static_cast<std::size_t>(n_)) {
        for (std::ptrdiff_t i = 0; i < n; ++i) {
            enter[static_cast<std::size_t>(i)] = sample(i + radius);
            leave[static_cast<std::size_t>(i)] = sample(i - radius - 1);
        }
        first = window(0);
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

// Running sums of G rows at once: G independent dependency chains keep the FP adders
// busy (one chain is bound by the add latency). dst[g][i] = window sum of src[g] at i.
template <int G>
void running_box_group(const box_axis& ax, const std::vector<std::pair<std::ptrdiff_t, double>>& first,
                       const double* const* src, double* const* dst) {
    const std::ptrdiff_t n = ax.n, r = ax.radius;
    double s[G];
    for (int g = 0; g < G; ++g) {
        double acc = 0.0;
        for (const auto& [j, w] : first) acc += w * src[g][j];
        s[g] = acc;
        dst[g][0] = acc;
    }
    auto step = [&](std::ptrdiff_t i, std::ptrdiff_t e, std::ptrdiff_t l) {
        for (int g = 0; g < G; ++g) {
            s[g] += src[g][e] - src[g][l];
            dst[g][i] = s[g];
        }
    };
    // Only within radius of either end do the windows need the index tables.
    const std::ptrdiff_t interior_begin = std::min(n, r + 1);
    const std::ptrdiff_t interior_end = std::max(interior_begin, n - r);
    std::ptrdiff_t i = 1;
    for (; i < interior_begin; ++i) step(i, ax.enter[static_cast<std::size_t>(i)], ax.leave[static_cast<std::size_t>(i)]);
    for (; i < interior_end; ++i) step(i, i + r, i - r - 1);
    for (; i < n; ++i) step(i, ax.enter[static_cast<std::size_t>(i)], ax.leave[static_cast<std::size_t>(i)]);
}

// `count` input rows of n + 1 doubles (the last one stays zero: the absent sample of a
// clipped axis) and `count` output rows of n doubles, in one buffer with the outputs
// 2 KiB (mod 4 KiB) away from the inputs: a store whose address matches a later load
// in its low 12 bits stalls that load (4K aliasing), which made the pass 3x slower.
struct box_rows {
    std::vector<double> data;
    std::vector<double*> in, out;
    box_rows(std::ptrdiff_t count, std::ptrdiff_t n) : in(static_cast<std::size_t>(count)), out(static_cast<std::size_t>(count)) {
        constexpr std::ptrdiff_t page = 512, half = 256;  // doubles per 4 KiB, 2 KiB
        const std::ptrdiff_t in_stride = n + 1, out_stride = n + 1;
        std::ptrdiff_t out_base = count * in_stride;
        out_base += ((half - out_base) % page + page) % page;
        data.assign(static_cast<std::size_t>(out_base + count * out_stride), 0.0);
        for (std::ptrdiff_t k = 0; k < count; ++k) {
            in[static_cast<std::size_t>(k)] = data.data() + k * in_stride;
            out[static_cast<std::size_t>(k)] = data.data() + out_base + k * out_stride;
        }
    }
};

// Box sums along the axis of `rows` rows (src rows as box_rows::in).
inline void running_box_rows(const box_axis& ax, const double* const* src, double* const* dst, std::ptrdiff_t rows) {
    std::ptrdiff_t k = 0;
    for (; k + 4 <= rows; k += 4) running_box_group<4>(ax, ax.first, src + k, dst + k);
    switch (rows - k) {
        case 3: running_box_group<3>(ax, ax.first, src + k, dst + k); break;
        case 2: running_box_group<2>(ax, ax.first, src + k, dst + k); break;
        case 1: running_box_group<1>(ax, ax.first, src + k, dst + k); break;
        default: break;
    }
}

}  // namespace svlrm::detail
