"""Train an SVLRM coefficient network (Pan et al., CVPR 2019, Sec. 5.1) on the CPU, resumably.

Why this exists: the project ships its own weights, trained on data it may use
(data.py), with the degradations of the evaluation protocols (degrade.py). The
recipe is the paper's: Charbonnier loss (eps = 1e-3) on F = alpha * G + beta
against the clean target, Adam (0.9, 0.999, eps 1e-4), batch 20 of random 64x64
patches with flips and 90-degree rotations; learning rate with a linear warmup
and step halving. With --end-to-end the same network is trained to output F
directly in its beta channel (alpha ignored): the Table 4 ablation.

A CPU run takes hours, so the run folder (tools/train/runs/<name>/) holds a
checkpoint written atomically every few minutes (model, optimizer, torch and
numpy RNG states, iteration, elapsed time) from which --resume continues
exactly, and log.csv (iteration, wall time, train loss, lr, validation metrics
on held-out training-allowed data). --export writes the weights file at every
checkpoint, so a usable model exists while training runs.
"""

import argparse
import csv
import json
import os
import sys
import time

import numpy as np
import torch

from . import data, rendered
from .. import export, safetensors_io
from ..svlrm_net import SVLRMNet, load_model
from .layers import layer_spec, widened
from .objective import charbonnier, output, validate
from .residual_init import residual_init

TASKS = {  # task -> metadata of the exported model
    "depth_sr": {"task": "depth_upsampling"},  # "scale" is added from --scales
    "depth_restore": {"task": "depth_restoration"},
    "image_denoise": {"task": "denoising"},
    "flash_deblur": {"task": "flash_deblurring"},
}
TRAINING_DATA = {
    "depth_sr": "{rendered}procedural RGB-D scenes (tools/train/scenes.py, seeds 0..{scenes}, {scene_size} px) "
                "{procedural_share:g}%, Middlebury 2014 trainingQ (9 scenes, Adirondack and Motorcycle held out) + "
                "Lu et al. 2014 02_RGBZ_Dataset (RGBZ_01..08) {procedural_share:g}%; input = {upsampling}",
    "depth_restore": "procedural RGB-D scenes (tools/train/scenes.py, seeds 0..{scenes}) 50%, "
                     "Middlebury 2014 trainingQ (9 scenes, Adirondack and Motorcycle held out) + "
                     "Lu et al. 2014 02_RGBZ_Dataset (RGBZ_01..08) 50%; input = depth + Gaussian "
                     "noise, sigma uniform in 4..12% of the depth range",
    "image_denoise": "Kodak24 (kodim23, kodim24 held out), McMaster (18 held out), skimage natural "
                     "images; luma and R, G, B planes; self-guided (G = I), Gaussian noise sigma "
                     "uniform in 0..10% of 255",
    "flash_deblur": "synthetic flash / no-flash pairs (tools/train/flash.py: one natural image under a flash and "
                    "an ambient light, the no-flash shot blurred by 7..31 px camera-shake kernels + signal-"
                    "dependent noise, 8-bit) from Kodak24 (kodim19..24 held out), McMaster (13..18 held out), "
                    "skimage natural images; one colour channel per patch, guide = the flash shot's luma, "
                    "lighting / kernel / noise drawn afresh for every patch",
}
LICENSE = ("weights: the svlrm project's own, under the project's licence; trained on data "
           "under their authors' terms (see models/README.md)")


