// A frozen SVLRM coefficient network: the layers of the CNN that predicts
// alpha(G, I) and beta(G, I) (Sec. 4.3 of the paper), loaded from a safetensors
// weights file whose format is specified in docs/weights-format.md.
#pragma once

#include <svlrm/detail/safetensors.hpp>
#include <svlrm/error.hpp>

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace svlrm {

enum class activation { relu, leaky_relu };

// How joint_filter prepares each input channel before the network (metadata key
// "input_normalisation", docs/weights-format.md).
enum class input_normalisation { none, valid_range };

inline const char* to_string(input_normalisation n) {
    return n == input_normalisation::valid_range ? "valid_range" : "none";
}

// How a depth-upsampling model's input is brought from the low resolution to the
// guide's (metadata key "input_upsampling"; svlrm::upsample_input, depth_upsampling.hpp).
enum class input_upsampling { bicubic, jbu };

inline const char* to_string(input_upsampling u) { return u == input_upsampling::jbu ? "jbu" : "bicubic"; }

struct conv_layer {
    int in_channels = 0;
    int out_channels = 0;
    int kernel = 3;             // square, odd; zero padding kernel / 2
    std::vector<float> weight;  // [out][in][ky][kx], PyTorch's OIHW cross-correlation
    std::vector<float> bias;    // [out]
};

class model {
public:
    std::vector<conv_layer> layers;
    svlrm::activation activation = svlrm::activation::relu;
    float activation_slope = 0.0f;  // negative slope of leaky_relu
    bool guide_first = false;       // network input channels are [guide, input] (default [input, guide])
    bool beta_first = false;        // network output channels are [beta, alpha] (default [alpha, beta])
    float input_scale = 1.0f;       // the network sees input_scale * I ...
    float guide_scale = 1.0f;       // ... and guide_scale * G, both on the unit scale
    // valid_range: each input channel is first stretched from the [min, max] of its
    // nonzero pixels to [0, 1], and F mapped back (docs/weights-format.md).
    svlrm::input_normalisation input_normalisation = svlrm::input_normalisation::none;
    svlrm::input_upsampling input_upsampling = svlrm::input_upsampling::bicubic;
    std::vector<std::pair<std::string, std::string>> metadata;  // every key of the file, for display

    static constexpr int format_version = 1;

    // Loads and validates a weights file; throws model_error naming the problem.
    static model load(const std::filesystem::path& path) {
        const std::string where = path.string();
        std::ifstream f(path, std::ios::binary);
        if (!f) throw model_error(where + ": cannot open file");
        f.seekg(0, std::ios::end);
        const std::streamoff size = f.tellg();
        if (size < 0) throw model_error(where + ": cannot read file size");
        // A model is about 1.5 MB; refuse to slurp arbitrarily large files.
        if (static_cast<std::uint64_t>(size) > max_file_bytes)
            throw model_error(where + ": file is " + std::to_string(size) + " bytes, larger than the " +
                              std::to_string(max_file_bytes) + "-byte limit for a model");
        std::vector<unsigned char> bytes(static_cast<std::size_t>(size));
        f.seekg(0);
        if (!f.read(reinterpret_cast<char*>(bytes.data()), size)) throw model_error(where + ": read failed");
        return from_bytes(bytes.data(), bytes.size(), where);
    }

    // Loads from memory (a model embedded in a binary); the bytes are copied out.
    static model load(std::span<const unsigned char> bytes, const std::string& name = "<memory>") {
        return from_bytes(bytes.data(), bytes.size(), name);
    }
    static model load(const void* data, std::size_t size, const std::string& name = "<memory>") {
        return from_bytes(static_cast<const unsigned char*>(data), size, name);
    }

    // Sum of kernel radii: how far (in pixels) an output depends on its input. Tiles
    // need at least this much halo to reproduce the whole-image result.
    int receptive_radius() const {
        int r = 0;
        for (const auto& l : layers) r += l.kernel / 2;
        return r;
    }
    std::size_t parameter_count() const {
        std::size_t n = 0;
        for (const auto& l : layers) n += l.weight.size() + l.bias.size();
        return n;
    }
    int max_channels() const {
        int c = 0;
        for (const auto& l : layers) c = std::max({c, l.in_channels, l.out_channels});
        return c;
    }
    // Multiply-adds of one network evaluation per pixel, times 2: FLOP per pixel.
    double flops_per_pixel() const {
        double f = 0;
        for (const auto& l : layers) f += 2.0 * l.in_channels * l.out_channels * l.kernel * l.kernel;
        return f;
    }
    const std::string* meta(const std::string& key) const {
        for (const auto& kv : metadata)
            if (kv.first == key) return &kv.second;
        return nullptr;
    }

    // Checks the invariants every backend relies on; load() calls it, and so should
    // code that builds a model by hand. Throws model_error.
    void validate(const std::string& where = "svlrm::model") const {
        auto fail = [&](const std::string& what) { throw model_error(where + ": " + what); };
        if (layers.empty()) fail("no layers");
        if (layers.size() > max_layers) fail("more than " + std::to_string(max_layers) + " layers");
        for (std::size_t i = 0; i < layers.size(); ++i) {
            const auto& l = layers[i];
            const std::string n = "layer " + std::to_string(i) + ": ";
            if (l.in_channels < 1 || l.out_channels < 1 || l.in_channels > max_width || l.out_channels > max_width)
                fail(n + "channels must be in 1.." + std::to_string(max_width));
            if (l.kernel < 1 || l.kernel > 15 || l.kernel % 2 == 0) fail(n + "kernel must be odd, 1..15");
            if (i == 0 && l.in_channels != 2) fail(n + "the first layer must take 2 channels (input and guide)");
            if (i + 1 == layers.size() && l.out_channels != 2)
                fail(n + "the last layer must give 2 channels (alpha and beta)");
            if (i > 0 && l.in_channels != layers[i - 1].out_channels)
                fail(n + "takes " + std::to_string(l.in_channels) + " channels but layer " + std::to_string(i - 1) +
                     " gives " + std::to_string(layers[i - 1].out_channels));
            if (l.weight.size() != std::size_t(l.out_channels) * l.in_channels * l.kernel * l.kernel)
                fail(n + "weight size does not match its shape");
            if (l.bias.size() != std::size_t(l.out_channels)) fail(n + "bias size does not match its shape");
            for (float w : l.weight)
                if (!std::isfinite(w)) fail(n + "weight has a non-finite value");
            for (float b : l.bias)
                if (!std::isfinite(b)) fail(n + "bias has a non-finite value");
        }
        if (activation == svlrm::activation::leaky_relu && !(std::isfinite(activation_slope)))
            fail("activation_slope is not finite");
        if (!(input_scale > 0 && std::isfinite(input_scale)) || !(guide_scale > 0 && std::isfinite(guide_scale)))
            fail("input_scale and guide_scale must be positive and finite");
        if (input_normalisation != svlrm::input_normalisation::none &&
            input_normalisation != svlrm::input_normalisation::valid_range)
            fail("input_normalisation is not none or valid_range");
        if (input_upsampling != svlrm::input_upsampling::bicubic && input_upsampling != svlrm::input_upsampling::jbu)
            fail("input_upsampling is not bicubic or jbu");
    }

    static constexpr std::uint64_t max_file_bytes = 1ull << 30;
    static constexpr std::size_t max_layers = 256;
    static constexpr int max_width = 4096;

private:
    static model from_bytes(const unsigned char* bytes, std::size_t size, const std::string& where) {
        const detail::safetensors_file file = detail::parse_safetensors(bytes, size, where);
        auto fail = [&](const std::string& what) -> void { throw model_error(where + ": " + what); };
        auto required = [&](const std::string& key) -> const std::string& {
            const std::string* v = file.meta(key);
            if (!v) fail("__metadata__ lacks the required key \"" + key + "\"");
            return *v;
        };

        model m;
        m.metadata = file.metadata;
        if (required("format") != "svlrm") fail("__metadata__ \"format\" is \"" + *file.meta("format") + "\", not \"svlrm\"");
        const int version = parse_int(required("format_version"), "format_version", where);
        if (version < 1 || version > format_version)
            fail("format_version " + std::to_string(version) + " is not supported (this library reads version " +
                 std::to_string(format_version) + ")");

        const std::string& act = required("activation");
        if (act == "relu") {
            m.activation = svlrm::activation::relu;
        } else if (act == "leaky_relu") {
            m.activation = svlrm::activation::leaky_relu;
            m.activation_slope = parse_float(required("activation_slope"), "activation_slope", where);
        } else {
            fail("__metadata__ \"activation\" is \"" + act + "\"; expected relu or leaky_relu");
        }
        const std::string& in_order = required("input_order");
        if (in_order == "input,guide") m.guide_first = false;
        else if (in_order == "guide,input") m.guide_first = true;
        else fail("__metadata__ \"input_order\" is \"" + in_order + "\"; expected input,guide or guide,input");
        const std::string& out_order = required("output_order");
        if (out_order == "alpha,beta") m.beta_first = false;
        else if (out_order == "beta,alpha") m.beta_first = true;
        else fail("__metadata__ \"output_order\" is \"" + out_order + "\"; expected alpha,beta or beta,alpha");
        if (const auto* s = file.meta("input_scale")) m.input_scale = parse_float(*s, "input_scale", where);
        if (const auto* s = file.meta("guide_scale")) m.guide_scale = parse_float(*s, "guide_scale", where);
        if (const auto* n = file.meta("input_normalisation")) {
            if (*n == "none") m.input_normalisation = svlrm::input_normalisation::none;
            else if (*n == "valid_range") m.input_normalisation = svlrm::input_normalisation::valid_range;
            else fail("__metadata__ \"input_normalisation\" is \"" + *n + "\"; expected none or valid_range");
        }
        if (const auto* u = file.meta("input_upsampling")) {
            if (*u == "bicubic") m.input_upsampling = svlrm::input_upsampling::bicubic;
            else if (*u == "jbu") m.input_upsampling = svlrm::input_upsampling::jbu;
            else fail("__metadata__ \"input_upsampling\" is \"" + *u + "\"; expected bicubic or jbu");
        }
        if (const auto* c = file.meta("guide_color"); c && *c != "bt601")
            fail("__metadata__ \"guide_color\" is \"" + *c + "\"; only bt601 is defined");

        m.layers = parse_layers(required("layers"), where);
        if (file.tensors.size() != 2 * m.layers.size())
            fail("holds " + std::to_string(file.tensors.size()) + " tensors but \"layers\" declares " +
                 std::to_string(m.layers.size()) + " layers (a weight and a bias each)");
        std::vector<detail::tensor_dtype> dtypes;
        for (std::size_t i = 0; i < m.layers.size(); ++i) {
            auto& l = m.layers[i];
            const std::string base = "layers." + std::to_string(i);
            const detail::tensor_entry* w = file.find(base + ".weight");
            const detail::tensor_entry* b = file.find(base + ".bias");
            if (!w) fail("tensor \"" + base + ".weight\" is missing");
            if (!b) fail("tensor \"" + base + ".bias\" is missing");
            const std::vector<std::uint64_t> wshape{std::uint64_t(l.out_channels), std::uint64_t(l.in_channels),
                                                    std::uint64_t(l.kernel), std::uint64_t(l.kernel)};
            if (w->shape != wshape)
                fail("tensor \"" + base + ".weight\" has shape " + shape_text(w->shape) + " but \"layers\" declares " +
                     shape_text(wshape));
            if (b->shape != std::vector<std::uint64_t>{std::uint64_t(l.out_channels)})
                fail("tensor \"" + base + ".bias\" has shape " + shape_text(b->shape) + ", expected [" +
                     std::to_string(l.out_channels) + "]");
            for (const auto* t : {w, b}) {
                if (t->dtype == detail::tensor_dtype::f64)
                    fail("tensor \"" + t->name + "\" is F64; model weights are F32, F16 or BF16");
                if (!dtypes.empty() && dtypes.front() != t->dtype)
                    fail("tensor \"" + t->name + "\" has a different dtype from layers.0.weight");
                dtypes.push_back(t->dtype);
            }
            l.weight.resize(w->elements());
            for (std::uint64_t k = 0; k < w->elements(); ++k) l.weight[k] = float(detail::read_element(*w, k));
            l.bias.resize(b->elements());
            for (std::uint64_t k = 0; k < b->elements(); ++k) l.bias[k] = float(detail::read_element(*b, k));
        }
        m.validate(where);
        return m;
    }

    static std::string shape_text(const std::vector<std::uint64_t>& s) {
        std::string t = "[";
        for (std::size_t i = 0; i < s.size(); ++i) t += (i ? ", " : "") + std::to_string(s[i]);
        return t + "]";
    }

    static int parse_int(const std::string& s, const char* key, const std::string& where) {
        int v = 0;
        const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec != std::errc{} || p != s.data() + s.size())
            throw model_error(where + ": __metadata__ \"" + key + "\" is \"" + s + "\", not an integer");
        return v;
    }
    static float parse_float(const std::string& s, const char* key, const std::string& where) {
        float v = 0;
        const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec != std::errc{} || p != s.data() + s.size() || !std::isfinite(v))
            throw model_error(where + ": __metadata__ \"" + key + "\" is \"" + s + "\", not a finite number");
        return v;
    }

    // "in:out:kernel,in:out:kernel,..."
    static std::vector<conv_layer> parse_layers(const std::string& text, const std::string& where) {
        std::vector<conv_layer> layers;
        std::size_t pos = 0;
        while (pos <= text.size()) {
            const std::size_t comma = std::min(text.find(',', pos), text.size());
            const std::string item = text.substr(pos, comma - pos);
            int v[3] = {0, 0, 0};
            const char* p = item.data();
            const char* end = item.data() + item.size();
            for (int k = 0; k < 3; ++k) {
                const auto r = std::from_chars(p, end, v[k]);
                if (r.ec != std::errc{} || (k < 2 && (r.ptr == end || *r.ptr != ':')) || (k == 2 && r.ptr != end))
                    throw model_error(where + ": __metadata__ \"layers\" entry " + std::to_string(layers.size()) +
                                      " (\"" + item + "\") is not in:out:kernel");
                p = r.ptr + 1;
            }
            if (layers.size() == max_layers)
                throw model_error(where + ": __metadata__ \"layers\" declares more than " + std::to_string(max_layers) + " layers");
            conv_layer l;
            l.in_channels = v[0];
            l.out_channels = v[1];
            l.kernel = v[2];
            if (l.in_channels < 1 || l.out_channels < 1 || l.in_channels > max_width || l.out_channels > max_width ||
                l.kernel < 1 || l.kernel > 15 || l.kernel % 2 == 0)
                throw model_error(where + ": __metadata__ \"layers\" entry " + std::to_string(layers.size()) + " (\"" +
                                  item + "\") is out of range (channels 1.." + std::to_string(max_width) +
                                  ", odd kernel 1..15)");
            layers.push_back(std::move(l));
            pos = comma + 1;
        }
        return layers;
    }
};

}  // namespace svlrm
