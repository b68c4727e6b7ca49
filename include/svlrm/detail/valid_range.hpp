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

namespace svlrm {

// The network sees (v - lo) / span; F is mapped back with lo + span * F'. flat: every
// valid value is lo, so there is no structure to refine: the channel is returned as it
// is. Stretched instead, a constant would reach the network as an all-zero depth it
// never saw in training, and it painted the guide's texture into flat depth (a flat
// 1000 mm wall came back as 410..2290 mm).
struct value_range {
    float lo = 0.0f;
    float span = 1.0f;
    bool flat = false;
};

// The smallest and largest nonzero value of one channel on the unit scale (depth
// sensors write 0 for "no measurement"); empty when every pixel is 0. Extents of the
// parts of an image merge into the extent of the whole (merge), which is how a caller
// that filters an image in parts (chunks of a larger array) gives every part the map
// of the whole: joint_filter::apply's `extents`.
struct value_extent {
    float min = std::numeric_limits<float>::infinity();
    float max = -std::numeric_limits<float>::infinity();
    bool empty() const { return !(min <= max); }
    value_extent merge(const value_extent& o) const { return {std::min(min, o.min), std::max(max, o.max)}; }
};

template <pixel_type T>
value_extent valid_extent(const image_view<T>& v, std::ptrdiff_t c) {
    value_extent e;
    for (std::ptrdiff_t y = 0; y < v.height; ++y) {
        const auto* row = v.row(y) + c;
        for (std::ptrdiff_t x = 0; x < v.width; ++x) {
            const float u = to_unit(row[x * v.channels]);
            if (u == 0.0f) continue;
            e.min = std::min(e.min, u);
            e.max = std::max(e.max, u);
        }
    }
    return e;
}

// The map of an extent. No valid pixel, or a constant channel: flat.
inline value_range range_of(const value_extent& e) {
    if (e.empty()) return {0.0f, 1.0f, true};
    if (!(e.max > e.min)) return {e.min, 1.0f, true};
    return {e.min, e.max - e.min};
}

// The map of channel c over the whole view (so every tile of one image uses the same map).
template <pixel_type T>
value_range valid_range(const image_view<T>& v, std::ptrdiff_t c) {
    return range_of(valid_extent(v, c));
}

}  // namespace svlrm
