// The filtering subcommands: the SVLRM network (upsample, restore, denoise, deblur, filter)
// and the baselines (guided, fast-guided, hc, jbu), each a task for the pipeline.
#pragma once

#include "arguments.hpp"
#include "network.hpp"
#include "pipeline.hpp"
#include "progress.hpp"

#include <svlrm/svlrm.hpp>
#ifdef _OPENMP
#include <omp.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace svlrm_cli {

struct command {
    std::string name, summary, usage, description;
    std::vector<option_spec> options;
    std::function<int(const arguments&)> run;
};

// ---- option groups ---------------------------------------------------------------

inline std::vector<option_spec> io_options() {
    return {{"bits", "8|16", "PNG output bit depth (default: the input's; 16 for float inputs)"},
            {"depth-scale", "S", "depth commands: write float depth to a PNG as depth x S (1000: metres as mm)"},
            {"missing", "zero|nan|none", "input values that mean 'no measurement', filled from the nearest valid "
                                         "pixel before filtering (default: zero for depth, none for images)"},
            {"missing-zero", "", "the same as --missing zero"},
            {"holes", "fill|keep", "where the input had no measurement: fill the output (default) or write the "
                                   "missing value (0, or NaN with --missing nan) there"},
            {"format", "png|pfm|npy", "batch mode: output format (default: the input's; bmp gives png)"},
            {"threads", "N", "threads for the filters and the CPU backends (default: all)"},
            {"progress", "", "draw the progress bar even when stderr is not a terminal"},
            {"quiet", "", "no progress bar and no message on stdout"}};
}

// "auto (default: ...); onednn: exact, fast, bf16; reference: exact", from the registry.
inline std::string precision_help() {
    std::string text = "auto (default: the fastest mode within 1e-5 of exact)";
    for (const auto& b : svlrm::compiled_backends::names())
        text += "; " + b + ": " + svlrm::backend::joined(svlrm::compiled_backends::precisions(b));
    return text;
}

inline std::vector<option_spec> network_options(const std::string& bundled) {
    return {{"model", "FILE", bundled.empty() ? "the model file (.safetensors) or a bundled model's name, required"
                                              : "model file or a bundled model's name (default: " + bundled + ")"},
            {"backend", "NAME", svlrm::backend::joined(svlrm::compiled_backends::names()) +
                                    " or auto (default: the fastest this machine runs)"},
            {"precision", "MODE", precision_help()},
            {"tile", "N", "run the network on N x N tiles (0 = automatic; same result, less memory)"},
            {"self-ensemble", "", "average the network over the 8 rotations / reflections (8x slower, lower error)"},
            {"save-coefficients", "PREFIX", "also write PREFIX_alpha/_beta .pfm (values) and .png (turbo colours)"}};
}

// The options of `all` named in `names`, in all's order.
inline std::vector<option_spec> pick(const std::vector<option_spec>& all, const std::vector<std::string>& names) {
    std::vector<option_spec> out;
    for (const auto& o : all)
        if (std::find(names.begin(), names.end(), o.name) != names.end()) out.push_back(o);
    return out;
}

template <class... Groups>
std::vector<option_spec> join(Groups&&... groups) {
    std::vector<option_spec> all;
    (all.insert(all.end(), groups.begin(), groups.end()), ...);
    return all;
}

// --threads: svlrm's own threads and, for oneDNN, its OpenMP runtime.
inline void apply_threads(const arguments& args) {
    if (!args.has("threads")) return;
    const int n = int(args.integer("threads", 0, 1, 1024));
    svlrm::set_num_threads(n);
#ifdef _OPENMP
    omp_set_num_threads(n);
#endif
}

// ---- the SVLRM network ----------------------------------------------------------------

// Whether `scale` is one of the factors in the model's "scale" metadata (true when it has none).
inline bool trained_at(const svlrm::model& m, int scale) {
    const std::string* list = m.meta("scale");
    if (!list) return true;
    std::size_t pos = 0;
    while (pos <= list->size()) {
        const std::size_t comma = std::min(list->find(',', pos), list->size());
        if (list->substr(pos, comma - pos) == std::to_string(scale)) return true;
        pos = comma + 1;
    }
    return false;
}

