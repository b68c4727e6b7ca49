"""Minimal, dependency-free reader and writer of safetensors files.

Why this exists: svlrm models and test fixtures are safetensors files
(docs/weights-format.md), and the Debian environment has no `safetensors`
package. The format is small enough to write by hand:

    bytes 0..7    N, u64 little-endian, length of the JSON header
    bytes 8..8+N  JSON header, padded with spaces to a multiple of 8 bytes
    bytes 8+N..   raw little-endian tensor data, back to back

Supported dtypes: F64, F32, F16 and BF16. NumPy has no bfloat16, so BF16
tensors travel as their raw 16-bit patterns in `uint16` arrays: `save` writes a
uint16 array as BF16 and `load` returns BF16 tensors as uint16 arrays. Use
`to_bf16_bits` / `from_bf16_bits` to convert from / to float32.

The loader is strict, mirroring the checks of svlrm::model::load, so that the
Python tools never produce or accept a file the C++ side would reject.
"""

import json
import math
import os

import numpy as np

# safetensors dtype name -> little-endian numpy dtype of its storage.
DTYPES = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "BF16": np.dtype("<u2"),
}
MAX_HEADER_BYTES = 100 * 1024 * 1024  # the C++ loader's limit
MAX_JSON_DEPTH = 8  # the C++ loader's limit on nesting


def to_bf16_bits(values):
    """Round float values to bfloat16 (nearest, ties to even); return the bit patterns."""
    bits = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
    nan = np.isnan(np.asarray(values, dtype=np.float32))
    return np.where(nan, np.uint16(0x7FC0), rounded).astype(np.uint16)


def from_bf16_bits(bits):
    """Expand bfloat16 bit patterns (uint16) to float32, exactly."""
    widened = np.asarray(bits, dtype=np.uint16).astype(np.uint32) << 16
    return widened.view(np.float32)


def _dtype_name(array):
    for name, dtype in DTYPES.items():
        if array.dtype.kind == dtype.kind and array.dtype.itemsize == dtype.itemsize:
            return name
    raise ValueError(
        f"unsupported array dtype {array.dtype}: use float64, float32, float16 "
        "or uint16 (bfloat16 bit patterns)")


def save(path, tensors, metadata=None):
    """Write `tensors` (name -> numpy array) and `metadata` (str -> str) to `path`.

    Tensors are stored sorted by name, so their data offsets are sorted and
    contiguous; the header is padded with spaces to a multiple of 8 bytes, as the
    reference implementation does, so the data section is 8-byte aligned.
    """
    metadata = dict(metadata or {})
    for key, value in metadata.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise ValueError(f"metadata must map strings to strings, got {key!r}: {value!r}")
    header = {"__metadata__": metadata} if metadata else {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        if name == "__metadata__":
            raise ValueError("'__metadata__' is reserved and cannot name a tensor")
        array = np.asarray(tensors[name])
        dtype = _dtype_name(array)
        data = np.ascontiguousarray(array, dtype=DTYPES[dtype]).tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as out:
        out.write(len(text).to_bytes(8, "little"))
        out.write(text)
        for data in blobs:
            out.write(data)


def _unique_object(pairs):
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"duplicate JSON key {key!r} in header")
        seen[key] = value
    return seen


def _reject_constant(name):
    raise ValueError(f"non-standard JSON constant {name} in header")


def _depth(value):
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _is_uint(value):
    # JSON true/false parse as bool, a subclass of int: not a size.
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _parse_header(raw):
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"header is not valid UTF-8: {err}") from None
    try:
        header = json.loads(text, object_pairs_hook=_unique_object,
                            parse_constant=_reject_constant)
    except json.JSONDecodeError as err:
        raise ValueError(f"header is not valid JSON: {err}") from None
    if not isinstance(header, dict):
        raise ValueError("header is not a JSON object")
    if _depth(header) > MAX_JSON_DEPTH:
        raise ValueError(f"header nests deeper than {MAX_JSON_DEPTH} levels")
    return header


def _check_entry(name, entry):
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
        raise ValueError(
            f"tensor {name!r}: entry must have exactly 'dtype', 'shape', 'data_offsets'")
    dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    if dtype not in DTYPES:
        raise ValueError(f"tensor {name!r}: unsupported dtype {dtype!r} "
                         f"(expected one of {', '.join(DTYPES)})")
    if not isinstance(shape, list) or not all(_is_uint(d) for d in shape):
        raise ValueError(f"tensor {name!r}: shape must be a list of non-negative integers")
    if (not isinstance(offsets, list) or len(offsets) != 2
            or not all(_is_uint(o) for o in offsets) or offsets[0] > offsets[1]):
        raise ValueError(f"tensor {name!r}: data_offsets must be [begin, end] with "
                         "0 <= begin <= end")
    nbytes = math.prod(shape) * DTYPES[dtype].itemsize
    if nbytes != offsets[1] - offsets[0]:
        raise ValueError(f"tensor {name!r}: shape {shape} of {dtype} needs {nbytes} bytes, "
                         f"data_offsets span {offsets[1] - offsets[0]}")


def load(path):
    """Read a safetensors file; return (tensors: name -> numpy array, metadata: dict).

    Raises ValueError naming the problem for any malformed file: truncation,
    oversized or invalid JSON header, unknown dtypes, size mismatches, and data
    offsets that overlap, leave gaps or do not cover the data section exactly.
    """
    size = os.path.getsize(path)
    with open(path, "rb") as src:
        blob = src.read()
    if size < 8:
        raise ValueError(f"{path}: {size} bytes, too short for a safetensors file")
    header_len = int.from_bytes(blob[:8], "little")
    if header_len > MAX_HEADER_BYTES:
        raise ValueError(f"{path}: header length {header_len} exceeds {MAX_HEADER_BYTES}")
    if 8 + header_len > size:
        raise ValueError(f"{path}: header length {header_len} runs past the end of the "
                         f"file ({size} bytes): truncated?")
    header = _parse_header(blob[8:8 + header_len])
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(
            isinstance(v, str) for v in metadata.values()):
        raise ValueError(f"{path}: __metadata__ must be an object of string values")
    for name, entry in header.items():
        _check_entry(name, entry)

    data = blob[8 + header_len:]
    position = 0
    for name in sorted(header, key=lambda n: tuple(header[n]["data_offsets"])):
        begin, end = header[name]["data_offsets"]
        if begin != position:
            kind = "overlaps the previous tensor" if begin < position else "leaves a gap"
            raise ValueError(f"{path}: tensor {name!r} at offset {begin} {kind} "
                             f"(expected offset {position})")
        position = end
    if position != len(data):
        raise ValueError(f"{path}: tensors cover {position} bytes but the data section "
                         f"has {len(data)} bytes (truncated or trailing bytes)")

    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        dtype = DTYPES[entry["dtype"]]
        array = np.frombuffer(data[begin:end], dtype=dtype)
        tensors[name] = array.reshape(entry["shape"]).copy()
    return tensors, metadata
