#!/usr/bin/env bash
# Builds the operator console into web/dist (served by `drsorch serve`): installs its packages from the
# committed lockfile (npm ci) when node_modules does not match it, then type-checks and bundles (vite) when a
# source is newer than the last build. Used by `make run` and by `make test` (ctest web.build).
#   --force   build even when nothing changed
# Exits 77 (ctest: skipped, which `make test` reports as a failure) when node or npm is missing or node is
# older than the build tools need.
set -euo pipefail
cd "$(dirname "$0")/../web"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "SKIPPED: node and npm are needed to build the console (scripts/install-deps.sh installs them)" >&2
  exit 77
fi
# Vite 7 and playwright-core need Node.js 20.19+ or 22.12+ (Debian 12's own nodejs is 18: too old).
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number);
              process.exit((a === 20 && b >= 19) || (a === 22 && b >= 12) || a >= 23 ? 0 : 1)'; then
  echo "SKIPPED: the console's build tools need Node.js 20.19+ or 22.12+, and node here is $(node --version)" \
       "(Debian 12's nodejs package is 18): install a newer Node.js, then run make again" >&2
  exit 77
fi
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  if ! npm ci --no-audit --no-fund --loglevel=error; then
    if [ -x node_modules/.bin/vite ]; then
      echo "build-web: npm ci failed (offline?); using the node_modules already installed" >&2
    else
      echo "build-web: npm ci failed and no node_modules is installed" >&2
      exit 1
    fi
  fi
fi
if [ "${1:-}" = --force ] || [ ! -f dist/index.html ] ||
   [ -n "$(find src public index.html vite.config.ts tsconfig.json package-lock.json scripts -newer dist/index.html -print -quit)" ]; then
  npm run --silent build
fi
