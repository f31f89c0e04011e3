/* orch_exec_decide: what the engine does, as one pure function. Given an execution's state (the fold of
 * its journal), what it has in flight, an input (a tick of time, a poll, an operator command, the answer
 * of an AWS call, what a hook run produced) and the time, decide appends the events that record its
 * decisions (applying each to the state through the reducer as it goes), lists the effects to perform
 * (AWS calls, composite preflight and launch preparation, hook runs) and says when it next needs to be
 * asked. It does no I/O, reads no clock and keeps no globals: the executor (orch_exec_executor.c), a test
 * or a Lambda invocation runs it, persists the events in one batch, then performs the effects and feeds
 * their answers back. Nothing else in the engine decides. Uses orch_exec_state, orch_exec_admission,
 * orch_aws_error, orch_plan (statuses). */
#ifndef ORCH_EXEC_DECIDE_H
#define ORCH_EXEC_DECIDE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "aws/orch_aws_error.h"
#include "core/orch_error.h"
#include "exec/orch_exec_admission.h"
#include "exec/orch_exec_engine.h"
#include "exec/orch_exec_state.h"
#include "plan/orch_plan_sandbox.h"

/* How long an unclear StartRecovery (time-out, 5xx) may still turn up in DescribeJobs: the request's
 * own deadline, plus a grace for DRS's eventually consistent reads. Only after that, and after two
 * look-ups spaced ORCH_EXEC_FIND_SPACING_MS apart that both miss, is it sent again. */
#define ORCH_EXEC_REQUEST_DEADLINE_MS 60000
#define ORCH_EXEC_FIND_GRACE_MS 60000
#define ORCH_EXEC_FIND_SPACING_MS 15000
#define ORCH_EXEC_START_SENDS_MAX 3
/* Polls in a row that do not list a started job (after the grace) before it is reported unknown. */
#define ORCH_EXEC_UNKNOWN_POLLS 3
/* Preflight or launch preparation that could not read what it needs (throttling, 5xx): tried again after
 * poll_ms x 2^n, at most this many times, then judged with the reason. */
#define ORCH_EXEC_READ_RETRIES 5
/* Drill clean-up: a termination that fails is tried again after 5 s x 2^(n-1) (at most 10 min apart);
 * after ORCH_EXEC_CLEANUP_TRIES failures the clean-up gives up (CLEANUP_FAILED), naming what is left. */
#define ORCH_EXEC_CLEANUP_TRIES 8
#define ORCH_EXEC_CLEANUP_BACKOFF_MS 5000
#define ORCH_EXEC_CLEANUP_BACKOFF_MAX_MS (10 * 60 * 1000)
/* SNS notifications: tried this many times, 5 s x 2^(n-1) apart, then recorded as failed. */
#define ORCH_EXEC_NOTIFY_TRIES 3
/* Bounded events: lists longer than this are split over several events, each under the byte budget. */
#define ORCH_EXEC_EVENT_ITEMS_MAX 500
#define ORCH_EXEC_EVENT_BYTES_MAX (512 * 1024)

/* What an effect is for; its answer names it back. */
enum orch_exec_purpose {
  ORCH_FX_PREFLIGHT,       /* composite: resolve servers, run the checks */
  ORCH_FX_PREPARE,         /* composite: a wave's launch settings and point-in-time snapshots */
  ORCH_FX_QUOTAS,          /* Service Quotas of an account+region (engine-wide; the executor keeps the answer) */
  ORCH_FX_START,           /* StartRecovery for one job tag */
  ORCH_FX_FIND,            /* DescribeJobs looking for a job tag */
  ORCH_FX_POLL,            /* DescribeJobs of these job ids (the executor batches them per account+region) */
  ORCH_FX_INSTANCES,       /* DescribeRecoveryInstances of launched servers */
  ORCH_FX_EC2,             /* EC2 DescribeInstances for their addresses */
  ORCH_FX_TERMINATE,       /* TerminateRecoveryInstances of one clean-up chunk */
  ORCH_FX_TERMINATE_CHECK, /* after a refusal: are those instances gone already? */
  ORCH_FX_TERMINATE_FIND,  /* DescribeJobs looking for the TERMINATE job of a chunk whose request went unanswered */
  ORCH_FX_NOTIFY,          /* SNS Publish of one notification */
  ORCH_FX_HOOK_AWS,        /* a hook's w:aws or w:notify call */
  ORCH_FX_SSM_READY,       /* w:ssm_run: are the targets' SSM agents online? */
  ORCH_FX_SSM_SEND,        /* w:ssm_run: SendCommand */
  ORCH_FX_SSM_FIND,        /* w:ssm_run after a restart: was it sent already? */
  ORCH_FX_SSM_POLL,        /* w:ssm_run: GetCommandInvocation of one instance */
  ORCH_FX_HOOK_START,      /* run a hook from the top (replaying its journal when it has one) */
  ORCH_FX_HOOK_RESUME,     /* complete the hook's pending call and run it on */
  ORCH_FX_HOOK_CANCEL,     /* stop a hook (cancel, timeout) */
  ORCH_FX_JOB_LOG,         /* DescribeJobLogItems of an ended job with failed servers: DRS's own reasons */
};
const char *orch_exec_purpose_name(enum orch_exec_purpose p);

