#!/usr/bin/env bash
# `make run`: the demo, from the release build (the Makefile installs and builds first): a drill of the
# three-tier example plan against a simulated region started in-process (the engine's calls still cross
# HTTP with SigV4), one simulated minute per second, gates opened, progress live, then the report.
# Extra arguments (make run RUN_ARGS="...") are passed to `drsorch run` and win over these
# (RUN_ARGS="--speed 600", RUN_ARGS="--json", RUN_ARGS="--seed 7").
# RUN_ARGS="serve [...]" starts the REST API demo instead (`drsorch serve --demo`, docs/api.md): the URL
# and an admin token are printed, Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/release/drsorch
plan=plans/demo/three-tier.lua
scenario=plans/scenarios/three-tier-demo.json
[ -x "$bin" ] || { echo "run.sh: $bin is missing; run 'make run' (or 'make build') first" >&2; exit 2; }
if [ "${1:-}" = serve ]; then
  shift
  exec "$bin" serve --demo "$@"
fi
echo "Demo: a drill of $plan against the simulated region in $scenario (60x speed)."
echo "Ctrl-C cancels (the drill then cleans up); afterwards: $bin executions list --db build/demo.db"
echo
exec "$bin" run "$plan" --mode drill --sim "$scenario" --speed 60 --approve-all --db build/demo.db "$@"
