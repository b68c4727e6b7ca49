// backend_list<B...>: choosing one of several backends by name at run time, and the
// filter it makes (any_joint_filter). <svlrm/backends.hpp> names the list a build
// has; a program with its own backend (docs/backends.md) may list it here too.
#pragma once

#include <svlrm/any_joint_filter.hpp>
#include <svlrm/backend/contract.hpp>
#include <svlrm/error.hpp>
#include <svlrm/joint_filter.hpp>

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace svlrm {

// Backends in order of preference (fastest first): "auto" takes the first that runs.
template <class... Backends>
struct backend_list {
    static_assert(sizeof...(Backends) > 0, "svlrm::backend_list needs at least one backend");

    static std::vector<std::string> names() { return {std::string(Backends::name)...}; }

    // The backends this machine can run now (cuDNN needs a CUDA device).
    static std::vector<std::string> available_names() {
        std::vector<std::string> v;
        ((backend::available<Backends>() ? void(v.emplace_back(Backends::name)) : void()), ...);
        return v;
    }

    static bool has(std::string_view name) { return ((name == Backends::name) || ...); }

    // A backend's precision modes, most accurate first; std::invalid_argument for a name
    // not in the list.
    static std::vector<std::string> precisions(std::string_view backend) {
        std::optional<std::vector<std::string>> v;
        ((backend == Backends::name ? void(v = backend::precisions<Backends>()) : void()), ...);
        if (!v) throw std::invalid_argument(unknown("svlrm::backend_list::precisions", backend));
        return *v;
    }

    // The backends that have mode `precision`, in order (all of them for "auto").
    static std::vector<std::string> having(std::string_view precision) {
        std::vector<std::string> v;
        ((has_mode<Backends>(precision) ? void(v.emplace_back(Backends::name)) : void()), ...);
        return v;
    }

    // The filter of model m on `backend` (a name, or "auto": the first in the list that
    // this machine runs with `precision`) in mode `precision` (one of its precisions(),
    // or "auto": its fastest mode within 1e-5 of exact). An unknown name or a mode the
    // backend does not have: std::invalid_argument. A named backend or mode this
    // machine cannot run: svlrm::unavailable_error, never another one in its place.
    static any_joint_filter make(std::string_view backend_name, const model& m, std::string_view precision = "auto",
                                 const filter_options& options = {}) {
        if (backend_name != "auto" && !has(backend_name)) throw std::invalid_argument(unknown(where, backend_name));
        if (backend_name != "auto") {
            std::optional<any_joint_filter> f;
            ((backend_name == Backends::name ? void(f.emplace(make_on<Backends>(m, precision, options, true))) : void()),
             ...);
            return *f;
        }
        if (having(precision).empty())
            throw std::invalid_argument(std::string(where) + ": precision '" + std::string(precision) +
                                        "' is not a mode of any backend (" + backend::joined(names()) + ")");
        // auto: the backends that have the mode, in order, passing over the ones this
        // machine cannot run; the last one's error when none can.
        std::optional<any_joint_filter> f;
        std::optional<unavailable_error> last;
        const auto attempt = [&]<class B>() {
            if (f || !has_mode<B>(precision)) return;
            try {
                f.emplace(make_on<B>(m, precision, options, false));
            } catch (const unavailable_error& e) {
                last = e;
            }
        };
        (attempt.template operator()<Backends>(), ...);
        if (f) return *f;
        throw *last;
    }

private:
    static constexpr const char* where = "svlrm::make_joint_filter";

    static std::string unknown(const char* function, std::string_view name) {
        return std::string(function) + ": unknown backend '" + std::string(name) + "' (this build has " +
               backend::joined(names()) + ", auto)";
    }

    template <class B>
    static bool has_mode(std::string_view mode) {
        const auto v = backend::precisions<B>();
        return backend::is_auto(mode) || std::find(v.begin(), v.end(), mode) != v.end();
    }

    template <class B>
    static any_joint_filter make_on(const model& m, std::string_view precision, const filter_options& options,
                                    bool named) {
        const typename B::options o = backend::options_for<B>(precision);  // invalid_argument first
        if (!backend::available<B>()) {
            // Asked for by name: the backend's own error says why, where it has one
            // ("no CUDA device ...").
            if (named) (void)B(m, o);
            throw unavailable_error(std::string(where) + ": the " + std::string(B::name) +
                                    " backend cannot run on this machine" +
                                    (named ? " (available: " + backend::joined(available_names()) + ")" : ""));
        }
        return any_joint_filter(joint_filter<B>(m, o, options));
    }
};

}  // namespace svlrm
