// `svlrm smooth`: scale-aware filtering by rolling guidance (svlrm/rolling_guidance.hpp),
// with the SVLRM network as the inner joint filter (the paper, Sec. 5.4) or the
// classical joint bilateral filter (Zhang et al.'s rolling guidance filter).
#pragma once

#include "commands.hpp"

#include <svlrm/svlrm.hpp>

#include <cmath>
#include <string>

namespace svlrm_cli {

// The network as rolling_guidance's inner filter: apply(guide, input, out); the
// coefficient maps the network also writes are scratch.
struct network_inner {
    const network& net;

    void apply(svlrm::image_view<const float> guide, svlrm::image_view<const float> input,
               svlrm::image_view<float> out) const {
        svlrm::image<float> alpha(input.width, input.height, input.channels), beta = alpha;
        net.apply(guide, input, out, alpha, beta);
    }
};

// The network's options without --save-coefficients: the iteration's coefficients are not one result.
inline std::vector<option_spec> smooth_network_options() {
    auto o = network_options("depth_restore");
    std::erase_if(o, [](const option_spec& s) { return s.name == "save-coefficients"; });
    return o;
}

inline command smooth_command() {
    return {"smooth", "scale-aware smoothing (rolling guidance): texture out, edges kept",
            "svlrm smooth INPUT OUTPUT [--iterations N] [--model FILE | --classical] [options]",
            "Rolling guidance (Zhang et al. 2014, the paper's Sec. 5.4): step 1 blurs INPUT with a Gaussian "
            "(--sigma-spatial) so that small structures vanish; every later step filters INPUT guided by the "
            "previous result, which brings back the large edges without the small structures. The inner filter is "
            "the SVLRM network (default: the bundled depth_restore model, as in the paper; --model FILE for another) "
            "or, with --classical, the joint bilateral filter (--sigma-spatial, --sigma-range; window radius "
            "ceil(3 sigma)): the classical rolling guidance filter. INPUT is grey or RGB; an RGB guide enters the "
            "network as its luma. Formats and batch mode as for `svlrm denoise`.",
            join(std::vector<option_spec>{
                     {"iterations", "N", "rolling steps, 0..100 (default 4; 0 writes INPUT unchanged)"},
                     {"classical", "", "joint bilateral inner filter instead of the network"},
                     {"sigma-spatial", "S", "Gaussian of step 1 and the bilateral's, in pixels, (0, 100] (default 3)"},
                     {"sigma-range", "R", "--classical: range sigma on the unit scale, > 0 (default 0.1)"}},
                 smooth_network_options(), io_options()),
            [](const arguments& a) {
                const int iterations = int(a.integer("iterations", 4, 0, 100));
                const double sigma_s = a.number("sigma-spatial", 3.0, 0.0, 100.0, true);
                const double sigma_r = a.number("sigma-range", 0.1, 0.0, HUGE_VAL, true);
                if (a.has("classical") && a.has("model")) throw usage_error("--classical and --model exclude each other");
                if (a.has("classical"))
                    return run_baseline(a, {.guided = false}, [&](const auto& in, const auto&, filter_result& r, int) {
                        svlrm::rolling_guidance_filter(in.view(), r.out.view(), sigma_s, sigma_r, iterations);
                    });
                apply_threads(a);
                progress_bar files(progress_wanted(a)), tiles(progress_wanted(a) && !batch_mode(a));
                tiles.set_label("svlrm");
                pipeline p(a, {.guided = false}, files);
                const svlrm::model m = load_model(a, "depth_restore");
                const network net(m, a, tiles);
                return net.reporting(a, [&] { return p.run([&](const svlrm::image<float>& in, const svlrm::image<float>&, int) {
                    filter_result r;
                    r.out = svlrm::image<float>(in.width(), in.height(), in.channels());
                    svlrm::rolling_guidance(in.view(), r.out.view(), iterations, network_inner{net},
                                            {svlrm::rolling_start::gaussian, sigma_s});
                    tiles.finish();
                    return r;
                }); });
            }};
}

}  // namespace svlrm_cli
