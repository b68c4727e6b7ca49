// svlrm::guided_filter / fast_guided_filter against cv::ximgproc::guidedFilter on a
// 1024x1024 float image on [0, 1], r = 8, eps = 1e-2, gray and colour guide (1-channel
// input), 1 and 2 threads. The argument of every benchmark is the thread count.
#include <svlrm/guided_filter.hpp>

#include <benchmark/benchmark.h>

#ifdef SVLRM_HAVE_OPENCV
#include <opencv2/core.hpp>
#include <opencv2/ximgproc.hpp>
#endif

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>

namespace {

constexpr int size = 1024, radius = 8;
constexpr double eps = 1e-2;

// Random but smooth: low-frequency waves plus a little noise, so that the filter sees
// both edges-like gradients and flat regions.
svlrm::image<float> test_image(std::ptrdiff_t channels, unsigned seed) {
    svlrm::image<float> img(size, size, channels);
    std::mt19937 rng(seed);
    std::normal_distribution<float> noise(0.0f, 0.03f);
    for (std::ptrdiff_t y = 0; y < size; ++y)
        for (std::ptrdiff_t x = 0; x < size; ++x)
            for (std::ptrdiff_t c = 0; c < channels; ++c) {
                const double v = 0.5 + 0.3 * std::sin(0.021 * x + c) * std::cos(0.017 * y - c) +
                                 0.1 * std::sin(0.11 * (x + y) + 2 * c);
                img(x, y, c) = std::clamp(float(v) + noise(rng), 0.0f, 1.0f);
            }
    return img;
}

const svlrm::image<float>& guide(std::ptrdiff_t channels) {
    static const auto gray = test_image(1, 1), colour = test_image(3, 2);
    return channels == 1 ? gray : colour;
}
const svlrm::image<float>& input() {
    static const auto p = test_image(1, 3);
    return p;
}

void run_svlrm(benchmark::State& state, std::ptrdiff_t guide_channels, int subsample) {
    svlrm::set_num_threads(int(state.range(0)));
    svlrm::image<float> out(size, size, 1);
    for (auto _ : state) {
        if (subsample == 1) svlrm::guided_filter(guide(guide_channels).view(), input().view(), out.view(), radius, eps);
        else svlrm::fast_guided_filter(guide(guide_channels).view(), input().view(), out.view(), radius, eps, subsample);
        benchmark::DoNotOptimize(out.data());
    }
    svlrm::set_num_threads(0);
}

void BM_svlrm_gray(benchmark::State& s) { run_svlrm(s, 1, 1); }
void BM_svlrm_colour(benchmark::State& s) { run_svlrm(s, 3, 1); }
void BM_svlrm_fast_s4_gray(benchmark::State& s) { run_svlrm(s, 1, 4); }
void BM_svlrm_fast_s4_colour(benchmark::State& s) { run_svlrm(s, 3, 4); }

#ifdef SVLRM_HAVE_OPENCV
cv::Mat as_mat(const svlrm::image<float>& img) {
    return cv::Mat(int(img.height()), int(img.width()), CV_32FC(int(img.channels())), const_cast<float*>(img.data()));
}

void run_opencv(benchmark::State& state, std::ptrdiff_t guide_channels) {
    cv::setNumThreads(int(state.range(0)));
    cv::Mat out;
    for (auto _ : state) {
        cv::ximgproc::guidedFilter(as_mat(guide(guide_channels)), as_mat(input()), out, radius, eps, CV_32F);
        benchmark::DoNotOptimize(out.data);
    }
}
void BM_opencv_gray(benchmark::State& s) { run_opencv(s, 1); }
void BM_opencv_colour(benchmark::State& s) { run_opencv(s, 3); }

// The two must compute the same filter: compare more than 2r from the border (a and b
// are boxed twice), where svlrm's default (He's normalised windows) and OpenCV's
// mirrored windows agree.
void check_agreement() {
    for (const std::ptrdiff_t gc : {1, 3}) {
        svlrm::image<float> ours(size, size, 1);
        svlrm::guided_filter(guide(gc).view(), input().view(), ours.view(), radius, eps);
        cv::Mat theirs;
        cv::ximgproc::guidedFilter(as_mat(guide(gc)), as_mat(input()), theirs, radius, eps, CV_32F);
        double worst = 0;
        for (int y = 2 * radius; y < size - 2 * radius; ++y)
            for (int x = 2 * radius; x < size - 2 * radius; ++x)
                worst = std::max(worst, double(std::abs(ours(x, y) - theirs.at<float>(y, x))));
        if (worst > 1e-4) {
            std::fprintf(stderr, "svlrm and OpenCV differ by %g (guide channels %td): aborting\n", worst, gc);
            std::abort();
        }
        std::fprintf(stderr, "guide channels %td: max |svlrm - OpenCV| in the interior = %.3g\n", gc, worst);
    }
}
#endif

}  // namespace

BENCHMARK(BM_svlrm_gray)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_svlrm_colour)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_svlrm_fast_s4_gray)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_svlrm_fast_s4_colour)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
#ifdef SVLRM_HAVE_OPENCV
BENCHMARK(BM_opencv_gray)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_opencv_colour)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
#endif

int main(int argc, char** argv) {
#ifdef SVLRM_HAVE_OPENCV
    check_agreement();
#endif
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
