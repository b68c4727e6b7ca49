// The one test suite every backend passes (ncnn's test_layer pattern): its modes come
// from the backend itself (precisions(), options_for(), backend/contract.hpp), and its
// test file only states each mode's tolerances:
//
//   const std::vector<svlrm_test::mode_tolerance> modes = {
//       {"exact", 1e-5, 1e-5}, {"fast", 1e-4, 1e-5}, {"bf16", 6e-2, 2e-2}};
//   SVLRM_BACKEND_CONFORMANCE("onednn", svlrm::backend::onednn, "[onednn]", modes)
//
// Everything is compared with joint_filter<reference> (the oracle, itself checked
// against float64 and PyTorch in test_reference_backend.cpp) or with the backend's own
// result where the property is exact (views, threads). A mode this machine cannot run
// is reported and skipped; a backend it cannot run at all (cuDNN without a GPU) only
// runs the invalid-model case, which must not need the device.
#pragma once

#include <svlrm/backend/contract.hpp>
#include <svlrm/backend/reference.hpp>
#include <svlrm/error.hpp>
#include <svlrm/joint_filter.hpp>

#include "backend_parity.hpp"
#include "model_builder.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace svlrm_test {

struct mode_tolerance {
    std::string mode;      // a name of the backend's precisions(), or "auto" for one without modes
    double parity;         // relative L2 of F, alpha and beta from joint_filter<reference>
    double tiled_max_abs;  // largest |F tiled - F whole|: each tile size may get its own kernels
};

// Calls fn(mode, filter) for every mode the machine runs.
template <class B>
void for_each_mode(const std::vector<mode_tolerance>& modes, const svlrm::model& m, const svlrm::filter_options& fo,
                   const std::function<void(const mode_tolerance&, const svlrm::joint_filter<B>&)>& fn) {
    if (!svlrm::backend::available<B>()) {
        WARN("the " << B::name << " backend cannot run on this machine: skipped");
        return;
    }
    for (const auto& mode : modes) {
        std::optional<svlrm::joint_filter<B>> f;
        try {
            f.emplace(m, svlrm::backend::options_for<B>(mode.mode), fo);
        } catch (const svlrm::unavailable_error& e) {
            WARN("mode " << mode.mode << " skipped: " << e.what());
            continue;
        }
        INFO(B::name << " mode " << mode.mode);
        fn(mode, *f);
    }
}

inline void check_parity(const filter_result& got, const filter_result& expected, double tolerance) {
    CHECK(rel(got.f, expected.f) <= tolerance);
    CHECK(rel(got.alpha, expected.alpha) <= tolerance);
    CHECK(rel(got.beta, expected.beta) <= tolerance);
}

// Hidden widths a multiple of 16, so that every fast path (Winograd, blocked layouts,
// oneDNN's last-layer kernel) is exercised on a small network.
inline svlrm::model conformance_model(svlrm::activation act) { return random_model({2, 16, 32, 32, 16, 2}, 3, act, 3); }

template <class B>
void parity_at_small_sizes(const std::vector<mode_tolerance>& modes) {
    for (auto act : {svlrm::activation::relu, svlrm::activation::leaky_relu}) {
        const svlrm::model m = conformance_model(act);
        const svlrm::joint_filter<svlrm::backend::reference> ref(m);
        for (auto [w, h] : {std::pair{1L, 1L}, std::pair{13L, 7L}, std::pair{2L, 40L}, std::pair{67L, 45L}}) {
            const auto guide = random_image(w, h, 1, 1), input = random_image(w, h, 1, 2);
            const filter_result expected = run_filter(ref, guide, input);
            INFO("activation " << int(act) << " size " << w << "x" << h);
            for_each_mode<B>(modes, m, {}, [&](const mode_tolerance& mode, const svlrm::joint_filter<B>& f) {
                check_parity(run_filter(f, guide, input), expected, mode.parity);
            });
        }
    }
}

template <class B>
void parity_of_the_paper_network(const std::vector<mode_tolerance>& modes) {
    const svlrm::model m = paper_model(7);
    const long w = 641, h = 479;
    const auto guide = random_image(w, h, 1, 5), input = random_image(w, h, 1, 6);
    const filter_result expected = run_filter(svlrm::joint_filter<svlrm::backend::reference>(m), guide, input);
    for_each_mode<B>(modes, m, {}, [&](const mode_tolerance& mode, const svlrm::joint_filter<B>& f) {
        check_parity(run_filter(f, guide, input), expected, mode.parity);
    });
}

