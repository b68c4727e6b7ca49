// The cuDNN backend: the coefficient network on an NVIDIA GPU through the cuDNN 9
// graph (backend) API, one fused graph per layer (conv_fprop -> + bias -> ReLU /
// leaky ReLU), NHWC activations, plans chosen by cuDNN's heuristics once per input
// size and cached. See docs/backends.md, section "cuDNN".
//
// Two entry points:
//   infer()      the coefficient_backend contract: host planes in, host planes out
//                (joint_filter uses it; the backend copies through pinned memory);
//   run_device() device planes in, F (and optionally alpha, beta) out on the device,
//                queued on the caller's stream, no host copies.
// One object may be used from several threads: calls are serialized on its GPU
// buffers (a mutex for queuing, an event for the GPU work of another stream).
#pragma once

#include <svlrm/backend/contract.hpp>
#include <svlrm/backend/cudnn/convert.hpp>
#include <svlrm/backend/cudnn/device.hpp>
#include <svlrm/backend/cudnn/engine.hpp>
#include <svlrm/backend/cudnn/graphs.hpp>
#include <svlrm/backend/cudnn/status.hpp>
#include <svlrm/error.hpp>

#include <algorithm>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace svlrm::backend {

// fp32: float data, fp32 math on CUDA cores (no TF32, FFT or Winograd engines).
// tf32: float data, tensor cores with TF32 inputs and fp32 accumulation (Ampere+).
// fp16, bf16: half / bfloat16 activations and weights, fp32 accumulation (bf16: Ampere+).
enum class cudnn_precision { fp32, tf32, fp16, bf16 };

inline const char* to_string(cudnn_precision p) {
    switch (p) {
        case cudnn_precision::fp32: return "fp32";
        case cudnn_precision::tf32: return "tf32";
        case cudnn_precision::fp16: return "fp16";
        case cudnn_precision::bf16: return "bf16";
    }
    return "?";
}

struct cudnn_options {
    cudnn_precision mode = cudnn_precision::fp32;
    int device = 0;
    // Input sizes whose plans stay cached (least recently used dropped first); a
    // tiled image has up to 4 tile sizes.
    std::size_t cached_sizes = 8;
};

namespace cudnn_detail {

inline cudnnDataType_t data_type(cudnn_precision p) {
    switch (p) {
        case cudnn_precision::fp16: return CUDNN_DATA_HALF;
        case cudnn_precision::bf16: return CUDNN_DATA_BFLOAT16;
        default: return CUDNN_DATA_FLOAT;
    }
}

// The numerical notes each mode refuses in the convolution engines (engine.hpp).
inline note_list refused_notes(cudnn_precision p) {
    switch (p) {
        case cudnn_precision::fp32:
            return {CUDNN_NUMERICAL_NOTE_TENSOR_CORE,          CUDNN_NUMERICAL_NOTE_DOWN_CONVERT_INPUTS,
                    CUDNN_NUMERICAL_NOTE_REDUCED_PRECISION_REDUCTION, CUDNN_NUMERICAL_NOTE_FFT,
                    CUDNN_NUMERICAL_NOTE_WINOGRAD,             CUDNN_NUMERICAL_NOTE_WINOGRAD_TILE_4x4,
                    CUDNN_NUMERICAL_NOTE_WINOGRAD_TILE_6x6,    CUDNN_NUMERICAL_NOTE_WINOGRAD_TILE_13x13};
        case cudnn_precision::tf32:
            return {CUDNN_NUMERICAL_NOTE_DOWN_CONVERT_INPUTS, CUDNN_NUMERICAL_NOTE_REDUCED_PRECISION_REDUCTION};
        default: return {CUDNN_NUMERICAL_NOTE_REDUCED_PRECISION_REDUCTION};
    }
}

// The graphs of one layer for a size (no device needed): see graphs.hpp.
inline layer_shape shape_of(const model& m, std::size_t i, std::int64_t w, std::int64_t h, cudnn_precision p) {
    const conv_layer& l = m.layers[i];
    layer_shape s;
    s.index = int(i);
    s.in_channels = l.in_channels;
    s.out_channels = l.out_channels;
    s.kernel = l.kernel;
    s.width = w;
    s.height = h;
    s.io = data_type(p);
    s.activate = i + 1 < m.layers.size();
    s.relu_slope = m.activation == activation::leaky_relu ? double(m.activation_slope) : 0.0;
    return s;
}

// The plans of one input size. The device-API plans are built on first use.
struct size_plans {
    std::int64_t width = 0, height = 0;
    std::vector<plan> layers;
    std::optional<plan> input, compose, compose_coefficients;
};

struct layer_weights {
    device_buffer weight, bias;
};

}  // namespace cudnn_detail

