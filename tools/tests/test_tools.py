"""Unit tests of the Python tools: safetensors I/O, export command, SVLRMNet, fixtures.

Why: the C++ tests trust these tools to produce correct golden data, so the tools
themselves are checked against hand-computed values and malformed inputs.
Run (from the repository root): /usr/bin/python3 -m unittest discover -s tools/tests -t .
"""

import json
import os
import tempfile
import unittest
from collections import OrderedDict

import numpy as np
import torch
from torch import nn

from .. import REPO, run_module, safetensors_io
from ..svlrm_net import SVLRMNet, load_model

FIXTURES_DIR = os.path.join(REPO, "tests", "fixtures")

torch.set_num_threads(1)
SMALL = [(2, 8, 3)] + [(8, 8, 3)] * 10 + [(8, 2, 3)]


def raw_file(path, header, data=b"", pad=True):
    """Write a safetensors file by hand (header: dict or raw bytes), to forge bad ones."""
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    if pad:
        text += b" " * (-len(text) % 8)
    with open(path, "wb") as out:
        out.write(len(text).to_bytes(8, "little") + text + data)


class TempDirTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.tmp = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def path(self, name):
        return os.path.join(self.tmp, name)


class SafetensorsRoundTrip(TempDirTest):
    def test_every_dtype_round_trips_exactly(self):
        rng = np.random.default_rng(0)
        tensors = {
            "f64": rng.normal(size=(3, 4)),
            "f32": rng.normal(size=(2, 3, 5)).astype(np.float32),
            "f16": rng.normal(size=(7,)).astype(np.float16),
            "bf16": safetensors_io.to_bf16_bits(rng.normal(size=(4, 2))),
            "scalar": np.array(2.5, dtype=np.float32),
            "empty": np.zeros((0, 3), dtype=np.float32),
        }
        meta = {"format": "svlrm", "note": "ünïcode"}
        safetensors_io.save(self.path("t.safetensors"), tensors, meta)
        loaded, loaded_meta = safetensors_io.load(self.path("t.safetensors"))
        self.assertEqual(loaded_meta, meta)
        self.assertEqual(set(loaded), set(tensors))
        for name, array in tensors.items():
            self.assertEqual(loaded[name].dtype.str, array.dtype.newbyteorder("<").str, name)
            self.assertEqual(loaded[name].shape, array.shape, name)
            np.testing.assert_array_equal(loaded[name], array, err_msg=name)

    def test_layout_sorted_contiguous_and_aligned(self):
        tensors = {"b": np.ones(3, np.float32), "a": np.ones(2, np.float64),
                   "c": np.ones(1, np.float16)}
        safetensors_io.save(self.path("t.safetensors"), tensors, {"k": "v"})
        with open(self.path("t.safetensors"), "rb") as src:
            blob = src.read()
        length = int.from_bytes(blob[:8], "little")
        self.assertEqual(length % 8, 0)
        header = json.loads(blob[8:8 + length])
        self.assertEqual([k for k in header if k != "__metadata__"], ["a", "b", "c"])
        self.assertEqual([header[k]["data_offsets"] for k in "abc"], [[0, 16], [16, 28], [28, 30]])
        self.assertEqual(len(blob), 8 + length + 30)

    def test_bf16_rounding_matches_torch(self):
        values = torch.tensor([1.0, -2.5, 1.00390625, 1.01171875, 3.0e38, 1e-40, 0.1])
        expected = values.to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)
        bits = safetensors_io.to_bf16_bits(values.numpy())
        np.testing.assert_array_equal(bits, expected)
        np.testing.assert_array_equal(safetensors_io.from_bf16_bits(bits),
                                      values.to(torch.bfloat16).float().numpy())

    def test_save_rejects_unsupported_dtype(self):
        with self.assertRaisesRegex(ValueError, "unsupported array dtype"):
            safetensors_io.save(self.path("t.safetensors"), {"x": np.zeros(2, np.int32)})


