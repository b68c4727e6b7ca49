// Choosing the backend and mode by name (<svlrm/backends.hpp>, backend_list.hpp) and
// the type-erased filter it makes (any_joint_filter): the names, "auto", the errors,
// and results bit-identical to joint_filter<Backend> for every pixel type and entry point.
#include <svlrm/backends.hpp>

#include "backend_parity.hpp"
#include "model_builder.hpp"
#include "support.hpp"

#include "../examples/custom_backend.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <random>

using svlrm::image;

namespace {

svlrm::model small_model() { return svlrm_test::random_model({2, 16, 16, 2}, 3, svlrm::activation::relu, 5); }

bool contains(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

// A backend this machine never runs, with a mode no other backend has.
struct absent_backend : svlrm::backend::reference {
    static constexpr std::string_view name = "absent";
    using reference::reference;
    static std::vector<std::string> precisions() { return {"exotic"}; }
    static options options_for(std::string_view mode) {
        return svlrm::backend::is_auto(mode) || mode == "exotic" ? options{} : throw std::invalid_argument("no mode");
    }
    static bool available() { return false; }
};

template <class T>
bool same_pixels(const image<T>& a, const image<T>& b) {
    return std::memcmp(a.data(), b.data(), sizeof(T) * std::size_t(a.width() * a.height() * a.channels())) == 0;
}

}  // namespace

TEST_CASE("registry: the compiled backends, fastest first, reference last", "[registry]") {
    const auto names = svlrm::compiled_backends::names();
    REQUIRE(!names.empty());
    CHECK(names.back() == "reference");
    for (const auto& n : svlrm::compiled_backends::available_names()) CHECK(contains(names, n));
    CHECK(contains(svlrm::compiled_backends::available_names(), "reference"));
    CHECK(svlrm::compiled_backends::has("reference"));
    CHECK_FALSE(svlrm::compiled_backends::has("auto"));
    CHECK(svlrm::compiled_backends::precisions("reference") == std::vector<std::string>{"exact"});
#ifdef SVLRM_HAVE_ONEDNN
    CHECK(contains(names, "onednn"));
    CHECK(svlrm::compiled_backends::precisions("onednn") == std::vector<std::string>{"exact", "fast", "bf16"});
#endif
#ifdef SVLRM_HAVE_CUDNN
    CHECK(svlrm::compiled_backends::precisions("cudnn") == std::vector<std::string>{"fp32", "tf32", "fp16", "bf16"});
#endif
    CHECK_THROWS_WITH(svlrm::compiled_backends::precisions("cuda"), Catch::Contains("unknown backend 'cuda'"));
}

TEST_CASE("registry: auto takes the first backend this machine runs, in its automatic mode", "[registry]") {
    const auto f = svlrm::make_joint_filter("auto", small_model());
    CHECK(f.backend_name() == svlrm::compiled_backends::available_names().front());
    CHECK(contains(svlrm::compiled_backends::precisions(std::string(f.backend_name())), f.precision_name()));
    CHECK(f.description() == std::string(f.backend_name()) + " (" + f.precision_name() + ")");
    // "exact" is a mode of the CPU backends only: the bit-reproducible path.
    const auto exact = svlrm::make_joint_filter("auto", small_model(), "exact");
    CHECK(exact.precision_name() == "exact");
    CHECK(exact.backend_name() != "cudnn");
    CHECK(exact.backend_name() == svlrm::compiled_backends::having("exact").front());
    CHECK(svlrm::compiled_backends::having("auto") == svlrm::compiled_backends::names());
    CHECK(svlrm::compiled_backends::having("fp64").empty());
}

TEST_CASE("registry: unknown names and modes are std::invalid_argument naming the choices", "[registry][errors]") {
    const svlrm::model m = small_model();
    CHECK_THROWS_AS(svlrm::make_joint_filter("cuda", m), std::invalid_argument);
    CHECK_THROWS_WITH(svlrm::make_joint_filter("cuda", m), Catch::Contains("unknown backend 'cuda'") &&
                                                                Catch::Contains("reference") && Catch::Contains("auto"));
    CHECK_THROWS_WITH(svlrm::make_joint_filter("reference", m, "fast"),
                      Catch::Contains("precision 'fast' is not a mode of the reference backend (exact, auto)"));
    CHECK_THROWS_WITH(svlrm::make_joint_filter("auto", m, "fp64"),
                      Catch::Contains("precision 'fp64' is not a mode of any backend"));
#ifdef SVLRM_HAVE_ONEDNN
    CHECK_THROWS_WITH(svlrm::make_joint_filter("onednn", m, "fp32"),
                      Catch::Contains("not a mode of the onednn backend (exact, fast, bf16, auto)"));
#endif
    svlrm::model bad = m;
    bad.layers.back().out_channels = 3;
    CHECK_THROWS_AS(svlrm::make_joint_filter("auto", bad), svlrm::model_error);
}

TEST_CASE("registry: a named backend or mode this machine cannot run is an error, not another one", "[registry][errors]") {
    using list = svlrm::backend_list<absent_backend, svlrm::backend::reference>;
    const svlrm::model m = small_model();
    CHECK(list::names() == std::vector<std::string>{"absent", "reference"});
    CHECK(list::available_names() == std::vector<std::string>{"reference"});
    CHECK(list::having("exotic") == std::vector<std::string>{"absent"});
    CHECK_THROWS_AS(list::make("absent", m), svlrm::unavailable_error);
    CHECK_THROWS_WITH(list::make("absent", m), Catch::Contains("absent backend cannot run on this machine") &&
                                                    Catch::Contains("available: reference"));
#ifdef SVLRM_HAVE_CUDNN
    // Asked for by name, a backend says why it cannot run.
    if (!svlrm::backend::cudnn::available())
        CHECK_THROWS_WITH(svlrm::make_joint_filter("cudnn", m), Catch::Contains("CUDA"));
#endif
    // auto passes over it; with its mode there is nothing else to take.
    CHECK(list::make("auto", m).backend_name() == "reference");
    CHECK_THROWS_AS(list::make("auto", m, "exotic"), svlrm::unavailable_error);
    // A backend without the optional members (examples/custom_backend.hpp): no modes, always available.
    using custom = svlrm::backend_list<counting_backend>;
    CHECK(custom::precisions("counting").empty());
    const auto c = custom::make("auto", m);
    CHECK(c.description() == "counting");
    CHECK_THROWS_WITH(custom::make("counting", m, "fast"), Catch::Contains("counting backend (it has none)"));
}

TEST_CASE("registry: any_joint_filter gives joint_filter's result for every pixel type and entry point", "[registry]") {
    const svlrm::model m = small_model();
    const long w = 23, h = 17;
    const auto f = svlrm::make_joint_filter("reference", m);
    const svlrm::joint_filter<svlrm::backend::reference> typed(m);
    const auto guide = svlrm_test::random_image(w, h, 1, 1), input = svlrm_test::random_image(w, h, 2, 2);

    image<float> a(w, h, 2), b(w, h, 2);
    f.apply(guide.view(), input.view(), a.view());
    typed.apply(guide.view(), input.view(), b.view());
    CHECK(same_pixels(a, b));

    image<std::uint8_t> g8(w, h);
    image<std::uint16_t> i16(w, h, 2), o16a(w, h, 2), o16b(w, h, 2);
    std::mt19937 rng(3);
    for (long i = 0; i < w * h; ++i) g8.data()[i] = std::uint8_t(rng());
    for (long i = 0; i < w * h * 2; ++i) i16.data()[i] = std::uint16_t(rng());
    f.apply(g8.view(), i16.view(), o16a.view());
    typed.apply(g8.view(), i16.view(), o16b.view());
    CHECK(same_pixels(o16a, o16b));

    image<float> fa(w, h, 2), al(w, h, 2), be(w, h, 2), fb(w, h, 2), al2(w, h, 2), be2(w, h, 2);
    f.apply(guide.view(), input.view(), fa.view(), al.view(), be.view());
    typed.apply(guide.view(), input.view(), fb.view(), al2.view(), be2.view());
    CHECK((same_pixels(fa, fb) && same_pixels(al, al2) && same_pixels(be, be2)));

    const svlrm::value_extent extents[2] = {{0.1f, 0.9f}, {0.2f, 0.7f}};
    f.apply_part(guide.view(), input.view(), a.view(), extents);
    typed.apply_part(guide.view(), input.view(), b.view(), extents);
    CHECK(same_pixels(a, b));
    CHECK_THROWS_AS(f.apply_part(guide.view(), input.view(), a.view(), {}), std::invalid_argument);

    // Copies share one filter; bad views are the filter's own errors.
    const svlrm::any_joint_filter copy = f;
    CHECK(&copy.get_model() == &f.get_model());
    image<float> small(w - 1, h, 2);
    CHECK_THROWS_AS(f.apply(guide.view(), input.view(), small.view()), std::invalid_argument);
}
