// The weights loader: valid files round-trip; every kind of malformed or hostile
// file is rejected with its own message (docs/weights-format.md, "What a loader checks").
#include <svlrm/model.hpp>

#include "model_builder.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

using svlrm_test::assemble;
using svlrm_test::header_of;
using svlrm_test::parts_of;

namespace {

svlrm::model small_model() {
    return svlrm_test::random_model({2, 4, 4, 2}, 3, svlrm::activation::leaky_relu, 7, 0.2f);
}

// Expects `bytes` to be refused with a message containing `needle`.
void expect_rejected(const std::vector<unsigned char>& bytes, const std::string& needle) {
    INFO("expected message: " << needle);
    REQUIRE_THROWS_MATCHES(svlrm::model::load(bytes.data(), bytes.size(), "blob"), svlrm::model_error,
                           Catch::Matchers::Predicate<svlrm::model_error>(
                               [&](const svlrm::model_error& e) {
                                   const std::string what = e.what();
                                   return what.find(needle) != std::string::npos && what.rfind("blob: ", 0) == 0;
                               },
                               "message names the problem: " + needle));
}

}  // namespace

TEST_CASE("a model round-trips through safetensors bytes and a file", "[model]") {
    const svlrm::model m = small_model();
    const auto bytes = svlrm_test::to_bytes(m);

    const svlrm::model a = svlrm::model::load(bytes.data(), bytes.size());
    REQUIRE(a.layers.size() == 3);
    CHECK(a.activation == svlrm::activation::leaky_relu);
    CHECK(a.activation_slope == Approx(0.2f));
    CHECK(a.receptive_radius() == 3);
    CHECK(a.parameter_count() == m.parameter_count());
    for (std::size_t i = 0; i < 3; ++i) {
        CHECK(a.layers[i].weight == m.layers[i].weight);
        CHECK(a.layers[i].bias == m.layers[i].bias);
    }
    REQUIRE(a.meta("format") != nullptr);
    CHECK(*a.meta("format") == "svlrm");

    const auto path = std::filesystem::temp_directory_path() / "svlrm_test_model_roundtrip.safetensors";
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    const svlrm::model b = svlrm::model::load(path);
    CHECK(b.layers[2].weight == m.layers[2].weight);
    std::filesystem::remove(path);
}

TEST_CASE("the paper's 12 x 64 architecture has 371,650 parameters", "[model]") {
    std::vector<int> channels{2};
    for (int i = 0; i < 11; ++i) channels.push_back(64);
    channels.push_back(2);
    const svlrm::model m = svlrm_test::random_model(channels, 3, svlrm::activation::relu, 1);
    const auto bytes = svlrm_test::to_bytes(m);
    const svlrm::model a = svlrm::model::load(std::span<const unsigned char>(bytes));
    CHECK(a.parameter_count() == 371650);
    CHECK(a.receptive_radius() == 12);
}

TEST_CASE("metadata options are read", "[model]") {
    svlrm::model m = small_model();
    auto p = parts_of(m);
    p.metadata["input_order"] = "guide,input";
    p.metadata["output_order"] = "beta,alpha";
    p.metadata["input_scale"] = "2.5";
    p.metadata["guide_scale"] = "0.5";
    p.metadata["task"] = "depth_upsampling";
    const auto bytes = assemble(header_of(p), p.data);
    const svlrm::model a = svlrm::model::load(bytes.data(), bytes.size());
    CHECK(a.guide_first);
    CHECK(a.beta_first);
    CHECK(a.input_scale == 2.5f);
    CHECK(a.guide_scale == 0.5f);
    REQUIRE(a.meta("task"));
    CHECK(*a.meta("task") == "depth_upsampling");
}

