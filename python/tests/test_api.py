"""Every function of the package against the C++ results (through the command-line
tool) and against independent float64 references; dtypes, strides and out=."""

import os

import numpy as np
import pytest

import svlrm
from conftest import MODELS, rng_images, smooth_pair


def box_mean(a, r):
    """Mean over the (2r+1)^2 window clipped to the image (He's normalised box), float64."""
    h, w = a.shape
    c = np.zeros((h + 1, w + 1))
    c[1:, 1:] = np.cumsum(np.cumsum(a, 0), 1)
    y0 = np.clip(np.arange(h) - r, 0, h)[:, None]
    y1 = np.clip(np.arange(h) + r + 1, 0, h)[:, None]
    x0 = np.clip(np.arange(w) - r, 0, w)[None, :]
    x1 = np.clip(np.arange(w) + r + 1, 0, w)[None, :]
    s = c[y1, x1] - c[y0, x1] - c[y1, x0] + c[y0, x0]
    return s / ((y1 - y0) * (x1 - x0))


def guided_reference(g, p, r, eps):
    """He et al. 2013, Algorithm 1, gray guide, float64."""
    g, p = g.astype(np.float64), p.astype(np.float64)
    mg, mp = box_mean(g, r), box_mean(p, r)
    a = (box_mean(g * p, r) - mg * mp) / (box_mean(g * g, r) - mg * mg + eps)
    b = mp - a * mg
    return box_mean(a, r) * g + box_mean(b, r)


# ---- classical filters ------------------------------------------------------------------

def test_guided_filter_matches_the_float64_formula_and_the_cli(cli):
    g, s = rng_images(1)
    out = svlrm.guided_filter(g, s, radius=3, eps=1e-2)
    assert out.dtype == np.float32 and out.shape == s.shape
    assert np.abs(out - guided_reference(g, s, 3, 1e-2)).max() < 2e-6
    np.testing.assert_array_equal(out, cli("guided s.npy g.npy out.npy --radius 3 --eps 0.01", {"s.npy": s, "g.npy": g}))


def test_guided_filter_colour_guide_and_border_match_the_cli(cli):
    g, s = rng_images(2, guide_channels=3, src_channels=2)
    out = svlrm.guided_filter(g, s, 4, 1e-3)
    np.testing.assert_array_equal(out, cli("guided s.npy g.npy out.npy --radius 4 --eps 0.001", {"s.npy": s, "g.npy": g}))
    reflect = svlrm.guided_filter(g, s, 4, 1e-3, border="reflect")
    assert np.abs(reflect - out).max() > 1e-4  # another border rule
    assert np.abs(reflect[8:-8, 8:-8] - out[8:-8, 8:-8]).max() < 1e-6  # the same 2 r inside


def test_fast_guided_filter_matches_the_cli(cli):
    g, s = rng_images(3, 64, 70)
    out = svlrm.fast_guided_filter(g, s, 8, 1e-2, subsample=4)
    np.testing.assert_array_equal(
        out, cli("fast-guided s.npy g.npy out.npy --radius 8 --eps 0.01 --subsample 4", {"s.npy": s, "g.npy": g}))
    np.testing.assert_array_equal(svlrm.fast_guided_filter(g, s, 8, 1e-2, subsample=1), svlrm.guided_filter(g, s, 8, 1e-2))


def test_hand_crafted_filter_is_eq_12(cli):
    g, s = rng_images(4)
    mu, eta = 0.1, 0.2
    F, alpha, beta = svlrm.hand_crafted_filter(g, s, mu, eta, coefficients=True)
    g64, s64 = g.astype(np.float64), s.astype(np.float64)
    a = eta * g64 * s64 / (eta * g64 ** 2 + mu + mu * eta)
    b = (s64 - a * g64) / (1 + eta)
    assert np.abs(alpha - a).max() < 1e-6 and np.abs(beta - b).max() < 1e-6
    assert np.abs(F - (a * g64 + b)).max() < 1e-6
    np.testing.assert_array_equal(F, svlrm.hand_crafted_filter(g, s, mu, eta))
    np.testing.assert_array_equal(F, cli("hc s.npy g.npy out.npy --mu 0.1 --eta 0.2", {"s.npy": s, "g.npy": g}))


def test_joint_bilateral_upsample_matches_the_trainer_and_the_cli(cli):
    from tools.train import degrade

    g, _ = rng_images(5, 48, 64)
    low = rng_images(6, 12, 16)[1]
    out = svlrm.joint_bilateral_upsample(low, g)
    assert out.shape == (48, 64)
    ref = degrade.jbu(low.astype(np.float64), g.astype(np.float64), 4, slice(0, 48), slice(0, 64))
    assert np.abs(out - ref).max() < 1e-5
    np.testing.assert_array_equal(out, cli("jbu low.npy g.npy out.npy", {"low.npy": low, "g.npy": g}))


