/* The engine at scale in the simulated region (DESIGN §10): 1,000 servers in 40 waves as 10 concurrent
 * recoveries (plans/scenarios/scale-1000x40.json: ten applications of 100 servers in four tiers) all
 * complete, each launching only its own servers, each server once, and DRS's quotas are never exceeded:
 * reconstructed from the simulator's job record (every job's creation and end), no moment has more
 * concurrent jobs or servers in active jobs than the quotas, and no StartRecovery was refused.
 * ORCH_SCALE_APPS=N (1-10, default 10) runs N of the ten applications. Regression tests for bugs found at
 * scale (quotas below the defaults, drill clean-up jobs, more than 200 instances; each comment describes
 * the engine as it was) are at the end. */
#include <stdlib.h>

#include "core/orch_str.h"
#include "core/orch_time.h"
#include "exec_harness.h"

#define APPS_MAX 10
#define SERVERS_PER_APP 100
#define QUOTA_CONCURRENT_JOBS 20       /* the scenario's quotas (AWS's defaults) */
#define QUOTA_SERVERS_IN_ACTIVE_JOBS 500

static struct harness h;
static void teardown(void) { h_stop(&h); }

/* One time-out for every test of the file: Criterion 2.4.1 leaks a timer (and LeakSanitizer fails the
 * suite) when tests with different time-outs run in parallel and the shorter one ends first. */
#define TIMEOUT_S 300

static int apps_to_run(void) {
  long long n = APPS_MAX;
  const char *env = getenv("ORCH_SCALE_APPS");
  if (env && *env) cr_assert_eq(orch_str_to_ll(env, 1, APPS_MAX, &n), 0, "ORCH_SCALE_APPS=%s: want 1 to %d", env, APPS_MAX);
  return (int)n;
}

/* Three independent tiers, then the application tier on top of them. */
static void plan_for_app(int app, char *out, size_t n) {
  snprintf(out, n,
           "return plan { name = \"app-%02d\", region = \"us-east-1\", waves = {\n"
           "  wave \"db\" { servers = tags { App = \"app-%02d\", Tier = \"db\" } },\n"
           "  wave \"cache\" { servers = tags { App = \"app-%02d\", Tier = \"cache\" } },\n"
           "  wave \"queue\" { servers = tags { App = \"app-%02d\", Tier = \"queue\" } },\n"
           "  wave \"app\" { depends_on = { \"db\", \"cache\", \"queue\" }, servers = tags { App = \"app-%02d\", Tier = \"app\" } },\n"
           "} }\n",
           app, app, app, app, app);
}

struct edge {
  int64_t at;
  int jobs, servers; /* +1/+n when a job is created, -1/-n when it ends */
};

static int edge_cmp(const void *a, const void *b) {
  const struct edge *x = a, *y = b;
  if (x->at != y->at) return x->at < y->at ? -1 : 1;
  return x->jobs - y->jobs; /* at the same instant an ending job is no longer active (the sim's rule) */
}

/* The most concurrent jobs and servers in active jobs at any moment, as the simulator counts them (every
 * job, launch or terminate, is active from its creation until its end). */
static void peak_usage(json_t *state, int *peak_jobs, int *peak_servers, size_t *njobs) {
  json_t *jobs = json_object_get(json_array_get(json_object_get(state, "regions"), 0), "jobs");
  size_t n = json_array_size(jobs), i;
  struct edge *edges = calloc(2 * n + 1, sizeof *edges);
  cr_assert_not_null(edges);
  json_t *j;
  json_array_foreach(jobs, i, j) {
    int64_t created = 0, ends = 0;
    int servers = (int)json_array_size(json_object_get(j, "participatingServers"));
    cr_assert_eq(orch_time_parse_iso8601(json_string_value(json_object_get(j, "created")), &created), 0);
    cr_assert_eq(orch_time_parse_iso8601(json_string_value(json_object_get(j, "ends")), &ends), 0);
    cr_assert_str_eq(json_string_value(json_object_get(j, "status")), "COMPLETED", "job %s still active",
                     json_string_value(json_object_get(j, "jobID")));
    edges[2 * i] = (struct edge){created, 1, servers};
    edges[2 * i + 1] = (struct edge){ends, -1, -servers};
  }
  qsort(edges, 2 * n, sizeof *edges, edge_cmp);
  int jobs_now = 0, servers_now = 0;
  *peak_jobs = *peak_servers = 0;
  for (size_t k = 0; k < 2 * n; k++) {
    jobs_now += edges[k].jobs;
    servers_now += edges[k].servers;
    if (jobs_now > *peak_jobs) *peak_jobs = jobs_now;
    if (servers_now > *peak_servers) *peak_servers = servers_now;
  }
  free(edges);
  *njobs = n;
}

