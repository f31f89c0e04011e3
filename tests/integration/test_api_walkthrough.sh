#!/usr/bin/env bash
# docs/api.md is true: its walkthrough (every ```sh block after the walkthrough marker, in order) runs
# against `drsorch serve --demo` with the token the server printed, and ends with the drill COMPLETED:
# a new user can create a group, write a plan, start a drill, approve its gate and watch it finish with
# curl alone. Also what `serve --demo` prints. The server runs at 600x so the drill takes seconds.
source "$(dirname "$0")/lib.sh"
clean_aws_env
cd "$ORCH_SOURCE_DIR" || exit 1

"$DRSORCH" serve --demo --speed 600 --listen 127.0.0.1:0 --data-dir "$TMP/data" >"$TMP/out" 2>"$TMP/log" &
PIDS+=($!)
for _ in $(seq 1 400); do grep -q '^admin token: ' "$TMP/out" && break; sleep 0.05; done
TOKEN=$(sed -n 's/^admin token: //p' "$TMP/out")
ADDR=$(grep -oE 'listening on http://[0-9.]+:[0-9]+' "$TMP/log" | head -1 | sed 's#listening on http://##')
expect_match "$TOKEN" '^drs_[A-Za-z0-9_-]{43}$' "the admin token is on a line of its own"
expect_match "$(cat "$TMP/out")" "DRS Orchestrator demo: http://$ADDR/api/v1 " "the URL is printed"
expect_match "$(cat "$TMP/out")" "plan orders-three-tier version 1" "the demo plans are loaded"
expect_match "$(cat "$TMP/out")" "group\\(s\\) imported from plans/groups/orders.json" "the demo groups are loaded"

# The walkthrough's shell blocks, as the guide shows them, with the server's address and token.
awk '/<!-- walkthrough:/{on=1} on && /^## /{exit} on && /^```sh$/{b=1; next} b && /^```$/{b=0; next} b{print}' \
  docs/api.md >"$TMP/walk.sh"
expect_match "$(wc -l <"$TMP/walk.sh")" '^[0-9]{2,}$' "the walkthrough has commands"
sed -i -e "s#http://127.0.0.1:8080#http://$ADDR#g" -e "s#^TOKEN=.*#TOKEN=$TOKEN#" "$TMP/walk.sh"
( cd "$TMP" && timeout 240 bash -euo pipefail "$TMP/walk.sh" ) >"$TMP/walk.out" 2>&1; rc=$?
expect_eq "$rc" 0 "the walkthrough runs to its end"
out=$(cat "$TMP/walk.out")
expect_match "$out" '"kind":"token"' "step 1: who am I"
expect_match "$out" 'group: /api/v1/protection-groups/[0-9a-f-]{36}' "step 2: a group"
expect_match "$out" '"servers":\[\{' "step 2: its servers resolved against DRS"
expect_match "$out" '"ok":true' "step 3: the plan validates"
expect_match "$out" 'plan: /api/v1/plans/[0-9a-f-]{36}' "step 3: the plan is stored"
expect_match "$out" 'execution: /api/v1/executions/[0-9a-f-]{36}' "step 4: a drill"
expect_match "$out" '"command":"approve"' "step 5: the gate opened"
expect_match "$out" 'event: end' "step 6: the stream ended with the drill"
expect_match "$out" '"outcome":"COMPLETED"' "step 6: the drill completed"
[ "$rc" -eq 0 ] || tail -20 "$TMP/walk.out" >&2

kill -TERM "${PIDS[0]}"; wait "${PIDS[0]}"; rc=$?
expect_eq "$rc" 0 "SIGTERM exits 0"
PIDS=()
finish
