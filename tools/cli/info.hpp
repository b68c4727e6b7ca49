// `svlrm info`: what a model file holds.
#pragma once

#include "arguments.hpp"
#include "bundled_models.hpp"
#include "commands.hpp"

#include <svlrm/model.hpp>

#include <cstdio>
#include <string>

namespace svlrm_cli {

inline int run_info(const arguments& args) {
    if (args.positional().size() != 1)
        throw usage_error("expected 1 argument (MODEL), got " + std::to_string(args.positional().size()) +
                          " (see --help)");
    const std::string path = args.positional()[0];
    const std::filesystem::path file = svlrm_tools::model_path(path);
    const svlrm::model m = svlrm::model::load(file);
    std::printf("model:            %s\n", file.string().c_str());
    std::printf("activation:       %s", m.activation == svlrm::activation::relu ? "relu" : "leaky_relu");
    if (m.activation == svlrm::activation::leaky_relu) std::printf(" (negative slope %g)", double(m.activation_slope));
    std::printf("\ninput order:      %s\n", m.guide_first ? "guide, input" : "input, guide");
    std::printf("output order:     %s\n", m.beta_first ? "beta, alpha" : "alpha, beta");
    std::printf("scales:           input x %g, guide x %g\n", double(m.input_scale), double(m.guide_scale));
    std::printf("normalisation:    %s\n",
                m.input_normalisation == svlrm::input_normalisation::valid_range
                    ? "valid_range (each input channel stretched from the range of its nonzero pixels to [0, 1])"
                    : "none");
    std::printf("input upsampling: %s\n",
                m.input_upsampling == svlrm::input_upsampling::jbu
                    ? "jbu (depth upsampling starts from joint bilateral upsampling on the colour guide)"
                    : "bicubic (depth upsampling starts from bicubic upsampling)");
    std::printf("layers:           %zu\n", m.layers.size());
    for (std::size_t i = 0; i < m.layers.size(); ++i) {
        const auto& l = m.layers[i];
        std::printf("  %3zu  %4d -> %-4d %dx%d  %zu parameters\n", i, l.in_channels, l.out_channels, l.kernel, l.kernel,
                    l.weight.size() + l.bias.size());
    }
    std::printf("parameters:       %zu\n", m.parameter_count());
    std::printf("receptive radius: %d pixels (each output sees a %dx%d window)\n", m.receptive_radius(),
                2 * m.receptive_radius() + 1, 2 * m.receptive_radius() + 1);
    std::printf("FLOP per pixel:   %.0f\n", m.flops_per_pixel());
    std::printf("metadata:\n");
    for (const auto& [k, v] : m.metadata) {
        const std::string shown = v.size() > 100 ? v.substr(0, 97) + "..." : v;
        std::printf("  %s: %s\n", k.c_str(), shown.c_str());
    }
    return 0;
}

inline command info_command() {
    return {"info", "print a model file's metadata, layers, parameter count, receptive radius", "svlrm info MODEL",
            "Loads MODEL (a .safetensors file, docs/weights-format.md, or the name of a bundled model: depth_sr, "
            "depth_sr_sensor, depth_restore, image_denoise, flash_deblur), validates it and prints what it holds.", {}, run_info};
}

}  // namespace svlrm_cli
