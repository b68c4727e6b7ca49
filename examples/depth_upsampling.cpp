// Depth upsampling from files: a low-resolution depth map and a high-resolution RGB
// guide in, the SVLRM result out (the `svlrm upsample` command in a few lines).
//   depth_upsampling LOWRES_DEPTH GUIDE OUTPUT [MODEL]
// MODEL defaults to the bundled models/depth_sr.safetensors. Images: PNG (8/16-bit),
// PFM, NPY; the output format follows OUTPUT's extension.
#include <svlrm/backends.hpp>
#include <svlrm/svlrm.hpp>

#include "image_io.hpp"

#include <cstdio>
#include <filesystem>
#include <string>

int main(int argc, char** argv) try {
    if (argc < 4 || argc > 5) {
        std::fprintf(stderr, "usage: depth_upsampling LOWRES_DEPTH GUIDE OUTPUT [MODEL]\n");
        return 2;
    }
    const auto low = svlrm_tools::read_image(argv[1]);
    const auto guide = svlrm_tools::read_image(argv[2]);
    const std::filesystem::path model_path =
        argc == 5 ? std::filesystem::path(argv[4]) : std::filesystem::path(SVLRM_MODELS_DIR) / "depth_sr.safetensors";

    // Step 1: the low-resolution depth at the guide's size, upsampled as the model was
    // trained (its input_upsampling: bicubic or joint bilateral); the network refines it.
    const svlrm::model model = svlrm::model::load(model_path);
    const long w = guide.pixels.width(), h = guide.pixels.height();
    svlrm::image<float> upsampled(w, h, low.pixels.channels());
    svlrm::upsample_input(model, guide.pixels.view(), low.pixels.view(), upsampled.view());

    // Step 2: F = alpha(G, I) * G + beta(G, I) with the trained coefficient network, on
    // the fastest backend this build and machine have, in its fastest mode within 1e-5 of exact.
    const svlrm::any_joint_filter filter = svlrm::make_joint_filter("auto", model);
    svlrm::image<float> out(w, h, low.pixels.channels());
    filter.apply(guide.pixels.view(), upsampled.view(), out.view());

    svlrm_tools::write_image(argv[3], out.view(), low.bits == 8 ? 8 : 16);  // keep 16-bit depth 16-bit
    std::printf("%ldx%ld -> %ldx%ld with %s on %s: %s\n", long(low.pixels.width()), long(low.pixels.height()), w, h,
                model_path.filename().string().c_str(), filter.description().c_str(), argv[3]);
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "depth_upsampling: %s\n", e.what());
    return 1;
}
