#!/usr/bin/env bash
# The deployment suite as one ctest test: install the pinned npm tools (npm ci, skipped when node_modules
# already matches package-lock.json, so an offline machine with a prior install still runs), then run every
# test file with node's test runner. DRSORCH_BIN (and the other variables ctest sets) reach the tests.
set -euo pipefail
cd "$(dirname "$0")"
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  if ! npm ci --no-audit --no-fund --loglevel=error; then
    if [ -d node_modules/cfn-lint ] && [ -d node_modules/dynalite ]; then
      echo "deploy: npm ci failed (offline?); using the node_modules already installed" >&2
    else
      echo "deploy: npm ci failed and no node_modules is installed" >&2
      exit 1
    fi
  fi
fi
exec node --test --test-concurrency=1 "${@:-test/}"
