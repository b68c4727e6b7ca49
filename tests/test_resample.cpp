// Point decimation and bicubic / bilinear resampling: indices, a float64 direct
// formula, polynomial reproduction, OpenCV, types, strides, in-place, validation.
#include "support.hpp"

#include <svlrm/resample.hpp>

#include <catch2/catch.hpp>

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <stdexcept>
#include <vector>

using namespace svlrm;
using svlrm_test::random_image;

namespace {

// Keys' kernel written out independently of the library, in double.
double keys(double x, double a) {
    x = std::abs(x);
    if (x <= 1) return (a + 2) * x * x * x - (a + 3) * x * x + 1;
    if (x < 2) return a * x * x * x - 5 * a * x * x + 8 * a * x - 4 * a;
    return 0;
}

// Direct 2-D formula: out(X, Y) = sum_ij k(sx - j) k(sy - i) in(clamp j, clamp i) over the
// 4 (cubic) or 2 (linear) nearest samples, sx = (X + 0.5) w / W - 0.5.
std::vector<double> direct_resize(const image<float>& in, std::ptrdiff_t W, std::ptrdiff_t H,
                                  const std::function<double(double)>& k, int support) {
    const std::ptrdiff_t w = in.width(), h = in.height(), C = in.channels();
    std::vector<double> out;
    for (std::ptrdiff_t Y = 0; Y < H; ++Y)
        for (std::ptrdiff_t X = 0; X < W; ++X)
            for (std::ptrdiff_t c = 0; c < C; ++c) {
                const double sx = (X + 0.5) * double(w) / double(W) - 0.5;
                const double sy = (Y + 0.5) * double(h) / double(H) - 0.5;
                double v = 0;
                for (auto i = std::ptrdiff_t(std::floor(sy)) - support + 1; i <= std::ptrdiff_t(std::floor(sy)) + support; ++i)
                    for (auto j = std::ptrdiff_t(std::floor(sx)) - support + 1; j <= std::ptrdiff_t(std::floor(sx)) + support; ++j)
                        v += k(sx - j) * k(sy - i) *
                             in(std::clamp<std::ptrdiff_t>(j, 0, w - 1), std::clamp<std::ptrdiff_t>(i, 0, h - 1), c);
                out.push_back(v);
            }
    return out;
}

double max_diff(const image<float>& a, const std::vector<double>& b) {
    double m = 0;
    for (std::size_t i = 0; i < b.size(); ++i) m = std::max(m, std::abs(double(a.data()[i]) - b[i]));
    return m;
}

cv::Mat to_mat(const image<float>& img) {
    cv::Mat m(int(img.height()), int(img.width()), CV_32FC(int(img.channels())));
    std::copy(img.data(), img.data() + img.width() * img.height() * img.channels(), m.ptr<float>(0));
    return m;
}

double max_diff(const image<float>& a, const cv::Mat& m) {
    double d = 0;
    for (std::ptrdiff_t i = 0; i < a.width() * a.height() * a.channels(); ++i)
        d = std::max(d, std::abs(double(a.data()[i]) - double(m.ptr<float>(0)[i])));
    return d;
}

}  // namespace

TEST_CASE("decimate keeps pixels s*x + s-1 (gt[s-1::s, s-1::s])", "[resample]") {
    const std::ptrdiff_t W = 13, H = 10, C = 2;
    image<std::uint16_t> gt(W, H, C);
    for (std::ptrdiff_t i = 0; i < W * H * C; ++i) gt.data()[i] = static_cast<std::uint16_t>(i);  // encodes x, y, c
    for (int s : {1, 2, 3, 4, 5, 10}) {
        INFO("scale " << s);
        image<std::uint16_t> lr(W / s, H / s, C);
        decimate(gt.view(), lr.view(), s);
        bool exact = true;
        for (std::ptrdiff_t y = 0; y < H / s; ++y)
            for (std::ptrdiff_t x = 0; x < W / s; ++x)
                for (std::ptrdiff_t c = 0; c < C; ++c) exact &= lr(x, y, c) == gt(s * x + s - 1, s * y + s - 1, c);
        CHECK(exact);
    }
    // Numpy's gt[3::4, 3::4] of a 13x10 image: columns 3, 7, 11 and rows 3, 7.
    image<std::uint16_t> lr(3, 2, C);
    decimate(gt.view(), lr.view(), 4);
    CHECK(lr(2, 1, 1) == gt(11, 7, 1));
    CHECK(lr(0, 0, 0) == (3 * W + 3) * C);
}

