// The hand-crafted prior of the paper (Sec. 5.4, "HC" in Table 4): the
// spatially variant linear model F = alpha * G + beta (Eq. 5) with alpha and beta
// taken per pixel as the minimiser of Eq. 6,
//
//   E(alpha, beta) = (alpha*G + beta - I)^2 + mu*alpha^2 + eta*beta^2,
//
// i.e. phi(alpha) = mu*alpha^2 and psi(beta) = eta*beta^2. Setting both partial
// derivatives to zero gives the closed form of Eq. 12:
//
//   alpha = eta*G*I / (eta*G^2 + mu + mu*eta),   beta = (I - alpha*G) / (1 + eta).
//
// There is no neighbourhood: every pixel is solved on its own. The paper uses
// mu = eta = 0.1 for both denoising problems.
#pragma once

#include <svlrm/detail/planes.hpp>
#include <svlrm/error.hpp>
#include <svlrm/image.hpp>
#include <svlrm/parallel.hpp>

#include <cmath>
#include <cstddef>
#include <string>
#include <type_traits>
#include <vector>

namespace svlrm {

namespace detail {

struct hand_crafted_planes {
    std::vector<plane> out, alpha, beta;  // one plane per input channel
};

// Validates everything (nothing is written on error), then solves Eq. 12 for every
// pixel and channel. alpha/beta may be null (the 5-argument overload).
template <class TG, class TI, class TO>
void hand_crafted_run(const image_view<TG>& guide, const image_view<TI>& input, const image_view<TO>& out,
                      const image_view<float>* alpha, const image_view<float>* beta, double mu, double eta) {
    constexpr const char* where = "svlrm::hand_crafted_filter";
    check_joint_views(guide, input, out, where);
    if (alpha != nullptr) {
        check_view(*alpha, where, "alpha");
        check_view(*beta, where, "beta");
        check_same_size(input, *alpha, where, "input", "alpha");
        check_same_size(input, *beta, where, "input", "beta");
        check_channels(*alpha, input.channels, where, "alpha");
        check_channels(*beta, input.channels, where, "beta");
        check_outputs_apart(out, *alpha, *beta, where);
    }
    if (!(mu > 0.0) || !std::isfinite(mu))
        throw_invalid(where, "mu (" + std::to_string(mu) + ") must be positive and finite");
    if (!(eta > 0.0) || !std::isfinite(eta))
        throw_invalid(where, "eta (" + std::to_string(eta) + ") must be positive and finite");
    check_finite(guide, where, "guide");
    check_finite(input, where, "input");

    // Read every input before writing anything, so that out (or alpha/beta) may alias
    // guide or input.
    const plane g = read_gray(guide);
    hand_crafted_planes result;
    const bool want_coefficients = alpha != nullptr;
    // Eq. 12 in double: for small mu and G the ratio is large and float would lose digits.
    const double denom_const = mu + mu * eta;
    const double inv_1_eta = 1.0 / (1.0 + eta);
    for (std::ptrdiff_t c = 0; c < input.channels; ++c) {
        const plane in = read_plane(input, c);
        plane f(in.width, in.height), a, b;
        if (want_coefficients) a = plane(in.width, in.height), b = plane(in.width, in.height);
        parallel_for(in.height, [&](std::ptrdiff_t y0, std::ptrdiff_t y1) {
            for (std::ptrdiff_t y = y0; y < y1; ++y)
                for (std::ptrdiff_t x = 0; x < in.width; ++x) {
                    const double gv = g(x, y), iv = in(x, y);
                    const double av = eta * gv * iv / (eta * gv * gv + denom_const);
                    const double bv = (iv - av * gv) * inv_1_eta;
                    f(x, y) = static_cast<float>(av * gv + bv);  // Eq. 5
                    if (want_coefficients) {
                        a(x, y) = static_cast<float>(av);
                        b(x, y) = static_cast<float>(bv);
                    }
                }
        }, 64);
        result.out.push_back(std::move(f));
        if (want_coefficients) {
            result.alpha.push_back(std::move(a));
            result.beta.push_back(std::move(b));
        }
    }
    for (std::ptrdiff_t c = 0; c < input.channels; ++c) {
        write_plane(result.out[c], out, c);
        if (want_coefficients) {
            write_plane(result.alpha[c], *alpha, c);
            write_plane(result.beta[c], *beta, c);
        }
    }
}

}  // namespace detail

// F = alpha*G + beta with (alpha, beta) from Eq. 12, written to out.
// guide: 1 channel, or 3 channels reduced to BT.601 luma. input: any number of
// channels, each filtered with the same guide; out: same size and channels as input.
// mu, eta: the weights of mu*alpha^2 and eta*beta^2 in Eq. 6, positive and finite
// (the paper uses 0.1 and 0.1). out may be the same buffer as guide or input.
// Throws std::invalid_argument (out untouched) on bad views, sizes, channels,
// parameters, or non-finite float pixels.
template <pixel_type TG, pixel_type TI, pixel_type TO>
    requires(!std::is_const_v<TO>)
void hand_crafted_filter(image_view<TG> guide, image_view<TI> input, image_view<TO> out, double mu, double eta) {
    detail::hand_crafted_run(guide, input, out, static_cast<const image_view<float>*>(nullptr),
                             static_cast<const image_view<float>*>(nullptr), mu, eta);
}

// As above, and also writes the coefficient maps of Eq. 12 (unclamped floats, the
// same size and channels as input). out, alpha and beta must not overlap each other;
// any of them may alias guide or input.
template <pixel_type TG, pixel_type TI, pixel_type TO>
    requires(!std::is_const_v<TO>)
void hand_crafted_filter(image_view<TG> guide, image_view<TI> input, image_view<TO> out, image_view<float> alpha,
                         image_view<float> beta, double mu, double eta) {
    detail::hand_crafted_run(guide, input, out, &alpha, &beta, mu, eta);
}

}  // namespace svlrm
