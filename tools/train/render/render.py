"""Driver of the rendered RGB-D data engine: runs room.py in Blender, chunk by chunk.

Why a driver: a Blender process that crashes or is killed loses only its chunk
(a fresh process per chunk of seeds; finished seeds are skipped, so a rerun
resumes), the texture folder is prepared outside Blender (skimage's images are
exported to PNG once, with the system Python that has skimage), and progress
and the cost per frame are printed in one place.

Usage: python3 -m tools.train.render.render [--out DIR] --seeds 0:2000 [--chunk 25] [--samples N] [--size WxH]
Default DIR: ${SVLRM_RENDER_CACHE:-$HOME/.cache/svlrm/render}/rooms_v1 (never in the repository).
Seeds 900000..900039 are the validation frames: never train on them.
"""

import argparse
import glob
import json
import os
import signal
import subprocess
import sys
import time

from ... import REPO

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.environ.get("SVLRM_RENDER_CACHE", os.path.join(os.path.expanduser("~"), ".cache", "svlrm", "render"))
DATA = os.environ.get("SVLRM_DATA", os.path.join(os.path.dirname(REPO), "shared", "datasets"))
# Training-allowed natural images only (see ../data.py and the datasets' README).
DATASET_TEXTURES = ["Kodak24", "McMaster"]
SKIMAGE_TEXTURES = ["astronaut", "coffee", "chelsea", "rocket", "camera", "brick", "grass", "gravel"]


def export_skimage(folder):
    """skimage's sample images as PNG files that Blender can load."""
    os.makedirs(folder, exist_ok=True)
    missing = [n for n in SKIMAGE_TEXTURES if not os.path.exists(os.path.join(folder, n + ".png"))]
    if not missing:
        return
    import numpy as np
    import skimage.data
    from PIL import Image
    for name in missing:
        img = np.asarray(getattr(skimage.data, name)())
        if img.dtype != np.uint8:
            img = (img / max(img.max(), 1) * 255).astype(np.uint8)
        tmp = os.path.join(folder, name + ".tmp.png")
        Image.fromarray(img).save(tmp)
        os.replace(tmp, os.path.join(folder, name + ".png"))


def texture_dirs():
    dirs = [os.path.join(CACHE, "textures")]
    try:
        export_skimage(dirs[0])
    except Exception as e:  # textures are a nicety: render without them rather than fail
        print("warning: skimage textures not exported (%s)" % e, file=sys.stderr)
    dirs += [os.path.join(DATA, d) for d in DATASET_TEXTURES if os.path.isdir(os.path.join(DATA, d))]
    return dirs


def done(out, seed):
    stem = os.path.join(out, "%07d" % seed)
    return all(os.path.exists(stem + s) for s in ("_rgb.png", "_depth.png", ".json"))


def main():
    # SIGTERM (kill PID) unwinds like Ctrl-C, so the finally clause below stops Blender
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))
    p = argparse.ArgumentParser(prog="python3 -m tools.train.render.render", description=__doc__.split("\n")[0])
    p.add_argument("--out", default=os.path.join(CACHE, "rooms_v1"))
    p.add_argument("--seeds", required=True, help="A:B, B exclusive")
    p.add_argument("--chunk", type=int, default=25)
    p.add_argument("--samples", type=int, default=4)
    p.add_argument("--size", default="640x480")
    p.add_argument("--blender", default="blender")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds per frame before a chunk is killed")
    args = p.parse_args()
    a, b = (int(v) for v in args.seeds.split(":"))
    os.makedirs(args.out, exist_ok=True)
    dirs = texture_dirs()
    todo = [s for s in range(a, b) if not done(args.out, s)]
    print("%d of %d seeds to render into %s" % (len(todo), b - a, args.out), flush=True)
    t_start, n_done, failures = time.time(), 0, 0
    for i in range(0, len(todo), args.chunk):
        chunk = todo[i:i + args.chunk]
        # consecutive runs of seeds, so that a chunk is one room.py call per run
        runs, start = [], chunk[0]
        for prev, cur in zip(chunk, chunk[1:] + [None]):
            if cur != prev + 1:
                runs.append((start, prev + 1))
                start = cur
        for s0, s1 in runs:
            cmd = [args.blender, "-b", "--factory-startup", "-t", "1", "-P", os.path.join(HERE, "room.py"), "--",
                   "--out", args.out, "--seeds", "%d:%d" % (s0, s1), "--samples", str(args.samples),
                   "--size", args.size, "--textures", ",".join(dirs)]
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            try:
                out, _ = proc.communicate(timeout=args.timeout * (s1 - s0) + 60)
                if proc.returncode != 0:
                    failures += 1
                    print("blender failed (rc %d) on seeds %d:%d:\n%s" % (
                        proc.returncode, s0, s1, "\n".join(out.splitlines()[-30:])), flush=True)
            except subprocess.TimeoutExpired:
                failures += 1
                print("blender timed out on seeds %d:%d" % (s0, s1), flush=True)
            finally:  # killing the driver must not leave a Blender running
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        n_done = sum(done(args.out, s) for s in todo[:i + args.chunk])
        secs = [json.load(open(f))["render_seconds"] for f in
                (os.path.join(args.out, "%07d.json" % s) for s in chunk) if os.path.exists(f)]
        mean = sum(secs) / len(secs) if secs else float("nan")
        print("%s  %d/%d done, chunk mean %.2f s/frame, wall %.2f s/frame overall" % (
            time.strftime("%H:%M:%S"), n_done, len(todo), mean, (time.time() - t_start) / max(n_done, 1)),
            flush=True)
        if failures > 20:
            sys.exit("too many failures")
    print("finished: %d frames in %s" % (len(glob.glob(os.path.join(args.out, "*.json"))), args.out))


if __name__ == "__main__":
    main()
