/* orch_exec_engine: the execution engine: one scheduler thread that owns every live execution, an I/O
 * pool that makes the AWS calls, and the write-ahead journal in the store. Callers (the CLI, the REST
 * API) create executions and send operator commands; they never touch a live execution themselves.
 * Uses orch_exec_state (reducer), orch_exec_admission, orch_store, orch_plan (hooks), orch_core. */
#ifndef ORCH_EXEC_ENGINE_H
#define ORCH_EXEC_ENGINE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "aws/orch_aws_error.h"
#include "core/orch_clock.h"
#include "core/orch_error.h"
#include "exec/orch_exec_state.h"
#include "store/orch_store.h"

/* How the engine reaches AWS: one call, made on an I/O thread. `account` and `region` name the target
 * ("" = the engine's defaults); `paginate` merges every page. Output and aerr as orch_aws_call. */
struct orch_exec_aws_ops {
  int (*call)(void *ctx, const char *account, const char *region, const char *service, const char *operation,
              const json_t *input, bool paginate, json_t **output, struct orch_aws_error *aerr,
              struct orch_error *err);
};

/* Told of every journal event of every execution once its step's batch is durable, in order, on the
 * scheduler thread: keep it short. `seq`, `at_ms`, `type` and `data` are the event's; `st` is the state
 * after the whole batch (its seq is the batch's last: the listener sees seq == st->seq on the last
 * event of a batch). Borrowed for the call. */
typedef void (*orch_exec_listener)(void *ctx, const struct orch_exec_state *st, int64_t seq, int64_t at_ms,
                                   const char *type, const json_t *data);

struct orch_exec_engine_config {
  struct orch_store *store;             /* borrowed; must outlive the engine */
  const struct orch_exec_aws_ops *aws;
  void *aws_ctx;
  const struct orch_clock *clock;       /* NULL = real; the simulator's clock in `run --sim`. Every wait
                                           of the engine goes through it. */
  bool inline_effects;                  /* perform effects on the scheduler thread, one at a time, in the
                                           order decided: with a discrete-event clock, a run is the same
                                           for the same inputs whatever the machine's load */
  int64_t poll_ms;                      /* DescribeJobs poll interval; 0 = 5000 */
  int io_threads;                       /* 0 = 4 (ignored with inline_effects) */
  const char *default_account;          /* for plans and groups that name none */
  const char *default_region;
  int64_t keep_for_ms;                  /* drills keep their instances this long before clean-up */
  bool approve_all;                     /* approval gates open themselves (journaled as such) */
  const char *module_dir;               /* where plans' own modules live (plans/); recorded absolute */
  bool module_dir_override;             /* module_dir wins over the directory an execution recorded
                                           (resume --module-dir); otherwise the recorded one is used while it
                                           exists */
  bool resume;                          /* on start, resume unfinished executions no live process owns */
  int64_t adopt_interval_ms;            /* also adopt, this often, executions whose owner died (0 = never) */
  bool synchronous;                     /* no threads: the caller drives every execution with
                                           orch_exec_engine_step (one Lambda invocation per step); create and
                                           commands run on the caller's thread; effects are inline */
  bool record_only;                     /* commands and creations are journaled, nothing else is decided
                                           or done (the serverless API: a step of the state machine acts) */
  const char *aws_allow_ceiling;        /* the operators' ceiling on plans' aws_allow (NULL = default) */
  orch_exec_listener listener;
  void *listener_ctx;
};

struct orch_exec_engine;

int orch_exec_engine_new(const struct orch_exec_engine_config *cfg, struct orch_exec_engine **out,
                         struct orch_error *err) ORCH_MUST_CHECK;
/* Start the threads and resume every unfinished execution in the store. */
int orch_exec_engine_start(struct orch_exec_engine *eng, struct orch_error *err) ORCH_MUST_CHECK;
/* Stop the threads (in-flight AWS calls finish; nothing is journaled half-way) and free. Accepts NULL. */
void orch_exec_engine_free(struct orch_exec_engine *eng);

/* Start an execution of a stored plan version (0 = latest) in `mode`. The id is written to id_out.
 * Returns once ExecutionCreated is durable. */
int orch_exec_engine_create(struct orch_exec_engine *eng, const char *plan_id, int64_t version,
                            enum orch_exec_mode mode, const char *by, char id_out[ORCH_ID_UUID_LEN + 1],
                            struct orch_error *err) ORCH_MUST_CHECK;

