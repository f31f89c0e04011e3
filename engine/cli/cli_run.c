/* cli_run: `drsorch run PLAN --mode drill|recovery|dry-run` (one execution of a plan file, against a simulated
 * region or AWS, with live progress and the report) and `drsorch test PLAN --scenario FILE` (a drill in the
 * simulator at full speed with every gate open: PASS or FAIL, for plan authors' CI). Both compile the plan,
 * import it into the store (a new version only when the source changed), start the engine and watch.
 * Uses orch_plan_compile, orch_store, cli_session, cli_progress, cli_watch, cli_report. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_lookup.h"
#include "cli/cli_progress.h"
#include "cli/cli_report.h"
#include "cli/cli_session.h"
#include "cli/cli_watch.h"
#include "core/orch_alloc.h"
#include "core/orch_json.h"
#include "core/orch_log.h"
#include "core/orch_str.h"
#include "core/orch_time.h"
#include "plan/orch_plan_compile.h"

#define TEST_POLL_MS 5000
#define RUN_MAX_GROUPS 4096

static const char run_help[] =
    "Usage: drsorch run PLAN --mode drill|recovery|dry-run [OPTIONS]\n"
    "\n"
    "Run a recovery plan once: compile it (problems are listed as by 'drsorch validate'), store it (a new\n"
    "version only when its source changed), start the execution, show its progress live and print its\n"
    "report. Without --sim the calls go to AWS. The engine also resumes any unfinished execution in the\n"
    "store.\n"
    "\nOptions:\n"
    "  --mode MODE           drill (launch, check, clean up), recovery (the real thing) or dry-run\n"
    "                        (preflight only: launches nothing); required\n"
    "  --approve-all         open every approval gate (journaled as such); otherwise a terminal is\n"
    "                        asked, and a plan with gates refuses to start without one\n"
    "  --yes                 start a recovery against AWS without typing the plan name to confirm\n"
    "  --json                print the report as JSON on stdout (progress goes to stderr)\n"
    "  --poll DURATION       DescribeJobs poll interval (scheduler.poll_interval; sim time with --sim)\n"
    "  --keep-for DURATION   drills keep their instances this long before clean-up (exec.keep_for)\n" CLI_TARGET_HELP
        CLI_COMMON_HELP
    "\nOn a terminal, progress is a bar per wave redrawn in place; otherwise a timestamped line per event.\n"
    "Ctrl-C cancels the execution (a drill then cleans up); a second Ctrl-C exits at once, and\n"
    "'drsorch resume' carries on from the journal.\n"
    "\nExit status: 0 completed (a drill: completed and cleaned up); 1 failed, partial, cancelled, or an\n"
    "error; 2 usage (including a recovery or gates that nobody could confirm); 130 second Ctrl-C.\n"
    "Example: drsorch run plans/demo/three-tier.lua --mode drill --sim plans/scenarios/three-tier-demo.json --approve-all\n";

static const char test_help[] =
    "Usage: drsorch test PLAN --scenario FILE [OPTIONS]\n"
    "\n"
    "Test a recovery plan against a simulated region: a drill in simulated time (a discrete-event clock that\n"
    "jumps to the next due moment, polling every 5 s of sim time) with every approval gate opened. The same\n"
    "plan, scenario and seed give the same report, idle or busy. It passes when every wave completes,\n"
    "the drill cleans up, and the plan's RTO target (if any) is met. Prints the report, then PASS or FAIL.\n"
    "\nOptions:\n"
    "  --scenario FILE       the simulated region (JSON; examples in plans/scenarios/); required\n"
    "  --seed S              seed for the simulated timings and outcomes (default 1)\n"
    "  --json                print the report as JSON, with \"test\": {\"passed\", \"failures\"}\n"
    "  --db PATH|SPEC        keep the execution in this store (default: a scratch store, removed)\n"
    "  --groups FILE         protection groups the plan uses (JSON, as 'drsorch groups import' takes)\n" CLI_COMMON_HELP
    "\nExit status: 0 PASS; 1 FAIL (or an error); 2 usage.\n"
    "Example: drsorch test plans/demo/three-tier.lua --scenario plans/scenarios/three-tier-demo.json\n";

struct run_args {
  const char *cmd;
  const char *plan_path;
  int mode; /* enum orch_exec_mode, -1 unset */
  bool approve_all, yes, json;
  bool poll_set, keep_set;
  int64_t poll_ms, keep_for_ms;
  struct cli_target target;
};

