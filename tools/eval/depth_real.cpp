// Depth upsampling on real and rendered depth (section "depth_real", depth_real.hpp).
//   NYU v2 raw (nyu_raw_samples): 3 Kinect frames, JPEG guide, 16-bit mm depth, 0 = no measurement.
//   Middlebury 2014 (middlebury2014_trainingQ): Adirondack, Motorcycle; disp0GT.pfm, inf = unknown.
//   Rendered rooms (render cache rooms_v1): validation seeds 900000..900039, the first 12 finished.
// Every frame is cropped at the top left to a multiple of 16, so that the point
// decimation lr = d[s-1::s, s-1::s] is the protocol's for every s; holes of the low
// resolution depth are filled from the nearest valid pixel (svlrm::fill_missing, as the CLI does);
// the methods then start from it, and are scored on the pixels valid at full resolution.
#include "depth_real.hpp"
#include "harness.hpp"
#include "report.hpp"
#include "stopwatch.hpp"
#include "colormap.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
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
    svlrm::model model;         // for its input_upsampling (svlrm::upsample_input)
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
    if (!fs::is_directory(dir)) {
        d.skipped = "skipped: `nyu_raw_samples` is not in the datasets folder.";
        return d;
    }
    std::vector<std::string> ids;
    for (const auto& e : fs::directory_iterator(dir / "rgb")) {
        const std::string stem = e.path().stem().string();  // rgb_00000
        if (svlrm_tools::lower_ext(e.path()) == ".jpg" && stem.rfind("rgb_", 0) == 0) ids.push_back(stem.substr(4));
    }
    std::sort(ids.begin(), ids.end());
    if (s.limit > 0 && ids.size() > std::size_t(s.limit)) ids.resize(std::size_t(s.limit));
    for (const auto& id : ids)
        d.frames.push_back(zero_hole_frame(id, load(dir / "rgb" / ("rgb_" + id + ".jpg")),
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
        svlrm::fill_missing(f.source.view(), svlrm::missing_values::zero);  // unknown disparity: the nearest known, before decimating
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
                    "`python3 -m tools.train.render.render --seeds 900000:900040`). Machines without the render cache have no "
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
    image<float> c = svlrm_tools::colorize(v, lo, hi);
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
    const svlrm_tools::stopwatch timer;
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
            svlrm::fill_missing(low.view(), svlrm::missing_values::zero);
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
                image<float> input(w, h), out(w, h);  // the model's own start: bicubic or JBU
                svlrm::upsample_input(n.model, f.guide.view(), low.view(), input.view());
                n.net.apply(f.guide.view(), input.view(), out.view());
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
    const double seconds = timer.seconds();
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

// ---- encodings: one depth in the encodings a user's file may have ----------------------

// How a low-resolution depth (millimetres) is written to a "file" (the unit-scale values
// that svlrm_tools::read_image gives for it) and how the filtered result is read back to mm.
struct encoding {
    std::string label;
    std::function<float(double mm)> encode;  // mm -> unit-scale value of the file
    std::function<double(float v)> decode;   // unit-scale result -> mm
};

std::vector<encoding> encodings_for(double zlo, double zhi) {
    const double span = zhi > zlo ? zhi - zlo : 1.0;
    const double ilo = 1.0 / zhi, ihi = 1.0 / zlo, ispan = ihi > ilo ? ihi - ilo : 1.0;
    // Inverse depth back to mm: results at or below 0 (no depth) are held at 1 / 65535 mm^-1.
    auto from_inverse_mm = [](double inv_per_mm) { return 1.0 / std::max(inv_per_mm, 1.0 / 65535.0); };
    return {
        {"reference: metric depth stretched over [0, 1] (float)",
         [=](double z) { return float((z - zlo) / span); }, [=](float v) { return zlo + span * double(v); }},
        {"16-bit millimetres (a 16-bit PNG as read: mm / 65535)",
         [](double z) { return float(z / 65535.0); }, [](float v) { return 65535.0 * double(v); }},
        {"float metres", [](double z) { return float(z / 1000.0); }, [](float v) { return 1000.0 * double(v); }},
        {"8-bit over the range, 1..255 (quantised: other data)",
         [=](double z) { return float(std::round(1.0 + 254.0 * (z - zlo) / span) / 255.0); },
         [=](float v) { return zlo + span * (255.0 * double(v) - 1.0) / 254.0; }},
        {"inverse depth 1/z (float, 1/m)", [](double z) { return float(1000.0 / z); },
         [=](float v) { return from_inverse_mm(double(v) / 1000.0); }},
        {"inverse depth stretched over [0, 1] (float, near = 1)",
         [=](double z) { return float((1.0 / z - ilo) / ispan); },
         [=](float v) { return from_inverse_mm(ilo + ispan * double(v)); }},
    };
}

// Root mean squared difference in mm over the valid pixels; `mm` and f.truth (unit scale) per pixel.
double masked_rmse_mm(const std::vector<double>& mm, const frame& f) {
    double sum = 0;
    long n = 0;
    for (std::size_t i = 0; i < f.valid.size(); ++i)
        if (f.valid[i]) {
            const double e = mm[i] - 65535.0 * double(f.truth.data()[i]);
            sum += e * e, ++n;
        }
    return n ? std::sqrt(sum / double(n)) : 0.0;
}

// The bundled depth_sr, depth_sr_sensor where --models has it, then every --depth-models
// file, named by its stem.
std::vector<depth_network> depth_networks(const settings& s) {
    std::vector<depth_network> nets;
    auto add_model = [&](std::string label, const svlrm::model& m) {
        for (const auto& n : nets)
            if (n.label == label) label += "-" + std::to_string(nets.size());
        nets.push_back({label, metadata_value(m, "input_normalisation", "none"), m, network(m)});
    };
    if (const auto m = load_model(s, "depth_sr")) add_model("depth_sr", *m);
    if (fs::exists(s.models / "depth_sr_sensor.safetensors")) add_model("depth_sr_sensor", *load_model(s, "depth_sr_sensor"));
    for (const auto& p : s.depth_models) add_model(p.stem().string(), svlrm::model::load(p));
    return nets;
}

}  // namespace

std::string depth_encodings(const settings& s) {
    std::vector<depth_network> nets = depth_networks(s);

    const svlrm_tools::stopwatch timer;
    std::string md = "## Depth encodings: one depth map in the units a user's file may have\n\n";
    // Frames: the rendered validation frames and the NYU raw frames of depth_real, in millimetres.
    std::vector<frame> frames;
    std::string notes;
    std::size_t n_rendered = 0, n_nyu = 0;
    for (const auto& d : {rendered(s), nyu(s)}) {
        if (!d.skipped.empty()) notes += " " + d.title + ": " + d.skipped;
        for (const auto& f : d.frames) frames.push_back(f);
        (d.key == "nyu" ? n_nyu : n_rendered) = d.frames.size();
    }
    md += "Protocol: the promise of `input_normalisation = valid_range` is that a depth map gives the same result "
          "whatever its encoding: 16-bit millimetres over a narrow range, float metres, 8-bit, or inverse depth "
          "(near = large), all within 2% RMSE of the same depth stretched over [0, 1]. Frames: the first " +
          std::to_string(n_rendered) + " rendered validation frames and the " + std::to_string(n_nyu) +
          " NYU raw frames of the section above (cropped to a multiple of 16), " + std::to_string(frames.size()) +
          " in all; holes (0) of the full-resolution depth are filled from the nearest valid pixel "
          "(`svlrm::fill_missing`) before the point decimation `d[s-1::s, s-1::s]`, so the low-resolution "
          "depth z (mm, whole numbers as in the file) has no holes, and its range is [zlo, zhi]. Each encoding "
          "below writes z as a user's file would hold it, on the unit scale `svlrm_tools::read_image` gives "
          "(u8 / 255, u16 / 65535, float as is: `svlrm upsample` reads a 16-bit PNG so, as float), and goes "
          "through exactly what `svlrm upsample` does with it: the model's upsampling to the guide's size "
          "(`svlrm::upsample_input`: bicubic or JBU on the colour guide), then "
          "`joint_filter::apply` with the RGB guide (float views; no hole filling at low resolution, since "
          "the stretched encodings hold legitimate zeros). The result is decoded to mm by the encoding's "
          "inverse (inverse depth: z = 1 / F) and scored against the full-resolution depth on its valid pixels. "
          "Encodings: reference = (z - zlo) / (zhi - zlo); 16-bit mm = z / 65535; float metres = z / 1000; "
          "8-bit = round(1 + 254 (z - zlo) / (zhi - zlo)) / 255 (0 is kept free for \"no measurement\"; this "
          "quantises the depth to 254 levels, so it changes the data and its ratio also holds that loss); inverse "
          "depth = 1000 / z (1/m) and its stretch (1/z - 1/zhi) / (1/zlo - 1/zhi). The affine encodings (mm, "
          "metres, 8-bit up to quantisation, and the two inverse ones between themselves) are what valid_range "
          "makes equal; inverse depth is a non-linear map of the reference, so the bicubic step and the network "
          "see another signal. Each cell: the mean RMSE over the frames in mm, and in brackets the ratio of "
          "that mean to the reference row's and the ratio of the frame farthest from 1 (the target: 0.98..1.02). "
          "The last two rows score the bicubic inputs themselves (reference and inverse depth, decoded): what "
          "part of an inverse-depth gap the interpolation makes before the network." + notes + "\n\n";
    if (frames.empty() || nets.empty()) return md + "No frames or no depth models: no table.\n\n";
    for (auto& f : frames) svlrm::fill_missing(f.source.view(), svlrm::missing_values::zero);

    const int scales[3] = {4, 8, 16};
    const std::vector<std::string> labels = [] {
        std::vector<std::string> l;
        for (const auto& e : encodings_for(1.0, 2.0)) l.push_back(e.label);
        return l;
    }();
    // rmse[model][encoding][scale][frame]; bicubic_rmse[encoding][scale][frame].
    std::vector<std::vector<std::map<int, std::vector<double>>>> rmse(
        nets.size(), std::vector<std::map<int, std::vector<double>>>(labels.size()));
    std::vector<std::map<int, std::vector<double>>> bicubic_rmse(labels.size());
    for (const frame& f : frames) {
        const long w = f.truth.width(), h = f.truth.height();
        for (const int scale : scales) {
            image<float> low(w / scale, h / scale);
            svlrm::decimate(f.source.view(), low.view(), scale);
            std::vector<double> z(std::size_t(low.width() * low.height()));
            for (std::size_t i = 0; i < z.size(); ++i) z[i] = std::round(65535.0 * double(low.data()[i]));
            const auto [lo_it, hi_it] = std::minmax_element(z.begin(), z.end());
            const auto encs = encodings_for(*lo_it, *hi_it);
            for (std::size_t e = 0; e < encs.size(); ++e) {
                image<float> file(low.width(), low.height()), up(w, h), out(w, h);
                for (std::size_t i = 0; i < z.size(); ++i) file.data()[i] = encs[e].encode(z[i]);
                svlrm::resize_bicubic(file.view(), up.view());
                std::vector<double> mm(std::size_t(w * h));
                for (std::size_t i = 0; i < mm.size(); ++i) mm[i] = encs[e].decode(up.data()[i]);
                bicubic_rmse[e][scale].push_back(masked_rmse_mm(mm, f));
                for (std::size_t n = 0; n < nets.size(); ++n) {
                    image<float> input(w, h);
                    svlrm::upsample_input(nets[n].model, f.guide.view(), file.view(), input.view());
                    nets[n].net.apply(f.guide.view(), input.view(), out.view());
                    for (std::size_t i = 0; i < mm.size(); ++i) mm[i] = encs[e].decode(out.data()[i]);
                    rmse[n][e][scale].push_back(masked_rmse_mm(mm, f));
                }
            }
            std::fprintf(stderr, "  encodings: %s x%d done\n", f.name.c_str(), scale);
        }
    }
    auto mean = [](const std::vector<double>& v) {
        double m = 0;
        for (const double x : v) m += x / double(v.size());
        return m;
    };
    // One row: the mean RMSE per scale, and (not for the reference) its ratio to `ref`.
    auto row = [&](const std::string& label, const std::map<int, std::vector<double>>& cells,
                   const std::map<int, std::vector<double>>* ref) {
        std::string r = "| " + label + " |";
        for (const int scale : scales) {
            const auto& v = cells.at(scale);
            r += " " + fmt("%.1f", mean(v));
            if (ref) {
                const auto& b = ref->at(scale);
                double worst = 1.0;
                for (std::size_t i = 0; i < v.size(); ++i) {
                    const double q = b[i] > 0 ? v[i] / b[i] : 1.0;
                    if (std::abs(q - 1.0) > std::abs(worst - 1.0)) worst = q;
                }
                r += " (" + fmt("%.3f", mean(v) / mean(b)) + ", worst " + fmt("%.3f", worst) + ")";
            }
            r += " |";
        }
        return r + "\n";
    };
    for (std::size_t n = 0; n < nets.size(); ++n) {
        md += "### `" + nets[n].label + "` (input_normalisation " + nets[n].normalisation + ")\n\n";
        md += "| encoding | x4 (mm) | x8 (mm) | x16 (mm) |\n|---|---|---|---|\n";
        for (std::size_t e = 0; e < labels.size(); ++e)
            md += row(labels[e], rmse[n][e], e ? &rmse[n][0] : nullptr);
        // The bicubic inputs alone: the affine encodings give the reference's up to rounding,
        // inverse depth does not (cubic interpolation of 1/z is not that of z).
        md += row("bicubic input alone, reference", bicubic_rmse[0], nullptr);
        md += row("bicubic input alone, inverse depth", bicubic_rmse[4], &bicubic_rmse[0]);
        md += "\n";
    }
    const double minutes = timer.seconds() / 60.0;
    std::fprintf(stderr, "  encodings: %.1f min\n", minutes);
    return md;
}

std::string depth_real(const settings& s) {
    // The depth-upsampling models: the bundled depth_sr, depth_sr_sensor where --models has it,
    // then every --depth-models file, named by its stem.
    std::vector<depth_network> nets = depth_networks(s);

    const svlrm_tools::stopwatch timer;
    std::string md =
        "## Depth upsampling on real sensor and rendered depth\n\n"
        "Guided depth upsampling x4 / x8 / x16 where the depth is real (a Kinect, stereo) or rendered, "
        "not the 8-bit Middlebury 2001-2006 maps of the tables above. Common protocol: each frame is cropped at the "
        "top left to a multiple of 16 pixels; the low-resolution depth is the point decimation `d[s-1::s, s-1::s]` "
        "of the full-resolution depth; its holes (0) are filled from the nearest valid pixel "
        "(`svlrm::fill_missing`, include/svlrm/missing.hpp). Bicubic = `svlrm::resize_bicubic` (Keys a = -0.5) of "
        "that; the guided filter (r = 2s, eps = 1e-4) and SVLRM filter the bicubic result with the colour guide; "
        "JBU reads the low-resolution depth directly. The SVLRM models run through `svlrm::joint_filter` on the "
        "depth as it is (the library applies each model's own input normalisation):";
    for (std::size_t i = 0; i < nets.size(); ++i)
        md += std::string(i ? "," : "") + " `" + nets[i].label + "` (input_normalisation " + nets[i].normalisation + ")";
    md += nets.empty() ? " none found.\n\n" : ".\n\n";
    for (const auto& d : {nyu(s), middlebury(s), rendered(s)}) md += evaluate(s, d, nets);
    const double minutes = timer.seconds() / 60.0;
    std::fprintf(stderr, "  depth_real: %.1f min\n", minutes);
    return md;
}

}  // namespace svlrm_eval
