// The paper's other two applications (applications.hpp):
//   flash        flash / no-flash deblurring on the held-out synthetic pairs of
//                tools/eval/make_flash_pairs.py (PSNR / SSIM on RGB against the sharp
//                no-flash truth), every classical baseline tuned on the same pairs (the
//                best mean PSNR over a grid: the most favourable setting for them), and
//                the two real pairs of flash_noflash as figures.
//   scale_aware  rolling guidance on texture_rtv: the input, a Gaussian blur, the
//                classical rolling guidance filter and SVLRM rolling guidance, with two
//                measures per image (below, texture_measures).
#include "applications.hpp"
#include "harness.hpp"
#include "luma.hpp"
#include "report.hpp"
#include "stopwatch.hpp"
#include "visualize.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace svlrm_eval {
namespace {

using svlrm::image;

// Panels (grey or RGB) cropped to side x side around their centres, in rows of `columns`,
// so that the figures show pixels at their own size.
image<float> panels(const std::vector<const image<float>*>& parts, long side, std::size_t columns) {
    const std::size_t rows = (parts.size() + columns - 1) / columns;
    image<float> out(side * long(std::min(columns, parts.size())), side * long(rows), 3, 1.0f);
    for (std::size_t k = 0; k < parts.size(); ++k) {
        const image<float>& p = *parts[k];
        const long x0 = std::max(0L, (p.width() - side) / 2), y0 = std::max(0L, (p.height() - side) / 2);
        const long ox = side * long(k % columns), oy = side * long(k / columns);
        for (long y = 0; y < std::min(side, p.height()); ++y)
            for (long x = 0; x < std::min(side, p.width()); ++x)
                for (long c = 0; c < 3; ++c) out(ox + x, oy + y, c) = p(x0 + x, y0 + y, p.channels() == 3 ? c : 0);
    }
    return out;
}

// ---- flash / no-flash --------------------------------------------------------------------

struct flash_pair {
    std::string name;
    image<float> flash, noflash, truth;
};

std::vector<flash_pair> flash_pairs(const settings& s) {
    std::vector<flash_pair> pairs;
    if (!fs::is_directory(s.flash_pairs)) return pairs;
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(s.flash_pairs)) {
        const std::string f = e.path().filename().string();
        if (f.size() > 10 && f.substr(f.size() - 10) == "_truth.png") names.push_back(f.substr(0, f.size() - 10));
    }
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
        if (s.limit && int(pairs.size()) >= s.limit) break;
        pairs.push_back({n, load(s.flash_pairs / (n + "_flash.png")), load(s.flash_pairs / (n + "_noflash.png")),
                         load(s.flash_pairs / (n + "_truth.png"))});
    }
    return pairs;
}

// A baseline with one parameter setting: its label and how it filters (flash, no-flash) -> out.
struct setting {
    std::string label;
    std::function<void(const image<float>&, const image<float>&, image<float>&)> run;
};

std::vector<setting> guided_filter_grid() {
    std::vector<setting> g;
    for (int r : {2, 4, 8, 16})
        for (double eps : {1e-4, 1e-3, 1e-2})
            for (bool colour : {false, true})
                g.push_back({"guided filter (" + std::string(colour ? "RGB" : "luma") + " guide, r = " +
                                 std::to_string(r) + ", eps = " + fmt("%g", eps) + ")",
                             [=](const image<float>& f, const image<float>& i, image<float>& o) {
                                 if (colour) return svlrm::guided_filter(f.view(), i.view(), o.view(), r, eps);
                                 svlrm::guided_filter(svlrm_tools::luma(f).view(), i.view(), o.view(), r, eps);
                             }});
    return g;
}

