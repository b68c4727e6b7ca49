// Image files for svlrm's programs (demo, CLI, evaluation), not for the library:
// the library works on buffers and leaves file formats to its users.
//   PNG  8/16-bit gray, gray+alpha, RGB, RGBA (alpha dropped)   read/write (libpng)
//   PFM  float gray/RGB (Pf/PF), either endianness, bottom-to-top rows  read/write
//   NPY  uint8/uint16/float32/float64, C order, 2-D (h,w) or 3-D (h,w,c)  read/write
//   BMP  uncompressed 8-bit palette / 24-bit / 32-bit   read only
//   JPEG 8-bit grey / RGB   read only (libjpeg-turbo, jpeg_io.hpp)
//   TIFF 8/16-bit and float grey / RGB / RGBA (alpha dropped)   read only (libtiff, tiff_io.hpp)
//   EXR  half / float / uint: RGB, Y, Z or depth, or one channel   read only (OpenEXR, exr_io.hpp)
// Files are read into float images on the unit scale (u8 / 255, u16 / 65535, float as is),
// remembering the stored bit depth. Writes go to a temporary file renamed at the end,
// so that a failure never leaves a partial output behind.
#pragma once

#include "exr_io.hpp"
#include "jpeg_io.hpp"
#include "tiff_io.hpp"

#include <svlrm/image.hpp>

#include <png.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace svlrm_tools {

class io_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

using bytes_view = std::span<const unsigned char>;

struct loaded_image {
    svlrm::image<float> pixels;  // unit scale
    int bits = 8;                // 8, 16 or 32 (float)
};

inline std::string lower_ext(const std::filesystem::path& p) {
    std::string e = p.extension().string();
    std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return e;
}

// A file's bytes, mapped rather than read: decoders check the size an image declares
// before they touch its pixels, so a huge file costs no memory until then (a TIFF that
// declares 60000x60000 was read whole, 8.4 GB, before the pixel limit refused it).
class mapped_file {
public:
    explicit mapped_file(const std::filesystem::path& p) {
        const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) throw io_error(p.string() + ": cannot open file");
        struct stat st {};
        if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            ::close(fd);
            throw io_error(p.string() + ": not a regular file");
        }
        size_ = std::size_t(st.st_size);
        if (size_ > 0) {
            void* m = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
            if (m == MAP_FAILED) {
                ::close(fd);
                throw io_error(p.string() + ": cannot map file");
            }
            data_ = static_cast<const unsigned char*>(m);
        }
        ::close(fd);
    }
    ~mapped_file() {
        if (data_) ::munmap(const_cast<unsigned char*>(data_), size_);
    }
    mapped_file(const mapped_file&) = delete;
    mapped_file& operator=(const mapped_file&) = delete;
    bytes_view bytes() const { return {data_, size_}; }

private:
    const unsigned char* data_ = nullptr;
    std::size_t size_ = 0;
};

// Writes bytes via a temporary file in the same folder, renamed into place.
inline void write_file_atomic(const std::filesystem::path& p, const std::vector<unsigned char>& bytes) {
    const std::filesystem::path tmp = p.string() + ".tmp-svlrm";
    {
        std::ofstream f(tmp, std::ios::binary);
        if (!f) throw io_error(p.string() + ": cannot create file");
        f.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
        if (!f) {
            std::filesystem::remove(tmp);
            throw io_error(p.string() + ": write failed");
        }
    }
    // A failed rename (the target is a folder, say) must not leave the temporary behind.
    std::error_code ec;
    std::filesystem::rename(tmp, p, ec);
    if (ec) {
        std::filesystem::remove(tmp, ec);
        throw io_error(p.string() + ": cannot replace file");
    }
}

// ---- PNG ---------------------------------------------------------------------------

