/* cli_session: the store, the simulator or AWS credentials, and the engine for `run`, `test` and
 * `resume`, and the options that choose them. Uses orch_store, orch_sim, orch_aws_creds,
 * orch_aws_endpoint, orch_exec_aws, orch_exec_engine, orch_str, orch_time. */
#include "cli/cli_session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/orch_log.h"
#include "core/orch_str.h"
#include "core/orch_time.h"


/* log.level from its default to warn: progress owns the terminal; configured levels are kept. */
void cli_session_quiet_logs(const struct orch_config *cfg) {
  json_t *shown = orch_config_show_json(cfg);
  const char *src = json_string_value(json_object_get(json_object_get(shown, "log.level"), "source"));
  enum orch_log_format format = ORCH_LOG_TEXT;
  if (src && strcmp(src, "default") == 0 && !orch_log_format_parse(orch_config_str(cfg, "log.format"), &format))
    orch_log_configure(ORCH_LOG_WARN, format, NULL);
  json_decref(shown);
}

int cli_duration_option(const char *arg, const char *flag, const char *cmd, int64_t *out_ms) {
  struct orch_error err = {0};
  if (orch_duration_parse(arg, out_ms, &err)) {
    cli_usage_error(cmd, "%s needs a duration such as 5s, 2m or 1h30m, not '%s' (%s)", flag, arg, err.message);
    return -1;
  }
  return 0;
}

static int parse_speed(const char *s, double *out) {
  char *end = NULL;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || !end || *end || end == s || !(v > 0) || v > 1e6) return ORCH_EPARSE;
  *out = v;
  return 0;
}

int cli_target_option(struct cli_target *t, int opt, const char *arg, const char *cmd) {
  long long v;
  switch (opt) {
    case CLI_OPT_DB:
      if (!*arg) return cli_usage_error(cmd, "--db needs a path or a store spec"), -1;
      t->db = arg;
      return 1;
    case CLI_OPT_SIM: t->sim_scenario = arg; return 1;
    case CLI_OPT_SPEED:
      if (parse_speed(arg, &t->speed))
        return cli_usage_error(cmd, "--speed needs a number above 0 and at most 1000000, not '%s'", arg), -1;
      t->speed_set = true;
      return 1;
    case CLI_OPT_SEED:
      if (orch_str_to_ll(arg, 0, INT64_MAX, &v))
        return cli_usage_error(cmd, "--seed needs a non-negative integer, not '%s'", arg), -1;
      t->seed = (uint64_t)v;
      t->seed_set = true;
      return 1;
    case CLI_OPT_ENDPOINT:
      if (!orch_str_starts_with(arg, "http://") && !orch_str_starts_with(arg, "https://"))
        return cli_usage_error(cmd, "--endpoint-url needs an http:// or https:// URL, not '%s'", arg), -1;
      t->endpoint_url = arg;
      return 1;
    case CLI_OPT_REGION:
      if (!orch_aws_region_valid(arg)) return cli_usage_error(cmd, "--region: '%s' is not a region name", arg), -1;
      t->region = arg;
      return 1;
    case CLI_OPT_PROFILE: t->profile = arg; return 1;
    case CLI_OPT_ACCOUNT:
      if (strlen(arg) != 12 || orch_str_to_ll(arg, 0, 999999999999LL, &v))
        return cli_usage_error(cmd, "--account needs a 12-digit account id, not '%s'", arg), -1;
      t->account = arg;
      return 1;
    default: return 0;
  }
}

int cli_target_check(const struct cli_target *t, const char *cmd) {
  if (t->sim_scenario && t->endpoint_url)
    return cli_usage_error(cmd, "--sim and --endpoint-url cannot be used together"), -1;
  if (t->sim_scenario && t->profile)
    return cli_usage_error(cmd, "--profile has no meaning with --sim (the simulator has its own credentials)"), -1;
  if (!t->sim_scenario && (t->speed_set || t->seed_set))
    return cli_usage_error(cmd, "%s only applies with --sim SCENARIO", t->speed_set ? "--speed" : "--seed"), -1;
  return 0;
}

int cli_target_files(const struct cli_target *t) {
  FILE *f = t->sim_scenario ? fopen(t->sim_scenario, "rb") : NULL;
  if (t->sim_scenario && !f) {
    fprintf(stderr, "drsorch: %s: cannot read the scenario: %s\n", t->sim_scenario, strerror(errno));
    return CLI_EXIT_FAIL;
  }
  if (f) fclose(f);
  return CLI_EXIT_OK;
}

/* mkdir -p of the directory part of `path` (nothing to do for a bare file name). */
static int make_parent_dirs(const char *path, struct orch_error *err) {
  char dir[4096];
  if (strlen(path) >= sizeof dir) return orch_error_setc(err, ORCH_EINVAL, path, "path too long");
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (!slash || slash == dir) return 0;
  *slash = '\0';
  for (char *p = dir + 1;; p++) {
    bool end = *p == '\0';
    if (!end && *p != '/') continue;
    *p = '\0';
    if (mkdir(dir, 0750) != 0 && errno != EEXIST)
      return orch_error_setc(err, ORCH_EPERM, path, "cannot create directory '%s': %s", dir, strerror(errno));
    if (end) break;
    *p = '/';
  }
  return 0;
}