inline int run_network(const arguments& args, task t, const std::string& bundled) {
    t.coefficients = true;
    apply_threads(args);
    const bool batch = batch_mode(args);
    progress_bar files(progress_wanted(args)), tiles(progress_wanted(args) && !batch);
    tiles.set_label("svlrm");
    pipeline p(args, t, files);
    const svlrm::model m = load_model(args, bundled);
    const network net(m, args, tiles);
    bool warned = false;
    return net.reporting(args, [&] { return p.run([&](const svlrm::image<float>& in, const svlrm::image<float>& guide, int scale) {
        filter_result r;
        if (t.upsamples && !warned && !args.has("quiet") && !trained_at(m, scale)) {
            // The network refines whatever upsampling it is given, so it still runs;
            // between trained factors its error lies between theirs (measured: docs/results.md).
            char factor[64];
            std::snprintf(factor, sizeof factor, "x%.3g by x%.3g", double(guide.width()) / double(in.width()),
                          double(guide.height()) / double(in.height()));
            std::fprintf(stderr, "svlrm: note: the model was trained at x%s, not %s\n", m.meta("scale")->c_str(),
                         scale > 0 ? ("x" + std::to_string(scale)).c_str() : factor);
            warned = true;
        }
        svlrm::image<float> up;
        const bool upsampling = scale != 1;  // 0: a real factor (check_sizes)
        if (upsampling) {  // the network refines an upsampling: bicubic or JBU, as the model was trained
            up = svlrm::image<float>(guide.width(), guide.height(), in.channels());
            svlrm::upsample_input(m, guide.view(), in.view(), up.view());
        }
        const svlrm::image<float>& x = upsampling ? up : in;
        r.out = r.alpha = r.beta = svlrm::image<float>(x.width(), x.height(), x.channels());
        net.apply(guide, x, r.out, r.alpha, r.beta);
        tiles.finish();
        return r;
    }); });
}