class cudnn {
public:
    static constexpr std::string_view name = "cudnn";
    using options = cudnn_options;

    // Throws model_error for an invalid model, unavailable_error without a CUDA device,
    // for a mode the device lacks, or when cuDNN has no engine for a layer.
    explicit cudnn(const model& m, const options& opts = {}) : cudnn(std::make_shared<const model>(m), opts) {}
    cudnn(shared_model m, const options& opts) : state_(std::make_shared<state>(std::move(m), opts)) {}

    // The mode that runs (options.mode: cuDNN has no fallback between modes).
    cudnn_precision effective_precision() const { return state_->opts.mode; }

    // Chosen by name (backend/contract.hpp). "auto" is fp32: tf32 and the half types
    // were measured far above 1e-5 of it (docs/backends.md).
    static std::vector<std::string> precisions() { return mode_names(named_modes); }
    static options options_for(std::string_view mode) {
        return options_with_mode<cudnn>(mode, named_modes, cudnn_precision::fp32);
    }
    std::string precision_name() const { return to_string(effective_precision()); }
    static bool available() { return cudnn_available(); }

    // The engine (cuDNN global index) and workspace of every plan for this size.
    std::string describe(std::ptrdiff_t width, std::ptrdiff_t height) const {
        state& st = *state_;
        std::lock_guard lock(st.mutex);
        SVLRM_GPU_CHECK(cudaSetDevice(st.opts.device));
        const cudnn_detail::size_plans& p = st.plans_for(width, height);
        std::string text = std::string("cudnn, precision ") + to_string(st.opts.mode) + ", " +
                           std::to_string(width) + "x" + std::to_string(height) + ", " +
                           cudnn_device_description(st.opts.device) + "\n";
        for (std::size_t i = 0; i < p.layers.size(); ++i)
            text += "  layer " + std::to_string(i) + ": engine " + std::to_string(p.layers[i].engine) +
                    ", workspace " + std::to_string(p.layers[i].workspace_bytes) + " bytes\n";
        return text;
    }

    void infer(const network_input& in, const network_output& out) const {
        state& st = *state_;
        const std::ptrdiff_t w = in.width, h = in.height;
        const std::size_t n = std::size_t(w) * std::size_t(h), bytes = 2 * n * st.element_size();
        std::lock_guard lock(st.mutex);
        SVLRM_GPU_CHECK(cudaSetDevice(st.opts.device));
        const cudnn_detail::size_plans& p = st.plans_for(w, h);
        st.reserve(p, bytes);
        cudnn_detail::interleave(st.io, in.channel[0], in.channel[1], n, st.host_in.get());
        const cudaStream_t s = st.own_stream.get();
        SVLRM_GPU_CHECK(cudaStreamWaitEvent(s, st.done.get(), 0));
        SVLRM_GPU_CHECK(cudaMemcpyAsync(st.staging.get(), st.host_in.get(), bytes, cudaMemcpyHostToDevice, s));
        st.run_layers(p, st.weights, s);
        SVLRM_GPU_CHECK(cudaMemcpyAsync(st.host_out.get(), st.result.get(), bytes, cudaMemcpyDeviceToHost, s));
        SVLRM_GPU_CHECK(cudaEventRecord(st.done.get(), s));
        SVLRM_GPU_CHECK(cudaStreamSynchronize(s));
        cudnn_detail::deinterleave(st.io, st.host_out.get(), n, out.channel[0], out.channel[1]);
    }