// u8 / u16 views are the float path on v / 255, v / 65535, rounded; a strided view
// filtered in place is the dense result, its padding untouched.
template <class B>
void integer_and_strided_views(const std::vector<mode_tolerance>& modes) {
    const svlrm::model m = conformance_model(svlrm::activation::relu);
    const long w = 13, h = 7, stride = 20;
    svlrm::image<std::uint8_t> g8(w, h), i8(w, h), o8(w, h);
    svlrm::image<std::uint16_t> i16(w, h), o16(w, h);
    svlrm::image<float> g8f(w, h), i8f(w, h), i16f(w, h), f8(w, h), f16(w, h);
    std::mt19937 rng(9);
    for (long y = 0; y < h; ++y)
        for (long x = 0; x < w; ++x) {
            g8(x, y) = std::uint8_t(rng() % 256), g8f(x, y) = g8(x, y) / 255.0f;
            i8(x, y) = std::uint8_t(rng() % 256), i8f(x, y) = i8(x, y) / 255.0f;
            i16(x, y) = std::uint16_t(rng() % 65536), i16f(x, y) = i16(x, y) / 65535.0f;
        }
    const auto guide = random_image(w, h, 1, 10), input = random_image(w, h, 1, 11);
    for_each_mode<B>(modes, m, {}, [&](const mode_tolerance&, const svlrm::joint_filter<B>& f) {
        f.apply(g8.view(), i8.view(), o8.view());
        f.apply(g8f.view(), i8f.view(), f8.view());
        f.apply(g8.view(), i16.view(), o16.view());
        f.apply(g8f.view(), i16f.view(), f16.view());
        for (long y = 0; y < h; ++y)
            for (long x = 0; x < w; ++x) {
                CHECK(o8(x, y) == svlrm::from_unit<std::uint8_t>(f8(x, y)));
                CHECK(o16(x, y) == svlrm::from_unit<std::uint16_t>(f16(x, y)));
            }

        svlrm::image<float> dense(w, h);
        f.apply(guide.view(), input.view(), dense.view());
        std::vector<float> buf(stride * h, -7.0f);
        for (long y = 0; y < h; ++y)
            for (long x = 0; x < w; ++x) buf[y * stride + x] = input(x, y);
        const svlrm::image_view<float> strided{buf.data(), w, h, 1, stride};
        f.apply(guide.view(), svlrm::image_view<const float>(strided), strided);
        for (long y = 0; y < h; ++y) {
            for (long x = 0; x < w; ++x) CHECK(buf[y * stride + x] == dense(x, y));
            for (long x = w; x < stride; ++x) CHECK(buf[y * stride + x] == -7.0f);
        }
    });
}

template <class B>
void tiled_equals_whole(const std::vector<mode_tolerance>& modes) {
    const svlrm::model m = paper_model(7);
    const long w = 97, h = 61;
    const auto guide = random_image(w, h, 1, 12), input = random_image(w, h, 1, 13);
    for_each_mode<B>(modes, m, {}, [&](const mode_tolerance& mode, const svlrm::joint_filter<B>& whole_filter) {
        const filter_result whole = run_filter(whole_filter, guide, input);
        for (long tile : {16L, 40L}) {
            svlrm::filter_options opts;
            opts.tile_size = tile;
            const svlrm::joint_filter<B> tiled_filter(m, svlrm::backend::options_for<B>(mode.mode), opts);
            const filter_result tiled = run_filter(tiled_filter, guide, input);
            INFO("tile " << tile);
            CHECK(max_abs_diff(tiled.f.view(), whole.f.view()) <= mode.tiled_max_abs);
        }
    });
}

template <class B>
void self_ensemble_parity(const std::vector<mode_tolerance>& modes) {
    const svlrm::model m = conformance_model(svlrm::activation::relu);
    const long w = 37, h = 26;  // not square: half of the 8 passes run on a 26 x 37 image
    const auto guide = random_image(w, h, 1, 14), input = random_image(w, h, 1, 15);
    svlrm::filter_options opts;
    opts.self_ensemble = true;
    const filter_result expected = run_filter(svlrm::joint_filter<svlrm::backend::reference>(m, {}, opts), guide, input);
    for_each_mode<B>(modes, m, opts, [&](const mode_tolerance& mode, const svlrm::joint_filter<B>& f) {
        check_parity(run_filter(f, guide, input), expected, mode.parity);
    });
}

