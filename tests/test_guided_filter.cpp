// svlrm::guided_filter against a float64 brute force (tests/reference), against
// OpenCV's ximgproc::guidedFilter (reflect border), and its edge cases and errors.
#include "reference/guided_filter_ref.hpp"
#include "support.hpp"

#include <svlrm/guided_filter.hpp>

#include <catch2/catch.hpp>
#include <opencv2/ximgproc.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

using svlrm::border;
using svlrm::image;
using svlrm::image_view;
using svlrm_test::random_image;

namespace {

svlrm::guided_options opts(border b) { return svlrm::guided_options{b}; }

double vs_reference(const image<float>& guide, const image<float>& input, int r, double eps, border b) {
    image<float> out(input.width(), input.height(), input.channels());
    svlrm::guided_filter(guide.view(), input.view(), out.view(), r, eps, opts(b));
    const auto ref = svlrm_ref::guided_filter(svlrm_ref::to_dplanes(guide.view()), svlrm_ref::to_dplanes(input.view()),
                                              r, eps, b == border::reflect);
    return svlrm_ref::max_abs_diff(out.view(), ref);
}

double vs_opencv(const image<float>& guide, const image<float>& input, int r, double eps) {
    image<float> out(input.width(), input.height(), input.channels());
    svlrm::guided_filter(guide.view(), input.view(), out.view(), r, eps, opts(border::reflect));
    const int h = int(guide.height()), w = int(guide.width());
    cv::Mat g(h, w, CV_32FC(int(guide.channels())), const_cast<float*>(guide.data()));
    cv::Mat p(h, w, CV_32FC(int(input.channels())), const_cast<float*>(input.data()));
    cv::Mat q;
    cv::ximgproc::guidedFilter(g, p, q, r, eps, CV_32F);
    image<float> cvq(w, h, input.channels());
    std::memcpy(cvq.data(), q.ptr<float>(), sizeof(float) * std::size_t(w * h * input.channels()));
    return svlrm_test::max_abs_diff(out.view(), cvq.view());
}

image<float> crop(const image<float>& img, std::ptrdiff_t x0, std::ptrdiff_t y0, std::ptrdiff_t w, std::ptrdiff_t h) {
    image<float> c(w, h, img.channels());
    for (std::ptrdiff_t y = 0; y < h; ++y)
        for (std::ptrdiff_t x = 0; x < w; ++x)
            for (std::ptrdiff_t k = 0; k < img.channels(); ++k) c(x, y, k) = img(x0 + x, y0 + y, k);
    return c;
}

}  // namespace

TEST_CASE("guided_filter matches the float64 brute force on random images", "[guided_filter]") {
    struct size { std::ptrdiff_t w, h; };
    for (const border b : {border::he_normalized, border::reflect})
        for (const std::ptrdiff_t gc : {1, 3})
            for (const size s : {size{1, 1}, size{7, 5}, size{64, 48}, size{130, 97}})
                for (const int r : {0, 1, 3, 8, 150})
                    for (const double eps : {1e-2, 1e-3, 1e-4}) {
                        if (s.w * s.h > 2000 && r > 8) continue;  // brute force cost
                        const auto guide = random_image(s.w, s.h, gc, 11);
                        const auto input = random_image(s.w, s.h, 1, 12);
                        INFO("border " << int(b) << " guide channels " << gc << " " << s.w << "x" << s.h << " r " << r
                                       << " eps " << eps);
                        CHECK(vs_reference(guide, input, r, eps, b) <= 1e-5);
                    }
}

TEST_CASE("colour guide stays accurate with tiny eps", "[guided_filter]") {
    auto guide = random_image(64, 48, 3, 21);
    // Nearly gray guide: Sigma_k is close to rank 1, so (Sigma_k + eps U) is badly conditioned.
    for (std::ptrdiff_t i = 0; i < guide.width() * guide.height(); ++i) {
        float* px = guide.data() + 3 * i;
        px[1] = px[0] * 0.999f + px[1] * 0.001f;
        px[2] = px[0] * 0.998f + px[2] * 0.002f;
    }
    const auto input = random_image(64, 48, 2, 22);
    for (const border b : {border::he_normalized, border::reflect})
        for (const int r : {1, 4}) CHECK(vs_reference(guide, input, r, 1e-6, b) <= 1e-5);
}

