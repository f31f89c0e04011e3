#!/usr/bin/env bash
# One process drives an execution (issue 14 #3, #7, #8), against a standalone `drsorch sim`:
# - a second `run` on the same store never resumes (or writes to) an execution a live process drives, and
#   says who drives it; once that process is killed (-9), `resume` takes it over at once (same host, its
#   pid gone);
# - `resume` from another directory finds the plan's modules (recorded absolutely); when they are gone it
#   stops, naming --module-dir, and leaves the execution unfinished; with --module-dir it finishes;
# - `resume` against a region that does not know the execution's jobs (a fresh simulator) reports them
#   and stops instead of waiting for ever.
source "$(dirname "$0")/lib.sh"

SCEN="$ORCH_SOURCE_DIR/plans/scenarios/three-tier-demo.json"
clean_aws_env
export AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=AKIASIMULATOREXAMPLE AWS_SECRET_ACCESS_KEY=simulator/secret/EXAMPLEKEY


# A plan with its own module, whose first wave's hook sleeps long (in simulated time) so the run lives.
mkdir -p "$TMP/plan/lib" "$TMP/elsewhere"
cat >"$TMP/plan/lib/pause.lua" <<'LUA'
local M = {}
function M.hold(w) w:log("holding"); w:sleep("6h") end
return M
LUA
cat >"$TMP/plan/held.lua" <<'LUA'
local pause = require "lib.pause"
return plan {
  name = "held", region = "us-east-1",
  waves = {
    wave "database" { servers = tags { App = "orders", Tier = "db" }, after = pause.hold },
  },
}
LUA
cat >"$TMP/quick.lua" <<'LUA'
return plan { name = "quick", region = "us-east-1", waves = { wave "web" { servers = tags { App = "orders", Tier = "web" } } } }
LUA

start_sim "$TMP/sim.log" --scenario "$SCEN" --speed 60 || exit 1
DB="$TMP/one.db"
(cd "$TMP/plan" && exec "$DRSORCH" run held.lua --mode drill --endpoint-url "$URL" --poll 1s --approve-all --db "$DB" --log-level info </dev/null >"$TMP/a.out" 2>&1) &
A=$!
PIDS+=($A)
if wait_for "$TMP/a.out" 'holding'; then ok; else fail "the first run did not reach its hook"; cat "$TMP/a.out" >&2; fi
ID=$("$DRSORCH" executions list --db "$DB" --json | node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0))[0].id)')
seq_before=$("$DRSORCH" executions show "$ID" --db "$DB" | node -e 'process.stdout.write(String(JSON.parse(require("fs").readFileSync(0)).seq))')

# A second run on the same store: it runs its own plan and leaves the first one's execution alone.
out=$("$DRSORCH" run "$TMP/quick.lua" --mode drill --sim "$SCEN" --approve-all --db "$DB" --log-level info </dev/null 2>&1); rc=$?
expect_eq "$rc" 0 "the second run finishes its own drill"
expect_match "$out" "$ID.*driven by another process \(pid $A on " "it says who drives the first execution"
seq_after=$("$DRSORCH" executions show "$ID" --db "$DB" | node -e 'process.stdout.write(String(JSON.parse(require("fs").readFileSync(0)).seq))')
kill -0 "$A" 2>/dev/null && ok || fail "the first run is still alive"
expect_match "$(cat "$TMP/a.out")" 'holding' "the first run kept its execution"
[ "$seq_after" -ge "$seq_before" ] && ok || fail "journal went backwards"
expect_eq "$(grep -c 'another writer' "$TMP/a.out")" 0 "the first run never met another writer"

# Kill -9 the first run: resume, from another directory, takes it over at once and finds its module.
kill -9 "$A"; wait "$A" 2>/dev/null
(cd "$TMP/elsewhere" && exec "$DRSORCH" resume --endpoint-url "$URL" --poll 1s --approve-all --db "$DB" --log-level info </dev/null >"$TMP/b.out" 2>&1) &
B=$!
PIDS+=($B)
if wait_for "$TMP/b.out" 'is gone: taking it over' 30; then ok; else fail "resume did not take the dead run's execution over"; cat "$TMP/b.out" >&2; fi
if wait_for "$TMP/b.out" "replaying hook database/after" 30; then ok; else fail "the hook was not replayed"; cat "$TMP/b.out" >&2; fi
kill -0 "$B" 2>/dev/null && ok || { fail "resume stopped early"; cat "$TMP/b.out" >&2; }
expect_eq "$(grep -c 'not where the execution recorded them' "$TMP/b.out")" 0 "modules found from another directory"
kill -9 "$B"; wait "$B" 2>/dev/null

# The modules gone: resume stops, naming --module-dir; the execution stays unfinished.
mv "$TMP/plan/lib" "$TMP/lib-moved"
out=$(cd "$TMP/elsewhere" && timeout -k 5 120 "$DRSORCH" resume --endpoint-url "$URL" --poll 1s --approve-all --db "$DB" </dev/null 2>&1); rc=$?
expect_eq "$rc" 1 "resume without the modules exit"
expect_match "$out" '--module-dir' "names --module-dir"
expect_eq "$("$DRSORCH" executions list --db "$DB" --json | node -e 'const l=JSON.parse(require("fs").readFileSync(0));process.stdout.write(String(l.find(x=>x.id===process.argv[1]).finished))' "$ID")" false "left unfinished"
mkdir -p "$TMP/mods" && mv "$TMP/lib-moved" "$TMP/mods/lib"
(cd "$TMP/elsewhere" && exec "$DRSORCH" resume --endpoint-url "$URL" --poll 1s --approve-all --db "$DB" --module-dir "$TMP/mods" --log-level info </dev/null >"$TMP/d.out" 2>&1) &
D=$!
PIDS+=($D)
if wait_for "$TMP/d.out" "replaying hook database/after" 60; then ok; else fail "with --module-dir the hook runs again"; cat "$TMP/d.out" >&2; fi
kill -INT "$D"; wait "$D"; rc=$?
expect_eq "$rc" 1 "the resumed drill, cancelled, ends"
expect_match "$(cat "$TMP/d.out")" 'clean-up done' "and is cleaned up"

# A fresh simulator does not know the jobs of an interrupted drill: resume says so and stops.
DB2="$TMP/two.db"
"$DRSORCH" run "$TMP/quick.lua" --mode drill --endpoint-url "$URL" --poll 1s --approve-all --db "$DB2" </dev/null >"$TMP/c.out" 2>&1 &
C=$!
PIDS+=($C)
if wait_for "$TMP/c.out" 'in wave web: launched'; then ok; else fail "the drill did not launch"; cat "$TMP/c.out" >&2; fi
kill -9 "$C"; wait "$C" 2>/dev/null
start_sim "$TMP/sim2.log" --scenario "$SCEN" --speed 60 || exit 1
out=$(timeout -k 5 120 "$DRSORCH" resume --endpoint-url "$URL" --poll 1s --approve-all --db "$DB2" </dev/null 2>&1); rc=$?
expect_eq "$rc" 1 "resume against a region that does not know the jobs exit"
expect_match "$out" 'does not know 1 job\(s\)' "the unknown job is reported"
expect_match "$out" 'resume the execution against the right --region / --endpoint-url' "says what to do"
expect_eq "$("$DRSORCH" executions list --db "$DB2" --json | node -e 'process.stdout.write(String(JSON.parse(require("fs").readFileSync(0))[0].finished))')" false "left unfinished for the right region"

finish
