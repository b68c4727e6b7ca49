// Zero-copy bridges between svlrm::image_view and Eigen.
//   as_eigen(view, c)  -> Eigen::Map of channel c (rows = height, cols = width)
//   view_of(matrix)    -> image_view of a row-major Eigen matrix or map (1 channel)
#pragma once

#include <svlrm/image.hpp>

#include <Eigen/Core>

#include <type_traits>

namespace svlrm {

template <class T>
using eigen_channel_map =
    Eigen::Map<std::conditional_t<std::is_const_v<T>,
                                  const Eigen::Matrix<std::remove_const_t<T>, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>,
                                  Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>,
               Eigen::Unaligned, Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>>;

// Channel c of v as a height x width matrix over the same memory.
template <class T>
eigen_channel_map<T> as_eigen(const image_view<T>& v, std::ptrdiff_t c = 0) {
    detail::check_view(v, "svlrm::as_eigen", "view");
    if (c < 0 || c >= v.channels)
        detail::throw_invalid("svlrm::as_eigen", "channel " + std::to_string(c) + " is out of range");
    return eigen_channel_map<T>(v.data + c, v.height, v.width,
                                Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>(v.row_stride, v.channels));
}

// A 1-channel view of a row-major Eigen expression with contiguous rows
// (Eigen::Matrix<T, Dynamic, Dynamic, RowMajor>, a Map or a block of one).
template <class Derived>
auto view_of(Eigen::PlainObjectBase<Derived>& m) {
    static_assert(Derived::IsRowMajor, "svlrm::view_of: the Eigen matrix must be RowMajor (rows = image rows)");
    using T = typename Derived::Scalar;
    return image_view<T>{m.data(), m.cols(), m.rows(), 1, m.outerStride()};
}
template <class Derived>
auto view_of(const Eigen::PlainObjectBase<Derived>& m) {
    static_assert(Derived::IsRowMajor, "svlrm::view_of: the Eigen matrix must be RowMajor (rows = image rows)");
    using T = typename Derived::Scalar;
    return image_view<const T>{m.data(), m.cols(), m.rows(), 1, m.outerStride()};
}
template <class M, int Options, class S>
auto view_of(const Eigen::Map<M, Options, S>& m) {
    static_assert(M::IsRowMajor, "svlrm::view_of: the Eigen map must be RowMajor (rows = image rows)");
    if (m.innerStride() != 1)
        detail::throw_invalid("svlrm::view_of", "the Eigen map's inner stride must be 1 (contiguous rows)");
    using T = std::remove_pointer_t<decltype(m.data())>;
    return image_view<T>{m.data(), m.cols(), m.rows(), 1, m.outerStride()};
}

}  // namespace svlrm
