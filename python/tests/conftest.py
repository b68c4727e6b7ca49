"""Shared fixtures of the Python package's tests (run by ctest: tests/extra_tests.cmake).

Independent references: the C++ library through the svlrm command-line tool (the same
code, reached through files), float64 numpy re-derivations of the formulas, the
trainer's numpy resamplers, skimage, and the PyTorch network (tools/svlrm_net.py); the
package `tools` is imported from the source tree (on PYTHONPATH, or the current folder
with `python3 -m pytest` from the repository root)."""

import os
import subprocess

import numpy as np
import pytest

SOURCE = os.environ.get("SVLRM_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
CLI = os.environ.get("SVLRM_CLI")
MODELS = os.path.join(SOURCE, "models")


def rng_images(seed, h=37, w=45, guide_channels=1, src_channels=None, lo=0.0, hi=1.0):
    """A random float32 guide and source on the unit scale."""
    rng = np.random.default_rng(seed)
    g = rng.random((h, w) if guide_channels == 1 else (h, w, guide_channels), dtype=np.float32)
    s = (lo + (hi - lo) * rng.random((h, w) if src_channels is None else (h, w, src_channels))).astype(np.float32)
    return g, s


def smooth_pair(seed, h=64, w=72):
    """A guide with edges and a noisy depth-like target following it: network inputs
    of the kind the models were trained on."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    g = 0.3 + 0.4 * (x > w / 2) + 0.1 * np.sin(0.3 * y) + 0.02 * rng.standard_normal((h, w))
    s = 0.25 + 0.5 * (x > w / 2) + 0.05 * rng.standard_normal((h, w))
    return np.clip(g, 0, 1).astype(np.float32), np.clip(s, 0.01, 1).astype(np.float32)


@pytest.fixture
def cli(tmp_path):
    """run(command, inputs: dict name -> array) -> the .npy output of the svlrm tool."""
    if not CLI:
        pytest.skip("SVLRM_CLI is not set (the command-line tool is built with the examples)")

    def run(args, inputs, output="out.npy"):
        for name, a in inputs.items():
            np.save(tmp_path / name, a)
        # One thread: the tool links OpenMP, under which Eigen's products (the reference
        # backend) split their sums across threads, a float rounding away.
        r = subprocess.run([CLI] + args.split() + ["--quiet", "--threads", "1"], cwd=tmp_path, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        return np.load(tmp_path / output)

    return run
