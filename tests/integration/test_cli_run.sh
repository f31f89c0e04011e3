#!/usr/bin/env bash
# `drsorch run` against the in-process simulated region, driven as a user would without a terminal: a
# drill completes, cleans up and exits 0 with its report and one progress line per event; a dry run
# launches nothing; a plan with problems exits 1 with file:line; refusals (recovery without --yes, gates
# without --approve-all) and usage errors exit 2; `executions list/show/report` read the run back;
# `resume` with nothing unfinished exits 0. Checked with node.
source "$(dirname "$0")/lib.sh"

SCEN="$ORCH_SOURCE_DIR/plans/scenarios/three-tier-demo.json"
DB="$TMP/run.db"
FAST=(--poll 5s)
# No real AWS anywhere: a clean environment and no metadata service.
clean_aws_env

cat >"$TMP/orders.lua" <<'EOF'
return plan {
  name = "orders", region = "us-east-1", rto_target = "45m",
  waves = {
    wave "database" { servers = tags { App = "orders", Tier = "db" } },
    wave "app" { depends_on = { "database" }, servers = tags { App = "orders", Tier = "app" } },
    wave "web" {
      depends_on = { "app" },
      servers = tags { App = "orders", Tier = "web" },
      after = function(w)
        local r, err = w:ssm_run { commands = { "curl -sf http://localhost/health" } }
        w:expect(r ~= nil, "health command ran")
      end,
    },
  },
}
EOF

# A drill: progress lines, the report, exit 0.
out=$("$DRSORCH" run "$TMP/orders.lua" --mode drill --sim "$SCEN" "${FAST[@]}" --db "$DB" </dev/null 2>"$TMP/drill.err"); rc=$?
expect_eq "$rc" 0 "drill exit"
expect_match "$out" '^plan orders version 1 stored; drill against the simulated region at http://127.0.0.1:[0-9]+' "plan stored"
expect_match "$out" '[0-9]{2}:[0-9]{2}:[0-9]{2} \+[0-9hms]+ wave database: launching 4 servers' "timestamped launch line"
expect_match "$out" 'server s-[0-9a-f]{17} \(orders-db-[0-9]+\) in wave database: launched' "server launched line"
expect_match "$out" 'hook web/after: passed' "hook finished line"
expect_match "$out" 'wave web: completed, 12/12 launched' "wave completed line"
expect_match "$out" 'execution ended COMPLETED' "execution ended line"
expect_match "$out" 'clean-up done' "clean-up line"
expect_match "$out" 'drill [0-9a-f-]{36} of orders \(version 1\): CLEANED' "report header"
expect_match "$out" 'outcome: COMPLETED, recovery instances cleaned up' "report outcome"
expect_eq "$(printf '%s\n' "$out" | grep -c $'\x1b')" 0 "no ANSI escapes without a terminal"
expect_eq "$(cat "$TMP/drill.err")" "" "nothing on stderr"
ID=$(printf '%s\n' "$out" | grep -oE 'drill [0-9a-f-]{36} of orders' | cut -d' ' -f2)

# The same source again: no new version. JSON report on stdout, progress on stderr.
json=$("$DRSORCH" run "$TMP/orders.lua" --mode dry-run --sim "$SCEN" "${FAST[@]}" --db "$DB" --json </dev/null 2>"$TMP/dry.err"); rc=$?
expect_eq "$rc" 0 "dry-run exit"
expect_match "$(cat "$TMP/dry.err")" 'plan orders version 1 unchanged; dry-run' "unchanged plan keeps its version"
expect_match "$(cat "$TMP/dry.err")" 'preflight passed: 24 servers in 3 waves' "dry-run preflight line"
expect_eq "$(grep -c 'launching' "$TMP/dry.err")" 0 "dry-run launches no wave"
expect_eq "$(json_get "$json" mode)" dry-run "dry-run report mode"
expect_eq "$(json_get "$json" status)" COMPLETED "dry-run status"
expect_eq "$(json_get "$json" outcome)" COMPLETED "dry-run outcome"
expect_eq "$(json_get "$json" servers_total)" 24 "dry-run resolved the servers"
expect_eq "$(json_get "$json" servers_launched)" 0 "dry-run launched nothing"
expect_eq "$(node -e 'const r=JSON.parse(process.argv[1]);process.stdout.write(String(r.servers.filter(s=>s.status!=="NOT_LAUNCHED"||s.job_id).length))' "$json")" 0 "no server has a job"

