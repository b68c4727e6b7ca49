"""Bad input raises ValueError / TypeError (or the package's own errors) with a message
naming the problem, never crashes, and leaves out= arrays untouched."""

import os

import numpy as np
import pytest

import svlrm
from conftest import MODELS, rng_images, smooth_pair

RESTORE = os.path.join(MODELS, "depth_restore.safetensors")


@pytest.fixture(scope="module")
def net():
    return svlrm.JointFilter(RESTORE, backend="reference")


def untouched(call, exc, match, out):
    before = out.copy()
    with pytest.raises(exc, match=match):
        call(out)
    np.testing.assert_array_equal(out, before)


def test_size_mismatch(net):
    g, s = rng_images(1)
    out = np.full(s.shape, 3.0, np.float32)
    untouched(lambda o: svlrm.guided_filter(g[:-1], s, 2, 1e-2, out=o), ValueError, "guide is 45x36 but input is 45x37", out)
    untouched(lambda o: net.apply(g[:, :-2], s, out=o), ValueError, "guide is 43x37 but input is 45x37", out)
    untouched(lambda o: svlrm.joint_bilateral_upsample(s, g[:20, :20], out=o[:20, :20]), ValueError, "", out)
    with pytest.raises(ValueError, match="larger than the guide"):
        svlrm.joint_bilateral_upsample(s, g[:20, :20])
    with pytest.raises(ValueError, match="out has shape"):
        svlrm.guided_filter(g, s, 2, 1e-2, out=np.zeros((3, 3), np.float32))


def test_wrong_channel_count(net):
    g, s = rng_images(2, guide_channels=2)
    with pytest.raises(ValueError, match="guide has 2 channels, expected 1 or 3"):
        svlrm.guided_filter(g, s, 2, 1e-2)
    with pytest.raises(ValueError, match="guide has 2 channels"):
        net.apply(g, s)
    with pytest.raises(ValueError, match="out has shape"):
        svlrm.guided_filter(g[..., 0], s, 2, 1e-2, out=np.zeros(s.shape + (2,), np.float32))


def test_shapes_and_dtypes(net):
    g, s = rng_images(3)
    for bad, exc, match in [(s[0], ValueError, r"shape \(45,\)"), (s[None, ..., None], ValueError, "expected \\(h, w\\)"),
                            (s[:0], ValueError, "holds no pixels"), (s.astype(np.int32), TypeError, "dtype int32"),
                            (s > 0.5, TypeError, "dtype bool"), (s.astype(np.complex64), TypeError, "dtype complex64"),
                            (None, TypeError, "src is None")]:
        with pytest.raises(exc, match=match):
            svlrm.guided_filter(g, bad, 2, 1e-2)
        with pytest.raises(exc, match=match):
            net.apply(g, bad)
    with pytest.raises(TypeError, match="out has dtype float64"):
        svlrm.guided_filter(g, s, 2, 1e-2, out=np.zeros(s.shape))
    with pytest.raises(TypeError, match="out must be a numpy array"):
        svlrm.guided_filter(g, s, 2, 1e-2, out=[0])
    ro = np.zeros_like(s)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        svlrm.guided_filter(g, s, 2, 1e-2, out=ro)


def test_the_extension_checks_layouts_itself():
    """A direct call into svlrm._svlrm with a layout that is not a view gets a ValueError."""
    g, s = rng_images(4)
    with pytest.raises(ValueError, match="strides are not interleaved rows"):
        svlrm._svlrm.guided_filter(g, np.asfortranarray(s), 2, 1e-2, "he", None)
    with pytest.raises(ValueError, match="strides are not interleaved rows"):
        svlrm._svlrm.guided_filter(g, s[::-1], 2, 1e-2, "he", None)
    with pytest.raises(TypeError, match="dtype float64"):
        svlrm._svlrm.guided_filter(g, s.astype(np.float64), 2, 1e-2, "he", None)


def test_non_finite_values(net):
    g, s = rng_images(5)
    for v in (np.nan, np.inf):
        bad = s.copy()
        bad[3, 4] = v
        out = np.zeros_like(s)
        untouched(lambda o: svlrm.guided_filter(g, bad, 2, 1e-2, out=o), ValueError, "non-finite value .* x=4 y=3", out)
        untouched(lambda o: net.apply(g, bad, out=o), ValueError, "non-finite", out)
        with pytest.raises(ValueError, match="non-finite"):
            svlrm.hand_crafted_filter(bad, s)