namespace detail {

struct png_memory_reader {
    bytes_view bytes;
    std::size_t pos;
};

// libpng prints its errors and warnings on stderr by default; the message thrown names
// the problem in one line, so they are silenced.
inline void png_silent_error(png_structp png, png_const_charp) { png_longjmp(png, 1); }
inline void png_silent_warning(png_structp, png_const_charp) {}

inline void png_read_memory(png_structp png, png_bytep out, png_size_t n) {
    auto* r = static_cast<png_memory_reader*>(png_get_io_ptr(png));
    if (r->pos + n > r->bytes.size()) png_error(png, "truncated PNG data");
    std::memcpy(out, r->bytes.data() + r->pos, n);
    r->pos += n;
}

inline void png_write_memory(png_structp png, png_bytep data, png_size_t n) {
    auto* out = static_cast<std::vector<unsigned char>*>(png_get_io_ptr(png));
    out->insert(out->end(), data, data + n);
}

inline void png_flush_memory(png_structp) {}

// libpng reports errors by longjmp; this frame holds nothing with a destructor
// between setjmp and the libpng calls, so the jump is well-defined.
inline const char* png_decode(bytes_view bytes, std::vector<unsigned char>& raw, png_uint_32& w,
                              png_uint_32& h, int& channels, int& bits, std::size_t max_pixels) {
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, png_silent_error, png_silent_warning);
    if (!png) return "out of memory";
    png_infop info = png_create_info_struct(png);
    png_memory_reader reader{bytes, 0};
    const char* error = nullptr;
    if (!info) {
        error = "out of memory";
    } else if (setjmp(png_jmpbuf(png))) {
        error = "corrupt PNG data";
    } else {
        png_set_read_fn(png, &reader, png_read_memory);
        png_set_user_limits(png, 1u << 20, 1u << 20);
        png_read_info(png, info);
        w = png_get_image_width(png, info);
        h = png_get_image_height(png, info);
        const int color = png_get_color_type(png, info);
        bits = png_get_bit_depth(png, info);
        if (std::size_t(w) * h > max_pixels) {
            error = "image exceeds the pixel limit";
        } else {
            if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
            if (color == PNG_COLOR_TYPE_GRAY && bits < 8) png_set_expand_gray_1_2_4_to_8(png);
            if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
            if (bits == 16) png_set_swap(png);  // little-endian uint16 in memory
            png_set_strip_alpha(png);
            const int passes = png_set_interlace_handling(png);
            png_read_update_info(png, info);
            bits = png_get_bit_depth(png, info);
            channels = png_get_channels(png, info);
            const std::size_t row_bytes = png_get_rowbytes(png, info);
            raw.resize(row_bytes * h);  // owned by the caller: a longjmp cannot leak it
            for (int pass = 0; pass < passes; ++pass)
                for (png_uint_32 y = 0; y < h; ++y) png_read_row(png, raw.data() + y * row_bytes, nullptr);
        }
    }
    png_destroy_read_struct(&png, info ? &info : nullptr, nullptr);
    return error;
}

inline const char* png_encode(std::vector<unsigned char>& out, const std::vector<unsigned char>& raw, png_uint_32 w,
                              png_uint_32 h, int channels, int bits) {
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    if (!png) return "out of memory";
    png_infop info = png_create_info_struct(png);
    const char* error = nullptr;
    if (!info) {
        error = "out of memory";
    } else if (setjmp(png_jmpbuf(png))) {
        error = "PNG encoding failed";
    } else {
        png_set_write_fn(png, &out, png_write_memory, png_flush_memory);
        png_set_IHDR(png, info, w, h, bits, channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB,
                     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
        png_write_info(png, info);
        if (bits == 16) png_set_swap(png);
        const std::size_t row_bytes = std::size_t(w) * channels * (bits / 8);
        for (png_uint_32 y = 0; y < h; ++y) png_write_row(png, const_cast<png_bytep>(raw.data() + y * row_bytes));
        png_write_end(png, nullptr);
    }
    png_destroy_write_struct(&png, info ? &info : nullptr);
    return error;
}

}  // namespace detail

// Decodes a PNG file held in memory; `name` labels the errors.
inline loaded_image decode_png(bytes_view bytes, const std::string& name) {
    if (bytes.size() < 8 || png_sig_cmp(bytes.data(), 0, 8) != 0) throw io_error(name + ": not a PNG file");
    std::vector<unsigned char> raw;
    png_uint_32 w = 0, h = 0;
    int channels = 0, bits = 0;
    if (const char* e = detail::png_decode(bytes, raw, w, h, channels, bits, std::size_t(svlrm::get_max_pixels())))
        throw io_error(name + ": " + e);
    loaded_image out{svlrm::image<float>(w, h, channels), bits};
    const std::size_t n = std::size_t(w) * h * channels;
    for (std::size_t i = 0; i < n; ++i)
        out.pixels.data()[i] = bits == 16 ? svlrm::to_unit(std::uint16_t(raw[2 * i] | raw[2 * i + 1] << 8))
                                          : svlrm::to_unit(std::uint8_t(raw[i]));
    return out;
}

