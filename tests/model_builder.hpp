// Builds safetensors bytes for tests: valid random models, and the pieces from
// which the malformed-file tests assemble their hostile variants.
#pragma once

#include <svlrm/model.hpp>

#include <cstdint>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace svlrm_test {

struct blob_parts {
    std::map<std::string, std::string> metadata;
    std::vector<std::string> tensor_json;  // one "name": {...} entry per tensor, in data order
    std::vector<unsigned char> data;
};

inline std::string layers_text(const svlrm::model& m) {
    std::string t;
    for (const auto& l : m.layers) {
        if (!t.empty()) t += ',';
        t += std::to_string(l.in_channels);
        t += ':';
        t += std::to_string(l.out_channels);
        t += ':';
        t += std::to_string(l.kernel);
    }
    return t;
}

inline blob_parts parts_of(const svlrm::model& m) {
    blob_parts p;
    p.metadata = {{"format", "svlrm"},
                  {"format_version", "1"},
                  {"layers", layers_text(m)},
                  {"activation", m.activation == svlrm::activation::relu ? "relu" : "leaky_relu"},
                  {"input_order", m.guide_first ? "guide,input" : "input,guide"},
                  {"output_order", m.beta_first ? "beta,alpha" : "alpha,beta"}};
    if (m.activation == svlrm::activation::leaky_relu) p.metadata["activation_slope"] = std::to_string(m.activation_slope);
    if (m.input_normalisation != svlrm::input_normalisation::none)
        p.metadata["input_normalisation"] = svlrm::to_string(m.input_normalisation);
    if (m.input_upsampling != svlrm::input_upsampling::bicubic)
        p.metadata["input_upsampling"] = svlrm::to_string(m.input_upsampling);
    auto add = [&](const std::string& name, const std::vector<float>& v, const std::string& shape) {
        const std::size_t begin = p.data.size();
        p.data.resize(begin + v.size() * 4);
        std::memcpy(p.data.data() + begin, v.data(), v.size() * 4);  // x86: little-endian already
        p.tensor_json.push_back("\"" + name + "\":{\"dtype\":\"F32\",\"shape\":" + shape + ",\"data_offsets\":[" +
                                std::to_string(begin) + "," + std::to_string(p.data.size()) + "]}");
    };
    for (std::size_t i = 0; i < m.layers.size(); ++i) {
        const auto& l = m.layers[i];
        const std::string base = "layers." + std::to_string(i);
        add(base + ".weight", l.weight,
            "[" + std::to_string(l.out_channels) + "," + std::to_string(l.in_channels) + "," + std::to_string(l.kernel) +
                "," + std::to_string(l.kernel) + "]");
        add(base + ".bias", l.bias, "[" + std::to_string(l.out_channels) + "]");
    }
    return p;
}

inline std::string header_of(const blob_parts& p) {
    std::string h = "{\"__metadata__\":{";
    bool first = true;
    for (const auto& [k, v] : p.metadata) {
        if (!first) h += ',';
        h.append("\"").append(k).append("\":\"").append(v).append("\"");
        first = false;
    }
    h += '}';
    for (const auto& t : p.tensor_json) h.append(",").append(t);
    h += '}';
    return h;
}

// 8-byte little-endian length, header, data.
inline std::vector<unsigned char> assemble(const std::string& header, const std::vector<unsigned char>& data) {
    std::vector<unsigned char> out(8 + header.size() + data.size());
    const std::uint64_t n = header.size();
    for (int i = 0; i < 8; ++i) out[i] = static_cast<unsigned char>(n >> (8 * i));
    std::copy(header.begin(), header.end(), out.begin() + 8);
    std::copy(data.begin(), data.end(), out.begin() + 8 + std::ptrdiff_t(header.size()));
    return out;
}

inline std::vector<unsigned char> to_bytes(const svlrm::model& m) {
    const blob_parts p = parts_of(m);
    return assemble(header_of(p), p.data);
}

// A random model with Kaiming-like weights so that activations stay of order one.
inline svlrm::model random_model(const std::vector<int>& channels, int kernel, svlrm::activation act, unsigned seed,
                                 float slope = 0.1f) {
    svlrm::model m;
    m.activation = act;
    m.activation_slope = act == svlrm::activation::leaky_relu ? slope : 0.0f;
    std::mt19937 rng(seed);
    for (std::size_t i = 0; i + 1 < channels.size(); ++i) {
        svlrm::conv_layer l;
        l.in_channels = channels[i];
        l.out_channels = channels[i + 1];
        l.kernel = kernel;
        const float std_dev = std::sqrt(2.0f / float(l.in_channels * kernel * kernel));
        std::normal_distribution<float> nd(0.0f, std_dev);
        l.weight.resize(std::size_t(l.out_channels) * l.in_channels * kernel * kernel);
        for (auto& w : l.weight) w = nd(rng);
        std::uniform_real_distribution<float> ub(-0.1f, 0.1f);
        l.bias.resize(l.out_channels);
        for (auto& b : l.bias) b = ub(rng);
        m.layers.push_back(std::move(l));
    }
    return m;
}

// The paper's network: 12 layers of 3x3, 64 wide, (input, guide) in, (alpha, beta) out.
// Seed 2019 is the benchmarks' model (docs/benchmarks.md).
inline svlrm::model paper_model(unsigned seed, svlrm::activation act = svlrm::activation::relu) {
    std::vector<int> channels{2};
    for (int i = 0; i < 11; ++i) channels.push_back(64);
    channels.push_back(2);
    return random_model(channels, 3, act, seed);
}

}  // namespace svlrm_test
