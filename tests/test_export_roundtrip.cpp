// PyTorch -> tools/export.py -> svlrm::model::load -> inference, end to end: a
// public-style checkpoint (DataParallel "module." prefix, its own layer names) and a
// scrambled one converted with --map, both compared with PyTorch in float64.
#include <svlrm/backend/reference.hpp>
#include <svlrm/detail/safetensors.hpp>
#include <svlrm/joint_filter.hpp>

#include "support.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace {

std::vector<double> tensor(const svlrm::detail::safetensors_file& f, const std::string& name, long& w, long& h) {
    const auto* t = f.find(name);
    REQUIRE(t != nullptr);
    REQUIRE(t->shape.size() == 2);
    h = long(t->shape[0]);
    w = long(t->shape[1]);
    std::vector<double> v(t->elements());
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = svlrm::detail::read_element(*t, i);
    return v;
}

}  // namespace

TEST_CASE("a PyTorch checkpoint exported by tools/export.py runs in C++ with PyTorch's numbers", "[export][pytorch]") {
    const auto dir = std::filesystem::temp_directory_path() / "svlrm_export_roundtrip";
    std::filesystem::remove_all(dir);
    const std::string cmd = std::string(SVLRM_PYTHON) + " " + (svlrm_test::source_dir() / "tools/tests/roundtrip_case.py").string() +
                            " " + dir.string();
    REQUIRE(std::system(cmd.c_str()) == 0);

    for (const std::string prefix : {"", "mapped_"}) {
        const svlrm::model m = svlrm::model::load(dir / (prefix + "model.safetensors"));
        std::ifstream f(dir / (prefix + "case.safetensors"), std::ios::binary);
        const std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(f)), {});
        const auto file = svlrm::detail::parse_safetensors(bytes.data(), bytes.size(), prefix + "case");
        long w = 0, h = 0;
        const auto input = tensor(file, "input", w, h), guide = tensor(file, "guide", w, h);
        const auto alpha = tensor(file, "alpha", w, h), beta = tensor(file, "beta", w, h), output = tensor(file, "output", w, h);
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
