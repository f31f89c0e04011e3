/* orch_exec_report: an execution's report: outcome, RTO per server, wave and execution against the
 * plan's target, each server's fate, the timeline of its journal and the hook results; as JSON (the API
 * and `drsorch executions report --json`) and as a text summary for terminals. A pure function of the
 * state and the journal. Uses orch_exec_state, orch_store (events), orch_time, orch_buf. */
#ifndef ORCH_EXEC_REPORT_H
#define ORCH_EXEC_REPORT_H

#include <jansson.h>

#include "core/orch_buf.h"
#include "core/orch_error.h"
#include "exec/orch_exec_state.h"
#include "store/orch_store.h"

/* `events` (may be NULL) adds the timeline and hook results. Caller owns the result; NULL when out of
 * memory. */
json_t *orch_exec_report_json(const struct orch_exec_state *st, const struct orch_store_event_list *events);
/* The text summary of a report made by orch_exec_report_json. */
int orch_exec_report_text(const json_t *report, struct orch_buf *out) ORCH_MUST_CHECK;

/* Fold a stored journal into a state (as the engine does on resume): for reports of finished runs. */
int orch_exec_state_from_events(struct orch_exec_state *st, const struct orch_store_event_list *events,
                                struct orch_error *err) ORCH_MUST_CHECK;

#endif
