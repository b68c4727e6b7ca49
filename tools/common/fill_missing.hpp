// --missing-zero: depth sensors mark pixels without a measurement with 0. Left in
// place, a 0 reads as "very near" and every filter smears it into its neighbours
// (the bicubic step and the network's 25x25 receptive field included), so missing
// pixels are filled before filtering with the value of the nearest valid pixel,
// nearest along 4-connected paths (city-block distance; ties go to the neighbour
// reached first in the order left, right, up, down of a breadth-first search from
// all valid pixels at once). O(pixels) per channel.
#pragma once

#include <svlrm/image.hpp>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace svlrm_tools {

// Fills the zero pixels of every channel of `img` in place; `name` is for the error
// raised when a channel has no nonzero pixel at all.
inline void fill_missing_zero(svlrm::image<float>& img, const std::string& name) {
    const std::ptrdiff_t w = img.width(), h = img.height(), n = w * h, cn = img.channels();
    for (std::ptrdiff_t c = 0; c < cn; ++c) {
        std::vector<std::ptrdiff_t> queue;
        std::vector<char> known(std::size_t(n), 0);
        queue.reserve(std::size_t(n));
        for (std::ptrdiff_t i = 0; i < n; ++i)
            if (img.data()[i * cn + c] != 0.0f) {
                known[std::size_t(i)] = 1;
                queue.push_back(i);
            }
        if (queue.empty()) throw std::runtime_error(name + ": --missing-zero: every pixel is 0 (missing)");
        for (std::size_t head = 0; head < queue.size(); ++head) {
            const std::ptrdiff_t i = queue[head], x = i % w, y = i / w;
            const std::ptrdiff_t next[4] = {x > 0 ? i - 1 : -1, x + 1 < w ? i + 1 : -1, y > 0 ? i - w : -1,
                                            y + 1 < h ? i + w : -1};
            for (const std::ptrdiff_t j : next)
                if (j >= 0 && !known[std::size_t(j)]) {
                    known[std::size_t(j)] = 1;
                    img.data()[j * cn + c] = img.data()[i * cn + c];
                    queue.push_back(j);
                }
        }
    }
}

}  // namespace svlrm_tools
