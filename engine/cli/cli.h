/* cli: the drsorch subcommands and what they share: loading the configuration from defaults, a file,
 * DRSORCH_* variables and flags (in rising precedence), usage errors (exit 2), and exit codes.
 * Uses orch_core. */
#ifndef ORCH_CLI_H
#define ORCH_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <stdint.h>

#include "core/orch_config.h"
#include "core/orch_error.h"
#include "core/orch_id.h"

enum { CLI_EXIT_OK = 0, CLI_EXIT_FAIL = 1, CLI_EXIT_USAGE = 2 };

/* A subcommand: argv[0] is "drsorch NAME"; returns the process exit code. */
struct cli_command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
};

int cli_serve(int argc, char **argv);
int cli_version(int argc, char **argv);
int cli_config(int argc, char **argv);
int cli_aws(int argc, char **argv);
int cli_validate(int argc, char **argv);
int cli_sim(int argc, char **argv);
int cli_run(int argc, char **argv);
int cli_test(int argc, char **argv);
int cli_resume(int argc, char **argv);
int cli_executions(int argc, char **argv);
int cli_groups(int argc, char **argv);
int cli_lambda(int argc, char **argv);
int cli_users(int argc, char **argv);
int cli_tokens(int argc, char **argv);
int cli_ctl(int argc, char **argv);

/* The options every configurable command takes: --config FILE, --set KEY=VALUE (repeatable),
 * --log-level L, --log-format F. cli_common_option() consumes one getopt result if it is one of them
 * (returns true). Flags are kept until cli_common_load() applies them over file and environment. */
#define CLI_COMMON_LONGOPTS                                   \
  {"config", required_argument, NULL, 0x100},                 \
  {"set", required_argument, NULL, 0x101},                    \
  {"log-level", required_argument, NULL, 0x102},              \
  {"log-format", required_argument, NULL, 0x103},             \
  {"help", no_argument, NULL, 'h'}
#define CLI_COMMON_HELP                                                                          \
  "  --config FILE         read settings from FILE (also DRSORCH_CONFIG)\n"                     \
  "  --set KEY=VALUE       set any setting (repeatable; see 'drsorch config show')\n"           \
  "  --log-level LEVEL     debug, info, warn or error (log.level)\n"                            \
  "  --log-format FORMAT   text or json (log.format)\n"                                          \
  "  -h, --help            show this help\n"

#define CLI_MAX_FLAGS 32
struct cli_common {
  const char *config_path;
  struct {
    const char *name;  /* setting name, or NULL for a raw KEY=VALUE pair */
    const char *value;
    const char *flag;  /* "--listen", for messages */
  } flags[CLI_MAX_FLAGS];
  size_t nflags;
};

/* Record a flag that maps to setting `name` (NULL: `value` is KEY=VALUE). False when there are too many. */
bool cli_common_flag(struct cli_common *c, const char *name, const char *value, const char *flag);
/* Handle a common option from getopt_long: returns 1 if consumed, 0 if not common, -1 on misuse
 * (usage already printed). */
int cli_common_option(struct cli_common *c, int opt, const char *arg, const char *cmd);
/* Build the effective configuration and apply log settings. On error prints one line and returns NULL. */
struct orch_config *cli_common_load(struct cli_common *c, const char *cmd);
/* The same without printing: NULL with `err` filled (for `drsorch lambda runtime`, which reports it to Lambda). */
struct orch_config *cli_common_load_err(struct cli_common *c, struct orch_error *err);

/* Import protection groups from a JSON file into `store` (drsorch groups import; drsorch test --groups).
 * The whole file is validated before anything is written. */
struct orch_store;
int cli_groups_import(struct orch_store *store, const char *file, struct orch_error *err) ORCH_MUST_CHECK;

/* Store a compiled plan (cli_run.c): found by name, a new version only when the source differs from the
 * latest. Writes its id and the version that holds the source; *added says whether one was made. */
int cli_plan_import(struct orch_store *store, const json_t *compiled, const char *source, const char *author,
                    char plan_id[ORCH_ID_UUID_LEN + 1], int64_t *version, bool *added, struct orch_error *err)
    ORCH_MUST_CHECK;

/* Print "drsorch CMD: message" and "Try 'drsorch CMD --help'." to stderr; returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) ORCH_PRINTF(2, 3);
/* A --listen value: HOST:PORT with a port from 0 to 65535. Otherwise the usage error is printed: -1. */
int cli_listen_check(const char *arg, const char *cmd);
/* Print "drsorch: context: message" for an orch_error to stderr; returns CLI_EXIT_FAIL. */
int cli_fail(const struct orch_error *err);

#endif
