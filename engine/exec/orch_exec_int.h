/* orch_exec_int: the executor's own needs inside engine/exec: the engine body (scheduler queue, I/O pool,
 * lives), a live execution (its state, what decide has in flight, its hook runtime, its lease), an I/O
 * request carrying one effect, and the functions each executor file provides to the others. What the
 * engine decides is in orch_exec_decide.h; this is how it is carried out. Uses orch_exec_decide. */
#ifndef ORCH_EXEC_INT_H
#define ORCH_EXEC_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "exec/orch_exec_decide.h"
#include "exec/orch_exec_engine.h"

/* One effect on its way to AWS and back. Owned by whoever holds it: the pool's queue, then the
 * scheduler's message. */
struct exec_io {
  char exec_id[ORCH_ID_UUID_LEN + 1]; /* "" for engine-wide requests (merged polls, quotas) */
  struct orch_exec_effect fx;         /* owns its input and context */
  json_t *parts;                      /* a merged poll: [{execution, ids}] (owned) */
  /* answer */
  int rc;
  json_t *output; /* owned */
  struct orch_aws_error aerr;
  struct orch_error err;
  struct exec_io *next;
};

struct exec_hookrt; /* orch_exec_hookrt.c: one execution's Lua runtime and open hooks */

struct exec_live {
  struct orch_exec_state st;
  struct orch_exec_inflight fl;
  struct exec_hookrt *hooks;
  int64_t next_wake_ms;        /* what decide asked for; 0 = nothing timed */
  bool dirty;                  /* something it may wait for changed (capacity, quotas): decide again */
  bool store_finished;         /* the store record has ended_ms */
  bool halted;                 /* stopped in this process (lost lease, halt, journal failure) */
  int append_failures;         /* journal writes that failed in a row */
  unsigned generation;         /* bumped when the state is rebuilt from the journal */
  int64_t stalled_until_ms;    /* after a failed journal write: nothing before this */
  struct exec_live *next;
};

/* A caller waiting for the scheduler's answer. */
struct exec_reply {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool done;
  int rc;
  struct orch_error err;
  char id[ORCH_ID_UUID_LEN + 1];
  json_t *json;
};

enum exec_msg_kind { MSG_CREATE, MSG_COMMAND, MSG_SNAPSHOT, MSG_IO_DONE, MSG_ADOPT, MSG_STOP };

struct exec_msg {
  enum exec_msg_kind kind;
  struct exec_reply *reply;
  char exec_id[ORCH_ID_UUID_LEN + 1];
  char plan_id[ORCH_ID_UUID_LEN + 1];
  int64_t version;
  enum orch_exec_mode mode;
  enum orch_exec_command cmd;
  char wave[ORCH_EXEC_NAME_MAX];
  char by[128];
  char role[64];
  char reason[256];
  struct exec_io *io;
  bool held;               /* it holds the clock until handled */
  struct exec_msg *next;
};

/* Executions that finished (or were stopped here) recently, for orch_exec_engine_wait. */
struct finished {
  char id[ORCH_ID_UUID_LEN + 1];
  json_t *state;
  int rc;                  /* 0, or why this process stopped driving it (halt, lost lease) */
  char reason[600];
  struct finished *next;
};

struct exec_lease_table; /* Launch settings merged key by key (nested objects such as tags too): `over` wins. New reference;
 * NULL when out of memory. Either may be NULL. */
json_t *exec_launch_merge(const json_t *base, const json_t *over);

/* orch_exec_lease.c */

struct orch_exec_engine {
  struct orch_exec_engine_config cfg;
  char default_account[16];
  char default_region[32];
  char module_dir[ORCH_EXEC_MODULE_DIR_MAX];
  char *ceiling;                     /* aws_allow_ceiling (owned copy) */
  const struct orch_clock *clock;
  struct orch_exec_admission *admission;
  struct exec_lease_table *leases;

  /* scheduler queue (mu); the scheduler waits on wake_ev through the clock */
  pthread_mutex_t mu;
  struct orch_clock_event wake_ev;
  struct exec_msg *head, *tail;
  bool stopping;
  pthread_t scheduler;
  bool scheduler_started;

  /* I/O pool (io_mu) */
  pthread_mutex_t io_mu;
  pthread_cond_t io_cv;
  struct exec_io *io_head, *io_tail;
  bool io_stopping;
  pthread_t *workers;
  int nworkers;

  /* finished executions for orch_exec_engine_wait (mu, done_cv) */
  pthread_cond_t done_cv;
  struct finished *finished;

  /* scheduler-thread only */
  struct exec_live *lives;           /* in creation order */
  const struct orch_exec_state **states; /* the lives' states, for decide's env */
  size_t nstates, capstates;
  int64_t next_poll_ms;
  int64_t next_adopt_ms;
  json_t *poll_parts;                /* during a poll tick: {"account/region": {account, region, parts}} */
  json_t *stats;                     /* counters (scheduler thread; copied for readers) */
  json_t *stats_copy;                /* under mu */
};

