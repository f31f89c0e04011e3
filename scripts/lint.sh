#!/usr/bin/env bash
# `make lint`: banned functions, then cppcheck over engine/. Exits non-zero on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
# Banned: unbounded or error-blind libc calls (see CONTRIBUTING.md). Word-boundary match on a call.
banned='\b(sprintf|vsprintf|strcpy|strcat|strtok|atoi|atol|atoll|gets)[[:space:]]*\('
if grep -rnE "$banned" engine tests bench --include='*.c' --include='*.h' | grep -vE '^\S+:[0-9]+:\s*(//|/?\*)'; then
  echo "lint: banned function used (use orch_buf, snprintf, orch_str_to_ll, strtok_r-free splitting)" >&2
  status=1
fi
cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,portability,performance \
  --inline-suppr --suppress=missingIncludeSystem --include=scripts/cppcheck-defs.h -I engine engine || status=1
exit $status
