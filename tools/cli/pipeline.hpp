// The shared flow of the filtering subcommands: read the input (and the guide),
// check the sizes, fill missing depth, filter, write the result (and the coefficient
// maps) - for one file, or for every image of a folder (batch mode).
#pragma once

#include "arguments.hpp"
#include "colormap.hpp"
#include "image_io.hpp"
#include "luma.hpp"
#include "outputs.hpp"
#include "progress.hpp"

#include <svlrm/svlrm.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace svlrm_cli {

namespace fs = std::filesystem;

// What a subcommand's inputs are.
struct task {
    bool guided = true;        // takes a GUIDE argument (false: the input guides itself, G = I)
    bool upsamples = false;    // the input is smaller than the guide by an integer factor
    bool depth = false;        // the input is a depth map: an RGB file (grey stored as RGB) becomes one channel
    bool coefficients = false; // --save-coefficients writes alpha and beta
};

struct filter_result {
    svlrm::image<float> out, alpha, beta;  // alpha, beta empty when the method has none
};

// input (filled, reduced), guide, scale (1 unless upsampling) -> result
using filter_fn = std::function<filter_result(const svlrm::image<float>&, const svlrm::image<float>&, int)>;

// Which input values mean "no measurement": --missing, else 0 for depth (as every sensor
// writes it) and nothing for images.
inline svlrm::missing_values missing_policy(const arguments& args, bool depth) {
    if (args.has("missing-zero")) return svlrm::missing_values::zero;
    if (const auto m = args.choice("missing", {"zero", "nan", "none"})) return svlrm::parse_missing(*m, "--missing");
    return depth ? svlrm::missing_values::zero : svlrm::missing_values::none;
}

// The same file, whether or not `out` exists yet (a different spelling of one path included).
inline bool same_file(const fs::path& a, const fs::path& b) {
    std::error_code e;
    if (fs::exists(a, e) && fs::exists(b, e)) return fs::equivalent(a, b, e);
    return fs::weakly_canonical(a, e) == fs::weakly_canonical(b, e);
}

// Refuses writing over an input: the output would destroy it (and batch mode would read
// its own outputs back).
inline void check_not_input(const fs::path& out, const fs::path& in, const char* role) {
    if (!in.empty() && same_file(out, in))
        throw usage_error("the output " + out.string() + " is the " + role + " " + in.string() +
                          "; writing it would destroy the " + role + " (give another output path)");
}

// Depth keeps its units (docs/cli.md, "Units"): integer depth (16-bit millimetres, 8-bit
// levels) comes out in the same integers, as a PNG of the input's bit depth or as floats
// holding those integers (.pfm, .npy); float depth (metres, disparity) comes out as the same
// floats. Where a format cannot hold them the run is refused before any work, never
// clipped: float depth into a PNG (values above 1 would clip; --depth-scale S writes
// depth x S), 16-bit depth into 8 bits. Returns the factor from the unit scale the
// library works on to the output file's values.
inline float depth_output_scale(const arguments& args, int input_bits, int png_bits, const fs::path& in,
                                const fs::path& out) {
    const bool png = svlrm_tools::lower_ext(out) == ".png";
    const auto scale = args.has("depth-scale") ? std::optional<double>(args.number("depth-scale", 1.0, 0.0, 1e9, true))
                                               : std::nullopt;
    if (scale && (!png || input_bits != 32))
        throw usage_error("--depth-scale is for float depth written to a PNG; " + in.string() + " is " +
                          (input_bits == 32 ? "float" : std::to_string(input_bits) + "-bit") + " and the output " +
                          out.string() + (png ? " a PNG" : " is not a PNG"));
    if (!png) return input_bits == 32 ? 1.0f : float((1 << input_bits) - 1);
    if (input_bits == 32 && !scale)
        throw usage_error(in.string() + " holds float depth (metres, disparity...), which a PNG of integers would "
                          "clip and change the unit of: write " + out.stem().string() + ".pfm or .npy, or give "
                          "--depth-scale S to write depth x S (1000: metres as millimetres)");
    if (input_bits == 16 && png_bits == 8)
        throw usage_error("--bits 8 would keep 256 levels of the 16-bit depth in " + in.string() +
                          "; write a 16-bit PNG, .pfm or .npy");
    if (input_bits == 8 && png_bits == 16)
        throw usage_error("--bits 16 would change the unit of the 8-bit depth in " + in.string() +
                          " (level v becomes 257 v); write an 8-bit PNG, .pfm or .npy");
    return scale ? float(*scale / 65535.0) : 1.0f;  // PNG: the unit scale is the file's own
}

inline bool batch_mode(const arguments& args) {
    return !args.positional().empty() && fs::is_directory(args.positional().front());
}

// Whether the progress bar may draw: not --quiet, and stderr a terminal or --progress.
inline bool progress_wanted(const arguments& args) {
    return !args.has("quiet") && (args.has("progress") || isatty_stderr());
}

inline std::string size_text(const svlrm::image<float>& v) {
    return std::to_string(v.width()) + "x" + std::to_string(v.height());
}

