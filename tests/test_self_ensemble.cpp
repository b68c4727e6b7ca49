// filter_options::self_ensemble against a float64 re-derivation: the reference network
// (with and without input_normalisation = valid_range) run on the 8 rotations /
// reflections of the image (written here as rot90^r then an optional mirror,
// independently of detail::dihedral), each result rotated back, then averaged. Also:
// tiled equals whole-image, and an exactly symmetric network gains nothing. (The
// oneDNN backend's ensemble is checked in test_onednn_backend.cpp.)
#include <svlrm/backend/reference.hpp>
#include <svlrm/joint_filter.hpp>

#include "backend_parity.hpp"
#include "model_builder.hpp"
#include "reference/network_ref.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

using svlrm::image;

namespace {

using reference_filter = svlrm::joint_filter<svlrm::backend::reference>;

struct grid {
    long w = 0, h = 0;
    std::vector<double> v;
    double at(long x, long y) const { return v[y * w + x]; }
};

grid rot90_cw(const grid& g) {  // out(u, v) = g(v, h - 1 - u), out is h x w
    grid out{g.h, g.w, std::vector<double>(g.v.size())};
    for (long v = 0; v < out.h; ++v)
        for (long u = 0; u < out.w; ++u) out.v[v * out.w + u] = g.at(v, g.h - 1 - u);
    return out;
}

grid mirror(const grid& g) {
    grid out = g;
    for (long y = 0; y < g.h; ++y)
        for (long x = 0; x < g.w; ++x) out.v[y * g.w + x] = g.at(g.w - 1 - x, y);
    return out;
}

grid transform(grid g, int rotations, bool mirrored) {
    for (int r = 0; r < rotations; ++r) g = rot90_cw(g);
    return mirrored ? mirror(g) : g;
}

grid inverse(grid g, int rotations, bool mirrored) {
    if (mirrored) g = mirror(g);
    for (int r = 0; r < (4 - rotations) % 4; ++r) g = rot90_cw(g);
    return g;
}

grid plane_of(const image<float>& img) {
    grid g{img.width(), img.height(), std::vector<double>(img.width() * img.height())};
    for (long y = 0; y < g.h; ++y)
        for (long x = 0; x < g.w; ++x) g.v[y * g.w + x] = img(x, y);
    return g;
}

// The average over the 8 transforms of the float64 reference filter, brought back.
svlrm_ref::svlrm_result ensemble_reference(const svlrm::model& m, const image<float>& guide, const image<float>& input) {
    const grid g = plane_of(guide), in = plane_of(input);
    const std::size_t n = g.v.size();
    svlrm_ref::svlrm_result sum{std::vector<double>(n), std::vector<double>(n), std::vector<double>(n)};
    for (int r = 0; r < 4; ++r)
        for (const bool mirrored : {false, true}) {
            const grid tg = transform(g, r, mirrored), ti = transform(in, r, mirrored);
            const auto out = svlrm_ref::filter(m, ti.v, tg.v, tg.w, tg.h);
            for (auto [src, dst] : {std::pair{&out.alpha, &sum.alpha}, std::pair{&out.beta, &sum.beta},
                                    std::pair{&out.output, &sum.output}}) {
                const grid back = inverse(grid{tg.w, tg.h, *src}, r, mirrored);
                for (std::size_t i = 0; i < n; ++i) (*dst)[i] += back.v[i] / 8.0;
            }
        }
    return sum;
}

svlrm::filter_options ensemble(long tile = 0) {
    svlrm::filter_options o;
    o.self_ensemble = true;
    o.tile_size = tile;
    return o;
}

}  // namespace

TEST_CASE("self-ensemble is the mean of the 8 transformed reference results", "[joint_filter][self_ensemble]") {
    for (auto act : {svlrm::activation::relu, svlrm::activation::leaky_relu}) {
        for (auto norm : {svlrm::input_normalisation::none, svlrm::input_normalisation::valid_range}) {
            svlrm::model m = svlrm_test::random_model({2, 8, 8, 8, 2}, 3, act, 31);
            m.input_normalisation = norm;
            const long w = 23, h = 14;  // not square: half of the transforms swap the sides
            const bool narrow = norm == svlrm::input_normalisation::valid_range;  // then a narrow depth-like range
            const auto guide = svlrm_test::random_image(w, h, 1, 5),
                       input = svlrm_test::random_image(w, h, 1, 6, narrow ? 0.3f : 0.0f, narrow ? 0.32f : 1.0f);
            INFO(svlrm::to_string(norm));
            const auto got = svlrm_test::run_filter(reference_filter(m, {}, ensemble()), guide, input);
            const auto expected = ensemble_reference(m, guide, input);
            const std::size_t n = std::size_t(w * h);
            CHECK(svlrm_test::rel_l2(got.alpha.data(), expected.alpha.data(), n) <= 1e-6);
            CHECK(svlrm_test::rel_l2(got.beta.data(), expected.beta.data(), n) <= 1e-6);
            CHECK(svlrm_test::rel_l2(got.f.data(), expected.output.data(), n) <= 1e-6);
            // ...and it is not the single pass: the random network is far from symmetric.
            const auto single = svlrm_test::run_filter(reference_filter(m), guide, input);
            CHECK(svlrm_test::rel(single.f, got.f) > 1e-3);
        }
    }
}

TEST_CASE("self-ensemble: tiled equals whole-image", "[joint_filter][self_ensemble][tiling]") {
    const svlrm::model m = svlrm_test::random_model({2, 8, 8, 8, 8, 2}, 3, svlrm::activation::relu, 32);
    const long w = 41, h = 29;
    const auto guide = svlrm_test::random_image(w, h, 1, 7), input = svlrm_test::random_image(w, h, 1, 8);
    const auto whole = svlrm_test::run_filter(reference_filter(m, {}, ensemble()), guide, input);
    for (long tile : {1L, 9L, 16L}) {
        const auto tiled = svlrm_test::run_filter(reference_filter(m, {}, ensemble(tile)), guide, input);
        INFO("tile " << tile);
        CHECK(svlrm_test::max_abs_diff(tiled.f.view(), whole.f.view()) <= 1e-6);
        CHECK(svlrm_test::max_abs_diff(tiled.alpha.view(), whole.alpha.view()) <= 1e-6);
    }
}

TEST_CASE("self-ensemble of a network with D4-symmetric kernels is the single pass", "[joint_filter][self_ensemble]") {
    // Kernels that depend only on the tap's ring (centre, edge, corner) commute with
    // every rotation and reflection, so all 8 passes give the same coefficients.
    svlrm::model m = svlrm_test::random_model({2, 8, 8, 2}, 3, svlrm::activation::relu, 33);
    for (auto& l : m.layers)
        for (std::size_t k = 0; k < l.weight.size(); k += 9) {
            float* t = &l.weight[k];
            t[1] = t[3] = t[5] = t[7];
            t[0] = t[2] = t[6] = t[8];
        }
    const long w = 17, h = 12;
    const auto guide = svlrm_test::random_image(w, h, 1, 9), input = svlrm_test::random_image(w, h, 1, 10);
    const auto single = svlrm_test::run_filter(reference_filter(m), guide, input);
    const auto averaged = svlrm_test::run_filter(reference_filter(m, {}, ensemble()), guide, input);
    CHECK(svlrm_test::rel(averaged.f, single.f) <= 1e-6);
    CHECK(svlrm_test::rel(averaged.alpha, single.alpha) <= 1e-6);
}
