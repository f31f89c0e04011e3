/* bench_exec_poll: DescribeJobs calls per poll with many active jobs. Five recoveries of ten independent
 * waves each keep 50 DRS jobs active at once in one account+region (long conversions hold them); over a
 * window of poll intervals the engine's poll ticks, its DescribeJobs polls and the DescribeJobs requests
 * the simulator received are counted. Target (DESIGN §10): at most one DescribeJobs per account+region
 * per poll, whatever the number of active jobs (one call per job would be 50).
 * Usage: bench_exec_poll [JOBS] [POLLS] [SPEED]. Uses bench_exec_env. */
#include "bench_exec_env.h"

#define USAGE "[JOBS 10-90 in tens, default 50] [POLLS 5-1000, default 30] [SPEED 1-600, default 60]"
#define WAVES_PER_EXEC 10
#define POLL_MS 5000

static long long sim_describe_jobs(struct orch_sim *sim) {
  json_t *calls = orch_sim_calls(sim);
  long long n = json_integer_value(json_object_get(json_object_get(json_object_get(calls, "operations"),
                                                                   "drs:DescribeJobs"), "calls"));
  json_decref(calls);
  return n;
}

/* Launch jobs not yet COMPLETED in the simulator, and launches it has accepted. */
static void sim_jobs(struct orch_sim *sim, int *active, int *launched) {
  json_t *state = orch_sim_state(sim);
  size_t i;
  json_t *j;
  *active = *launched = 0;
  json_array_foreach(json_object_get(json_array_get(json_object_get(state, "regions"), 0), "jobs"), i, j) {
    if (strcmp(json_string_value(json_object_get(j, "type")), "LAUNCH") != 0) continue;
    (*launched)++;
    if (strcmp(json_string_value(json_object_get(j, "status")), "COMPLETED") != 0) (*active)++;
  }
  json_decref(state);
}

static long long counter(json_t *stats, const char *key) { return json_integer_value(json_object_get(stats, key)); }

int main(int argc, char **argv) {
  struct bench_env b = {.name = "bench_exec_poll"};
  int njobs = (int)be_arg(&b, argc, argv, 1, 10, 90, 50, USAGE) / 10 * 10;
  int polls = (int)be_arg(&b, argc, argv, 2, 5, 1000, 30, USAGE);
  double speed = (double)be_arg(&b, argc, argv, 3, 1, 600, 60, USAGE);
  int execs = njobs / WAVES_PER_EXEC;

  /* Concurrent jobs above the default 20 (admission learns it from Service Quotas); conversions of two
   * hours keep every job active through the window. */
  be_start(&b,
           be_scenario(&b, njobs, 2,
                       "{\"job_start\":\"2s\",\"snapshot\":\"10s\",\"conversion\":\"2h\",\"launch\":\"10s\"}",
                       "{\"concurrent_jobs\":100}"),
           speed, 9);
  char plans[9][ORCH_ID_UUID_LEN + 1], ids[9][ORCH_ID_UUID_LEN + 1];
  for (int e = 0; e < execs; e++) {
    struct orch_buf lua = ORCH_BUF_INIT(0);
    int rc = orch_buf_printf(&lua, "return plan { name = \"wide-%02d\", region = \"us-east-1\", waves = {\n", e + 1);
    for (int w = 1; !rc && w <= WAVES_PER_EXEC; w++)
      rc = orch_buf_printf(&lua, "  wave \"w%02d\" { servers = tags { Group = \"g%03d\" } },\n", w,
                           e * WAVES_PER_EXEC + w);
    be_plan_text(&b, &lua, rc, plans[e]);
  }
  be_engine(&b, POLL_MS);
  for (int e = 0; e < execs; e++) be_create(&b, plans[e], ORCH_MODE_RECOVERY, ids[e]);

  /* Every job launched and active; then one more poll so the engine has adopted them all. */
  int active = 0, launched = 0;
  double t0 = be_now_s();
  for (;;) {
    sim_jobs(b.rig.sim, &active, &launched);
    if (active == njobs) break;
    if (be_now_s() - t0 > 120) {
      fprintf(stderr, "bench_exec_poll: only %d of %d jobs active after 120 s\n", active, njobs);
      return 1;
    }
    be_sleep_ms(50);
  }
  be_sleep_ms((long)(2.0 * POLL_MS / speed) + 1);

  json_t *s0 = orch_exec_engine_stats(b.rig.eng);
  long long dj0 = sim_describe_jobs(b.rig.sim);
  int64_t sim0 = orch_clock_now_ms(orch_sim_clock(b.rig.sim));
  double w0 = be_now_s();
  be_sleep_ms((long)((double)polls * POLL_MS / speed));
  json_t *s1 = orch_exec_engine_stats(b.rig.eng);
  long long dj1 = sim_describe_jobs(b.rig.sim);
  int64_t sim1 = orch_clock_now_ms(orch_sim_clock(b.rig.sim));
  double wall = be_now_s() - w0;
  int active_after = 0, launched_after = 0;
  sim_jobs(b.rig.sim, &active_after, &launched_after);

  long long ticks = counter(s1, "poll_ticks") - counter(s0, "poll_ticks");
  long long engine_polls = counter(s1, "describe_jobs_polls") - counter(s0, "describe_jobs_polls");
  long long requests = dj1 - dj0;
  printf("bench_exec_poll: %d recoveries x %d waves = %d DRS jobs active in one account+region (%d still active at "
         "the end), poll %d s, sim speed %.0fx\n",
         execs, WAVES_PER_EXEC, njobs, active_after, POLL_MS / 1000, speed);
  printf("  window: %.0f sim s (%.1f s wall), %lld poll ticks\n", (double)(sim1 - sim0) / 1000.0, wall, ticks);
  printf("  engine DescribeJobs polls           %6lld  = %.2f per poll tick\n", engine_polls,
         ticks ? (double)engine_polls / (double)ticks : 0.0);
  printf("  DescribeJobs requests at the region %6lld  = %.2f per poll tick (one call per job would be %d)\n", requests,
         ticks ? (double)requests / (double)ticks : 0.0, njobs);
  bool ok = ticks > 0 && requests <= ticks && active_after == njobs && launched_after == njobs;
  printf("  target <= 1 per account+region per poll: %s\n", ok ? "MEETS TARGET" : "MISSES TARGET");
  json_decref(s0);
  json_decref(s1);
  be_stop(&b);
  return 0; /* figures, not a verdict: `make bench` runs every benchmark */
}
