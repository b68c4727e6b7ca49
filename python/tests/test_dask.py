"""svlrm.dask on a distributed.LocalCluster of 2 worker processes: chunked arrays equal
the whole-image call, the model is loaded once per worker, files mode equals the
command-line tool's batch mode, and a worker killed mid-run still gives complete,
correct outputs and no half-written file."""

import glob
import logging
import os
import signal
import subprocess
import threading
import time

import numpy as np
import pytest

import svlrm
import svlrm.dask as sd
from conftest import CLI, MODELS, smooth_pair

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

SR = os.path.join(MODELS, "depth_sr.safetensors")  # valid_range: the extents matter
RESTORE = os.path.join(MODELS, "depth_restore.safetensors")
EXACT = dict(backend="onednn", precision="exact") if "onednn" in svlrm.available_backends() else dict(backend="reference")


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=logging.ERROR) as cluster, distributed.Client(cluster) as c:
        yield c


def scene(seed, h, w):
    g, s = smooth_pair(seed, h, w)
    rgb = np.stack([g, g * 0.8, 1 - g], axis=2)
    s = s.copy()
    s[::9, ::7] = 0  # holes: left out of the valid range
    return rgb, s


def test_chunked_network_equals_the_whole_image(client):
    rgb, s = scene(1, 300, 340)
    whole = svlrm.JointFilter(SR, **EXACT).apply(rgb, s)
    for chunks in (96, 128):
        r = sd.filter_array(da.from_array(rgb, chunks=(chunks, chunks, 3)), da.from_array(s, chunks=chunks), SR,
                            **EXACT).compute()
        assert r.dtype == np.float32
        np.testing.assert_array_equal(r, whole)  # exact mode: bit-identical
    # The chunks' own ranges would differ: the extents of the whole make them agree.
    assert sd.whole_extents(da.from_array(s, chunks=96)) == [tuple(e) for e in svlrm.valid_extent(s)]
    auto = sd.filter_array(rgb, s, SR, chunks=100).compute()
    ref = svlrm.JointFilter(SR).apply(rgb, s)
    assert np.linalg.norm(auto - ref) / np.linalg.norm(ref) <= 1e-5
    loads = client.run(lambda: __import__("svlrm.dask").dask.loads)
    assert all(n <= 2 for n in loads.values())  # once per setting (exact, auto) per worker, not per chunk


def test_a_model_travels_as_an_object_or_a_bundled_name(client):
    rgb, s = scene(3, 120, 130)
    want = sd.filter_array(rgb, s, RESTORE, chunks=64, **EXACT).compute()
    for model in (svlrm.Model.load(RESTORE), "depth_restore"):
        np.testing.assert_array_equal(sd.filter_array(rgb, s, model, chunks=64, **EXACT).compute(), want)


def test_chunked_baselines_equal_the_whole_image(client):
    rgb, s = scene(2, 200, 230)
    s3 = np.stack([s, 1 - s], axis=2)
    for method, params, whole in [
        ("guided_filter", dict(radius=6, eps=1e-3), svlrm.guided_filter(rgb, s3, 6, 1e-3)),
        ("joint_bilateral_filter", dict(radius=4), svlrm.joint_bilateral_filter(rgb, s3, 4)),
        ("hand_crafted_filter", {}, svlrm.hand_crafted_filter(rgb[..., 0], s3)),
    ]:
        g = rgb[..., 0] if method == "hand_crafted_filter" else rgb
        r = sd.filter_array(g, s3, method=method, chunks=64, **params).compute()
        assert r.shape == whole.shape
        np.testing.assert_array_equal(r, whole, err_msg=method)


def test_arrays_larger_than_memory_flow_through_tiff_files(client, tmp_path):
    tifffile = pytest.importorskip("tifffile")
    rgb, s = scene(3, 260, 250)
    depth16 = (s * 60000).astype(np.uint16)
    tifffile.imwrite(tmp_path / "guide.tif", (rgb * 255).astype(np.uint8))
    tifffile.imwrite(tmp_path / "depth.tif", depth16)
    g, d = sd.read_tiff(tmp_path / "guide.tif", chunks=100), sd.read_tiff(tmp_path / "depth.tif", chunks=100)
    assert d.dtype == np.uint16 and d.numblocks == (3, 3)
    sd.write_tiff(sd.filter_array(g, d, SR, **EXACT), tmp_path / "out.tif")
    out = tifffile.imread(tmp_path / "out.tif")
    np.testing.assert_array_equal(out, svlrm.JointFilter(SR, **EXACT).apply((rgb * 255).astype(np.uint8), depth16))
    assert not glob.glob(str(tmp_path / "*.partial"))