/* The scale scenario with some of its keys replaced (`patch`: a JSON object merged over the file's). */
static void start_patched(const char *patch, double speed, uint64_t seed) {
  char path[1024];
  h_scenario_path(path, sizeof path, "scale-1000x40.json");
  json_error_t jerr;
  json_t *sc = json_load_file(path, 0, &jerr);
  cr_assert_not_null(sc, "%s: %s", path, jerr.text);
  json_t *p = json_loads(patch, 0, &jerr);
  cr_assert_not_null(p, "patch: %s", jerr.text);
  const char *key;
  json_t *v;
  json_object_foreach(p, key, v) {
    json_t *base = json_object_get(sc, key);
    if (json_is_object(base) && json_is_object(v)) cr_assert_eq(json_object_update(base, v), 0);
    else cr_assert_eq(json_object_set(sc, key, v), 0);
  }
  json_decref(p);
  h_start_sim(&h, NULL, sc, speed, seed);
  json_decref(sc);
}

/* Every StartRecovery that reached DRS was accepted (none refused for quota or conflict); returns how many. */
static size_t assert_no_refusal(void) {
  json_t *calls = orch_sim_calls(h.sim);
  size_t i, n = json_array_size(json_object_get(calls, "startRecovery"));
  json_t *rec;
  char first[512] = "";
  size_t refused = 0;
  json_array_foreach(json_object_get(calls, "startRecovery"), i, rec) {
    const char *error = json_string_value(json_object_get(rec, "error"));
    if (error && !refused++)
      snprintf(first, sizeof first, "%s (%s)", error,
               json_string_value(json_object_get(json_object_get(rec, "tags"), "drsorch:launch")));
  }
  json_decref(calls);
  cr_assert_eq(refused, 0, "%zu of %zu StartRecovery refused by DRS, the first: %s", refused, n, first);
  return n;
}

/* Peak usage from the simulator's job record against the quotas; returns the peak servers in active jobs. */
static int assert_within_quotas(int jobs_quota, int servers_quota) {
  json_t *state = orch_sim_state(h.sim);
  int peak_jobs = 0, peak_servers = 0;
  size_t njobs = 0;
  peak_usage(state, &peak_jobs, &peak_servers, &njobs);
  json_decref(state);
  cr_log_info("%zu DRS jobs; peak %d concurrent jobs (quota %d), %d servers in active jobs (quota %d)", njobs,
              peak_jobs, jobs_quota, peak_servers, servers_quota);
  cr_assert_leq(peak_jobs, jobs_quota, "%d concurrent jobs at one moment; the quota is %d", peak_jobs, jobs_quota);
  cr_assert_leq(peak_servers, servers_quota, "%d servers in active jobs at one moment; the quota is %d", peak_servers,
                servers_quota);
  return peak_servers;
}

/* Final status of an execution (copied, so a failed assertion leaks nothing). */
static void final_status(const char *id, char *status, size_t n, char *reason, size_t rn) {
  json_t *final = NULL;
  struct orch_error err = {0};
  cr_assert_eq(orch_exec_engine_wait(h.eng, id, 120000, &final, &err), 0, "%s", err.message);
  snprintf(status, n, "%s", json_string_value(json_object_get(final, "status")));
  const char *r = json_string_value(json_object_get(final, "reason")), *why = NULL, *wname = "";
  size_t w;
  json_t *wave;
  json_array_foreach(json_object_get(final, "waves"), w, wave) {
    if (!why && strcmp(json_string_value(json_object_get(wave, "status")), "FAILED") == 0) {
      why = json_string_value(json_object_get(wave, "reason"));
      wname = json_string_value(json_object_get(wave, "name"));
    }
  }
  snprintf(reason, rn, "%s%s%s%s%s", r ? r : "", why ? "; wave " : "", why ? wname : "", why ? ": " : "", why ? why : "");
  json_decref(final);
}

