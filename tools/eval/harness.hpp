// What every section of the evaluation harness shares: its settings (the command
// line), the network, and loading images, models and writing figures.
#pragma once

#include <svlrm/backends.hpp>
#include <svlrm/svlrm.hpp>
#include "image_io.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace svlrm_eval {

namespace fs = std::filesystem;

// The network in the bit-reproducible mode, so that docs/results.md's numbers reproduce:
// "exact", which only the CPU backends have (oneDNN's direct f32 convolution where the
// build has it, else the reference backend).
struct network : svlrm::any_joint_filter {
    explicit network(const svlrm::model& m, svlrm::filter_options o = {})
        : svlrm::any_joint_filter(svlrm::make_joint_filter("auto", m, "exact", std::move(o))) {}
};

struct settings {
    fs::path data = "../shared/datasets", models = "models", out = "docs/results.md", figures = "docs/images/results";
    int limit = 0;  // evaluate only the first N images of each set (0 = all): for quick checks
    std::set<std::string> only;  // sections to run (--only a,b); empty = all
    // Rendered validation frames (depth_real, encodings): --rendered DIR.
    fs::path rendered;
    // Extra depth-upsampling model files for depth_real and encodings (--depth-models a.safetensors,b.safetensors).
    std::vector<fs::path> depth_models;
    // Synthetic flash / no-flash pairs (flash): --flash-pairs DIR, made by tools/eval/make_flash_pairs.py.
    fs::path flash_pairs;

    bool runs(const std::string& section) const { return only.empty() || only.count(section) != 0; }
};

inline svlrm::image<float> load(const fs::path& p) { return svlrm_tools::read_image(p).pixels; }

inline svlrm::image<float> clipped(svlrm::image<float> v) {
    for (long i = 0; i < v.width() * v.height() * v.channels(); ++i) v.data()[i] = std::clamp(v.data()[i], 0.0f, 1.0f);
    return v;
}

// Figures are halved until they are at most max_width px wide, so that docs stay small.
inline void figure(const settings& s, const std::string& name, const svlrm::image<float>& v, long max_width = 640) {
    svlrm::image<float> small = v;
    while (small.width() > max_width) {
        svlrm::image<float> half(small.width() / 2, small.height() / 2, small.channels());
        svlrm::resize_bilinear(small.view(), half.view());
        small = std::move(half);
    }
    svlrm_tools::write_png(s.figures / (name + ".png"), svlrm::image_view<const float>(clipped(small).view()));
}

// The same model run with filter_options::self_ensemble (8 rotated / reflected passes averaged).
inline svlrm::filter_options self_ensemble() {
    svlrm::filter_options o;
    o.self_ensemble = true;
    return o;
}

inline std::optional<svlrm::model> load_model(const settings& s, const std::string& name) {
    const fs::path p = s.models / (name + ".safetensors");
    if (!fs::exists(p)) {
        std::fprintf(stderr, "svlrm_eval: %s not found: its rows are left out\n", p.string().c_str());
        return std::nullopt;
    }
    return svlrm::model::load(p);
}

}  // namespace svlrm_eval
