// The README's demo: x8 depth upsampling and depth restoration on a rendered indoor
// RGB-D frame (examples/data: a held-out validation frame of tools/train/render, never
// trained on; 16-bit depth in millimetres, as a depth sensor writes it), comparing
// bicubic, the guided filter, joint bilateral upsampling, the hand-crafted prior of
// Eq. 12 and the bundled SVLRM models. Writes PNGs and prints RMSE in millimetres.
//   demo [output folder (default demo_out)]
#include <svlrm/backends.hpp>
#include <svlrm/svlrm.hpp>
#include "bundled_models.hpp"
#include "image_io.hpp"
#include "montage.hpp"
#include "noise.hpp"
#include "stopwatch.hpp"
#include "visualize.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using svlrm::image;
using svlrm_tools::error_map;
using svlrm_tools::normalized;
using svlrm_tools::time_ms;

namespace {

struct row {
    std::string method;
    double rmse_mm, ms;
};

void print_table(const char* title, const std::vector<row>& rows) {
    std::printf("\n%s\n", title);
    std::printf("  %-34s %10s %10s\n", "method", "RMSE(mm)", "time(ms)");
    for (const auto& r : rows) std::printf("  %-34s %10.1f %10.1f\n", r.method.c_str(), r.rmse_mm, r.ms);
}

// RMSE in millimetres over the pixels where the truth has a surface (0 = none: the
// window); 16-bit depth on the library's unit scale is millimetres / 65535.
row measure(const std::string& name, const image<float>& result, const image<float>& truth, double ms) {
    double sum = 0.0;
    long n = 0;
    for (long i = 0; i < truth.width() * truth.height(); ++i)
        if (truth.data()[i] > 0.0f) {
            const double d = 65535.0 * (double(result.data()[i]) - double(truth.data()[i]));
            sum += d * d, ++n;
        }
    return {name, std::sqrt(sum / double(std::max(n, 1L))), ms};
}

// Depth panels for the montage, all stretched by the truth's range so that they compare.
image<float> shown(const image<float>& depth, const image<float>& truth) {
    float lo = 1.0f, hi = 0.0f;
    for (long i = 0; i < truth.width() * truth.height(); ++i)
        if (truth.data()[i] > 0.0f) lo = std::min(lo, truth.data()[i]), hi = std::max(hi, truth.data()[i]);
    image<float> out(depth.width(), depth.height());
    for (long i = 0; i < depth.width() * depth.height(); ++i)
        out.data()[i] = std::clamp((depth.data()[i] - lo) / (hi - lo), 0.0f, 1.0f);
    return out;
}

// Panels side by side, each halved by 2x2 averaging.
image<float> montage(const std::vector<const image<float>*>& panels) {
    std::vector<image<float>> row;
    for (const image<float>* p : panels) row.push_back(svlrm_tools::shrink_rgb(*p, p->width() / 2));
    return svlrm_tools::montage({row});
}

std::optional<svlrm::model> bundled(const std::string& name) {
    const auto path = svlrm_tools::find_bundled_model(name);
    if (!path) {
        std::printf("  (%s: SVLRM rows skipped)\n", svlrm_tools::missing_bundled_model(name).c_str());
        return std::nullopt;
    }
    return svlrm::model::load(*path);
}

}  // namespace