    // F = alpha * G + beta on the device. input and guide: width x height float planes
    // on the unit scale (the guide already one channel, e.g. luma); output likewise.
    // alpha and beta (both or neither) receive the coefficients with F = alpha * G + beta
    // on the caller's scale (the model's input_scale / guide_scale are folded into the
    // first and last layers). Queued on `stream`; every pointer must stay valid until
    // the stream has run it. Throws std::invalid_argument for bad arguments, and
    // unavailable_error for a model with input_normalisation = valid_range: its range
    // is a min / max over the whole input, a reduction this path does not compute
    // (joint_filter<cudnn> computes it on the host).
    void run_device(const float* d_input, const float* d_guide, float* d_output, float* d_alpha, float* d_beta,
                    std::ptrdiff_t width, std::ptrdiff_t height, cudaStream_t stream) const {
        constexpr const char* fn = "svlrm::backend::cudnn::run_device";
        if (state_->m.input_normalisation != svlrm::input_normalisation::none)
            throw unavailable_error(std::string(fn) + ": the model's input_normalisation is " +
                                    svlrm::to_string(state_->m.input_normalisation) +
                                    ", which needs the min and max of the input's nonzero pixels (a reduction over "
                                    "the whole image) that run_device does not compute; use joint_filter<cudnn>, "
                                    "which computes the range on the host");
        if (width < 1 || height < 1) svlrm::detail::throw_invalid(fn, "width and height must be positive");
        if (!d_input || !d_guide || !d_output) svlrm::detail::throw_invalid(fn, "input, guide and output must not be null");
        if ((d_alpha == nullptr) != (d_beta == nullptr))
            svlrm::detail::throw_invalid(fn, "pass both alpha and beta, or neither");
        state& st = *state_;
        const std::size_t n = std::size_t(width) * std::size_t(height);
        std::lock_guard lock(st.mutex);
        SVLRM_GPU_CHECK(cudaSetDevice(st.opts.device));
        cudnn_detail::size_plans& p = st.plans_for(width, height);
        st.add_device_plans(p, d_alpha != nullptr);
        st.reserve(p, 2 * n * st.element_size());
        SVLRM_GPU_CHECK(cudaStreamWaitEvent(stream, st.done.get(), 0));
        SVLRM_GPU_CHECK(cudnnSetStream(st.dnn.get(), stream));
        const std::size_t es = st.element_size();
        auto* staging = st.staging.as<unsigned char>();
        const int input_slot = st.m.guide_first ? 1 : 0;
        using namespace cudnn_detail;
        execute(st.dnn.get(), *p.input, {uid_plane, uid_slot},
                {const_cast<float*>(d_input), staging + std::size_t(input_slot) * es}, st.workspace.get());
        execute(st.dnn.get(), *p.input, {uid_plane, uid_slot},
                {const_cast<float*>(d_guide), staging + std::size_t(1 - input_slot) * es}, st.workspace.get());
        st.run_layers(p, st.device_weights, stream);
        auto* result = st.result.as<unsigned char>();
        void* alpha = result + (st.m.beta_first ? es : 0);
        void* beta = result + (st.m.beta_first ? 0 : es);
        if (d_alpha)
            execute(st.dnn.get(), *p.compose_coefficients,
                    {uid_alpha, uid_beta, uid_guide, uid_f, uid_alpha_out, uid_beta_out},
                    {alpha, beta, const_cast<float*>(d_guide), d_output, d_alpha, d_beta}, st.workspace.get());
        else
            execute(st.dnn.get(), *p.compose, {uid_alpha, uid_beta, uid_guide, uid_f},
                    {alpha, beta, const_cast<float*>(d_guide), d_output}, st.workspace.get());
        SVLRM_GPU_CHECK(cudaEventRecord(st.done.get(), stream));
    }

private:
    static constexpr std::initializer_list<cudnn_precision> named_modes = {
        cudnn_precision::fp32, cudnn_precision::tf32, cudnn_precision::fp16, cudnn_precision::bf16};