bool cli_session_remote_store(const char *db) { return db && orch_str_starts_with(db, "dynamodb:"); }

int cli_session_store(struct cli_session *s, const struct orch_config *cfg, const struct cli_target *t,
                      struct orch_error *err) {
  char path[4096];
  const char *db = t->db;
  if (cli_session_remote_store(db)) { /* a DynamoDB store: the spec as given */
    if (strlen(db) >= sizeof s->db_spec) return orch_error_setc(err, ORCH_EINVAL, "--db", "store spec too long");
    snprintf(s->db_spec, sizeof s->db_spec, "%s", db);
    return orch_store_open(s->db_spec, NULL, &s->store, err);
  }
  if (db && orch_str_starts_with(db, "sqlite:")) db += strlen("sqlite:");
  if (db) {
    snprintf(path, sizeof path, "%s", db);
  } else {
    const char *dir = orch_config_str(cfg, "storage.data_dir");
    if (!*dir) return orch_error_setc(err, ORCH_ECONFIG, "storage.data_dir", "is empty (or give --db PATH)");
    snprintf(path, sizeof path, "%s/drsorch.db", dir);
  }
  struct stat sb;
  bool exists = stat(path, &sb) == 0;
  if (exists && S_ISDIR(sb.st_mode))
    return orch_error_setc(err, ORCH_EINVAL, path, "is a directory: the store is a file (e.g. --db %s%sdrsorch.db)", path,
                           path[strlen(path) - 1] == '/' ? "" : "/");
  if (!exists && t->db_must_exist)
    return orch_error_setc(err, ORCH_ENOTFOUND, path, "no store here (%s): nothing was run with this store; is the path "
                           "right? (only 'run', 'test' and 'groups import' create one)", strerror(errno));
  int rc = t->db_must_exist ? 0 : make_parent_dirs(path, err);
  if (rc) return rc;
  snprintf(s->db_spec, sizeof s->db_spec, "sqlite:%s", path);
  rc = orch_store_open(s->db_spec, NULL, &s->store, err);
  if (rc && !err->context[0]) orch_str_fmt(err->context, sizeof err->context, "%s", path);
  return rc;
}

static int connect_sim(struct cli_session *s, const struct orch_config *cfg, const struct cli_target *t,
                       const char *plan_region, struct orch_error *err) {
  /* Without --speed the simulated region runs on a discrete-event clock: time stands still while the
   * engine or the simulator has work in hand and jumps to the next due moment when both are idle, so
   * the same plan, scenario and seed give the same run however busy the machine is. */
  s->discrete = !t->speed_set;
  s->speed = s->discrete ? 0 : t->speed;
  uint64_t seed = t->seed_set ? t->seed : 1;
  struct orch_sim_options so = {.scenario_path = t->sim_scenario, .listen = "127.0.0.1:0", .speed = s->speed,
                                .discrete = s->discrete, .seed = seed};
  int rc = orch_sim_start(&so, &s->sim, err);
  if (rc) return rc;
  snprintf(s->region, sizeof s->region, "%s", t->region ? t->region : plan_region && *plan_region ? plan_region : "us-east-1");
  snprintf(s->account, sizeof s->account, "%s", t->account ? t->account : ORCH_SIM_ACCOUNT_ID);
  rc = orch_aws_creds_static(ORCH_SIM_ACCESS_KEY_ID, ORCH_SIM_SECRET_ACCESS_KEY, NULL, &s->creds);
  if (rc) return orch_error_set(err, rc, "out of memory");
  /* Calls cross HTTP and SigV4 as with AWS; signing uses the real clock, as the simulator checks it.
   * Scenarios with several accounts are reached by assuming the configured role, as in AWS. */
  const char *role = orch_config_str(cfg, "aws.role_name"), *external_id = orch_config_str(cfg, "aws.external_id");
  struct orch_exec_aws_config ac = {.base = s->creds, .home_account = s->account, .endpoint_url = orch_sim_url(s->sim),
                                    .role_name = *role ? role : NULL, .external_id = *external_id ? external_id : NULL,
                                    .no_ratelimit = true, .clock = orch_sim_clock(s->sim),
                                    .jitter_seed = s->discrete ? seed : 0};
  return orch_exec_aws_new(&ac, &s->aws, err);
}

