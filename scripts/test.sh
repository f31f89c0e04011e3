#!/usr/bin/env bash
# `make test`: run every suite registered with ctest in the sanitizer build, then print the totals. A test
# that skipped (exit 77, its SKIP_RETURN_CODE) fails the run after the others finish, named with its
# reason: on a machine set up by scripts/install-deps.sh nothing may skip.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/asan}
start=$(date +%s)
log="$build/ctest-output.log"
set +e
ctest --test-dir "$build" --output-on-failure -j "$(nproc 2>/dev/null || echo 2)" --timeout 600 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
skipped=$(grep -E '^[[:space:]]*[0-9]+ - .*\((Skipped|Not Run|Disabled)\)$' "$log" | sed -E 's/^[[:space:]]*[0-9]+ - //' || true)
if [ -n "$skipped" ]; then
  echo "make test: these tests were skipped, which counts as a failure (install what they need: scripts/install-deps.sh):" >&2
  sed 's/^/  /' <<<"$skipped" >&2
  echo "their reasons:" >&2
  grep -hE '^SKIPPED' "$build/Testing/Temporary/LastTest.log" | sort -u | sed 's/^/  /' >&2 || true
  exit 1
fi
[ "$status" -eq 0 ] || exit "$status"
# The optimised build is what `make run` and `make bench` use; -O2 finds warnings -O0 does not.
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DORCH_BUILD_TESTS=OFF >/dev/null
if ! cmake --build build/release -j"$(nproc 2>/dev/null || echo 2)" >build/release-build.log 2>&1; then
  grep -E "error|Error" build/release-build.log | head -20 >&2
  echo "make test: the release build (make run, make bench) does not compile; see build/release-build.log" >&2
  exit 1
fi
echo "make test: all suites passed in $(( $(date +%s) - start ))s"
