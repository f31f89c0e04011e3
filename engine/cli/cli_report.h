/* cli_report: one execution read back from the store for the commands that print it: its journal folded
 * into a state, its report (text, or JSON with the outcome added), and its outcome: how it ended, which
 * for a drill that has cleaned up is the status ExecutionEnded recorded, not CLEANED.
 * Uses orch_store, orch_exec_state, orch_exec_report, orch_json. */
#ifndef ORCH_CLI_REPORT_H
#define ORCH_CLI_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "exec/orch_exec_report.h"
#include "exec/orch_exec_state.h"
#include "store/orch_store.h"

struct cli_exec {
  struct orch_exec_state st;
  struct orch_store_event_list events;
  char outcome[32]; /* COMPLETED, PARTIAL, FAILED, CANCELLED; "" while it has not ended */
};

/* Read and fold execution `id`'s journal. `x` is initialised here; release it with cli_exec_release
 * whatever the result. */
int cli_exec_load(struct orch_store *store, const char *id, struct cli_exec *x, struct orch_error *err)
    ORCH_MUST_CHECK;
void cli_exec_release(struct cli_exec *x);

/* Done, and done well: it ended COMPLETED and, for a drill, has been cleaned up. */
bool cli_exec_succeeded(const struct cli_exec *x);

/* The report JSON with "outcome" added (null while unfinished). Caller owns it; NULL when out of memory. */
json_t *cli_exec_report_json(const struct cli_exec *x);
/* Print the report to `out`: indented JSON, or the text summary with a line for a drill's outcome. */
int cli_exec_report_print(const struct cli_exec *x, bool json, FILE *out, struct orch_error *err) ORCH_MUST_CHECK;

/* Finding an execution by id, short id or "latest": cli_exec_resolve in cli_lookup.h. */
#include "cli/cli_lookup.h"

#endif
