#!/usr/bin/env bash
# `drsorch serve`, `config` and the CLI's usage rules, driven as a user would, checked with curl and node.
source "$(dirname "$0")/lib.sh"

# Health on a free port.
start_serve "$TMP/serve.log" --data-dir "$TMP/data" || exit 1
body=$(curl -sf "http://$ADDR/api/v1/health")
expect_eq "$(json_get "$body" status)" ok "health status"
expect_eq "$(json_get "$body" version)" "$("$DRSORCH" version --json | node -e 'process.stdin.on("data",d=>process.stdout.write(JSON.parse(d).version))')" "health version"
expect_match "$(json_get "$body" uptime_s)" '^[0-9]+$' "uptime is a whole number of seconds"
expect_eq "$(json_get "$body" subsystems.storage.status)" ok "storage subsystem"
expect_eq "$(json_get "$body" subsystems.api.listen)" "$ADDR" "api reports the bound address"
[ -d "$TMP/data" ] && ok || fail "data dir was not created"

# Error envelope, status codes and headers.
code=$(curl -s -o "$TMP/404" -w '%{http_code}' "http://$ADDR/api/v1/nothing-here")
expect_eq "$code" 404 "unknown path status"
expect_eq "$(json_get "$(cat "$TMP/404")" error.code)" NotFound "404 envelope code"
expect_match "$(json_get "$(cat "$TMP/404")" error.request_id)" '^[0-9a-f-]{36}$' "404 envelope request id"
hdrs=$(curl -s -D - -o "$TMP/405" -X DELETE "http://$ADDR/api/v1/health")
expect_match "$hdrs" 'HTTP/1.1 405' "wrong method status"
expect_match "$hdrs" 'Allow: GET, HEAD' "Allow header on 405"
expect_eq "$(json_get "$(cat "$TMP/405")" error.code)" MethodNotAllowed "405 envelope code"
rid_hdr=$(curl -s -D - -o /dev/null "http://$ADDR/api/v1/health" | tr -d '\r' | grep -i '^x-request-id:' | cut -d' ' -f2)
expect_match "$rid_hdr" '^[0-9a-f]{8}-[0-9a-f]{4}-7' "X-Request-Id is a UUIDv7"

# Port in use: one clear line, non-zero exit.
out=$("$DRSORCH" serve --listen "$ADDR" --data-dir "$TMP/data" 2>&1); rc=$?
expect_eq "$rc" 1 "port in use exit code"
expect_eq "$(printf '%s\n' "$out" | wc -l)" 1 "port in use: one line"
expect_match "$out" "^drsorch: server.listen: cannot listen on $ADDR" "port in use message"

# Graceful stop on SIGTERM.
kill -TERM "${PIDS[0]}"; wait "${PIDS[0]}"; rc=$?
expect_eq "$rc" 0 "SIGTERM exits 0"
expect_match "$(cat "$TMP/serve.log")" 'received SIGTERM, stopping' "stop is logged"
PIDS=()

# Unwritable data directory.
mkdir -p "$TMP/ro" && chmod 555 "$TMP/ro"
if [ "$(id -u)" -ne 0 ]; then
  out=$("$DRSORCH" serve --listen 127.0.0.1:0 --data-dir "$TMP/ro/sub" 2>&1); rc=$?
  expect_eq "$rc" 1 "unwritable data dir exit code"
  expect_match "$out" "^drsorch: storage.data_dir: cannot create '$TMP/ro/sub': Permission denied$" "unwritable message"
fi
printf 'x' > "$TMP/afile"
out=$("$DRSORCH" serve --listen 127.0.0.1:0 --data-dir "$TMP/afile/sub" 2>&1); rc=$?
expect_eq "$rc" 1 "data dir under a file exit code"
expect_match "$out" "^drsorch: storage.data_dir: cannot create '$TMP/afile/sub': Not a directory$" "data dir under a file"

# Malformed config and unknown key: one line naming FILE:LINE, exit 1.
printf '[server]\nlisten = "127.0.0.1:0"\nthreds = 4\n' > "$TMP/bad.conf"
out=$("$DRSORCH" config check "$TMP/bad.conf" 2>&1); rc=$?
expect_eq "$rc" 1 "config check exit"
expect_eq "$out" "drsorch: $TMP/bad.conf:3: unknown setting 'server.threds'; did you mean 'server.threads'?" "config check message"
out=$("$DRSORCH" serve --config "$TMP/bad.conf" 2>&1); rc=$?
expect_eq "$rc" 1 "serve with bad config exit"
printf '[server\n' > "$TMP/broken.conf"
out=$("$DRSORCH" config check "$TMP/broken.conf" 2>&1); rc=$?
expect_eq "$out" "drsorch: $TMP/broken.conf:1: malformed section header (expected [name])" "broken config"
printf '[server]\nthreads = 3\n' > "$TMP/good.conf"
out=$("$DRSORCH" config check "$TMP/good.conf"); rc=$?
expect_eq "$rc" 0 "good config exit"

# Precedence in config show: file < env < flag.
shown=$(DRSORCH_SERVER_THREADS=5 "$DRSORCH" config show --json --config "$TMP/good.conf")
threads=$(node -e 'const c=JSON.parse(process.argv[1]);process.stdout.write(c["server.threads"].value+"/"+c["server.threads"].source)' "$shown")
expect_eq "$threads" "5/env" "env beats file"
shown=$(DRSORCH_SERVER_THREADS=5 "$DRSORCH" config show --json --config "$TMP/good.conf" --set server.threads=7)
threads=$(node -e 'const c=JSON.parse(process.argv[1]);process.stdout.write(c["server.threads"].value+"/"+c["server.threads"].source)' "$shown")
expect_eq "$threads" "7/flag" "flag beats env"
out=$(DRSORCH_SERVER_LISTN=x "$DRSORCH" config show 2>&1); rc=$?
expect_eq "$rc" 1 "unknown env exit"
expect_eq "$out" "drsorch: environment: unknown variable DRSORCH_SERVER_LISTN; did you mean DRSORCH_SERVER_LISTEN?" "unknown env message"

# Usage errors exit 2 with a usage message; --help exits 0 for every command.
"$DRSORCH" >/dev/null 2>&1; expect_eq $? 2 "no command"
out=$("$DRSORCH" sreve 2>&1); expect_eq $? 2 "unknown command"
expect_match "$out" "did you mean 'serve'" "unknown command suggestion"
"$DRSORCH" serve --bogus >/dev/null 2>&1; expect_eq $? 2 "unknown option"
"$DRSORCH" serve extra >/dev/null 2>&1; expect_eq $? 2 "stray argument"
"$DRSORCH" serve --listen >/dev/null 2>&1; expect_eq $? 2 "option without value"
"$DRSORCH" config >/dev/null 2>&1; expect_eq $? 2 "config without subcommand"
"$DRSORCH" config check >/dev/null 2>&1; expect_eq $? 2 "config check without file"
"$DRSORCH" serve --listen nonsense --data-dir "$TMP/data" >/dev/null 2>&1; expect_eq $? 2 "bad listen value is a usage error"
"$DRSORCH" serve --listen 127.0.0.1:99999 --data-dir "$TMP/data" >/dev/null 2>&1; expect_eq $? 2 "a port past 65535 is a usage error"
for cmd in $("$DRSORCH" --help | awk '/^Commands:/{f=1;next} f&&NF{print $1} /^$/{if(f)exit}'); do
  "$DRSORCH" "$cmd" --help >/dev/null 2>&1; expect_eq $? 0 "$cmd --help"
done
finish
