// The trainer's degradation (tools/train/degrade.py, numpy) and the library's
// (svlrm::decimate + svlrm::resize_bicubic) must agree: models learn to invert the
// degradation they were trained on, and meet the library's at inference. The same
// holds for the joint bilateral upsampling of models with input_upsampling = jbu.
#include <svlrm/depth_upsampling.hpp>
#include <svlrm/resample.hpp>

#include "image_io.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>

TEST_CASE("the trainer's point decimation + bicubic upsampling equals the library's", "[resample][trainer]") {
    const auto dir = std::filesystem::temp_directory_path() / "svlrm_trainer_bicubic";
    std::filesystem::create_directories(dir);
    const auto depth = svlrm_test::random_image(97, 61, 1, 5);
    svlrm_tools::write_npy(dir / "in.npy", depth.view());
    for (int scale : {4, 8, 16}) {
        const std::string cmd = svlrm_test::python_module("tools.train.check_bicubic") + " " +
                                (dir / "in.npy").string() + " " + (dir / "out.npy").string() + " --decimate " +
                                std::to_string(scale);
        REQUIRE(std::system(cmd.c_str()) == 0);
        const auto python = svlrm_tools::read_npy(dir / "out.npy").pixels;

        svlrm::image<float> low(97 / scale, 61 / scale), up(low.width() * scale, low.height() * scale);
        svlrm::decimate(depth.view(), low.view(), scale);
        svlrm::resize_bicubic(low.view(), up.view());
        REQUIRE(python.width() == up.width());
        REQUIRE(python.height() == up.height());
        INFO("scale " << scale);
        CHECK(svlrm_test::max_abs_diff(python.view(), up.view()) <= 1e-6);
    }
    std::filesystem::remove_all(dir);
}

TEST_CASE("the trainer's point decimation + JBU upsampling equals svlrm::upsample_input's", "[resample][trainer]") {
    const auto dir = std::filesystem::temp_directory_path() / "svlrm_trainer_jbu";
    std::filesystem::create_directories(dir);
    const auto depth = svlrm_test::random_image(97, 61, 1, 6);
    svlrm_tools::write_npy(dir / "in.npy", depth.view());
    svlrm::model m;
    m.input_upsampling = svlrm::input_upsampling::jbu;
    // a gray and a colour guide (the trainer's JBU start reads the colour), sizes that decimate at 16
    for (const long channels : {1L, 3L}) {
        const auto guide = svlrm_test::random_image(96, 48, channels, 7);
        for (int scale : {4, 8, 16}) {
            const long w = 96 / scale * scale, h = 48 / scale * scale;
            svlrm::image<float> g(w, h, channels);
            for (long y = 0; y < h; ++y)
                for (long x = 0; x < w; ++x)
                    for (long c = 0; c < channels; ++c) g(x, y, c) = guide(x, y, c);
            svlrm_tools::write_npy(dir / "guide.npy", g.view());
            const std::string cmd = svlrm_test::python_module("tools.train.check_bicubic") + " " +
                                    (dir / "in.npy").string() + " " + (dir / "out.npy").string() + " " +
                                    std::to_string(h) + " " + std::to_string(w) + " --decimate " +
                                    std::to_string(scale) + " --jbu " + (dir / "guide.npy").string();
            REQUIRE(std::system(cmd.c_str()) == 0);
            const auto python = svlrm_tools::read_npy(dir / "out.npy").pixels;

            svlrm::image<float> crop(w, h), low(w / scale, h / scale), up(w, h);
            for (long y = 0; y < h; ++y)
                for (long x = 0; x < w; ++x) crop(x, y) = depth(x, y);
            svlrm::decimate(crop.view(), low.view(), scale);
            svlrm::upsample_input(m, g.view(), low.view(), up.view());
            REQUIRE(python.width() == up.width());
            REQUIRE(python.height() == up.height());
            INFO("scale " << scale << ", guide channels " << channels);
            // the library sums the colour distance and takes exp in float32, the trainer in float64
            CHECK(svlrm_test::max_abs_diff(python.view(), up.view()) <= (channels == 1 ? 1e-6 : 2e-6));
        }
    }
    std::filesystem::remove_all(dir);
}
