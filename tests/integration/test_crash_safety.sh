#!/usr/bin/env bash
# Crash safety (issue #6): the engine is killed with SIGKILL at random moments across 5-wave drills with
# hooks against a standalone simulator whose DRS reads are eventually consistent (a new job is invisible to
# DescribeJobs for up to 20 s), and restarted each time with `drsorch resume`, until ORCH_CRASH_KILLS kills
# have landed (default 40 in make test; 100 for the full campaign). However slow the machine, the campaign
# runs until its kills landed: only its size, never its verdict, depends on time. Then, from the simulator's own record (/_sim/calls,
# /_sim/state): every execution ended and cleaned up, each launch tag reached DRS exactly once (one
# StartRecovery per wave attempt), SSM SendCommand ran exactly as often as the plan asks (the replayed
# hooks adopted the commands sent before a kill), each drill's clean-up made one termination job and
# none was refused (a chunk sent before a kill is adopted, not sent again), and every recovery instance
# of the drills is gone.
source "$(dirname "$0")/lib.sh"

KILLS=${ORCH_CRASH_KILLS:-40}
cat >"$TMP/scenario.json" <<'JSON'
{"name": "crash", "regions": [{"region": "us-east-1", "servers": [
  {"id": "s-0000000000000c101", "hostname": "t1-a", "tags": {"Tier": "t1"}},
  {"id": "s-0000000000000c102", "hostname": "t1-b", "tags": {"Tier": "t1"}},
  {"id": "s-0000000000000c201", "hostname": "t2-a", "tags": {"Tier": "t2"}},
  {"id": "s-0000000000000c202", "hostname": "t2-b", "tags": {"Tier": "t2"}},
  {"id": "s-0000000000000c301", "hostname": "t3-a", "tags": {"Tier": "t3"}},
  {"id": "s-0000000000000c401", "hostname": "t4-a", "tags": {"Tier": "t4"}},
  {"id": "s-0000000000000c402", "hostname": "t4-b", "tags": {"Tier": "t4"}},
  {"id": "s-0000000000000c501", "hostname": "t5-a", "tags": {"Tier": "t5"}}]}],
 "timing": {"job_start": "5s", "snapshot": "20s", "conversion": "40s", "launch": "20s", "boot": "20s",
            "ssm_ready": "10s", "terminate": "30s"},
 "consistency": {"new_jobs": {"min": "1s", "max": "20s"}}}
JSON
# Five waves, two with an SSM health check, one with a durable sleep. Two SendCommands per drill.
cat >"$TMP/crash.lua" <<'LUA'
return plan {
  name = "crash", region = "us-east-1",
  waves = {
    wave "t1" { servers = tags { Tier = "t1" } },
    wave "t2" { depends_on = { "t1" }, servers = tags { Tier = "t2" },
      after = function(w)
        local r, msg = w:ssm_run { commands = { "systemctl is-active app" }, timeout = "10m" }
        w:assert(r and r.ok, "app active: " .. tostring(msg))
      end },
    wave "t3" { depends_on = { "t2" }, servers = tags { Tier = "t3" },
      before = function(w) w:sleep("1s") end },
    wave "t4" { depends_on = { "t2" }, servers = tags { Tier = "t4" } },
    wave "t5" { depends_on = { "t3", "t4" }, servers = tags { Tier = "t5" },
      after = function(w)
        local r, msg = w:ssm_run { commands = { "curl -sf http://localhost/health" }, timeout = "10m" }
        w:assert(r and r.ok, "health: " .. tostring(msg))
      end },
  },
}
LUA

"$DRSORCH" sim --scenario "$TMP/scenario.json" --listen 127.0.0.1:0 --speed 300 --seed 5 >"$TMP/sim.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do
  URL=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$TMP/sim.log" | head -1)
  [ -n "$URL" ] && break
  sleep 0.05
done
[ -n "$URL" ] || { echo "simulator did not start"; cat "$TMP/sim.log"; exit 1; }
export AWS_ACCESS_KEY_ID=AKIASIMULATOREXAMPLE AWS_SECRET_ACCESS_KEY=simulator/secret/EXAMPLEKEY AWS_REGION=us-east-1
COMMON=(--db "$TMP/crash.db" --endpoint-url "$URL" --account 111122223333 --approve-all --poll 200ms)

