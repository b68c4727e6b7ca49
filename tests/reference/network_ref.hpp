// Float64 re-derivation of the SVLRM network and Eq. 5, written as directly as
// possible (explicit convolution sums, no im2col, no GEMM), independent of every
// backend: the check on the reference backend itself.
#pragma once

#include <svlrm/model.hpp>

#include <algorithm>
#include <vector>

namespace svlrm_ref {

// Returns the network's 2 output planes for 2 input planes (model order), in double.
inline std::vector<std::vector<double>> network(const svlrm::model& m, const std::vector<std::vector<double>>& in,
                                                long w, long h) {
    std::vector<std::vector<double>> x = in;
    for (std::size_t li = 0; li < m.layers.size(); ++li) {
        const auto& l = m.layers[li];
        const long k = l.kernel, r = k / 2;
        std::vector<std::vector<double>> y(l.out_channels, std::vector<double>(w * h));
        for (long o = 0; o < l.out_channels; ++o)
            for (long py = 0; py < h; ++py)
                for (long px = 0; px < w; ++px) {
                    double s = l.bias[o];
                    for (long c = 0; c < l.in_channels; ++c)
                        for (long ky = 0; ky < k; ++ky)
                            for (long kx = 0; kx < k; ++kx) {
                                const long sx = px + kx - r, sy = py + ky - r;
                                if (sx < 0 || sx >= w || sy < 0 || sy >= h) continue;  // zero padding
                                s += double(l.weight[((o * l.in_channels + c) * k + ky) * k + kx]) * x[c][sy * w + sx];
                            }
                    if (li + 1 < m.layers.size() && s < 0)
                        s = m.activation == svlrm::activation::relu ? 0.0 : s * double(m.activation_slope);
                    y[o][py * w + px] = s;
                }
        x = std::move(y);
    }
    return x;
}

struct svlrm_result {
    std::vector<double> alpha, beta, output;
};

// Eq. 5 for one input plane and a gray guide plane on the unit scale. With
// input_normalisation = valid_range the input is first mapped from [lo, hi], the
// range of its nonzero values, to [0, 1] (span 1 when there is no such range), and
// the output back.
inline svlrm_result filter(const svlrm::model& m, const std::vector<double>& input, const std::vector<double>& guide,
                           long w, long h) {
    double lo = 0, span = 1;
    if (m.input_normalisation == svlrm::input_normalisation::valid_range) {
        bool any = false;
        double mn = 0, mx = 0;
        for (double v : input) {
            if (v == 0) continue;
            mn = any ? std::min(mn, v) : v;
            mx = any ? std::max(mx, v) : v;
            any = true;
        }
        if (any) lo = mn, span = mx > mn ? mx - mn : 1.0;
    }
    std::vector<double> si(input), sg(guide);
    for (auto& v : si) v = m.input_scale * (v - lo) / span;
    for (auto& v : sg) v *= m.guide_scale;
    const auto out = network(m, m.guide_first ? std::vector{sg, si} : std::vector{si, sg}, w, h);
    svlrm_result r;
    r.alpha = out[m.beta_first ? 1 : 0];
    r.beta = out[m.beta_first ? 0 : 1];
    r.output.resize(w * h);
    for (long i = 0; i < w * h; ++i) r.output[i] = lo + span * (r.alpha[i] * sg[i] + r.beta[i]) / m.input_scale;
    return r;
}

}  // namespace svlrm_ref
