#!/usr/bin/env bash
# Reproduces docs/results.md: builds the evaluation program and runs every protocol
# on the shared datasets with the bundled models (fixed seeds throughout).
#   tools/eval/run_eval.sh [datasets folder, default ../shared/datasets]
set -euo pipefail
cd "$(dirname "$0")/../.."
data=${1:-${SVLRM_DATA:-../shared/datasets}}
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j2 --target svlrm_eval
build/tools/eval/svlrm_eval --data "$data" --models models --out docs/results.md --figures docs/images/results
