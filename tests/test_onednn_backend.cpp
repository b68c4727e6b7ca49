// joint_filter<onednn> against joint_filter<reference> in every precision mode the
// machine has: both activations, odd sizes, strided and integer views, a real
// image, tiling, concurrent use. Tolerances are on F (and alpha, beta), relative L2
// unless stated, chosen from the errors measured here (docs/backends.md):
//   exact 1e-5: f32 with another summation order than Eigen's GEMM (measured <= 1.4e-7)
//   fast  1e-4: the bound for Winograd (measured <= 4.6e-6)
//   bf16  6e-2: 8-bit mantissas through 10 random layers (measured <= 2.9e-2, beta on cat.bmp)
#include <svlrm/backend/onednn.hpp>
#include <svlrm/backend/reference.hpp>
#include <svlrm/joint_filter.hpp>

#include "model_builder.hpp"
#include "backend_parity.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <cstring>
#include <random>
#include <thread>

using svlrm::image;
using svlrm::image_view;
using svlrm::backend::precision;

namespace {

using onednn_filter = svlrm::joint_filter<svlrm::backend::onednn>;
using reference_filter = svlrm::joint_filter<svlrm::backend::reference>;

double tolerance(precision p) {
    switch (p) {
        case precision::exact: return 1e-5;
        case precision::fast: return 1e-4;
        case precision::bf16: return 6e-2;
        case precision::automatic: return svlrm::backend::automatic_tolerance;
    }
    return 0;
}

svlrm::model paper_model(svlrm::activation act = svlrm::activation::relu) { return svlrm_test::paper_model(7, act); }

// A small network with the same structure (hidden widths a multiple of 16, so every
// oneDNN path, including Winograd and the last-layer kernel, is exercised).
svlrm::model small_model(svlrm::activation act) {
    return svlrm_test::random_model({2, 16, 32, 32, 16, 2}, 3, act, 3);
}

svlrm::backend::onednn_options with(precision p) {
    svlrm::backend::onednn_options o;
    o.mode = p;
    return o;
}

using result = svlrm_test::filter_result;
using svlrm_test::rel;
using svlrm_test::run_filter;

void check_close(const result& got, const result& expected, precision p) {
    INFO("precision " << svlrm::backend::to_string(p));
    CHECK(rel(got.f, expected.f) <= tolerance(p));
    CHECK(rel(got.alpha, expected.alpha) <= tolerance(p));
    CHECK(rel(got.beta, expected.beta) <= tolerance(p));
}

}  // namespace

TEST_CASE("onednn: available precisions", "[onednn]") {
    const auto modes = svlrm::backend::available_precisions();
    REQUIRE(!modes.empty());
    CHECK(modes.front() == precision::exact);
    for (precision p : modes) {
        const svlrm::backend::onednn b(small_model(svlrm::activation::relu), with(p));
        CHECK(b.effective_precision() == p);
        const std::string text = b.describe(20, 10);
        INFO(text);
        CHECK(text.find(svlrm::backend::to_string(p)) != std::string::npos);
        // svlrm's own last-layer kernel in the f32 modes; oneDNN's in bf16 (measured faster there).
        CHECK((text.find("svlrm last_layer_kernel") != std::string::npos) == (p != precision::bf16));
    }
}

TEST_CASE("onednn: fast mode keeps Winograd for leaky ReLU", "[onednn]") {
    if (!svlrm::backend::is_available(precision::fast)) {
        WARN("no Winograd on this CPU: skipped");
        return;
    }
    // oneDNN's Winograd kernels cannot fuse leaky ReLU; the plan runs it as a separate step
    // instead of falling back to direct convolution (the parity test below checks the values).
    const std::string text = svlrm::backend::onednn(small_model(svlrm::activation::leaky_relu), with(precision::fast))
                                 .describe(67, 45);
    INFO(text);
    CHECK(text.find("wino") != std::string::npos);
    CHECK(text.find("activation (leaky ReLU, in place)") != std::string::npos);
}

TEST_CASE("onednn: every mode matches the reference, both activations, odd sizes", "[onednn]") {
    for (auto act : {svlrm::activation::relu, svlrm::activation::leaky_relu}) {
        const svlrm::model m = small_model(act);
        const reference_filter ref(m);
        for (auto [w, h] : {std::pair{1L, 1L}, std::pair{13L, 7L}, std::pair{2L, 40L}, std::pair{67L, 45L}}) {
            const auto guide = svlrm_test::random_image(w, h, 1, 1), input = svlrm_test::random_image(w, h, 1, 2);
            const result expected = run_filter(ref, guide, input);
            for (precision p : svlrm::backend::available_precisions()) {
                INFO("activation " << int(act) << " size " << w << "x" << h);
                check_close(run_filter(onednn_filter(m, with(p)), guide, input), expected, p);
            }
        }
    }
}