def write_frames(folder, n, h=120, w=160):
    from PIL import Image

    os.makedirs(folder / "guide")
    os.makedirs(folder / "depth")
    pairs = []
    for i in range(n):
        rgb, s = scene(100 + i, h, w)
        Image.fromarray((rgb * 255).astype(np.uint8)).save(folder / "guide" / f"f{i:03d}.png")
        Image.fromarray((s * 255).astype(np.uint8)).save(folder / "depth" / f"f{i:03d}.png")
        pairs.append((str(folder / "guide" / f"f{i:03d}.png"), str(folder / "depth" / f"f{i:03d}.png")))
    return pairs


def test_files_mode_equals_the_cli_batch_mode(client, tmp_path):
    if not CLI:
        pytest.skip("SVLRM_CLI is not set")
    pairs = write_frames(tmp_path, 6)
    rows = sd.filter_files([p + (p[1],) for p in pairs], tmp_path / "dask", RESTORE, client=client, progress=False,
                           **EXACT)
    assert [r["file"] for r in rows] == [p[1] for p in pairs]
    assert all(np.isfinite(r["psnr"]) and 0 < r["ssim"] <= 1 for r in rows)  # against the noisy input itself
    args = [CLI, "filter", str(tmp_path / "depth"), str(tmp_path / "guide"), str(tmp_path / "cli"), "--model", RESTORE,
            "--format", "npy", "--backend", EXACT["backend"], "--quiet", "--threads", "1"]
    if "precision" in EXACT:
        args += ["--precision", EXACT["precision"]]
    subprocess.run(args, check=True)
    for p in pairs:
        name = os.path.basename(p[1]).replace(".png", ".npy")
        np.testing.assert_array_equal(np.load(tmp_path / "dask" / name).squeeze(), np.load(tmp_path / "cli" / name).squeeze())


def test_a_killed_worker_leaves_complete_outputs(client, tmp_path):
    pairs = write_frames(tmp_path, 16, 240, 320)
    out_dir = tmp_path / "out"
    pids = client.run(os.getpid)
    result = {}
    runner = threading.Thread(target=lambda: result.update(
        rows=sd.filter_files(pairs, out_dir, RESTORE, client=client, progress=False, **EXACT)))
    runner.start()
    deadline = time.time() + 120
    while len(glob.glob(str(out_dir / "*.npy"))) < 3 and time.time() < deadline:
        time.sleep(0.02)
    victim = sorted(pids.values())[0]
    os.kill(victim, signal.SIGKILL)  # mid-run: the other worker and the restarted one finish
    runner.join(300)
    assert not runner.is_alive() and len(result["rows"]) == 16
    assert not glob.glob(str(out_dir / "*.partial"))
    f = svlrm.JointFilter(RESTORE, **EXACT)
    for p, row in zip(pairs, result["rows"]):
        ref = f.apply(sd.to_unit(sd.read_image(p[0])), sd.to_unit(sd.read_image(p[1])))
        np.testing.assert_array_equal(np.load(row["output"]), ref)
    assert len(client.run(os.getpid)) == 2  # the nanny restarted the killed worker


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="unknown method"):
        sd.filter_array(np.zeros((40, 40), np.float32), np.zeros((40, 40), np.float32), method="median")
    with pytest.raises(TypeError, match="no parameter"):
        sd.filter_array(np.zeros((40, 40), np.float32), np.zeros((40, 40), np.float32), method="guided_filter",
                        sigma=3)
    with pytest.raises(ValueError, match="needs model_path"):
        sd.filter_array(np.zeros((40, 40), np.float32), np.zeros((40, 40), np.float32))
    with pytest.raises(ValueError, match="guide is"):
        sd.filter_array(np.zeros((40, 41), np.float32), np.zeros((40, 40), np.float32), SR)
    with pytest.raises(FileNotFoundError):
        sd.filter_files([("nope.png", "nope.png")], tmp_path, SR)
    (tmp_path / "bad.safetensors").write_bytes(b"\x00" * 5)
    with pytest.raises(svlrm.ModelError):
        sd.filter_files([(SR, SR)], tmp_path, tmp_path / "bad.safetensors")
