"""svlrm on Dask: images larger than one machine's memory as chunked arrays, and
datasets of files, on any Dask scheduler (a distributed.Client of many machines, a
LocalCluster, or dask's threads). docs/scale-out.md.

- filter_array: a dask array filtered chunk by chunk (map_overlap) with a halo of the
  method's support, so the result equals the whole-image call: bit for bit for the
  network and the per-pixel Eq. 12, to float rounding for the box-sum filters.
- filter_files: one task per file; each worker reads its files, writes the result
  atomically (a temporary name renamed into place: a killed worker leaves no
  half-written output, and the retried task rewrites it) and returns its metrics.

A model is loaded once per worker process (not once per chunk or file): workers keep
the filters they built, keyed by the model (its file, or the bytes of an svlrm.Model,
which travels to the workers with its weights) and settings.
"""

import hashlib
import os
import threading
import time

import numpy as np

import svlrm

# ---- the methods ----------------------------------------------------------------------

# Per method: its parameters' defaults, the halo a chunk needs (pixels) and the call.
# The network's halo is its receptive radius; the guided filter's box means of a and b
# reach 2 r; the joint bilateral filter r; Eq. 12 is per pixel.
_METHODS = {
    "svlrm": dict(defaults=dict(backend="auto", precision="auto", self_ensemble=False)),
    "guided_filter": dict(defaults=dict(radius=8, eps=1e-2, border="he"),
                          halo=lambda p: 2 * p["radius"],
                          call=lambda g, s, p: svlrm.guided_filter(g, s, p["radius"], p["eps"], border=p["border"])),
    "joint_bilateral_filter": dict(defaults=dict(radius=5, sigma_spatial=3.0, sigma_range=0.1),
                                   halo=lambda p: p["radius"],
                                   call=lambda g, s, p: svlrm.joint_bilateral_filter(
                                       g, s, p["radius"], p["sigma_spatial"], p["sigma_range"])),
    "hand_crafted_filter": dict(defaults=dict(mu=0.1, eta=0.1), halo=lambda p: 0,
                                call=lambda g, s, p: svlrm.hand_crafted_filter(g, s, p["mu"], p["eta"])),
}

loads = 0  # filters this process has built (a test reads it on every worker)
_filters, _filters_lock = {}, threading.Lock()


def _model_key(model):
    """What identifies a model across tasks: its path or name, or its weights' digest
    (an svlrm.Model arrives as a new object in every task)."""
    if isinstance(model, svlrm.Model):
        return "sha1:" + hashlib.sha1(model._bytes).hexdigest()
    return os.fspath(model)


def worker_filter(model, backend="auto", precision="auto", self_ensemble=False):
    """The JointFilter of this process for these settings, built on first use. model: an
    svlrm.Model, a weights file or a bundled model's name."""
    global loads
    key = (_model_key(model), backend, precision, self_ensemble)
    with _filters_lock:
        if key not in _filters:
            loads += 1
            _filters[key] = svlrm.JointFilter(model, backend=backend, precision=precision,
                                              self_ensemble=self_ensemble)
        return _filters[key]


def _params(method, model_path, params):
    if method not in _METHODS:
        raise ValueError(f"svlrm.dask: unknown method {method!r} (one of {sorted(_METHODS)})")
    unknown = set(params) - set(_METHODS[method]["defaults"])
    if unknown:
        raise TypeError(f"svlrm.dask: {method} has no parameter {sorted(unknown)}")
    if method == "svlrm" and model_path is None:
        raise ValueError("svlrm.dask: method 'svlrm' needs model_path")
    p = dict(_METHODS[method]["defaults"])
    p.update(params)
    return p


def _run(method, model_path, p, guide, src, extents=None):
    if method == "svlrm":
        f = worker_filter(model_path, p["backend"], p["precision"], p["self_ensemble"])
        return f.apply(guide, src, extents=extents)
    return _METHODS[method]["call"](guide, src, p)


# ---- chunked arrays -------------------------------------------------------------------

