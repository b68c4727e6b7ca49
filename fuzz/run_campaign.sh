#!/bin/bash
# A long fuzzing campaign: every libFuzzer target in turn, SECONDS each (default 1800).
#   fuzz/run_campaign.sh [seconds] [targets...]
# Grown corpora and any crashing input go to fuzz-campaign/<target>/ (git-ignored); a
# crash found here belongs in fuzz/corpus/<target>/regression_<what>.<ext> once fixed, and
# what a campaign grew goes into the committed seeds with
#   build-fuzz/fuzz/fuzz_<target> -merge=1 fuzz/corpus/<target> fuzz-campaign/<target>/corpus
# The summary (executions, coverage, time per target) is what docs/reliability.md quotes.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-1800}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(model_loader decode_png decode_pfm decode_npy decode_bmp)

cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DSVLRM_BUILD_FUZZERS=ON -DSVLRM_BUILD_TESTS=OFF \
  -DSVLRM_BUILD_EXAMPLES=OFF -DSVLRM_BUILD_BENCHMARKS=OFF -DSVLRM_WITH_ONEDNN=OFF -DSVLRM_WITH_CUDNN=OFF >/dev/null
cmake --build build-fuzz -j2 >/dev/null

for target in "${targets[@]}"; do
  out=fuzz-campaign/$target
  mkdir -p "$out/corpus" "$out/artifacts"
  start=$(date +%s)
  rc=0
  build-fuzz/fuzz/fuzz_$target -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$out/artifacts/" "$out/corpus" "fuzz/corpus/$target" >"$out/log.txt" 2>&1 || rc=$?
  wall=$(( $(date +%s) - start ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/log.txt")
  cov=$(grep -E "^#[0-9]+" "$out/log.txt" | tail -1 | sed -n 's/.*cov: \([0-9]*\) ft: \([0-9]*\).*corp: \([0-9]*\).*/cov \1, ft \2, corpus \3/p')
  echo "$target: ${wall} s, ${execs:-?} executions, ${cov:-?}, exit $rc, artifacts: $(ls "$out/artifacts" | wc -l)" \
    | tee -a fuzz-campaign/summary.txt
done
