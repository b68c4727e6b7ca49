// Reads the golden-fixture case files (tests/fixtures/*_case*.safetensors, made by
// tools/make_fixtures.py): F64 [H, W] tensors input, guide, alpha, beta, output.
#pragma once

#include <svlrm/detail/safetensors.hpp>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace svlrm_test {

struct fixture_case {
    std::vector<unsigned char> bytes;  // the parsed entries point into these
    svlrm::detail::safetensors_file file;

    // Tensor `name` as doubles; sets w and h from its [H, W] shape.
    std::vector<double> plane(const std::string& name, long& w, long& h) const {
        const auto* t = file.find(name);
        REQUIRE(t != nullptr);
        REQUIRE(t->shape.size() == 2);
        h = long(t->shape[0]);
        w = long(t->shape[1]);
        std::vector<double> v(t->elements());
        for (std::size_t i = 0; i < v.size(); ++i) v[i] = svlrm::detail::read_element(*t, i);
        return v;
    }
};

inline fixture_case read_fixture_case(const std::filesystem::path& p) {
    fixture_case c;
    std::ifstream f(p, std::ios::binary);
    c.bytes.assign(std::istreambuf_iterator<char>(f), {});
    c.file = svlrm::detail::parse_safetensors(c.bytes.data(), c.bytes.size(), p.string());
    return c;
}

}  // namespace svlrm_test
