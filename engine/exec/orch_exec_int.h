/* orch_exec_int: what the engine's files share inside engine/exec: the engine body, a live
 * execution's runtime (what is in flight, never journaled), I/O requests, and the functions each file
 * provides to the others. Not for use outside engine/exec. Uses orch_exec_engine. */
#ifndef ORCH_EXEC_INT_H
#define ORCH_EXEC_INT_H

#include <pthread.h>

#include "exec/orch_exec_admission.h"
#include "exec/orch_exec_engine.h"

enum exec_io_kind {
  IO_PREFLIGHT,   /* resolve servers and run the checks (several calls, on one I/O thread) */
  IO_START,       /* StartRecovery for one job tag */
  IO_FIND,        /* DescribeJobs looking for a job tag (reconcile after a crash or an unclear error) */
  IO_POLL,        /* one DescribeJobs for every active job of an account+region */
  IO_INSTANCES,   /* EC2 DescribeInstances for launched servers' private IPs */
  IO_TERMINATE,   /* TerminateRecoveryInstances of a drill (one chunk of at most 200 instances) */
  IO_TERMINATE_CHECK, /* after a refused termination: are those instances gone already? */
  IO_NOTIFY,      /* SNS Publish */
  IO_QUOTAS,      /* Service Quotas for an account+region */
  IO_HOOK,        /* a hook's host call that needs AWS */
  IO_PREPARE,     /* a wave's launch settings and point-in-time snapshots (several calls, one thread) */
};

/* One AWS request and, once done, its answer. Owned by whoever holds it: the I/O queue, then the
 * scheduler's message. */
struct exec_io {
  enum exec_io_kind kind;
  char exec_id[ORCH_ID_UUID_LEN + 1]; /* "" for engine-wide requests (POLL, QUOTAS) */
  char key[160];                      /* job tag, wave name, notification kind... */
  char account[16];
  char region[32];
  const char *service;                /* static strings */
  const char *operation;
  json_t *input;                      /* owned */
  bool paginate;
  json_t *context;                    /* owned; what the requester needs to interpret the answer */
  /* answer */
  int rc;
  json_t *output;                     /* owned */
  struct orch_aws_error aerr;
  struct orch_error err;
  int64_t started_ns, ended_ns;
  struct exec_io *next;
};

/* What a live execution has in flight; rebuilt empty after a restart, so the step reconciles. */
struct exec_rt {
  bool preflight_inflight;
  unsigned char *job_inflight; /* per job index: a START or FIND is out */
  int *job_sends;              /* per job index: StartRecovery attempts made by this process */
  size_t job_cap;
  unsigned char *term_inflight; /* per termination chunk: a TerminateRecoveryInstances (or its check) is out */
  size_t term_cap;
  bool instances_inflight;
  bool prepare_inflight;
  bool store_finished;         /* the store record has ended_ms */
  bool stalled;                /* the journal could not be written: retry later, act on nothing */
  int64_t stalled_until_ms;
  struct exec_hooks *hooks;    /* hook coroutines (orch_exec_hooks.c) */
};

struct exec_live {
  struct orch_exec_state st;
  struct exec_rt rt;
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

enum exec_msg_kind { MSG_CREATE, MSG_COMMAND, MSG_SNAPSHOT, MSG_IO_DONE, MSG_STOP };

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
  struct exec_io *io;
  struct exec_msg *next;
};

struct finished {
  char id[ORCH_ID_UUID_LEN + 1];
  json_t *state;
  struct finished *next;
};

struct orch_exec_engine {
  struct orch_exec_engine_config cfg;
  char default_account[16];
  char default_region[32];
  char module_dir[1024];
  const struct orch_clock *clock;
  struct orch_exec_admission *admission;

  /* scheduler queue (mu) */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  struct exec_msg *head, *tail;
  bool stopping;
  pthread_t scheduler;
  bool scheduler_started;

  /* I/O queue (io_mu) */
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
  struct exec_live *lives;
  int64_t next_poll_ms;
  json_t *polls_inflight;  /* {"account/region": true} */
  json_t *quotas_known;    /* {"account/region": true} once asked */
  json_t *stats;           /* counters (scheduler thread; copied for readers) */
  json_t *stats_copy;      /* under mu */
};

/* orch_exec_engine.c */
int exec_append(struct orch_exec_engine *eng, struct exec_live *lv, const char *type, json_t *data);
void exec_io_submit(struct orch_exec_engine *eng, struct exec_io *io);
/* An AWS call made on an I/O thread that must not fail for a passing reason (preflight, wave
 * preparation): retryable errors are tried again with backoff, about 15 s in all, after the client's
 * own retries. Same contract as orch_exec_aws_ops.call. */
