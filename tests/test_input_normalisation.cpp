// input_normalisation = valid_range (docs/weights-format.md): each input channel is
// stretched from the range of its nonzero pixels to [0, 1] before the network and F
// mapped back. Checked against the float64 reference (which has its own min / max
// loop), tiled and self-ensemble runs against the whole image, the affine
// equivariance the feature exists for (depth in any units and offset gives one
// result), holes (0) left out of the range, and outputs untouched on error.
#include <svlrm/backend/reference.hpp>
#include <svlrm/detail/valid_range.hpp>
#include <svlrm/joint_filter.hpp>

#include "backend_parity.hpp"
#include "model_builder.hpp"
#include "reference/network_ref.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

using svlrm::image;
using svlrm::image_view;

namespace {

using filter_t = svlrm::joint_filter<svlrm::backend::reference>;

svlrm::model range_model(svlrm::activation act = svlrm::activation::relu, unsigned seed = 41) {
    svlrm::model m = svlrm_test::random_model({2, 8, 8, 8, 8, 2}, 3, act, seed);
    m.input_normalisation = svlrm::input_normalisation::valid_range;
    return m;
}

// Uniform values in [lo, hi] (both reached), with a hole (0) at every 11th pixel
// when `holes`: a depth map on the unit scale.
image<float> depth_like(long w, long h, unsigned seed, float lo, float hi, bool holes) {
    image<float> d = svlrm_test::random_image(w, h, 1, seed, lo, hi);
    d(0, 0) = lo;
    d(w - 1, h - 1) = hi;
    if (holes)
        for (long i = 5; i < w * h - 1; i += 11) d.data()[i] = 0.0f;
    return d;
}

std::vector<double> plane_of(const image<float>& img, int c = 0) {
    std::vector<double> v(img.width() * img.height());
    for (long y = 0; y < img.height(); ++y)
        for (long x = 0; x < img.width(); ++x) v[y * img.width() + x] = img(x, y, c);
    return v;
}

double max_abs(const image<float>& a, const image<float>& b) {
    return svlrm_test::max_abs_diff(a.view(), b.view());
}

}  // namespace

// Float64 reference vs float32 im2col/GEMM through 5 layers: relative L2 <= 1e-5.
TEST_CASE("valid_range: joint_filter matches the float64 reference", "[joint_filter][normalisation]") {
    for (auto act : {svlrm::activation::relu, svlrm::activation::leaky_relu})
        for (const bool swapped : {false, true}) {
            svlrm::model m = range_model(act);
            m.guide_first = m.beta_first = swapped;
            m.input_scale = swapped ? 2.0f : 1.0f;
            m.guide_scale = swapped ? 0.5f : 1.0f;
            const long w = 23, h = 17;  // not square
            const auto guide = svlrm_test::random_image(w, h, 1, 1);
            // 16-bit millimetres 955..2702 on the unit scale, with holes.
            const auto input = depth_like(w, h, 2, 955.0f / 65535.0f, 2702.0f / 65535.0f, true);
            const auto got = svlrm_test::run_filter(filter_t(m), guide, input);
            const auto expected = svlrm_ref::filter(m, plane_of(input), plane_of(guide), w, h);
            INFO((act == svlrm::activation::relu ? "relu" : "leaky_relu") << (swapped ? ", swapped orders, scales 2, 0.5" : ""));
            CHECK(svlrm_test::rel_l2(got.alpha.data(), expected.alpha.data(), expected.alpha.size()) <= 1e-5);
            CHECK(svlrm_test::rel_l2(got.beta.data(), expected.beta.data(), expected.beta.size()) <= 1e-5);
            CHECK(svlrm_test::rel_l2(got.f.data(), expected.output.data(), expected.output.size()) <= 1e-5);
            // The same model without normalisation gives another result: the test sees the feature.
            m.input_normalisation = svlrm::input_normalisation::none;
            CHECK(svlrm_test::rel(svlrm_test::run_filter(filter_t(m), guide, input).f, got.f) > 1e-3);
        }
}