inline loaded_image read_png(const std::filesystem::path& p) { return decode_png(mapped_file(p).bytes(), p.string()); }

// Writes 1- or 3-channel unit-scale data as an 8- or 16-bit PNG (rounded, clamped).
inline void write_png(const std::filesystem::path& p, svlrm::image_view<const float> v, int bits = 8) {
    if (v.channels != 1 && v.channels != 3) throw io_error(p.string() + ": PNG output needs 1 or 3 channels");
    if (bits != 8 && bits != 16) throw io_error(p.string() + ": PNG bit depth must be 8 or 16");
    std::vector<unsigned char> raw;
    raw.reserve(std::size_t(v.width * v.height * v.channels * (bits / 8)));
    for (std::ptrdiff_t y = 0; y < v.height; ++y)
        for (std::ptrdiff_t i = 0; i < v.width * v.channels; ++i) {
            const float f = v.row(y)[i];
            if (bits == 8) {
                raw.push_back(svlrm::from_unit<std::uint8_t>(f));
            } else {
                const std::uint16_t u = svlrm::from_unit<std::uint16_t>(f);
                raw.push_back(u & 0xFF);
                raw.push_back(u >> 8);
            }
        }
    std::vector<unsigned char> out;
    if (const char* e = detail::png_encode(out, raw, png_uint_32(v.width), png_uint_32(v.height), int(v.channels), bits))
        throw io_error(p.string() + ": " + e);
    write_file_atomic(p, out);
}

// ---- PFM ---------------------------------------------------------------------------

// Decodes a PFM file held in memory; `name` labels the errors.
inline loaded_image decode_pfm(bytes_view bytes, const std::string& name) {
    std::size_t pos = 0;
    auto token = [&]() {
        while (pos < bytes.size() && std::isspace(bytes[pos])) ++pos;
        std::string t;
        while (pos < bytes.size() && !std::isspace(bytes[pos]) && t.size() < 32) t += char(bytes[pos++]);
        return t;
    };
    const std::string magic = token();
    if (magic != "Pf" && magic != "PF") throw io_error(name + ": not a PFM file");
    const int channels = magic == "PF" ? 3 : 1;
    long w = 0, h = 0;
    double scale = 0;
    try {
        w = std::stol(token());
        h = std::stol(token());
        scale = std::stod(token());
    } catch (const std::exception&) {
        throw io_error(name + ": malformed PFM header");
    }
    ++pos;  // the single whitespace after the scale
    if (w <= 0 || h <= 0 || w > (1L << 20) || h > (1L << 20) || scale == 0 || !std::isfinite(scale) ||
        w * h > svlrm::get_max_pixels())
        throw io_error(name + ": PFM size or scale out of range");
    const std::size_t n = std::size_t(w) * h * channels;
    if (pos > bytes.size() || bytes.size() - pos < n * 4) throw io_error(name + ": truncated PFM data");
    const bool little = scale < 0;
    loaded_image out{svlrm::image<float>(w, h, channels), 32};
    for (long y = 0; y < h; ++y)  // PFM rows run bottom to top
        for (long i = 0; i < w * channels; ++i) {
            const unsigned char* b = bytes.data() + pos + 4 * (std::size_t(h - 1 - y) * w * channels + i);
            const std::uint32_t u = little ? (b[0] | b[1] << 8 | b[2] << 16 | std::uint32_t(b[3]) << 24)
                                           : (b[3] | b[2] << 8 | b[1] << 16 | std::uint32_t(b[0]) << 24);
            out.pixels.data()[y * w * channels + i] = std::bit_cast<float>(u);
        }
    return out;
}

inline loaded_image read_pfm(const std::filesystem::path& p) { return decode_pfm(mapped_file(p).bytes(), p.string()); }

