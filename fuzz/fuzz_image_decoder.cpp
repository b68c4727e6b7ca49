// libFuzzer target for one image decoder of the programs (tools/common/image_io.hpp),
// chosen at compile time with SVLRM_FUZZ_FORMAT = png | pfm | npy | bmp | jpeg | tiff | exr. Bad files
// must end in svlrm_tools::io_error; anything else is a finding.
#include "image_io.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

#define SVLRM_CAT2(a, b) a##b
#define SVLRM_CAT(a, b) SVLRM_CAT2(a, b)

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::vector<unsigned char> bytes(data, data + size);
    try {
        const svlrm_tools::loaded_image img = SVLRM_CAT(svlrm_tools::decode_, SVLRM_FUZZ_FORMAT)(bytes, "fuzz");
        // Touch every pixel so that a wrong size would be read out of bounds.
        volatile float sum = 0;
        for (long i = 0; i < img.pixels.width() * img.pixels.height() * img.pixels.channels(); ++i) sum = sum + img.pixels.data()[i];
    } catch (const svlrm_tools::io_error&) {
    }
    return 0;
}