std::vector<setting> bilateral_grid() {
    std::vector<setting> g;
    for (double ss : {1.5, 3.0, 5.0})
        for (double sr : {0.05, 0.1, 0.2, 0.4}) {
            const int r = int(std::ceil(2 * ss));
            g.push_back({"joint bilateral filter (RGB guide, r = " + std::to_string(r) + ", sigma_s = " +
                             fmt("%g", ss) + ", sigma_r = " + fmt("%g", sr) + ")",
                         [=](const image<float>& f, const image<float>& i, image<float>& o) {
                             svlrm::joint_bilateral_filter(f.view(), i.view(), o.view(), r, ss, sr);
                         }});
        }
    return g;
}

std::vector<setting> hand_crafted_grid() {
    std::vector<setting> g;
    for (double mu : {1e-3, 1e-2, 0.1, 1.0})
        for (double eta : {0.01, 0.1, 1.0, 10.0})
            g.push_back({"hand-crafted prior, Eq. 12 (luma guide, mu = " + fmt("%g", mu) + ", eta = " +
                             fmt("%g", eta) + ")",
                         [=](const image<float>& f, const image<float>& i, image<float>& o) {
                             svlrm::hand_crafted_filter(f.view(), i.view(), o.view(), mu, eta);
                         }});
    return g;
}

// The setting of `grid` with the best mean PSNR over the pairs, its mean metrics and its outputs.
struct tuned {
    setting best;
    metrics mean;
    std::vector<image<float>> outputs;
};

tuned tune(const std::vector<setting>& grid, const std::vector<flash_pair>& pairs) {
    tuned best;
    best.mean.psnr = -1e9;
    for (const auto& g : grid) {
        table t;
        std::vector<image<float>> outs;
        for (const auto& p : pairs) {
            image<float> o(p.truth.width(), p.truth.height(), 3);
            g.run(p.flash, p.noflash, o);
            o = clipped(std::move(o));
            t.add(g.label, {svlrm::psnr(o.view(), p.truth.view()), svlrm::ssim(o.view(), p.truth.view()),
                            255.0 * svlrm::rmse(o.view(), p.truth.view())});
            outs.push_back(std::move(o));
        }
        if (t.mean(g.label).psnr > best.mean.psnr) best = {g, t.mean(g.label), std::move(outs)};
    }
    return best;
}

std::string metrics_row(const std::string& method, const metrics& m, double seconds) {
    return "| " + method + " | " + fmt("%.2f", m.psnr) + " | " + fmt("%.4f", m.ssim) + " | " +
           (seconds > 0 ? fmt("%.2f", seconds) : std::string("")) + " |\n";
}

// Figures flash_real_<name>.png of the real pairs; the names written.
std::vector<std::string> real_pair_figures(const settings& s, const tuned& gf) {
    const fs::path dir = s.data / "flash_noflash";
    std::vector<std::string> written;
    const auto model = fs::is_directory(dir) ? load_model(s, "flash_deblur") : std::nullopt;
    if (!model) return written;
    const network net(*model);
    struct real {
        std::string name, flash, noflash;
    };
    for (const real& r : {real{"cave", "cave-flash.bmp", "cave-noflash.bmp"},
                          real{"carpet", "carpet_00_flash.jpg", "carpet_01_noflash.jpg"}}) {
        image<float> flash, noflash;
        try {
            flash = load(dir / r.flash);
            noflash = load(dir / r.noflash);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "svlrm_eval: %s pair left out: %s\n", r.name.c_str(), e.what());
            continue;
        }
        image<float> ours(noflash.width(), noflash.height(), 3), guided(noflash.width(), noflash.height(), 3);
        net.apply(flash.view(), noflash.view(), ours.view());
        gf.best.run(flash, noflash, guided);  // the setting tuned on the synthetic pairs
        figure(s, "flash_real_" + r.name, panels({&flash, &noflash, &guided, &ours}, 256, 4), 1024);
        written.push_back("flash_real_" + r.name);
    }
    return written;
}

// ---- scale-aware filtering ----------------------------------------------------------------