    struct state {
        shared_model shared;
        const model& m;
        options opts;
        cudnnDataType_t io;
        cudnn_detail::note_list refused;
        cudnn_detail::handle dnn;
        cudnn_detail::stream own_stream;
        cudnn_detail::event done;  // the end of the last queued call, on whichever stream
        // Weights as the contract sees the network (scaled inputs, raw outputs) and with
        // the model's scales folded in (run_device).
        std::vector<cudnn_detail::layer_weights> weights, device_weights;
        cudnn_detail::device_buffer activation[2], staging, result, workspace;
        cudnn_detail::pinned_buffer host_in, host_out;
        std::list<cudnn_detail::size_plans> cache;  // most recently used first
        std::mutex mutex;

        state(shared_model model_in, const options& o)
            : shared(validated(std::move(model_in), cudnn_detail::where)), m(*shared), opts(o), io(cudnn_detail::data_type(o.mode)),
              refused(cudnn_detail::refused_notes(o.mode)), dnn(made_current(o)) {
            upload_weights();
            // Build the plans of a small size now, so that a mode or model cuDNN cannot
            // run fails here rather than in the first infer().
            std::lock_guard lock(mutex);
            plans_for(32, 32);
        }

        // Checks the device and the mode, and makes the device current (the cuDNN
        // handle is created on it next).
        static cudnn_detail::handle made_current(const options& o) {
            const cudaDeviceProp p = cudnn_detail::device_properties(o.device);
            const bool ampere = p.major >= 8;
            if ((o.mode == cudnn_precision::tf32 || o.mode == cudnn_precision::bf16) && !ampere)
                throw unavailable_error(std::string(cudnn_detail::where) + ": precision " + to_string(o.mode) +
                                        " needs compute capability 8.0 (Ampere) or newer; device " +
                                        std::to_string(o.device) + " (" + p.name + ") is " + std::to_string(p.major) +
                                        "." + std::to_string(p.minor));
            SVLRM_GPU_CHECK(cudaSetDevice(o.device));
            return {};
        }

        std::size_t element_size() const { return std::size_t(cudnn_detail::element_bytes(io)); }

        void upload_weights() {
            const std::size_t last = m.layers.size() - 1;
            const float si = m.input_scale, sg = m.guide_scale;
            for (std::size_t i = 0; i < m.layers.size(); ++i) {
                const conv_layer& l = m.layers[i];
                const std::vector<float> ones_in(std::size_t(l.in_channels), 1.0f), ones_out(std::size_t(l.out_channels), 1.0f);
                std::vector<float> in_scale = ones_in, out_scale = ones_out;
                if (i == 0) {
                    in_scale[m.guide_first ? 1 : 0] = si;
                    in_scale[m.guide_first ? 0 : 1] = sg;
                }
                if (i == last) {
                    out_scale[m.beta_first ? 1 : 0] = sg / si;
                    out_scale[m.beta_first ? 0 : 1] = 1.0f / si;
                }
                weights.push_back(upload(cudnn_detail::pack_layer(l, io, ones_in, ones_out)));
                device_weights.push_back(upload(cudnn_detail::pack_layer(l, io, in_scale, out_scale)));
            }
        }

