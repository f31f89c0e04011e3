#!/usr/bin/env bash
# The API's node checks as one ctest test: install the pinned packages (npm ci, skipped when node_modules
# already matches package-lock.json, so an offline machine with a prior install still runs), then run every
# test file with node's test runner against DRSORCH_BIN.
set -euo pipefail
cd "$(dirname "$0")"
: "${DRSORCH_BIN:?DRSORCH_BIN must name the drsorch binary}"
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  if ! npm ci --no-audit --no-fund --loglevel=error; then
    if [ -d node_modules/aws-jwt-verify ] && [ -d node_modules/ajv ] && [ -d node_modules/@redocly/cli ]; then
      echo "api: npm ci failed (offline?); using the node_modules already installed" >&2
    else
      echo "api: npm ci failed and no node_modules is installed" >&2
      exit 1
    fi
  fi
fi
exec node --test --test-concurrency=1 test/
