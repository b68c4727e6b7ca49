// Where svlrm's programs find the bundled models (models/<name>.safetensors) when the
// user names none: the CLI's defaults and the demo's rows.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace svlrm_tools {

// The source tree's models/ (compiled in: a build tree runs from there) and, once
// installed, <prefix>/<datadir>/svlrm/models beside the running executable's bin/.
inline std::vector<std::filesystem::path> bundled_model_dirs() {
    std::vector<std::filesystem::path> dirs{std::filesystem::path(SVLRM_MODELS_DIR)};
    std::error_code ec;
    const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) dirs.push_back(exe.parent_path().parent_path() / SVLRM_INSTALL_DATADIR / "svlrm" / "models");
    return dirs;
}

// The first <name>.safetensors in bundled_model_dirs(), if any.
inline std::optional<std::filesystem::path> find_bundled_model(const std::string& name) {
    for (const auto& d : bundled_model_dirs())
        if (std::filesystem::exists(d / (name + ".safetensors"))) return d / (name + ".safetensors");
    return std::nullopt;
}

// "no bundled model <name>.safetensors (searched A, B)": what to say when there is none.
inline std::string missing_bundled_model(const std::string& name) {
    std::string searched;
    for (const auto& d : bundled_model_dirs()) searched += (searched.empty() ? "" : ", ") + d.string();
    return "no bundled model " + name + ".safetensors (searched " + searched + ")";
}

// A model a user names: a file, or else the name of a bundled model ("depth_sr").
inline std::filesystem::path model_path(const std::string& name) {
    if (std::filesystem::exists(name)) return name;
    const std::filesystem::path p(name);
    if (!p.has_parent_path() && !p.has_extension())
        if (const auto bundled = find_bundled_model(name)) return *bundled;
    return name;  // the loader says what is missing
}

}  // namespace svlrm_tools
