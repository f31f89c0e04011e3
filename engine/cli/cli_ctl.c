/* cli_ctl: `drsorch ctl`: a thin client of a running `drsorch serve`: plans, groups, and executions list |
 * start | show | watch | pause | resume | approve | cancel | report. `watch` folds the journal it reads from
 * the API (a JSON page, then the event stream resuming after the last event) into the execution's state and
 * draws the same progress as `drsorch run`. Uses libcurl, cli_progress, orch_exec_state, orch_exec_report. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_ctl.h"
#include "cli/cli_progress.h"
#include "core/orch_json.h"
#include "core/orch_str.h"
#include "core/orch_time.h"
#include "exec/orch_exec_report.h"

static const char ctl_help[] =
    "Usage: drsorch ctl [--url URL] [--token TOKEN] COMMAND\n"
    "\n"
    "A client of a running 'drsorch serve' (also DRSORCH_URL and DRSORCH_TOKEN):\n"
    "  plans                                   the recovery plans\n"
    "  groups                                  the protection groups\n"
    "  executions list                         executions, newest first\n"
    "  executions start PLAN --mode MODE       start one (MODE drill, recovery or dry-run; --version V,\n"
    "                                          --confirm NAME for a recovery, --watch to follow it)\n"
    "  executions show ID                      its state as JSON\n"
    "  executions watch ID                     live progress, as drsorch run shows it, until it finishes\n"
    "  executions pause|resume|cancel ID       steer it\n"
    "  executions approve ID --wave WAVE       open a wave's approval gate (--reason TEXT is audited)\n"
    "  executions report ID [--json]           its report\n"
    "\nExit status: 0 done (watch: completed, a drill cleaned up); 1 an error or an unsuccessful execution;\n"
    "2 usage.\n";

struct ctl_args {
  const char *mode, *confirm, *wave, *reason;
  long long version;
  bool watch, json;
};

/* ---- Tables ---------------------------------------------------------------------------------- */

static const char *str_or(const json_t *o, const char *key, const char *dflt) {
  const char *s = json_string_value(json_object_get(o, key));
  return s ? s : dflt;
}

static int list(struct ctl_conn *c, const char *path, const char *what) {
  json_t *page = NULL;
  struct orch_error err = {0};
  if (cli_ctl_request(c, "GET", path, NULL, &page, &err)) return cli_fail(&err);
  const json_t *items = json_object_get(page, "items"), *it;
  size_t i;
  if (strcmp(what, "plans") == 0) printf("%-36s  %-28s  %-7s  %s\n", "ID", "NAME", "VERSION", "DESCRIPTION");
  else if (strcmp(what, "groups") == 0) printf("%-36s  %-28s  %-12s  %-14s  %s\n", "ID", "NAME", "ACCOUNT", "REGION", "SELECTOR");
  else printf("%-36s  %-22s  %-24s  %-8s  %s\n", "ID", "STATUS", "PLAN", "MODE", "STARTED");
  json_array_foreach(items, i, it) {
    if (strcmp(what, "plans") == 0) {
      printf("%-36s  %-28s  %-7lld  %.60s\n", str_or(it, "id", "?"), str_or(it, "name", "?"),
             (long long)json_integer_value(json_object_get(it, "latest_version")), str_or(it, "description", ""));
    } else if (strcmp(what, "groups") == 0) {
      const json_t *sel = json_object_get(it, "selector");
      printf("%-36s  %-28s  %-12s  %-14s  %s\n", str_or(it, "id", "?"), str_or(it, "name", "?"), str_or(it, "account", ""),
             str_or(it, "region", ""), json_object_get(sel, "tags") ? "tags" : "server ids");
    } else {
      char status[64];
      const char *outcome = str_or(it, "outcome", NULL), *st = str_or(it, "status", "?");
      if (outcome && strcmp(outcome, st) != 0) snprintf(status, sizeof status, "%s (%s)", st, outcome);
      else snprintf(status, sizeof status, "%s", st);
      printf("%-36s  %-22s  %-24s  %-8s  %s\n", str_or(it, "id", "?"), status, str_or(it, "plan_name", "?"),
             str_or(it, "mode", "?"), str_or(it, "started_at", "-"));
    }
  }
  if (!json_array_size(items)) printf("(none)\n");
  json_decref(page);
  return CLI_EXIT_OK;
}

