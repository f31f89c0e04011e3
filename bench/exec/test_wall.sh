#!/usr/bin/env bash
# bench/exec/test_wall.sh: how long `drsorch test` takes in real time, on the simulated region's
# discrete-event clock. Targets (issue 12, DESIGN §10): the demo plan under 1 s wall; the 1,000-server,
# 40-wave scale scenario under 15 s. The peer measured in the same run is the same drill run on a clock at
# 3,600x (how `test` ran before the discrete-event clock): the ratio is what skipping idle time buys.
# Prints figures; asserts nothing. Usage: bench/exec/test_wall.sh [BUILD_DIR] (default build/release).
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-build/release}/drsorch
[ -x "$bin" ] || { echo "test_wall: $bin is missing (make build)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
now_ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }

demo=plans/demo/three-tier.lua
scen=plans/scenarios/three-tier-demo.json
for i in 1 2 3 4 5; do
  t0=$(now_ms)
  "$bin" test "$demo" --scenario "$scen" --seed "$i" >/dev/null 2>&1 || { echo "test_wall: the demo test failed" >&2; exit 1; }
  echo $(( $(now_ms) - t0 ))
done >"$tmp/demo.txt"
demo_ms=$(median <"$tmp/demo.txt")
t0=$(now_ms)
"$bin" run "$demo" --mode drill --sim "$scen" --speed 3600 --approve-all --db "$tmp/peer.db" >/dev/null 2>&1 || true
peer_ms=$(( $(now_ms) - t0 ))
echo "drsorch test, demo plan (3 waves, 24 servers): median ${demo_ms} ms over 5 seeds (target < 1000 ms)"
echo "  peer: the same drill at --speed 3600: ${peer_ms} ms; discrete-event / 3600x = $(awk -v a="$demo_ms" -v b="$peer_ms" 'BEGIN{printf "%.3f", a/b}')"

# 40 waves over the 1,000 servers: ten applications, each db, cache and queue in parallel, then app.
plan="$tmp/scale.lua"
{
  echo 'return plan { name = "scale-1000x40", region = "us-east-1", waves = {'
  for a in $(seq -w 1 10); do
    for t in db cache queue; do echo "  wave \"a$a-$t\" { servers = tags { App = \"app-$a\", Tier = \"$t\" } },"; done
    echo "  wave \"a$a-app\" { depends_on = { \"a$a-db\", \"a$a-cache\", \"a$a-queue\" }, servers = tags { App = \"app-$a\", Tier = \"app\" } },"
  done
  echo '} }'
} >"$plan"
t0=$(now_ms)
if "$bin" test "$plan" --scenario plans/scenarios/scale-1000x40.json --json >"$tmp/scale.json" 2>/dev/null; then verdict=PASS; else verdict=FAIL; fi
scale_ms=$(( $(now_ms) - t0 ))
sim=$(node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1]));process.stdout.write(String(Math.round((Date.parse(r.ended_at)-Date.parse(r.created_at))/60000)))' "$tmp/scale.json" 2>/dev/null || echo "?")
echo "drsorch test, 1,000 servers in 40 waves: ${scale_ms} ms wall for ${sim} simulated minutes ($verdict; target < 15000 ms)"
