// Model and JointFilter: the SVLRM network on numpy arrays, the backend chosen by
// name at run time through the library's registry (<svlrm/backends.hpp>).
#include "arrays.hpp"
#include "module.hpp"

#include <svlrm/backends.hpp>
#include <svlrm/svlrm.hpp>

#include <pybind11/stl.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace svlrm_python {

namespace {

using model_ptr = std::shared_ptr<svlrm::model>;

// The Python progress callback of the apply() running on this thread. joint_filter
// calls its progress function on the calling thread, between tiles, without the GIL.
struct progress_slot {
    const py::object* callback = nullptr;
    std::optional<py::error_already_set> error;  // what the callback raised, re-raised by apply
};
thread_local progress_slot* current_progress = nullptr;

bool report_progress(std::ptrdiff_t done, std::ptrdiff_t total) {
    progress_slot* slot = current_progress;
    if (slot == nullptr || slot->callback == nullptr) return true;
    py::gil_scoped_acquire gil;
    try {
        const py::object r = (*slot->callback)(done, total);
        return r.is_none() || static_cast<bool>(py::bool_(r));  // a function without return continues
    } catch (py::error_already_set& e) {
        slot->error.emplace(std::move(e));
        return false;
    }
}

class joint_filter {
public:
    joint_filter(const model_ptr& m, const std::string& backend, const std::string& precision,
                 std::ptrdiff_t tile_size, bool self_ensemble, py::object progress)
        : progress_(std::move(progress)),
          filter_(svlrm::make_joint_filter(backend, *m, precision, options(tile_size, self_ensemble))) {}

    std::string backend() const { return std::string(filter_.backend_name()); }
    std::string precision() const { return filter_.precision_name(); }

    py::object apply(const py::array& guide, const py::array& src, bool coefficients, const py::object& progress,
                     const std::optional<std::vector<std::pair<float, float>>>& extents, py::object out) const {
        const any_view g = any_view_of(guide, "guide"), s = any_view_of(src, "src");
        const py::ssize_t h = src.shape(0), w = src.shape(1), c = channel_dim(src);
        std::vector<svlrm::value_extent> parts;
        if (extents)
            for (const auto& [lo, hi] : *extents) parts.push_back({lo, hi});
        py::array F = out.is_none() ? py::array(new_array<float>(h, w, c)) : out.cast<py::array>();
        const auto fv = out_view<float>(F, h, w, c);
        py::array alpha, beta;
        std::optional<svlrm::image_view<float>> av, bv;
        if (coefficients) {
            alpha = new_array<float>(h, w, c), beta = new_array<float>(h, w, c);
            av = out_view<float>(alpha, h, w, c), bv = out_view<float>(beta, h, w, c);
        }
        const py::object* callback = progress.is_none() ? &progress_ : &progress;
        progress_slot slot{callback->is_none() ? nullptr : callback, std::nullopt};
        try {
            py::gil_scoped_release nogil;
            current_progress = &slot;
            struct reset {
                ~reset() { current_progress = nullptr; }
            } reset_slot;
            if (extents) filter_.apply_part(g, s, fv, parts, av ? &*av : nullptr, bv ? &*bv : nullptr);
            else if (coefficients) filter_.apply(g, s, fv, *av, *bv);
            else filter_.apply(g, s, fv);
        } catch (const svlrm::cancelled_error&) {
            if (slot.error) throw std::move(*slot.error);
            throw;
        }
        if (coefficients) return py::make_tuple(F, alpha, beta);
        return F;
    }

private:
    py::object progress_;
    svlrm::any_joint_filter filter_;

    static svlrm::filter_options options(std::ptrdiff_t tile_size, bool self_ensemble) {
        svlrm::filter_options o;
        o.tile_size = tile_size;
        o.self_ensemble = self_ensemble;
        o.progress = report_progress;
        return o;
    }
};

}  // namespace

void bind_network(py::module_& m) {
    py::class_<svlrm::model, model_ptr>(m, "Model")
        .def_static("from_bytes", [](const py::bytes& b, const std::string& name) {
            const std::string data = b;
            return std::make_shared<svlrm::model>(svlrm::model::load(data.data(), data.size(), name));
        }, py::arg("data"), py::arg("name") = "<bytes>")
        .def_property_readonly("receptive_radius", &svlrm::model::receptive_radius)
        .def_property_readonly("parameter_count", &svlrm::model::parameter_count)
        .def_property_readonly("layers", [](const svlrm::model& x) { return x.layers.size(); })
        .def_property_readonly("input_normalisation", [](const svlrm::model& x) { return svlrm::to_string(x.input_normalisation); })
        .def_property_readonly("input_upsampling", [](const svlrm::model& x) { return svlrm::to_string(x.input_upsampling); })
        .def_property_readonly("metadata", [](const svlrm::model& x) {
            py::dict d;
            for (const auto& [k, v] : x.metadata) d[py::str(k)] = v;
            return d;
        });

    py::class_<joint_filter>(m, "JointFilter")
        .def(py::init<model_ptr, std::string, std::string, std::ptrdiff_t, bool, py::object>(), py::arg("model"),
             py::arg("backend"), py::arg("precision"), py::arg("tile_size"), py::arg("self_ensemble"),
             py::arg("progress"))
        .def_property_readonly("backend", &joint_filter::backend)
        .def_property_readonly("precision", &joint_filter::precision)
        .def("apply", &joint_filter::apply, py::arg("guide"), py::arg("src"), py::arg("coefficients"),
             py::arg("progress"), py::arg("extents"), py::arg("out"));

    m.def("upsample_input", [](const model_ptr& model, const py::array& guide, const py::array& lowres) {
        return std::visit([&](auto g, auto l) {
            return call_into<float>(py::none(), guide.shape(0), guide.shape(1), channel_dim(lowres),
                                    [&](auto d) { svlrm::upsample_input(*model, g, l, d); });
        }, any_view_of(guide, "guide"), any_view_of(lowres, "lowres"));
    }, py::arg("model"), py::arg("guide"), py::arg("lowres"));
    // In place on a float32 array the Python side made (a copy in the caller's units).
    m.def("fill_missing", [](py::array& a, const std::string& missing) {
        const auto policy = svlrm::parse_missing(missing, "svlrm.fill_missing");
        const auto v = out_view<float>(a, a.shape(0), a.shape(1), channel_dim(a));
        py::gil_scoped_release nogil;
        return svlrm::fill_missing(v, policy);
    }, py::arg("a"), py::arg("missing"));
    m.def("compiled_backends", &svlrm::compiled_backends::names);
    m.def("available_backends", &svlrm::compiled_backends::available_names);
    m.def("precisions", &svlrm::compiled_backends::precisions, py::arg("backend"));
}

}  // namespace svlrm_python
