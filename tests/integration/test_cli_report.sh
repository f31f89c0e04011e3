#!/usr/bin/env bash
# The report carries the evidence an auditor asks for, through the real binary: every preflight check with its
# reason (a failed preflight's and a dry run's, in `executions report` too), w:log lines in the JSON timeline
# and the text, the w:expect that did not hold and why, DRS's own reason for a failed launch (read from the
# job's log), notifications sent and not sent, and a clean-up that gave up with the instances left to
# terminate. A run against a standalone `drsorch sim` is timed on the simulator's clock (asked of its admin
# API): the report's times are the simulator's. All on simulated clocks; checked with node.
source "$(dirname "$0")/lib.sh"

clean_aws_env
DB="$TMP/report.db"

cat >"$TMP/evidence.json" <<'JSON'
{"name": "evidence", "start_time": "2030-01-01T00:00:00Z",
 "regions": [{"region": "us-east-1", "topics": ["dr-events"], "servers": [
   {"id": "s-0000000000000d001", "hostname": "db-1", "tags": {"Tier": "db"}},
   {"id": "s-0000000000000a001", "hostname": "app-1", "tags": {"Tier": "app"}},
   {"id": "s-0000000000000a002", "hostname": "app-2", "tags": {"Tier": "app"}}]}],
 "timing": {"job_start": "5s", "snapshot": "30s", "conversion": "1m", "launch": "30s", "boot": "30s", "ssm_ready": "30s"},
 "failures": {"launch": [{"server": "s-0000000000000a002", "reason": "Insufficient capacity in us-east-1b"}]}}
JSON
cat >"$TMP/evidence.lua" <<'LUA'
return plan {
  name = "evidence", region = "us-east-1",
  notify = { sns = { "arn:aws:sns:us-east-1:111122223333:dr-events", "arn:aws:sns:us-east-1:111122223333:gone" },
             events = { "execution_completed", "execution_failed" } },
  waves = {
    wave "db" { servers = tags { Tier = "db" },
      after = function(w)
        w:log("db up, %d replicas", 3)
        w:expect(false, "replica lag under 1s")
      end },
    wave "app" { depends_on = { "db" }, servers = tags { Tier = "app" }, on_failure = "continue" },
  },
}
LUA

# A recovery in the in-process simulator (discrete-event time): a failed expectation only warns there.
json=$("$DRSORCH" run "$TMP/evidence.lua" --mode recovery --sim "$TMP/evidence.json" --db "$DB" --json </dev/null 2>"$TMP/rec.err"); rc=$?
expect_eq "$rc" 1 "a partial recovery exits 1"
expect_eq "$(json_get "$json" outcome)" PARTIAL "outcome"
expect_match "$(cat "$TMP/rec.err")" 'server s-0000000000000a002 \(app-2\): DRS says: Insufficient capacity in us-east-1b' "progress says DRS's reason"
expect_match "$(cat "$TMP/rec.err")" 'hook db/after: db up, 3 replicas' "progress shows w:log lines"
js() { node -e "const r=JSON.parse(process.argv[1]);process.stdout.write(String($2))" "$json"; }
expect_eq "$(js r 'r.servers.find(s=>s.id==="s-0000000000000a002").failures[0].drs_error')" "Insufficient capacity in us-east-1b" "DRS's own reason per server"
expect_eq "$(js r 'r.servers.find(s=>s.id==="s-0000000000000a002").failures[0].attempt')" 1 "the attempt that failed"
expect_eq "$(js r 'r.timeline.filter(t=>t.type==="HookLog"&&t.message==="db up, 3 replicas").length')" 1 "w:log in the JSON timeline"
expect_eq "$(js r 'r.expectations[0].what+" at "+r.expectations[0].where')" "replica lag under 1s at $TMP/evidence.lua:9" "which w:expect did not hold, and where"
expect_eq "$(js r 'r.notifications.map(n=>n.kind+" "+n.topic.split(":").pop()+" "+n.status).sort().join(",")')" \
  "execution_completed dr-events sent,execution_completed gone failed" "notifications sent and not sent"
expect_match "$(js r 'r.notifications.find(n=>n.status==="failed").error')" "NotFound" "why a notification was not sent"
expect_eq "$(js r 'r.preflight.checks.length>0 && r.preflight.checks.every(c=>c.name&&c.detail!==undefined)')" true "every check in the JSON"
txt=$("$DRSORCH" executions report latest --db "$DB"); rc=$?
expect_eq "$rc" 0 "report exit"
expect_match "$txt" 'failed: s-0000000000000a002 \(app-2\) in wave app, attempt 1: LAUNCH_FAILED reported by DRS \(DRS: Insufficient capacity in us-east-1b\)' "text: DRS's reason"
expect_match "$txt" 'w:expect did not hold: db/after: replica lag under 1s' "text: the expectation"
expect_match "$txt" 'log db/after: db up, 3 replicas' "text: w:log lines"
expect_match "$txt" 'notification execution_completed to arn:aws:sns:us-east-1:111122223333:gone: NOT SENT: NotFound' "text: a notification not sent"
expect_match "$txt" 'notifications: 1 of 2 sent' "text: notifications counted"
expect_match "$txt" 'RTO [0-9hms]+ against a target of - \(from the start, preflight and gates included\)' "text: RTO and what it counts"

