// joint_filter<reference>: Eq. 5 composition, value conventions, RGB guides,
// strided views, in-place use, tiling, progress/cancellation, concurrency, bad input.
#include <svlrm/backend/reference.hpp>
#include <svlrm/joint_filter.hpp>

#include "model_builder.hpp"
#include "reference/network_ref.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <cstring>
#include <thread>

using svlrm::image;
using svlrm::image_view;

namespace {

using filter_t = svlrm::joint_filter<svlrm::backend::reference>;

svlrm::model test_model(svlrm::activation act = svlrm::activation::relu) {
    return svlrm_test::random_model({2, 8, 8, 8, 8, 2}, 3, act, 21);
}

std::vector<double> plane_of(const image<float>& img, int c) {
    std::vector<double> v(img.width() * img.height());
    for (long y = 0; y < img.height(); ++y)
        for (long x = 0; x < img.width(); ++x) v[y * img.width() + x] = img(x, y, c);
    return v;
}

}  // namespace

TEST_CASE("joint_filter computes F = alpha * G + beta from the network (Eq. 5)", "[joint_filter]") {
    for (auto act : {svlrm::activation::relu, svlrm::activation::leaky_relu}) {
        svlrm::model m = test_model(act);
        for (const bool swapped : {false, true}) {
            m.guide_first = swapped;
            m.beta_first = swapped;
            m.input_scale = swapped ? 2.0f : 1.0f;
            const filter_t f(m);
            const long w = 19, h = 11;
            const auto guide = svlrm_test::random_image(w, h, 1, 1), input = svlrm_test::random_image(w, h, 1, 2);
            image<float> out(w, h), alpha(w, h), beta(w, h);
            f.apply(guide.view(), input.view(), out.view(), alpha.view(), beta.view());
            const auto expected = svlrm_ref::filter(m, plane_of(input, 0), plane_of(guide, 0), w, h);
            CHECK(svlrm_test::rel_l2(alpha.data(), expected.alpha.data(), expected.alpha.size()) <= 1e-6);
            CHECK(svlrm_test::rel_l2(beta.data(), expected.beta.data(), expected.beta.size()) <= 1e-6);
            CHECK(svlrm_test::rel_l2(out.data(), expected.output.data(), expected.output.size()) <= 1e-6);
            // apply without coefficient maps gives the same F
            image<float> out2(w, h);
            f.apply(guide.view(), input.view(), out2.view());
            CHECK(std::memcmp(out.data(), out2.data(), sizeof(float) * w * h) == 0);
        }
    }
}

TEST_CASE("joint_filter: RGB guide is BT.601 luma; colour inputs are filtered per channel", "[joint_filter]") {
    const filter_t f(test_model());
    const long w = 16, h = 9;
    const auto rgb = svlrm_test::random_image(w, h, 3, 3), input = svlrm_test::random_image(w, h, 3, 4);
    image<float> luma(w, h);
    for (long y = 0; y < h; ++y)
        for (long x = 0; x < w; ++x) luma(x, y) = 0.299f * rgb(x, y, 0) + 0.587f * rgb(x, y, 1) + 0.114f * rgb(x, y, 2);
    image<float> out_rgb(w, h, 3), out_luma(w, h, 3);
    f.apply(rgb.view(), input.view(), out_rgb.view());
    f.apply(luma.view(), input.view(), out_luma.view());
    CHECK(svlrm_test::max_abs_diff(out_rgb.view(), out_luma.view()) <= 1e-6);
    // channel 1 alone gives channel 1 of the colour result
    image<float> in1(w, h), out1(w, h);
    for (long y = 0; y < h; ++y)
        for (long x = 0; x < w; ++x) in1(x, y) = input(x, y, 1);
    f.apply(luma.view(), in1.view(), out1.view());
    for (long y = 0; y < h; ++y)
        for (long x = 0; x < w; ++x) CHECK(out1(x, y) == out_luma(x, y, 1));
}