#define ORCH_EXEC_KEY_MAX ORCH_EXEC_TAG_MAX

/* One thing to do. Hook effects (HOOK_*) name the hook by wave (-1 = the plan's cleanup hook). */
struct orch_exec_effect {
  enum orch_exec_purpose purpose;
  char key[ORCH_EXEC_KEY_MAX];
  char account[16];         /* "" = the engine's default */
  char region[32];
  const char *service;      /* static strings */
  const char *operation;
  json_t *input;            /* owned */
  bool paginate;
  json_t *context;          /* owned: a composite effect's parameters, a hook's context or replay journal */
  long wave;
  int hook_kind;            /* ORCH_HOOK_*, 0 = cleanup */
  json_t *result;           /* HOOK_RESUME: the call's result (owned), unless `failed` */
  bool failed;
  struct orch_error failure; /* HOOK_RESUME failing the call; HOOK_CANCEL's reason */
};

/* The answer to an effect (borrowed for the call). */
struct orch_exec_answer {
  enum orch_exec_purpose purpose;
  const char *key;
  const json_t *context;
  int rc;
  const json_t *output;
  const struct orch_aws_error *aerr;
  const struct orch_error *err;
};

/* What one run of a hook produced, in order: "items" are {"journal": entry, "completed": bool} and
 * {"log": {level, where, message}}; then how it stopped. */
struct orch_exec_hook_out {
  long wave;
  int kind;
  const json_t *items;
  enum orch_plan_status status; /* YIELDED (waits for `call`), DONE, ERROR, KILLED */
  const char *error;            /* ERROR / KILLED */
  bool missing_module;          /* the plan could not be loaded: one of its modules is missing */
  const json_t *call;           /* YIELDED: {seq, op, args, args_hash, where, reissued} */
  size_t warnings;
};

struct orch_exec_command_in {
  enum orch_exec_command cmd;
  const char *wave;
  const char *by;     /* who: a user, a token's name, the OS user */
  const char *role;   /* their role ("" for the CLI) */
  const char *reason;
};

enum orch_exec_input_kind { ORCH_IN_TICK, ORCH_IN_POLL, ORCH_IN_COMMAND, ORCH_IN_ANSWER, ORCH_IN_HOOK };

struct orch_exec_input {
  enum orch_exec_input_kind kind;
  struct orch_exec_command_in command;
  struct orch_exec_answer answer;
  struct orch_exec_hook_out hook;
};

/* A hook's host call in flight, and what it waits for. */
enum orch_exec_hook_wait { ORCH_HW_NONE, ORCH_HW_IO, ORCH_HW_TIMER, ORCH_HW_APPROVAL, ORCH_HW_SSM };

struct orch_exec_hook_memo {
  bool open;                   /* the hook runtime has it (a HOOK_START went out) */
  bool running;                /* a HOOK_START / RESUME / CANCEL is out: its output comes next */
  enum orch_exec_hook_wait wait;
  int64_t due_ms;              /* TIMER, APPROVAL deadline, SSM's next read */
  int ios;                     /* AWS calls out for the pending host call */
  json_t *call;                /* the pending call {seq, op, args, reissued, ...} (owned) */
  json_t *ssm;                 /* w:ssm_run's progress (owned) */
};

