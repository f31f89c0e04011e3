/* orch_plan_journal: the record of a hook's host calls, one JSON object per call:
 *   {"seq": 3, "op": "aws", "args_hash": "<sha-256 hex of the canonical arguments>", "result": ...}
 * or "error": {"code": "ETIMEDOUT", "message": "..."} instead of "result"; an entry with neither is a call
 * that was requested but never completed (the engine crashed during it). The engine stores entries in its
 * event journal (HookCallRequested / HookCallCompleted) and hands them back to replay a hook after a
 * restart. Uses jansson, orch_error. */
#ifndef ORCH_PLAN_JOURNAL_H
#define ORCH_PLAN_JOURNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/orch_error.h"

/* A requested entry {seq, op, args_hash}. New reference; NULL when out of memory. */
json_t *orch_plan_journal_entry(uint64_t seq, const char *op, const char *args_hash);
/* Complete `entry` with `result` (stolen; NULL means null) or, when `failure` is set, with its error. */
int orch_plan_journal_complete(json_t *entry, json_t *result, const struct orch_error *failure) ORCH_MUST_CHECK;
bool orch_plan_journal_completed(const json_t *entry);
/* A journal handed back for replay must be an array of entries numbered 1, 2, ... in order. */
int orch_plan_journal_check(const json_t *journal, struct orch_error *err) ORCH_MUST_CHECK;
/* Whether the call (seq, op, args_hash) is the one `recorded`; ORCH_ENONDETERMINISM with what differs. */
int orch_plan_journal_match(const json_t *recorded, uint64_t seq, const char *op, const char *args_hash,
                            struct orch_error *err) ORCH_MUST_CHECK;
/* The error code name of a failed entry ("ETIMEDOUT"), or NULL. */
const char *orch_plan_journal_error_code(const json_t *entry);

#endif
