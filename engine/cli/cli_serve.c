/* cli_serve: `drsorch serve`: the REST API, the console's files and the execution engine in one process on one store, until
 * SIGINT or SIGTERM. At start the engine resumes every unfinished execution. With --demo: a simulated
 * region in-process (plans/scenarios/three-tier-demo.json, 60x), the demo protection groups and plans from
 * plans/ loaded, and a one-time admin token printed on a line of its own. Uses orch_api, orch_api_server,
 * orch_api_aws, orch_exec_engine, cli_session, orch_plan_compile, orch_log. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/orch_api.h"
#include "api/orch_api_aws.h"
#include "api/orch_api_server.h"
#include "api/orch_api_users.h"
#include "api/orch_api_secret.h"
#include "cli/cli.h"
#include "cli/cli_session.h"
#include "core/orch_log.h"
#include "plan/orch_plan_compile.h"

#define DEMO_SCENARIO "scenarios/three-tier-demo.json"
#define DEMO_SPEED 60
/* How often serve looks for unfinished executions whose process died, to carry them on. */
#define ADOPT_INTERVAL_MS ((int64_t)30000)
#define DEMO_TOKEN_TTL_MS ((int64_t)24 * 3600 * 1000)

static const char serve_help[] =
    "Usage: drsorch serve [OPTIONS]\n"
    "\n"
    "Run the engine: the REST API and the operator console (server.web_dir) on server.listen and the\n"
    "execution engine, on one store, until SIGINT or SIGTERM. Unfinished executions in the store that no\n"
    "other live process drives are resumed at start, and adopted later when their process dies. Without\n"
    "--sim or --demo the engine reaches AWS through the credentials chain. A simulated region runs at\n"
    "--speed (default 60): a server is used in real time.\n"
    "\nOptions:\n"
    "  --listen ADDR:PORT    address to listen on (server.listen; port 0 picks a free one)\n"
    "  --data-dir DIR        engine state directory (storage.data_dir)\n"
    "  --demo                a simulated region in-process (" DEMO_SCENARIO " under --plans, 60x),\n"
    "                        the demo protection groups and plans loaded, an admin token printed;\n"
    "                        the store is <storage.data_dir>/demo.db unless --db names one\n"
    "  --plans DIR           plans' own modules (require \"lib.x\") and the demo's content (default plans)\n" CLI_TARGET_HELP
        CLI_COMMON_HELP
    "\nExample: drsorch serve --demo     then: curl -H \"Authorization: Bearer <token>\" http://127.0.0.1:8080/api/v1/plans\n";

struct serve {
  struct cli_session s;
  struct orch_api_aws *aws;
  struct orch_api *api;
  struct orch_api_server *srv;
  char listen[64];
  char plans[1024];
  bool demo;
};

/* mkdir -p for the data directory, then prove it writable by creating and removing a file. */
static int prepare_data_dir(const char *dir, struct orch_error *err) {
  char path[4096];
  if (!*dir) return orch_error_setc(err, ORCH_ECONFIG, "storage.data_dir", "is empty");
  if (strlen(dir) >= sizeof path - 32) return orch_error_setc(err, ORCH_ECONFIG, "storage.data_dir", "path too long");
  snprintf(path, sizeof path, "%s", dir);
  for (char *p = path + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    if (mkdir(path, 0750) != 0 && errno != EEXIST)
      return orch_error_setc(err, ORCH_EPERM, "storage.data_dir", "cannot create '%s': %s", path, strerror(errno));
    *p = '/';
  }
  if (mkdir(path, 0750) != 0 && errno != EEXIST)
    return orch_error_setc(err, ORCH_EPERM, "storage.data_dir", "cannot create '%s': %s", dir, strerror(errno));
  snprintf(path, sizeof path, "%s/.write-test-%ld", dir, (long)getpid());
  FILE *f = fopen(path, "w");
  if (!f) return orch_error_setc(err, ORCH_EPERM, "storage.data_dir", "'%s' is not writable: %s", dir, strerror(errno));
  fclose(f);
  unlink(path);
  return 0;
}

