// Image views over raw buffers, an owning image, and the value conventions.
//
// Layout: interleaved channels, rows `row_stride` elements apart (not bytes),
// pixel (x, y) channel c at data[y * row_stride + x * channels + c].
// Values: uint8_t means v / 255, uint16_t means v / 65535, float is taken as is.
// Every filter converts its inputs to float on that scale, works there, and
// converts back when writing (rounding and clamping to [0, 1] for integer outputs).
#pragma once

#include <svlrm/error.hpp>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

namespace svlrm {

template <class T>
concept pixel_type = std::same_as<std::remove_const_t<T>, std::uint8_t> ||
                     std::same_as<std::remove_const_t<T>, std::uint16_t> ||
                     std::same_as<std::remove_const_t<T>, float>;

// Non-owning view; an aggregate so that `image_view<const float> g{p, w, h, c, stride}` works.
template <pixel_type T>
struct image_view {
    T* data = nullptr;
    std::ptrdiff_t width = 0;
    std::ptrdiff_t height = 0;
    std::ptrdiff_t channels = 1;
    std::ptrdiff_t row_stride = 0;  // in elements; >= width * channels

    using value_type = std::remove_const_t<T>;

    T* row(std::ptrdiff_t y) const { return data + y * row_stride; }
    T& operator()(std::ptrdiff_t x, std::ptrdiff_t y, std::ptrdiff_t c = 0) const {
        return data[y * row_stride + x * channels + c];
    }
    std::ptrdiff_t pixels() const { return width * height; }

