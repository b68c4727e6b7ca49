// numpy arrays as svlrm image views, without copies. The pure-Python layer
// (svlrm/__init__.py) converts what cannot be a view (float64, other byte orders,
// layouts other than interleaved rows) first; these checks keep a direct call into
// the extension from reaching the library with a view that does not describe the array.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <svlrm/image.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <variant>

namespace svlrm_python {

namespace py = pybind11;

using any_view = std::variant<svlrm::image_view<const std::uint8_t>, svlrm::image_view<const std::uint16_t>,
                              svlrm::image_view<const float>>;

inline std::string shape_text(const py::array& a) {
    std::string s = "(";
    for (py::ssize_t i = 0; i < a.ndim(); ++i) s += (i ? ", " : "") + std::to_string(a.shape(i));
    return s + (a.ndim() == 1 ? ",)" : ")");
}

// The view of a (h, w) or (h, w, c) array whose pixels are interleaved and whose rows
// are a whole number of elements apart; std::invalid_argument (ValueError) otherwise.
template <class T>
svlrm::image_view<T> view_as(const py::array& a, const char* name) {
    const std::string who = std::string("svlrm: ") + name;
    if (a.ndim() != 2 && a.ndim() != 3)
        throw std::invalid_argument(who + " has shape " + shape_text(a) + "; expected (h, w) or (h, w, c)");
    const py::ssize_t item = static_cast<py::ssize_t>(sizeof(T));
    const py::ssize_t h = a.shape(0), w = a.shape(1), c = a.ndim() == 3 ? a.shape(2) : 1;
    if (h <= 0 || w <= 0 || c <= 0)
        throw std::invalid_argument(who + " has shape " + shape_text(a) + ", which holds no pixels");
    const bool interleaved = (a.ndim() == 2 || c == 1 || a.strides(2) == item) && (w == 1 || a.strides(1) == c * item);
    const py::ssize_t row = a.strides(0);
    if (!interleaved || row % item != 0 || (h > 1 && row < w * c * item))
        throw std::invalid_argument(who + ": strides are not interleaved rows (use numpy.ascontiguousarray)");
    T* data = static_cast<T*>(const_cast<void*>(a.data()));
    return {data, w, h, c, h > 1 ? row / item : w * c};
}

inline any_view any_view_of(const py::array& a, const char* name) {
    if (a.dtype().equal(py::dtype::of<std::uint8_t>())) return view_as<const std::uint8_t>(a, name);
    if (a.dtype().equal(py::dtype::of<std::uint16_t>())) return view_as<const std::uint16_t>(a, name);
    if (a.dtype().equal(py::dtype::of<float>())) return view_as<const float>(a, name);
    throw py::type_error(std::string("svlrm: ") + name + " has dtype " + std::string(py::str(a.dtype())) +
                         "; expected uint8, uint16 or float32");
}

// A new C-ordered array of `rows` x `cols` with `channels` (0: a 2-d array).
template <class T>
py::array_t<T> new_array(py::ssize_t rows, py::ssize_t cols, py::ssize_t channels) {
    if (channels == 0) return py::array_t<T>({rows, cols});
    return py::array_t<T>({rows, cols, channels});
}

// Channels as the output shape carries them: 0 for a 2-d input.
inline py::ssize_t channel_dim(const py::array& a) { return a.ndim() == 3 ? a.shape(2) : 0; }

// The caller's `out=` array: writable, of dtype T and the expected shape.
template <class T>
svlrm::image_view<T> out_view(py::array& out, py::ssize_t rows, py::ssize_t cols, py::ssize_t channels) {
    if (!out.dtype().equal(py::dtype::of<T>()))
        throw py::type_error("svlrm: out has dtype " + std::string(py::str(out.dtype())) + "; expected " +
                             std::string(py::str(py::dtype::of<T>())));
    if (!out.writeable()) throw std::invalid_argument("svlrm: out is read-only");
    const bool ok = channels == 0 ? out.ndim() == 2 : out.ndim() == 3 && out.shape(2) == channels;
    if (!ok || out.shape(0) != rows || out.shape(1) != cols)
        throw std::invalid_argument("svlrm: out has shape " + shape_text(out) + "; expected (" + std::to_string(rows) +
                                    ", " + std::to_string(cols) + (channels ? ", " + std::to_string(channels) : "") +
                                    ")");
    return view_as<T>(out, "out");
}

// f(views...) with out of dtype O and shape (rows, cols[, channels]): the caller's
// `out` (checked) or a new array; f runs without the GIL.
template <class O, class F>
py::array call_into(py::object out_obj, py::ssize_t rows, py::ssize_t cols, py::ssize_t channels, F&& f) {
    py::array out = out_obj.is_none() ? py::array(new_array<O>(rows, cols, channels)) : out_obj.cast<py::array>();
    const svlrm::image_view<O> ov = out_view<O>(out, rows, cols, channels);
    {
        py::gil_scoped_release nogil;
        f(ov);
    }
    return out;
}

// A filter of one image whose output has img's dtype and channels and rows x cols:
// f(img_view, out_view).
template <class F>
py::array image_call(const py::array& img, const char* name, py::object out, py::ssize_t rows, py::ssize_t cols,
                     F&& f) {
    return std::visit(
        [&](auto v) {
            using O = typename decltype(v)::value_type;
            return call_into<O>(out, rows, cols, channel_dim(img), [&](auto o) { f(v, o); });
        },
        any_view_of(img, name));
}

// A joint filter whose output has src's dtype and shape: f(guide_view, src_view, out_view).
template <class F>
py::array joint_call(const py::array& guide, const py::array& src, py::object out, F&& f) {
    return std::visit(
        [&](auto g, auto s) {
            using O = typename decltype(s)::value_type;
            return call_into<O>(out, src.shape(0), src.shape(1), channel_dim(src), [&](auto o) { f(g, s, o); });
        },
        any_view_of(guide, "guide"), any_view_of(src, "src"));
}

}  // namespace svlrm_python
