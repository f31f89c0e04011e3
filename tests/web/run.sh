#!/usr/bin/env bash
# The console's tests as ctest runs them: `run.sh unit` (Vitest in web/), `run.sh e2e` (the end-to-end suite
# in Debian's Chromium against drsorch serve --demo; screenshots under $WEB_E2E_OUT/screenshots). Exits 77
# when what a suite needs is missing. UPDATE_DOCS_SCREENSHOTS=1 also copies the main screenshots to
# docs/console/.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
web="$here/../../web"
if ! command -v node >/dev/null 2>&1; then
  echo "SKIPPED: node is needed for the console's tests (scripts/install-deps.sh installs it)" >&2
  exit 77
fi
[ -x "$web/node_modules/.bin/vitest" ] || { echo "web: web/node_modules is not installed (web.build installs it)" >&2; exit 1; }
case "${1:-}" in
  unit)
    cd "$web"
    exec node_modules/.bin/vitest run --reporter=default
    ;;
  e2e)
    : "${DRSORCH_BIN:?DRSORCH_BIN must name the drsorch binary}"
    if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
      echo "SKIPPED: Debian's chromium is needed at ${CHROMIUM:-/usr/bin/chromium} (scripts/install-deps.sh installs it)" >&2
      exit 77
    fi
    [ -f "$web/dist/index.html" ] || { echo "web: web/dist is not built (web.build builds it)" >&2; exit 1; }
    exec node --test --test-concurrency=1 "$here/e2e.test.mjs"
    ;;
  *) echo "usage: run.sh unit|e2e" >&2; exit 2 ;;
esac
