"""Tests of the rendered-frame loader (tools/train/rendered.py).

Why: each rendered frame is trained on in two depth encodings, normalised per frame as
the library normalises at inference; a wrong encoding or range would teach the network
a depth convention no user has. Checked on a small synthetic frame written to a
temporary folder in the renderer's format, against direct numpy computations.
Run (from the repository root): /usr/bin/python3 -m unittest discover -s tools/tests -t .
"""

import os
import tempfile
import unittest

import numpy as np
from PIL import Image

from ..train import rendered


def write_frame(folder, seed, depth_mm, rgb):
    Image.fromarray(rgb).save(os.path.join(folder, f"{seed:07d}_rgb.png"))
    Image.fromarray(depth_mm.astype(np.uint16)).save(os.path.join(folder, f"{seed:07d}_depth.png"))


class RenderedFrames(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        rng = np.random.default_rng(0)
        self.depth = rng.integers(800, 4000, (40, 50)).astype(np.uint16)
        self.depth[3, 4] = 0  # no surface
        self.rgb = rng.integers(0, 256, (40, 50, 3)).astype(np.uint8)
        write_frame(self.dir.name, 7, self.depth, self.rgb)
        write_frame(self.dir.name, rendered.VAL_SEEDS[0], self.depth, self.rgb)
        open(os.path.join(self.dir.name, "0000009_rgb.png"), "w").close()  # unfinished: no depth

    def tearDown(self):
        self.dir.cleanup()

    def test_finished_seeds_need_both_files(self):
        self.assertEqual(rendered.finished_seeds(self.dir.name, range(20)), [7])

    def test_two_encodings_normalised_over_valid_pixels(self):
        metric, inverse = rendered.frame_items(self.dir.name, 7)
        depth = self.depth[:32, :48].astype(np.float64)  # cropped to multiples of 16
        valid = depth > 0
        self.assertEqual(metric["target"].shape, (32, 48))
        np.testing.assert_array_equal(metric["mask"], valid)
        for item, values in ((metric, depth), (inverse, 1000.0 / np.maximum(depth, 1))):
            target = np.asarray(item["target"])
            expected = (values - values[valid].min()) / (values[valid].max() - values[valid].min())
            np.testing.assert_allclose(target[valid], expected[valid], atol=1e-5)
            self.assertAlmostEqual(float(target[valid].min()), 0.0, places=5)
            self.assertAlmostEqual(float(target[valid].max()), 1.0, places=5)
        # near = small in metric depth, near = large in inverse depth
        near = np.unravel_index(np.argmin(np.where(valid, depth, np.inf)), depth.shape)
        self.assertEqual(float(np.asarray(metric["target"])[near]), 0.0)
        self.assertAlmostEqual(float(np.asarray(inverse["target"])[near]), 1.0, places=5)
        luma = self.rgb[:32, :48] / 255.0 @ np.array([0.299, 0.587, 0.114])
        np.testing.assert_allclose(metric["guide"].astype(np.float64), luma, atol=1e-3)  # float16

    def test_windows_equal_the_whole_target(self):
        item = rendered.frame_items(self.dir.name, 7)[1]
        window = (slice(5, 21), slice(9, 40))
        np.testing.assert_array_equal(item["target"][window], np.asarray(item["target"])[window])

    def test_training_items_are_added_once(self):
        known = set()
        self.assertEqual(len(rendered.training_items(self.dir.name, known, 100)), 2)
        self.assertEqual(rendered.training_items(self.dir.name, known, 100), [])
        self.assertEqual(known, {7})

    def test_validation_items_are_held_out_and_renormalised(self):
        items = rendered.validation_items(self.dir.name, 4, crop=(16, 32))
        self.assertEqual([i["name"] for i in items], [f"render/{rendered.VAL_SEEDS[0]}/metric"])
        self.assertEqual(items[0]["target"].shape, (16, 32))
        valid = items[0]["mask"] > 0
        self.assertAlmostEqual(float(items[0]["target"][valid].min()), 0.0, places=6)
        self.assertAlmostEqual(float(items[0]["target"][valid].max()), 1.0, places=6)


if __name__ == "__main__":
    unittest.main()