# A changed source is a new version.
sed 's/rto_target = "45m"/rto_target = "50m"/' "$TMP/orders.lua" >"$TMP/orders2.lua"
out=$("$DRSORCH" run "$TMP/orders2.lua" --mode dry-run --sim "$SCEN" "${FAST[@]}" --db "$DB" </dev/null 2>&1); rc=$?
expect_eq "$rc" 0 "second version exit"
expect_match "$out" 'plan orders version 2 stored' "changed source is version 2"

# executions list / show / report read the runs back.
out=$("$DRSORCH" executions list --db "$DB"); rc=$?
expect_eq "$rc" 0 "executions list exit"
expect_eq "$(printf '%s\n' "$out" | head -1 | tr -s ' ')" "ID STATUS PLAN MODE STARTED DURATION" "list header"
expect_eq "$(printf '%s\n' "$out" | wc -l)" 4 "three executions listed"
expect_match "$(printf '%s\n' "$out" | tail -1)" "^$ID  CLEANED \(COMPLETED\) +orders v1 +drill +20[0-9-]+T[0-9:]+Z +[0-9hms]+$" "oldest is the drill"
list=$("$DRSORCH" executions list --db "$DB" --json --limit 2)
expect_eq "$(node -e 'process.stdout.write(String(JSON.parse(process.argv[1]).length))' "$list")" 2 "--limit"
expect_eq "$(json_get "$list" 0.plan_version)" 2 "newest first"
expect_eq "$(json_get "$list" 0.mode)" dry-run "newest is the dry run"
state=$("$DRSORCH" executions show "$ID" --db "$DB"); rc=$?
expect_eq "$rc" 0 "executions show exit"
expect_eq "$(json_get "$state" id)" "$ID" "show: id"
expect_eq "$(json_get "$state" status)" CLEANED "show: status"
expect_eq "$(json_get "$state" waves.2.name)" web "show: waves"
expect_eq "$(json_get "$state" waves.2.servers.11.launch_status)" TERMINATED "show: servers (launched, then terminated by the clean-up)"
expect_match "$(json_get "$state" waves.2.servers.11.launched_at)" "^20[0-9][0-9]-" "show: server launch time"
expect_match "$(json_get "$state" waves.2.servers.11.private_ip)" '^10\.20\.' "show: server addresses"
rep=$("$DRSORCH" executions report "${ID:0:13}" --db "$DB" --json); rc=$?
expect_eq "$rc" 0 "report by id prefix exit"
expect_eq "$(json_get "$rep" execution_id)" "$ID" "report: id"
expect_eq "$(json_get "$rep" outcome)" COMPLETED "report: outcome"
expect_eq "$(json_get "$rep" servers_launched)" 24 "report: servers launched"
expect_eq "$(json_get "$rep" rto_met)" true "report: RTO met"
txt=$("$DRSORCH" executions report latest --db "$DB"); rc=$?
expect_eq "$rc" 0 "report latest exit"
expect_match "$txt" '^dry-run [0-9a-f-]{36} of orders \(version 2\): COMPLETED' "report latest is the newest"
out=$("$DRSORCH" executions report 0000abcd --db "$DB" 2>&1); rc=$?
expect_eq "$rc" 1 "unknown execution exit"
expect_eq "$out" "drsorch: no execution id starts with '0000abcd'" "unknown execution message"

# Resume with nothing unfinished.
out=$("$DRSORCH" resume --db "$DB" --sim "$SCEN" </dev/null 2>&1); rc=$?
expect_eq "$rc" 0 "resume with nothing to do exit"
expect_eq "$out" "nothing to resume: every execution in the store has finished" "resume message"

# A plan with problems: validate's file:line:column lines, exit 1, nothing stored.
printf 'return plan {\n  name = "broken",\n  waves = { wave "a" { servers = tags { A = "b" }, depnds_on = {} } },\n}\n' >"$TMP/broken.lua"
out=$("$DRSORCH" run "$TMP/broken.lua" --mode drill --sim "$SCEN" --db "$DB" </dev/null 2>&1); rc=$?
expect_eq "$rc" 1 "plan with problems exit"
expect_match "$out" "^$TMP/broken.lua:3:[0-9]+: error: unknown key 'depnds_on'" "problem with file:line"
expect_match "$out" "did you mean 'depends_on'" "problem hint"
expect_match "$out" "nothing was run" "nothing run"
out=$("$DRSORCH" run "$TMP/missing.lua" --mode drill --sim "$SCEN" --db "$DB" </dev/null 2>&1); rc=$?
expect_eq "$rc" 1 "missing plan exit"
expect_match "$out" "missing.lua: cannot open" "missing plan message"

