// The cuDNN backend. Without a GPU (this development machine, CI) the tests check
// what needs none: the error on construction, the status-to-exception mapping, the
// finalization of every operation graph the backend builds, the host conversions.
// With a GPU they also run the conformance suite (backend_conformance.hpp), which
// compares joint_filter<cudnn> with joint_filter<reference> (relative L2 on F, alpha, beta):
//   fp32 1e-5: fp32 math without TF32, FFT or Winograd, another summation order only
//   tf32 1e-2: 10-bit mantissas in the products of 12 layers
//   fp16 2e-2, bf16 6e-2: 11- and 8-bit mantissas of activations and weights (the
//        bf16 bound is the one measured for oneDNN's bf16 through the same network)
#include <svlrm/backend/cudnn.hpp>
#include <svlrm/backend/reference.hpp>
#include <svlrm/joint_filter.hpp>

#include "backend_conformance.hpp"
#include "model_builder.hpp"
#include "backend_parity.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <cstring>
#include <thread>

using svlrm::image;
using svlrm::backend::cudnn_precision;
namespace detail = svlrm::backend::cudnn_detail;

namespace {

constexpr cudnn_precision all_modes[] = {cudnn_precision::fp32, cudnn_precision::tf32, cudnn_precision::fp16,
                                         cudnn_precision::bf16};

svlrm::model paper_model(svlrm::activation act = svlrm::activation::relu) { return svlrm_test::paper_model(7, act); }

// Tiled against whole image (max abs of F): as oneDNN's, equal to rounding per mantissa.
const std::vector<svlrm_test::mode_tolerance> modes = {
    {"fp32", 1e-5, 1e-5}, {"tf32", 1e-2, 1e-2}, {"fp16", 2e-2, 2e-2}, {"bf16", 6e-2, 2e-2}};

double tolerance(cudnn_precision p) {
    for (const auto& m : modes)
        if (m.mode == svlrm::backend::to_string(p)) return m.parity;
    return 0;
}

bool have_gpu() {
    if (svlrm::backend::cudnn_available()) return true;
    WARN("no CUDA device: GPU tests skipped");
    return false;
}

using result = svlrm_test::filter_result;
using svlrm_test::rel;
using svlrm_test::run_filter;

}  // namespace

// ---- no GPU needed -------------------------------------------------------------------

TEST_CASE("cudnn: without a CUDA device the backend throws unavailable_error", "[cudnn][errors]") {
    if (svlrm::backend::cudnn_available()) {
        CHECK_THAT(svlrm::backend::cudnn_device_description(), Catch::Contains("compute capability"));
        return;
    }
    CHECK(svlrm::backend::cuda_device_count() == 0);
    REQUIRE_THROWS_AS(svlrm::backend::cudnn(paper_model()), svlrm::unavailable_error);
    REQUIRE_THROWS_WITH(svlrm::backend::cudnn(paper_model()),
                        Catch::StartsWith("svlrm::backend::cudnn: no CUDA device: cudaGetDeviceCount returned"));
    REQUIRE_THROWS_AS(svlrm::joint_filter<svlrm::backend::cudnn>(paper_model()), svlrm::unavailable_error);
    REQUIRE_THROWS_AS(svlrm::backend::cudnn_device_description(), svlrm::unavailable_error);
}

TEST_CASE("cudnn: an invalid model is reported before the device is touched", "[cudnn][errors]") {
    svlrm::model m = paper_model();
    m.layers.back().out_channels = 3;
    REQUIRE_THROWS_AS(svlrm::backend::cudnn(m), svlrm::model_error);
    REQUIRE_THROWS_WITH(svlrm::backend::cudnn(m), Catch::StartsWith("svlrm::backend::cudnn: layer 11"));
}

TEST_CASE("cudnn: the version string is the linked cuDNN's", "[cudnn]") {
    CHECK(svlrm::backend::cudnn_version_string() == "cuDNN " + std::to_string(CUDNN_MAJOR) + "." +
                                                        std::to_string(CUDNN_MINOR) + "." +
                                                        std::to_string(CUDNN_PATCHLEVEL));
}

