// libFuzzer target: svlrm::model::load on arbitrary bytes. The only acceptable
// outcome for bad input is svlrm::model_error; anything else (another exception,
// a crash, a sanitizer report, a hang) is a finding.
#include <svlrm/model.hpp>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        const svlrm::model m = svlrm::model::load(data, size, "fuzz");
        // A model that loads must be usable: these walk every layer.
        if (m.parameter_count() == 0 || m.receptive_radius() < 0) __builtin_trap();
    } catch (const svlrm::model_error&) {
    }
    return 0;
}
