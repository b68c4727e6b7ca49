// Exception types. API misuse (bad sizes, strides, parameters, non-finite pixels)
// throws std::invalid_argument; the types below cover what is not the caller's
// argument: a malformed model file, an unavailable backend or mode, a cancelled run.
#pragma once

#include <stdexcept>
#include <string>

namespace svlrm {

// A weights file (or memory blob) that is not a valid svlrm model.
class model_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A backend, device or precision mode that this build or this machine cannot provide.
class unavailable_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Thrown out of a tiled run when the progress callback asked to stop.
class cancelled_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

namespace detail {
[[noreturn]] inline void throw_invalid(const char* where, const std::string& what) {
    throw std::invalid_argument(std::string(where) + ": " + what);
}
}  // namespace detail

}  // namespace svlrm
