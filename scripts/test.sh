#!/usr/bin/env bash
# `make test`: run every suite registered with ctest in the sanitizer build, then print the totals.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/asan}
start=$(date +%s)
ctest --test-dir "$build" --output-on-failure -j "$(nproc 2>/dev/null || echo 2)" --timeout 600
echo "make test: all suites passed in $(( $(date +%s) - start ))s"
