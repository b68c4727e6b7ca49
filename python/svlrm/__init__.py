"""svlrm: joint image filtering with Spatially Variant Linear Representation Models
(Pan et al., CVPR 2019), and the classical baselines, on numpy arrays.

Images are numpy arrays of shape (h, w) or (h, w, c), dtype uint8, uint16 or float32
(float64 is accepted and converted to float32). Values follow the C++ library: uint8
means v / 255, uint16 v / 65535, floats are taken as they are. Arrays whose pixels are
interleaved rows (C order, row slices, crops) are used in place; other layouts
(Fortran order, column steps, negative strides, other byte orders) are copied first.

Every filter releases the GIL while it runs, so Python threads run filters in
parallel. Bad input raises ValueError or TypeError with the library's message and
leaves `out=` arrays untouched. Documentation: docs/python.md.
"""

import os

import numpy as np

from . import _svlrm
from ._svlrm import CancelledError, ModelError, UnavailableError

__version__ = _svlrm.__version__

__all__ = [
    "CancelledError", "ModelError", "UnavailableError", "Model", "JointFilter",
    "guided_filter", "fast_guided_filter", "hand_crafted_filter", "joint_bilateral_filter",
    "joint_bilateral_upsample", "rolling_guidance_filter", "resize_bicubic", "resize_bilinear",
    "decimate", "upsample_input", "psnr", "ssim", "rmse", "valid_extent", "available_backends",
    "compiled_backends", "precisions", "set_num_threads", "get_num_threads", "bundled_models_dirs",
    "fill_missing",
]

_DTYPES = (np.dtype(np.uint8), np.dtype(np.uint16), np.dtype(np.float32))


def _image(a, name):
    """`a` as an array the extension can view without copying: (h, w[, c]), uint8 /
    uint16 / float32 in native byte order, interleaved rows."""
    if not isinstance(a, np.ndarray):
        if a is None:
            raise TypeError(f"svlrm: {name} is None; expected a numpy array")
        a = np.asarray(a)
    if a.dtype.kind == "f" and a.dtype.itemsize == 8:
        a = a.astype(np.float32)
    elif a.dtype.newbyteorder("=") in _DTYPES and not a.dtype.isnative:
        a = a.astype(a.dtype.newbyteorder("="))
    if a.dtype not in _DTYPES:
        raise TypeError(f"svlrm: {name} has dtype {a.dtype}; expected uint8, uint16, float32 or float64")
    if a.ndim not in (2, 3):
        raise ValueError(f"svlrm: {name} has shape {a.shape}; expected (h, w) or (h, w, c)")
    if a.size == 0:
        raise ValueError(f"svlrm: {name} has shape {a.shape}, which holds no pixels")
    if not _interleaved(a):
        a = np.ascontiguousarray(a)
    return a


def _interleaved(a):
    h, w = a.shape[:2]
    c = a.shape[2] if a.ndim == 3 else 1
    item = a.itemsize
    if a.ndim == 3 and c > 1 and a.strides[2] != item:
        return False
    if w > 1 and a.strides[1] != c * item:
        return False
    return h == 1 or (a.strides[0] >= w * c * item and a.strides[0] % item == 0)


def _out(out):
    if out is not None and not isinstance(out, np.ndarray):
        raise TypeError("svlrm: out must be a numpy array")
    return out


# ---- classical filters -------------------------------------------------------------

def guided_filter(guide, src, radius=8, eps=1e-2, *, border="he", out=None):
    """He et al.'s guided filter (TPAMI 2013) of src with guide (1 or 3 channels).
    radius: window radius; eps: regularisation on the unit scale (> 0); border: "he"
    (the window clipped to the image, He's normalised box) or "reflect". Returns src's
    dtype and shape."""
    return _svlrm.guided_filter(_image(guide, "guide"), _image(src, "src"), radius, eps, border, _out(out))


def fast_guided_filter(guide, src, radius=8, eps=1e-2, subsample=4, *, border="he", out=None):
    """He & Sun's fast guided filter (2015): the coefficients at 1/subsample resolution."""
    return _svlrm.fast_guided_filter(_image(guide, "guide"), _image(src, "src"), radius, eps, subsample, border,
                                     _out(out))


