// The guided filter's rows (guided_filter.hpp): cache-line aligned row buffers, rows of
// the guide and input read onto the unit scale, the source of stage 1 (full or
// subsampled) and the copy an in-place call needs.
#pragma once

#include <svlrm/detail/box_filter.hpp>
#include <svlrm/image.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include <svlrm/detail/loop_hints.hpp>

namespace svlrm::detail {

// Zeroed rows carved out of one allocation, each starting on a cache line. Every row
// gets one spare cache line, so that rows of equal length (1024 doubles: 8 KiB) do not
// sit a multiple of 4 KiB apart: a store whose address matches a later load in its low
// 12 bits stalls that load (4K aliasing), which once made a pass 3x slower.
template <class T>
class row_arena {
public:
    static constexpr std::ptrdiff_t line = 64 / sizeof(T);
    explicit row_arena(std::ptrdiff_t elements) : data_(static_cast<std::size_t>(elements + line)) {
        const auto address = reinterpret_cast<std::uintptr_t>(data_.data());
        next_ = static_cast<std::ptrdiff_t>((64 - address % 64) % 64 / sizeof(T));
    }
    // Room to ask for: `rows` rows of `length` elements, `lead` of them before the row pointer.
    static std::ptrdiff_t need(std::ptrdiff_t rows, std::ptrdiff_t length, std::ptrdiff_t lead = 0) {
        return rows * (round(lead) + round(length - lead) + line);
    }
    T* take(std::ptrdiff_t length, std::ptrdiff_t lead = 0) {
        T* row = data_.data() + next_ + round(lead);
        next_ += round(lead) + round(length - lead) + line;
        return row;
    }

private:
    static std::ptrdiff_t round(std::ptrdiff_t n) { return (n + line - 1) / line * line; }
    std::vector<T> data_;
    std::ptrdiff_t next_ = 0;
};

// The channels of row y of v as float rows on the unit scale: rows[c]. A 1-channel
// float row is used in place (no copy); anything else is converted into buffer[c].
// `cols`, when given, picks the pixel columns (the fast guided filter's subsampling).
template <class T>
void gf_read_row(const image_view<const T>& v, std::ptrdiff_t y, const std::ptrdiff_t* cols, std::ptrdiff_t n,
                 float* const* buffer, const float** rows) {
    const T* __restrict src = v.row(y);
    const std::ptrdiff_t ch = v.channels;
    for (std::ptrdiff_t c = 0; c < ch; ++c) rows[c] = buffer[c];
    if (cols) {
        for (std::ptrdiff_t c = 0; c < ch; ++c) {
            float* __restrict d = buffer[c];
            for (std::ptrdiff_t x = 0; x < n; ++x) d[x] = to_unit(src[cols[x] * ch + c]);
        }
    } else if (ch == 1) {
        if constexpr (std::is_same_v<T, float>) {
            rows[0] = src;
        } else {
            float* __restrict d = buffer[0];
            SVLRM_NO_ALIAS
            for (std::ptrdiff_t x = 0; x < n; ++x) d[x] = to_unit(src[x]);
        }
    } else if (ch == 3) {
        float* __restrict d0 = buffer[0];
        float* __restrict d1 = buffer[1];
        float* __restrict d2 = buffer[2];
        SVLRM_NO_ALIAS
        for (std::ptrdiff_t x = 0; x < n; ++x) {
            d0[x] = to_unit(src[3 * x]);
            d1[x] = to_unit(src[3 * x + 1]);
            d2[x] = to_unit(src[3 * x + 2]);
        }
    } else {
        for (std::ptrdiff_t c = 0; c < ch; ++c) {
            float* __restrict d = buffer[c];
            for (std::ptrdiff_t x = 0; x < n; ++x) d[x] = to_unit(src[x * ch + c]);
        }
    }
}

// Requests the cache lines of `count` values from p (a hint; no effect without GCC builtins).
template <class T>
void prefetch_row(const T* p, std::ptrdiff_t count, bool write = false) {
#if defined(__GNUC__)
    const char* bytes = reinterpret_cast<const char*>(p);
    const std::ptrdiff_t size = count * static_cast<std::ptrdiff_t>(sizeof(T));
    for (std::ptrdiff_t b = 0; b < size; b += 64) {
        if (write) __builtin_prefetch(bytes + b, 1);
        else __builtin_prefetch(bytes + b, 0);
    }
#else
    (void)p, (void)count, (void)write;
#endif
}

// Where stage 1 reads its rows: guide and input views, at full resolution or sampled
// at `rows` x `cols` (the fast guided filter's nearest-neighbour subsampling).
template <class G, class I>
struct gf_source {
    image_view<const G> guide;
    image_view<const I> input;
    std::vector<std::ptrdiff_t> rows, cols;  // empty: every row / column
    std::ptrdiff_t width() const { return cols.empty() ? guide.width : static_cast<std::ptrdiff_t>(cols.size()); }
    std::ptrdiff_t height() const { return rows.empty() ? guide.height : static_cast<std::ptrdiff_t>(rows.size()); }
    // Guide channels to rows[0..G), input channels to rows[G..) (see gf_read_row).
    void read(std::ptrdiff_t j, float* const* buffer, const float** rows_out) const {
        const std::ptrdiff_t y = rows.empty() ? j : rows[static_cast<std::size_t>(j)];
        const std::ptrdiff_t* c = cols.empty() ? nullptr : cols.data();
        gf_read_row(guide, y, c, width(), buffer, rows_out);
        gf_read_row(input, y, c, width(), buffer + guide.channels, rows_out + guide.channels);
    }
    // Asks for row j of both views ahead of read(): a row of 1024 floats is one 4 KiB
    // page and the hardware prefetchers stop at page boundaries, so without this
    // every row entering the window waited for memory (~15% of the filter).
    void prefetch(std::ptrdiff_t j) const {
        const std::ptrdiff_t y = rows.empty() ? j : rows[static_cast<std::size_t>(j)];
        prefetch_row(guide.row(y), guide.width * guide.channels);
        prefetch_row(input.row(y), input.width * input.channels);
    }
};

// The view itself, or when out overlaps it, a copy in `keep` (in-place calls: every
// stripe reads rows other stripes have already written).
template <class T, class O>
image_view<const std::remove_const_t<T>> gf_unaliased(const image_view<T>& v, const image_view<O>& out,
                                                      std::vector<std::remove_const_t<T>>& keep) {
    if (!overlaps(v, out)) return v;
    const std::ptrdiff_t row = v.width * v.channels;
    keep.resize(static_cast<std::size_t>(row * v.height));
    for (std::ptrdiff_t y = 0; y < v.height; ++y) std::copy(v.row(y), v.row(y) + row, keep.data() + y * row);
    return {keep.data(), v.width, v.height, v.channels, row};
}

}  // namespace svlrm::detail

#include <svlrm/detail/loop_hints_end.hpp>