class SafetensorsStrictLoad(TempDirTest):
    GOOD = {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
            "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}}

    def assert_rejected(self, pattern, header, data=b"\0" * 12, pad=True):
        raw_file(self.path("bad.safetensors"), header, data, pad)
        with self.assertRaisesRegex(ValueError, pattern):
            safetensors_io.load(self.path("bad.safetensors"))

    def test_good_file_loads(self):
        raw_file(self.path("good.safetensors"), self.GOOD, b"\0" * 12)
        tensors, _ = safetensors_io.load(self.path("good.safetensors"))
        self.assertEqual(tensors["a"].shape, (2,))

    def test_too_short(self):
        with open(self.path("bad.safetensors"), "wb") as out:
            out.write(b"\1\0\0")
        with self.assertRaisesRegex(ValueError, "too short"):
            safetensors_io.load(self.path("bad.safetensors"))

    def test_header_past_end(self):
        with open(self.path("bad.safetensors"), "wb") as out:
            out.write((1000).to_bytes(8, "little") + b"{}")
        with self.assertRaisesRegex(ValueError, "past the end"):
            safetensors_io.load(self.path("bad.safetensors"))

    def test_huge_header_length(self):
        with open(self.path("bad.safetensors"), "wb") as out:
            out.write((2 ** 40).to_bytes(8, "little"))
        with self.assertRaisesRegex(ValueError, "exceeds"):
            safetensors_io.load(self.path("bad.safetensors"))

    def test_truncated_data(self):
        self.assert_rejected("cover 12 bytes but the data section has 11", self.GOOD, b"\0" * 11)

    def test_trailing_bytes(self):
        self.assert_rejected("trailing", self.GOOD, b"\0" * 13)

    def test_bad_json(self):
        self.assert_rejected("not valid JSON", b'{"a": {"dtype": "F32",')

    def test_nan_constant(self):
        self.assert_rejected("non-standard JSON constant", b'{"x": NaN}')

    def test_header_not_object(self):
        self.assert_rejected("not a JSON object", b"[1, 2]")

    def test_duplicate_keys(self):
        text = (b'{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},'
                b' "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}')
        self.assert_rejected("duplicate JSON key 'a'", text)

    def test_overlapping_offsets(self):
        header = dict(self.GOOD, b={"dtype": "F32", "shape": [1], "data_offsets": [4, 8]})
        self.assert_rejected("'b' at offset 4 overlaps", header, b"\0" * 8)

    def test_gap_between_tensors(self):
        header = dict(self.GOOD, b={"dtype": "F32", "shape": [1], "data_offsets": [12, 16]})
        self.assert_rejected("leaves a gap", header, b"\0" * 16)

    def test_size_mismatch(self):
        header = dict(self.GOOD, b={"dtype": "F32", "shape": [2], "data_offsets": [8, 12]})
        self.assert_rejected("needs 8 bytes, data_offsets span 4", header)

    def test_unknown_dtype(self):
        header = dict(self.GOOD, b={"dtype": "I32", "shape": [1], "data_offsets": [8, 12]})
        self.assert_rejected("unsupported dtype 'I32'", header)

    def test_bool_in_shape(self):
        header = dict(self.GOOD, b={"dtype": "F32", "shape": [True], "data_offsets": [8, 12]})
        self.assert_rejected("shape must be a list of non-negative integers", header)

    def test_extra_entry_key(self):
        entry = {"dtype": "F32", "shape": [1], "data_offsets": [8, 12], "x": 1}
        self.assert_rejected("exactly 'dtype', 'shape', 'data_offsets'", dict(self.GOOD, b=entry))

    def test_non_string_metadata(self):
        self.assert_rejected("__metadata__ must be an object of string values",
                             dict(self.GOOD, __metadata__={"format_version": 1}))

    def test_invalid_utf8(self):
        self.assert_rejected("not valid UTF-8", b'{"\xff": 1}')


class SVLRMNetHandComputed(unittest.TestCase):
    """Dyadic values keep every product and sum exact, so equality must be exact."""

    def one_layer(self, kernel, **options):
        net = SVLRMNet([(2, 2, kernel)], **options).double()
        rng = np.random.default_rng(1)
        weight = rng.integers(-8, 9, size=(2, 2, kernel, kernel)) / 8.0
        bias = np.array([0.25, -0.5])
        with torch.no_grad():
            net.layers[0].weight.copy_(torch.from_numpy(weight))
            net.layers[0].bias.copy_(torch.from_numpy(bias))
        return net, weight, bias

    @staticmethod
    def correlate(planes, weight, bias):
        """Zero-padded cross-correlation, by hand: planes [C, H, W] -> [O, H, W]."""
        pad = weight.shape[2] // 2
        padded = np.pad(planes, ((0, 0), (pad, pad), (pad, pad)))
        _, height, width = planes.shape
        out = np.zeros((weight.shape[0], height, width))
        for o in range(weight.shape[0]):
            for y in range(height):
                for x in range(width):
                    window = padded[:, y:y + weight.shape[2], x:x + weight.shape[3]]
                    out[o, y, x] = np.sum(window * weight[o]) + bias[o]
        return out

    def check(self, kernel, input_order, output_order):
        net, weight, bias = self.one_layer(kernel, input_order=input_order,
                                           output_order=output_order)
        rng = np.random.default_rng(2)
        input_, guide = rng.integers(0, 9, size=(2, 3, 4)) / 8.0
        first_input = input_order == "input,guide"
        planes = np.stack((input_, guide) if first_input else (guide, input_))
        channels = self.correlate(planes, weight, bias)
        alpha, beta = channels if output_order == "alpha,beta" else channels[::-1]
        got_alpha, got_beta = net(torch.from_numpy(input_)[None, None],
                                  torch.from_numpy(guide)[None, None])
        np.testing.assert_array_equal(got_alpha[0, 0].detach().numpy(), alpha)
        np.testing.assert_array_equal(got_beta[0, 0].detach().numpy(), beta)
        output = net.filter(torch.from_numpy(input_)[None, None], torch.from_numpy(guide)[None, None])
        np.testing.assert_array_equal(output[0, 0].detach().numpy(), alpha * guide + beta)

    def test_1x1_default_orders(self):
        self.check(1, "input,guide", "alpha,beta")

    def test_3x3_zero_padding_and_swapped_orders(self):
        self.check(3, "guide,input", "beta,alpha")

    def test_activation_between_layers_only(self):
        net = SVLRMNet([(2, 2, 1), (2, 2, 1)], activation="leaky_relu", slope=0.25).double()
        with torch.no_grad():
            net.layers[0].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, -1.0]]).view(2, 2, 1, 1))
            net.layers[0].bias.zero_()
            net.layers[1].weight.copy_(-torch.eye(2, dtype=torch.float64).view(2, 2, 1, 1))
            net.layers[1].bias.zero_()
        alpha, beta = net(torch.full((1, 1, 1, 1), 0.5, dtype=torch.float64),
                          torch.full((1, 1, 1, 1), 0.5, dtype=torch.float64))
        # layer 0: (0.5, -0.5) -> leaky (0.5, -0.125); layer 1 negates, no activation after it.
        self.assertEqual((alpha.item(), beta.item()), (-0.5, 0.125))