def hand_crafted_filter(guide, src, mu=0.1, eta=0.1, *, coefficients=False, out=None):
    """The closed-form prior of Eq. 12 (mu alpha^2 + eta beta^2 regularisers). With
    coefficients=True returns (F, alpha, beta), alpha and beta float32."""
    guide, src = _image(guide, "guide"), _image(src, "src")
    if coefficients:
        if out is not None:
            raise ValueError("svlrm: hand_crafted_filter: out= is not supported with coefficients=True")
        return _svlrm.hand_crafted_coefficients(guide, src, mu, eta)
    return _svlrm.hand_crafted_filter(guide, src, mu, eta, _out(out))


def joint_bilateral_filter(guide, src, radius=5, sigma_spatial=3.0, sigma_range=0.1, *, out=None):
    """The joint bilateral filter; radius and sigma_spatial in pixels, sigma_range on
    the unit scale."""
    return _svlrm.joint_bilateral_filter(_image(guide, "guide"), _image(src, "src"), radius, sigma_spatial,
                                         sigma_range, _out(out))


def joint_bilateral_upsample(lowres, guide, radius=2, sigma_spatial=1.0, sigma_range=0.1, *, scale=0, out=None):
    """Kopf et al.'s joint bilateral upsampling of lowres (h, w) to the guide's size
    (W, H with floor(W / s) = w, floor(H / s) = h); radius and sigma_spatial in
    low-resolution pixels. scale 0: W // w."""
    return _svlrm.joint_bilateral_upsample(_image(lowres, "lowres"), _image(guide, "guide"), radius, sigma_spatial,
                                           sigma_range, scale, _out(out))


def rolling_guidance_filter(src, sigma_spatial=3.0, sigma_range=0.05, iterations=4, *, out=None):
    """Zhang et al.'s rolling guidance filter (ECCV 2014): a Gaussian, then
    `iterations - 1` joint bilateral steps guided by the previous result."""
    return _svlrm.rolling_guidance_filter(_image(src, "src"), sigma_spatial, sigma_range, iterations, _out(out))


def resize_bicubic(img, width, height, *, out=None):
    """Bicubic resampling (Keys, a = -0.5, half-pixel centres) to width x height."""
    return _svlrm.resize_bicubic(_image(img, "img"), width, height, _out(out))


def resize_bilinear(img, width, height, *, out=None):
    """Bilinear resampling (half-pixel centres) to width x height."""
    return _svlrm.resize_bilinear(_image(img, "img"), width, height, _out(out))


def decimate(img, scale):
    """Point decimation img[s-1::s, s-1::s] to (h // s, w // s): the DJF protocol."""
    return _svlrm.decimate(_image(img, "img"), scale)


# ---- metrics ------------------------------------------------------------------------

def psnr(a, b, peak=1.0):
    """10 log10(peak^2 / MSE) on the unit scale; inf for identical images."""
    return _svlrm.psnr(_image(a, "a"), _image(b, "b"), peak)


def ssim(a, b, data_range=1.0):
    """Mean SSIM as skimage's structural_similarity(gaussian_weights=True, sigma=1.5,
    use_sample_covariance=False), on the unit scale."""
    return _svlrm.ssim(_image(a, "a"), _image(b, "b"), data_range)


def rmse(a, b):
    """Root mean squared error on the unit scale."""
    return _svlrm.rmse(_image(a, "a"), _image(b, "b"))


def valid_extent(src):
    """Per channel, (min, max) of the nonzero values on the unit scale ((inf, -inf)
    when every pixel is 0): what a valid_range model stretches to [0, 1]. Extents of
    parts merge by min / max; JointFilter.apply(extents=) takes the whole's."""
    return _svlrm.valid_extent(_image(src, "src"))


# ---- the network --------------------------------------------------------------------

def compiled_backends():
    """The network backends of this build, fastest first."""
    return _svlrm.compiled_backends()


