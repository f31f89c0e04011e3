#!/usr/bin/env bash
# `drsorch serve` on the DynamoDB store (dynalite, npm, from tests/deploy's lockfile, on 127.0.0.1): the
# admin token `--demo` issues is found in the table; a protection group and a plan created through the
# REST API, a drill started on the simulated region, its event stream followed to its end and its report
# read; then the same table read by another process (`drsorch executions report --db`), so the drill's
# record and journal are in DynamoDB. Verdicts are the outcome and counts, never timings (the plan has no
# RTO target). Skipped only without node.
source "$(dirname "$0")/lib.sh"
clean_aws_env
start_dynalite
STORE="dynamodb:api?region=us-east-1&endpoint=http://127.0.0.1:$DYNALITE_PORT&create=true"
cd "$ORCH_SOURCE_DIR" || exit 1

"$DRSORCH" serve --demo --speed 600 --listen 127.0.0.1:0 --data-dir "$TMP/data" --db "$STORE" >"$TMP/out" 2>"$TMP/log" &
PIDS+=($!)
# a bound, not a verdict: the demo content is written to the table before the token is printed
for _ in $(seq 1 1200); do grep -q '^admin token: ' "$TMP/out" && break; sleep 0.1; done
TOKEN=$(sed -n 's/^admin token: //p' "$TMP/out")
ADDR=$(grep -oE 'listening on http://[0-9.]+:[0-9]+' "$TMP/log" | head -1 | sed 's#listening on http://##')
expect_match "$TOKEN" '^drs_[A-Za-z0-9_-]{43}$' "serve --demo on DynamoDB prints its admin token"
expect_match "$(cat "$TMP/log")" 'created DynamoDB table api-state' "the table was created"
[ -n "$TOKEN" ] && [ -n "$ADDR" ] || { cat "$TMP/out" "$TMP/log" >&2; finish; exit 1; }
API="http://$ADDR/api/v1"
AUTH="Authorization: Bearer $TOKEN"
JSON='Content-Type: application/json'

me=$(curl -s -H "$AUTH" "$API/me")
expect_eq "$(json_get "$me" kind)" token "the token is found by its hash in the table"

# A protection group and a plan through the API.
code=$(curl -s -o "$TMP/group" -D "$TMP/group.h" -w '%{http_code}' -H "$AUTH" -H "$JSON" \
  -d '{"name": "shop-db", "account": "111122223333", "region": "us-east-1",
       "selector": {"tags": {"App": "orders", "Tier": "db"}}}' "$API/protection-groups")
expect_eq "$code" 201 "group created"
GROUP=$(tr -d '\r' <"$TMP/group.h" | sed -n 's/^[Ll]ocation: //p')
expect_match "$GROUP" '^/api/v1/protection-groups/[0-9a-f-]{36}$' "group location"
got=$(curl -s -H "$AUTH" "http://$ADDR$GROUP")
expect_eq "$(json_get "$got" name)" shop-db "group read back"
expect_eq "$(json_get "$got" version)" 1 "group version"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "$AUTH" -H "$JSON" \
  -d '{"name": "shop-db", "account": "111122223333", "region": "us-east-1", "selector": {"tags": {"App": "x"}}}' \
  "$API/protection-groups")
expect_eq "$code" 409 "a second group of that name is refused"

node -e 'process.stdout.write(JSON.stringify({description: "shop database drill", source:
  "return plan {\n  name = \"shop-drill\",\n  waves = {\n    wave \"database\" { servers = group \"shop-db\" },\n  },\n}\n"}))' \
  >"$TMP/plan.json"
code=$(curl -s -o "$TMP/plan" -D "$TMP/plan.h" -w '%{http_code}' -H "$AUTH" -H "$JSON" --data-binary @"$TMP/plan.json" \
  "$API/plans")
expect_eq "$code" 201 "plan created"
PLAN=$(tr -d '\r' <"$TMP/plan.h" | sed -n 's/^[Ll]ocation: //p')
expect_match "$PLAN" '^/api/v1/plans/[0-9a-f-]{36}$' "plan location"
got=$(curl -s -H "$AUTH" "http://$ADDR$PLAN")
expect_eq "$(json_get "$got" name)" shop-drill "plan read back"

# A drill on the simulated region, followed to its end.
code=$(curl -s -o /dev/null -D "$TMP/exec.h" -w '%{http_code}' -H "$AUTH" -H "$JSON" \
  -d '{"plan": "shop-drill", "mode": "drill"}' "$API/executions")
expect_eq "$code" 202 "drill accepted"
EXEC=$(tr -d '\r' <"$TMP/exec.h" | sed -n 's/^[Ll]ocation: //p')
expect_match "$EXEC" '^/api/v1/executions/[0-9a-f-]{36}$' "execution location"
ID=${EXEC##*/}
# the stream replays the journal from the table, follows it and ends once the drill has cleaned up
timeout 240 curl -sN -H "$AUTH" -H 'Accept: text/event-stream' "http://$ADDR$EXEC/events" >"$TMP/events"
expect_match "$(tail -3 "$TMP/events")" '^event: end' "the event stream ended with the drill"
expect_match "$(grep -A1 '^event: ExecutionEnded' "$TMP/events")" '"status":"COMPLETED"' "the drill ended COMPLETED"
rep=$(curl -s -H "$AUTH" "http://$ADDR$EXEC/report")
expect_eq "$(json_get "$rep" outcome)" COMPLETED "report outcome"
expect_eq "$(json_get "$rep" servers_launched)" 4 "report: the database tier's servers launched"
x=$(curl -s -H "$AUTH" "http://$ADDR$EXEC")
expect_eq "$(json_get "$x" status)" CLEANED "the drill's recovery instances were cleaned up"

kill -TERM "${PIDS[1]}"; wait "${PIDS[1]}"; rc=$?
expect_eq "$rc" 0 "SIGTERM exits 0"
PIDS=("${PIDS[0]}")

# Another process reads the same table: the record and the journal are in DynamoDB.
rep=$("$DRSORCH" executions report "$ID" --db "$STORE" --json); rc=$?
expect_eq "$rc" 0 "report from the table exit"
expect_eq "$(json_get "$rep" outcome)" COMPLETED "report from the table: outcome"
list=$("$DRSORCH" executions list --db "$STORE" --json)
expect_eq "$(json_get "$list" 0.id)" "$ID" "the drill is the newest execution in the table"
exec 7>&-
finish
