// joint_filter<Backend>: the SVLRM of Eq. 5, F = alpha(G, I) * G + beta(G, I), with
// alpha and beta predicted by a frozen network that Backend evaluates.
//
// The filter converts the views to the unit scale, turns an RGB guide into BT.601
// luma, filters each input channel with the same guide, optionally in tiles, and
// writes nothing until every channel has been computed: on any error (or
// cancellation) the outputs are untouched, and the output may alias the inputs.
// A model with input_normalisation = valid_range has each input channel stretched
// from the range of its nonzero pixels to [0, 1] first (detail/valid_range.hpp).
#pragma once

#include <svlrm/backend/contract.hpp>
#include <svlrm/detail/dihedral.hpp>
#include <svlrm/detail/planes.hpp>
#include <svlrm/detail/valid_range.hpp>
#include <svlrm/error.hpp>
#include <svlrm/image.hpp>
#include <svlrm/model.hpp>

#include <algorithm>
#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace svlrm {

struct filter_options {
    // Side of the square tiles the network runs on (the output part; each tile also
    // reads model::receptive_radius() pixels of halo around it, so tiled and whole-image
    // results agree). 0 = automatic: whole image up to 1 Mpixel, 512-pixel tiles beyond.
    // Memory then grows with the tile, not with the image.
    std::ptrdiff_t tile_size = 0;
    // Called after each tile with (tiles done, tiles total), over all input channels;
    // returning false stops the run with svlrm::cancelled_error (outputs untouched).
    std::function<bool(std::ptrdiff_t, std::ptrdiff_t)> progress;
    // Geometric self-ensemble: run the network on the 8 rotations / reflections of each
    // tile and average the coefficient maps brought back (so F, alpha and beta are the
    // averages of the 8 results). 8x the time for a lower error, because the learnt
    // network is not exactly rotation-equivariant (measured gains: docs/results.md).
    bool self_ensemble = false;
};

template <class Backend>
class joint_filter {
    static_assert(requires { typename Backend::options; },
                  "svlrm::joint_filter<B>: B must declare a nested type B::options (docs/backends.md)");
    static_assert(std::constructible_from<Backend, const model&, const typename Backend::options&>,
                  "svlrm::joint_filter<B>: B must be constructible from (const svlrm::model&, const B::options&)");
    static_assert(requires { { Backend::name } -> std::convertible_to<std::string_view>; },
                  "svlrm::joint_filter<B>: B must have a static member B::name convertible to std::string_view");
    static_assert(requires(const Backend& b, const backend::network_input& in, const backend::network_output& out) {
        { b.infer(in, out) } -> std::same_as<void>;
    }, "svlrm::joint_filter<B>: B needs `void infer(const network_input&, const network_output&) const`");
    static_assert(backend::coefficient_backend<Backend>,
                  "svlrm::joint_filter<B>: B does not satisfy svlrm::backend::coefficient_backend (docs/backends.md)");

public:
    using backend_type = Backend;
    using backend_options = typename Backend::options;

    explicit joint_filter(const model& m, const backend_options& backend_opts = {}, filter_options opts = {})
        : model_(validated(m)), backend_(made(model_, backend_opts)), options_(std::move(opts)) {
        if (options_.tile_size < 0) detail::throw_invalid("svlrm::joint_filter", "tile_size must be >= 0");
    }

    const model& get_model() const { return *model_; }
    const Backend& backend() const { return backend_; }
    const filter_options& options() const { return options_; }

    // F = alpha * G + beta for every channel of input. guide: 1 channel, or 3 (RGB,
    // turned into BT.601 luma); out: as many channels as input.
    template <pixel_type G, pixel_type I, pixel_type O>
    void apply(image_view<G> guide, image_view<I> input, image_view<O> out) const {
        run<G, I, O, float>(guide, input, out, nullptr, nullptr, {});
    }

    // Also writes the coefficient maps (float, as many channels as input), as the
    // network gives them: on its scale (input_scale, guide_scale, and for valid_range
    // the normalised input), so F = lo + span * (alpha * guide_scale * G + beta) / input_scale.
    template <pixel_type G, pixel_type I, pixel_type O, pixel_type A>
    void apply(image_view<G> guide, image_view<I> input, image_view<O> out, image_view<A> alpha,
               image_view<A> beta) const {
        run<G, I, O, A>(guide, input, out, &alpha, &beta, {});
    }