def available_backends():
    """The backends of this build that this machine can run, fastest first."""
    return _svlrm.available_backends()


def precisions(backend):
    """A backend's precision modes, most accurate first ("auto" picks one of them);
    ValueError for a backend this build does not have."""
    return _svlrm.precisions(backend)


def set_num_threads(n):
    """Threads of the baselines and the reference backend (oneDNN follows OMP_NUM_THREADS); 0: all."""
    _svlrm.set_num_threads(n)


def get_num_threads():
    return _svlrm.get_num_threads()


def bundled_models_dirs():
    """Where Model.bundled looks: $SVLRM_MODELS, the source tree's models/ (a build
    tree), and <prefix>/share/svlrm/models (an installed package)."""
    dirs = []
    if os.environ.get("SVLRM_MODELS"):
        dirs.append(os.environ["SVLRM_MODELS"])
    dirs.append(_svlrm.source_models_dir)
    # <prefix>/lib/python3.X/dist-packages/svlrm -> <prefix>
    prefix = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
    dirs.append(os.path.join(prefix, _svlrm.install_datadir, "svlrm", "models"))
    return dirs


class Model:
    """A frozen coefficient network from a safetensors weights file (docs/weights-format.md)."""

    def __init__(self, data, source="<bytes>"):
        self._native = _svlrm.Model.from_bytes(data, source)
        self._bytes = data  # what pickling sends (to Dask workers): 1.5 MB for the paper's network
        self.source = source

    @classmethod
    def load(cls, path):
        path = os.fspath(path)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"svlrm: no model file {path!r}")
        with open(path, "rb") as f:
            return cls(f.read(), path)

    @classmethod
    def from_bytes(cls, data, name="<bytes>"):
        return cls(bytes(data), name)

    def __reduce__(self):
        return (Model, (self._bytes, self.source))

    @classmethod
    def bundled(cls, name):
        """A model shipped with svlrm by name: depth_sr, depth_sr_sensor, depth_restore,
        image_denoise, flash_deblur."""
        for d in bundled_models_dirs():
            p = os.path.join(d, name + ".safetensors")
            if os.path.isfile(p):
                return cls.load(p)
        raise FileNotFoundError(f"svlrm: no bundled model {name!r} in {bundled_models_dirs()}")

    receptive_radius = property(lambda self: self._native.receptive_radius,
                                doc="how far (pixels) an output depends on the input: the halo tiles need")
    parameter_count = property(lambda self: self._native.parameter_count)
    layers = property(lambda self: self._native.layers)
    input_normalisation = property(lambda self: self._native.input_normalisation)
    input_upsampling = property(lambda self: self._native.input_upsampling)
    metadata = property(lambda self: self._native.metadata)

    def __repr__(self):
        return (f"svlrm.Model({self.source!r}, {self.layers} layers, {self.parameter_count} parameters, "
                f"receptive radius {self.receptive_radius})")


def fill_missing(depth, missing="zero"):
    """A copy of depth (same dtype and units) whose missing pixels take the value of the
    nearest valid pixel (include/svlrm/missing.hpp). missing: "zero" (0 = no measurement,
    as depth sensors write it), "nan" (float files) or "none". A channel without any
    valid pixel stays as it is."""
    a = _image(depth, "depth")
    work = np.array(a, dtype=np.float32, order="C")  # uint8 / uint16 values are exact in float32
    _svlrm.fill_missing(work, missing)
    return work.astype(a.dtype) if a.dtype != np.float32 else work


def _depth_model(model):
    """Whether the model filters depth (metadata task), so that 0 means missing by default."""
    return model.metadata.get("task") in ("depth_upsampling", "depth_restoration")


def _missing(model, missing):
    return ("zero" if _depth_model(model) else "none") if missing is None else missing


def _model(model):
    """A Model from a Model, a weights file's path, or a bundled model's name ("depth_sr")."""
    if isinstance(model, Model):
        return model
    if isinstance(model, (str, os.PathLike)):
        name = os.fspath(model)
        if not os.path.exists(name) and os.sep not in name and not os.path.splitext(name)[1]:
            return Model.bundled(name)
        return Model.load(model)
    raise TypeError(f"svlrm: model must be an svlrm.Model, a path or a bundled model's name, not {type(model).__name__}")


