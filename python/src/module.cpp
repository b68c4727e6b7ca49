// svlrm._svlrm: the C++ library for Python. The public API, its defaults and its
// input conversions are in the pure-Python layer (python/svlrm/__init__.py).
#include "module.hpp"

#include <svlrm/config.hpp>
#include <svlrm/error.hpp>

#include <pybind11/pybind11.h>

#include <string>

namespace py = pybind11;

PYBIND11_MODULE(_svlrm, m) {
    m.doc() = "svlrm's C++ library (use the svlrm package, not this module)";
    // Bad input is the caller's argument (ValueError, as std::invalid_argument already
    // maps); a broken model file is too, so ModelError is a ValueError.
    py::register_exception<svlrm::model_error>(m, "ModelError", PyExc_ValueError);
    py::register_exception<svlrm::unavailable_error>(m, "UnavailableError", PyExc_RuntimeError);
    py::register_exception<svlrm::cancelled_error>(m, "CancelledError", PyExc_RuntimeError);
    m.attr("__version__") = std::to_string(svlrm::version.major) + "." + std::to_string(svlrm::version.minor) + "." +
                            std::to_string(svlrm::version.patch);
    m.attr("source_models_dir") = SVLRM_MODELS_DIR;
    m.attr("install_datadir") = SVLRM_INSTALL_DATADIR;
    svlrm_python::bind_baselines(m);
    svlrm_python::bind_network(m);
}