TEST_CASE("joint_filter: u8 and u16 views follow the value conventions", "[joint_filter]") {
    const filter_t f(test_model());
    const long w = 12, h = 10;
    image<std::uint8_t> g8(w, h), i8(w, h), o8(w, h);
    image<std::uint16_t> i16(w, h), o16(w, h);
    image<float> gf(w, h), if8(w, h), if16(w, h), of8(w, h), of16(w, h);
    for (long y = 0; y < h; ++y)
        for (long x = 0; x < w; ++x) {
            g8(x, y) = std::uint8_t((x * 37 + y * 11) % 256);
            i8(x, y) = std::uint8_t((x * 7 + y * 29) % 256);
            i16(x, y) = std::uint16_t((x * 7001 + y * 2903) % 65536);
            gf(x, y) = g8(x, y) / 255.0f;
            if8(x, y) = i8(x, y) / 255.0f;
            if16(x, y) = i16(x, y) / 65535.0f;
        }
    f.apply(g8.view(), i8.view(), o8.view());
    f.apply(gf.view(), if8.view(), of8.view());
    f.apply(g8.view(), i16.view(), o16.view());
    f.apply(gf.view(), if16.view(), of16.view());
    for (long y = 0; y < h; ++y)
        for (long x = 0; x < w; ++x) {
            CHECK(o8(x, y) == svlrm::from_unit<std::uint8_t>(of8(x, y)));
            CHECK(o16(x, y) == svlrm::from_unit<std::uint16_t>(of16(x, y)));
        }
}

TEST_CASE("joint_filter: strided views, padding untouched, in-place", "[joint_filter]") {
    const filter_t f(test_model());
    const long w = 13, h = 7, stride = 20;
    const auto guide = svlrm_test::random_image(w, h, 1, 5), input = svlrm_test::random_image(w, h, 1, 6);
    image<float> dense(w, h);
    f.apply(guide.view(), input.view(), dense.view());

    std::vector<float> buf(stride * h, -7.0f);
    for (long y = 0; y < h; ++y)
        for (long x = 0; x < w; ++x) buf[y * stride + x] = input(x, y);
    image_view<float> strided{buf.data(), w, h, 1, stride};
    f.apply(guide.view(), image_view<const float>(strided), strided);  // in place, strided
    for (long y = 0; y < h; ++y) {
        for (long x = 0; x < w; ++x) CHECK(buf[y * stride + x] == dense(x, y));
        for (long x = w; x < stride; ++x) CHECK(buf[y * stride + x] == -7.0f);
    }
}

TEST_CASE("joint_filter: 1x1 and tiny images", "[joint_filter]") {
    const svlrm::model m = test_model();
    const filter_t f(m);
    for (auto [w, h] : {std::pair{1L, 1L}, std::pair{2L, 3L}, std::pair{1L, 17L}}) {
        const auto guide = svlrm_test::random_image(w, h, 1, 7), input = svlrm_test::random_image(w, h, 1, 8);
        image<float> out(w, h);
        f.apply(guide.view(), input.view(), out.view());
        const auto expected = svlrm_ref::filter(m, plane_of(input, 0), plane_of(guide, 0), w, h);
        CHECK(svlrm_test::rel_l2(out.data(), expected.output.data(), expected.output.size()) <= 1e-6);
    }
}

