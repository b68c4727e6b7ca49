// What a backend is: an engine that runs a model's convolution stack on two planar
// float channels and returns two planar float channels. joint_filter does everything
// else (validation, value conversion, luma, tiling, F = alpha * G + beta), so a new
// backend only has to be fast and correct at this one job. See docs/backends.md.
#pragma once

#include <svlrm/model.hpp>

#include <concepts>
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

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

// One model read by several objects: joint_filter and its backend share one copy.
using shared_model = std::shared_ptr<const model>;

// m itself, checked (model::validate, naming `where`): what a backend keeps.
inline shared_model validated(shared_model m, const std::string& where) {
    if (!m) throw std::invalid_argument(where + ": null model");
    m->validate(where);
    return m;
}

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

// A backend that keeps the model may also be constructible from (shared_model,
// B::options): joint_filter then gives it its own copy instead of a second one.
//
// Chosen by name (<svlrm/backends.hpp>), a backend may also declare, each optional:
//   static std::vector<std::string> precisions();  its modes, most accurate first
//   static options options_for(std::string_view);  options for a mode, or for "auto":
//                                                   its fastest mode within 1e-5 of exact
//   std::string precision_name() const;             the mode that runs
//   static bool available();                        whether this machine can run it
// A backend without them has no modes and is always available. The functions below
// read a backend through these defaults.

template <class B>
std::vector<std::string> precisions() {
    if constexpr (requires { B::precisions(); }) return B::precisions();
    else return {};
}

inline bool is_auto(std::string_view mode) { return mode.empty() || mode == "auto"; }

// Throws std::invalid_argument for a mode B does not have.
template <class B>
typename B::options options_for(std::string_view mode) {
    if constexpr (requires { B::options_for(mode); }) {
        return B::options_for(mode);
    } else {
        if (!is_auto(mode))
            throw std::invalid_argument("precision '" + std::string(mode) + "' is not a mode of the " +
                                        std::string(B::name) + " backend (it has none)");
        return {};
    }
}

template <class B>
std::string precision_name(const B& b) {
    if constexpr (requires { b.precision_name(); }) return b.precision_name();
    else return {};
}

template <class B>
bool available() {
    if constexpr (requires { B::available(); }) return B::available();
    else return true;
}

// "a, b, c": the lists in error messages.
inline std::string joined(const std::vector<std::string>& names) {
    std::string s;
    for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
    return s;
}

// For a backend whose options have a `mode` of an enum with a to_string: the modes'
// names, and its options_for (std::invalid_argument listing the names for another).
template <class Mode>
std::vector<std::string> mode_names(std::initializer_list<Mode> modes) {
    std::vector<std::string> v;
    for (Mode m : modes) v.emplace_back(to_string(m));
    return v;
}

// B::options with its `mode` set to the one `name` stands for, or to `automatic` for "auto".
template <class B, class Mode>
typename B::options options_with_mode(std::string_view name, std::initializer_list<Mode> modes, Mode automatic) {
    typename B::options o;
    if (is_auto(name)) {
        o.mode = automatic;
        return o;
    }
    for (Mode m : modes)
        if (name == to_string(m)) {
            o.mode = m;
            return o;
        }
    throw std::invalid_argument("precision '" + std::string(name) + "' is not a mode of the " + std::string(B::name) +
                                " backend (" + joined(mode_names(modes)) + ", auto)");
}

}  // namespace svlrm::backend