inline std::vector<command> network_commands() {
    const std::string io = " Formats: png (8/16-bit), pfm, npy; read only: bmp, jpg, tif (8/16-bit, float), exr; the output format follows "
                           "OUTPUT's extension. With folders for INPUT, GUIDE and OUTPUT every image of INPUT is "
                           "processed (batch mode; the guide has the same file name).";
    return {
        {"upsample", "depth upsampling: low-res depth + high-res guide", "svlrm upsample LOWRES GUIDE OUTPUT [options]",
         "Upsamples LOWRES to the size of GUIDE as the model was trained (its input_upsampling: joint bilateral "
         "upsampling on GUIDE's colour for depth_sr, bicubic, Keys a = -0.5, for depth_sr_sensor), then refines it "
         "with the SVLRM network, F = alpha * G + beta. Any sizes: the factor of each axis is GUIDE's size / LOWRES's "
         "size (2.67 for a 192x144 map under a 512x384 image), an integer one where GUIDE decimates to LOWRES, or "
         "--scale. An RGB depth file (grey stored as RGB) is read as one channel. The bundled depth_sr model is "
         "trained at x2, x4, x8 and x16 on depth and colour as a real RGB-D camera gives them (two sensors: the "
         "colour misregistered by up to 4 px, soft depth edges), one point sample per low-resolution pixel; "
         "--noisy picks depth_sr_sensor, trained for noisy, quantised depth with flying pixels (ahead of depth_sr "
         "on such input in models/README.md, behind JBU on real Kinect frames). 0 means no measurement "
         "(--missing): such pixels are filled before upsampling. Depth may be metric (near = small) or inverse "
         "(disparity, near = large), in any unit: both models normalise the depth's range themselves. The output "
         "has the input's unit (16-bit mm in, 16-bit mm out; see --depth-scale for float depth to PNG)." + io,
         join(std::vector<option_spec>{{"scale", "S", "upsampling factor 1..64 (default: from the sizes)"},
                                       {"noisy", "", "the depth comes from a sensor: use the bundled depth_sr_sensor"}},
              network_options("depth_sr"), io_options()),
         [](const arguments& a) {
             return run_network(a, {.guided = true, .upsamples = true, .depth = true},
                                a.has("noisy") ? "depth_sr_sensor" : "depth_sr");
         }},
        {"restore", "depth restoration: noisy depth + guide", "svlrm restore DEPTH GUIDE OUTPUT [options]",
         "Restores a noisy depth map guided by an image of the same size with the SVLRM network. An RGB depth file "
         "is read as one channel; 0 means no measurement and is filled first (--missing)." + io,
         join(network_options("depth_restore"), io_options()),
         [](const arguments& a) { return run_network(a, {.guided = true, .depth = true}, "depth_restore"); }},
        {"denoise", "image denoising, self-guided (G = I)", "svlrm denoise INPUT OUTPUT [options]",
         "Denoises INPUT with itself as the guide (an RGB input guides with its BT.601 luma; each channel is "
         "filtered)." + io,
         join(network_options("image_denoise"), io_options()),
         [](const arguments& a) { return run_network(a, {.guided = false}, "image_denoise"); }},
        {"deblur", "flash / no-flash deblurring: blurred no-flash photo + flash photo",
         "svlrm deblur NOFLASH FLASH OUTPUT [options]",
         "Deblurs NOFLASH, a long exposure blurred by camera shake and noisy, with FLASH, a sharp shot of the same "
         "scene under a flash (same size, aligned), as the guide: each colour channel of NOFLASH is filtered with "
         "the SVLRM network guided by FLASH's BT.601 luma, so the output keeps NOFLASH's light and colour and takes "
         "its sharpness from FLASH. The bundled flash_deblur model is trained on synthetic pairs (models/README.md)."
             + io,
         join(network_options("flash_deblur"), io_options()),
         [](const arguments& a) { return run_network(a, {.guided = true}, "flash_deblur"); }},
        {"filter", "any model on any input and guide", "svlrm filter INPUT GUIDE OUTPUT --model FILE [options]",
         "Runs the SVLRM network of --model on INPUT guided by GUIDE (same size)." + io,
         join(network_options(""), io_options()),
         [](const arguments& a) { return run_network(a, {.guided = true}, ""); }},
    };
}

// ---- baselines ---------------------------------------------------------------------------

struct baseline_params {
    int radius;
    double eps, mu, eta;
};

inline std::vector<option_spec> guided_options_spec() {
    return {{"radius", "R", "window radius in pixels, (2R+1)^2 windows (default 4)"},
            {"eps", "E", "regularisation on the unit scale, > 0 (default 0.01 = 0.1^2)"}};
}
inline std::vector<option_spec> hc_options_spec() {
    return {{"mu", "M", "weight of mu * alpha^2 in Eq. 6, > 0 (default 0.1)"},
            {"eta", "E", "weight of eta * beta^2 in Eq. 6, > 0 (default 0.1)"}};
}
inline baseline_params read_baseline_params(const arguments& a) {
    return {int(a.integer("radius", 4, 0, 1 << 16)), a.number("eps", 0.01, 0.0, HUGE_VAL, true),
            a.number("mu", 0.1, 0.0, HUGE_VAL, true), a.number("eta", 0.1, 0.0, HUGE_VAL, true)};
}

// Runs a baseline `f(input, guide, out, alpha, beta, scale)` through the pipeline.
template <class F>
int run_baseline(const arguments& args, const task& t, F f) {
    apply_threads(args);
    progress_bar files(progress_wanted(args));
    pipeline p(args, t, files);
    return p.run([&](const svlrm::image<float>& in, const svlrm::image<float>& guide, int scale) {
        filter_result r;
        r.out = svlrm::image<float>(guide.width(), guide.height(), in.channels());
        f(in, guide, r, scale);
        return r;
    });
}