// The upsampling factor: 1 when not upsampling, the integer s when the guide decimates to
// the input by s (floor(W/s) x floor(H/s)), 0 for any other ratio (each axis its own
// real factor: include/svlrm/jbu.hpp); a runtime error when the sizes do not fit.
inline int check_sizes(const task& t, const arguments& args, const svlrm::image<float>& in, const fs::path& in_path,
                       const svlrm::image<float>& guide, const fs::path& guide_path) {
    const std::string sizes = "input " + in_path.string() + " is " + size_text(in) + " but guide " +
                              guide_path.string() + " is " + size_text(guide);
    if (!t.upsamples) {
        if (in.width() != guide.width() || in.height() != guide.height())
            throw std::runtime_error(sizes + "; they must be the same size");
        return 1;
    }
    const long s = args.has("scale") ? args.integer("scale", 1, 1, 64) : guide.width() / in.width();
    if (s >= 1 && guide.width() / s == in.width() && guide.height() / s == in.height()) return int(s);
    if (args.has("scale"))
        throw std::runtime_error(sizes + "; with --scale " + std::to_string(s) +
                                 " the input must be floor(W/s) x floor(H/s) = " + std::to_string(guide.width() / s) +
                                 "x" + std::to_string(guide.height() / s) + " (leave --scale out for any other ratio)");
    if (in.width() > guide.width() || in.height() > guide.height())
        throw std::runtime_error(sizes + "; the input must not be larger than the guide");
    return 0;
}

class pipeline {
public:
    pipeline(const arguments& args, const task& t, progress_bar& bar) : args_(args), task_(t), bar_(bar) {
        const std::size_t want = t.guided ? 3 : 2;
        if (args.positional().size() != want)
            throw usage_error("expected " + std::to_string(want) + " arguments (" +
                              (t.guided ? "INPUT GUIDE OUTPUT" : "INPUT OUTPUT") + "), got " +
                              std::to_string(args.positional().size()) + " (see --help)");
        png_bits(args, 8);  // option errors before any work
        if (args.has("scale")) args.integer("scale", 1, 1, 64);
        missing_ = missing_policy(args, t.depth);
        keep_holes_ = args.choice("holes", {"fill", "keep"}).value_or("fill") == "keep";
        if (t.coefficients && args.has("save-coefficients")) args.text("save-coefficients");
        format_ = args.choice("format", {"png", "pfm", "npy"});
    }

    // Runs `f` on the single file or on the whole folder; returns the exit code.
    int run(const filter_fn& f) {
        const auto& p = args_.positional();
        const fs::path input = p.front(), output = p.back(), guide = task_.guided ? fs::path(p[1]) : fs::path();
        const auto prefix = task_.coefficients ? args_.text("save-coefficients") : std::nullopt;
        if (!fs::is_directory(input)) {
            if (fs::is_directory(output))
                throw usage_error(output.string() + " is a folder but " + input.string() +
                                  " is not (batch mode needs both to be folders)");
            if (task_.guided && fs::is_directory(guide))
                throw usage_error(guide.string() + " is a folder but " + input.string() + " is not");
            check_output_path(output);
            check_not_input(output, input, "input");
            if (task_.guided) check_not_input(output, guide, "guide");
            one(input, guide, output, prefix ? std::optional<std::string>(*prefix) : std::nullopt, f);
            if (!args_.has("quiet")) std::printf("svlrm: wrote %s\n", output.string().c_str());
            return 0;
        }
        return batch(input, guide, output, prefix, f);
    }

private:
    const arguments& args_;
    task task_;
    progress_bar& bar_;
    std::optional<std::string> format_;
    svlrm::missing_values missing_ = svlrm::missing_values::none;
    bool keep_holes_ = false;

    float hole() const {
        return missing_ == svlrm::missing_values::nan ? std::numeric_limits<float>::quiet_NaN() : 0.0f;
    }

    // --holes keep: the output pixels whose input pixel (for upsampling, the nearest
    // low-resolution sample: q = round((p + 1) / s - 1), the point decimation's grid)
    // had no measurement get the missing value back.
    void mark_holes(const svlrm::image<float>& in, svlrm::image<float>& out) const {
        const float hole = this->hole();
        const auto nearest = [](std::ptrdiff_t p, std::ptrdiff_t n, std::ptrdiff_t to) {
            const double s = double(to) / double(n);  // the axis' factor (scale, or the real one)
            return std::clamp<std::ptrdiff_t>(std::ptrdiff_t(std::floor((double(p) + 1.0) / s - 0.5)), 0, n - 1);
        };
        for (std::ptrdiff_t y = 0; y < out.height(); ++y)
            for (std::ptrdiff_t x = 0; x < out.width(); ++x)
                for (std::ptrdiff_t c = 0; c < out.channels(); ++c)
                    if (svlrm::is_missing(in(nearest(x, in.width(), out.width()), nearest(y, in.height(), out.height()), c),
                                          missing_))
                        out(x, y, c) = hole;
    }

