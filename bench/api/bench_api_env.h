/* bench_api_env: what the API's benchmarks share: `drsorch serve` assembled in-process as cli_serve does it
 * (the simulated region, a SQLite store in a scratch directory, the engine with the API's listener, the API
 * and its CivetWeb server on a loopback port), an admin token, executions run to their end, wrk driven as a
 * subprocess with its figures parsed, and percentiles. Header-only, included by bench/api/bench_api_*.c.
 * Uses api_rig, orch_api, orch_api_server, orch_api_aws, wrk. */
#ifndef BENCH_API_ENV_H
#define BENCH_API_ENV_H

#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../tests/unit/api/api_rig.h"
#include "api/orch_api.h"
#include "api/orch_api_aws.h"
#include "api/orch_api_server.h"
#include "api/orch_api_users.h"
#include "api/orch_api_secret.h"
#include "core/orch_json.h"
#include "core/orch_log.h"

struct bench_api {
  const char *name;
  struct harness rig;
  struct orch_config *cfg;
  struct orch_api *api;
  struct orch_api_aws *aws;
  struct orch_api_server *srv;
  char token[ORCH_API_TOKEN_LEN + 1];
  char base[80]; /* http://127.0.0.1:PORT */
  /* The engine's listener, called with the api: NULL = orch_api_exec_listener; a benchmark's wraps it. */
  orch_exec_listener listener;
};

struct wrk_figures {
  double rps;
  double p50_ms, p99_ms, avg_ms;
  long errors; /* non-2xx answers and socket errors (but the read "errors" of Connection: close) */
};

static inline void ba_fail(const struct bench_api *b, const char *what, const struct orch_error *err) {
  fprintf(stderr, "%s: %s: %s\n", b->name, what, err ? err->message : "");
  exit(1);
}

static inline double ba_now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void ba_set(struct bench_api *b, const char *pair) {
  struct orch_error err = {0};
  if (orch_config_set_pair(b->cfg, pair, "bench", &err)) ba_fail(b, pair, &err);
}

