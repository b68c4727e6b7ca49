"""What training optimises and reports: F from the network, the loss of Eq. 9, the metrics.

Why separate from train.py: compare_models.py scores checkpoints with the same F and
metrics as the trainer's validation, without the training loop.
"""

import math

import numpy as np
import torch

CHARBONNIER_EPS = 1e-3


def output(net, input, guide, end_to_end):  # noqa: A002
    """F: alpha * G + beta (SVLRM), or the beta channel alone (end-to-end ablation)."""
    alpha, beta = net(input, guide)
    return beta if end_to_end else net.compose(alpha, beta, guide)


def charbonnier(prediction, target, mask):
    """Eq. (9): the SUM over the batch's valid (mask = 1) pixels of sqrt((F - T)^2 + eps^2).

    A sum as in the paper, not a mean: Adam's eps = 1e-4 assumes gradients of
    that size. With a per-pixel mean the hidden layers' gradients were measured
    at ~3e-6 RMS, far below eps, so Adam's steps shrank ~30x and they barely trained.
    """
    return (torch.sqrt((prediction - target) ** 2 + CHARBONNIER_EPS ** 2) * mask).sum()


def metrics(prediction, target, mask):
    """PSNR (peak 1) and RMSE on the 0..255 scale over the valid pixels."""
    mse = float((((prediction - target) ** 2) * mask).sum() / mask.sum())
    return 10 * math.log10(1.0 / max(mse, 1e-20)), 255.0 * math.sqrt(mse)


@torch.no_grad()
def validate(net, cases, end_to_end, use_input=False):
    """Mean PSNR / RMSE over the validation cases, plus RMSE per upsampling scale."""
    results = {}
    for name, input, guide, target, mask in cases:  # noqa: A001
        as_tensor = [torch.from_numpy(np.ascontiguousarray(a))[None, None] for a in
                     (input, guide, target, mask)]
        prediction = as_tensor[0] if use_input else output(net, as_tensor[0], as_tensor[1], end_to_end)
        results[name] = metrics(prediction, as_tensor[2], as_tensor[3])
    summary = {"val_psnr": np.mean([p for p, _ in results.values()]),
               "val_rmse": np.mean([r for _, r in results.values()])}
    per_scale = {}  # depth_sr cases are named "<image>@x<scale>"
    for name, (_, r) in results.items():
        if "@x" in name:
            per_scale.setdefault(int(name.rsplit("@x", 1)[1]), []).append(r)
    for scale in sorted(per_scale):
        summary[f"val_rmse_x{scale}"] = np.mean(per_scale[scale])
    render = [r for name, (_, r) in results.items() if name.startswith("render/")]
    if render:  # the held-out rendered rooms alone: closest to real indoor sensor frames
        summary["val_rmse_render"] = np.mean(render)
    return summary, results