TEST_CASE("decimate validates the output size and the scale; works in place", "[resample]") {
    auto gt = random_image(13, 10, 1, 1);
    image<float> out(4, 3, 1, 0.5f);
    CHECK_THROWS_AS(decimate(gt.view(), out.view(), 0), std::invalid_argument);
    CHECK_THROWS_AS(decimate(gt.view(), out.view(), 14), std::invalid_argument);
    CHECK_THROWS_WITH(decimate(gt.view(), out.view(), 4), Catch::Contains("floor(W/scale)"));  // expects 3x2
    image<float> out2(3, 2, 2, 0.5f);
    CHECK_THROWS_WITH(decimate(gt.view(), out2.view(), 4), Catch::Contains("out has 2 channels"));
    bool untouched = true;
    for (std::ptrdiff_t i = 0; i < 12; ++i) untouched &= out.data()[i] == 0.5f;
    CHECK(untouched);
    CHECK_NOTHROW(decimate(gt.view(), out.view(), 3));  // floor(13/3) x floor(10/3) = 4x3

    // In place: out is the top-left corner of the input buffer, with the input's stride.
    const image<float> original = gt;
    decimate(gt.view(), image_view<float>{gt.data(), 4, 3, 1, 13}, 3);
    bool exact = true;
    for (std::ptrdiff_t y = 0; y < 3; ++y)
        for (std::ptrdiff_t x = 0; x < 4; ++x) exact &= gt(x, y) == original(3 * x + 2, 3 * y + 2);
    CHECK(exact);
}

TEST_CASE("resize_bicubic matches the float64 direct formula", "[resample]") {
    const double a = GENERATE(-0.5, -0.75);
    const auto in = random_image(17, 11, 2, 2);
    for (auto [W, H] : {std::pair<std::ptrdiff_t, std::ptrdiff_t>{34, 22}, {68, 44}, {40, 29}, {9, 5}, {17, 30}, {1, 1}}) {
        INFO("a=" << a << " " << W << "x" << H);
        image<float> out(W, H, 2);
        resize_bicubic(in.view(), out.view(), bicubic_kernel{a});
        CHECK(max_diff(out, direct_resize(in, W, H, [a](double x) { return keys(x, a); }, 2)) < 1e-5);
    }
    // Same size: every weight but one is zero, the input comes back bit for bit.
    image<float> same(17, 11, 2);
    resize_bicubic(in.view(), same.view());
    CHECK(svlrm_test::max_abs_diff(same.view(), in.view()) == 0.0);
}

TEST_CASE("resize_bilinear matches the float64 direct formula", "[resample]") {
    const auto in = random_image(15, 12, 3, 3);
    const auto tent = [](double x) { return std::max(0.0, 1.0 - std::abs(x)); };
    for (auto [W, H] : {std::pair<std::ptrdiff_t, std::ptrdiff_t>{30, 24}, {45, 37}, {7, 5}, {15, 12}}) {
        INFO(W << "x" << H);
        image<float> out(W, H, 3);
        resize_bilinear(in.view(), out.view());
        CHECK(max_diff(out, direct_resize(in, W, H, tent, 1)) < 1e-5);
    }
}

