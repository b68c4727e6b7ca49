// The bundled depth-upsampling models (models/depth_sr.safetensors, and
// models/depth_sr_sensor.safetensors where present) on a flat slanted plane under a
// guide of strong texture that has nothing to do with the depth: the result must stay
// the plane. A model that copies the guide's texture into the depth (the failure the
// SVLRM form F = alpha * G + beta invites) fails these checks.
//
// Setup: a 192x192 plane z = 800 + 1700 (0.6 x / 191 + 0.4 y / 191) mm, given to the
// library as 16-bit millimetres (image<std::uint16_t> views throughout) and as the same
// plane stretched over [0, 1] (float). Point decimation d[s-1::s, s-1::s] for s = 4, 8,
// 16, svlrm::resize_bicubic back to 192x192, then joint_filter::apply with the guide.
// Guides (RGB): a checkerboard of 8-pixel squares (0.05 / 0.95), diagonal stripes of
// period 6 pixels, a text-like page (random 5x7 glyphs of 2-pixel strokes), and a
// 192x192 crop of Kodak24 kodim01 (bricks, a door; training-allowed) when the shared
// datasets are present.
//
// Measures, in mm, on the pixels at least 16 from the border (the bicubic step clamps at
// the image edge over s/2 pixels, the same for every method):
//   rmse:      RMSE of the result against the true plane. Bicubic itself is not exact:
//              point decimation puts sample i at s i + s-1 while the bicubic grid puts it
//              at s i + (s-1)/2, a shift of (s-1)/2 px, 13 / 31 / 67 mm at x4 / x8 / x16;
//   planarity: RMS residual of the result after a least-squares plane fit (0 for any
//              plane, whatever its offset and tilt: the shift above drops out);
//   hf:        RMS of the result minus its own 9x9 box mean (0 for any plane);
//   texture:   RMS of the guide's luma minus its 9x9 box mean, times the depth range
//              (1700 mm): what a result that followed the guide one for one would have
//              (checkerboard 627, stripes 730, text 586, kodim01 170 mm).
// Two cases:
//   natural texture (kodim01): rmse <= bicubic's + 0.5% of the range (8.5 mm), and
//     planarity and hf no worse than JBU's on the same RGB guide (the classical
//     baseline users compare with);
//   binary synthetic patterns (checkerboard, stripes, text) of full contrast: rmse as
//     above, planarity <= 0.5% of the range, hf <= 1.5% of texture. A known limitation:
//     tagged !mayfail, so it runs and reports without failing the suite. Measured
//     (models/README.md): the shipped depth_sr imprints 1.6-2.4% of the texture and
//     depth_sr_sensor up to 8% (checkerboard), where JBU stays under 1%; the previous
//     depth_sr (commit 198ec8f) imprinted 2.2-7.6%, with planarity 10-97 mm.
// A synthetic result that copies 5% of the guide's contrast into the depth fails the
// absolute bounds (checked below, so they are known to catch texture copying).
// SVLRM_PRINT_MEASURES=1 prints the measures as a markdown table on stderr;
// SVLRM_TEST_DEPTH_MODELS=a.safetensors,b.safetensors adds model files.
#include "support.hpp"

#include <svlrm/backend/reference.hpp>
#include <svlrm/depth_upsampling.hpp>
#include <svlrm/joint_filter.hpp>
#include <svlrm/model.hpp>
#include <svlrm/resample.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using svlrm::image;