int exec_call_patient(struct orch_exec_engine *eng, const char *account, const char *region, const char *service,
                      const char *operation, const json_t *input, bool paginate, json_t **output,
                      struct orch_aws_error *aerr, struct orch_error *err);
struct exec_io *exec_io_new(enum exec_io_kind kind, const char *exec_id, const char *account, const char *region,
                            const char *service, const char *operation, json_t *input);
void exec_io_free(struct exec_io *io);
void exec_count(struct orch_exec_engine *eng, const char *counter, json_int_t by);
const char *exec_account(const struct orch_exec_engine *eng, const char *account);
const char *exec_region(const struct orch_exec_engine *eng, const char *region);

/* orch_exec_poll.c: DRS quotas of an account+region are known (or known unreadable), asking once. */
bool exec_quotas_ready(struct orch_exec_engine *eng, const char *account, const char *region);
/* Launched servers without EC2 details: look them up (at most 200 per request). */
void exec_ask_instances(struct orch_exec_engine *eng, struct exec_live *lv);

/* orch_exec_step.c: decide and act until nothing more can happen now; operator commands. */
void exec_step(struct orch_exec_engine *eng, struct exec_live *lv);
/* Send job j's StartRecovery (tagged with the execution, wave, attempt and launch tag). */
void exec_send_start(struct orch_exec_engine *eng, struct exec_live *lv, size_t j);
/* Look for job j's DRS job by its tag (DescribeJobs since shortly before it was requested). */
void exec_send_find(struct orch_exec_engine *eng, struct exec_live *lv, size_t j);
/* orch_exec_answers.c: the answer to an I/O request that belongs to an execution. */
void exec_io_done(struct orch_exec_engine *eng, struct exec_live *lv, struct exec_io *io);
/* orch_exec_poll.c: engine-wide polling, one DescribeJobs per account+region for every active job. */
void exec_poll(struct orch_exec_engine *eng);
void exec_poll_done(struct orch_exec_engine *eng, struct exec_io *io);
/* An operator command against the live state. */
int exec_command(struct orch_exec_engine *eng, struct exec_live *lv, enum orch_exec_command cmd, const char *wave,
                 const char *by, struct orch_error *err);

/* orch_exec_plan.c: the ExecutionCreated data for a compiled plan. */
int exec_plan_created(const json_t *compiled, const char *exec_id, const char *plan_id, int64_t version,
                      const char *plan_name, enum orch_exec_mode mode, const char *by, const char *module_dir,
                      json_t **out, struct orch_error *err);

/* orch_exec_preflight.c: runs on an I/O thread. */
void exec_preflight_run(struct orch_exec_engine *eng, struct exec_io *io);
/* On the scheduler: refuse servers already in another live execution. */
int exec_preflight_conflicts(struct orch_exec_engine *eng, struct exec_live *lv, json_t *result);

/* orch_exec_prepare.c: runs on an I/O thread; the answer is WavePrepared or the wave's failure. */
void exec_prepare_run(struct orch_exec_engine *eng, struct exec_io *io);
bool exec_wave_needs_prepare(const struct exec_live *lv, size_t w);
void exec_prepare_submit(struct orch_exec_engine *eng, struct exec_live *lv, size_t w);

/* orch_exec_hooks.c */
int exec_hooks_start(struct orch_exec_engine *eng, struct exec_live *lv, long wave, int kind);
void exec_hooks_io_done(struct orch_exec_engine *eng, struct exec_live *lv, struct exec_io *io);
void exec_hooks_tick(struct orch_exec_engine *eng, struct exec_live *lv);
void exec_hooks_free(struct exec_hooks *h);
int64_t exec_hooks_next_timer(const struct exec_live *lv);
/* Stop the hook running on `wave` (its deadline passed); false when none runs. */
bool exec_hooks_cancel_wave(struct exec_live *lv, long wave, const char *reason);
/* An operator's approval for a hook waiting in w:approve on `wave`; false when none waits. */
bool exec_hooks_approve(struct orch_exec_engine *eng, struct exec_live *lv, long wave, const char *by);

/* orch_exec_notify.c */
void exec_notify(struct orch_exec_engine *eng, struct exec_live *lv, const char *kind, const char *subject,
                 const char *message);

#endif