def test_bad_parameters():
    g, s = rng_images(6)
    with pytest.raises(ValueError, match="eps"):
        svlrm.guided_filter(g, s, 2, -1.0)
    with pytest.raises(ValueError, match="radius"):
        svlrm.guided_filter(g, s, -1, 1e-2)
    with pytest.raises(ValueError, match="border 'wrap'"):
        svlrm.guided_filter(g, s, 2, 1e-2, border="wrap")
    with pytest.raises(ValueError, match="subsample"):
        svlrm.fast_guided_filter(g, s, 2, 1e-2, subsample=0)
    with pytest.raises(ValueError, match="width and height must be positive"):
        svlrm.resize_bicubic(s, 0, 10)
    with pytest.raises(ValueError, match="scale"):
        svlrm.decimate(s, 0)
    with pytest.raises(ValueError, match="pixel limit"):
        svlrm.resize_bicubic(s, 1 << 15, 1 << 15)  # 2^30 pixels: refused before allocating


def test_model_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="no model file"):
        svlrm.Model.load(tmp_path / "missing.safetensors")
    with open(RESTORE, "rb") as f:
        data = f.read()
    for cut in (0, 7, 100, len(data) // 2, len(data) - 1):
        p = tmp_path / f"cut{cut}.safetensors"
        p.write_bytes(data[:cut])
        with pytest.raises(svlrm.ModelError, match="truncated|header|size|bytes"):
            svlrm.Model.load(p)
        with pytest.raises(ValueError):  # ModelError is a ValueError
            svlrm.JointFilter(p)
    hostile = bytearray(data)
    hostile[:8] = (1 << 62).to_bytes(8, "little")  # a header length far past the end
    with pytest.raises(svlrm.ModelError):
        svlrm.Model.from_bytes(bytes(hostile))
    with pytest.raises(TypeError, match="model must be"):
        svlrm.JointFilter(42)


def test_backend_and_precision_names():
    m = svlrm.Model.load(RESTORE)
    with pytest.raises(ValueError, match="unknown backend 'tpu'"):
        svlrm.JointFilter(m, backend="tpu")
    with pytest.raises(ValueError, match="precision 'fp64' is not a mode of any backend"):
        svlrm.JointFilter(m, precision="fp64")
    with pytest.raises(ValueError, match="not a mode of the reference backend"):
        svlrm.JointFilter(m, backend="reference", precision="bf16")
    if "cudnn" in svlrm.compiled_backends() and "cudnn" not in svlrm.available_backends():
        with pytest.raises(svlrm.UnavailableError, match="CUDA"):
            svlrm.JointFilter(m, backend="cudnn")  # asked for by name: never a silent fallback


def test_progress_cancel_and_callback_errors():
    g, s = smooth_pair(7, 64, 64)
    f = svlrm.JointFilter(RESTORE, backend="reference", tile_size=16)
    out = np.full_like(s, 2.0)
    untouched(lambda o: f.apply(g, s, progress=lambda done, total: done < 3, out=o), svlrm.CancelledError,
              "cancelled by the progress callback after 3 of 16 tiles", out)

    def boom(done, total):
        raise KeyError("from the callback")

    untouched(lambda o: f.apply(g, s, progress=boom, out=o), KeyError, "from the callback", out)
    with pytest.raises(TypeError, match="progress must be callable"):
        f.apply(g, s, progress=3)
    stopper = svlrm.JointFilter(RESTORE, backend="reference", tile_size=16, progress=lambda d, t: False)
    with pytest.raises(svlrm.CancelledError):
        stopper.apply(g, s)
    assert stopper.apply(g, s, progress=lambda d, t: None).shape == s.shape  # the call's own callback wins


def test_extents_must_match_the_channels(net):
    g, s = rng_images(8)
    with pytest.raises(ValueError, match="2 extents for an input of 1 channels"):
        net.apply(g, s, extents=[(0.1, 0.9), (0.1, 0.9)])
