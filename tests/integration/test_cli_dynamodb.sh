#!/usr/bin/env bash
# The whole engine on the DynamoDB store: `drsorch run --db dynamodb:...` against dynalite (npm, from
# tests/deploy's lockfile) on 127.0.0.1 and the in-process simulated region: a drill completes, cleans up
# and is read back by `executions list/report`; a second run on the same table stores no new plan
# version; `resume` finds nothing unfinished. Skipped only without node.
source "$(dirname "$0")/lib.sh"

clean_aws_env
start_dynalite
STORE="dynamodb:it?region=us-east-1&endpoint=http://127.0.0.1:$DYNALITE_PORT&create=true"

SCEN="$ORCH_SOURCE_DIR/plans/scenarios/three-tier-demo.json"
FAST=(--speed 3600 --poll 5s)
cat >"$TMP/orders.lua" <<'LUA'
return plan {
  name = "orders", region = "us-east-1", rto_target = "45m",
  waves = {
    wave "database" { servers = tags { App = "orders", Tier = "db" } },
    wave "app" { depends_on = { "database" }, servers = tags { App = "orders", Tier = "app" } },
    wave "web" {
      depends_on = { "app" },
      servers = tags { App = "orders", Tier = "web" },
      after = function(w)
        local r, err = w:ssm_run { commands = { "curl -sf http://localhost/health" } }
        w:expect(r ~= nil, "health command ran")
      end,
    },
  },
}
LUA

out=$("$DRSORCH" run "$TMP/orders.lua" --mode drill --sim "$SCEN" "${FAST[@]}" --db "$STORE" </dev/null 2>"$TMP/drill.err"); rc=$?
expect_eq "$rc" 0 "drill exit"
expect_match "$out" '^plan orders version 1 stored; drill against the simulated region' "plan stored in DynamoDB"
expect_match "$out" 'wave web: completed, 12/12 launched' "waves completed"
expect_match "$out" 'drill [0-9a-f-]{36} of orders \(version 1\): CLEANED' "drill cleaned up"
expect_eq "$(grep -v 'created DynamoDB table' "$TMP/drill.err")" "" "nothing else on stderr"
ID=$(printf '%s\n' "$out" | grep -oE 'drill [0-9a-f-]{36} of orders' | cut -d' ' -f2)

out=$("$DRSORCH" run "$TMP/orders.lua" --mode dry-run --sim "$SCEN" "${FAST[@]}" --db "$STORE" </dev/null 2>&1); rc=$?
expect_eq "$rc" 0 "dry-run exit"
expect_match "$out" 'plan orders version 1 unchanged; dry-run' "the stored plan is found again"

list=$("$DRSORCH" executions list --db "$STORE" --json); rc=$?
expect_eq "$rc" 0 "executions list exit"
expect_eq "$(node -e 'process.stdout.write(String(JSON.parse(process.argv[1]).length))' "$list")" 2 "two executions"
expect_eq "$(json_get "$list" 1.id)" "$ID" "newest first: the drill is second"
rep=$("$DRSORCH" executions report "$ID" --db "$STORE" --json); rc=$?
expect_eq "$rc" 0 "report exit"
expect_eq "$(json_get "$rep" outcome)" COMPLETED "report: outcome from the journal in DynamoDB"
expect_eq "$(json_get "$rep" servers_launched)" 24 "report: servers launched"

out=$("$DRSORCH" resume --db "$STORE" --sim "$SCEN" </dev/null 2>&1); rc=$?
expect_eq "$rc" 0 "resume exit"
expect_eq "$out" "nothing to resume: every execution in the store has finished" "nothing unfinished"

out=$("$DRSORCH" executions list --db "dynamodb:it?region=us-east-1&endpoint=http://127.0.0.1:$DYNALITE_PORT&colour=blue" 2>&1); rc=$?
expect_eq "$rc" 1 "bad store spec exit"
expect_match "$out" "unknown option 'colour'" "bad store spec message"
exec 7>&-
finish
