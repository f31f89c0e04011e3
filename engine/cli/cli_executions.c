/* cli_executions: `drsorch executions list | show ID | report ID`: the executions in the store, newest
 * first; one execution's state folded from its journal; its report as text or JSON. ID is the full id, 4
 * or more of its first characters, or "latest". Uses orch_store, cli_report, cli_session (the store). */
#include <stdio.h>
#include <string.h>

#include "api/orch_api_views.h"
#include "cli/cli.h"
#include "cli/cli_report.h"
#include "cli/cli_session.h"
#include "core/orch_json.h"
#include "core/orch_str.h"
#include "core/orch_time.h"

#define LIST_DEFAULT 20

static const char executions_help[] =
    "Usage: drsorch executions list [--limit N] [OPTIONS]\n"
    "       drsorch executions show ID [OPTIONS]\n"
    "       drsorch executions report ID [--json] [OPTIONS]\n"
    "\n"
    "list     executions, newest first: id, status (a drill's outcome in brackets once cleaned up), plan\n"
    "         and version, mode, when it started and how long it ran (to ExecutionEnded)\n"
    "show     the execution's state as its journal folds it (JSON): waves, servers, jobs\n"
    "report   outcome, RTO against the target, waves, failed servers and hooks (JSON with --json:\n"
    "         per-server figures, the timeline and every hook result)\n"
    "\nID is an execution id, 4 or more of its first characters, or 'latest'.\n"
    "\nOptions:\n"
    "  --db PATH|SPEC        the store: a SQLite file (default <storage.data_dir>/drsorch.db) or\n"
    "                        dynamodb:PREFIX?region=R[&endpoint=URL] (docs/store.md)\n"
    "  --json                list and report: print JSON\n"
    "  --limit N             list: at most N executions (default 20, at most 1000)\n" CLI_COMMON_HELP
    "\nExit status: 0 done; 1 unknown execution or an error; 2 usage.\n";

static void ts(char out[ORCH_TIME_ISO_MAX], int64_t ms) {
  if (ms) orch_time_iso8601_s(out, ms);
  else snprintf(out, ORCH_TIME_ISO_MAX, "-");
}

