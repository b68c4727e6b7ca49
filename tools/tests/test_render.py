"""Tests of the rendered RGB-D data engine (tools/train/render/).

Why: the trainer reads these frames as ground truth, so their format is a
contract: 8-bit RGB, 16-bit planar depth in millimetres with 0 only where no
surface was hit, intrinsics in a JSON file, and the same seed must give the same
frame (training and validation sets are defined by seeds). A tiny render
(one seed, 160x120) checks all of it; skipped when Blender is not installed.
Run (from the repository root): /usr/bin/python3 -m unittest discover -s tools/tests -t .
"""

import json
import os
import shutil
import subprocess
import tempfile
import unittest

import numpy as np

from .. import run_module

SEED = 7


def render(out):
    run_module("tools.train.render.render", "--out", out, "--seeds", "%d:%d" % (SEED, SEED + 1),
               "--size", "160x120", check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
               timeout=120)


@unittest.skipIf(shutil.which("blender") is None, "blender is not on PATH")
class RenderedFrames(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        from PIL import Image  # noqa: F401 (skip cleanly below if missing)
        cls.dirs = [tempfile.mkdtemp(prefix="svlrm_render_") for _ in range(2)]
        for d in cls.dirs:
            render(d)

    @classmethod
    def tearDownClass(cls):
        for d in cls.dirs:
            shutil.rmtree(d, ignore_errors=True)

    def load(self, d):
        from PIL import Image
        stem = os.path.join(d, "%07d" % SEED)
        rgb_img = Image.open(stem + "_rgb.png")
        depth_img = Image.open(stem + "_depth.png")
        with open(stem + ".json") as f:
            meta = json.load(f)
        return rgb_img, depth_img, meta

    def test_format(self):
        rgb_img, depth_img, meta = self.load(self.dirs[0])
        self.assertEqual(rgb_img.mode, "RGB")
        self.assertEqual(rgb_img.size, (160, 120))
        self.assertIn(depth_img.mode, ("I;16", "I"))  # PIL opens 16-bit grey PNG as I;16 or I
        depth = np.asarray(depth_img)
        self.assertEqual(depth.shape, (120, 160))
        self.assertLessEqual(int(depth.max()), 65535)
        surface = depth[depth > 0]
        self.assertGreater(surface.size, 0.5 * depth.size)
        lo, hi = np.percentile(surface, [1, 99])
        self.assertGreaterEqual(lo, 300)
        self.assertLessEqual(hi, 15000)
        rgb = np.asarray(rgb_img)
        self.assertGreater(rgb.mean(), 20)  # not a black frame
        for key in ("fx", "fy", "cx", "cy", "width", "height", "seed", "camera_height_m", "samples",
                    "render_seconds"):
            self.assertIn(key, meta)
        self.assertEqual((meta["width"], meta["height"], meta["seed"]), (160, 120, SEED))
        self.assertAlmostEqual(meta["cx"], 79.5)
        self.assertTrue(0.5 <= meta["camera_height_m"] <= 2.0)
        # horizontal field of view 55..70 degrees
        hfov = 2 * np.degrees(np.arctan(80 / meta["fx"]))
        self.assertTrue(54.9 < hfov < 70.1, hfov)

    def test_deterministic(self):
        a, b = self.load(self.dirs[0]), self.load(self.dirs[1])
        np.testing.assert_array_equal(np.asarray(a[1]), np.asarray(b[1]))
        np.testing.assert_array_equal(np.asarray(a[0]), np.asarray(b[0]))

    def test_resume_skips_finished_seeds(self):
        stem = os.path.join(self.dirs[0], "%07d" % SEED)
        before = os.path.getmtime(stem + "_depth.png")
        render(self.dirs[0])
        self.assertEqual(before, os.path.getmtime(stem + "_depth.png"))
        self.assertEqual([f for f in os.listdir(self.dirs[0]) if ".tmp" in f], [])


if __name__ == "__main__":
    unittest.main()