// The range is taken over the whole channel before tiling, so tiles agree with the
// whole image as without normalisation: F within 1e-6 absolute (the bound of the plain
// tiling test), alpha and beta within 1e-6 relative L2.
TEST_CASE("valid_range: tiled and self-ensemble runs equal the whole image", "[joint_filter][normalisation][tiling]") {
    const svlrm::model m = range_model();
    const long w = 61, h = 47;
    const auto guide = svlrm_test::random_image(w, h, 3, 9);
    // Two channels with different ranges: each has its own.
    const auto c0 = depth_like(w, h, 10, 0.3f, 0.34f, true), c1 = depth_like(w, h, 11, 0.01f, 0.9f, false);
    image<float> input(w, h, 2);
    for (long y = 0; y < h; ++y)
        for (long x = 0; x < w; ++x) input(x, y, 0) = c0(x, y), input(x, y, 1) = c1(x, y);
    for (const bool ensemble : {false, true}) {
        svlrm::filter_options opts;
        opts.self_ensemble = ensemble;
        image<float> whole(w, h, 2), whole_alpha(w, h, 2), whole_beta(w, h, 2);
        filter_t(m, {}, opts).apply(guide.view(), input.view(), whole.view(), whole_alpha.view(), whole_beta.view());
        for (long tile : {7L, 16L}) {
            opts.tile_size = tile;
            image<float> tiled(w, h, 2), alpha(w, h, 2), beta(w, h, 2);
            filter_t(m, {}, opts).apply(guide.view(), input.view(), tiled.view(), alpha.view(), beta.view());
            INFO("tile " << tile << (ensemble ? ", self-ensemble" : ""));
            CHECK(max_abs(tiled, whole) <= 1e-6);
            // The holes give the network values of -7.5 (-lo / span): larger coefficients.
            CHECK(svlrm_test::rel(alpha, whole_alpha) <= 1e-6);
            CHECK(svlrm_test::rel(beta, whole_beta) <= 1e-6);
        }
        opts.tile_size = 0;
        // Channel 1 alone gives channel 1 of the two-channel run: the range is per channel.
        image<float> alone(w, h);
        filter_t(m, {}, opts).apply(guide.view(), c1.view(), alone.view());
        double d = 0;
        for (long y = 0; y < h; ++y)
            for (long x = 0; x < w; ++x) d = std::max(d, double(std::abs(alone(x, y) - whole(x, y, 1))));
        CHECK(d <= 1e-6);
    }
}