TEST_CASE("guided_filter matches the brute force on the guided filter demo images", "[guided_filter][data]") {
    const auto dir = svlrm_test::data_dir() / "guided_filter_demo";
    if (!svlrm_test::have_data() || !std::filesystem::exists(dir / "cat.bmp")) {
        WARN("shared datasets not found under " << dir << ": skipped");
        return;
    }
    const auto cat = crop(svlrm_test::load_image(dir / "cat.bmp", true), 40, 30, 90, 70);
    const auto toy = crop(svlrm_test::load_image(dir / "toy.bmp"), 200, 150, 80, 60);
    const auto mask = crop(svlrm_test::load_image(dir / "toy-mask.bmp", true), 200, 150, 80, 60);
    const auto tulips = crop(svlrm_test::load_image(dir / "tulips.bmp"), 300, 200, 80, 60);
    for (const border b : {border::he_normalized, border::reflect}) {
        CHECK(vs_reference(cat, cat, 4, 1e-2, b) <= 1e-5);            // edge-preserving smoothing
        CHECK(vs_reference(toy, mask, 8, 1e-6, b) <= 1e-5);           // feathering, colour guide, tiny eps
        CHECK(vs_reference(tulips, tulips, 3, 1e-3, b) <= 1e-5);      // colour input, colour guide
    }
}

TEST_CASE("reflect border matches OpenCV ximgproc::guidedFilter", "[guided_filter][opencv]") {
    for (const std::ptrdiff_t gc : {1, 3})
        for (const int r : {1, 4, 8}) {
            INFO("guide channels " << gc << " r " << r);
            CHECK(vs_opencv(random_image(97, 71, gc, 31), random_image(97, 71, 1, 32), r, 1e-2) <= 1e-4);
            CHECK(vs_opencv(random_image(64, 64, gc, 33), random_image(64, 64, 3, 34), r, 1e-1) <= 1e-4);
        }
    const auto dir = svlrm_test::data_dir() / "guided_filter_demo";
    if (!svlrm_test::have_data() || !std::filesystem::exists(dir / "toy.bmp")) {
        WARN("shared datasets not found under " << dir << ": real images skipped");
        return;
    }
    const auto toy = svlrm_test::load_image(dir / "toy.bmp");
    const auto mask = svlrm_test::load_image(dir / "toy-mask.bmp", true);
    const auto cat = svlrm_test::load_image(dir / "cat.bmp", true);
    // OpenCV inverts Sigma + eps U in float and replaces |det| < 1e-6 by 1 when eps < 1e-2,
    // so the comparison stays at eps >= 1e-2 where its result is meaningful.
    CHECK(vs_opencv(toy, mask, 8, 1e-2) <= 1e-4);
    CHECK(vs_opencv(cat, cat, 4, 1e-2) <= 1e-4);
}

