#!/usr/bin/env bash
# `drsorch aws` against the simulator: signed calls through the credentials chain, pagination merged
# or not, @file input, a profile assuming a role in another account with an ExternalId, and the error
# contract (JSON on stderr, exit 1; usage exit 2). Checked with node.
source "$(dirname "$0")/lib.sh"

SCEN="$ORCH_SOURCE_DIR/plans/scenarios/large-1000.json"
"$DRSORCH" sim --scenario "$SCEN" --listen 127.0.0.1:0 >"$TMP/sim.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do
  URL=$(grep -oE 'http://[0-9.]+:[0-9]+' "$TMP/sim.log" | head -1)
  [ -n "$URL" ] && break
  sleep 0.05
done
[ -n "$URL" ] || { echo "simulator did not start:" >&2; cat "$TMP/sim.log" >&2; exit 1; }

# A clean AWS environment: only what each step sets.
for v in $(env | grep -oE '^AWS_[A-Z_]+'); do unset "$v"; done
export HOME="$TMP/home" AWS_EC2_METADATA_DISABLED=true
mkdir -p "$HOME/.aws"
count() { node -e 'const d=JSON.parse(require("fs").readFileSync(0));process.stdout.write(String(d[process.argv[1]].length))' "$1"; }
has_key() { node -e 'const d=JSON.parse(require("fs").readFileSync(0));process.stdout.write(String(process.argv[1] in d))' "$1"; }

# Environment credentials, explicit endpoint.
export AWS_ACCESS_KEY_ID=AKIASIMPRODEXAMPLE01 AWS_SECRET_ACCESS_KEY=sim/prod/secret/EXAMPLEKEY0000000001
out=$("$DRSORCH" aws sts GetCallerIdentity --region us-east-1 --endpoint-url "$URL"); rc=$?
expect_eq "$rc" 0 "GetCallerIdentity exit"
expect_eq "$(json_get "$out" Account)" 111122223333 "caller account"

# Pagination: every page merged by default, one page with --no-paginate.
all=$("$DRSORCH" aws drs DescribeSourceServers '{"maxResults": 40}' --region us-east-1 --endpoint-url "$URL")
expect_eq "$(printf '%s' "$all" | count items)" 250 "all source servers across pages"
expect_eq "$(printf '%s' "$all" | has_key nextToken)" false "no token left after merging"
one=$("$DRSORCH" aws drs DescribeSourceServers '{"maxResults": 40}' --no-paginate --region us-east-1 --endpoint-url "$URL")
expect_eq "$(printf '%s' "$one" | count items)" 40 "one page"
expect_match "$(json_get "$one" nextToken)" '.+' "the page token is kept with --no-paginate"

# Input from a file; the endpoint from the environment; the region from the engine setting.
echo '{"maxResults": 5}' >"$TMP/in.json"
out=$(AWS_ENDPOINT_URL="$URL" "$DRSORCH" aws drs DescribeSourceServers @"$TMP/in.json" --no-paginate --set aws.region=us-west-2)
expect_match "$(json_get "$out" items)" 'arn:aws:drs:us-west-2:111122223333' "region from aws.region, endpoint from AWS_ENDPOINT_URL"

# A profile that assumes a role in another account with an ExternalId.
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
cat >"$HOME/.aws/config" <<CFG
[profile payments]
role_arn = arn:aws:iam::444455556666:role/DRSOrchestratorRole
source_profile = prod
external_id = drsorch-sim
region = us-west-2

[profile wrong-external-id]
role_arn = arn:aws:iam::444455556666:role/DRSOrchestratorRole
source_profile = prod
external_id = guessed
CFG
cat >"$HOME/.aws/credentials" <<CRED
[prod]
aws_access_key_id = AKIASIMPRODEXAMPLE01
aws_secret_access_key = sim/prod/secret/EXAMPLEKEY0000000001
CRED
out=$("$DRSORCH" aws sts GetCallerIdentity --profile payments --endpoint-url "$URL"); rc=$?
expect_eq "$rc" 0 "assume-role profile exit"
expect_eq "$(json_get "$out" Account)" 444455556666 "assumed the role in the other account"
out=$(AWS_PROFILE=payments "$DRSORCH" aws drs DescribeSourceServers '{"maxResults": 3}' --no-paginate --endpoint-url "$URL")
expect_match "$(json_get "$out" items)" 'arn:aws:drs:us-west-2:444455556666' "profile region and role via AWS_PROFILE"
err=$("$DRSORCH" aws sts GetCallerIdentity --profile wrong-external-id --region us-east-1 --endpoint-url "$URL" 2>&1 >/dev/null); rc=$?
expect_eq "$rc" 1 "wrong ExternalId exit"
expect_match "$(json_get "$err" error.message)" 'AssumeRole' "the failing AssumeRole is named"

# Errors: JSON on stderr, exit 1.
err=$("$DRSORCH" aws drs DescribeJob --region us-east-1 --endpoint-url "$URL" 2>&1 >/dev/null); rc=$?
expect_eq "$rc" 1 "unknown operation exit"
expect_eq "$(json_get "$err" error.code)" UnknownOperationException "unknown operation code"
expect_match "$(json_get "$err" error.message)" "did you mean 'DescribeJobs'" "suggestion"
err=$(AWS_ACCESS_KEY_ID=AKIASIMPRODEXAMPLE01 AWS_SECRET_ACCESS_KEY=wrong "$DRSORCH" aws drs DescribeJobs --region us-east-1 --endpoint-url "$URL" 2>&1 >/dev/null); rc=$?
expect_eq "$rc" 1 "bad secret exit"
expect_match "$(json_get "$err" error.code)" 'InvalidSignatureException|SignatureDoesNotMatch' "signature error code"
expect_eq "$(json_get "$err" error.http_status)" 403 "status in the error record"
expect_match "$(json_get "$err" error.request_id)" '.+' "request id in the error record"
err=$("$DRSORCH" aws drs DescribeJobs '{"maxResults": "many"}' --region us-east-1 --endpoint-url "$URL" 2>&1 >/dev/null); rc=$?
expect_eq "$rc" 1 "invalid input exit"
expect_eq "$(json_get "$err" error.code)" ValidationError "validation error code"

# Usage: exit 2.
"$DRSORCH" aws drs >/dev/null 2>&1; expect_eq "$?" 2 "missing operation"
"$DRSORCH" aws drs DescribeJobs '{not json' >/dev/null 2>&1; expect_eq "$?" 2 "malformed JSON input"
"$DRSORCH" aws drs DescribeJobs '[1]' >/dev/null 2>&1; expect_eq "$?" 2 "input not an object"
"$DRSORCH" aws drs DescribeJobs @"$TMP/missing.json" >/dev/null 2>&1; expect_eq "$?" 2 "missing input file"
"$DRSORCH" aws --bogus drs DescribeJobs >/dev/null 2>&1; expect_eq "$?" 2 "unknown option"
grep -q -- '--no-paginate' <<<"$("$DRSORCH" aws --help)" && ok || fail "help lists --no-paginate"

finish
