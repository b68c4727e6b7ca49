// Depth that real cameras deliver and the network never saw in training: flat, nearly
// flat, one valid pixel, nothing valid, holes. Each is either handled or refused, never
// answered with invented structure (issue 25: a flat 1000 mm map upsampled to
// 410..2290 mm, an all-zero map to 37..450 mm). Every bundled depth model runs here, on
// the reference backend, under strongly textured guides. (image_denoise is not a depth
// model: on a flat image its zero-padded border moves a few levels, 1.5 / 255 measured on
// a flat 0.015, which no relative bound on so dark a value can hold.)
#include "support.hpp"

#include <svlrm/backend/reference.hpp>
#include <svlrm/depth_upsampling.hpp>
#include <svlrm/joint_filter.hpp>
#include <svlrm/missing.hpp>
#include <svlrm/model.hpp>
#include <svlrm/resample.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <random>
#include <string>
#include <vector>

using svlrm::image;

namespace {

namespace fs = std::filesystem;
using filter_t = svlrm::joint_filter<svlrm::backend::reference>;
constexpr long side = 64;

// Binary 6-pixel checks in colour, full contrast: what a guide-copying model imprints most.
image<float> checker_guide() {
    image<float> g(side, side, 3);
    for (long y = 0; y < side; ++y)
        for (long x = 0; x < side; ++x) {
            const bool on = (x / 6 + y / 6) % 2;
            g(x, y, 0) = on ? 0.95f : 0.05f, g(x, y, 1) = on ? 0.9f : 0.1f, g(x, y, 2) = on ? 0.2f : 0.8f;
        }
    return g;
}

struct bundled {
    std::string name;
    svlrm::model m;
};

std::vector<bundled> models() {
    std::vector<bundled> found;
    for (const char* name : {"depth_sr", "depth_sr_sensor", "depth_restore"}) {
        const fs::path p = svlrm_test::source_dir() / "models" / (std::string(name) + ".safetensors");
        if (fs::exists(p)) found.push_back({name, svlrm::model::load(p)});
    }
    return found;
}

bool upsamples(const svlrm::model& m) {
    const std::string* t = m.meta("task");
    return t && *t == "depth_upsampling";
}

// The model on `low` (16-bit millimetres): upsampled to side x side by its own start
// where it upsamples, else filtered at its size.
image<std::uint16_t> run(const bundled& b, const image<std::uint16_t>& low, const image<float>& guide) {
    const filter_t net(b.m);
    image<std::uint16_t> in = low, out(side, side);
    if (upsamples(b.m)) {
        in = image<std::uint16_t>(side, side);
        svlrm::upsample_input(b.m, guide.view(), low.view(), in.view());
    }
    net.apply(guide.view(), in.view(), out.view());
    return out;
}

image<std::uint16_t> constant(long w, long h, std::uint16_t v) { return image<std::uint16_t>(w, h, 1, v); }

std::pair<int, int> extent(const image<std::uint16_t>& v) {
    const auto [lo, hi] = std::minmax_element(v.data(), v.data() + v.width() * v.height());
    return {*lo, *hi};
}

}  // namespace

TEST_CASE("flat depth stays flat under a textured guide, every bundled depth model, x1..x16", "[models][degenerate]") {
    const auto all = models();
    if (all.empty()) WARN("no bundled models: skipped");
    const image<float> guide = checker_guide();
    for (const auto& b : all)  // low-resolution sides 32, 24, 16, 8, 4: x2, x2.67, x4, x8, x16
        for (const long lw : upsamples(b.m) ? std::vector<long>{32, 24, 16, 8, 4} : std::vector<long>{side}) {
            INFO(b.name << " x" << double(side) / double(lw));
            // constant 1000 mm: exactly 1000 mm (the filters return a flat channel as it is)
            CHECK(extent(run(b, constant(lw, lw, 1000), guide)) == std::pair{1000, 1000});
            // a 1 mm step (1000 | 1001 mm): within 0.1% (1 mm) of the input's range
            image<std::uint16_t> step = constant(lw, lw, 1000);
            for (long y = 0; y < lw; ++y)
                for (long x = lw / 2; x < lw; ++x) step(x, y) = 1001;
            const auto [lo, hi] = extent(run(b, step, guide));
            CHECK(lo >= 999);
            CHECK(hi <= 1002);
            // sensor noise of +-2 mm on a flat 1000 mm: within 0.1% (1 mm) of the input's range
            std::mt19937 rng{static_cast<unsigned>(lw)};
            std::uniform_int_distribution<int> noise(-2, 2);
            image<std::uint16_t> noisy = constant(lw, lw, 1000);
            for (long i = 0; i < lw * lw; ++i) noisy.data()[i] = std::uint16_t(1000 + noise(rng));
            const auto [nlo, nhi] = extent(run(b, noisy, guide));
            CHECK(nlo >= 998 - 1);
            CHECK(nhi <= 1002 + 1);
        }
}

