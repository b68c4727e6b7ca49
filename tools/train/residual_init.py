"""Initial weights that make the untrained network output F = I (alpha = 0, beta = input).

Why this exists: a plain 12-layer stack learns slowly from scratch, and the
C++ library runs only that plain graph, so no skip connection may be added.
Instead, channel 0 of every hidden layer starts as a copy of the input I
(a centre-tap 1, all other incoming weights 0; ReLU passes it because I >= 0),
and the last layer reads beta from that channel. Training then starts from the
degraded input, as a residual network would, and only learns the correction.
All other weights get He initialisation (fan-in, ReLU); the last layer's other
weights are scaled by 0.01 so that alpha starts near 0 but gradients flow at once.
"""

import torch


@torch.no_grad()
def residual_init(net, generator):
    """Initialise `net` (SVLRMNet, input order input,guide; alpha,beta outputs) in place."""
    assert net.input_order == "input,guide" and net.output_order == "alpha,beta"
    layers = list(net.layers)
    for conv in layers:
        std = (2.0 / (conv.in_channels * conv.kernel_size[0] * conv.kernel_size[1])) ** 0.5
        conv.weight.copy_(torch.randn(conv.weight.shape, generator=generator) * std)
        conv.bias.zero_()
    for conv in layers[:-1]:  # hidden channel 0 = I (the input is channel 0 of layer 0 too)
        centre = conv.kernel_size[0] // 2
        conv.weight[0].zero_()
        conv.weight[0, 0, centre, centre] = 1.0
    last = layers[-1]
    centre = last.kernel_size[0] // 2
    last.weight.mul_(0.01)
    last.weight[:, 0].zero_()  # alpha and beta read the copied input only through beta
    last.weight[1, 0, centre, centre] = 1.0

