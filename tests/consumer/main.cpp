// Compiles against the public headers only, as a user's program would.
#include <svlrm/svlrm.hpp>
#ifdef CONSUMER_HAS_ONEDNN
#include <svlrm/backend/onednn.hpp>
#endif

#include <cstdio>
#include <vector>

int main() {
    const int w = 32, h = 24;
    std::vector<float> guide(w * h), input(w * h), out(w * h);
    for (int i = 0; i < w * h; ++i) {
        guide[i] = float(i % w) / w;
        input[i] = float(i / w) / h;
    }
    svlrm::image_view<const float> g{guide.data(), w, h, 1, w};
    svlrm::image_view<const float> in{input.data(), w, h, 1, w};
    svlrm::image_view<float> o{out.data(), w, h, 1, w};
    svlrm::guided_filter(g, in, o, 2, 1e-2);
    svlrm::hand_crafted_filter(g, in, o, 0.1, 0.1);
    std::printf("consumer ok: F(0,0) = %f\n", double(out[0]));
    return 0;
}