    // A view of mutable pixels is also a view of const pixels.
    operator image_view<const value_type>() const
        requires(!std::is_const_v<T>)
    {
        return {data, width, height, channels, row_stride};
    }
};

template <class V>
struct is_image_view : std::false_type {};
template <class T>
struct is_image_view<image_view<T>> : std::true_type {};
template <class V>
concept any_image_view = is_image_view<std::remove_cvref_t<V>>::value;
template <class V>
concept writable_image_view = any_image_view<V> && !std::is_const_v<typename std::remove_cvref_t<V>::value_type> &&
                              !std::is_const_v<std::remove_pointer_t<decltype(std::declval<V>().data)>>;

// ---- resource limit ----------------------------------------------------------

namespace detail {
inline std::atomic<std::ptrdiff_t>& max_pixels_setting() {
    static std::atomic<std::ptrdiff_t> n{std::ptrdiff_t{1} << 28};  // 268 Mpixel
    return n;
}
}  // namespace detail

// Images with more pixels (width * height) than this are refused with
// std::invalid_argument before anything is allocated. Default 2^28.
inline void set_max_pixels(std::ptrdiff_t n) { detail::max_pixels_setting().store(n > 0 ? n : 1); }
inline std::ptrdiff_t get_max_pixels() { return detail::max_pixels_setting().load(); }

// ---- validation ----------------------------------------------------------------

namespace detail {

// Throws std::invalid_argument naming `where` and `name` unless the view is usable:
// non-null, positive sizes, stride >= width * channels, no overflow, within the pixel limit.
template <class T>
void check_view(const image_view<T>& v, const char* where, const char* name) {
    auto fail = [&](const std::string& what) { throw_invalid(where, std::string(name) + ": " + what); };
    if (v.data == nullptr) fail("data is null");
    if (v.width <= 0 || v.height <= 0)
        fail("size " + std::to_string(v.width) + "x" + std::to_string(v.height) + " is not positive");
    if (v.channels <= 0) fail("channels (" + std::to_string(v.channels) + ") is not positive");
    constexpr auto max = std::numeric_limits<std::ptrdiff_t>::max();
    if (v.width > max / v.height) fail("width * height overflows");
    if (v.width * v.height > get_max_pixels())
        fail(std::to_string(v.width) + "x" + std::to_string(v.height) + " exceeds the pixel limit (" +
             std::to_string(get_max_pixels()) + ", see svlrm::set_max_pixels)");
    if (v.channels > max / v.width) fail("width * channels overflows");
    const std::ptrdiff_t row_elems = v.width * v.channels;
    if (v.row_stride < row_elems)
        fail("row_stride (" + std::to_string(v.row_stride) + ") is smaller than width * channels (" +
             std::to_string(row_elems) + ")");
    if (v.row_stride > max / v.height ||
        v.row_stride * v.height > max / static_cast<std::ptrdiff_t>(sizeof(T)))
        fail("row_stride * height overflows");
}

template <class A, class B>
void check_same_size(const image_view<A>& a, const image_view<B>& b, const char* where, const char* na,
                     const char* nb) {
    if (a.width != b.width || a.height != b.height)
        throw_invalid(where, std::string(na) + " is " + std::to_string(a.width) + "x" + std::to_string(a.height) +
                                 " but " + nb + " is " + std::to_string(b.width) + "x" + std::to_string(b.height));
}

template <class T>
void check_channels(const image_view<T>& v, std::ptrdiff_t expected, const char* where, const char* name) {
    if (v.channels != expected)
        throw_invalid(where, std::string(name) + " has " + std::to_string(v.channels) + " channels, expected " +
                                 std::to_string(expected));
}

// The common arguments of every joint filter: a 1- or 3-channel guide, an input of
// any channel count and an output like the input, all of one size.
template <class G, class I, class O>
void check_joint_views(const image_view<G>& guide, const image_view<I>& input, const image_view<O>& out,
                       const char* where) {
    check_view(guide, where, "guide");
    check_view(input, where, "input");
    check_view(out, where, "out");
    check_same_size(guide, input, where, "guide", "input");
    check_same_size(input, out, where, "input", "out");
    if (guide.channels != 1 && guide.channels != 3)
        throw_invalid(where, "guide has " + std::to_string(guide.channels) + " channels, expected 1 or 3");
    check_channels(out, input.channels, where, "out");
}

// NaN/Inf policy: float pixels must be finite. A single NaN would poison every
// running box sum it enters (and every network output within the receptive field),
// so non-finite pixels are rejected up front with their position, and nothing is written.
template <class T>
void check_finite(const image_view<T>& v, const char* where, const char* name) {
    if constexpr (std::is_same_v<std::remove_const_t<T>, float>) {
        for (std::ptrdiff_t y = 0; y < v.height; ++y) {
            const float* r = v.row(y);
            // Inf and NaN have all exponent bits set: a branch-free test the compiler
            // vectorises (std::isfinite per value cost a sixth of the guided filter).
            std::uint32_t bad = 0;
            for (std::ptrdiff_t i = 0; i < v.width * v.channels; ++i)
                bad |= (std::bit_cast<std::uint32_t>(r[i]) & 0x7f800000u) == 0x7f800000u;
            if (bad == 0) continue;
            for (std::ptrdiff_t i = 0; i < v.width * v.channels; ++i)
                if (!std::isfinite(r[i]))
                    throw_invalid(where, std::string(name) + " has a non-finite value (" + std::to_string(r[i]) +
                                             ") at x=" + std::to_string(i / v.channels) + " y=" + std::to_string(y) +
                                             " c=" + std::to_string(i % v.channels));
        }
    }
}

// A float guide on another scale than [0, 1] (0..255, 0..65535) reaches the network as a
// guide it never saw and gives a silently wrong result (6114 mm RMSE instead of 62): an
// error. The bounds leave room for what the unit scale legitimately carries, such as the
// unclipped Gaussian noise of a self-guided denoising input.
template <class T>
void check_unit_scale(const image_view<T>& v, const char* where, const char* name) {
    if constexpr (std::is_same_v<std::remove_const_t<T>, float>) {
        float lo = 0.0f, hi = 0.0f;
        for (std::ptrdiff_t y = 0; y < v.height; ++y) {
            const float* r = v.row(y);
            for (std::ptrdiff_t i = 0; i < v.width * v.channels; ++i) lo = std::min(lo, r[i]), hi = std::max(hi, r[i]);
        }
        if (lo < -1.0f || hi > 2.0f)
            throw_invalid(where, std::string(name) + " holds values from " + std::to_string(lo) + " to " +
                                     std::to_string(hi) + "; a float " + name +
                                     " must be on the unit scale [0, 1] (8-bit values / 255, 16-bit / 65535)");
    }
}

// True when the memory spans of two views intersect (conservatively: interleaved rows
// of two views count as overlapping). Inputs may overlap outputs: every filter reads
// its inputs (or a copy, guided_filter.hpp) before writing. Outputs written by one call
// must not overlap each other (check_outputs_apart).
template <class A, class B>
bool overlaps(const image_view<A>& a, const image_view<B>& b) {
    const auto* a0 = reinterpret_cast<const unsigned char*>(a.data);
    const auto* b0 = reinterpret_cast<const unsigned char*>(b.data);
    const auto* a1 = a0 + sizeof(*a.data) * static_cast<std::size_t>(a.row_stride * (a.height - 1) + a.width * a.channels);
    const auto* b1 = b0 + sizeof(*b.data) * static_cast<std::size_t>(b.row_stride * (b.height - 1) + b.width * b.channels);
    return a0 < b1 && b0 < a1;
}

// Throws unless out, alpha and beta (the outputs of one call) are disjoint: one would
// overwrite what another call wrote.
template <class O>
void check_outputs_apart(const image_view<O>& out, const image_view<float>& alpha, const image_view<float>& beta,
                         const char* where) {
    if (overlaps(out, alpha)) throw_invalid(where, "out and alpha overlap");
    if (overlaps(out, beta)) throw_invalid(where, "out and beta overlap");
    if (overlaps(alpha, beta)) throw_invalid(where, "alpha and beta overlap");
}

}  // namespace detail

// ---- value conventions -----------------------------------------------------------

template <pixel_type T>
constexpr float to_unit(T v) {
    using U = std::remove_const_t<T>;
    if constexpr (std::is_same_v<U, std::uint8_t>) return static_cast<float>(v) * (1.0f / 255.0f);
    else if constexpr (std::is_same_v<U, std::uint16_t>) return static_cast<float>(v) * (1.0f / 65535.0f);
    else return v;
}

// Inverse of to_unit: integers round to nearest and saturate; floats pass through.
template <pixel_type T>
constexpr std::remove_const_t<T> from_unit(float v) {
    using U = std::remove_const_t<T>;
    if constexpr (std::is_same_v<U, float>) {
        return v;
    } else {
        constexpr float top = static_cast<float>(std::numeric_limits<U>::max());
        const float s = v * top + 0.5f;
        if (!(s > 0.0f)) return U{0};  // also maps NaN to 0
        if (s >= top) return static_cast<U>(top);
        return static_cast<U>(s);
    }
}

// ---- owning image ------------------------------------------------------------------

template <pixel_type T>
class image {
public:
    image() = default;
    image(std::ptrdiff_t width, std::ptrdiff_t height, std::ptrdiff_t channels = 1, T fill = T{})
        : width_(width), height_(height), channels_(channels) {
        image_view<const T> probe{reinterpret_cast<const T*>(this), width, height, channels, width * channels};
        detail::check_view(probe, "svlrm::image", "size");
        pixels_.assign(static_cast<std::size_t>(width * height * channels), fill);
    }

    image_view<T> view() { return {pixels_.data(), width_, height_, channels_, width_ * channels_}; }
    image_view<const T> view() const { return {pixels_.data(), width_, height_, channels_, width_ * channels_}; }
    operator image_view<T>() { return view(); }
    operator image_view<const T>() const { return view(); }

    T* data() { return pixels_.data(); }
    const T* data() const { return pixels_.data(); }
    std::ptrdiff_t width() const { return width_; }
    std::ptrdiff_t height() const { return height_; }
    std::ptrdiff_t channels() const { return channels_; }
    bool empty() const { return pixels_.empty(); }
    T& operator()(std::ptrdiff_t x, std::ptrdiff_t y, std::ptrdiff_t c = 0) {
        return pixels_[static_cast<std::size_t>((y * width_ + x) * channels_ + c)];
    }
    const T& operator()(std::ptrdiff_t x, std::ptrdiff_t y, std::ptrdiff_t c = 0) const {
        return pixels_[static_cast<std::size_t>((y * width_ + x) * channels_ + c)];
    }

private:
    std::ptrdiff_t width_ = 0, height_ = 0, channels_ = 0;
    std::vector<T> pixels_;
};

}  // namespace svlrm