inline std::vector<command> baseline_commands() {
    const std::string io = " Input and guide have the same size; formats and batch mode as for `svlrm filter`.";
    return {
        {"guided", "guided filter (He et al. 2013)", "svlrm guided INPUT GUIDE OUTPUT [options]",
         "He, Sun, Tang's guided filter; a 3-channel guide uses the colour model." + io,
         join(guided_options_spec(), io_options()),
         [](const arguments& a) {
             const auto p = read_baseline_params(a);
             return run_baseline(a, {}, [&](const auto& in, const auto& g, filter_result& r, int) {
                 svlrm::guided_filter(g.view(), in.view(), r.out.view(), p.radius, p.eps);
             });
         }},
        {"fast-guided", "fast guided filter (He & Sun 2015)", "svlrm fast-guided INPUT GUIDE OUTPUT [options]",
         "The guided filter with a and b computed at 1/S resolution and radius R/S." + io,
         join(guided_options_spec(),
              std::vector<option_spec>{{"subsample", "S", "subsampling factor >= 1 (default 4)"}}, io_options()),
         [](const arguments& a) {
             const auto p = read_baseline_params(a);
             const int s = int(a.integer("subsample", 4, 1, 1 << 16));
             return run_baseline(a, {}, [&](const auto& in, const auto& g, filter_result& r, int) {
                 svlrm::fast_guided_filter(g.view(), in.view(), r.out.view(), p.radius, p.eps, s);
             });
         }},
        {"hc", "hand-crafted prior, Eq. 12 of the paper", "svlrm hc INPUT GUIDE OUTPUT [options]",
         "F = alpha * G + beta with alpha = eta G I / (eta G^2 + mu + mu eta) and beta = (I - alpha G) / (1 + eta), "
         "per pixel." + io,
         join(hc_options_spec(),
              std::vector<option_spec>{{"save-coefficients", "PREFIX",
                                        "also write PREFIX_alpha/_beta .pfm (values) and .png (turbo colours)"}},
              io_options()),
         [](const arguments& a) {
             const auto p = read_baseline_params(a);
             return run_baseline(a, {.coefficients = true}, [&](const auto& in, const auto& g, filter_result& r, int) {
                 r.alpha = r.beta = svlrm::image<float>(in.width(), in.height(), in.channels());
                 svlrm::hand_crafted_filter(g.view(), in.view(), r.out.view(), r.alpha.view(), r.beta.view(), p.mu,
                                            p.eta);
             });
         }},
        {"jbu", "joint bilateral upsampling (Kopf et al. 2007)", "svlrm jbu LOWRES GUIDE OUTPUT [options]",
         "Upsamples LOWRES to GUIDE's size with joint bilateral weights; equal sizes give the joint bilateral "
         "filter. Formats and batch mode as for `svlrm filter`.",
         join(std::vector<option_spec>{{"scale", "S", "upsampling factor 1..64 (default: from the sizes)"},
                                       {"radius", "R", "window radius in low-res pixels (default 2)"},
                                       {"sigma-spatial", "S", "spatial sigma in low-res pixels, > 0 (default 1)"},
                                       {"sigma-range", "S", "range sigma on the unit scale, > 0 (default 0.1)"}},
              io_options()),
         [](const arguments& a) {
             svlrm::jbu_options o;
             o.radius = int(a.integer("radius", 2, 0, 1 << 16));
             o.sigma_spatial = a.number("sigma-spatial", 1.0, 0.0, HUGE_VAL, true);
             o.sigma_range = a.number("sigma-range", 0.1, 0.0, HUGE_VAL, true);
             return run_baseline(a, {.upsamples = true}, [&](const auto& in, const auto& g, filter_result& r, int s) {
                 o.scale = s;
                 svlrm::joint_bilateral_upsample(g.view(), in.view(), r.out.view(), o);
             });
         }},
    };
}

}  // namespace svlrm_cli