def filter_array(guide, src, model_path=None, *, method="svlrm", chunks=None, extents=None, **params):
    """src (h, w[, c]) filtered with guide (h, w[, 1 or 3]) chunk by chunk; a lazy dask
    array (float32 for the network, src's dtype for the baselines) equal to the
    whole-image call. guide and src: dask or numpy arrays; chunks: the spatial chunk
    size (default: src's chunks, or 1024). For a valid_range model the extents of the
    whole src are computed first (one pass) unless given. params: the method's
    parameters (backend, precision, self_ensemble; radius, eps, ...)."""
    import dask.array as da

    p = _params(method, model_path, params)
    src = src if isinstance(src, da.Array) else da.from_array(np.asarray(src), chunks=chunks or 1024)
    guide = guide if isinstance(guide, da.Array) else da.from_array(np.asarray(guide), chunks=chunks or 1024)
    if guide.shape[:2] != src.shape[:2]:
        raise ValueError(f"svlrm.dask: guide is {guide.shape[:2]} but src is {src.shape[:2]}")
    for name, a in (("guide", guide), ("src", src)):
        if a.ndim not in (2, 3):
            raise ValueError(f"svlrm.dask: {name} has shape {a.shape}; expected (h, w) or (h, w, c)")
    model = svlrm._model(model_path) if method == "svlrm" else None
    halo = model.receptive_radius if model else _METHODS[method]["halo"](p)
    dtype = np.float32 if model else svlrm._image(np.zeros((1, 1), src.dtype), "src").dtype
    # One spatial chunking for both, channels in one chunk. dask's overlap needs every
    # chunk at least as large as the halo: a smaller chunk (the remainder at the end of an
    # axis) joins its neighbour.
    base = src.chunks[:2] if chunks is None else da.core.normalize_chunks((chunks, chunks), src.shape[:2])
    spatial = tuple(_merge_small(c, halo) for c in base)
    if any(min(c) < halo for c in spatial):
        raise ValueError(f"svlrm.dask: the image ({src.shape[0]}x{src.shape[1]}) is smaller than the halo ({halo})")
    src = src.rechunk(spatial + ((-1,) if src.ndim == 3 else ()))
    guide = guide.rechunk(spatial + ((-1,) if guide.ndim == 3 else ()))
    if model and extents is None and model.input_normalisation == "valid_range":
        extents = whole_extents(src)

    def block(g, s):
        return _run(method, model_path, p, g, s, extents)

    # boundary "none": a chunk at the image border sees the border itself, as the
    # whole-image call does; inside, each chunk reads `halo` pixels of its neighbours.
    def depth(a):
        return {0: halo, 1: halo, 2: 0} if a.ndim == 3 else {0: halo, 1: halo}

    g = da.overlap.overlap(guide, depth(guide), boundary="none")
    s = da.overlap.overlap(src, depth(src), boundary="none")
    out = da.blockwise(block, "yxc"[:src.ndim], g, "yxg"[:guide.ndim], s, "yxc"[:src.ndim], dtype=dtype,
                       concatenate=True)
    return da.overlap.trim_internal(out, depth(src), boundary="none")


def _merge_small(chunks, halo):
    chunks = list(chunks)
    while len(chunks) > 1 and min(chunks) < halo:
        i = chunks.index(min(chunks))
        j = i - 1 if i > 0 else i + 1
        chunks[min(i, j)] = chunks[i] + chunks[j]
        del chunks[max(i, j)]
    return tuple(chunks)


def whole_extents(src):
    """valid_extent of a whole dask array, merged from its chunks."""
    import dask.array as da

    c = src.shape[2] if src.ndim == 3 else 1

    def extent(b):
        return np.asarray(svlrm.valid_extent(b), dtype=np.float32).reshape((1, 1, c, 2))

    parts = da.map_blocks(extent, src if src.ndim == 3 else src[..., None], dtype=np.float32,
                          chunks=((1,) * src.numblocks[0], (1,) * src.numblocks[1], (c,), (2,)), new_axis=3)
    lo = parts[..., 0].min(axis=(0, 1))
    hi = parts[..., 1].max(axis=(0, 1))
    lo, hi = da.compute(lo, hi)
    return [(float(a), float(b)) for a, b in zip(lo, hi)]


# ---- files on disk (TIFF) ----------------------------------------------------------------

class _Tiff:
    """A TIFF read lazily through a memory map, opened where a chunk is read (it pickles
    as its path), for da.from_array."""

    def __init__(self, path):
        import tifffile

        self.path = os.fspath(path)
        m = tifffile.memmap(self.path, mode="r")
        self.shape, self.dtype, self.ndim = m.shape, m.dtype, m.ndim

    def __getitem__(self, key):
        import tifffile

        return np.asarray(tifffile.memmap(self.path, mode="r")[key])


class _TiffTarget:
    """da.store's target: each chunk written into a memory-mapped TIFF by its worker."""

    def __init__(self, path):
        self.path = path

    def __setitem__(self, key, value):
        import tifffile

        m = tifffile.memmap(self.path, mode="r+")
        m[key] = value
        m.flush()
        del m


def read_tiff(path, chunks=1024):
    """An uncompressed TIFF as a dask array; chunks are read by the workers (no
    machine holds the whole image)."""
    import dask.array as da

    t = _Tiff(path)
    return da.from_array(t, chunks=(chunks, chunks) + ((-1,) if t.ndim == 3 else ()), meta=np.empty((0,) * t.ndim, t.dtype))