def test_joint_bilateral_filter_matches_the_cli(cli):
    g, s = rng_images(7)
    out = svlrm.joint_bilateral_filter(g, s, radius=3, sigma_spatial=2.0, sigma_range=0.2)
    np.testing.assert_array_equal(
        out, cli("jbu s.npy g.npy out.npy --radius 3 --sigma-spatial 2 --sigma-range 0.2 --scale 1",
                 {"s.npy": s, "g.npy": g}))


def test_rolling_guidance_filter_matches_the_cli(cli):
    _, s = rng_images(8, src_channels=3)
    out = svlrm.rolling_guidance_filter(s, 2.0, 0.1, 3)
    np.testing.assert_array_equal(
        out, cli("smooth s.npy out.npy --classical --sigma-spatial 2 --sigma-range 0.1 --iterations 3", {"s.npy": s}))


def test_resampling_matches_the_trainer():
    from tools.train import degrade

    _, s = rng_images(9, 20, 30)
    up = svlrm.resize_bicubic(s, 90, 60)
    assert up.shape == (60, 90)
    assert np.abs(up - degrade.resize_bicubic(s.astype(np.float64), 60, 90)).max() < 1e-5
    np.testing.assert_array_equal(svlrm.decimate(up, 3), up[2::3, 2::3])
    lin = svlrm.resize_bilinear(s, 60, 40)
    assert lin.shape == (40, 60) and lin.min() >= s.min() - 1e-6 and lin.max() <= s.max() + 1e-6


def test_metrics_match_numpy_and_skimage():
    from skimage.metrics import structural_similarity

    a, b = rng_images(10, 40, 50)
    mse = np.mean((a.astype(np.float64) - b) ** 2)
    assert svlrm.rmse(a, b) == pytest.approx(np.sqrt(mse), rel=1e-9)
    assert svlrm.psnr(a, b) == pytest.approx(10 * np.log10(1 / mse), rel=1e-9)
    assert svlrm.psnr(a, a) == float("inf")
    ref = structural_similarity(a.astype(np.float64), b.astype(np.float64), data_range=1.0, gaussian_weights=True,
                                sigma=1.5, use_sample_covariance=False)
    assert svlrm.ssim(a, b) == pytest.approx(ref, abs=1e-6)
    a8 = (a * 255).round().astype(np.uint8)
    assert svlrm.psnr(a8, a8.astype(np.float32) / 255) > 120  # uint8 is v / 255


# ---- the network --------------------------------------------------------------------------

def test_joint_filter_matches_the_cli_on_every_backend(cli):
    g, s = smooth_pair(11)
    model = os.path.join(MODELS, "depth_restore.safetensors")
    for backend, mode in [("reference", "exact"), ("onednn", "exact")]:
        if backend not in svlrm.available_backends():
            continue
        f = svlrm.JointFilter(model, backend=backend, precision=mode)
        assert (f.backend, f.precision) == (backend, mode)
        F = f.apply(g, s)
        assert F.dtype == np.float32 and F.shape == s.shape
        args = f"filter s.npy g.npy out.npy --model {model} --backend {backend} --precision {mode}"
        np.testing.assert_array_equal(F, cli(args, {"s.npy": s, "g.npy": g}))


def test_joint_filter_matches_pytorch():
    import torch
    from tools import svlrm_net

    g, s = smooth_pair(12, 40, 44)
    path = os.path.join(MODELS, "depth_sr.safetensors")  # valid_range normalisation too
    net = svlrm_net.load_model(path)
    with torch.no_grad():
        ref = net.filter(torch.from_numpy(s.astype(np.float64))[None, None],
                         torch.from_numpy(g.astype(np.float64))[None, None])[0, 0].numpy()
    F = svlrm.JointFilter(path, backend="reference").apply(g, s)
    assert np.linalg.norm(F - ref) / np.linalg.norm(ref) < 1e-5


def test_joint_filter_auto_precision_stays_within_its_tolerance():
    g, s = smooth_pair(13, 96, 128)
    m = svlrm.Model.bundled("depth_restore")
    auto = svlrm.JointFilter(m)
    assert auto.backend == svlrm.available_backends()[0]
    exact = svlrm.JointFilter(m, backend=auto.backend, precision=svlrm.precisions(auto.backend)[0]
                              if svlrm.precisions(auto.backend) else "auto")
    a, e = auto.apply(g, s), exact.apply(g, s)
    assert np.linalg.norm(a - e) / np.linalg.norm(e) <= 1e-5


