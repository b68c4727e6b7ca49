// The input a depth-upsampling model refines: the low-resolution depth brought to the
// guide's size the way the model was trained (model::input_upsampling, metadata key
// "input_upsampling", docs/weights-format.md).
//
// bicubic: svlrm::resize_bicubic (Keys a = -0.5), the DJF protocol the paper follows.
// jbu: svlrm::joint_bilateral_upsample with its default options (r = 2, sigma_s = 1,
// sigma_r = 0.1) on the guide as given: a colour guide's range kernel compares RGB, so
// the start is the JBU baseline itself (the network still sees the luma). Why JBU: the
// network sees a 25x25 window, under two low-resolution samples across at x16, so from
// a bicubic start it can neither place an edge nor average noise from more than a
// couple of samples; JBU reads a 5x5 window of samples and snaps edges to the guide, and
// the network refines that (models/README.md measures both). Why colour: edges between
// surfaces of equal luma but different hue stay sharp; a luma start measured 4-13%
// worse than the colour one on rendered rooms, and the network's gain over JBU came out
// of that gap instead of adding to it (models/README.md, depth_sr).
//
// Any sizes: bicubic resamples each axis by its own factor (pixel centres aligned, as
// OpenCV's resize), JBU as jbu.hpp states (integer factors as svlrm::decimate's grid).
#pragma once

#include <svlrm/image.hpp>
#include <svlrm/jbu.hpp>
#include <svlrm/model.hpp>
#include <svlrm/resample.hpp>

#include <type_traits>

namespace svlrm {

// out (the guide's size, the low-resolution depth's channels) = the network input
// of model m for the low-resolution depth `low`. Errors as the underlying resampler's.
template <pixel_type G, pixel_type L, pixel_type O>
    requires(!std::is_const_v<O>)
void upsample_input(const model& m, image_view<G> guide, image_view<L> low, image_view<O> out) {
    if (m.input_upsampling == input_upsampling::bicubic) return resize_bicubic(low, out);
    joint_bilateral_upsample(guide, low, out, jbu_options{});
}

}  // namespace svlrm
