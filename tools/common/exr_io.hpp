// OpenEXR reading for svlrm's programs through the OpenEXR library: float depth is
// often EXR (renderers, Blender's Z pass, many RGB-D datasets). Read only, scan lines
// or tiles, any compression OpenEXR has, half / float / uint channels read as float:
//   R, G, B      -> 3 channels (a colour guide; A dropped)
//   Y            -> 1 channel (luminance)
//   Z or depth   -> 1 channel (the name Blender and most tools give depth)
//   one channel of any other name -> that channel
// Anything else (several unrelated channels, subsampled channels, deep data) is refused
// by name. Values are taken as they are (EXR is linear float, like PFM). Errors are
// thrown as std::string (ours) or std::exception (OpenEXR's Iex::BaseExc).
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include <OpenEXR/Iex.h>
#include <OpenEXR/ImfChannelList.h>
#include <OpenEXR/ImfFrameBuffer.h>
#include <OpenEXR/ImfHeader.h>
#include <OpenEXR/ImfIO.h>
#include <OpenEXR/ImfInputFile.h>

namespace svlrm_tools::exr_detail {

// OpenEXR reads through this from a buffer in memory.
class memory_stream final : public Imf::IStream {
public:
    explicit memory_stream(std::span<const unsigned char> bytes) : Imf::IStream("memory"), bytes_(bytes) {}
    bool read(char c[], int n) override {
        if (n < 0 || pos_ > bytes_.size() || bytes_.size() - pos_ < std::uint64_t(n))
            throw Iex::InputExc("the file ends early");  // what OpenEXR's own streams throw
        std::memcpy(c, bytes_.data() + pos_, std::size_t(n));
        pos_ += std::uint64_t(n);
        return pos_ < bytes_.size();
    }
    std::uint64_t tellg() override { return pos_; }
    void seekg(std::uint64_t pos) override { pos_ = pos; }

private:
    std::span<const unsigned char> bytes_;
    std::uint64_t pos_ = 0;
};

// The data window of the first header, read by hand before OpenEXR sees the file: the
// library sizes its offset tables and line buffers from it, so a hostile size must be
// refused first. Throws the reason.
inline std::uint64_t pixel_count(std::span<const unsigned char> b) {
    const auto int32_at = [&](std::size_t at) {
        std::int32_t v;
        std::memcpy(&v, b.data() + at, 4);
        return v;  // little-endian file, little-endian host (x86-64, AArch64)
    };
    if (b.size() < 8 || int32_at(0) != 20000630) throw std::string("not an OpenEXR file");
    std::size_t at = 8;
    const auto text = [&]() {
        const std::size_t start = at;
        while (at < b.size() && b[at] != 0 && at - start < 256) ++at;
        if (at >= b.size() || b[at] != 0) throw std::string("the header ends early");
        return std::string(reinterpret_cast<const char*>(b.data() + start), at++ - start);
    };
    for (;;) {
        const std::string name = text();
        if (name.empty()) throw std::string("the header has no dataWindow");
        const std::string type = text();
        if (at + 4 > b.size()) throw std::string("the header ends early");
        const std::int32_t size = int32_at(at);
        at += 4;
        if (size < 0 || b.size() - at < std::size_t(size)) throw std::string("the header ends early");
        if (name == "dataWindow") {
            if (type != "box2i" || size != 16) throw std::string("dataWindow is not a box2i");
            const std::int64_t w = std::int64_t(int32_at(at + 8)) - int32_at(at) + 1;
            const std::int64_t h = std::int64_t(int32_at(at + 12)) - int32_at(at + 4) + 1;
            if (w <= 0 || h <= 0) throw std::string("empty dataWindow");
            return std::uint64_t(w) * std::uint64_t(h);
        }
        at += std::size_t(size);
    }
}

struct decoded {
    int width = 0, height = 0, channels = 0;
    std::vector<float> pixels;  // interleaved
};

// The channels kept, in order, for the rule at the top of this file.
inline std::vector<std::string> chosen_channels(const Imf::ChannelList& list) {
    std::vector<std::string> names;
    for (auto it = list.begin(); it != list.end(); ++it) {
        if (it.channel().xSampling != 1 || it.channel().ySampling != 1)
            throw std::string("channel ") + it.name() + " is subsampled";
        names.emplace_back(it.name());
    }
    const auto has = [&](const char* n) { return list.findChannel(n) != nullptr; };
    if (has("R") && has("G") && has("B")) return {"R", "G", "B"};
    for (const char* n : {"Y", "Z", "depth"})
        if (has(n)) return {n};
    if (names.size() == 1) return names;
    std::string all;
    for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
    throw std::string("no R, G, B, Y, Z or depth channel, and more than one other (" + all + ")");
}

inline decoded decode(std::span<const unsigned char> bytes, std::uint64_t max_pixels) {
    const std::uint64_t count = pixel_count(bytes);
    if (count > max_pixels)
        throw std::string("dataWindow of " + std::to_string(count) + " pixels is over the limit of " +
                          std::to_string(max_pixels));
    memory_stream stream(bytes);
    Imf::InputFile file(stream, 1);
    const Imath::Box2i window = file.header().dataWindow();
    const std::vector<std::string> names = chosen_channels(file.header().channels());
    decoded d;
    d.width = window.max.x - window.min.x + 1;
    d.height = window.max.y - window.min.y + 1;
    d.channels = int(names.size());
    d.pixels.assign(std::size_t(d.width) * d.height * d.channels, 0.0f);
    Imf::FrameBuffer fb;
    for (int c = 0; c < d.channels; ++c)
        fb.insert(names[c], Imf::Slice::Make(Imf::FLOAT, d.pixels.data() + c, window, sizeof(float) * d.channels,
                                             sizeof(float) * d.channels * std::size_t(d.width)));
    file.setFrameBuffer(fb);
    if (!file.isComplete()) throw std::string("the file is incomplete");
    file.readPixels(window.min.y, window.max.y);
    return d;
}

}  // namespace svlrm_tools::exr_detail
