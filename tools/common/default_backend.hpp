// The network backend of the programs that run the bundled models (demo, evaluation):
// oneDNN where the build has it, else the reference backend. The CLI chooses at run
// time instead (--backend).
#pragma once

#include <svlrm/backend/reference.hpp>
#ifdef SVLRM_HAVE_ONEDNN
#include <svlrm/backend/onednn.hpp>
#endif

namespace svlrm_io {

#ifdef SVLRM_HAVE_ONEDNN
using default_backend = svlrm::backend::onednn;
#else
using default_backend = svlrm::backend::reference;
#endif

}  // namespace svlrm_io