Test(exec_scale, ten_recoveries_of_1000_servers_in_40_waves_keep_within_drs_quotas, .fini = teardown, .timeout = TIMEOUT_S) {
  int apps = apps_to_run();
  h_start_sim(&h, "scale-1000x40.json", NULL, 200, 41);
  char plan_ids[APPS_MAX][ORCH_ID_UUID_LEN + 1];
  for (int a = 0; a < apps; a++) {
    char lua[1024];
    plan_for_app(a + 1, lua, sizeof lua);
    h_plan(&h, lua);
    memcpy(plan_ids[a], h.plan_id, sizeof plan_ids[a]);
  }
  h_engine(&h, true, 5000);
  char ids[APPS_MAX][ORCH_ID_UUID_LEN + 1];
  struct orch_error err = {0};
  for (int a = 0; a < apps; a++)
    cr_assert_eq(orch_exec_engine_create(h.eng, plan_ids[a], 0, ORCH_MODE_RECOVERY, "tester", ids[a], &err), 0, "%s",
                 err.message);

  /* Every execution completes, with its own 100 servers launched; no server belongs to two of them. */
  json_t *owner = json_object(); /* source server id -> execution id */
  for (int a = 0; a < apps; a++) {
    json_t *final = NULL;
    cr_assert_eq(orch_exec_engine_wait(h.eng, ids[a], 240000, &final, &err), 0, "app-%02d: %s", a + 1, err.message);
    cr_assert_str_eq(json_string_value(json_object_get(final, "status")), "COMPLETED", "app-%02d: %s", a + 1,
                     json_string_value(json_object_get(final, "reason")));
    size_t w, s, nservers = 0;
    json_t *wave, *sv;
    cr_assert_eq(json_array_size(json_object_get(final, "waves")), 4);
    json_array_foreach(json_object_get(final, "waves"), w, wave) {
      cr_assert_str_eq(json_string_value(json_object_get(wave, "status")), "COMPLETED", "app-%02d wave %s", a + 1,
                       json_string_value(json_object_get(wave, "name")));
      json_array_foreach(json_object_get(wave, "servers"), s, sv) {
        const char *id = json_string_value(json_object_get(sv, "id"));
        cr_assert_str_eq(json_string_value(json_object_get(sv, "launch_status")), "LAUNCHED", "%s", id);
        cr_assert_null(json_object_get(owner, id), "server %s is in two executions", id);
        json_object_set_new(owner, id, json_string(ids[a]));
        nservers++;
      }
    }
    cr_assert_eq(nservers, SERVERS_PER_APP, "app-%02d resolved %zu servers", a + 1, nservers);
    json_decref(final);
  }
  cr_assert_eq(json_object_size(owner), (size_t)apps * SERVERS_PER_APP);
  json_t *stats = orch_exec_engine_stats(h.eng);
  json_int_t polls = json_integer_value(json_object_get(stats, "describe_jobs_polls"));
  json_int_t ticks = json_integer_value(json_object_get(stats, "poll_ticks"));
  cr_assert_gt(polls, 0);
  cr_assert_leq(polls, ticks, "%lld DescribeJobs polls in %lld poll ticks: more than one per account+region",
                (long long)polls, (long long)ticks);
  json_decref(stats);
  h_stop_engine(&h);

  /* DRS saw each server launched once, by the execution that owns it, and refused nothing. */
  cr_assert_geq(assert_no_refusal(), (size_t)apps * 4, "at least one job per wave");
  json_t *calls = orch_sim_calls(h.sim);
  json_t *launched = json_object();
  size_t i, k;
  json_t *rec, *sid;
  json_array_foreach(json_object_get(calls, "startRecovery"), i, rec) {
    const char *exec = json_string_value(json_object_get(json_object_get(rec, "tags"), "drsorch:execution"));
    cr_assert_not_null(exec);
    json_array_foreach(json_object_get(rec, "sourceServerIDs"), k, sid) {
      const char *id = json_string_value(sid);
      cr_assert_null(json_object_get(launched, id), "server %s launched twice", id);
      cr_assert_str_eq(json_string_value(json_object_get(owner, id)), exec, "server %s launched by another execution", id);
      json_object_set_new(launched, id, json_true());
    }
  }
  cr_assert_eq(json_object_size(launched), (size_t)apps * SERVERS_PER_APP);
  json_decref(launched);
  json_decref(calls);
  json_decref(owner);

  /* At no moment more jobs or servers in active jobs than the quotas; with all ten applications (900
   * servers in their first tiers) the launches contend for them, so admission had work to do. */
  int peak = assert_within_quotas(QUOTA_CONCURRENT_JOBS, QUOTA_SERVERS_IN_ACTIVE_JOBS);
  if (apps == APPS_MAX)
    cr_assert_geq(peak, QUOTA_SERVERS_IN_ACTIVE_JOBS * 4 / 5, "peak %d servers in active jobs: the quota never bound",
                  peak);
}

