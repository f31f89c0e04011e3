/* orch_plan_hook: a plan loaded for one execution (the runtime) and its hooks run as coroutines under the
 * scheduler. A hook's host call (w:aws, w:ssm_run, w:sleep, w:approve, w:notify) is journaled and handed
 * to the host through struct orch_plan_host_ops: the host completes it at once or later (then the hook
 * yields until orch_plan_hook_complete + orch_plan_hook_resume). w:log, w:now, w:random, w:expect and
 * w:assert are answered inside this module, journaled the same way. Given the journal of an earlier run,
 * a hook replays from the top: recorded calls return their results without reaching the host, and a call
 * that differs from the record at its position is a non-determinism error naming the plan line.
 * Single-threaded: one runtime is driven by one thread at a time (the scheduler).
 * Uses orch_plan_sandbox, orch_plan_compile, orch_plan_journal, orch_plan_value, orch_id, orch_clock. */
#ifndef ORCH_PLAN_HOOK_H
#define ORCH_PLAN_HOOK_H

#include <jansson.h>
#include <lua.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/orch_error.h"
#include "plan/orch_plan_compile.h"
#include "plan/orch_plan_sandbox.h"

/* Returned by host_ops.call: the call completes later. */
#define ORCH_PLAN_PENDING 1
#define ORCH_PLAN_HOOK_ID_MAX 96

struct orch_plan_hook;
struct orch_plan_runtime;

/* One host call of a hook. Valid until the call completes. */
struct orch_plan_call {
  uint64_t seq;           /* 1-based position in the hook's journal */
  const char *op;         /* "aws", "ssm_run", "sleep", "approve", "notify" */
  const json_t *args;     /* the arguments (docs/plan-language.md lists each op's) */
  const char *args_hash;  /* SHA-256 hex of their canonical JSON */
  const char *where;      /* "plans/orders.lua:42": the plan line making the call */
  bool reissued;          /* the journal holds this request without a result: the engine may adopt the
                             effect it started before a crash instead of starting it again */
};

struct orch_plan_host_ops {
  /* Start a host call. Return 0 with *result set (ownership passes; NULL means JSON null) to complete it
   * now, ORCH_PLAN_PENDING to complete it later with orch_plan_hook_complete, or a negative ORCH_E* with
   * `err` filled to fail it (the hook sees nil, message, code). Must not call back into this hook. */
  int (*call)(void *ctx, struct orch_plan_hook *hook, const struct orch_plan_call *call, json_t **result,
              struct orch_error *err);
  /* Optional: each journal entry as it is requested (with "args") and completed (with "result" or
   * "error"), before the hook acts on it: the engine appends HookCallRequested / HookCallCompleted. */
  void (*journal)(void *ctx, struct orch_plan_hook *hook, const json_t *entry, bool completed);
  /* Optional: w:log lines and recovery-mode expectation warnings ("info", "warn"). Not repeated while a
   * hook replays. NULL: the sandbox's print sink. */
  void (*log)(void *ctx, struct orch_plan_hook *hook, const char *level, const char *where, const char *msg);
};

struct orch_plan_runtime_config {
  struct orch_plan_sandbox_config sandbox; /* limits, clock (also w:now), module source, print sink */
  struct orch_plan_options options;
  const struct orch_plan_host_ops *host;   /* required to run hooks that make host calls */
  void *host_ctx;
};

/* Load and validate `src` in a fresh sandbox for one execution. On a plan with problems returns
 * ORCH_EVALIDATION (and the report through `report` when given). Caller frees both. */
int orch_plan_runtime_new(const struct orch_plan_runtime_config *cfg, const struct orch_plan_source *src,
                          struct orch_plan_runtime **out, struct orch_plan_report **report, struct orch_error *err)
    ORCH_MUST_CHECK;
/* Frees every hook still open, then the state. Accepts NULL. */
void orch_plan_runtime_free(struct orch_plan_runtime *rt);
/* The compiled plan (borrowed). */
const json_t *orch_plan_runtime_plan(const struct orch_plan_runtime *rt);
struct orch_plan_sandbox *orch_plan_runtime_sandbox(struct orch_plan_runtime *rt);

/* "database/after", "database/before", "database/on_failure", or "cleanup" (wave NULL). */
void orch_plan_hook_id(char out[ORCH_PLAN_HOOK_ID_MAX], const char *wave, const char *phase);

/* A hook ready to run. `context` becomes the hook's argument (w or x): an object such as
 * {"name", "mode": "drill"|"recovery", "execution_id", "servers": [{id, hostname, instance_id,
 * private_ip}], "attempt", "phase", "error"}. `journal` (may be NULL) is the record of an earlier run to
 * replay (the hook keeps a reference). ORCH_ENOTFOUND when the plan has no hook `id`. Caller frees (or
 * the runtime does). */
int orch_plan_hook_new(struct orch_plan_runtime *rt, const char *id, const json_t *context, json_t *journal,
                       struct orch_plan_hook **out, struct orch_error *err) ORCH_MUST_CHECK;
void orch_plan_hook_free(struct orch_plan_hook *h);

/* Run until the hook finishes, fails, is killed, or waits for a pending host call. On ERROR and KILLED,
 * `err` has the code (ELUA, ELIMIT, ENONDETERMINISM, ECANCELLED) with "file:line" of the plan as context. */
enum orch_plan_status orch_plan_hook_resume(struct orch_plan_hook *h, struct orch_error *err);
/* The call a YIELDED hook waits for, or NULL. */
const struct orch_plan_call *orch_plan_hook_pending(const struct orch_plan_hook *h);
/* Complete the pending call with `result` (stolen; NULL is JSON null) or, with `failure`, fail it. */
int orch_plan_hook_complete(struct orch_plan_hook *h, json_t *result, const struct orch_error *failure)
    ORCH_MUST_CHECK;
/* Stop a hook now (cancel, hook deadline): its to-be-closed variables are closed, its status becomes
 * KILLED with ORCH_ECANCELLED and `reason`. */
void orch_plan_hook_cancel(struct orch_plan_hook *h, const char *reason);

enum orch_plan_status orch_plan_hook_status(const struct orch_plan_hook *h);
bool orch_plan_hook_finished(const struct orch_plan_hook *h);
const char *orch_plan_hook_name(const struct orch_plan_hook *h);
/* The journal of this run: every call so far (replayed ones included), as an array. Borrowed. */
const json_t *orch_plan_hook_journal(const struct orch_plan_hook *h);
/* Expectations that failed in recovery mode: [{"message", "where"}]. Borrowed. */
const json_t *orch_plan_hook_warnings(const struct orch_plan_hook *h);
/* The stack of the last error, innermost first, or NULL. */
const char *orch_plan_hook_traceback(const struct orch_plan_hook *h);
/* Instructions this run has used (budget accounting). */
uint64_t orch_plan_hook_instructions(const struct orch_plan_hook *h);
/* Whether the hook is still re-running recorded calls. */
bool orch_plan_hook_replaying(const struct orch_plan_hook *h);
void orch_plan_hook_set_userdata(struct orch_plan_hook *h, void *ud);
void *orch_plan_hook_userdata(const struct orch_plan_hook *h);

/* ---- For the other modules of engine/plan ---- */

/* Register orch.hostcall, orch.fail and orch.warn. */
void orch_plan_hook_open(lua_State *L);

#endif
