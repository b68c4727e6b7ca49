// Host-side conversions: float <-> fp16 / bf16 (round to nearest even, as the GPU
// converts), planar <-> the 2-channel NHWC layout of the network's ends, and the
// weights from the model's OIHW float to cuDNN's KRSC in the mode's data type.
#pragma once

#include <svlrm/model.hpp>

#include <cudnn.h>

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace svlrm::backend::cudnn_detail {

inline std::uint16_t float_to_half(float f) {
    const std::uint32_t x = std::bit_cast<std::uint32_t>(f);
    const std::uint32_t sign = (x >> 16) & 0x8000u, mag = x & 0x7fffffffu;
    if (mag >= 0x7f800000u) return std::uint16_t(sign | (mag > 0x7f800000u ? 0x7e00u : 0x7c00u));  // NaN, inf
    if (mag >= 0x477ff000u) return std::uint16_t(sign | 0x7c00u);  // >= 65520 rounds to inf
    if (mag < 0x38800000u) {                                       // below 2^-14: a subnormal half
        const int shift = 126 - int(mag >> 23);  // from float mantissa units to 2^-24 units
        if (shift > 24) return std::uint16_t(sign);
        const std::uint32_t m = (mag & 0x7fffffu) | 0x800000u, halfway = 1u << (shift - 1);
        std::uint32_t r = m >> shift;
        const std::uint32_t rest = m & ((1u << shift) - 1);
        if (rest > halfway || (rest == halfway && (r & 1u))) ++r;
        return std::uint16_t(sign | r);
    }
    const std::uint32_t rebased = mag - 0x38000000u;  // exponent bias 127 -> 15
    std::uint32_t r = rebased >> 13;
    const std::uint32_t rest = rebased & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (r & 1u))) ++r;  // a carry into the exponent is correct
    return std::uint16_t(sign | r);
}

inline float half_to_float(std::uint16_t h) {
    const std::uint32_t sign = std::uint32_t(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
    if (e == 0x1f) return std::bit_cast<float>(sign | 0x7f800000u | (m << 13));
    if (e == 0) {
        const float v = std::ldexp(float(m), -24);
        return sign ? -v : v;
    }
    return std::bit_cast<float>(sign | ((e + 112u) << 23) | (m << 13));
}

inline std::uint16_t float_to_bf16(float f) {
    const std::uint32_t x = std::bit_cast<std::uint32_t>(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) return std::uint16_t((x >> 16) | 0x40u);  // keep NaN a NaN
    return std::uint16_t((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

inline float bf16_to_float(std::uint16_t b) { return std::bit_cast<float>(std::uint32_t(b) << 16); }

// Element i of a buffer of type t.
inline void store(cudnnDataType_t t, void* base, std::size_t i, float v) {
    if (t == CUDNN_DATA_FLOAT) {
        static_cast<float*>(base)[i] = v;
    } else {
        static_cast<std::uint16_t*>(base)[i] = t == CUDNN_DATA_HALF ? float_to_half(v) : float_to_bf16(v);
    }
}
inline float load(cudnnDataType_t t, const void* base, std::size_t i) {
    if (t == CUDNN_DATA_FLOAT) return static_cast<const float*>(base)[i];
    const std::uint16_t v = static_cast<const std::uint16_t*>(base)[i];
    return t == CUDNN_DATA_HALF ? half_to_float(v) : bf16_to_float(v);
}

// Two planes of n floats -> n pixels of 2 interleaved channels of type t.
inline void interleave(cudnnDataType_t t, const float* c0, const float* c1, std::size_t n, void* dst) {
    for (std::size_t i = 0; i < n; ++i) {
        store(t, dst, 2 * i, c0[i]);
        store(t, dst, 2 * i + 1, c1[i]);
    }
}
inline void deinterleave(cudnnDataType_t t, const void* src, std::size_t n, float* c0, float* c1) {
    for (std::size_t i = 0; i < n; ++i) {
        c0[i] = load(t, src, 2 * i);
        c1[i] = load(t, src, 2 * i + 1);
    }
}

// A layer's weights as KRSC and its bias, in type t, with weight[o][c] scaled by
// out_scale[o] * in_scale[c] and bias[o] by out_scale[o] (scales folded into the
// layer: conv(s * x) = conv_{w * s}(x)).
struct packed_layer {
    std::vector<std::byte> weight, bias;
};

inline packed_layer pack_layer(const conv_layer& l, cudnnDataType_t t, const std::vector<float>& in_scale,
                               const std::vector<float>& out_scale) {
    const std::size_t es = t == CUDNN_DATA_FLOAT ? 4 : 2, k = std::size_t(l.kernel);
    const std::size_t in = std::size_t(l.in_channels), out = std::size_t(l.out_channels);
    packed_layer p;
    p.weight.resize(out * in * k * k * es);
    p.bias.resize(out * es);
    for (std::size_t o = 0; o < out; ++o) {
        for (std::size_t c = 0; c < in; ++c)
            for (std::size_t y = 0; y < k; ++y)
                for (std::size_t x = 0; x < k; ++x)
                    store(t, p.weight.data(), ((o * k + y) * k + x) * in + c,
                          l.weight[((o * in + c) * k + y) * k + x] * out_scale[o] * in_scale[c]);
        store(t, p.bias.data(), o, l.bias[o] * out_scale[o]);
    }
    return p;
}

}  // namespace svlrm::backend::cudnn_detail