    // As apply, for a view that is a part of a larger image (a chunk of an array filtered
    // in parts): a valid_range model then stretches each channel by the extent of the
    // whole image (one per input channel, merged from the parts' valid_extent) instead
    // of the view's, so that every part gives the whole image's result. Models without
    // valid_range ignore it. alpha and beta may be null (both or neither).
    template <pixel_type G, pixel_type I, pixel_type O>
    void apply_part(image_view<G> guide, image_view<I> input, image_view<O> out,
                    std::span<const value_extent> extents, const image_view<float>* alpha = nullptr,
                    const image_view<float>* beta = nullptr) const {
        if ((alpha == nullptr) != (beta == nullptr))
            detail::throw_invalid("svlrm::joint_filter::apply_part", "give both alpha and beta, or neither");
        if (static_cast<std::ptrdiff_t>(extents.size()) != input.channels)
            detail::throw_invalid("svlrm::joint_filter::apply_part",
                                  std::to_string(extents.size()) + " extents for an input of " +
                                      std::to_string(input.channels) + " channels");
        run<G, I, O, float>(guide, input, out, alpha, beta, extents);
    }

private:
    // One copy of the model, which a backend that keeps one shares (backend/contract.hpp).
    backend::shared_model model_;
    Backend backend_;
    filter_options options_;

    static backend::shared_model validated(const model& m) {
        m.validate("svlrm::joint_filter");
        return std::make_shared<const model>(m);
    }
    static Backend made(const backend::shared_model& m, const backend_options& o) {
        if constexpr (std::constructible_from<Backend, const backend::shared_model&, const backend_options&>)
            return Backend(m, o);
        else
            return Backend(*m, o);
    }

    std::ptrdiff_t tile_side(std::ptrdiff_t w, std::ptrdiff_t h) const {
        if (options_.tile_size > 0) return options_.tile_size;
        return w * h <= (std::ptrdiff_t{1} << 20) ? std::max(w, h) : 512;
    }
    std::ptrdiff_t tiles_for(std::ptrdiff_t w, std::ptrdiff_t h) const {
        const std::ptrdiff_t t = tile_side(w, h);
        return ((w + t - 1) / t) * ((h + t - 1) / t);
    }

    template <pixel_type G, pixel_type I, pixel_type O, pixel_type A>
    void run(image_view<G> guide, image_view<I> input, image_view<O> out, const image_view<A>* alpha,
             const image_view<A>* beta, std::span<const value_extent> extents) const {
        static_assert(!std::is_const_v<O>, "svlrm::joint_filter::apply: out must be a view of mutable pixels");
        static_assert(!std::is_const_v<A> && std::is_same_v<std::remove_const_t<A>, float>,
                      "svlrm::joint_filter::apply: alpha and beta must be image_view<float>");
        constexpr const char* where = "svlrm::joint_filter::apply";
        detail::check_joint_views(guide, input, out, where);
        if (alpha) {
            using named = std::pair<const image_view<A>*, const char*>;
            for (const auto& [v, n] : {named{alpha, "alpha"}, named{beta, "beta"}}) {
                detail::check_view(*v, where, n);
                detail::check_same_size(input, *v, where, "input", n);
                detail::check_channels(*v, input.channels, where, n);
            }
            detail::check_outputs_apart(out, *alpha, *beta, where);
        }
        detail::check_finite(guide, where, "guide");
        detail::check_finite(input, where, "input");
        detail::check_unit_scale(guide, where, "guide");

        const detail::plane gray = detail::read_gray(guide);
        const std::ptrdiff_t channels = input.channels;
        std::vector<channel_result> results(static_cast<std::size_t>(channels));
        std::ptrdiff_t done = 0;
        const std::ptrdiff_t total = channels * tiles_for(input.width, input.height);
        for (std::ptrdiff_t c = 0; c < channels; ++c)
            filter_channel(input, c, gray, results[c], alpha != nullptr, done, total,
                           extents.empty() ? nullptr : &extents[static_cast<std::size_t>(c)]);
        // Everything is computed: only now touch the outputs.
        for (std::ptrdiff_t c = 0; c < channels; ++c) {
            detail::write_plane(results[c].output, out, c);
            if (alpha) {
                detail::write_plane(results[c].alpha, *alpha, c);
                detail::write_plane(results[c].beta, *beta, c);
            }
        }
    }

    struct channel_result {
        detail::plane output, alpha, beta;  // alpha and beta only when the caller asked for them
    };

    // The network's two output planes for its two input planes (one tile).
    void infer(const detail::plane (&in)[2], detail::plane (&out)[2]) const {
        const std::ptrdiff_t w = in[0].width, h = in[0].height;
        if (!options_.self_ensemble) {
            backend_.infer({{in[0].data.data(), in[1].data.data()}, w, h}, {{out[0].data.data(), out[1].data.data()}});
            return;
        }
        // A tile and its halo transform together, and the image border stays the image
        // border, so tiled and whole-image ensembles agree as for one pass.
        for (auto& o : out) std::fill(o.data.begin(), o.data.end(), 0.0f);
        for (int k = 0; k < 8; ++k) {
            const detail::dihedral d{k};
            const detail::plane t_in[2] = {d.apply(in[0]), d.apply(in[1])};
            detail::plane t_out[2] = {detail::plane(t_in[0].width, t_in[0].height),
                                      detail::plane(t_in[0].width, t_in[0].height)};
            backend_.infer({{t_in[0].data.data(), t_in[1].data.data()}, t_in[0].width, t_in[0].height},
                           {{t_out[0].data.data(), t_out[1].data.data()}});
            for (int c = 0; c < 2; ++c) d.accumulate_inverse(t_out[c], out[c]);
        }
        for (auto& o : out)
            for (float& v : o.data) v *= 0.125f;
    }

