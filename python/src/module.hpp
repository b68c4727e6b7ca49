// The parts of the extension module svlrm._svlrm, one file each.
#pragma once

#include <pybind11/pybind11.h>

namespace svlrm_python {

void bind_baselines(pybind11::module_& m);
void bind_network(pybind11::module_& m);

}  // namespace svlrm_python
