// The SVLRM network chosen at run time by name: the backends this build has, their
// precision names, "auto", and joint_filter<Backend> behind one type-erased filter.
// The CLI and the Python package share it, so both spell backends and modes alike.
#pragma once

#include <svlrm/svlrm.hpp>
#ifdef SVLRM_HAVE_ONEDNN
#include <svlrm/backend/onednn.hpp>
#endif
#ifdef SVLRM_HAVE_CUDNN
#include <svlrm/backend/cudnn.hpp>
#endif

#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace svlrm_tools {

// The backends compiled into this build, fastest first.
inline std::vector<std::string> compiled_backends() {
    std::vector<std::string> b;
#ifdef SVLRM_HAVE_CUDNN
    b.push_back("cudnn");
#endif
#ifdef SVLRM_HAVE_ONEDNN
    b.push_back("onednn");
#endif
    b.push_back("reference");
    return b;
}

// The compiled backends this machine can run now (cuDNN needs a CUDA device).
inline std::vector<std::string> available_backends() {
    std::vector<std::string> b;
    for (const auto& name : compiled_backends()) {
#ifdef SVLRM_HAVE_CUDNN
        if (name == "cudnn" && !svlrm::backend::cudnn_available()) continue;
#endif
        b.push_back(name);
    }
    return b;
}

// A backend's precision modes, its default first ("auto" is not one: it picks one).
inline std::vector<std::string> precisions_of(const std::string& backend) {
    if (backend == "onednn") return {"exact", "fast", "bf16"};
    if (backend == "cudnn") return {"fp32", "tf32", "fp16", "bf16"};
    return {};
}

using any_const_view = std::variant<svlrm::image_view<const std::uint8_t>, svlrm::image_view<const std::uint16_t>,
                                    svlrm::image_view<const float>>;

class runtime_filter {
public:
    // backend: a name of compiled_backends() or "auto" (the first this machine runs);
    // precision: one of precisions_of(backend), or "" / "auto": the fastest mode whose
    // output stays within 1e-5 of the exact one (oneDNN's precision::automatic; cuDNN:
    // fp32, its other modes are far less accurate). A named backend or mode this
    // machine cannot run throws svlrm::unavailable_error; unknown names
    // std::invalid_argument.
    runtime_filter(const svlrm::model& m, const std::string& backend, const std::string& precision,
                   const svlrm::filter_options& options) {
        const auto all = compiled_backends();
        if (backend != "auto" && std::find(all.begin(), all.end(), backend) == all.end())
            throw std::invalid_argument("unknown backend '" + backend + "' (this build has " + join(all) + ", auto)");
        const bool named = !precision.empty() && precision != "auto";
        const auto has_mode = [&](const std::string& b) {
            const auto modes = precisions_of(b);
            return !named || std::find(modes.begin(), modes.end(), precision) != modes.end();
        };
        std::vector<std::string> candidates;
        for (const auto& b : backend == "auto" ? all : std::vector<std::string>{backend})
            if (has_mode(b)) candidates.push_back(b);
        if (candidates.empty()) {
            if (backend != "auto") {
                const auto modes = precisions_of(backend);
                throw std::invalid_argument("precision '" + precision + "' is not a mode of the " + backend +
                                            " backend" + (modes.empty() ? " (it has none)" : " (" + join(modes) + ", auto)"));
            }
            throw std::invalid_argument("precision '" + precision + "' is not a mode of any backend of this build");
        }
        // auto falls through what this machine cannot run (a cuDNN build without a GPU).
        for (std::size_t i = 0; i < candidates.size(); ++i) {
            try {
                build(candidates[i], precision, m, options);
                return;
            } catch (const svlrm::unavailable_error&) {
                if (i + 1 == candidates.size()) throw;
            }
        }
    }