/* The server with `threads` workers, the simulated region at `speed`. */
static inline void ba_start(struct bench_api *b, int threads, double speed) {
  struct orch_error err = {0};
  orch_json_init();
  orch_log_configure(ORCH_LOG_WARN, ORCH_LOG_TEXT, NULL);
  snprintf(b->rig.dir, sizeof b->rig.dir, "%s/orch-bench-api-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  if (!mkdtemp(b->rig.dir)) ba_fail(b, "mkdtemp", NULL);
  char scenario[1200];
  snprintf(scenario, sizeof scenario, "%s/plans/scenarios/three-tier-demo.json", ORCH_BENCH_SOURCE_DIR);
  const char *what = api_rig_start(&b->rig, scenario, speed, &err);
  if (what) ba_fail(b, what, &err);
  if (orch_config_new(&b->cfg)) ba_fail(b, "config", NULL);
  char pair[300];
  snprintf(pair, sizeof pair, "storage.data_dir=%s", b->rig.dir);
  ba_set(b, pair);
  snprintf(pair, sizeof pair, "server.threads=%d", threads);
  ba_set(b, pair);
  ba_set(b, "server.listen=127.0.0.1:0");
  ba_set(b, "server.rate_limit=0");
  ba_set(b, "server.token_rate_limit=0");
  struct orch_api_config ac = {.settings = b->cfg, .store = b->rig.store, .listen_address = ""};
  if (orch_api_new(&ac, &b->api, &err)) ba_fail(b, "api", &err);
  struct orch_api_aws_config aw = {.base = b->rig.creds, .home_account = ORCH_SIM_ACCOUNT_ID, .region = "us-east-1",
                                   .endpoint_url = orch_sim_url(b->rig.sim), .no_ratelimit = true, .store = b->rig.store};
  if (orch_api_aws_new(&aw, &b->aws, &err)) ba_fail(b, "aws", &err);
  struct orch_exec_engine_config ec = {.store = b->rig.store, .aws = orch_api_aws_exec_ops(), .aws_ctx = b->aws,
                                       .clock = orch_sim_clock(b->rig.sim), .poll_ms = 5000,
                                       .default_account = ORCH_SIM_ACCOUNT_ID, .default_region = "us-east-1",
                                       .approve_all = true, .listener = b->listener ? b->listener : orch_api_exec_listener,
                                       .listener_ctx = b->api};
  if (orch_exec_engine_new(&ec, &b->rig.eng, &err) || orch_exec_engine_start(b->rig.eng, &err)) ba_fail(b, "engine", &err);
  struct orch_api_backends bk = {.engine = orch_api_engine_local(), .engine_ctx = b->rig.eng, .aws = orch_api_aws_ops(),
                                 .aws_ctx = b->aws,
                                 .default_account = ORCH_SIM_ACCOUNT_ID, .default_region = "us-east-1"};
  orch_api_attach(b->api, &bk);
  if (orch_api_server_start(b->api, b->cfg, &b->srv, &err)) ba_fail(b, "server", &err);
  snprintf(b->base, sizeof b->base, "http://%s", orch_api_server_address(b->srv));
  struct orch_store_token t;
  if (orch_api_token_issue(b->rig.store, "bench", "Admin", 0, "bench", &t, b->token, sizeof b->token, &err))
    ba_fail(b, "token", &err);
}

static inline int ba_rm(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb, (void)flag, (void)ftw;
  return remove(p);
}

static inline void ba_stop(struct bench_api *b) {
  orch_api_server_stop(b->srv);
  orch_exec_engine_free(b->rig.eng);
  b->rig.eng = NULL;
  orch_api_free(b->api);
  orch_api_aws_free(b->aws);
  exec_rig_stop(&b->rig);
  orch_config_free(b->cfg);
  nftw(b->rig.dir, ba_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/* An in-process request through the router (no socket): the answer's status and body size. */
static inline int ba_raw(struct bench_api *b, const char *method, const char *target, const char *body, size_t *len,
                         json_t **parsed) {
  char auth[96];
  snprintf(auth, sizeof auth, "Bearer %s", b->token);
  struct orch_api_header hs[] = {{"Authorization", auth}, {"Content-Type", "application/json"}};
  struct orch_api_request req = {.method = method, .target = target, .headers = hs, .nheaders = 2, .body = body,
                                 .body_len = body ? strlen(body) : 0, .remote_addr = "127.0.0.1"};
  struct orch_api_response resp;
  orch_api_response_init(&resp);
  orch_api_handle(b->api, &req, &resp);
  if (len) *len = resp.body.len;
  if (parsed) *parsed = resp.body.len ? orch_json_parse(resp.body.data, resp.body.len, 0, NULL) : NULL;
  int status = resp.status;
  orch_api_response_release(&resp);
  return status;
}

/* As ba_raw, the answer's body parsed. */
static inline json_t *ba_call(struct bench_api *b, const char *method, const char *target, const char *body, int *status) {
  json_t *j = NULL;
  *status = ba_raw(b, method, target, body, NULL, &j);
  return j;
}

/* The demo plan's drill, started through the API and (with `wait`) run to its end: its id into id. */
static inline void ba_drill(struct bench_api *b, const char *plan_lua_json, bool wait, char *id, size_t n) {
  int status;
  json_t *j = ba_call(b, "POST", "/api/v1/plans", plan_lua_json, &status);
  json_decref(j);
  if (status != 201 && status != 409) ba_fail(b, "storing the plan", NULL);
  j = ba_call(b, "POST", "/api/v1/executions", "{\"plan\": \"bench\", \"mode\": \"drill\"}", &status);
  if (status != 202) ba_fail(b, "starting a drill", NULL);
  snprintf(id, n, "%s", json_string_value(json_object_get(j, "id")));
  json_decref(j);
  char path[160];
  snprintf(path, sizeof path, "/api/v1/executions/%s", id);
  for (int i = 0; wait && i < 600000; i++) {
    j = ba_call(b, "GET", path, NULL, &status);
    bool done = status == 200 && strcmp(json_string_value(json_object_get(j, "status")), "CLEANED") == 0;
    json_decref(j);
    if (done) return;
    usleep(10000);
  }
  if (wait) ba_fail(b, "the drill did not finish", NULL);
}

/* wrk against url for `seconds` with `conns` connections on `threads` threads (extra: a header line or
 * NULL); the figures it prints, parsed. */
static inline struct wrk_figures ba_wrk(const char *url, int threads, int conns, int seconds, const char *auth,
                                        const char *extra) {
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "wrk --latency -t%d -c%d -d%ds %s%s%s %s%s%s '%s' 2>&1", threads, conns, seconds,
           auth ? "-H 'Authorization: Bearer " : "", auth ? auth : "", auth ? "'" : "", extra ? "-H '" : "",
           extra ? extra : "", extra ? "'" : "", url);
  struct wrk_figures f = {0};
  FILE *p = popen(cmd, "r");
  if (!p) return f;
  char line[512], unit[8];
  double v;
  while (fgets(line, sizeof line, p)) {
    if (sscanf(line, "Requests/sec: %lf", &v) == 1) f.rps = v;
    else if (sscanf(line, " 50%% %lf%7s", &v, unit) == 2) f.p50_ms = v * (unit[0] == 'u' ? 1e-3 : unit[0] == 's' ? 1e3 : 1);
    else if (sscanf(line, " 99%% %lf%7s", &v, unit) == 2) f.p99_ms = v * (unit[0] == 'u' ? 1e-3 : unit[0] == 's' ? 1e3 : 1);
    else if (sscanf(line, " Latency %lf%7s", &v, unit) == 2) f.avg_ms = v * (unit[0] == 'u' ? 1e-3 : unit[0] == 's' ? 1e3 : 1);
    else if (sscanf(line, " Non-2xx or 3xx responses: %lf", &v) == 1) f.errors += (long)v;
    else if (strstr(line, "Socket errors")) { /* wrk counts a read error per answer the server closes after */
      long c = 0, r = 0, w = 0, t = 0;
      if (sscanf(line, " Socket errors: connect %ld, read %ld, write %ld, timeout %ld", &c, &r, &w, &t) == 4)
        f.errors += c + w + t + (extra && strstr(extra, "close") ? 0 : r);
    }
  }
  pclose(p);
  return f;
}

static inline bool ba_have_wrk(void) { return system("command -v wrk >/dev/null 2>&1") == 0; }

static inline int ba_cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static inline double ba_pct(double *v, size_t n, double p) {
  if (!n) return 0;
  qsort(v, n, sizeof *v, ba_cmp);
  size_t i = (size_t)(p * (double)(n - 1) + 0.5);
  return v[i < n ? i : n - 1];
}

static const char BENCH_PLAN[] =
  "{\"source\": \"return plan { name = \\\"bench\\\", waves = {"
  " wave \\\"db\\\" { servers = tags { App = \\\"orders\\\", Tier = \\\"db\\\" } },"
  " wave \\\"app\\\" { depends_on = { \\\"db\\\" }, servers = tags { App = \\\"orders\\\", Tier = \\\"app\\\" } },"
  " wave \\\"web\\\" { depends_on = { \\\"app\\\" }, servers = tags { App = \\\"orders\\\", Tier = \\\"web\\\" } } } }\"}";

#endif
