// Joint bilateral upsampling and filtering: a float64 brute force of Kopf et al.'s
// sum, the constant-guide limit, edge preservation, a real image, validation.
#include "support.hpp"

#include <svlrm/jbu.hpp>
#include <svlrm/metrics.hpp>
#include <svlrm/resample.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

using namespace svlrm;
using svlrm_test::random_image;

namespace {

// Kopf et al. Eq. 2 term by term in double, with the documented grid convention:
// q_up = s (q+1) - 1 read at the nearest pixel, p_down = (p+1) / s - 1 (for integer s:
// s q + s-1 and (p - (s-1)) / s), window centred on round(p_down); each axis its own s.
// use_range = false drops g(): the constant-guide limit, a Gaussian-weighted interpolation.
std::vector<double> brute_force(const image<float>& guide, const image<float>& input, double sx, double sy, int r,
                                double ss, double sr, bool use_range = true) {
    std::vector<double> out;
    const std::ptrdiff_t w = input.width(), h = input.height();
    const auto up = [](std::ptrdiff_t q, double s, std::ptrdiff_t n) {
        return std::clamp<std::ptrdiff_t>(std::ptrdiff_t(std::floor(s * double(q + 1) - 0.5)), 0, n - 1);
    };
    for (std::ptrdiff_t py = 0; py < guide.height(); ++py)
        for (std::ptrdiff_t px = 0; px < guide.width(); ++px) {
            const double dx = double(px + 1) / sx - 1.0, dy = double(py + 1) / sy - 1.0;
            const auto cx = std::ptrdiff_t(std::floor(dx + 0.5)), cy = std::ptrdiff_t(std::floor(dy + 0.5));
            std::vector<double> num(static_cast<std::size_t>(input.channels()), 0.0);
            double den = 0;
            for (auto qy = std::max<std::ptrdiff_t>(cy - r, 0); qy <= std::min(cy + r, h - 1); ++qy)
                for (auto qx = std::max<std::ptrdiff_t>(cx - r, 0); qx <= std::min(cx + r, w - 1); ++qx) {
                    double d2 = 0;
                    for (std::ptrdiff_t c = 0; c < guide.channels(); ++c) {
                        const double d = double(guide(px, py, c)) -
                                         guide(up(qx, sx, guide.width()), up(qy, sy, guide.height()), c);
                        d2 += d * d;
                    }
                    const double f = std::exp(-((dx - qx) * (dx - qx) + (dy - qy) * (dy - qy)) / (2 * ss * ss));
                    const double g = use_range ? std::exp(-d2 / (2 * sr * sr)) : 1.0;
                    for (std::ptrdiff_t c = 0; c < input.channels(); ++c) num[static_cast<std::size_t>(c)] += f * g * input(qx, qy, c);
                    den += f * g;
                }
            for (double n : num) out.push_back(n / den);
        }
    return out;
}

double max_diff(const image<float>& a, const std::vector<double>& b) {
    double m = 0;
    for (std::size_t i = 0; i < b.size(); ++i) m = std::max(m, std::abs(double(a.data()[i]) - b[i]));
    return m;
}

}  // namespace

TEST_CASE("joint_bilateral_upsample matches a float64 brute force", "[jbu]") {
    struct setup {
        std::ptrdiff_t W, H, guide_channels, input_channels;
        int s, r;
        double ss, sr;
    };
    const auto t = GENERATE(setup{40, 32, 1, 1, 2, 2, 1.0, 0.1}, setup{50, 37, 3, 2, 3, 1, 0.7, 0.2},
                            setup{33, 45, 3, 1, 4, 3, 1.5, 0.05}, setup{16, 9, 1, 3, 8, 2, 1.0, 0.1});
    INFO("s=" << t.s << " r=" << t.r << " guide channels " << t.guide_channels);
    const auto guide = random_image(t.W, t.H, t.guide_channels, 1);
    const auto input = random_image(t.W / t.s, t.H / t.s, t.input_channels, 2);
    image<float> out(t.W, t.H, t.input_channels);
    // Scale given and scale derived from the sizes give the same result.
    joint_bilateral_upsample(guide.view(), input.view(), out.view(), jbu_options{t.s, t.r, t.ss, t.sr});
    CHECK(max_diff(out, brute_force(guide, input, t.s, t.s, t.r, t.ss, t.sr)) < 1e-5);
    image<float> derived(t.W, t.H, t.input_channels);
    joint_bilateral_upsample(guide.view(), input.view(), derived.view(), jbu_options{0, t.r, t.ss, t.sr});
    CHECK(svlrm_test::max_abs_diff(out.view(), derived.view()) == 0.0);
}