/* Names of the store's protection groups, for checking `group "x"` selectors. NULL-terminated; caller frees
 * the array and (one allocation) the names. */
static int group_names(struct orch_store *store, const char ***names_out, char **pool_out, struct orch_error *err) {
  struct orch_store_group_list list = {0};
  struct orch_buf pool = ORCH_BUF_INIT(0);
  size_t n = 0;
  char cursor[ORCH_STORE_CURSOR_MAX + 1] = "";
  int rc = 0;
  do {
    struct orch_store_page page = {.limit = ORCH_STORE_PAGE_MAX, .cursor = cursor[0] ? cursor : NULL};
    rc = orch_store_group_list(store, &page, &list, err);
    for (size_t i = 0; !rc && i < list.count && n < RUN_MAX_GROUPS; i++, n++)
      rc = orch_buf_append(&pool, list.items[i].name, strlen(list.items[i].name) + 1);
    snprintf(cursor, sizeof cursor, "%s", list.next_cursor);
    orch_store_group_list_release(&list);
  } while (!rc && cursor[0] && n < RUN_MAX_GROUPS);
  const char **names = rc ? NULL : orch_calloc(n + 1, sizeof *names);
  if (!rc && !names) rc = ORCH_ENOMEM;
  if (rc) {
    orch_buf_free(&pool);
    return err && err->code ? rc : orch_error_set(err, rc, "out of memory listing protection groups");
  }
  char *p = pool.data;
  for (size_t i = 0; i < n; i++, p += strlen(p) + 1) names[i] = p;
  *names_out = names;
  *pool_out = orch_buf_take(&pool, NULL);
  return 0;
}

/* The plan file's directory: where `require "lib.x"` finds lib/x.lua. */
static void plan_dir(const char *path, char *out, size_t n) {
  const char *slash = strrchr(path, '/');
  if (!slash) snprintf(out, n, ".");
  else if (slash == path) snprintf(out, n, "/");
  else snprintf(out, n, "%.*s", (int)(slash - path), path);
}

/* Compile the plan as `validate` does. On problems prints them (stderr) and returns 1 with *report kept. */
static int compile_plan(const struct run_args *a, const struct orch_config *cfg, struct orch_store *store,
                        const char *source, size_t len, const char *dir, struct orch_plan_report **report) {
  const char **groups = NULL;
  char *pool = NULL;
  struct orch_error err = {0};
  int status = CLI_EXIT_OK;
  if (group_names(store, &groups, &pool, &err)) return cli_fail(&err);
  struct orch_plan_sandbox_config sc = {.module_dir = dir,
                                        .aws_allow_ceiling = orch_config_str(cfg, "plans.aws_allow_ceiling")};
  struct orch_plan_source src = {.file = a->plan_path, .text = source, .len = len};
  struct orch_plan_options po = {.known_groups = groups};
  if (orch_plan_validate(&sc, &src, &po, report, &err)) {
    status = cli_fail(&err);
  } else if (orch_plan_report_count(*report)) {
    struct orch_buf out = ORCH_BUF_INIT(0);
    if (!orch_plan_report_text(*report, &out)) fputs(orch_buf_cstr(&out), stderr);
    orch_buf_free(&out);
    fprintf(stderr, "drsorch %s: %s has problems: nothing was run\n", a->cmd, a->plan_path);
    status = CLI_EXIT_FAIL;
  }
  orch_free(groups);
  orch_free(pool);
  return status;
}

int cli_plan_import(struct orch_store *store, const json_t *compiled, const char *source, const char *author,
                    char plan_id[ORCH_ID_UUID_LEN + 1], int64_t *version, bool *added, struct orch_error *err) {
  const char *name = json_string_value(json_object_get(compiled, "name"));
  struct orch_store_plan plan = {0};
  struct orch_store_plan_version latest = {0}, made = {0};
  struct orch_store_version_spec v = {.source = source, .compiled = compiled, .author = author,
                                      .description = json_string_value(json_object_get(compiled, "description"))};
  if (!name) return orch_error_set(err, ORCH_EVALIDATION, "the compiled plan has no name");
  int rc = orch_store_plan_find(store, name, &plan, err);
  *added = true;
  if (rc == ORCH_ENOTFOUND) {
    orch_error_clear(err);
    rc = orch_store_plan_create(store, name, &v, &plan, &made, err);
  } else if (!rc) {
    rc = orch_store_plan_version_get(store, plan.id, 0, &latest, err);
    if (!rc && latest.source && strcmp(latest.source, source) == 0) {
      *added = false;
      made.version = latest.version;
    } else if (!rc) {
      rc = orch_store_plan_add_version(store, plan.id, plan.latest_version, &v, &made, err);
    }
  }
  if (!rc) {
    snprintf(plan_id, ORCH_ID_UUID_LEN + 1, "%s", plan.id);
    *version = made.version;
  }
  orch_store_plan_version_release(&latest);
  orch_store_plan_version_release(&made);
  return rc;
}