TEST_CASE("cudnn: failed statuses become gpu_error naming the call and the status", "[cudnn][errors]") {
    try {
        SVLRM_GPU_CHECK(CUDNN_STATUS_NOT_SUPPORTED_SHAPE);
        FAIL("no exception");
    } catch (const svlrm::backend::gpu_error& e) {
        CHECK(e.status() == int(CUDNN_STATUS_NOT_SUPPORTED_SHAPE));
        CHECK(e.call() == "CUDNN_STATUS_NOT_SUPPORTED_SHAPE");
        CHECK_THAT(e.what(), Catch::Contains(cudnnGetErrorString(CUDNN_STATUS_NOT_SUPPORTED_SHAPE)) &&
                                 Catch::Contains("(3002)"));
    }
    try {
        SVLRM_GPU_CHECK(cudaErrorNoDevice);
        FAIL("no exception");
    } catch (const svlrm::backend::gpu_error& e) {
        CHECK(e.status() == int(cudaErrorNoDevice));
        CHECK_THAT(e.what(), Catch::Contains("cudaErrorNoDevice") && Catch::Contains(cudaGetErrorString(cudaErrorNoDevice)));
    }
    CHECK_NOTHROW(SVLRM_GPU_CHECK(CUDNN_STATUS_SUCCESS));
    CHECK_NOTHROW(SVLRM_GPU_CHECK(cudaSuccess));

    // A real refusal by cuDNN: a float tensor aligned to 3 bytes. The message carries
    // the descriptor's name and cuDNN's own explanation.
    try {
        detail::make_tensor("odd tensor", {1, CUDNN_DATA_FLOAT, {1, 2, 4, 4}, {32, 16, 4, 1}, 3});
        FAIL("no exception");
    } catch (const svlrm::backend::gpu_error& e) {
        CHECK(e.status() == int(CUDNN_STATUS_BAD_PARAM));
        CHECK(e.call() == "cudnnBackendFinalize(odd tensor)");
        CHECK_THAT(e.what(), Catch::Contains("CUDNN_STATUS_BAD_PARAM") && Catch::Contains("Alignment"));
    }
}

TEST_CASE("cudnn: every operation graph of the backend finalizes, in every mode and size", "[cudnn][graphs]") {
    for (const auto act : {svlrm::activation::relu, svlrm::activation::leaky_relu}) {
        const svlrm::model m = paper_model(act);
        for (const cudnn_precision p : all_modes)
            for (const auto& [w, h] : {std::pair{1, 1}, {13, 7}, {641, 479}, {4096, 4096}}) {
                INFO(svlrm::backend::to_string(p) << " " << w << "x" << h);
                for (std::size_t i = 0; i < m.layers.size(); ++i) {
                    const detail::op_graph g = detail::make_layer_graph(detail::shape_of(m, i, w, h, p));
                    std::int64_t engines = 0;
                    g.graph.get(CUDNN_ATTR_OPERATIONGRAPH_ENGINE_GLOBAL_COUNT, CUDNN_TYPE_INT64, &engines, 1);
                    CHECK(engines > 0);
                }
                const cudnnDataType_t io = detail::data_type(p);
                for (const detail::op_graph& g :
                     {detail::make_input_graph(w, h, io), detail::make_compose_graph(w, h, io, false),
                      detail::make_compose_graph(w, h, io, true)}) {
                    std::int64_t engines = 0;
                    g.graph.get(CUDNN_ATTR_OPERATIONGRAPH_ENGINE_GLOBAL_COUNT, CUDNN_TYPE_INT64, &engines, 1);
                    CHECK(engines > 0);
                }
            }
    }
}

TEST_CASE("cudnn: with no engine proposed, planning names the graph", "[cudnn][errors]") {
    if (svlrm::backend::cudnn_available()) return;  // with a GPU heuristics do propose engines
    const detail::op_graph g = detail::make_layer_graph(detail::shape_of(paper_model(), 0, 64, 64, cudnn_precision::fp32));
    REQUIRE_THROWS_AS(detail::make_plan(g, detail::refused_notes(cudnn_precision::fp32)), svlrm::unavailable_error);
    REQUIRE_THROWS_WITH(detail::make_plan(g, {}), Catch::Contains("no cuDNN engine can run the layer 0 graph"));
}

