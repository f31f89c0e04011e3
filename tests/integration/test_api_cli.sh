#!/usr/bin/env bash
# Bootstrapping and driving a server from the command line: `drsorch tokens create` prints only the token,
# `users add --password-stdin` makes a user who signs in with curl (cookie + CSRF), `users disable` ends
# her sessions; `drsorch ctl` lists and starts a dry run and watches it with the progress display; HTTPS
# with server.tls_cert/tls_key (HSTS, Secure cookies); one write per answer on a kept-alive connection;
# SIGTERM with an event stream open stops at once. Checked with curl and node.
source "$(dirname "$0")/lib.sh"
clean_aws_env
cd "$ORCH_SOURCE_DIR" || exit 1
DB="$TMP/data/drsorch.db"
mkdir -p "$TMP/data"

# Bootstrap on the store, no server running.
token=$("$DRSORCH" tokens create --role Admin --name bootstrap --db "$DB"); rc=$?
expect_eq "$rc" 0 "tokens create exit"
expect_match "$token" '^drs_[A-Za-z0-9_-]{43}$' "tokens create prints only the token"
out=$(printf 'a long enough passphrase\n' | "$DRSORCH" users add alice --role Operator --password-stdin --db "$DB"); rc=$?
expect_eq "$rc" 0 "users add exit"
expect_eq "$out" "user alice added (Operator, can sign in)" "users add says so"
out=$(printf 'short\n' | "$DRSORCH" users add bob --role Viewer --password-stdin --db "$DB" 2>&1); rc=$?
expect_eq "$rc" 1 "a short password is refused"
expect_match "$out" "password: must be 12 to 1024 characters" "and says why"
"$DRSORCH" users add carol --role Boss --db "$DB" >/dev/null 2>&1; expect_eq $? 2 "an unknown role is a usage error"
expect_match "$("$DRSORCH" tokens list --db "$DB")" "bootstrap +Admin +active +drs_" "tokens list"
json=$("$DRSORCH" users list --json --db "$DB")
expect_eq "$(json_get "$json" 0.name)" alice "users list --json"

start_serve "$TMP/serve.log" --data-dir "$TMP/data" --sim plans/scenarios/three-tier-demo.json --speed 600 || exit 1
API="http://$ADDR/api/v1"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$API/users")
expect_eq "$code" 200 "the bootstrap token works"
audit=$(curl -s -H "Authorization: Bearer $token" "$API/audit?action=token.create")
expect_eq "$(json_get "$audit" items.0.source)" cli "the CLI's token creation is in the audit log, from the CLI"
expect_match "$(json_get "$audit" items.0.actor)" '^cli:' "by the CLI's user"

# A console session: cookie attributes, CSRF, sign-out.
curl -s -c "$TMP/jar" -D "$TMP/h" -o "$TMP/login" -H 'Content-Type: application/json' \
  -d '{"username": "alice", "password": "a long enough passphrase"}' "$API/sessions"
