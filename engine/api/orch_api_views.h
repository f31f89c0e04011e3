/* orch_api_views: executions as the API shows them, folded from their journals in the store (so an
 * execution another process drives reads the same): the detail body (state, hooks with their output,
 * gates, RTO, outcome), kept per execution with the last seq folded and brought up to date with only
 * the events since (one journal lookup when nothing changed); and how each execution ended, which never
 * changes once known. Bounded: the least recently read entries go. Uses orch_store, orch_exec_state,
 * orch_exec_report, pthreads. */
#ifndef ORCH_API_VIEWS_H
#define ORCH_API_VIEWS_H

#include <jansson.h>
#include <stdbool.h>

#include "core/orch_buf.h"
#include "core/orch_error.h"
#include "exec/orch_exec_state.h"
#include "store/orch_store.h"

#define ORCH_API_VIEWS_MAX 64

struct orch_api_views;

int orch_api_views_new(struct orch_store *store, struct orch_api_views **out) ORCH_MUST_CHECK;
void orch_api_views_free(struct orch_api_views *v);

/* The execution's detail as JSON text (the Execution schema) appended to out. ORCH_ENOTFOUND for an
 * unknown execution; a journal the reducer refuses is ORCH_EVALIDATION. */
int orch_api_view_execution(struct orch_api_views *v, const char *exec_id, struct orch_buf *out,
                            struct orch_error *err) ORCH_MUST_CHECK;

/* Call fn with the execution's folded state (current as of now), under the entry's lock: keep it short. */
int orch_api_view_with(struct orch_api_views *v, const char *exec_id,
                       void (*fn)(void *ctx, const struct orch_exec_state *st), void *ctx, struct orch_error *err)
    ORCH_MUST_CHECK;

/* How execution `exec_id` ended ("COMPLETED", ...) into out; "" while it has not. `store_status` is
 * the store record's status: executions in a status that is not final are answered without a read. */
void orch_api_view_outcome(struct orch_api_views *v, const char *exec_id, enum orch_store_status store_status,
                           char *out, size_t n);

/* How execution `id` ended (ExecutionEnded's status, read from the end of its journal) and when
 * (*ended_ms, may be NULL); "" and 0 while it has not. */
void orch_api_exec_outcome(struct orch_store *store, const char *id, char *out, size_t n, int64_t *ended_ms);

/* An execution read back whole: its journal into *events and folded into *st (initialised here; release
 * both whatever the result), and its outcome (ExecutionEnded's status, "" while it has not ended). What
 * GET .../report and `drsorch executions report` both use. */
int orch_api_exec_fold(struct orch_store *store, const char *id, struct orch_exec_state *st,
                       struct orch_store_event_list *events, char *outcome, size_t n, struct orch_error *err)
    ORCH_MUST_CHECK;
/* The report (orch_exec_report_json) with "outcome" added (null when ""). Caller owns; NULL when out of
 * memory. */
json_t *orch_api_exec_report_json(const struct orch_exec_state *st, const struct orch_store_event_list *events,
                                  const char *outcome);

/* Whether nothing is left to do in the execution (a drill: cleaned up, or its clean-up failed), as the engine
 * decides it (orch_exec_done). */
bool orch_api_exec_finished(const struct orch_exec_state *st);

#endif
