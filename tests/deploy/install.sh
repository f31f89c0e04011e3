#!/usr/bin/env bash
# Install the deployment suite's pinned npm tools (npm ci), skipped when node_modules already matches
# package-lock.json, so an offline machine with a prior install still runs. Used by run.sh, and by ctest
# as the fixture the DynamoDB store tests (dynalite) need.
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