// Squared 1-px differences (x and y) of every channel, per pixel.
std::vector<double> gradient_energy(const image<float>& v) {
    std::vector<double> e(static_cast<std::size_t>(v.width() * v.height()), 0.0);
    for (long y = 0; y + 1 < v.height(); ++y)
        for (long x = 0; x + 1 < v.width(); ++x)
            for (long c = 0; c < v.channels(); ++c) {
                const double dx = v(x + 1, y, c) - v(x, y, c), dy = v(x, y + 1, c) - v(x, y, c);
                e[static_cast<std::size_t>(y * v.width() + x)] += dx * dx + dy * dy;
            }
    return e;
}

// Where the image's main structures are: the luma blurred with a Gaussian of sigma 4
// (rolling_guidance's step 1), its gradient energy ranked. `edges`: the top 5% (the
// bands around large edges); `flat`: the bottom half (away from any large edge, where
// what varies is texture).
struct structure_masks {
    std::vector<char> edges, flat;
};

structure_masks structure_of(const image<float>& input) {
    image<float> coarse(input.width(), input.height(), 1);
    const image<float> grey = svlrm_tools::luma(input);
    svlrm::rolling_guidance(grey.view(), coarse.view(), 1, svlrm::joint_bilateral{},
                            {svlrm::rolling_start::gaussian, 4.0});
    const auto e = gradient_energy(coarse);
    std::vector<double> sorted = e;
    std::sort(sorted.begin(), sorted.end());
    const double top = sorted[sorted.size() * 95 / 100], median = sorted[sorted.size() / 2];
    structure_masks m;
    for (double v : e) {
        m.edges.push_back(v >= top);
        m.flat.push_back(v <= median);
    }
    return m;
}

// Texture kept: the gradient energy of `out` over the flat pixels, as a share of the
// input's (lower: more texture removed). Edges kept: the same over the main edges' bands
// (higher: sharper main edges; a blur spreads an edge and loses this energy).
std::pair<double, double> texture_measures(const image<float>& input, const image<float>& out,
                                           const structure_masks& m) {
    const auto ei = gradient_energy(input), eo = gradient_energy(out);
    double fi = 0, fo = 0, gi = 0, go = 0;
    for (std::size_t p = 0; p < ei.size(); ++p) {
        if (m.flat[p]) fi += ei[p], fo += eo[p];
        if (m.edges[p]) gi += ei[p], go += eo[p];
    }
    return {fo / std::max(fi, 1e-30), go / std::max(gi, 1e-30)};
}

}  // namespace

