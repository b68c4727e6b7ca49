"""Tests of the two-sensor camera degradation (tools/train/camera.py) and its use by the
patch sampler.

Why: the registration error is drawn per frame in absolute image coordinates so that the
sampler can degrade a crop alone; a crop must then be the same window of the whole
degraded frame, and the shift must be the one drawn (a float64 re-derivation).
Run (from the repository root): /usr/bin/python3 -m unittest discover -s tools/tests -t .
"""

import unittest

import numpy as np

from ..train import camera, data


def still(params):
    """params with the colour sensor's random and per-pixel parts off."""
    params = dict(params, colour_noise=0.0, colour_blur=0.0, gain=1.0, gamma=1.0)
    params["white"] = np.ones(3)
    return params


class Registration(unittest.TestCase):
    def test_a_crop_is_the_window_of_the_whole_frame(self):
        rng = np.random.default_rng(5)
        ys, xs = np.mgrid[0:96, 0:128]
        rgb = np.stack([np.sin(xs / 5.0), np.cos(ys / 7.0), np.sin((xs + ys) / 9.0)], -1) * 0.4 + 0.5
        params = still(camera.draw(rng, 96, 128))
        params["shift"] = np.array([2.3, -1.7])
        whole = camera.colour(rgb, params, (0, 0), rng)
        crop = camera.colour(rgb[20:80, 30:100], params, (20, 30), rng)
        inner = (slice(8, -8), slice(8, -8))  # away from the crop's clamped border
        np.testing.assert_array_equal(crop[inner], whole[20:80, 30:100][inner])

    def test_the_shift_is_the_one_drawn(self):
        ys, xs = np.mgrid[0:40, 0:50].astype(np.float64)
        ramp = np.stack([xs / 100.0, ys / 100.0, 0 * xs], -1)  # linear: bilinear sampling is exact
        params = still(camera.draw(np.random.default_rng(0), 40, 50))
        params["shift"], params["linear"] = np.array([1.25, -2.5]), np.zeros((2, 2))
        out = camera.colour(ramp, params, (0, 0), np.random.default_rng(0))
        inner = (slice(4, -4), slice(4, -4))
        # sampled at (y + 1.25, x - 2.5), then quantised to 8 bits
        np.testing.assert_allclose(out[..., 0][inner], ((xs - 2.5) / 100)[inner], atol=0.51 / 255)
        np.testing.assert_allclose(out[..., 1][inner], ((ys + 1.25) / 100)[inner], atol=0.51 / 255)

    def test_depth_edges_grow_and_blur(self):
        step = np.zeros((20, 20), np.float32)
        step[:, 10:] = 1.0
        params = {"depth_grow": 1, "depth_blur": 0.0}
        self.assertEqual(int(camera.depth(step, params)[0].sum()), 11)  # the far side grew by a pixel
        params = {"depth_grow": 0, "depth_blur": 0.8}
        blurred = camera.depth(step, params)
        self.assertTrue(0 < blurred[0, 9] < 0.5 < blurred[0, 10] < 1)


class Sampler(unittest.TestCase):
    def test_camera_patches_are_made_and_differ_from_exact_ones(self):
        rng = np.random.default_rng(2)
        item = data.procedural([3], (128, 128))[0]
        up = data.Upsampling(scales=(4,), method="jbu", camera=True)
        window = (slice(32, 96), slice(16, 80))
        degraded, guide, target = up.camera_window(item, 4, window, "point", None, rng)
        self.assertEqual(degraded.shape, (64, 64))
        self.assertEqual(guide.shape, (64, 64))
        self.assertTrue(np.isfinite(degraded).all() and np.isfinite(target).all())
        exact = data.Upsampling(scales=(4,), method="jbu").window(item, 4, window, "point", None)
        self.assertGreater(np.abs(degraded - exact).max() + np.abs(guide - item["guide"][window]).max(), 1e-3)


if __name__ == "__main__":
    unittest.main()