/* orch_exec_engine.c */
void exec_count(struct orch_exec_engine *eng, const char *counter, json_int_t by);
const char *exec_account(const struct orch_exec_engine *eng, const char *account);
const char *exec_region(const struct orch_exec_engine *eng, const char *region);
void exec_reply_send(struct exec_reply *r, int rc, const struct orch_error *err);
/* Post a message to the scheduler (takes it); the clock holds the work until it is handled. */
void exec_post(struct orch_exec_engine *eng, struct exec_msg *m);
void exec_finish_live(struct orch_exec_engine *eng, struct exec_live *lv, int rc, const char *reason);

/* orch_exec_executor.c: one input through decide, the batch journaled, the effects performed. */
int exec_run(struct orch_exec_engine *eng, struct exec_live *lv, const struct orch_exec_input *in,
             struct orch_error *cmd_err);
void exec_poll_tick(struct orch_exec_engine *eng);
void exec_io_answered(struct orch_exec_engine *eng, struct exec_io *io);
void exec_states_refresh(struct orch_exec_engine *eng);
struct exec_live *exec_live_find(struct orch_exec_engine *eng, const char *id);
/* Fold an execution's journal from the store into a new live. An execution whose creator stopped before
 * its first event starts now (ExecutionCreated from its record); ORCH_ESTATE for an empty journal of an
 * execution that is not PENDING. The caller holds the lease. */
int exec_live_load(struct orch_exec_engine *eng, const char *id, struct exec_live **out, struct orch_error *err);
/* Journal ExecutionCreated for the record `rec` (the plan version it names, compiled) into a new live. */
int exec_live_create(struct orch_exec_engine *eng, const struct orch_store_exec *rec, struct exec_live **out,
                     struct orch_error *err);
void exec_live_free(struct exec_live *lv);
void exec_live_add(struct orch_exec_engine *eng, struct exec_live *lv);
void exec_live_unload(struct orch_exec_engine *eng, struct exec_live *lv);

/* orch_exec_effects.c: performing one effect's AWS work (on a pool thread, or inline). */
void exec_io_perform(struct orch_exec_engine *eng, struct exec_io *io);
struct exec_io *exec_io_new(const char *exec_id, struct orch_exec_effect *fx);
void exec_io_free(struct exec_io *io);
void exec_io_submit(struct orch_exec_engine *eng, struct exec_io *io);
/* Service Quotas' answer into admission (by quota code, else name). */
void exec_quotas_answered(struct orch_exec_engine *eng, const struct exec_io *io);

/* orch_exec_preflight.c / orch_exec_prepare.c: composite effects, run by exec_io_perform. */
void exec_preflight_run(struct orch_exec_engine *eng, struct exec_io *io);
void exec_prepare_run(struct orch_exec_engine *eng, struct exec_io *io);

/* orch_exec_hookrt.c: the hook effects, always performed on the scheduler thread. `out` receives what
 * the run produced (the caller releases it with exec_hookrt_out_release). */
struct exec_hook_result {
  struct orch_exec_hook_out out;
  json_t *items, *call; /* owned */
  char error[1200];
};
void exec_hookrt_perform(struct orch_exec_engine *eng, struct exec_live *lv, const struct orch_exec_effect *fx,
                         struct exec_hook_result *res);
void exec_hookrt_out_release(struct exec_hook_result *res);
void exec_hookrt_free(struct exec_hookrt *h);

/* orch_exec_plan.c: the ExecutionCreated data for a compiled plan. */
int exec_plan_created(const json_t *compiled, const char *exec_id, const char *plan_id, int64_t version,
                      const char *plan_name, enum orch_exec_mode mode, const char *by, const char *module_dir,
                      json_t **out, struct orch_error *err);

/* Launch settings merged key by key (nested objects such as tags too): `over` wins. New reference;
 * NULL when out of memory. Either may be NULL. */
json_t *exec_launch_merge(const json_t *base, const json_t *over);

/* orch_exec_lease.c: this engine's leases on its executions, renewed by a heartbeat thread. */
int exec_lease_start(struct orch_exec_engine *eng, struct orch_error *err);
void exec_lease_stop(struct orch_exec_engine *eng);
/* Take the lease of `id` (a new execution, or one to resume): 0, or ORCH_ECONFLICT naming its holder
 * (a live process); a holder on this host whose process is gone is taken over. */
int exec_lease_take(struct orch_exec_engine *eng, const char *id, struct orch_error *err);
void exec_lease_give(struct orch_exec_engine *eng, const char *id);
/* Whether the heartbeat lost the lease of `id` to another process. */
bool exec_lease_lost(struct orch_exec_engine *eng, const char *id);
const char *exec_lease_owner(const struct orch_exec_engine *eng);

#endif
