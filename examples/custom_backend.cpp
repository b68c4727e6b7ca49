// A backend of your own: the skeleton that satisfies svlrm::backend::coefficient_backend
// (docs/backends.md). This one delegates to the reference backend and counts calls;
// a real one would run the network on its own hardware or library.
#include <svlrm/svlrm.hpp>

#include <atomic>
#include <cstdio>
#include <memory>
#include <vector>

struct counting_options {
    bool verbose = false;
};

class counting_backend {
public:
    using options = counting_options;
    static constexpr std::string_view name = "counting";

    counting_backend(const svlrm::model& m, const options& o) : inner_(m), options_(o) {}

    // Must be const and safe to call from several threads at once.
    void infer(const svlrm::backend::network_input& in, const svlrm::backend::network_output& out) const {
        calls_->fetch_add(1);
        if (options_.verbose) std::printf("infer %td x %td\n", in.width, in.height);
        inner_.infer(in, out);
    }
    long calls() const { return calls_->load(); }

private:
    svlrm::backend::reference inner_;
    options options_;
    std::shared_ptr<std::atomic<long>> calls_ = std::make_shared<std::atomic<long>>(0);
};

static_assert(svlrm::backend::coefficient_backend<counting_backend>);

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
