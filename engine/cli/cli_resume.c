/* cli_resume: `drsorch resume`: start the engine on a store, which carries on every unfinished execution
 * from its journal (after a crash, a second Ctrl-C, a stopped server), watch them to their end and print
 * each report. Uses cli_session, cli_progress, cli_watch, cli_report, orch_store. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_progress.h"
#include "cli/cli_report.h"
#include "cli/cli_session.h"
#include "cli/cli_watch.h"
#include "core/orch_alloc.h"
#include "core/orch_json.h"
#include "core/orch_log.h"

static const char resume_help[] =
    "Usage: drsorch resume [OPTIONS]\n"
    "\n"
    "Carry on every unfinished execution in the store: the engine rebuilds each from its journal,\n"
    "finds the DRS jobs it had asked for (so nothing is launched twice) and goes on. Waits until all\n"
    "have finished, then prints each report. With nothing unfinished it says so and exits 0.\n"
    "Against a standalone 'drsorch sim', pass --endpoint-url with its URL and its credentials in\n"
    "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (the home account is asked of sts:GetCallerIdentity\n"
    "unless --account names it).\n"
    "\nOptions:\n"
    "  --approve-all         open every approval gate still closed; otherwise a terminal is asked, and\n"
    "                        executions waiting at a gate refuse to resume without one\n"
    "  --json                print the reports as a JSON array on stdout (progress goes to stderr)\n"
    "  --poll DURATION       DescribeJobs poll interval (scheduler.poll_interval)\n"
    "  --module-dir DIR      where the plans' own modules are (default: the plan file's directory as\n"
    "                        recorded when it ran)\n" CLI_TARGET_HELP CLI_COMMON_HELP
    "\nExit status: 0 every execution completed (drills: and cleaned up) or nothing to do; 1 otherwise;\n"
    "2 usage; 130 second Ctrl-C.\n";

/* The directory of the plan file an execution ran from, when it still exists. */
static void recorded_module_dir(const struct orch_exec_state *st, char *out, size_t n) {
  const char *file = json_string_value(json_object_get(st->plan, "file"));
  const char *slash = file ? strrchr(file, '/') : NULL;
  struct stat sb;
  out[0] = '\0';
  if (!file) return;
  if (!slash) snprintf(out, n, ".");
  else snprintf(out, n, "%.*s", (int)(slash - file), file);
  if (stat(out, &sb) != 0 || !S_ISDIR(sb.st_mode)) out[0] = '\0';
}

/* Waves of `st` waiting behind a closed gate, or that will ("app, web"); "" when none. */
static void closed_gates(const struct orch_exec_state *st, char *out, size_t n) {
  size_t used = 0;
  out[0] = '\0';
  if (st->ended_ms || st->mode == ORCH_MODE_DRY_RUN) return;
  for (size_t w = 0; w < st->nwaves; w++) {
    const struct orch_exec_wave *wv = &st->waves[w];
    if (!wv->approval || wv->approved || orch_wave_status_final(wv->status)) continue;
    int k = snprintf(out + used, n - used, "%s%s", used ? ", " : "", wv->name);
    if (k < 0 || (size_t)k >= n - used) break;
    used += (size_t)k;
  }
}

