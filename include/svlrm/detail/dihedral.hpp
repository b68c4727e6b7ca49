// The eight rotations and reflections of a rectangle (the dihedral group D4), for
// joint_filter's geometric self-ensemble. The network has learnt no exact symmetry,
// so its coefficients for a rotated image, rotated back, differ slightly from the
// direct ones; the average of the eight is a better estimate (docs/results.md).
#pragma once

#include <svlrm/detail/planes.hpp>

#include <cstddef>

namespace svlrm::detail {

// Transform k in 0..7: bit 0 transposes (x, y) -> (y, x), then bit 1 mirrors the
// columns and bit 2 the rows of the result. The eight k are the whole group.
struct dihedral {
    int k = 0;

    bool transposes() const { return (k & 1) != 0; }

    // Where pixel (x, y) of a w x h image lands in the transformed image.
    void map(std::ptrdiff_t x, std::ptrdiff_t y, std::ptrdiff_t w, std::ptrdiff_t h, std::ptrdiff_t& u,
             std::ptrdiff_t& v) const {
        std::ptrdiff_t tw = w, th = h;
        u = x, v = y;
        if (transposes()) u = y, v = x, tw = h, th = w;
        if (k & 2) u = tw - 1 - u;
        if (k & 4) v = th - 1 - v;
    }

    // The transformed copy of p.
    plane apply(const plane& p) const {
        plane out(transposes() ? p.height : p.width, transposes() ? p.width : p.height);
        for (std::ptrdiff_t y = 0; y < p.height; ++y)
            for (std::ptrdiff_t x = 0; x < p.width; ++x) {
                std::ptrdiff_t u, v;
                map(x, y, p.width, p.height, u, v);
                out(u, v) = p(x, y);
            }
        return out;
    }

    // sum(x, y) += t(map(x, y)): t, computed on the transformed image, brought back.
    void accumulate_inverse(const plane& t, plane& sum) const {
        for (std::ptrdiff_t y = 0; y < sum.height; ++y)
            for (std::ptrdiff_t x = 0; x < sum.width; ++x) {
                std::ptrdiff_t u, v;
                map(x, y, sum.width, sum.height, u, v);
                sum(x, y) += t(u, v);
            }
    }
};

}  // namespace svlrm::detail
