// What a backend is: an engine that runs a model's convolution stack on two planar
// float channels and returns two planar float channels. joint_filter does everything
// else (validation, value conversion, luma, tiling, F = alpha * G + beta), so a new
// backend only has to be fast and correct at this one job. See docs/backends.md.
#pragma once

#include <svlrm/model.hpp>

#include <concepts>
#include <cstddef>
#include <string_view>

namespace svlrm::backend {

// The network's two input channels, in the model's order (model::guide_first) and
// already scaled (model::input_scale / guide_scale): contiguous width x height planes.
struct network_input {
    const float* channel[2];
    std::ptrdiff_t width;
    std::ptrdiff_t height;
};

// The network's two output channels, in the model's order (model::beta_first).
struct network_output {
    float* channel[2];
};

// B(model, B::options) prepares the engine; b.infer(in, out) evaluates the whole
// network on one image. infer is const and must be safe to call from several threads
// at once on one object (a backend that caches per-size state guards it).
template <class B>
concept coefficient_backend =
    std::copy_constructible<typename B::options> && std::default_initializable<typename B::options> &&
    std::constructible_from<B, const model&, const typename B::options&> &&
    requires(const B& b, const network_input& in, const network_output& out) {
        { B::name } -> std::convertible_to<std::string_view>;
        { b.infer(in, out) } -> std::same_as<void>;
    };

}  // namespace svlrm::backend