/* ---- The demo's content ---------------------------------------------------------------------- */

/* Every *.json under <plans>/groups into the store. */
static int demo_groups(struct serve *sv, struct orch_error *err) {
  char dir[1100];
  snprintf(dir, sizeof dir, "%s/groups", sv->plans);
  DIR *d = opendir(dir);
  if (!d) return 0;
  int rc = 0;
  for (struct dirent *e; !rc && (e = readdir(d));) {
    size_t n = strlen(e->d_name);
    if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0) continue;
    char path[1400];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    rc = cli_groups_import(sv->s.store, path, err);
  }
  closedir(d);
  return rc;
}

/* One plan file: compiled as `validate` does and stored when it has no problem. */
static int demo_plan(struct serve *sv, const char *dir, const char *file) {
  char path[1400];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  struct orch_buf src = ORCH_BUF_INIT(0);
  struct orch_plan_report *report = NULL;
  struct orch_error err = {0};
  struct orch_plan_sandbox_config sc = {.module_dir = dir};
  int rc = orch_plan_read_file(path, ORCH_STORE_SOURCE_MAX, &src, &err);
  struct orch_plan_source ps = {.file = path, .text = orch_buf_cstr(&src), .len = src.len};
  if (!rc) rc = orch_plan_validate(&sc, &ps, NULL, &report, &err);
  const json_t *plan = rc ? NULL : orch_plan_report_plan(report);
  char id[ORCH_ID_UUID_LEN + 1];
  int64_t version = 0;
  bool added = false;
  if (!plan) {
    printf("  %s: skipped (%s)\n", path, rc ? err.message : "it has problems; drsorch validate shows them");
  } else if ((rc = cli_plan_import(sv->s.store, plan, orch_buf_cstr(&src), "demo", id, &version, &added, &err))) {
    printf("  %s: not stored (%s)\n", path, err.message);
  } else {
    printf("  plan %s version %lld %s (%s)\n", json_string_value(json_object_get(plan, "name")), (long long)version,
           added ? "stored" : "unchanged", path);
  }
  orch_plan_report_free(report);
  orch_buf_free(&src);
  return 0;
}

static void demo_plans_in(struct serve *sv, const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return;
  for (struct dirent *e; (e = readdir(d));) {
    size_t n = strlen(e->d_name);
    if (n > 4 && strcmp(e->d_name + n - 4, ".lua") == 0) demo_plan(sv, dir, e->d_name);
  }
  closedir(d);
}

static int demo_content(struct serve *sv, char *token, size_t n, struct orch_error *err) {
  int rc = demo_groups(sv, err);
  if (rc) return rc;
  char dir[1100];
  snprintf(dir, sizeof dir, "%s/demo", sv->plans);
  demo_plans_in(sv, sv->plans);
  demo_plans_in(sv, dir);
  char name[64], stamp[ORCH_ID_UUID_LEN + 1];
  if ((rc = orch_id_uuid7(stamp, orch_clock_now_ms(orch_clock_real()))))
    return orch_error_set(err, rc, "no random bytes for the admin token");
  snprintf(name, sizeof name, "demo-admin-%.8s%.4s", stamp, stamp + 9);
  struct orch_store_token t;
  return orch_api_token_issue(sv->s.store, name, "Admin", orch_clock_now_ms(orch_clock_real()) + DEMO_TOKEN_TTL_MS,
                              "drsorch serve --demo", &t, token, n, err);
}

/* ---- Start and stop -------------------------------------------------------------------------- */

/* The API answers first (health at once, 503 "starting" for what needs the engine), then AWS and the engine
 * (which resumes unfinished executions) are attached. */
