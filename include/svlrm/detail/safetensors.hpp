// The safetensors container: 8-byte little-endian header length, a JSON header,
// raw little-endian data. This layer checks the container (bounds, offsets,
// shapes, dtypes); model.hpp checks that the tensors form an svlrm network.
#pragma once

#include <svlrm/detail/json.hpp>
#include <svlrm/error.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace svlrm::detail {

enum class tensor_dtype { f64, f32, f16, bf16 };

inline std::size_t dtype_size(tensor_dtype t) {
    switch (t) {
        case tensor_dtype::f64: return 8;
        case tensor_dtype::f32: return 4;
        default: return 2;
    }
}

struct tensor_entry {
    std::string name;
    tensor_dtype dtype = tensor_dtype::f32;
    std::vector<std::uint64_t> shape;
    std::uint64_t begin = 0, end = 0;  // relative to the data section
    const unsigned char* data = nullptr;

    std::uint64_t elements() const {
        std::uint64_t n = 1;
        for (auto d : shape) n *= d;  // overflow ruled out when parsed
        return n;
    }
};

struct safetensors_file {
    std::vector<tensor_entry> tensors;                          // in header order
    std::vector<std::pair<std::string, std::string>> metadata;  // __metadata__, in header order

    const tensor_entry* find(const std::string& name) const {
        for (const auto& t : tensors)
            if (t.name == name) return &t;
        return nullptr;
    }
    const std::string* meta(const std::string& key) const {
        for (const auto& kv : metadata)
            if (kv.first == key) return &kv.second;
        return nullptr;
    }
};

// A header larger than this is not a model (a 12 x 64 header is about 2 kB); the bound
// keeps a hostile length from making us allocate or scan gigabytes.
inline constexpr std::uint64_t max_header_bytes = 100u * 1000u * 1000u;

