"""Writes the fuzzers' seed corpora into fuzz/corpus/<target>/: valid files of every
kind each decoder reads, plus the malformed variants the loader tests name
(truncated, bad lengths, bad JSON, duplicate keys, overflowing shapes, bad offsets),
so that fuzzing starts next to every branch. Deterministic: rerun to regenerate."""
import io
import json
import os
import struct

import numpy as np
from PIL import Image

from . import REPO, safetensors_io

FUZZ = os.path.join(REPO, "fuzz")


def write(target, name, data):
    d = os.path.join(FUZZ, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def blob(header, data):
    h = json.dumps(header, separators=(",", ":")).encode()
    return struct.pack("<Q", len(h)) + h + data


def model_seeds():
    rng = np.random.default_rng(0)
    meta = {"format": "svlrm", "format_version": "1", "layers": "2:4:3,4:2:1", "activation": "relu",
            "input_order": "input,guide", "output_order": "alpha,beta"}
    tensors = {"layers.0.weight": rng.standard_normal((4, 2, 3, 3)).astype(np.float32),
               "layers.0.bias": np.zeros(4, np.float32),
               "layers.1.weight": rng.standard_normal((2, 4, 1, 1)).astype(np.float32),
               "layers.1.bias": np.zeros(2, np.float32)}
    path = os.path.join(FUZZ, "corpus", "tmp.safetensors")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    safetensors_io.save(path, tensors, meta)
    good = open(path, "rb").read()
    os.remove(path)
    write("model_loader", "valid_small.safetensors", good)
    n = struct.unpack("<Q", good[:8])[0]
    header = json.loads(good[8:8 + n])
    data = good[8 + n:]
    write("model_loader", "truncated_length.bin", good[:5])
    write("model_loader", "truncated_data.bin", good[:-7])
    write("model_loader", "length_past_end.bin", struct.pack("<Q", len(good)) + good[8:])
    write("model_loader", "bad_json.bin", good[:8] + good[8:8 + n // 2] + b"\x01" + good[9 + n // 2:])
    write("model_loader", "trailing.bin", good + b"\0")
    dup = good[8:8 + n].decode().replace('"layers.0.bias":', '"layers.0.bias":{"dtype":"F32","shape":[4],'
                                         '"data_offsets":[0,16]},"layers.0.bias":', 1).encode()
    write("model_loader", "duplicate_key.bin", struct.pack("<Q", len(dup)) + dup + data)
    for name, mutate in [
        ("wrong_dtype.bin", lambda h: h["layers.0.bias"].update(dtype="I32")),
        ("huge_shape.bin", lambda h: h["layers.0.weight"].update(shape=[4294967296, 4294967296, 3, 3])),
        ("overlap.bin", lambda h: h["layers.0.bias"].update(data_offsets=[0, 16])),
        ("missing_meta.bin", lambda h: h["__metadata__"].pop("activation")),
        ("layers_mismatch.bin", lambda h: h["__metadata__"].update(layers="2:4:3,4:3:1")),
        ("deep.bin", lambda h: h.update(x=[[[[[[[[[[1]]]]]]]]]])),
    ]:
        h = json.loads(json.dumps(header))
        mutate(h)
        write("model_loader", name, blob(h, data))


def image_seeds():
    rng = np.random.default_rng(1)
    gray8 = rng.integers(0, 256, (5, 7), dtype=np.uint8)
    rgb8 = rng.integers(0, 256, (4, 3, 3), dtype=np.uint8)
    gray16 = rng.integers(0, 65536, (3, 6), dtype=np.uint16)
    for name, img in [("gray8", Image.fromarray(gray8)), ("rgb8", Image.fromarray(rgb8)),
                      ("gray16", Image.fromarray(gray16.astype(np.int32), "I").convert("I;16")),
                      ("palette", Image.fromarray(rgb8).convert("P"))]:
        b = io.BytesIO()
        img.save(b, "PNG")
        write("decode_png", name + ".png", b.getvalue())
        write("decode_png", name + "_truncated.png", b.getvalue()[:40])
        b = io.BytesIO()
        if name in ("gray8", "rgb8", "palette"):
            img.save(b, "BMP")
            write("decode_bmp", name + ".bmp", b.getvalue())
            write("decode_bmp", name + "_truncated.bmp", b.getvalue()[:60])
    f = rng.random((4, 5)).astype("<f4")
    write("decode_pfm", "gray_le.pfm", b"Pf\n5 4\n-1.0\n" + f[::-1].tobytes())
    write("decode_pfm", "rgb_be.pfm", b"PF\n2 2\n1.0\n" + rng.random((2, 2, 3)).astype(">f4").tobytes())
    write("decode_pfm", "truncated.pfm", b"Pf\n5 4\n-1.0\n" + f.tobytes()[:10])
    for name, arr in [("f4", f), ("u1", gray8), ("u2", gray16), ("rgb_f8", rng.random((2, 3, 3)))]:
        b = io.BytesIO()
        np.save(b, arr)
        write("decode_npy", name + ".npy", b.getvalue())
    write("decode_npy", "truncated.npy", b.getvalue()[:70])
    import tifffile

    for name, mode, size in [("gray", "L", (16, 12)), ("rgb", "RGB", (16, 12)), ("cmyk", "CMYK", (9, 7))]:
        b = io.BytesIO()
        Image.new(mode, size).save(b, "JPEG", quality=80)
        write("decode_jpeg", name + ".jpg", b.getvalue())
        write("decode_jpeg", name + "_truncated.jpg", b.getvalue()[:len(b.getvalue()) // 2])
    for name, arr, kw in [("u8", gray8, {}), ("u16", gray16, {}), ("f32", f, {}),
                          ("rgb_u8", rng.integers(0, 255, (4, 5, 3), dtype=np.uint8), {}),
                          ("rgba_u16", rng.integers(0, 65535, (4, 5, 4), dtype=np.uint16), {}),
                          ("u16_deflate", gray16, {"compression": "zlib"}),
                          ("u16_tiled", np.tile(gray16, (8, 8))[:32, :32], {"tile": (16, 16)}),
                          ("i16", gray16.astype(np.int16), {}), ("planar", rng.random((3, 4, 5)).astype("<f4"),
                                                                   {"planarconfig": "separate"})]:
        b = io.BytesIO()
        tifffile.imwrite(b, arr, **kw)
        write("decode_tiff", name + ".tif", b.getvalue())
    write("decode_tiff", "truncated.tif", b.getvalue()[:60])
    for name, channels, arr in [("z", ["Z"], f), ("rgb", ["B", "G", "R"], rng.random((3, 4, 5)).astype("<f4")),
                                ("uv", ["u", "v"], rng.random((2, 4, 5)).astype("<f4"))]:
        data = exr_scanlines(channels, arr.reshape(len(channels), *arr.shape[-2:]))
        write("decode_exr", name + ".exr", data)
    write("decode_exr", "truncated.exr", data[:len(data) // 2])


def exr_scanlines(channels, planes):
    """An uncompressed scan-line OpenEXR file of FLOAT channels (alphabetical, as the
    format stores them), written by hand: no EXR writer is packaged for Python here."""
    h, w = planes.shape[1:]

    def attr(name, kind, value):
        return name.encode() + b"\0" + kind.encode() + b"\0" + struct.pack("<i", len(value)) + value

    chlist = b"".join(c.encode() + b"\0" + struct.pack("<iB3xii", 2, 0, 1, 1) for c in channels) + b"\0"
    box = struct.pack("<iiii", 0, 0, w - 1, h - 1)
    header = (struct.pack("<ii", 20000630, 2) + attr("channels", "chlist", chlist) +
              attr("compression", "compression", b"\0") + attr("dataWindow", "box2i", box) +
              attr("displayWindow", "box2i", box) + attr("lineOrder", "lineOrder", b"\0") +
              attr("pixelAspectRatio", "float", struct.pack("<f", 1)) +
              attr("screenWindowCenter", "v2f", struct.pack("<ff", 0, 0)) +
              attr("screenWindowWidth", "float", struct.pack("<f", 1)) + b"\0")
    lines, offset = [], len(header) + 8 * h
    offsets = b""
    for y in range(h):
        row = b"".join(planes[k, y].astype("<f4").tobytes() for k in range(len(channels)))
        lines.append(struct.pack("<ii", y, len(row)) + row)
        offsets += struct.pack("<Q", offset)
        offset += len(lines[-1])
    return header + offsets + b"".join(lines)


if __name__ == "__main__":
    model_seeds()
    image_seeds()