        static cudnn_detail::layer_weights upload(const cudnn_detail::packed_layer& p) {
            cudnn_detail::layer_weights w;
            w.weight.reserve(p.weight.size());
            w.bias.reserve(p.bias.size());
            SVLRM_GPU_CHECK(cudaMemcpy(w.weight.get(), p.weight.data(), p.weight.size(), cudaMemcpyHostToDevice));
            SVLRM_GPU_CHECK(cudaMemcpy(w.bias.get(), p.bias.data(), p.bias.size(), cudaMemcpyHostToDevice));
            return w;
        }

        // Called with the mutex held.
        cudnn_detail::size_plans& plans_for(std::ptrdiff_t w, std::ptrdiff_t h) {
            for (auto it = cache.begin(); it != cache.end(); ++it)
                if (it->width == w && it->height == h) {
                    cache.splice(cache.begin(), cache, it);
                    return cache.front();
                }
            cudnn_detail::size_plans p;
            p.width = w;
            p.height = h;
            for (std::size_t i = 0; i < m.layers.size(); ++i)
                p.layers.push_back(
                    cudnn_detail::make_plan(cudnn_detail::make_layer_graph(cudnn_detail::shape_of(m, i, w, h, opts.mode)), refused));
            cache.push_front(std::move(p));
            while (cache.size() > std::max<std::size_t>(1, opts.cached_sizes)) cache.pop_back();
            return cache.front();
        }

        void add_device_plans(cudnn_detail::size_plans& p, bool coefficients) const {
            using namespace cudnn_detail;
            if (!p.input) p.input = make_plan(make_input_graph(p.width, p.height, io), {});
            std::optional<plan>& compose = coefficients ? p.compose_coefficients : p.compose;
            if (!compose) compose = make_plan(make_compose_graph(p.width, p.height, io, coefficients), {});
        }

        // Grows the buffers for plans p. Only a growth waits for the queued work (which
        // may still use the old blocks); otherwise calls on other streams stay queued.
        void reserve(const cudnn_detail::size_plans& p, std::size_t io_bytes) {
            const std::size_t n = std::size_t(p.width) * std::size_t(p.height);
            const std::size_t act = std::size_t(m.max_channels()) * n * element_size();
            std::int64_t ws = 1;
            for (const auto& l : p.layers) ws = std::max(ws, l.workspace_bytes);
            for (const auto* o : {&p.input, &p.compose, &p.compose_coefficients})
                if (*o) ws = std::max(ws, (*o)->workspace_bytes);
            if (activation[0].size() >= act && staging.size() >= io_bytes && workspace.size() >= std::size_t(ws) &&
                host_in.size() >= io_bytes)
                return;
            SVLRM_GPU_CHECK(cudaEventSynchronize(done.get()));
            for (auto* b : {&activation[0], &activation[1]}) b->reserve(act);
            staging.reserve(io_bytes);
            result.reserve(io_bytes);
            workspace.reserve(std::size_t(ws));
            host_in.reserve(io_bytes);
            host_out.reserve(io_bytes);
        }

        // The layers, staging -> activation buffers in turn -> result, on stream s.
        void run_layers(const cudnn_detail::size_plans& p, const std::vector<cudnn_detail::layer_weights>& w,
                        cudaStream_t s) {
            using namespace cudnn_detail;
            SVLRM_GPU_CHECK(cudnnSetStream(dnn.get(), s));
            for (std::size_t i = 0; i < p.layers.size(); ++i) {
                void* x = i == 0 ? staging.get() : activation[(i - 1) % 2].get();
                void* y = i + 1 == p.layers.size() ? result.get() : activation[i % 2].get();
                execute(dnn.get(), p.layers[i], {uid_x, uid_w, uid_bias, uid_y}, {x, w[i].weight.get(), w[i].bias.get(), y},
                        workspace.get());
            }
        }
    };
    // Shared, so that copies of the backend share the device buffers and plans.
    std::shared_ptr<state> state_;
};

static_assert(coefficient_backend<cudnn>);

}  // namespace svlrm::backend
