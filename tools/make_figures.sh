#!/bin/sh
# Regenerates the documentation figures in docs/images/ with the svlrm command-line
# tool and the demo, both from a build folder (default build/), on generated scenes
# and on the shared datasets, read in place from ${SVLRM_DATA:-../shared/datasets}
# (never copied into the repository). Every figure is a `svlrm compare` picture
# (docs/cli.md): top row guide, input, guided filter, Eq. 12, [JBU], SVLRM, [truth];
# bottom row SVLRM's alpha and beta, then the error maps when there is a truth.
#   tools/make_figures.sh            (after: cmake --build build --target svlrm_cli demo)
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build=${SVLRM_BUILD:-$root/build}
data=${SVLRM_DATA:-$root/../shared/datasets}
svlrm=$build/tools/svlrm
images=$root/docs/images
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
mkdir -p "$images"
# Panels of at most 160 pixels keep each figure well under 300 kB.
small="--panel-width 160 --quiet"

for m in depth_sr depth_restore flash_deblur; do
  [ -f "$root/models/$m.safetensors" ] || { echo "make_figures: models/$m.safetensors is missing" >&2; exit 1; }
done

# The README's figure: the demo's x8 montage of its generated RGB-D scene.
"$build/examples/demo" "$work/demo" > "$work/demo.txt"
cp "$work/demo/x8_montage.png" "$images/demo_x8.png"

# x8 depth upsampling of the same generated scene, against its exact depth.
"$svlrm" compare "$work/demo/depth_truth.png" "$work/demo/guide.png" "$images/upsample_x8.png" \
  --downsample 8 --truth "$work/demo/depth_truth.png" --radius 8 --eps 1e-4 $small > "$work/upsample_x8.txt"

# Real Kinect depth with holes (Lu et al. 2014, 03_RGBD_Dataset, no ground truth).
rgbd=$data/lu2014_depth_enh/03_RGBD_Dataset
"$svlrm" compare "$rgbd/RGBD_02_noisy_imcomp_depth.png" "$rgbd/RGBD_02_noisy_color.png" \
  "$images/restore_kinect.png" $small > "$work/restore_kinect.txt"

# Flash / no-flash: the noisy no-flash photograph guided by the flash one (the flash_deblur model).
"$svlrm" compare "$data/flash_noflash/cave-noflash.bmp" "$data/flash_noflash/cave-flash.bmp" \
  "$images/flash_noflash.png" --model "$root/models/flash_deblur.safetensors" $small > "$work/flash.txt"

# Self-guided smoothing of the guided filter paper's cat (G = I).
cat_bmp=$data/guided_filter_demo/cat.bmp
"$svlrm" compare "$cat_bmp" "$cat_bmp" "$images/cat_self_guided.png" $small > "$work/cat.txt"

for f in "$work"/*.txt; do echo "== $(basename "$f" .txt)"; cat "$f"; done
ls -l "$images"