# A failed preflight: its end reason points at the report, and the report lists every check with its reason.
SCEN_F="$ORCH_SOURCE_DIR/plans/scenarios/with-failures.json"
"$DRSORCH" run "$ORCH_SOURCE_DIR/plans/demo/three-tier.lua" --mode drill --sim "$SCEN_F" --approve-all --db "$DB" </dev/null >"$TMP/pf.out" 2>&1
expect_match "$(cat "$TMP/pf.out")" 'preflight failed: .*\(the report lists every check\)' "the end reason points at the report"
txt=$("$DRSORCH" executions report latest --db "$DB")
expect_match "$txt" 'preflight FAILED in [0-9a-z]+: [0-9]+ checks passed, [1-9][0-9]* failed' "the report's preflight summary"
expect_match "$txt" 'FAILED  replication healthy \(s-00000000000000db2 db-2 in wave database\): ' "a failed check with its server and reason"
expect_match "$txt" 'passed  replication healthy \(s-00000000000000db1 db-1 in wave database\): ' "the passed checks too"
rep=$("$DRSORCH" executions report latest --db "$DB" --json)
expect_eq "$(json_get "$rep" preflight.ok)" false "JSON preflight result"
expect_match "$(node -e 'const r=JSON.parse(process.argv[1]);process.stdout.write(r.preflight.checks.filter(c=>!c.ok).map(c=>c.name).join(","))' "$rep")" 'replication healthy' "JSON failed checks"

# A dry run's checks, in its report.
txt=$("$DRSORCH" run "$TMP/evidence.lua" --mode dry-run --sim "$TMP/evidence.json" --db "$DB" </dev/null 2>/dev/null)
expect_match "$txt" 'passed  launch configuration present \(s-0000000000000a001 app-1 in wave app\)' "a dry run lists its checks"

# A clean-up that gives up: CLEANUP_FAILED, and the instances left to terminate are in the report.
node -e 'const s=JSON.parse(require("fs").readFileSync(process.argv[1]));s.errors={"drs:TerminateRecoveryInstances":1};delete s.failures;require("fs").writeFileSync(process.argv[2],JSON.stringify(s))' "$TMP/evidence.json" "$TMP/stuck.json"
printf 'return plan { name = "stuck", region = "us-east-1", waves = {
  wave "db" { servers = tags { Tier = "db" } },
  wave "app" { depends_on = { "db" }, servers = tags { Tier = "app" } } } }
' >"$TMP/stuck.lua"
out=$("$DRSORCH" run "$TMP/stuck.lua" --mode drill --sim "$TMP/stuck.json" --db "$DB" </dev/null 2>&1); rc=$?
expect_eq "$rc" 1 "a drill whose clean-up failed exits 1"
expect_match "$out" 'clean-up FAILED: TerminateRecoveryInstances failed 8 times .*; 3 recovery instance\(s\) are left to terminate' "progress says the clean-up gave up"
expect_match "$out" 'left to terminate \(3\): i-[0-9a-f]+ i-[0-9a-f]+ i-[0-9a-f]+' "the text report lists the instances"
rep=$("$DRSORCH" executions report latest --db "$DB" --json)
expect_eq "$(json_get "$rep" status)" CLEANUP_FAILED "CLEANUP_FAILED"
expect_eq "$(node -e 'process.stdout.write(String(JSON.parse(process.argv[1]).cleanup.recovery_instance_ids_left.length))' "$rep")" 3 "JSON: the instances left"

# Against a standalone simulator the run follows its clock: the report's times are the simulator's (2030).
export AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=AKIASIMULATOREXAMPLE AWS_SECRET_ACCESS_KEY=simulator/secret/EXAMPLEKEY
start_sim "$TMP/sim.log" --scenario "$TMP/evidence.json" --speed 600 || exit 1
json=$("$DRSORCH" run "$TMP/evidence.lua" --mode recovery --yes --endpoint-url "$URL" --poll 1s --db "$TMP/ext.db" --json </dev/null 2>"$TMP/ext.err"); rc=$?
expect_match "$(head -1 "$TMP/ext.err")" "against the simulator at $URL \(in its simulated time, speed 600\)" "the simulator's clock is followed"
expect_match "$(json_get "$json" started_at)" '^2030-01-01T' "the start is the simulator's time"
expect_match "$(json_get "$json" ended_at)" '^2030-01-01T' "the end is the simulator's time"
expect_eq "$(node -e 'const r=JSON.parse(process.argv[1]);process.stdout.write(String(r.rto_ms>=150000&&r.rto_ms<=r.duration_ms))' "$json")" true "the RTO is simulated minutes (2 launches of about 2 minutes), within the run"

finish
