// Conversion between interleaved image views and contiguous float planes on the
// unit scale. Every filter works on planes: it reads all of its inputs before it
// writes anything, which is what makes in-place calls and "output untouched on
// error" hold.
#pragma once

#include <svlrm/image.hpp>
#include <svlrm/parallel.hpp>

#include <cstddef>
#include <vector>

namespace svlrm::detail {

// Contiguous width x height float plane.
struct plane {
    std::ptrdiff_t width = 0, height = 0;
    std::vector<float> data;

    plane() = default;
    plane(std::ptrdiff_t w, std::ptrdiff_t h) : width(w), height(h), data(static_cast<std::size_t>(w * h)) {}
    float* row(std::ptrdiff_t y) { return data.data() + y * width; }
    const float* row(std::ptrdiff_t y) const { return data.data() + y * width; }
    float& operator()(std::ptrdiff_t x, std::ptrdiff_t y) { return data[static_cast<std::size_t>(y * width + x)]; }
    float operator()(std::ptrdiff_t x, std::ptrdiff_t y) const { return data[static_cast<std::size_t>(y * width + x)]; }
};

// Channel c of v, converted with to_unit.
template <class T>
plane read_plane(const image_view<T>& v, std::ptrdiff_t c) {
    plane p(v.width, v.height);
    parallel_for(v.height, [&](std::ptrdiff_t y0, std::ptrdiff_t y1) {
        for (std::ptrdiff_t y = y0; y < y1; ++y) {
            const auto* src = v.row(y) + c;
            float* dst = p.row(y);
            for (std::ptrdiff_t x = 0; x < v.width; ++x) dst[x] = to_unit(src[x * v.channels]);
        }
    }, 64);
    return p;
}

// ITU-R BT.601 luma weights, as PIL's convert('L') and every known SVLRM implementation.
inline constexpr float luma_r = 0.299f, luma_g = 0.587f, luma_b = 0.114f;

// One channel of v (1 channel), or the BT.601 luma of its first three (3 channels).
template <class T>
plane read_gray(const image_view<T>& v) {
    if (v.channels == 1) return read_plane(v, 0);
    plane p(v.width, v.height);
    parallel_for(v.height, [&](std::ptrdiff_t y0, std::ptrdiff_t y1) {
        for (std::ptrdiff_t y = y0; y < y1; ++y) {
            const auto* src = v.row(y);
            float* dst = p.row(y);
            for (std::ptrdiff_t x = 0; x < v.width; ++x) {
                const auto* px = src + x * v.channels;
                dst[x] = luma_r * to_unit(px[0]) + luma_g * to_unit(px[1]) + luma_b * to_unit(px[2]);
            }
        }
    }, 64);
    return p;
}

// Writes p into channel c of v with from_unit.
template <class T>
void write_plane(const plane& p, const image_view<T>& v, std::ptrdiff_t c) {
    parallel_for(v.height, [&](std::ptrdiff_t y0, std::ptrdiff_t y1) {
        for (std::ptrdiff_t y = y0; y < y1; ++y) {
            auto* dst = v.row(y) + c;
            const float* src = p.row(y);
            for (std::ptrdiff_t x = 0; x < v.width; ++x) dst[x * v.channels] = from_unit<T>(src[x]);
        }
    }, 64);
}

}  // namespace svlrm::detail