/* "app, web" from the compiled plan's gates. */
static void gate_list(const json_t *compiled, char *out, size_t n) {
  size_t i, used = 0;
  const json_t *g;
  out[0] = '\0';
  json_array_foreach(json_object_get(compiled, "gates"), i, g) {
    const char *wave = json_string_value(json_object_get(g, "wave"));
    int k = snprintf(out + used, n - used, "%s%s", i ? ", " : "", wave ? wave : "?");
    if (k < 0 || (size_t)k >= n - used) break;
    used += (size_t)k;
  }
}

/* A recovery against AWS needs --yes or a terminal to confirm on: usage status, or -1 to go on. */
static int recovery_confirmable(const struct run_args *a) {
  if (a->mode != ORCH_MODE_RECOVERY || a->target.sim_scenario || a->yes || isatty(STDIN_FILENO)) return -1;
  return cli_usage_error(a->cmd, "a recovery against AWS must be confirmed: run it on a terminal, or pass --yes");
}

/* The home account, for the confirmation: configured, or asked of sts:GetCallerIdentity. */
static void home_account(const struct cli_session *s, char *out, size_t n) {
  snprintf(out, n, "%s", s->account[0] ? s->account : "(unknown)");
  if (s->account[0]) return;
  json_t *who = NULL;
  struct orch_aws_error aerr = {.retry_after_ms = -1};
  struct orch_error err = {0};
  if (!orch_exec_aws_ops()->call(s->aws, "", s->region, "sts", "GetCallerIdentity", NULL, false, &who, &aerr, &err) &&
      json_string_value(json_object_get(who, "Account")))
    snprintf(out, n, "%s", json_string_value(json_object_get(who, "Account")));
  json_decref(who);
}

/* A recovery against AWS: the operator reads where it goes (account, region, endpoint) and types the plan
 * name. Exit status, or -1 to go on. */
static int confirm_recovery(const struct run_args *a, const struct cli_session *s, const char *plan_name) {
  if (a->mode != ORCH_MODE_RECOVERY || a->target.sim_scenario || a->yes) return -1;
  char account[64];
  home_account(s, account, sizeof account);
  fprintf(stderr,
          "This starts a RECOVERY of plan '%s' in AWS account %s, region %s, through %s: recovery\n"
          "instances are launched for real and are not terminated afterwards. Type the plan name to confirm: ",
          plan_name, account, s->region[0] ? s->region : "(the plan's)",
          s->endpoint[0] ? s->endpoint : "AWS's own endpoints");
  fflush(stderr);
  char answer[256];
  cli_watch_signals_ready(); /* Ctrl-C at the question ends it: nothing has started */
  if (!fgets(answer, sizeof answer, stdin)) answer[0] = '\0';
  cli_watch_signals_block();
  answer[strcspn(answer, "\r\n")] = '\0';
  if (strcmp(answer, plan_name) == 0) return -1;
  fprintf(stderr, "drsorch %s: not confirmed ('%s' is not '%s'): nothing was started\n", a->cmd, answer, plan_name);
  return CLI_EXIT_FAIL;
}

/* What becomes of the store's unfinished executions: this engine resumes the ones nobody drives (shown
 * with their short ids); the ones another live process drives are left to it, and said so. */
static void resumed_lines(struct orch_store *store, const struct orch_store_exec_list *unfinished, struct cli_progress *p,
                          FILE *out) {
  struct cli_ids *ids = NULL;
  size_t resumed = 0;
  if (!unfinished->count || cli_ids_load(store, &ids, NULL)) return;
  for (size_t i = 0; i < unfinished->count; i++) {
    char label[ORCH_ID_UUID_LEN + 1], driver[400];
    cli_ids_short(ids, unfinished->items[i].id, label, sizeof label);
    if (cli_exec_driver(store, unfinished->items[i].id, driver, sizeof driver, NULL)) {
      fprintf(out, "execution %s is driven by %s: left to it\n", label, driver);
      continue;
    }
    cli_progress_label(p, unfinished->items[i].id, label);
    resumed++;
  }
  if (resumed) fprintf(out, "also resuming %zu unfinished execution%s from the store\n", resumed, resumed == 1 ? "" : "s");
  cli_ids_free(ids);
}

