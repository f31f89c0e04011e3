/* bench_exec_env: what the engine's benchmarks share: the rig of the engine's tests (exec_rig.h: a
 * simulated region on a loopback port, so every call crosses HTTP with SigV4 as with AWS, a SQLite store in
 * a scratch directory, the production AWS access and the engine on the sim clock) with its region built
 * from a generated scenario of server groups with fixed timings; plans from Lua text; the simulator's job
 * record read back by execution and wave; and percentiles. Header-only, included by
 * bench/exec/bench_exec_*.c. Uses exec_rig, orch_sim, orch_exec, orch_store, orch_plan, orch_core. */
#ifndef BENCH_EXEC_ENV_H
#define BENCH_EXEC_ENV_H

#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../tests/unit/exec/exec_rig.h"
#include "core/orch_buf.h"
#include "core/orch_json.h"
#include "core/orch_log.h"
#include "core/orch_str.h"
#include "core/orch_time.h"
#include "plan/orch_plan_compile.h"

struct bench_env {
  const char *name; /* the benchmark, for messages */
  struct harness rig;
};

static inline void be_fail(const struct bench_env *b, const char *what, const struct orch_error *err) {
  fprintf(stderr, "%s: %s: %s%s%s\n", b->name, what, err && err->context[0] ? err->context : "",
          err && err->context[0] ? ": " : "", err ? err->message : "");
  exit(1);
}

static inline double be_now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void be_sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
  nanosleep(&ts, NULL);
}

/* A positional argument as a number in [lo, hi], or `def` when absent. */
static inline long long be_arg(const struct bench_env *b, int argc, char **argv, int i, long long lo, long long hi,
                               long long def, const char *usage) {
  long long v = def;
  if (argc > i && orch_str_to_ll(argv[i], lo, hi, &v)) {
    fprintf(stderr, "%s: argument %d must be %lld..%lld\nusage: %s %s\n", b->name, i, lo, hi, b->name, usage);
    exit(2);
  }
  return v;
}

/* A scenario of `ngroups` server groups of `per_group` servers each, tagged Group = g001..., one account
 * and region, with fixed timings (`timing`: a JSON object, durations as strings) and `quotas` (or NULL).
 * Caller owns. */
static inline json_t *be_scenario(const struct bench_env *b, int ngroups, int per_group, const char *timing,
                                  const char *quotas) {
  json_t *groups = json_array();
  for (int g = 1; groups && g <= ngroups; g++) {
    char host[32], tag[16];
    snprintf(host, sizeof host, "g%03d-{n}", g);
    snprintf(tag, sizeof tag, "g%03d", g);
    if (json_array_append_new(groups, json_pack("{s:i, s:s, s:{s:s}}", "count", per_group, "hostname", host, "tags",
                                                "Group", tag)))
      be_fail(b, "scenario", NULL);
  }
  json_error_t jerr;
  json_t *t = json_loads(timing, 0, &jerr), *q = quotas ? json_loads(quotas, 0, &jerr) : NULL;
  if (!groups || !t || (quotas && !q)) {
    struct orch_error e = {.code = ORCH_EPARSE};
    snprintf(e.message, sizeof e.message, "%s", jerr.text);
    be_fail(b, "scenario", &e);
  }
  json_t *sc = json_pack("{s:s, s:s, s:[{s:s, s:o}], s:o}", "name", b->name, "start_time", "2027-01-04T09:00:00Z",
                         "regions", "region", "us-east-1", "server_groups", groups, "timing", t);
  if (!sc || (q && json_object_set_new(sc, "quotas", q))) be_fail(b, "scenario", NULL);
  return sc;
}