static int start(struct serve *sv, const struct orch_config *cfg, const struct cli_target *t, char *token, size_t tn,
                 struct orch_error *err) {
  struct cli_session *s = &sv->s;
  struct orch_api_config apc = {.settings = cfg, .store = s->store, .listen_address = sv->listen,
                                .module_dir = sv->plans};
  int rc = orch_api_new(&apc, &sv->api, err);
  if (!rc) rc = orch_api_server_start(sv->api, cfg, &sv->srv, err);
  if (rc) return rc;
  snprintf(sv->listen, sizeof sv->listen, "%s", orch_api_server_address(sv->srv));
  struct orch_log_field f[] = {{"address", sv->listen}, {"version", ORCH_VERSION}};
  orch_log_write(ORCH_LOG_INFO, f, 2, "listening on %s://%s", orch_api_server_scheme(sv->srv), sv->listen);
  rc = cli_session_aws(s, cfg, t, NULL, err);
  if (rc == ORCH_ECREDS && s->creds) {
    /* a server is useful without them (plans, groups, users); executions fail their preflight saying why */
    orch_log_warn("serve: %s; AWS calls will fail until credentials are available", err->message);
    orch_error_clear(err);
    rc = 0;
  }
  if (rc) return rc;
  const char *role = orch_config_str(cfg, "aws.role_name"), *external_id = orch_config_str(cfg, "aws.external_id");
  struct orch_api_aws_config ac = {.base = s->creds, .home_account = s->account, .region = s->region,
                                   .endpoint_url = s->sim ? orch_sim_url(s->sim) : s->endpoint[0] ? s->endpoint : NULL,
                                   .role_name = *role ? role : NULL, .external_id = *external_id ? external_id : NULL,
                                   .no_ratelimit = s->sim != NULL, .store = s->store};
  if ((rc = orch_api_aws_new(&ac, &sv->aws, err))) return rc;
  struct orch_exec_engine_config ec = {
    .store = s->store, .aws = orch_api_aws_exec_ops(), .aws_ctx = sv->aws, .clock = cli_session_clock(s),
    .inline_effects = s->discrete, .resume = true, .adopt_interval_ms = ADOPT_INTERVAL_MS,
    .aws_allow_ceiling = orch_config_str(cfg, "plans.aws_allow_ceiling"),
    .poll_ms = orch_config_duration_ms(cfg, "scheduler.poll_interval"),
    .default_account = s->account, .default_region = s->region,
    .keep_for_ms = orch_config_duration_ms(cfg, "exec.keep_for"), .module_dir = sv->plans,
    .listener = orch_api_exec_listener, .listener_ctx = sv->api};
  if ((rc = orch_exec_engine_new(&ec, &s->eng, err)) || (rc = orch_exec_engine_start(s->eng, err))) return rc;
  struct orch_api_backends b = {.engine = orch_api_engine_local(), .engine_ctx = s->eng, .aws = orch_api_aws_ops(),
                                 .aws_ctx = sv->aws,
                                 .default_account = s->account, .default_region = s->region};
  orch_api_attach(sv->api, &b);
  return sv->demo ? demo_content(sv, token, tn, err) : 0;
}

/* In reverse: the server (streams end), the engine (its listener points at the api), the api, AWS. */
static void stop(struct serve *sv) {
  orch_api_server_stop(sv->srv);
  orch_exec_engine_free(sv->s.eng);
  sv->s.eng = NULL;
  orch_api_free(sv->api);
  orch_api_aws_free(sv->aws);
  cli_session_close(&sv->s);
}

static void announce(const struct serve *sv, const char *token) {
  const char *scheme = orch_api_server_scheme(sv->srv);
  char console[1024];
  orch_api_server_console(sv->srv, console, sizeof console);
  orch_log_info("ready: %s", sv->s.sim ? "the engine runs against the simulated region" : "the engine runs");
  if (console[0]) orch_log_info("console: %s://%s/ (from %s)", scheme, sv->listen, console);
  else orch_log_info("console: not built (make run builds it; server.web_dir names a built one)");
  if (!sv->demo) return;
  char where[700];
  cli_session_describe(&sv->s, where, sizeof where);
  printf("\nDRS Orchestrator demo: %s://%s/api/v1 (engine against %s at %gx)\n", scheme, sv->listen, where,
         sv->s.speed);
  if (console[0])
    printf("\nConsole: %s://%s/\n  open it and sign in with the admin token below (API token tab)\n\n", scheme,
           sv->listen);
  else
    printf("\nConsole: not built (make run builds it, then reload %s://%s/)\n\n", scheme, sv->listen);
  printf("admin token: %s\n", token);
  printf("\n(shown once, valid 24 hours; the API: curl -H \"Authorization: Bearer $TOKEN\" %s://%s/api/v1/plans, "
         "guide: docs/api.md)\n",
         scheme, sv->listen);
  fflush(stdout);
}

