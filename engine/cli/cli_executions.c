/* cli_executions: `drsorch executions list | show ID | report ID | cleanup ID`: the executions in the store,
 * newest first, with their short ids and who drives the unfinished ones; one execution's state folded
 * from its journal; its report as text or JSON; and a drill's clean-up now (cli_cleanup.c). ID is a short
 * id, the id or a prefix of it, or "latest". Uses orch_store, cli_report, cli_lookup, cli_session. */
#include <stdio.h>
#include <string.h>

#include "api/orch_api_views.h"
#include "cli/cli.h"
#include "cli/cli_lookup.h"
#include "cli/cli_report.h"
#include "cli/cli_cleanup.h"
#include "cli/cli_session.h"
#include "core/orch_json.h"
#include "core/orch_str.h"
#include "core/orch_time.h"

#define LIST_DEFAULT 20

static const char executions_help[] =
    "Usage: drsorch executions list [--limit N] [OPTIONS]\n"
    "       drsorch executions show ID [OPTIONS]\n"
    "       drsorch executions report ID [--json] [OPTIONS]\n"
    "       drsorch executions cleanup ID [--sim SCENARIO | --endpoint-url URL] [OPTIONS]\n"
    "\n"
    "list     executions, newest first: short id, status (a drill's outcome in brackets once cleaned up),\n"
    "         plan and version, mode, when it started, how long it ran (to ExecutionEnded), and which\n"
    "         process drives an unfinished one\n"
    "show     the execution's state as its journal folds it (JSON): waves, servers, jobs\n"
    "report   outcome, RTO against the target, preflight checks, waves, failed servers with DRS's reasons,\n"
    "         hooks, expectations and their log lines, notifications, clean-up (JSON with --json:\n"
    "         per-server figures, every check, the timeline)\n"
    "cleanup  clean a drill up now: one that keeps its instances (--keep-for) or whose clean-up gave up.\n"
    "         When no process drives it, this one does, to the end; when another does, it says which\n"
    "\nID is the short id 'executions list' shows, 4 or more characters of the id, or 'latest'.\n"
    "\nOptions:\n"
    "  --db PATH|SPEC        the store: a SQLite file (default <storage.data_dir>/drsorch.db) or\n"
    "                        dynamodb:PREFIX?region=R[&endpoint=URL] (docs/store.md);\n"
    "                        never created here\n"
    "  --json                list and report: print JSON\n"
    "  --limit N             list: at most N executions (default 20, at most 1000)\n"
    "  cleanup reaches AWS as 'run' does:\n" CLI_TARGET_HELP CLI_COMMON_HELP
    "\nExit status: 0 done (cleanup: the drill is cleaned up); 1 unknown execution, a clean-up that failed, one\n"
    "another process drives, or an error; 2 usage.\n";

static void ts(char out[ORCH_TIME_ISO_MAX], int64_t ms) {
  if (ms) orch_time_iso8601_s(out, ms);
  else snprintf(out, ORCH_TIME_ISO_MAX, "-");
}

