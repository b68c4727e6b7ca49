// The oneDNN backend: the coefficient network on the CPU through oneDNN 2.x
// convolutions in the layouts oneDNN picks (format_tag::any), bias and activation
// fused as post-ops, two activation buffers used in turn, and the 64 -> 2 last
// layer in svlrm's own kernel (onednn/last_layer.hpp). See docs/backends.md.
//
// Threads: oneDNN runs on OpenMP, so OMP_NUM_THREADS (or omp_set_num_threads in a
// program built with OpenMP) sets its thread count; the last-layer kernel follows
// svlrm::set_num_threads. One object may be used from several threads at once.
#pragma once

#include <svlrm/backend/contract.hpp>
#include <svlrm/backend/onednn/buffers.hpp>
#include <svlrm/backend/onednn/last_layer.hpp>
#include <svlrm/backend/onednn/plan.hpp>
#include <svlrm/error.hpp>

#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace svlrm::backend {

struct onednn_options {
    // automatic (the default): fast where it stays within automatic_tolerance of exact
    // for this model (measured on a probe when the backend is built), else exact. Ask
    // for exact for bit-reproducible results.
    precision mode = precision::automatic;
    // The largest relative L2 distance of F from exact that automatic accepts.
    double automatic_tolerance = backend::automatic_tolerance;
    // If mode is not available on this machine: false throws svlrm::unavailable_error;
    // true runs the next one (bf16 -> fast -> exact), see effective_precision().
    bool allow_fallback = false;
    // Input sizes whose primitives stay cached (least recently used dropped first);
    // a tiled image has up to 4 tile sizes per channel.
    std::size_t cached_sizes = 8;
    // false: oneDNN runs the last layer too (kept to measure the difference). Applies
    // to the f32 modes only: with bf16 activations oneDNN's own last layer was measured
    // faster (99 vs 120 ms a 640x480 frame, docs/benchmarks.md), because svlrm's f32
    // kernel would first need a reorder of the bf16 activations.
    bool own_last_layer = true;
};

namespace onednn_detail {

// Whether oneDNN has a non-reference implementation of `mode` on this CPU, probed
// with a 64 -> 64 3x3 layer (the shape of the paper's hidden layers).
inline bool probe(const dnnl::engine& eng, precision mode) {
    if (mode == precision::exact) return true;
    conv_layer l;
    l.in_channels = l.out_channels = 64;
    l.kernel = 3;
    try {
        const auto alg = mode == precision::fast ? dnnl::algorithm::convolution_winograd
                                                 : dnnl::algorithm::convolution_direct;
        const auto t = mode == precision::bf16 ? dt::bf16 : dt::f32;
        return !is_reference_impl(conv_pd(eng, l, 64, 64, alg, t, t, t, true, 0.0f).impl_info_str());
    } catch (const dnnl::error&) {
        return false;
    }
}

// Relative L2 distance between the F = alpha * G + beta of two backends of model m on a
// fixed 64x64 probe (a guide with an edge and texture, an input following it with
// noise): what precision::automatic measures.
template <class Backend>
double probe_distance(const Backend& a, const Backend& b, const model& m) {
    constexpr std::ptrdiff_t n = 64, count = n * n;
    std::vector<float> guide(count), input(count), out[4];
    std::uint32_t state = 12345u;
    for (std::ptrdiff_t i = 0; i < count; ++i) {
        const std::ptrdiff_t x = i % n, y = i / n;
        state = state * 1664525u + 1013904223u;
        const float noise = float(state >> 8) / float(1u << 24) - 0.5f;
        const float g = (x > y ? 0.7f : 0.2f) + 0.1f * std::sin(0.3f * float(x + 2 * y));
        guide[i] = m.guide_scale * g;
        input[i] = m.input_scale * std::clamp(g + 0.1f * noise, 0.01f, 1.0f);
    }
    for (auto& o : out) o.resize(count);
    const float* planes[2] = {m.guide_first ? guide.data() : input.data(), m.guide_first ? input.data() : guide.data()};
    a.infer({{planes[0], planes[1]}, n, n}, {{out[0].data(), out[1].data()}});
    b.infer({{planes[0], planes[1]}, n, n}, {{out[2].data(), out[3].data()}});
    const int alpha = m.beta_first ? 1 : 0;
    double num = 0, den = 0;
    for (std::ptrdiff_t i = 0; i < count; ++i) {
        const double fa = double(out[alpha][i]) * guide[i] + out[1 - alpha][i];
        const double fb = double(out[2 + alpha][i]) * guide[i] + out[3 - alpha][i];
        num += (fa - fb) * (fa - fb);
        den += fb * fb;
    }
    return std::sqrt(num / std::max(den, 1e-30));
}

}  // namespace onednn_detail