int cli_resume(int argc, char **argv) {
  enum { OPT_JSON = 0x700, OPT_APPROVE_ALL, OPT_POLL, OPT_MODULE_DIR };
  static const struct option longopts[] = {CLI_COMMON_LONGOPTS,
                                           CLI_TARGET_LONGOPTS,
                                           {"json", no_argument, NULL, OPT_JSON},
                                           {"approve-all", no_argument, NULL, OPT_APPROVE_ALL},
                                           {"poll", required_argument, NULL, OPT_POLL},
                                           {"module-dir", required_argument, NULL, OPT_MODULE_DIR},
                                           {0, 0, 0, 0}};
  struct cli_common common = {0};
  struct cli_target target = {0};
  bool as_json = false, approve_all = false, poll_set = false;
  int64_t poll_ms = 0;
  const char *module_dir = NULL;
  int opt, used;
  optind = 1;
  opterr = 0;
  while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
    if ((used = cli_common_option(&common, opt, optarg, "resume")) < 0) return CLI_EXIT_USAGE;
    if (used) continue;
    if ((used = cli_target_option(&target, opt, optarg, "resume")) < 0) return CLI_EXIT_USAGE;
    if (used) continue;
    switch (opt) {
      case OPT_JSON: as_json = true; break;
      case OPT_APPROVE_ALL: approve_all = true; break;
      case OPT_POLL:
        if (cli_duration_option(optarg, "--poll", "resume", &poll_ms)) return CLI_EXIT_USAGE;
        if (poll_ms < 100) return cli_usage_error("resume", "--poll must be at least 100ms");
        poll_set = true;
        break;
      case OPT_MODULE_DIR: module_dir = optarg; break;
      case 'h': return fputs(resume_help, stdout), CLI_EXIT_OK;
      case ':': return cli_usage_error("resume", "option '%s' needs a value", argv[optind - 1]);
      default: return cli_usage_error("resume", "unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc) return cli_usage_error("resume", "unexpected argument '%s'", argv[optind]);
  if (cli_target_check(&target, "resume")) return CLI_EXIT_USAGE;

  struct orch_config *cfg = cli_common_load(&common, "resume");
  if (!cfg) return CLI_EXIT_FAIL;
  cli_session_quiet_logs(cfg);
  struct cli_session s = {0};
  struct cli_progress *progress = NULL;
  struct orch_store_exec_list unfinished = {0};
  struct cli_exec *execs = NULL;
  char(*ids)[ORCH_ID_UUID_LEN + 1] = NULL;
  struct orch_error err = {0};
  int status = CLI_EXIT_FAIL;
  size_t n = 0;
  FILE *out = as_json ? stderr : stdout;
  char dir[4096] = "";

  if (cli_session_store(&s, cfg, &target, &err) || orch_store_exec_list_unfinished(s.store, &unfinished, &err)) {
    status = cli_fail(&err);
    goto out;
  }
  n = unfinished.count;
  if (!n) {
    fputs("nothing to resume: every execution in the store has finished\n", out);
    if (as_json) fputs("[]\n", stdout);
    status = CLI_EXIT_OK;
    goto out;
  }
  execs = orch_calloc(n, sizeof *execs);
  ids = orch_calloc(n, sizeof *ids);
  if (!execs || !ids) {
    orch_error_set(&err, ORCH_ENOMEM, "out of memory");
    status = cli_fail(&err);
    goto out;
  }
  for (size_t i = 0; i < n; i++) orch_exec_state_init(&execs[i].st);
  for (size_t i = 0; i < n; i++) {
    snprintf(ids[i], sizeof ids[i], "%s", unfinished.items[i].id);
    if (cli_exec_load(s.store, ids[i], &execs[i], &err)) {
      orch_error_prefix(&err, "execution %s", ids[i]);
      status = cli_fail(&err);
      goto out;
    }
    char gates[512];
    closed_gates(&execs[i].st, gates, sizeof gates);
    if (gates[0] && !approve_all && !isatty(STDIN_FILENO)) {
      status = cli_usage_error("resume", "execution %s of %s has approval gates still closed (%s) and there is no terminal to ask: pass --approve-all to open them",
                               ids[i], execs[i].st.plan_name, gates);
      goto out;
    }
    if (!dir[0]) recorded_module_dir(&execs[i].st, dir, sizeof dir);
  }
  struct cli_progress_options po = {.out = out, .tty = isatty(fileno(out)) != 0, .show_ids = n > 1,
                                    .footer = "  (Ctrl-C cancels; drills clean up first)"};
  const char *region = json_string_value(json_object_get(execs[0].st.plan, "region"));
  char where[700];
  if ((status = cli_watch_prepare(&s, cfg, &target, target.sim_scenario ? region : NULL, &po, &progress, where,
                                  sizeof where)) != CLI_EXIT_OK)
    goto out;
  status = CLI_EXIT_FAIL;
  fprintf(out, "resuming %zu unfinished execution(s) against %s\n", n, where);
  fflush(out);
  for (size_t i = 0; i < n; i++) cli_progress_seed(progress, &execs[i].st);
  struct cli_engine_options eo = {.approve_all = approve_all,
                                  .poll_ms = poll_set ? poll_ms : orch_config_duration_ms(cfg, "scheduler.poll_interval"),
                                  .keep_for_ms = orch_config_duration_ms(cfg, "exec.keep_for"),
                                  .module_dir = module_dir ? module_dir : dir[0] ? dir : NULL,
                                  .listener = cli_progress_listener, .listener_ctx = progress,
                                  .aws_allow_ceiling = orch_config_str(cfg, "plans.aws_allow_ceiling")};
  if (cli_session_engine(&s, &eo, &err)) {
    status = cli_fail(&err);
    goto out;
  }
  cli_watch_signals_ready();
  struct cli_watch_options wo = {.eng = s.eng, .progress = progress, .approve_all = approve_all,
                                 .can_prompt = isatty(STDIN_FILENO) != 0, .prompt_out = out};
  if (cli_watch(&wo, (const char(*)[ORCH_ID_UUID_LEN + 1])ids, n, &err)) {
    status = cli_fail(&err);
    goto out;
  }
  status = CLI_EXIT_OK;
  json_t *reports = as_json ? json_array() : NULL;
  for (size_t i = 0; i < n; i++) {
    cli_exec_release(&execs[i]);
    int rc = cli_exec_load(s.store, ids[i], &execs[i], &err);
    if (!rc && as_json) {
      json_t *r = cli_exec_report_json(&execs[i]);
      rc = !r || json_array_append_new(reports, r) ? orch_error_set(&err, ORCH_ENOMEM, "out of memory") : 0;
    } else if (!rc) {
      if (i) fputc('\n', stdout);
      rc = cli_exec_report_print(&execs[i], false, stdout, &err);
    }
    if (rc) cli_fail(&err);
    if (rc || !cli_exec_succeeded(&execs[i])) status = CLI_EXIT_FAIL;
  }
  if (as_json) {
    struct orch_buf b = ORCH_BUF_INIT(0);
    if (!reports || orch_json_dump(&b, reports, JSON_INDENT(2)) || orch_buf_putc(&b, '\n')) {
      fprintf(stderr, "drsorch resume: out of memory\n");
      status = CLI_EXIT_FAIL;
    } else {
      fputs(orch_buf_cstr(&b), stdout);
    }
    orch_buf_free(&b);
    json_decref(reports);
  }
out:
  cli_session_close(&s);
  cli_progress_free(progress);
  for (size_t i = 0; execs && i < n; i++) cli_exec_release(&execs[i]);
  orch_free(execs);
  orch_free(ids);
  orch_store_exec_list_release(&unfinished);
  orch_config_free(cfg);
  return status;
}
