// Pictures of intermediate results for the demo and the evaluation figures.
#pragma once

#include <svlrm/image.hpp>

#include <algorithm>
#include <cmath>

namespace svlrm_tools {

// Maps a 1-channel image to [0, 1] by its own range (alpha and beta maps).
inline svlrm::image<float> normalized(const svlrm::image<float>& v) {
    const float* p = v.data();
    const long n = v.width() * v.height();
    const auto [lo, hi] = std::minmax_element(p, p + n);
    svlrm::image<float> out(v.width(), v.height());
    for (long i = 0; i < n; ++i) out.data()[i] = (p[i] - *lo) / std::max(*hi - *lo, 1e-6f);
    return out;
}

// |a - b| * gain, clamped to 1: error maps of 1-channel results.
inline svlrm::image<float> error_map(const svlrm::image<float>& a, const svlrm::image<float>& b, float gain = 8.0f) {
    svlrm::image<float> out(a.width(), a.height());
    for (long i = 0; i < a.width() * a.height(); ++i) out.data()[i] = std::min(1.0f, gain * std::abs(a.data()[i] - b.data()[i]));
    return out;
}

}  // namespace svlrm_tools
