// The reference backend against the float64 re-derivation (tests/reference) and
// against PyTorch's float64 outputs (tests/fixtures, made by tools/make_fixtures.py),
// and through the conformance suite every backend passes (its parity: with itself).
#include <svlrm/backend/reference.hpp>
#include <svlrm/detail/safetensors.hpp>
#include <svlrm/joint_filter.hpp>

#include "backend_conformance.hpp"
#include "fixture_reader.hpp"
#include "model_builder.hpp"
#include "reference/network_ref.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

namespace {

std::vector<double> random_plane(long n, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::vector<double> v(n);
    for (auto& x : v) x = float(u(rng));  // values representable in float
    return v;
}

// Runs the backend on double planes and returns its 2 output planes.
std::vector<std::vector<float>> run_backend(const svlrm::backend::reference& b, const std::vector<double>& c0,
                                            const std::vector<double>& c1, long w, long h) {
    std::vector<float> f0(c0.begin(), c0.end()), f1(c1.begin(), c1.end());
    std::vector<std::vector<float>> out(2, std::vector<float>(w * h));
    b.infer({{f0.data(), f1.data()}, w, h}, {{out[0].data(), out[1].data()}});
    return out;
}

// Tiles run the GEMMs on other shapes, whose blocking may sum in another order.
const std::vector<svlrm_test::mode_tolerance> modes = {{"exact", 0.0, 1e-5}};

}  // namespace

SVLRM_BACKEND_CONFORMANCE("reference", svlrm::backend::reference, "[reference]", modes)

TEST_CASE("reference backend equals the float64 direct convolution", "[reference]") {
    struct shape_case {
        long w, h;
    };
    const std::vector<shape_case> sizes{{1, 1}, {2, 3}, {13, 7}, {40, 33}};
    for (auto act : {svlrm::activation::relu, svlrm::activation::leaky_relu}) {
        for (int kernel : {1, 3, 5}) {
            const auto m = svlrm_test::random_model({2, 8, 8, 8, 2}, kernel, act, 11 + kernel);
            const svlrm::backend::reference b(m);
            for (const auto& s : sizes) {
                const auto c0 = random_plane(s.w * s.h, 1), c1 = random_plane(s.w * s.h, 2);
                const auto expected = svlrm_ref::network(m, {c0, c1}, s.w, s.h);
                const auto got = run_backend(b, c0, c1, s.w, s.h);
                for (int c = 0; c < 2; ++c) {
                    INFO("size " << s.w << "x" << s.h << " kernel " << kernel << " channel " << c);
                    CHECK(svlrm_test::rel_l2(got[c].data(), expected[c].data(), got[c].size()) <= 1e-6);
                }
            }
        }
    }
}

TEST_CASE("reference backend: band size does not change the result", "[reference]") {
    const auto m = svlrm_test::random_model({2, 16, 16, 2}, 3, svlrm::activation::relu, 5);
    const long w = 37, h = 29;
    const auto c0 = random_plane(w * h, 3), c1 = random_plane(w * h, 4);
    const auto whole = run_backend(svlrm::backend::reference(m, {1 << 20}), c0, c1, w, h);
    const auto banded = run_backend(svlrm::backend::reference(m, {1}), c0, c1, w, h);  // one row a band
    for (int c = 0; c < 2; ++c)
        CHECK(svlrm_test::rel_l2(banded[c].data(), whole[c].data(), whole[c].size()) <= 1e-6);
}

// ---- PyTorch golden fixtures -------------------------------------------------------

TEST_CASE("reference backend matches PyTorch float64 fixtures (rel. L2 <= 1e-5)", "[reference][pytorch]") {
    const auto dir = svlrm_test::source_dir() / "tests" / "fixtures";
    int checked = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        const std::string name = entry.path().filename().string();
        const std::string suffix = "_case.safetensors";
        if (name.size() <= suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
            continue;
        const auto model_path = dir / (name.substr(0, name.size() - suffix.size()) + ".safetensors");
        const svlrm::model m = svlrm::model::load(model_path);
        const svlrm::joint_filter<svlrm::backend::reference> f(m);
        const svlrm_test::fixture_case c = svlrm_test::read_fixture_case(entry.path());
        // A case file holds one or more cases: input, guide, alpha, beta, output with an optional _<k> suffix.
        for (const auto& t : c.file.tensors) {
            if (t.name.rfind("input", 0) != 0) continue;
            const std::string tag = t.name.substr(5);
            long w = 0, h = 0;
            const auto input = c.plane("input" + tag, w, h), guide = c.plane("guide" + tag, w, h);
            const auto alpha = c.plane("alpha" + tag, w, h), beta = c.plane("beta" + tag, w, h),
                       output = c.plane("output" + tag, w, h);
            svlrm::detail::plane in(w, h), g(w, h);
            for (long i = 0; i < w * h; ++i) {
                in.data[i] = float(input[i]);
                g.data[i] = float(guide[i]);
            }
            svlrm::image<float> out(w, h, 1), a(w, h, 1), b(w, h, 1);
            f.apply(svlrm::image_view<const float>{g.data.data(), w, h, 1, w},
                    svlrm::image_view<const float>{in.data.data(), w, h, 1, w}, out.view(), a.view(), b.view());
            INFO(name << tag << " " << w << "x" << h);
            CHECK(svlrm_test::rel_l2(a.data(), alpha.data(), alpha.size()) <= 1e-5);
            CHECK(svlrm_test::rel_l2(b.data(), beta.data(), beta.size()) <= 1e-5);
            CHECK(svlrm_test::rel_l2(out.data(), output.data(), output.size()) <= 1e-5);
            ++checked;
        }
    }
    CHECK(checked >= 5);
}
