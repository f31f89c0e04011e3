#!/usr/bin/env bash
# Proof that no test outcome depends on the machine's speed: `make test` three times in a row while two
# CPU-bound processes keep both cores busy. Exits 0 only when every run passed; the hogs are stopped on
# every exit path. Usage: scripts/test-under-load.sh [RUNS] (default 3).
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
mkdir -p build # a fresh clone has none yet
hogs=()
stop_hogs() { for p in "${hogs[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; }
trap stop_hogs EXIT
for _ in 1 2; do (while :; do :; done) & hogs+=($!); done
echo "test-under-load: two CPU hogs running (pids ${hogs[*]}); make test x$runs"
for i in $(seq 1 "$runs"); do
  start=$(date +%s)
  if ! make test >"build/test-under-load-$i.log" 2>&1; then
    echo "test-under-load: run $i FAILED after $(( $(date +%s) - start ))s; see build/test-under-load-$i.log" >&2
    grep -E '\*\*\*Failed|Timeout|FAIL' "build/test-under-load-$i.log" | head -20 >&2
    exit 1
  fi
  echo "test-under-load: run $i passed in $(( $(date +%s) - start ))s"
done
echo "test-under-load: $runs of $runs passed beside two CPU hogs"
