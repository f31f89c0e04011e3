/* orch_exec_state: an execution's state as the reducer builds it from its journal: the execution, its
 * waves, the servers of each wave, and the DRS jobs launched for them. The state is a pure fold of the
 * journal (orch_exec_apply); nothing else writes it. Also the enums and their names as the journal,
 * the API and reports spell them. Uses jansson, orch_core. */
#ifndef ORCH_EXEC_STATE_H
#define ORCH_EXEC_STATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/orch_error.h"
#include "core/orch_id.h"

/* A plan module directory's absolute path, with its NUL. */
#define ORCH_EXEC_MODULE_DIR_MAX 1024

enum orch_exec_mode { ORCH_MODE_DRILL, ORCH_MODE_RECOVERY, ORCH_MODE_DRY_RUN };

enum orch_exec_status {
  ORCH_EXEC_PENDING,
  ORCH_EXEC_PREFLIGHT,
  ORCH_EXEC_RUNNING,
  ORCH_EXEC_PAUSED,
  ORCH_EXEC_COMPLETED,
  ORCH_EXEC_PARTIAL,
  ORCH_EXEC_FAILED,
  ORCH_EXEC_CANCELLED,
  ORCH_EXEC_CLEANING_UP,
  ORCH_EXEC_CLEANED,
  ORCH_EXEC_CLEANUP_FAILED, /* a drill's clean-up gave up: instances are left to terminate by hand */
};

enum orch_wave_status {
  ORCH_WAVE_PENDING,
  ORCH_WAVE_WAITING, /* dependencies done; before-hook / approval / admission next */
  ORCH_WAVE_AWAITING_APPROVAL,
  ORCH_WAVE_LAUNCHING,  /* jobs requested, not all started */
  ORCH_WAVE_RECOVERING, /* every job started; servers launching */
  ORCH_WAVE_HOOKS,      /* servers final; after / on_failure hook running */
  ORCH_WAVE_COMPLETED,
  ORCH_WAVE_FAILED,
  ORCH_WAVE_SKIPPED,
  ORCH_WAVE_CANCELLED,
};

enum orch_failure_policy { ORCH_ON_FAILURE_FAIL, ORCH_ON_FAILURE_CONTINUE, ORCH_ON_FAILURE_RETRY };

enum orch_job_status { ORCH_JOB_REQUESTED, ORCH_JOB_STARTED, ORCH_JOB_ENDED, ORCH_JOB_START_FAILED };

/* A server's launch as DRS reports it (plus REQUESTED before DRS answered and NONE before any launch). */
enum orch_launch_status {
  ORCH_LAUNCH_NONE,
  ORCH_LAUNCH_REQUESTED,
  ORCH_LAUNCH_PENDING,
  ORCH_LAUNCH_IN_PROGRESS,
  ORCH_LAUNCH_LAUNCHED,
  ORCH_LAUNCH_FAILED,
  ORCH_LAUNCH_TERMINATED,
};

/* Hook phases a wave can run; bit flags in orch_exec_wave.hooks. */
enum orch_hook_kind { ORCH_HOOK_BEFORE = 1, ORCH_HOOK_AFTER = 2, ORCH_HOOK_ON_FAILURE = 4 };

#define ORCH_EXEC_NAME_MAX 128
#define ORCH_EXEC_AWS_ID_MAX 64
#define ORCH_EXEC_ATTEMPT_MAX 101 /* retry(n) allows n <= 100 */
/* "<execution>/<wave>/<attempt>/<chunk>": sized from its parts so a long wave name cannot truncate it. */
#define ORCH_EXEC_TAG_MAX (ORCH_ID_UUID_LEN + 1 + ORCH_EXEC_NAME_MAX + 1 + 11 + 1 + 11 + 1)

struct orch_exec_server {
  char id[ORCH_EXEC_AWS_ID_MAX];      /* source server id */
  char hostname[256];
  char account[16];
  char region[32];
  size_t wave;                        /* index into waves */
  int attempt;                        /* wave attempt that last launched it; 0 = never */
  char job_id[ORCH_EXEC_AWS_ID_MAX];
  enum orch_launch_status launch;
  char recovery_instance_id[ORCH_EXEC_AWS_ID_MAX];
  char ec2_instance_id[ORCH_EXEC_AWS_ID_MAX];
  char ec2_state[24];
  char private_ip[48];
  char snapshot_id[64];               /* recovery snapshot to launch from; "" = the latest */
  char group[ORCH_EXEC_NAME_MAX];     /* the protection group that selected it ("" = ids or tags) */
  json_t *launch_overrides;           /* the group's launch overrides (owned; NULL = none) */
  char failure[256];                  /* why it failed, when it did */
  int64_t requested_ms, launched_ms, hooks_passed_ms;
};

