/* cli_progress: live progress of running executions for the terminal. Fed by the engine's listener on the
 * scheduler thread (which only copies what it needs under a mutex), drawn by the main thread every ~100 ms:
 * on a terminal, a bar per wave (status, servers launched and failed of the total, elapsed) and the
 * execution's elapsed time against its RTO target, redrawn in place with ANSI escapes; otherwise one
 * timestamped line per meaningful event. Also queues the approvals the engine waits for, for the prompt.
 * Uses orch_exec_engine (listener), orch_exec_state, orch_time, orch_buf, pthreads. */
#ifndef ORCH_CLI_PROGRESS_H
#define ORCH_CLI_PROGRESS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "core/orch_clock.h"
#include "core/orch_error.h"
#include "exec/orch_exec_state.h"

struct cli_progress_options {
  FILE *out;                      /* where progress goes (borrowed) */
  bool tty;                       /* redraw in place; else a line per event */
  const struct orch_clock *clock; /* the engine's clock (borrowed): timestamps and elapsed times */
  bool show_ids;                  /* prefix lines with the execution's short id (several executions) */
  const char *footer;             /* a hint under the bars on a terminal (static string), or NULL */
};

/* An approval the engine waits for: a wave's gate, or a hook's w:approve. */
struct cli_approval {
  char exec_id[ORCH_ID_UUID_LEN + 1];
  char wave[ORCH_EXEC_NAME_MAX];
  char prompt[512];
  bool hook;
};

struct cli_progress;

int cli_progress_new(const struct cli_progress_options *o, struct cli_progress **out) ORCH_MUST_CHECK;
/* Accepts NULL. The engine must be stopped first (its listener points here). */
void cli_progress_free(struct cli_progress *p);

/* An orch_exec_listener: pass cli_progress as its context. */
void cli_progress_listener(void *ctx, const struct orch_exec_state *st, int64_t seq, int64_t at_ms, const char *type,
                           const json_t *data);

/* Take an execution's state as it is now, without a line per past change (before resuming it: the
 * engine says nothing of an execution until its next event); queues the approvals it waits for. */
void cli_progress_seed(struct cli_progress *p, const struct orch_exec_state *st);

/* Main thread: print what happened since the last call (lines, or the redrawn bars). */
void cli_progress_render(struct cli_progress *p);
/* A line of the CLI's own ("cancelling ..."), printed with the events. */
void cli_progress_note(struct cli_progress *p, const char *fmt, ...) ORCH_PRINTF(2, 3);
/* Leave the bars drawn so far where they are (before a prompt or the report): the next render draws
 * below whatever was written in between. */
void cli_progress_detach(struct cli_progress *p);
/* The last render, without the footer; the bars stay on screen above what follows. */
void cli_progress_end(struct cli_progress *p);
/* The oldest approval request not yet taken; false when none. */
bool cli_progress_take_approval(struct cli_progress *p, struct cli_approval *out);

#endif
