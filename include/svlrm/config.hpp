// svlrm's version, written here once: CMakeLists.txt reads it for the package version
// (find_package(svlrm 0.1)), and programs can test it at compile time.
#pragma once

#define SVLRM_VERSION_MAJOR 0
#define SVLRM_VERSION_MINOR 1
#define SVLRM_VERSION_PATCH 0
// One comparable number: 0.1.0 is 100, 1.2.3 would be 10203.
#define SVLRM_VERSION (SVLRM_VERSION_MAJOR * 10000 + SVLRM_VERSION_MINOR * 100 + SVLRM_VERSION_PATCH)

namespace svlrm {

struct version_info {
    int major, minor, patch;
};
inline constexpr version_info version{SVLRM_VERSION_MAJOR, SVLRM_VERSION_MINOR, SVLRM_VERSION_PATCH};

}  // namespace svlrm
