// Running a backend of your own (custom_backend.hpp) through joint_filter: tiles,
// composition and validation come from the library.
#include "custom_backend.hpp"

#include <cstdio>
#include <vector>

int main() {
    // A tiny random model built in code: 2 -> 4 -> 2 channels, 3x3 kernels.
    svlrm::model m;
    for (auto [in, out] : {std::pair{2, 4}, std::pair{4, 2}}) {
        svlrm::conv_layer l;
        l.in_channels = in;
        l.out_channels = out;
        l.kernel = 3;
        l.weight.assign(std::size_t(in * out * 9), 0.05f);
        l.bias.assign(std::size_t(out), 0.01f);
        m.layers.push_back(l);
    }
    svlrm::filter_options tiles;
    tiles.tile_size = 16;
    const svlrm::joint_filter<counting_backend> filter(m, {/*verbose=*/true}, tiles);

    std::vector<float> guide(40 * 30, 0.5f), input(40 * 30, 0.25f), output(40 * 30);
    filter.apply(svlrm::image_view<const float>{guide.data(), 40, 30, 1, 40},
                 svlrm::image_view<const float>{input.data(), 40, 30, 1, 40},
                 svlrm::image_view<float>{output.data(), 40, 30, 1, 40});
    std::printf("%ld tiles, F(0,0) = %.4f\n", filter.backend().calls(), double(output[0]));
    return filter.backend().calls() == 6 ? 0 : 1;
}
