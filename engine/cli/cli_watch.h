/* cli_watch: following executions to their end from the command line: progress drawn every ~100 ms,
 * approvals answered (a y/N prompt on a terminal; without one and without --approve-all the execution is
 * cancelled, since nobody can open the gate), and Ctrl-C: the first cancels (a drill then cleans up),
 * the second exits at once (the journal lets `drsorch resume` carry on). Uses orch_exec_engine, cli_progress,
 * cli_session. */
#ifndef ORCH_CLI_WATCH_H
#define ORCH_CLI_WATCH_H

#include <stdbool.h>
#include <stdio.h>

#include "cli/cli_progress.h"
#include "cli/cli_session.h"
#include "exec/orch_exec_engine.h"

/* Exit status when a second Ctrl-C stops the process at once (128 + SIGINT). */
#define CLI_EXIT_INTERRUPTED 130

/* Catch SIGINT and block it: call before any thread starts, so only the main thread receives it. */
void cli_watch_signals_block(void);
/* Let the main thread receive SIGINT again: call once the engine's threads are started. */
void cli_watch_signals_ready(void);

/* The start that run and resume share: block SIGINT, reach AWS (cli_session_aws with `plan_region`),
 * open the live progress `po` (its clock set to the session's) into *progress (caller frees) and write
 * into `where` what the calls go to (cli_session_describe). CLI_EXIT_OK, or CLI_EXIT_FAIL with the error
 * printed. */
int cli_watch_prepare(struct cli_session *s, const struct orch_config *cfg, const struct cli_target *t,
                      const char *plan_region, struct cli_progress_options *po, struct cli_progress **progress,
                      char *where, size_t n) ORCH_MUST_CHECK;

/* Who the commands are sent as: "cli:<login>". */
const char *cli_watch_actor(void);

struct cli_watch_options {
  struct orch_exec_engine *eng;  /* borrowed */
  struct cli_progress *progress; /* borrowed */
  bool approve_all;              /* the engine opens gates itself */
  bool can_prompt;               /* stdin is a terminal */
  FILE *prompt_out;              /* where prompts are written */
};

/* Return once every execution in `ids` has finished (for drills: cleaned up). 0, or the engine's error
 * when it stopped. */
int cli_watch(const struct cli_watch_options *o, const char (*ids)[ORCH_ID_UUID_LEN + 1], size_t n,
              struct orch_error *err) ORCH_MUST_CHECK;

#endif
