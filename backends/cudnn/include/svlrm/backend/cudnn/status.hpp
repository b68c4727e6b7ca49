// Every CUDA runtime and cuDNN status the backend sees goes through check(): a
// failure becomes an exception that names the call (the expression text), the
// status (its enum value and the library's own string) and, for cuDNN, the detail
// cudnnGetLastErrorString adds. No status is ever dropped.
#pragma once

#include <svlrm/error.hpp>

#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace svlrm::backend {

// A CUDA runtime or cuDNN call that failed. status() is the raw cudaError_t or
// cudnnStatus_t value, call() the failing expression.
class gpu_error : public std::runtime_error {
public:
    gpu_error(const std::string& what, int status, std::string call)
        : std::runtime_error(what), status_(status), call_(std::move(call)) {}
    int status() const noexcept { return status_; }
    const std::string& call() const noexcept { return call_; }

private:
    int status_;
    std::string call_;
};

namespace cudnn_detail {

inline constexpr const char* where = "svlrm::backend::cudnn";

inline void check(cudnnStatus_t status, std::string_view call) {
    if (status == CUDNN_STATUS_SUCCESS) return;
    std::string text = std::string(where) + ": " + std::string(call) + " failed: " + cudnnGetErrorString(status) +
                       " (" + std::to_string(int(status)) + ")";
    // cuDNN keeps a thread-local explanation of the last failure (which attribute,
    // which constraint); it is the most useful part of a graph-building error.
    char detail[512] = {};
    cudnnGetLastErrorString(detail, sizeof detail);
    if (detail[0] != '\0') text += ": " + std::string(detail);
    throw gpu_error(text, int(status), std::string(call));
}

inline void check(cudaError_t status, std::string_view call) {
    if (status == cudaSuccess) return;
    // Clear the sticky "last error" of a non-sticky failure so that it is not reported
    // again by the next unrelated call.
    cudaGetLastError();
    throw gpu_error(std::string(where) + ": " + std::string(call) + " failed: " + cudaGetErrorName(status) + " (" +
                        cudaGetErrorString(status) + ")",
                    int(status), std::string(call));
}

}  // namespace cudnn_detail
}  // namespace svlrm::backend

// Checks a CUDA runtime or cuDNN call and throws svlrm::backend::gpu_error naming it.
#define SVLRM_GPU_CHECK(expr) ::svlrm::backend::cudnn_detail::check((expr), #expr)
