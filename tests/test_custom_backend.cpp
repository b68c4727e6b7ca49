// A backend written outside the library (examples/custom_backend.hpp, the one
// docs/backends.md walks through) passes the same conformance suite as the library's.
// It runs the reference backend inside, so it matches it to the bit.
#include "backend_conformance.hpp"

#include "../examples/custom_backend.hpp"

#include <vector>

namespace {
const std::vector<svlrm_test::mode_tolerance> modes = {{"auto", 0.0, 1e-5}};
}

SVLRM_BACKEND_CONFORMANCE("custom backend", counting_backend, "[custom]", modes)