// The precision modes this machine runs (exact always), like OpenCV's getAvailableBackends.
inline std::vector<precision> available_precisions() {
    static const std::vector<precision> modes = [] {
        const dnnl::engine eng(dnnl::engine::kind::cpu, 0);
        std::vector<precision> v;
        for (precision p : {precision::exact, precision::fast, precision::bf16})
            if (onednn_detail::probe(eng, p)) v.push_back(p);
        return v;
    }();
    return modes;
}

inline bool is_available(precision p) {
    const auto v = available_precisions();
    return std::find(v.begin(), v.end(), p) != v.end();
}

class onednn {
public:
    static constexpr std::string_view name = "onednn";
    using options = onednn_options;

    explicit onednn(const model& m, const options& opts = {}) : onednn(std::make_shared<const model>(m), opts) {}
    onednn(shared_model m, const options& opts)
        : state_(std::make_shared<state>(validated(m, "svlrm::backend::onednn"), opts, resolve(m, opts))) {}

    // The mode that runs: options.mode, its fallback when allowed, or what automatic chose.
    precision effective_precision() const { return state_->mode; }

    // Chosen by name (backend/contract.hpp).
    static std::vector<std::string> precisions() { return mode_names(named_modes); }
    static options options_for(std::string_view mode) {
        return options_with_mode<onednn>(mode, named_modes, precision::automatic);
    }
    std::string precision_name() const { return to_string(effective_precision()); }

    // One line per primitive for this input size: the layer, its data types and the
    // oneDNN implementation (primitive_desc::impl_info_str()), e.g. "brgconv:avx512_core".
    std::string describe(std::ptrdiff_t width, std::ptrdiff_t height) const {
        std::string text = std::string("onednn, precision ") + to_string(state_->mode);
        if (state_->requested == precision::automatic) text += " (chosen by auto)";
        else if (state_->mode != state_->requested) text += std::string(" (fallback from ") + to_string(state_->requested) + ")";
        text += ", " + std::to_string(width) + "x" + std::to_string(height) + "\n";
        for (const auto& line : plan_for(width, height)->description) text += "  " + line + "\n";
        return text;
    }

    void infer(const network_input& in, const network_output& out) const {
        const std::ptrdiff_t w = in.width, h = in.height, n = w * h;
        const std::shared_ptr<const onednn_detail::plan> p = plan_for(w, h);
        const auto ws = state_->pool.take();
        ws->staging.reserve(2 * std::size_t(n) * sizeof(float));
        ws->activation[0].reserve(p->activation_bytes);
        ws->activation[1].reserve(p->activation_bytes);
        ws->scratchpad.reserve(std::max<std::size_t>(p->scratchpad_bytes, 1));
        auto* staging = static_cast<float*>(ws->staging.data());
        std::memcpy(staging, in.channel[0], std::size_t(n) * sizeof(float));
        std::memcpy(staging + n, in.channel[1], std::size_t(n) * sizeof(float));
        void* buffers[3] = {staging, ws->activation[0].data(), ws->activation[1].data()};

        const dnnl::engine& eng = state_->engine;
        dnnl::stream s(eng);  // a stream per call: streams are not meant to be shared by threads
        const dnnl::memory scratch({{std::max<dnnl::memory::dim>(1, static_cast<dnnl::memory::dim>(p->scratchpad_bytes))}, onednn_detail::dt::u8,
                                    onednn_detail::tag::x},
                                   eng, ws->scratchpad.data());
        for (const auto& st : p->steps) {
            const dnnl::memory src(st.src, eng, buffers[st.src_buffer]), dst(st.dst, eng, buffers[st.dst_buffer]);
            if (st.weights)
                st.primitive.execute(s, {{DNNL_ARG_SRC, src},
                                         {DNNL_ARG_WEIGHTS, *st.weights},
                                         {DNNL_ARG_BIAS, *st.bias},
                                         {DNNL_ARG_DST, dst},
                                         {DNNL_ARG_SCRATCHPAD, scratch}});
            else
                st.primitive.execute(s, {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, dst}});
        }
        s.wait();
        const auto* result = static_cast<const float*>(buffers[p->result_buffer]);
        if (p->last_view) {
            onednn_detail::blocked_view v = *p->last_view;
            v.base = result;
            state_->last_kernel->run(v, out.channel[0], out.channel[1]);
        } else {
            std::memcpy(out.channel[0], result, std::size_t(n) * sizeof(float));
            std::memcpy(out.channel[1], result + n, std::size_t(n) * sizeof(float));
        }
    }