static int connect_aws(struct cli_session *s, const struct orch_config *cfg, const struct cli_target *t,
                       const char *plan_region, struct orch_error *err) {
  s->speed = 1;
  const char *cfg_profile = orch_config_str(cfg, "aws.profile");
  const char *explicit_profile = t->profile ? t->profile : (*cfg_profile ? cfg_profile : NULL);
  const char *endpoint = t->endpoint_url ? t->endpoint_url : orch_config_str(cfg, "aws.endpoint_url");
  if (!*endpoint) endpoint = NULL;
  snprintf(s->endpoint, sizeof s->endpoint, "%s", endpoint ? endpoint : "");
  int rc = orch_aws_profiles_load(NULL, NULL, &s->profiles, err);
  if (rc) return rc;
  const char *profile = orch_aws_profile_name(explicit_profile);
  struct orch_error rerr = {0};
  rc = orch_aws_region_resolve(t->region, s->profiles, profile, orch_config_str(cfg, "aws.region"), s->region, &rerr);
  if (rc == ORCH_ECONFIG && plan_region && *plan_region) {
    snprintf(s->region, sizeof s->region, "%s", plan_region);
  } else if (rc == ORCH_ECONFIG && !plan_region) {
    s->region[0] = '\0'; /* resume: the journaled plans name their regions */
    orch_log_warn("no default AWS region (%s); executions whose plans name none will fail", rerr.message);
  } else if (rc) {
    *err = rerr;
    return rc;
  }
  const char *account = t->account ? t->account : orch_config_str(cfg, "aws.account");
  snprintf(s->account, sizeof s->account, "%s", account);
  /* A standalone `drsorch sim`: run on its simulated clock, so the RTO and every time are the simulator's. */
  if (endpoint) {
    struct orch_error cerr = {0};
    if (cli_simclock_new(endpoint, &s->simclock, &cerr) == 0) s->speed = cli_simclock_speed(s->simclock);
    else if (cerr.code != ORCH_ENOTFOUND) orch_log_debug("no simulated clock at %s: %s", endpoint, cerr.message);
  }
  struct orch_aws_creds_options co = {.profile = explicit_profile, .profiles = s->profiles,
                                      .region = s->region[0] ? s->region : NULL, .endpoint_url = endpoint};
  rc = orch_aws_creds_chain(&co, &s->creds, err);
  if (rc) return rc;
  /* Fail now with the chain's one line, rather than with an execution whose every preflight check
   * says the same. The provider caches them for the engine. */
  struct orch_aws_credentials probe;
  rc = orch_aws_creds_get(s->creds, &probe, err);
  orch_aws_credentials_clear(&probe);
  if (rc) return rc;
  const char *role = orch_config_str(cfg, "aws.role_name"), *external_id = orch_config_str(cfg, "aws.external_id");
  struct orch_exec_aws_config ac = {.base = s->creds, .home_account = s->account, .endpoint_url = endpoint,
                                    .role_name = *role ? role : NULL, .external_id = *external_id ? external_id : NULL,
                                    .clock = s->simclock ? cli_simclock_clock(s->simclock) : NULL};
  return orch_exec_aws_new(&ac, &s->aws, err);
}

int cli_session_aws(struct cli_session *s, const struct orch_config *cfg, const struct cli_target *t,
                    const char *plan_region, struct orch_error *err) {
  return t->sim_scenario ? connect_sim(s, cfg, t, plan_region, err) : connect_aws(s, cfg, t, plan_region, err);
}

void cli_session_describe(const struct cli_session *s, char *out, size_t n) {
  if (s->sim) {
    snprintf(out, n, "the simulated region at %s", orch_sim_url(s->sim));
    return;
  }
  if (s->simclock) {
    snprintf(out, n, "the simulator at %s (in its simulated time, speed %g)%s%s%s", s->endpoint,
             cli_simclock_speed(s->simclock), s->region[0] ? " (default region " : "", s->region, s->region[0] ? ")" : "");
    return;
  }
  snprintf(out, n, "%s%s%s%s%s", s->endpoint[0] ? "the AWS endpoint " : "AWS", s->endpoint, s->region[0] ? " (default region " : "",
           s->region, s->region[0] ? ")" : "");
}

const struct orch_clock *cli_session_clock(const struct cli_session *s) {
  if (s->sim) return orch_sim_clock(s->sim);
  return s->simclock ? cli_simclock_clock(s->simclock) : orch_clock_real();
}

int cli_session_engine(struct cli_session *s, const struct cli_engine_options *o, struct orch_error *err) {
  struct orch_exec_engine_config ec = {.store = s->store, .aws = orch_exec_aws_ops(), .aws_ctx = s->aws,
                                       .clock = cli_session_clock(s), .inline_effects = s->discrete,
                                       .resume = !o->no_resume,
                                       .poll_ms = o->poll_ms, .default_account = s->account,
                                       .default_region = s->region, .keep_for_ms = o->keep_for_ms,
                                       .approve_all = o->approve_all, .module_dir = o->module_dir,
                                       .aws_allow_ceiling = o->aws_allow_ceiling,
                                       .module_dir_override = o->module_dir_override,
                                       .listener = o->listener, .listener_ctx = o->listener_ctx};
  int rc = orch_exec_engine_new(&ec, &s->eng, err);
  if (!rc) rc = orch_exec_engine_start(s->eng, err);
  return rc;
}

void cli_session_close(struct cli_session *s) {
  orch_exec_engine_free(s->eng);
  orch_exec_aws_free(s->aws);
  orch_aws_creds_free(s->creds);
  orch_aws_profiles_free(s->profiles);
  orch_sim_stop(s->sim);
  cli_simclock_free(s->simclock);
  orch_store_close(s->store);
  memset(s, 0, sizeof *s);
}