    // Runs the network tile by tile on channel c of input and composes Eq. 5 per tile,
    // so that whole-image memory is the gray guide plus the results, whatever the tile.
    template <pixel_type I>
    void filter_channel(const image_view<I>& input, std::ptrdiff_t c, const detail::plane& guide, channel_result& r,
                        bool keep_coefficients, std::ptrdiff_t& done, std::ptrdiff_t total,
                        const value_extent* whole) const {
        const std::ptrdiff_t w = input.width, h = input.height, t = tile_side(w, h);
        const std::ptrdiff_t halo = model_->receptive_radius();
        // valid_range: one map for the whole channel (or the whole image the caller
        // measured), taken before tiling, so that every tile (and every self-ensemble
        // pass) sees the same normalised values. none: lo = 0, span = 1, the identity.
        const value_range range = model_->input_normalisation != svlrm::input_normalisation::valid_range
                                      ? value_range{}
                                      : whole ? range_of(*whole)
                                              : valid_range(input, c);
        const float si = model_->input_scale, sg = model_->guide_scale;
        const float lo = range.lo, in_gain = si / range.span, out_gain = range.span / si;
        r.output = detail::plane(w, h);
        if (keep_coefficients) r.alpha = detail::plane(w, h), r.beta = detail::plane(w, h);
        if (range.flat) {
            // F = input: alpha = 0, beta = the normalised input, so Eq. 5 still holds.
            for (std::ptrdiff_t y = 0; y < h; ++y)
                for (std::ptrdiff_t x = 0; x < w; ++x) {
                    const float v = to_unit(input(x, y, c));
                    r.output(x, y) = v;
                    if (keep_coefficients) r.alpha(x, y) = 0.0f, r.beta(x, y) = in_gain * (v - lo);
                }
            report(done += tiles_for(w, h), total);
            return;
        }
        for (std::ptrdiff_t ty = 0; ty < h; ty += t)
            for (std::ptrdiff_t tx = 0; tx < w; tx += t) {
                // The tile's output part [tx, tx+t) x [ty, ty+t) plus its halo, clipped to
                // the image: where the tile meets the image border the network's own zero
                // padding applies, exactly as for the whole image.
                const std::ptrdiff_t x0 = std::max<std::ptrdiff_t>(0, tx - halo), x1 = std::min(w, tx + t + halo);
                const std::ptrdiff_t y0 = std::max<std::ptrdiff_t>(0, ty - halo), y1 = std::min(h, ty + t + halo);
                const std::ptrdiff_t tw = x1 - x0, th = y1 - y0;
                detail::plane in[2] = {detail::plane(tw, th), detail::plane(tw, th)};
                detail::plane net_out[2] = {detail::plane(tw, th), detail::plane(tw, th)};
                const int input_slot = model_->guide_first ? 1 : 0;
                for (std::ptrdiff_t y = 0; y < th; ++y)
                    for (std::ptrdiff_t x = 0; x < tw; ++x) {
                        in[input_slot](x, y) = in_gain * (to_unit(input(x0 + x, y0 + y, c)) - lo);
                        in[1 - input_slot](x, y) = sg * guide(x0 + x, y0 + y);
                    }
                infer(in, net_out);
                const detail::plane& a = net_out[model_->beta_first ? 1 : 0];
                const detail::plane& b = net_out[model_->beta_first ? 0 : 1];
                for (std::ptrdiff_t y = ty; y < std::min(h, ty + t); ++y)
                    for (std::ptrdiff_t x = tx; x < std::min(w, tx + t); ++x) {
                        const float av = a(x - x0, y - y0), bv = b(x - x0, y - y0);
                        // Eq. 5 on the network's scale, returned to the input's scale.
                        r.output(x, y) = lo + out_gain * (av * (sg * guide(x, y)) + bv);
                        if (keep_coefficients) r.alpha(x, y) = av, r.beta(x, y) = bv;
                    }
                report(++done, total);
            }
    }

    void report(std::ptrdiff_t done, std::ptrdiff_t total) const {
        if (options_.progress && !options_.progress(done, total))
            throw cancelled_error("svlrm::joint_filter::apply: cancelled by the progress callback after " +
                                  std::to_string(done) + " of " + std::to_string(total) + " tiles");
    }
};

}  // namespace svlrm
