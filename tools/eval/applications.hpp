// The harness sections for the paper's other applications: flash / no-flash
// deblurring ("flash", Sec. 5.6) and scale-aware filtering by rolling guidance
// ("scale_aware", Sec. 5.4). Protocols: applications.cpp and each section's text.
#pragma once

#include "harness.hpp"

#include <string>

namespace svlrm_eval {

// The markdown of each section (its figures are written under s.figures).
std::string flash_deblurring(const settings& s);
std::string scale_aware(const settings& s);

}  // namespace svlrm_eval
