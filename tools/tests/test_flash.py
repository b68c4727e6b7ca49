"""Tests of the synthetic flash / no-flash pair recipe (tools/train/flash.py) and its trainer data.

Why: the flash model is trained and evaluated on these pairs only, so the recipe must
be deterministic per seed (the evaluation pairs are remade on every machine), a
window rendered alone must equal the same window of the whole image (the trainer
renders patches, the evaluation whole images), the blur must be a normalised
camera-shake kernel of the documented sizes, and no held-out image may reach training.
Run (from the repository root): /usr/bin/python3 -m unittest discover -s tools/tests -t .
"""

import os
import unittest

import numpy as np
from scipy import ndimage

from .. import REPO
from ..train import data, flash

DATA = os.environ.get("SVLRM_DATA", os.path.join(os.path.dirname(REPO), "shared", "datasets"))


def natural_like(height, width, seed):
    """A smooth random colour image with edges (a stand-in for a photo)."""
    rng = np.random.default_rng(seed)
    image = ndimage.gaussian_filter(rng.uniform(0, 1, (height, width, 3)), (3, 3, 0))
    image[:, width // 2:] += 0.3
    return np.clip(image, 0, 1).astype(np.float32)


class ShakeKernel(unittest.TestCase):
    def test_normalised_odd_sizes_in_range(self):
        rng = np.random.default_rng(0)
        sizes = set()
        for _ in range(200):
            k = flash.shake_kernel(rng)
            self.assertEqual(k.shape[0], k.shape[1])
            self.assertEqual(k.shape[0] % 2, 1)
            self.assertTrue(flash.KERNEL_SIZES[0] <= k.shape[0] <= flash.KERNEL_SIZES[1])
            self.assertAlmostEqual(float(k.sum()), 1.0, places=12)
            self.assertGreaterEqual(float(k.min()), 0.0)
            sizes.add(k.shape[0])
        self.assertEqual(min(sizes), flash.KERNEL_SIZES[0])
        self.assertEqual(max(sizes), flash.KERNEL_SIZES[1])

    def test_a_trajectory_not_a_point(self):
        k = flash.shake_kernel(np.random.default_rng(3), size=21)
        self.assertGreater(int((k > 1e-3).sum()), 10)  # spread along a path


class PairRecipe(unittest.TestCase):
    def test_deterministic_per_seed(self):
        rgb = natural_like(64, 80, 1)
        first, again, other = flash.pair(rgb, 5), flash.pair(rgb, 5), flash.pair(rgb, 6)
        for a, b in zip(first, again):
            np.testing.assert_array_equal(a, b)
        self.assertGreater(float(np.abs(first[1] - other[1]).max()), 0.05)

    def test_shapes_ranges_and_8_bit_input(self):
        flash_shot, noisy, sharp = flash.pair(natural_like(48, 56, 2), 1)
        for image in (flash_shot, noisy, sharp):
            self.assertEqual(image.shape, (48, 56, 3))
            self.assertEqual(image.dtype, np.float32)
            self.assertTrue(0.0 <= float(image.min()) and float(image.max()) <= 1.0)
        np.testing.assert_allclose(noisy * 255, np.round(noisy * 255), atol=1e-4)

    def test_lighting_differs_and_varies_in_space(self):
        """Not a global gain: the no-flash / flash ratio changes across the image and between channels."""
        rgb = natural_like(96, 96, 4)
        shot, _, sharp = flash.pair(rgb, 11)
        ratio = (sharp + 1e-3) / (shot + 1e-3)
        quadrants = [ratio[:48, :48].mean(axis=(0, 1)), ratio[48:, 48:].mean(axis=(0, 1))]
        self.assertGreater(float(np.abs(quadrants[0] - quadrants[1]).max()), 0.02)
        self.assertGreater(float(np.ptp(quadrants[0])), 0.05)  # a colour cast

    def test_window_equals_whole_image(self):
        rgb = natural_like(120, 140, 5)
        rng = np.random.default_rng(9)
        params = flash.draw(rng, 120, 140)
        whole = flash.render(rgb, params, np.random.default_rng(1))
        y0, x0, h, w = 30, 40, 50, 60
        window = flash.render(rgb[y0:y0 + h, x0:x0 + w], params, np.random.default_rng(1), y0, x0)
        np.testing.assert_array_equal(window[2], whole[2][y0:y0 + h, x0:x0 + w])  # sharp truth: exact
        m = flash.MARGIN
        blurred = [flash.linear_to_srgb(np.clip(flash.srgb_to_linear(v), 0, 1)) for v in (window[1], whole[1])]
        inner = (slice(m, h - m), slice(m, w - m))
        # the noisy input differs only by its noise draw: compare the local means
        diff = ndimage.uniform_filter(blurred[0][inner], (9, 9, 1)) - \
            ndimage.uniform_filter(blurred[1][y0:y0 + h, x0:x0 + w][inner], (9, 9, 1))
        self.assertLess(float(np.abs(diff).max()), 0.03)

    def test_blur_is_the_kernel_in_linear_light(self):
        rgb = natural_like(64, 64, 6)
        params = flash.draw(np.random.default_rng(2), 64, 64)
        params.update(shot=0.0, read=0.0)  # noise off
        _, noisy, sharp = flash.render(rgb, params, np.random.default_rng(0))
        r = params["kernel"].shape[0] // 2
        linear = flash.srgb_to_linear(sharp.astype(np.float64))
        padded = np.pad(linear, ((r, r), (r, r), (0, 0)), mode="symmetric")
        want = np.stack([ndimage.correlate(padded[..., c], params["kernel"][::-1, ::-1], mode="constant")[r:-r, r:-r]
                         for c in range(3)], axis=-1)
        got = flash.srgb_to_linear(noisy.astype(np.float64))
        # the truth is stored in sRGB float32 and the input quantised to 8 bits
        self.assertLess(float(np.abs(flash.linear_to_srgb(want) - flash.linear_to_srgb(got)).max()), 2.5 / 255)


@unittest.skipUnless(os.path.isdir(os.path.join(DATA, "Kodak24")), "shared datasets missing")
class TrainerData(unittest.TestCase):
    def test_held_out_images_never_in_training(self):
        train = {i["name"] for i in data.flash_images(DATA, held_out=False)}
        held = {i["name"] for i in data.flash_images(DATA, held_out=True)}
        self.assertEqual(held, set(data.FLASH_HELD_OUT))
        self.assertFalse(train & held)
        self.assertTrue(set(data.FLASH_VAL_IMAGES) <= held)

    def test_batches_and_validation(self):
        groups = data.training_groups("flash_deblur", DATA, 0)
        sampler = data.PatchSampler("flash_deblur", groups, np.random.default_rng(0), 32)
        inputs, guides, targets, masks = sampler.batch(4)
        self.assertEqual(inputs.shape, (4, 1, 32, 32))
        self.assertTrue(np.all(masks == 1))
        self.assertGreater(float(np.abs(inputs - targets).mean()), 1e-3)  # degraded
        cases = data.validation_set("flash_deblur", DATA)
        self.assertEqual(len(cases), 3 * len(data.FLASH_VAL_IMAGES))
        again = data.validation_set("flash_deblur", DATA)
        np.testing.assert_array_equal(cases[0][1], again[0][1])


if __name__ == "__main__":
    unittest.main()
