// One configuration of the network benchmark per process, so that its peak RSS is
// its own (benchmarks/run_network_bench.py runs them all and writes the table).
//
//   bench_onednn --write-case DIR             random 12x64 Kaiming model + inputs, raw f32
//   bench_onednn --describe                   per-layer oneDNN implementations per mode
//   bench_onednn --peak                       this CPU's f32 FMA peak, 2 threads (AVX-512)
//   bench_onednn BACKEND MODE W H RUNS [DIR]  time RUNS calls after one warm-up; prints
//                                             one JSON line; DIR: also dump the output
// BACKEND: onednn (network only: backend.infer), onednn_dnnl_last (oneDNN runs the
// last layer too), onednn_leaky (the same weights with leaky ReLU, slope 0.1),
// reference, tiled (joint_filter.apply on u8 planes, automatic tiles: 512 pixels above
// 1 Mpixel), or ensemble (the same with filter_options::self_ensemble);
// last_own / last_dnnl: a 2-layer network (the model's first and last layers) with
// the last layer in svlrm's kernel / in oneDNN: their difference is the last layer.
#include <svlrm/backend/onednn.hpp>
#include <svlrm/backend/reference.hpp>
#include <svlrm/joint_filter.hpp>

#include "model_builder.hpp"  // the paper-shaped random model the tests use

#include <immintrin.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using svlrm::backend::precision;

// Two planes on [0, 1): the network's (input, guide).
std::vector<float> network_input(long w, long h) {
    std::vector<float> v(std::size_t(2 * w * h));
    std::mt19937 rng(unsigned(w * 7 + h));
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    for (auto& x : v) x = u(rng);
    return v;
}

void write_raw(const std::string& path, const float* p, std::size_t n) {
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(p), std::streamsize(n * sizeof(float)));
}

precision parse_mode(const std::string& s) {
    if (s == "fast") return precision::fast;
    if (s == "bf16") return precision::bf16;
    return precision::exact;
}

double peak_rss_mb() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

