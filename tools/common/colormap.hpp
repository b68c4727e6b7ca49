// Colour pictures of scalar maps (the coefficient maps alpha and beta, error maps).
// Turbo (Anton Mikhailov, Google AI blog 2019) through Ruofei Du's polynomial fit of
// its 256-entry table (Copyright 2019 Google LLC, Apache-2.0; the coefficients are
// those of the published GLSL gist): ordered from dark blue (low) through green and
// yellow to dark red (high), and readable in print.
#pragma once

#include <svlrm/image.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <vector>

namespace svlrm_tools {

inline std::array<float, 3> turbo(float x) {
    const double t = std::clamp(double(x), 0.0, 1.0);
    const double t2 = t * t, t3 = t2 * t, t4 = t3 * t, t5 = t4 * t;
    const double r = 0.13572138 + 4.61539260 * t - 42.66032258 * t2 + 132.13108234 * t3 - 152.94239396 * t4 +
                     59.28637943 * t5;
    const double g = 0.09140261 + 2.19418839 * t + 4.84296658 * t2 - 14.18503333 * t3 + 4.27729857 * t4 +
                     2.82956604 * t5;
    const double b = 0.10667330 + 12.64194608 * t - 60.58204836 * t2 + 110.36276771 * t3 - 89.90310912 * t4 +
                     27.34824973 * t5;
    return {float(std::clamp(r, 0.0, 1.0)), float(std::clamp(g, 0.0, 1.0)), float(std::clamp(b, 0.0, 1.0))};
}

// The per-pixel mean over channels of `v`, mapped through turbo with lo -> 0 and hi -> 1.
inline svlrm::image<float> colorize(const svlrm::image<float>& v, float lo, float hi) {
    svlrm::image<float> out(v.width(), v.height(), 3);
    const float scale = hi > lo ? 1.0f / (hi - lo) : 0.0f;
    for (std::ptrdiff_t y = 0; y < v.height(); ++y)
        for (std::ptrdiff_t x = 0; x < v.width(); ++x) {
            float m = 0;
            for (std::ptrdiff_t c = 0; c < v.channels(); ++c) m += v(x, y, c);
            const auto rgb = turbo((m / float(v.channels()) - lo) * scale);
            for (int c = 0; c < 3; ++c) out(x, y, c) = rgb[std::size_t(c)];
        }
    return out;
}

// As above, with the range from the 1st to the 99th percentile of the channel mean:
// a few extreme coefficients (at depth edges, say) would otherwise flatten the rest.
inline svlrm::image<float> colorize_robust(const svlrm::image<float>& v) {
    std::vector<float> m(std::size_t(v.width() * v.height()));
    for (std::ptrdiff_t i = 0; i < v.width() * v.height(); ++i) {
        float s = 0;
        for (std::ptrdiff_t c = 0; c < v.channels(); ++c) s += v.data()[i * v.channels() + c];
        m[std::size_t(i)] = s / float(v.channels());
    }
    auto at = [&](double q) {
        const auto k = std::size_t(q * double(m.size() - 1));
        std::nth_element(m.begin(), m.begin() + std::ptrdiff_t(k), m.end());
        return m[k];
    };
    const float lo = at(0.01), hi = at(0.99);
    return colorize(v, lo, hi);
}

}  // namespace svlrm_tools
