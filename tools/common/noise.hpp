// Additive Gaussian noise as the paper's protocols define it, for the evaluation and the
// demo (the trainer's twin: tools/train/degrade.py, add_gaussian_noise / table2_noise).
//   Table 2 (depth restoration): sigma = 8% of the value range, then clipped to the
//   range of the data ([0, 1] on the unit scale: 0..255 for 8-bit depth);
//   Tables 3-4 (natural images): sigma drawn per image, not clipped.
#pragma once

#include <svlrm/image.hpp>

#include <algorithm>
#include <random>

namespace svlrm_tools {

inline constexpr double table2_sigma = 0.08;  // of the value range

// clean + N(0, sigma^2) per value, in memory order, from std::mt19937(seed); not clipped.
inline svlrm::image<float> add_gaussian_noise(const svlrm::image<float>& clean, double sigma, unsigned seed) {
    svlrm::image<float> noisy(clean.width(), clean.height(), clean.channels());
    std::mt19937 rng(seed);
    std::normal_distribution<double> n(0.0, sigma);
    for (long i = 0; i < clean.width() * clean.height() * clean.channels(); ++i)
        noisy.data()[i] = float(clean.data()[i] + n(rng));
    return noisy;
}

// Table 2: sigma = table2_sigma * range (range: the depth's value range on the unit
// scale; 1 for 8-bit depth spanning 0..255), clipped to [0, 1].
inline svlrm::image<float> table2_noise(const svlrm::image<float>& clean, double range, unsigned seed) {
    svlrm::image<float> noisy = add_gaussian_noise(clean, table2_sigma * range, seed);
    for (long i = 0; i < noisy.width() * noisy.height() * noisy.channels(); ++i)
        noisy.data()[i] = std::clamp(noisy.data()[i], 0.0f, 1.0f);
    return noisy;
}

}  // namespace svlrm_tools