TEST_CASE("guided_filter edge cases", "[guided_filter]") {
    SECTION("1x1 image and radius beyond the image") {
        const auto g = random_image(1, 1, 3, 41), p = random_image(1, 1, 1, 42);
        for (const border b : {border::he_normalized, border::reflect}) {
            image<float> out(1, 1, 1);
            svlrm::guided_filter(g.view(), p.view(), out.view(), 5, 1e-2, opts(b));
            // One pixel: no variance, a = 0 and q = b = p.
            CHECK(out(0, 0) == Approx(p(0, 0)).margin(1e-6));
        }
        CHECK(vs_reference(random_image(5, 3, 1, 43), random_image(5, 3, 1, 44), 12, 1e-3, border::reflect) <= 1e-5);
    }
    SECTION("padded strides leave the padding untouched") {
        const std::ptrdiff_t w = 33, h = 21, stride = w * 3 + 7;
        const auto g = random_image(w, h, 3, 45), p = random_image(w, h, 3, 46);
        std::vector<float> gb(std::size_t(stride * h), -7.0f), pb(std::size_t(stride * h), -7.0f),
            ob(std::size_t(stride * h), 42.0f);
        for (std::ptrdiff_t y = 0; y < h; ++y)
            for (std::ptrdiff_t i = 0; i < w * 3; ++i) {
                gb[std::size_t(y * stride + i)] = g.data()[y * w * 3 + i];
                pb[std::size_t(y * stride + i)] = p.data()[y * w * 3 + i];
            }
        const image_view<const float> gv{gb.data(), w, h, 3, stride}, pv{pb.data(), w, h, 3, stride};
        const image_view<float> ov{ob.data(), w, h, 3, stride};
        svlrm::guided_filter(gv, pv, ov, 3, 1e-3);
        image<float> ref(w, h, 3);
        svlrm::guided_filter(g.view(), p.view(), ref.view(), 3, 1e-3);
        CHECK(svlrm_test::max_abs_diff(ov, ref.view()) == 0.0);
        for (std::ptrdiff_t y = 0; y < h; ++y)
            for (std::ptrdiff_t i = w * 3; i < stride; ++i) CHECK(ob[std::size_t(y * stride + i)] == 42.0f);
    }
    SECTION("u8, u16 and float inputs and outputs agree with the unit-scale float path") {
        const std::ptrdiff_t w = 40, h = 30;
        image<std::uint8_t> g8(w, h, 3);
        image<std::uint16_t> p16(w, h, 1);
        const auto gf = random_image(w, h, 3, 47), pf = random_image(w, h, 1, 48);
        for (std::ptrdiff_t i = 0; i < w * h * 3; ++i) g8.data()[i] = svlrm::from_unit<std::uint8_t>(gf.data()[i]);
        for (std::ptrdiff_t i = 0; i < w * h; ++i) p16.data()[i] = svlrm::from_unit<std::uint16_t>(pf.data()[i]);
        image<float> g8f(w, h, 3), p16f(w, h, 1), expect(w, h, 1);
        for (std::ptrdiff_t i = 0; i < w * h * 3; ++i) g8f.data()[i] = svlrm::to_unit(g8.data()[i]);
        for (std::ptrdiff_t i = 0; i < w * h; ++i) p16f.data()[i] = svlrm::to_unit(p16.data()[i]);
        svlrm::guided_filter(g8f.view(), p16f.view(), expect.view(), 2, 1e-3);
        image<std::uint8_t> o8(w, h, 1);
        image<std::uint16_t> o16(w, h, 1);
        image<float> of(w, h, 1);
        svlrm::guided_filter(g8.view(), p16.view(), o8.view(), 2, 1e-3);
        svlrm::guided_filter(g8.view(), p16.view(), o16.view(), 2, 1e-3);
        svlrm::guided_filter(image_view<const std::uint8_t>(g8.view()), p16.view(), of.view(), 2, 1e-3);
        CHECK(svlrm_test::max_abs_diff(of.view(), expect.view()) == 0.0);
        CHECK(svlrm_test::max_abs_diff(o16.view(), expect.view()) <= 0.5 / 65535 + 1e-7);
        CHECK(svlrm_test::max_abs_diff(o8.view(), expect.view()) <= 0.5 / 255 + 1e-7);
    }
    SECTION("in place: out is the input, or the guide") {
        const auto g = random_image(50, 40, 1, 49), p = random_image(50, 40, 1, 50);
        image<float> expect(50, 40, 1);
        svlrm::guided_filter(g.view(), p.view(), expect.view(), 4, 1e-3);
        auto inout = p;
        svlrm::guided_filter(g.view(), inout.view(), inout.view(), 4, 1e-3);
        CHECK(svlrm_test::max_abs_diff(inout.view(), expect.view()) == 0.0);
        auto self = g;  // self-guided: guide, input and out one buffer
        image<float> self_expect(50, 40, 1);
        svlrm::guided_filter(g.view(), g.view(), self_expect.view(), 4, 1e-3);
        svlrm::guided_filter(self.view(), self.view(), self.view(), 4, 1e-3);
        CHECK(svlrm_test::max_abs_diff(self.view(), self_expect.view()) == 0.0);
        auto gq = g;  // out is the guide only
        svlrm::guided_filter(gq.view(), p.view(), gq.view(), 4, 1e-3);
        CHECK(svlrm_test::max_abs_diff(gq.view(), expect.view()) == 0.0);
    }
    SECTION("1 and 2 threads give identical bits") {
        const auto g = random_image(300, 517, 3, 51), p = random_image(300, 517, 2, 52);
        for (const border b : {border::he_normalized, border::reflect}) {
            image<float> one(300, 517, 2), two(300, 517, 2);
            svlrm::set_num_threads(1);
            svlrm::guided_filter(g.view(), p.view(), one.view(), 8, 1e-4, opts(b));
            svlrm::set_num_threads(2);
            svlrm::guided_filter(g.view(), p.view(), two.view(), 8, 1e-4, opts(b));
            svlrm::set_num_threads(0);
            CHECK(std::memcmp(one.data(), two.data(), sizeof(float) * 300 * 517 * 2) == 0);
        }
    }
}

