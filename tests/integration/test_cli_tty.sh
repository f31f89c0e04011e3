#!/usr/bin/env bash
# `drsorch run` on a terminal (a pseudo-terminal from util-linux `script`): bars redrawn in place with ANSI
# escapes, the engine's log records printed above the bars instead of through them, an 80-column terminal
# keeping every time, the approval prompt answered y (the gate opens, exit 0) or n (the drill is cancelled,
# exit 1), a prompt that gives up by itself when its gate timed out, waves without counts before the
# preflight resolved their servers, and a recovery against AWS confirmed only after naming the account,
# region and endpoint. Times that must pass are moved by hand on a standalone simulator whose clock stands
# still (speed 0), which the run follows. Needs `script` (bsdutils, installed by scripts/install-deps.sh);
# without it the test reports as skipped.
source "$(dirname "$0")/lib.sh"

command -v script >/dev/null || skip_test "no 'script' command (Debian package bsdutils) for a pseudo-terminal"
SCEN="$ORCH_SOURCE_DIR/plans/scenarios/three-tier-demo.json"
clean_aws_env
export TERM=xterm
cat >"$TMP/gated.lua" <<'LUA'
return plan {
  name = "gated", region = "us-east-1", rto_target = "1h",
  notify = { sns = "arn:aws:sns:us-east-1:111122223333:not-a-topic" },
  waves = {
    wave "database" { servers = tags { App = "orders", Tier = "db" } },
    wave "app" { depends_on = { "database" }, servers = tags { App = "orders", Tier = "app" }, approval = "Is the database consistent?" },
  },
}
LUA

# on_tty PROMPT ANSWER LOGFILE ARGS...: run drsorch on a pseudo-terminal of 80 columns and type ANSWER once
# PROMPT (a fixed string) shows in the session log ("" types nothing); sets rc. A run that hangs is stopped
# after 120 s (rc 124), which fails the test.
on_tty() {
  local prompt=$1 answer=$2 log=$3; shift 3
  local cmd
  printf -v cmd '%q ' "$DRSORCH" "$@"
  : >"$log"
  exec 3< <(exec 2>/dev/null
            if [ -n "$answer" ]; then
              for _ in $(seq 1 600); do grep -qF -- "$prompt" "$log" && break; sleep 0.05; done
              printf '%s\n' "$answer"
            fi
            exec sleep 120)
  local feeder=$!
  timeout 120 script -qfec "stty cols 80 rows 40; exec $cmd" "$log" <&3 >/dev/null 2>&1; rc=$?
  exec 3<&-
  kill "$feeder" 2>/dev/null
}
clean() { sed -e 's/\x1b\[[0-9]*[AJ]//g' -e 's/\r//g' "$1"; }

