// The oneDNN primitives of one input size: built once, cached by the backend,
// executed by any number of threads at once (a plan is immutable once built; the
// memory an execution writes lives in its workspace).
#pragma once

#include <svlrm/backend/onednn/buffers.hpp>
#include <svlrm/backend/onednn/last_layer.hpp>
#include <svlrm/error.hpp>
#include <svlrm/model.hpp>

#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace svlrm::backend {

// exact: f32, direct convolution. fast: f32, Winograd (F(4x4,3x3) where oneDNN has it) for the
// 64-channel layers, direct for the first layer and where oneDNN has no Winograd kernel.
// bf16: bf16 weights and activations with f32 accumulation (first layer, last
// layer and the activations entering the last layer stay f32).
// automatic ("auto"): the fastest of these whose F stays within
// automatic_tolerance of exact on this machine, chosen when the backend is built
// (onednn.hpp); the plans only ever see the mode it chose.
enum class precision { exact, fast, bf16, automatic };

// What automatic accepts: relative L2 distance of F from the exact mode's.
inline constexpr double automatic_tolerance = 1e-5;

inline const char* to_string(precision p) {
    switch (p) {
        case precision::exact: return "exact";
        case precision::fast: return "fast";
        case precision::bf16: return "bf16";
        case precision::automatic: return "auto";
    }
    return "?";
}

}  // namespace svlrm::backend

namespace svlrm::backend::onednn_detail {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

// One primitive of the chain. Buffer 0 is the staging input, 1 and 2 the two
// activation buffers.
struct step {
    dnnl::primitive primitive;
    memory::desc src, dst;
    int src_buffer = 0, dst_buffer = 1;
    std::optional<memory> weights, bias;  // convolutions only
    std::string what;                     // for describe()
};

struct plan {
    std::ptrdiff_t width = 0, height = 0;
    std::vector<step> steps;
    int result_buffer = 0;                  // holds nchw f32 output when !last_kernel
    std::optional<blocked_view> last_view;  // with base = nullptr; set when last_kernel runs
    std::size_t activation_bytes = 0, scratchpad_bytes = 0;
    std::vector<std::string> description;
};

inline bool is_relu_layer(const model& m, std::size_t i) { return i + 1 < m.layers.size(); }

// An implementation to take over oneDNN's first choice, if oneDNN offers it within a
// scratchpad budget.
struct impl_preference {
    const char* name;
    std::size_t max_scratchpad_bytes;
};

inline dnnl::convolution_forward::primitive_desc conv_pd(const dnnl::engine& eng, const conv_layer& l,
                                                         std::ptrdiff_t w, std::ptrdiff_t h, dnnl::algorithm alg,
                                                         dt src_dt, dt wei_dt, dt dst_dt, bool activate,
                                                         float slope, const impl_preference* prefer = nullptr,
                                                         const memory::desc* dst_layout = nullptr) {
    const memory::dim r = l.kernel / 2;
    const memory::desc src({1, l.in_channels, h, w}, src_dt, tag::any);
    const memory::desc wei({l.out_channels, l.in_channels, l.kernel, l.kernel}, wei_dt, tag::any);
    const memory::desc bias({l.out_channels}, dt::f32, tag::x);
    const memory::desc dst = dst_layout ? *dst_layout : memory::desc({1, l.out_channels, h, w}, dst_dt, tag::any);
    const dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, alg, src, wei, bias, dst, {1, 1},
                                            {r, r}, {r, r});
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    if (activate) {
        // LeakyReLU is oneDNN's eltwise_relu with alpha = the negative slope.
        dnnl::post_ops po;
        po.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, slope, 0.0f);
        attr.set_post_ops(po);
    }
    dnnl::convolution_forward::primitive_desc pd(d, attr, eng);
    // next_impl() must run here: the iterator reads the descriptor and attributes above.
    if (prefer) {
        do {
            if (std::strstr(pd.impl_info_str(), prefer->name) &&
                pd.scratchpad_desc().get_size() <= prefer->max_scratchpad_bytes)
                return pd;
        } while (pd.next_impl());
        pd = dnnl::convolution_forward::primitive_desc(d, attr, eng);  // not offered: oneDNN's first choice
    }
    return pd;
}