private:
    static constexpr std::initializer_list<precision> named_modes = {precision::exact, precision::fast, precision::bf16};

    struct state {
        state(shared_model m, const options& o, precision effective)
            : model_(std::move(m)), opts(o), requested(o.mode), mode(effective), engine(dnnl::engine::kind::cpu, 0),
              builder(engine, *model_, mode, o.own_last_layer && mode != precision::bf16) {
            if (builder.uses_last_kernel())
                last_kernel = std::make_unique<onednn_detail::last_layer_kernel>(model_->layers.back());
        }
        shared_model model_;
        options opts;
        precision requested, mode;
        dnnl::engine engine;
        onednn_detail::plan_builder builder;
        std::unique_ptr<onednn_detail::last_layer_kernel> last_kernel;
        onednn_detail::workspace_pool pool;
        std::mutex cache_mutex;
        std::list<std::shared_ptr<const onednn_detail::plan>> cache;  // most recently used first
    };
    // Shared, so that copies of the backend share the cache and the workspaces.
    std::shared_ptr<state> state_;

    static precision resolve(const shared_model& m, const options& o) {
        if (o.mode == precision::automatic) return choose_automatic(m, o);
        if (is_available(o.mode)) return o.mode;
        const char* why = o.mode == precision::fast
                              ? "oneDNN has no Winograd convolution for this CPU"
                              : "oneDNN has no native bf16 convolution for this CPU (it needs avx512_bf16 or AMX)";
        if (!o.allow_fallback)
            throw unavailable_error(std::string("svlrm::backend::onednn: precision ") + to_string(o.mode) +
                                    " is not available: " + why +
                                    "; set onednn_options::allow_fallback to run the next available mode");
        if (o.mode == precision::bf16 && is_available(precision::fast)) return precision::fast;
        return precision::exact;
    }

    // fast runs 2-2.5x faster than exact at ~5e-6 on AVX-512 CPUs, measured per model
    // because the Winograd error grows with the weights; bf16 (~1e-3) never qualifies.
    static precision choose_automatic(const shared_model& m, options o) {
        if (!is_available(precision::fast)) return precision::exact;
        o.mode = precision::exact;
        const onednn exact(m, o);
        o.mode = precision::fast;
        const onednn fast(m, o);
        return onednn_detail::probe_distance(exact, fast, *m) <= o.automatic_tolerance ? precision::fast
                                                                                       : precision::exact;
    }

    std::shared_ptr<const onednn_detail::plan> plan_for(std::ptrdiff_t w, std::ptrdiff_t h) const {
        state& st = *state_;
        {
            std::lock_guard lock(st.cache_mutex);
            for (auto it = st.cache.begin(); it != st.cache.end(); ++it)
                if ((*it)->width == w && (*it)->height == h) {
                    st.cache.splice(st.cache.begin(), st.cache, it);
                    return st.cache.front();
                }
        }
        // Built outside the lock (it JIT-compiles kernels): other sizes keep running.
        // Two threads may build the same size at once; both plans are equal and one stays.
        std::shared_ptr<const onednn_detail::plan> p;
        try {
            p = std::make_shared<const onednn_detail::plan>(st.builder.build(w, h));
        } catch (const dnnl::error& e) {
            throw unavailable_error(std::string("svlrm::backend::onednn: oneDNN cannot build the network for ") +
                                    std::to_string(w) + "x" + std::to_string(h) + ": " + e.what());
        }
        std::lock_guard lock(st.cache_mutex);
        st.cache.push_front(p);
        while (st.cache.size() > std::max<std::size_t>(1, st.opts.cached_sizes)) st.cache.pop_back();
        return p;
    }
};

static_assert(coefficient_backend<onednn>);

}  // namespace svlrm::backend
