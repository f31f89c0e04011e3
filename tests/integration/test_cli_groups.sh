#!/usr/bin/env bash
# `drsorch groups import` and `list`: groups by tags or ids with launch overrides, updates by name, and
# every kind of mistake in the file reported with its JSON path, with nothing written. Checked with node.
source "$(dirname "$0")/lib.sh"

DB="$TMP/groups.db"
cat >"$TMP/groups.json" <<'JSON'
[
  {"name": "orders-db", "account": "111122223333", "region": "us-east-1", "tags": {"App": "orders", "Tier": "db"}},
  {"name": "orders-web", "account": "111122223333", "region": "us-east-1",
   "server_ids": ["s-0000000000000e001", "s-0000000000000e002"], "launch_overrides": {"copyPrivateIp": true}}
]
JSON
out=$("$DRSORCH" groups import "$TMP/groups.json" --db "$DB"); rc=$?
expect_eq "$rc" 0 "import exit"
expect_eq "$out" "2 group(s) imported from $TMP/groups.json: 2 created, 0 updated" "import summary"
out=$("$DRSORCH" groups import "$TMP/groups.json" --db "$DB"); rc=$?
expect_eq "$out" "2 group(s) imported from $TMP/groups.json: 0 created, 2 updated" "existing names are updated"
out=$("$DRSORCH" groups list --db "$DB"); rc=$?
expect_eq "$rc" 0 "list exit"
expect_eq "$(printf '%s\n' "$out" | sed -n 2p | tr -s ' ')" "orders-db 111122223333 us-east-1 tags App=orders,Tier=db" "list by tags"
expect_eq "$(printf '%s\n' "$out" | sed -n 3p | tr -s ' ')" "orders-web 111122223333 us-east-1 2 servers (launch overrides)" "list by ids"
json=$("$DRSORCH" groups list --db "$DB" --json)
expect_eq "$(json_get "$json" 1.server_ids.1)" s-0000000000000e002 "JSON server ids"
expect_eq "$(json_get "$json" 1.launch_overrides.copyPrivateIp)" true "JSON launch overrides"
expect_eq "$(json_get "$json" 0.tags.Tier)" db "JSON tags"

# Mistakes: a line each, FILE: PATH: message, then how many there were; exit 1.
bad() {
  local what=$1 content=$2 want=$3
  printf '%s\n' "$content" >"$TMP/bad.json"
  out=$("$DRSORCH" groups import "$TMP/bad.json" --db "$DB" 2>&1); rc=$?
  expect_eq "$rc" 1 "$what exit"
  expect_eq "$(printf '%s\n' "$out" | head -1)" "drsorch: $TMP/bad.json: $want" "$what message"
}
G='"account": "111122223333", "region": "us-east-1"'
bad "wrong type in a list" "[{\"name\": \"x\", $G, \"server_ids\": [\"s-0000000000000e009\", 7]}]" '[0].server_ids[1]: expected string, got number'
bad "unknown key" "[{\"name\": \"x\", \"acount\": \"1\", \"region\": \"us-east-1\", \"tags\": {\"a\": \"b\"}}]" "[0].acount: unknown key; did you mean 'account'?"
bad "bad account" "[{\"name\": \"x\", \"account\": \"1111\", \"region\": \"us-east-1\", \"tags\": {\"a\": \"b\"}}]" '[0].account: must be a 12-digit AWS account id'
bad "missing name" "[{$G, \"tags\": {\"a\": \"b\"}}]" '[0].name: required field is missing'
bad "bad server id in the second item" "[{\"name\": \"x\", $G, \"tags\": {\"a\": \"b\"}}, {\"name\": \"y\", $G, \"server_ids\": [\"web-1\"]}]" "[1].server_ids[0]: 'web-1' is not a DRS source server id (s- and 17 hex digits)"
bad "no selector" "[{\"name\": \"x\", $G}]" '[0]: needs server_ids or tags'
bad "two selectors" "[{\"name\": \"x\", $G, \"tags\": {\"a\": \"b\"}, \"server_ids\": [\"s-0000000000000e009\"]}]" '[0]: has both server_ids and tags; give one'
bad "duplicate names" "[{\"name\": \"x\", $G, \"tags\": {\"a\": \"b\"}}, {\"name\": \"x\", $G, \"tags\": {\"a\": \"c\"}}]" "[1].name: 'x' is also the name of [0]"
bad "tag value type" "[{\"name\": \"x\", $G, \"tags\": {\"a\": 1}}]" '[0].tags.a: expected string, got number'
bad "not an array" '{"name": "x"}' 'a JSON array of groups is expected: expected array, got object'
bad "malformed JSON" '[{"name": }]' 'line 1, column 11: unexpected token near '"'"'}'"'"''
bad "server in another group" "[{\"name\": \"x\", $G, \"server_ids\": [\"s-0000000000000e001\"]}]" "[0].server_ids[0]: server s-0000000000000e001 (111122223333, us-east-1) is already in protection group 'orders-web'"
# Every problem of a file at once, each with its path, then the count; nothing written.
cat >"$TMP/bad.json" <<JSON
[{"name": "a", "acount": "111122223333", "region": "us-east-1", "tags": {"A": "b"}},
 {"name": "b", "account": "1111", "region": "us-east-1", "server_ids": ["web-1"]},
 {"name": "a", "account": "111122223333", "region": "mars", "tags": {"A": "b"}}]
JSON
out=$("$DRSORCH" groups import "$TMP/bad.json" --db "$DB" 2>&1); rc=$?
expect_eq "$rc" 1 "several problems exit"
expect_eq "$out" "drsorch: $TMP/bad.json: [0].acount: unknown key; did you mean 'account'?
drsorch: $TMP/bad.json: [0].account: required field is missing
drsorch: $TMP/bad.json: [1].account: must be a 12-digit AWS account id
drsorch: $TMP/bad.json: [1].server_ids[0]: 'web-1' is not a DRS source server id (s- and 17 hex digits)
drsorch: $TMP/bad.json: [2].region: 'mars' is not an AWS region name (e.g. us-east-1)
drsorch: $TMP/bad.json: [2].name: 'a' is also the name of [0]
drsorch: $TMP/bad.json: 6 problems (each above): nothing was imported" "every problem reported"
# Nothing was written by any of them.
expect_eq "$("$DRSORCH" groups list --db "$DB" | wc -l)" 3 "failed imports wrote nothing"

"$DRSORCH" groups --db "$DB" >/dev/null 2>&1; expect_eq $? 2 "no subcommand"
"$DRSORCH" groups import --db "$DB" >/dev/null 2>&1; expect_eq $? 2 "import without a file"
"$DRSORCH" groups list extra --db "$DB" >/dev/null 2>&1; expect_eq $? 2 "list with an argument"
out=$("$DRSORCH" groups import "$TMP/none.json" --db "$DB" 2>&1); rc=$?
expect_eq "$rc" 1 "missing file exit"
expect_eq "$out" "drsorch: $TMP/none.json: cannot open: No such file or directory" "missing file message"
# Listing a mistyped store: said, and no store (nor directory) is made.
out=$("$DRSORCH" groups list --db "$TMP/typo/groups.db" 2>&1); rc=$?
expect_eq "$rc" 1 "list of a missing store exit"
expect_match "$out" "typo/groups.db: no store here" "list of a missing store message"
expect_eq "$(ls -d "$TMP/typo" 2>/dev/null)" "" "no directory made for a mistyped --db"

finish
