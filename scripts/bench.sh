#!/usr/bin/env bash
# `make bench`: run every benchmark binary in the release build; each prints its own figures.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
cmake -S . -B "$build" -DORCH_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
found=0
for b in "$build"/bench/bench_*; do
  [ -x "$b" ] || continue
  found=1
  echo "== $(basename "$b")"
  "$b"
done
[ "$found" = 1 ] || { echo "bench: no benchmarks built under $build/bench" >&2; exit 1; }
# `drsorch test` in real time on the discrete-event clock (demo plan, 1,000-server scale plan).
echo "== exec/test_wall"
bench/exec/test_wall.sh "$build"
# The Lambda package's cold start and memory (needs node and the deployment suite's npm tools).
if command -v node >/dev/null 2>&1 && [ -d tests/deploy/node_modules ]; then
  echo "== lambda/cold_start"
  node bench/lambda/cold_start.mjs
fi
# The console: the JavaScript a first visit downloads, gzipped, against its 600 KB budget (make bench builds
# the console first; exits non-zero past the budget).
if command -v node >/dev/null 2>&1 && [ -f web/dist/index.html ]; then
  echo "== web/bundle_size"
  node web/scripts/bundle-size.mjs web/dist
fi