TEST_CASE("cudnn: host conversions round to nearest even", "[cudnn][convert]") {
    CHECK(detail::float_to_half(1.0f) == 0x3c00);
    CHECK(detail::float_to_half(-2.0f) == 0xc000);
    CHECK(detail::float_to_half(65504.0f) == 0x7bff);
    CHECK(detail::float_to_half(65520.0f) == 0x7c00);                 // rounds up to inf
    CHECK(detail::float_to_half(1.0f + 1.0f / 2048) == 0x3c00);       // tie, to even
    CHECK(detail::float_to_half(1.0f + 3.0f / 2048) == 0x3c02);       // tie, to even (up)
    CHECK(detail::float_to_half(std::ldexp(1.0f, -24)) == 0x0001);    // smallest subnormal
    CHECK(detail::float_to_half(std::ldexp(1.0f, -26)) == 0x0000);    // below half of it
    CHECK(detail::float_to_half(std::ldexp(3.0f, -25)) == 0x0002);    // 1.5 units: tie to even
    CHECK(detail::float_to_bf16(1.0f) == 0x3f80);
    CHECK(detail::float_to_bf16(1.0f + 1.0f / 256) == 0x3f80);        // tie, to even
    CHECK(detail::float_to_bf16(1.0f + 3.0f / 256) == 0x3f82);
    CHECK(std::isnan(detail::bf16_to_float(detail::float_to_bf16(std::nanf("")))));
    // Every half value survives half -> float -> half.
    for (std::uint32_t h = 0; h < 0x10000; ++h) {
        if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff)) continue;  // NaN payloads
        REQUIRE(detail::float_to_half(detail::half_to_float(std::uint16_t(h))) == h);
    }
    const float planes[2][3] = {{1, 2, 3}, {4, 5, 6}};
    std::uint16_t packed[6];
    detail::interleave(CUDNN_DATA_HALF, planes[0], planes[1], 3, packed);
    float back[2][3];
    detail::deinterleave(CUDNN_DATA_HALF, packed, 3, back[0], back[1]);
    CHECK(detail::half_to_float(packed[1]) == 4.0f);
    CHECK(std::memcmp(back, planes, sizeof back) == 0);
}

TEST_CASE("cudnn: weights are packed KRSC with the scales folded in", "[cudnn][convert]") {
    const svlrm::model m = svlrm_test::random_model({2, 3}, 3, svlrm::activation::relu, 5);
    const svlrm::conv_layer& l = m.layers[0];
    const detail::packed_layer p = detail::pack_layer(l, CUDNN_DATA_FLOAT, {2.0f, 3.0f}, {1.0f, 0.5f, 4.0f});
    const auto* w = reinterpret_cast<const float*>(p.weight.data());
    const auto* b = reinterpret_cast<const float*>(p.bias.data());
    const float in_scale[2] = {2.0f, 3.0f}, out_scale[3] = {1.0f, 0.5f, 4.0f};
    for (int o = 0; o < 3; ++o) {
        CHECK(b[o] == l.bias[o] * out_scale[o]);
        for (int c = 0; c < 2; ++c)
            for (int y = 0; y < 3; ++y)
                for (int x = 0; x < 3; ++x)
                    CHECK(w[((o * 3 + y) * 3 + x) * 2 + c] == l.weight[((o * 2 + c) * 3 + y) * 3 + x] * out_scale[o] * in_scale[c]);
    }
}

// ---- GPU -------------------------------------------------------------------------------

// Without a device only its invalid-model case runs (the rest report the skip).
SVLRM_BACKEND_CONFORMANCE("cudnn", svlrm::backend::cudnn, "[cudnn][gpu]", modes)

TEST_CASE("cudnn: a real image, RGB guide, tiled, from several threads", "[cudnn][gpu]") {
    if (!have_gpu()) return;
    const image<float> guide = svlrm_test::load_image(svlrm_test::data_dir() / "guided_filter_demo" / "tulips.bmp");
    image<float> input(guide.width(), guide.height(), 1);
    for (std::ptrdiff_t i = 0; i < input.width() * input.height(); ++i) input.data()[i] = guide.data()[3 * i + 1];
    const svlrm::model m = paper_model();
    svlrm::filter_options tiled;
    tiled.tile_size = 128;
    const result expected = run_filter(svlrm::joint_filter<svlrm::backend::reference>(m), guide, input);
    const svlrm::joint_filter<svlrm::backend::cudnn> f(m, {}, tiled);
    result got[2];
    std::thread t([&] { got[1] = run_filter(f, guide, input); });
    got[0] = run_filter(f, guide, input);
    t.join();
    for (const result& r : got) {
        CHECK(rel(r.f, expected.f) <= tolerance(cudnn_precision::fp32));
        CHECK(rel(r.alpha, expected.alpha) <= tolerance(cudnn_precision::fp32));
    }
}

