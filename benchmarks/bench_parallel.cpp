// svlrm::parallel_for starts its threads on every call. Is a persistent pool worth its
// global state? Side by side in one run: parallel_for against a minimal pool (threads
// started once, woken per call) on an empty body, the fixed cost per call; the guided
// filter on 2 threads and on 1 at three sizes, what that cost is worth against real
// work; and 4 callers at once, each with its own 2-thread fork-join (a server filtering
// several requests: N callers start N x 2 threads) or single-threaded. Argument: image side.
#include <svlrm/guided_filter.hpp>
#include <svlrm/parallel.hpp>

#include <benchmark/benchmark.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

namespace {

// The alternative: one worker thread started once; each call hands it the second half
// and runs the first on the caller (2 threads, as parallel_for on this machine).
class two_thread_pool {
public:
    two_thread_pool() : worker_([this] { loop(); }) {}
    ~two_thread_pool() {
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
        }
        wake_.notify_one();
        worker_.join();
    }
    void run(std::ptrdiff_t count, const std::function<void(std::ptrdiff_t, std::ptrdiff_t)>& body) {
        {
            std::lock_guard lock(mutex_);
            job_ = [&] { body(count / 2, count); };
            pending_ = true;
        }
        wake_.notify_one();
        body(0, count / 2);
        std::unique_lock lock(mutex_);
        done_.wait(lock, [this] { return !pending_; });
    }

private:
    void loop() {
        std::unique_lock lock(mutex_);
        for (;;) {
            wake_.wait(lock, [this] { return pending_ || stop_; });
            if (stop_) return;
            lock.unlock();
            job_();
            lock.lock();
            pending_ = false;
            done_.notify_one();
        }
    }
    std::mutex mutex_;
    std::condition_variable wake_, done_;
    std::function<void()> job_;
    bool pending_ = false, stop_ = false;
    std::thread worker_;
};

void BM_empty_parallel_for(benchmark::State& state) {
    svlrm::set_num_threads(2);
    for (auto _ : state) svlrm::parallel_for(2, [](std::ptrdiff_t b, std::ptrdiff_t) { benchmark::DoNotOptimize(b); });
    svlrm::set_num_threads(0);
}

void BM_empty_pool(benchmark::State& state) {
    two_thread_pool pool;
    for (auto _ : state) pool.run(2, [](std::ptrdiff_t b, std::ptrdiff_t) { benchmark::DoNotOptimize(b); });
}

svlrm::image<float> random_image(std::ptrdiff_t side, unsigned seed) {
    svlrm::image<float> img(side, side);
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    for (std::ptrdiff_t i = 0; i < side * side; ++i) img.data()[i] = u(rng);
    return img;
}

// The guided filter (r = 8) on 2 threads through parallel_for, as the library runs, and
// on 1: at small sizes the threads' start is the part a pool could save (the empty rows).
void guided(benchmark::State& state, int threads) {
    const std::ptrdiff_t side = state.range(0);
    const auto g = random_image(side, 1), p = random_image(side, 2);
    svlrm::image<float> out(side, side);
    svlrm::set_num_threads(threads);
    for (auto _ : state) svlrm::guided_filter(g.view(), p.view(), out.view(), 8, 1e-2);
    svlrm::set_num_threads(0);
}
void BM_guided_parallel_for(benchmark::State& s) { guided(s, 2); }
void BM_guided_one_thread(benchmark::State& s) { guided(s, 1); }

// 4 callers, each filtering its own image: per-call threads (4 x 2 started per round)
// against each caller single-threaded (the setting a server would choose).
void concurrent(benchmark::State& state, int threads_per_call) {
    const std::ptrdiff_t side = state.range(0);
    const auto g = random_image(side, 1), p = random_image(side, 2);
    svlrm::set_num_threads(threads_per_call);
    for (auto _ : state) {
        std::vector<std::thread> callers;
        std::vector<svlrm::image<float>> outs(4, svlrm::image<float>(side, side));
        for (int c = 0; c < 4; ++c)
            callers.emplace_back([&, c] { svlrm::guided_filter(g.view(), p.view(), outs[c].view(), 8, 1e-2); });
        for (auto& t : callers) t.join();
    }
    svlrm::set_num_threads(0);
}
void BM_four_callers_two_threads_each(benchmark::State& s) { concurrent(s, 2); }
void BM_four_callers_one_thread_each(benchmark::State& s) { concurrent(s, 1); }

}  // namespace

BENCHMARK(BM_empty_parallel_for)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_empty_pool)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_guided_parallel_for)->Arg(64)->Arg(256)->Arg(640)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_guided_one_thread)->Arg(64)->Arg(256)->Arg(640)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_four_callers_two_threads_each)->Arg(256)->Arg(640)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_four_callers_one_thread_each)->Arg(256)->Arg(640)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