inline bool is_reference_impl(const char* impl) { return std::strncmp(impl, "ref", 3) == 0; }

inline const char* name_of(dt t) { return t == dt::bf16 ? "bf16" : "f32"; }

// The layout of an f32 activation buffer, if last_layer_kernel can read it.
inline std::optional<blocked_view> blocked_layout(const memory::desc& md, std::ptrdiff_t w, std::ptrdiff_t h,
                                                  std::ptrdiff_t c) {
    const memory::dims dims{1, c, h, w};
    if (md == memory::desc(dims, dt::f32, tag::nChw16c)) return blocked_view{nullptr, w, h, c, h * w * 16, 16};
    if (md == memory::desc(dims, dt::f32, tag::nhwc)) return blocked_view{nullptr, w, h, c, 16, c};
    return std::nullopt;
}

class plan_builder {
public:
    plan_builder(const dnnl::engine& eng, const model& m, precision mode, bool own_last_layer)
        : eng_(eng), m_(m), mode_(mode), own_last_(own_last_layer && last_layer_kernel::fits(m.layers.back())) {}

    bool uses_last_kernel() const { return own_last_; }

    // Three passes: pick each layer's kernel, then make neighbouring kernels agree on
    // layouts where that saves a reorder, then chain the primitives and the reorders left.
    plan build(std::ptrdiff_t w, std::ptrdiff_t h) const {
        const float slope = m_.activation == activation::leaky_relu ? m_.activation_slope : 0.0f;
        std::vector<layer_choice> chosen = choose_kernels(w, h, slope);
        match_layouts(chosen, w, h, slope);
        return chain(chosen, w, h, slope);
    }

private:
    const dnnl::engine& eng_;
    const model& m_;
    precision mode_;
    bool own_last_;

    struct layer_choice {
        dnnl::convolution_forward::primitive_desc pd;
        dt src_dt, wei_dt, dst_dt;
        bool separate_activation;  // the kernel has no fused post-op: an in-place step follows
    };

    // The layers oneDNN runs: every layer, or all but the last when svlrm's kernel runs it.
    std::size_t dnnl_layers() const { return own_last_ ? m_.layers.size() - 1 : m_.layers.size(); }

    std::vector<layer_choice> choose_kernels(std::ptrdiff_t w, std::ptrdiff_t h, float slope) const {
        std::vector<layer_choice> chosen;
        const std::size_t n_dnnl = dnnl_layers();
        for (std::size_t i = 0; i < n_dnnl; ++i) {
            const conv_layer& l = m_.layers[i];
            const bool first = i == 0, last_dnnl = i + 1 == n_dnnl;
            dt src_dt = dt::f32, wei_dt = dt::f32, dst_dt = dt::f32;
            if (mode_ == precision::bf16) {
                src_dt = first ? dt::f32 : dt::bf16;
                wei_dt = first ? dt::f32 : dt::bf16;
                dst_dt = last_dnnl ? dt::f32 : dt::bf16;
            }
            dnnl::convolution_forward::primitive_desc pd;
            bool separate_activation = false;
            try {
                pd = layer_pd(l, w, h, src_dt, wei_dt, dst_dt, is_relu_layer(m_, i), slope, &separate_activation);
            } catch (const dnnl::error& e) {
                // No f32 -> bf16 kernel for the first layer: write f32, a reorder converts.
                if (e.status != dnnl_unimplemented || src_dt == dst_dt) throw;
                dst_dt = src_dt;
                pd = layer_pd(l, w, h, src_dt, wei_dt, dst_dt, is_relu_layer(m_, i), slope, &separate_activation);
            }
            chosen.push_back({pd, src_dt, wei_dt, dst_dt, separate_activation});
        }
        return chosen;
    }

