"""The network's layer list from --kernels, and a narrower checkpoint widened to it.

Why separate from train.py: compare_models.py and the tests build the same network
from a run's saved options without running the training loop.
"""

import torch

from ..svlrm_net import PAPER_LAYERS


def layer_spec(kernels):
    """The paper's 12 layers of 64 channels with the kernel sizes of --kernels ("3" or 12 sizes)."""
    sizes = [int(k) for k in kernels.split(",")]
    if len(sizes) == 1:
        sizes *= len(PAPER_LAYERS)
    if len(sizes) != len(PAPER_LAYERS):
        raise SystemExit(f"--kernels: give 1 or {len(PAPER_LAYERS)} sizes, got {len(sizes)}")
    return [(c_in, c_out, k) for (c_in, c_out, _), k in zip(PAPER_LAYERS, sizes)]


def widened(state, net):
    """`state` (a state_dict) with every kernel zero-padded, centred, to `net`'s size.

    A zero ring around a kernel leaves each convolution unchanged, so the wider
    network starts as exactly the function of the narrower one.
    """
    own = net.state_dict()
    out = {}
    for name, value in state.items():
        target = own[name].shape
        if value.shape != target:
            pad = (target[-1] - value.shape[-1]) // 2
            if value.dim() != 4 or pad < 0 or value.shape[:2] != target[:2]:
                raise SystemExit(f"--init-from: {name} has shape {tuple(value.shape)}, cannot become {tuple(target)}")
            value = torch.nn.functional.pad(value, (pad, pad, pad, pad))
        out[name] = value
    return out