expect_match "$(tr -d '\r' <"$TMP/h")" 'Set-Cookie: drsorch_session=[^;]+; Path=/; Max-Age=43200; HttpOnly; SameSite=Strict' "the session cookie"
csrf=$(json_get "$(cat "$TMP/login")" csrf_token)
expect_eq "$(curl -s -b "$TMP/jar" "$API/me" | node -e 'process.stdin.on("data",d=>process.stdout.write(JSON.parse(d).name))')" alice "signed in"
code=$(curl -s -o /dev/null -w '%{http_code}' -b "$TMP/jar" -H 'Content-Type: application/json' -d '{"plan": "x", "mode": "dry-run"}' "$API/executions")
expect_eq "$code" 403 "a change without the CSRF token"
code=$(curl -s -o /dev/null -w '%{http_code}' -b "$TMP/jar" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' -d '{"plan": "x", "mode": "dry-run"}' "$API/executions")
expect_eq "$code" 404 "with it, the request is looked at (no such plan)"
"$DRSORCH" users disable alice --db "$DB" >/dev/null
code=$(curl -s -o /dev/null -w '%{http_code}' -b "$TMP/jar" "$API/me")
expect_eq "$code" 401 "disabling a user ends her sessions, even from another process"

# drsorch ctl against the server.
export DRSORCH_URL="http://$ADDR" DRSORCH_TOKEN="$token"
"$DRSORCH" groups import plans/groups/orders.json --db "$DB" >/dev/null
curl -s -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d '{"source": "return plan { name = \"quick\", waves = { wave \"db\" { servers = group \"orders-db\" } } }"}' \
  "$API/plans" >/dev/null
expect_match "$("$DRSORCH" ctl plans)" "quick +1" "ctl plans"
expect_match "$("$DRSORCH" ctl groups)" "orders-db +111122223333 +us-east-1 +tags" "ctl groups"
out=$("$DRSORCH" ctl executions start quick --mode dry-run --watch 2>&1); rc=$?
expect_eq "$rc" 0 "ctl start --watch of a dry run exits 0 when it completes"
expect_match "$out" "execution [0-9a-f-]{36}: COMPLETED" "ctl watch says how it ended"
expect_match "$out" "preflight" "ctl watch shows the progress lines"
id=$(printf '%s\n' "$out" | head -1)
expect_match "$("$DRSORCH" ctl executions report "$id")" "outcome: COMPLETED" "ctl report"
expect_match "$("$DRSORCH" ctl executions list)" "$id +COMPLETED +quick +dry-run" "ctl list"
out=$("$DRSORCH" ctl executions pause "$id" 2>&1); rc=$?
expect_eq "$rc" 1 "ctl pause of a finished execution fails"
expect_match "$out" "HTTP 409 InvalidState: execution $id has finished" "with the server's reason"
out=$(DRSORCH_TOKEN=drs_nope "$DRSORCH" ctl plans 2>&1); rc=$?
expect_match "$out" "HTTP 401 Unauthorized" "ctl with a bad token"
"$DRSORCH" ctl --url nope plans >/dev/null 2>&1; expect_eq $? 2 "ctl with a bad URL is a usage error"

# One write per answer: status line, headers and body arrive in one segment (strace-free check: the
# answer is complete in the first read of a kept-alive connection).
node -e '
const net = require("net"); const s = net.connect(Number(process.argv[1].split(":")[1]), "127.0.0.1");
let n = 0, firsts = [];
s.on("data", d => { firsts.push(d.toString()); if (++n < 20) s.write("GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n"); else { s.end(); } });
s.on("end", () => { const bad = firsts.filter(t => !/^HTTP\/1.1 200 OK[\s\S]*\r\n\r\n\{.*\}\n$/.test(t)); process.stdout.write(String(bad.length)); });
s.write("GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n");' "$ADDR" >"$TMP/pieces" 2>&1
expect_eq "$(cat "$TMP/pieces")" 0 "every answer came whole in one read (20 on one connection)"

# SIGTERM while an event stream is open: the stream ends and the server stops at once.
curl -sN -H "Authorization: Bearer $token" -H 'Accept: text/event-stream' "$API/executions/$id/events" >/dev/null &
sleep 0.5
kill -TERM "${PIDS[0]}"; wait "${PIDS[0]}"; rc=$?
expect_eq "$rc" 0 "SIGTERM with a stream open exits 0"
PIDS=()

# HTTPS.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" -days 1 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1
"$DRSORCH" serve --listen 127.0.0.1:0 --data-dir "$TMP/data" --set "server.tls_cert=$TMP/cert.pem" \
  --set "server.tls_key=$TMP/key.pem" >"$TMP/tls.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do grep -q 'listening on https://' "$TMP/tls.log" && break; sleep 0.05; done
TADDR=$(grep -oE 'listening on https://[0-9.]+:[0-9]+' "$TMP/tls.log" | head -1 | sed 's#listening on https://##')
expect_match "$TADDR" '^127.0.0.1:[0-9]+$' "serves HTTPS"
hdrs=$(curl -s --cacert "$TMP/cert.pem" -D - -o /dev/null "https://$TADDR/api/v1/health" | tr -d '\r')
expect_match "$hdrs" 'HTTP/1.1 200' "health over HTTPS"
expect_match "$hdrs" 'Strict-Transport-Security: max-age=31536000' "HSTS under TLS"
hdrs=$(curl -s --cacert "$TMP/cert.pem" -D - -o /dev/null -H 'Content-Type: application/json' \
  -d '{"username": "nobody", "password": "x"}' "https://$TADDR/api/v1/sessions" | tr -d '\r')
expect_match "$hdrs" 'HTTP/1.1 401' "sign-in over HTTPS"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$TADDR/api/v1/health")
expect_match "$code" '^(000|400)$' "plain HTTP to the HTTPS port gets no answer"
kill -TERM "${PIDS[0]}"; wait "${PIDS[0]}"
PIDS=()
out=$("$DRSORCH" serve --listen 127.0.0.1:0 --data-dir "$TMP/data" --set "server.tls_cert=$TMP/cert.pem" 2>&1); rc=$?
expect_eq "$rc" 1 "a certificate without a key"
expect_match "$out" "server.tls_key: is needed too" "says which setting"
out=$("$DRSORCH" serve --listen 127.0.0.1:0 --data-dir "$TMP/data" --set "server.tls_cert=$TMP/none.pem" --set "server.tls_key=$TMP/key.pem" 2>&1); rc=$?
expect_eq "$rc" 1 "a missing certificate file"
expect_match "$out" "server.tls_cert: cannot read" "names it"
finish