class SVLRMNetMetadata(unittest.TestCase):
    def test_required_keys_are_strings(self):
        meta = SVLRMNet(SMALL, activation="leaky_relu", slope=0.1).metadata()
        self.assertEqual(meta, {"format": "svlrm", "format_version": "1",
                                "layers": ",".join(["2:8:3"] + ["8:8:3"] * 10 + ["8:2:3"]),
                                "activation": "leaky_relu", "activation_slope": "0.1",
                                "input_order": "input,guide", "output_order": "alpha,beta"})

    def test_relu_has_no_slope_and_paper_default(self):
        meta = SVLRMNet().metadata()
        self.assertNotIn("activation_slope", meta)
        self.assertEqual(meta["layers"], "2:64:3," + "64:64:3," * 10 + "64:2:3")
        self.assertEqual(sum(p.numel() for p in SVLRMNet().parameters()), 371650)

    def test_from_metadata_round_trip(self):
        net = SVLRMNet([(2, 4, 5), (4, 2, 1)], "leaky_relu", 0.2, "guide,input", "beta,alpha",
                       {"task": "denoising"})
        self.assertEqual(SVLRMNet.from_metadata(net.metadata()).metadata(), net.metadata())

    def test_normalisation_keys_round_trip(self):
        extra = {"input_normalisation": "valid_range", "depth_encoding": "metric,inverse"}
        net = SVLRMNet(SMALL, extra_metadata=extra)
        meta = net.metadata()
        self.assertEqual({k: meta[k] for k in extra}, extra)
        again = SVLRMNet.from_metadata(meta)
        self.assertEqual(again.metadata(), meta)
        self.assertEqual(again.input_normalisation, "valid_range")
        self.assertEqual(SVLRMNet(SMALL).input_normalisation, "none")
        self.assertNotIn("input_normalisation", SVLRMNet(SMALL).metadata())
        with self.assertRaisesRegex(ValueError, "input_normalisation .*'bogus'"):
            SVLRMNet.from_metadata(dict(meta, input_normalisation="bogus"))

    def test_from_metadata_rejects(self):
        meta = SVLRMNet(SMALL).metadata()
        for change, pattern in (({"format_version": "2"}, "format_version"),
                                ({"format": "other"}, "format"),
                                ({"layers": "3:8:3,8:2:3"}, "must take 2"),
                                ({"layers": "2:8:4,8:2:3"}, "odd"),
                                ({"layers": "2:8,8:2:3"}, "in:out:kernel"),
                                ({"activation": "leaky_relu"}, "activation_slope"),
                                ({"output_order": "alpha"}, "output_order")):
            with self.subTest(change=change), self.assertRaisesRegex(ValueError, pattern):
                SVLRMNet.from_metadata(dict(meta, **change))
        del meta["input_order"]
        with self.assertRaisesRegex(ValueError, "missing required key 'input_order'"):
            SVLRMNet.from_metadata(meta)