enum { OPT_DEMO = 0x700, OPT_PLANS };

int cli_serve(int argc, char **argv) {
  static const struct option longopts[] = {CLI_COMMON_LONGOPTS,
                                           CLI_TARGET_LONGOPTS,
                                           {"listen", required_argument, NULL, 'l'},
                                           {"data-dir", required_argument, NULL, 'd'},
                                           {"demo", no_argument, NULL, OPT_DEMO},
                                           {"plans", required_argument, NULL, OPT_PLANS},
                                           {0, 0, 0, 0}};
  struct cli_common common = {0};
  struct cli_target target = {0};
  struct serve sv = {.plans = "plans"};
  char scenario[1200];
  int opt, used;
  optind = 1;
  opterr = 0;
  while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
    if ((used = cli_common_option(&common, opt, optarg, "serve")) < 0) return CLI_EXIT_USAGE;
    if (used) continue;
    if ((used = cli_target_option(&target, opt, optarg, "serve")) < 0) return CLI_EXIT_USAGE;
    if (used) continue;
    bool ok = true;
    switch (opt) {
      case 'l':
        if (cli_listen_check(optarg, "serve")) return CLI_EXIT_USAGE;
        ok = cli_common_flag(&common, "server.listen", optarg, "--listen");
        break;
      case 'd': ok = cli_common_flag(&common, "storage.data_dir", optarg, "--data-dir"); break;
      case OPT_DEMO: sv.demo = true; break;
      case OPT_PLANS: snprintf(sv.plans, sizeof sv.plans, "%s", optarg); break;
      case 'h': fputs(serve_help, stdout); return CLI_EXIT_OK;
      case ':': return cli_usage_error("serve", "option '%s' needs a value", argv[optind - 1]);
      default: return cli_usage_error("serve", "unknown option '%s'", argv[optind - 1]);
    }
    if (!ok) return cli_usage_error("serve", "too many options");
  }
  if (optind < argc) return cli_usage_error("serve", "unexpected argument '%s'", argv[optind]);
  if (sv.demo && !target.sim_scenario) {
    snprintf(scenario, sizeof scenario, "%s/" DEMO_SCENARIO, sv.plans);
    target.sim_scenario = scenario;
  }
  if (cli_target_check(&target, "serve")) return CLI_EXIT_USAGE;
  if (target.sim_scenario && !target.speed_set) /* never discrete-event time: people use a server as it runs */
    target.speed = DEMO_SPEED, target.speed_set = true;

  struct orch_config *cfg = cli_common_load(&common, "serve");
  if (!cfg) return CLI_EXIT_FAIL;
  int rc = CLI_EXIT_OK;
  struct orch_error err = {0};
  char token[ORCH_API_TOKEN_LEN + 1] = "";
  /* Block the stop signals before any thread starts so only sigwait below receives them. */
  sigset_t stopset;
  sigemptyset(&stopset);
  sigaddset(&stopset, SIGINT);
  sigaddset(&stopset, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stopset, NULL);
  char demo_db[1100];
  if (sv.demo && !target.db) { /* the demo's content and executions stay out of the real store */
    snprintf(demo_db, sizeof demo_db, "%s/demo.db", orch_config_str(cfg, "storage.data_dir"));
    target.db = demo_db;
  }
  if (prepare_data_dir(orch_config_str(cfg, "storage.data_dir"), &err) || cli_session_store(&sv.s, cfg, &target, &err) ||
      start(&sv, cfg, &target, token, sizeof token, &err)) {
    rc = cli_fail(&err);
    goto out;
  }
  announce(&sv, token);
  int sig = 0;
  sigwait(&stopset, &sig);
  orch_log_info("received %s, stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
out:
  stop(&sv);
  orch_config_free(cfg);
  return rc;
}
