// The README's example: filter raw buffers with the guided filter, the hand-crafted
// prior of Eq. 12 and, given a model file, the SVLRM network.
//   minimal [model.safetensors]
#include <svlrm/backends.hpp>
#include <svlrm/svlrm.hpp>

#include <cmath>
#include <cstdio>
#include <vector>

int main(int argc, char** argv) {
    const int width = 64, height = 48;
    std::vector<float> guide(width * height), input(width * height), output(width * height);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            guide[y * width + x] = x < width / 2 ? 0.2f : 0.8f;                           // an edge
            input[y * width + x] = guide[y * width + x] + 0.05f * std::sin(float(x * y));  // noisy target
        }

    // Views over raw buffers: {data, width, height, channels, row stride in elements}.
    svlrm::image_view<const float> g{guide.data(), width, height, 1, width};
    svlrm::image_view<const float> in{input.data(), width, height, 1, width};
    svlrm::image_view<float> out{output.data(), width, height, 1, width};

    svlrm::guided_filter(g, in, out, /*radius=*/4, /*eps=*/1e-3);
    std::printf("guided filter:      F(10,10) = %.4f\n", double(output[10 * width + 10]));

    svlrm::hand_crafted_filter(g, in, out, /*mu=*/0.1, /*eta=*/0.1);
    std::printf("hand-crafted Eq.12: F(10,10) = %.4f\n", double(output[10 * width + 10]));

    if (argc > 1) {
        const svlrm::model m = svlrm::model::load(argv[1]);
        const svlrm::joint_filter<svlrm::backend::reference> filter(m);
        filter.apply(g, in, out);  // F = alpha * G + beta
        std::printf("SVLRM network:      F(10,10) = %.4f\n", double(output[10 * width + 10]));

        // The fastest backend this build and machine have, in its fastest mode within
        // 1e-5 of exact ("exact" for bit-reproducible results).
        const svlrm::any_joint_filter fast = svlrm::make_joint_filter("auto", m);
        fast.apply(g, in, out);
        std::printf("SVLRM on %s: F(10,10) = %.4f\n", fast.description().c_str(), double(output[10 * width + 10]));
    }
    return 0;
}
