// Rolling guidance: zero iterations is the identity, step 1 is a float64 Gaussian,
// the classical filter against OpenCV's ximgproc::rollingGuidanceFilter, the SVLRM
// inner filter (joint_filter) against its own composition, texture removal on a real
// image, and errors that leave the output untouched.
#include "model_builder.hpp"
#include "support.hpp"

#include <svlrm/svlrm.hpp>

#include <catch2/catch.hpp>
#include <opencv2/ximgproc.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

using namespace svlrm;
using svlrm_test::max_abs_diff;
using svlrm_test::random_image;

namespace {

// A textured step: two flat halves (0.3 / 0.7) plus a +-0.08 checkerboard of 2 px cells.
image<float> textured_step(std::ptrdiff_t w, std::ptrdiff_t h) {
    image<float> img(w, h, 1);
    for (std::ptrdiff_t y = 0; y < h; ++y)
        for (std::ptrdiff_t x = 0; x < w; ++x)
            img(x, y) = (x < w / 2 ? 0.3f : 0.7f) + ((x / 2 + y / 2) % 2 ? 0.08f : -0.08f);
    return img;
}

cv::Mat as_mat(const image<float>& img) {
    return cv::Mat(int(img.height()), int(img.width()), CV_32FC(int(img.channels())),
                   const_cast<float*>(img.data())).clone();
}

}  // namespace

TEST_CASE("zero iterations return the input", "[rolling_guidance]") {
    const auto in = random_image(37, 23, 3, 1);
    image<float> out(37, 23, 3, -1.0f);
    rolling_guidance_filter(in.view(), out.view(), 3.0, 0.05, 0);
    CHECK(max_abs_diff(out.view(), in.view()) == 0.0);
    image<std::uint8_t> out8(37, 23, 3);
    rolling_guidance(in.view(), out8.view(), 0, joint_bilateral{});
    CHECK(max_abs_diff(out8.view(), in.view()) <= 0.5 / 255 + 1e-7);
}

TEST_CASE("step 1 is a Gaussian blur (float64 re-derivation, window cut to the image)", "[rolling_guidance]") {
    const auto in = random_image(31, 19, 1, 2);
    const double sigma = 1.7;
    const int r = int(std::ceil(3 * sigma));
    image<float> out(31, 19, 1);
    rolling_guidance(in.view(), out.view(), 1, joint_bilateral{}, {rolling_start::gaussian, sigma});
    double worst = 0;
    for (std::ptrdiff_t y = 0; y < 19; ++y)
        for (std::ptrdiff_t x = 0; x < 31; ++x) {
            double num = 0, den = 0;
            for (std::ptrdiff_t qy = std::max<std::ptrdiff_t>(y - r, 0); qy <= std::min<std::ptrdiff_t>(y + r, 18); ++qy)
                for (std::ptrdiff_t qx = std::max<std::ptrdiff_t>(x - r, 0); qx <= std::min<std::ptrdiff_t>(x + r, 30); ++qx) {
                    const double wgt = std::exp(-double((qx - x) * (qx - x) + (qy - y) * (qy - y)) / (2 * sigma * sigma));
                    num += wgt * in(qx, qy);
                    den += wgt;
                }
            worst = std::max(worst, std::abs(num / den - out(x, y)));
        }
    CHECK(worst < 1e-6);
    // ... and the joint bilateral filter with a constant guide is the same blur.
    const image<float> flat(31, 19, 1, 0.5f);
    image<float> jbf(31, 19, 1);
    joint_bilateral_filter(flat.view(), in.view(), jbf.view(), r, sigma, 0.1);
    CHECK(max_abs_diff(jbf.view(), out.view()) < 1e-5);
}

TEST_CASE("classical rolling guidance matches OpenCV's rollingGuidanceFilter", "[rolling_guidance][opencv]") {
    // OpenCV's conventions differ from Zhang et al.'s and ours in three ways: (1) its step
    // 1 is a bilateral filter of I, not a Gaussian: rolling_start::input reproduces that;
    // (2) its window is a disc of radius d/2, ours the square around it (the corners
    // carry weights below exp(-4.5) when the radius is 3 sigma_s); (3) borders reflect
    // (BORDER_REFLECT_101) where ours cut the window. Compared away from the borders
    // (radius x iterations), on a grey image, whose range distance both take as |dG|
    // (for colour OpenCV sums |dR| + |dG| + |dB|, we take the Euclidean distance).
    const double sigma_s = 2.0, sigma_r = 0.1;
    const int radius = 6, iterations = 3;
    auto in = random_image(96, 80, 1, 3, 0.0f, 0.2f);
    const auto step = textured_step(96, 80);
    for (std::ptrdiff_t i = 0; i < 96 * 80; ++i) in.data()[i] += step.data()[i];

    image<float> ours(96, 80, 1);
    rolling_guidance(in.view(), ours.view(), iterations, joint_bilateral{radius, sigma_s, sigma_r},
                     {rolling_start::input, sigma_s});
    cv::Mat theirs;
    cv::ximgproc::rollingGuidanceFilter(as_mat(in), theirs, 2 * radius + 1, sigma_r, sigma_s, iterations);

    const int margin = radius * iterations;
    double worst = 0, sum = 0;
    int n = 0;
    for (int y = margin; y < 80 - margin; ++y)
        for (int x = margin; x < 96 - margin; ++x) {
            const double d = std::abs(double(ours(x, y)) - theirs.at<float>(y, x));
            worst = std::max(worst, d);
            sum += d;
            ++n;
        }
    INFO("max |ours - OpenCV| = " << worst << ", mean " << sum / n);
    CHECK(worst < 3e-3);  // measured 8.2e-4 (the disc's corners and OpenCV's range look-up table)
    CHECK(sum / n < 5e-4);  // measured 2.0e-4
}

