// The CUDA side: is there a device, what is it, and owning wrappers for the memory,
// stream, event and cuDNN handle the backend holds.
#pragma once

#include <svlrm/backend/cudnn/status.hpp>
#include <svlrm/error.hpp>

#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <cstddef>
#include <cstdio>
#include <string>
#include <utility>

namespace svlrm::backend {

// Number of CUDA devices; 0 when there is none or no usable driver.
inline int cuda_device_count() {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
        cudaGetLastError();  // the failure is the answer, not an error to carry over
        return 0;
    }
    return n;
}

// Whether this machine can run the cuDNN backend at all.
inline bool cudnn_available() { return cuda_device_count() > 0; }

// The cuDNN library this program runs with, e.g. "cuDNN 9.19.0" (no GPU needed).
inline std::string cudnn_version_string() {
    const std::size_t v = cudnnGetVersion();  // major * 10000 + minor * 100 + patch since cuDNN 9
    return "cuDNN " + std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." + std::to_string(v % 100);
}

namespace cudnn_detail {

// Throws svlrm::unavailable_error unless `device` exists.
inline void require_device(int device) {
    int n = 0;
    const cudaError_t s = cudaGetDeviceCount(&n);
    if (s != cudaSuccess) {
        cudaGetLastError();
        throw unavailable_error(std::string(where) + ": no CUDA device: cudaGetDeviceCount returned " +
                                cudaGetErrorName(s) + " (" + cudaGetErrorString(s) + ")");
    }
    if (n == 0) throw unavailable_error(std::string(where) + ": no CUDA device: cudaGetDeviceCount returned 0 devices");
    if (device < 0 || device >= n)
        throw unavailable_error(std::string(where) + ": CUDA device " + std::to_string(device) + " does not exist (" +
                                std::to_string(n) + " device" + (n == 1 ? "" : "s") + ")");
}

inline cudaDeviceProp device_properties(int device) {
    require_device(device);
    cudaDeviceProp p{};
    SVLRM_GPU_CHECK(cudaGetDeviceProperties(&p, device));
    return p;
}

// Device memory that only grows: reserve() reallocates when a larger size is asked.
// The caller makes sure no queued work still uses the old block.
class device_buffer {
public:
    device_buffer() = default;
    device_buffer(device_buffer&& o) noexcept : p_(std::exchange(o.p_, nullptr)), size_(std::exchange(o.size_, 0)) {}
    device_buffer& operator=(device_buffer&& o) noexcept {
        std::swap(p_, o.p_);
        std::swap(size_, o.size_);
        return *this;
    }
    ~device_buffer() { cudaFree(p_); }  // cudaFree(nullptr) is a no-op
    void reserve(std::size_t bytes) {
        if (bytes <= size_) return;
        SVLRM_GPU_CHECK(cudaFree(p_));
        p_ = nullptr;
        size_ = 0;
        SVLRM_GPU_CHECK(cudaMalloc(&p_, bytes));
        size_ = bytes;
    }
    std::size_t size() const { return size_; }
    void* get() const { return p_; }
    template <class T>
    T* as() const { return static_cast<T*>(p_); }

private:
    void* p_ = nullptr;
    std::size_t size_ = 0;
};

// Page-locked host memory, so that the copies of infer() are real asynchronous DMA.
class pinned_buffer {
public:
    pinned_buffer() = default;
    pinned_buffer(pinned_buffer&& o) noexcept : p_(std::exchange(o.p_, nullptr)), size_(std::exchange(o.size_, 0)) {}
    pinned_buffer& operator=(pinned_buffer&& o) noexcept {
        std::swap(p_, o.p_);
        std::swap(size_, o.size_);
        return *this;
    }
    ~pinned_buffer() { cudaFreeHost(p_); }
    void reserve(std::size_t bytes) {
        if (bytes <= size_) return;
        SVLRM_GPU_CHECK(cudaFreeHost(p_));
        p_ = nullptr;
        size_ = 0;
        SVLRM_GPU_CHECK(cudaMallocHost(&p_, bytes));
        size_ = bytes;
    }
    std::size_t size() const { return size_; }
    void* get() const { return p_; }

private:
    void* p_ = nullptr;
    std::size_t size_ = 0;
};

class stream {
public:
    stream() { SVLRM_GPU_CHECK(cudaStreamCreateWithFlags(&s_, cudaStreamNonBlocking)); }
    stream(const stream&) = delete;
    stream& operator=(const stream&) = delete;
    ~stream() { cudaStreamDestroy(s_); }
    cudaStream_t get() const { return s_; }

private:
    cudaStream_t s_ = nullptr;
};

class event {
public:
    event() { SVLRM_GPU_CHECK(cudaEventCreateWithFlags(&e_, cudaEventDisableTiming)); }
    event(const event&) = delete;
    event& operator=(const event&) = delete;
    ~event() { cudaEventDestroy(e_); }
    cudaEvent_t get() const { return e_; }

private:
    cudaEvent_t e_ = nullptr;
};

class handle {
public:
    handle() { SVLRM_GPU_CHECK(cudnnCreate(&h_)); }
    handle(const handle&) = delete;
    handle& operator=(const handle&) = delete;
    ~handle() { cudnnDestroy(h_); }
    cudnnHandle_t get() const { return h_; }

private:
    cudnnHandle_t h_ = nullptr;
};

}  // namespace cudnn_detail

// One line about a device, e.g. "NVIDIA H100 80GB HBM3, compute capability 9.0, 79.1 GiB,
// cuDNN 9.19.0, CUDA runtime 13.0". Throws svlrm::unavailable_error without a device.
inline std::string cudnn_device_description(int device = 0) {
    const cudaDeviceProp p = cudnn_detail::device_properties(device);
    int runtime = 0;
    SVLRM_GPU_CHECK(cudaRuntimeGetVersion(&runtime));
    const double gib = double(p.totalGlobalMem) / double(1ull << 30);
    char mem[32];
    std::snprintf(mem, sizeof mem, "%.1f GiB", gib);
    return std::string(p.name) + ", compute capability " + std::to_string(p.major) + "." + std::to_string(p.minor) +
           ", " + mem + ", " + cudnn_version_string() + ", CUDA runtime " + std::to_string(runtime / 1000) + "." +
           std::to_string(runtime % 1000 / 10);
}

}  // namespace svlrm::backend
