#!/usr/bin/python3
"""Runs the whole network benchmark in one go and prints the markdown table of
docs/benchmarks.md, section "Network (oneDNN)". Each configuration runs in a fresh
process (bench_onednn or torch_network.py), so each peak RSS is its own.

usage: /usr/bin/python3 benchmarks/run_network_bench.py BUILD_DIR [--runs 5] [--tiled-runs 5]
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ISSUE_PEAK = 232.0  # GFLOP/s: the issue's 2-core f32 peak (docs/benchmarks.md explains)


def run(cmd):
    print("+", " ".join(cmd), file=sys.stderr, flush=True)
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1]) if out.strip().startswith("{") else out


def errors(out_file, ref_file, guide):
    """max abs and rel L2 of F = alpha * G + beta, on [0, 1] data, against the reference."""
    n = guide.size
    a, b = np.fromfile(out_file, np.float32).astype(np.float64), np.fromfile(ref_file, np.float32).astype(np.float64)
    f, fr = a[:n] * guide + a[n:], b[:n] * guide + b[n:]
    return float(np.abs(f - fr).max()), float(np.linalg.norm(f - fr) / np.linalg.norm(fr))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--tiled-runs", type=int, default=5)
    args = ap.parse_args()
    bench = os.path.join(args.build, "benchmarks", "bench_onednn")
    torch_script = os.path.join(HERE, "torch_network.py")
    case = tempfile.mkdtemp(prefix="svlrm_bench_")
    run([bench, "--write-case", case])
    peak = run([bench, "--peak"])
    machine_peak = 2 * peak["fma_f32_gflops_1_thread"]  # 2 cores, 1 thread each
    describe = run([bench, "--describe"])
    modes = ["exact", "fast", "bf16"]

    rows = []
    for m in modes:
        rows.append(run([bench, "onednn", m, "640", "480", str(args.runs), f"{case}/out_{m}"]))
    rows.append(run(["/usr/bin/python3", torch_script, case, "640", "480", str(args.runs), f"{case}/out_exact"]))
    rows.append(run([bench, "reference", "-", "640", "480", str(args.runs), f"{case}/out_reference"]))
    for m in modes:
        rows.append(run([bench, "onednn_dnnl_last", m, "640", "480", str(args.runs)]))
    last = [run([bench, b, "exact", "640", "480", str(3 * args.runs)]) for b in ("last_own", "last_dnnl")]
    for m in modes:
        rows.append(run([bench, "onednn", m, "1024", "1024", str(args.runs)]))
    rows.append(run(["/usr/bin/python3", torch_script, case, "1024", "1024", str(args.runs)]))
    for m in modes:
        rows.append(run([bench, "tiled", m, "4096", "4096", str(args.tiled_runs)]))

    guide = np.fromfile(f"{case}/input_640x480", np.float32).astype(np.float64)[640 * 480:]
    err = {m: errors(f"{case}/out_{m}", f"{case}/out_reference", guide) for m in modes}
    torch_ms = {r["width"]: r["median_ms"] for r in rows if r["backend"] == "pytorch"}
    exact_ms = {r["width"]: r["median_ms"] for r in rows if r["backend"] == "onednn" and r["mode"] == "exact"}

    print(f"Date: {datetime.date.today()}; machine: {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs; measured f32 FMA peak: {peak['fma_f32_gflops_1_thread']} GFLOP/s on 1 thread, "
          f"{peak['fma_f32_gflops_2_threads']} on 2 threads at once (machine peak taken as 2 x 1-thread = "
          f"{machine_peak:.0f}).\n")
    print("| what | mode | size | median ms | runs | GFLOP/s | % of 232 | % of machine peak | vs PyTorch | "
          "vs exact | peak RSS MB | F max abs err | F rel L2 err |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        size = f"{r['width']}x{r['height']}"
        g = 228e9 / 307200 * r["width"] * r["height"] / (r["median_ms"] * 1e6)  # the 12x64 model's FLOP
        g = r.get("gflops", g)
        vs_torch = torch_ms.get(r["width"])
        e = err.get(r["mode"]) if r["backend"] == "onednn" and r["width"] == 640 else None
        print(f"| {r['backend']} | {r['mode']} | {size} | {r['median_ms']:.0f} | {len(r['runs_ms'])} | {g:.0f} | "
              f"{100 * g / ISSUE_PEAK:.0f}% | {100 * g / machine_peak:.0f}% | "
              + (f"{vs_torch / r['median_ms']:.2f}x | " if vs_torch and r["width"] != 4096 else "| ")
              + (f"{exact_ms[r['width']] / r['median_ms']:.2f}x | " if r["width"] in exact_ms and r["backend"] == "onednn" else "| ")
              + f"{r['peak_rss_mb']:.0f} | "
              + (f"{e[0]:.2e} | {e[1]:.2e} |" if e else "| |"))
    own, dnnl = last
    print(f"\nLast layer (64->2) at 640x480, 2-layer network 2->64->2, {len(own['runs_ms'])} runs each: "
          f"svlrm kernel {own['median_ms']:.1f} ms, oneDNN {dnnl['median_ms']:.1f} ms "
          f"(difference {dnnl['median_ms'] - own['median_ms']:.1f} ms).")
    print("\nRaw runs (ms):")
    for r in rows + last:
        print(f"- {r['backend']} {r['mode']} {r['width']}x{r['height']}: {r['runs_ms']}")
    print("\noneDNN implementations at 640x480:\n```\n" + describe + "```")


if __name__ == "__main__":
    main()
