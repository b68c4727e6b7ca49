// The classical filters, resampling and metrics of the library on numpy arrays.
#include "arrays.hpp"
#include "module.hpp"

#include <svlrm/svlrm.hpp>

#include <string>

namespace svlrm_python {

namespace {

svlrm::border border_of(const std::string& name) {
    if (name == "he") return svlrm::border::he_normalized;
    if (name == "reflect") return svlrm::border::reflect;
    throw std::invalid_argument("svlrm: border '" + name + "' is not 'he' or 'reflect'");
}

// A metric of two images, f(a_view, b_view), without the GIL.
template <class F>
double metric(const py::array& a, const py::array& b, F&& f) {
    const any_view va = any_view_of(a, "a"), vb = any_view_of(b, "b");
    py::gil_scoped_release nogil;
    return std::visit(f, va, vb);
}

}  // namespace

void bind_baselines(py::module_& m) {
    m.def(
        "guided_filter",
        [](const py::array& guide, const py::array& src, int radius, double eps, const std::string& border,
           py::object out) {
            const svlrm::guided_options o{border_of(border)};
            return joint_call(guide, src, out, [&](auto g, auto s, auto d) { svlrm::guided_filter(g, s, d, radius, eps, o); });
        },
        py::arg("guide"), py::arg("src"), py::arg("radius"), py::arg("eps"), py::arg("border"), py::arg("out"));
    m.def(
        "fast_guided_filter",
        [](const py::array& guide, const py::array& src, int radius, double eps, int subsample,
           const std::string& border, py::object out) {
            const svlrm::guided_options o{border_of(border)};
            return joint_call(guide, src, out, [&](auto g, auto s, auto d) {
                svlrm::fast_guided_filter(g, s, d, radius, eps, subsample, o);
            });
        },
        py::arg("guide"), py::arg("src"), py::arg("radius"), py::arg("eps"), py::arg("subsample"), py::arg("border"),
        py::arg("out"));
    m.def(
        "hand_crafted_filter",
        [](const py::array& guide, const py::array& src, double mu, double eta, py::object out) {
            return joint_call(guide, src, out, [&](auto g, auto s, auto d) { svlrm::hand_crafted_filter(g, s, d, mu, eta); });
        },
        py::arg("guide"), py::arg("src"), py::arg("mu"), py::arg("eta"), py::arg("out"));
    m.def(
        "hand_crafted_coefficients",
        [](const py::array& guide, const py::array& src, double mu, double eta) {
            const py::ssize_t h = src.shape(0), w = src.shape(1), c = channel_dim(src);
            py::array alpha = new_array<float>(h, w, c), beta = new_array<float>(h, w, c);
            const auto av = out_view<float>(alpha, h, w, c), bv = out_view<float>(beta, h, w, c);
            py::array F = joint_call(guide, src, py::none(), [&](auto g, auto s, auto d) {
                svlrm::hand_crafted_filter(g, s, d, av, bv, mu, eta);
            });
            return py::make_tuple(F, alpha, beta);
        },
        py::arg("guide"), py::arg("src"), py::arg("mu"), py::arg("eta"));
    m.def(
        "joint_bilateral_filter",
        [](const py::array& guide, const py::array& src, int radius, double sigma_spatial, double sigma_range,
           py::object out) {
            return joint_call(guide, src, out, [&](auto g, auto s, auto d) {
                svlrm::joint_bilateral_filter(g, s, d, radius, sigma_spatial, sigma_range);
            });
        },
        py::arg("guide"), py::arg("src"), py::arg("radius"), py::arg("sigma_spatial"), py::arg("sigma_range"),
        py::arg("out"));
    m.def(
        "joint_bilateral_upsample",
        [](const py::array& lowres, const py::array& guide, int radius, double sigma_spatial, double sigma_range,
           int scale, py::object out) {
            const svlrm::jbu_options o{scale, radius, sigma_spatial, sigma_range};
            return std::visit(
                [&](auto l, auto g) {
                    using O = typename decltype(l)::value_type;
                    return call_into<O>(out, guide.shape(0), guide.shape(1), channel_dim(lowres),
                                        [&](auto d) { svlrm::joint_bilateral_upsample(g, l, d, o); });
                },
                any_view_of(lowres, "lowres"), any_view_of(guide, "guide"));
        },
        py::arg("lowres"), py::arg("guide"), py::arg("radius"), py::arg("sigma_spatial"), py::arg("sigma_range"),
        py::arg("scale"), py::arg("out"));
    m.def(
        "rolling_guidance_filter",
        [](const py::array& src, double sigma_spatial, double sigma_range, int iterations, py::object out) {
            return image_call(src, "src", out, src.shape(0), src.shape(1), [&](auto s, auto d) {
                svlrm::rolling_guidance_filter(s, d, sigma_spatial, sigma_range, iterations);
            });
        },
        py::arg("src"), py::arg("sigma_spatial"), py::arg("sigma_range"), py::arg("iterations"), py::arg("out"));
    const auto resize = [](const char* name, auto fn) {
        return [name, fn](const py::array& img, py::ssize_t width, py::ssize_t height, py::object out) {
            if (width <= 0 || height <= 0)
                throw std::invalid_argument(std::string("svlrm: ") + name + ": width and height must be positive");
            return image_call(img, "img", out, height, width, fn);
        };
    };
    m.def("resize_bicubic", resize("resize_bicubic", [](auto s, auto d) { svlrm::resize_bicubic(s, d); }),
          py::arg("img"), py::arg("width"), py::arg("height"), py::arg("out"));
    m.def("resize_bilinear", resize("resize_bilinear", [](auto s, auto d) { svlrm::resize_bilinear(s, d); }),
          py::arg("img"), py::arg("width"), py::arg("height"), py::arg("out"));
    m.def(
        "decimate",
        [](const py::array& img, int scale) {
            if (scale < 1) throw std::invalid_argument("svlrm: decimate: scale (" + std::to_string(scale) + ") must be at least 1");
            return image_call(img, "img", py::none(), img.shape(0) / scale, img.shape(1) / scale,
                              [&](auto s, auto d) { svlrm::decimate(s, d, scale); });
        },
        py::arg("img"), py::arg("scale"));

    m.def("psnr", [](const py::array& a, const py::array& b, double peak) {
        return metric(a, b, [&](auto x, auto y) { return svlrm::psnr(x, y, peak); });
    }, py::arg("a"), py::arg("b"), py::arg("peak"));
    m.def("ssim", [](const py::array& a, const py::array& b, double data_range) {
        return metric(a, b, [&](auto x, auto y) { return svlrm::ssim(x, y, data_range); });
    }, py::arg("a"), py::arg("b"), py::arg("data_range"));
    m.def("rmse", [](const py::array& a, const py::array& b) {
        return metric(a, b, [](auto x, auto y) { return svlrm::rmse(x, y); });
    }, py::arg("a"), py::arg("b"));
    m.def("valid_extent", [](const py::array& src) {
        const any_view v = any_view_of(src, "src");
        py::list extents;
        std::visit([&](auto s) {
            for (std::ptrdiff_t c = 0; c < s.channels; ++c) {
                const svlrm::value_extent e = svlrm::valid_extent(s, c);
                extents.append(py::make_tuple(e.min, e.max));
            }
        }, v);
        return extents;
    }, py::arg("src"));
    m.def("set_num_threads", &svlrm::set_num_threads, py::arg("n"));
    m.def("get_num_threads", &svlrm::get_num_threads);
}

}  // namespace svlrm_python