def parse_args(argv, only_given=False):
    """The options; only_given: only those on the command line (no defaults)."""
    parser = argparse.ArgumentParser(prog="python3 -m tools.train.train", description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", choices=sorted(TASKS), required=True)
    parser.add_argument("--name", help="run folder name under tools/train/runs (default: the task)")
    parser.add_argument("--data", default=os.environ.get("SVLRM_DATA", "../shared/datasets"),
                        help="datasets folder (default $SVLRM_DATA or ../shared/datasets)")
    parser.add_argument("--resume", action="store_true", help="continue runs/<name>/checkpoint.pt")
    parser.add_argument("--export", metavar="OUT.safetensors",
                        help="weights file to (re)write at every checkpoint and at the end")
    parser.add_argument("--max-iters", type=int, default=100000)
    parser.add_argument("--minutes", type=float, help="stop (checkpointed) after this many minutes")
    parser.add_argument("--lr", type=float, default=1e-4, help="peak learning rate (paper: 1e-4)")
    parser.add_argument("--warmup", type=int, default=200, help="linear warmup iterations")
    parser.add_argument("--decay-every", type=int, default=3000, help="halve the lr every N iterations")
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--patch", type=int, default=64)
    parser.add_argument("--scenes", type=int, default=200, help="procedural training scenes (seeds 0..N-1)")
    parser.add_argument("--scene-size", default="256x256",
                        help="procedural scenes' HEIGHTxWIDTH (larger: objects span more pixels)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--init", choices=("residual", "default"), default="residual",
                        help="residual: start at F = input (residual_init.py); default: torch's init")
    parser.add_argument("--scales", default="4,8,16", help="depth_sr: upsampling factors, comma-separated")
    parser.add_argument("--downsampling", default="point",
                        help="depth_sr: point and / or box (comma-separated; one drawn per patch)")
    parser.add_argument("--lr-noise", type=float, default=0.0,
                        help="depth_sr: max sigma (unit range) of noise on the low-resolution depth")
    parser.add_argument("--input-upsampling", choices=("bicubic", "jbu"), default="bicubic",
                        help="depth_sr: how the low-resolution depth becomes the network's input: bicubic (the "
                             "DJF protocol) or joint bilateral upsampling on the colour guide (metadata "
                             "input_upsampling; the library applies the same)")
    parser.add_argument("--sensor", action="store_true",
                        help="depth_sr: sensor-like low-resolution depth (degrade.sensor_degrade: --lr-noise "
                             "with depth-dependent gain, quantisation, flying pixels, filled holes)")
    parser.add_argument("--camera", action="store_true",
                        help="depth_sr: depth and colour from two sensors, as a real RGB-D camera gives them "
                             "(camera.py: registration error, depth edge effects, colour sensor)")
    parser.add_argument("--rendered", metavar="DIR", nargs="?", const=rendered.CACHE,
                        help=f"depth_sr: also train on rendered frames (tools/train/render/) from DIR "
                             f"(default {rendered.CACHE}), both depth encodings, rescanned as the renderer "
                             "writes them")
    parser.add_argument("--rendered-share", type=float, default=0.5,
                        help="share of patches from rendered frames (the rest: half procedural, half real)")
    parser.add_argument("--rendered-frames", type=int, default=100000,
                        help="train on rendered seeds 0..N-1 only")
    parser.add_argument("--rendered-val", type=int, default=12, help="held-out rendered frames to validate on")
    parser.add_argument("--rescan-every", type=int, default=200,
                        help="look for newly rendered frames every N iterations")
    parser.add_argument("--init-from", metavar="CHECKPOINT.pt|MODEL.safetensors",
                        help="start from another run's weights or a weights file "
                             "(fine-tuning; fresh optimizer and schedule)")
    parser.add_argument("--kernels", default="3",
                        help="kernel size of every layer, or 12 comma-separated sizes (the paper: 3; "
                             "larger ones widen the receptive field and depart from the paper)")
    parser.add_argument("--end-to-end", action="store_true", help="Table 4 ablation: F = beta channel")
    parser.add_argument("--log-every", type=int, default=50)
    parser.add_argument("--val-every", type=int, default=250)
    parser.add_argument("--checkpoint-minutes", type=float, default=5.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--bf16", action="store_true",
                        help="bf16 autocast + channels_last: ~5x faster on CPUs with AMX/AVX512-BF16 "
                             "(measured 0.82 vs 4.2 s per 20x64x64 iteration on 1 thread); weights stay f32")
    if only_given:
        for action in parser._actions:
            action.default = argparse.SUPPRESS
    return parser.parse_args(argv)


def learning_rate(args, iteration):
    """Linear warmup to --lr, then halved every --decay-every iterations."""
    warm = min(1.0, (iteration + 1) / max(args.warmup, 1))
    return args.lr * warm * 0.5 ** (iteration // args.decay_every)


def atomic_save(obj, path):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def export_model(net, args, iteration, path):
    """Write the weights file with full metadata via tools/export.py's writer (atomically)."""
    net.extra_metadata = dict(TASKS[args.task])
    if args.task == "depth_sr":
        net.extra_metadata["scale"] = args.scales
        net.extra_metadata["noise"] = "sensor" if args.sensor else "clean" if not args.lr_noise else "noisy"
        net.extra_metadata["input_upsampling"] = args.input_upsampling
    if args.task in ("depth_sr", "depth_restore"):
        # trained on depth normalised per image over its valid pixels (data.normalise_depth)
        net.extra_metadata["input_normalisation"] = "valid_range"
        net.extra_metadata["depth_encoding"] = "metric,inverse" if args.rendered else "inverse"
    if args.end_to_end:  # so that no tool mistakes it for a model of the task: F is beta, not alpha * G + beta
        net.extra_metadata["task"] += " (end-to-end ablation: F = beta)"
    net.extra_metadata.update({
        "training_data": TRAINING_DATA[args.task].format(
            scenes=args.scenes - 1, scene_size=args.scene_size, upsampling=upsampling(args).describe(),
            procedural_share=50 * (1 - (args.rendered_share if args.rendered else 0)),
            rendered=(f"rendered rooms (tools/train/render/, {args.rendered_frames_seen} frames, metric and "
                      f"inverse depth) {100 * args.rendered_share:g}%, " if args.rendered else "")),
        "iterations": str(iteration),
        "description": (f"SVLRM {args.task}, 12x64 ReLU{kernel_note(args)}, trained by tools/train/train.py "
                        f"(run {args.name}, batch {args.batch}, patch {args.patch}, Charbonnier, "
                        f"Adam, lr {args.lr:g} warmup {args.warmup} halved every {args.decay_every}"
                        f"{args.init_note})"
                        + (", end-to-end ablation: F = beta" if args.end_to_end else "")),
        "license": LICENSE,
    })
    tmp = path + ".tmp"
    export.save_model(tmp, net, "f32")
    os.replace(tmp, path)


def data_columns(args, degradation):
    """The validation metrics logged: PSNR, RMSE, and for depth_sr RMSE per scale and on rendered frames."""
    columns = ["val_psnr", "val_rmse"]
    if args.task == "depth_sr":
        columns += [f"val_rmse_x{s}" for s in degradation.scales]
        if args.rendered:
            columns.append("val_rmse_render")
    return columns


def export_iterations(path):
    """The `iterations` metadata of a weights file (for the description of a fine-tuned model)."""
    return safetensors_io.load(path)[1].get("iterations", "?")


def kernel_note(args):
    sizes = sorted({k for _, _, k in layer_spec(args.kernels)})
    return "" if sizes == [3] else f", kernels {args.kernels} (wider than the paper's 3x3)"


def upsampling(args):
    """The depth_sr degradation chosen on the command line."""
    return data.Upsampling(scales=[int(s) for s in args.scales.split(",")],
                           downsamplings=args.downsampling.split(","),
                           noise=args.lr_noise, val_noise=args.lr_noise / 2, sensor=args.sensor,
                           method=args.input_upsampling, camera=args.camera)


# Per invocation, never taken from a checkpoint: how long this run may go on.
PER_RUN = {"resume", "minutes", "max_iters"}


def resumed_args(args, argv, saved):
    """A resumed run's settings: the checkpoint's, except the options given on this
    command line (and PER_RUN). Without this, leaving out a data option on --resume
    silently trained on other data (and rewrote log.csv with other columns)."""
    given = set(vars(parse_args(argv, only_given=True)))
    for key, value in saved.items():
        if key not in given and key not in PER_RUN and hasattr(args, key):
            setattr(args, key, value)
    return args


def open_log(path, columns, resume_iteration):
    """log.csv for appending; on resume, rows after the checkpoint's iteration are dropped."""
    rows = []
    if resume_iteration is not None and os.path.exists(path):
        with open(path, newline="") as log:
            rows = [r for r in csv.DictReader(log) if int(r["iteration"]) <= resume_iteration]
    log = open(path, "w", newline="")
    writer = csv.DictWriter(log, columns)
    writer.writeheader()
    writer.writerows(rows)
    log.flush()
    return log, writer


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    args.name = args.name or args.task
    checkpoint_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "runs", args.name, "checkpoint.pt")
    if args.resume and os.path.exists(checkpoint_path):
        args = resumed_args(args, argv, torch.load(checkpoint_path, map_location="cpu")["args"])
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    run = os.path.dirname(checkpoint_path)
    os.makedirs(run, exist_ok=True)

    net = SVLRMNet(layer_spec(args.kernels))
    if args.init == "residual":
        residual_init(net, torch.Generator().manual_seed(args.seed))
    if args.bf16:
        net = net.to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(net.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-4)
    rng = np.random.default_rng(args.seed)
    iteration, elapsed = 0, 0.0
    args.init_note = ""
    if args.init_from:
        if args.init_from.endswith(".safetensors"):
            origin = {"model": {k: v.float() for k, v in load_model(args.init_from).state_dict().items()},
                      "iteration": f"{export_iterations(args.init_from)} of that file"}
        else:
            origin = torch.load(args.init_from)
        args.init_note = f", initialised from {args.init_from} (iteration {origin['iteration']})"
        if not args.resume:
            net.load_state_dict(widened(origin["model"], net))
            print(f"initialised from {args.init_from}", flush=True)
    if args.resume:
        state = torch.load(checkpoint_path)
        net.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["torch_rng"])
        rng.bit_generator.state = state["data_rng"]
        iteration, elapsed = state["iteration"], state["elapsed"]
        print(f"resumed {checkpoint_path} at iteration {iteration}", flush=True)

    scene_size = tuple(int(v) for v in args.scene_size.split("x"))
    degradation = upsampling(args)
    share = args.rendered_share if args.rendered else 0.0
    groups = data.training_groups(args.task, args.data, args.scenes, degradation, scene_size, share)
    sampler = data.PatchSampler(args.task, groups, rng, args.patch, degradation)
    seen = set()

    def rescan():
        """Add the rendered frames written since the last scan (the renderer may still run)."""
        if args.rendered:
            sampler.add(len(groups) - 1, rendered.training_items(args.rendered, seen, args.rendered_frames))
            args.rendered_frames_seen = len(seen)

    args.rendered_frames_seen = 0
    rescan()
    def validation_cases():
        """The validation set, with the held-out rendered frames finished so far; its input's metrics."""
        val_rendered = rendered.validation_items(args.rendered, args.rendered_val) if args.rendered else []
        cases = data.validation_set(args.task, args.data, degradation, val_rendered)
        baseline, _ = validate(net, cases, args.end_to_end, use_input=True)
        with open(os.path.join(run, "val_input.json"), "w") as out:
            json.dump({k: float(v) for k, v in baseline.items()}, out, indent=1)
        print(f"validation: {len(cases)} cases ({len(val_rendered)} rendered frames); degraded input:",
              {k: round(float(v), 3) for k, v in baseline.items()}, flush=True)
        return len(val_rendered), cases

    val_frames, cases = validation_cases()
    if args.rendered:
        print(f"rendered: {len(seen)} training frames", flush=True)
    # the rendered validation frames may still be being rendered: their column exists from the start
    columns = ["iteration", "wall_s", "train_loss", "lr"] + list(data_columns(args, degradation))
    log, writer = open_log(os.path.join(run, "log.csv"), columns,
                           iteration if args.resume else None)

    def checkpoint():
        atomic_save({"model": net.state_dict(), "optimizer": optimizer.state_dict(),
                     "torch_rng": torch.get_rng_state(), "data_rng": rng.bit_generator.state,
                     "iteration": iteration, "elapsed": elapsed, "args": vars(args)},
                    checkpoint_path)
        if args.export:
            export_model(net, args, iteration, args.export)

    start = time.time() - elapsed
    session_start, last_checkpoint = time.time(), time.time()
    losses = []
    while iteration < args.max_iters:
        lr = learning_rate(args, iteration)
        for group in optimizer.param_groups:
            group["lr"] = lr
        input, guide, target, mask = map(torch.from_numpy, sampler.batch(args.batch))  # noqa: A001
        if args.bf16:
            input = input.contiguous(memory_format=torch.channels_last)  # noqa: A001
            with torch.autocast("cpu", dtype=torch.bfloat16):
                prediction = output(net, input, guide, args.end_to_end)
            loss = charbonnier(prediction.float(), target, mask)
        else:
            loss = charbonnier(output(net, input, guide, args.end_to_end), target, mask)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss) / max(float(mask.sum()), 1.0))  # logged per pixel
        iteration += 1
        if iteration % args.rescan_every == 0:
            rescan()
        if iteration % args.log_every:
            continue
        elapsed = time.time() - start
        row = {"iteration": iteration, "wall_s": round(elapsed, 1),
               "train_loss": f"{np.mean(losses):.6f}", "lr": f"{lr:.3g}"}
        losses = []
        if iteration % args.val_every == 0:
            if args.rendered and val_frames < args.rendered_val and \
                    len(rendered.finished_seeds(args.rendered, rendered.VAL_SEEDS)) > val_frames:
                val_frames, cases = validation_cases()
            summary, _ = validate(net, cases, args.end_to_end)
            row.update({k: f"{v:.4f}" for k, v in summary.items()})
        writer.writerow(row)
        log.flush()
        print(row, flush=True)
        out_of_time = args.minutes is not None and time.time() - session_start > 60 * args.minutes
        if out_of_time or time.time() - last_checkpoint > 60 * args.checkpoint_minutes:
            checkpoint()
            last_checkpoint = time.time()
        if out_of_time:
            break
    elapsed = time.time() - start
    checkpoint()
    print(f"stopped at iteration {iteration} after {elapsed / 60:.1f} min", flush=True)


if __name__ == "__main__":
    main()
