// JPEG reading for svlrm's programs through libjpeg(-turbo): colour guides from cameras
// and RGB-D datasets (NYU, Redwood, TUM, SUN RGB-D) are JPEG. Read only; 8-bit grey or
// RGB (CMYK / YCCK are converted by libjpeg to RGB), onto the unit scale.
#pragma once

#include <svlrm/image.hpp>

#include <cstddef>
#include <csetjmp>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include <jpeglib.h>
#include <jerror.h>

namespace svlrm_tools::jpeg_detail {

struct error_manager {
    jpeg_error_mgr base;
    std::jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
    bool truncated;
};

inline void on_error(j_common_ptr cinfo) {
    auto* e = reinterpret_cast<error_manager*>(cinfo->err);
    (*cinfo->err->format_message)(cinfo, e->message);
    std::longjmp(e->jump, 1);
}

// Warnings (corrupt but decodable data) are not printed. One is an error: the data ends
// before the image, which libjpeg answers with rows of flat grey.
inline void on_message(j_common_ptr cinfo, int level) {
    if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) reinterpret_cast<error_manager*>(cinfo->err)->truncated = true;
}

// libjpeg reports errors by longjmp: this frame holds no object with a destructor between
// setjmp and the libjpeg calls (the pixel buffer is sized by the caller's callback after
// the header is read, outside this frame), so the jump is well-defined. Returns null or
// the error message.
template <class Allocate>
const char* decode(std::span<const unsigned char> bytes, Allocate&& allocate, std::size_t max_pixels) {
    static thread_local error_manager err;
    jpeg_decompress_struct cinfo;
    cinfo.err = jpeg_std_error(&err.base);
    err.base.error_exit = on_error;
    err.base.emit_message = on_message;
    err.truncated = false;
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return err.message;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, bytes.data(), static_cast<unsigned long>(bytes.size()));
    jpeg_read_header(&cinfo, TRUE);
    cinfo.out_color_space = cinfo.num_components == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_calc_output_dimensions(&cinfo);
    if (std::size_t(cinfo.output_width) * cinfo.output_height > max_pixels) {
        jpeg_destroy_decompress(&cinfo);
        return "the image exceeds the pixel limit";
    }
    unsigned char* out = allocate(cinfo.output_width, cinfo.output_height, cinfo.output_components);
    jpeg_start_decompress(&cinfo);
    const std::size_t row = std::size_t(cinfo.output_width) * cinfo.output_components;
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW r = out + row * cinfo.output_scanline;
        jpeg_read_scanlines(&cinfo, &r, 1);
        if (err.truncated) {
            jpeg_destroy_decompress(&cinfo);
            return "the file is truncated: its data ends before the image does";
        }
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return nullptr;
}

}  // namespace svlrm_tools::jpeg_detail
