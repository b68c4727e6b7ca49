// Shared helpers for the test suite: random and real images, error measures.
#pragma once

#include <svlrm/image.hpp>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

namespace svlrm_test {

inline std::filesystem::path data_dir() { return SVLRM_DATA_DIR; }
inline std::filesystem::path source_dir() { return SVLRM_SOURCE_DIR; }
inline bool have_data() { return std::filesystem::exists(data_dir() / "README.md"); }

// The shell command that runs one of the Python tools (`python3 -m tools....`) from the
// source tree, where the package `tools` is found; the caller appends absolute paths.
inline std::string python_module(const std::string& module) {
    return "cd '" + source_dir().string() + "' && " + SVLRM_PYTHON + " -m " + module;
}

// Uniform random float image in [lo, hi).
inline svlrm::image<float> random_image(std::ptrdiff_t w, std::ptrdiff_t h, std::ptrdiff_t c, unsigned seed,
                                        float lo = 0.0f, float hi = 1.0f) {
    svlrm::image<float> img(w, h, c);
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(lo, hi);
    for (std::ptrdiff_t i = 0; i < w * h * c; ++i) img.data()[i] = u(rng);
    return img;
}

// Real image from the shared datasets as float on [0, 1], RGB channel order (or gray).
inline svlrm::image<float> load_image(const std::filesystem::path& path, bool gray = false) {
    cv::Mat m = cv::imread(path.string(), gray ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR);
    if (m.empty()) throw std::runtime_error("cannot read " + path.string());
    if (!gray) cv::cvtColor(m, m, cv::COLOR_BGR2RGB);
    svlrm::image<float> img(m.cols, m.rows, m.channels());
    for (int y = 0; y < m.rows; ++y)
        for (int x = 0; x < m.cols * m.channels(); ++x)
            img.data()[y * m.cols * m.channels() + x] = m.ptr<std::uint8_t>(y)[x] / 255.0f;
    return img;
}

template <class A, class B>
double max_abs_diff(const svlrm::image_view<A>& a, const svlrm::image_view<B>& b) {
    double m = 0;
    for (std::ptrdiff_t y = 0; y < a.height; ++y)
        for (std::ptrdiff_t i = 0; i < a.width * a.channels; ++i)
            m = std::max(m, std::abs(double(svlrm::to_unit(a.row(y)[i])) - double(svlrm::to_unit(b.row(y)[i]))));
    return m;
}

// ||a - b|| / ||b||
inline double rel_l2(const float* a, const double* b, std::size_t n) {
    double num = 0, den = 0;
    for (std::size_t i = 0; i < n; ++i) {
        num += (a[i] - b[i]) * (a[i] - b[i]);
        den += b[i] * b[i];
    }
    return std::sqrt(num / std::max(den, 1e-300));
}
inline double rel_l2(const float* a, const float* b, std::size_t n) {
    std::vector<double> bd(b, b + n);
    return rel_l2(a, bd.data(), n);
}

}  // namespace svlrm_test
