/* cli_cleanup: `drsorch executions cleanup ID`: a drill that keeps its recovery instances (--keep-for) or
 * whose clean-up gave up is cleaned up now. When no live process drives it, this process takes its lease
 * and drives the clean-up to its end in-process (progress, then the report); when another process drives
 * it, it says which (pid and host) and what to do. Uses cli_session, cli_watch, cli_progress, cli_lookup,
 * cli_report, orch_exec_engine. */
#ifndef ORCH_CLI_CLEANUP_H
#define ORCH_CLI_CLEANUP_H

#include "cli/cli_session.h"

/* The whole command after its options are parsed: the exit status. */
int cli_cleanup(const struct orch_config *cfg, const struct cli_target *t, const char *ref);

#endif