TEST_CASE("rolling guidance removes texture and keeps the step", "[rolling_guidance]") {
    const auto in = textured_step(64, 48);
    image<float> out(64, 48, 1);
    rolling_guidance_filter(in.view(), out.view(), 3.0, 0.1, 4);
    double texture = 0;
    for (std::ptrdiff_t y = 10; y < 38; ++y)
        for (std::ptrdiff_t x = 4; x < 24; ++x) texture = std::max(texture, std::abs(out(x, y) - 0.3));
    CHECK(texture < 0.01);  // the +-0.08 checkerboard is gone
    // the step stays sharp: within two pixels of the edge it has made most of its rise
    CHECK(out(29, 24) < 0.36);
    CHECK(out(34, 24) > 0.64);
}

TEST_CASE("an SVLRM inner filter runs Zhang's iteration with joint_filter", "[rolling_guidance]") {
    const model m = svlrm_test::paper_model(7);
    const joint_filter<backend::reference> f(m);
    const auto in = random_image(40, 30, 3, 4);
    image<float> out(40, 30, 3);
    rolling_guidance(in.view(), out.view(), 2, f, {rolling_start::gaussian, 2.0});
    // the same two steps by hand
    image<float> g1(40, 30, 3), g2(40, 30, 3);
    rolling_guidance(in.view(), g1.view(), 1, f, {rolling_start::gaussian, 2.0});
    f.apply(image_view<const float>(g1.view()), in.view(), g2.view());
    CHECK(max_abs_diff(out.view(), g2.view()) == 0.0);
}

TEST_CASE("bad arguments throw and leave the output untouched", "[rolling_guidance][errors]") {
    const auto in = random_image(20, 10, 3, 5);
    image<float> out(20, 10, 3, 7.0f);
    auto untouched = [&] {
        for (std::ptrdiff_t i = 0; i < 20 * 10 * 3; ++i)
            if (out.data()[i] != 7.0f) return false;
        return true;
    };
    CHECK_THROWS_WITH(rolling_guidance(in.view(), out.view(), -1, joint_bilateral{}),
                      Catch::Contains("iterations (-1) is negative"));
    image<float> small(19, 10, 3);
    CHECK_THROWS_WITH(rolling_guidance_filter(in.view(), small.view()), Catch::Contains("input is 20x10 but out is 19x10"));
    image<float> gray(20, 10, 1);
    CHECK_THROWS_WITH(rolling_guidance_filter(in.view(), gray.view()), Catch::Contains("out has 1 channels, expected 3"));
    const auto two = random_image(20, 10, 2, 6);
    image<float> out2(20, 10, 2);
    CHECK_THROWS_WITH(rolling_guidance_filter(two.view(), out2.view()), Catch::Contains("expected 1 or 3"));
    CHECK_THROWS_WITH(rolling_guidance_filter(in.view(), out.view(), 0.0), Catch::Contains("sigma_spatial"));
    CHECK_THROWS_WITH(rolling_guidance_filter(in.view(), out.view(), 3.0, -1.0), Catch::Contains("sigma_range"));
    CHECK_THROWS_WITH(rolling_guidance(in.view(), out.view(), 2, joint_bilateral{},
                                       {rolling_start::gaussian, std::numeric_limits<double>::infinity()}),
                      Catch::Contains("sigma_spatial"));
    auto nan = in;
    nan(3, 4, 1) = std::numeric_limits<float>::quiet_NaN();
    CHECK_THROWS_WITH(rolling_guidance_filter(nan.view(), out.view()), Catch::Contains("non-finite value"));
    // an inner filter that fails midway: nothing is written
    const joint_bilateral broken{-1, 3.0, 0.1};
    CHECK_THROWS_AS(rolling_guidance(in.view(), out.view(), 3, broken), std::invalid_argument);
    CHECK(untouched());
}

TEST_CASE("in place on a real colour image: texture energy falls, u8 = float", "[rolling_guidance][real]") {
    if (!svlrm_test::have_data()) {
        WARN("shared datasets missing: skipped");
        return;
    }
    const auto img = svlrm_test::load_image(svlrm_test::data_dir() / "texture_rtv" / "mosaicfloor.jpg");
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(img.width() * img.height() * 3));
    const image_view<std::uint8_t> u8{bytes.data(), img.width(), img.height(), 3, img.width() * 3};
    for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = from_unit<std::uint8_t>(img.data()[i]);
    image<float> f(img.width(), img.height(), 3);
    rolling_guidance_filter(image_view<const std::uint8_t>(u8), f.view(), 3.0, 0.1, 3);
    rolling_guidance_filter(u8, u8, 3.0, 0.1, 3);  // in place
    CHECK(max_abs_diff(u8, f.view()) <= 0.5 / 255 + 1e-6);
    // fine-scale energy: sum of squared 1-px differences
    auto energy = [](auto get, std::ptrdiff_t w, std::ptrdiff_t h) {
        double e = 0;
        for (std::ptrdiff_t y = 0; y < h; ++y)
            for (std::ptrdiff_t x = 1; x < w; ++x)
                for (int c = 0; c < 3; ++c) e += std::pow(get(x, y, c) - get(x - 1, y, c), 2);
        return e;
    };
    const double before = energy([&](auto x, auto y, int c) { return double(img(x, y, c)); }, img.width(), img.height());
    const double after = energy([&](auto x, auto y, int c) { return double(f(x, y, c)); }, img.width(), img.height());
    CHECK(after < 0.3 * before);
}
