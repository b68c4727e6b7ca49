// <svlrm/config.hpp>: the version the headers carry is the package's (CMake reads it
// from that header, so a mismatch means the parse broke); and the macros the headers
// use internally do not reach the code that includes them.
#include <svlrm/svlrm.hpp>

#include <catch2/catch.hpp>

#include <string>

TEST_CASE("config: the headers' version is the package version", "[config]") {
    const std::string v = std::to_string(svlrm::version.major) + "." + std::to_string(svlrm::version.minor) + "." +
                          std::to_string(svlrm::version.patch);
    CHECK(v == SVLRM_PACKAGE_VERSION);
    CHECK(SVLRM_VERSION == svlrm::version.major * 10000 + svlrm::version.minor * 100 + svlrm::version.patch);
}

TEST_CASE("config: svlrm's internal macros are undefined after its headers", "[config]") {
    bool leaked = false;
#if defined(SVLRM_NO_ALIAS) || defined(SVLRM_WIDE_VECTORS) || defined(SVLRM_X86_DISPATCH)
    leaked = true;
#endif
    CHECK_FALSE(leaked);
}
