"""The paper's 12x64 network in PyTorch (CPU, channels_last, 2 threads) on the weights
and inputs that `bench_onednn --write-case DIR` wrote: what a user would run instead
of svlrm. Prints one JSON line like bench_onednn's. Run by run_network_bench.py.

usage: torch_network.py DIR WIDTH HEIGHT RUNS [ONEDNN_EXACT_OUTPUT]
"""
import json
import resource
import statistics
import sys
import time

import numpy as np
import torch


def main():
    case, w, h, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(2)
    layers = []
    for i in range(12):
        cin, cout = (2 if i == 0 else 64), (2 if i == 11 else 64)
        conv = torch.nn.Conv2d(cin, cout, 3, padding=1)
        conv.weight.data = torch.from_numpy(np.fromfile(f"{case}/layer{i}.weight", np.float32).reshape(cout, cin, 3, 3))
        conv.bias.data = torch.from_numpy(np.fromfile(f"{case}/layer{i}.bias", np.float32))
        layers += [conv] + ([torch.nn.ReLU()] if i < 11 else [])
    net = torch.nn.Sequential(*layers).eval().to(memory_format=torch.channels_last)
    x = torch.from_numpy(np.fromfile(f"{case}/input_{w}x{h}", np.float32).reshape(1, 2, h, w))
    x = x.contiguous(memory_format=torch.channels_last)
    times = []
    with torch.inference_mode():
        y = net(x)  # warm-up
        for _ in range(runs):
            t0 = time.perf_counter()
            y = net(x)
            times.append((time.perf_counter() - t0) * 1e3)
    result = {"backend": "pytorch", "mode": "f32 channels_last", "width": w, "height": h,
              "median_ms": round(statistics.median(times), 1),
              "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
              "runs_ms": [round(t, 1) for t in times]}
    if len(sys.argv) > 5:  # same weights and inputs: the outputs agree with svlrm's
        ours = np.fromfile(sys.argv[5], np.float32)
        theirs = y.contiguous().numpy().astype(np.float64).ravel()
        result["rel_l2_vs_onednn_exact"] = float(np.linalg.norm(ours - theirs) / np.linalg.norm(theirs))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
