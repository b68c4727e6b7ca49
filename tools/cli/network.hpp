// The SVLRM network for the tool: finding a model file, and the backend and precision
// options, chosen by name through the library's registry (<svlrm/backends.hpp>).
#pragma once

#include "arguments.hpp"
#include "bundled_models.hpp"
#include "progress.hpp"
#include <svlrm/backends.hpp>
#include <svlrm/svlrm.hpp>

#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>

namespace svlrm_cli {

// --model, else the bundled <task>.safetensors; a runtime error naming the places
// searched when there is none.
inline svlrm::model load_model(const arguments& args, const std::string& bundled) {
    if (const auto m = args.text("model")) return svlrm::model::load(svlrm_tools::model_path(*m));
    if (bundled.empty()) throw usage_error("this command needs --model FILE");
    if (const auto path = svlrm_tools::find_bundled_model(bundled)) return svlrm::model::load(*path);
    throw std::runtime_error(svlrm_tools::missing_bundled_model(bundled) + "; pass --model FILE");
}

class network {
public:
    // --backend (default: the fastest this machine runs) and --precision (default: auto,
    // the fastest mode within 1e-5 of exact); unknown names and modes are usage errors.
    network(const svlrm::model& m, const arguments& args, progress_bar& bar) {
        svlrm::filter_options fo;
        fo.tile_size = args.integer("tile", 0, 0, 1L << 20);
        fo.self_ensemble = args.has("self-ensemble");
        fo.progress = [&bar](std::ptrdiff_t done, std::ptrdiff_t total) { return bar.update(done, total); };
        const std::string backend = args.text("backend").value_or("auto");
        try {
            filter_.emplace(svlrm::make_joint_filter(backend, m, args.text("precision").value_or("auto"), fo));
        } catch (const std::invalid_argument& e) {
            throw usage_error(std::string(args.text("precision") ? "--precision: " : "--backend: ") + e.what());
        }
    }

    // Runs a command's work and then says which backend and mode ran (the default, auto,
    // picks the mode per machine and model), unless --quiet or the work failed.
    template <class Work>
    int reporting(const arguments& args, Work&& work) const {
        const int rc = work();
        if (rc == 0 && !args.has("quiet")) std::printf("svlrm: network on %s\n", backend_name().c_str());
        return rc;
    }

    // "onednn (exact)", "reference"
    std::string backend_name() const { return filter_->description(); }

    void apply(svlrm::image_view<const float> guide, svlrm::image_view<const float> input,
               svlrm::image_view<float> out, svlrm::image_view<float> alpha, svlrm::image_view<float> beta) const {
        filter_->apply(guide, input, out, alpha, beta);
    }

private:
    std::optional<svlrm::any_joint_filter> filter_;
};

}  // namespace svlrm_cli