static int list_executions(struct orch_store *store, size_t limit, bool as_json, struct orch_error *err) {
  struct orch_store_exec_list list = {0};
  struct orch_store_page page = {.limit = limit};
  struct cli_ids *ids = NULL;
  json_t *all = as_json ? json_array() : NULL;
  int rc = as_json && !all ? orch_error_set(err, ORCH_ENOMEM, "out of memory") : 0;
  if (!rc) rc = cli_ids_load(store, &ids, err);
  if (!rc) rc = orch_store_exec_list(store, NULL, &page, &list, err);
  if (!rc && !as_json)
    printf("%-12s  %-22s  %-24s  %-8s  %-20s  %-10s  %s\n", "ID", "STATUS", "PLAN", "MODE", "STARTED", "DURATION", "DRIVEN BY");
  for (size_t i = 0; !rc && i < list.count; i++) {
    const struct orch_store_exec *x = &list.items[i];
    char outcome[32], started[ORCH_TIME_ISO_MAX], ended[ORCH_TIME_ISO_MAX], took[32] = "-", status[64], plan[160];
    char sid[ORCH_ID_UUID_LEN + 1], driver[400] = "";
    struct orch_store_lease lease = {0};
    const char *name = json_string_value(json_object_get(x->summary, "plan_name"));
    struct orch_store_plan p = {0};
    if (!name && !orch_store_plan_get(store, x->plan_id, &p, NULL)) name = p.name;
    if (!name) name = x->plan_id;
    int64_t ended_ms = 0;
    orch_api_exec_outcome(store, x->id, outcome, sizeof outcome, &ended_ms);
    cli_ids_short(ids, x->id, sid, sizeof sid);
    bool driven = !x->ended_ms && cli_exec_driver(store, x->id, driver, sizeof driver, &lease);
    /* An execution starts when it is created (on the engine's clock, a simulator's with --sim): the RTO,
     * and so the duration, count from there. */
    int64_t created = cli_exec_started_ms(store, x->id);
    ts(started, created);
    ts(ended, ended_ms);
    if (created && ended_ms) orch_duration_format(took, sizeof took, (ended_ms - created) / 1000 * 1000);
    else if (!x->ended_ms) snprintf(took, sizeof took, "unfinished");
    const char *st = orch_store_status_name(x->status);
    if (as_json) {
      json_t *o = json_pack("{s:s, s:s, s:s, s:b, s:s, s:s, s:I, s:s, s:s?, s:s, s:o, s:o, s:o, s:s?, s:o}", "id", x->id,
                            "short_id", sid, "status", st, "finished", x->ended_ms != 0, "plan_id", x->plan_id, "plan_name",
                            name, "plan_version", (json_int_t)x->plan_version, "mode", orch_store_mode_name(x->mode),
                            "outcome", outcome[0] ? outcome : NULL, "created_at", started, "started_at",
                            created ? json_string(started) : json_null(), "ended_at",
                            ended_ms ? json_string(ended) : json_null(), "duration_ms",
                            created && ended_ms ? json_integer(ended_ms - created) : json_null(),
                            "started_by", x->started_by[0] ? x->started_by : NULL, "driven_by",
                            driven ? json_pack("{s:I, s:s}", "pid", (json_int_t)lease.pid, "host", lease.host) : json_null());
      if (!o || json_array_append_new(all, o)) rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
    } else {
      if (outcome[0] && strcmp(outcome, st) != 0) snprintf(status, sizeof status, "%s (%s)", st, outcome);
      else snprintf(status, sizeof status, "%s", st);
      snprintf(plan, sizeof plan, "%s v%lld", name, (long long)x->plan_version);
      if (driven) snprintf(driver, sizeof driver, "pid %lld on %s", (long long)lease.pid, lease.host);
      printf("%-12s  %-22s  %-24s  %-8s  %-20s  %-10s  %s\n", sid, status, plan, orch_store_mode_name(x->mode), started,
             took, driven ? driver : "-");
    }
  }
  if (!rc && as_json) {
    struct orch_buf b = ORCH_BUF_INIT(0);
    if (orch_json_dump(&b, all, JSON_INDENT(2)) || orch_buf_putc(&b, '\n')) rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
    else fputs(orch_buf_cstr(&b), stdout);
    orch_buf_free(&b);
  } else if (!rc && !list.count) {
    printf("(no executions in the store)\n");
  }
  json_decref(all);
  cli_ids_free(ids);
  orch_store_exec_list_release(&list);
  return rc;
}

static int show_execution(struct orch_store *store, const char *ref, bool report, bool as_json, struct orch_error *err) {
  char id[ORCH_ID_UUID_LEN + 1], driver[400] = "";
  struct cli_exec x;
  int rc = cli_exec_resolve(store, ref, id, err);
  if (rc) return rc;
  rc = cli_exec_load(store, id, &x, err);
  bool driven = !rc && !orch_exec_done(&x.st) && cli_exec_driver(store, id, driver, sizeof driver, NULL);
  if (!rc && report && !as_json) {
    rc = cli_exec_report_print(&x, false, stdout, err);
    if (!rc && driven) printf("  driven now by %s\n", driver);
  } else if (!rc) {
    json_t *j = report ? cli_exec_report_json(&x) : orch_exec_state_json(&x.st);
    struct orch_buf b = ORCH_BUF_INIT(0);
    if (j && driven) json_object_set_new(j, "driven_by", json_string(driver));
    if (!j || orch_json_dump(&b, j, JSON_INDENT(2)) || orch_buf_putc(&b, '\n')) rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
    else fputs(orch_buf_cstr(&b), stdout);
    orch_buf_free(&b);
    json_decref(j);
  }
  if (rc == ORCH_ENOTFOUND && !err->context[0]) snprintf(err->context, sizeof err->context, "execution %s", id);
  cli_exec_release(&x);
  return rc;
}