class SVLRMNetNormalisation(unittest.TestCase):
    """filter() with input_normalisation = valid_range, against numpy written out."""

    def setUp(self):
        torch.manual_seed(3)
        self.net = SVLRMNet([(2, 6, 3), (6, 6, 3), (6, 2, 3)], "leaky_relu", 0.1,
                            extra_metadata={"input_normalisation": "valid_range"}).double()
        rng = np.random.default_rng(4)
        # Four images: 16-bit millimetres with holes, a wide range, one value
        # with holes, all holes.
        inputs = [rng.uniform(955, 2702, size=(9, 11)) / 65535, rng.uniform(0.1, 0.9, size=(9, 11)),
                  np.full((9, 11), 0.4), np.zeros((9, 11))]
        inputs[0][::3, ::4] = 0
        inputs[2][1, 2] = 0
        self.input = np.stack(inputs)[:, None]
        self.guide = rng.uniform(0, 1, size=self.input.shape)

    def test_filter_matches_numpy(self):
        expected = []
        for image, guide in zip(self.input, self.guide):
            valid = image[image != 0]
            lo = valid.min() if valid.size else 0.0
            span = valid.max() - lo if valid.size and valid.max() > lo else 1.0
            with torch.no_grad():
                alpha, beta = self.net(torch.from_numpy((image - lo) / span)[None],
                                       torch.from_numpy(guide)[None])
            expected.append(lo + span * (alpha[0].numpy() * guide + beta[0].numpy()))
        with torch.no_grad():
            got = self.net.filter(torch.from_numpy(self.input), torch.from_numpy(self.guide))
        np.testing.assert_allclose(got.numpy(), np.stack(expected), rtol=1e-12, atol=1e-15)

    def test_filter_is_affine_equivariant_and_none_is_unchanged(self):
        # The image without holes (a hole reaches the network as -lo / span, which an
        # affine map changes).
        input_, guide = torch.from_numpy(self.input[1:2]), torch.from_numpy(self.guide[1:2])
        with torch.no_grad():
            base = self.net.filter(input_, guide)
            moved = 37 * input_ + 0.01
            np.testing.assert_allclose(self.net.filter(moved, guide).numpy(),
                                       (37 * base + 0.01).numpy(), rtol=1e-9)
            self.net.extra_metadata["input_normalisation"] = "none"
            alpha, beta = self.net(input_, guide)
            np.testing.assert_array_equal(self.net.filter(input_, guide).numpy(),
                                          (alpha * guide + beta).numpy())