struct orch_exec_job {
  size_t wave;
  int attempt;
  int chunk;                          /* a wave larger than the servers-per-job quota splits in chunks */
  char account[16];
  char region[32];
  char tag[ORCH_EXEC_TAG_MAX];         /* the drsorch:launch tag value: <execution>/<wave>/<attempt>/<chunk> */
  char job_id[ORCH_EXEC_AWS_ID_MAX];  /* "" until JobStarted */
  enum orch_job_status status;
  size_t *servers;                    /* indices into servers */
  size_t nservers;
  int64_t requested_ms;
  int64_t started_ms;                 /* its JobStarted: when DRS answered (a re-sent request is younger than
                                       * its JobRequested) */
  bool log_wanted;                    /* it ended with failed servers: DRS's reasons are in its log */
  bool log_read;                      /* JobLog recorded them (or that the log could not be read) */
};

/* One TerminateRecoveryInstances request of a drill's clean-up. */
struct orch_exec_termination {
  char account[16];
  char region[32];
  json_t *ids;                        /* recovery instance ids (owned) */
  char job_id[ORCH_EXEC_AWS_ID_MAX];  /* "" until TerminateStarted */
  int64_t requested_ms;               /* its TerminateRequested */
  bool ended;
  int failures;                       /* TerminateFailed events so far */
  int64_t failed_ms;                  /* the latest failure */
  char error[256];                    /* its reason */
};

/* An SNS notification: journaled when decided (NotificationRequested), then sent at least once. */
struct orch_exec_notice {
  int64_t id;                         /* the seq of its NotificationRequested */
  json_t *data;                       /* {kind, topic, subject, message} (owned) */
  bool sent, failed;
  int failures;
  int64_t failed_ms;
};

struct orch_exec_wave {
  char name[ORCH_EXEC_NAME_MAX];
  size_t *deps;                       /* indices of waves this one depends on */
  size_t ndeps;
  char *approval;                     /* gate prompt, NULL when none */
  enum orch_failure_policy on_failure;
  int retries;                        /* for ORCH_ON_FAILURE_RETRY */
  int64_t timeout_ms;                 /* the longest the wave may take from ready to verdict; 0 = none */
  int64_t approval_timeout_ms;        /* a gate not approved this long after it asked fails the wave; 0 = none */
  int64_t approval_asked_ms;
  int64_t approval_granted_ms;        /* when the gate was opened (0: not yet, or never) */
  json_t *approvers;                  /* users or roles who may open the gate ([] = anyone allowed to approve) */
  char approved_by[128];
  unsigned hooks;                     /* ORCH_HOOK_* the plan defines for this wave */
  enum orch_wave_status status;
  int attempt;                        /* 0 before the first launch */
 bool approved;
  bool prepared;                      /* launch settings applied and snapshots chosen (WavePrepared) */
  unsigned hooks_done;                /* ORCH_HOOK_* finished for the current attempt */
  unsigned hooks_failed;              /* ... of which failed */
  int hook_running;                   /* ORCH_HOOK_* running now, 0 when none */
  json_t *hook_calls;                 /* the running hook's journal: [{seq, op, args_hash, result?}] */
  char reason[256];                   /* why it failed / was skipped */
  int64_t ready_ms, launch_ms, recovered_ms, completed_ms;
};

