#!/usr/bin/env bash
# `make test`: run every suite registered with ctest in the sanitizer build, then print the totals.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/asan}
start=$(date +%s)
ctest --test-dir "$build" --output-on-failure -j "$(nproc 2>/dev/null || echo 2)" --timeout 600
# The optimised build is what `make run` and `make bench` use; -O2 finds warnings -O0 does not.
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DORCH_BUILD_TESTS=OFF >/dev/null
if ! cmake --build build/release -j"$(nproc 2>/dev/null || echo 2)" >build/release-build.log 2>&1; then
  grep -E "error|Error" build/release-build.log | head -20 >&2
  echo "make test: the release build (make run, make bench) does not compile; see build/release-build.log" >&2
  exit 1
fi
echo "make test: all suites passed in $(( $(date +%s) - start ))s"