TEST_CASE("onednn: oneDNN's own last layer agrees with svlrm's kernel", "[onednn]") {
    const svlrm::model m = paper_model(svlrm::activation::leaky_relu);
    const long w = 37, h = 29;
    const auto guide = svlrm_test::random_image(w, h, 1, 3), input = svlrm_test::random_image(w, h, 1, 4);
    auto opts = with(precision::exact);
    const result own = run_filter(onednn_filter(m, opts), guide, input);
    opts.own_last_layer = false;
    const onednn_filter plain(m, opts);
    CHECK(plain.backend().describe(w, h).find("last_layer_kernel") == std::string::npos);
    const result theirs = run_filter(plain, guide, input);
    CHECK(rel(own.f, theirs.f) <= 1e-6);
    CHECK(rel(own.alpha, theirs.alpha) <= 1e-6);
}

TEST_CASE("onednn: the paper's 12x64 network at 641x479 in every mode", "[onednn][slow]") {
    const svlrm::model m = paper_model();
    const long w = 641, h = 479;
    const auto guide = svlrm_test::random_image(w, h, 1, 5), input = svlrm_test::random_image(w, h, 1, 6);
    const result expected = run_filter(reference_filter(m), guide, input);  // about 5 s
    for (precision p : svlrm::backend::available_precisions())
        check_close(run_filter(onednn_filter(m, with(p)), guide, input), expected, p);
}

TEST_CASE("onednn: strided views and u8 / u16 pixels", "[onednn]") {
    const svlrm::model m = small_model(svlrm::activation::relu);
    const onednn_filter f(m, with(precision::exact));
    const reference_filter ref(m);
    const long w = 13, h = 7, stride = 20;
    image<std::uint8_t> g8(w, h), i8(w, h), o8(w, h), r8(w, h);
    image<std::uint16_t> i16(w, h), o16(w, h), r16(w, h);
    std::mt19937 rng(9);
    for (long y = 0; y < h; ++y)
        for (long x = 0; x < w; ++x) {
            g8(x, y) = std::uint8_t(rng() % 256);
            i8(x, y) = std::uint8_t(rng() % 256);
            i16(x, y) = std::uint16_t(rng() % 65536);
        }
    f.apply(g8.view(), i8.view(), o8.view());
    ref.apply(g8.view(), i8.view(), r8.view());
    f.apply(g8.view(), i16.view(), o16.view());
    ref.apply(g8.view(), i16.view(), r16.view());
    // Integer outputs round F: an f32 difference of 1e-6 may cross a rounding boundary.
    CHECK(svlrm_test::max_abs_diff(o8.view(), r8.view()) <= 1.0 / 255 + 1e-9);
    CHECK(svlrm_test::max_abs_diff(o16.view(), r16.view()) <= 1.0 / 65535 + 1e-9);

    // A strided float view, filtered in place, gives the dense result; padding untouched.
    const auto guide = svlrm_test::random_image(w, h, 1, 10), input = svlrm_test::random_image(w, h, 1, 11);
    image<float> dense(w, h);
    f.apply(guide.view(), input.view(), dense.view());
    std::vector<float> buf(stride * h, -7.0f);
    for (long y = 0; y < h; ++y)
        for (long x = 0; x < w; ++x) buf[y * stride + x] = input(x, y);
    const image_view<float> strided{buf.data(), w, h, 1, stride};
    f.apply(guide.view(), image_view<const float>(strided), strided);
    for (long y = 0; y < h; ++y) {
        for (long x = 0; x < w; ++x) CHECK(buf[y * stride + x] == dense(x, y));
        for (long x = w; x < stride; ++x) CHECK(buf[y * stride + x] == -7.0f);
    }
}

TEST_CASE("onednn: error of each mode on a real image", "[onednn][data]") {
    const auto path = svlrm_test::data_dir() / "guided_filter_demo" / "cat.bmp";
    if (!svlrm_test::have_data() || !std::filesystem::exists(path)) {
        WARN("skipped: " << path << " is missing");
        return;
    }
    const image<float> guide = svlrm_test::load_image(path, true);
    // The input: the image with Gaussian noise (sigma 0.05), the denoising use of the filter.
    image<float> input(guide.width(), guide.height());
    std::mt19937 rng(1);
    std::normal_distribution<float> noise(0.0f, 0.05f);
    for (long i = 0; i < guide.width() * guide.height(); ++i) input.data()[i] = guide.data()[i] + noise(rng);
    const svlrm::model m = paper_model();
    const result expected = run_filter(reference_filter(m), guide, input);
    for (precision p : svlrm::backend::available_precisions()) {
        const result got = run_filter(onednn_filter(m, with(p)), guide, input);
        const double max_abs = svlrm_test::max_abs_diff(got.f.view(), expected.f.view());
        WARN("cat.bmp " << guide.width() << "x" << guide.height() << ", 12x64 model, precision "
                        << svlrm::backend::to_string(p) << ": F max abs " << max_abs << ", rel L2 " << rel(got.f, expected.f));
        check_close(got, expected, p);
    }
}