on_tty "[y/N]" y "$TMP/yes.log" run "$TMP/gated.lua" --mode drill --sim "$SCEN" --db "$TMP/tty.db"
expect_eq "$rc" 0 "approved drill exit"
expect_match "$(cat "$TMP/yes.log")" $'\x1b\\[[0-9]+A\x1b\\[J' "bars redrawn in place"
expect_match "$(clean "$TMP/yes.log")" 'wave app asks: Is the database consistent\?' "gate prompt text"
expect_match "$(clean "$TMP/yes.log")" 'approve wave app\? \[y/N\] y' "y/N prompt"
expect_match "$(clean "$TMP/yes.log")" 'wave app: approved by cli:' "approved by the operator"
expect_match "$(clean "$TMP/yes.log")" '  app +\[#+\] COMPLETED +8/8 +launched +[0-9]+m[0-9]+s$' "final bar, with its time, on 80 columns"
expect_match "$(clean "$TMP/yes.log")" '  database +\[#+\] COMPLETED +4/4 +launched +[0-9]+m[0-9]+s$' "every bar keeps its time"
expect_eq "$(clean "$TMP/yes.log" | grep -E '^  [a-z]+ +\[' | awk 'length($0) > 79' | wc -l)" 0 "no bar line is wider than the terminal"
# Simulated time stands still while the operator is asked: the wave's time is its launch, not the wait.
expect_eq "$(clean "$TMP/yes.log" | grep -cE '^  app +\[.*AWAITING_APPROVAL.* [0-9]+h')" 0 "no simulated hours pass at the prompt"
expect_match "$(clean "$TMP/yes.log")" 'of gated v1: CLEANED  took [0-9hms]+ of an RTO target of 1h' "final header"
expect_match "$(clean "$TMP/yes.log")" 'outcome: COMPLETED, recovery instances cleaned up' "report after the bars"
# The engine's warnings (a notification topic that does not exist) are printed above the bars: never right
# after the bars' footer, where the next redraw would erase the wrong lines.
expect_match "$(clean "$TMP/yes.log")" "warn +execution [0-9a-f-]+: notification 'execution_started' not sent" "the warning is shown"
FOOTER='(Ctrl-C cancels; a drill cleans up first)'
torn=$(node -e 'const t=require("fs").readFileSync(process.argv[1],"latin1");const f=process.argv[2];let n=0,i=0;
  while((i=t.indexOf(f,i))>=0){i+=f.length;const rest=t.slice(i).replace(/^\r?\n/,"");if(rest.length&&!rest.startsWith("\r\x1b[")&&!rest.startsWith("wave ")&&!rest.startsWith("a hook "))n++;}
  process.stdout.write(String(n))' "$TMP/yes.log" "$FOOTER")
expect_eq "$torn" 0 "nothing is written straight after the bars but a redraw (or the prompt)"

on_tty "[y/N]" n "$TMP/no.log" run "$TMP/gated.lua" --mode drill --sim "$SCEN" --db "$TMP/tty.db"
expect_eq "$rc" 1 "refused gate exit"
expect_match "$(clean "$TMP/no.log")" 'wave app not approved: cancelling' "refusal cancels"
expect_match "$(clean "$TMP/no.log")" 'outcome: CANCELLED, recovery instances cleaned up' "cancelled drill cleaned up"

# A standalone simulator whose clock stands still, so a gate times out only when the test moves the clock;
# its DescribeSourceServers is slow (3 s of latency, real time on a still clock), so frames are drawn while
# the preflight resolves the servers.
export AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=AKIASIMULATOREXAMPLE AWS_SECRET_ACCESS_KEY=simulator/secret/EXAMPLEKEY
node -e 'const s=JSON.parse(require("fs").readFileSync(process.argv[1]));s.latency={"drs:DescribeSourceServers":"3s"};require("fs").writeFileSync(process.argv[2],JSON.stringify(s))' "$SCEN" "$TMP/slow.json"
start_sim "$TMP/sim.log" --scenario "$TMP/slow.json" --speed 0 || exit 1
cat >"$TMP/timeout.lua" <<'LUA'
return plan {
  name = "timeout", region = "us-east-1",
  waves = { wave "app" { servers = tags { App = "orders", Tier = "app" }, approval = { message = "Go?", timeout = "10m" } } },
}
LUA
advance() { curl -sf -X POST "$URL/_sim/clock" -d "{\"advance\": \"$1\"}" >/dev/null; }
wait_log() { for _ in $(seq 1 1200); do clean "$1" | grep -qE -- "$2" && return 0; sleep 0.05; done; return 1; }
# Once the prompt is shown, the clock moves past the gate's time-out.
( wait_log "$TMP/timeout.log" '\[y/N\]' && advance 1h ) &
driver=$!
on_tty "" "" "$TMP/timeout.log" run "$TMP/timeout.lua" --mode drill --endpoint-url "$URL" --db "$TMP/timeout.db"
wait "$driver"
expect_eq "$rc" 1 "a gate that timed out at the prompt: the drill fails and the process exits"
expect_match "$(clean "$TMP/timeout.log")" 'approve wave app\? \[y/N\] ' "the prompt was shown"
expect_match "$(clean "$TMP/timeout.log")" '\(no longer waiting for this approval: wave app FAILED: [^)]*' "the prompt gives up by itself"
expect_match "$(clean "$TMP/timeout.log")" 'of timeout v1: PREFLIGHT.*' "a frame drawn during the preflight"
expect_match "$(clean "$TMP/timeout.log" | grep -A1 'of timeout v1: PREFLIGHT' | tail -1)" '^  app +\[\.+\] PENDING +-/- ' "no counts before the servers are resolved"
expect_eq "$(clean "$TMP/timeout.log" | grep -c ' 0/0 ')" 0 "never 0/0"

# A recovery against AWS (here: the simulator at its URL) names the account, region and endpoint, and starts
# only when the plan's name is typed.
on_tty "to confirm:" wrong-name "$TMP/rec.log" run "$TMP/gated.lua" --mode recovery --endpoint-url "$URL" --db "$TMP/tty.db"
expect_eq "$rc" 1 "unconfirmed recovery exit"
expect_match "$(clean "$TMP/rec.log" | tr -d '\n')" "RECOVERY of plan 'gated' in AWS account 111122223333, region us-east-1, through $URL" "the confirmation says where"
expect_match "$(clean "$TMP/rec.log")" "Type the plan name to confirm: wrong-name" "confirmation prompt"
expect_match "$(clean "$TMP/rec.log")" "not confirmed \('wrong-name' is not 'gated'\): nothing was started" "not confirmed"
expect_eq "$("$DRSORCH" executions list --db "$TMP/tty.db" --json | node -e 'process.stdout.write(String(JSON.parse(require("fs").readFileSync(0)).filter(x=>x.mode==="recovery").length))')" 0 "no recovery was started"

finish
