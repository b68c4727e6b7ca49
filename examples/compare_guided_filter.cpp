// The SVLRM network against the guided filter on one image pair: filters a target
// with a guide both ways and prints RMSE (0..255), PSNR and SSIM against a ground truth.
//   compare_guided_filter INPUT GUIDE TRUTH MODEL [RADIUS EPS]
// INPUT, GUIDE and TRUTH have the same size (for upsampling, bicubic-upsample INPUT
// first, or use `svlrm compare`, which does it). RADIUS, EPS: the guided filter's
// window radius and regularisation on the unit scale (default 4 and 0.01).
#include <svlrm/backends.hpp>
#include <svlrm/svlrm.hpp>

#include "image_io.hpp"
#include "stopwatch.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

using svlrm_tools::time_ms;

void report(const char* name, const svlrm::image<float>& result, const svlrm::image<float>& truth, double ms) {
    std::printf("%-16s %10.2f %10.2f %8.4f %10.1f\n", name, 255.0 * svlrm::rmse(result.view(), truth.view()),
                svlrm::psnr(result.view(), truth.view()), svlrm::ssim(result.view(), truth.view()), ms);
}

}  // namespace

int main(int argc, char** argv) try {
    if (argc != 5 && argc != 7) {
        std::fprintf(stderr, "usage: compare_guided_filter INPUT GUIDE TRUTH MODEL [RADIUS EPS]\n");
        return 2;
    }
    const svlrm::image<float> input = svlrm_tools::read_image(argv[1]).pixels;
    const svlrm::image<float> guide = svlrm_tools::read_image(argv[2]).pixels;
    const svlrm::image<float> truth = svlrm_tools::read_image(argv[3]).pixels;
    const int radius = argc == 7 ? std::atoi(argv[5]) : 4;
    const double eps = argc == 7 ? std::atof(argv[6]) : 0.01;

    svlrm::image<float> gf(input.width(), input.height(), input.channels());
    svlrm::image<float> net(input.width(), input.height(), input.channels());
    const double gf_ms = time_ms([&] { svlrm::guided_filter(guide.view(), input.view(), gf.view(), radius, eps); });
    // The network on the fastest backend and mode within 1e-5 of exact (the time a user gets).
    const svlrm::any_joint_filter filter = svlrm::make_joint_filter("auto", svlrm::model::load(argv[4]));
    const double net_ms = time_ms([&] { filter.apply(guide.view(), input.view(), net.view()); });
    std::printf("network on %s\n", filter.description().c_str());

    std::printf("%-16s %10s %10s %8s %10s\n", "method", "RMSE(255)", "PSNR(dB)", "SSIM", "time(ms)");
    report("input", input, truth, 0.0);
    report("guided filter", gf, truth, gf_ms);
    report("SVLRM", net, truth, net_ms);
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "compare_guided_filter: %s\n", e.what());
    return 1;
}
