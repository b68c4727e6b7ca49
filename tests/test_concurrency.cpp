// Concurrency and determinism: many threads calling the baselines and one shared
// joint_filter on different images give exactly the single-threaded results, and
// the same call gives the same bits every time and for every thread count.
// ThreadSanitizer runs this file (tools/check_sanitizers.sh).
#include <svlrm/svlrm.hpp>

#include "model_builder.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <cstring>
#include <functional>
#include <thread>

using svlrm::image;

namespace {

constexpr int threads = 4;

// Each job filters image i into out; returns nothing, must be deterministic.
using job = std::function<void(const image<float>& guide, const image<float>& input, image<float>& out)>;

bool same_bits(const image<float>& a, const image<float>& b) {
    return std::memcmp(a.data(), b.data(), sizeof(float) * std::size_t(a.width() * a.height() * a.channels())) == 0;
}

void check_concurrent(const job& run, long guide_channels, long w = 67, long h = 45) {
    std::vector<image<float>> guides, inputs, expected, got;
    for (unsigned i = 0; i < threads; ++i) {
        guides.push_back(svlrm_test::random_image(w, h, guide_channels, 10 + i));
        inputs.push_back(svlrm_test::random_image(w, h, 1, 20 + i));
        expected.emplace_back(w, h);
        got.emplace_back(w, h);
        run(guides[i], inputs[i], expected[i]);
    }
    // Repeated calls give the same bits.
    image<float> again(w, h);
    run(guides[0], inputs[0], again);
    CHECK(same_bits(again, expected[0]));
    std::vector<std::thread> pool;
    for (int i = 0; i < threads; ++i) pool.emplace_back([&, i] { run(guides[i], inputs[i], got[i]); });
    for (auto& t : pool) t.join();
    for (int i = 0; i < threads; ++i) CHECK(same_bits(got[i], expected[i]));
}

}  // namespace

TEST_CASE("baselines called from several threads at once give the single-threaded bits", "[threads]") {
    SECTION("guided filter, gray and colour guide") {
        for (long gc : {1L, 3L})
            check_concurrent([](auto& g, auto& in, auto& out) { svlrm::guided_filter(g.view(), in.view(), out.view(), 4, 1e-2); }, gc);
    }
    SECTION("fast guided filter") {
        check_concurrent(
            [](auto& g, auto& in, auto& out) { svlrm::fast_guided_filter(g.view(), in.view(), out.view(), 8, 1e-2, 4); }, 3);
    }
    SECTION("hand-crafted prior (Eq. 12)") {
        check_concurrent([](auto& g, auto& in, auto& out) { svlrm::hand_crafted_filter(g.view(), in.view(), out.view(), 0.1, 0.1); }, 1);
    }
    SECTION("joint bilateral filter") {
        check_concurrent(
            [](auto& g, auto& in, auto& out) { svlrm::joint_bilateral_filter(g.view(), in.view(), out.view(), 2, 1.0, 0.1); }, 3);
    }
    SECTION("shared joint_filter<reference>") {
        const svlrm::joint_filter<svlrm::backend::reference> f(
            svlrm_test::random_model({2, 8, 8, 2}, 3, svlrm::activation::leaky_relu, 3));
        check_concurrent([&](auto& g, auto& in, auto& out) { f.apply(g.view(), in.view(), out.view()); }, 3, 40, 30);
    }
}

TEST_CASE("results do not depend on the thread count", "[threads]") {
    const auto guide = svlrm_test::random_image(301, 207, 3, 1), input = svlrm_test::random_image(301, 207, 1, 2);
    const svlrm::joint_filter<svlrm::backend::reference> f(svlrm_test::random_model({2, 8, 8, 2}, 3, svlrm::activation::relu, 4));
    auto run_all = [&] {
        std::vector<image<float>> r(5, image<float>(301, 207));
        svlrm::guided_filter(guide.view(), input.view(), r[0].view(), 8, 1e-3);
        svlrm::fast_guided_filter(guide.view(), input.view(), r[1].view(), 8, 1e-3, 2);
        svlrm::joint_bilateral_filter(guide.view(), input.view(), r[2].view(), 3, 1.5, 0.1);
        svlrm::hand_crafted_filter(guide.view(), input.view(), r[3].view(), 0.1, 0.1);
        f.apply(guide.view(), input.view(), r[4].view());
        return r;
    };
    svlrm::set_num_threads(1);
    const auto one = run_all();
    svlrm::set_num_threads(2);
    const auto two = run_all();
    svlrm::set_num_threads(7);  // more threads than cores, uneven row splits
    const auto seven = run_all();
    svlrm::set_num_threads(0);
    for (std::size_t i = 0; i < one.size(); ++i) {
        INFO("filter " << i);
        CHECK(same_bits(one[i], two[i]));
        CHECK(same_bits(one[i], seven[i]));
    }
}

// parallel_for when threads cannot start: in a child process whose address space is
// capped a few thread stacks above its size, a 64-thread call must still run every
// chunk (the missing threads' chunks on the calling thread) instead of terminating.
// Address-space caps and the sanitizers' shadow memory do not mix: skipped under them.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SVLRM_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SVLRM_SANITIZED 1
#endif
#endif
#ifndef SVLRM_SANITIZED
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>

TEST_CASE("parallel_for runs every chunk when threads cannot start", "[threads]") {
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        long pages = 0;
        std::ifstream("/proc/self/statm") >> pages;
        const rlim_t cap = rlim_t(pages) * rlim_t(sysconf(_SC_PAGESIZE)) + (rlim_t(40) << 20);  // ~4 more 8 MB stacks
        const rlimit limit{cap, cap};
        if (setrlimit(RLIMIT_AS, &limit) != 0) _exit(3);
        svlrm::set_num_threads(64);
        std::vector<std::atomic<int>> hits(64);
        try {
            svlrm::parallel_for(64, [&](std::ptrdiff_t b, std::ptrdiff_t e) {
                for (std::ptrdiff_t i = b; i < e; ++i) hits[std::size_t(i)]++;
                std::this_thread::sleep_for(std::chrono::milliseconds(20));  // keep the started threads alive
            });
        } catch (...) {
            _exit(2);
        }
        for (const auto& h : hits)
            if (h != 1) _exit(1);
        _exit(0);
    }
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    INFO("child status " << status << (WIFSIGNALED(status) ? " (killed by a signal: std::terminate?)" : ""));
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}
#endif