static int list_executions(struct orch_store *store, size_t limit, bool as_json, struct orch_error *err) {
  struct orch_store_exec_list list = {0};
  struct orch_store_page page = {.limit = limit};
  json_t *all = as_json ? json_array() : NULL;
  int rc = as_json && !all ? orch_error_set(err, ORCH_ENOMEM, "out of memory") : 0;
  if (!rc) rc = orch_store_exec_list(store, NULL, &page, &list, err);
  if (!rc && !as_json)
    printf("%-36s  %-22s  %-24s  %-8s  %-20s  %s\n", "ID", "STATUS", "PLAN", "MODE", "STARTED", "DURATION");
  for (size_t i = 0; !rc && i < list.count; i++) {
    const struct orch_store_exec *x = &list.items[i];
    char outcome[32], started[ORCH_TIME_ISO_MAX], ended[ORCH_TIME_ISO_MAX], took[32] = "-", status[64], plan[160];
    const char *name = json_string_value(json_object_get(x->summary, "plan_name"));
    struct orch_store_plan p = {0};
    if (!name && !orch_store_plan_get(store, x->plan_id, &p, NULL)) name = p.name;
    if (!name) name = x->plan_id;
    int64_t ended_ms = 0;
    orch_api_exec_outcome(store, x->id, outcome, sizeof outcome, &ended_ms);
    ts(started, x->started_ms);
    ts(ended, ended_ms);
    if (x->started_ms && ended_ms) orch_duration_format(took, sizeof took, (ended_ms - x->started_ms) / 1000 * 1000);
    else if (!x->ended_ms) snprintf(took, sizeof took, "unfinished");
    const char *st = orch_store_status_name(x->status);
    if (as_json) {
      char created[ORCH_TIME_ISO_MAX];
      orch_time_iso8601_s(created, x->created_ms);
      json_t *o = json_pack("{s:s, s:s, s:b, s:s, s:s, s:I, s:s, s:s?, s:s, s:o, s:o, s:o, s:s?}", "id", x->id, "status", st,
                            "finished", x->ended_ms != 0,
                            "plan_id", x->plan_id, "plan_name", name, "plan_version", (json_int_t)x->plan_version, "mode",
                            orch_store_mode_name(x->mode), "outcome", outcome[0] ? outcome : NULL, "created_at", created,
                            "started_at", x->started_ms ? json_string(started) : json_null(), "ended_at",
                            ended_ms ? json_string(ended) : json_null(), "duration_ms",
                            x->started_ms && ended_ms ? json_integer(ended_ms - x->started_ms) : json_null(),
                            "started_by", x->started_by[0] ? x->started_by : NULL);
      if (!o || json_array_append_new(all, o)) rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
    } else {
      if (outcome[0] && strcmp(outcome, st) != 0) snprintf(status, sizeof status, "%s (%s)", st, outcome);
      else snprintf(status, sizeof status, "%s", st);
      snprintf(plan, sizeof plan, "%s v%lld", name, (long long)x->plan_version);
      printf("%-36s  %-22s  %-24s  %-8s  %-20s  %s\n", x->id, status, plan, orch_store_mode_name(x->mode), started, took);
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
  orch_store_exec_list_release(&list);
  return rc;
}

static int show_execution(struct orch_store *store, const char *ref, bool report, bool as_json, struct orch_error *err) {
  char id[ORCH_ID_UUID_LEN + 1];
  struct cli_exec x;
  int rc = cli_exec_resolve(store, ref, id, err);
  if (rc) return rc;
  rc = cli_exec_load(store, id, &x, err);
  if (!rc && report) {
    rc = cli_exec_report_print(&x, as_json, stdout, err);
  } else if (!rc) {
    json_t *j = orch_exec_state_json(&x.st);
    struct orch_buf b = ORCH_BUF_INIT(0);
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
                                           {"db", required_argument, NULL, CLI_OPT_DB},
                                           {"json", no_argument, NULL, OPT_JSON},
                                           {"limit", required_argument, NULL, OPT_LIMIT},
                                           {0, 0, 0, 0}};
  struct cli_common common = {0};
  struct cli_target target = {0};
  bool as_json = false, limit_set = false;
  long long limit = LIST_DEFAULT;
  int opt, used;
  optind = 1;
  opterr = 0;
  while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
    if ((used = cli_common_option(&common, opt, optarg, "executions")) < 0) return CLI_EXIT_USAGE;
    if (used) continue;
    switch (opt) {
      case CLI_OPT_DB:
        if (cli_target_option(&target, opt, optarg, "executions") < 0) return CLI_EXIT_USAGE;
        break;
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
  if (optind == argc) return cli_usage_error("executions", "expected list, show ID or report ID");
  const char *sub = argv[optind];
  bool list = strcmp(sub, "list") == 0, show = strcmp(sub, "show") == 0, report = strcmp(sub, "report") == 0;
  if (!list && !show && !report) return cli_usage_error("executions", "unknown subcommand '%s' (list, show or report)", sub);
  if (list && argc - optind != 1) return cli_usage_error("executions", "list takes no argument, not '%s'", argv[optind + 1]);
  if (!list && argc - optind != 2) return cli_usage_error("executions", "%s needs exactly one execution ID", sub);
  if (!list && limit_set) return cli_usage_error("executions", "--limit applies to list");

  struct orch_config *cfg = cli_common_load(&common, "executions");
  if (!cfg) return CLI_EXIT_FAIL;
  struct cli_session s = {0};
  struct orch_error err = {0};
  int status = CLI_EXIT_OK;
  if (cli_session_store(&s, cfg, &target, &err) ||
      (list ? list_executions(s.store, (size_t)limit, as_json, &err)
            : show_execution(s.store, argv[optind + 1], report, as_json, &err)))
    status = cli_fail(&err);
  cli_session_close(&s);
  orch_config_free(cfg);
  return status;
}
