// The harness section "depth_real": guided depth upsampling (x4, x8, x16) on real
// sensor depth (NYU v2 raw Kinect frames), real stereo disparity (Middlebury 2014
// Adirondack and Motorcycle, the trainer's held-out scenes) and the rendered
// validation rooms. Protocols: depth_real.cpp and the section's own text.
#pragma once

#include "harness.hpp"

#include <string>

namespace svlrm_eval {

// The markdown of the section (its figures are written under s.figures).
std::string depth_real(const settings& s);

// The section "encodings": one depth map (rendered validation frames and NYU raw frames)
// in the encodings a user's file may have (16-bit mm, float metres, 8-bit, inverse
// depth) against the same depth stretched over [0, 1], through the library as
// `svlrm upsample` runs it (protocol in depth_real.cpp and the section's own text).
std::string depth_encodings(const settings& s);

}  // namespace svlrm_eval