TEST_CASE("Keys' a = -0.5 reproduces quadratics away from the border; bilinear reproduces ramps", "[resample]") {
    const std::ptrdiff_t w = 20, h = 16, s = 3;
    const auto f = [](double x, double y) { return 0.1 + 0.01 * x + 0.02 * y + 4e-4 * x * x - 3e-4 * x * y + 2e-4 * y * y; };
    const auto ramp = [](double x, double y) { return 0.1 + 0.01 * x + 0.02 * y; };
    image<float> quad(w, h), lin(w, h);
    for (std::ptrdiff_t y = 0; y < h; ++y)
        for (std::ptrdiff_t x = 0; x < w; ++x) quad(x, y) = float(f(x, y)), lin(x, y) = float(ramp(x, y));
    image<float> up(w * s, h * s), up_lin(w * s, h * s);
    resize_bicubic(quad.view(), up.view());
    resize_bilinear(lin.view(), up_lin.view());
    double worst = 0, worst_lin = 0;
    for (std::ptrdiff_t Y = 0; Y < h * s; ++Y)
        for (std::ptrdiff_t X = 0; X < w * s; ++X) {
            const double sx = (X + 0.5) / s - 0.5, sy = (Y + 0.5) / s - 0.5;
            if (sx >= 1 && sy >= 1 && sx <= w - 2 && sy <= h - 2)  // all four taps inside
                worst = std::max(worst, std::abs(up(X, Y) - f(sx, sy)));
            if (sx >= 0 && sy >= 0 && sx <= w - 1 && sy <= h - 1)
                worst_lin = std::max(worst_lin, std::abs(up_lin(X, Y) - ramp(sx, sy)));
        }
    CHECK(worst < 1e-5);
    CHECK(worst_lin < 1e-5);
}

TEST_CASE("resize_bicubic with a = -0.75 and resize_bilinear agree with OpenCV", "[resample]") {
    const auto channels = GENERATE(1, 3);
    const auto in = random_image(37, 29, channels, 4);
    for (auto [W, H] : {std::pair<int, int>{100, 80}, {74, 58}, {148, 116}, {23, 13}}) {
        INFO(channels << " channels, " << W << "x" << H);
        image<float> ours(W, H, channels);
        cv::Mat theirs;
        resize_bicubic(in.view(), ours.view(), bicubic_kernel::opencv());
        cv::resize(to_mat(in), theirs, cv::Size(W, H), 0, 0, cv::INTER_CUBIC);
        CHECK(max_diff(ours, theirs) < 1e-5);
        resize_bilinear(in.view(), ours.view());
        cv::resize(to_mat(in), theirs, cv::Size(W, H), 0, 0, cv::INTER_LINEAR);
        CHECK(max_diff(ours, theirs) < 1e-5);
    }
}

// PIL (9.4.0) upscaling of a float 'F' image, at output pixels whose four taps lie inside
// the input (PIL renormalises at the border instead of replicating). Reproduced with
//   /usr/bin/python3 -c "
//   import numpy as np; from PIL import Image
//   y,x = np.mgrid[0:7,0:9]; a = (((x*x + 3*x*y + 5*y) % 11) / 8.0).astype(np.float32)
//   o = np.asarray(Image.fromarray(a, 'F').resize((25, 18), Image.BICUBIC))
//   print([repr(float(o[Y,X])) for X,Y in [(7,4),(10,9),(12,5),(15,12),(17,8),(19,11),(20,13)]])"
TEST_CASE("resize_bicubic agrees with PIL's BICUBIC away from the border", "[resample]") {
    image<float> in(9, 7);
    for (int y = 0; y < 7; ++y)
        for (int x = 0; x < 9; ++x) in(x, y) = float((x * x + 3 * x * y + 5 * y) % 11) / 8.0f;
    image<float> out(25, 18);
    resize_bicubic(in.view(), out.view());
    CHECK(out(7, 4) == Approx(0.4023515582084656).margin(1e-6));
    CHECK(out(10, 9) == Approx(0.80182284116745).margin(1e-6));
    CHECK(out(12, 5) == Approx(0.5232258439064026).margin(1e-6));
    CHECK(out(15, 12) == Approx(0.6711959838867188).margin(1e-6));
    CHECK(out(17, 8) == Approx(0.7981885671615601).margin(1e-6));
    CHECK(out(19, 11) == Approx(1.1272790431976318).margin(1e-6));
    CHECK(out(20, 13) == Approx(0.5902482271194458).margin(1e-6));
}

TEST_CASE("resize: the depth-upsampling protocol on a real image", "[resample]") {
    if (!svlrm_test::have_data()) {
        WARN("shared datasets not found at " << svlrm_test::data_dir() << "; skipped");
        return;
    }
    const auto gt = svlrm_test::load_image(svlrm_test::data_dir() / "guided_filter_demo" / "tulips.bmp");
    for (int s : {2, 4, 8}) {
        INFO("x" << s);
        image<float> lr(gt.width() / s, gt.height() / s, 3), up(gt.width(), gt.height(), 3);
        decimate(gt.view(), lr.view(), s);
        resize_bicubic(lr.view(), up.view());
        // The same computation in float64 by the direct formula.
        CHECK(max_diff(up, direct_resize(lr, gt.width(), gt.height(), [](double x) { return keys(x, -0.5); }, 2)) < 1e-5);
    }
}