/* Compile, store, start, watch; on return 0, `x` holds the finished execution. Otherwise an exit status. */
static int execute(const struct run_args *a, const struct orch_config *cfg, struct cli_exec *x) {
  struct cli_session s = {0};
  struct cli_progress *progress = NULL;
  struct orch_plan_report *report = NULL;
  struct orch_buf source = ORCH_BUF_INIT(0);
  struct orch_store_exec_list unfinished = {0};
  struct orch_error err = {0};
  char dir[4096], plan_id[ORCH_ID_UUID_LEN + 1], exec_id[ORCH_ID_UUID_LEN + 1];
  int64_t version = 0;
  bool added = false;
  int status = CLI_EXIT_FAIL;

  plan_dir(a->plan_path, dir, sizeof dir);
  if ((status = cli_target_files(&a->target)) != CLI_EXIT_OK) goto out;
  status = CLI_EXIT_FAIL;
  if (orch_plan_read_file(a->plan_path, ORCH_STORE_SOURCE_MAX, &source, &err) || !orch_buf_cstr(&source)[0]) {
    if (!err.code) orch_error_setc(&err, ORCH_EINVAL, a->plan_path, "the plan file is empty");
    status = cli_fail(&err);
    goto out;
  }
  if (cli_session_store(&s, cfg, &a->target, &err)) {
    status = cli_fail(&err);
    goto out;
  }
  if ((status = compile_plan(a, cfg, s.store, orch_buf_cstr(&source), source.len, dir, &report)) != CLI_EXIT_OK) goto out;
  status = CLI_EXIT_FAIL;
  const json_t *compiled = orch_plan_report_plan(report);
  const char *plan_name = json_string_value(json_object_get(compiled, "name"));
  if (a->mode != ORCH_MODE_DRY_RUN && !a->approve_all && json_array_size(json_object_get(compiled, "gates")) &&
      !isatty(STDIN_FILENO)) {
    char gates[512];
    gate_list(compiled, gates, sizeof gates);
    status = cli_usage_error(a->cmd, "plan %s has approval gates (%s) and there is no terminal to ask: pass --approve-all to open them",
                             plan_name, gates);
    goto out;
  }
  int confirm = recovery_confirmable(a);
  if (confirm >= 0) {
    status = confirm;
    goto out;
  }
  if (orch_store_exec_list_unfinished(s.store, &unfinished, &err)) {
    status = cli_fail(&err);
    goto out;
  }

  FILE *out = a->json ? stderr : stdout;
  struct cli_progress_options po = {.out = out, .tty = isatty(fileno(out)) != 0, .clock = NULL,
                                    .show_ids = unfinished.count > 0,
                                    .footer = "  (Ctrl-C cancels; a drill cleans up first)",
                                    .hold_for_approvals = !a->approve_all && isatty(STDIN_FILENO)};
  char where[700];
  if ((status = cli_watch_prepare(&s, cfg, &a->target, json_string_value(json_object_get(compiled, "region")), &po,
                                  &progress, where, sizeof where)) != CLI_EXIT_OK)
    goto out;
  status = CLI_EXIT_FAIL;
  if ((confirm = confirm_recovery(a, &s, plan_name)) >= 0) {
    status = confirm;
    goto out;
  }
  if (cli_plan_import(s.store, compiled, orch_buf_cstr(&source), cli_watch_actor(), plan_id, &version, &added, &err)) {
    status = cli_fail(&err);
    goto out;
  }
  fprintf(out, "plan %s version %lld %s; %s against %s\n", plan_name, (long long)version, added ? "stored" : "unchanged",
          orch_exec_mode_name((enum orch_exec_mode)a->mode), where);
  resumed_lines(s.store, &unfinished, progress, out);
  fflush(out);
  struct cli_engine_options eo = {.approve_all = a->approve_all,
                                  .poll_ms = a->poll_set ? a->poll_ms : orch_config_duration_ms(cfg, "scheduler.poll_interval"),
                                  .keep_for_ms = a->keep_set ? a->keep_for_ms : orch_config_duration_ms(cfg, "exec.keep_for"),
                                  .module_dir = dir, .listener = cli_progress_listener, .listener_ctx = progress,
                                  .aws_allow_ceiling = orch_config_str(cfg, "plans.aws_allow_ceiling")};
  if (cli_session_engine(&s, &eo, &err)) {
    status = cli_fail(&err);
    goto out;
  }
  cli_watch_signals_ready();
  if (orch_exec_engine_create(s.eng, plan_id, version, (enum orch_exec_mode)a->mode, cli_watch_actor(), exec_id, &err)) {
    status = cli_fail(&err);
    goto out;
  }
  char label[ORCH_ID_UUID_LEN + 1];
  cli_id_short(s.store, exec_id, label, sizeof label);
  cli_progress_label(progress, exec_id, label);
  struct cli_watch_options wo = {.eng = s.eng, .progress = progress, .approve_all = a->approve_all,
                                 .can_prompt = isatty(STDIN_FILENO) != 0, .prompt_out = out};
  const char(*ids)[ORCH_ID_UUID_LEN + 1] = (const char(*)[ORCH_ID_UUID_LEN + 1]) & exec_id;
  if (cli_watch(&wo, ids, 1, &err) || cli_exec_load(s.store, exec_id, x, &err)) {
    status = cli_fail(&err);
    goto out;
  }
  status = CLI_EXIT_OK;
out:
  cli_session_close(&s); /* the engine first: its listener points at progress */
  cli_progress_free(progress);
  orch_store_exec_list_release(&unfinished);
  orch_plan_report_free(report);
  orch_buf_free(&source);
  return status;
}

