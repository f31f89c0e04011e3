/* bench_exec_makespan: how close does a plan's run come to the best any orchestrator could do? A plan of
 * nine waves in a dependency graph (two databases, a queue, two application tiers, an API tier, two web
 * tiers and an edge tier; its longest chain is five waves) runs as a few concurrent recoveries against
 * the simulated region with fixed timings. The lower bound of an execution is its critical path: the
 * longest dependency chain summed over each wave's own launch duration in the simulator (job created to
 * its last server LAUNCHED); the makespan runs from the first StartRecovery to the last server LAUNCHED.
 * Target (DESIGN §10): makespan <= 1.02 x the lower bound + one poll interval per wave of that chain.
 * Usage: bench_exec_makespan [EXECUTIONS] [SPEED] [POLL_S]. Uses bench_exec_env. */
#include "bench_exec_env.h"

#define USAGE "[EXECUTIONS 1-10, default 3] [SPEED 1-600, default 20] [POLL_S 1-60, default 5]"
#define NWAVES 9
#define SERVERS_PER_WAVE 3

static const struct {
  const char *name;
  const char *deps[3];
} dag[NWAVES] = {
    {"db1", {NULL}},         {"db2", {NULL}},           {"queue", {"db1"}},
    {"app1", {"db1", "db2"}}, {"app2", {"db2"}},        {"api", {"app1", "app2", "queue"}},
    {"web1", {"api"}},       {"web2", {"api"}},         {"edge", {"web1", "web2"}},
};

static int wave_index(const char *name) {
  for (int i = 0; i < NWAVES; i++)
    if (strcmp(dag[i].name, name) == 0) return i;
  return -1;
}

static void dag_plan(struct bench_env *b, int e, char plan_id[ORCH_ID_UUID_LEN + 1]) {
  struct orch_buf lua = ORCH_BUF_INIT(0);
  int rc = orch_buf_printf(&lua, "return plan { name = \"graph-%02d\", region = \"us-east-1\", waves = {\n", e + 1);
  for (int w = 0; !rc && w < NWAVES; w++) {
    rc = orch_buf_printf(&lua, "  wave \"%s\" { ", dag[w].name);
    for (int d = 0; !rc && d < 3 && dag[w].deps[d]; d++)
      rc = orch_buf_printf(&lua, "%s\"%s\"%s", d ? ", " : "depends_on = { ", dag[w].deps[d],
                           d == 2 || !dag[w].deps[d + 1] ? " }, " : "");
    if (!rc) rc = orch_buf_printf(&lua, "servers = tags { Group = \"g%03d\" } },\n", e * NWAVES + w + 1);
  }
  be_plan_text(b, &lua, rc, plan_id);
}