struct orch_exec_state {
  char id[ORCH_ID_UUID_LEN + 1];
  char plan_id[ORCH_ID_UUID_LEN + 1];
  int64_t plan_version;
  char plan_name[ORCH_EXEC_NAME_MAX];
  enum orch_exec_mode mode;
  enum orch_exec_status status;
  enum orch_exec_status status_before_pause;
  enum orch_exec_status outcome;      /* how it ended (ExecutionEnded's status); meaningful once ended_ms is set */
  bool cancel_requested;
  bool servers_resolved;
  bool preflight_done;
  bool preflight_ok;
  char end_reason[256];
  char notify_topic[256];             /* the first topic (kept for older readers) */
  json_t *notify_topics;              /* every SNS topic the plan names (owned) */
  json_t *notify_events;              /* the events to notify ([] = all) (owned) */
  char started_by[128];
  char module_dir[ORCH_EXEC_MODULE_DIR_MAX]; /* where the plan's own modules were when it started ("" = the engine's) */
  int64_t rto_target_ms;              /* 0 = none */
  int64_t created_ms, started_ms, ended_ms, cleanup_after_ms;
  int64_t seq;                        /* last event applied */
  json_t *plan;                       /* the compiled plan snapshot (owned) */
  json_t *wave_specs;                 /* ExecutionCreated's waves: selectors, accounts, regions (owned) */
  int64_t rpo_target_ms;              /* 0 = none */
  struct orch_exec_wave *waves;
  size_t nwaves;
  struct orch_exec_server *servers;
  size_t nservers;
  struct orch_exec_job *jobs;
  size_t njobs;
  bool cleanup_hook_done;             /* plan-level cleanup hook finished (or there is none) */
  bool cleanup_hook_failed;
  char cleanup_hook_error[256];
  bool cleanup_hook_running;
  bool has_cleanup_hook;
  json_t *cleanup_calls;              /* the cleanup hook's journal, as hook_calls */
  bool terminate_requested;
  struct orch_exec_termination *terms; /* TerminateRecoveryInstances requests (at most 200 ids each) */
  size_t nterms;
  size_t warnings;                    /* w:expect failures recorded in a recovery */
  struct orch_exec_notice *notices;
  size_t nnotices;
  bool cleanup_expedited;             /* an operator asked for the clean-up now (keep_for cut short) */
  char cleanup_error[256];            /* why a clean-up gave up (CLEANUP_FAILED) */
  int preflight_failures;             /* preflight runs that could not read what they check */
  bool preflight_checks_recorded;     /* PreflightChecks seen (the checks are in the journal) */
  int64_t preflight_ms;               /* when the preflight result came */
  int64_t preflight_started_ms;       /* PreflightStarted */
  char preflight_error[512];          /* the first failed check: "name for server: detail" */
  char cancel_reason[256];            /* who cancelled, and why */
};

/* One journal event as the reducer sees it (the store's record shape, borrowed). */
struct orch_exec_event {
  int64_t seq;
  int64_t at_ms;
  const char *type;
  const json_t *data;
};

void orch_exec_state_init(struct orch_exec_state *st);
/* Frees everything the state owns; the struct can be re-initialised. Accepts NULL. */
void orch_exec_state_release(struct orch_exec_state *st);

/* Apply one event. Events must come in seq order (seq = st->seq + 1). An event that does not fit the
 * state (unknown wave, wrong type of data, a transition the lifecycle forbids) is ORCH_EVALIDATION
 * naming the event seq and field, and leaves the state exactly as it was: every check is made before
 * anything changes, so a journal is never applied half-understood. */
int orch_exec_apply(struct orch_exec_state *st, const struct orch_exec_event *ev, struct orch_error *err)
    ORCH_MUST_CHECK;

/* Names as the journal and API spell them, and back. Parse returns -1 for an unknown name. */
const char *orch_exec_mode_name(enum orch_exec_mode m);
const char *orch_exec_status_name(enum orch_exec_status s);
const char *orch_wave_status_name(enum orch_wave_status s);
const char *orch_failure_policy_name(enum orch_failure_policy p);
int orch_exec_mode_parse(const char *s);
int orch_exec_status_parse(const char *s);
int orch_wave_status_parse(const char *s);
const char *orch_launch_status_name(enum orch_launch_status s); /* "" for NONE */
int orch_launch_status_parse(const char *s);                     /* "" is NONE; -1 unknown */

bool orch_exec_status_final(enum orch_exec_status s);  /* COMPLETED..CANCELLED, CLEANED, CLEANUP_FAILED */
bool orch_wave_status_final(enum orch_wave_status s);  /* COMPLETED, FAILED, SKIPPED, CANCELLED */
bool orch_exec_server_final(const struct orch_exec_server *s); /* LAUNCHED or FAILED or TERMINATED */
/* Every piece of work the execution started in DRS has ended (its jobs and terminations): it no longer
 * counts against the DRS quotas and needs no more polling. */
bool orch_exec_jobs_quiet(const struct orch_exec_state *st);
/* Nothing is left to do: ended, drills cleaned up (or given up), every DRS job over, the logs of the jobs
 * with failed servers read (the report's evidence), and every notification sent or given up. */
bool orch_exec_done(const struct orch_exec_state *st);

/* Lookups; -1 when absent. */
long orch_exec_wave_index(const struct orch_exec_state *st, const char *name);
long orch_exec_server_index(const struct orch_exec_state *st, const char *id);
long orch_exec_job_index_by_tag(const struct orch_exec_state *st, const char *tag);
long orch_exec_job_index_by_id(const struct orch_exec_state *st, const char *job_id);
long orch_exec_term_index_by_job(const struct orch_exec_state *st, const char *job_id);

/* The state as JSON for the API, reports and `executions show`. Caller owns the result. */
json_t *orch_exec_state_json(const struct orch_exec_state *st);

#endif