def write_tiff(array, path):
    """Computes `array` into an uncompressed TIFF chunk by chunk (each worker writes its
    chunks into a shared file), under a temporary name renamed into place when all
    chunks are written. The workers must see the same file system."""
    import dask.array as da
    import tifffile

    path = os.fspath(path)
    partial = path + ".partial"
    m = tifffile.memmap(partial, shape=array.shape, dtype=array.dtype)
    del m
    da.store(array, _TiffTarget(partial), lock=False, compute=True)
    os.replace(partial, path)
    return path


# ---- datasets of files -------------------------------------------------------------------

def read_image(path):
    """An image file as a numpy array: PNG / JPEG / BMP (8 or 16 bits), TIFF, NPY."""
    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower()
    if ext == ".npy":
        return np.load(path)
    if ext in (".tif", ".tiff"):
        import tifffile

        return tifffile.imread(path)
    from PIL import Image

    with Image.open(path) as im:
        if im.mode in ("I;16", "I;16B", "I;16L"):
            return np.asarray(im, dtype=np.uint16)
        if im.mode == "I":  # 16-bit PNG opened as 32-bit integers
            return np.asarray(im).astype(np.uint16)
        if im.mode not in ("L", "RGB"):
            im = im.convert("RGB")
        return np.asarray(im)


def to_unit(a):
    """An image on the unit scale as float32 (u8 / 255, u16 / 65535), as the library's
    to_unit and the command-line tool's file reader compute it."""
    if a.dtype == np.uint8:
        return a.astype(np.float32) * np.float32(1.0 / 255.0)
    if a.dtype == np.uint16:
        return a.astype(np.float32) * np.float32(1.0 / 65535.0)
    return a.astype(np.float32, copy=False)


def write_atomic(path, array):
    """np.save under a temporary name, renamed into place: the file is whole or absent."""
    partial = path + ".partial"
    with open(partial, "wb") as f:
        np.save(f, array)
        f.flush()
        os.fsync(f.fileno())
    os.replace(partial, path)


def _one_file(pair, out_dir, method, model_path, p):
    guide_path, src_path = pair[0], pair[1]
    t0 = time.perf_counter()
    # Read onto the unit scale as the command-line tool does, so that both run the same
    # float path (the integer views are converted inside the filter, where the compiler
    # may fuse the scaling into the next operation: a float rounding apart).
    guide, src = to_unit(read_image(guide_path)), to_unit(read_image(src_path))
    out = _run(method, model_path, p, guide, src)
    name = os.path.splitext(os.path.basename(src_path))[0] + ".npy"
    path = os.path.join(out_dir, name)
    write_atomic(path, out)
    row = dict(file=os.fspath(src_path), output=path, seconds=time.perf_counter() - t0, pid=os.getpid())
    if len(pair) > 2 and pair[2] is not None:
        ref = read_image(pair[2])
        row.update(psnr=svlrm.psnr(out, ref), ssim=svlrm.ssim(out, ref), rmse=svlrm.rmse(out, ref))
    return row


def filter_files(pairs, out_dir, model_path=None, *, method="svlrm", client=None, progress=True, **params):
    """Filters every (guide, src) or (guide, src, reference) file pair, one task each,
    writing out_dir/<src stem>.npy (float32 for the network, as the CLI's `--format
    npy`). Returns one dict per pair, in order: file, output, seconds, the worker's pid
    and, with a reference, psnr / ssim / rmse. client: a distributed.Client (default:
    the current one, else dask's local threads)."""
    import dask

    p = _params(method, model_path, params)
    pairs = [tuple(x) for x in pairs]
    for pair in pairs:
        if len(pair) not in (2, 3):
            raise ValueError(f"svlrm.dask: {pair!r} is not (guide, src) or (guide, src, reference)")
        for f in pair[:2]:
            if not os.path.isfile(f):
                raise FileNotFoundError(f"svlrm.dask: no file {f!r}")
    if method == "svlrm":
        svlrm._model(model_path)  # a broken model fails here, once, not in every task
    os.makedirs(out_dir, exist_ok=True)
    tasks = [dask.delayed(_one_file, pure=True)(pair, os.fspath(out_dir), method, model_path, p) for pair in pairs]
    if client is None:
        try:
            from distributed import get_client

            client = get_client()
        except (ImportError, ValueError):
            client = None
    if client is None:
        if progress:
            from dask.diagnostics import ProgressBar

            with ProgressBar():
                return list(dask.compute(*tasks))
        return list(dask.compute(*tasks))
    futures = client.compute(tasks)
    if progress:
        from distributed import progress as show_progress

        show_progress(futures)
    return client.gather(futures)
