// PyTorch -> tools/export.py -> svlrm::model::load -> inference, end to end: a
// public-style checkpoint (DataParallel "module." prefix, its own layer names) and a
// scrambled one converted with --map, both compared with PyTorch in float64.
#include <svlrm/backend/reference.hpp>
#include <svlrm/joint_filter.hpp>

#include "fixture_reader.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>

TEST_CASE("a PyTorch checkpoint exported by tools/export.py runs in C++ with PyTorch's numbers", "[export][pytorch]") {
    const auto dir = std::filesystem::temp_directory_path() / "svlrm_export_roundtrip";
    std::filesystem::remove_all(dir);
    const std::string cmd = svlrm_test::python_module("tools.tests.roundtrip_case") + " " + dir.string();
    REQUIRE(std::system(cmd.c_str()) == 0);

    for (const std::string prefix : {"", "mapped_"}) {
        const svlrm::model m = svlrm::model::load(dir / (prefix + "model.safetensors"));
        const auto c = svlrm_test::read_fixture_case(dir / (prefix + "case.safetensors"));
        long w = 0, h = 0;
        const auto input = c.plane("input", w, h), guide = c.plane("guide", w, h);
        const auto alpha = c.plane("alpha", w, h), beta = c.plane("beta", w, h), output = c.plane("output", w, h);
        const std::vector<float> fin(input.begin(), input.end()), fg(guide.begin(), guide.end());
        svlrm::image<float> out(w, h), a(w, h), b(w, h);
        svlrm::joint_filter<svlrm::backend::reference>(m).apply(svlrm::image_view<const float>{fg.data(), w, h, 1, w},
                                                                svlrm::image_view<const float>{fin.data(), w, h, 1, w},
                                                                out.view(), a.view(), b.view());
        INFO(prefix << "model, " << w << "x" << h);
        CHECK(svlrm_test::rel_l2(a.data(), alpha.data(), alpha.size()) <= 1e-5);
        CHECK(svlrm_test::rel_l2(b.data(), beta.data(), beta.size()) <= 1e-5);
        CHECK(svlrm_test::rel_l2(out.data(), output.data(), output.size()) <= 1e-5);
    }
    std::filesystem::remove_all(dir);
}