int main(int argc, char** argv) try {
    const fs::path out_dir = argc > 1 ? argv[1] : "demo_out";
    const fs::path data = SVLRM_EXAMPLE_DATA;
    fs::create_directories(out_dir);
    const image<float> guide = svlrm_tools::read_image(data / "room_rgb.png").pixels;
    const image<float> depth = svlrm_tools::read_image(data / "room_depth.png").pixels;  // 16-bit millimetres
    const long w = depth.width(), h = depth.height(), scale = 8;
    // Where the truth has no surface (0) the input takes the nearest depth, as `svlrm upsample`
    // does; those pixels are not scored.
    image<float> filled = depth;
    svlrm::fill_missing(filled.view(), svlrm::missing_values::zero);
    svlrm_tools::write_png(out_dir / "guide.png", guide.view());
    svlrm_tools::write_png(out_dir / "depth_truth.png", shown(depth, depth).view());
    std::printf("svlrm demo: rendered %ldx%ld indoor RGB-D frame (%s)\n", w, h, (data / "room_rgb.png").string().c_str());

    // ---- x8 depth upsampling (point decimation + bicubic, the DJF protocol) ----
    image<float> low(w / scale, h / scale), bicubic(w, h), gf(w, h), jbu(w, h), svlrm_out(w, h), alpha(w, h), beta(w, h);
    svlrm::decimate(filled.view(), low.view(), int(scale));
    std::vector<row> rows;
    rows.push_back(measure("bicubic (Keys a=-0.5)", bicubic, depth,
                           time_ms([&] { svlrm::resize_bicubic(low.view(), bicubic.view()); })));
    rows.push_back(measure("guided filter (r=8, eps=1e-4)", gf, depth,
                           time_ms([&] { svlrm::guided_filter(guide.view(), bicubic.view(), gf.view(), 8, 1e-4); })));
    svlrm::jbu_options jopt;
    jopt.radius = 2;
    rows.push_back(measure("joint bilateral upsampling", jbu, depth,
                           time_ms([&] { svlrm::joint_bilateral_upsample(guide.view(), low.view(), jbu.view(), jopt); })));
    const image<float> bicubic_view = shown(bicubic, depth), jbu_view = shown(jbu, depth);
    svlrm_tools::write_png(out_dir / "x8_bicubic.png", bicubic_view.view());
    svlrm_tools::write_png(out_dir / "x8_guided_filter.png", shown(gf, depth).view());
    svlrm_tools::write_png(out_dir / "x8_jbu.png", jbu_view.view());
    if (auto m = bundled("depth_sr")) {
        const auto filter = svlrm::make_joint_filter("auto", *m);  // the fastest backend and mode within 1e-5 of exact
        std::printf("network on %s\n", filter.description().c_str());
        image<float> upsampled(w, h);  // the model's own start: bicubic or JBU (its input_upsampling)
        rows.push_back(measure("SVLRM depth_sr", svlrm_out, depth, time_ms([&] {
                                   svlrm::upsample_input(*m, guide.view(), low.view(), upsampled.view());
                                   filter.apply(guide.view(), upsampled.view(), svlrm_out.view(), alpha.view(), beta.view());
                               })));
        const image<float> svlrm_view = shown(svlrm_out, depth), truth_view = shown(depth, depth);
        svlrm_tools::write_png(out_dir / "x8_svlrm.png", svlrm_view.view());
        svlrm_tools::write_png(out_dir / "x8_svlrm_alpha.png", normalized(alpha).view());
        svlrm_tools::write_png(out_dir / "x8_svlrm_beta.png", normalized(beta).view());
        svlrm_tools::write_png(out_dir / "x8_svlrm_error.png", error_map(svlrm_out, depth, 400.0f).view());
        svlrm_tools::write_png(out_dir / "x8_montage.png",
                            montage({&guide, &truth_view, &bicubic_view, &jbu_view, &svlrm_view}).view());
    }
    // error maps: white where the error is 65535 / 400 = 164 mm or more
    svlrm_tools::write_png(out_dir / "x8_bicubic_error.png", error_map(bicubic, depth, 400.0f).view());
    svlrm_tools::write_png(out_dir / "x8_jbu_error.png", error_map(jbu, depth, 400.0f).view());
    print_table("x8 depth upsampling (640x480, ground truth = rendered depth)", rows);

    // ---- depth restoration: the Table 2 protocol, sigma = 8% of the depth's range, clipped ----
    float lo = 1.0f, hi = 0.0f;
    for (long i = 0; i < w * h; ++i) lo = std::min(lo, filled.data()[i]), hi = std::max(hi, filled.data()[i]);
    const image<float> noisy = svlrm_tools::table2_noise(filled, hi - lo, 8);
    image<float> hc(w, h), gf2(w, h), restored(w, h);
    std::vector<row> rows2;
    rows2.push_back(measure("noisy input", noisy, depth, 0.0));
    rows2.push_back(measure("guided filter (r=8, eps=1e-2)", gf2, depth,
                            time_ms([&] { svlrm::guided_filter(guide.view(), noisy.view(), gf2.view(), 8, 1e-2); })));
    rows2.push_back(measure("hand-crafted prior (Eq. 12)", hc, depth,
                            time_ms([&] { svlrm::hand_crafted_filter(guide.view(), noisy.view(), hc.view(), 0.1, 0.1); })));
    svlrm_tools::write_png(out_dir / "restore_noisy.png", shown(noisy, depth).view());
    svlrm_tools::write_png(out_dir / "restore_guided_filter.png", shown(gf2, depth).view());
    svlrm_tools::write_png(out_dir / "restore_hand_crafted.png", shown(hc, depth).view());
    if (auto m = bundled("depth_restore")) {
        const auto filter = svlrm::make_joint_filter("auto", *m);
        rows2.push_back(measure("SVLRM depth_restore", restored, depth,
                                time_ms([&] { filter.apply(guide.view(), noisy.view(), restored.view()); })));
        svlrm_tools::write_png(out_dir / "restore_svlrm.png", shown(restored, depth).view());
    }
    print_table("depth restoration, sigma = 8% of the depth range (640x480)", rows2);
    std::printf("\nimages written to %s/\n", out_dir.string().c_str());
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "demo: %s\n", e.what());
    return 1;
}
