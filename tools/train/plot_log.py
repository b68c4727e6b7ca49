"""Plot a run's log.csv (train loss and validation PSNR) to a small PNG for a model card.

Why this exists: models/README.md shows each model's training curve; the curve
must come from the run's own log, not be redrawn by hand.

    /usr/bin/python3 -m tools.train.plot_log tools/train/runs/NAME/log.csv OUT.png [--title T]
"""

import argparse
import csv

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m tools.train.plot_log", description=__doc__.split("\n\n")[0])
    parser.add_argument("log", metavar="log.csv")
    parser.add_argument("output", metavar="OUT.png")
    parser.add_argument("--title", default="")
    args = parser.parse_args(argv)
    with open(args.log, newline="") as log:
        rows = list(csv.DictReader(log))
    iters = [int(r["iteration"]) for r in rows]
    loss = [float(r["train_loss"]) for r in rows]
    val = [(int(r["iteration"]), float(r["val_psnr"])) for r in rows if r["val_psnr"]]
    fig, left = plt.subplots(figsize=(5, 3), dpi=100)
    left.plot(iters, loss, color="tab:blue", linewidth=1)
    left.set_xlabel("iteration")
    left.set_ylabel("train Charbonnier loss", color="tab:blue")
    right = left.twinx()
    right.plot([i for i, _ in val], [p for _, p in val], "o-", color="tab:red", markersize=3)
    right.set_ylabel("validation PSNR (dB)", color="tab:red")
    left.set_title(args.title, fontsize=9)
    fig.tight_layout()
    fig.savefig(args.output)


if __name__ == "__main__":
    main()