int main(int argc, char **argv) {
  struct bench_env b = {.name = "bench_exec_makespan"};
  int execs = (int)be_arg(&b, argc, argv, 1, 1, 10, 3, USAGE);
  double speed = (double)be_arg(&b, argc, argv, 2, 1, 600, 20, USAGE);
  int64_t poll_ms = be_arg(&b, argc, argv, 3, 1, 60, 5, USAGE) * 1000;

  be_start(&b,
           be_scenario(&b, execs * NWAVES, SERVERS_PER_WAVE,
                       "{\"job_start\":\"2s\",\"snapshot\":\"10s\",\"conversion\":\"30s\",\"launch\":\"10s\","
                       "\"boot\":\"10s\",\"ssm_ready\":\"10s\",\"terminate\":\"10s\"}",
                       NULL),
           speed, 8);
  char plans[10][ORCH_ID_UUID_LEN + 1], ids[10][ORCH_ID_UUID_LEN + 1];
  json_t *finals[10];
  for (int e = 0; e < execs; e++) dag_plan(&b, e, plans[e]);
  be_engine(&b, poll_ms);
  double t0 = be_now_s();
  for (int e = 0; e < execs; e++) be_create(&b, plans[e], ORCH_MODE_RECOVERY, ids[e]);
  for (int e = 0; e < execs; e++) finals[e] = be_wait(&b, ids[e], 3600 * 1000, "COMPLETED");
  double wall = be_now_s() - t0;
  be_stop_engine(&b);

  json_t *state = orch_sim_state(b.rig.sim);
  size_t njobs = 0;
  struct be_job *jobs = be_jobs(state, &njobs);
  if (!jobs) be_fail(&b, "out of memory", NULL);
  double poll_s = (double)poll_ms / 1000.0, worst_ratio = 0, worst_margin = -1e9;
  printf("bench_exec_makespan: %d recoveries of a %d-wave graph (longest chain 5 waves), %d servers per wave, fixed "
         "timings, poll %.0f s, sim speed %.0fx, %.1f s wall\n",
         execs, NWAVES, SERVERS_PER_WAVE, poll_s, speed, wall);
  for (int e = 0; e < execs; e++) {
    /* Each wave's own duration, and the longest chain through them (waves are listed after their deps). */
    double dur[NWAVES], dist[NWAVES];
    int prev[NWAVES], len[NWAVES];
    int64_t first = INT64_MAX, last = 0;
    for (int w = 0; w < NWAVES; w++) {
      const struct be_job *j = be_job_of(jobs, njobs, ids[e], dag[w].name);
      if (!j) be_fail(&b, "a wave without its job", NULL);
      dur[w] = (double)(j->launched_ms - j->created_ms) / 1000.0;
      if (j->created_ms < first) first = j->created_ms;
      if (j->launched_ms > last) last = j->launched_ms;
      dist[w] = dur[w];
      prev[w] = -1;
      len[w] = 1;
      for (int d = 0; d < 3 && dag[w].deps[d]; d++) {
        int p = wave_index(dag[w].deps[d]);
        if (dist[p] + dur[w] > dist[w]) dist[w] = dist[p] + dur[w], prev[w] = p, len[w] = len[p] + 1;
      }
    }
    int end = 0;
    for (int w = 1; w < NWAVES; w++)
      if (dist[w] > dist[end]) end = w;
    char chain[256] = "";
    for (int w = end; w >= 0; w = prev[w]) {
      char part[64];
      snprintf(part, sizeof part, "%s%s", dag[w].name, *chain ? " -> " : "");
      size_t have = strlen(chain), add = strlen(part);
      if (have + add < sizeof chain) {
        memmove(chain + add, chain, have + 1);
        memcpy(chain, part, add);
      }
    }
    double lb = dist[end], makespan = (double)(last - first) / 1000.0;
    double allowed = 1.02 * lb + poll_s * len[end];
    int64_t created = be_ms(json_object_get(finals[e], "created_at")), ended = be_ms(json_object_get(finals[e], "ended_at"));
    printf("  graph-%02d: critical path %s: lower bound %.1f s; makespan %.1f s = %.3fx (+%.1f s); allowed %.1f s "
           "(1.02x + %d polls): %s; created to ended %.1f s\n",
           e + 1, chain, lb, makespan, makespan / lb, makespan - lb, allowed, len[end],
           makespan <= allowed ? "MEETS TARGET" : "MISSES TARGET", (double)(ended - created) / 1000.0);
    if (makespan / lb > worst_ratio) worst_ratio = makespan / lb;
    if (makespan - allowed > worst_margin) worst_margin = makespan - allowed;
  }
  printf("  worst makespan / lower bound: %.3fx; worst against the allowance: %+.1f s  %s\n", worst_ratio, worst_margin,
         worst_margin <= 0 ? "MEETS TARGET" : "MISSES TARGET");
  free(jobs);
  json_decref(state);
  for (int e = 0; e < execs; e++) json_decref(finals[e]);
  be_stop(&b);
  return 0; /* figures, not a verdict: `make bench` runs every benchmark */
}
