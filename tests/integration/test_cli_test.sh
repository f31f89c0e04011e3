#!/usr/bin/env bash
# `drsorch test`: a plan author's CI check: a drill against a scenario in simulated time with every gate
# open. The demo plan passes against its scenario (text and JSON); a scenario where preflight fails
# gives FAIL with the reason and exit 1, and so does a cleanup hook that fails; nothing is left behind
# without --db. Checked with node.
source "$(dirname "$0")/lib.sh"

PLAN="$ORCH_SOURCE_DIR/plans/demo/three-tier.lua"
SCEN="$ORCH_SOURCE_DIR/plans/scenarios/three-tier-demo.json"
export TMPDIR="$TMP/scratch"
mkdir -p "$TMPDIR"

out=$("$DRSORCH" test "$PLAN" --scenario "$SCEN" </dev/null 2>&1); rc=$?
expect_eq "$rc" 0 "test exit"
expect_eq "$(printf '%s\n' "$out" | tail -1)" "PASS: orders-three-tier" "PASS is the last line"
expect_match "$out" 'wave app: approved by --approve-all' "gates are opened"
expect_match "$out" 'RTO [0-9hms]+ against a target of 45m \(met\)' "report before the verdict"
expect_eq "$(ls -A "$TMPDIR")" "" "the scratch store is removed"

json=$("$DRSORCH" test "$PLAN" --scenario "$SCEN" --seed 3 --json </dev/null 2>"$TMP/test.err"); rc=$?
expect_eq "$rc" 0 "test --json exit"
expect_eq "$(json_get "$json" test.passed)" true "JSON verdict"
expect_eq "$(json_get "$json" test.failures)" "[]" "no failures"
expect_eq "$(json_get "$json" mode)" drill "a drill"
expect_eq "$(json_get "$json" outcome)" COMPLETED "outcome"
expect_eq "$(json_get "$json" status)" CLEANED "cleaned up"
expect_eq "$(tail -1 "$TMP/test.err")" "PASS: orders-three-tier" "verdict on stderr with --json"

# Preflight fails in this scenario (stalled replication): FAIL with the reason.
out=$("$DRSORCH" test "$PLAN" --scenario "$ORCH_SOURCE_DIR/plans/scenarios/with-failures.json" </dev/null 2>&1); rc=$?
expect_eq "$rc" 1 "failing test exit"
expect_match "$out" 'preflight FAILED: replication healthy' "why, in the progress"
expect_match "$out" $'FAIL: orders-three-tier\n  - the drill ended FAILED: preflight failed' "FAIL with the reason"

# A cleanup hook that fails fails the test, saying why (the state's cleanup_hook_failed / _error).
cat >"$TMP/cleanup.lua" <<'LUA'
return plan {
  name = "cleanup-fails", region = "us-east-1",
  waves = { wave "database" { servers = tags { App = "orders", Tier = "db" } } },
  cleanup = function(x) error("the DNS test record could not be removed") end,
}
LUA
out=$("$DRSORCH" test "$TMP/cleanup.lua" --scenario "$SCEN" </dev/null 2>&1); rc=$?
expect_eq "$rc" 1 "a failing cleanup hook exit"
expect_match "$out" $'FAIL: cleanup-fails\n  - the plan.s cleanup hook failed: .*cleanup.lua:4: the DNS test record could not be removed' "FAIL names the cleanup hook"
json=$("$DRSORCH" test "$TMP/cleanup.lua" --scenario "$SCEN" --json </dev/null 2>/dev/null)
expect_eq "$(json_get "$json" test.passed)" false "JSON verdict"
expect_eq "$(json_get "$json" cleanup.hook.ok)" false "the report says the cleanup hook failed"

# Kept in a store when asked.
out=$("$DRSORCH" test "$PLAN" --scenario "$SCEN" --db "$TMP/kept.db" </dev/null 2>&1); rc=$?
expect_eq "$rc" 0 "test --db exit"
expect_match "$("$DRSORCH" executions list --db "$TMP/kept.db")" 'CLEANED \(COMPLETED\) +orders-three-tier v1 +drill' "kept execution"

out=$("$DRSORCH" test "$PLAN" --scenario "$TMP/nope.json" </dev/null 2>&1); rc=$?
expect_eq "$rc" 1 "missing scenario exit"
expect_match "$out" "nope.json" "missing scenario named"
"$DRSORCH" test "$PLAN" </dev/null >/dev/null 2>&1; expect_eq $? 2 "no scenario"
"$DRSORCH" test --scenario "$SCEN" </dev/null >/dev/null 2>&1; expect_eq $? 2 "no plan"
"$DRSORCH" test "$PLAN" --scenario "$SCEN" --mode recovery </dev/null >/dev/null 2>&1; expect_eq $? 2 "test takes no --mode"

# The tutorial plan selects its database tier by protection group: --groups loads them into the scratch
# store; without them the plan's unknown group is a problem and nothing runs.
TUT="$ORCH_SOURCE_DIR/plans/three-tier.lua"
GROUPS_FILE="$ORCH_SOURCE_DIR/plans/groups/orders.json"
out=$("$DRSORCH" test "$TUT" --scenario "$SCEN" --groups "$GROUPS_FILE" </dev/null 2>&1); rc=$?
expect_eq "$rc" 0 "tutorial plan with its groups"
expect_eq "$(printf '%s\n' "$out" | tail -1)" "PASS: orders" "tutorial plan passes"
out=$("$DRSORCH" test "$TUT" --scenario "$SCEN" </dev/null 2>&1); rc=$?
expect_eq "$rc" 1 "tutorial plan without its groups"
expect_match "$out" "unknown protection group 'orders-db'" "the missing group is named"
printf '[{"name": "orders-db", "account": "1111", "region": "us-east-1", "tags": {}}]' >"$TMP/bad-groups.json"
out=$("$DRSORCH" test "$TUT" --scenario "$SCEN" --groups "$TMP/bad-groups.json" </dev/null 2>&1); rc=$?
expect_eq "$rc" 1 "bad groups file"
expect_match "$out" "bad-groups.json" "the groups file is named in the error"
expect_eq "$(ls -A "$TMPDIR")" "" "the scratch store is removed after a bad groups file"

finish