    // Where a layer writes another layout than the next one reads (fast mode: direct layer 0,
    // then Winograd), ask a direct kernel for the next one's layout: that saves a reorder of a
    // whole activation (12 ms at 640x480), and the direct kernel that can write it is faster too.
    void match_layouts(std::vector<layer_choice>& chosen, std::ptrdiff_t w, std::ptrdiff_t h, float slope) const {
        for (std::size_t i = 0; i + 1 < chosen.size(); ++i) {
            const memory::desc next_src = chosen[i + 1].pd.src_desc();
            if (chosen[i].pd.dst_desc() == next_src || next_src.data_type() != chosen[i].dst_dt ||
                std::strstr(chosen[i].pd.impl_info_str(), "wino"))  // never trade Winograd for direct
                continue;
            try {
                auto pd = conv_pd(eng_, m_.layers[i], w, h, dnnl::algorithm::convolution_direct, chosen[i].src_dt,
                                  chosen[i].wei_dt, chosen[i].dst_dt, is_relu_layer(m_, i), slope, nullptr,
                                  &next_src);
                if (!is_reference_impl(pd.impl_info_str())) chosen[i].pd = pd;
            } catch (const dnnl::error& e) {
                if (e.status != dnnl_unimplemented) throw;
            }
        }
    }

    // The plan's steps: each chosen convolution (with its weights reordered once, here),
    // an in-place activation where it is not fused, and a reorder wherever one step
    // writes another layout than the next reads; activations alternate between buffers 1 and 2.
    plan chain(const std::vector<layer_choice>& chosen, std::ptrdiff_t w, std::ptrdiff_t h, float slope) const {
        plan p;
        p.width = w;
        p.height = h;
        dnnl::stream s(eng_);
        memory::desc current({1, 2, h, w}, dt::f32, tag::nchw);
        int buffer = 0;
        auto push = [&](step st) {
            p.description.push_back(st.what);
            p.steps.push_back(std::move(st));
            current = p.steps.back().dst;
            buffer = p.steps.back().dst_buffer;
        };
        auto add_reorder = [&](const memory::desc& to, const char* why) {
            step st;
            st.src = current;
            st.dst = to;
            st.src_buffer = buffer;
            st.dst_buffer = buffer == 1 ? 2 : 1;
            const dnnl::reorder::primitive_desc rpd(eng_, current, eng_, to);
            st.primitive = dnnl::reorder(rpd);
            st.what = std::string("reorder (") + why + "): " + rpd.impl_info_str();
            p.activation_bytes = std::max(p.activation_bytes, to.get_size());
            push(std::move(st));
        };
        for (std::size_t i = 0; i < chosen.size(); ++i) {
            const conv_layer& l = m_.layers[i];
            const auto& [pd, src_dt, wei_dt, dst_dt, separate_activation] = chosen[i];
            if (pd.src_desc() != current) add_reorder(pd.src_desc(), "layer input layout");
            step st;
            st.src = pd.src_desc();
            st.dst = pd.dst_desc();
            st.src_buffer = buffer;
            st.dst_buffer = buffer == 1 ? 2 : 1;
            st.primitive = dnnl::convolution_forward(pd);
            st.weights = reordered_weights(l, pd.weights_desc(), s);
            st.bias = memory({{l.out_channels}, dt::f32, tag::x}, eng_);
            std::memcpy(st.bias->get_data_handle(), l.bias.data(), l.bias.size() * sizeof(float));
            st.what = "layer " + std::to_string(i) + " " + std::to_string(l.in_channels) + "->" +
                      std::to_string(l.out_channels) + " " + std::to_string(l.kernel) + "x" +
                      std::to_string(l.kernel) + " " + name_of(src_dt) + "/" + name_of(wei_dt) + "->" +
                      name_of(dst_dt) + ": " + pd.impl_info_str();
            p.activation_bytes = std::max(p.activation_bytes, st.dst.get_size());
            p.scratchpad_bytes = std::max(p.scratchpad_bytes, pd.scratchpad_desc().get_size());
            push(std::move(st));
            if (separate_activation) {
                step act;  // executed with FROM/TO, which are oneDNN's SRC/DST argument ids
                act.src = act.dst = current;
                act.src_buffer = act.dst_buffer = buffer;
                const dnnl::eltwise_forward::primitive_desc epd(
                    {dnnl::prop_kind::forward_inference, dnnl::algorithm::eltwise_relu, current, slope}, eng_);
                act.primitive = dnnl::eltwise_forward(epd);
                act.what = std::string("activation (leaky ReLU, in place): ") + epd.impl_info_str();
                push(std::move(act));
            }
        }
        if (own_last_) {
            const std::ptrdiff_t c = m_.layers.back().in_channels;
            if (!blocked_layout(current, w, h, c))
                add_reorder(memory::desc({1, c, h, w}, dt::f32, tag::nChw16c), "for the last-layer kernel");
            p.last_view = blocked_layout(current, w, h, c);
            const conv_layer& l = m_.layers.back();
            p.description.push_back("layer " + std::to_string(m_.layers.size() - 1) + " " +
                                    std::to_string(l.in_channels) + "->2 " + std::to_string(l.kernel) + "x" +
                                    std::to_string(l.kernel) + " f32: svlrm last_layer_kernel");
        } else if (current != memory::desc({1, 2, h, w}, dt::f32, tag::nchw)) {
            add_reorder(memory::desc({1, 2, h, w}, dt::f32, tag::nchw), "planar output");
        }
        p.result_buffer = buffer;
        s.wait();
        return p;
    }