TEST_CASE("one valid pixel or none: filled flat, or left missing", "[models][degenerate]") {
    const auto all = models();
    const image<float> guide = checker_guide();
    for (const auto& b : all) {
        const long lw = upsamples(b.m) ? side / 4 : side;
        INFO(b.name);
        image<float> one(lw, lw, 1, 0.0f);
        one(lw / 3, lw / 2) = svlrm::to_unit(std::uint16_t(1234));
        CHECK(svlrm::fill_missing(one.view(), svlrm::missing_values::zero) == 0);
        image<std::uint16_t> low(lw, lw);
        for (long i = 0; i < lw * lw; ++i) low.data()[i] = std::uint16_t(std::lround(65535.0 * one.data()[i]));
        CHECK(extent(run(b, low, guide)) == std::pair{1234, 1234});

        image<float> none(lw, lw, 1, 0.0f);
        CHECK(svlrm::fill_missing(none.view(), svlrm::missing_values::zero) == 1);  // nothing to fill from
        CHECK(extent(run(b, constant(lw, lw, 0), guide)) == std::pair{0, 0});     // all missing stays missing
    }
}

TEST_CASE("fill_missing: the nearest valid pixel along 4-connected paths, per channel, in a strided view",
          "[missing]") {
    const long w = 23, h = 17, stride = 2 * w + 3;  // two channels and padding
    std::vector<float> data(std::size_t(stride * h), -7.0f);
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> value(0.1f, 1.0f);
    std::bernoulli_distribution hole(0.6);
    for (long y = 0; y < h; ++y)
        for (long x = 0; x < w; ++x) {
            data[std::size_t(y * stride + 2 * x)] = hole(rng) ? 0.0f : value(rng);
            data[std::size_t(y * stride + 2 * x + 1)] = hole(rng) ? std::numeric_limits<float>::quiet_NaN() : value(rng);
        }
    const std::vector<float> before = data;
    const svlrm::image_view<float> v{data.data(), w, h, 2, stride};
    SECTION("zero: every hole takes a value of a valid pixel at the smallest city-block distance") {
        REQUIRE(svlrm::fill_missing(v, svlrm::missing_values::zero) == 0);
        for (long y = 0; y < h; ++y)
            for (long x = 0; x < w; ++x) {
                const float was = before[std::size_t(y * stride + 2 * x)], now = v(x, y, 0);
                if (was != 0.0f) {
                    CHECK(now == was);
                    continue;
                }
                long best = 1 << 30;
                std::vector<float> candidates;
                for (long yy = 0; yy < h; ++yy)
                    for (long xx = 0; xx < w; ++xx) {
                        const float u = before[std::size_t(yy * stride + 2 * xx)];
                        if (u == 0.0f) continue;
                        const long d = std::abs(xx - x) + std::abs(yy - y);
                        if (d < best) best = d, candidates.clear();
                        if (d == best) candidates.push_back(u);
                    }
                CHECK(std::find(candidates.begin(), candidates.end(), now) != candidates.end());
            }
        for (long y = 0; y < h; ++y) {  // the NaN channel and the padding untouched
            for (long x = 0; x < w; ++x)
                CHECK(std::isnan(v(x, y, 1)) == std::isnan(before[std::size_t(y * stride + 2 * x + 1)]));
            for (long k = 2 * w; k < stride; ++k) CHECK(data[std::size_t(y * stride + k)] == -7.0f);
        }
    }
    SECTION("nan: NaN holes filled, 0 kept as a value") {
        REQUIRE(svlrm::fill_missing(v, svlrm::missing_values::nan) == 0);
        for (long y = 0; y < h; ++y)
            for (long x = 0; x < w; ++x) {
                CHECK(std::isfinite(v(x, y, 1)));
                CHECK(v(x, y, 0) == before[std::size_t(y * stride + 2 * x)]);
            }
    }
    SECTION("none: nothing changes") {
        REQUIRE(svlrm::fill_missing(v, svlrm::missing_values::none) == 0);
        for (std::size_t i = 0; i < data.size(); ++i)
            CHECK((data[i] == before[i] || (std::isnan(data[i]) && std::isnan(before[i]))));
    }
    CHECK_THROWS_WITH(svlrm::parse_missing("holes", "where"), Catch::Contains("zero, nan or none"));
}