TEST_CASE("joint_filter: tiled equals whole-image, progress and cancellation", "[joint_filter][tiling]") {
    const svlrm::model m = test_model();
    const long w = 61, h = 47;
    const auto guide = svlrm_test::random_image(w, h, 3, 9), input = svlrm_test::random_image(w, h, 2, 10);
    image<float> whole(w, h, 2);
    filter_t(m).apply(guide.view(), input.view(), whole.view());
    for (long tile : {1L, 7L, 16L, 60L}) {
        std::vector<std::pair<long, long>> calls;
        svlrm::filter_options opts;
        opts.tile_size = tile;
        opts.progress = [&](std::ptrdiff_t done, std::ptrdiff_t total) {
            calls.emplace_back(done, total);
            return true;
        };
        const filter_t f(m, {}, opts);
        image<float> tiled(w, h, 2);
        f.apply(guide.view(), input.view(), tiled.view());
        INFO("tile " << tile);
        CHECK(svlrm_test::max_abs_diff(tiled.view(), whole.view()) <= 1e-6);
        const long tiles = 2 * ((w + tile - 1) / tile) * ((h + tile - 1) / tile);
        REQUIRE(calls.size() == std::size_t(tiles));
        CHECK(calls.back() == std::pair<long, long>{tiles, tiles});
    }
    // Cancel after 3 tiles: an exception, and the output untouched.
    svlrm::filter_options opts;
    opts.tile_size = 16;
    opts.progress = [](std::ptrdiff_t done, std::ptrdiff_t) { return done < 3; };
    image<float> out(w, h, 2, 0.25f);
    REQUIRE_THROWS_AS(filter_t(m, {}, opts).apply(guide.view(), input.view(), out.view()), svlrm::cancelled_error);
    for (long i = 0; i < w * h * 2; ++i) REQUIRE(out.data()[i] == 0.25f);
}

TEST_CASE("joint_filter: one object used from several threads gives the single-thread result", "[joint_filter][threads]") {
    const filter_t f(test_model());
    const long w = 33, h = 21;
    std::vector<image<float>> guides, inputs, expected, got;
    for (unsigned i = 0; i < 4; ++i) {
        guides.push_back(svlrm_test::random_image(w, h, 1, 100 + i));
        inputs.push_back(svlrm_test::random_image(w, h, 1, 200 + i));
        expected.emplace_back(w, h);
        got.emplace_back(w, h);
        f.apply(guides[i].view(), inputs[i].view(), expected[i].view());
    }
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < 4; ++i)
        threads.emplace_back([&, i] { f.apply(guides[i].view(), inputs[i].view(), got[i].view()); });
    for (auto& t : threads) t.join();
    for (std::size_t i = 0; i < 4; ++i)
        CHECK(std::memcmp(got[i].data(), expected[i].data(), sizeof(float) * w * h) == 0);
}