inline void write_pfm(const std::filesystem::path& p, svlrm::image_view<const float> v) {
    if (v.channels != 1 && v.channels != 3) throw io_error(p.string() + ": PFM output needs 1 or 3 channels");
    const std::string header = std::string(v.channels == 3 ? "PF" : "Pf") + "\n" + std::to_string(v.width) + " " +
                               std::to_string(v.height) + "\n-1.0\n";
    std::vector<unsigned char> out(header.begin(), header.end());
    for (std::ptrdiff_t y = v.height - 1; y >= 0; --y)
        for (std::ptrdiff_t i = 0; i < v.width * v.channels; ++i) {
            const auto u = std::bit_cast<std::uint32_t>(v.row(y)[i]);
            for (int b = 0; b < 4; ++b) out.push_back((u >> (8 * b)) & 0xFF);
        }
    write_file_atomic(p, out);
}

// ---- NPY ---------------------------------------------------------------------------

// Decodes a NPY file held in memory; `name` labels the errors.
inline loaded_image decode_npy(bytes_view bytes, const std::string& name) {
    if (bytes.size() < 10 || std::memcmp(bytes.data(), "\x93NUMPY", 6) != 0) throw io_error(name + ": not an NPY file");
    const int major = bytes[6];
    std::size_t header_len = 0, start = 0;
    if (major == 1) {
        header_len = bytes[8] | bytes[9] << 8;
        start = 10;
    } else if ((major == 2 || major == 3) && bytes.size() >= 12) {
        header_len = bytes[8] | bytes[9] << 8 | bytes[10] << 16 | std::size_t(bytes[11]) << 24;
        start = 12;
    } else {
        throw io_error(name + ": unsupported NPY version");
    }
    if (header_len > 65536 || start + header_len > bytes.size()) throw io_error(name + ": truncated NPY header");
    const std::string header(bytes.begin() + long(start), bytes.begin() + long(start + header_len));
    auto field = [&](const std::string& key) {
        const auto at = header.find("'" + key + "'");
        if (at == std::string::npos) throw io_error(name + ": NPY header lacks " + key);
        return header.substr(header.find(':', at) + 1);
    };
    std::string descr = field("descr");
    descr = descr.substr(descr.find('\'') + 1);
    descr = descr.substr(0, descr.find('\''));
    if (field("fortran_order").find("False") != 0 && field("fortran_order").find(" False") != 0)
        throw io_error(name + ": Fortran-order NPY arrays are not supported");
    const std::string shape_text = field("shape");
    std::vector<long> shape;
    {
        const std::size_t open = shape_text.find('('), end = shape_text.find(')');
        if (open == std::string::npos || end == std::string::npos || end < open)
            throw io_error(name + ": NPY header has no shape tuple");
        std::size_t i = open + 1;
        while (i < end) {
            while (i < end && !std::isdigit(static_cast<unsigned char>(shape_text[i]))) ++i;
            if (i >= end) break;
            long v = 0;
            while (i < end && std::isdigit(static_cast<unsigned char>(shape_text[i])) && v < (1L << 40)) v = v * 10 + (shape_text[i++] - '0');
            shape.push_back(v);
        }
    }
    if (shape.size() != 2 && shape.size() != 3) throw io_error(name + ": NPY array must be 2-D or 3-D");
    const long h = shape[0], w = shape[1], c = shape.size() == 3 ? shape[2] : 1;
    if (h <= 0 || w <= 0 || c <= 0 || c > 4 || w > (1L << 20) || h > (1L << 20) || w * h > svlrm::get_max_pixels())
        throw io_error(name + ": NPY shape out of range");
    const std::size_t n = std::size_t(w) * h * c;
    const std::size_t data_at = start + header_len;
    int size = 0, bits = 32;
    if (descr == "|u1" || descr == "u1") size = 1, bits = 8;
    else if (descr == "<u2") size = 2, bits = 16;
    else if (descr == "<f4") size = 4;
    else if (descr == "<f8") size = 8;
    else throw io_error(name + ": NPY dtype " + descr + " is not supported (u1, <u2, <f4, <f8)");
    if (bytes.size() - data_at < n * size) throw io_error(name + ": truncated NPY data");
    loaded_image out{svlrm::image<float>(w, h, c), bits};
    const unsigned char* d = bytes.data() + data_at;
    for (std::size_t i = 0; i < n; ++i) {
        float v = 0;
        if (size == 1) v = svlrm::to_unit(std::uint8_t(d[i]));
        else if (size == 2) v = svlrm::to_unit(std::uint16_t(d[2 * i] | d[2 * i + 1] << 8));
        else if (size == 4) { std::uint32_t u; std::memcpy(&u, d + 4 * i, 4); v = std::bit_cast<float>(u); }
        else { std::uint64_t u; std::memcpy(&u, d + 8 * i, 8); v = float(std::bit_cast<double>(u)); }
        out.pixels.data()[i] = v;
    }
    return out;
}

