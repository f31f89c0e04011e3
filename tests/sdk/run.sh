#!/usr/bin/env bash
# The SDK suite as one ctest test: install the pinned AWS SDK clients (npm_ready.sh; exit 77, skipped, without
# node), then run every test file with node's test runner against DRSORCH_BIN.
set -euo pipefail
cd "$(dirname "$0")"
: "${DRSORCH_BIN:?DRSORCH_BIN must name the drsorch binary}"
. ./npm_ready.sh
exec node --test --test-concurrency=1 test/
