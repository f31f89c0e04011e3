#!/usr/bin/env bash
# Signals and `drsorch resume` against a standalone `drsorch sim` (so the region outlives the CLI): SIGTERM
# (a CI time-out) is handled like Ctrl-C: the first cancels the drill, and a second signal (SIGHUP: the
# SSH session dropped) exits at once (128 + 1) leaving it unfinished in the store and printing the
# `drsorch resume` command; that command, run as printed, finishes the clean-up and prints the report
# (exit 1: the drill was cancelled). The run follows the simulator's clock (its times are the simulator's).
# Checked with node.
source "$(dirname "$0")/lib.sh"

SCEN="$ORCH_SOURCE_DIR/plans/scenarios/three-tier-demo.json"
PLAN="$ORCH_SOURCE_DIR/plans/demo/three-tier.lua"
DB="$TMP/resume.db"
clean_aws_env
export AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=AKIASIMULATOREXAMPLE AWS_SECRET_ACCESS_KEY=simulator/secret/EXAMPLEKEY

start_sim "$TMP/sim.log" --scenario "$SCEN" --speed 120 || exit 1

"$DRSORCH" run "$PLAN" --mode drill --endpoint-url "$URL" --poll 1s --approve-all --db "$DB" </dev/null >"$TMP/run.out" 2>&1 &
RUN=$!
# Interrupt once a server is up: clean-up then has instances to terminate, which takes at least a poll.
if wait_for "$TMP/run.out" 'in wave database: launched'; then ok; else fail "the drill did not launch"; cat "$TMP/run.out" >&2; fi
kill -TERM "$RUN"
if wait_for "$TMP/run.out" 'cancel requested by'; then ok; else fail "first SIGTERM not taken"; fi
expect_match "$(cat "$TMP/run.out")" 'SIGTERM: cancelling \(a drill cleans up first\)' "first SIGTERM cancels"
expect_match "$(cat "$TMP/run.out")" "a second signal exits at once and leaves the rest for: drsorch resume --db $DB --endpoint-url $URL" "the resume command is said"
kill -HUP "$RUN"
wait "$RUN"; rc=$?
expect_eq "$rc" 129 "a second signal (SIGHUP) exits at once"
expect_match "$(cat "$TMP/run.out")" "signalled again: exiting now; the execution is left unfinished" "second signal message"
RESUME=$(grep -A1 'signalled again' "$TMP/run.out" | tail -1 | sed 's/^ *//')
expect_eq "$RESUME" "drsorch resume --db $DB --endpoint-url $URL" "the resume command printed"
list=$("$DRSORCH" executions list --db "$DB" --json)
expect_eq "$(json_get "$list" 0.finished)" false "left unfinished in the store"
expect_eq "$(json_get "$list" 0.status)" CLEANING_UP "cleaning up when it stopped"
expect_eq "$(json_get "$list" 0.outcome)" CANCELLED "cancelled when it stopped"
ID=$(json_get "$list" 0.id)

out=$(eval "\"\$DRSORCH\"${RESUME#drsorch} --poll 1s" </dev/null 2>&1); rc=$?
expect_eq "$rc" 1 "resume of a cancelled drill exit"
expect_match "$out" "resuming 1 unfinished execution\(s\)" "resume says what it does"
expect_match "$out" "against the simulator at $URL \(in its simulated time" "resume follows the simulator's clock"
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
