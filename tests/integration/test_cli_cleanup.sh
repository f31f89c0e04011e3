#!/usr/bin/env bash
# Cleaning a drill up now. Ctrl-C while `run` keeps a drill's instances (--keep-for) cleans up at once instead
# of waiting the period out. `drsorch executions cleanup ID` refuses, naming the pid and host and what to do,
# while another live process drives the drill; once nobody does (that process was killed), it takes the drill
# over and cleans it up to the end; it tries again a clean-up that gave up (CLEANUP_FAILED); it refuses what
# is not a drill waiting for its clean-up. Simulated regions at a speed (keep-for periods are simulated
# hours); a process that would wait out the period is stopped by `timeout`, which fails the test.
source "$(dirname "$0")/lib.sh"

clean_aws_env
cat >"$TMP/scen.json" <<'JSON'
{"name": "keep", "start_time": "2027-01-01T00:00:00Z",
 "regions": [{"region": "us-east-1", "servers": [
   {"id": "s-0000000000000d001", "hostname": "db-1", "tags": {"Tier": "db"}},
   {"id": "s-0000000000000a001", "hostname": "app-1", "tags": {"Tier": "app"}}]}],
 "timing": {"job_start": "5s", "snapshot": "30s", "conversion": "1m", "launch": "30s", "boot": "30s", "ssm_ready": "30s"}}
JSON
cat >"$TMP/keep.lua" <<'LUA'
return plan {
  name = "keep", region = "us-east-1",
  waves = {
    wave "db" { servers = tags { Tier = "db" } },
    wave "app" { depends_on = { "db" }, servers = tags { Tier = "app" } },
  },
}
LUA

# Ctrl-C during --keep-for: the clean-up starts now (1000 simulated hours would be 100 real minutes: a run
# still waiting after a minute is stopped, and fails the test).
"$DRSORCH" run "$TMP/keep.lua" --mode drill --sim "$TMP/scen.json" --speed 600 --keep-for 1000h \
  --db "$TMP/a.db" </dev/null >"$TMP/a.out" 2>&1 &
RUN=$!
PIDS+=("$RUN")
if wait_for "$TMP/a.out" 'recovery instances are kept until'; then ok; else fail "the drill did not reach its keep-for"; fi
kill -INT "$RUN"
if wait_for "$TMP/a.out" 'clean-up done'; then ok; else fail "Ctrl-C did not clean up now"; kill -KILL "$RUN"; fi
wait "$RUN"; rc=$?
expect_eq "$rc" 0 "a drill cleaned up at Ctrl-C exits 0 (completed and cleaned up)"
expect_match "$(cat "$TMP/a.out")" 'Ctrl-C: cleaning up now instead of keeping the instances' "Ctrl-C says it cleans up now"
expect_match "$(cat "$TMP/a.out")" 'clean-up now, asked by cli:' "journaled as asked"
expect_match "$(cat "$TMP/a.out")" 'clean-up done' "cleaned up"
expect_eq "$(json_get "$("$DRSORCH" executions report latest --db "$TMP/a.db" --json)" status)" CLEANED "CLEANED"