/* Regressions in quota admission at scale. */

/* Regression (engine/exec/orch_exec_poll.c): admission uses the defaults (100 per job, 20 jobs, 500 servers)
 * until Service Quotas has answered, and ask_quotas is only called from exec_poll for an account+region
 * that already has an active job, so the first launches of a region are admitted against the defaults;
 * and quotas_update matches "all jobs" / "active jobs" case-sensitively, so DRS's "Max number of source
 * servers in all Jobs" is never recognised and servers_in_active_jobs stays 500 whatever the account's
 * quota. Here the region's quotas are below the defaults: three recoveries of 100 servers launch at
 * once, and DRS refuses what exceeds them. */
Test(exec_scale, quotas_below_the_defaults_are_respected, .fini = teardown, .timeout = TIMEOUT_S) {
  start_patched("{\"quotas\": {\"servers_per_job\": 30, \"concurrent_jobs\": 4, \"servers_in_active_jobs\": 90}}", 200, 42);
  char plan_ids[3][ORCH_ID_UUID_LEN + 1], ids[3][ORCH_ID_UUID_LEN + 1];
  for (int a = 0; a < 3; a++) {
    char lua[1024];
    plan_for_app(a + 1, lua, sizeof lua);
    h_plan(&h, lua);
    memcpy(plan_ids[a], h.plan_id, sizeof plan_ids[a]);
  }
  h_engine(&h, true, 5000);
  struct orch_error err = {0};
  for (int a = 0; a < 3; a++)
    cr_assert_eq(orch_exec_engine_create(h.eng, plan_ids[a], 0, ORCH_MODE_RECOVERY, "tester", ids[a], &err), 0, "%s",
                 err.message);
  for (int a = 0; a < 3; a++) {
    char status[32], reason[300];
    final_status(ids[a], status, sizeof status, reason, sizeof reason);
    cr_assert_str_eq(status, "COMPLETED", "app-%02d: %s: %s", a + 1, status, reason);
  }
  h_stop_engine(&h);
  assert_no_refusal();
  assert_within_quotas(4, 90);
}

/* Regression (engine/exec/orch_exec_step.c step_cleanup, orch_exec_admission): a drill's clean-up runs a DRS
 * TERMINATE job (TerminateRecoveryInstances) that admission never counts, while DRS (the simulator)
 * counts it against the concurrent-jobs and servers-in-active-jobs quotas until it ends. Launches
 * admitted during another drill's clean-up can then exceed the quotas. Here drill A recovers two
 * applications (200 servers) and cleans up (a 30-minute termination); four recoveries of 100 servers
 * each then launch: 200 instances terminating plus 400 launching is over the 500 servers DRS allows. */