    void one(const fs::path& in_path, const fs::path& guide_path, const fs::path& out_path,
             const std::optional<std::string>& prefix, const filter_fn& f) {
        svlrm_tools::loaded_image in = svlrm_tools::read_image(in_path);
        if (task_.depth) in.pixels = svlrm_tools::depth_channel(in.pixels);
        const int bits = png_bits(args_, in.bits);
        const float unit = task_.depth ? depth_output_scale(args_, in.bits, bits, in_path, out_path) : 1.0f;
        const svlrm::image<float> measured = keep_holes_ ? in.pixels : svlrm::image<float>();
        svlrm::fill_missing(in.pixels.view(), missing_);
        const svlrm::image<float> guide = task_.guided ? svlrm_tools::read_image(guide_path).pixels : in.pixels;
        const int scale = check_sizes(task_, args_, in.pixels, in_path, guide, task_.guided ? guide_path : in_path);
        filter_result r = f(in.pixels, guide, scale);
        if (keep_holes_) mark_holes(measured, r.out);
        // A channel without any measurement has no depth to infer, whatever the filter made
        // of it: it comes out missing. fill_missing leaves such a channel (and only such a
        // one) with a missing first pixel.
        for (std::ptrdiff_t c = 0; c < r.out.channels(); ++c)
            if (svlrm::is_missing(in.pixels(0, 0, c), missing_))
                for (std::ptrdiff_t i = 0; i < r.out.width() * r.out.height(); ++i) r.out.data()[i * r.out.channels() + c] = hole();
        if (unit != 1.0f)
            for (float& v : std::span(r.out.data(), std::size_t(r.out.width() * r.out.height() * r.out.channels())))
                v *= unit;
        output_set outs;
        outs.add(out_path, std::move(r.out), bits);
        if (prefix && !r.alpha.empty()) {
            outs.add(*prefix + "_alpha.pfm", r.alpha);
            outs.add(*prefix + "_beta.pfm", r.beta);
            outs.add(*prefix + "_alpha.png", svlrm_tools::colorize_robust(r.alpha));
            outs.add(*prefix + "_beta.png", svlrm_tools::colorize_robust(r.beta));
        }
        outs.commit();
    }

    // The guide of `name` in the guide folder: the same file name, else the same stem
    // with another readable extension.
    static std::optional<fs::path> guide_for(const fs::path& dir, const fs::path& name) {
        if (fs::is_regular_file(dir / name)) return dir / name;
        if (!fs::is_directory(dir)) return std::nullopt;
        std::vector<fs::path> found;  // any readable extension, any case; the first by name
        for (const auto& e : fs::directory_iterator(dir))
            if (e.is_regular_file() && e.path().stem() == name.stem() && readable_extension(svlrm_tools::lower_ext(e.path())))
                found.push_back(e.path());
        if (found.empty()) return std::nullopt;
        return *std::min_element(found.begin(), found.end());
    }

    int batch(const fs::path& in_dir, const fs::path& guide_dir, const fs::path& out_dir,
              const std::optional<std::string>& prefix, const filter_fn& f) {
        if (fs::exists(out_dir) && !fs::is_directory(out_dir))
            throw usage_error(in_dir.string() + " is a folder but " + out_dir.string() +
                              " is not (batch mode needs both to be folders)");
        if (task_.guided && !fs::is_directory(guide_dir))
            throw usage_error(in_dir.string() + " is a folder but the guide " + guide_dir.string() + " is not");
        check_not_input(out_dir, in_dir, "input folder");
        if (task_.guided) check_not_input(out_dir, guide_dir, "guide folder");
        std::vector<fs::path> inputs;
        for (const auto& e : fs::directory_iterator(in_dir))
            if (e.is_regular_file() && readable_extension(svlrm_tools::lower_ext(e.path()))) inputs.push_back(e.path());
        std::sort(inputs.begin(), inputs.end());
        if (inputs.empty()) throw std::runtime_error(in_dir.string() + ": no png, pfm, npy, bmp, jpg, tif or exr files");
        // Every guide is found before anything is written.
        std::vector<fs::path> guides;
        for (const auto& in : inputs) {
            if (!task_.guided) continue;
            const auto g = guide_for(guide_dir, in.filename());
            if (!g) throw std::runtime_error(guide_dir.string() + ": no guide for " + in.filename().string());
            guides.push_back(*g);
        }
        fs::create_directories(out_dir);
        bar_.set_label("svlrm");
        for (std::size_t i = 0; i < inputs.size(); ++i) {
            std::string ext = format_ ? "." + *format_ : svlrm_tools::lower_ext(inputs[i]);
            if (read_only_extension(ext)) ext = ext == ".exr" ? ".pfm" : ".png";
            fs::path out = out_dir / inputs[i].stem();
            out += ext;
            const auto coef = prefix ? std::optional<std::string>(*prefix + "_" + inputs[i].stem().string()) : std::nullopt;
            one(inputs[i], task_.guided ? guides[i] : fs::path(), out, coef, f);
            bar_.update(std::ptrdiff_t(i + 1), std::ptrdiff_t(inputs.size()));
        }
        bar_.finish();
        if (!args_.has("quiet")) std::printf("svlrm: wrote %zu files to %s\n", inputs.size(), out_dir.string().c_str());
        return 0;
    }
};

}  // namespace svlrm_cli
