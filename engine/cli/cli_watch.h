/* cli_watch: following executions to their end from the command line: progress drawn every ~100 ms,
 * approvals answered (a y/N prompt on a terminal that gives up when the approval is no longer wanted;
 * without a terminal and without --approve-all the execution is cancelled saying why, since nobody can
 * open the gate), and signals: Ctrl-C, SIGTERM and SIGHUP alike, the first cancels (a drill then cleans
 * up; a drill kept by --keep-for cleans up now), the second exits at once printing the `drsorch resume`
 * command that carries on from the journal. Uses orch_exec_engine, cli_progress, cli_session. */
#ifndef ORCH_CLI_WATCH_H
#define ORCH_CLI_WATCH_H

#include <stdbool.h>
#include <stdio.h>

#include "cli/cli_progress.h"
#include "cli/cli_session.h"
#include "exec/orch_exec_engine.h"

/* Exit status when a second signal stops the process at once: 128 + the signal (130 for Ctrl-C, 143 for
 * SIGTERM, 129 for SIGHUP). */
#define CLI_EXIT_INTERRUPTED 130

/* Catch SIGINT, SIGTERM and SIGHUP and block them: call before any thread starts, so only the main thread
 * receives them. */
void cli_watch_signals_block(void);
/* Let the main thread receive them again: call once the engine's threads are started. */
void cli_watch_signals_ready(void);
/* The `drsorch resume` command that carries on with the same store and way to AWS (printed when a
 * second signal stops the process). cli_watch_prepare sets it. */
void cli_watch_set_resume(const struct cli_target *t);
const char *cli_watch_resume_command(void);

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