TEST_CASE("cudnn: run_device composes F on the device", "[cudnn][gpu]") {
    if (!have_gpu()) return;
    svlrm::model m = paper_model();
    m.input_scale = 2.0f;  // exercises the scales folded into the first and last layers
    m.guide_scale = 0.5f;
    const long w = 97, h = 61;
    const image<float> guide = svlrm_test::random_image(w, h, 1, 21), input = svlrm_test::random_image(w, h, 1, 22);
    const result expected = run_filter(svlrm::joint_filter<svlrm::backend::reference>(m), guide, input);
    const svlrm::backend::cudnn b(m);
    const std::size_t bytes = std::size_t(w * h) * sizeof(float);
    float* d[5] = {};
    for (float*& p : d) {
        void* block = nullptr;
        SVLRM_GPU_CHECK(cudaMalloc(&block, bytes));
        p = static_cast<float*>(block);
    }
    SVLRM_GPU_CHECK(cudaMemcpy(d[0], input.data(), bytes, cudaMemcpyHostToDevice));
    SVLRM_GPU_CHECK(cudaMemcpy(d[1], guide.data(), bytes, cudaMemcpyHostToDevice));
    cudaStream_t s = nullptr;
    SVLRM_GPU_CHECK(cudaStreamCreate(&s));
    b.run_device(d[0], d[1], d[2], d[3], d[4], w, h, s);
    result got{image<float>(w, h), image<float>(w, h), image<float>(w, h)};
    SVLRM_GPU_CHECK(cudaStreamSynchronize(s));
    SVLRM_GPU_CHECK(cudaMemcpy(got.f.data(), d[2], bytes, cudaMemcpyDeviceToHost));
    SVLRM_GPU_CHECK(cudaMemcpy(got.alpha.data(), d[3], bytes, cudaMemcpyDeviceToHost));
    SVLRM_GPU_CHECK(cudaMemcpy(got.beta.data(), d[4], bytes, cudaMemcpyDeviceToHost));
    // run_device's coefficients are on the caller's scale: alpha * sg / si, beta / si.
    image<float> alpha(w, h), beta(w, h);
    for (long i = 0; i < w * h; ++i) {
        alpha.data()[i] = expected.alpha.data()[i] * m.guide_scale / m.input_scale;
        beta.data()[i] = expected.beta.data()[i] / m.input_scale;
    }
    CHECK(rel(got.f, expected.f) <= 1e-5);
    CHECK(rel(got.alpha, alpha) <= 1e-5);
    CHECK(rel(got.beta, beta) <= 1e-5);
    REQUIRE_THROWS_AS(b.run_device(d[0], d[1], d[2], d[3], nullptr, w, h, s), std::invalid_argument);
    SVLRM_GPU_CHECK(cudaStreamDestroy(s));
    for (float* p : d) SVLRM_GPU_CHECK(cudaFree(p));
}

TEST_CASE("cudnn: valid_range models run through joint_filter, run_device refuses them", "[cudnn][gpu][normalisation]") {
    if (!have_gpu()) return;
    svlrm::model m = paper_model();
    m.input_normalisation = svlrm::input_normalisation::valid_range;
    const long w = 57, h = 43;
    const image<float> guide = svlrm_test::random_image(w, h, 1, 23);
    image<float> input = svlrm_test::random_image(w, h, 1, 24, 955.0f / 65535.0f, 2702.0f / 65535.0f);
    input(5, 7) = 0.0f;  // a hole, out of the range
    const result expected = run_filter(svlrm::joint_filter<svlrm::backend::reference>(m), guide, input);
    const result got = run_filter(svlrm::joint_filter<svlrm::backend::cudnn>(m), guide, input);
    CHECK(rel(got.f, expected.f) <= tolerance(cudnn_precision::fp32));
    CHECK(rel(got.alpha, expected.alpha) <= tolerance(cudnn_precision::fp32));
    CHECK(rel(got.beta, expected.beta) <= tolerance(cudnn_precision::fp32));
    // run_device checks the model before it touches any pointer.
    const svlrm::backend::cudnn b(m);
    float dummy = 0;
    REQUIRE_THROWS_AS(b.run_device(&dummy, &dummy, &dummy, nullptr, nullptr, w, h, nullptr), svlrm::unavailable_error);
    REQUIRE_THROWS_WITH(b.run_device(&dummy, &dummy, &dummy, nullptr, nullptr, w, h, nullptr),
                        Catch::Contains("input_normalisation is valid_range"));
}
