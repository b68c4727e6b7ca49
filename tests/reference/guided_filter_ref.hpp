// Float64 brute-force guided filter and fast guided filter, written from the papers
// (He et al. TPAMI 2013 Eq. 5-8, 19-21; He & Sun 2015) independently of
// include/svlrm/guided_filter.hpp: every mean is an explicit sum over the pixel's
// window, covariances are taken about the window mean (two passes), and the 3x3
// system is solved by Gaussian elimination with partial pivoting.
#pragma once

#include <svlrm/image.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <utility>
#include <vector>

namespace svlrm_ref {

// Channel planes of doubles, plane c at v[c][y * w + x].
struct dplanes {
    std::ptrdiff_t w = 0, h = 0;
    std::vector<std::vector<double>> v;
    dplanes(std::ptrdiff_t w_, std::ptrdiff_t h_, std::ptrdiff_t c)
        : w(w_), h(h_), v(static_cast<std::size_t>(c), std::vector<double>(static_cast<std::size_t>(w_ * h_))) {}
    double& at(std::ptrdiff_t c, std::ptrdiff_t x, std::ptrdiff_t y) { return v[std::size_t(c)][std::size_t(y * w + x)]; }
    double at(std::ptrdiff_t c, std::ptrdiff_t x, std::ptrdiff_t y) const {
        return v[std::size_t(c)][std::size_t(y * w + x)];
    }
    std::ptrdiff_t channels() const { return std::ptrdiff_t(v.size()); }
};

template <class T>
dplanes to_dplanes(const svlrm::image_view<T>& img) {
    dplanes p(img.width, img.height, img.channels);
    for (std::ptrdiff_t y = 0; y < img.height; ++y)
        for (std::ptrdiff_t x = 0; x < img.width; ++x)
            for (std::ptrdiff_t c = 0; c < img.channels; ++c) p.at(c, x, y) = double(svlrm::to_unit(img(x, y, c)));
    return p;
}

// fedcba|abcdef|fedcba (edge repeated), folding again until the position lands inside.
inline std::ptrdiff_t fold(std::ptrdiff_t j, std::ptrdiff_t n) {
    while (j < 0 || j >= n) {
        if (j < 0) j = -j - 1;
        if (j >= n) j = 2 * n - 1 - j;
    }
    return j;
}

// The pixels of the window of (x, y): clipped to the image (He) or folded (OpenCV),
// a folded pixel appearing once per time it is reached.
inline std::vector<std::pair<std::ptrdiff_t, std::ptrdiff_t>> window(std::ptrdiff_t x, std::ptrdiff_t y,
                                                                     std::ptrdiff_t w, std::ptrdiff_t h, int r,
                                                                     bool reflect) {
    std::vector<std::pair<std::ptrdiff_t, std::ptrdiff_t>> px;
    for (std::ptrdiff_t v = y - r; v <= y + r; ++v)
        for (std::ptrdiff_t u = x - r; u <= x + r; ++u) {
            if (reflect) px.emplace_back(fold(u, w), fold(v, h));
            else if (u >= 0 && u < w && v >= 0 && v < h) px.emplace_back(u, v);
        }
    return px;
}

// Solves m z = rhs for a 3x3 system (Gaussian elimination, partial pivoting).
inline std::array<double, 3> solve3(std::array<std::array<double, 3>, 3> m, std::array<double, 3> rhs) {
    for (int col = 0; col < 3; ++col) {
        int piv = col;
        for (int i = col + 1; i < 3; ++i)
            if (std::abs(m[i][col]) > std::abs(m[piv][col])) piv = i;
        std::swap(m[col], m[piv]);
        std::swap(rhs[col], rhs[piv]);
        for (int i = col + 1; i < 3; ++i) {
            const double f = m[i][col] / m[col][col];
            for (int j = col; j < 3; ++j) m[i][j] -= f * m[col][j];
            rhs[i] -= f * rhs[col];
        }
    }
    std::array<double, 3> z{};
    for (int i = 2; i >= 0; --i) {
        double s = rhs[i];
        for (int j = i + 1; j < 3; ++j) s -= m[i][j] * z[j];
        z[i] = s / m[i][i];
    }
    return z;
}

// mean_a (plane c * G + g) and mean_b (plane c) of Eq. 8.
struct means {
    dplanes a, b;
};

inline means guided_means(const dplanes& guide, const dplanes& input, int r, double eps, bool reflect) {
    const std::ptrdiff_t w = guide.w, h = guide.h, gn = guide.channels(), cn = input.channels();
    dplanes a(w, h, gn * cn), b(w, h, cn);
    for (std::ptrdiff_t y = 0; y < h; ++y)
        for (std::ptrdiff_t x = 0; x < w; ++x) {
            const auto win = window(x, y, w, h, r, reflect);
            const double n = double(win.size());
            std::array<double, 3> mi{};
            for (std::ptrdiff_t g = 0; g < gn; ++g) {
                for (auto [u, v] : win) mi[g] += guide.at(g, u, v);
                mi[g] /= n;
            }
            std::array<std::array<double, 3>, 3> sigma{};
            for (std::ptrdiff_t g = 0; g < gn; ++g)
                for (std::ptrdiff_t k = 0; k < gn; ++k) {
                    for (auto [u, v] : win) sigma[g][k] += (guide.at(g, u, v) - mi[g]) * (guide.at(k, u, v) - mi[k]);
                    sigma[g][k] /= n;
                }
            for (std::ptrdiff_t c = 0; c < cn; ++c) {
                double mp = 0;
                for (auto [u, v] : win) mp += input.at(c, u, v);
                mp /= n;
                std::array<double, 3> cov{};
                for (std::ptrdiff_t g = 0; g < gn; ++g) {
                    for (auto [u, v] : win) cov[g] += (guide.at(g, u, v) - mi[g]) * (input.at(c, u, v) - mp);
                    cov[g] /= n;
                }
                std::array<double, 3> ak{};
                if (gn == 1) {
                    ak[0] = cov[0] / (sigma[0][0] + eps);  // Eq. 5
                } else {
                    for (int g = 0; g < 3; ++g) sigma[g][g] += eps;  // Eq. 19
                    ak = solve3(sigma, cov);
                    for (int g = 0; g < 3; ++g) sigma[g][g] -= eps;
                }
                double bk = mp;  // Eq. 6 / 20
                for (std::ptrdiff_t g = 0; g < gn; ++g) {
                    a.at(c * gn + g, x, y) = ak[g];
                    bk -= ak[g] * mi[g];
                }
                b.at(c, x, y) = bk;
            }
        }
    // Box means of a and b (Eq. 8).
    dplanes ma(w, h, gn * cn), mb(w, h, cn);
    for (std::ptrdiff_t y = 0; y < h; ++y)
        for (std::ptrdiff_t x = 0; x < w; ++x) {
            const auto win = window(x, y, w, h, r, reflect);
            for (std::ptrdiff_t k = 0; k < gn * cn; ++k) {
                double s = 0;
                for (auto [u, v] : win) s += a.at(k, u, v);
                ma.at(k, x, y) = s / double(win.size());
            }
            for (std::ptrdiff_t c = 0; c < cn; ++c) {
                double s = 0;
                for (auto [u, v] : win) s += b.at(c, u, v);
                mb.at(c, x, y) = s / double(win.size());
            }
        }
    return {ma, mb};
}

// q = mean_a . I + mean_b with the given (full-resolution) guide.
inline dplanes apply(const means& m, const dplanes& guide) {
    const std::ptrdiff_t gn = guide.channels(), cn = m.b.channels();
    dplanes q(guide.w, guide.h, cn);
    for (std::ptrdiff_t c = 0; c < cn; ++c)
        for (std::ptrdiff_t y = 0; y < guide.h; ++y)
            for (std::ptrdiff_t x = 0; x < guide.w; ++x) {
                double s = m.b.at(c, x, y);
                for (std::ptrdiff_t g = 0; g < gn; ++g) s += m.a.at(c * gn + g, x, y) * guide.at(g, x, y);
                q.at(c, x, y) = s;
            }
    return q;
}

inline dplanes guided_filter(const dplanes& guide, const dplanes& input, int r, double eps, bool reflect) {
    return apply(guided_means(guide, input, r, eps, reflect), guide);
}

// Pixel taken for low-resolution sample i (MATLAB imresize 'nearest' by 1/s).
inline std::ptrdiff_t sample_at(std::ptrdiff_t i, int s, std::ptrdiff_t n) {
    const std::ptrdiff_t p = i * s + s / 2;
    return p < n ? p : n - 1;
}

// Linear interpolation along one axis between samples at pixels sample_at(i),
// held constant outside the first and last sample.
inline double interp(const std::vector<double>& val, std::ptrdiff_t pos, int s, std::ptrdiff_t n) {
    const std::ptrdiff_t m = std::ptrdiff_t(val.size());
    if (pos <= sample_at(0, s, n)) return val[0];
    if (pos >= sample_at(m - 1, s, n)) return val[std::size_t(m - 1)];
    std::ptrdiff_t i = 0;
    while (sample_at(i + 1, s, n) <= pos) ++i;
    const double p0 = double(sample_at(i, s, n)), p1 = double(sample_at(i + 1, s, n));
    const double t = (double(pos) - p0) / (p1 - p0);
    return val[std::size_t(i)] * (1 - t) + val[std::size_t(i + 1)] * t;
}

inline dplanes bilinear_up(const dplanes& low, std::ptrdiff_t w, std::ptrdiff_t h, int s) {
    dplanes up(w, h, low.channels());
    for (std::ptrdiff_t c = 0; c < low.channels(); ++c)
        for (std::ptrdiff_t y = 0; y < h; ++y) {
            // Interpolate each low-resolution column at row y, then along the row.
            std::vector<double> row(std::size_t(low.w));
            for (std::ptrdiff_t i = 0; i < low.w; ++i) {
                std::vector<double> col(std::size_t(low.h));
                for (std::ptrdiff_t j = 0; j < low.h; ++j) col[std::size_t(j)] = low.at(c, i, j);
                row[std::size_t(i)] = interp(col, y, s, h);
            }
            for (std::ptrdiff_t x = 0; x < w; ++x) up.at(c, x, y) = interp(row, x, s, w);
        }
    return up;
}

inline dplanes fast_guided_filter(const dplanes& guide, const dplanes& input, int r, double eps, int s,
                                  bool reflect) {
    const std::ptrdiff_t lw = (guide.w + s - 1) / s, lh = (guide.h + s - 1) / s;
    auto shrink = [&](const dplanes& full) {
        dplanes low(lw, lh, full.channels());
        for (std::ptrdiff_t c = 0; c < full.channels(); ++c)
            for (std::ptrdiff_t j = 0; j < lh; ++j)
                for (std::ptrdiff_t i = 0; i < lw; ++i)
                    low.at(c, i, j) = full.at(c, sample_at(i, s, full.w), sample_at(j, s, full.h));
        return low;
    };
    const int r_low = r == 0 ? 0 : std::max(1, r / s);
    const means low = guided_means(shrink(guide), shrink(input), r_low, eps, reflect);
    return apply({bilinear_up(low.a, guide.w, guide.h, s), bilinear_up(low.b, guide.w, guide.h, s)}, guide);
}

// Largest |img - ref| over all pixels, img on the unit scale.
template <class T>
double max_abs_diff(const svlrm::image_view<T>& img, const dplanes& ref) {
    double m = 0;
    for (std::ptrdiff_t y = 0; y < img.height; ++y)
        for (std::ptrdiff_t x = 0; x < img.width; ++x)
            for (std::ptrdiff_t c = 0; c < img.channels; ++c)
                m = std::max(m, std::abs(double(svlrm::to_unit(img(x, y, c))) - ref.at(c, x, y)));
    return m;
}

}  // namespace svlrm_ref