static int print_json(const json_t *j) {
  struct orch_buf b = ORCH_BUF_INIT(0);
  int rc = orch_json_dump(&b, j, JSON_INDENT(2)) || orch_buf_putc(&b, '\n');
  if (!rc) fputs(orch_buf_cstr(&b), stdout);
  orch_buf_free(&b);
  return rc ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

/* ---- Executions ------------------------------------------------------------------------------ */

static int exec_start(struct ctl_conn *c, const char *plan, const struct ctl_args *a) {
  json_t *body = json_pack("{s:s, s:s}", "plan", plan, "mode", a->mode), *out = NULL;
  if (body && a->version) json_object_set_new(body, "version", json_integer(a->version));
  if (body && a->confirm) json_object_set_new(body, "confirm", json_string(a->confirm));
  struct orch_error err = {0};
  int rc = cli_ctl_request(c, "POST", "/api/v1/executions", body, &out, &err);
  json_decref(body);
  if (rc) return cli_fail(&err);
  char id[ORCH_ID_UUID_LEN + 1];
  snprintf(id, sizeof id, "%s", str_or(out, "id", ""));
  printf("%s\n", id);
  fflush(stdout);
  json_decref(out);
  return a->watch ? cli_ctl_watch(c, id) : CLI_EXIT_OK;
}

static int exec_command(struct ctl_conn *c, const char *cmd, const char *id, const struct ctl_args *a) {
  char path[160];
  snprintf(path, sizeof path, "/api/v1/executions/%s/%s", id, cmd);
  json_t *body = json_object(), *out = NULL;
  if (body && a->wave) json_object_set_new(body, "wave", json_string(a->wave));
  if (body && a->reason) json_object_set_new(body, "reason", json_string(a->reason));
  struct orch_error err = {0};
  int rc = cli_ctl_request(c, "POST", path, body, &out, &err);
  json_decref(body);
  if (rc) return cli_fail(&err);
  printf("%s: %s (execution %s, event %lld)\n", cmd, str_or(out, "status", "?"), id,
         (long long)json_integer_value(json_object_get(out, "seq")));
  json_decref(out);
  return CLI_EXIT_OK;
}

static int exec_get(struct ctl_conn *c, const char *id, bool report, bool as_json) {
  char path[160];
  snprintf(path, sizeof path, "/api/v1/executions/%s%s", id, report ? "/report" : "");
  json_t *out = NULL;
  struct orch_error err = {0};
  if (cli_ctl_request(c, "GET", path, NULL, &out, &err)) return cli_fail(&err);
  int status = CLI_EXIT_OK;
  if (!report || as_json) {
    status = print_json(out);
  } else {
    struct orch_buf b = ORCH_BUF_INIT(0);
    if (orch_exec_report_text(out, &b)) status = CLI_EXIT_FAIL;
    else fputs(orch_buf_cstr(&b), stdout);
    const char *outcome = str_or(out, "outcome", NULL);
    if (outcome) printf("  outcome: %s\n", outcome);
    orch_buf_free(&b);
  }
  json_decref(out);
  return status;
}

static int executions(struct ctl_conn *c, int argc, char **argv, const struct ctl_args *a) {
  if (argc < 1) return cli_usage_error("ctl", "executions needs list, start, show, watch, pause, resume, approve, cancel or report");
  const char *sub = argv[0];
  if (strcmp(sub, "list") == 0) return argc == 1 ? list(c, "/api/v1/executions", "executions") : cli_usage_error("ctl", "list takes no argument");
  if (argc != 2) return cli_usage_error("ctl", "executions %s needs exactly one %s", sub, strcmp(sub, "start") == 0 ? "PLAN" : "ID");
  if (strcmp(sub, "start") == 0) {
    if (!a->mode) return cli_usage_error("ctl", "start needs --mode drill|recovery|dry-run");
    return exec_start(c, argv[1], a);
  }
  if (strcmp(sub, "show") == 0) return exec_get(c, argv[1], false, true);
  if (strcmp(sub, "report") == 0) return exec_get(c, argv[1], true, a->json);
  if (strcmp(sub, "watch") == 0) return cli_ctl_watch(c, argv[1]);
  if (strcmp(sub, "approve") == 0 && !a->wave) return cli_usage_error("ctl", "approve needs --wave WAVE");
  if (strcmp(sub, "pause") == 0 || strcmp(sub, "resume") == 0 || strcmp(sub, "cancel") == 0 || strcmp(sub, "approve") == 0)
    return exec_command(c, sub, argv[1], a);
  return cli_usage_error("ctl", "unknown executions subcommand '%s'", sub);
}

enum { OPT_URL = 0x900, OPT_TOKEN, OPT_MODE, OPT_VERSION, OPT_CONFIRM, OPT_WAVE, OPT_REASON, OPT_WATCH, OPT_JSON };

int cli_ctl(int argc, char **argv) {
  static const struct option longopts[] = {
    {"url", required_argument, NULL, OPT_URL},       {"token", required_argument, NULL, OPT_TOKEN},
    {"mode", required_argument, NULL, OPT_MODE},     {"version", required_argument, NULL, OPT_VERSION},
    {"confirm", required_argument, NULL, OPT_CONFIRM}, {"wave", required_argument, NULL, OPT_WAVE},
    {"reason", required_argument, NULL, OPT_REASON}, {"watch", no_argument, NULL, OPT_WATCH},
    {"json", no_argument, NULL, OPT_JSON},           {"help", no_argument, NULL, 'h'},
    {0, 0, 0, 0}};
  struct ctl_args a = {0};
  const char *url = getenv("DRSORCH_URL"), *token = getenv("DRSORCH_TOKEN");
  int opt;
  optind = 1;
  opterr = 0;
  while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) { /* options anywhere (GNU order) */
    switch (opt) {
      case OPT_URL: url = optarg; break;
      case OPT_TOKEN: token = optarg; break;
      case OPT_MODE:
        if (orch_exec_mode_parse(optarg) < 0) return cli_usage_error("ctl", "--mode must be drill, recovery or dry-run, not '%s'", optarg);
        a.mode = optarg;
        break;
      case OPT_VERSION:
        if (orch_str_to_ll(optarg, 1, INT64_MAX, &a.version)) return cli_usage_error("ctl", "--version needs a version number, not '%s'", optarg);
        break;
      case OPT_CONFIRM: a.confirm = optarg; break;
      case OPT_WAVE: a.wave = optarg; break;
      case OPT_REASON: a.reason = optarg; break;
      case OPT_WATCH: a.watch = true; break;
      case OPT_JSON: a.json = true; break;
      case 'h': return fputs(ctl_help, stdout), CLI_EXIT_OK;
      case ':': return cli_usage_error("ctl", "option '%s' needs a value", argv[optind - 1]);
      default: return cli_usage_error("ctl", "unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind == argc) return cli_usage_error("ctl", "a command is needed: plans, groups or executions");
  if (!url || !*url) return cli_usage_error("ctl", "--url (or DRSORCH_URL) must name the server, e.g. http://127.0.0.1:8080");
  if (!orch_str_starts_with(url, "http://") && !orch_str_starts_with(url, "https://"))
    return cli_usage_error("ctl", "--url needs an http:// or https:// URL, not '%s'", url);
  int first = optind;
  struct ctl_conn *c = NULL;
  struct orch_error err = {0};
  if (cli_ctl_open(url, token, &c, &err)) return cli_fail(&err);
  const char *cmd = argv[first];
  int status;
  if (strcmp(cmd, "plans") == 0) status = list(c, "/api/v1/plans", "plans");
  else if (strcmp(cmd, "groups") == 0) status = list(c, "/api/v1/protection-groups", "groups");
  else if (strcmp(cmd, "executions") == 0) status = executions(c, argc - first - 1, argv + first + 1, &a);
  else status = cli_usage_error("ctl", "unknown command '%s' (plans, groups, executions)", cmd);
  cli_ctl_close(c);
  return status;
}
