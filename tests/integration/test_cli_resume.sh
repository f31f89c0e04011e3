#!/usr/bin/env bash
# Ctrl-C and `drsorch resume` against a standalone `drsorch sim` (so the region outlives the CLI): the
# first SIGINT cancels the drill, the second exits at once (130) leaving it unfinished in the store;
# `resume` with the simulator's URL and credentials from the environment finishes the clean-up and
# prints the report (exit 1: the drill was cancelled). Checked with node.
source "$(dirname "$0")/lib.sh"

SCEN="$ORCH_SOURCE_DIR/plans/scenarios/three-tier-demo.json"
PLAN="$ORCH_SOURCE_DIR/plans/demo/three-tier.lua"
DB="$TMP/resume.db"
clean_aws_env
export AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=AKIASIMULATOREXAMPLE AWS_SECRET_ACCESS_KEY=simulator/secret/EXAMPLEKEY

start_sim "$TMP/sim.log" --scenario "$SCEN" --speed 120 || exit 1

# wait_for FILE REGEX: up to 30 s.
wait_for() { for _ in $(seq 1 600); do grep -qE "$2" "$1" && return 0; sleep 0.05; done; return 1; }

"$DRSORCH" run "$PLAN" --mode drill --endpoint-url "$URL" --poll 1s --approve-all --db "$DB" </dev/null >"$TMP/run.out" 2>&1 &
RUN=$!
# Interrupt once a server is up: clean-up then has instances to terminate, which takes at least a poll.
if wait_for "$TMP/run.out" 'in wave database: launched'; then ok; else fail "the drill did not launch"; cat "$TMP/run.out" >&2; fi
kill -INT "$RUN"
if wait_for "$TMP/run.out" 'cancel requested by'; then ok; else fail "first Ctrl-C not taken"; fi
expect_match "$(cat "$TMP/run.out")" 'interrupted: cancelling \(a drill cleans up first\); press Ctrl-C again to exit at once' "first Ctrl-C message"
kill -INT "$RUN"
wait "$RUN"; rc=$?
expect_eq "$rc" 130 "second Ctrl-C exit"
expect_match "$(cat "$TMP/run.out")" "interrupted again: exiting now; 'drsorch resume' carries on from the journal" "second Ctrl-C message"
list=$("$DRSORCH" executions list --db "$DB" --json)
expect_eq "$(json_get "$list" 0.finished)" false "left unfinished in the store"
expect_eq "$(json_get "$list" 0.status)" CLEANING_UP "cleaning up when it stopped"
expect_eq "$(json_get "$list" 0.outcome)" CANCELLED "cancelled when it stopped"
ID=$(json_get "$list" 0.id)

out=$("$DRSORCH" resume --endpoint-url "$URL" --poll 1s --db "$DB" </dev/null 2>&1); rc=$?
expect_eq "$rc" 1 "resume of a cancelled drill exit"
expect_match "$out" "resuming 1 unfinished execution\(s\)" "resume says what it does"
expect_match "$out" "drill of orders-three-tier \(execution $ID\) resumed at event [0-9]+" "resumed line"
expect_match "$out" "clean-up done" "clean-up finished after resume"
expect_match "$out" "outcome: CANCELLED, recovery instances cleaned up" "report outcome"
rep=$("$DRSORCH" executions report "$ID" --db "$DB" --json)
expect_eq "$(json_get "$rep" status)" CLEANED "cleaned"
expect_eq "$(json_get "$rep" outcome)" CANCELLED "cancelled"
# Nothing was launched twice: one StartRecovery for the database wave, however often it was resumed.
calls=$(curl -sf "$URL/_sim/calls")
expect_eq "$(node -e 'const c=JSON.parse(process.argv[1]);process.stdout.write(String(c.operations["drs:StartRecovery"].calls))' "$calls")" 1 "one StartRecovery"

out=$("$DRSORCH" resume --endpoint-url "$URL" --db "$DB" </dev/null 2>&1); rc=$?
expect_eq "$rc" 0 "resume again: nothing to do"

finish
