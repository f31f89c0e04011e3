/* cli_session: what `run`, `test` and `resume` share: the store (--db, else <storage.data_dir>/drsorch.db),
 * the way to AWS (a simulated region started in-process on loopback, or AWS itself through the credentials
 * chain), and the execution engine wired to both, with the options that choose them.
 * Uses orch_store, orch_sim, orch_aws_creds, orch_aws_endpoint, orch_exec_aws, orch_exec_engine, cli. */
#ifndef ORCH_CLI_SESSION_H
#define ORCH_CLI_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "aws/orch_aws_creds.h"
#include "aws/orch_aws_endpoint.h"
#include "aws/orch_aws_profile.h"
#include "cli/cli.h"
#include "cli/cli_simclock.h"
#include "exec/orch_exec_aws.h"
#include "exec/orch_exec_engine.h"
#include "sim/orch_sim.h"
#include "store/orch_store.h"

/* How to reach AWS, as the command line says it. Strings are borrowed from argv. */
struct cli_target {
  const char *db;           /* --db PATH, "sqlite:PATH" or "dynamodb:..."; NULL: <storage.data_dir>/drsorch.db */
  const char *sim_scenario; /* --sim FILE: a simulated region in-process */
  double speed;             /* --speed: sim seconds per real second (default: a discrete-event clock) */
  uint64_t seed;            /* --seed (default 1) */
  bool speed_set, seed_set;
  const char *endpoint_url; /* --endpoint-url URL (else aws.endpoint_url) */
  const char *region;       /* --region (else aws.region, AWS_REGION, the profile) */
  const char *profile;      /* --profile (else aws.profile, AWS_PROFILE, "default") */
  const char *account;      /* --account: the home account (else aws.account; empty: learnt via STS) */
  bool db_must_exist;       /* commands that only read (or act on what is there): never create a store */
};

/* The options above, for getopt_long tables, and their help text. */
enum { CLI_OPT_DB = 0x300, CLI_OPT_SIM, CLI_OPT_SPEED, CLI_OPT_SEED, CLI_OPT_ENDPOINT, CLI_OPT_REGION, CLI_OPT_PROFILE,
       CLI_OPT_ACCOUNT };
#define CLI_TARGET_LONGOPTS                                        \
  {"db", required_argument, NULL, CLI_OPT_DB},                     \
  {"sim", required_argument, NULL, CLI_OPT_SIM},                   \
  {"speed", required_argument, NULL, CLI_OPT_SPEED},               \
  {"seed", required_argument, NULL, CLI_OPT_SEED},                 \
  {"endpoint-url", required_argument, NULL, CLI_OPT_ENDPOINT},     \
  {"region", required_argument, NULL, CLI_OPT_REGION},             \
  {"profile", required_argument, NULL, CLI_OPT_PROFILE},           \
  {"account", required_argument, NULL, CLI_OPT_ACCOUNT}
#define CLI_TARGET_HELP                                                                                  \
  "  --db PATH|SPEC        the store: a SQLite file (default <storage.data_dir>/drsorch.db) or a\n"      \
  "                        DynamoDB store, dynamodb:PREFIX?region=R[&endpoint=URL] (docs/store.md)\n"    \
  "  --sim SCENARIO        run against a simulated region started in-process from SCENARIO (JSON)\n"    \
  "  --speed N             with --sim: sim seconds per real second (default: discrete-event time, as\n"   \
  "                        fast as the work allows, the same run for the same seed)\n"                    \
  "  --seed S              with --sim: seed for the simulated timings and outcomes (default 1)\n"       \
  "  --endpoint-url URL    send every AWS call to URL, e.g. a 'drsorch sim' (aws.endpoint_url)\n"       \
  "  --region REGION       default region (aws.region, AWS_REGION, the profile)\n"                      \
  "  --profile NAME        shared-config profile for credentials (aws.profile, AWS_PROFILE)\n"          \
  "  --account ID          home account id (aws.account; default: asked of sts:GetCallerIdentity)\n"

