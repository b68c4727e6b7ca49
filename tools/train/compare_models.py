"""Compare depth_sr checkpoints on held-out procedural scenes: RMSE (0..255) per scale.

Why this exists: the trainer's validation set is small (3 real images and 4 scenes),
and its score moves by ~10% between checkpoints of one run; choosing between two
models needs a larger held-out set. The scenes' seeds (2,000,000 on) are never used
for training (training uses 0..--scenes-1, validation 1,000,000..1,000,003). Inputs:
box downsampling plus low-resolution noise of sigma 0.03 (the noisy-sensor case of
the validation set) and clean point decimation.

usage: python3 -m tools.train.compare_models CHECKPOINT [CHECKPOINT ...] [--scenes 20] [--size 512x640]
"""

import argparse

import numpy as np
import torch

from . import data, degrade
from ..svlrm_net import SVLRMNet
from .layers import layer_spec
from .objective import metrics, output

SEED0 = 2_000_000


def load(path):
    state = torch.load(path)
    net = SVLRMNet(layer_spec(state["args"].get("kernels", "3")))
    net.load_state_dict(state["model"])
    return net.eval()


def main():
    parser = argparse.ArgumentParser(prog="python3 -m tools.train.compare_models", description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoints", nargs="+")
    parser.add_argument("--scenes", type=int, default=20)
    parser.add_argument("--size", default="512x640")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    size = tuple(int(v) for v in args.size.split("x"))
    nets = [load(p) for p in args.checkpoints]
    rng = np.random.default_rng(SEED0)
    rmse = {}
    for item in data.procedural(range(SEED0, SEED0 + args.scenes), size):
        target = item["target"]
        h, w = target.shape
        guide, truth, mask = (torch.from_numpy(item[k])[None, None] for k in ("guide", "target", "mask"))
        for case in ("box+noise", "point"):
            for s in data.DEPTH_SCALES:
                if case == "point":
                    low = degrade.decimate(target, s)
                else:
                    low = degrade.box_downsample(target, s) + rng.normal(0, 0.03, (h // s, w // s)).astype(np.float32)
                up = torch.from_numpy(degrade.resize_bicubic(low, h, w))[None, None]
                with torch.no_grad():
                    for k, net in enumerate(nets):
                        f = output(net, up, guide, False)
                        rmse.setdefault((k, case, s), []).append(metrics(f, truth, mask)[1])
    for case in ("box+noise", "point"):
        print(f"{case}: RMSE x4 / x8 / x16 (mean over {args.scenes} scenes; ± standard error)")
        for k, path in enumerate(args.checkpoints):
            cells = []
            for s in data.DEPTH_SCALES:
                v = np.array(rmse[(k, case, s)])
                cells.append(f"{v.mean():.3f} ± {v.std(ddof=1) / np.sqrt(len(v)):.3f}")
            print(f"  {path}: " + " / ".join(cells))
        if len(nets) == 2:  # paired differences: the same scenes and noise for both
            diffs = [np.array(rmse[(1, case, s)]) - np.array(rmse[(0, case, s)]) for s in data.DEPTH_SCALES]
            print("  second - first (paired): " + " / ".join(
                f"{d.mean():+.3f} ± {d.std(ddof=1) / np.sqrt(len(d)):.3f}" for d in diffs))


if __name__ == "__main__":
    main()
