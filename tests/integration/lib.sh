# Shared helpers for the integration scripts: a scratch directory, assertions, and starting a server
# on a free port (port 0) and reading back the address it logged. Sourced, not run.
set -uo pipefail
: "${DRSORCH:?DRSORCH must point at the drsorch binary (run through ctest)}"
TMP=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  [ -n "${ORCH_KEEP_TMP:-}" ] && echo "kept $TMP" >&2 || rm -rf "$TMP"
}
trap cleanup EXIT
failures=0
checks=0
ok() { checks=$((checks + 1)); }
fail() { checks=$((checks + 1)); failures=$((failures + 1)); echo "FAIL: $*" >&2; }
# skip_test REASON: end the script as skipped (exit 77, the SKIP_RETURN_CODE the suite is registered with),
# so ctest reports it as skipped rather than passed, and `make test` fails naming it.
skip_test() { echo "SKIPPED: $*" >&2; exit 77; }
expect_eq() { if [ "$1" == "$2" ]; then ok; else fail "$3: expected '$2', got '$1'"; fi; }
# (a here-string, not a pipe: under pipefail `grep -q` quitting at the first match would fail the writer)
expect_match() { if grep -qE -- "$2" <<<"$1"; then ok; else fail "$3: '$1' does not match /$2/"; fi; }
# wait_for FILE REGEX [SECONDS]: poll FILE until a line matches REGEX, for up to SECONDS (default 60). The
# bound only stops a broken run; what the test asserts is the line, never how soon it came.
wait_for() { local n=$(( ${3:-60} * 20 )); for _ in $(seq 1 "$n"); do grep -qE "$2" "$1" && return 0; sleep 0.05; done; return 1; }
# JSON field through node (an independent parser): json_get '<json>' 'a.b.c'
json_get() { node -e 'let v=JSON.parse(process.argv[1]);for(const k of process.argv[2].split("."))v=v?.[k];process.stdout.write(typeof v==="object"?JSON.stringify(v):String(v))' "$1" "$2"; }
# start_serve LOGFILE ARGS...: starts drsorch serve on 127.0.0.1:0, sets ADDR.
start_serve() {
  local log=$1; shift
  "$DRSORCH" serve --listen 127.0.0.1:0 "$@" >"$log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 100); do
    ADDR=$(grep -oE 'listening on http://[0-9.]+:[0-9]+' "$log" | head -1 | sed 's#listening on http://##')
    [ -n "$ADDR" ] && return 0
    sleep 0.05
  done
  echo "server did not start; log:" >&2; cat "$log" >&2
  return 1
}
# start_sim LOGFILE ARGS...: starts drsorch sim on 127.0.0.1:0 (ARGS: --scenario FILE ...), sets URL.
start_sim() {
  local log=$1; shift
  "$DRSORCH" sim --listen 127.0.0.1:0 "$@" >"$log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 100); do
    URL=$(grep -oE 'http://[0-9.]+:[0-9]+' "$log" | head -1)
    [ -n "$URL" ] && return 0
    sleep 0.05
  done
  echo "simulator did not start; log:" >&2; cat "$log" >&2
  return 1
}
# start_dynalite: a local DynamoDB (npm dynalite, from tests/deploy's lockfile) on 127.0.0.1 on a free
# port, sets DYNALITE_PORT and the credentials it takes (any; the store reads them from the environment
# like any AWS client). It exits when fd 7 (its stdin) closes with this script; cleanup also kills it.
# Call after clean_aws_env; skips the test without node.
start_dynalite() {
  command -v node >/dev/null || skip_test "node is not installed (scripts/install-deps.sh installs it)"
  export AWS_ACCESS_KEY_ID=AKIDDYNALITE AWS_SECRET_ACCESS_KEY=dynalite-secret
  mkfifo "$TMP/dl.in" "$TMP/dl.out"
  node "$ORCH_SOURCE_DIR/tests/deploy/lib/dynalite-server.cjs" <"$TMP/dl.in" >"$TMP/dl.out" &
  PIDS+=($!)
  exec 7>"$TMP/dl.in"
  read -r DYNALITE_PORT <"$TMP/dl.out"
  [ -n "$DYNALITE_PORT" ] || { echo "dynalite did not start (is tests/deploy installed? npm ci there)" >&2; exit 1; }
}
# No real AWS: unset every AWS_* variable, a scratch HOME (no ~/.aws), no instance metadata.
clean_aws_env() {
  for v in $(env | grep -oE '^AWS_[A-Z_]+'); do unset "$v"; done
  export HOME="$TMP/home" AWS_EC2_METADATA_DISABLED=true
  mkdir -p "$HOME"
}
finish() {
  echo "$((checks - failures)) passed, $failures failed"
  [ "$failures" -eq 0 ]
}
