// The range a model with input_normalisation = valid_range stretches each input
// channel by. Depth networks are trained on depth scaled per image to [0, 1] over its
// valid pixels (tools/train/data.py), while a real frame sits anywhere on the unit
// scale (16-bit millimetres: a few hundredths), far outside what the network saw.
// Stretching the measured range to [0, 1] first, and back after, makes the result
// independent of the depth's units and offset.
#pragma once

#include <svlrm/image.hpp>

#include <algorithm>
#include <cstddef>
#include <limits>

namespace svlrm::detail {

// The network sees (v - lo) / span; F is mapped back with lo + span * F'.
struct value_range {
    float lo = 0.0f;
    float span = 1.0f;
};

// Min and max of channel c of v on the unit scale, over the whole image (so every
// tile of one image uses the same map), skipping pixels that are exactly 0: depth
// sensors write 0 for "no measurement". No valid pixel, or a constant channel:
// span 1, so the input is only shifted.
template <class T>
value_range valid_range(const image_view<T>& v, std::ptrdiff_t c) {
    float lo = std::numeric_limits<float>::infinity(), hi = -lo;
    for (std::ptrdiff_t y = 0; y < v.height; ++y) {
        const auto* row = v.row(y) + c;
        for (std::ptrdiff_t x = 0; x < v.width; ++x) {
            const float u = to_unit(row[x * v.channels]);
            if (u == 0.0f) continue;
            lo = std::min(lo, u);
            hi = std::max(hi, u);
        }
    }
    if (!(lo <= hi)) return {};  // every pixel is 0
    return {lo, hi > lo ? hi - lo : 1.0f};
}

}  // namespace svlrm::detail