class Sequential12(nn.Module):
    """A plain sequential model, keys net.0.*, net.2.*, ..., in layer order."""

    def __init__(self, first_in=2, kernel=3):
        super().__init__()
        modules = [nn.Conv2d(first_in, 8, kernel, padding=kernel // 2), nn.ReLU()]
        for _ in range(10):
            modules += [nn.Conv2d(8, 8, 3, padding=1), nn.ReLU()]
        modules.append(nn.Conv2d(8, 2, 3, padding=1))
        self.net = nn.Sequential(*modules)


class ExportCommand(TempDirTest):
    def run_export(self, state, *options, wrap=None):
        checkpoint = self.path("ckpt.pth")
        torch.save(state if wrap is None else wrap(state), checkpoint)
        out = self.path("out.safetensors")
        if os.path.exists(out):
            os.remove(out)
        result = run_module("tools.export", checkpoint, out, *options, capture_output=True, text=True)
        return result, out

    def assert_exports(self, state, convs, *options, wrap=None):
        result, out = self.run_export(state, *options, wrap=wrap)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("12 layers", result.stdout)
        self.assertEqual(result.stdout.count("\n"), 1)
        tensors, meta = safetensors_io.load(out)
        for i, conv in enumerate(convs):
            np.testing.assert_array_equal(tensors[f"layers.{i}.weight"], conv.weight.detach())
            np.testing.assert_array_equal(tensors[f"layers.{i}.bias"], conv.bias.detach())
        self.assertEqual(len(tensors), 2 * len(convs))
        return meta

    def assert_fails(self, state, pattern, *options):
        result, out = self.run_export(state, *options)
        self.assertNotEqual(result.returncode, 0)
        self.assertRegex(result.stderr, pattern)
        self.assertFalse(os.path.exists(out))

    def test_data_parallel_checkpoint_with_extras(self):
        torch.manual_seed(0)
        model = Sequential12()
        convs = [m for m in model.net if isinstance(m, nn.Conv2d)]
        wrap = lambda sd: {"state_dict": sd, "epoch": 7, "lr": 1e-4}  # noqa: E731
        meta = self.assert_exports(nn.DataParallel(model).state_dict(), convs, "--task",
                                   "depth_upsampling", "--scale", "8", "--training-data",
                                   "NYU v2", "--description", "test", wrap=wrap)
        self.assertEqual(meta, {"format": "svlrm", "format_version": "1",
                                "layers": SVLRMNet(SMALL).metadata()["layers"],
                                "activation": "relu", "input_order": "input,guide",
                                "output_order": "alpha,beta", "task": "depth_upsampling",
                                "scale": "8", "training_data": "NYU v2",
                                "description": "test"})

    def test_model_and_net_wrappers(self):
        model = Sequential12()
        convs = [m for m in model.net if isinstance(m, nn.Conv2d)]
        for key in ("model", "net"):
            with self.subTest(key=key):
                self.assert_exports(model.state_dict(), convs, wrap=lambda sd: {key: sd})

    def test_map_orders_scrambled_checkpoint(self):
        torch.manual_seed(1)
        model = Sequential12()
        convs = [m for m in model.net if isinstance(m, nn.Conv2d)]
        order = [5, 0, 11, 3, 8, 1, 10, 2, 7, 4, 9, 6]
        state = OrderedDict()
        for i in order:
            state[f"conv{i + 1}.weight"] = convs[i].weight.detach().clone()
            state[f"conv{i + 1}.bias"] = convs[i].bias.detach().clone()
        maps = [a for i in range(12) for a in ("--map", f"conv{i + 1}=layers.{i}")]
        meta = self.assert_exports(state, convs, *maps, "--activation", "leaky_relu",
                                   "--slope", "0.2", "--input-order", "guide,input",
                                   "--output-order", "beta,alpha")
        self.assertEqual((meta["activation"], meta["activation_slope"], meta["input_order"],
                          meta["output_order"]), ("leaky_relu", "0.2", "guide,input",
                                                  "beta,alpha"))
        self.assert_fails(state, "layer 1: takes 2 channels but layer 0 produces 8")
        self.assert_fails(state, "no key matches conv99", *maps, "--map", "conv99=layers.12")
        self.assert_fails(state, r"must become 'layers.<i>'", *maps[:-2])

    def test_normalisation_options_reach_the_metadata(self):
        model = Sequential12()
        convs = [m for m in model.net if isinstance(m, nn.Conv2d)]
        meta = self.assert_exports(model.state_dict(), convs, "--input-normalisation",
                                   "valid_range", "--depth-encoding", "metric,inverse")
        self.assertEqual((meta["input_normalisation"], meta["depth_encoding"]),
                         ("valid_range", "metric,inverse"))
        meta = self.assert_exports(model.state_dict(), convs)
        self.assertNotIn("input_normalisation", meta)
        self.assert_fails(model.state_dict(), "invalid choice", "--input-normalisation", "bogus")

    def test_half_precision_exports(self):
        model = Sequential12()
        for dtype, expected in (("f16", "F16"), ("bf16", "BF16")):
            with self.subTest(dtype=dtype):
                result, out = self.run_export(model.state_dict(), "--dtype", dtype)
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertIn(f"as {expected}", result.stdout)
                weight = model.net[0].weight.detach()
                rounded = weight.half() if dtype == "f16" else weight.bfloat16()
                loaded = load_model(out, torch.float32).layers[0].weight.detach()
                torch.testing.assert_close(loaded, rounded.float(), rtol=0, atol=0)

    def test_bad_checkpoints(self):
        self.assert_fails(Sequential12(first_in=3).state_dict(),
                          "layer 0: takes 3 channels, must take 2")
        self.assert_fails(Sequential12(kernel=4).state_dict(), "kernel size 4 must be odd")
        state = Sequential12().state_dict()
        del state["net.4.bias"]
        self.assert_fails(state, "convolution 'net.4.weight' has no bias 'net.4.bias'")
        state = Sequential12().state_dict()
        state.update(("bn." + k, v) for k, v in nn.BatchNorm2d(8).state_dict().items())
        self.assert_fails(state, "not a convolution or its bias: bn.weight")
        self.assert_fails(Sequential12().state_dict(), "not a positive number", "--scale", "x")

    def test_hostile_pickle_is_not_executed(self):
        marker = self.path("executed")

        class Hostile:
            def __reduce__(self):
                return (os.system, (f"touch {marker}",))

        self.assert_fails({"state_dict": Sequential12().state_dict(), "x": Hostile()},
                          "not allowed")
        self.assertFalse(os.path.exists(marker))


@unittest.skipUnless(os.path.isdir(FIXTURES_DIR), "tests/fixtures not generated")
class CommittedFixtures(unittest.TestCase):
    def test_cases_match_their_models(self):
        cases = sorted(f for f in os.listdir(FIXTURES_DIR) if "_case" in f)
        self.assertGreaterEqual(len(cases), 9)
        for case_file in cases:
            with self.subTest(case=case_file):
                case, meta = safetensors_io.load(os.path.join(FIXTURES_DIR, case_file))
                net = load_model(os.path.join(FIXTURES_DIR, meta["model"]), torch.float64)
                input_, guide = (torch.from_numpy(case[k])[None, None] for k in ("input", "guide"))
                with torch.no_grad():
                    alpha, beta = net(input_, guide)
                for name, value in (("alpha", alpha), ("beta", beta),
                                    ("output", alpha * guide + beta)):
                    np.testing.assert_allclose(case[name], value[0, 0].numpy(), rtol=0,
                                               atol=1e-12, err_msg=name)
                self.assertTrue(((case["input"] >= 0) & (case["input"] <= 1)).all())


if __name__ == "__main__":
    unittest.main()
