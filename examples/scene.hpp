// A procedural RGB-D scene for the demo: slanted planes, boxes and spheres with
// occlusion edges (depth edges), and a colour image whose edges partly coincide with
// them (object boundaries) and partly do not (stripes, checkers, paint, shading) —
// the situation joint filtering has to sort out. Deterministic for a given seed.
#pragma once

#include <svlrm/image.hpp>

#include <algorithm>
#include <cmath>
#include <random>

namespace svlrm_demo {

struct rgbd_scene {
    svlrm::image<float> color;  // 3 channels, [0, 1]
    svlrm::image<float> depth;  // 1 channel, [0, 1] (near = small)
};

inline rgbd_scene make_scene(long w, long h, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    rgbd_scene s{svlrm::image<float>(w, h, 3), svlrm::image<float>(w, h, 1)};

    // Background: a slanted plane, painted with stripes that are not depth edges.
    const float gx = 0.25f * (u(rng) - 0.5f), gy = 0.35f * u(rng);
    for (long y = 0; y < h; ++y)
        for (long x = 0; x < w; ++x) {
            s.depth(x, y) = 0.75f + gx * float(x) / w - gy * float(y) / h;
            const bool stripe = (int(x / 23.0f + y / 41.0f) % 3) == 0;
            const float shade = 0.55f + 0.35f * float(y) / h;
            s.color(x, y, 0) = shade * (stripe ? 0.85f : 0.55f);
            s.color(x, y, 1) = shade * (stripe ? 0.80f : 0.60f);
            s.color(x, y, 2) = shade * (stripe ? 0.40f : 0.65f);
        }

    const int objects = 9;
    for (int k = 0; k < objects; ++k) {
        const bool sphere = k % 3 == 0;
        const float cx = u(rng) * w, cy = u(rng) * h;
        const float rx = (0.06f + 0.12f * u(rng)) * w, ry = (0.06f + 0.12f * u(rng)) * h;
        const float z = 0.15f + 0.5f * u(rng), tilt = 0.2f * (u(rng) - 0.5f);
        const float base[3] = {0.15f + 0.8f * u(rng), 0.15f + 0.8f * u(rng), 0.15f + 0.8f * u(rng)};
        const int texture = int(u(rng) * 3);  // 0 plain, 1 checker, 2 text-like marks
        const float period = 6.0f + 10.0f * u(rng);
        for (long y = std::max(0L, long(cy - ry)); y < std::min(h, long(cy + ry) + 1); ++y)
            for (long x = std::max(0L, long(cx - rx)); x < std::min(w, long(cx + rx) + 1); ++x) {
                const float dx = (x - cx) / rx, dy = (y - cy) / ry;
                float d;
                if (sphere) {
                    const float r2 = dx * dx + dy * dy;
                    if (r2 > 1.0f) continue;
                    d = z - 0.08f * std::sqrt(1.0f - r2);
                } else {
                    d = z + tilt * dx;
                }
                if (d >= s.depth(x, y)) continue;  // occluded
                s.depth(x, y) = d;
                float t = 1.0f;
                if (texture == 1) t = ((int(x / period) + int(y / period)) % 2) ? 1.0f : 0.6f;
                if (texture == 2) t = (int(x / period) % 4 == 0 && int(y / (period * 0.5f)) % 3 == 1) ? 0.3f : 1.0f;
                const float light = sphere ? 0.6f + 0.4f * std::max(0.0f, 1.0f - (dx + 0.5f) * (dx + 0.5f) - dy * dy) : 1.0f;
                for (int c = 0; c < 3; ++c) s.color(x, y, c) = std::clamp(base[c] * t * light, 0.0f, 1.0f);
            }
    }
    // Sensor-like colour noise; depth stays clean (it is the ground truth).
    std::normal_distribution<float> noise(0.0f, 0.01f);
    for (long i = 0; i < w * h * 3; ++i) s.color.data()[i] = std::clamp(s.color.data()[i] + noise(rng), 0.0f, 1.0f);
    return s;
}

}  // namespace svlrm_demo