enum { OPT_MODE = 0x400, OPT_APPROVE_ALL, OPT_YES, OPT_JSON, OPT_POLL, OPT_KEEP_FOR, OPT_SCENARIO, OPT_GROUPS };

int cli_run(int argc, char **argv) {
  static const struct option longopts[] = {CLI_COMMON_LONGOPTS,
                                           CLI_TARGET_LONGOPTS,
                                           {"mode", required_argument, NULL, OPT_MODE},
                                           {"approve-all", no_argument, NULL, OPT_APPROVE_ALL},
                                           {"yes", no_argument, NULL, OPT_YES},
                                           {"json", no_argument, NULL, OPT_JSON},
                                           {"poll", required_argument, NULL, OPT_POLL},
                                           {"keep-for", required_argument, NULL, OPT_KEEP_FOR},
                                           {0, 0, 0, 0}};
  struct cli_common common = {0};
  struct run_args a = {.cmd = "run", .mode = -1};
  int opt, used;
  optind = 1;
  opterr = 0;
  while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
    if ((used = cli_common_option(&common, opt, optarg, "run")) < 0) return CLI_EXIT_USAGE;
    if (used) continue;
    if ((used = cli_target_option(&a.target, opt, optarg, "run")) < 0) return CLI_EXIT_USAGE;
    if (used) continue;
    switch (opt) {
      case OPT_MODE:
        if ((a.mode = orch_exec_mode_parse(optarg)) < 0)
          return cli_usage_error("run", "--mode must be drill, recovery or dry-run, not '%s'", optarg);
        break;
      case OPT_APPROVE_ALL: a.approve_all = true; break;
      case OPT_YES: a.yes = true; break;
      case OPT_JSON: a.json = true; break;
      case OPT_POLL:
        if (cli_duration_option(optarg, "--poll", "run", &a.poll_ms)) return CLI_EXIT_USAGE;
        if (a.poll_ms < 100) return cli_usage_error("run", "--poll must be at least 100ms");
        a.poll_set = true;
        break;
      case OPT_KEEP_FOR:
        if (cli_duration_option(optarg, "--keep-for", "run", &a.keep_for_ms)) return CLI_EXIT_USAGE;
        a.keep_set = true;
        break;
      case 'h': return fputs(run_help, stdout), CLI_EXIT_OK;
      case ':': return cli_usage_error("run", "option '%s' needs a value", argv[optind - 1]);
      default: return cli_usage_error("run", "unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind == argc) return cli_usage_error("run", "expected a PLAN file");
  if (optind < argc - 1) return cli_usage_error("run", "expected one PLAN file, not also '%s'", argv[optind + 1]);
  a.plan_path = argv[optind];
  if (a.mode < 0) return cli_usage_error("run", "--mode drill|recovery|dry-run is required");
  if (a.keep_set && a.mode != ORCH_MODE_DRILL) return cli_usage_error("run", "--keep-for only applies to drills");
  if (a.yes && a.mode != ORCH_MODE_RECOVERY) return cli_usage_error("run", "--yes only applies to --mode recovery");
  if (cli_target_check(&a.target, "run")) return CLI_EXIT_USAGE;

  struct orch_config *cfg = cli_common_load(&common, "run");
  if (!cfg) return CLI_EXIT_FAIL;
  cli_session_quiet_logs(cfg);
  struct cli_exec x = {0};
  orch_exec_state_init(&x.st);
  int status = execute(&a, cfg, &x);
  if (status == CLI_EXIT_OK) {
    struct orch_error err = {0};
    if (cli_exec_report_print(&x, a.json, stdout, &err)) status = cli_fail(&err);
    else status = cli_exec_succeeded(&x) ? CLI_EXIT_OK : CLI_EXIT_FAIL;
  }
  cli_exec_release(&x);
  orch_config_free(cfg);
  return status;
}

/* Why a test drill did not pass, as a JSON array of sentences (empty: it passed). */
static json_t *test_failures(const struct cli_exec *x, const json_t *report) {
  json_t *f = json_array();
  char msg[512];
  if (!f) return NULL;
  if (strcmp(x->outcome, "COMPLETED") != 0) {
    snprintf(msg, sizeof msg, "the drill ended %s%s%s", x->outcome[0] ? x->outcome : orch_exec_status_name(x->st.status),
             x->st.end_reason[0] ? ": " : "", x->st.end_reason);
    json_array_append_new(f, json_string(msg));
  }
  for (size_t w = 0; w < x->st.nwaves; w++) {
    /* Waves cancelled or never reached follow from the outcome above; name the ones that failed. */
    if (x->st.waves[w].status != ORCH_WAVE_FAILED && x->st.waves[w].status != ORCH_WAVE_SKIPPED) continue;
    snprintf(msg, sizeof msg, "wave %s is %s%s%s", x->st.waves[w].name, orch_wave_status_name(x->st.waves[w].status),
             x->st.waves[w].reason[0] ? ": " : "", x->st.waves[w].reason);
    json_array_append_new(f, json_string(msg));
  }
  if (x->st.cleanup_hook_failed) {
    snprintf(msg, sizeof msg, "the plan's cleanup hook failed: %s",
             x->st.cleanup_hook_error[0] ? x->st.cleanup_hook_error : "no reason given");
    json_array_append_new(f, json_string(msg));
  }
  if (x->st.status != ORCH_EXEC_CLEANED) json_array_append_new(f, json_string("the drill did not clean up"));
  if (json_is_false(json_object_get(report, "rto_met"))) {
    char rto[32], target[32];
    orch_duration_format(rto, sizeof rto, json_integer_value(json_object_get(report, "rto_ms")) / 1000 * 1000);
    orch_duration_format(target, sizeof target, x->st.rto_target_ms);
    snprintf(msg, sizeof msg, "RTO %s missed the target of %s", rto, target);
    json_array_append_new(f, json_string(msg));
  }
  return f;
}

int cli_test(int argc, char **argv) {
  static const struct option longopts[] = {CLI_COMMON_LONGOPTS,
                                           {"scenario", required_argument, NULL, OPT_SCENARIO},
                                           {"seed", required_argument, NULL, CLI_OPT_SEED},
                                           {"db", required_argument, NULL, CLI_OPT_DB},
                                           {"json", no_argument, NULL, OPT_JSON},
                                           {"groups", required_argument, NULL, OPT_GROUPS},
                                           {0, 0, 0, 0}};
  struct cli_common common = {0};
  const char *groups = NULL;
  struct run_args a = {.cmd = "test", .mode = ORCH_MODE_DRILL, .approve_all = true, .poll_set = true,
                       .poll_ms = TEST_POLL_MS};
  int opt, used;
  optind = 1;
  opterr = 0;
  while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
    if ((used = cli_common_option(&common, opt, optarg, "test")) < 0) return CLI_EXIT_USAGE;
    if (used) continue;
    if (opt == CLI_OPT_SEED || opt == CLI_OPT_DB) {
      if (cli_target_option(&a.target, opt, optarg, "test") < 0) return CLI_EXIT_USAGE;
      continue;
    }
    switch (opt) {
      case OPT_SCENARIO: a.target.sim_scenario = optarg; break;
      case OPT_JSON: a.json = true; break;
      case OPT_GROUPS: groups = optarg; break;
      case 'h': return fputs(test_help, stdout), CLI_EXIT_OK;
      case ':': return cli_usage_error("test", "option '%s' needs a value", argv[optind - 1]);
      default: return cli_usage_error("test", "unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind == argc) return cli_usage_error("test", "expected a PLAN file");
  if (optind < argc - 1) return cli_usage_error("test", "expected one PLAN file, not also '%s'", argv[optind + 1]);
  a.plan_path = argv[optind];
  if (!a.target.sim_scenario) return cli_usage_error("test", "--scenario FILE is required");

  struct orch_config *cfg = cli_common_load(&common, "test");
  if (!cfg) return CLI_EXIT_FAIL;
  cli_session_quiet_logs(cfg);
  char scratch[4096] = "", db[4200];
  int status = CLI_EXIT_FAIL;
  struct cli_exec x = {0};
  orch_exec_state_init(&x.st);
  json_t *report = NULL, *failures = NULL;
  if (!a.target.db) {
    const char *tmp = getenv("TMPDIR");
    snprintf(scratch, sizeof scratch, "%s/drsorch-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(scratch)) {
      fprintf(stderr, "drsorch test: cannot create a scratch directory in %s: %s\n", tmp && *tmp ? tmp : "/tmp", strerror(errno));
      scratch[0] = '\0';
      goto out;
    }
    snprintf(db, sizeof db, "%s/drsorch.db", scratch);
    a.target.db = db;
  }
  if (groups) { /* before the plan is compiled: its group names are checked against the store */
    char spec[4300];
    struct orch_store *store = NULL;
    struct orch_error gerr = {0};
    snprintf(spec, sizeof spec, "%s%s", cli_session_remote_store(a.target.db) ? "" : "sqlite:", a.target.db);
    int grc = orch_store_open(spec, NULL, &store, &gerr);
    if (!grc) grc = cli_groups_import(store, groups, &gerr);
    orch_store_close(store);
    if (grc) {
      cli_fail(&gerr);
      goto out;
    }
  }
  if ((status = execute(&a, cfg, &x)) != CLI_EXIT_OK) goto out;
  status = CLI_EXIT_FAIL;
  report = cli_exec_report_json(&x);
  failures = report ? test_failures(&x, report) : NULL;
  if (!failures) {
    fprintf(stderr, "drsorch test: out of memory\n");
    goto out;
  }
  bool passed = json_array_size(failures) == 0;
  struct orch_buf b = ORCH_BUF_INIT(0);
  int rc;
  if (a.json) {
    rc = json_object_set_new(report, "test", json_pack("{s:b, s:O}", "passed", passed, "failures", failures)) ||
         orch_json_dump(&b, report, JSON_INDENT(2)) || orch_buf_putc(&b, '\n');
  } else {
    rc = orch_exec_report_text(report, &b);
    size_t i;
    json_t *f;
    if (!rc) rc = orch_buf_printf(&b, "%s: %s\n", passed ? "PASS" : "FAIL", x.st.plan_name);
    json_array_foreach(failures, i, f) {
      if (!rc) rc = orch_buf_printf(&b, "  - %s\n", json_string_value(f));
    }
  }
  if (rc) {
    fprintf(stderr, "drsorch test: out of memory\n");
  } else {
    fputs(orch_buf_cstr(&b), stdout);
    if (a.json) fprintf(stderr, "%s: %s\n", passed ? "PASS" : "FAIL", x.st.plan_name);
    status = passed ? CLI_EXIT_OK : CLI_EXIT_FAIL;
  }
  orch_buf_free(&b);
out:
  json_decref(failures);
  json_decref(report);
  cli_exec_release(&x);
  if (scratch[0]) {
    static const char *const files[] = {"drsorch.db", "drsorch.db-wal", "drsorch.db-shm", NULL};
    char path[4200];
    for (size_t i = 0; files[i]; i++) {
      snprintf(path, sizeof path, "%s/%s", scratch, files[i]);
      unlink(path);
    }
    if (rmdir(scratch) != 0) fprintf(stderr, "drsorch test: could not remove %s: %s\n", scratch, strerror(errno));
  }
  orch_config_free(cfg);
  return status;
}
