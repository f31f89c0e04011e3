/* bench_exec_latency: how soon after a wave's last server launches does the next wave start? Several
 * recoveries, each a chain of waves, run against the simulated region at a modest sim speed (so the
 * engine's own real-time work adds little sim time); for every wave the time from its last server
 * reaching LAUNCHED (the simulator's job record) to the dependent wave's StartRecovery (the job's creation)
 * is split into detection (until the engine's poll sees the wave recovered) and dispatch (until the next
 * launch reaches DRS). A job's start time is spread uniformly over one poll interval so that launches
 * do not lock onto the poll's phase (with fixed timings every wave would end at the same point of the
 * poll cycle and the figures would depend on that accident). Target (DESIGN §10): p95 <= poll interval + 1 s (the reference serverless design
 * waits up to 30 s). Usage: bench_exec_latency [EXECUTIONS] [WAVES] [SPEED] [POLL_S]. Uses bench_exec_env. */
#include "bench_exec_env.h"

#define USAGE "[EXECUTIONS 1-20, default 8] [WAVES 2-30, default 11] [SPEED 1-600, default 10] [POLL_S 1-60, default 5]"
#define SERVERS_PER_WAVE 2

/* A chain w01 -> w02 -> ... over groups first+1 .. first+waves. */
static void chain_plan(struct bench_env *b, int e, int waves, char plan_id[ORCH_ID_UUID_LEN + 1]) {
  struct orch_buf lua = ORCH_BUF_INIT(0);
  int rc = orch_buf_printf(&lua, "return plan { name = \"chain-%02d\", region = \"us-east-1\", waves = {\n", e + 1);
  for (int w = 1; !rc && w <= waves; w++) {
    rc = orch_buf_printf(&lua, "  wave \"w%02d\" { ", w);
    if (!rc && w > 1) rc = orch_buf_printf(&lua, "depends_on = { \"w%02d\" }, ", w - 1);
    if (!rc) rc = orch_buf_printf(&lua, "servers = tags { Group = \"g%03d\" } },\n", e * waves + w);
  }
  be_plan_text(b, &lua, rc, plan_id);
}

int main(int argc, char **argv) {
  struct bench_env b = {.name = "bench_exec_latency"};
  int execs = (int)be_arg(&b, argc, argv, 1, 1, 20, 8, USAGE);
  int waves = (int)be_arg(&b, argc, argv, 2, 2, 30, 11, USAGE);
  double speed = (double)be_arg(&b, argc, argv, 3, 1, 600, 10, USAGE);
  int64_t poll_ms = be_arg(&b, argc, argv, 4, 1, 60, 5, USAGE) * 1000;

  be_start(&b,
           be_scenario(&b, execs * waves, SERVERS_PER_WAVE,
                       "{\"job_start\":{\"min\":\"1s\",\"max\":\"6s\"},\"snapshot\":\"3s\",\"conversion\":\"5s\",\"launch\":\"3s\","
                       "\"boot\":\"5s\",\"ssm_ready\":\"5s\",\"terminate\":\"5s\"}",
                       NULL),
           speed, 6);
  char (*plans)[ORCH_ID_UUID_LEN + 1] = calloc((size_t)execs, sizeof *plans);
  char (*ids)[ORCH_ID_UUID_LEN + 1] = calloc((size_t)execs, sizeof *ids);
  json_t **finals = calloc((size_t)execs, sizeof *finals);
  size_t nsamples = (size_t)execs * (size_t)(waves - 1);
  double *total = calloc(nsamples, sizeof *total), *detect = calloc(nsamples, sizeof *detect);
  double *dispatch = calloc(nsamples, sizeof *dispatch);
  if (!plans || !ids || !finals || !total || !detect || !dispatch) be_fail(&b, "out of memory", NULL);
  for (int e = 0; e < execs; e++) chain_plan(&b, e, waves, plans[e]);
  be_engine(&b, poll_ms);
  double t0 = be_now_s();
  for (int e = 0; e < execs; e++) be_create(&b, plans[e], ORCH_MODE_RECOVERY, ids[e]);
  for (int e = 0; e < execs; e++) finals[e] = be_wait(&b, ids[e], 3600 * 1000, "COMPLETED");
  double wall = be_now_s() - t0;
  be_stop_engine(&b);

  json_t *state = orch_sim_state(b.rig.sim);
  size_t njobs = 0, k = 0;
  struct be_job *jobs = be_jobs(state, &njobs);
  if (!jobs) be_fail(&b, "out of memory", NULL);
  for (int e = 0; e < execs; e++) {
    json_t *wl = json_object_get(finals[e], "waves");
    for (int w = 0; w + 1 < waves; w++) {
      const char *name = json_string_value(json_object_get(json_array_get(wl, (size_t)w), "name"));
      const char *next = json_string_value(json_object_get(json_array_get(wl, (size_t)w + 1), "name"));
      const struct be_job *pj = be_job_of(jobs, njobs, ids[e], name), *nj = be_job_of(jobs, njobs, ids[e], next);
      int64_t recovered = be_ms(json_object_get(json_array_get(wl, (size_t)w), "recovered_at"));
      if (!pj || !nj || recovered < 0) be_fail(&b, "a wave without its job or recovery time", NULL);
      total[k] = (double)(nj->created_ms - pj->launched_ms) / 1000.0;
      detect[k] = (double)(recovered - pj->launched_ms) / 1000.0;
      dispatch[k] = (double)(nj->created_ms - recovered) / 1000.0;
      k++;
    }
  }
  double poll_s = (double)poll_ms / 1000.0, target = poll_s + 1.0;
  printf("bench_exec_latency: %d recoveries x %d chained waves of %d servers, poll %.0f s, sim speed %.0fx, "
         "%zu transitions, %.1f s wall\n",
         execs, waves, SERVERS_PER_WAVE, poll_s, speed, k, wall);
  printf("  detection (last server LAUNCHED -> wave recovered)    p50 %6.2f s  p95 %6.2f s  max %6.2f s\n",
         be_percentile(detect, k, 50), be_percentile(detect, k, 95), be_percentile(detect, k, 100));
  printf("  dispatch  (wave recovered -> next StartRecovery)       p50 %6.2f s  p95 %6.2f s  max %6.2f s\n",
         be_percentile(dispatch, k, 50), be_percentile(dispatch, k, 95), be_percentile(dispatch, k, 100));
  double p50 = be_percentile(total, k, 50), p95 = be_percentile(total, k, 95), max = be_percentile(total, k, 100);
  printf("  detection + next-wave start                           p50 %6.2f s  p95 %6.2f s  max %6.2f s\n", p50, p95,
         max);
  printf("  p95 vs target poll + 1 s = %.2f s:                    %.2fx  %s  (reference serverless design: up to 30 s)\n",
         target, p95 / target, p95 <= target ? "MEETS TARGET" : "MISSES TARGET");
  free(jobs);
  json_decref(state);
  for (int e = 0; e < execs; e++) json_decref(finals[e]);
  free(finals);
  free(plans);
  free(ids);
  free(total);
  free(detect);
  free(dispatch);
  be_stop(&b);
  return 0; /* figures, not a verdict: `make bench` runs every benchmark */
}