std::string scale_aware(const settings& s) {
    const fs::path dir = s.data / "texture_rtv";
    std::string md = "## Scale-aware filtering: rolling guidance (paper Sec. 5.4)\n\n";
    if (!fs::is_directory(dir)) return md + "`texture_rtv` not found: left out.\n\n";
    // The paper's inner model (depth restoration), and the flash model, whose training (structure from
    // the guide, local colour from the input) is what a rolling step asks of it.
    const std::vector<std::string> inner_models{"depth_restore", "flash_deblur"};
    std::map<std::string, network> nets;
    for (const auto& name : inner_models)
        if (const auto m = load_model(s, name)) nets.emplace(name, network(*m));
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir)) {
        const auto ext = svlrm_tools::lower_ext(e.path());
        if (ext == ".jpg" || ext == ".png") files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    if (s.limit && int(files.size()) > s.limit) files.resize(static_cast<std::size_t>(s.limit));
    std::vector<std::string> methods{"Gaussian blur (sigma 3)", "rolling guidance filter (classical)"};
    for (const auto& name : inner_models) methods.push_back("SVLRM rolling guidance (`" + name + "`)");
    std::map<std::string, std::pair<double, double>> sums;
    std::map<std::string, double> seconds;
    const std::string fig = fs::relative(s.figures, s.out.parent_path().empty() ? fs::path(".") : s.out.parent_path()).string();
    std::string figures;
    for (const auto& f : files) {
        const image<float> in = load(f);
        const auto masks = structure_of(in);
        std::vector<image<float>> outs;
        for (std::size_t k = 0; k < methods.size(); ++k) {
            const std::string& m = methods[k];
            image<float> o(in.width(), in.height(), in.channels());
            const svlrm_tools::stopwatch timer;
            if (k == 0) svlrm::rolling_guidance(in.view(), o.view(), 1, svlrm::joint_bilateral{});
            else if (k == 1) svlrm::rolling_guidance_filter(in.view(), o.view(), 3.0, 0.1, 4);
            else if (nets.count(inner_models[k - 2]))
                svlrm::rolling_guidance(in.view(), o.view(), 4, nets.at(inner_models[k - 2]));
            else continue;
            seconds[m] += timer.seconds();
            const auto [texture, edges] = texture_measures(in, o, masks);
            sums[m].first += texture;
            sums[m].second += edges;
            outs.push_back(std::move(o));
        }
        // figures of three of them, so that the docs stay small
        if (f.stem() != "graffiti" && f.stem() != "mosaicfloor" && f.stem() != "crossstitch") continue;
        const std::string stem = "rolling_" + f.stem().string();
        std::vector<const image<float>*> row{&in};
        for (std::size_t k = 1; k < outs.size(); ++k) row.push_back(&outs[k]);
        figure(s, stem, panels(row, 200, 4), 1024);
        figures += "![" + stem + "](" + fig + "/" + stem + ".png)\n\n";
    }
    md += "Protocol: the " + std::to_string(files.size()) +
          " images of `texture_rtv` (mosaics, cross-stitch, graffiti, comics), RGB. Rolling guidance "
          "(`svlrm::rolling_guidance`, `svlrm smooth`): step 1 a Gaussian blur (sigma 3 px), then 3 steps of the "
          "inner joint filter guided by the previous result; classical: the joint bilateral filter (sigma_s 3, "
          "sigma_r 0.1, radius 9, Zhang et al.'s filter); SVLRM: a bundled network, `depth_restore` as the paper "
          "does, or `flash_deblur` (`svlrm smooth --model`). Two measures from the squared 1-px differences of each result, relative to the input's (100%): "
          "*texture kept* over the pixels away from every large edge (the lower half of the gradient energy of "
          "the input blurred with sigma 4), lower is smoother; *edges kept* over the bands around the large "
          "edges (the top 5% of that energy), higher is sharper. A Gaussian blur is the reference that removes "
          "texture and edges alike. Means over the images; time: seconds for all images.\n\n"
          "| method | texture kept | edges kept | time (s) |\n|---|---|---|---|\n";
    for (const auto& m : methods) {
        if (!sums.count(m)) continue;
        const double n = double(files.size());
        md += "| " + m + " | " + fmt("%.1f%%", 100 * sums[m].first / n) + " | " + fmt("%.1f%%", 100 * sums[m].second / n) +
              " | " + fmt("%.1f", seconds[m]) + " |\n";
    }
    md += "\nInput, classical rolling guidance filter, SVLRM rolling guidance with `depth_restore`, with "
          "`flash_deblur` (centre 200 x 200 pixels of graffiti, mosaicfloor, crossstitch):\n\n" + figures;
    return md;
}