TEST_CASE("input_normalisation is read, absent means none", "[model]") {
    const svlrm::model m = small_model();
    for (const auto& [value, expected] :
         {std::pair<std::string, svlrm::input_normalisation>{"", svlrm::input_normalisation::none},
          {"none", svlrm::input_normalisation::none},
          {"valid_range", svlrm::input_normalisation::valid_range}}) {
        auto p = parts_of(m);
        if (!value.empty()) p.metadata["input_normalisation"] = value;
        p.metadata["depth_encoding"] = "metric,inverse";  // informational, shown by svlrm info only
        const auto bytes = assemble(header_of(p), p.data);
        INFO("input_normalisation \"" << value << "\"");
        const svlrm::model a = svlrm::model::load(bytes.data(), bytes.size());
        CHECK(a.input_normalisation == expected);
        REQUIRE(a.meta("depth_encoding"));
        CHECK(*a.meta("depth_encoding") == "metric,inverse");
    }
    svlrm::model v = m;
    v.input_normalisation = svlrm::input_normalisation::valid_range;
    const auto bytes = svlrm_test::to_bytes(v);
    CHECK(svlrm::model::load(bytes.data(), bytes.size()).input_normalisation == svlrm::input_normalisation::valid_range);
    v.input_normalisation = static_cast<svlrm::input_normalisation>(7);
    REQUIRE_THROWS_WITH(v.validate("hand-built"), Catch::Contains("input_normalisation"));
}

TEST_CASE("input_upsampling is read, absent means bicubic, anything else is refused", "[model]") {
    const svlrm::model m = small_model();
    for (const auto& [value, expected] :
         {std::pair<std::string, svlrm::input_upsampling>{"", svlrm::input_upsampling::bicubic},
          {"bicubic", svlrm::input_upsampling::bicubic},
          {"jbu", svlrm::input_upsampling::jbu}}) {
        auto p = parts_of(m);
        if (!value.empty()) p.metadata["input_upsampling"] = value;
        const auto bytes = assemble(header_of(p), p.data);
        INFO("input_upsampling \"" << value << "\"");
        CHECK(svlrm::model::load(bytes.data(), bytes.size()).input_upsampling == expected);
    }
    auto p = parts_of(m);
    p.metadata["input_upsampling"] = "lanczos";
    const auto bytes = assemble(header_of(p), p.data);
    REQUIRE_THROWS_AS(svlrm::model::load(bytes.data(), bytes.size()), svlrm::model_error);
    REQUIRE_THROWS_WITH(svlrm::model::load(bytes.data(), bytes.size()),
                        Catch::Contains("input_upsampling") && Catch::Contains("lanczos"));
    svlrm::model v = m;
    v.input_upsampling = svlrm::input_upsampling::jbu;
    const auto round = svlrm_test::to_bytes(v);
    CHECK(svlrm::model::load(round.data(), round.size()).input_upsampling == svlrm::input_upsampling::jbu);
    v.input_upsampling = static_cast<svlrm::input_upsampling>(7);
    REQUIRE_THROWS_WITH(v.validate("hand-built"), Catch::Contains("input_upsampling"));
}

TEST_CASE("F16 and BF16 weights are widened to float", "[model]") {
    // One 1x1 layer 2->2 with weights chosen to be exact in both formats.
    const float values[4] = {1.0f, -2.0f, 0.5f, 0.25f};
    const std::uint16_t f16[4] = {0x3C00, 0xC000, 0x3800, 0x3400};
    const std::uint16_t bf16[4] = {0x3F80, 0xC000, 0x3F00, 0x3E80};
    const std::uint16_t bias16[2] = {0x0000, 0x3C00}, biasbf[2] = {0x0000, 0x3F80};
    for (const bool half : {true, false}) {
        std::vector<unsigned char> data(12);
        std::memcpy(data.data(), half ? f16 : bf16, 8);
        std::memcpy(data.data() + 8, half ? bias16 : biasbf, 4);
        const std::string dt = half ? "F16" : "BF16";
        const std::string header =
            "{\"__metadata__\":{\"format\":\"svlrm\",\"format_version\":\"1\",\"layers\":\"2:2:1\",\"activation\":"
            "\"relu\",\"input_order\":\"input,guide\",\"output_order\":\"alpha,beta\"},"
            "\"layers.0.weight\":{\"dtype\":\"" + dt + "\",\"shape\":[2,2,1,1],\"data_offsets\":[0,8]},"
            "\"layers.0.bias\":{\"dtype\":\"" + dt + "\",\"shape\":[2],\"data_offsets\":[8,12]}}";
        const auto bytes = assemble(header, data);
        const svlrm::model m = svlrm::model::load(bytes.data(), bytes.size());
        for (int i = 0; i < 4; ++i) CHECK(m.layers[0].weight[i] == values[i]);
        CHECK(m.layers[0].bias[1] == 1.0f);
    }
}

