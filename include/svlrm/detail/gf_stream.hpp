// The guided filter's streaming driver (guided_filter.hpp, "Implementation"): stripes of
// rows in parallel, running sums restarted every block, a and b kept in a ring of
// 2r + 2 rows, the window sums of a and b handed to a sink row by row.
#pragma once

#include <svlrm/detail/box_filter.hpp>
#include <svlrm/detail/gf_kernels.hpp>
#include <svlrm/detail/gf_rows.hpp>
#include <svlrm/parallel.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <vector>

#include <svlrm/detail/loop_hints.hpp>

namespace svlrm::detail {

// Window sums of a and b (the numerators of mean_a, mean_b in Eq. 8) of every row,
// handed to sink(y, sums, inv_n, scratch): sums[c * G + g] for a (G guide channels),
// then sums[G * cn + c] for b, as box_sum; inv_n[x] = 1 / N of the window of (x, y);
// scratch: G + 1 float rows of the width for the sink's own use.
// Rows are processed in stripes of whole blocks in parallel; each stripe recomputes
// the a, b rows of its halo. Running sums restart at the first row of every block
// (stage 1: `radius` rows earlier), so the bits do not depend on the thread count.
template <class Source, class Sink>
void guided_means(const Source& src, std::ptrdiff_t radius, double eps, bool reflect, Sink&& sink) {
    const std::ptrdiff_t width = src.width(), height = src.height();
    const std::ptrdiff_t gn = src.guide.channels, cn = src.input.channels, ch = gn + cn;
    const box_axis ay(height, radius, reflect);
    const row_box hx(width, radius, reflect);
    const std::ptrdiff_t ry = ay.radius;
    const std::ptrdiff_t kg = gn + gn * (gn + 1) / 2;
    const std::ptrdiff_t k1 = kg + cn + gn * cn;  // statistics of Eq. 19 (see gf_update)
    const std::ptrdiff_t k2 = gn * cn + cn;       // a (c * G + g), then b (c)

    std::vector<double> inv_x(static_cast<std::size_t>(width));  // 1 / N = (1 / N_x) (1 / N_y)
    {
        const box_axis ax(width, radius, reflect);
        for (std::ptrdiff_t x = 0; x < width; ++x) inv_x[static_cast<std::size_t>(x)] = 1.0 / ax.count(x);
    }

    // Blocks long against the window keep the restart cost (2r + 1 rows) small.
    const std::ptrdiff_t block = std::max<std::ptrdiff_t>(128, 4 * (2 * ry + 1));
    const std::ptrdiff_t blocks = (height + block - 1) / block;
    const std::ptrdiff_t ring_max = std::min(2 * ry + 2, height);  // a, b rows stage 2's window needs

    // Stripes of whole blocks, taken by the threads as they come free: two per thread, so
    // that a thread the shared machine descheduled for a while does not hold the others
    // up (each stripe costs its 2r halo rows again). One workspace per thread, allocated
    // before any row is handed to the sink: an allocation failure leaves out untouched.
    const std::ptrdiff_t threads = std::min<std::ptrdiff_t>(get_num_threads(), blocks);
    const std::ptrdiff_t stripes = threads == 1 ? 1 : std::min(blocks, 2 * threads);
    struct workspace {
        workspace(std::ptrdiff_t doubles, std::ptrdiff_t floats) : d(doubles), f(floats) {}
        row_arena<double> d;
        row_arena<float> f;
        std::vector<double*> cs1, prefix1, tmp, ab, cs2, prefix2, a_rows;
        std::vector<box_sum> box1, box2;
        double *inv_n1 = nullptr, *inv_n2 = nullptr;
        std::vector<float*> buffer, scratch;
        std::vector<const float*> enter, leave, zero;
    };
    std::vector<workspace> spaces;
    spaces.reserve(static_cast<std::size_t>(stripes));
    const std::ptrdiff_t tmp_rows = gn == 3 ? 9 : 0;
    const std::ptrdiff_t d_need = row_arena<double>::need(k1 + k2, hx.stride(), hx.pad) +
                                  row_arena<double>::need(tmp_rows + ring_max * k2 + 2, width) +
                                  row_arena<double>::need(k1 + k2, hx.prefix_length());
    const std::ptrdiff_t f_need = row_arena<float>::need(2 * ch + 1 + gn + 1, width);
    for (std::ptrdiff_t t = 0; t < threads; ++t) {
        workspace& ws = spaces.emplace_back(d_need, f_need);
        auto rows = [](auto& arena, std::ptrdiff_t count, std::ptrdiff_t length, std::ptrdiff_t lead = 0) {
            std::vector<decltype(arena.take(0))> r;
            for (std::ptrdiff_t k = 0; k < count; ++k) r.push_back(arena.take(length, lead));
            return r;
        };
        ws.cs1 = rows(ws.d, k1, hx.stride(), hx.pad);
        ws.cs2 = rows(ws.d, k2, hx.stride(), hx.pad);
        ws.prefix1 = rows(ws.d, k1, hx.prefix_length());
        ws.prefix2 = rows(ws.d, k2, hx.prefix_length());
        ws.box1.resize(static_cast<std::size_t>(k1));
        ws.box2.resize(static_cast<std::size_t>(k2));
        ws.tmp = rows(ws.d, tmp_rows, width);
        ws.ab = rows(ws.d, ring_max * k2, width);
        ws.a_rows.resize(static_cast<std::size_t>(k2));
        ws.inv_n1 = ws.d.take(width);
        ws.inv_n2 = ws.d.take(width);
        ws.buffer = rows(ws.f, 2 * ch, width);  // enter rows, then leave rows
        ws.enter.resize(static_cast<std::size_t>(ch));
        ws.leave.resize(static_cast<std::size_t>(ch));
        ws.zero.assign(static_cast<std::size_t>(ch), ws.f.take(width));
        ws.scratch = rows(ws.f, gn + 1, width);
    }

    std::atomic<std::ptrdiff_t> next_stripe{0};
    parallel_for(threads, [&](std::ptrdiff_t thread, std::ptrdiff_t) {
      workspace& ws = spaces[static_cast<std::size_t>(thread)];
      for (std::ptrdiff_t t; (t = next_stripe.fetch_add(1)) < stripes;) {
        const std::ptrdiff_t y0 = blocks * t / stripes * block, y1 = std::min(height, blocks * (t + 1) / stripes * block);
        // Every sample of the windows of rows [y0, y1) lies in [lo, hi), reflected or not.
        const std::ptrdiff_t lo = std::max<std::ptrdiff_t>(0, y0 - ry), hi = std::min(height, y1 + ry);
        const std::ptrdiff_t ring = std::min(2 * ry + 2, hi - lo);
        auto ab_row = [&](std::ptrdiff_t j, std::ptrdiff_t k) {
            return ws.ab[static_cast<std::size_t>(((j - lo) % ring) * k2 + k)];
        };
        std::vector<double*>& a_rows = ws.a_rows;

        // inv_n changes only near a clipped border: recomputed when N_y changes.
        double cy1 = 0.0, cy2 = 0.0;
        auto set_inv_n = [&](double* inv_n, double& cached, std::ptrdiff_t j) {
            const double cy = ay.count(j);
            if (cy == cached) return;
            cached = cy;
            const double s = 1.0 / cy;
            SVLRM_NO_ALIAS
            for (std::ptrdiff_t x = 0; x < width; ++x) inv_n[x] = inv_x[static_cast<std::size_t>(x)] * s;
        };
        auto update = [&](bool weighted, const float* const* e, const float* const* l, double w) {
            if (gn == 1) {
                if (weighted) gf_update<1, true>(ws.cs1.data(), e, l, w, cn, width);
                else gf_update<1, false>(ws.cs1.data(), e, l, w, cn, width);
            } else {
                if (weighted) gf_update<3, true>(ws.cs1.data(), e, l, w, cn, width);
                else gf_update<3, false>(ws.cs1.data(), e, l, w, cn, width);
            }
        };

        auto stage1_row = [&](std::ptrdiff_t j) {
            if (j == 0 || (j + ry) % block == 0) {
                for (double* cs : ws.cs1) std::fill(cs, cs + width, 0.0);
                for (const auto& [row, w] : ay.window(j)) {
                    src.read(row, ws.buffer.data(), ws.enter.data());
                    update(true, ws.enter.data(), ws.zero.data(), w);
                }
            } else {
                const std::ptrdiff_t je = ay.enter[static_cast<std::size_t>(j)];
                const std::ptrdiff_t jl = ay.leave[static_cast<std::size_t>(j)];
                if (j + 1 < height && ay.enter[static_cast<std::size_t>(j + 1)] != height)
                    src.prefetch(ay.enter[static_cast<std::size_t>(j + 1)]);
                if (je != height) src.read(je, ws.buffer.data(), ws.enter.data());
                if (jl != height) src.read(jl, ws.buffer.data() + ch, ws.leave.data());
                update(false, (je != height ? ws.enter : ws.zero).data(), (jl != height ? ws.leave : ws.zero).data(),
                       1.0);
            }
            for (std::ptrdiff_t k = 0; k < k1; ++k)
                ws.box1[static_cast<std::size_t>(k)] = hx.box(ws.cs1[static_cast<std::size_t>(k)], ws.prefix1[static_cast<std::size_t>(k)]);
            set_inv_n(ws.inv_n1, cy1, j);
            for (std::ptrdiff_t k = 0; k < k2; ++k) a_rows[static_cast<std::size_t>(k)] = ab_row(j, k);
            if (gn == 1)
                gf_ab_gray(ws.box1.data(), ws.inv_n1, eps, cn, width, a_rows.data(), a_rows.data() + gn * cn);
            else
                gf_ab_color(ws.box1.data(), ws.inv_n1, eps, cn, width, ws.tmp.data(), a_rows.data(),
                            a_rows.data() + gn * cn);
        };

        std::ptrdiff_t next = lo;
        for (std::ptrdiff_t y = y0; y < y1; ++y) {
            for (const std::ptrdiff_t need = std::min(hi - 1, y + ry); next <= need; ++next) stage1_row(next);
            if (y % block == 0) {
                const auto win = ay.window(y);
                for (std::ptrdiff_t k = 0; k < k2; ++k) {
                    double* __restrict cs = ws.cs2[static_cast<std::size_t>(k)];
                    std::fill(cs, cs + width, 0.0);
                    for (const auto& [row, w] : win) {
                        const double* __restrict a = ab_row(row, k);
                        SVLRM_NO_ALIAS
                        for (std::ptrdiff_t x = 0; x < width; ++x) cs[x] += w * a[x];
                    }
                }
            } else {
                const std::ptrdiff_t je = ay.enter[static_cast<std::size_t>(y)];
                const std::ptrdiff_t jl = ay.leave[static_cast<std::size_t>(y)];
                for (std::ptrdiff_t k = 0; k < k2; ++k)
                    gf_move_row(ws.cs2[static_cast<std::size_t>(k)], je != height ? ab_row(je, k) : nullptr,
                                jl != height ? ab_row(jl, k) : nullptr, width);
            }
            for (std::ptrdiff_t k = 0; k < k2; ++k)
                ws.box2[static_cast<std::size_t>(k)] = hx.box(ws.cs2[static_cast<std::size_t>(k)], ws.prefix2[static_cast<std::size_t>(k)]);
            set_inv_n(ws.inv_n2, cy2, y);
            sink(y, static_cast<const box_sum*>(ws.box2.data()), static_cast<const double*>(ws.inv_n2), ws.scratch.data());
        }
      }
    }, 1);
}

}  // namespace svlrm::detail

#include <svlrm/detail/loop_hints_end.hpp>