/* true when --db names a DynamoDB store ("dynamodb:...") rather than a SQLite file. */
bool cli_session_remote_store(const char *db);

/* Consume one getopt result if it is a target option: 1 consumed, 0 not one, -1 bad value (usage error
 * printed for `cmd`). */
int cli_target_option(struct cli_target *t, int opt, const char *arg, const char *cmd);
/* Cross-option checks after parsing (--speed without --sim...): 0, or -1 with the usage error printed. */
int cli_target_check(const struct cli_target *t, const char *cmd);

/* The files the options name exist and can be read (a --sim scenario): CLI_EXIT_OK, or CLI_EXIT_FAIL with
 * one line saying which and why, before anything else is checked or started. */
int cli_target_files(const struct cli_target *t);

/* log.level from its default (info) to warn: live progress owns the terminal. A configured level stays. */
void cli_session_quiet_logs(const struct orch_config *cfg);

/* Parse a duration option ("90s", "5m"); -1 with the usage error printed. */
int cli_duration_option(const char *arg, const char *flag, const char *cmd, int64_t *out_ms);

struct cli_session {
  struct orch_store *store;
  struct orch_sim *sim;                 /* with --sim */
  struct cli_simclock *simclock;        /* --endpoint-url at a standalone drsorch sim: its clock, followed */
  struct orch_aws_profiles *profiles;
  struct orch_aws_creds *creds;
  struct orch_exec_aws *aws;
  struct orch_exec_engine *eng;
  double speed;                         /* the engine clock's speed (1 without the simulator, 0 discrete) */
  bool discrete;                        /* the simulator runs on a discrete-event clock (no --speed) */
  char region[ORCH_AWS_REGION_MAX];     /* the default region ("" when none could be found) */
  char account[16];                     /* the home account ("" = learnt on first use) */
  char endpoint[512];                   /* every call goes here ("" = AWS's endpoints) */
  char db_spec[4200];
};

/* Open the store named by t->db or the configuration. `s` must be zeroed first. */
int cli_session_store(struct cli_session *s, const struct orch_config *cfg, const struct cli_target *t,
                      struct orch_error *err) ORCH_MUST_CHECK;
/* Reach AWS: start the simulator (t->sim_scenario) or build the credentials chain and resolve the default
 * region (explicit, configuration, environment, profile, then `plan_region`, which may be NULL). */
int cli_session_aws(struct cli_session *s, const struct orch_config *cfg, const struct cli_target *t,
                    const char *plan_region, struct orch_error *err) ORCH_MUST_CHECK;

struct cli_engine_options {
  bool approve_all;
  int64_t poll_ms;        /* sim time with --sim */
  int64_t keep_for_ms;
  const char *module_dir; /* the plan's own modules (require "lib.x" -> <module_dir>/lib/x.lua) */
  const char *aws_allow_ceiling; /* plans.aws_allow_ceiling */
  bool module_dir_override;      /* module_dir was given (--module-dir): it wins over the recorded one */
  orch_exec_listener listener;
  void *listener_ctx;
  bool no_resume;         /* drive only what is asked for (executions cleanup), not every unfinished execution */
};

/* Create and start the engine (which resumes every unfinished execution in the store). */
int cli_session_engine(struct cli_session *s, const struct cli_engine_options *o, struct orch_error *err)
    ORCH_MUST_CHECK;
/* "the simulated region at URL", "the AWS endpoint URL (default region R)", "AWS (default region R)". */
void cli_session_describe(const struct cli_session *s, char *out, size_t n);
/* The engine's clock: the in-process simulator's, a standalone one's (followed), or the real one. */
const struct orch_clock *cli_session_clock(const struct cli_session *s);
/* Stop the engine and free everything, in reverse order. Accepts a zeroed session. */
void cli_session_close(struct cli_session *s);

#endif
