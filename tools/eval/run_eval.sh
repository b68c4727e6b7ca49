#!/usr/bin/env bash
# Reproduces docs/results.md: builds the evaluation program and runs every protocol
# on the shared datasets with the bundled models (fixed seeds throughout).
#   tools/eval/run_eval.sh [datasets folder, default ../shared/datasets] [more svlrm_eval options]
# More options, for example: --only depth_real (one section of table2, ferstl, bsd68, depth_real,
# encodings, flash, scale_aware; docs/results.md is then rewritten with that section alone), --limit N
# (the first N images of each set), --rendered DIR (rendered validation frames), --depth-models
# a.safetensors,b.safetensors (extra models in the depth_real and encodings tables), --flash-pairs DIR.
set -euo pipefail
cd "$(dirname "$0")/../.."
data=${1:-${SVLRM_DATA:-../shared/datasets}}
shift $(( $# > 0 ? 1 : 0 ))
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j2 --target svlrm_eval
/usr/bin/python3 -m tools.eval.make_flash_pairs "$data"  # the flash section's held-out synthetic pairs (cache)
build/tools/eval/svlrm_eval --data "$data" --models models --out docs/results.md --figures docs/images/results "$@"
