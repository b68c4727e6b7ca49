// An owning handle for one cuDNN backend (graph API) descriptor, with typed
// attribute setters. Failures name the descriptor and the attribute, so that an
// unsupported graph reports which piece cuDNN refused.
#pragma once

#include <svlrm/backend/cudnn/status.hpp>

#include <cudnn.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace svlrm::backend::cudnn_detail {

class descriptor {
public:
    // `what` names the descriptor in error messages, e.g. "layer 3 conv".
    descriptor(cudnnBackendDescriptorType_t type, std::string what) : what_(std::move(what)) {
        check(cudnnBackendCreateDescriptor(type, &d_),
              "cudnnBackendCreateDescriptor(" + what_ + ", type " + std::to_string(int(type)) + ")");
    }
    descriptor(descriptor&& o) noexcept : d_(std::exchange(o.d_, nullptr)), what_(std::move(o.what_)) {}
    descriptor& operator=(descriptor&& o) noexcept {
        std::swap(d_, o.d_);
        std::swap(what_, o.what_);
        return *this;
    }
    descriptor(const descriptor&) = delete;
    descriptor& operator=(const descriptor&) = delete;
    // A destroy failure cannot be reported from a destructor; cuDNN only fails it for
    // an invalid pointer, which this class never holds.
    ~descriptor() {
        if (d_) cudnnBackendDestroyDescriptor(d_);
    }

    cudnnBackendDescriptor_t get() const { return d_; }
    const std::string& what() const { return what_; }

    template <class T>
    descriptor& set(cudnnBackendAttributeName_t name, cudnnBackendAttributeType_t type, const T* values,
                    std::int64_t count) {
        check(cudnnBackendSetAttribute(d_, name, type, count, values), call("cudnnBackendSetAttribute", name));
        return *this;
    }
    template <class T>
    descriptor& set(cudnnBackendAttributeName_t name, cudnnBackendAttributeType_t type, const T& value) {
        return set(name, type, &value, 1);
    }
    template <class T>
    descriptor& set(cudnnBackendAttributeName_t name, cudnnBackendAttributeType_t type, const std::vector<T>& values) {
        return set(name, type, values.data(), std::int64_t(values.size()));
    }
    // A descriptor-valued attribute.
    descriptor& set(cudnnBackendAttributeName_t name, const descriptor& value) {
        const cudnnBackendDescriptor_t v = value.get();
        return set(name, CUDNN_TYPE_BACKEND_DESCRIPTOR, &v, 1);
    }

    template <class T>
    std::int64_t get(cudnnBackendAttributeName_t name, cudnnBackendAttributeType_t type, T* values,
                     std::int64_t capacity) const {
        std::int64_t count = 0;
        check(cudnnBackendGetAttribute(d_, name, type, capacity, &count, values), call("cudnnBackendGetAttribute", name));
        return count;
    }

    descriptor& finalize() {
        check(cudnnBackendFinalize(d_), "cudnnBackendFinalize(" + what_ + ")");
        return *this;
    }

private:
    cudnnBackendDescriptor_t d_ = nullptr;
    std::string what_;

    std::string call(const char* function, cudnnBackendAttributeName_t name) const {
        return std::string(function) + "(" + what_ + ", attribute " + std::to_string(int(name)) + ")";
    }
};

}  // namespace svlrm::backend::cudnn_detail