struct orch_exec_job_memo {
  bool out;                    /* a START or FIND is in flight */
  bool fresh;                  /* decided by this process and not sent yet: send it */
  bool unclear;                /* its fate is unknown (a restart, a time-out, a 5xx): look it up */
  int64_t sent_ms;             /* the latest StartRecovery sent (0: before this process) */
  int sends;                   /* StartRecovery sent by this process */
  int misses;                  /* FINDs that did not see it since it became unclear */
  int64_t next_find_ms;        /* when to look again (0 = at once) */
  int unknown_polls;           /* polls in a row that did not list it */
  bool log_out;                /* its DescribeJobLogItems is in flight */
};

/* A clean-up chunk in flight. A chunk this process did not send itself (a restart) or whose request DRS
 * refused (its instances are in an active job) may already have a TERMINATE job: it is looked up by its
 * recovery instances and adopted before anything is sent again. */
struct orch_exec_term_memo {
  bool out;                    /* a TERMINATE, CHECK or FIND is in flight */
  bool clear;                  /* no request of ours can be pending at DRS: send it */
  bool refused;                /* DRS refused our request: when the look-ups miss, check the instances */
  int misses;                  /* FINDs that did not see a job since its fate became unknown */
  int64_t since_ms;            /* when its fate became unknown */
  int64_t next_find_ms;        /* when to look again */
  char error[256];             /* why DRS refused it */
};

/* What an execution has in flight: never journaled; empty after a restart, which is what makes decide
 * reconcile (a job requested but unanswered is looked up by its tag before it is ever sent again). */
struct orch_exec_inflight {
  bool preflight, prepare, instances, instances_wanted, poll_wanted;
  int polls_out;               /* DescribeJobs polls not answered yet */
  int prepare_failures;
  int64_t prepare_retry_ms;
  struct orch_exec_job_memo *jobs;
  size_t njobs;
  struct orch_exec_term_memo *terms; /* per termination chunk */
  size_t nterms;
  unsigned char *notices;      /* per notification: a Publish is out */
  size_t nnotices;
  struct orch_exec_hook_memo *hooks; /* per wave, then the cleanup hook */
  size_t nhooks;
};

void orch_exec_inflight_init(struct orch_exec_inflight *fl);
/* Forget everything in flight (as after a restart). */
void orch_exec_inflight_reset(struct orch_exec_inflight *fl);

/* What decide may know beyond the execution: settings, and the executions that share the DRS quotas. */
struct orch_exec_env {
  const char *default_account;
  const char *default_region;
  int64_t poll_ms;
  int64_t keep_for_ms;
  bool approve_all;
  bool record_only;                            /* a command is journaled and nothing else decided: no effect,
                                                 no further event (the serverless API; the state machine's
                                                 next step acts on it) */
  struct orch_exec_admission *admission;      /* quotas and queues (decide updates the queues) */
  const struct orch_exec_state *const *lives;  /* every live execution of the engine, this one too */
  size_t nlives;
};

struct orch_exec_decision {
  int64_t first_seq;            /* the first event decided (st->seq + 1 at the call) */
  json_t *events;               /* [{"type", "data", "at_ms"}], already applied to the state (owned) */
  struct orch_exec_effect *effects;
  size_t neffects, cap;
  int64_t next_wake_ms;         /* when to be asked again without an input; 0 = not for time */
  int command_rc;               /* ORCH_IN_COMMAND: 0, or why it was refused (command_err) */
  struct orch_error command_err;
  bool halt;                    /* stop driving this execution in this process (it stays unfinished) */
  char halt_reason[600];
  json_t *notes;                /* [{"level", "message"}] for the log (owned) */
};

void orch_exec_decision_init(struct orch_exec_decision *d);
void orch_exec_decision_release(struct orch_exec_decision *d);
void orch_exec_effect_release(struct orch_exec_effect *e);

/* Decide. Returns 0, or an error when a decided event was refused by the reducer or memory ran out: then
 * the state may hold part of the decision and must be rebuilt from the journal, and nothing decided may
 * be persisted or performed (the caller fails the execution with the reason). */
int orch_exec_decide(struct orch_exec_state *st, struct orch_exec_inflight *fl, const struct orch_exec_env *env,
                     const struct orch_exec_input *in, int64_t now, struct orch_exec_decision *out,
                     struct orch_error *err) ORCH_MUST_CHECK;

#endif
