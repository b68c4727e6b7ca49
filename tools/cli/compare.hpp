// `svlrm compare`: the baselines and the SVLRM network on one input, a timing (and,
// with --truth, a metrics) table on stdout, and a side-by-side picture.
#pragma once

#include "arguments.hpp"
#include "colormap.hpp"
#include "commands.hpp"
#include "montage.hpp"
#include "network.hpp"
#include "outputs.hpp"
#include "pipeline.hpp"
#include "stopwatch.hpp"

#include <svlrm/svlrm.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace svlrm_cli {

// Errors are shown up to this value on the unit scale (25.5 on 0..255), the same for
// every method so that the maps can be compared.
inline constexpr float compare_error_range = 0.1f;

// Whether a model filters depth (its training task, metadata "task"): its inputs then
// follow the depth-file rule (svlrm_tools::depth_channel).
inline bool depth_model(const svlrm::model& m) {
    const std::string* t = m.meta("task");
    return t && (*t == "depth_upsampling" || *t == "depth_restoration");
}

// A depth truth is scored on its measured pixels only (0 = no depth), in its own unit:
// millimetres for 16-bit depth, levels for 8-bit, the file's floats otherwise.
struct scoring {
    bool depth = false;
    std::vector<char> valid;  // per pixel; all 1 for images
    double unit = 255.0;      // RMSE = unit x the unit-scale RMSE
    std::string unit_name = "255";
};

inline scoring scoring_for(bool depth, const svlrm::image<float>& truth, int bits) {
    scoring s{depth, std::vector<char>(std::size_t(truth.width() * truth.height()), 1)};
    if (!depth) return s;
    for (std::size_t i = 0; i < s.valid.size(); ++i) s.valid[i] = truth.data()[i] != 0.0f;
    s.unit = bits == 16 ? 65535.0 : bits == 8 ? 255.0 : 1.0;
    s.unit_name = bits == 16 ? "mm" : bits == 8 ? "255" : "file";
    return s;
}

// RMSE and PSNR (peak 1 on the unit scale) over the scored pixels.
inline std::pair<double, double> scored_errors(const svlrm::image<float>& r, const svlrm::image<float>& truth,
                                               const scoring& s) {
    double sum = 0;
    std::size_t n = 0;
    for (std::size_t i = 0; i < s.valid.size(); ++i)
        if (s.valid[i]) {
            const double d = double(r.data()[i]) - double(truth.data()[i]);
            sum += d * d, ++n;
        }
    const double mse = n ? sum / double(n) : 0.0;
    return {s.unit * std::sqrt(mse), mse > 0 ? 10.0 * std::log10(1.0 / mse) : HUGE_VAL};
}

// A depth panel: turbo over [lo, hi], pixels not scored black.
inline svlrm::image<float> depth_panel(const svlrm::image<float>& v, float lo, float hi, const std::vector<char>& valid) {
    svlrm::image<float> c = svlrm_tools::colorize(v, lo, hi);
    for (std::size_t i = 0; i < valid.size(); ++i)
        if (!valid[i]) c.data()[3 * i] = c.data()[3 * i + 1] = c.data()[3 * i + 2] = 0.0f;
    return c;
}

// Whether a same-size colour INPUT is a photo (a no-flash shot: its channels differ) rather
// than depth stored as grey RGB.
inline bool colour_photo(const svlrm::image<float>& v) {
    if (v.channels() != 3) return false;
    for (std::ptrdiff_t i = 0; i < v.width() * v.height(); ++i)
        if (v.data()[3 * i] != v.data()[3 * i + 1] || v.data()[3 * i] != v.data()[3 * i + 2]) return true;
    return false;
}

inline svlrm::image<float> abs_error(const svlrm::image<float>& a, const svlrm::image<float>& truth) {
    svlrm::image<float> e(a.width(), a.height(), a.channels());
    for (std::ptrdiff_t i = 0; i < a.width() * a.height() * a.channels(); ++i)
        e.data()[i] = std::abs(a.data()[i] - truth.data()[i]);
    return e;
}

struct compared {
    std::string method;
    svlrm::image<float> result;
    double ms;
};

template <class F>
compared timed(std::string name, svlrm::image<float> out, F&& f) {
    const double ms = svlrm_tools::time_ms([&] { f(out); });
    return {std::move(name), std::move(out), ms};
}

