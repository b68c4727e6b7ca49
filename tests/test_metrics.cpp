// PSNR, RMSE (closed forms) and SSIM (against skimage 0.19.3, Debian bookworm).
#include "support.hpp"

#include <svlrm/metrics.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>

using namespace svlrm;
using svlrm_test::random_image;

namespace {

// Integer-valued test images, so that Python builds exactly the same pixels:
//   A(x, y, k) = (3x^2 + 7y + xy + 31k) mod 256
//   B = clip(A + (13x + 29y + 5k) mod 41 - 20, 0, 255)
//   R(x, y, k) = (4x + 3y + 50k) mod 256
int pattern_a(int x, int y, int k) { return (x * x * 3 + y * 7 + x * y + 31 * k) % 256; }
int pattern_b(int x, int y, int k) { return std::clamp(pattern_a(x, y, k) + (x * 13 + y * 29 + k * 5) % 41 - 20, 0, 255); }
int pattern_r(int x, int y, int k) { return (x * 4 + y * 3 + k * 50) % 256; }

image<std::uint8_t> make(int w, int h, int c, int (*f)(int, int, int)) {
    image<std::uint8_t> img(w, h, c);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            for (int k = 0; k < c; ++k) img(x, y, k) = static_cast<std::uint8_t>(f(x, y, k));
    return img;
}

}  // namespace

TEST_CASE("rmse and psnr match their closed forms", "[metrics]") {
    // u8 0 against u8 51: a difference of exactly 0.2 everywhere.
    const image<std::uint8_t> zero(9, 7, 2, 0), grey(9, 7, 2, 51);
    CHECK(rmse(zero.view(), grey.view()) == Approx(0.2).epsilon(1e-14));
    CHECK(psnr(zero.view(), grey.view()) == Approx(10 * std::log10(1 / 0.04)).epsilon(1e-14));
    // Half of the pixels off by d: MSE = d^2 / 2.
    image<float> a(10, 4, 1, 0.25f), b = a;
    for (std::ptrdiff_t x = 0; x < 10; x += 2)
        for (std::ptrdiff_t y = 0; y < 4; ++y) b(x, y) = 0.375f;
    CHECK(rmse(a.view(), b.view()) == Approx(0.125 / std::sqrt(2.0)).epsilon(1e-14));
    CHECK(psnr(a.view(), b.view()) == Approx(10 * std::log10(2 / (0.125 * 0.125))).epsilon(1e-14));
    // Float data on 0..255 with peak 255 equals unit-scale data with peak 1; mixed types agree.
    image<float> a255(10, 4, 1, 63.75f), b255 = a255;
    for (std::ptrdiff_t i = 0; i < 40; i += 2) b255.data()[i] = 95.625f;
    CHECK(psnr(a255.view(), b255.view(), 255.0) == Approx(psnr(a.view(), b.view())).epsilon(1e-12));
    const auto noisy = random_image(9, 7, 2, 1);
    image<std::uint16_t> n16(9, 7, 2);
    image<float> n16f(9, 7, 2);
    for (std::ptrdiff_t i = 0; i < 9 * 7 * 2; ++i)
        n16.data()[i] = from_unit<std::uint16_t>(noisy.data()[i]), n16f.data()[i] = n16.data()[i] / 65535.0f;
    CHECK(rmse(n16.view(), grey.view()) == Approx(rmse(n16f.view(), grey.view())).epsilon(1e-6));
}

TEST_CASE("identical images: psnr is infinite, rmse 0, ssim 1", "[metrics]") {
    const auto img = random_image(23, 17, 3, 2);
    CHECK(std::isinf(psnr(img.view(), img.view())));
    CHECK(rmse(img.view(), img.view()) == 0.0);
    CHECK(ssim(img.view(), img.view()) == Approx(1.0).epsilon(1e-12));
}