/* Simulator (taking the scenario), store and AWS access. Logs only warnings and errors. */
static inline void be_start(struct bench_env *b, json_t *scenario, double speed, uint64_t seed) {
  orch_json_init();
  orch_log_configure(ORCH_LOG_WARN, ORCH_LOG_TEXT, NULL);
  const char *tmp = getenv("TMPDIR");
  snprintf(b->rig.dir, sizeof b->rig.dir, "%s/orch-bench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(b->rig.dir)) be_fail(b, "mkdtemp", NULL);
  struct orch_error err = {0};
  struct orch_sim_options so = {.scenario = scenario, .listen = "127.0.0.1:0", .speed = speed, .seed = seed};
  const char *what = exec_rig_start(&b->rig, &so, &err);
  if (what) be_fail(b, what, strcmp(what, "credentials") ? &err : NULL);
  json_decref(scenario);
}

/* Compile `lua`, store it as a plan and write its id to plan_id. */
static inline void be_plan(struct bench_env *b, const char *lua, char plan_id[ORCH_ID_UUID_LEN + 1]) {
  struct orch_plan_source src = {.file = "bench-plan.lua", .text = lua, .len = strlen(lua)};
  struct orch_plan_report *rep = NULL;
  struct orch_error err = {0};
  if (orch_plan_validate(NULL, &src, NULL, &rep, &err)) be_fail(b, "plan", &err);
  if (!orch_plan_report_plan(rep)) {
    struct orch_buf t = ORCH_BUF_INIT(0);
    if (orch_plan_report_text(rep, &t) == 0) fprintf(stderr, "%s\n", orch_buf_cstr(&t));
    orch_buf_free(&t);
    be_fail(b, "the benchmark's plan does not compile", NULL);
  }
  const json_t *compiled = orch_plan_report_plan(rep);
  struct orch_store_version_spec v = {.source = lua, .compiled = compiled, .author = "bench"};
  struct orch_store_plan plan = {0};
  if (orch_store_plan_create(b->rig.store, json_string_value(json_object_get(compiled, "name")), &v, &plan, NULL, &err))
    be_fail(b, "store plan", &err);
  snprintf(plan_id, ORCH_ID_UUID_LEN + 1, "%s", plan.id);
  orch_plan_report_free(rep);
}

/* Close the plan text in `lua` (`rc`: the first error building it, or 0), store it as a plan (be_plan) and
 * free the buffer. */
static inline void be_plan_text(struct bench_env *b, struct orch_buf *lua, int rc, char plan_id[ORCH_ID_UUID_LEN + 1]) {
  if (!rc) rc = orch_buf_puts(lua, "} }\n");
  if (rc) be_fail(b, "plan text", NULL);
  be_plan(b, orch_buf_cstr(lua), plan_id);
  orch_buf_free(lua);
}

static inline void be_engine(struct bench_env *b, int64_t poll_ms) {
  struct orch_error err = {0};
  if (exec_rig_engine(&b->rig, true, poll_ms, &err)) be_fail(b, "engine", &err);
}

static inline void be_stop_engine(struct bench_env *b) { exec_rig_stop_engine(&b->rig); }

static inline int be_rm(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  return remove(p);
}

static inline void be_stop(struct bench_env *b) {
  exec_rig_stop(&b->rig);
  nftw(b->rig.dir, be_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/* Start an execution; its id goes to id. */
static inline void be_create(struct bench_env *b, const char *plan_id, enum orch_exec_mode mode,
                             char id[ORCH_ID_UUID_LEN + 1]) {
  struct orch_error err = {0};
  if (orch_exec_engine_create(b->rig.eng, plan_id, 0, mode, "bench", id, &err)) be_fail(b, "create", &err);
}

/* Wait for an execution and insist it ended `want`; returns its final state (caller owns). */
static inline json_t *be_wait(struct bench_env *b, const char *id, int64_t timeout_ms, const char *want) {
  json_t *final = NULL;
  struct orch_error err = {0};
  if (orch_exec_engine_wait(b->rig.eng, id, timeout_ms, &final, &err)) be_fail(b, "wait", &err);
  const char *status = json_string_value(json_object_get(final, "status"));
  if (!status || strcmp(status, want) != 0) {
    fprintf(stderr, "%s: execution %s ended %s (%s), not %s\n", b->name, id, status ? status : "?",
            json_string_value(json_object_get(final, "reason")), want);
    exit(1);
  }
  return final;
}

static inline int64_t be_ms(const json_t *iso) {
  int64_t ms = 0;
  if (!json_is_string(iso) || orch_time_parse_iso8601(json_string_value(iso), &ms)) return -1;
  return ms;
}

/* One DRS launch job as the simulator recorded it. */
struct be_job {
  const char *exec, *wave;   /* its drsorch:execution and drsorch:wave tags (borrowed from the state) */
  int64_t created_ms;        /* StartRecovery answered: the job exists from here */
  int64_t launched_ms;       /* its last server LAUNCHED: the sim ends a job 1 s after that (orch_sim_drs.c add_job) */
  int64_t ends_ms;
  size_t servers;
};

/* The launch jobs of the simulator's only region, from `state` (orch_sim_state; keep it alive while the
 * jobs are used). Caller frees the array. */
static inline struct be_job *be_jobs(json_t *state, size_t *n) {
  json_t *jobs = json_object_get(json_array_get(json_object_get(state, "regions"), 0), "jobs");
  struct be_job *out = calloc(json_array_size(jobs) + 1, sizeof *out);
  size_t i, k = 0;
  json_t *j;
  json_array_foreach(jobs, i, j) {
    if (!out || strcmp(json_string_value(json_object_get(j, "type")), "LAUNCH") != 0) continue;
    json_t *tags = json_object_get(j, "tags");
    out[k].exec = json_string_value(json_object_get(tags, "drsorch:execution"));
    out[k].wave = json_string_value(json_object_get(tags, "drsorch:wave"));
    out[k].created_ms = be_ms(json_object_get(j, "created"));
    out[k].ends_ms = be_ms(json_object_get(j, "ends"));
    out[k].launched_ms = out[k].ends_ms - 1000;
    out[k].servers = json_array_size(json_object_get(j, "participatingServers"));
    if (out[k].exec && out[k].wave) k++;
  }
  *n = k;
  return out;
}

/* The job of (execution, wave), or NULL (one job per wave in these benchmarks). */
static inline const struct be_job *be_job_of(const struct be_job *jobs, size_t n, const char *exec, const char *wave) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(jobs[i].exec, exec) == 0 && strcmp(jobs[i].wave, wave) == 0) return &jobs[i];
  return NULL;
}

static inline int be_cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* The p-th percentile (nearest rank) of v[0..n), which is sorted in place. */
static inline double be_percentile(double *v, size_t n, double p) {
  if (!n) return 0;
  qsort(v, n, sizeof *v, be_cmp_double);
  size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);
  if (rank < 1) rank = 1;
  if (rank > n) rank = n;
  return v[rank - 1];
}

#endif