inline int run_compare(const arguments& args) {
    apply_threads(args);
    const auto& pos = args.positional();
    if (pos.size() != 3)
        throw usage_error("expected 3 arguments (INPUT GUIDE OUTPUT), got " + std::to_string(pos.size()) +
                          " (see --help)");
    const fs::path in_path = pos[0], guide_path = pos[1], out_path = pos[2];
    check_output_path(out_path);
    const auto p = read_baseline_params(args);
    const int down = int(args.integer("downsample", 1, 1, 64));
    const std::ptrdiff_t panel = args.integer("panel-width", 256, 16, 4096);
    const auto truth_path = args.text("truth");
    progress_bar tiles(progress_wanted(args));
    tiles.set_label("svlrm");

    svlrm::image<float> input = svlrm_tools::read_image(in_path).pixels;
    const svlrm::image<float> guide = svlrm_tools::read_image(guide_path).pixels;
    std::optional<svlrm::image<float>> truth;
    int truth_bits = 8;
    if (truth_path) {
        auto t = svlrm_tools::read_image(*truth_path);
        truth = std::move(t.pixels), truth_bits = t.bits;
    }
    // The model follows from the sizes (upsampling or not), the file names and the input's
    // colour (a no-flash photo); a depth model's input and truth are depth files.
    const int scale0 = down > 1 ? down : check_sizes({.upsamples = true}, args, input, in_path, guide, guide_path);
    const std::string bundled = scale0 != 1               ? "depth_sr"
                                : in_path == guide_path   ? "image_denoise"
                                : colour_photo(input)     ? "flash_deblur"
                                                          : "depth_restore";
    const svlrm::model m = load_model(args, bundled);
    if (depth_model(m)) {
        input = svlrm_tools::depth_channel(input);
        if (truth) *truth = svlrm_tools::depth_channel(*truth);
    }
    svlrm::fill_missing(input.view(), missing_policy(args, depth_model(m)));
    if (down > 1) {
        svlrm::image<float> low(input.width() / down, input.height() / down, input.channels());
        svlrm::decimate(input.view(), low.view(), down);
        input = std::move(low);
    }
    const int scale = check_sizes({.upsamples = true}, args, input, in_path, guide, guide_path);
    if (truth && (truth->width() != guide.width() || truth->height() != guide.height() ||
                  truth->channels() != input.channels()))
        throw std::runtime_error("truth " + *truth_path + " is " + size_text(*truth) + " with " +
                                 std::to_string(truth->channels()) + " channels but the result is " +
                                 size_text(guide) + " with " + std::to_string(input.channels()));
    const network net(m, args, tiles);

    const std::ptrdiff_t w = guide.width(), h = guide.height(), c = input.channels();
    auto blank = [&] { return svlrm::image<float>(w, h, c); };
    std::vector<compared> runs;
    if (scale != 1)
        runs.push_back(timed("bicubic", blank(), [&](auto& o) { svlrm::resize_bicubic(input.view(), o.view()); }));
    else
        runs.push_back({"input", input, 0.0});
    const svlrm::image<float> base = runs.front().result;
    runs.push_back(timed("guided filter (r=" + std::to_string(p.radius) + ")", blank(),
                         [&](auto& o) { svlrm::guided_filter(guide.view(), base.view(), o.view(), p.radius, p.eps); }));
    runs.push_back(timed("hand-crafted (Eq. 12)", blank(), [&](auto& o) {
        svlrm::hand_crafted_filter(guide.view(), base.view(), o.view(), p.mu, p.eta);
    }));
    if (scale != 1)
        runs.push_back(timed("joint bilateral upsampling", blank(), [&](auto& o) {
            svlrm::jbu_options jo;
            jo.scale = scale;
            svlrm::joint_bilateral_upsample(guide.view(), input.view(), o.view(), jo);
        }));
    svlrm::image<float> alpha = blank(), beta = blank(), network_input = base;
    if (scale != 1 && m.input_upsampling != svlrm::input_upsampling::bicubic) {  // timed with the network
        network_input = blank();
        runs.push_back(timed("SVLRM (" + net.backend_name() + ")", blank(), [&](auto& o) {
            svlrm::upsample_input(m, guide.view(), input.view(), network_input.view());
            net.apply(guide, network_input, o, alpha, beta);
        }));
    } else {
        runs.push_back(timed("SVLRM (" + net.backend_name() + ")", blank(),
                             [&](auto& o) { net.apply(guide, base, o, alpha, beta); }));
    }
    tiles.finish();

    const bool depth = depth_model(m);
    const scoring score = scoring_for(depth, truth ? *truth : runs.front().result, truth_bits);
    const bool holes = std::find(score.valid.begin(), score.valid.end(), 0) != score.valid.end();
    if (!args.has("quiet")) std::printf("model: %s\n", args.text("model").value_or(bundled).c_str());
    std::printf("%-32s %10s", "method", "time(ms)");
    const std::string rmse_head = "RMSE(" + score.unit_name + ")";
    if (truth) std::printf(" %10s %10s %8s", rmse_head.c_str(), "PSNR(dB)", "SSIM");
    std::printf("\n");
    for (const auto& r : runs) {
        std::printf("%-32s %10.1f", r.method.c_str(), r.ms);
        if (truth) {
            const auto [rmse, psnr] = scored_errors(r.result, *truth, score);
            std::printf(" %10.2f %10.2f", rmse, psnr);
            if (w < 11 || h < 11 || holes)  // SSIM's 11x11 window does not fit, or would read the holes
                std::printf(" %8s", "-");
            else
                std::printf(" %8.4f", svlrm::ssim(r.result.view(), truth->view()));
        }
        std::printf("\n");
    }
    if (truth && depth)
        std::printf("depth scored on the %zu of %zu pixels where the truth has depth (not 0); RMSE in %s\n",
                    std::size_t(std::count(score.valid.begin(), score.valid.end(), 1)), score.valid.size(),
                    score.unit_name == "file" ? "the file's unit" : score.unit_name == "mm" ? "millimetres (16-bit)"
                                                                                                : "levels of 255");

    // Row 1: guide, the methods' results, the truth. Row 2: alpha, beta, the error maps.
    // Depth is drawn in turbo colours over the truth's (else the input's) valid range,
    // holes black, so that millimetres do not come out nearly black.
    using svlrm_tools::colorize, svlrm_tools::colorize_robust, svlrm_tools::montage, svlrm_tools::shrink_rgb;
    const svlrm::value_extent range = svlrm::valid_extent(truth ? truth->view() : input.view(), 0);
    const auto shown = [&](const svlrm::image<float>& v) {
        return depth && v.channels() == 1 && !range.empty() ? depth_panel(v, range.min, range.max, score.valid) : v;
    };
    std::vector<svlrm::image<float>> top{shrink_rgb(guide, panel)}, bottom;
    for (const auto& r : runs) top.push_back(shrink_rgb(shown(r.result), panel));
    if (truth) top.push_back(shrink_rgb(shown(*truth), panel));
    bottom.push_back(shrink_rgb(colorize_robust(alpha), panel));
    bottom.push_back(shrink_rgb(colorize_robust(beta), panel));
    if (truth)
        for (const auto& r : runs)
            bottom.push_back(shrink_rgb(colorize(abs_error(r.result, *truth), 0.0f, compare_error_range), panel));
    output_set outs;
    outs.add(out_path, montage({top, bottom}), 8);
    outs.commit();
    if (!args.has("quiet")) std::printf("svlrm: wrote %s\n", out_path.string().c_str());
    return 0;
}

