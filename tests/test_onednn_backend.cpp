// joint_filter<onednn>: the conformance suite (backend_conformance.hpp) in every mode,
// and what is oneDNN's own: its modes on this CPU, Winograd with leaky ReLU, its last
// layer against svlrm's kernel, a real image, precision::automatic. Tolerances on F,
// alpha and beta against the reference (relative L2), from the errors measured here
// (docs/backends.md):
//   exact 1e-5: f32 with another summation order than Eigen's GEMM (measured <= 1.4e-7)
//   fast  1e-4: the bound for Winograd (measured <= 4.6e-6)
//   bf16  6e-2: 8-bit mantissas through 10 random layers (measured <= 2.9e-2, beta on cat.bmp)
// Tiled against whole image (max abs of F): each tile size gets its own oneDNN kernels,
// equal to rounding (1e-5), bf16 to its mantissa (2e-2).
#include <svlrm/backend/onednn.hpp>
#include <svlrm/backend/reference.hpp>
#include <svlrm/joint_filter.hpp>

#include "backend_conformance.hpp"
#include "model_builder.hpp"
#include "backend_parity.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <random>
#include <vector>

using svlrm::image;
using svlrm::backend::precision;

namespace {

using onednn_filter = svlrm::joint_filter<svlrm::backend::onednn>;
using reference_filter = svlrm::joint_filter<svlrm::backend::reference>;

const std::vector<svlrm_test::mode_tolerance> modes = {
    {"exact", 1e-5, 1e-5}, {"fast", 1e-4, 1e-5}, {"bf16", 6e-2, 2e-2}};

double tolerance(precision p) {
    for (const auto& m : modes)
        if (m.mode == svlrm::backend::to_string(p)) return m.parity;
    return 0;
}

svlrm::model paper_model(svlrm::activation act = svlrm::activation::relu) { return svlrm_test::paper_model(7, act); }

svlrm::model small_model(svlrm::activation act) { return svlrm_test::conformance_model(act); }

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

SVLRM_BACKEND_CONFORMANCE("onednn", svlrm::backend::onednn, "[onednn]", modes)

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
    // instead of falling back to direct convolution (the conformance suite checks the values).
    const std::string text = svlrm::backend::onednn(small_model(svlrm::activation::leaky_relu), with(precision::fast))
                                 .describe(67, 45);
    INFO(text);
    CHECK(text.find("wino") != std::string::npos);
    CHECK(text.find("activation (leaky ReLU, in place)") != std::string::npos);
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