// The same depth as float, as 16-bit millimetres over a narrow and a wide range, and
// as 8 bits: each is u = a * n + b for one n in [0, 1], so the network sees n in
// every case and F mapped back, (F - b) / a, must agree. The inputs differ only by
// float32 rounding (~1e-7 of the span), so 1e-5 of the span on n. u8 cannot hold
// the 1748 levels: it is compared with the float run of its own quantised depth.
TEST_CASE("valid_range: depth in any units and offset gives the same result (affine equivariance)",
          "[joint_filter][normalisation]") {
    const long w = 40, h = 31;
    const long levels = 1747;  // 955..2702 mm
    std::mt19937 rng(5);
    std::uniform_int_distribution<long> noise(-40, 40);
    std::vector<long> k(w * h), k8(w * h);  // n = k / 1747 and, quantised, n8 = k8 / 254
    for (long y = 0; y < h; ++y)
        for (long x = 0; x < w; ++x) {
            const double smooth = 0.5 + 0.45 * std::sin(0.21 * x) * std::cos(0.17 * y);
            k[y * w + x] = std::clamp(std::lround(smooth * levels) + noise(rng), 0L, levels);
        }
    k.front() = 0;
    k.back() = levels;
    for (std::size_t i = 0; i < k.size(); ++i) k8[i] = std::lround(double(k[i]) * 254 / levels);
    const auto guide = svlrm_test::random_image(w, h, 1, 6);

    struct encoding {
        const char* name;
        double a, b;  // unit-scale value = a * n + b
    };
    const encoding as_float{"float 0.05 + 0.9 n", 0.9, 0.05};
    const encoding narrow{"u16 955..2702 mm", levels / 65535.0, 955 / 65535.0};
    const encoding wide{"u16 500 + 37 k", 37.0 * levels / 65535.0, 500 / 65535.0};
    const encoding eight{"u8 1 + k8", 254 / 255.0, 1 / 255.0};

    for (auto act : {svlrm::activation::relu, svlrm::activation::leaky_relu}) {
        svlrm::model m = range_model(act, 43);
        image<float> f_float(w, h), f_float8(w, h);
        image<std::uint16_t> d_narrow(w, h), d_wide(w, h);
        image<std::uint8_t> d8(w, h);
        for (long i = 0; i < w * h; ++i) {
            f_float.data()[i] = float(as_float.a * k[i] / levels + as_float.b);
            f_float8.data()[i] = float(as_float.a * k8[i] / 254 + as_float.b);
            d_narrow.data()[i] = std::uint16_t(955 + k[i]);
            d_wide.data()[i] = std::uint16_t(500 + 37 * k[i]);
            d8.data()[i] = std::uint8_t(1 + k8[i]);
        }
        auto run = [&](auto input, const encoding& e, image<float>& n, image<float>& alpha, image<float>& beta) {
            image<float> f(w, h);
            filter_t(m).apply(guide.view(), input, f.view(), alpha.view(), beta.view());
            for (long i = 0; i < w * h; ++i) n.data()[i] = float((f.data()[i] - e.b) / e.a);
        };
        image<float> n_ref(w, h), a_ref(w, h), b_ref(w, h), n8_ref(w, h), a8_ref(w, h), b8_ref(w, h);
        run(f_float.view(), as_float, n_ref, a_ref, b_ref);
        run(f_float8.view(), as_float, n8_ref, a8_ref, b8_ref);
        auto compare = [&](auto input, const encoding& e, const image<float>& n0, const image<float>& a0,
                           const image<float>& b0) {
            image<float> n(w, h), alpha(w, h), beta(w, h);
            run(input, e, n, alpha, beta);
            INFO(e.name << (act == svlrm::activation::relu ? ", relu" : ", leaky_relu"));
            CHECK(max_abs(n, n0) <= 1e-5);      // F, mapped back, as a fraction of the span
            CHECK(max_abs(alpha, a0) <= 1e-5);  // alpha and beta are on the network's scale:
            CHECK(max_abs(beta, b0) <= 1e-5);   // the same for every encoding
        };
        compare(d_narrow.view(), narrow, n_ref, a_ref, b_ref);
        compare(d_wide.view(), wide, n_ref, a_ref, b_ref);
        compare(d8.view(), eight, n8_ref, a8_ref, b8_ref);

        // Without normalisation the narrow 16-bit depth is another input altogether.
        m.input_normalisation = svlrm::input_normalisation::none;
        image<float> n_none(w, h), a_none(w, h), b_none(w, h);
        run(d_narrow.view(), narrow, n_none, a_none, b_none);
        CHECK(max_abs(n_none, n_ref) > 1e-2);
    }
}