TEST_CASE("malformed and hostile blobs are each rejected with their own message", "[model][malformed]") {
    const svlrm::model m = small_model();
    const auto good = parts_of(m);
    const std::string header = header_of(good);

    SECTION("shorter than the length field") { expect_rejected({1, 2, 3}, "truncated"); }
    SECTION("empty") { expect_rejected({}, "truncated"); }
    SECTION("truncated data") {
        auto bytes = assemble(header, good.data);
        bytes.resize(bytes.size() - 5);
        expect_rejected(bytes, "past the data section");
    }
    SECTION("header length past the end") {
        auto bytes = assemble(header, good.data);
        bytes[0] = 0xFF;
        bytes[1] = 0xFF;
        bytes[2] = 0x0F;
        expect_rejected(bytes, "runs past the end");
    }
    SECTION("absurd header length") {
        auto bytes = assemble(header, good.data);
        for (int i = 0; i < 8; ++i) bytes[i] = 0xFF;
        expect_rejected(bytes, "exceeds the limit");
    }
    SECTION("bad JSON") {
        std::string h = header;
        h[h.size() / 2] = '\x01';
        expect_rejected(assemble(h, good.data), "malformed JSON");
    }
    SECTION("JSON with trailing garbage") { expect_rejected(assemble(header + "x", good.data), "unexpected data after"); }
    SECTION("header is not an object") { expect_rejected(assemble("[1,2]", good.data), "does not start with '{'"); }
    SECTION("deep nesting") {
        std::string h = "{\"a\":" + std::string(40, '[') + std::string(40, ']') + "}";
        expect_rejected(assemble(h, {}), "nesting deeper");
    }
    SECTION("duplicate keys") {
        auto p = good;
        p.tensor_json.push_back(p.tensor_json.front());
        expect_rejected(assemble(header_of(p), p.data), "duplicate key \"layers.0.weight\"");
    }
    SECTION("wrong dtype") {
        auto p = good;
        const auto at = p.tensor_json[1].find("F32");
        p.tensor_json[1].replace(at, 3, "I32");
        expect_rejected(assemble(header_of(p), p.data), "unsupported dtype \"I32\"");
    }
    SECTION("F64 weights") {
        // 2x2x1x1 weight stored as F64 takes 32 bytes: a consistent file the model refuses.
        std::vector<unsigned char> data(40, 0);
        const std::string h =
            "{\"__metadata__\":{\"format\":\"svlrm\",\"format_version\":\"1\",\"layers\":\"2:2:1\",\"activation\":"
            "\"relu\",\"input_order\":\"input,guide\",\"output_order\":\"alpha,beta\"},"
            "\"layers.0.weight\":{\"dtype\":\"F64\",\"shape\":[2,2,1,1],\"data_offsets\":[0,32]},"
            "\"layers.0.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[32,40]}}";
        expect_rejected(assemble(h, data), "is F64");
    }
    SECTION("shape inconsistent with the declared layers") {
        auto p = good;
        p.metadata["layers"] = "2:4:3,4:4:3,4:3:3";
        expect_rejected(assemble(header_of(p), p.data), "has shape [2, 4, 3, 3] but \"layers\" declares [3, 4, 3, 3]");
    }
    SECTION("byte count inconsistent with dtype and shape") {
        auto p = good;
        const auto at = p.tensor_json[0].find("[4,2,3,3]");
        p.tensor_json[0].replace(at, 9, "[4,2,3,2]");
        expect_rejected(assemble(header_of(p), p.data), "but its dtype and shape need");
    }
    SECTION("huge dimensions overflow") {
        auto p = good;
        const auto at = p.tensor_json[0].find("[4,2,3,3]");
        p.tensor_json[0].replace(at, 9, "[4294967296,4294967296,4294967296,3]");
        expect_rejected(assemble(header_of(p), p.data), "size overflows");
    }
    SECTION("dimension that does not fit 64 bits") {
        auto p = good;
        const auto at = p.tensor_json[0].find("[4,2,3,3]");
        p.tensor_json[0].replace(at, 9, "[99999999999999999999999,2,3,3]");
        expect_rejected(assemble(header_of(p), p.data), "shape entries must be non-negative integers");
    }
    SECTION("negative offset") {
        auto p = good;
        const auto at = p.tensor_json[0].find("[0,");
        p.tensor_json[0].replace(at, 3, "[-8,");
        expect_rejected(assemble(header_of(p), p.data), "data_offsets must be two non-negative integers");
    }
    SECTION("overlapping offsets") {
        // Two tensors pointing at the same bytes: make bias 0 alias the end of weight 0.
        auto p = good;
        std::string& bias = p.tensor_json[1];
        const auto at = bias.find("\"data_offsets\":[");
        bias = bias.substr(0, at) + "\"data_offsets\":[272,288]}";
        expect_rejected(assemble(header_of(p), p.data), "overlaps");
    }
    SECTION("missing offsets leave a gap") {
        auto p = good;
        p.tensor_json.erase(p.tensor_json.begin() + 1);  // layers.0.bias's bytes are still in the data
        expect_rejected(assemble(header_of(p), p.data), "gap of 16 bytes");
    }
    SECTION("trailing bytes") {
        auto data = good.data;
        data.push_back(0);
        expect_rejected(assemble(header, data), "1 trailing bytes");
    }
    SECTION("missing tensor") {
        auto p = good;
        p.metadata["layers"] = "2:4:3,4:4:3,4:2:3,2:2:1";
        expect_rejected(assemble(header_of(p), p.data), "declares 4 layers");
    }
    SECTION("renamed tensor") {
        auto p = good;
        p.tensor_json[3].replace(p.tensor_json[3].find("layers.1.bias"), 13, "layers.1.bia5");
        expect_rejected(assemble(header_of(p), p.data), "tensor \"layers.1.bias\" is missing");
    }
    SECTION("missing metadata key") {
        auto p = good;
        p.metadata.erase("activation");
        expect_rejected(assemble(header_of(p), p.data), "lacks the required key \"activation\"");
    }
    SECTION("not an svlrm file") {
        auto p = good;
        p.metadata["format"] = "pt";
        expect_rejected(assemble(header_of(p), p.data), "not \"svlrm\"");
    }
    SECTION("future format version") {
        auto p = good;
        p.metadata["format_version"] = "2";
        expect_rejected(assemble(header_of(p), p.data), "format_version 2 is not supported");
    }
    SECTION("unknown activation") {
        auto p = good;
        p.metadata["activation"] = "gelu";
        expect_rejected(assemble(header_of(p), p.data), "\"activation\" is \"gelu\"");
    }
    SECTION("unknown input normalisation") {
        auto p = good;
        p.metadata["input_normalisation"] = "bogus";
        expect_rejected(assemble(header_of(p), p.data), "\"input_normalisation\" is \"bogus\"; expected none or valid_range");
    }
    SECTION("bad slope") {
        auto p = good;
        p.metadata["activation_slope"] = "nan";
        expect_rejected(assemble(header_of(p), p.data), "\"activation_slope\" is \"nan\"");
    }
    SECTION("even kernel") {
        auto p = good;
        p.metadata["layers"] = "2:4:2,4:4:3,4:2:3";
        expect_rejected(assemble(header_of(p), p.data), "odd kernel");
    }
    SECTION("garbled layer list") {
        auto p = good;
        p.metadata["layers"] = "2:4:3,,4:2:3";
        expect_rejected(assemble(header_of(p), p.data), "is not in:out:kernel");
    }
    SECTION("channel chain broken") {
        svlrm::model bad = svlrm_test::random_model({2, 4, 4, 2}, 3, svlrm::activation::relu, 3);
        bad.layers[1] = svlrm_test::random_model({2, 5, 4}, 3, svlrm::activation::relu, 4).layers[1];  // 5 -> 4
        expect_rejected(svlrm_test::to_bytes(bad), "takes 5 channels but layer 0 gives 4");
    }
    SECTION("non-finite weight") {
        auto p = good;
        const float inf = std::numeric_limits<float>::infinity();
        std::memcpy(p.data.data() + 4, &inf, 4);
        expect_rejected(assemble(header_of(p), p.data), "non-finite");
    }
    SECTION("metadata value not a string") {
        std::string h = header;
        h.replace(h.find("\"1\""), 3, "1");
        expect_rejected(assemble(h, good.data), "is not a string");
    }
    SECTION("unpaired surrogate in a key") {
        std::string h = header;
        h.replace(h.find("\"format\""), 8, "\"\\ud800x\"");
        expect_rejected(assemble(h, good.data), "unpaired surrogate");
    }
}

TEST_CASE("a missing file and an oversized file are clear errors", "[model]") {
    REQUIRE_THROWS_WITH(svlrm::model::load(std::filesystem::path("/nonexistent/model.safetensors")),
                        Catch::Contains("cannot open file"));
}
