#!/usr/bin/env bash
# Deterministic simulation: `drsorch test` runs on the simulated region's discrete-event clock, so the same
# plan, scenario and seed give the same report (events in the same order, at the same simulated offsets,
# with the same payloads; ids and the wall-clock start aside), whether the machine is idle or both cores
# are busy. Run once idle and once beside two CPU-bound processes, and compared by node; a different seed
# must give a different report (the comparison sees what differs).
source "$(dirname "$0")/lib.sh"

PLAN="$ORCH_SOURCE_DIR/plans/demo/three-tier.lua"
SCEN="$ORCH_SOURCE_DIR/plans/scenarios/three-tier-demo.json"

# The report with times as offsets from its creation and the execution's own ids removed.
normalize() {
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const base = Date.parse(r.created_at);
    const iso = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
    const walk = (v) => {
      if (Array.isArray(v)) return v.map(walk);
      if (v && typeof v === "object") {
        const o = {};
        for (const k of Object.keys(v).sort()) if (k !== "execution_id" && k !== "id" || !/^[0-9a-f-]{36}$/.test(v[k])) o[k] = walk(v[k]);
        return o;
      }
      if (typeof v === "string" && iso.test(v)) return "+" + (Date.parse(v) - base) + "ms";
      return v;
    };
    process.stdout.write(JSON.stringify(walk(r), null, 1));' "$1"
}

run_test() { # SEED OUT
  "$DRSORCH" test "$PLAN" --scenario "$SCEN" --seed "$1" --json </dev/null >"$2" 2>"$2.err"
}

run_test 7 "$TMP/idle.json"; rc=$?
expect_eq "$rc" 0 "idle run passes"
# Two CPU hogs for the second run.
for _ in 1 2; do (while :; do :; done) & PIDS+=($!); done
run_test 7 "$TMP/busy.json"; rc=$?
for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
PIDS=()
expect_eq "$rc" 0 "busy run passes"
normalize "$TMP/idle.json" >"$TMP/idle.norm"
normalize "$TMP/busy.json" >"$TMP/busy.norm"
if diff -u "$TMP/idle.norm" "$TMP/busy.norm" >"$TMP/diff.txt"; then ok; else fail "the same seed gave different reports:"; head -40 "$TMP/diff.txt" >&2; fi
expect_match "$(cat "$TMP/idle.norm")" '"timeline"' "the comparison covers the timeline"
expect_match "$(node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1]));process.stdout.write(String(r.timeline.length))' "$TMP/idle.json")" '^[0-9]{2,}$' "a timeline of events"

run_test 8 "$TMP/other.json"; rc=$?
expect_eq "$rc" 0 "another seed passes"
normalize "$TMP/other.json" >"$TMP/other.norm"
if diff -q "$TMP/idle.norm" "$TMP/other.norm" >/dev/null; then fail "another seed gave the same report: the comparison cannot see differences"; else ok; fi

finish
