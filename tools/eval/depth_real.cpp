// Depth upsampling on real and rendered depth (section "depth_real", depth_real.hpp).
//   NYU v2 raw (nyu_raw_samples): 3 Kinect frames, JPEG guide, 16-bit mm depth, 0 = no measurement.
//   Middlebury 2014 (middlebury2014_trainingQ): Adirondack, Motorcycle; disp0GT.pfm, inf = unknown.
//   Rendered rooms (render cache rooms_v1): validation seeds 900000..900039, the first 12 finished.
// Every frame is cropped at the top left to a multiple of 16, so that the point
// decimation lr = d[s-1::s, s-1::s] is the protocol's for every s; holes of the low
// resolution depth are filled from the nearest valid pixel (the CLI's --missing-zero);
// the methods then start from it, and are scored on the pixels valid at full resolution.
#include "depth_real.hpp"
#include "harness.hpp"
#include "report.hpp"
#include "../cli/colormap.hpp"
#include "fill_missing.hpp"

#ifdef SVLRM_HAVE_OPENCV
#include <opencv2/imgcodecs.hpp>
#endif

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace svlrm_eval {
namespace {

using svlrm::image;

struct frame {
    std::string name;
    image<float> guide;   // RGB, unit scale
    image<float> truth;   // depth / disparity at full resolution; scored where valid
    std::vector<char> valid;
    image<float> source;  // what is decimated (truth with 0 at holes, or filled)
};

struct dataset {
    std::string key;        // figure prefix: <key>_x8_*
    std::string title;      // markdown heading
    std::string protocol;   // markdown paragraph
    std::string unit;       // of the RMSE
    double scale = 1.0;     // unit-scale value -> unit
    std::vector<frame> frames;
    std::string skipped;    // non-empty: why there is no table
};

struct depth_network {
    std::string label;          // row name
    std::string normalisation;  // the model's input_normalisation metadata ("none" when absent)
    network net;
};

image<float> crop16(const image<float>& v) {
    const long w = v.width() / 16 * 16, h = v.height() / 16 * 16;
    image<float> out(w, h, v.channels());
    for (long y = 0; y < h; ++y)
        for (long x = 0; x < w; ++x)
            for (long c = 0; c < v.channels(); ++c) out(x, y, c) = v(x, y, c);
    return out;
}

// An 8-bit RGB file that image_io.hpp does not read (JPEG), through OpenCV's imgcodecs.
image<float> load_jpeg(const fs::path& p) {
#ifdef SVLRM_HAVE_OPENCV
    const cv::Mat m = cv::imread(p.string(), cv::IMREAD_COLOR);
    if (m.empty() || m.type() != CV_8UC3) throw std::runtime_error(p.string() + ": cannot read as 8-bit colour");
    image<float> out(m.cols, m.rows, 3);
    for (int y = 0; y < m.rows; ++y)
        for (int x = 0; x < m.cols; ++x) {
            const auto bgr = m.at<cv::Vec3b>(y, x);
            for (int c = 0; c < 3; ++c) out(x, y, c) = svlrm::to_unit(std::uint8_t(bgr[2 - c]));
        }
    return out;
#else
    throw std::runtime_error(p.string() + ": built without OpenCV, JPEG guides cannot be read");
#endif
}

// Frames whose depth marks holes with 0 (sensor or renderer): the source is the raw depth itself.
frame zero_hole_frame(const std::string& name, image<float> guide, const image<float>& depth) {
    frame f{name, crop16(guide), crop16(depth), {}, {}};
    f.valid.resize(std::size_t(f.truth.width() * f.truth.height()));
    for (std::size_t i = 0; i < f.valid.size(); ++i) f.valid[i] = f.truth.data()[i] != 0.0f;
    f.source = f.truth;
    return f;
}

dataset nyu(const settings& s) {
    dataset d{"nyu", "NYU Depth v2 raw Kinect frames (`nyu_raw_samples`)", "", "mm", 65535.0, {}, ""};
    const fs::path dir = s.data / "nyu_raw_samples";
#ifndef SVLRM_HAVE_OPENCV
    d.skipped = "skipped: this build has no OpenCV imgcodecs to read the JPEG guides.";
    return d;
#endif
    if (!fs::is_directory(dir)) {
        d.skipped = "skipped: `nyu_raw_samples` is not in the datasets folder.";
        return d;
    }
    std::vector<std::string> ids;
    for (const auto& e : fs::directory_iterator(dir / "rgb")) {
        const std::string stem = e.path().stem().string();  // rgb_00000
        if (svlrm_io::lower_ext(e.path()) == ".jpg" && stem.rfind("rgb_", 0) == 0) ids.push_back(stem.substr(4));
    }
    std::sort(ids.begin(), ids.end());
    if (s.limit > 0 && ids.size() > std::size_t(s.limit)) ids.resize(std::size_t(s.limit));
    for (const auto& id : ids)
        d.frames.push_back(zero_hole_frame(id, load_jpeg(dir / "rgb" / ("rgb_" + id + ".jpg")),
                                           load(dir / "depth" / ("sync_depth_" + id + ".png"))));
    d.protocol = "Protocol: the " + std::to_string(d.frames.size()) +
                 " frames of `nyu_raw_samples` (640x480, RGB JPEG guide, the Kinect's raw registered depth, 16-bit "
                 "millimetres, 0 = no measurement: 25-33% of the pixels, including a border of about 40 px at the "
                 "left and top). The depth is read on the library's unit scale (mm / 65535) and given to every method "
                 "as it is.";
    return d;
}

dataset middlebury(const settings& s) {
    dataset d{"middlebury", "Middlebury 2014 held-out scenes (Adirondack, Motorcycle)", "", "px", 1.0, {}, ""};
    const fs::path dir = s.data / "middlebury2014_trainingQ";
    std::vector<std::string> scenes{"Adirondack", "Motorcycle"};
    if (s.limit > 0 && scenes.size() > std::size_t(s.limit)) scenes.resize(std::size_t(s.limit));
    for (const auto& scene : scenes) {
        if (!fs::exists(dir / scene / "disp0GT.pfm")) {
            d.skipped = "skipped: `middlebury2014_trainingQ/" + scene + "` is not in the datasets folder.";
            return d;
        }
        frame f{scene, crop16(load(dir / scene / "im0.png")), crop16(load(dir / scene / "disp0GT.pfm")), {}, {}};
        f.valid.resize(std::size_t(f.truth.width() * f.truth.height()));
        f.source = f.truth;
        for (std::size_t i = 0; i < f.valid.size(); ++i) {
            f.valid[i] = std::isfinite(f.truth.data()[i]) && f.truth.data()[i] > 0.0f;
            if (!f.valid[i]) f.source.data()[i] = 0.0f, f.truth.data()[i] = 0.0f;
        }
        svlrm_io::fill_missing_zero(f.source, scene);  // unknown disparity: the nearest known, before decimating
        d.frames.push_back(std::move(f));
    }
    d.protocol = "Protocol: `middlebury2014_trainingQ` Adirondack and Motorcycle (the trainer's validation scenes, "
                 "never trained on): left image `im0.png` as the guide, `disp0GT.pfm` (disparity in pixels, "
                 "float, given to every method as it is). Unknown (`inf`) disparities are filled from the nearest "
                 "known pixel before decimating (the input) and left out of the score.";
    return d;
}

dataset rendered(const settings& s) {
    dataset d{"rendered", "Rendered validation rooms (render cache `rooms_v1`)", "", "mm", 65535.0, {}, ""};
    const int wanted = s.limit > 0 ? std::min(s.limit, 12) : 12;
    if (!s.rendered.empty() && fs::is_directory(s.rendered))
        for (int seed = 900000; seed < 900040 && int(d.frames.size()) < wanted; ++seed) {
            char stem[32];
            std::snprintf(stem, sizeof stem, "%07d", seed);
            const fs::path rgb = s.rendered / (std::string(stem) + "_rgb.png");
            const fs::path depth = s.rendered / (std::string(stem) + "_depth.png");
            if (fs::exists(rgb) && fs::exists(depth)) d.frames.push_back(zero_hole_frame(stem, load(rgb), load(depth)));
        }
    if (d.frames.empty())
        d.skipped = "skipped: no rendered validation frames found (`--rendered DIR`, default "
                    "`${SVLRM_RENDER_CACHE:-$HOME/.cache/svlrm/render}/rooms_v1`; made by "
                    "`tools/train/render/render.py --seeds 900000:900040`). Machines without the render cache have no "
                    "such table.";
    d.protocol = "Protocol: the first " + std::to_string(d.frames.size()) +
                 " finished validation frames (seeds 900000..900039, never trained on) of the render cache "
                 "(`--rendered DIR`, default `${SVLRM_RENDER_CACHE:-$HOME/.cache/svlrm/render}/rooms_v1`, made by "
                 "`tools/train/render/render.py`): `<seed>_rgb.png` guide, `<seed>_depth.png` exact depth, 16-bit "
                 "mm, 0 = no surface. Read on the unit scale (mm / 65535) as NYU.";
    return d;
}

// Root mean squared difference over the valid pixels, on the unit scale.
double masked_rmse(const image<float>& a, const frame& f) {
    double sum = 0;
    long n = 0;
    for (std::size_t i = 0; i < f.valid.size(); ++i)
        if (f.valid[i]) {
            const double e = double(a.data()[i]) - double(f.truth.data()[i]);
            sum += e * e, ++n;
        }
    return n ? std::sqrt(sum / double(n)) : 0.0;
}

double masked_mean(const frame& f) {
    double sum = 0;
    long n = 0;
    for (std::size_t i = 0; i < f.valid.size(); ++i)
        if (f.valid[i]) sum += f.truth.data()[i], ++n;
    return n ? sum / double(n) : 0.0;
}

// Turbo over [lo, hi] (the 1st..99th percentile of the valid truth); holes of `mask` black.
image<float> coloured(const image<float>& v, float lo, float hi, const std::vector<char>* mask = nullptr) {
    image<float> c = svlrm_cli::colorize(v, lo, hi);
    if (mask)
        for (std::size_t i = 0; i < mask->size(); ++i)
            if (!(*mask)[i])
                for (int k = 0; k < 3; ++k) c.data()[3 * i + std::size_t(k)] = 0.0f;
    return c;
}

std::pair<float, float> colour_range(const frame& f) {
    std::vector<float> v;
    for (std::size_t i = 0; i < f.valid.size(); ++i)
        if (f.valid[i]) v.push_back(f.truth.data()[i]);
    if (v.empty()) return {0.0f, 1.0f};
    std::sort(v.begin(), v.end());
    return {v[std::size_t(0.01 * double(v.size() - 1))], v[std::size_t(0.99 * double(v.size() - 1))]};
}

std::string evaluate(const settings& s, const dataset& d, const std::vector<depth_network>& nets) {
    std::string md = "### " + d.title + "\n\n";
    if (!d.skipped.empty()) return md + d.skipped + "\n\n";
    const auto t0 = std::chrono::steady_clock::now();
    const int scales[3] = {4, 8, 16};
    std::vector<std::string> order;
    std::map<std::string, std::map<int, double>> rmse, relative;
    auto add = [&](const std::string& m, int scale, double abs_v, double rel_v) {
        if (!rmse.count(m)) order.push_back(m);
        rmse[m][scale] += abs_v / double(d.frames.size());
        relative[m][scale] += rel_v / double(d.frames.size());
    };
    for (std::size_t fi = 0; fi < d.frames.size(); ++fi) {
        const frame& f = d.frames[fi];
        const long w = f.truth.width(), h = f.truth.height();
        const double mean = masked_mean(f);
        for (const int scale : scales) {
            image<float> low(w / scale, h / scale);
            svlrm::decimate(f.source.view(), low.view(), scale);
            svlrm_io::fill_missing_zero(low, d.key + " " + f.name + " x" + std::to_string(scale));
            image<float> bicubic(w, h), gf(w, h), jbu(w, h);
            svlrm::resize_bicubic(low.view(), bicubic.view());
            svlrm::guided_filter(f.guide.view(), bicubic.view(), gf.view(), 2 * scale, 1e-4);
            svlrm::jbu_options jo;
            jo.radius = 2;
            svlrm::joint_bilateral_upsample(f.guide.view(), low.view(), jbu.view(), jo);
            auto score = [&](const std::string& m, const image<float>& v) {
                const double e = masked_rmse(v, f);
                add(m, scale, d.scale * e, mean > 0 ? 100.0 * e / mean : 0.0);
            };
            score("bicubic", bicubic);
            score("guided filter (r = 2s, eps = 1e-4)", gf);
            score("JBU (r = 2, sigma_s = 1, sigma_r = 0.1)", jbu);
            const bool fig = fi == 0 && scale == 8;
            const auto [lo, hi] = colour_range(f);
            for (const auto& n : nets) {
                image<float> out(w, h);
                n.net.apply(f.guide.view(), bicubic.view(), out.view());
                score("SVLRM `" + n.label + "`", out);
                if (fig) figure(s, d.key + "_x8_svlrm_" + n.label, coloured(out, lo, hi));
            }
            if (fig) {
                const std::string p = d.key + "_x8_";
                figure(s, p + "guide", f.guide);
                figure(s, p + (d.key == "nyu" ? "raw_depth" : "truth"), coloured(f.truth, lo, hi, &f.valid));
                figure(s, p + "bicubic", coloured(bicubic, lo, hi));
                figure(s, p + "jbu", coloured(jbu, lo, hi));
            }
            std::fprintf(stderr, "  depth_real %s: %s x%d done\n", d.key.c_str(), f.name.c_str(), scale);
        }
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(stderr, "  depth_real %s: %zu frames in %.1f s\n", d.key.c_str(), d.frames.size(), seconds);
    md += d.protocol + " RMSE in " + (d.unit == "mm" ? "millimetres" : "disparity pixels") +
          " on the valid pixels of the full-resolution " + (d.unit == "mm" ? "depth" : "disparity") +
          ", mean over the " + std::to_string(d.frames.size()) +
          " frames; in brackets, the RMSE as a percentage of the frame's mean valid " +
          (d.unit == "mm" ? "depth" : "disparity") + ".\n\n";
    md += "| method | x4 (" + d.unit + ") | x8 (" + d.unit + ") | x16 (" + d.unit + ") |\n|---|---|---|---|\n";
    const char* f = d.unit == "mm" ? "%.1f" : "%.2f";
    for (const auto& m : order) {
        md += "| " + m + " |";
        for (const int scale : scales) md += " " + fmt(f, rmse[m][scale]) + " (" + fmt("%.1f", relative[m][scale]) + "%) |";
        md += "\n";
    }
    return md + "\n";
}

std::string metadata_value(const svlrm::model& m, const std::string& key, const std::string& fallback) {
    for (const auto& [k, v] : m.metadata)
        if (k == key) return v;
    return fallback;
}

}  // namespace

std::string depth_real(const settings& s) {
    // The depth-upsampling models: the bundled depth_sr, depth_sr_sensor where --models has it,
    // then every --depth-models file, named by its stem.
    std::vector<depth_network> nets;
    auto add_model = [&](std::string label, const svlrm::model& m) {
        for (const auto& n : nets)
            if (n.label == label) label += "-" + std::to_string(nets.size());
        nets.push_back({label, metadata_value(m, "input_normalisation", "none"), network(m)});
    };
    if (const auto m = load_model(s, "depth_sr")) add_model("depth_sr", *m);
    if (fs::exists(s.models / "depth_sr_sensor.safetensors")) add_model("depth_sr_sensor", *load_model(s, "depth_sr_sensor"));
    for (const auto& p : s.depth_models) add_model(p.stem().string(), svlrm::model::load(p));

    const auto t0 = std::chrono::steady_clock::now();
    std::string md =
        "## Depth upsampling on real sensor and rendered depth\n\n"
        "Guided depth upsampling x4 / x8 / x16 where the depth is real (a Kinect, stereo) or rendered, "
        "not the 8-bit Middlebury 2001-2006 maps of the tables above. Common protocol: each frame is cropped at the "
        "top left to a multiple of 16 pixels; the low-resolution depth is the point decimation `d[s-1::s, s-1::s]` "
        "of the full-resolution depth; its holes (0) are filled from the nearest valid pixel (the CLI's "
        "`--missing-zero`, `tools/common/fill_missing.hpp`). Bicubic = `svlrm::resize_bicubic` (Keys a = -0.5) of "
        "that; the guided filter (r = 2s, eps = 1e-4) and SVLRM filter the bicubic result with the colour guide; "
        "JBU reads the low-resolution depth directly. The SVLRM models run through `svlrm::joint_filter` on the "
        "depth as it is (the library applies each model's own input normalisation):";
    for (std::size_t i = 0; i < nets.size(); ++i)
        md += std::string(i ? "," : "") + " `" + nets[i].label + "` (input_normalisation " + nets[i].normalisation + ")";
    md += nets.empty() ? " none found.\n\n" : ".\n\n";
    for (const auto& d : {nyu(s), middlebury(s), rendered(s)}) md += evaluate(s, d, nets);
    const double minutes = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / 60.0;
    std::fprintf(stderr, "  depth_real: %.1f min\n", minutes);
    return md;
}

}  // namespace svlrm_eval
