// Wall time for the programs' time columns and run summaries, on the steady clock (a
// clock adjustment during a run must not show up as a speed-up).
#pragma once

#include <chrono>

namespace svlrm_tools {

class stopwatch {
public:
    double seconds() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }
    double ms() const { return 1e3 * seconds(); }

private:
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

// The milliseconds f() takes.
template <class F>
double time_ms(F&& f) {
    const stopwatch timer;
    f();
    return timer.ms();
}

}  // namespace svlrm_tools