TEST_CASE("joint_filter: bad input throws and leaves outputs untouched", "[joint_filter][errors]") {
    const filter_t f(test_model());
    const long w = 8, h = 6;
    auto guide = svlrm_test::random_image(w, h, 1, 1);
    const auto input = svlrm_test::random_image(w, h, 1, 2);
    image<float> out(w, h, 1, 0.5f), alpha(w, h, 1, 0.5f), beta(w, h, 1, 0.5f);
    auto untouched = [&] {
        for (long i = 0; i < w * h; ++i)
            REQUIRE((out.data()[i] == 0.5f && alpha.data()[i] == 0.5f && beta.data()[i] == 0.5f));
    };
    const image_view<const float> g = guide.view(), in = input.view();
    const image_view<float> o = out.view();

    REQUIRE_THROWS_WITH(f.apply(image_view<const float>{g.data, w - 1, h, 1, w}, in, o),
                        Catch::Contains("guide is 7x6 but input is 8x6"));
    REQUIRE_THROWS_WITH(f.apply(g, in, image_view<float>{out.data(), w, h - 1, 1, w}),
                        Catch::Contains("input is 8x6 but out is 8x5"));
    REQUIRE_THROWS_WITH(f.apply(image_view<const float>{g.data, w / 2, h, 2, w}, image_view<const float>{in.data, w / 2, h, 1, w},
                                image_view<float>{out.data(), w / 2, h, 1, w}),
                        Catch::Contains("guide has 2 channels, expected 1 or 3"));
    REQUIRE_THROWS_WITH(f.apply(g, in, image_view<float>{out.data(), w / 2, h, 2, w}),
                        Catch::Contains("is 8x6 but out is 4x6"));
    REQUIRE_THROWS_WITH(f.apply(g, in, o, image_view<float>{alpha.data(), w / 2, h, 2, w}, beta.view()),
                        Catch::Contains("alpha"));
    // Outputs of one call that share memory would overwrite each other.
    REQUIRE_THROWS_WITH(f.apply(g, in, o, o, beta.view()), Catch::Contains("out and alpha overlap"));
    REQUIRE_THROWS_WITH(f.apply(g, in, o, alpha.view(), alpha.view()), Catch::Contains("alpha and beta overlap"));
    image<float> rows(w, h + 1);  // out and beta one row apart in one buffer
    REQUIRE_THROWS_WITH(f.apply(g, in, image_view<float>{rows.data(), w, h, 1, w}, alpha.view(),
                                image_view<float>{rows.data() + w, w, h, 1, w}),
                        Catch::Contains("out and beta overlap"));
    REQUIRE_THROWS_WITH(f.apply(image_view<const float>{g.data, w, h, 1, w - 1}, in, o),
                        Catch::Contains("row_stride (7) is smaller than width * channels (8)"));
    REQUIRE_THROWS_WITH(f.apply(image_view<const float>{nullptr, w, h, 1, w}, in, o), Catch::Contains("guide: data is null"));
    REQUIRE_THROWS_WITH(f.apply(image_view<const float>{g.data, 0, h, 1, w}, in, o), Catch::Contains("is not positive"));
    REQUIRE_THROWS_WITH(
        f.apply(image_view<const float>{g.data, std::ptrdiff_t{1} << 40, std::ptrdiff_t{1} << 40, 1, std::ptrdiff_t{1} << 40}, in, o),
        Catch::Contains("overflows"));
    REQUIRE_THROWS_WITH(f.apply(image_view<const float>{g.data, std::ptrdiff_t{1} << 20, std::ptrdiff_t{1} << 20, 1, std::ptrdiff_t{1} << 20}, in, o),
                        Catch::Contains("exceeds the pixel limit"));
    guide(3, 2) = std::numeric_limits<float>::quiet_NaN();
    REQUIRE_THROWS_WITH(f.apply(g, in, o), Catch::Contains("guide has a non-finite value (nan) at x=3 y=2 c=0"));
    guide(3, 2) = std::numeric_limits<float>::infinity();
    REQUIRE_THROWS_WITH(f.apply(g, in, o), Catch::Contains("non-finite value (inf)"));
    guide(3, 2) = 255.0f;  // a float guide on 0..255
    REQUIRE_THROWS_WITH(f.apply(g, in, o), Catch::Contains("must be on the unit scale [0, 1]"));
    guide(3, 2) = 1.5f;  // unclipped noise on the unit scale is still a guide
    image<float> elsewhere(w, h);
    REQUIRE_NOTHROW(f.apply(g, in, elsewhere.view()));
    guide(3, 2) = 0.5f;
    untouched();
    REQUIRE_THROWS_AS(filter_t(test_model(), {}, svlrm::filter_options{-1, {}}), std::invalid_argument);
    svlrm::model broken = test_model();
    broken.layers[1].bias.pop_back();
    REQUIRE_THROWS_AS(filter_t(broken), svlrm::model_error);
}

namespace {
// A backend that keeps the model it is given, to see whether it is joint_filter's copy.
struct keeping_backend : svlrm::backend::reference {
    using reference::reference;
    keeping_backend(svlrm::backend::shared_model m, const options& o) : reference(m, o), kept(std::move(m)) {}
    svlrm::backend::shared_model kept;
};
}  // namespace

TEST_CASE("joint_filter: one copy of the model, shared with a backend that keeps one", "[joint_filter]") {
    const svlrm::model m = test_model();
    const svlrm::joint_filter<keeping_backend> f(m);
    REQUIRE(f.backend().kept != nullptr);
    CHECK(f.backend().kept.get() == &f.get_model());
    CHECK(&f.get_model() != &m);
    // Copies of the filter share it too.
    const auto copy = f;
    CHECK(&copy.get_model() == &f.get_model());
    // Every backend of the library takes the shared copy.
    STATIC_REQUIRE(std::constructible_from<svlrm::backend::reference, const svlrm::backend::shared_model&,
                                           const svlrm::backend::reference::options&>);
    CHECK_THROWS_AS(svlrm::backend::reference(svlrm::backend::shared_model{}, {}), std::invalid_argument);
}