TEST_CASE("joint_bilateral_filter matches a float64 brute force", "[jbu]") {
    const auto gc = GENERATE(1, 3);
    const auto guide = random_image(29, 21, gc, 3);
    const auto input = random_image(29, 21, 2, 4);
    image<float> out(29, 21, 2);
    joint_bilateral_filter(guide.view(), input.view(), out.view(), 3, 2.0, 0.15);
    CHECK(max_diff(out, brute_force(guide, input, 1, 1, 3, 2.0, 0.15)) < 1e-5);
}

TEST_CASE("with a constant guide JBU is a Gaussian-weighted interpolation", "[jbu]") {
    const image<float> guide(45, 30, 1, 0.4f);
    const auto input = random_image(15, 10, 1, 5);
    image<float> out(45, 30);
    joint_bilateral_upsample(guide.view(), input.view(), out.view(), jbu_options{3, 2, 1.0, 0.1});
    CHECK(max_diff(out, brute_force(guide, input, 3, 3, 2, 1.0, 0.1, false)) < 1e-5);
    // On the grid of the low-res samples with a tiny spatial sigma it returns them.
    joint_bilateral_upsample(guide.view(), input.view(), out.view(), jbu_options{3, 2, 0.05, 0.1});
    bool samples = true;
    for (std::ptrdiff_t y = 0; y < 10; ++y)
        for (std::ptrdiff_t x = 0; x < 15; ++x) samples &= out(3 * x + 2, 3 * y + 2) == input(x, y);
    CHECK(samples);
}

TEST_CASE("JBU keeps the edges of a step guide that a constant guide blurs", "[jbu]") {
    const std::ptrdiff_t W = 48, H = 8;
    const int s = 4;
    image<float> step(W, H);
    for (std::ptrdiff_t y = 0; y < H; ++y)
        for (std::ptrdiff_t x = 0; x < W; ++x) step(x, y) = x >= 21 ? 1.0f : 0.0f;
    image<float> lr(W / s, H / s), sharp(W, H), blurred(W, H);
    decimate(step.view(), lr.view(), s);
    joint_bilateral_upsample(step.view(), lr.view(), sharp.view());  // defaults: r 2, sigmas 1 and 0.1
    CHECK(svlrm_test::max_abs_diff(sharp.view(), step.view()) < 1e-6);
    const image<float> flat(W, H, 1, 0.5f);
    joint_bilateral_upsample(flat.view(), lr.view(), blurred.view());
    CHECK(svlrm_test::max_abs_diff(blurred.view(), step.view()) > 0.3);
}

TEST_CASE("JBU on a real image beats bicubic upsampling", "[jbu]") {
    if (!svlrm_test::have_data()) {
        WARN("shared datasets not found at " << svlrm_test::data_dir() << "; skipped");
        return;
    }
    const auto rgb = svlrm_test::load_image(svlrm_test::data_dir() / "guided_filter_demo" / "tulips.bmp");
    const auto gt = svlrm_test::load_image(svlrm_test::data_dir() / "guided_filter_demo" / "tulips.bmp", true);
    const int s = 4;
    image<float> lr(gt.width() / s, gt.height() / s), bicubic(gt.width(), gt.height()), jbu(gt.width(), gt.height()),
        jbu_rgb(gt.width(), gt.height());
    decimate(gt.view(), lr.view(), s);
    resize_bicubic(lr.view(), bicubic.view());
    joint_bilateral_upsample(gt.view(), lr.view(), jbu.view());
    joint_bilateral_upsample(rgb.view(), lr.view(), jbu_rgb.view());
    const double p_bicubic = psnr(gt.view(), bicubic.view()), p_jbu = psnr(gt.view(), jbu.view()),
                 p_rgb = psnr(gt.view(), jbu_rgb.view());
    INFO("PSNR bicubic " << p_bicubic << " dB, JBU gray guide " << p_jbu << " dB, RGB guide " << p_rgb << " dB");
    CHECK(p_jbu > p_bicubic + 1.0);
    CHECK(p_rgb > p_bicubic + 1.0);
}

