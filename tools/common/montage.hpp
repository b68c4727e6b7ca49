// Side-by-side pictures for `svlrm compare` and the documentation figures: panels
// shrunk to a common width by block averaging, laid out in rows on white.
#pragma once

#include <svlrm/image.hpp>

#include <algorithm>
#include <cstddef>
#include <vector>

namespace svlrm_tools {

// Averages k x k blocks (k = ceil(width / max_width)), gray expanded to RGB:
// averaging rather than point sampling keeps thin structures and noise honest.
inline svlrm::image<float> shrink_rgb(const svlrm::image<float>& in, std::ptrdiff_t max_width) {
    const std::ptrdiff_t k = std::max<std::ptrdiff_t>(1, (in.width() + max_width - 1) / max_width);
    const std::ptrdiff_t w = std::max<std::ptrdiff_t>(1, in.width() / k), h = std::max<std::ptrdiff_t>(1, in.height() / k);
    svlrm::image<float> out(w, h, 3);
    for (std::ptrdiff_t y = 0; y < h; ++y)
        for (std::ptrdiff_t x = 0; x < w; ++x)
            for (std::ptrdiff_t c = 0; c < 3; ++c) {
                const std::ptrdiff_t src_c = in.channels() == 3 ? c : 0;
                float s = 0;
                std::ptrdiff_t n = 0;
                for (std::ptrdiff_t dy = 0; dy < k && y * k + dy < in.height(); ++dy)
                    for (std::ptrdiff_t dx = 0; dx < k && x * k + dx < in.width(); ++dx, ++n)
                        s += in(x * k + dx, y * k + dy, src_c);
                out(x, y, c) = std::clamp(s / float(n), 0.0f, 1.0f);
            }
    return out;
}

// Rows of panels (all panels the same size), `gap` white pixels between them.
inline svlrm::image<float> montage(const std::vector<std::vector<svlrm::image<float>>>& rows, std::ptrdiff_t gap = 4) {
    std::ptrdiff_t pw = 0, ph = 0, most = 0;
    for (const auto& r : rows) {
        most = std::max<std::ptrdiff_t>(most, std::ptrdiff_t(r.size()));
        for (const auto& p : r) pw = std::max(pw, p.width()), ph = std::max(ph, p.height());
    }
    const std::ptrdiff_t n_rows = std::ptrdiff_t(rows.size());
    svlrm::image<float> out(most * (pw + gap) - gap, n_rows * (ph + gap) - gap, 3, 1.0f);
    for (std::ptrdiff_t r = 0; r < n_rows; ++r)
        for (std::size_t k = 0; k < rows[std::size_t(r)].size(); ++k) {
            const auto& p = rows[std::size_t(r)][k];
            for (std::ptrdiff_t y = 0; y < p.height(); ++y)
                for (std::ptrdiff_t x = 0; x < p.width(); ++x)
                    for (std::ptrdiff_t c = 0; c < 3; ++c)
                        out(std::ptrdiff_t(k) * (pw + gap) + x, r * (ph + gap) + y, c) = p(x, y, p.channels() == 3 ? c : 0);
        }
    return out;
}

}  // namespace svlrm_tools
