#!/usr/bin/env bash
# The reliability checks that run after the main test suite (README, "Run the tests";
# docs/reliability.md):
#   1. the whole C++ test suite under AddressSanitizer + UndefinedBehaviorSanitizer;
#   2. the concurrency tests under ThreadSanitizer (core library: oneDNN's OpenMP
#      runtime is not instrumented, so it would only report false positives);
#   3. a fuzz smoke: each libFuzzer target for a few seconds on its seed corpus.
# Each uses its own build folder (build-asan, build-tsan, build-fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${SVLRM_JOBS:-2}

# The Python package is left out: its extension would need the sanitizer runtime
# preloaded into an uninstrumented interpreter; its tests run in the main suite.
common=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DSVLRM_BUILD_BENCHMARKS=OFF -DSVLRM_BUILD_PYTHON=OFF)

echo "== AddressSanitizer + UndefinedBehaviorSanitizer: whole test suite"
cmake -S . -B build-asan "${common[@]}" \
  -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
cmake --build build-asan -j"$jobs"
# Python-only and packaging tests gain nothing from sanitizers.
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j"$jobs" -E "python_tools|consumer_project|cudnn"
# cuDNN 9.19 leaks inside its own engine libraries (cublasLtCreate during engine
# finalization, and a dlopen'ed module): leak checking is off for the cuDNN tests only.
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j"$jobs" -R cudnn

echo "== ThreadSanitizer: concurrency tests"
cmake -S . -B build-tsan "${common[@]}" -DSVLRM_WITH_ONEDNN=OFF -DSVLRM_WITH_CUDNN=OFF -DSVLRM_BUILD_EXAMPLES=OFF \
  -DCMAKE_CXX_FLAGS="-fsanitize=thread" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" >/dev/null
cmake --build build-tsan -j"$jobs" --target test_concurrency test_joint_filter
TSAN_OPTIONS=halt_on_error=1 build-tsan/tests/test_concurrency "[threads]"
TSAN_OPTIONS=halt_on_error=1 build-tsan/tests/test_joint_filter "[threads]"

echo "== fuzz smoke"
cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DSVLRM_BUILD_FUZZERS=ON -DSVLRM_BUILD_TESTS=OFF \
  -DSVLRM_BUILD_EXAMPLES=OFF -DSVLRM_BUILD_BENCHMARKS=OFF -DSVLRM_WITH_ONEDNN=OFF -DSVLRM_WITH_CUDNN=OFF >/dev/null
cmake --build build-fuzz -j"$jobs"
for target in model_loader decode_png decode_pfm decode_npy decode_bmp decode_jpeg decode_tiff decode_exr; do
  # A scratch copy: libFuzzer adds what it finds to the first corpus folder.
  work=$(mktemp -d)
  rc=0
  build-fuzz/fuzz/fuzz_$target -max_total_time=12 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    "$work" "fuzz/corpus/$target" >"$work.log" 2>&1 || rc=$?
  grep -E "^(stat::number_of_executed_units|Done)" "$work.log" | sed "s/^/  $target: /"
  if [ "$rc" != 0 ]; then cat "$work.log"; exit 1; fi
  rm -rf "$work" "$work.log"
done
echo "sanitizers and fuzz smoke: passed"