// Two sizes, so that threads also build and share per-size state concurrently.
template <class B>
void one_object_from_four_threads(const std::vector<mode_tolerance>& modes) {
    const svlrm::model m = conformance_model(svlrm::activation::relu);
    std::vector<svlrm::image<float>> guides, inputs;
    for (unsigned i = 0; i < 4; ++i) {
        const long w = i % 2 ? 45 : 38, h = 29;
        guides.push_back(random_image(w, h, 1, 100 + i));
        inputs.push_back(random_image(w, h, 1, 200 + i));
    }
    for_each_mode<B>(modes, m, {}, [&](const mode_tolerance&, const svlrm::joint_filter<B>& f) {
        std::vector<svlrm::image<float>> got, expected;
        for (const auto& in : inputs) got.emplace_back(in.width(), in.height()), expected.emplace_back(in.width(), in.height());
        {
            // Cold state first, concurrently; then the sequential result to compare with.
            std::vector<std::thread> threads;
            for (std::size_t i = 0; i < 4; ++i)
                threads.emplace_back([&, i] { f.apply(guides[i].view(), inputs[i].view(), got[i].view()); });
            for (auto& t : threads) t.join();
        }
        for (std::size_t i = 0; i < 4; ++i) {
            f.apply(guides[i].view(), inputs[i].view(), expected[i].view());
            INFO("thread " << i);
            CHECK(std::memcmp(got[i].data(), expected[i].data(), sizeof(float) * got[i].width() * got[i].height()) == 0);
        }
    });
}

// Needs no device: a backend validates the model before it touches its hardware.
template <class B>
void invalid_models_are_rejected(const std::vector<mode_tolerance>& modes) {
    const auto broken = [](const std::function<void(svlrm::model&)>& edit) {
        svlrm::model m = conformance_model(svlrm::activation::relu);
        edit(m);
        return m;
    };
    const svlrm::model cases[] = {
        broken([](svlrm::model& m) { m.layers.back().out_channels = 3; }),
        broken([](svlrm::model& m) { m.layers.front().in_channels = 3; }),
        broken([](svlrm::model& m) { m.layers[1].weight.pop_back(); }),
        broken([](svlrm::model& m) { m.layers[2].bias.clear(); }),
        broken([](svlrm::model& m) { m.layers.clear(); }),
        broken([](svlrm::model& m) { m.layers[3].weight[5] = std::numeric_limits<float>::quiet_NaN(); }),
    };
    for (const auto& mode : modes)
        for (const auto& m : cases) {
            INFO(B::name << " mode " << mode.mode);
            CHECK_THROWS_AS(B(m, svlrm::backend::options_for<B>(mode.mode)), svlrm::model_error);
            CHECK_THROWS_AS(svlrm::joint_filter<B>(m, svlrm::backend::options_for<B>(mode.mode)), svlrm::model_error);
        }
}

}  // namespace svlrm_test

#define SVLRM_BACKEND_CONFORMANCE(NAME, BACKEND, TAGS, MODES)                                                          \
    TEST_CASE(NAME " conformance: every mode matches the reference at 1x1 to 67x45 with both activations",             \
              TAGS "[conformance]") {                                                                                  \
        svlrm_test::parity_at_small_sizes<BACKEND>(MODES);                                                             \
    }                                                                                                                  \
    TEST_CASE(NAME " conformance: the paper's 12x64 network at 641x479 matches the reference",                         \
              TAGS "[conformance][slow]") {                                                                            \
        svlrm_test::parity_of_the_paper_network<BACKEND>(MODES);                                                       \
    }                                                                                                                  \
    TEST_CASE(NAME " conformance: u8 and u16 views are the rounded float path; strided in place is dense",             \
              TAGS "[conformance]") {                                                                                  \
        svlrm_test::integer_and_strided_views<BACKEND>(MODES);                                                         \
    }                                                                                                                  \
    TEST_CASE(NAME " conformance: tiled equals the whole image", TAGS "[conformance][tiling]") {                       \
        svlrm_test::tiled_equals_whole<BACKEND>(MODES);                                                                \
    }                                                                                                                  \
    TEST_CASE(NAME " conformance: self-ensemble matches the reference's", TAGS "[conformance][self_ensemble]") {       \
        svlrm_test::self_ensemble_parity<BACKEND>(MODES);                                                              \
    }                                                                                                                  \
    TEST_CASE(NAME " conformance: one object from 4 threads gives the sequential result",                              \
              TAGS "[conformance][threads]") {                                                                         \
        svlrm_test::one_object_from_four_threads<BACKEND>(MODES);                                                      \
    }                                                                                                                  \
    TEST_CASE(NAME " conformance: invalid models are rejected with model_error", TAGS "[conformance][errors]") {       \
        svlrm_test::invalid_models_are_rejected<BACKEND>(MODES);                                                       \
    }