# Gates without a terminal and without --approve-all: refused before anything starts.
cat >"$TMP/gated.lua" <<'EOF'
return plan {
  name = "gated", region = "us-east-1",
  waves = {
    wave "database" { servers = tags { App = "orders", Tier = "db" } },
    wave "app" { depends_on = { "database" }, servers = tags { App = "orders", Tier = "app" }, approval = "go?" },
  },
}
EOF
out=$("$DRSORCH" run "$TMP/gated.lua" --mode drill --sim "$SCEN" --db "$DB" </dev/null 2>&1); rc=$?
expect_eq "$rc" 2 "gates without a terminal exit"
expect_match "$out" "plan gated has approval gates \(app\) and there is no terminal to ask: pass --approve-all" "gates message"
out=$("$DRSORCH" run "$TMP/gated.lua" --mode drill --sim "$SCEN" "${FAST[@]}" --db "$DB" --approve-all </dev/null 2>&1); rc=$?
expect_eq "$rc" 0 "gates with --approve-all exit"
expect_match "$out" "wave app: approved by --approve-all" "gate opened by --approve-all"

# A recovery against AWS without --yes and without a terminal: refused, nothing contacted.
out=$("$DRSORCH" run "$TMP/orders.lua" --mode recovery --db "$DB" </dev/null 2>&1); rc=$?
expect_eq "$rc" 2 "recovery without --yes exit"
expect_match "$out" "a recovery against AWS must be confirmed: run it on a terminal, or pass --yes" "recovery message"

# AWS without credentials: one line from the credentials chain, exit 1, no execution made.
out=$("$DRSORCH" run "$TMP/orders.lua" --mode dry-run --region us-east-1 --db "$DB" </dev/null 2>&1); rc=$?
expect_eq "$rc" 1 "no credentials exit"
expect_match "$out" "^drsorch: no AWS credentials found; tried: environment" "no credentials message"
expect_eq "$("$DRSORCH" executions list --db "$DB" --json | node -e 'process.stdout.write(String(JSON.parse(require("fs").readFileSync(0)).length))')" 4 "no execution made without credentials"

# Usage errors exit 2 with a usage line.
usage() { local what=$1; shift; out=$("$DRSORCH" "$@" 2>&1 </dev/null); rc=$?; expect_eq "$rc" 2 "$what exit"; expect_match "$out" "Try 'drsorch" "$what hint"; }
usage "no plan" run --mode drill
usage "no mode" run "$TMP/orders.lua"
usage "bad mode" run "$TMP/orders.lua" --mode drll
usage "two plans" run "$TMP/orders.lua" "$TMP/orders2.lua" --mode drill
usage "speed without sim" run "$TMP/orders.lua" --mode drill --speed 10
usage "sim and endpoint" run "$TMP/orders.lua" --mode drill --sim "$SCEN" --endpoint-url http://127.0.0.1:1
usage "bad poll" run "$TMP/orders.lua" --mode drill --poll soon
usage "bad speed" run "$TMP/orders.lua" --mode drill --sim "$SCEN" --speed -1
usage "bad account" run "$TMP/orders.lua" --mode drill --account 123
usage "keep-for outside drills" run "$TMP/orders.lua" --mode dry-run --keep-for 5m
usage "unknown option" run "$TMP/orders.lua" --mode drill --frobnicate
usage "executions without subcommand" executions
usage "executions bad subcommand" executions frob
usage "executions show without id" executions show
usage "resume argument" resume extra
usage "test without scenario" test "$TMP/orders.lua"
grep -q -- '--approve-all' <<<"$("$DRSORCH" run --help)" && ok || fail "run --help"
out=$("$DRSORCH" run "$TMP/orders.lua" --mode drll 2>&1 </dev/null)
expect_eq "$(printf '%s\n' "$out" | head -1)" "drsorch run: --mode must be drill, recovery or dry-run, not 'drll'" "bad mode message"

finish
