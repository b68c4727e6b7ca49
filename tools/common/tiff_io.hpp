// TIFF reading for svlrm's programs through libtiff: 16-bit depth is often TIFF, and
// float depth too. Read only: 1 channel, 3 (RGB) or 4 (RGBA, alpha dropped) of 8 or 16
// bit unsigned integers or 32-bit floats, strips or tiles, any compression libtiff
// has; other layouts (palette, planar, signed, 1-bit) are refused by name.
#pragma once

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <tiffio.h>

namespace svlrm_tools::tiff_detail {

// libtiff reads through these from a buffer in memory.
struct memory_file {
    std::span<const unsigned char> bytes;
    toff_t pos = 0;
};

inline tsize_t read(thandle_t h, tdata_t buf, tsize_t n) {
    auto* f = static_cast<memory_file*>(h);
    const toff_t size = f->bytes.size();
    const toff_t avail = f->pos < size ? size - f->pos : 0;
    const toff_t count = std::min<toff_t>(avail, toff_t(n));
    if (count) std::memcpy(buf, f->bytes.data() + f->pos, count);
    f->pos += count;
    return tsize_t(count);
}
inline tsize_t write(thandle_t, tdata_t, tsize_t) { return 0; }
inline toff_t seek(thandle_t h, toff_t off, int whence) {
    auto* f = static_cast<memory_file*>(h);
    const toff_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? f->pos : f->bytes.size();
    f->pos = base + off;
    return f->pos;
}
inline int close(thandle_t) { return 0; }
inline toff_t size(thandle_t h) { return static_cast<memory_file*>(h)->bytes.size(); }
inline int map(thandle_t, tdata_t*, toff_t*) { return 0; }
inline void unmap(thandle_t, tdata_t, toff_t) {}

// libtiff prints errors and warnings by default; the message thrown names the problem.
inline int quiet_extended(TIFF*, void*, const char*, const char*, va_list) { return 1; }

struct closer {
    void operator()(TIFF* t) const { TIFFClose(t); }
};

// The samples of a TIFF as (width, height, channels kept, bits, float), read into
// `samples` (interleaved, `bytes per sample` each). Throws the message on failure.
struct decoded {
    std::uint32_t width = 0, height = 0;
    int channels = 0;      // kept: 1 or 3
    int stored = 0;        // samples per pixel in the file: 1, 3 or 4
    int bits = 0;          // 8, 16 or 32
    bool is_float = false;
    std::vector<unsigned char> samples;  // width * height * stored * bits / 8
};

inline decoded decode(std::span<const unsigned char> bytes, std::size_t max_pixels) {
    memory_file file{bytes};
    TIFFOpenOptions* opts = TIFFOpenOptionsAlloc();
    TIFFOpenOptionsSetErrorHandlerExtR(opts, quiet_extended, nullptr);
    TIFFOpenOptionsSetWarningHandlerExtR(opts, quiet_extended, nullptr);
    std::unique_ptr<TIFF, closer> tif(
        TIFFClientOpenExt("memory", "rm", &file, read, write, seek, close, size, map, unmap, opts));
    TIFFOpenOptionsFree(opts);
    if (!tif) throw std::string("not a readable TIFF");
    TIFF* t = tif.get();
    decoded d;
    std::uint16_t spp = 1, bps = 1, format = SAMPLEFORMAT_UINT, planar = PLANARCONFIG_CONTIG, photometric = 0;
    TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &d.width);
    TIFFGetField(t, TIFFTAG_IMAGELENGTH, &d.height);
    TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLESPERPIXEL, &spp);
    TIFFGetFieldDefaulted(t, TIFFTAG_BITSPERSAMPLE, &bps);
    TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLEFORMAT, &format);
    TIFFGetFieldDefaulted(t, TIFFTAG_PLANARCONFIG, &planar);
    if (!TIFFGetField(t, TIFFTAG_PHOTOMETRIC, &photometric)) photometric = spp >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK;
    if (d.width == 0 || d.height == 0) throw std::string("size 0");
    if (std::size_t(d.width) * d.height > max_pixels) throw std::string("the image exceeds the pixel limit");
    if (spp != 1 && spp != 3 && spp != 4) throw std::to_string(spp) + " samples per pixel (1, 3 or 4 are read)";
    if (planar != PLANARCONFIG_CONTIG) throw std::string("planar (separate) channels are not read");
    if (photometric == PHOTOMETRIC_PALETTE || photometric == PHOTOMETRIC_MINISWHITE ||
        (spp == 1 && photometric != PHOTOMETRIC_MINISBLACK) || (spp > 1 && photometric != PHOTOMETRIC_RGB))
        throw "photometric interpretation " + std::to_string(photometric) + " is not read (grey or RGB)";
    const bool uint_ok = format == SAMPLEFORMAT_UINT && (bps == 8 || bps == 16);
    const bool float_ok = format == SAMPLEFORMAT_IEEEFP && bps == 32;
    if (!uint_ok && !float_ok)
        throw std::to_string(bps) + "-bit " + (format == SAMPLEFORMAT_IEEEFP ? "float" : format == SAMPLEFORMAT_INT ? "signed" : "unsigned") +
            " samples are not read (8/16-bit unsigned, 32-bit float)";
    d.stored = spp;
    d.channels = spp == 1 ? 1 : 3;
    d.bits = bps;
    d.is_float = float_ok;
    const std::size_t pixel = std::size_t(spp) * bps / 8, row = pixel * d.width;
    // Memory grows with the rows actually decoded, not with the size the header claims:
    // a short hostile file fails at its first missing strip or tile.
    if (TIFFIsTiled(t)) {
        std::uint32_t tw = 0, th = 0;
        TIFFGetField(t, TIFFTAG_TILEWIDTH, &tw);
        TIFFGetField(t, TIFFTAG_TILELENGTH, &th);
        if (tw == 0 || th == 0 || std::size_t(tw) * th > std::max<std::size_t>(std::size_t(4) * d.width * d.height, 1 << 20))
            throw "bad tile size " + std::to_string(tw) + "x" + std::to_string(th);
        const tmsize_t tile_bytes = TIFFTileSize(t);
        if (tile_bytes <= 0 || std::size_t(tile_bytes) < std::size_t(tw) * th * pixel) throw std::string("bad tile size");
        std::vector<unsigned char> tile(static_cast<std::size_t>(tile_bytes));
        for (std::uint32_t y0 = 0; y0 < d.height; y0 += th) {
            const std::uint32_t h = std::min(th, d.height - y0);
            d.samples.resize(std::size_t(y0 + h) * row);
            for (std::uint32_t x0 = 0; x0 < d.width; x0 += tw) {
                if (TIFFReadTile(t, tile.data(), x0, y0, 0, 0) < 0) throw std::string("cannot read a tile");
                const std::uint32_t w = std::min(tw, d.width - x0);
                for (std::uint32_t y = 0; y < h; ++y)
                    std::memcpy(d.samples.data() + (y0 + y) * row + x0 * pixel, tile.data() + std::size_t(y) * tw * pixel,
                                w * pixel);
            }
        }
    } else {
        if (std::size_t(TIFFScanlineSize(t)) != row) throw std::string("bad scanline size");
        for (std::uint32_t y = 0; y < d.height; ++y) {
            d.samples.resize(std::size_t(y + 1) * row);
            if (TIFFReadScanline(t, d.samples.data() + std::size_t(y) * row, y, 0) < 0)
                throw "cannot read row " + std::to_string(y);
        }
    }
    return d;
}

}  // namespace svlrm_tools::tiff_detail