TEST_CASE("guided_filter rejects bad arguments and leaves out untouched", "[guided_filter][errors]") {
    const std::ptrdiff_t w = 16, h = 12;
    auto g = random_image(w, h, 1, 61), p = random_image(w, h, 1, 62);
    image<float> out(w, h, 1, 3.25f);
    const auto before = out;
    auto unchanged = [&] { return std::memcmp(out.data(), before.data(), sizeof(float) * w * h) == 0; };
    using Catch::Contains;
    REQUIRE_THROWS_WITH(svlrm::guided_filter(g.view(), random_image(w + 1, h, 1, 1).view(), out.view(), 2, 1e-2),
                        Contains("input is"));
    REQUIRE_THROWS_WITH(svlrm::guided_filter(g.view(), p.view(), image<float>(w, h + 1).view(), 2, 1e-2),
                        Contains("out is"));
    image_view<float> short_stride = out.view();
    short_stride.row_stride = w - 1;
    REQUIRE_THROWS_WITH(svlrm::guided_filter(g.view(), p.view(), short_stride, 2, 1e-2), Contains("row_stride"));
    REQUIRE_THROWS_WITH(svlrm::guided_filter(image_view<const float>{nullptr, w, h, 1, w}, p.view(), out.view(), 2,
                                             1e-2),
                        Contains("null"));
    REQUIRE_THROWS_WITH(svlrm::guided_filter(g.view(), p.view(), out.view(), -1, 1e-2), Contains("radius"));
    REQUIRE_THROWS_WITH(svlrm::guided_filter(g.view(), p.view(), out.view(), 2, 0.0), Contains("eps"));
    REQUIRE_THROWS_WITH(svlrm::guided_filter(g.view(), p.view(), out.view(), 2, -1e-3), Contains("eps"));
    REQUIRE_THROWS_WITH(
        svlrm::guided_filter(g.view(), p.view(), out.view(), 2, std::numeric_limits<double>::infinity()),
        Contains("eps"));
    REQUIRE_THROWS_WITH(svlrm::guided_filter(g.view(), p.view(), out.view(), 2, std::nan("")), Contains("eps"));
    REQUIRE_THROWS_WITH(svlrm::guided_filter(random_image(w, h, 2, 1).view(), p.view(), out.view(), 2, 1e-2),
                        Contains("expected 1 or 3"));
    REQUIRE_THROWS_WITH(svlrm::guided_filter(g.view(), random_image(w, h, 3, 1).view(), out.view(), 2, 1e-2),
                        Contains("channels"));
    p(3, 4) = std::numeric_limits<float>::quiet_NaN();
    REQUIRE_THROWS_WITH(svlrm::guided_filter(g.view(), p.view(), out.view(), 2, 1e-2), Contains("non-finite"));
    p(3, 4) = 0.5f;
    g(5, 6) = std::numeric_limits<float>::infinity();
    REQUIRE_THROWS_WITH(svlrm::guided_filter(g.view(), p.view(), out.view(), 2, 1e-2), Contains("non-finite"));
    CHECK(unchanged());
}

// The box sums' prefix scan has one association on every CPU and with every flag: the
// AVX-512 kernel (chosen at run time where the CPU has it) and the portable one give
// the same bits, against a float64 sequential sum within rounding.
TEST_CASE("box filter prefix sums: the AVX-512 and portable kernels agree bit for bit", "[guided_filter]") {
    std::mt19937 rng(5);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    for (std::ptrdiff_t m : {0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1000, 1031}) {
        std::vector<double> src(std::size_t(m) + 1), fast(std::size_t(m) + 1), portable(std::size_t(m) + 1);
        for (auto& v : src) v = u(rng) * 1e3;
        svlrm::detail::prefix_sum(src.data(), fast.data(), m);
        svlrm::detail::prefix_sum(src.data(), portable.data(), m, true);
        INFO("m = " << m);
        CHECK(std::memcmp(fast.data(), portable.data(), sizeof(double) * std::size_t(m + 1)) == 0);
        long double sequential = 0;
        double worst = 0;
        for (std::ptrdiff_t i = 0; i < m; ++i) {
            sequential += src[std::size_t(i)];
            worst = std::max(worst, double(std::abs(sequential - (long double)portable[std::size_t(i) + 1])));
        }
        CHECK(worst <= 1e-9 * double(m + 1) * 1e3);
    }
}
