#!/usr/bin/env bash
# aws.sdk_crosscheck: the AWS SDK for JavaScript v3 against orch_aws_proto. Runs test_proto_roundtrip
# (ROUNDTRIP_BIN) to write its exchanges into a fresh folder, then engine/aws/tools/sdk_crosscheck.mjs feeds
# them to the SDK clients. Exit 77 (skipped) without node.
set -euo pipefail
cd "$(dirname "$0")"
: "${ROUNDTRIP_BIN:?ROUNDTRIP_BIN must name the test_proto_roundtrip binary}"
. ./npm_ready.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! ORCH_BINARY_DIR="$work" "$ROUNDTRIP_BIN" --jobs 1 >"$work/roundtrip.log" 2>&1; then
  cat "$work/roundtrip.log" >&2
  echo "crosscheck: test_proto_roundtrip failed; no exchanges to check" >&2
  exit 1
fi
exec node ../../engine/aws/tools/sdk_crosscheck.mjs "$work/aws-fixtures" .
