/* orch_exec_report_int: what the report's two halves share: the evidence read from an execution's journal
 * (orch_exec_report_journal.c) for the report built from its state (orch_exec_report.c). Private to exec.
 * Uses orch_exec_state, orch_store (events), jansson. */
#ifndef ORCH_EXEC_REPORT_INT_H
#define ORCH_EXEC_REPORT_INT_H

#include <jansson.h>

#include "exec/orch_exec_state.h"
#include "store/orch_store.h"

/* The journal's evidence, as the report's sections (each always present):
 *   "preflight": {ok, passed, failed, warnings, checks: [{name, ok, detail, wave?, server?, warning?}]}
 *                 (every check of the PreflightChecks events; null when the preflight has not run)
 *   "approvals": [{wave, asked_at, opened_at, by, role}]   (each gate as it was asked and opened)
 *   "hook_logs": [{at, wave, hook, level, message, where}]  (w:log and recorded warnings)
 *   "expectations": [{at, wave, hook, op, what, where}]     (every w:expect / w:assert that did not hold)
 *   "server_failures": {server id: [{attempt, job_id, failure, drs_event, drs_error}]}  (each failed launch)
 *   "notifications": [{kind, topic, subject, status, requested_at, message_id, error}]
 *   "hooks": [{wave, hook, ok, error, warnings, at}]
 *   "timeline": [{seq, at, type, ...}]
 * NULL when out of memory. */
json_t *exec_report_journal(const struct orch_exec_state *st, const struct orch_store_event_list *events);

/* ISO-8601 of `ms`, or null for 0. */
json_t *exec_report_ts(int64_t ms);

#endif
