// The BT.601 luma of a float image, the weights the library uses when it reduces a
// 3-channel guide (svlrm/detail/planes.hpp), for programs that need the grey image itself.
#pragma once

#include <svlrm/image.hpp>

namespace svlrm_tools {

// A 3-channel image as its luma; any other image as it is.
inline svlrm::image<float> luma(const svlrm::image<float>& v) {
    if (v.channels() != 3) return v;
    svlrm::image<float> g(v.width(), v.height(), 1);
    for (std::ptrdiff_t i = 0; i < v.width() * v.height(); ++i)
        g.data()[i] = 0.299f * v.data()[3 * i] + 0.587f * v.data()[3 * i + 1] + 0.114f * v.data()[3 * i + 2];
    return g;
}

// The one rule for depth files saved with three channels (grey stored as RGB, or a
// colour-mapped export): a depth map has one channel, its BT.601 luma. The commands
// decide what is depth (the CLI's upsample and restore; compare for a depth model).
inline svlrm::image<float> depth_channel(const svlrm::image<float>& v) { return luma(v); }

}  // namespace svlrm_tools