TEST_CASE("valid_range: the range skips holes (0), per channel, over the whole view", "[normalisation]") {
    using svlrm::valid_range;
    SECTION("float, with holes and a negative value") {
        const float v[] = {0.0f, 0.3f, 0.5f, 0.0f, 0.45f, -0.25f};
        const auto r = valid_range(image_view<const float>{v, 3, 2, 1, 3}, 0);
        CHECK(r.lo == -0.25f);
        CHECK(r.span == 0.5f + 0.25f);
    }
    SECTION("u16 millimetres") {
        const std::uint16_t v[] = {0, 2702, 955, 0, 1500, 0};
        const auto r = valid_range(image_view<const std::uint16_t>{v, 6, 1, 1, 6}, 0);
        CHECK(r.lo == svlrm::to_unit(std::uint16_t(955)));
        CHECK(r.span == svlrm::to_unit(std::uint16_t(2702)) - svlrm::to_unit(std::uint16_t(955)));
    }
    SECTION("u8, two channels, strided: each channel its own range, padding not read") {
        // rows of 2 pixels x 2 channels, stride 6: elements 4, 5 of each row are padding.
        const std::uint8_t v[] = {10, 0, 20, 200, 255, 255,  //
                                  0, 100, 30, 150, 1, 1};
        const image_view<const std::uint8_t> view{v, 2, 2, 2, 6};
        const auto r0 = valid_range(view, 0), r1 = valid_range(view, 1);
        CHECK(r0.lo == svlrm::to_unit(std::uint8_t(10)));
        CHECK(r0.span == svlrm::to_unit(std::uint8_t(30)) - svlrm::to_unit(std::uint8_t(10)));
        CHECK(r1.lo == svlrm::to_unit(std::uint8_t(100)));
        CHECK(r1.span == svlrm::to_unit(std::uint8_t(200)) - svlrm::to_unit(std::uint8_t(100)));
    }
    SECTION("every pixel a hole: flat") {
        const float v[] = {0.0f, 0.0f, -0.0f};
        const auto r = valid_range(image_view<const float>{v, 3, 1, 1, 3}, 0);
        CHECK(r.flat);
    }
    SECTION("one value (and holes): flat at that value") {
        const float v[] = {0.7f, 0.0f, 0.7f};
        const auto r = valid_range(image_view<const float>{v, 3, 1, 1, 3}, 0);
        CHECK(r.flat);
        CHECK(r.lo == 0.7f);
    }
    SECTION("two values: not flat") {
        const float v[] = {0.7f, 0.0f, 0.7001f};
        CHECK_FALSE(valid_range(image_view<const float>{v, 3, 1, 1, 3}, 0).flat);
    }
}

// joint_filter with valid_range is the plain (none) model on the input normalised by
// hand over its nonzero pixels, mapped back: holes are out of the range there too.
TEST_CASE("valid_range: joint_filter is the plain model on the input normalised by hand", "[joint_filter][normalisation]") {
    const svlrm::model m = range_model();
    svlrm::model plain = m;
    plain.input_normalisation = svlrm::input_normalisation::none;
    const long w = 29, h = 19;
    const auto guide = svlrm_test::random_image(w, h, 1, 12);
    auto input = depth_like(w, h, 13, 0.2f, 0.25f, true);
    input(3, 3) = 0.0f;  // and a hole that would be the minimum if it counted
    float lo = 1, hi = 0;
    for (long i = 0; i < w * h; ++i)
        if (input.data()[i] != 0.0f) lo = std::min(lo, input.data()[i]), hi = std::max(hi, input.data()[i]);
    image<float> normalised(w, h);
    for (long i = 0; i < w * h; ++i) normalised.data()[i] = (input.data()[i] - lo) / (hi - lo);
    const auto got = svlrm_test::run_filter(filter_t(m), guide, input);
    const auto by_hand = svlrm_test::run_filter(filter_t(plain), guide, normalised);
    image<float> mapped(w, h);
    for (long i = 0; i < w * h; ++i) mapped.data()[i] = lo + (hi - lo) * by_hand.f.data()[i];
    CHECK(max_abs(got.f, mapped) <= 1e-6);
    CHECK(max_abs(got.alpha, by_hand.alpha) <= 1e-5);
    CHECK(max_abs(got.beta, by_hand.beta) <= 1e-5);
}