# A drill another live process drives: `executions cleanup` says which and what to do.
export AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=AKIASIMULATOREXAMPLE AWS_SECRET_ACCESS_KEY=simulator/secret/EXAMPLEKEY
start_sim "$TMP/sim.log" --scenario "$TMP/scen.json" --speed 600 || exit 1
DB="$TMP/b.db"
"$DRSORCH" run "$TMP/keep.lua" --mode drill --endpoint-url "$URL" --poll 1s --keep-for 1000h --db "$DB" </dev/null >"$TMP/b.out" 2>&1 &
RUN=$!
PIDS+=("$RUN")
if wait_for "$TMP/b.out" 'recovery instances are kept until'; then ok; else fail "the drill did not reach its keep-for"; fi
SID=$("$DRSORCH" executions list --db "$DB" | sed -n 2p | cut -d' ' -f1)
expect_match "$("$DRSORCH" executions list --db "$DB" | sed -n 2p)" "pid $RUN on " "the list shows who drives it"
expect_eq "$(json_get "$("$DRSORCH" executions list --db "$DB" --json)" 0.driven_by.pid)" "$RUN" "JSON: driven_by"
out=$("$DRSORCH" executions cleanup "$SID" --endpoint-url "$URL" --db "$DB" 2>&1); rc=$?
expect_eq "$rc" 1 "cleanup of a drill another process drives exit"
expect_match "$out" "drill $SID of keep is driven by pid $RUN on [^ ]+ \(lease until [^)]+\), which cleans it up" "names the pid and host"
expect_match "$out" "run 'kill -TERM $RUN' on " "says what to do"
out=$("$DRSORCH" executions report "$SID" --db "$DB" 2>&1)
expect_match "$out" "driven now by pid $RUN on " "the report says who drives it"
# That process dies (kill -9): nobody drives the drill, and `executions cleanup` takes it over.
kill -KILL "$RUN"; wait "$RUN" 2>/dev/null
expect_match "$("$DRSORCH" executions list --db "$DB" | sed -n 2p)" ' -$' "a dead holder drives nothing"
out=$(timeout 120 "$DRSORCH" executions cleanup "$SID" --endpoint-url "$URL" --db "$DB" </dev/null 2>&1); rc=$?
expect_eq "$rc" 0 "cleanup exit"
expect_match "$out" "cleaning up drill $SID of keep \(CLEANING_UP\) against the simulator at $URL" "says what it does"
expect_match "$out" 'clean-up now, asked by cli:' "cuts the keep-for short"
expect_match "$out" 'clean-up done' "drives the clean-up to its end"
expect_match "$out" 'outcome: COMPLETED, recovery instances cleaned up' "prints the report"
calls=$(curl -sf "$URL/_sim/calls")
expect_eq "$(node -e 'process.stdout.write(String(JSON.parse(process.argv[1]).operations["drs:TerminateRecoveryInstances"].calls))' "$calls")" 1 "the instances were terminated once"
out=$("$DRSORCH" executions cleanup "$SID" --endpoint-url "$URL" --db "$DB" 2>&1); rc=$?
expect_eq "$rc" 0 "cleanup of a cleaned drill exit"
expect_eq "$out" "drill $SID of keep is already cleaned up" "nothing to do"

# A clean-up that gave up (TerminateRecoveryInstances failing): CLEANUP_FAILED, then tried again on demand.
curl -sf -X PUT "$URL/_sim/faults" -d '{"errors": {"drs:TerminateRecoveryInstances": 1}}' >/dev/null
out=$(timeout 120 "$DRSORCH" run "$TMP/keep.lua" --mode drill --endpoint-url "$URL" --poll 1s --db "$DB" </dev/null 2>&1); rc=$?
expect_eq "$rc" 1 "a drill whose clean-up failed exits 1"
expect_eq "$(json_get "$("$DRSORCH" executions list --db "$DB" --json)" 0.status)" CLEANUP_FAILED "CLEANUP_FAILED"
curl -sf -X PUT "$URL/_sim/faults" -d '{"errors": {}}' >/dev/null
out=$(timeout 120 "$DRSORCH" executions cleanup latest --endpoint-url "$URL" --db "$DB" </dev/null 2>&1); rc=$?
expect_eq "$rc" 0 "retried clean-up exit"
expect_match "$out" 'clean-up tried again, asked by cli:' "the clean-up is tried again"
expect_match "$out" ': CLEANED' "the drill is cleaned up"

# What cannot be cleaned up now is refused, saying why.
"$DRSORCH" run "$TMP/keep.lua" --mode dry-run --endpoint-url "$URL" --db "$DB" </dev/null >/dev/null 2>&1
out=$("$DRSORCH" executions cleanup latest --endpoint-url "$URL" --db "$DB" 2>&1); rc=$?
expect_eq "$rc" 1 "cleanup of a dry run exit"
expect_match "$out" "is a dry-run: only a drill's recovery instances are cleaned up" "a dry run is refused"
out=$("$DRSORCH" executions cleanup latest --db "$TMP/none.db" 2>&1); rc=$?
expect_eq "$rc" 1 "cleanup on a missing store exit"
expect_match "$out" "none.db: no store here" "a missing store is said, not made"
"$DRSORCH" executions list --sim "$TMP/scen.json" --db "$DB" >/dev/null 2>&1; expect_eq $? 2 "only cleanup reaches AWS"

finish