// Expected values from skimage 0.19.3 (Debian python3-skimage), reproduced with
//   /usr/bin/python3 -c "
//   import numpy as np; from skimage.metrics import structural_similarity as ssim
//   def A(w,h,c): y,x,k = np.mgrid[0:h,0:w,0:c]; return (x*x*3 + y*7 + x*y + 31*k) % 256
//   def B(w,h,c): y,x,k = np.mgrid[0:h,0:w,0:c]; return np.clip(A(w,h,c) + (x*13 + y*29 + k*5) % 41 - 20, 0, 255)
//   def R(w,h,c): y,x,k = np.mgrid[0:h,0:w,0:c]; return (x*4 + y*3 + k*50) % 256
//   kw = dict(data_range=1.0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False)
//   for w,h,c,f,g in [(40,32,1,A,B),(24,19,3,A,B),(33,21,1,R,B),(11,11,1,A,B)]:
//       a = f(w,h,c)/255.0; b = g(w,h,c)/255.0
//       print(repr(ssim(a[:,:,0], b[:,:,0], **kw) if c == 1 else ssim(a, b, channel_axis=-1, **kw)))"
TEST_CASE("ssim matches skimage's structural_similarity (Gaussian window, population covariance)", "[metrics]") {
    CHECK(ssim(make(40, 32, 1, pattern_a).view(), make(40, 32, 1, pattern_b).view()) ==
          Approx(0.9878878994763615).margin(1e-4));
    CHECK(ssim(make(24, 19, 3, pattern_a).view(), make(24, 19, 3, pattern_b).view()) ==
          Approx(0.9879535134231131).margin(1e-4));
    CHECK(ssim(make(33, 21, 1, pattern_r).view(), make(33, 21, 1, pattern_b).view()) ==
          Approx(0.008790993672067106).margin(1e-4));
    CHECK(ssim(make(11, 11, 1, pattern_a).view(), make(11, 11, 1, pattern_b).view()) ==
          Approx(0.9765636165806503).margin(1e-4));
    // The same pixels as floats on 0..255 with data_range 255.
    const auto a8 = make(40, 32, 1, pattern_a), b8 = make(40, 32, 1, pattern_b);
    image<float> a255(40, 32), b255(40, 32);
    for (std::ptrdiff_t i = 0; i < 40 * 32; ++i) a255.data()[i] = a8.data()[i], b255.data()[i] = b8.data()[i];
    CHECK(ssim(a255.view(), b255.view(), 255.0) == Approx(0.9878878994763615).margin(1e-4));
}

TEST_CASE("ssim is symmetric and drops with noise on a real image", "[metrics]") {
    if (!svlrm_test::have_data()) {
        WARN("shared datasets not found at " << svlrm_test::data_dir() << "; skipped");
        return;
    }
    const auto clean = svlrm_test::load_image(svlrm_test::data_dir() / "guided_filter_demo" / "tulips.bmp");
    const auto noise = random_image(clean.width(), clean.height(), 3, 3, -0.1f, 0.1f);
    image<float> light = clean, heavy = clean;
    for (std::ptrdiff_t i = 0; i < clean.width() * clean.height() * 3; ++i) {
        light.data()[i] += 0.2f * noise.data()[i];
        heavy.data()[i] += noise.data()[i];
    }
    const double s_light = ssim(clean.view(), light.view()), s_heavy = ssim(clean.view(), heavy.view());
    CHECK(s_light == Approx(ssim(light.view(), clean.view())).epsilon(1e-12));
    CHECK(s_light < 1.0);
    CHECK(s_heavy < s_light);
    CHECK(psnr(clean.view(), heavy.view()) < psnr(clean.view(), light.view()));
}

TEST_CASE("metrics reject bad arguments", "[metrics]") {
    const auto a = random_image(12, 12, 1, 4), b = random_image(12, 11, 1, 5), c3 = random_image(12, 12, 3, 6);
    CHECK_THROWS_WITH(rmse(a.view(), b.view()), Catch::Contains("svlrm::rmse") && Catch::Contains("12x11"));
    CHECK_THROWS_WITH(psnr(a.view(), c3.view()), Catch::Contains("svlrm::psnr") && Catch::Contains("channels"));
    CHECK_THROWS_WITH(psnr(a.view(), a.view(), 0.0), Catch::Contains("peak"));
    CHECK_THROWS_WITH(ssim(a.view(), a.view(), -1.0), Catch::Contains("data_range"));
    const auto small = random_image(10, 12, 1, 7);
    CHECK_THROWS_WITH(ssim(small.view(), small.view()), Catch::Contains("11x11"));
    auto nan = a;
    nan(4, 4) = std::numeric_limits<float>::quiet_NaN();
    CHECK_THROWS_WITH(ssim(a.view(), nan.view()), Catch::Contains("b has a non-finite"));
    CHECK_THROWS_WITH(rmse(image_view<const float>{nullptr, 12, 12, 1, 12}, a.view()), Catch::Contains("a: data is null"));
}