inline loaded_image read_npy(const std::filesystem::path& p) { return decode_npy(mapped_file(p).bytes(), p.string()); }

inline void write_npy(const std::filesystem::path& p, svlrm::image_view<const float> v) {
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(v.height) + ", " +
                         std::to_string(v.width) + (v.channels > 1 ? ", " + std::to_string(v.channels) : "") + "), }";
    while ((10 + header.size() + 1) % 64 != 0) header += ' ';
    header += '\n';
    std::vector<unsigned char> out{0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<unsigned char>(header.size() & 0xFF),
                                   static_cast<unsigned char>(header.size() >> 8)};
    out.insert(out.end(), header.begin(), header.end());
    for (std::ptrdiff_t y = 0; y < v.height; ++y)
        for (std::ptrdiff_t i = 0; i < v.width * v.channels; ++i) {
            const auto u = std::bit_cast<std::uint32_t>(v.row(y)[i]);
            for (int b = 0; b < 4; ++b) out.push_back((u >> (8 * b)) & 0xFF);
        }
    write_file_atomic(p, out);
}

// ---- BMP (read only: the guided filter's demo images) ---------------------------------

// Decodes a BMP file held in memory; `name` labels the errors.
inline loaded_image decode_bmp(bytes_view b, const std::string& name) {
    auto u32 = [&](std::size_t at) { return std::uint32_t(b[at] | b[at + 1] << 8 | b[at + 2] << 16 | std::uint32_t(b[at + 3]) << 24); };
    auto u16 = [&](std::size_t at) { return std::uint16_t(b[at] | b[at + 1] << 8); };
    if (b.size() < 54 || b[0] != 'B' || b[1] != 'M') throw io_error(name + ": not a BMP file");
    const std::uint32_t offset = u32(10), dib = u32(14);
    const std::int32_t w = std::int32_t(u32(18)), hs = std::int32_t(u32(22));
    const int bpp = u16(28);
    if (u32(30) != 0 && u32(30) != 3) throw io_error(name + ": compressed BMP is not supported");
    const long h = std::labs(hs);
    if (w <= 0 || h <= 0 || long(w) * h > svlrm::get_max_pixels() || (bpp != 8 && bpp != 24 && bpp != 32))
        throw io_error(name + ": unsupported BMP (size or bit depth)");
    const std::size_t row = ((std::size_t(w) * bpp + 31) / 32) * 4;
    if (offset > b.size() || b.size() - offset < row * h) throw io_error(name + ": truncated BMP data");
    std::vector<std::uint8_t> palette;
    if (bpp == 8) {
        const std::size_t pal_at = 14 + dib;
        const std::uint32_t colors = u32(46) ? u32(46) : 256;
        if (colors > 256 || pal_at + 4 * colors > offset) throw io_error(name + ": bad BMP palette");
        palette.assign(b.begin() + long(pal_at), b.begin() + long(pal_at + 4 * colors));
        palette.resize(1024, 0);
    }
    bool gray = bpp == 8;
    for (std::size_t i = 0; gray && i + 2 < palette.size(); i += 4) gray = palette[i] == palette[i + 1] && palette[i] == palette[i + 2];
    const int c = gray ? 1 : 3;
    loaded_image out{svlrm::image<float>(w, h, c), 8};
    for (long y = 0; y < h; ++y) {
        const unsigned char* src = b.data() + offset + row * std::size_t(hs > 0 ? h - 1 - y : y);
        for (long x = 0; x < w; ++x) {
            std::uint8_t rgb[3];
            if (bpp == 8) {
                const unsigned char* e = palette.data() + 4 * src[x];
                rgb[0] = e[2], rgb[1] = e[1], rgb[2] = e[0];
            } else {
                const unsigned char* e = src + x * (bpp / 8);
                rgb[0] = e[2], rgb[1] = e[1], rgb[2] = e[0];
            }
            for (int k = 0; k < c; ++k) out.pixels(x, y, k) = svlrm::to_unit(rgb[k]);
        }
    }
    return out;
}