class JointFilter:
    """The SVLRM of Eq. 5, F = alpha(G, I) * G + beta(G, I), alpha and beta from the model.

    backend: "auto" (the fastest this machine runs) or a name of available_backends();
    precision: "auto" (the fastest mode whose F stays within 1e-5 relative L2 of the
    backend's exact mode, measured on a probe) or a mode of precisions(backend).
    tile_size: run in tiles of this side with a halo (same result, bounded memory; 0
    automatic). self_ensemble: average over the 8 rotations / reflections (8x the
    time). progress(done, total) is called between tiles; returning False stops with
    CancelledError. One filter may be used by several threads at once.
    """

    def __init__(self, model, backend="auto", precision="auto", tile_size=0, self_ensemble=False, progress=None):
        self.model = _model(model)
        if progress is not None and not callable(progress):
            raise TypeError("svlrm: progress must be callable")
        self._native = _svlrm.JointFilter(self.model._native, backend, precision, tile_size, self_ensemble, progress)
        self._arguments = (self.model, backend, precision, tile_size, self_ensemble, progress)

    def __reduce__(self):
        # Rebuilt where it is unpickled: "auto" chooses again on that machine.
        return (JointFilter, self._arguments)

    backend = property(lambda self: self._native.backend, doc="the backend that runs")
    precision = property(lambda self: self._native.precision, doc="the mode that runs ('exact', 'fast', 'fp32', ...)")

    def apply(self, guide, src, *, coefficients=False, progress=None, extents=None, out=None, missing="none"):
        """F (float32, src's shape) for guide (1 channel, or 3: RGB, used as BT.601
        luma) and src (any channels, each filtered with the same guide). With
        coefficients=True returns (F, alpha, beta). extents: for a part of a larger
        image, the whole image's valid_extent (so that the parts equal the whole).
        missing: which src values mean "no measurement" ("zero", "nan"), filled first
        (fill_missing); default "none": apply is the network on src as it is, as a part of
        a larger image (svlrm.dask) must be."""
        if progress is not None and not callable(progress):
            raise TypeError("svlrm: progress must be callable")
        if missing != "none":
            src = fill_missing(src, missing)
        if extents is not None:
            extents = [(float(lo), float(hi)) for lo, hi in extents]
        return self._native.apply(_image(guide, "guide"), _image(src, "src"), coefficients, progress, extents,
                                  _out(out))

    def upsample(self, guide, lowres, *, missing=None, **kwargs):
        """Depth upsampling: lowres (any size up to the guide's), its missing pixels filled
        (missing: "zero", the default for depth models, "nan" or "none"), brought to the guide's size as the model was trained
        (upsample_input), then apply; kwargs as apply. Depth keeps its units: uint16
        millimetres give uint16 millimetres (uint8 levels uint8), floats float32 in their
        own unit; with out= the result is out's float32 on the unit scale."""
        lowres = _image(lowres, "lowres")
        filled = fill_missing(lowres, _missing(self.model, missing))
        result = self.apply(guide, upsample_input(self.model, guide, filled), missing="none", **kwargs)
        if lowres.dtype == np.float32 or kwargs.get("out") is not None:
            return result
        top = np.iinfo(lowres.dtype).max
        to_units = lambda f: np.clip(np.rint(f * top), 0, top).astype(lowres.dtype)  # noqa: E731
        return (to_units(result[0]),) + tuple(result[1:]) if kwargs.get("coefficients") else to_units(result)

    def __repr__(self):
        mode = f" ({self.precision})" if self.precision else ""
        return f"svlrm.JointFilter({self.model.source!r}, {self.backend}{mode})"


def upsample_input(model, guide, lowres):
    """The input a depth-upsampling model refines: lowres at the guide's size, by the
    model's input_upsampling (bicubic, or JBU on the colour guide). float32."""
    return _svlrm.upsample_input(_model(model)._native, _image(guide, "guide"), _image(lowres, "lowres"))