def test_joint_filter_coefficients_compose_eq_5():
    g, s = smooth_pair(14)
    m = svlrm.Model.bundled("image_denoise")  # no input normalisation
    f = svlrm.JointFilter(m, backend="reference")
    F, alpha, beta = f.apply(g, s, coefficients=True)
    scale_g = float(m.metadata.get("guide_scale", 1))
    scale_i = float(m.metadata.get("input_scale", 1))
    assert np.abs(F - (alpha * scale_g * g + beta) / scale_i).max() < 1e-5


def test_joint_filter_channels_tiles_and_self_ensemble():
    g, s = smooth_pair(15, 60, 70)
    s3 = np.stack([s, 1 - s, s * 0.5], axis=2)
    m = svlrm.Model.bundled("depth_restore")
    f = svlrm.JointFilter(m, backend="reference")
    F3 = f.apply(g, s3)
    assert F3.shape == (60, 70, 3)
    np.testing.assert_array_equal(F3[..., 1], f.apply(g, np.ascontiguousarray(s3[..., 1])))
    tiled = svlrm.JointFilter(m, backend="reference", tile_size=16)
    calls = []
    # Eigen's products block by matrix size: tiles agree to float rounding (C++: 1e-6).
    assert np.abs(tiled.apply(g, s, progress=lambda d, t: calls.append((d, t))) - f.apply(g, s)).max() < 1e-6
    assert calls[-1] == (20, 20) and len(calls) == 20
    ens = svlrm.JointFilter(m, backend="reference", self_ensemble=True).apply(g, s)
    assert 0 < np.abs(ens - f.apply(g, s)).max() < 0.1


def test_upsample_is_upsample_input_then_apply():
    g, s = smooth_pair(16, 64, 64)
    low = svlrm.decimate(s, 4)
    m = svlrm.Model.bundled("depth_sr")
    f = svlrm.JointFilter(m, backend="reference")
    start = svlrm.upsample_input(m, g, low)
    assert start.shape == (64, 64)
    if m.input_upsampling == "jbu":
        np.testing.assert_allclose(start, svlrm.joint_bilateral_upsample(low, g), atol=1e-6)
    np.testing.assert_array_equal(f.upsample(g, low), f.apply(g, start))


def test_depth_holes_are_filled_by_default_and_flat_depth_stays_flat():
    g, s = smooth_pair(17, 64, 64)
    low = svlrm.decimate((1000 + 2000 * s).astype(np.uint16), 4).copy()  # millimetres
    low[3:6, 2:12] = 0
    filled = svlrm.fill_missing(low)
    assert filled.dtype == np.uint16 and filled.min() > 0
    np.testing.assert_array_equal(filled[low > 0], low[low > 0])
    f = svlrm.JointFilter(svlrm.Model.bundled("depth_sr"), backend="reference")
    np.testing.assert_array_equal(f.upsample(g, low), f.upsample(g, filled))
    assert f.upsample(g, low, missing="none").min() < 900  # the holes read as near depth
    checks = np.kron(np.indices((8, 8)).sum(0) % 2, np.ones((8, 8))).astype(np.float32)
    flat = np.full((16, 16), 1000, np.uint16)
    np.testing.assert_array_equal(f.upsample(checks, flat), np.uint16(1000))
    np.testing.assert_array_equal(f.upsample(checks, np.zeros((16, 16), np.uint16)), 0)
    nan = np.where(low > 0, low / 65535, np.nan).astype(np.float32)
    np.testing.assert_allclose(svlrm.fill_missing(nan, "nan"), filled / 65535, rtol=1e-6)
    with pytest.raises(ValueError, match="zero, nan or none"):
        svlrm.fill_missing(low, "holes")


def test_upsample_keeps_the_units_of_depth():
    g, s = smooth_pair(18, 64, 64)
    mm = svlrm.decimate((800 + 3000 * s).astype(np.uint16), 4)
    f = svlrm.JointFilter(svlrm.Model.bundled("depth_sr"), backend="reference")
    out = f.upsample(g, mm)
    assert out.dtype == np.uint16 and 700 < out.mean() < 3900
    metres = f.upsample(g, mm.astype(np.float64) / 1000)  # float64 metres: float32 metres
    assert metres.dtype == np.float32
    np.testing.assert_allclose(metres * 1000, out, atol=1.0)
    unit, alpha, beta = f.upsample(g, mm, coefficients=True)
    assert unit.dtype == np.uint16 and alpha.dtype == np.float32
    with pytest.raises(ValueError, match="unit scale"):
        f.upsample(g.astype(np.float32) * 255, mm)  # a float guide on 0..255


def test_model_from_bytes_equals_load():
    path = os.path.join(MODELS, "depth_restore.safetensors")
    with open(path, "rb") as fh:
        m = svlrm.Model.from_bytes(fh.read())
    g, s = smooth_pair(17, 30, 30)
    a = svlrm.JointFilter(m, backend="reference").apply(g, s)
    np.testing.assert_array_equal(a, svlrm.JointFilter(path, backend="reference").apply(g, s))
    assert m.receptive_radius == 12 and m.layers == 12