    const std::string& backend_name() const { return backend_; }
    // The mode that runs; empty for a backend without modes.
    const std::string& precision_name() const { return precision_; }
    // "onednn (fast)", "reference": what the CLI prints.
    std::string description() const { return precision_.empty() ? backend_ : backend_ + " (" + precision_ + ")"; }

    // joint_filter<Backend>::apply, or apply_part when extents is not empty; alpha and
    // beta may be null (both or neither).
    void apply(any_const_view guide, any_const_view input, svlrm::image_view<float> out,
               const svlrm::image_view<float>* alpha = nullptr, const svlrm::image_view<float>* beta = nullptr,
               std::span<const svlrm::value_extent> extents = {}) const {
        impl_->apply(guide, input, out, alpha, beta, extents);
    }

private:
    struct erased {
        virtual ~erased() = default;
        virtual void apply(const any_const_view&, const any_const_view&, svlrm::image_view<float>,
                           const svlrm::image_view<float>*, const svlrm::image_view<float>*,
                           std::span<const svlrm::value_extent>) const = 0;
    };
    template <class Backend>
    struct typed final : erased {
        typed(const svlrm::model& m, const typename Backend::options& o, const svlrm::filter_options& fo)
            : filter(m, o, fo) {}
        svlrm::joint_filter<Backend> filter;
        void apply(const any_const_view& guide, const any_const_view& input, svlrm::image_view<float> out,
                   const svlrm::image_view<float>* alpha, const svlrm::image_view<float>* beta,
                   std::span<const svlrm::value_extent> extents) const override {
            std::visit(
                [&](auto g, auto in) {
                    if (!extents.empty()) filter.apply_part(g, in, out, extents, alpha, beta);
                    else if (alpha) {
                        if (!beta) throw std::invalid_argument("svlrm::joint_filter::apply: alpha without beta");
                        filter.apply(g, in, out, *alpha, *beta);
                    } else filter.apply(g, in, out);
                },
                guide, input);
        }
    };

    std::shared_ptr<const erased> impl_;
    std::string backend_, precision_;

    static std::string join(const std::vector<std::string>& v) {
        std::string s;
        for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
        return s;
    }

    template <class Backend>
    static std::shared_ptr<const typed<Backend>> make(const svlrm::model& m, const typename Backend::options& o,
                                              const svlrm::filter_options& fo) {
        return std::make_shared<const typed<Backend>>(m, o, fo);
    }

    void build(const std::string& backend, const std::string& mode, const svlrm::model& m,
               const svlrm::filter_options& fo) {
        backend_ = backend;
#ifdef SVLRM_HAVE_ONEDNN
        if (backend == "onednn") {
            using svlrm::backend::precision;
            svlrm::backend::onednn_options o;  // "" and "auto": the backend's automatic mode
            o.mode = mode == "exact" ? precision::exact
                     : mode == "fast" ? precision::fast
                     : mode == "bf16" ? precision::bf16
                                      : precision::automatic;
            auto f = make<svlrm::backend::onednn>(m, o, fo);
            precision_ = svlrm::backend::to_string(f->filter.backend().effective_precision());
            impl_ = std::move(f);
            return;
        }
#endif
#ifdef SVLRM_HAVE_CUDNN
        if (backend == "cudnn") {
            using svlrm::backend::cudnn_precision;
            // "" and "auto": fp32; tf32 and the half types were measured far above 1e-5.
            svlrm::backend::cudnn_options o;
            o.precision = mode == "tf32"   ? cudnn_precision::tf32
                          : mode == "fp16" ? cudnn_precision::fp16
                          : mode == "bf16" ? cudnn_precision::bf16
                                           : cudnn_precision::fp32;
            impl_ = make<svlrm::backend::cudnn>(m, o, fo);
            precision_ = svlrm::backend::to_string(o.precision);
            return;
        }
#endif
        impl_ = make<svlrm::backend::reference>(m, {}, fo);
        precision_.clear();
    }
};

}  // namespace svlrm_tools
