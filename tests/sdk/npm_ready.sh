#!/usr/bin/env bash
# Sourced by the SDK suite's scripts: exit 77 (ctest: skipped) when node or npm is missing, then install the
# pinned AWS SDK clients (npm ci), skipped when node_modules already matches package-lock.json, so an offline
# machine with a prior install still runs. Expects to run in tests/sdk.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "SKIPPED: node and npm are needed for the AWS SDK for JavaScript (scripts/install-deps.sh installs them)" >&2
  exit 77
fi
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  if ! npm ci --no-audit --no-fund --loglevel=error; then
    if [ -d node_modules/@aws-sdk/client-drs ]; then
      echo "sdk: npm ci failed (offline?); using the node_modules already installed" >&2
    else
      echo "sdk: npm ci failed and no node_modules is installed" >&2
      exit 1
    fi
  fi
fi