template <class F>
std::vector<double> time_runs(int runs, F&& f) {
    f();  // warm-up: builds and JIT-compiles the primitives for this size
    std::vector<double> ms;
    for (int i = 0; i < runs; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        f();
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    return ms;
}

template <class B>
std::vector<double> time_network(const B& b, long w, long h, int runs, const std::string& dump) {
    const std::vector<float> in = network_input(w, h);
    std::vector<float> out(in.size());
    const long n = w * h;
    auto call = [&] { b.infer({{in.data(), in.data() + n}, w, h}, {{out.data(), out.data() + n}}); };
    auto ms = time_runs(runs, call);
    if (!dump.empty()) write_raw(dump, out.data(), out.size());
    return ms;
}

std::vector<double> time_filter(const svlrm::model& m, precision mode, long w, long h, int runs, bool ensemble) {
    svlrm::image<std::uint8_t> guide(w, h), input(w, h), out(w, h);
    std::mt19937 rng(5);
    for (long i = 0; i < w * h; ++i) {
        guide.data()[i] = std::uint8_t(rng());
        input.data()[i] = std::uint8_t(rng());
    }
    svlrm::backend::onednn_options o;
    o.mode = mode;
    svlrm::filter_options fo;
    fo.self_ensemble = ensemble;
    const svlrm::joint_filter<svlrm::backend::onednn> f(m, o, fo);
    return time_runs(runs, [&] { f.apply(guide.view(), input.view(), out.view()); });
}

// 12 independent FMA chains of 16 floats hide the FMA latency; returns FLOP done.
__attribute__((target("avx512f"))) double fma_loop(long iterations, float* sink) {
    __m512 acc[12];
    for (int j = 0; j < 12; ++j) acc[j] = _mm512_set1_ps(float(j));
    const __m512 a = _mm512_set1_ps(0.999f), b = _mm512_set1_ps(1e-3f);
    for (long i = 0; i < iterations; ++i)
        for (int j = 0; j < 12; ++j) acc[j] = _mm512_fmadd_ps(acc[j], a, b);
    __m512 s = acc[0];
    for (int j = 1; j < 12; ++j) s = _mm512_add_ps(s, acc[j]);
    alignas(64) float lanes[16];
    _mm512_store_ps(lanes, s);  // not _mm512_reduce_add_ps: GCC 12 warns inside its own header (bug 105593)
    float total = 0;
    for (float v : lanes) total += v;
    *sink = total;
    return double(iterations) * 12 * 16 * 2;
}

// Best of 5 rounds of a ~0.5 s FMA loop on `threads` threads at once.
double peak_gflops(int threads) {
    double best = 0;
    for (int round = 0; round < 5; ++round) {
        std::vector<float> sink(std::size_t(threads) * 16);
        std::vector<std::thread> pool;
        const long iterations = 50'000'000;
        const auto t0 = std::chrono::steady_clock::now();
        for (int t = 0; t < threads; ++t) pool.emplace_back([&, t] { fma_loop(iterations, &sink[std::size_t(t) * 16]); });
        for (auto& th : pool) th.join();
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        best = std::max(best, double(iterations) * 12 * 16 * 2 * threads / s / 1e9);
    }
    return best;
}

}  // namespace

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    const svlrm::model m = svlrm_test::paper_model(2019);
    if (args.size() == 2 && args[0] == "--write-case") {
        for (std::size_t i = 0; i < m.layers.size(); ++i) {
            write_raw(args[1] + "/layer" + std::to_string(i) + ".weight", m.layers[i].weight.data(), m.layers[i].weight.size());
            write_raw(args[1] + "/layer" + std::to_string(i) + ".bias", m.layers[i].bias.data(), m.layers[i].bias.size());
        }
        for (auto [w, h] : {std::pair{640L, 480L}, std::pair{1024L, 1024L}}) {
            const auto in = network_input(w, h);
            write_raw(args[1] + "/input_" + std::to_string(w) + "x" + std::to_string(h), in.data(), in.size());
        }
        return 0;
    }
    if (args.size() == 1 && args[0] == "--peak") {
        std::printf("{\"fma_f32_gflops_1_thread\": %.1f, \"fma_f32_gflops_2_threads\": %.1f}\n", peak_gflops(1),
                    peak_gflops(2));
        return 0;
    }
    if (args.size() == 1 && args[0] == "--describe") {
        for (precision p : svlrm::backend::available_precisions()) {
            svlrm::backend::onednn_options o;
            o.mode = p;
            std::printf("%s", svlrm::backend::onednn(m, o).describe(640, 480).c_str());
        }
        return 0;
    }
    if (args.size() < 5) {
        std::fprintf(stderr, "usage: see the comment at the top of bench_onednn.cpp\n");
        return 2;
    }
    const std::string backend = args[0], mode = args[1];
    const long w = std::stol(args[2]), h = std::stol(args[3]);
    const int runs = std::stoi(args[4]);
    const std::string dump = args.size() > 5 ? args[5] : "";
    std::vector<double> ms;
    double flops_per_pixel = m.flops_per_pixel();
    if (backend == "reference") {
        ms = time_network(svlrm::backend::reference(m), w, h, runs, dump);
    } else if (backend == "tiled" || backend == "ensemble") {
        ms = time_filter(m, parse_mode(mode), w, h, runs, backend == "ensemble");
        if (backend == "ensemble") flops_per_pixel *= 8;
    } else {
        svlrm::backend::onednn_options o;
        o.mode = parse_mode(mode);
        o.own_last_layer = backend != "onednn_dnnl_last" && backend != "last_dnnl";
        svlrm::model net = m;
        if (backend.starts_with("last_")) net.layers = {m.layers.front(), m.layers.back()};
        if (backend == "onednn_leaky") {
            net.activation = svlrm::activation::leaky_relu;
            net.activation_slope = 0.1f;
        }
        flops_per_pixel = net.flops_per_pixel();
        ms = time_network(svlrm::backend::onednn(net, o), w, h, runs, dump);
    }
    std::vector<double> sorted = ms;
    std::sort(sorted.begin(), sorted.end());
    const double median = sorted[sorted.size() / 2];
    const double gflops = flops_per_pixel * double(w * h) / (median * 1e6);
    std::printf("{\"backend\": \"%s\", \"mode\": \"%s\", \"width\": %ld, \"height\": %ld, \"median_ms\": %.1f, "
                "\"gflops\": %.1f, \"peak_rss_mb\": %.1f, \"runs_ms\": [",
                backend.c_str(), mode.c_str(), w, h, median, gflops, peak_rss_mb());
    for (std::size_t i = 0; i < ms.size(); ++i) std::printf("%s%.1f", i ? ", " : "", ms[i]);
    std::printf("]}\n");
    return 0;
}