TEST_CASE("JBU stays finite and within the input range for tiny sigmas", "[jbu]") {
    const auto guide = random_image(24, 24, 3, 6);
    const auto input = random_image(6, 6, 1, 7, 0.2f, 0.8f);
    image<float> out(24, 24);
    joint_bilateral_upsample(guide.view(), input.view(), out.view(), jbu_options{4, 2, 1e-3, 1e-6});
    CHECK(std::all_of(out.data(), out.data() + 24 * 24, [](float v) { return v >= 0.2f && v <= 0.8f; }));
}

TEST_CASE("JBU: integer types, strides and in-place use", "[jbu]") {
    const auto guide_f = random_image(20, 12, 1, 8);
    const auto input_f = random_image(10, 6, 1, 9);
    std::vector<std::uint8_t> g8(static_cast<std::size_t>(23 * 12), 0xEE);
    image_view<std::uint8_t> gv{g8.data(), 20, 12, 1, 23};
    image<float> gq(20, 12);
    for (std::ptrdiff_t y = 0; y < 12; ++y)
        for (std::ptrdiff_t x = 0; x < 20; ++x) gv(x, y) = from_unit<std::uint8_t>(guide_f(x, y)), gq(x, y) = to_unit(gv(x, y));
    image<float> expected(20, 12);
    joint_bilateral_upsample(gq.view(), input_f.view(), expected.view());
    std::vector<std::uint16_t> o16(static_cast<std::size_t>(21 * 12), 0xABCD);
    image_view<std::uint16_t> ov{o16.data(), 20, 12, 1, 21};
    joint_bilateral_upsample(image_view<const std::uint8_t>(gv), input_f.view(), ov);
    bool rounded = true, padding = true;
    for (std::ptrdiff_t y = 0; y < 12; ++y) {
        for (std::ptrdiff_t x = 0; x < 20; ++x) rounded &= ov(x, y) == from_unit<std::uint16_t>(expected(x, y));
        padding &= o16[static_cast<std::size_t>(y * 21 + 20)] == 0xABCD && g8[static_cast<std::size_t>(y * 23 + 22)] == 0xEE;
    }
    CHECK(rounded);
    CHECK(padding);

    // The output may be the guide (JBU) or the input (JBF).
    image<float> buffer = gq;
    joint_bilateral_upsample(buffer.view(), input_f.view(), buffer.view());
    CHECK(svlrm_test::max_abs_diff(buffer.view(), expected.view()) == 0.0);
    const auto in2 = random_image(20, 12, 1, 10);
    image<float> jbf(20, 12), jbf_in_place = in2;
    joint_bilateral_filter(gq.view(), in2.view(), jbf.view(), 2, 1.5, 0.1);
    joint_bilateral_filter(gq.view(), jbf_in_place.view(), jbf_in_place.view(), 2, 1.5, 0.1);
    CHECK(svlrm_test::max_abs_diff(jbf.view(), jbf_in_place.view()) == 0.0);
}

