// A minimal fork-join helper. Header-only users should not need OpenMP flags,
// so plain std::thread is used, started per call: 46 us a call on 2 threads against
// 19 us for a persistent pool (benchmarks/bench_parallel.cpp), 2.5% of a 640x640 guided
// filter, and no global threads to manage (docs/benchmarks.md, "Threads").
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <system_error>
#include <thread>
#include <vector>

namespace svlrm {

namespace detail {
inline std::atomic<int>& thread_setting() {
    static std::atomic<int> n{0};  // 0 = all hardware threads
    return n;
}
}  // namespace detail

// Number of threads the baseline filters and the reference backend use
// (backends with their own runtime, such as oneDNN's OpenMP, follow their own settings).
// n <= 0 restores the default: std::thread::hardware_concurrency().
inline void set_num_threads(int n) { detail::thread_setting().store(n < 0 ? 0 : n); }

inline int get_num_threads() {
    const int n = detail::thread_setting().load();
    if (n > 0) return n;
    const unsigned hw = std::thread::hardware_concurrency();
    return hw == 0 ? 1 : static_cast<int>(hw);
}

// Calls body(begin, end) on disjoint chunks covering [0, count), in up to
// get_num_threads() threads. Chunks are contiguous so that each thread streams
// through memory. The first exception thrown by a chunk is rethrown here.
template <class Body>
void parallel_for(std::ptrdiff_t count, Body&& body, std::ptrdiff_t min_chunk = 1) {
    if (count <= 0) return;
    const std::ptrdiff_t max_threads = std::max<std::ptrdiff_t>(1, count / std::max<std::ptrdiff_t>(1, min_chunk));
    const std::ptrdiff_t threads = std::min<std::ptrdiff_t>(get_num_threads(), max_threads);
    if (threads <= 1) {
        body(std::ptrdiff_t{0}, count);
        return;
    }
    std::exception_ptr error;
    std::atomic_flag error_set = ATOMIC_FLAG_INIT;
    auto run = [&](std::ptrdiff_t t) {
        const std::ptrdiff_t begin = count * t / threads;
        const std::ptrdiff_t end = count * (t + 1) / threads;
        try {
            body(begin, end);
        } catch (...) {
            if (!error_set.test_and_set()) error = std::current_exception();
        }
    };
    std::vector<std::thread> pool;
    pool.reserve(static_cast<std::size_t>(threads - 1));
    // A thread that cannot start (std::system_error: no memory for its stack, a process
    // limit) leaves its chunks to this thread: the result is the same, only slower, and
    // the threads already started are still joined (a joinable std::thread destroyed
    // during unwinding would call std::terminate).
    std::ptrdiff_t started = 1;
    try {
        for (; started < threads; ++started) pool.emplace_back(run, started);
    } catch (const std::system_error&) {
    }
    run(0);
    for (std::ptrdiff_t t = started; t < threads; ++t) run(t);
    for (auto& th : pool) th.join();
    if (error) std::rethrow_exception(error);
}

}  // namespace svlrm
