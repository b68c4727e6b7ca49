"""Tests of the trainer's network set-up (tools/train/train.py, residual_init.py).

Why: fine-tuning a network with wider kernels (--kernels with --init-from) must start
from exactly the narrower network's function, and the residual initialisation must
start at F = I whatever the kernel sizes, or training starts from a worse point than
the one the model card describes.
Run (from the repository root): /usr/bin/python3 -m unittest discover -s tools/tests -t .
"""

import unittest

import torch

from ..svlrm_net import SVLRMNet
from ..train import train
from ..train.layers import layer_spec, widened
from ..train.residual_init import residual_init


def args(*extra):
    return train.parse_args(["--task", "depth_sr", *extra])


class Kernels(unittest.TestCase):
    def test_one_size_or_twelve(self):
        self.assertEqual([k for _, _, k in layer_spec("3")], [3] * 12)
        spec = layer_spec("5,5,3,3,3,3,3,3,3,3,3,3")
        self.assertEqual([k for _, _, k in spec], [5, 5] + [3] * 10)
        self.assertEqual(spec[0][:2], (2, 64))
        self.assertEqual(spec[-1][:2], (64, 2))
        with self.assertRaises(SystemExit):
            layer_spec("3,5")

    def test_widened_network_computes_the_same_function(self):
        torch.manual_seed(0)
        narrow = SVLRMNet(layer_spec("3"))
        wide = SVLRMNet(layer_spec("5,7,3,3,3,3,3,3,3,3,3,5"))
        wide.load_state_dict(widened(narrow.state_dict(), wide))
        input, guide = torch.rand(2, 1, 19, 23), torch.rand(2, 1, 19, 23)  # noqa: A001
        with torch.no_grad():
            for a, b in zip(narrow(input, guide), wide(input, guide)):
                self.assertLess(float((a - b).abs().max()), 1e-5)

    def test_widened_refuses_a_narrower_target(self):
        wide = SVLRMNet(layer_spec("5"))
        narrow = SVLRMNet(layer_spec("3"))
        with self.assertRaises(SystemExit):
            widened(wide.state_dict(), narrow)

    def test_residual_init_starts_at_f_equals_input_for_mixed_kernels(self):
        net = SVLRMNet(layer_spec("5,3,7,3,3,3,3,3,3,3,3,5"))
        residual_init(net, torch.Generator().manual_seed(1))
        last = net.layers[-1]
        with torch.no_grad():  # keep only the copy path (the init adds 1% random weights besides)
            copy = float(last.weight[1, 0, 2, 2])
            last.weight.zero_()
            last.weight[1, 0, 2, 2] = copy
        input, guide = torch.rand(1, 1, 16, 16), torch.rand(1, 1, 16, 16)  # noqa: A001
        with torch.no_grad():
            alpha, beta = net(input, guide)
        self.assertEqual(copy, 1.0)
        self.assertEqual(float(alpha.abs().max()), 0.0)
        self.assertLess(float((beta - input).abs().max()), 1e-6)


if __name__ == "__main__":
    unittest.main()


class Resume(unittest.TestCase):
    """--resume continues the checkpoint's run: options left out of the command line come
    from the checkpoint (a resumed depth_sr run once dropped --rendered and the JBU start
    and trained on other data), options given override it, the time budget is per run."""

    def test_left_out_options_come_from_the_checkpoint(self):
        first = ["--task", "depth_sr", "--rendered", "/cache/rooms", "--input-upsampling", "jbu",
                 "--scene-size", "512x640", "--bf16", "--lr", "1e-4", "--minutes", "600"]
        saved = vars(train.parse_args(first))
        again = ["--task", "depth_sr", "--resume", "--lr", "5e-5", "--minutes", "30"]
        resumed = train.resumed_args(train.parse_args(again), again, saved)
        self.assertEqual(resumed.rendered, "/cache/rooms")
        self.assertEqual(resumed.input_upsampling, "jbu")
        self.assertEqual(resumed.scene_size, "512x640")
        self.assertTrue(resumed.bf16)
        self.assertEqual(resumed.lr, 5e-5)  # given: overrides
        self.assertEqual(resumed.minutes, 30)  # per run
        self.assertTrue(resumed.resume)
        plain = train.resumed_args(train.parse_args(["--task", "depth_sr", "--resume"]),
                                   ["--task", "depth_sr", "--resume"], saved)
        self.assertIsNone(plain.minutes)  # not the first run's 600
