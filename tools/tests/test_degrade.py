"""Tests of the trainer's depth-upsampling degradations (tools/train/degrade.py).

Why: a model learns to invert exactly the degradation it is trained on. The point
decimation + bicubic path is checked against the C++ library by
tests/test_trainer_bicubic.cpp; these tests check the additions made for noisy
sensors against plain float64 re-derivations: block-mean downsampling, and the
per-patch noise shortcut, which relies on bicubic upsampling being linear.
Run (from the repository root): /usr/bin/python3 -m unittest discover -s tools/tests -t .
"""

import unittest

import numpy as np

from ..train import degrade


class BoxDownsample(unittest.TestCase):
    def test_block_means(self):
        rng = np.random.default_rng(1)
        depth = rng.uniform(0, 1, size=(24, 40)).astype(np.float32)
        for scale in (2, 4, 8):
            low = degrade.box_downsample(depth, scale)
            self.assertEqual(low.shape, (24 // scale, 40 // scale))
            for i in range(low.shape[0]):
                for j in range(low.shape[1]):
                    block = depth[i * scale:(i + 1) * scale, j * scale:(j + 1) * scale].astype(np.float64)
                    self.assertAlmostEqual(float(low[i, j]), block.mean(), delta=1e-6)

    def test_remainder_rows_are_dropped(self):
        depth = np.arange(9 * 10, dtype=np.float32).reshape(9, 10)
        self.assertEqual(degrade.box_downsample(depth, 4).shape, (2, 2))

    def test_upsampling_input_choices(self):
        depth = np.random.default_rng(2).uniform(0, 1, size=(32, 48)).astype(np.float32)
        point = degrade.upsampling_input(depth, 4)
        box = degrade.upsampling_input(depth, 4, "box")
        np.testing.assert_array_equal(point, degrade.resize_bicubic(degrade.decimate(depth, 4), 32, 48))
        np.testing.assert_array_equal(box, degrade.resize_bicubic(degrade.box_downsample(depth, 4), 32, 48))
        with self.assertRaises(KeyError):
            degrade.upsampling_input(depth, 4, "nearest")


class UpsampledNoise(unittest.TestCase):
    def test_window_equals_upsampling_the_noisy_low_resolution_image(self):
        """upsample(low + n)[window] == upsample(low)[window] + upsampled_noise_window(...)."""
        height, width = 64, 96
        depth = np.random.default_rng(3).uniform(0, 1, size=(height, width)).astype(np.float32)
        for scale in (4, 8, 16):
            for window in ((slice(0, height), slice(0, width)), (slice(5, 37), slice(60, 92))):
                low = degrade.box_downsample(depth, scale)
                noise = degrade.upsampled_noise_window(low.shape, scale, window, 0.05,
                                                       np.random.default_rng(scale))
                # the same draw, added before upsampling the whole image
                drawn = np.random.default_rng(scale).normal(0.0, 0.05, size=low.shape)
                whole = degrade.resize_bicubic(low.astype(np.float64) + drawn, height, width)
                expected = whole[window]
                got = degrade.upsampling_input(depth, scale, "box")[window] + noise
                self.assertEqual(got.shape, expected.shape)
                self.assertLess(float(np.abs(got - expected).max()), 1e-5, f"scale {scale}, window {window}")

    def test_noise_level(self):
        """Bicubic interpolation keeps the low-resolution samples' variance at their own sites."""
        noise = degrade.upsampled_noise_window((200, 200), 4, (slice(0, 800), slice(0, 800)), 0.03,
                                               np.random.default_rng(4))
        self.assertAlmostEqual(float(noise.mean()), 0.0, delta=2e-3)
        self.assertLess(float(noise.std()), 0.03)
        self.assertGreater(float(noise.std()), 0.015)


class UpsamplingWindow(unittest.TestCase):
    """The per-patch input of rendered frames equals the whole image's, cut to the window."""

    def test_equals_whole_image_in_every_window(self):
        rng = np.random.default_rng(5)
        depth = np.cumsum(rng.random((96, 128)), axis=1).astype(np.float32)
        depth /= depth.max()
        for scale in (4, 8, 16):
            for downsampling in ("point", "box"):
                whole = degrade.upsampling_input(depth, scale, downsampling)
                windows = [(slice(0, 64), slice(0, 64)), (slice(32, 96), slice(64, 128))]
                windows += [(slice(y, y + 17), slice(x, x + 23)) for y, x in rng.integers(0, 70, (6, 2))]
                for window in windows:
                    got = degrade.upsampling_window(depth, scale, window, downsampling)
                    self.assertLess(float(np.abs(got - whole[window]).max()), 1e-5,
                                    f"x{scale} {downsampling} {window}")

    def test_low_transform_sees_the_aligned_low_resolution_crop(self):
        depth = np.zeros((64, 64), dtype=np.float32)
        seen = []
        degrade.upsampling_window(depth, 4, (slice(32, 48), slice(20, 36)), "point",
                                  lambda low, offset: seen.append((low.shape, offset)) or low + 1)
        self.assertEqual(seen, [((10, 10), (5, 2))])  # low rows 5..14, cols 2..11: 3 either side


class SensorDegrade(unittest.TestCase):
    def setUp(self):
        ys, xs = np.mgrid[0:40, 0:40]
        self.low = np.where(xs < 20, 0.2, 0.8).astype(np.float32) + 0.001 * ys  # one depth edge

    def test_deterministic_finite_same_shape(self):
        a = degrade.sensor_degrade(self.low, np.random.default_rng(1), 0.05, True)
        b = degrade.sensor_degrade(self.low, np.random.default_rng(1), 0.05, True)
        self.assertEqual(a.shape, self.low.shape)
        self.assertTrue(np.isfinite(a).all())
        np.testing.assert_array_equal(a, b)

    def test_noise_grows_with_depth_in_metric_depth_only(self):
        flat = np.concatenate([np.full((200, 200), 0.0), np.full((200, 200), 1.0)]).astype(np.float32)
        spreads = {}
        for metric in (True, False):
            diffs = []
            for seed in range(20):
                out = degrade.sensor_degrade(flat, np.random.default_rng(seed), 0.05, metric)
                diffs.append((out - flat)[:200].std() / max((out - flat)[200:].std(), 1e-9))
            spreads[metric] = float(np.median(diffs))
        self.assertAlmostEqual(spreads[True], (0.5 / 1.5) ** 2, delta=0.05)
        self.assertAlmostEqual(spreads[False], 1.0, delta=0.1)

    def test_holes_are_filled_from_either_side_of_the_edge(self):
        for seed in range(30):
            out = degrade.sensor_degrade(self.low, np.random.default_rng(seed), 0.0, False)
            # without noise every value comes from the input's range (quantisation may round)
            self.assertGreater(float(out.min()), 0.19 - 1 / 128)
            self.assertLess(float(out.max()), 0.84 + 1 / 128)


if __name__ == "__main__":
    unittest.main()


class Table2Noise(unittest.TestCase):
    """The Table 2 protocol: N(0, sigma^2) added, then clipped to [0, 1] (as the C++
    evaluation and demo do, tools/common/noise.hpp); Tables 3-4 do not clip."""

    def test_clipped_to_the_unit_range_with_the_requested_sigma(self):
        depth = np.full((300, 300), 0.5, np.float32)
        depth[:, :30] = 0.02  # near the bottom of the range: clipping bites there
        noisy = degrade.table2_noise(depth, 0.08, np.random.default_rng(3))
        self.assertGreaterEqual(float(noisy.min()), 0.0)
        self.assertLessEqual(float(noisy.max()), 1.0)
        self.assertAlmostEqual(float((noisy - depth)[:, 30:].std()), 0.08, delta=0.002)
        self.assertGreater(float((noisy[:, :30] == 0).mean()), 0.3)
        plain = degrade.add_gaussian_noise(depth, 0.08, np.random.default_rng(3))
        np.testing.assert_array_equal(noisy, np.clip(plain, 0, 1))