inline loaded_image read_bmp(const std::filesystem::path& p) { return decode_bmp(mapped_file(p).bytes(), p.string()); }

// ---- JPEG, TIFF, EXR (read only, through their libraries) --------------------------------

// Decodes a JPEG file held in memory; `name` labels the errors.
inline loaded_image decode_jpeg(bytes_view bytes, const std::string& name) {
    std::vector<unsigned char> raw;
    int width = 0, height = 0, channels = 0;
    const char* err = jpeg_detail::decode(
        bytes,
        [&](unsigned w, unsigned h, int c) {
            width = int(w), height = int(h), channels = c;
            raw.resize(std::size_t(w) * h * c);
            return raw.data();
        },
        std::size_t(svlrm::get_max_pixels()));
    if (err) throw io_error(name + ": JPEG: " + err);
    loaded_image out{svlrm::image<float>(width, height, channels), 8};
    for (std::size_t i = 0; i < raw.size(); ++i) out.pixels.data()[i] = svlrm::to_unit(raw[i]);
    return out;
}

// Decodes a TIFF file held in memory; `name` labels the errors.
inline loaded_image decode_tiff(bytes_view bytes, const std::string& name) {
    tiff_detail::decoded d;
    try {
        d = tiff_detail::decode(bytes, std::size_t(svlrm::get_max_pixels()));
    } catch (const std::string& why) {
        throw io_error(name + ": TIFF: " + why);
    }
    loaded_image out{svlrm::image<float>(d.width, d.height, d.channels), d.bits};
    const std::size_t n = std::size_t(d.width) * d.height;
    for (std::size_t i = 0; i < n; ++i)
        for (int c = 0; c < d.channels; ++c) {
            const std::size_t k = i * d.stored + c;
            float v;
            if (d.is_float) std::memcpy(&v, d.samples.data() + 4 * k, 4);
            else if (d.bits == 16) {
                std::uint16_t u;
                std::memcpy(&u, d.samples.data() + 2 * k, 2);
                v = svlrm::to_unit(u);
            } else v = svlrm::to_unit(std::uint8_t(d.samples[k]));
            out.pixels.data()[i * d.channels + c] = v;
        }
    return out;
}

// Decodes an OpenEXR file held in memory; `name` labels the errors.
inline loaded_image decode_exr(bytes_view bytes, const std::string& name) {
    exr_detail::decoded d;
    try {
        d = exr_detail::decode(bytes, std::uint64_t(svlrm::get_max_pixels()));
    } catch (const std::string& why) {
        throw io_error(name + ": EXR: " + why);
    } catch (const std::exception& e) {
        throw io_error(name + ": EXR: " + e.what());
    }
    loaded_image out{svlrm::image<float>(d.width, d.height, d.channels), 32};
    std::copy(d.pixels.begin(), d.pixels.end(), out.pixels.data());
    return out;
}

// By extension: .png .pfm .npy .bmp .jpg .jpeg .tif .tiff .exr
inline loaded_image read_image(const std::filesystem::path& p) {
    const std::string e = lower_ext(p);
    if (!std::filesystem::exists(p)) throw io_error(p.string() + ": no such file");
    if (e == ".png") return read_png(p);
    if (e == ".pfm") return read_pfm(p);
    if (e == ".npy") return read_npy(p);
    if (e == ".bmp") return read_bmp(p);
    if (e == ".jpg" || e == ".jpeg") return decode_jpeg(mapped_file(p).bytes(), p.string());
    if (e == ".tif" || e == ".tiff") return decode_tiff(mapped_file(p).bytes(), p.string());
    if (e == ".exr") return decode_exr(mapped_file(p).bytes(), p.string());
    throw io_error(p.string() + ": unsupported format '" + e + "' (png, pfm, npy, bmp, jpg, tif, exr)");
}

// By extension; `bits` chooses 8 or 16 for PNG.
inline void write_image(const std::filesystem::path& p, svlrm::image_view<const float> v, int bits = 8) {
    const std::string e = lower_ext(p);
    if (e == ".png") return write_png(p, v, bits);
    if (e == ".pfm") return write_pfm(p, v);
    if (e == ".npy") return write_npy(p, v);
    throw io_error(p.string() + ": unsupported output format '" + e + "' (png, pfm, npy)");
}

}  // namespace svlrm_tools