    // separate_activation: set when the returned kernel leaves the activation out (the caller
    // adds an in-place step).
    dnnl::convolution_forward::primitive_desc layer_pd(const conv_layer& l, std::ptrdiff_t w, std::ptrdiff_t h,
                                                       dt src_dt, dt wei_dt, dt dst_dt, bool activate,
                                                       float slope, bool* separate_activation) const {
        *separate_activation = false;
        // A first layer with 2 input channels has too little work for Winograd to pay for its
        // transforms: direct convolution measured 2.5 ms against 15 ms (2x3) and 37 ms (4x3).
        // A 64->2 last layer (when oneDNN runs it) pads its outputs to 16 channels, and its
        // Winograd scratchpad was 193 MB at 640x480: direct too.
        if (mode_ == precision::fast && l.in_channels >= 16 && l.out_channels >= 16) {
            // oneDNN 2.6 lists its F(2x2,3x3) kernel before F(4x4,3x3) and picks it at 640x480;
            // F(4x4,3x3) does 1.8x fewer multiplies and took 28% less time per 64->64 layer there
            // (docs/benchmarks.md). But for some sizes (524x536: 315 MB) its schedule transforms
            // the whole image into the scratchpad and is slower: take it only while its
            // scratchpad stays within one activation buffer. Chosen by name and size, not by
            // timing, so that a plan is the same in every run (bit-identical results).
            const impl_preference f4x4{"wino_4x3", std::size_t(l.out_channels) * w * h * sizeof(float)};
            // oneDNN's Winograd kernels fuse ReLU but not leaky ReLU: then the activation runs
            // as its own in-place step, which still leaves the layer far faster than direct.
            for (const bool fused : {true, false}) {
                if (!fused && !(activate && slope != 0.0f)) break;
                try {
                    auto pd = conv_pd(eng_, l, w, h, dnnl::algorithm::convolution_winograd, src_dt, wei_dt, dst_dt,
                                      activate && fused, slope, &f4x4);
                    *separate_activation = activate && !fused;
                    return pd;
                } catch (const dnnl::error& e) {
                    if (e.status != dnnl_unimplemented) throw;  // no Winograd for this layer: direct
                }
            }
        }
        return conv_pd(eng_, l, w, h, dnnl::algorithm::convolution_direct, src_dt, wei_dt, dst_dt, activate, slope);
    }

    memory reordered_weights(const conv_layer& l, const memory::desc& to, dnnl::stream& s) const {
        const memory::desc plain({l.out_channels, l.in_channels, l.kernel, l.kernel}, dt::f32, tag::oihw);
        memory src(plain, eng_, const_cast<float*>(l.weight.data()));
        memory dst(to, eng_);
        dnnl::reorder(src, dst).execute(s, src, dst);
        return dst;
    }
};

}  // namespace svlrm::backend::onednn_detail
