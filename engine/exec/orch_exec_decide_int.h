/* orch_exec_decide_int: what decide's files share: one decide call's context, the helpers that record an
 * event (applying it at once), ask for an effect or a wake-up, and the entry points of each part:
 * the execution's lifecycle and commands (decide_run), waves and launches (decide_wave), DRS jobs and
 * instances (decide_jobs), drill clean-up (decide_cleanup), hooks (decide_hooks) and w:ssm_run
 * (decide_ssm). Pure like decide itself. Not for use outside orch_exec_decide*.c. Uses orch_exec_decide. */
#ifndef ORCH_EXEC_DECIDE_INT_H
#define ORCH_EXEC_DECIDE_INT_H

#include "exec/orch_exec_decide.h"

struct dctx {
  struct orch_exec_state *st;
  struct orch_exec_inflight *fl;
  const struct orch_exec_env *env;
  int64_t now;
  struct orch_exec_decision *out;
  int rc; /* sticky: the reducer refused an event, or memory ran out */
  struct orch_error *err;
};

/* Record event `type` (takes `data`; NULL data is out of memory): applied to the state now, persisted by
 * the caller. false once anything failed (sticky): the caller stops deciding. */
bool d_event(struct dctx *d, const char *type, json_t *data);
/* A list too long for one event: events of `type` carrying `base` (copied) plus `key` = a slice of
 * `items`, each at most ORCH_EXEC_EVENT_ITEMS_MAX items and about ORCH_EXEC_EVENT_BYTES_MAX bytes; the
 * last one gets "final": true. Takes `base`; borrows `items`. */
bool d_event_chunks(struct dctx *d, const char *type, json_t *base, const char *key, const json_t *items);
/* Ask for an effect (takes `input`); NULL when out of memory (sticky). */
struct orch_exec_effect *d_effect(struct dctx *d, enum orch_exec_purpose p, const char *key, const char *account,
                                  const char *region, const char *service, const char *op, json_t *input);
void d_wake(struct dctx *d, int64_t at_ms);
void d_note(struct dctx *d, const char *level, const char *fmt, ...) ORCH_PRINTF(3, 4);
bool d_oom(struct dctx *d);
const char *d_account(const struct dctx *d, const char *account);
const char *d_region(const struct dctx *d, const char *region);
/* Room for per-job / per-chunk / per-notice / per-hook bookkeeping as the state grows. */
bool d_reserve(struct dctx *d);
/* Clean-up chunks whose TERMINATE job may exist unseen (sent and unanswered, or unclear): counted against
 * the DRS job quotas like jobs. */
void d_terms_unanswered(const struct dctx *d, int *jobs, int *servers);
/* Text of an answer's failure ("Code: message" or the transport's message). */
void d_answer_error(const struct orch_exec_answer *a, char *out, size_t n);
/* An answer that proves the request was refused (so it created nothing): a 4xx that is not throttling. */
bool d_refused(const struct orch_exec_answer *a);
/* A failure that may pass (throttling, 5xx, time-out, connection). */
bool d_passing(const struct orch_exec_answer *a);
/* An SNS notification of `kind` ("wave_failed"...) to every topic the plan names and its events allow. */
void d_notify(struct dctx *d, const char *kind, const char *subject, const char *fmt, ...) ORCH_PRINTF(4, 5);
/* The admission queue key of wave w. */
void d_waiter(const struct dctx *d, size_t w, char *out, size_t n);
/* The state's servers of wave w. */
size_t d_wave_servers(const struct orch_exec_state *st, size_t w, size_t *failed);

/* decide_run: commands, preflight, the execution's verdict. */
void d_command(struct dctx *d, const struct orch_exec_command_in *c);
bool d_step_execution(struct dctx *d);
void d_preflight_answer(struct dctx *d, const struct orch_exec_answer *a);
bool d_end(struct dctx *d, const char *status, const char *reason);

/* decide_wave */
bool d_step_waves(struct dctx *d, bool *progressed);
bool d_wave_complete(struct dctx *d, size_t w, const char *status, const char *reason);
void d_prepare_answer(struct dctx *d, const struct orch_exec_answer *a);
bool d_approvers_allow(const struct orch_exec_wave *wv, const char *by, const char *role);

/* decide_jobs */
bool d_step_jobs(struct dctx *d);
void d_jobs_answer(struct dctx *d, const struct orch_exec_answer *a);

/* decide_cleanup */
bool d_step_cleanup(struct dctx *d);
void d_cleanup_answer(struct dctx *d, const struct orch_exec_answer *a);

/* decide_hooks */
bool d_hook_start(struct dctx *d, long wave, int kind);
bool d_step_hooks(struct dctx *d);
void d_hook_output(struct dctx *d, const struct orch_exec_hook_out *h);
void d_hook_answer(struct dctx *d, const struct orch_exec_answer *a);
/* An operator's approval for a hook waiting in w:approve on wave w: true when one waited. */
bool d_hook_approve(struct dctx *d, long w, const char *by);
/* Stop the hook of wave w (timeout, cancel): true when one runs. */
bool d_hook_cancel(struct dctx *d, long w, const char *reason);
struct orch_exec_hook_memo *d_hook_memo(struct dctx *d, long wave);
/* Complete the pending host call of a hook: HOOK_RESUME with `result` (taken) or `failure`. */
void d_hook_complete(struct dctx *d, long wave, json_t *result, const struct orch_error *failure);

/* decide_ssm */
void d_ssm_start(struct dctx *d, long wave, const json_t *call);
void d_ssm_answer(struct dctx *d, long wave, const struct orch_exec_answer *a);
void d_ssm_due(struct dctx *d, long wave);

#endif