kills=0 drills=0 resumes=0
# Start (or resume) the engine and kill it after a random 50..2,550 ms; returns 0 when it finished first.
run_and_kill() {
  "$@" >>"$TMP/engine.log" 2>&1 &
  local pid=$! delay_ms=$(( 50 + RANDOM % 2500 ))
  local waited=0
  while [ $waited -lt $delay_ms ]; do
    if ! kill -0 "$pid" 2>/dev/null; then wait "$pid"; return $?; fi
    sleep 0.05; waited=$((waited + 50))
  done
  kill -9 "$pid" 2>/dev/null && kills=$((kills + 1)) && [ -n "${ORCH_CRASH_DEBUG:-}" ] && echo "kill $kills after ${delay_ms}ms: $*" >&2
  wait "$pid" 2>/dev/null
  return 137
}

deadline=$(( $(date +%s) + 1500 )) # a safety net only: ctest's time-out for this test is 1800 s
while [ $kills -lt "$KILLS" ] && [ "$(date +%s)" -lt $deadline ]; do
  drills=$((drills + 1))
  run_and_kill "$DRSORCH" run "$TMP/crash.lua" --mode drill "${COMMON[@]}"
  rc=$?
  while [ $rc -ne 0 ] && [ "$(date +%s)" -lt $deadline ]; do
    resumes=$((resumes + 1))
    run_and_kill "$DRSORCH" resume "${COMMON[@]}"
    rc=$?
    if [ $rc -ne 0 ] && [ $rc -ne 137 ]; then
      echo "resume exited $rc; last engine output:"; tail -20 "$TMP/engine.log"; break
    fi
  done
done
# Finish whatever the last kill interrupted.
"$DRSORCH" resume "${COMMON[@]}" >>"$TMP/engine.log" 2>&1
expect_eq $? 0 "the final resume finishes every execution"
echo "crash safety: $drills drills, $kills kills, $resumes resumes"
[ $kills -ge "$KILLS" ] && ok || fail "only $kills kills landed before the deadline"

# Every execution ended and was cleaned up.
summary=$("$DRSORCH" executions list --db "$TMP/crash.db" --json --limit 1000 | node -e '
  const l = JSON.parse(require("fs").readFileSync(0, "utf8")); const items = l.executions || l.items || l;
  const bad = items.filter(x => x.status !== "CLEANED" || x.outcome !== "COMPLETED");
  process.stdout.write(items.length + " " + bad.map(x => x.id + ":" + x.status + "/" + x.outcome + ":" + (x.reason || "")).join(","));')
# A kill can land before `run` created its execution (rare: it takes longer than the 50 ms minimum), so
# there may be fewer executions than runs, never more.
execs=${summary%% *}
[ "$execs" -le "$drills" ] && [ "$execs" -ge $((drills * 3 / 4)) ] && ok ||
  fail "$execs executions for $drills drills started (at most one each)"
expect_eq "${summary#* }" "" "every execution completed and was cleaned up"

# From the simulator: each launch tag once, one StartRecovery per wave, two SendCommands and one
# termination job per drill.
verdict=$(curl -sf "$URL/_sim/calls" | node -e '
  const c = JSON.parse(require("fs").readFileSync(0, "utf8")); const drills = +process.argv[1];
  const tags = c.startRecovery.map(r => r.tags["drsorch:launch"]);
  const dup = tags.filter((t, i) => tags.indexOf(t) !== i);
  const refused = c.startRecovery.filter(r => r.error);
  const send = (c.operations["ssm:SendCommand"] || {}).calls || 0;
  const out = [];
  if (dup.length) out.push("launched twice: " + dup.join(" "));
  if (refused.length) out.push("refused launches: " + refused.length);
  if (tags.length !== 5 * drills) out.push(tags.length + " launches for " + drills + " five-wave drills");
  if (send !== 2 * drills) out.push(send + " SendCommands for " + drills + " drills (2 each)");
  const term = c.operations["drs:TerminateRecoveryInstances"] || { calls: 0, errors: 0, throttled: 0 };
  if (term.errors) out.push(term.errors + " TerminateRecoveryInstances refused (sent again while its job ran)");
  if (term.calls - term.errors - term.throttled !== drills)
    out.push(term.calls - term.errors - term.throttled + " termination jobs for " + drills + " drills (1 each)");
  process.stdout.write(out.join("; "));' "$execs")
expect_eq "$verdict" "" "the simulator saw each launch, health command and termination once"

alive=$(curl -sf "$URL/_sim/state" | node -e '
  const s = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const inst = (s.regions || []).flatMap(r => r.instances || []);
  const live = inst.filter(i => { const st = i.state || (i.State && i.State.Name); return st !== "terminated" && st !== "shutting-down"; });
  process.stdout.write(String(live.length) + "/" + inst.length);')
expect_match "$alive" '^0/[1-9][0-9]*$' "every recovery instance of the drills is terminated (alive/total)"
finish
