// svlrm::guided_filter's streaming pipeline (running sums restarted every block of
// rows, stripes per thread): no drift on a large image, checked against a float64
// brute force on a sample of pixels, and in-place calls with colour views and
// partially overlapping buffers.
#include "reference/guided_filter_ref.hpp"
#include "support.hpp"

#include <svlrm/guided_filter.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <cstring>
#include <random>
#include <vector>

using svlrm::border;
using svlrm::image;
using svlrm::image_view;
using svlrm_test::random_image;

namespace {

// q at (x, y) from the definitions (Eq. 5-8, 19-21) in double: a_k, b_k of every window
// k holding (x, y), each from its own window (two-pass covariances), then averaged.
double brute_force_q(const svlrm_ref::dplanes& guide, const svlrm_ref::dplanes& input, std::ptrdiff_t x,
                     std::ptrdiff_t y, int r, double eps, bool reflect) {
    const std::ptrdiff_t w = guide.w, h = guide.h, gn = guide.channels();
    const auto outer = svlrm_ref::window(x, y, w, h, r, reflect);
    double sum_a[3] = {0, 0, 0}, sum_b = 0;
    for (const auto& [kx, ky] : outer) {
        const auto win = svlrm_ref::window(kx, ky, w, h, r, reflect);
        const double n = double(win.size());
        std::array<double, 3> mi{};
        double mp = 0;
        for (const auto& [u, v] : win) {
            for (std::ptrdiff_t g = 0; g < gn; ++g) mi[std::size_t(g)] += guide.at(g, u, v);
            mp += input.at(0, u, v);
        }
        for (auto& m : mi) m /= n;
        mp /= n;
        std::array<std::array<double, 3>, 3> sigma{};
        std::array<double, 3> cov{};
        for (const auto& [u, v] : win)
            for (std::ptrdiff_t g = 0; g < gn; ++g) {
                const double dg = guide.at(g, u, v) - mi[std::size_t(g)];
                cov[std::size_t(g)] += dg * (input.at(0, u, v) - mp) / n;
                for (std::ptrdiff_t k = 0; k < gn; ++k)
                    sigma[std::size_t(g)][std::size_t(k)] += dg * (guide.at(k, u, v) - mi[std::size_t(k)]) / n;
            }
        std::array<double, 3> ak{};
        if (gn == 1) {
            ak[0] = cov[0] / (sigma[0][0] + eps);
        } else {
            for (std::size_t g = 0; g < 3; ++g) sigma[g][g] += eps;
            ak = svlrm_ref::solve3(sigma, cov);
        }
        double bk = mp;
        for (std::ptrdiff_t g = 0; g < gn; ++g) {
            sum_a[g] += ak[std::size_t(g)];
            bk -= ak[std::size_t(g)] * mi[std::size_t(g)];
        }
        sum_b += bk;
    }
    const double n = double(outer.size());
    double q = sum_b / n;
    for (std::ptrdiff_t g = 0; g < gn; ++g) q += sum_a[g] / n * guide.at(g, x, y);
    return q;
}

}  // namespace

TEST_CASE("guided_filter does not drift on a large image", "[guided_filter][large]") {
    const std::ptrdiff_t w = 2000, h = 1500;
    const auto input = random_image(w, h, 1, 72);
    const auto in_d = svlrm_ref::to_dplanes(input.view());
    // Pixels near the far ends of the running sums (last rows and columns, block
    // boundaries, the borders) and random ones.
    std::vector<std::pair<std::ptrdiff_t, std::ptrdiff_t>> pixels = {
        {0, 0}, {w - 1, h - 1}, {w - 1, 0}, {0, h - 1}, {w / 2, 127}, {w / 2, 128}, {w - 9, 1024}, {1999, 1400}};
    std::mt19937 rng(7);
    for (int i = 0; i < 40; ++i)
        pixels.emplace_back(std::ptrdiff_t(rng() % std::uint32_t(w)), std::ptrdiff_t(rng() % std::uint32_t(h)));
    for (std::ptrdiff_t x = 0; x < w; x += 97) pixels.emplace_back(x, h - 2);
    for (const std::ptrdiff_t gc : {1, 3}) {
        const auto guide = random_image(w, h, gc, 71);
        const auto g_d = svlrm_ref::to_dplanes(guide.view());
        for (const border b : {border::he_normalized, border::reflect}) {
            image<float> out(w, h, 1);
            svlrm::guided_filter(guide.view(), input.view(), out.view(), 8, 1e-3, svlrm::guided_options{b});
            double worst = 0;
            for (const auto& [x, y] : pixels)
                worst = std::max(worst, std::abs(double(out(x, y)) - brute_force_q(g_d, in_d, x, y, 8, 1e-3,
                                                                                   b == border::reflect)));
            INFO("guide channels " << gc << " border " << int(b));
            CHECK(worst <= 1e-5);
        }
    }
}

TEST_CASE("guided_filter in place with colour views and partial overlap", "[guided_filter]") {
    const std::ptrdiff_t w = 61, h = 300;  // more than two blocks of rows: stripes run in parallel
    const auto g = random_image(w, h, 3, 81), p = random_image(w, h, 3, 82);
    image<float> expect(w, h, 3);
    svlrm::guided_filter(g.view(), p.view(), expect.view(), 5, 1e-3);
    for (const int threads : {1, 2}) {
        svlrm::set_num_threads(threads);
        auto inout = p;  // out is the colour input
        svlrm::guided_filter(g.view(), inout.view(), inout.view(), 5, 1e-3);
        CHECK(svlrm_test::max_abs_diff(inout.view(), expect.view()) == 0.0);
        auto self = g;  // colour guide, colour input, out: one buffer
        image<float> self_expect(w, h, 3);
        svlrm::guided_filter(g.view(), g.view(), self_expect.view(), 5, 1e-3);
        svlrm::guided_filter(self.view(), self.view(), self.view(), 5, 1e-3);
        CHECK(svlrm_test::max_abs_diff(self.view(), self_expect.view()) == 0.0);
        // out starts 7 rows into the buffer the input starts at: they overlap partly.
        std::vector<float> buffer(std::size_t(w * 3 * (h + 7)));
        std::memcpy(buffer.data(), p.data(), sizeof(float) * std::size_t(w * 3 * h));
        const image_view<float> in_v{buffer.data(), w, h, 3, w * 3}, out_v{buffer.data() + 7 * w * 3, w, h, 3, w * 3};
        svlrm::guided_filter(g.view(), in_v, out_v, 5, 1e-3);
        CHECK(svlrm_test::max_abs_diff(out_v, expect.view()) == 0.0);
        auto fast_in = p;  // the fast filter in place
        image<float> fast_expect(w, h, 3);
        svlrm::fast_guided_filter(g.view(), p.view(), fast_expect.view(), 8, 1e-3, 4);
        svlrm::fast_guided_filter(g.view(), fast_in.view(), fast_in.view(), 8, 1e-3, 4);
        CHECK(svlrm_test::max_abs_diff(fast_in.view(), fast_expect.view()) == 0.0);
    }
    svlrm::set_num_threads(0);
}
