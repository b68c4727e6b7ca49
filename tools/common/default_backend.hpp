// The network backend of the programs that run the bundled models (demo, evaluation):
// oneDNN where the build has it, else the reference backend. The CLI and the Python
// package choose at run time instead (runtime_filter.hpp).
#pragma once

#include <svlrm/backend/reference.hpp>

#include <string>
#ifdef SVLRM_HAVE_ONEDNN
#include <svlrm/backend/onednn.hpp>
#endif

namespace svlrm_io {

#ifdef SVLRM_HAVE_ONEDNN
using default_backend = svlrm::backend::onednn;
#else
using default_backend = svlrm::backend::reference;
#endif

// The bit-reproducible mode (oneDNN's exact; the default is automatic, which may pick
// another mode per machine): what published numbers are measured with.
inline default_backend::options reproducible_options() {
    default_backend::options o;
#ifdef SVLRM_HAVE_ONEDNN
    o.mode = svlrm::backend::precision::exact;
#endif
    return o;
}

// "onednn (fast)", "reference": the backend and the mode that runs.
inline std::string describe(const default_backend& b) {
#ifdef SVLRM_HAVE_ONEDNN
    return std::string(default_backend::name) + " (" + svlrm::backend::to_string(b.effective_precision()) + ")";
#else
    (void)b;
    return std::string(default_backend::name);
#endif
}

}  // namespace svlrm_io
