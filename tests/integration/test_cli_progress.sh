#!/usr/bin/env bash
# The progress lines `run` prints without a terminal, in the order things happened: a retry says how many
# servers it relaunches, a gate's wave is "ready" once, counts are singular or plural as they should be, an
# SSM agent that never came online is named, and a hook's w:approve with nobody to ask cancels the run saying
# so (not "cancelled by an operator"). In-process simulator on its discrete-event clock; checked with node.
source "$(dirname "$0")/lib.sh"

clean_aws_env
cat >"$TMP/retry.json" <<'JSON'
{"name": "retry", "start_time": "2027-01-01T00:00:00Z",
 "regions": [{"region": "us-east-1", "servers": [
   {"id": "s-0000000000000a001", "hostname": "app-1", "tags": {"Tier": "app"}},
   {"id": "s-0000000000000a002", "hostname": "app-2", "tags": {"Tier": "app"}},
   {"id": "s-0000000000000a003", "hostname": "app-3", "tags": {"Tier": "app"}},
   {"id": "s-0000000000000d001", "hostname": "db-1", "tags": {"Tier": "db"}},
   {"id": "s-0000000000000e001", "hostname": "web-1", "tags": {"Tier": "web"}, "ssm_agent": false}]}],
 "timing": {"job_start": "5s", "snapshot": "30s", "conversion": "1m", "launch": "30s", "boot": "30s", "ssm_ready": "30s"},
 "failures": {"launch": [{"server": "s-0000000000000a002", "probability": 0.5, "reason": "InsufficientInstanceCapacity"}]}}
JSON
cat >"$TMP/retry.lua" <<'LUA'
return plan {
  name = "retry", region = "us-east-1",
  waves = {
    wave "db" { servers = tags { Tier = "db" } },
    wave "app" { depends_on = { "db" }, servers = tags { Tier = "app" }, on_failure = "retry(3)",
                 approval = "Is the database consistent?" },
  },
}
LUA

# Seed 3 fails app-2's first launch (probability 0.5): the retry relaunches that one server.
out=$("$DRSORCH" run "$TMP/retry.lua" --mode drill --sim "$TMP/retry.json" --seed 3 --approve-all --db "$TMP/p.db" </dev/null 2>&1); rc=$?
expect_eq "$rc" 0 "retried drill exit"
expect_match "$out" 'created: 2 waves \(execution' "plural waves"
expect_match "$out" 'wave db: launching 1 server$' "singular server"
expect_match "$out" 'wave app: launching 3 servers' "the first launch"
expect_match "$out" 'server s-0000000000000a002 \(app-2\) in wave app: launch FAILED: LAUNCH_FAILED reported by DRS' "the failed launch says why"
expect_match "$out" 'wave app: relaunching 1 of 3 servers \(attempt 2\)' "a retry says how many it relaunches"
expect_eq "$(printf '%s\n' "$out" | grep -c 'wave app: ready')" 1 "a gated wave is ready once"
# The lines keep the order things happened in: the gate is asked, opened, then the wave launches.
order=$(printf '%s\n' "$out" | grep -nE 'wave db: completed|wave app: ready|wave app: waits for approval|wave app: approved|wave app: launching' | cut -d: -f1 | tr '\n' ' ')
expect_eq "$(node -e 'const a=process.argv[1].trim().split(" ").map(Number);process.stdout.write(String(a.length===5&&a.every((v,i)=>!i||v>a[i-1])))' "$order")" true "events in order: $order"

# An SSM agent that never comes online is named, instance and server.
cat >"$TMP/ssm.lua" <<'LUA'
return plan {
  name = "ssm", region = "us-east-1",
  waves = {
    wave "web" { servers = tags { Tier = "web" },
      after = function(w) local r, err = w:ssm_run { commands = { "true" }, timeout = "3m" }; w:assert(r ~= nil, err) end },
  },
}
LUA
out=$("$DRSORCH" run "$TMP/ssm.lua" --mode drill --sim "$TMP/retry.json" --db "$TMP/p.db" </dev/null 2>&1); rc=$?
expect_eq "$rc" 1 "drill without an SSM agent exit"
expect_match "$out" 'hook web/after: FAILED: .*no SSM agent online on i-[0-9a-f]+ \(web-1\) \(0 of 1 target instance online\); gave up waiting' "the instance without an agent is named"

# w:approve with nobody to ask and no --approve-all: cancelled, and the record says why.
cat >"$TMP/ask.lua" <<'LUA'
return plan {
  name = "ask", region = "us-east-1",
  waves = { wave "db" { servers = tags { Tier = "db" }, after = function(w) w:approve("Promote the replica?") end } },
}
LUA
out=$("$DRSORCH" run "$TMP/ask.lua" --mode drill --sim "$TMP/retry.json" --db "$TMP/p.db" </dev/null 2>&1); rc=$?
expect_eq "$rc" 1 "w:approve without a terminal exit"
expect_match "$out" 'a hook of wave db asked for approval \(w:approve\) and there is no terminal to ask: run on a terminal, or pass --approve-all: cancelling' "why it is cancelled"
expect_match "$out" 'execution ended CANCELLED after [0-9hms]+: cancelled by cli:[^:]+: a hook of wave db asked for approval \(w:approve\) and there is no terminal to ask' "the end reason says why"
expect_eq "$(printf '%s\n' "$out" | grep -c 'cancelled by an operator')" 0 "not 'cancelled by an operator'"

finish
