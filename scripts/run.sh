#!/usr/bin/env bash
# `make run`: the operator console on a simulated AWS region. Starts `drsorch serve --demo` from the release
# build (the Makefile installs what is missing and builds the engine and the console first): the demo's
# protection groups and plans loaded, the region simulated in-process at 60 simulated seconds per second, and
# the console URL and a one-time admin token printed. Open the URL, sign in with the token, run a drill.
# A drill's recovery instances are kept one simulated hour (a minute) for inspection before its clean-up, so
# "Clean up now" has something to do (DRSORCH_EXEC_KEEP_FOR overrides). Ctrl-C stops the server.
#   make run RUN_ARGS="serve --listen 127.0.0.1:9090"   more `serve` flags (another port, --speed 600, ...)
#   make run RUN_ARGS="terminal [run flags]"            the terminal demo instead: a drill of the three-tier
#                                                         plan with progress bars, gates opened, then the report
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/release/drsorch
plan=plans/demo/three-tier.lua
scenario=plans/scenarios/three-tier-demo.json
[ -x "$bin" ] || { echo "run.sh: $bin is missing; run 'make run' (or 'make build') first" >&2; exit 2; }
if [ "${1:-}" = terminal ]; then
  shift
  echo "Demo: a drill of $plan against the simulated region in $scenario (60x speed)."
  echo "Ctrl-C cancels (the drill then cleans up); afterwards: $bin executions list --db build/demo.db"
  echo
  exec "$bin" run "$plan" --mode drill --sim "$scenario" --speed 60 --approve-all --db build/demo.db "$@"
fi
[ "${1:-}" = serve ] && shift
[ -f web/dist/index.html ] || echo "run.sh: the console is not built (make run builds it: scripts/build-web.sh)" >&2
export DRSORCH_EXEC_KEEP_FOR="${DRSORCH_EXEC_KEEP_FOR:-1h}"
exec "$bin" serve --demo "$@"