// Parses and validates `bytes`. The returned entries point into `bytes`, which must
// outlive them. Throws model_error naming `where` and the offending tensor or key.
inline safetensors_file parse_safetensors(const unsigned char* bytes, std::size_t size, const std::string& where) {
    auto fail = [&](const std::string& what) -> void { throw model_error(where + ": " + what); };
    if (bytes == nullptr || size < 8) fail("truncated: " + std::to_string(size) + " bytes, a safetensors file starts with an 8-byte header length");
    std::uint64_t header_len = 0;
    for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | bytes[i];
    if (header_len > max_header_bytes)
        fail("header length " + std::to_string(header_len) + " exceeds the limit of " + std::to_string(max_header_bytes) + " bytes");
    if (header_len > size - 8)
        fail("header length " + std::to_string(header_len) + " runs past the end of the data (" + std::to_string(size) + " bytes)");
    if (header_len < 2) fail("header is empty");
    const std::string_view header(reinterpret_cast<const char*>(bytes + 8), static_cast<std::size_t>(header_len));
    if (header[0] != '{') fail("header does not start with '{'");

    const json_value root = json_reader(header, where).parse();
    if (root.type != json_value::kind::object) fail("header is not a JSON object");

    const unsigned char* data = bytes + 8 + header_len;
    const std::uint64_t data_size = size - 8 - header_len;

    safetensors_file file;
    for (std::size_t i = 0; i < root.keys.size(); ++i) {
        const std::string& name = root.keys[i];
        const json_value& v = root.items[i];
        if (name == "__metadata__") {
            if (v.type != json_value::kind::object) fail("__metadata__ is not an object");
            for (std::size_t k = 0; k < v.keys.size(); ++k) {
                if (v.items[k].type != json_value::kind::string)
                    fail("__metadata__ value of \"" + v.keys[k] + "\" is not a string");
                file.metadata.emplace_back(v.keys[k], v.items[k].text);
            }
            continue;
        }
        const std::string t = "tensor \"" + name + "\": ";
        if (v.type != json_value::kind::object) fail(t + "entry is not an object");
        const json_value* dtype = v.find("dtype");
        const json_value* shape = v.find("shape");
        const json_value* offsets = v.find("data_offsets");
        if (!dtype || !shape || !offsets || v.keys.size() != 3)
            fail(t + "entry must have exactly dtype, shape and data_offsets");
        tensor_entry e;
        e.name = name;
        if (dtype->type != json_value::kind::string) fail(t + "dtype is not a string");
        if (dtype->text == "F32") e.dtype = tensor_dtype::f32;
        else if (dtype->text == "F16") e.dtype = tensor_dtype::f16;
        else if (dtype->text == "BF16") e.dtype = tensor_dtype::bf16;
        else if (dtype->text == "F64") e.dtype = tensor_dtype::f64;
        else fail(t + "unsupported dtype \"" + dtype->text + "\" (F32, F16, BF16 or F64)");
        if (shape->type != json_value::kind::array) fail(t + "shape is not an array");
        if (shape->items.size() > 8) fail(t + "shape has more than 8 dimensions");
        std::uint64_t bytes_needed = dtype_size(e.dtype);
        for (const auto& d : shape->items) {
            std::uint64_t n = 0;
            if (!json_to_u64(d, n)) fail(t + "shape entries must be non-negative integers");
            if (n != 0 && bytes_needed > UINT64_MAX / n) fail(t + "shape is too large (size overflows)");
            bytes_needed *= n;
            e.shape.push_back(n);
        }
        if (offsets->type != json_value::kind::array || offsets->items.size() != 2 ||
            !json_to_u64(offsets->items[0], e.begin) || !json_to_u64(offsets->items[1], e.end))
            fail(t + "data_offsets must be two non-negative integers");
        if (e.begin > e.end) fail(t + "data_offsets begin > end");
        if (e.end > data_size)
            fail(t + "data_offsets end " + std::to_string(e.end) + " is past the data section (" + std::to_string(data_size) + " bytes)");
        if (e.end - e.begin != bytes_needed)
            fail(t + "holds " + std::to_string(e.end - e.begin) + " bytes but its dtype and shape need " + std::to_string(bytes_needed));
        e.data = data + e.begin;
        file.tensors.push_back(std::move(e));
    }

    // Tensors must tile the data section exactly: no overlaps (two names for the same
    // bytes), no gaps and no trailing bytes (room to smuggle data past a reviewer).
    std::vector<const tensor_entry*> by_offset;
    for (const auto& e : file.tensors) by_offset.push_back(&e);
    std::sort(by_offset.begin(), by_offset.end(), [](auto* a, auto* b) {
        return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
    });
    std::uint64_t cursor = 0;
    for (const auto* e : by_offset) {
        if (e->begin < cursor) fail("tensor \"" + e->name + "\": data overlaps the previous tensor");
        if (e->begin > cursor) fail("tensor \"" + e->name + "\": gap of " + std::to_string(e->begin - cursor) + " bytes before its data");
        cursor = e->end;
    }
    if (cursor != data_size)
        fail(std::to_string(data_size - cursor) + " trailing bytes after the last tensor");
    return file;
}

inline float half_to_float(std::uint16_t h) {
    const std::uint32_t sign = std::uint32_t(h & 0x8000) << 16;
    std::uint32_t exp = (h >> 10) & 0x1F, mant = h & 0x3FF, bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else {  // subnormal: normalise
            exp = 127 - 15 + 1;
            while ((mant & 0x400) == 0) { mant <<= 1; --exp; }
            bits = sign | (exp << 23) | ((mant & 0x3FF) << 13);
        }
    } else if (exp == 0x1F) {
        bits = sign | 0x7F800000u | (mant << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    }
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

// Element i of a tensor as float (little-endian on every platform).
inline double read_element(const tensor_entry& e, std::uint64_t i) {
    const unsigned char* p = e.data + i * dtype_size(e.dtype);
    switch (e.dtype) {
        case tensor_dtype::f64: {
            std::uint64_t u = 0;
            for (int b = 7; b >= 0; --b) u = (u << 8) | p[b];
            double d;
            std::memcpy(&d, &u, 8);
            return d;
        }
        case tensor_dtype::f32: {
            std::uint32_t u = std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 | std::uint32_t(p[3]) << 24;
            float f;
            std::memcpy(&f, &u, 4);
            return f;
        }
        case tensor_dtype::f16: return half_to_float(std::uint16_t(p[0] | p[1] << 8));
        case tensor_dtype::bf16: {
            const std::uint32_t u = std::uint32_t(p[0] | p[1] << 8) << 16;
            float f;
            std::memcpy(&f, &u, 4);
            return f;
        }
    }
    return 0.0;
}

}  // namespace svlrm::detail
