#!/usr/bin/env bash
# The deployment suite as one ctest test: install the pinned npm tools (install.sh), then run every test
# file with node's test runner. DRSORCH_BIN (and the other variables ctest sets) reach the tests.
set -euo pipefail
cd "$(dirname "$0")"
./install.sh
exec node --test --test-concurrency=1 "${@:-test/}"
