// The output files of one run. Nothing is written until every result has been
// computed, and then all files of the run appear together or not at all: each is
// written (atomically, by image_io) under a temporary name in its own folder, and
// only when all of them have been written are they renamed into place. A failure
// removes the temporary files, so a failed run leaves no output behind.
#pragma once

#include "arguments.hpp"
#include "image_io.hpp"

#include <svlrm/image.hpp>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace svlrm_cli {

namespace fs = std::filesystem;

inline bool writable_extension(const std::string& ext) { return ext == ".png" || ext == ".pfm" || ext == ".npy"; }
// Read only (image_io.hpp): BMP, JPEG, TIFF, EXR; batch mode writes them as PNG (EXR,
// which holds floats, as PFM).
inline bool read_only_extension(const std::string& ext) {
    return ext == ".bmp" || ext == ".jpg" || ext == ".jpeg" || ext == ".tif" || ext == ".tiff" || ext == ".exr";
}
inline bool readable_extension(const std::string& ext) { return writable_extension(ext) || read_only_extension(ext); }

// A usage error unless the output format (chosen by extension) can be written.
inline void check_output_path(const fs::path& p) {
    const std::string e = svlrm_tools::lower_ext(p);
    if (!writable_extension(e))
        throw usage_error(p.string() + ": unsupported output format '" + e + "' (png, pfm, npy)");
}

// PNG bit depth: --bits, else that of the input (8 stays 8; 16-bit and float inputs give 16).
inline int png_bits(const arguments& args, int input_bits) {
    if (const auto b = args.choice("bits", {"8", "16"})) return *b == "8" ? 8 : 16;
    return input_bits == 8 ? 8 : 16;
}

class output_set {
public:
    void add(fs::path path, svlrm::image<float> pixels, int bits = 8) {
        files_.push_back({std::move(path), std::move(pixels), bits});
    }

    void commit() {
        for (const auto& f : files_) {
            const fs::path dir = f.path.parent_path().empty() ? fs::path(".") : f.path.parent_path();
            if (!fs::is_directory(dir))
                throw std::runtime_error(f.path.string() + ": cannot create file (no folder " + dir.string() + ")");
        }
        std::vector<fs::path> temporary;
        try {
            for (const auto& f : files_) {
                // Same extension, so that image_io picks the same format.
                const fs::path tmp = f.path.parent_path() / (".svlrm-partial-" + f.path.filename().string());
                temporary.push_back(tmp);
                svlrm_tools::write_image(tmp, f.pixels.view(), f.bits);
            }
            for (std::size_t i = 0; i < files_.size(); ++i) fs::rename(temporary[i], files_[i].path);
        } catch (...) {
            std::error_code ignored;
            for (const auto& t : temporary) fs::remove(t, ignored);
            throw;
        }
        files_.clear();
    }

private:
    struct file {
        fs::path path;
        svlrm::image<float> pixels;
        int bits;
    };
    std::vector<file> files_;
};

}  // namespace svlrm_cli