TEST_CASE("resize: integer types, strides and in-place use", "[resample]") {
    const auto in_f = random_image(9, 7, 2, 5);
    std::vector<std::uint16_t> in16(static_cast<std::size_t>(21 * 7), 7);
    image_view<std::uint16_t> v16{in16.data(), 9, 7, 2, 21};
    image<float> in_q(9, 7, 2);
    for (std::ptrdiff_t y = 0; y < 7; ++y)
        for (std::ptrdiff_t i = 0; i < 18; ++i) {
            v16.row(y)[i] = from_unit<std::uint16_t>(in_f.view().row(y)[i]);
            in_q.view().row(y)[i] = to_unit(v16.row(y)[i]);
        }
    image<float> expected(20, 15, 2);
    resize_bicubic(in_q.view(), expected.view());
    std::vector<std::uint8_t> out8(static_cast<std::size_t>(43 * 15), 0xCD);
    image_view<std::uint8_t> o8{out8.data(), 20, 15, 2, 43};
    resize_bicubic(image_view<const std::uint16_t>(v16), o8);
    bool rounded = true, padding = true;
    for (std::ptrdiff_t y = 0; y < 15; ++y) {
        for (std::ptrdiff_t i = 0; i < 40; ++i) rounded &= o8.row(y)[i] == from_unit<std::uint8_t>(expected.view().row(y)[i]);
        for (std::ptrdiff_t i = 40; i < 43; ++i) padding &= o8.row(y)[i] == 0xCD;
    }
    CHECK(rounded);
    CHECK(padding);
    for (std::ptrdiff_t y = 0; y < 7; ++y) padding &= in16[static_cast<std::size_t>(y * 21 + 20)] == 7;
    CHECK(padding);

    // In place, shrinking into the top-left corner of the input buffer.
    image<float> buffer = in_q, shrunk(5, 4, 2);
    resize_bilinear(in_q.view(), shrunk.view());
    resize_bilinear(buffer.view(), image_view<float>{buffer.data(), 5, 4, 2, 18});
    double d = 0;
    for (std::ptrdiff_t y = 0; y < 4; ++y)
        for (std::ptrdiff_t i = 0; i < 10; ++i) d = std::max(d, double(std::abs(buffer.data()[y * 18 + i] - shrunk.view().row(y)[i])));
    CHECK(d == 0.0);
}

TEST_CASE("resize rejects bad arguments and leaves the output untouched", "[resample]") {
    auto in = random_image(8, 6, 2, 6);
    image<float> out(16, 12, 2, 0.5f);
    const auto untouched = [&] {
        return std::all_of(out.data(), out.data() + 16 * 12 * 2, [](float v) { return v == 0.5f; });
    };
    image<float> out1(16, 12, 1);
    CHECK_THROWS_WITH(resize_bicubic(in.view(), out1.view()), Catch::Contains("svlrm::resize_bicubic") && Catch::Contains("out has 1 channels"));
    CHECK_THROWS_WITH(resize_bilinear(in.view(), out1.view()), Catch::Contains("svlrm::resize_bilinear"));
    CHECK_THROWS_WITH(resize_bicubic(in.view(), out.view(), bicubic_kernel{std::numeric_limits<double>::quiet_NaN()}),
                      Catch::Contains("kernel"));
    CHECK_THROWS_WITH(resize_bicubic(image_view<const float>{nullptr, 8, 6, 2, 16}, out.view()), Catch::Contains("input: data is null"));
    CHECK_THROWS_WITH(resize_bicubic(in.view(), image_view<float>{out.data(), 0, 12, 2, 32}), Catch::Contains("out: size"));
    in(2, 3, 1) = std::numeric_limits<float>::infinity();
    CHECK_THROWS_WITH(resize_bicubic(in.view(), out.view()), Catch::Contains("non-finite"));
    CHECK_THROWS_WITH(resize_bilinear(in.view(), out.view()), Catch::Contains("non-finite"));
    CHECK(untouched());
}