def test_models_and_filters_pickle():
    """What Dask sends to workers: the weights travel with a Model; a JointFilter is
    rebuilt from its arguments."""
    import pickle

    f = svlrm.JointFilter(svlrm.Model.bundled("depth_restore"), backend="reference", tile_size=32)
    g, s = smooth_pair(21, 40, 40)
    copy = pickle.loads(pickle.dumps(f))
    assert copy.backend == "reference" and copy.model.source == f.model.source
    np.testing.assert_array_equal(copy.apply(g, s), f.apply(g, s))


# ---- dtypes, strides, out= ------------------------------------------------------------------

def test_dtypes_follow_the_unit_scale_convention():
    g, s = rng_images(18)
    g8 = (g * 255).round().astype(np.uint8)
    s16 = (s * 65535).round().astype(np.uint16)
    ref = svlrm.guided_filter(g8.astype(np.float32) / np.float32(255), s16.astype(np.float32) / np.float32(65535), 3, 1e-2)
    out = svlrm.guided_filter(g8, s16, 3, 1e-2)
    assert out.dtype == np.uint16  # src's dtype
    assert np.abs(out.astype(np.float64) / 65535 - ref).max() <= 0.5 / 65535 + 1e-7
    f64 = svlrm.guided_filter(g.astype(np.float64), s.astype(np.float64), 3, 1e-2)
    assert f64.dtype == np.float32
    np.testing.assert_array_equal(f64, svlrm.guided_filter(g, s, 3, 1e-2))
    be = svlrm.guided_filter(g.astype(">f4"), s.astype(">f4"), 3, 1e-2)  # big-endian: converted
    np.testing.assert_array_equal(be, svlrm.guided_filter(g, s, 3, 1e-2))
    F = svlrm.JointFilter(svlrm.Model.bundled("depth_restore"), backend="reference").apply(g8, s16)
    assert F.dtype == np.float32


def test_views_are_used_in_place_and_other_layouts_copied():
    g, s = rng_images(19, 50, 60, guide_channels=3, src_channels=2)
    crop = s[5:40, 7:50]
    assert svlrm._image(crop, "src") is crop  # a crop of rows: no copy
    ref = svlrm.guided_filter(np.ascontiguousarray(g[5:40, 7:50]), np.ascontiguousarray(crop), 3, 1e-2)
    np.testing.assert_array_equal(svlrm.guided_filter(g[5:40, 7:50], crop, 3, 1e-2), ref)
    for name, layout in [("fortran", np.asfortranarray), ("reversed rows", lambda a: a[::-1][::-1]),
                         ("negative strides", lambda a: np.flip(np.flip(a, 0).copy(), 0)),
                         ("column step", lambda a: np.repeat(a, 2, axis=1)[:, ::2])]:
        gv, sv = layout(np.ascontiguousarray(g[5:40, 7:50])), layout(np.ascontiguousarray(crop))
        np.testing.assert_array_equal(svlrm.guided_filter(gv, sv, 3, 1e-2), ref, err_msg=name)
    one_channel = s[..., :1]  # (h, w, 1) with a pixel stride of 2 floats
    np.testing.assert_array_equal(svlrm.guided_filter(g, one_channel, 3, 1e-2)[..., 0],
                                  svlrm.guided_filter(g, np.ascontiguousarray(s[..., 0]), 3, 1e-2))


def test_out_is_written_in_place():
    g, s = rng_images(20)
    out = np.full_like(s, 7.0)
    r = svlrm.guided_filter(g, s, 3, 1e-2, out=out)
    assert r is out
    np.testing.assert_array_equal(out, svlrm.guided_filter(g, s, 3, 1e-2))
    big = np.zeros((s.shape[0], s.shape[1] + 10), np.float32)
    view = big[:, 3:3 + s.shape[1]]
    svlrm.guided_filter(g, s, 3, 1e-2, out=view)
    np.testing.assert_array_equal(view, out)
    assert not big[:, :3].any() and not big[:, 3 + s.shape[1]:].any()
    F = np.zeros_like(s)
    svlrm.JointFilter(svlrm.Model.bundled("depth_restore"), backend="reference").apply(g, s, out=F)
    assert F.any()


def test_backends_and_precisions_are_listed():
    assert "reference" in svlrm.available_backends()
    assert set(svlrm.available_backends()) <= set(svlrm.compiled_backends())
    assert svlrm.precisions("reference") == ["exact"]
    with pytest.raises(ValueError, match="unknown backend 'nope'"):
        svlrm.precisions("nope")
    if "onednn" in svlrm.compiled_backends():
        assert svlrm.precisions("onednn")[0] == "exact"