TEST_CASE("joint_bilateral_upsample at real factors (each axis its own) matches the float64 brute force",
          "[jbu]") {
    struct setup {
        std::ptrdiff_t W, H, w, h, guide_channels;
    };
    // x2.67 (a 192x144 ToF map under 512x384, scaled down), x7.5, x2 by x1.25, a ceil decimation (sizes
    // that some integer s decimates to, such as 60x45 from 8x6, take that s: the protocol's grid)
    const auto t = GENERATE(setup{64, 48, 24, 18, 3}, setup{120, 90, 16, 12, 1}, setup{40, 30, 20, 24, 3},
                            setup{43, 31, 11, 8, 3});
    INFO(t.W << "x" << t.H << " from " << t.w << "x" << t.h);
    const auto guide = random_image(t.W, t.H, t.guide_channels, 21);
    const auto input = random_image(t.w, t.h, 1, 22);
    image<float> out(t.W, t.H, 1);
    joint_bilateral_upsample(guide.view(), input.view(), out.view());
    CHECK(max_diff(out, brute_force(guide, input, double(t.W) / double(t.w), double(t.H) / double(t.h), 2, 1.0,
                                    0.1)) < 1e-5);
}

TEST_CASE("JBU and JBF reject bad arguments and leave the output untouched", "[jbu]") {
    const auto guide = random_image(16, 12, 1, 11);
    const auto input = random_image(4, 3, 2, 12);
    image<float> out(16, 12, 2, 0.5f);
    const auto untouched = [&] {
        return std::all_of(out.data(), out.data() + 16 * 12 * 2, [](float v) { return v == 0.5f; });
    };
    const auto jbu = [&](auto&& g, auto&& i, jbu_options o) { joint_bilateral_upsample(g.view(), i.view(), out.view(), o); };
    CHECK_THROWS_WITH(jbu(guide, input, jbu_options{3, 2, 1.0, 0.1}), Catch::Contains("does not decimate"));
    CHECK_THROWS_WITH(jbu(guide, random_image(5, 3, 2, 13), jbu_options{4, 2, 1.0, 0.1}),
                      Catch::Contains("does not decimate"));
    CHECK_THROWS_WITH(jbu(guide, random_image(32, 24, 2, 13), jbu_options{}), Catch::Contains("larger than the guide"));
    CHECK_THROWS_WITH(jbu(guide, input, jbu_options{-1, 2, 1.0, 0.1}), Catch::Contains("scale"));
    CHECK_THROWS_WITH(jbu(guide, input, jbu_options{4, -1, 1.0, 0.1}), Catch::Contains("radius"));
    CHECK_THROWS_WITH(jbu(guide, input, jbu_options{4, 2, 0.0, 0.1}), Catch::Contains("sigma_spatial"));
    CHECK_THROWS_WITH(jbu(guide, input, jbu_options{4, 2, 1.0, std::numeric_limits<double>::quiet_NaN()}),
                      Catch::Contains("sigma_range"));
    CHECK_THROWS_WITH(jbu(guide, input, jbu_options{4, 2, 1.0, 1e-200}), Catch::Contains("sigma_range"));
    CHECK_THROWS_WITH(jbu(random_image(16, 12, 2, 14), input, jbu_options{}), Catch::Contains("expected 1 or 3"));
    CHECK_THROWS_WITH(jbu(random_image(16, 11, 1, 14), input, jbu_options{}), Catch::Contains("out_hr"));
    CHECK_THROWS_WITH(jbu(guide, random_image(4, 3, 1, 15), jbu_options{}), Catch::Contains("out_hr has 2 channels"));
    auto bad = input;
    bad(1, 1, 1) = std::numeric_limits<float>::quiet_NaN();
    CHECK_THROWS_WITH(jbu(guide, bad, jbu_options{}), Catch::Contains("svlrm::joint_bilateral_upsample") &&
                                                          Catch::Contains("input_lr has a non-finite"));

    const auto input_hr = random_image(16, 12, 2, 16);
    CHECK_THROWS_WITH(joint_bilateral_filter(guide.view(), input.view(), out.view(), 2, 1.0, 0.1),
                      Catch::Contains("svlrm::joint_bilateral_filter"));
    CHECK_THROWS_WITH(joint_bilateral_filter(guide.view(), input_hr.view(), out.view(), 2, -1.0, 0.1),
                      Catch::Contains("sigma_spatial"));
    CHECK_THROWS_WITH(joint_bilateral_filter(guide.view(), input_hr.view(), out.view(), -2, 1.0, 0.1),
                      Catch::Contains("radius"));
    CHECK(untouched());
}
