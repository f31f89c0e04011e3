/* cli_cleanup: cleaning a drill up now from the command line: checked against its journal and its lease
 * first, then an engine that resumes nothing else is sent ORCH_CMD_CLEANUP (which loads the drill, taking
 * its lease) and watched to the end. Uses cli_session, cli_watch, cli_progress, cli_lookup, cli_report,
 * orch_exec_engine. */
#include "cli/cli_cleanup.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_lookup.h"
#include "cli/cli_progress.h"
#include "cli/cli_report.h"
#include "cli/cli_watch.h"

/* Whether the drill can be cleaned up now; otherwise prints why (and returns the exit status). -1: go on. */
static int check(struct orch_store *store, const struct cli_exec *x, const char *label) {
  const struct orch_exec_state *st = &x->st;
  char driver[400];
  struct orch_store_lease lease = {0};
  if (st->mode != ORCH_MODE_DRILL) {
    fprintf(stderr, "drsorch executions cleanup: %s is a %s: only a drill's recovery instances are cleaned up (a recovery's "
            "are yours to keep)\n", label, orch_exec_mode_name(st->mode));
    return CLI_EXIT_FAIL;
  }
  if (st->status == ORCH_EXEC_CLEANED) {
    printf("drill %s of %s is already cleaned up\n", label, st->plan_name);
    return CLI_EXIT_OK;
  }
  if (!st->ended_ms) {
    fprintf(stderr, "drsorch executions cleanup: drill %s of %s is %s: it cleans up once it ends; to end it now, cancel it "
            "(Ctrl-C or SIGTERM to the process that drives it)\n", label, st->plan_name, orch_exec_status_name(st->status));
    return CLI_EXIT_FAIL;
  }
  if (cli_exec_driver(store, st->id, driver, sizeof driver, &lease)) {
    fprintf(stderr,
            "drsorch executions cleanup: drill %s of %s is driven by %s, which cleans it up. To clean up now, press "
            "Ctrl-C in that process's terminal or run 'kill -TERM %lld' on %s: a drill kept by --keep-for then cleans "
            "up at once. If that process is stuck, stop it and run this again once its lease has run out.\n",
            label, st->plan_name, driver, (long long)lease.pid, lease.host);
    return CLI_EXIT_FAIL;
  }
  return -1;
}

int cli_cleanup(const struct orch_config *cfg, const struct cli_target *t, const char *ref) {
  struct cli_session s = {0};
  struct cli_progress *progress = NULL;
  struct cli_exec x = {0};
  struct orch_error err = {0};
  char id[ORCH_ID_UUID_LEN + 1], label[ORCH_ID_UUID_LEN + 1], where[700];
  int status = CLI_EXIT_FAIL;
  orch_exec_state_init(&x.st);
  if (cli_session_store(&s, cfg, t, &err) || cli_exec_resolve(s.store, ref, id, &err) || cli_exec_load(s.store, id, &x, &err)) {
    status = cli_fail(&err);
    goto out;
  }
  cli_id_short(s.store, id, label, sizeof label);
  if ((status = check(s.store, &x, label)) >= 0) goto out;
  status = CLI_EXIT_FAIL;
  const char *region = json_string_value(json_object_get(x.st.plan, "region"));
  struct cli_progress_options po = {.out = stdout, .tty = isatty(STDOUT_FILENO) != 0,
                                    .footer = "  (Ctrl-C twice stops waiting; 'drsorch resume' carries the clean-up on)",
                                    .hold_for_approvals = isatty(STDIN_FILENO)};
  if ((status = cli_watch_prepare(&s, cfg, t, region, &po, &progress, where, sizeof where)) != CLI_EXIT_OK) goto out;
  status = CLI_EXIT_FAIL;
  printf("cleaning up drill %s of %s (%s) against %s\n", label, x.st.plan_name, orch_exec_status_name(x.st.status), where);
  fflush(stdout);
  cli_progress_label(progress, id, label);
  cli_progress_seed(progress, &x.st);
  struct cli_engine_options eo = {.poll_ms = orch_config_duration_ms(cfg, "scheduler.poll_interval"),
                                  .keep_for_ms = orch_config_duration_ms(cfg, "exec.keep_for"),
                                  .aws_allow_ceiling = orch_config_str(cfg, "plans.aws_allow_ceiling"),
                                  .listener = cli_progress_listener, .listener_ctx = progress, .no_resume = true};
  if (cli_session_engine(&s, &eo, &err)) {
    status = cli_fail(&err);
    goto out;
  }
  cli_watch_signals_ready();
  struct orch_exec_command_spec spec = {.exec_id = id, .cmd = ORCH_CMD_CLEANUP, .by = cli_watch_actor(),
                                        .reason = "drsorch executions cleanup"};
  int rc = orch_exec_engine_command_ex(s.eng, &spec, &err);
  json_t *live = rc == ORCH_ESTATE ? orch_exec_engine_snapshot(s.eng, id) : NULL;
  if (rc && !live) { /* refused, and not taken up here (another process took it between the check and now) */
    status = cli_fail(&err);
    goto out;
  }
  if (live) cli_progress_note(progress, "%s: this process drives it on", err.message); /* e.g. already under way */
  json_decref(live);
  struct cli_watch_options wo = {.eng = s.eng, .progress = progress, .can_prompt = isatty(STDIN_FILENO) != 0,
                                 .prompt_out = stdout};
  const char(*ids)[ORCH_ID_UUID_LEN + 1] = (const char(*)[ORCH_ID_UUID_LEN + 1]) & id;
  cli_exec_release(&x);
  if (cli_watch(&wo, ids, 1, &err) || cli_exec_load(s.store, id, &x, &err)) {
    status = cli_fail(&err);
    goto out;
  }
  if (cli_exec_report_print(&x, false, stdout, &err)) status = cli_fail(&err);
  else status = x.st.status == ORCH_EXEC_CLEANED ? CLI_EXIT_OK : CLI_EXIT_FAIL;
out:
  cli_session_close(&s);
  cli_progress_free(progress);
  cli_exec_release(&x);
  return status;
}
