// The backends of this build, by name: a program links the targets it wants
// (svlrm::onednn, svlrm::cudnn), each of which defines SVLRM_HAVE_<NAME>, and chooses
// among them at run time. Without any, the reference backend is the one there is.
//
//   auto f = svlrm::make_joint_filter("auto", svlrm::model::load("depth_sr.safetensors"));
//   f.apply(guide, depth, out);           // f.description(): "onednn (fast)"
#pragma once

#include <svlrm/backend_list.hpp>
#include <svlrm/backend/reference.hpp>
#ifdef SVLRM_HAVE_CUDNN
#include <svlrm/backend/cudnn.hpp>
#endif
#ifdef SVLRM_HAVE_ONEDNN
#include <svlrm/backend/onednn.hpp>
#endif

namespace svlrm {

// Fastest first.
using compiled_backends = backend_list<
#ifdef SVLRM_HAVE_CUDNN
    backend::cudnn,
#endif
#ifdef SVLRM_HAVE_ONEDNN
    backend::onednn,
#endif
    backend::reference>;

// compiled_backends::make: the backend by name ("auto": the fastest this machine runs)
// in a mode by name ("auto": the fastest within 1e-5 of exact).
inline any_joint_filter make_joint_filter(std::string_view backend, const model& m,
                                          std::string_view precision = "auto", const filter_options& options = {}) {
    return compiled_backends::make(backend, m, precision, options);
}

}  // namespace svlrm
