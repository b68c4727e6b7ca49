// The SVLRM network on the GPU through svlrm::backend::cudnn: one benchmark per
// (entry point, precision, frame size), time measured with CUDA events after a
// warm-up (which also builds and caches the plans), reported as manual time.
//
//   device/<mode>/<w>/<h>  run_device on device planes, whole frame, F + alpha + beta
//   host/<mode>/<w>/<h>    joint_filter<cudnn>::apply on host float images (copies,
//                          luma, tiling to 512 above 1 Mpixel, composition included)
//
// Run with --benchmark_repetitions=7 --benchmark_report_aggregates_only=true for
// medians. Without a CUDA device every benchmark reports "no CUDA device" and skips.
#include <svlrm/backend/cudnn.hpp>
#include <svlrm/joint_filter.hpp>

#include "model_builder.hpp"  // the paper-shaped random model the tests use

#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

namespace {

using svlrm::backend::cudnn_precision;

std::vector<float> random_plane(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    std::vector<float> v(n);
    for (float& x : v) x = u(rng);
    return v;
}

// Milliseconds of fn() on `stream`, between two CUDA events.
template <class F>
double timed_ms(cudaStream_t stream, F&& fn) {
    cudaEvent_t start, stop;
    SVLRM_GPU_CHECK(cudaEventCreate(&start));
    SVLRM_GPU_CHECK(cudaEventCreate(&stop));
    SVLRM_GPU_CHECK(cudaEventRecord(start, stream));
    fn();
    SVLRM_GPU_CHECK(cudaEventRecord(stop, stream));
    SVLRM_GPU_CHECK(cudaEventSynchronize(stop));
    float ms = 0;
    SVLRM_GPU_CHECK(cudaEventElapsedTime(&ms, start, stop));
    SVLRM_GPU_CHECK(cudaEventDestroy(start));
    SVLRM_GPU_CHECK(cudaEventDestroy(stop));
    return ms;
}

bool skip_without_gpu(benchmark::State& state) {
    if (svlrm::backend::cudnn_available()) return false;
    state.SkipWithError("no CUDA device");
    for (auto _ : state) {
    }
    return true;
}

void count_flops(benchmark::State& state, const svlrm::model& m, std::size_t pixels) {
    state.counters["GFLOP/s"] = benchmark::Counter(m.flops_per_pixel() * double(pixels) * double(state.iterations()),
                                                   benchmark::Counter::kIsRate);
    state.SetLabel(svlrm::backend::cudnn_device_description());
}

void bench_device(benchmark::State& state, cudnn_precision mode) {
    if (skip_without_gpu(state)) return;
    const long w = long(state.range(0)), h = long(state.range(1));
    const std::size_t n = std::size_t(w * h), bytes = n * sizeof(float);
    const svlrm::model m = svlrm_test::paper_model(2019);
    svlrm::backend::cudnn_options o;
    o.mode = mode;
    try {
        const svlrm::backend::cudnn b(m, o);
        float* d[5] = {};
        for (float*& p : d) {
            void* block = nullptr;
            SVLRM_GPU_CHECK(cudaMalloc(&block, bytes));
            p = static_cast<float*>(block);
        }
        const std::vector<float> input = random_plane(n, 1), guide = random_plane(n, 2);
        SVLRM_GPU_CHECK(cudaMemcpy(d[0], input.data(), bytes, cudaMemcpyHostToDevice));
        SVLRM_GPU_CHECK(cudaMemcpy(d[1], guide.data(), bytes, cudaMemcpyHostToDevice));
        cudaStream_t s = nullptr;
        SVLRM_GPU_CHECK(cudaStreamCreate(&s));
        auto call = [&] { b.run_device(d[0], d[1], d[2], d[3], d[4], w, h, s); };
        timed_ms(s, call);  // warm-up: plans, buffers, lazy module loading
        for (auto _ : state) state.SetIterationTime(timed_ms(s, call) / 1000.0);
        count_flops(state, m, n);
        SVLRM_GPU_CHECK(cudaStreamDestroy(s));
        for (float* p : d) SVLRM_GPU_CHECK(cudaFree(p));
    } catch (const svlrm::unavailable_error& e) {
        state.SkipWithError(e.what());
    }
}

void bench_host(benchmark::State& state, cudnn_precision mode) {
    if (skip_without_gpu(state)) return;
    const long w = long(state.range(0)), h = long(state.range(1));
    const svlrm::model m = svlrm_test::paper_model(2019);
    svlrm::backend::cudnn_options o;
    o.mode = mode;
    try {
        const svlrm::joint_filter<svlrm::backend::cudnn> f(m, o);
        const std::vector<float> input = random_plane(std::size_t(w * h), 1), guide = random_plane(std::size_t(w * h), 2);
        std::vector<float> out(input.size());
        const svlrm::image_view<const float> g{guide.data(), w, h, 1, w}, in{input.data(), w, h, 1, w};
        const svlrm::image_view<float> o_view{out.data(), w, h, 1, w};
        // apply() returns after its last device->host copy, so the events bracket it all.
        auto call = [&] { f.apply(g, in, o_view); };
        timed_ms(nullptr, call);
        for (auto _ : state) state.SetIterationTime(timed_ms(nullptr, call) / 1000.0);
        count_flops(state, m, std::size_t(w * h));
    } catch (const svlrm::unavailable_error& e) {
        state.SkipWithError(e.what());
    }
}

const bool registered = [] {
    for (const cudnn_precision mode : {cudnn_precision::fp32, cudnn_precision::tf32, cudnn_precision::fp16,
                                       cudnn_precision::bf16}) {
        const std::string name = svlrm::backend::to_string(mode);
        for (const auto& [fn, entry] : {std::pair{&bench_device, "device"}, {&bench_host, "host"}})
            benchmark::RegisterBenchmark((std::string(entry) + "/" + name).c_str(), fn, mode)
                ->Args({640, 480})
                ->Args({4096, 4096})
                ->UseManualTime()
                ->Unit(benchmark::kMillisecond)
                ->Iterations(entry == std::string("device") ? 20 : 5);
    }
    return true;
}();

}  // namespace

BENCHMARK_MAIN();
