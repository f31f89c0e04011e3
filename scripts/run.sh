#!/usr/bin/env bash
# `make run`: start the engine from the release build. Extra arguments go to `drsorch serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
exec build/release/drsorch serve "$@"
