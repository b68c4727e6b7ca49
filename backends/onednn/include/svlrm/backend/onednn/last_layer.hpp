// The network's last layer (C -> 2 channels, k x k) computed by svlrm itself.
//
// oneDNN pads the 2 output channels of this layer to a vector of 16, so it spends
// 8x the multiply-adds the layer needs (docs/backends.md has the measurement).
// This kernel reads the previous layer's f32 activations in oneDNN's own layout
// (nChw16c or nhwc: both hold 16 consecutive channels of one pixel contiguously),
// accumulates both output channels for 4 neighbouring pixels at once (so each
// weight vector loaded serves 4 pixels) and writes the two planar output planes the
// backend returns, which also saves the reorder a oneDNN last layer would need.
#pragma once

#include <svlrm/model.hpp>
#include <svlrm/parallel.hpp>

#include <algorithm>
#include <cstddef>
#include <vector>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define SVLRM_ONEDNN_HAVE_AVX512_KERNEL 1
#endif

// GCC 12's own _mm512_reduce_add_ps reads an undefined vector on purpose and then
// warns about it (-Wuninitialized, GCC bug 105593); the warning is about the
// compiler's header, not this code.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

namespace svlrm::backend::onednn_detail {

// Where channel c of pixel (x, y) lies in a channel-blocked activation buffer:
// base + (c / 16) * block_stride + (y * width + x) * pixel_stride + c % 16.
struct blocked_view {
    const float* base;
    std::ptrdiff_t width, height, channels;  // channels: a multiple of 16
    std::ptrdiff_t block_stride, pixel_stride;
};

class last_layer_kernel {
public:
    static constexpr int lanes = 16;
    static constexpr int pixels = 4;  // output pixels sharing each weight load

    // Applicable to a layer with 2 outputs whose input width is a multiple of 16.
    static bool fits(const conv_layer& l) { return l.out_channels == 2 && l.in_channels % lanes == 0; }

    explicit last_layer_kernel(const conv_layer& l)
        : channels_(l.in_channels), k_(l.kernel), bias_{l.bias[0], l.bias[1]} {
        // [o][ky][kx][c]: the channels of one tap are contiguous, like the activations.
        weights_.resize(std::size_t(2) * k_ * k_ * channels_);
        for (int o = 0; o < 2; ++o)
            for (int c = 0; c < channels_; ++c)
                for (int t = 0; t < k_ * k_; ++t)
                    weights_[(std::size_t(o) * k_ * k_ + t) * channels_ + c] =
                        l.weight[(std::size_t(o) * channels_ + c) * k_ * k_ + t];
    }

    void run(const blocked_view& in, float* out0, float* out1) const {
        const bool wide = have_avx512();
        parallel_for(in.height, [&](std::ptrdiff_t y0, std::ptrdiff_t y1) {
            for (std::ptrdiff_t y = y0; y < y1; ++y) {
#ifdef SVLRM_ONEDNN_HAVE_AVX512_KERNEL
                if (wide) {
                    row_avx512(in, y, out0, out1);
                    continue;
                }
#endif
                row_generic(in, y, out0, out1);
            }
        });
    }

private:
    int channels_, k_;
    float bias_[2];
    std::vector<float> weights_;

    static bool have_avx512() {
#ifdef SVLRM_ONEDNN_HAVE_AVX512_KERNEL
        static const bool yes = __builtin_cpu_supports("avx512f");
        return yes;
#else
        return false;
#endif
    }

    // Input pointers of tap (ky, kx) for pixels x .. x + pixels - 1 of row y;
    // nullptr where the tap falls outside the image (zero padding).
    void tap_pointers(const blocked_view& in, std::ptrdiff_t x, std::ptrdiff_t y, int ky, int kx,
                      const float* (&p)[pixels]) const {
        const std::ptrdiff_t r = k_ / 2, sy = y + ky - r;
        for (int i = 0; i < pixels; ++i) {
            const std::ptrdiff_t sx = x + i + kx - r;
            const bool inside = sy >= 0 && sy < in.height && sx >= 0 && sx < in.width && x + i < in.width;
            p[i] = inside ? in.base + (sy * in.width + sx) * in.pixel_stride : nullptr;
        }
    }

    void row_generic(const blocked_view& in, std::ptrdiff_t y, float* out0, float* out1) const {
        const std::size_t plane = std::size_t(k_) * k_ * channels_;
        for (std::ptrdiff_t x = 0; x < in.width; x += pixels) {
            float acc[2][pixels] = {};
            for (int ky = 0; ky < k_; ++ky)
                for (int kx = 0; kx < k_; ++kx) {
                    const float* p[pixels];
                    tap_pointers(in, x, y, ky, kx, p);
                    const float* w = weights_.data() + std::size_t(ky * k_ + kx) * channels_;
                    for (int i = 0; i < pixels; ++i) {
                        if (!p[i]) continue;
                        for (std::ptrdiff_t c = 0; c < channels_; ++c) {
                            const float v = p[i][(c / lanes) * in.block_stride + c % lanes];
                            acc[0][i] += v * w[c];
                            acc[1][i] += v * w[plane + c];
                        }
                    }
                }
            for (int i = 0; i < pixels && x + i < in.width; ++i) {
                out0[y * in.width + x + i] = bias_[0] + acc[0][i];
                out1[y * in.width + x + i] = bias_[1] + acc[1][i];
            }
        }
    }

#ifdef SVLRM_ONEDNN_HAVE_AVX512_KERNEL
    // Compiled for AVX-512 whatever the user's flags; only called where the CPU has it.
    __attribute__((target("avx512f"))) void row_avx512(const blocked_view& in, std::ptrdiff_t y, float* out0,
                                                      float* out1) const {
        const std::size_t plane = std::size_t(k_) * k_ * channels_;
        const std::ptrdiff_t blocks = channels_ / lanes;
        for (std::ptrdiff_t x = 0; x < in.width; x += pixels) {
            __m512 acc0[pixels], acc1[pixels];
            for (int i = 0; i < pixels; ++i) acc0[i] = acc1[i] = _mm512_setzero_ps();
            for (int ky = 0; ky < k_; ++ky)
                for (int kx = 0; kx < k_; ++kx) {
                    const float* p[pixels];
                    tap_pointers(in, x, y, ky, kx, p);
                    const float* w = weights_.data() + std::size_t(ky * k_ + kx) * channels_;
                    for (std::ptrdiff_t b = 0; b < blocks; ++b) {
                        const __m512 w0 = _mm512_loadu_ps(w + b * lanes);
                        const __m512 w1 = _mm512_loadu_ps(w + plane + b * lanes);
                        for (int i = 0; i < pixels; ++i) {
                            if (!p[i]) continue;
                            const __m512 v = _mm512_loadu_ps(p[i] + b * in.block_stride);
                            acc0[i] = _mm512_fmadd_ps(v, w0, acc0[i]);
                            acc1[i] = _mm512_fmadd_ps(v, w1, acc1[i]);
                        }
                    }
                }
            for (int i = 0; i < pixels && x + i < in.width; ++i) {
                out0[y * in.width + x + i] = bias_[0] + _mm512_reduce_add_ps(acc0[i]);
                out1[y * in.width + x + i] = bias_[1] + _mm512_reduce_add_ps(acc1[i]);
            }
        }
    }
#endif
};

}  // namespace svlrm::backend::onednn_detail

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
