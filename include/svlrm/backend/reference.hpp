// The reference backend: a plain im2col + GEMM (Eigen) evaluation of the network.
// It is the oracle every other backend is tested against, so it favours being
// obviously right over being fast; it still bounds its memory by working on bands
// of rows and uses all threads (svlrm::set_num_threads).
#pragma once

#include <svlrm/backend/contract.hpp>
#include <svlrm/parallel.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace svlrm::backend {

struct reference_options {
    // Pixels per im2col band; bounds the scratch matrix to band * in * k^2 floats.
    std::ptrdiff_t band_pixels = 16384;
};

class reference {
public:
    static constexpr std::string_view name = "reference";
    using options = reference_options;

    explicit reference(const model& m, const options& opts = {}) : reference(std::make_shared<const model>(m), opts) {}
    reference(shared_model m, const options& opts)
        : model_(validated(std::move(m), "svlrm::backend::reference")), options_(opts) {}

    // Its one mode is exact: plain f32 sums, the same on every machine.
    static std::vector<std::string> precisions() { return {"exact"}; }
    static options options_for(std::string_view mode) {
        if (!is_auto(mode) && mode != "exact")
            throw std::invalid_argument("precision '" + std::string(mode) +
                                        "' is not a mode of the reference backend (exact, auto)");
        return {};
    }
    std::string precision_name() const { return "exact"; }

    void infer(const network_input& in, const network_output& out) const {
        const std::ptrdiff_t w = in.width, h = in.height, n = w * h;
        const std::ptrdiff_t width = model_->max_channels();
        // Two activation buffers used in turn ("ping-pong").
        std::vector<float> a(static_cast<std::size_t>(width * n)), b(a.size());
        std::copy(in.channel[0], in.channel[0] + n, a.data());
        std::copy(in.channel[1], in.channel[1] + n, a.data() + n);
        for (std::size_t i = 0; i < model_->layers.size(); ++i) {
            const bool last = i + 1 == model_->layers.size();
            run_layer(model_->layers[i], a.data(), b.data(), w, h, !last);
            std::swap(a, b);
        }
        std::copy(a.data(), a.data() + n, out.channel[0]);
        std::copy(a.data() + n, a.data() + 2 * n, out.channel[1]);
    }

private:
    shared_model model_;
    options options_;

    using row_matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

    // y = act(conv(x) + bias) for CHW planes x (in channels) and y (out channels).
    void run_layer(const conv_layer& l, const float* x, float* y, std::ptrdiff_t w, std::ptrdiff_t h,
                   bool activate) const {
        const std::ptrdiff_t n = w * h, k = l.kernel, r = k / 2, depth = l.in_channels * k * k;
        // Bands are whole rows, so the im2col loop below needs no division per pixel.
        const std::ptrdiff_t band = std::max<std::ptrdiff_t>(w, options_.band_pixels / w * w);
        const std::ptrdiff_t bands = (n + band - 1) / band;
        const Eigen::Map<const row_matrix> weight(l.weight.data(), l.out_channels, depth);
        const Eigen::Map<const Eigen::VectorXf> bias(l.bias.data(), l.out_channels);
        const float slope = model_->activation == activation::leaky_relu ? model_->activation_slope : 0.0f;

        parallel_for(bands, [&](std::ptrdiff_t b0, std::ptrdiff_t b1) {
            row_matrix cols;
            for (std::ptrdiff_t bi = b0; bi < b1; ++bi) {
                const std::ptrdiff_t p0 = bi * band, p1 = std::min(n, p0 + band), np = p1 - p0;
                // im2col: row (c, ky, kx) holds x[c](px + kx - r, py + ky - r), zero outside the image.
                cols.resize(depth, np);
                for (std::ptrdiff_t c = 0; c < l.in_channels; ++c)
                    for (std::ptrdiff_t ky = 0; ky < k; ++ky)
                        for (std::ptrdiff_t kx = 0; kx < k; ++kx) {
                            float* dst = cols.row((c * k + ky) * k + kx).data();
                            const float* plane = x + c * n;
                            for (std::ptrdiff_t py = p0 / w; py < p1 / w; ++py, dst += w) {
                                const std::ptrdiff_t sy = py + ky - r;
                                if (sy < 0 || sy >= h) {
                                    std::fill(dst, dst + w, 0.0f);
                                    continue;
                                }
                                const float* src = plane + sy * w;
                                for (std::ptrdiff_t px = 0; px < w; ++px) {
                                    const std::ptrdiff_t sx = px + kx - r;
                                    dst[px] = (sx >= 0 && sx < w) ? src[sx] : 0.0f;
                                }
                            }
                        }
                Eigen::Map<row_matrix, 0, Eigen::OuterStride<>> result(y + p0, l.out_channels, np,
                                                                       Eigen::OuterStride<>(n));
                result.noalias() = weight * cols;
                result.colwise() += bias;
                if (activate)
                    result = result.unaryExpr([slope](float v) { return v > 0.0f ? v : v * slope; });
            }
        });
    }
};

static_assert(coefficient_backend<reference>);

}  // namespace svlrm::backend