Test(exec_scale, drill_cleanup_counts_against_the_quotas, .fini = teardown, .timeout = TIMEOUT_S) {
  start_patched("{\"timing\": {\"terminate\": \"30m\"}}", 200, 43);
  h_plan(&h, "return plan { name = \"two-apps\", region = \"us-east-1\", waves = {\n"
             "  wave \"app-01\" { servers = tags { App = \"app-01\" } },\n"
             "  wave \"app-02\" { servers = tags { App = \"app-02\" } },\n"
             "} }\n");
  char drill_plan[ORCH_ID_UUID_LEN + 1], plans[4][ORCH_ID_UUID_LEN + 1];
  memcpy(drill_plan, h.plan_id, sizeof drill_plan);
  for (int k = 0; k < 4; k++) {
    char lua[512];
    snprintf(lua, sizeof lua,
             "return plan { name = \"app-%02d\", region = \"us-east-1\", waves = {\n"
             "  wave \"all\" { servers = tags { App = \"app-%02d\" } },\n"
             "} }\n",
             k + 3, k + 3);
    h_plan(&h, lua);
    memcpy(plans[k], h.plan_id, sizeof plans[k]);
  }
  h_engine(&h, true, 5000);
  char a[ORCH_ID_UUID_LEN + 1], b[4][ORCH_ID_UUID_LEN + 1];
  struct orch_error err = {0};
  cr_assert_eq(orch_exec_engine_create(h.eng, drill_plan, 0, ORCH_MODE_DRILL, "tester", a, &err), 0, "%s", err.message);
  for (int i = 0; i < 3000 && h_calls(&h, "drs", "TerminateRecoveryInstances") < 1; i++) usleep(20000);
  cr_assert_geq(h_calls(&h, "drs", "TerminateRecoveryInstances"), 1, "drill A never cleaned up");
  for (int k = 0; k < 4; k++)
    cr_assert_eq(orch_exec_engine_create(h.eng, plans[k], 0, ORCH_MODE_RECOVERY, "tester", b[k], &err), 0, "%s",
                 err.message);
  char status[32], reason[400];
  for (int k = 0; k < 4; k++) {
    final_status(b[k], status, sizeof status, reason, sizeof reason);
    cr_assert_str_eq(status, "COMPLETED", "recovery of app-%02d: %s", k + 3, reason);
  }
  final_status(a, status, sizeof status, reason, sizeof reason);
  cr_assert_str_eq(status, "CLEANED", "drill A: %s", reason);
  h_stop_engine(&h);
  assert_no_refusal();
  assert_within_quotas(QUOTA_CONCURRENT_JOBS, QUOTA_SERVERS_IN_ACTIVE_JOBS);
}

/* Regression (engine/exec/orch_exec_poll.c ask_instances; engine/exec/orch_exec_step.c step_cleanup): both put
 * every id in one request, but DRS takes at most 200 recoveryInstanceIDs in DescribeRecoveryInstances'
 * filter and in TerminateRecoveryInstances (the service model's max; the client refuses the request with
 * a ValidationError before sending). With more than 200 servers launched and not yet addressed, the
 * look-up fails on every poll forever ("will retry on the next poll") and the wave never completes; a
 * drill with more than 200 recovery instances could not clean up either. Here one drill wave launches
 * the 400 database servers (four jobs of 100). */
Test(exec_scale, wave_of_more_than_200_servers_completes_and_cleans_up, .fini = teardown, .timeout = TIMEOUT_S) {
  h_start_sim(&h, "scale-1000x40.json", NULL, 200, 44);
  h_plan(&h, "return plan { name = \"all-db\", region = \"us-east-1\", waves = {\n"
             "  wave \"db\" { servers = tags { Tier = \"db\" } },\n"
             "} }\n");
  h_engine(&h, true, 5000);
  char id[ORCH_ID_UUID_LEN + 1];
  struct orch_error err = {0};
  cr_assert_eq(orch_exec_engine_create(h.eng, h.plan_id, 0, ORCH_MODE_DRILL, "tester", id, &err), 0, "%s", err.message);
  json_t *final = NULL;
  int rc = orch_exec_engine_wait(h.eng, id, 60000, &final, &err); /* about 10 s of work at this speed */
  char status[32];
  snprintf(status, sizeof status, "%s", final ? json_string_value(json_object_get(final, "status")) : "");
  json_decref(final);
  cr_assert_eq(rc, 0, "%s", err.message);
  cr_assert_str_eq(status, "CLEANED");
  cr_assert_eq(h_calls(&h, "drs", "StartRecovery"), 4);
}
