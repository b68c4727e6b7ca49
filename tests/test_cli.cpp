// The svlrm command-line tool end to end (every subcommand, batch mode, every error
// path: exit code, the single stderr line, no file left behind) and the round trips
// of every image format through tools/common/image_io.hpp.
#include "model_builder.hpp"
#include "support.hpp"

#include <svlrm/svlrm.hpp>

#include "image_io.hpp"

#include <catch2/catch.hpp>
#include <opencv2/imgcodecs.hpp>
#include <OpenEXR/ImfOutputFile.h>
#include <OpenEXR/ImfTiledOutputFile.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <sys/resource.h>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;
using svlrm::image;

namespace {

// A fresh folder per test case, removed afterwards (ctest runs cases in parallel).
struct scratch_dir {
    fs::path path;
    scratch_dir() {
        static std::atomic<int> counter{0};
        path = fs::temp_directory_path() /
               ("svlrm_test_cli_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~scratch_dir() { fs::remove_all(path); }
    fs::path operator/(const std::string& name) const { return path / name; }
};

// Smooth images with a few edges, so that every filter has something to do.
image<float> test_image(long w, long h, long c, unsigned seed) {
    image<float> img = svlrm_test::random_image(w, h, c, seed, 0.0f, 0.2f);
    for (long y = 0; y < h; ++y)
        for (long x = 0; x < w; ++x)
            for (long k = 0; k < c; ++k) img(x, y, k) += (x > w / 2 ? 0.5f : 0.2f) + 0.2f * float(y) / float(h);
    return img;
}

image<float> read(const fs::path& p) { return svlrm_tools::read_image(p).pixels; }

double max_diff(const image<float>& a, const image<float>& b) {
    REQUIRE(a.width() == b.width());
    REQUIRE(a.height() == b.height());
    REQUIRE(a.channels() == b.channels());
    return svlrm_test::max_abs_diff(a.view(), b.view());
}

}  // namespace

// ---- image_io round trips (no CLI needed) -------------------------------------------------

TEST_CASE("image_io round trips every written format", "[cli][image_io]") {
    scratch_dir dir;
    for (const long c : {1L, 3L}) {
        // Values on the 8-bit grid survive every format exactly.
        image<float> img(7, 5, c);
        for (long i = 0; i < 7 * 5 * c; ++i) img.data()[i] = float((i * 37) % 256) / 255.0f;
        const std::string tag = c == 1 ? "gray" : "rgb";
        for (const auto& [name, bits] : std::vector<std::pair<std::string, int>>{
                 {"a8.png", 8}, {"a16.png", 16}, {"a.pfm", 32}, {"a.npy", 32}}) {
            const fs::path p = dir / (tag + name);
            svlrm_tools::write_image(p, img.view(), bits == 16 ? 16 : 8);
            const auto back = svlrm_tools::read_image(p);
            INFO(p.string());
            CHECK(back.bits == bits);
            CHECK(max_diff(back.pixels, img) <= (bits == 16 ? 0.5 / 65535 : 1e-7));
        }
    }
    // 16-bit PNG keeps 16-bit precision; PFM and NPY keep float values outside [0, 1].
    image<float> fine(4, 3, 1);
    for (long i = 0; i < 12; ++i) fine.data()[i] = float(i * 4099 % 65536) / 65535.0f;
    svlrm_tools::write_image(dir / "fine.png", fine.view(), 16);
    CHECK(max_diff(read(dir / "fine.png"), fine) <= 0.5 / 65535);
    image<float> wide(4, 3, 1);
    for (long i = 0; i < 12; ++i) wide.data()[i] = -2.5f + 1.25f * float(i);
    for (const char* n : {"wide.pfm", "wide.npy"}) {
        svlrm_tools::write_image(dir / n, wide.view());
        CHECK(max_diff(read(dir / n), wide) == 0.0);
    }
    CHECK_THROWS_AS(svlrm_tools::write_image(dir / "x.jpg", fine.view()), svlrm_tools::io_error);
    CHECK_FALSE(fs::exists(dir / "x.jpg"));
}

#ifdef SVLRM_CLI_PATH

namespace {

struct run_result {
    int code;
    std::string out, err;
};

std::string slurp(const fs::path& p) {
    std::ifstream f(p);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

// Runs the CLI with `args` (already quoted where needed) in `dir`.
run_result cli(const scratch_dir& dir, const std::string& args) {
    const std::string cmd = "cd '" + dir.path.string() + "' && '" SVLRM_CLI_PATH "' " + args + " >'" +
                            (dir / "stdout.txt").string() + "' 2>'" + (dir / "stderr.txt").string() + "'";
    const int status = std::system(cmd.c_str());
    run_result r{WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(dir / "stdout.txt"), slurp(dir / "stderr.txt")};
    fs::remove(dir / "stdout.txt");
    fs::remove(dir / "stderr.txt");
    return r;
}

// Generated inputs: a 40x32 RGB guide, its 1-channel depth, the x4 low-res depth and a
// small random model.
struct inputs {
    scratch_dir dir;
    image<float> guide = test_image(40, 32, 3, 1), depth = test_image(40, 32, 1, 2), low{10, 8, 1};
    svlrm::model model = svlrm_test::random_model({2, 8, 8, 2}, 3, svlrm::activation::relu, 7);

    inputs() {
        svlrm::decimate(depth.view(), low.view(), 4);
        svlrm_tools::write_png(dir / "guide.png", guide.view());
        svlrm_tools::write_png(dir / "depth.png", depth.view(), 16);
        svlrm_tools::write_pfm(dir / "depth.pfm", depth.view());
        svlrm_tools::write_pfm(dir / "low.pfm", low.view());
        svlrm_tools::write_png(dir / "low.png", low.view());
        const auto bytes = svlrm_test::to_bytes(model);
        std::ofstream(dir / "model.safetensors", std::ios::binary)
            .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    }

    // What the CLI should compute for input and guide as read from their files.
    image<float> network(const image<float>& in, const image<float>& g, svlrm::filter_options o = {}) const {
        image<float> out(in.width(), in.height(), in.channels());
        svlrm::joint_filter<svlrm::backend::reference>(model, {}, std::move(o)).apply(g.view(), in.view(), out.view());
        return out;
    }
};

// The files in `dir` other than the ones the fixture wrote.
std::vector<std::string> new_files(const fs::path& dir) {
    static const std::vector<std::string> fixture{"guide.png", "depth.png", "depth.pfm", "low.pfm", "low.png",
                                                  "model.safetensors"};
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (std::find(fixture.begin(), fixture.end(), e.path().filename().string()) == fixture.end())
            out.push_back(e.path().lexically_relative(dir).string());
    std::sort(out.begin(), out.end());
    return out;
}

// Exit code `code`, exactly one line "svlrm: error: ..." on stderr that contains
// `needle`, nothing on stdout, and no file created.
void check_error(const inputs& in, const std::string& args, int code, const std::string& needle) {
    INFO("svlrm " << args);
    const auto before = new_files(in.dir.path);
    const run_result r = cli(in.dir, args);
    INFO("stderr: " << r.err);
    CHECK(r.code == code);
    CHECK(r.err.rfind("svlrm: error: ", 0) == 0);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK(r.err.find(needle) != std::string::npos);
    CHECK(r.out.empty());
    CHECK(new_files(in.dir.path) == before);
}

// The largest difference between an OpenCV image (u8 / u16 on the unit scale, float as
// is; BGR) and an image read by image_io; infinite when the sizes differ.
double max_diff_from(const cv::Mat& m, const image<float>& got) {
    if (got.width() != m.cols || got.height() != m.rows || got.channels() != m.channels())
        return std::numeric_limits<double>::infinity();
    double d = 0;
    for (int y = 0; y < m.rows; ++y)
        for (int x = 0; x < m.cols; ++x)
            for (int c = 0; c < m.channels(); ++c) {
                const int k = m.channels() == 3 ? 2 - c : c;  // OpenCV keeps BGR
                const double want = m.depth() == CV_8U    ? m.ptr<std::uint8_t>(y)[x * m.channels() + k] / 255.0
                                    : m.depth() == CV_16U ? m.ptr<std::uint16_t>(y)[x * m.channels() + k] / 65535.0
                                                          : double(m.ptr<float>(y)[x * m.channels() + k]);
                d = std::max(d, std::abs(want - double(got(x, y, c))));
            }
    return d;
}

}  // namespace

// JPEG and TIFF are read through libjpeg-turbo and libtiff; OpenCV's imgcodecs, a
// separate reader, writes the files and gives the expected pixels.
TEST_CASE("image_io refuses a truncated JPEG instead of returning grey rows", "[cli][image_io]") {
    scratch_dir dir;
    cv::Mat rgb(64, 80, CV_8UC3);
    cv::randu(rgb, 0, 256);
    std::vector<unsigned char> bytes;
    REQUIRE(cv::imencode(".jpg", rgb, bytes));
    std::ofstream(dir / "cut.jpg", std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size() / 2));
    CHECK_THROWS_AS(svlrm_tools::read_image(dir / "cut.jpg"), svlrm_tools::io_error);
    CHECK_THROWS_WITH(svlrm_tools::read_image(dir / "cut.jpg"), Catch::Contains("cut.jpg") && Catch::Contains("truncated"));
}

TEST_CASE("image_io refuses a TIFF that declares too many pixels without reading the file", "[cli][image_io]") {
    scratch_dir dir;
    // 60000x60000 8-bit grey, one uncompressed strip: a 3.6 GB file, sparse on disk.
    std::vector<unsigned char> head = {'I', 'I', 42, 0, 8, 0, 0, 0, 8, 0};
    const auto entry = [&](std::uint16_t tag, std::uint16_t type, std::uint32_t value) {
        const std::uint32_t one = 1;
        for (const auto* p : {reinterpret_cast<const unsigned char*>(&tag), reinterpret_cast<const unsigned char*>(&type)})
            head.insert(head.end(), p, p + 2);
        head.insert(head.end(), reinterpret_cast<const unsigned char*>(&one), reinterpret_cast<const unsigned char*>(&one) + 4);
        head.insert(head.end(), reinterpret_cast<const unsigned char*>(&value), reinterpret_cast<const unsigned char*>(&value) + 4);
    };
    entry(256, 4, 60000), entry(257, 4, 60000), entry(258, 3, 8), entry(259, 3, 1), entry(262, 3, 1);
    entry(273, 4, 256), entry(278, 4, 60000), entry(279, 4, 3600000000u);
    head.resize(head.size() + 4, 0);  // no next directory
    const fs::path big = dir / "big.tif";
    std::ofstream(big, std::ios::binary).write(reinterpret_cast<const char*>(head.data()), std::streamsize(head.size()));
    fs::resize_file(big, 256 + 3600000000ull);
    struct rusage before {}, after {};
    getrusage(RUSAGE_SELF, &before);
    CHECK_THROWS_WITH(svlrm_tools::read_image(big), Catch::Contains("big.tif") && Catch::Contains("pixel limit"));
    getrusage(RUSAGE_SELF, &after);
    CHECK(after.ru_maxrss - before.ru_maxrss < 100 * 1024);  // KiB: the 3.6 GB were not read
}

TEST_CASE("image_io reads JPEG and TIFF as OpenCV does", "[cli][image_io]") {
    scratch_dir dir;
    cv::Mat rgb(23, 31, CV_8UC3), grey(23, 31, CV_8UC1), u16(17, 29, CV_16UC1), f32(17, 29, CV_32FC1),
        rgb16(9, 11, CV_16UC3);
    cv::randu(rgb, 0, 256);
    cv::randu(grey, 0, 256);
    cv::randu(u16, 0, 65536);
    cv::randu(f32, -2.0f, 3.0f);
    cv::randu(rgb16, 0, 65536);
    const auto expect = [](const cv::Mat& m, const image<float>& got) { CHECK(max_diff_from(m, got) <= 1e-7); };
    for (const auto& [name, m] : std::vector<std::pair<std::string, cv::Mat>>{
             {"rgb.jpg", rgb}, {"grey.jpeg", grey}, {"u8.tif", grey}, {"rgb.tiff", rgb}, {"u16.tif", u16},
             {"f32.tif", f32}, {"rgb16.tif", rgb16}}) {
        INFO(name);
        REQUIRE(cv::imwrite((dir / name).string(), m));
        const cv::Mat back = cv::imread((dir / name).string(), cv::IMREAD_UNCHANGED);  // JPEG is lossy
        const svlrm_tools::loaded_image img = svlrm_tools::read_image(dir / name);
        CHECK(img.bits == (m.depth() == CV_8U ? 8 : m.depth() == CV_16U ? 16 : 32));
        expect(back, img.pixels);
    }
    // Bad files: an io_error naming the file and the problem.
    const svlrm_tools::mapped_file tif(dir / "u16.tif");
    CHECK_THROWS_WITH(svlrm_tools::decode_tiff(tif.bytes().first(100), "cut.tif"),
                      Catch::StartsWith("cut.tif: TIFF: "));
    CHECK_THROWS_WITH(svlrm_tools::decode_tiff(std::vector<unsigned char>{'I', 'I', 42, 0}, "tiny.tif"), Catch::StartsWith("tiny.tif: TIFF: "));
    const svlrm_tools::mapped_file jpeg(dir / "rgb.jpg");
    CHECK_THROWS_WITH(svlrm_tools::decode_jpeg(jpeg.bytes().first(20), "cut.jpg"),
                      Catch::StartsWith("cut.jpg: JPEG: "));
    cv::Mat s16(5, 6, CV_16SC1, cv::Scalar(-3));
    REQUIRE(cv::imwrite((dir / "s16.tif").string(), s16));
    CHECK_THROWS_WITH(svlrm_tools::read_image(dir / "s16.tif"), Catch::Contains("signed samples are not read"));
}

// EXR through the OpenEXR library. OpenCV's writer (its own EXR code path, single
// channel as Y, colour as R, G, B) gives the files and the expected values; OpenEXR's
// own writer the layouts OpenCV does not make: a Z channel beside others, a data window
// away from the origin, tiles.
TEST_CASE("image_io reads OpenEXR as OpenCV and OpenEXR write it", "[cli][image_io]") {
    scratch_dir dir;
    setenv("OPENCV_IO_ENABLE_OPENEXR", "1", 1);  // read by OpenCV at its first EXR call
    cv::Mat grey(13, 17, CV_32FC1), rgb(9, 11, CV_32FC3);
    cv::randu(grey, -1.0f, 5.0f);
    cv::randu(rgb, 0.0f, 2.0f);
    const auto expect = [](const cv::Mat& m, const image<float>& got, double tol) {
        CHECK(max_diff_from(m, got) <= tol);
    };
    if (cv::imwrite((dir / "grey.exr").string(), grey) && cv::imwrite((dir / "rgb.exr").string(), rgb)) {
        expect(grey, svlrm_tools::read_image(dir / "grey.exr").pixels, 0.0);
        expect(rgb, svlrm_tools::read_image(dir / "rgb.exr").pixels, 0.0);
        REQUIRE(cv::imwrite((dir / "half.exr").string(), grey, {cv::IMWRITE_EXR_TYPE, cv::IMWRITE_EXR_TYPE_HALF}));
        expect(grey, svlrm_tools::read_image(dir / "half.exr").pixels, 5.0 * 0.0005);  // 11-bit mantissa
        CHECK(svlrm_tools::read_image(dir / "rgb.exr").bits == 32);
    } else {
        WARN("this OpenCV writes no EXR: its half of the test skipped");
    }

    // Z among other channels, data window at (5, 3), tiled: the Z values in raster order.
    const int w = 19, h = 7;
    std::vector<float> z(w * h), other(w * h, 9.0f);
    for (int i = 0; i < w * h; ++i) z[i] = 0.5f + 0.01f * float(i);
    {
        Imf::Header header(Imath::Box2i({0, 0}, {30, 20}), Imath::Box2i({5, 3}, {5 + w - 1, 3 + h - 1}));
        header.channels().insert("Z", Imf::Channel(Imf::FLOAT));
        header.channels().insert("A", Imf::Channel(Imf::FLOAT));
        header.setTileDescription(Imf::TileDescription(8, 8));
        Imf::FrameBuffer fb;
        fb.insert("Z", Imf::Slice::Make(Imf::FLOAT, z.data(), header.dataWindow()));
        fb.insert("A", Imf::Slice::Make(Imf::FLOAT, other.data(), header.dataWindow()));
        Imf::TiledOutputFile out((dir / "z.exr").c_str(), header, 1);
        out.setFrameBuffer(fb);
        out.writeTiles(0, out.numXTiles() - 1, 0, out.numYTiles() - 1);
    }
    const image<float> got = svlrm_tools::read_image(dir / "z.exr").pixels;
    REQUIRE((got.width() == w && got.height() == h && got.channels() == 1));
    CHECK(std::equal(z.begin(), z.end(), got.data()));

    // Bad files: an io_error naming the file and the problem, before any large allocation.
    const svlrm_tools::mapped_file exr(dir / "z.exr");
    const std::vector<unsigned char> bytes(exr.bytes().begin(), exr.bytes().end());
    CHECK_THROWS_WITH(svlrm_tools::decode_exr(exr.bytes().first(bytes.size() / 2), "cut.exr"),
                      Catch::StartsWith("cut.exr: EXR: "));
    CHECK_THROWS_WITH(svlrm_tools::decode_exr(std::vector<unsigned char>{'P', 'K', 3, 4, 20, 0, 0, 0}, "zip.exr"),
                      Catch::Contains("not an OpenEXR file"));
    CHECK_THROWS_WITH(svlrm_tools::decode_exr(std::vector<unsigned char>{'v', '/', '1', 1, 2, 0, 0, 0}, "tiny.exr"),  // the magic, no header
                      Catch::Contains("the header ends early"));
    std::vector<unsigned char> huge = bytes;
    const std::string key = "dataWindow";
    const auto at = std::search(huge.begin(), huge.end(), key.begin(), key.end()) - huge.begin();
    const std::int32_t far = 1 << 30;
    std::memcpy(huge.data() + at + key.size() + 1 + 6 + 4 + 8, &far, 4);  // max.x of the box2i
    CHECK_THROWS_WITH(svlrm_tools::decode_exr(huge, "huge.exr"), Catch::Contains("over the limit"));
    {
        Imf::Header header(4, 4);
        header.channels().insert("u", Imf::Channel(Imf::FLOAT));
        header.channels().insert("v", Imf::Channel(Imf::FLOAT));
        std::vector<float> flow(32, 0.0f);
        Imf::FrameBuffer fb;
        fb.insert("u", Imf::Slice::Make(Imf::FLOAT, flow.data(), header.dataWindow()));
        fb.insert("v", Imf::Slice::Make(Imf::FLOAT, flow.data() + 16, header.dataWindow()));
        Imf::OutputFile out((dir / "flow.exr").c_str(), header, 1);
        out.setFrameBuffer(fb);
        out.writePixels(4);
    }
    CHECK_THROWS_WITH(svlrm_tools::read_image(dir / "flow.exr"), Catch::Contains("more than one other (u, v)"));
}

TEST_CASE("svlrm --help and <command> --help print usage", "[cli]") {
    scratch_dir dir;
    const run_result top = cli(dir, "--help");
    CHECK(top.code == 0);
    for (const char* c : {"upsample", "restore", "denoise", "filter", "guided", "fast-guided", "hc", "jbu", "compare",
                          "info"}) {
        CHECK(top.out.find(std::string("  ") + c + " ") != std::string::npos);
        const run_result sub = cli(dir, std::string(c) + " --help");
        INFO(c);
        CHECK(sub.code == 0);
        CHECK(sub.out.rfind(std::string("usage: svlrm ") + c, 0) == 0);
        CHECK(sub.err.empty());
    }
    CHECK(cli(dir, "").code == 2);
    const run_result version = cli(dir, "--version");
    CHECK(version.code == 0);
    CHECK(version.out == "svlrm " + std::to_string(svlrm::version.major) + "." + std::to_string(svlrm::version.minor) +
                             "." + std::to_string(svlrm::version.patch) + "\n");
    const run_result info = cli(dir, "info depth_sr");  // a bundled model by name
    CHECK(info.code == 0);
    CHECK(info.out.find("depth_sr.safetensors") != std::string::npos);
    CHECK(cli(dir, "upsample --help").out.find("exr") != std::string::npos);
}

TEST_CASE("svlrm upsample, restore, denoise and filter run the network", "[cli]") {
    inputs in;
    const std::string m = " --model model.safetensors --backend reference --quiet";

    SECTION("upsample: bicubic to the guide's size, then the network") {
        REQUIRE(cli(in.dir, "upsample low.pfm guide.png up.pfm --scale 4" + m).code == 0);
        image<float> bicubic(40, 32, 1);
        svlrm::resize_bicubic(read(in.dir / "low.pfm").view(), bicubic.view());
        CHECK(max_diff(read(in.dir / "up.pfm"), in.network(bicubic, read(in.dir / "guide.png"))) <= 1e-6);
        // Tiles give the same result; the scale follows from the sizes.
        REQUIRE(cli(in.dir, "upsample low.pfm guide.png tiled.pfm --tile 8" + m).code == 0);
        CHECK(max_diff(read(in.dir / "tiled.pfm"), read(in.dir / "up.pfm")) <= 1e-6);
        // --self-ensemble is filter_options::self_ensemble.
        REQUIRE(cli(in.dir, "upsample low.pfm guide.png ens.pfm --self-ensemble" + m).code == 0);
        svlrm::filter_options ensemble;
        ensemble.self_ensemble = true;
        CHECK(max_diff(read(in.dir / "ens.pfm"), in.network(bicubic, read(in.dir / "guide.png"), ensemble)) <= 1e-6);
        CHECK(max_diff(read(in.dir / "ens.pfm"), read(in.dir / "up.pfm")) > 1e-4);
    }
    SECTION("restore: same-size input and guide; PNG bit depth follows the input") {
        REQUIRE(cli(in.dir, "restore depth.png guide.png r.png" + m).code == 0);
        const auto r = svlrm_tools::read_image(in.dir / "r.png");
        CHECK(r.bits == 16);
        image<float> want = in.network(read(in.dir / "depth.png"), read(in.dir / "guide.png"));
        for (long i = 0; i < 40 * 32; ++i) want.data()[i] = std::clamp(want.data()[i], 0.0f, 1.0f);  // PNG range
        CHECK(max_diff(r.pixels, want) <= 1.0 / 65535);
        // 16-bit depth to 8 bits would keep 256 levels: refused (the units test)
        CHECK(cli(in.dir, "restore depth.png guide.png r8.png --bits 8" + m).code == 2);
        REQUIRE(cli(in.dir, "denoise guide.png g8.png --bits 8" + m).code == 0);  // images: any bit depth
        CHECK(svlrm_tools::read_image(in.dir / "g8.png").bits == 8);
    }
    SECTION("denoise: the input guides itself") {
        REQUIRE(cli(in.dir, "denoise guide.png d.pfm" + m).code == 0);
        const image<float> g = read(in.dir / "guide.png");
        CHECK(max_diff(read(in.dir / "d.pfm"), in.network(g, g)) <= 1e-6);
    }
    SECTION("filter with --save-coefficients writes alpha and beta") {
        REQUIRE(cli(in.dir, "filter depth.pfm guide.png f.npy --save-coefficients c" + m).code == 0);
        const image<float> g = read(in.dir / "guide.png"), d = read(in.dir / "depth.pfm");
        CHECK(max_diff(read(in.dir / "f.npy"), in.network(d, g)) <= 1e-6);
        image<float> out(40, 32), alpha(40, 32), beta(40, 32);
        svlrm::joint_filter<svlrm::backend::reference>(in.model).apply(g.view(), d.view(), out.view(), alpha.view(),
                                                                       beta.view());
        CHECK(max_diff(read(in.dir / "c_alpha.pfm"), alpha) <= 1e-6);
        CHECK(max_diff(read(in.dir / "c_beta.pfm"), beta) <= 1e-6);
        CHECK(read(in.dir / "c_alpha.png").channels() == 3);
        CHECK(read(in.dir / "c_beta.png").width() == 40);
    }
    SECTION("the default backend agrees with the reference") {
        REQUIRE(cli(in.dir, "filter depth.pfm guide.png default.pfm --model model.safetensors --quiet").code == 0);
        CHECK(max_diff(read(in.dir / "default.pfm"),
                       in.network(read(in.dir / "depth.pfm"), read(in.dir / "guide.png"))) <= 1e-4);
    }
    SECTION("--precision auto stays within its 1e-5 of the reference") {
        REQUIRE(cli(in.dir, "filter depth.pfm guide.png auto.pfm --model model.safetensors --precision auto --quiet").code == 0);
        const image<float> want = in.network(read(in.dir / "depth.pfm"), read(in.dir / "guide.png"));
        const image<float> got = read(in.dir / "auto.pfm");
        double num = 0, den = 0;
        for (long i = 0; i < want.width() * want.height(); ++i) {
            num += std::pow(double(got.data()[i]) - want.data()[i], 2);
            den += std::pow(double(want.data()[i]), 2);
        }
        CHECK(std::sqrt(num / den) <= 1e-5);
        CHECK(cli(in.dir, "filter depth.pfm guide.png x.pfm --model model.safetensors --precision fp64").code == 2);
    }
    SECTION("--progress draws a bar on stderr for tiled runs") {
        const run_result r = cli(in.dir, "filter depth.pfm guide.png p.pfm --tile 8 --progress --model model.safetensors");
        CHECK(r.code == 0);
        CHECK(r.err.find("100%") != std::string::npos);
    }
}

TEST_CASE("svlrm upsample takes a JPEG guide and 16-bit TIFF depth", "[cli][image_io]") {
    inputs in;
    cv::Mat guide(32, 40, CV_8UC3), low(8, 10, CV_16UC1);
    cv::randu(guide, 0, 256);
    cv::randu(low, 1000, 3000);
    REQUIRE(cv::imwrite((in.dir / "guide.jpg").string(), guide));
    REQUIRE(cv::imwrite((in.dir / "low.tif").string(), low));
    REQUIRE(cli(in.dir, "upsample low.tif guide.jpg up.pfm --model model.safetensors --backend reference --quiet").code == 0);
    const image<float> g = read(in.dir / "guide.jpg"), l = read(in.dir / "low.tif");
    image<float> start(40, 32), want(40, 32);
    svlrm::upsample_input(in.model, g.view(), l.view(), start.view());
    svlrm::joint_filter<svlrm::backend::reference>(in.model).apply(g.view(), start.view(), want.view());
    image<float> want_mm = want;  // 16-bit depth: floats in its own units
    for (long i = 0; i < 40 * 32; ++i) want_mm.data()[i] *= 65535.0f;
    CHECK(max_diff(read(in.dir / "up.pfm"), want_mm) <= 65535 * 1e-6);
    // A broken TIFF: exit 1, one line naming it, no output.
    std::ofstream(in.dir / "bad.tif", std::ios::binary) << "II*";
    const run_result r = cli(in.dir, "upsample bad.tif guide.jpg bad.png --model model.safetensors");
    CHECK(r.code == 1);
    CHECK(r.err.find("bad.tif: TIFF") != std::string::npos);
    CHECK(!fs::exists(in.dir / "bad.png"));

    // Float depth in an EXR Z channel (a renderer's output), in batch mode: written as PFM.
    fs::create_directories(in.dir / "low");
    fs::create_directories(in.dir / "rgb");
    REQUIRE(cv::imwrite((in.dir / "rgb" / "f.jpg").string(), guide));
    {
        Imf::Header header(10, 8);
        header.channels().insert("Z", Imf::Channel(Imf::FLOAT));
        Imf::FrameBuffer fb;
        fb.insert("Z", Imf::Slice::Make(Imf::FLOAT, l.data(), header.dataWindow()));
        Imf::OutputFile out((in.dir / "low" / "f.exr").c_str(), header, 1);
        out.setFrameBuffer(fb);
        out.writePixels(8);
    }
    REQUIRE(cli(in.dir, "upsample low rgb up --model model.safetensors --backend reference --quiet").code == 0);
    CHECK(max_diff(read(in.dir / "up" / "f.pfm"), want) <= 1e-6);
}

TEST_CASE("svlrm deblur and smooth run the network and the rolling guidance", "[cli]") {
    inputs in;
    const std::string m = " --model model.safetensors --backend reference --quiet";
    const image<float> g = read(in.dir / "guide.png");
    svlrm_tools::write_pfm(in.dir / "noflash.pfm", test_image(40, 32, 3, 9).view());
    const image<float> noflash = read(in.dir / "noflash.pfm");

    SECTION("deblur: every channel of the no-flash photo guided by the flash photo's luma") {
        REQUIRE(cli(in.dir, "deblur noflash.pfm guide.png d.pfm" + m).code == 0);
        CHECK(max_diff(read(in.dir / "d.pfm"), in.network(noflash, g)) <= 1e-6);
    }
    SECTION("smooth: SVLRM rolling guidance and the classical filter") {
        REQUIRE(cli(in.dir, "smooth noflash.pfm s.pfm --iterations 3 --sigma-spatial 2" + m).code == 0);
        const svlrm::joint_filter<svlrm::backend::reference> f(in.model);
        image<float> want(40, 32, 3);
        svlrm::rolling_guidance(noflash.view(), want.view(), 3, f, {svlrm::rolling_start::gaussian, 2.0});
        CHECK(max_diff(read(in.dir / "s.pfm"), want) <= 1e-6);

        REQUIRE(cli(in.dir, "smooth noflash.pfm c.pfm --classical --sigma-range 0.2 --quiet").code == 0);
        svlrm::rolling_guidance_filter(noflash.view(), want.view(), 3.0, 0.2, 4);
        CHECK(max_diff(read(in.dir / "c.pfm"), want) <= 1e-6);

        REQUIRE(cli(in.dir, "smooth noflash.pfm zero.pfm --iterations 0 --classical --quiet").code == 0);
        CHECK(max_diff(read(in.dir / "zero.pfm"), noflash) == 0.0);
    }
}

TEST_CASE("svlrm guided, fast-guided, hc and jbu run the baselines", "[cli]") {
    inputs in;
    const image<float> g = read(in.dir / "guide.png"), d = read(in.dir / "depth.pfm");
    image<float> want(40, 32);

    REQUIRE(cli(in.dir, "guided depth.pfm guide.png o.pfm --radius 3 --eps 0.02").code == 0);
    svlrm::guided_filter(g.view(), d.view(), want.view(), 3, 0.02);
    CHECK(max_diff(read(in.dir / "o.pfm"), want) <= 1e-6);

    REQUIRE(cli(in.dir, "fast-guided depth.pfm guide.png o.pfm --radius 4 --eps 0.02 --subsample 2").code == 0);
    svlrm::fast_guided_filter(g.view(), d.view(), want.view(), 4, 0.02, 2);
    CHECK(max_diff(read(in.dir / "o.pfm"), want) <= 1e-6);

    REQUIRE(cli(in.dir, "hc depth.pfm guide.png o.pfm --mu 0.2 --eta 0.3 --save-coefficients hc").code == 0);
    image<float> alpha(40, 32), beta(40, 32);
    svlrm::hand_crafted_filter(g.view(), d.view(), want.view(), alpha.view(), beta.view(), 0.2, 0.3);
    CHECK(max_diff(read(in.dir / "o.pfm"), want) <= 1e-6);
    CHECK(max_diff(read(in.dir / "hc_alpha.pfm"), alpha) <= 1e-6);
    CHECK(fs::exists(in.dir / "hc_beta.png"));

    REQUIRE(cli(in.dir, "jbu low.pfm guide.png o.pfm --radius 1 --sigma-range 0.2").code == 0);
    svlrm::jbu_options o;
    o.radius = 1;
    o.sigma_range = 0.2;
    svlrm::joint_bilateral_upsample(g.view(), read(in.dir / "low.pfm").view(), want.view(), o);
    CHECK(max_diff(read(in.dir / "o.pfm"), want) <= 1e-6);
}

TEST_CASE("svlrm --missing-zero fills holes before filtering", "[cli]") {
    inputs in;
    image<float> holes(40, 32, 1, 0.5f);
    for (long y = 10; y < 14; ++y)
        for (long x = 5; x < 30; ++x) holes(x, y) = 0.0f;
    svlrm_tools::write_pfm(in.dir / "holes.pfm", holes.view());
    // A constant depth with holes is constant once filled, and the guided filter keeps it so.
    REQUIRE(cli(in.dir, "guided holes.pfm guide.png filled.pfm --missing-zero").code == 0);
    CHECK(max_diff(read(in.dir / "filled.pfm"), image<float>(40, 32, 1, 0.5f)) <= 1e-5);
    REQUIRE(cli(in.dir, "guided holes.pfm guide.png raw.pfm").code == 0);
    CHECK(max_diff(read(in.dir / "raw.pfm"), image<float>(40, 32, 1, 0.5f)) > 0.1);
}

TEST_CASE("svlrm depth commands read 0 as missing by default; --missing none, --holes keep", "[cli]") {
    inputs in;
    image<float> holes = in.depth;
    for (long y = 10; y < 14; ++y)
        for (long x = 5; x < 30; ++x) holes(x, y) = 0.0f;
    svlrm_tools::write_pfm(in.dir / "holes.pfm", holes.view());
    image<float> filled = holes;
    svlrm::fill_missing(filled.view(), svlrm::missing_values::zero);
    const std::string m = " --model model.safetensors --backend reference --quiet";
    REQUIRE(cli(in.dir, "restore holes.pfm guide.png default.pfm" + m).code == 0);
    CHECK(max_diff(read(in.dir / "default.pfm"), in.network(filled, read(in.dir / "guide.png"))) <= 1e-6);
    REQUIRE(cli(in.dir, "restore holes.pfm guide.png none.pfm --missing none" + m).code == 0);
    CHECK(max_diff(read(in.dir / "none.pfm"), in.network(holes, read(in.dir / "guide.png"))) <= 1e-6);
    REQUIRE(cli(in.dir, "restore holes.pfm guide.png keep.pfm --holes keep" + m).code == 0);
    const image<float> keep = read(in.dir / "keep.pfm"), want = in.network(filled, read(in.dir / "guide.png"));
    for (long y = 0; y < 32; ++y)
        for (long x = 0; x < 40; ++x) CHECK(keep(x, y) == (holes(x, y) == 0.0f ? 0.0f : want(x, y)));
    // No depth at all: nothing to infer, so nothing is invented.
    svlrm_tools::write_pfm(in.dir / "empty.pfm", image<float>(10, 8, 1, 0.0f).view());
    REQUIRE(cli(in.dir, "upsample empty.pfm guide.png empty_up.pfm" + m).code == 0);
    CHECK(max_diff(read(in.dir / "empty_up.pfm"), image<float>(40, 32, 1, 0.0f)) == 0.0);
}

TEST_CASE("svlrm depth keeps its units in every output format, or is refused", "[cli]") {
    inputs in;
    const std::string m = " --model model.safetensors --backend reference --quiet";
    // 16-bit millimetres: the PNG and the floats hold the same millimetres.
    REQUIRE(cli(in.dir, "restore depth.png guide.png mm.png" + m).code == 0);
    REQUIRE(cli(in.dir, "restore depth.png guide.png mm.npy" + m).code == 0);
    const image<float> png = read(in.dir / "mm.png"), npy = read(in.dir / "mm.npy");
    for (long i = 0; i < 40 * 32; ++i)  // where the (random) model's output is a depth a PNG holds
        if (png.data()[i] > 0.0f && png.data()[i] < 1.0f) CHECK(std::abs(npy.data()[i] - 65535.0f * png.data()[i]) <= 0.501f);
    check_error(in, "restore depth.png guide.png mm8.png --bits 8" + m, 2, "256 levels");
    // Float metres (up to 4 m): floats as they are; a PNG only with --depth-scale.
    image<float> metres = in.depth;
    for (long i = 0; i < 40 * 32; ++i) metres.data()[i] = 0.5f + 3.5f * metres.data()[i];
    svlrm_tools::write_pfm(in.dir / "metres.pfm", metres.view());
    REQUIRE(cli(in.dir, "restore metres.pfm guide.png m.pfm" + m).code == 0);
    CHECK(max_diff(read(in.dir / "m.pfm"), in.network(metres, read(in.dir / "guide.png"))) <= 1e-5);
    check_error(in, "restore metres.pfm guide.png m.png" + m, 2, "--depth-scale");
    REQUIRE(cli(in.dir, "restore metres.pfm guide.png mm2.png --depth-scale 1000" + m).code == 0);
    const image<float> from_metres = read(in.dir / "mm2.png"), want = read(in.dir / "m.pfm");
    for (long i = 0; i < 40 * 32; ++i)
        if (from_metres.data()[i] > 0.0f && from_metres.data()[i] < 1.0f)
            CHECK(std::abs(65535.0f * from_metres.data()[i] - 1000.0f * want.data()[i]) <= 0.501f);
}

TEST_CASE("svlrm upsample and jbu take any size ratio (x2.67 by x2.67, x2 by x1.6)", "[cli]") {
    inputs in;
    const image<float> g = read(in.dir / "guide.png");
    for (const auto& [w, h] : std::vector<std::pair<long, long>>{{15, 12}, {20, 20}}) {
        INFO(w << "x" << h << " under 40x32");
        const image<float> low = test_image(w, h, 1, 5);
        svlrm_tools::write_pfm(in.dir / "odd.pfm", low.view());
        REQUIRE(cli(in.dir, "upsample odd.pfm guide.png odd_up.pfm --model model.safetensors --backend reference --quiet")
                    .code == 0);
        image<float> start(40, 32), want(40, 32);
        svlrm::upsample_input(in.model, g.view(), low.view(), start.view());
        svlrm::joint_filter<svlrm::backend::reference>(in.model).apply(g.view(), start.view(), want.view());
        CHECK(max_diff(read(in.dir / "odd_up.pfm"), want) <= 1e-6);
        REQUIRE(cli(in.dir, "jbu odd.pfm guide.png odd_jbu.pfm --quiet").code == 0);
        svlrm::joint_bilateral_upsample(g.view(), low.view(), want.view());
        CHECK(max_diff(read(in.dir / "odd_jbu.pfm"), want) <= 1e-6);
    }
}

TEST_CASE("svlrm refuses to write over an input or a guide, also as batch folders", "[cli]") {
    inputs in;
    const std::string before = slurp(in.dir / "low.pfm");
    check_error(in, "upsample low.pfm guide.png low.pfm --model model.safetensors", 2, "would destroy the input");
    check_error(in, "upsample low.pfm guide.png ./sub/../low.pfm --model model.safetensors", 2, "is the input");
    check_error(in, "jbu low.pfm guide.png guide.png", 2, "would destroy the guide");
    CHECK(slurp(in.dir / "low.pfm") == before);
    fs::create_directories(in.dir / "lows");
    fs::create_directories(in.dir / "guides");
    fs::copy_file(in.dir / "low.pfm", in.dir / "lows" / "a.pfm");
    fs::copy_file(in.dir / "guide.png", in.dir / "guides" / "a.png");
    check_error(in, "jbu lows guides lows", 2, "input folder");
    check_error(in, "jbu lows guides guides/", 2, "guide folder");
}

TEST_CASE("svlrm compare scores depth on its valid pixels in millimetres and picks the model by task", "[cli]") {
    inputs in;
    image<float> truth = in.depth;  // 16-bit millimetres with a hole
    for (long i = 0; i < 40 * 32; ++i) truth.data()[i] = (1000.0f + 2000.0f * truth.data()[i]) / 65535.0f;
    for (long x = 0; x < 12; ++x) truth(x, 3) = 0.0f;
    svlrm_tools::write_png(in.dir / "truth.png", truth.view(), 16);
    const run_result r = cli(in.dir, "compare truth.png guide.png c.png --downsample 4 --truth truth.png --backend reference");
    INFO(r.err);
    REQUIRE(r.code == 0);
    CHECK(r.out.find("model: depth_sr") != std::string::npos);
    CHECK(r.out.find("RMSE(mm)") != std::string::npos);
    CHECK(r.out.find("scored on the 1268 of 1280 pixels") != std::string::npos);
    // A colour photo and a guide of its size: a no-flash / flash pair.
    const run_result d = cli(in.dir, "compare guide.png depth.png d.png --backend reference --quiet");
    CHECK(d.code == 0);
    const run_result e = cli(in.dir, "compare guide.png depth.png e.png --backend reference");
    CHECK(e.out.find("model: flash_deblur") != std::string::npos);
}

TEST_CASE("svlrm compare prints metrics against the truth and writes a side-by-side picture", "[cli]") {
    inputs in;
    const run_result r = cli(in.dir, "compare low.pfm guide.png cmp.png --truth depth.pfm --model model.safetensors");
    INFO(r.err);
    REQUIRE(r.code == 0);
    for (const char* s : {"RMSE(255)", "PSNR(dB)", "SSIM", "bicubic", "guided filter", "hand-crafted (Eq. 12)",
                          "joint bilateral upsampling", "SVLRM"})
        CHECK(r.out.find(s) != std::string::npos);
    const image<float> pic = read(in.dir / "cmp.png");
    CHECK(pic.channels() == 3);
    CHECK(pic.width() == 7 * 40 + 6 * 4);  // guide, 5 methods, truth
    CHECK(pic.height() == 2 * 32 + 4);     // results; alpha, beta and the error maps
    // --downsample makes the low-res input from a full-size one.
    const run_result d = cli(in.dir, "compare depth.pfm guide.png cmp2.png --downsample 4 --truth depth.pfm "
                                     "--model model.safetensors --quiet");
    CHECK(d.code == 0);
    CHECK(d.out.find("bicubic") != std::string::npos);
    // A depth model's input saved with three different channels (a colour-mapped export)
    // is one depth channel, its luma, as for upsample and restore: it compares with a
    // one-channel truth (it was filtered as three channels and refused).
    image<float> rgb_depth(40, 32, 3);
    for (long i = 0; i < 40 * 32; ++i)
        for (long c = 0; c < 3; ++c) rgb_depth.data()[3 * i + c] = in.depth.data()[i] * (0.8f + 0.1f * float(c));
    svlrm_tools::write_pfm(in.dir / "depth_rgb.pfm", rgb_depth.view());
    svlrm_test::blob_parts parts = svlrm_test::parts_of(in.model);
    parts.metadata["task"] = "depth_restoration";
    const auto bytes = svlrm_test::assemble(svlrm_test::header_of(parts), parts.data);
    std::ofstream(in.dir / "depth_model.safetensors", std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    const run_result e = cli(in.dir, "compare depth_rgb.pfm guide.png cmp3.png --truth depth.pfm "
                                     "--model depth_model.safetensors --quiet");
    INFO(e.err);
    CHECK(e.code == 0);
}

TEST_CASE("svlrm info prints a model's layers and sizes", "[cli]") {
    inputs in;
    const run_result r = cli(in.dir, "info model.safetensors");
    REQUIRE(r.code == 0);
    CHECK(r.out.find("layers:           3") != std::string::npos);
    CHECK(r.out.find("parameters:       " + std::to_string(in.model.parameter_count())) != std::string::npos);
    CHECK(r.out.find("receptive radius: 3 pixels") != std::string::npos);
    CHECK(r.out.find("format: svlrm") != std::string::npos);
    CHECK(r.out.find("normalisation:    none") != std::string::npos);
    // A valid_range model says so, and its informational depth_encoding is listed.
    svlrm::model m = in.model;
    m.input_normalisation = svlrm::input_normalisation::valid_range;
    auto parts = svlrm_test::parts_of(m);
    parts.metadata["depth_encoding"] = "metric,inverse";
    const auto bytes = svlrm_test::assemble(svlrm_test::header_of(parts), parts.data);
    std::ofstream(in.dir / "range.safetensors", std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    const run_result v = cli(in.dir, "info range.safetensors");
    REQUIRE(v.code == 0);
    CHECK(v.out.find("normalisation:    valid_range") != std::string::npos);
    CHECK(v.out.find("depth_encoding: metric,inverse") != std::string::npos);
}

TEST_CASE("svlrm batch mode filters every image of a folder", "[cli]") {
    inputs in;
    fs::create_directories(in.dir / "in");
    fs::create_directories(in.dir / "guides");
    const image<float> g = read(in.dir / "guide.png");
    for (const char* n : {"a.png", "b.pfm", "c.npy"}) {
        svlrm_tools::write_image(in.dir / "in" / n, test_image(40, 32, 1, 10).view());
        svlrm_tools::write_png(in.dir / "guides" / (fs::path(n).stem().string() + ".png"), g.view());
    }
    std::ofstream(in.dir / "in" / "notes.txt") << "not an image";
    const run_result r = cli(in.dir, "hc in guides out --quiet");
    REQUIRE(r.code == 0);
    CHECK(new_files(in.dir / "out") == std::vector<std::string>{"a.png", "b.pfm", "c.npy"});
    REQUIRE(cli(in.dir, "hc in guides out2 --format pfm --quiet").code == 0);
    image<float> want(40, 32);
    svlrm::hand_crafted_filter(g.view(), read(in.dir / "in" / "b.pfm").view(), want.view(), 0.1, 0.1);
    CHECK(max_diff(read(in.dir / "out2" / "b.pfm"), want) <= 1e-6);
    CHECK(fs::exists(in.dir / "out2" / "a.pfm"));
    // Self-guided: no guide folder.
    REQUIRE(cli(in.dir, "denoise in out3 --model model.safetensors --backend reference --quiet").code == 0);
    CHECK(new_files(in.dir / "out3").size() == 3);
    // A missing guide is found before anything is written.
    fs::remove(in.dir / "guides" / "c.png");
    check_error(in, "hc in guides out4", 1, "no guide for c.npy");
}

TEST_CASE("svlrm errors: one line on stderr, exit code, no output file", "[cli]") {
    inputs in;
    std::ofstream(in.dir / "broken.png") << "not a png at all";
    std::ofstream(in.dir / "photo.jpg") << "jpeg?";
    std::ofstream(in.dir / "bad.safetensors") << "garbage";
    svlrm_tools::write_png(in.dir / "small.png", image<float>(20, 16, 3).view());
    const std::string m = " --model model.safetensors";

    // Unreadable files and unsupported formats.
    check_error(in, "guided missing.png guide.png o.png", 1, "missing.png");
    check_error(in, "guided broken.png guide.png o.png", 1, "broken.png");
    check_error(in, "guided photo.jpg guide.png o.png", 1, "photo.jpg: JPEG: Not a JPEG file");
    std::ofstream(in.dir / "photo.webp") << "webp?";
    check_error(in, "guided photo.webp guide.png o.png", 1, "unsupported format");
    check_error(in, "guided depth.pfm guide.png o.jpg", 2, "unsupported output format");
    check_error(in, "restore depth.pfm guide.png o.png --model bad.safetensors", 1, "bad.safetensors");
    check_error(in, "info missing.safetensors", 1, "missing.safetensors");
    // Mismatched sizes.
    check_error(in, "guided depth.pfm small.png o.png", 1, "same size");
    check_error(in, "restore depth.pfm small.png o.pfm" + m, 1, "same size");
    check_error(in, "upsample low.pfm small.png o.pfm --scale 4" + m, 1, "--scale 4");
    check_error(in, "compare low.pfm guide.png o.png --truth small.png" + m, 1, "truth");
    // Bad option values and command lines.
    check_error(in, "guided depth.pfm guide.png o.png --eps 0", 2, "--eps");
    check_error(in, "guided depth.pfm guide.png o.png --eps nan", 2, "--eps");
    check_error(in, "guided depth.pfm guide.png o.png --radius -1", 2, "--radius");
    check_error(in, "fast-guided depth.pfm guide.png o.png --subsample 0", 2, "--subsample");
    check_error(in, "hc depth.pfm guide.png o.png --mu -0.1", 2, "--mu");
    check_error(in, "jbu low.pfm guide.png o.png --sigma-range 0", 2, "--sigma-range");
    check_error(in, "upsample low.pfm guide.png o.png --scale 0" + m, 2, "--scale");
    check_error(in, "filter depth.pfm guide.png o.png --tile -5" + m, 2, "--tile");
    check_error(in, "filter depth.pfm guide.png o.png --bits 12" + m, 2, "--bits");
    check_error(in, "filter depth.pfm guide.png o.png --backend tpu" + m, 2, "--backend");
    check_error(in, "filter depth.pfm guide.png o.png --backend reference --precision bf16" + m, 2, "--precision");
    check_error(in, "filter depth.pfm guide.png o.png --threads 0" + m, 2, "--threads");
    check_error(in, "filter depth.pfm guide.png o.png", 2, "--model");
    check_error(in, "filter depth.pfm guide.png o.png --model", 2, "--model");
    check_error(in, "guided depth.pfm guide.png o.png --sharpen 3", 2, "--sharpen");
    check_error(in, "guided depth.pfm o.png", 2, "expected 3 arguments");
    check_error(in, "frobnicate", 2, "unknown command");
    // deblur and smooth: sizes, channels, iterations, exclusive options.
    check_error(in, "deblur guide.png small.png o.png" + m, 1, "same size");
    check_error(in, "smooth guide.png o.png --iterations -1 --classical", 2, "--iterations");
    check_error(in, "smooth guide.png o.png --classical --model model.safetensors", 2, "exclude");
    check_error(in, "smooth guide.png o.png --classical --sigma-spatial 0", 2, "--sigma-spatial");
    check_error(in, "smooth guide.png o.png --classical --save-coefficients c", 2, "save-coefficients");
    svlrm_tools::write_npy(in.dir / "two.npy", image<float>(20, 16, 2).view());
    svlrm_tools::write_npy(in.dir / "flash2.npy", image<float>(40, 32, 2).view());
    check_error(in, "deblur guide.png flash2.npy o.png" + m, 1, "guide has 2 channels");
    check_error(in, "smooth two.npy o.npy --classical", 1, "expected 1 or 3");
    check_error(in, "smooth guide.png", 2, "expected 2 arguments");
    // A result that cannot be written in full leaves nothing: the coefficient maps
    // would go to a missing folder, so the main output is not written either.
    check_error(in, "hc depth.pfm guide.png o.png --save-coefficients nowhere/c", 1, "nowhere");
    check_error(in, "guided depth.pfm guide.png nowhere/o.png", 1, "nowhere");
}

#endif  // SVLRM_CLI_PATH