TEST_CASE("valid_range: errors and cancellation leave the outputs untouched", "[joint_filter][normalisation][errors]") {
    const svlrm::model m = range_model();
    const long w = 20, h = 18;
    const auto guide = svlrm_test::random_image(w, h, 1, 14);
    auto input = depth_like(w, h, 15, 0.3f, 0.4f, true);
    image<float> out(w, h, 1, 0.5f), alpha(w, h, 1, 0.5f), beta(w, h, 1, 0.5f);
    svlrm::filter_options opts;
    opts.tile_size = 8;
    opts.progress = [](std::ptrdiff_t done, std::ptrdiff_t) { return done < 2; };
    REQUIRE_THROWS_AS(filter_t(m, {}, opts).apply(guide.view(), input.view(), out.view(), alpha.view(), beta.view()),
                      svlrm::cancelled_error);
    input(4, 4) = std::numeric_limits<float>::quiet_NaN();
    REQUIRE_THROWS_AS(filter_t(m).apply(guide.view(), input.view(), out.view(), alpha.view(), beta.view()),
                      std::invalid_argument);
    for (long i = 0; i < w * h; ++i)
        REQUIRE((out.data()[i] == 0.5f && alpha.data()[i] == 0.5f && beta.data()[i] == 0.5f));
}

// An image filtered in parts (the Python package's chunked arrays): each part with
// its halo, given the extents of the whole image, equals the whole image's result on
// the part. Without them each part would be stretched by its own range.
TEST_CASE("valid_range: apply_part with the whole image's extents equals the whole image", "[joint_filter][normalisation][tiling]") {
    const svlrm::model m = range_model();
    const long w = 53, h = 41, halo = m.receptive_radius();
    const auto guide = svlrm_test::random_image(w, h, 1, 21);
    const auto input = depth_like(w, h, 22, 0.2f, 0.6f, true);
    image<float> whole(w, h);
    filter_t(m).apply(guide.view(), input.view(), whole.view());

    // The part [20, 40) x [10, 30) with its halo: x in [20 - halo, 40 + halo) clipped.
    const long x0 = std::max(0L, 20 - halo), x1 = std::min(w, 40 + halo);
    const long y0 = std::max(0L, 10 - halo), y1 = std::min(h, 30 + halo);
    const auto crop = [&](const image<float>& img) {
        return image_view<const float>{img.data() + y0 * w + x0, x1 - x0, y1 - y0, 1, w};
    };
    svlrm::value_extent parts;  // the whole's extent merged from two halves, as a caller would
    parts = parts.merge(svlrm::valid_extent(image_view<const float>{input.data(), w, h / 2, 1, w}, 0));
    parts = parts.merge(svlrm::valid_extent(image_view<const float>{input.data() + (h / 2) * w, w, h - h / 2, 1, w}, 0));
    const svlrm::value_extent whole_extent = svlrm::valid_extent(input.view(), 0);
    REQUIRE(parts.min == whole_extent.min);
    REQUIRE(parts.max == whole_extent.max);

    image<float> part(x1 - x0, y1 - y0), own(x1 - x0, y1 - y0);
    filter_t(m).apply_part(crop(guide), crop(input), part.view(), std::span(&parts, 1));
    filter_t(m).apply(crop(guide), crop(input), own.view());
    double d = 0, d_own = 0;
    for (long y = 10; y < 30; ++y)
        for (long x = 20; x < 40; ++x) {
            d = std::max(d, double(std::abs(part(x - x0, y - y0) - whole(x, y))));
            d_own = std::max(d_own, double(std::abs(own(x - x0, y - y0) - whole(x, y))));
        }
    CHECK(d == 0.0);
    CHECK(d_own > 1e-4);  // the part's own range is another map

    image<float> out(x1 - x0, y1 - y0, 1, 0.5f);
    const svlrm::value_extent two[2] = {parts, parts};
    REQUIRE_THROWS_WITH(filter_t(m).apply_part(crop(guide), crop(input), out.view(), std::span(two, 2)),
                        Catch::Contains("2 extents for an input of 1 channels"));
    for (long i = 0; i < out.width() * out.height(); ++i) REQUIRE(out.data()[i] == 0.5f);
}
