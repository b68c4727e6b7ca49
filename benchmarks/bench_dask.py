"""svlrm.dask on a distributed.LocalCluster, side by side with one process (docs/benchmarks.md):

1. a folder of frames (default 200 synthetic 320x240 RGB-D frames) through
   svlrm.dask.filter_files on 1 and on 2 worker processes of one thread each, against a
   plain loop of JointFilter.apply in this process: frames per second;
2. the scheduler's overhead per task (no-op tasks);
3. a chunked array (filter_array, 512-pixel chunks) against one whole-image call.

PYTHONPATH=build/python OMP_NUM_THREADS=1 /usr/bin/python3 benchmarks/bench_dask.py [--frames N] [--model FILE]
"""

import argparse
import logging
import os
import platform
import tempfile
import time

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one thread a worker, inherited by the workers

import svlrm  # noqa: E402
import svlrm.dask as sd  # noqa: E402


def frame(seed, h, w):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h
    inside = (x - cx) ** 2 + (y - cy) ** 2 < (0.2 * h) ** 2
    depth = np.where(inside, 0.3, 0.7) + 0.0005 * y + 0.02 * rng.standard_normal((h, w))
    rgb = np.stack([np.where(inside, 0.8, 0.3) + 0.1 * np.sin(0.2 * x), 0.5 + 0.2 * np.cos(0.1 * y),
                    np.where(inside, 0.2, 0.6) + 0.0 * x], axis=2)
    return (np.clip(rgb, 0, 1) * 255).astype(np.uint8), (np.clip(depth, 0.01, 1) * 65535).astype(np.uint16)


def write_frames(folder, n, h, w):
    from PIL import Image

    pairs = []
    for i in range(n):
        rgb, depth = frame(i, h, w)
        g, d = os.path.join(folder, f"{i:04d}_rgb.png"), os.path.join(folder, f"{i:04d}_depth.png")
        Image.fromarray(rgb).save(g)
        Image.fromarray(depth).save(d)
        pairs.append((g, d))
    return pairs


def timed(fn):
    t0 = time.perf_counter()
    r = fn()
    return time.perf_counter() - t0, r


def main():
    import distributed

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--size", default="240x320", help="HxW of the frames")
    ap.add_argument("--model", default=None, help="default: the bundled depth_restore")
    ap.add_argument("--array", type=int, default=2048, help="side of the chunked-array test image")
    args = ap.parse_args()
    h, w = map(int, args.size.split("x"))
    model = args.model or svlrm.Model.bundled("depth_restore").source
    f = svlrm.JointFilter(model)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
          f"backend {f.backend} ({f.precision}); OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}")

    with tempfile.TemporaryDirectory() as tmp:
        pairs = write_frames(tmp, args.frames, h, w)
        # The loop in one process, as a user without Dask would write it.
        svlrm.set_num_threads(1)
        t_loop, _ = timed(lambda: [sd.write_atomic(os.path.join(tmp, f"loop_{i}.npy"),
                                                   f.apply(sd.to_unit(sd.read_image(g)), sd.to_unit(sd.read_image(d))))
                                   for i, (g, d) in enumerate(pairs)])
        print(f"{args.frames} frames {w}x{h}: one process, a loop: {t_loop:.1f} s, {args.frames / t_loop:.2f} frames/s")
        rgb, depth = frame(7, args.array, args.array)
        t_whole, whole = timed(lambda: f.apply(rgb, depth))
        print(f"{args.array}x{args.array} array: one whole-image call in this process {t_whole:.1f} s")
        for workers in (1, 2):
            with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                          dashboard_address=None, silence_logs=logging.ERROR) as cluster, \
                    distributed.Client(cluster) as client:
                # Warm-up: every worker loads the model (once per process).
                client.run(lambda: sd.worker_filter(model).backend)
                t, rows = timed(lambda: sd.filter_files(pairs, os.path.join(tmp, f"out{workers}"), model,
                                                        client=client, progress=False))
                busy = sum(r["seconds"] for r in rows)
                print(f"  filter_files, {workers} worker(s): {t:.1f} s, {args.frames / t:.2f} frames/s "
                      f"(task time {busy / len(rows) * 1000:.0f} ms a frame; speed-up {t_loop / t:.2f}x)")
                n = 2000
                t_noop, _ = timed(lambda: client.gather(client.map(lambda x: x, range(n), pure=False)))
                print(f"  scheduler overhead, {workers} worker(s): {t_noop / n * 1000:.2f} ms a no-op task")
                for chunks in (512, 1024):
                    arr = sd.filter_array(rgb, depth, model, chunks=chunks)
                    t_chunked, out = timed(lambda: arr.compute())
                    rel = np.linalg.norm(out - whole) / np.linalg.norm(whole)
                    print(f"  {args.array}x{args.array} array, {chunks}-pixel chunks, {workers} worker(s): "
                          f"{t_chunked:.1f} s ({t_chunked / t_whole:.2f}x the whole-image call; "
                          f"rel. difference {rel:.1e})")


if __name__ == "__main__":
    main()
