// Zero-copy bridges between svlrm::image_view and xtensor (not included by
// <svlrm/svlrm.hpp>, so that users without xtensor are not affected).
//   as_xtensor(view)  -> xt::adapt over the view's memory, shape {height, width, channels}
//   view_of(expr)     -> image_view of a row-major 2-D {h, w} or 3-D {h, w, c} xtensor container
#pragma once

#include <svlrm/image.hpp>

#include <xtensor/xadapt.hpp>
#include <xtensor/xarray.hpp>
#include <xtensor/xtensor.hpp>

#include <array>
#include <cstddef>

namespace svlrm {

template <class T>
auto as_xtensor(const image_view<T>& v) {
    detail::check_view(v, "svlrm::as_xtensor", "view");
    // xtensor sizes an adaptor's storage by the product of its shape (and refuses to
    // "resize" a foreign buffer to anything else); element access goes through the
    // strides, so padded rows are still addressed correctly.
    const std::size_t span = static_cast<std::size_t>(v.height * v.width * v.channels);
    const std::array<std::size_t, 3> shape{std::size_t(v.height), std::size_t(v.width), std::size_t(v.channels)};
    const std::array<std::ptrdiff_t, 3> strides{v.row_stride, v.channels, 1};
    return xt::adapt(v.data, span, xt::no_ownership(), shape, strides);
}

// A view of an xtensor container (xt::xtensor, xt::xarray, or an adaptor) whose last
// dimension is contiguous and whose pixels are interleaved: strides {row, channels, 1}.
template <class E>
    requires requires(E& e) { e.shape(); e.strides(); e.data_offset(); }
auto view_of(E& e) {
    using T = std::remove_reference_t<decltype(*e.data())>;
    const auto& shape = e.shape();
    const auto& strides = e.strides();
    const std::size_t dims = shape.size();
    if (dims != 2 && dims != 3) detail::throw_invalid("svlrm::view_of", "expected a 2-D or 3-D xtensor expression");
    const std::ptrdiff_t h = std::ptrdiff_t(shape[0]), w = std::ptrdiff_t(shape[1]);
    const std::ptrdiff_t c = dims == 3 ? std::ptrdiff_t(shape[2]) : 1;
    // xtensor reports stride 0 for dimensions of size 1: those impose nothing.
    const bool inner_ok = dims == 2 ? (w == 1 || strides[1] == 1)
                                    : ((c == 1 || strides[2] == 1) && (w == 1 || std::ptrdiff_t(strides[1]) == c));
    if (!inner_ok)
        detail::throw_invalid("svlrm::view_of", "the xtensor expression must be row-major with interleaved channels");
    const std::ptrdiff_t row = h == 1 ? w * c : std::ptrdiff_t(strides[0]);
    return image_view<T>{e.data() + e.data_offset(), w, h, c, row};
}

}  // namespace svlrm