enum orch_exec_command {
  ORCH_CMD_PAUSE,
  ORCH_CMD_RESUME,
  ORCH_CMD_APPROVE,    /* wave */
  ORCH_CMD_CANCEL,
  ORCH_CMD_RETRY_WAVE, /* wave */
  ORCH_CMD_SKIP_WAVE,  /* wave */
  ORCH_CMD_CLEANUP,    /* a drill: clean up now (cut keep-for short), or try a failed clean-up again */
};

/* Who sends a command, and what for. */
struct orch_exec_command_spec {
  const char *exec_id;
  enum orch_exec_command cmd;
  const char *wave;   /* APPROVE, RETRY_WAVE, SKIP_WAVE */
  const char *by;     /* the actor: a user, a token's name, the OS user */
  const char *role;   /* its role (Admin, Operator, Approver...); "" or NULL for the command line */
  const char *reason; /* optional, journaled */
};

/* An operator command. Checked on the scheduler thread against the live state: a command that does
 * not fit (approve a wave not waiting for approval, resume what is not paused) is ORCH_ESTATE with a
 * message saying why; an unknown execution is ORCH_ENOTFOUND. Returns once its event is durable. */
int orch_exec_engine_command(struct orch_exec_engine *eng, const char *exec_id, enum orch_exec_command cmd,
                             const char *wave, const char *by, struct orch_error *err) ORCH_MUST_CHECK;
/* The same with the actor's role and a reason: a gate whose plan names approvers (users or roles) opens
 * only for one of them (ORCH_EPERM otherwise). CLEANUP of a drill whose clean-up failed loads it again. */
int orch_exec_engine_command_ex(struct orch_exec_engine *eng, const struct orch_exec_command_spec *spec,
                                struct orch_error *err) ORCH_MUST_CHECK;
/* Name of a command as the API and the journal spell it ("pause", "retry-wave"...); parse gives -1 for an
 * unknown name. */
const char *orch_exec_command_name(enum orch_exec_command cmd);
int orch_exec_command_parse(const char *name);

/* Wait until the execution has finished (for drills: cleaned up) or `timeout_ms` real ms passed (-1:
 * forever). ORCH_ETIMEDOUT on time-out; when this process stopped driving it (its lease went to another
 * process, or decide halted it: a region that does not know its jobs, missing plan modules) the reason,
 * with the execution left unfinished. *final (optional) receives the state as JSON; caller owns it. */
int orch_exec_engine_wait(struct orch_exec_engine *eng, const char *exec_id, int64_t timeout_ms, json_t **final,
                          struct orch_error *err) ORCH_MUST_CHECK;

/* The live state of an execution as JSON (NULL when it is not live). Caller owns it. */
json_t *orch_exec_engine_snapshot(struct orch_exec_engine *eng, const char *exec_id);

/* One step of an execution on the caller's thread (a synchronous engine only: the AWS deployment runs one
 * per Step Functions task): take its lease, fold its journal (hooks replay from theirs), poll its DRS jobs
 * once, decide and perform every effect until nothing more can happen now, then give the lease back.
 * *out (caller owns) says what the next step needs: {"execution_id", "status", "done" (finished, drills
 * cleaned up), "waiting_for_approval", "approval_waves": [...], "waiting_for_dependencies",
 * "wave_in_progress", "wake_in_ms" (when to step again; 0 = at the poll interval), "reason"}. */
int orch_exec_engine_step(struct orch_exec_engine *eng, const char *exec_id, json_t **out, struct orch_error *err)
    ORCH_MUST_CHECK;

/* The summary orch_exec_engine_step gives, of a state folded elsewhere (wake_in_ms: when its engine next
 * wants to step; 0 = at the poll interval). NULL when out of memory. Caller owns. */
json_t *orch_exec_step_summary(const struct orch_exec_state *st, int64_t wake_in_ms);

/* Journal one record event for an execution (a synchronous engine only): a type the reducer keeps without
 * changing the state ("EngineNote", "ApprovalWaitStarted"), under the execution's lease, at the engine's
 * time. *out (optional; caller owns) is the step summary of the state after it, as orch_exec_engine_step
 * gives. ORCH_EINVAL for a type that is not a record, ORCH_ENOTFOUND for an unknown execution. */
int orch_exec_engine_record(struct orch_exec_engine *eng, const char *exec_id, const char *type, const json_t *data,
                            json_t **out, struct orch_error *err) ORCH_MUST_CHECK;

/* Counters for benchmarks and /metrics: AWS calls made per service:operation, polls, events. */
json_t *orch_exec_engine_stats(struct orch_exec_engine *eng);

#endif
