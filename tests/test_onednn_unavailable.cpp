// The unavailable-mode paths of the oneDNN backend. This machine has every mode, so
// this program caps oneDNN at AVX2 before its first use (dnnl::set_max_cpu_isa works
// only then, hence a program of its own): AVX2 has neither Winograd nor native bf16.
#include <svlrm/backend/onednn.hpp>

#include "model_builder.hpp"

#include <catch2/catch.hpp>

using svlrm::backend::precision;

namespace {

const bool capped = [] {
    dnnl::set_max_cpu_isa(dnnl::cpu_isa::avx2);
    return true;
}();

svlrm::model tiny_model() { return svlrm_test::random_model({2, 16, 16, 2}, 3, svlrm::activation::relu, 1); }

}  // namespace

TEST_CASE("onednn: a mode the CPU lacks throws unless fallback is allowed", "[onednn][errors]") {
    REQUIRE(capped);
    const auto modes = svlrm::backend::available_precisions();
    REQUIRE(modes == std::vector<precision>{precision::exact});

    svlrm::backend::onednn_options o;
    o.mode = precision::bf16;
    REQUIRE_THROWS_AS(svlrm::backend::onednn(tiny_model(), o), svlrm::unavailable_error);
    REQUIRE_THROWS_WITH(svlrm::backend::onednn(tiny_model(), o),
                        Catch::Contains("precision bf16 is not available") && Catch::Contains("allow_fallback"));
    o.mode = precision::fast;
    REQUIRE_THROWS_WITH(svlrm::backend::onednn(tiny_model(), o), Catch::Contains("no Winograd"));

    o.mode = precision::automatic;  // never an error: exact is always there
    CHECK(svlrm::backend::onednn(tiny_model(), o).effective_precision() == precision::exact);

    o.allow_fallback = true;
    for (precision p : {precision::fast, precision::bf16}) {
        o.mode = p;
        const svlrm::backend::onednn b(tiny_model(), o);
        CHECK(b.effective_precision() == precision::exact);
        CHECK_THAT(b.describe(8, 8), Catch::Contains(std::string("fallback from ") + svlrm::backend::to_string(p)));
    }
}