inline command compare_command() {
    return {"compare", "baselines and SVLRM side by side, with metrics against a ground truth",
            "svlrm compare INPUT GUIDE OUTPUT [--truth FILE] [options]",
            "Runs bicubic (when INPUT is smaller than GUIDE), the guided filter, the hand-crafted prior of Eq. 12, "
            "joint bilateral upsampling (when upsampling) and the SVLRM network on INPUT, prints each method's time "
            "and, with --truth, RMSE (for depth on the pixels where the truth has depth, in millimetres for 16-bit "
            "depth, else on 0..255), PSNR and SSIM, and writes a picture (depth in turbo colours over its valid range, "
            "holes black): top row guide, the methods' "
            "results (in the table's order), truth; bottom row SVLRM's alpha and beta (turbo colours, 1st-99th "
            "percentile) and each method's absolute error (turbo, 0 to 0.1 of the range). The default model is "
            "depth_sr when upsampling, image_denoise when INPUT and GUIDE are the same file, flash_deblur when INPUT is a "
            "colour photo (a no-flash shot), else depth_restore.",
            join(std::vector<option_spec>{
                     {"truth", "FILE", "ground truth at GUIDE's size: print metrics, add error maps"},
                     {"downsample", "S", "point-decimate INPUT by S first (the x S upsampling protocol)"},
                     {"panel-width", "N", "largest panel width in the picture, 16..4096 (default 256)"}},
                 guided_options_spec(), hc_options_spec(),
                 std::vector<option_spec>{
                     {"model", "FILE", "model file (default: the bundled one for the case, see above)"},
                     {"backend", "NAME", "reference, onednn or cudnn (default: the fastest in this build)"},
                     {"precision", "MODE", "auto (default: the fastest mode within 1e-5 of exact); onednn: exact, fast, bf16; cudnn: fp32, tf32, fp16, bf16"},
                     {"tile", "N", "run the network on N x N tiles (0 = automatic)"},
                     {"self-ensemble", "", "average the network over the 8 rotations / reflections (8x slower)"}},
                 pick(io_options(), {"missing", "missing-zero", "threads", "progress", "quiet"})),
            run_compare};
}

}  // namespace svlrm_cli
