// svlrm::fast_guided_filter: s = 1 is guided_filter, s > 1 against a float64 brute
// force of the same algorithm (tests/reference), closeness to the full filter on
// smooth images, and its argument checks.
#include "reference/guided_filter_ref.hpp"
#include "support.hpp"

#include <svlrm/guided_filter.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>

using svlrm::border;
using svlrm::image;
using svlrm_test::random_image;

namespace {

// Smooth test image: a few low-frequency sinusoids per channel on [0, 1].
image<float> smooth_image(std::ptrdiff_t w, std::ptrdiff_t h, std::ptrdiff_t c, double phase) {
    image<float> img(w, h, c);
    for (std::ptrdiff_t y = 0; y < h; ++y)
        for (std::ptrdiff_t x = 0; x < w; ++x)
            for (std::ptrdiff_t k = 0; k < c; ++k)
                img(x, y, k) = float(0.5 + 0.25 * std::sin(0.05 * x + phase + k) * std::cos(0.04 * y - phase) +
                                     0.2 * std::sin(0.013 * (x + 2 * y) + k));
    return img;
}

}  // namespace

TEST_CASE("fast_guided_filter with subsample 1 is guided_filter", "[fast_guided_filter]") {
    const auto g = random_image(70, 45, 3, 1), p = random_image(70, 45, 2, 2);
    for (const border b : {border::he_normalized, border::reflect}) {
        image<float> fast(70, 45, 2), full(70, 45, 2);
        svlrm::fast_guided_filter(g.view(), p.view(), fast.view(), 5, 1e-3, 1, {b});
        svlrm::guided_filter(g.view(), p.view(), full.view(), 5, 1e-3, {b});
        CHECK(std::memcmp(fast.data(), full.data(), sizeof(float) * 70 * 45 * 2) == 0);
    }
}

TEST_CASE("fast_guided_filter matches the float64 brute force of the same algorithm", "[fast_guided_filter]") {
    struct size { std::ptrdiff_t w, h; };
    for (const border b : {border::he_normalized, border::reflect})
        for (const std::ptrdiff_t gc : {1, 3})
            for (const size s : {size{1, 1}, size{7, 5}, size{64, 48}, size{130, 97}})
                for (const int sub : {2, 3, 4})
                    for (const int r : {0, 1, 4, 8, 40}) {
                        const auto g = random_image(s.w, s.h, gc, 3), p = random_image(s.w, s.h, 1, 4);
                        const double eps = gc == 3 ? 1e-4 : 1e-3;
                        image<float> out(s.w, s.h, 1);
                        svlrm::fast_guided_filter(g.view(), p.view(), out.view(), r, eps, sub, {b});
                        const auto ref = svlrm_ref::fast_guided_filter(svlrm_ref::to_dplanes(g.view()),
                                                                       svlrm_ref::to_dplanes(p.view()), r, eps, sub,
                                                                       b == border::reflect);
                        INFO("border " << int(b) << " guide channels " << gc << " " << s.w << "x" << s.h << " s "
                                       << sub << " r " << r);
                        CHECK(svlrm_ref::max_abs_diff(out.view(), ref) <= 1e-5);
                    }
}

TEST_CASE("fast_guided_filter is close to guided_filter on smooth images", "[fast_guided_filter]") {
    const auto g = smooth_image(160, 120, 3, 0.3), p = smooth_image(160, 120, 1, 1.1);
    image<float> fast(160, 120, 1), full(160, 120, 1);
    svlrm::fast_guided_filter(g.view(), p.view(), fast.view(), 8, 1e-2, 4);
    svlrm::guided_filter(g.view(), p.view(), full.view(), 8, 1e-2);
    // Away from the border (where the low-resolution windows are clipped differently)
    // the subsampled statistics are close to the full ones.
    double interior = 0;
    for (std::ptrdiff_t y = 16; y < 120 - 16; ++y)
        for (std::ptrdiff_t x = 16; x < 160 - 16; ++x) interior = std::max(interior, double(std::abs(fast(x, y) - full(x, y))));
    CHECK(interior <= 1e-2);  // measured 6.2e-3: the low-resolution window spans 20 px, the full one 17
}

TEST_CASE("fast_guided_filter: threads, in place, integer types", "[fast_guided_filter]") {
    const auto g = random_image(203, 151, 1, 5), p = random_image(203, 151, 1, 6);
    image<float> one(203, 151, 1), two(203, 151, 1);
    svlrm::set_num_threads(1);
    svlrm::fast_guided_filter(g.view(), p.view(), one.view(), 8, 1e-3, 4);
    svlrm::set_num_threads(2);
    svlrm::fast_guided_filter(g.view(), p.view(), two.view(), 8, 1e-3, 4);
    svlrm::set_num_threads(0);
    CHECK(std::memcmp(one.data(), two.data(), sizeof(float) * 203 * 151) == 0);

    auto inout = p;
    svlrm::fast_guided_filter(g.view(), inout.view(), inout.view(), 8, 1e-3, 4);
    CHECK(svlrm_test::max_abs_diff(inout.view(), one.view()) == 0.0);

    image<std::uint8_t> g8(203, 151, 1), o8(203, 151, 1);
    image<float> g8f(203, 151, 1), expect(203, 151, 1);
    for (std::ptrdiff_t i = 0; i < 203 * 151; ++i) {
        g8.data()[i] = svlrm::from_unit<std::uint8_t>(g.data()[i]);
        g8f.data()[i] = svlrm::to_unit(g8.data()[i]);
    }
    svlrm::fast_guided_filter(g8f.view(), p.view(), expect.view(), 8, 1e-3, 4);
    svlrm::fast_guided_filter(g8.view(), p.view(), o8.view(), 8, 1e-3, 4);
    CHECK(svlrm_test::max_abs_diff(o8.view(), expect.view()) <= 0.5 / 255 + 1e-7);
}

TEST_CASE("fast_guided_filter rejects bad arguments and leaves out untouched", "[fast_guided_filter][errors]") {
    const auto g = random_image(16, 12, 1, 7), p = random_image(16, 12, 1, 8);
    image<float> out(16, 12, 1, 3.25f);
    const auto before = out;
    using Catch::Contains;
    REQUIRE_THROWS_WITH(svlrm::fast_guided_filter(g.view(), p.view(), out.view(), 4, 1e-2, 0), Contains("subsample"));
    REQUIRE_THROWS_WITH(svlrm::fast_guided_filter(g.view(), p.view(), out.view(), -2, 1e-2, 2), Contains("radius"));
    REQUIRE_THROWS_WITH(svlrm::fast_guided_filter(g.view(), p.view(), out.view(), 4, 0.0, 2), Contains("eps"));
    REQUIRE_THROWS_WITH(svlrm::fast_guided_filter(g.view(), random_image(16, 11, 1, 9).view(), out.view(), 4, 1e-2, 2),
                        Contains("input is"));
    REQUIRE_THROWS_WITH(
        svlrm::fast_guided_filter(random_image(16, 12, 4, 9).view(), p.view(), out.view(), 4, 1e-2, 2),
        Contains("expected 1 or 3"));
    CHECK(std::memcmp(out.data(), before.data(), sizeof(float) * 16 * 12) == 0);
}