int cli_executions(int argc, char **argv) {
  enum { OPT_JSON = 0x600, OPT_LIMIT };
  static const struct option longopts[] = {CLI_COMMON_LONGOPTS,
                                           CLI_TARGET_LONGOPTS,
                                           {"json", no_argument, NULL, OPT_JSON},
                                           {"limit", required_argument, NULL, OPT_LIMIT},
                                           {0, 0, 0, 0}};
  struct cli_common common = {0};
  struct cli_target target = {.db_must_exist = true}; /* a mistyped --db must not make a new, empty store */
  bool as_json = false, limit_set = false, reach_aws = false;
  long long limit = LIST_DEFAULT;
  int opt, used;
  optind = 1;
  opterr = 0;
  while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
    if ((used = cli_common_option(&common, opt, optarg, "executions")) < 0) return CLI_EXIT_USAGE;
    if (used) continue;
    if ((used = cli_target_option(&target, opt, optarg, "executions")) < 0) return CLI_EXIT_USAGE;
    if (used) {
      reach_aws = reach_aws || opt != CLI_OPT_DB;
      continue;
    }
    switch (opt) {
      case OPT_JSON: as_json = true; break;
      case OPT_LIMIT:
        if (orch_str_to_ll(optarg, 1, ORCH_STORE_PAGE_MAX, &limit))
          return cli_usage_error("executions", "--limit needs a number from 1 to %d, not '%s'", ORCH_STORE_PAGE_MAX, optarg);
        limit_set = true;
        break;
      case 'h': return fputs(executions_help, stdout), CLI_EXIT_OK;
      case ':': return cli_usage_error("executions", "option '%s' needs a value", argv[optind - 1]);
      default: return cli_usage_error("executions", "unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind == argc) return cli_usage_error("executions", "expected list, show ID, report ID or cleanup ID");
  const char *sub = argv[optind];
  bool list = strcmp(sub, "list") == 0, show = strcmp(sub, "show") == 0, report = strcmp(sub, "report") == 0;
  bool cleanup = strcmp(sub, "cleanup") == 0;
  if (!list && !show && !report && !cleanup)
    return cli_usage_error("executions", "unknown subcommand '%s' (list, show, report or cleanup)", sub);
  if (list && argc - optind != 1) return cli_usage_error("executions", "list takes no argument, not '%s'", argv[optind + 1]);
  if (!list && argc - optind != 2) return cli_usage_error("executions", "%s needs exactly one execution ID", sub);
  if (!list && limit_set) return cli_usage_error("executions", "--limit applies to list");
  if (!cleanup && reach_aws) return cli_usage_error("executions", "only cleanup reaches AWS: --db is the one store option of %s", sub);
  if (cleanup && as_json) return cli_usage_error("executions", "--json applies to list and report");
  if (cli_target_check(&target, "executions")) return CLI_EXIT_USAGE;

  struct orch_config *cfg = cli_common_load(&common, "executions");
  if (!cfg) return CLI_EXIT_FAIL;
  struct cli_session s = {0};
  struct orch_error err = {0};
  int status = CLI_EXIT_OK;
  if (cleanup) {
    cli_session_quiet_logs(cfg);
    status = cli_cleanup(cfg, &target, argv[optind + 1]);
  } else if (cli_session_store(&s, cfg, &target, &err) ||
             (list ? list_executions(s.store, (size_t)limit, as_json, &err)
                   : show_execution(s.store, argv[optind + 1], report, as_json, &err))) {
    status = cli_fail(&err);
  }
  cli_session_close(&s);
  orch_config_free(cfg);
  return status;
}