std::string flash_deblurring(const settings& s) {
    const auto pairs = flash_pairs(s);
    std::string md = "## Flash / no-flash deblurring (paper Sec. 5.6)\n\n";
    if (pairs.empty()) {
        std::fprintf(stderr, "svlrm_eval: no flash pairs in %s (python3 -m tools.eval.make_flash_pairs): section left out\n",
                     s.flash_pairs.string().c_str());
        return md + "No synthetic pairs found (make them with `python3 -m tools.eval.make_flash_pairs`).\n\n";
    }
    md += "Protocol: " + std::to_string(pairs.size()) +
          " held-out synthetic pairs (`tools/eval/make_flash_pairs.py`: the trainer's recipe `tools/train/flash.py` on "
          "Kodak24 kodim19..24 and McMaster 13..18, images the model never saw, with their own seeds; 8-bit PNGs). "
          "The input is the no-flash shot blurred by a 7..31 px camera-shake kernel with signal-dependent noise; the "
          "guide is the sharp flash shot, lit differently (falloff, cool cast, flat shading, speculars); the truth is "
          "the sharp no-flash shot. PSNR / SSIM on RGB against the truth. Each baseline is tuned on these same pairs "
          "(the best mean PSNR over its grid, the setting shown), which favours the baselines. SVLRM filters each "
          "colour channel guided by the flash shot's luma (`svlrm deblur`). Time: seconds for all pairs, this "
          "machine.\n\n| method | PSNR (dB) | SSIM | time (s) |\n|---|---|---|---|\n";
    table input;
    for (const auto& p : pairs)
        input.add("no-flash input", {svlrm::psnr(p.noflash.view(), p.truth.view()),
                                     svlrm::ssim(p.noflash.view(), p.truth.view()), 0});
    md += metrics_row("no-flash input (blurred, noisy)", input.mean("no-flash input"), 0);
    std::vector<tuned> baselines;
    for (const auto& grid : {guided_filter_grid(), bilateral_grid(), hand_crafted_grid()}) {
        const svlrm_tools::stopwatch timer;
        baselines.push_back(tune(grid, pairs));
        md += metrics_row(baselines.back().best.label + ", tuned", baselines.back().mean,
                          timer.seconds() / double(grid.size()));
    }
    const auto model = load_model(s, "flash_deblur");
    std::vector<image<float>> ours;
    if (model) {
        const network net(*model);
        table t;
        const svlrm_tools::stopwatch timer;
        for (const auto& p : pairs) {
            image<float> o(p.truth.width(), p.truth.height(), 3);
            net.apply(p.flash.view(), p.noflash.view(), o.view());
            ours.push_back(clipped(std::move(o)));
            t.add("svlrm", {svlrm::psnr(ours.back().view(), p.truth.view()), svlrm::ssim(ours.back().view(), p.truth.view()), 0});
        }
        md += metrics_row("SVLRM `flash_deblur`", t.mean("svlrm"), timer.seconds());
    }
    md += "\nPer image (PSNR, dB): ";
    for (std::size_t i = 0; i < pairs.size(); ++i) {
        md += pairs[i].name + " " + fmt("%.2f", svlrm::psnr(pairs[i].noflash.view(), pairs[i].truth.view()));
        for (const auto& b : baselines) md += " / " + fmt("%.2f", svlrm::psnr(b.outputs[i].view(), pairs[i].truth.view()));
        if (!ours.empty()) md += " / **" + fmt("%.2f", svlrm::psnr(ours[i].view(), pairs[i].truth.view())) + "**";
        md += i + 1 < pairs.size() ? "; " : " (input / GF / JBF / Eq. 12 / SVLRM).\n\n";
    }
    // Figure: the first pair, input to truth.
    const auto& p = pairs.front();
    std::vector<const image<float>*> row{&p.flash, &p.noflash};
    for (const auto& b : baselines) row.push_back(&b.outputs.front());
    if (!ours.empty()) row.push_back(&ours.front());
    row.push_back(&p.truth);
    figure(s, "flash_synthetic", panels(row, 256, 4), 1024);
    const std::string fig = fs::relative(s.figures, s.out.parent_path().empty() ? fs::path(".") : s.out.parent_path()).string();
    md += "![flash_synthetic](" + fig + "/flash_synthetic.png)\n\n*" + p.name +
          " (centre 256 x 256 pixels): flash guide, no-flash input, guided filter, joint bilateral filter; Eq. 12 (each "
          "tuned), SVLRM, truth.*\n\n";
    const auto real = real_pair_figures(s, baselines.front());
    if (!real.empty())
        md += "The real pairs of `flash_noflash` (no truth; centre 256 x 256 pixels): flash, no-flash, the tuned guided "
              "filter, SVLRM. The carpet pair is not blurred; what the model does on each: models/README.md.\n\n";
    for (const auto& n : real) md += "![" + n + "](" + fig + "/" + n + ".png)\n\n";
    return md;
}

}  // namespace svlrm_eval
