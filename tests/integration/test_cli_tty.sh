#!/usr/bin/env bash
# `drsorch run` on a terminal (a pseudo-terminal from util-linux `script`): bars redrawn in place with ANSI
# escapes, the approval prompt answered y (the gate opens, exit 0) or n (the drill is cancelled, exit 1),
# and a recovery against AWS refused when the typed plan name does not match. Needs `script` (bsdutils,
# installed by scripts/install-deps.sh); without it the test reports as skipped.
source "$(dirname "$0")/lib.sh"

command -v script >/dev/null || skip_test "no 'script' command (Debian package bsdutils) for a pseudo-terminal"
SCEN="$ORCH_SOURCE_DIR/plans/scenarios/three-tier-demo.json"
clean_aws_env
export TERM=xterm
cat >"$TMP/gated.lua" <<'LUA'
return plan {
  name = "gated", region = "us-east-1", rto_target = "1h",
  waves = {
    wave "database" { servers = tags { App = "orders", Tier = "db" } },
    wave "app" { depends_on = { "database" }, servers = tags { App = "orders", Tier = "app" }, approval = "Is the database consistent?" },
  },
}
LUA

# on_tty PROMPT ANSWER LOGFILE ARGS...: run drsorch on a pseudo-terminal and type ANSWER once PROMPT (a
# fixed string) shows in the session log; sets rc.
on_tty() {
  local prompt=$1 answer=$2 log=$3; shift 3
  local cmd
  printf -v cmd '%q ' "$DRSORCH" "$@"
  : >"$log"
  exec 3< <(exec 2>/dev/null
            for _ in $(seq 1 600); do grep -qF -- "$prompt" "$log" && break; sleep 0.05; done
            printf '%s\n' "$answer"; exec sleep 120)
  local feeder=$!
  script -qfec "$cmd" "$log" <&3 >/dev/null 2>&1; rc=$?
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
expect_match "$(clean "$TMP/yes.log")" '  app +\[#{20}\] COMPLETED +8/8 +launched' "final bar"
expect_match "$(clean "$TMP/yes.log")" 'of gated v1: CLEANED  took [0-9hms]+ of an RTO target of 1h' "final header"
expect_match "$(clean "$TMP/yes.log")" 'outcome: COMPLETED, recovery instances cleaned up' "report after the bars"

on_tty "[y/N]" n "$TMP/no.log" run "$TMP/gated.lua" --mode drill --sim "$SCEN" --db "$TMP/tty.db"
expect_eq "$rc" 1 "refused gate exit"
expect_match "$(clean "$TMP/no.log")" 'wave app not approved: cancelling' "refusal cancels"
expect_match "$(clean "$TMP/no.log")" 'outcome: CANCELLED, recovery instances cleaned up' "cancelled drill cleaned up"

on_tty "to confirm:" wrong-name "$TMP/rec.log" run "$TMP/gated.lua" --mode recovery --region us-east-1 --db "$TMP/tty.db"
expect_eq "$rc" 1 "unconfirmed recovery exit"
expect_match "$(clean "$TMP/rec.log")" "Type the plan name to confirm: wrong-name" "confirmation prompt"
expect_match "$(clean "$TMP/rec.log")" "not confirmed \('wrong-name' is not 'gated'\): nothing was started" "not confirmed"

finish
