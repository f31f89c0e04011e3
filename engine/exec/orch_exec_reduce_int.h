/* orch_exec_reduce_int: what the reducer's two files share: reading one event's data with errors that
 * name the event and field. Every handler checks everything first and changes the state only once
 * nothing can fail any more. Not for use outside orch_exec_reduce*.c. Uses orch_exec_state, orch_json. */
#ifndef ORCH_EXEC_REDUCE_INT_H
#define ORCH_EXEC_REDUCE_INT_H

#include "core/orch_json.h"
#include "exec/orch_exec_state.h"

struct rd {
  const struct orch_exec_event *ev;
  char path[96];
  struct orch_error *err;
};

int rd_bad(struct rd *r, const char *fmt, ...) ORCH_PRINTF(2, 3);
/* Optional fields may also be written as null: the same as absent. */
int rd_str(struct rd *r, const char *key, bool required, const char **out);
int rd_int(struct rd *r, const char *key, bool required, long long *out);
/* The wave an event names in "wave", or NULL with *rc saying why. */
struct orch_exec_wave *rd_wave(struct orch_exec_state *st, struct rd *r, int *rc, size_t *idx);
void rd_copy(char *dst, size_t n, const char *src);

/* orch_exec_reduce_jobs.c */
int orch_exec_on_job_requested(struct orch_exec_state *st, struct rd *r);
int orch_exec_on_job_started(struct orch_exec_state *st, struct rd *r);
int orch_exec_on_job_start_failed(struct orch_exec_state *st, struct rd *r);
int orch_exec_on_job_ended(struct orch_exec_state *st, struct rd *r);
int orch_exec_on_server_status(struct orch_exec_state *st, struct rd *r);
int orch_exec_on_terminate_requested(struct orch_exec_state *st, struct rd *r);
int orch_exec_on_terminate_started(struct orch_exec_state *st, struct rd *r);
int orch_exec_on_terminate_failed(struct orch_exec_state *st, struct rd *r);
int orch_exec_on_terminate_ended(struct orch_exec_state *st, struct rd *r);
int orch_exec_on_notification(struct orch_exec_state *st, struct rd *r, const char *type);

#endif
