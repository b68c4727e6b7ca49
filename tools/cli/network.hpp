// The SVLRM network for the tool: finding a model file, choosing a backend and its
// precision, and running joint_filter<Backend> behind one type-erased interface.
#pragma once

#include "arguments.hpp"
#include "progress.hpp"

#include <svlrm/svlrm.hpp>
#ifdef SVLRM_HAVE_ONEDNN
#include <svlrm/backend/onednn.hpp>
#endif
#ifdef SVLRM_HAVE_CUDNN
#include <svlrm/backend/cudnn.hpp>
#endif

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace svlrm_cli {

namespace fs = std::filesystem;

// Where a bundled model may be: the source tree's models/ (compiled in, for a build
// tree) and <prefix>/share/svlrm/models next to an installed executable.
inline std::vector<fs::path> model_dirs() {
    std::vector<fs::path> dirs{fs::path(SVLRM_MODELS_DIR)};
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) dirs.push_back(exe.parent_path().parent_path() / SVLRM_INSTALL_DATADIR / "svlrm" / "models");
    return dirs;
}

// --model, else the bundled <task>.safetensors; a runtime error naming the places
// searched when there is none.
inline svlrm::model load_model(const arguments& args, const std::string& bundled) {
    if (const auto m = args.text("model")) return svlrm::model::load(*m);
    if (bundled.empty()) throw usage_error("this command needs --model FILE");
    std::string searched;
    for (const auto& d : model_dirs()) {
        const fs::path p = d / (bundled + ".safetensors");
        if (fs::exists(p)) return svlrm::model::load(p);
        searched += (searched.empty() ? "" : ", ") + d.string();
    }
    throw std::runtime_error("no bundled model " + bundled + ".safetensors (searched " + searched +
                             "); pass --model FILE");
}

inline std::vector<std::string> compiled_backends() {
    std::vector<std::string> b;
#ifdef SVLRM_HAVE_CUDNN
    b.push_back("cudnn");
#endif
#ifdef SVLRM_HAVE_ONEDNN
    b.push_back("onednn");
#endif
    b.push_back("reference");
    return b;  // fastest first
}

inline std::vector<std::string> precisions_of(const std::string& backend) {
    if (backend == "onednn") return {"exact", "fast", "bf16"};
    if (backend == "cudnn") return {"fp32", "tf32", "fp16", "bf16"};
    return {};
}

// Reads --backend and --precision (usage errors for unknown names and for a precision
// the backend does not have); returns the backends to try in order.
inline std::vector<std::string> backend_candidates(const arguments& args) {
    const auto all = compiled_backends();
    const auto precision = args.text("precision");
    auto accepts = [&](const std::string& b) {
        if (!precision) return true;
        for (const auto& p : precisions_of(b))
            if (p == *precision) return true;
        return false;
    };
    if (const auto b = args.choice("backend", {"reference", "onednn", "cudnn"})) {
        if (std::find(all.begin(), all.end(), *b) == all.end())
            throw usage_error("--backend " + *b + ": this build of svlrm has no " + *b + " backend");
        if (!accepts(*b)) {
            std::string list;
            for (const auto& p : precisions_of(*b)) list += (list.empty() ? "" : ", ") + p;
            throw usage_error("--precision " + *precision + " is not a precision of the " + *b + " backend" +
                              (list.empty() ? " (it has none to choose)" : " (" + list + ")"));
        }
        return {*b};
    }
    std::vector<std::string> out;
    for (const auto& b : all)
        if (accepts(b)) out.push_back(b);
    if (out.empty())
        throw usage_error("--precision " + *precision + " is not a precision of any backend in this build");
    return out;
}

class network {
public:
    // Builds the first candidate backend that this machine can run (a cuDNN build
    // without a GPU falls through to the next one unless --backend asked for it).
    network(const svlrm::model& m, const arguments& args, progress_bar& bar) {
        svlrm::filter_options fo;
        fo.tile_size = args.integer("tile", 0, 0, 1L << 20);
        fo.self_ensemble = args.has("self-ensemble");
        fo.progress = [&bar](std::ptrdiff_t done, std::ptrdiff_t total) { return bar.update(done, total); };
        const auto candidates = backend_candidates(args);
        const std::string precision = args.text("precision").value_or("");
        for (std::size_t i = 0; i < candidates.size(); ++i) {
            try {
                build(candidates[i], precision, m, fo);
                return;
            } catch (const svlrm::unavailable_error&) {
                if (i + 1 == candidates.size()) throw;
            }
        }
    }

    const std::string& backend_name() const { return name_; }

    void apply(svlrm::image_view<const float> guide, svlrm::image_view<const float> input,
               svlrm::image_view<float> out, svlrm::image_view<float> alpha, svlrm::image_view<float> beta) const {
        run_(guide, input, out, alpha, beta);
    }

private:
    using runner = std::function<void(svlrm::image_view<const float>, svlrm::image_view<const float>,
                                      svlrm::image_view<float>, svlrm::image_view<float>, svlrm::image_view<float>)>;
    runner run_;
    std::string name_;

    template <class Backend>
    void use(const svlrm::model& m, const typename Backend::options& o, const svlrm::filter_options& fo) {
        auto f = std::make_shared<const svlrm::joint_filter<Backend>>(m, o, fo);
        run_ = [f](svlrm::image_view<const float> g, svlrm::image_view<const float> in, svlrm::image_view<float> out,
                   svlrm::image_view<float> a, svlrm::image_view<float> b) { f->apply(g, in, out, a, b); };
    }

    void build(const std::string& backend, [[maybe_unused]] const std::string& mode, const svlrm::model& m,
               const svlrm::filter_options& fo) {
        name_ = backend;
#ifdef SVLRM_HAVE_ONEDNN
        if (backend == "onednn") {
            using svlrm::backend::precision;
            svlrm::backend::onednn_options o;
            o.mode = mode == "fast" ? precision::fast : mode == "bf16" ? precision::bf16 : precision::exact;
            if (!mode.empty()) name_ += " (" + mode + ")";
            return use<svlrm::backend::onednn>(m, o, fo);
        }
#endif
#ifdef SVLRM_HAVE_CUDNN
        if (backend == "cudnn") {
            using svlrm::backend::cudnn_precision;
            svlrm::backend::cudnn_options o;
            o.precision = mode == "tf32"   ? cudnn_precision::tf32
                          : mode == "fp16" ? cudnn_precision::fp16
                          : mode == "bf16" ? cudnn_precision::bf16
                                           : cudnn_precision::fp32;
            if (!mode.empty()) name_ += " (" + mode + ")";
            return use<svlrm::backend::cudnn>(m, o, fo);
        }
#endif
        use<svlrm::backend::reference>(m, {}, fo);
    }
};

}  // namespace svlrm_cli
