// svlrm::upsample_input builds a depth-upsampling model's input the way the model was
// trained: the model's input_upsampling picks bicubic, or JBU on the guide as given (a
// colour guide's range kernel compares RGB: the JBU baseline itself). Checked against
// the resamplers called directly.
#include <svlrm/depth_upsampling.hpp>

#include "support.hpp"

#include <catch2/catch.hpp>

TEST_CASE("upsample_input: bicubic models get resize_bicubic, jbu models JBU on the colour guide", "[resample]") {
    const auto rgb = svlrm_test::random_image(64, 40, 3, 11);
    const auto low = svlrm_test::random_image(8, 5, 2, 12);  // two channels, x8
    svlrm::model m;
    svlrm::image<float> got(64, 40, 2), expected(64, 40, 2);

    svlrm::upsample_input(m, rgb.view(), low.view(), got.view());
    svlrm::resize_bicubic(low.view(), expected.view());
    CHECK(svlrm_test::max_abs_diff(got.view(), expected.view()) == 0.0);

    m.input_upsampling = svlrm::input_upsampling::jbu;
    svlrm::upsample_input(m, rgb.view(), low.view(), got.view());
    svlrm::joint_bilateral_upsample(rgb.view(), low.view(), expected.view(), svlrm::jbu_options{});
    CHECK(svlrm_test::max_abs_diff(got.view(), expected.view()) == 0.0);
    // ... and not JBU on the luma (what depth_sr's training started from until 2026-12-01)
    svlrm::image<float> luma(64, 40), from_luma(64, 40, 2);
    for (long y = 0; y < 40; ++y)
        for (long x = 0; x < 64; ++x)
            luma(x, y) = 0.299f * rgb(x, y, 0) + 0.587f * rgb(x, y, 1) + 0.114f * rgb(x, y, 2);
    svlrm::joint_bilateral_upsample(luma.view(), low.view(), from_luma.view(), svlrm::jbu_options{});
    CHECK(svlrm_test::max_abs_diff(got.view(), from_luma.view()) > 1e-2);
    // a gray guide is used as it is
    svlrm::upsample_input(m, luma.view(), low.view(), got.view());
    CHECK(svlrm_test::max_abs_diff(got.view(), from_luma.view()) == 0.0);

    // Any ratio is upsampled (64 / 10 by 40 / 3: each axis its own factor); a low-resolution
    // input larger than the guide is refused, out untouched.
    svlrm::image<float> out(64, 40, 2, 0.5f);
    const auto small = svlrm_test::random_image(10, 3, 2, 13);
    svlrm::upsample_input(m, rgb.view(), small.view(), out.view());
    svlrm::image<float> want(64, 40, 2);
    svlrm::joint_bilateral_upsample(rgb.view(), small.view(), want.view());
    CHECK(svlrm_test::max_abs_diff(out.view(), want.view()) == 0.0);
    svlrm::image<float> kept(64, 40, 2, 0.5f);
    const auto large = svlrm_test::random_image(70, 40, 2, 14);
    REQUIRE_THROWS_AS(svlrm::upsample_input(m, rgb.view(), large.view(), kept.view()), std::invalid_argument);
    CHECK(kept(3, 3, 1) == 0.5f);
}