TEST_CASE("onednn: tiled equals whole-image", "[onednn][tiling]") {
    const svlrm::model m = paper_model();
    const long w = 97, h = 61;
    const auto guide = svlrm_test::random_image(w, h, 1, 12), input = svlrm_test::random_image(w, h, 1, 13);
    for (precision p : svlrm::backend::available_precisions()) {
        const result whole = run_filter(onednn_filter(m, with(p)), guide, input);
        for (long tile : {16L, 40L}) {
            svlrm::filter_options opts;
            opts.tile_size = tile;
            const result tiled = run_filter(onednn_filter(m, with(p), opts), guide, input);
            INFO("precision " << svlrm::backend::to_string(p) << " tile " << tile);
            const double d = svlrm_test::max_abs_diff(tiled.f.view(), whole.f.view());
            // Each tile size gets its own oneDNN kernels (blocking, Winograd or direct),
            // whose summation order differs: equal to rounding, not to the bit.
            CHECK(d <= (p == precision::bf16 ? 2e-2 : 1e-5));
        }
    }
}

TEST_CASE("onednn: self-ensemble matches the reference backend's", "[onednn][self_ensemble]") {
    const svlrm::model m = small_model(svlrm::activation::relu);
    const long w = 37, h = 26;  // not square: half of the 8 passes run on a 26 x 37 image
    const auto guide = svlrm_test::random_image(w, h, 1, 14), input = svlrm_test::random_image(w, h, 1, 15);
    svlrm::filter_options opts;
    opts.self_ensemble = true;
    const result expected = run_filter(reference_filter(m, {}, opts), guide, input);
    for (precision p : svlrm::backend::available_precisions())
        check_close(run_filter(onednn_filter(m, with(p), opts), guide, input), expected, p);
}

TEST_CASE("onednn: one object used from 4 threads gives the single-thread result", "[onednn][threads]") {
    const svlrm::model m = small_model(svlrm::activation::relu);
    for (precision p : svlrm::backend::available_precisions()) {
        const onednn_filter f(m, with(p));
        // Two sizes, so threads also build and share cached plans concurrently.
        std::vector<image<float>> guides, inputs, expected, got;
        for (unsigned i = 0; i < 4; ++i) {
            const long w = i % 2 ? 45 : 38, h = 29;
            guides.push_back(svlrm_test::random_image(w, h, 1, 100 + i));
            inputs.push_back(svlrm_test::random_image(w, h, 1, 200 + i));
            expected.emplace_back(w, h);
            got.emplace_back(w, h);
        }
        {
            // Cold cache first, concurrently; then the sequential result to compare with.
            std::vector<std::thread> threads;
            for (std::size_t i = 0; i < 4; ++i)
                threads.emplace_back([&, i] { f.apply(guides[i].view(), inputs[i].view(), got[i].view()); });
            for (auto& t : threads) t.join();
        }
        for (std::size_t i = 0; i < 4; ++i) {
            f.apply(guides[i].view(), inputs[i].view(), expected[i].view());
            INFO("precision " << svlrm::backend::to_string(p) << " thread " << i);
            CHECK(std::memcmp(got[i].data(), expected[i].data(), sizeof(float) * got[i].width() * got[i].height()) == 0);
        }
    }
}

TEST_CASE("onednn: an invalid model is rejected", "[onednn][errors]") {
    svlrm::model m = small_model(svlrm::activation::relu);
    m.layers.back().out_channels = 3;
    CHECK_THROWS_AS(svlrm::backend::onednn(m), svlrm::model_error);
}

// precision::automatic (the default): fast where the CPU has Winograd and the model's F
// stays within 1e-5 of exact on the probe, else exact; what it chose is reported and
// runs within that tolerance of exact on other images too.
TEST_CASE("onednn: the default precision is automatic: the fastest mode within 1e-5 of exact", "[onednn]") {
    CHECK(svlrm::backend::onednn_options{}.mode == precision::automatic);
    const svlrm::model m = paper_model();
    const svlrm::backend::onednn automatic(m);
    const precision chosen = automatic.effective_precision();
    CHECK(chosen == (svlrm::backend::is_available(precision::fast) ? precision::fast : precision::exact));
    CHECK(automatic.describe(8, 8).find("chosen by auto") != std::string::npos);
    const auto guide = svlrm_test::random_image(97, 61, 1, 5), input = svlrm_test::random_image(97, 61, 1, 6);
    const result got = run_filter(onednn_filter(m), guide, input);
    const result exact = run_filter(onednn_filter(m, with(precision::exact)), guide, input);
    CHECK(rel(got.f, exact.f) <= svlrm::backend::automatic_tolerance);
    // The choice follows the measured distance: a tolerance below fast's distance on the
    // probe (~2e-6 for this model) keeps exact.
    if (chosen == precision::fast) {
        const double d = svlrm::backend::onednn_detail::probe_distance(
            svlrm::backend::onednn(m, with(precision::exact)), svlrm::backend::onednn(m, with(precision::fast)), m);
        INFO("probe distance " << d);
        CHECK(d > 0);
        CHECK(d <= svlrm::backend::automatic_tolerance);
        svlrm::backend::onednn_options strict;
        strict.automatic_tolerance = d / 2;
        CHECK(svlrm::backend::onednn(m, strict).effective_precision() == precision::exact);
    }
}