namespace {

namespace fs = std::filesystem;
using filter_t = svlrm::joint_filter<svlrm::backend::reference>;

constexpr long side = 192, margin = 16;
constexpr double z_near = 800.0, z_range = 1700.0;  // mm
constexpr double rmse_margin = 0.005;              // of the range, over bicubic
constexpr double planarity_fraction = 0.005;       // of the range
constexpr double hf_fraction = 0.015;              // of the guide's texture scaled to depth
constexpr double copy_fraction = 0.05;             // the synthetic texture copy the bounds must reject

double plane_mm(long x, long y) {
    return z_near + z_range * (0.6 * double(x) / double(side - 1) + 0.4 * double(y) / double(side - 1));
}

image<float> gray_rgb(const std::vector<float>& v) {
    image<float> g(side, side, 3);
    for (long i = 0; i < side * side; ++i)
        for (int c = 0; c < 3; ++c) g.data()[3 * i + c] = v[std::size_t(i)];
    return g;
}

image<float> checkerboard() {
    std::vector<float> v(side * side);
    for (long y = 0; y < side; ++y)
        for (long x = 0; x < side; ++x) v[std::size_t(y * side + x)] = ((x / 8 + y / 8) % 2) ? 0.95f : 0.05f;
    return gray_rgb(v);
}

image<float> stripes() {
    std::vector<float> v(side * side);
    for (long y = 0; y < side; ++y)
        for (long x = 0; x < side; ++x) v[std::size_t(y * side + x)] = ((x + y) % 6 < 3) ? 0.95f : 0.05f;
    return gray_rgb(v);
}

// Lines of random 5x7 glyphs drawn with 2-pixel strokes, dark on light, in colour.
image<float> text_page() {
    image<float> g(side, side, 3);
    for (long i = 0; i < side * side; ++i) g.data()[3 * i] = 0.93f, g.data()[3 * i + 1] = 0.90f, g.data()[3 * i + 2] = 0.82f;
    std::mt19937 rng(7);
    std::bernoulli_distribution ink(0.45);
    for (long top = 4; top + 14 <= side; top += 18)
        for (long left = 4; left + 10 <= side; left += 12) {
            if (std::uniform_int_distribution<int>(0, 9)(rng) == 0) continue;  // a space
            for (long gy = 0; gy < 7; ++gy)
                for (long gx = 0; gx < 5; ++gx)
                    if (ink(rng))
                        for (long dy = 0; dy < 2; ++dy)
                            for (long dx = 0; dx < 2; ++dx) {
                                float* p = &g(left + 2 * gx + dx, top + 2 * gy + dy, 0);
                                p[0] = 0.08f, p[1] = 0.06f, p[2] = 0.12f;
                            }
        }
    return g;
}

image<float> crop(const image<float>& v, long x0, long y0) {
    image<float> out(side, side, v.channels());
    for (long y = 0; y < side; ++y)
        for (long x = 0; x < side; ++x)
            for (long c = 0; c < v.channels(); ++c) out(x, y, c) = v(x0 + x, y0 + y, c);
    return out;
}

std::vector<double> luma(const image<float>& g) {
    std::vector<double> v(side * side);
    for (long i = 0; i < side * side; ++i)
        v[std::size_t(i)] = g.channels() == 1 ? g.data()[i]
                                              : 0.299 * g.data()[3 * i] + 0.587 * g.data()[3 * i + 1] +
                                                    0.114 * g.data()[3 * i + 2];
    return v;
}

// RMS of v minus its 9x9 box mean, over the interior.
double high_frequency(const std::vector<double>& v) {
    double sum = 0;
    long n = 0;
    for (long y = margin; y < side - margin; ++y)
        for (long x = margin; x < side - margin; ++x) {
            double m = 0;
            for (long dy = -4; dy <= 4; ++dy)
                for (long dx = -4; dx <= 4; ++dx) m += v[std::size_t((y + dy) * side + x + dx)];
            const double d = v[std::size_t(y * side + x)] - m / 81.0;
            sum += d * d, ++n;
        }
    return std::sqrt(sum / double(n));
}

// RMS residual of v after the least-squares plane fit over the interior: 0 for any
// plane, whatever its offset or tilt. The interior is a square centred on the image, so
// 1, x - xc and y - yc are orthogonal and the fit is three projections.
double planarity(const std::vector<double>& v) {
    const double c = 0.5 * double(side - 1);
    double s1 = 0, sx = 0, sy = 0, sxx = 0, syy = 0;
    long n = 0;
    for (long y = margin; y < side - margin; ++y)
        for (long x = margin; x < side - margin; ++x) {
            const double z = v[std::size_t(y * side + x)], dx = double(x) - c, dy = double(y) - c;
            s1 += z, sx += dx * z, sy += dy * z, sxx += dx * dx, syy += dy * dy, ++n;
        }
    const double a = s1 / double(n), b = sx / sxx, g = sy / syy;
    double sum = 0;
    for (long y = margin; y < side - margin; ++y)
        for (long x = margin; x < side - margin; ++x) {
            const double d = v[std::size_t(y * side + x)] - (a + b * (double(x) - c) + g * (double(y) - c));
            sum += d * d;
        }
    return std::sqrt(sum / double(n));
}

// RMSE against the plane (mm), over the interior.
double plane_rmse(const std::vector<double>& mm) {
    double sum = 0;
    long n = 0;
    for (long y = margin; y < side - margin; ++y)
        for (long x = margin; x < side - margin; ++x) {
            const double d = mm[std::size_t(y * side + x)] - plane_mm(x, y);
            sum += d * d, ++n;
        }
    return std::sqrt(sum / double(n));
}

struct upsampled {
    std::vector<double> bicubic_mm, jbu_mm, result_mm;
};

// The plane as 16-bit millimetres (u16 views throughout) or stretched over [0, 1] (float).
upsampled run(const svlrm::model& m, const filter_t& net, const image<float>& guide, int scale, bool u16) {
    const long lw = side / scale;
    upsampled r{std::vector<double>(side * side), std::vector<double>(side * side), std::vector<double>(side * side)};
    if (u16) {
        image<std::uint16_t> depth(side, side), low(lw, lw), up(side, side), in(side, side), out(side, side);
        for (long y = 0; y < side; ++y)
            for (long x = 0; x < side; ++x) depth(x, y) = std::uint16_t(std::lround(plane_mm(x, y)));
        svlrm::decimate(depth.view(), low.view(), scale);
        svlrm::resize_bicubic(low.view(), up.view());
        svlrm::upsample_input(m, guide.view(), low.view(), in.view());  // the model's own start
        net.apply(guide.view(), in.view(), out.view());
        image<float> jbu(side, side);  // the classical baseline, on the RGB guide
        svlrm::joint_bilateral_upsample(guide.view(), low.view(), jbu.view());
        for (long i = 0; i < side * side; ++i) {
            r.bicubic_mm[std::size_t(i)] = up.data()[i], r.result_mm[std::size_t(i)] = out.data()[i];
            r.jbu_mm[std::size_t(i)] = 65535.0 * jbu.data()[i];
        }
    } else {
        image<float> depth(side, side), low(lw, lw), up(side, side), in(side, side), out(side, side);
        for (long y = 0; y < side; ++y)
            for (long x = 0; x < side; ++x) depth(x, y) = float((plane_mm(x, y) - z_near) / z_range);
        svlrm::decimate(depth.view(), low.view(), scale);
        svlrm::resize_bicubic(low.view(), up.view());
        svlrm::upsample_input(m, guide.view(), low.view(), in.view());
        net.apply(guide.view(), in.view(), out.view());
        image<float> jbu(side, side);
        svlrm::joint_bilateral_upsample(guide.view(), low.view(), jbu.view());
        for (long i = 0; i < side * side; ++i) {
            r.jbu_mm[std::size_t(i)] = z_near + z_range * jbu.data()[i];
            r.bicubic_mm[std::size_t(i)] = z_near + z_range * up.data()[i];
            r.result_mm[std::size_t(i)] = z_near + z_range * out.data()[i];
        }
    }
    return r;
}

struct named_model {
    std::string name;
    fs::path path;
};

std::vector<named_model> depth_models() {
    std::vector<named_model> found;
    const fs::path dir = svlrm_test::source_dir() / "models";
    for (const char* name : {"depth_sr", "depth_sr_sensor"})
        if (fs::exists(dir / (std::string(name) + ".safetensors"))) found.push_back({name, dir / (std::string(name) + ".safetensors")});
    if (const char* extra = std::getenv("SVLRM_TEST_DEPTH_MODELS")) {
        std::stringstream in(extra);
        for (std::string p; std::getline(in, p, ',');)
            if (!p.empty()) found.push_back({fs::path(p).stem().string(), p});
    }
    return found;
}


// Runs every bundled model on every guide. absolute: the fixed bounds of the header;
// otherwise: no worse than the classical baseline, JBU on the same RGB guide (texture
// energy and planarity), and no worse than bicubic + 0.5% of the range in RMSE.
void check_flat(const std::vector<std::pair<std::string, image<float>>>& guides, bool absolute) {
    const auto models = depth_models();
    if (models.empty()) {
        WARN("no depth_sr model under " << (svlrm_test::source_dir() / "models") << ": skipped");
        return;
    }
    const bool print = std::getenv("SVLRM_PRINT_MEASURES") != nullptr;
    if (print)
        std::fprintf(stderr, "| model | guide | depth | scale | rmse mm (bicubic) | planarity mm (JBU) | hf mm (JBU) | "
                             "texture mm | hf / texture |\n|---|---|---|---|---|---|---|---|---|\n");

    for (const auto& [name, path] : models) {
        const svlrm::model m = svlrm::model::load(path);
        const filter_t net(m);
        for (const auto& [guide_name, guide] : guides) {
            const auto g = luma(guide);
            const double texture = z_range * high_frequency(g);
            // The bounds catch texture copying: the plane plus copy_fraction of the guide's
            // contrast fails them (its hf is copy_fraction * texture by construction).
            {
                std::vector<double> copied(side * side);
                for (long y = 0; y < side; ++y)
                    for (long x = 0; x < side; ++x)
                        copied[std::size_t(y * side + x)] = plane_mm(x, y) + copy_fraction * z_range * g[std::size_t(y * side + x)];
                CHECK(high_frequency(copied) > hf_fraction * texture);
                CHECK(planarity(copied) > planarity_fraction * z_range);
            }
            // u16 and float agree through valid_range (test_input_normalisation); the long
            // binary-pattern case runs u16 alone, to stay short under the sanitizers.
            for (const bool u16 : absolute ? std::vector<bool>{true} : std::vector<bool>{true, false})
                for (const int scale : {4, 8, 16}) {
                    const upsampled r = run(m, net, guide, scale, u16);
                    const double rmse = plane_rmse(r.result_mm), bicubic = plane_rmse(r.bicubic_mm);
                    const double flat = planarity(r.result_mm), hf = high_frequency(r.result_mm);
                    const double jbu_flat = planarity(r.jbu_mm), jbu_hf = high_frequency(r.jbu_mm);
                    if (print)
                        std::fprintf(stderr, "| %s | %s | %s | x%d | %.2f (%.2f) | %.2f (%.2f) | %.2f (%.2f) | %.1f | %.4f |\n",
                                     name.c_str(), guide_name.c_str(), u16 ? "u16 mm" : "float [0,1]", scale, rmse,
                                     bicubic, flat, jbu_flat, hf, jbu_hf, texture, hf / texture);
                    INFO(name << ", guide " << guide_name << ", " << (u16 ? "u16 mm" : "float [0, 1]") << ", x"
                              << scale << ": rmse " << rmse << " mm (bicubic " << bicubic << "), planarity " << flat
                              << " mm, hf " << hf << " mm, guide texture " << texture << " mm");
                    CHECK(rmse <= bicubic + rmse_margin * z_range);
                    if (absolute) {
                        CHECK(flat <= planarity_fraction * z_range);
                        CHECK(hf <= hf_fraction * texture);
                    } else {
                        CHECK(flat <= jbu_flat);
                        CHECK(hf <= jbu_hf);
                    }
                }
        }
    }
}

}  // namespace

TEST_CASE("depth models on natural guide texture over a flat plane: flatter than JBU", "[models][depth_sr][texture]") {
    const fs::path kodak = svlrm_test::data_dir() / "Kodak24" / "kodim01.png";
    if (!fs::exists(kodak)) {
        WARN("shared datasets not found at " << svlrm_test::data_dir() << ": skipped");
        return;
    }
    check_flat({{"kodim01", crop(svlrm_test::load_image(kodak), 150, 150)}}, false);
}

// The known limitation of the header: kept running with the absolute bounds so that
// the day a model passes is visible; !mayfail so that it does not fail the suite.
TEST_CASE("depth models on binary synthetic texture over a flat plane: absolute bounds (known to fail)",
          "[models][depth_sr][texture][!mayfail]") {
    check_flat({{"checkerboard", checkerboard()}, {"stripes", stripes()}, {"text", text_page()}}, true);
}
