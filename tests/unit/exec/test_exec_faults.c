/* The engine against an unreliable region: with throttling, internal errors and latency injected on every
 * operation (orch_sim_set_faults, the form of PUT /_sim/faults), a three-tier drill with an SSM health
 * hook still completes and cleans up, retries stay within the standard mode's 3 attempts per call, every
 * wave attempt is launched exactly once, and DRS never refuses a launch for quota or conflict; an
 * operation that never gets through is given up after a bounded number of sends. */
#include "exec_harness.h"

static struct harness h;
static void teardown(void) { h_stop(&h); }

/* One time-out for every test of the file: Criterion 2.4.1 leaks a timer (and LeakSanitizer fails the
 * suite) when tests with different time-outs run in parallel and the shorter one ends first. */
#define TIMEOUT_S 120

/* Three tiers with short fixed timings, so that real-time retry backoff (up to 3 s a call) stays small
 * against the hooks' sim-time deadlines at the test's sim speed. */
static json_t *scenario(void) {
  json_error_t jerr;
  json_t *j = json_loads(
      "{\"name\":\"faults\",\"regions\":[{\"region\":\"us-east-1\",\"server_groups\":["
      "{\"count\":2,\"hostname\":\"db-{n}\",\"tags\":{\"App\":\"shop\",\"Tier\":\"db\"}},"
      "{\"count\":3,\"hostname\":\"app-{n}\",\"tags\":{\"App\":\"shop\",\"Tier\":\"app\"}},"
      "{\"count\":4,\"hostname\":\"web-{n}\",\"tags\":{\"App\":\"shop\",\"Tier\":\"web\"}}]}],"
      "\"timing\":{\"job_start\":\"2s\",\"snapshot\":\"10s\",\"conversion\":\"20s\",\"launch\":\"10s\","
      "\"boot\":\"10s\",\"ssm_ready\":\"10s\",\"terminate\":\"10s\",\"command_start\":\"1s\",\"command_run\":\"3s\"},"
      "\"failures\":{\"ssm\":[{\"document\":\"AWS-RunShellScript\",\"status\":\"Success\",\"output\":\"ok\\n\"}]}}",
      0, &jerr);
  cr_assert_not_null(j, "test scenario: %s", jerr.text);
  return j;
}

#define THREE_TIER(health_ok)                                                                             \
    "return plan {\n"                                                                                     \
    "  name = \"shop\", region = \"us-east-1\",\n"                                                        \
    "  waves = {\n"                                                                                       \
    "    wave \"db\" { servers = tags { App = \"shop\", Tier = \"db\" } },\n"                             \
    "    wave \"app\" { depends_on = { \"db\" }, servers = tags { App = \"shop\", Tier = \"app\" } },\n"  \
    "    wave \"web\" {\n"                                                                                \
    "      depends_on = { \"app\" },\n"                                                                   \
    "      servers = tags { App = \"shop\", Tier = \"web\" },\n"                                          \
    "      after = function(w)\n"                                                                         \
    "        local r, msg = w:ssm_run { commands = { \"curl -sf http://localhost/health\" } }\n"          \
    "        w:log(\"health check: %s\", r and r.status or msg)\n"                                        \
    "        w:expect(" health_ok ", \"health check passed\")\n"                                          \
    "      end,\n"                                                                                        \
    "    },\n"                                                                                            \
    "  },\n"                                                                                              \
    "}\n"

/* The drill under random faults only asks that the command ran: whether its result survives the faults
 * is the subject of health_check_survives_a_throttled_poll below. */
static const char *three_tier = THREE_TIER("r ~= nil");

static void set_faults(const char *text) {
  json_error_t jerr;
  json_t *f = json_loads(text, 0, &jerr);
  cr_assert_not_null(f, "faults: %s", jerr.text);
  struct orch_error err = {0};
  cr_assert_eq(orch_sim_set_faults(h.sim, f, &err), 0, "%s: %s", err.context, err.message);
  json_decref(f);
}

static json_t *run_drill(int64_t timeout_ms, char id[ORCH_ID_UUID_LEN + 1]) {
  struct orch_error err = {0};
  cr_assert_eq(orch_exec_engine_create(h.eng, h.plan_id, 0, ORCH_MODE_DRILL, "tester", id, &err), 0, "%s", err.message);
  json_t *final = NULL;
  cr_assert_eq(orch_exec_engine_wait(h.eng, id, timeout_ms, &final, &err), 0, "%s", err.message);
  return final;
}

/* Sum of one counter over every account+region of orch_exec_aws_stats, for operation `op` ("" = all). */
static long long aws_stat(json_t *stats, const char *op, const char *counter) {
  long long n = 0;
  const char *scope, *key;
  json_t *ops, *s;
  json_object_foreach(stats, scope, ops) {
    json_object_foreach(ops, key, s) {
      const char *dot = strchr(key, '.');
      if (*op && (!dot || strcmp(dot + 1, op) != 0)) continue;
      n += json_integer_value(json_object_get(s, counter));
    }
  }
  return n;
}

/* Requests of operation `op` the simulator received (faulted ones included), whatever the service. */
static long long sim_requests(json_t *calls, const char *op) {
  long long n = 0;
  const char *key;
  json_t *c;
  json_object_foreach(json_object_get(calls, "operations"), key, c) {
    const char *colon = strchr(key, ':');
    if (colon && strcmp(colon + 1, op) == 0) n += json_integer_value(json_object_get(c, "calls"));
  }
  return n;
}

Test(exec_faults, drill_completes_through_throttling_errors_and_latency, .fini = teardown, .timeout = TIMEOUT_S) {
  json_t *sc = scenario();
  h_start_sim(&h, NULL, sc, 60, 21);
  json_decref(sc);
  set_faults("{\"throttling\":{\"*\":0.2},\"errors\":{\"*\":0.05},\"latency\":{\"*\":\"10ms\"}}");
  h_plan(&h, three_tier);
  h_engine(&h, true, 5000);
  char id[ORCH_ID_UUID_LEN + 1];
  json_t *final = run_drill(100000, id);
  h_stop_engine(&h); /* every I/O thread joined: the counters below are final */

  /* The drill completed and cleaned up. */
  char *txt = json_dumps(final, JSON_COMPACT);
  cr_assert_str_eq(json_string_value(json_object_get(final, "status")), "CLEANED", "%s", txt);
  size_t i;
  json_t *w;
  json_array_foreach(json_object_get(final, "waves"), i, w)
    cr_assert_str_eq(json_string_value(json_object_get(w, "status")), "COMPLETED", "wave %zu: %s", i, txt);
  cr_assert_eq(json_array_size(json_object_get(final, "waves")), 3);
  free(txt);
  json_decref(final);

  /* The faults did bite: the simulator throttled and failed calls, and the engine retried. */
  json_t *calls = orch_sim_calls(h.sim);
  long long throttled = 0, errors = 0;
  const char *key;
  json_t *c;
  json_object_foreach(json_object_get(calls, "operations"), key, c) {
    throttled += json_integer_value(json_object_get(c, "throttled"));
    errors += json_integer_value(json_object_get(c, "errors"));
  }
  cr_assert_gt(throttled, 0, "no call was throttled: the faults were not applied");
  cr_assert_gt(errors, 0, "no call failed: the faults were not applied");

  /* Retries bounded: per operation, every call made between 1 and 3 attempts, retries are the extra
   * attempts, and every attempt the engine counted reached the simulator (and no other did). */
  json_t *stats = orch_exec_aws_stats(h.aws);
  cr_assert_not_null(stats);
  cr_assert_gt(aws_stat(stats, "", "retries"), 0, "faults on every operation, yet no retry");

  const char *scope;
  json_t *ops, *s;
  json_object_foreach(stats, scope, ops) {
    json_object_foreach(ops, key, s) {
      long long n = json_integer_value(json_object_get(s, "calls"));
      long long a = json_integer_value(json_object_get(s, "attempts"));
      long long r = json_integer_value(json_object_get(s, "retries"));
      cr_assert_gt(n, 0, "%s %s", scope, key);
      cr_assert_geq(a, n, "%s %s: %lld attempts for %lld calls", scope, key, a, n);
      cr_assert_leq(a, 3 * n, "%s %s: %lld attempts for %lld calls exceeds the standard mode's 3", scope, key, a, n);
      cr_assert_eq(r, a - n, "%s %s: %lld retries, %lld attempts, %lld calls", scope, key, r, a, n);
      const char *op = strchr(key, '.') + 1;
      cr_assert_eq(sim_requests(calls, op), aws_stat(stats, op, "attempts"), "%s: the simulator saw %lld requests",
                   key, sim_requests(calls, op));
    }
  }
  json_decref(stats);

  /* Exactly one StartRecovery per wave attempt reached DRS; none refused for quota or conflict. */
  struct orch_store_event_list ev = {0};
  struct orch_error err = {0};
  cr_assert_eq(orch_store_event_read(h.store, id, 1, 0, &ev, &err), 0, "%s", err.message);
  json_t *requested = json_object();
  for (size_t k = 0; k < ev.count; k++)
    if (strcmp(ev.items[k].type, "JobRequested") == 0)
      json_object_set_new(requested, json_string_value(json_object_get(ev.items[k].data, "tag")), json_false());
  orch_store_event_list_release(&ev);
  cr_assert_eq(json_object_size(requested), 3, "one job per wave: the waves fit in one job each");
  json_t *rec;
  json_array_foreach(json_object_get(calls, "startRecovery"), i, rec) {
    const char *tag = json_string_value(json_object_get(json_object_get(rec, "tags"), "drsorch:launch"));
    const char *error = json_string_value(json_object_get(rec, "error"));
    cr_assert_null(error, "StartRecovery %s refused: %s", tag ? tag : "?", error);
    cr_assert_not_null(tag);
    json_t *seen = json_object_get(requested, tag);
    cr_assert_not_null(seen, "StartRecovery with tag %s was never journaled", tag);
    cr_assert(json_is_false(seen), "launch tag %s reached DRS twice", tag);
    json_object_set_new(requested, tag, json_true());
  }
  const char *tag;
  json_t *seen;
  json_object_foreach(requested, tag, seen) cr_assert(json_is_true(seen), "job %s was never launched", tag);
  json_decref(requested);

  /* The health hook's command reached the web tier and succeeded there. */
  json_t *state = orch_sim_state(h.sim);
  long long succeeded = 0;
  json_array_foreach(json_object_get(json_array_get(json_object_get(state, "regions"), 0), "commands"), i, rec) {
    size_t k;
    json_t *inv;
    json_array_foreach(json_object_get(rec, "invocations"), k, inv)
      succeeded += strcmp(json_string_value(json_object_get(inv, "status")), "Success") == 0;
  }
  cr_assert_eq(succeeded, 4, "the health check ran on the 4 web servers");
  json_decref(state);
  json_decref(calls);
}

/* Regressions found by the drill above (they made it fail for some seeds and interleavings). */

/* Wait (real time) until the simulator has received `n` requests of service:op. */
static void wait_sim_requests(const char *service, const char *op, long n, int seconds) {
  for (int i = 0; i < seconds * 50 && h_calls(&h, service, op) < n; i++) usleep(20000);
  cr_assert_geq(h_calls(&h, service, op), n, "%s:%s was not called %ld times within %d s", service, op, n, seconds);
}

/* Regression (engine/exec/orch_exec_hooks.c, ssm_answer, "poll" stage): a GetCommandInvocation that failed after
 * the client's 3 attempts (throttled, or a 5xx) is recorded as the invocation's final status "Failed",
 * so w:ssm_run reports a command that succeeded on every instance as failed and the wave fails. A read
 * that did not get through says nothing about the command: it should be polled again until the call's
 * deadline. Here every GetCommandInvocation is throttled until each instance has been polled once
 * (3 attempts each), then the throttling stops; the command succeeded on all four instances. */
Test(exec_faults, health_check_survives_a_throttled_poll, .fini = teardown, .timeout = TIMEOUT_S) {
  json_t *sc = scenario();
  h_start_sim(&h, NULL, sc, 60, 23);
  json_decref(sc);
  set_faults("{\"throttling\":{\"ssm:GetCommandInvocation\":1}}");
  h_plan(&h, THREE_TIER("r and r.ok"));
  h_engine(&h, true, 5000);
  char id[ORCH_ID_UUID_LEN + 1];
  struct orch_error err = {0};
  cr_assert_eq(orch_exec_engine_create(h.eng, h.plan_id, 0, ORCH_MODE_DRILL, "tester", id, &err), 0, "%s", err.message);
  wait_sim_requests("ssm", "GetCommandInvocation", 4 * 3, 60);
  set_faults("{\"throttling\":{}}");
  json_t *final = NULL;
  cr_assert_eq(orch_exec_engine_wait(h.eng, id, 60000, &final, &err), 0, "%s", err.message);
  json_t *web = json_array_get(json_object_get(final, "waves"), 2);
  char web_status[32], web_reason[300], status[32];
  snprintf(web_status, sizeof web_status, "%s", json_string_value(json_object_get(web, "status")));
  snprintf(web_reason, sizeof web_reason, "%s", json_string_value(json_object_get(web, "reason")));
  snprintf(status, sizeof status, "%s", json_string_value(json_object_get(final, "status")));
  json_decref(final);
  cr_assert_str_eq(web_status, "COMPLETED", "web: %s", web_reason);
  cr_assert_str_eq(status, "CLEANED");
}

/* Regression (engine/exec/orch_exec_preflight.c, fleet / check_servers / check_active_jobs): a read that failed
 * after the client's 3 attempts (DescribeSourceServers, GetLaunchConfiguration, DescribeJobs throttled or
 * 5xx) becomes a failed check, and the execution ends FAILED "preflight failed" before launching
 * anything. The preflight only reads, so a retryable error should be retried (with backoff, within a
 * bound) rather than judged. Here DescribeSourceServers is throttled for its first 3 attempts only. */
Test(exec_faults, preflight_survives_a_throttled_read, .fini = teardown, .timeout = TIMEOUT_S) {
  json_t *sc = scenario();
  h_start_sim(&h, NULL, sc, 60, 24);
  json_decref(sc);
  set_faults("{\"throttling\":{\"drs:DescribeSourceServers\":1}}");
  h_plan(&h, three_tier);
  h_engine(&h, true, 5000);
  char id[ORCH_ID_UUID_LEN + 1];
  struct orch_error err = {0};
  cr_assert_eq(orch_exec_engine_create(h.eng, h.plan_id, 0, ORCH_MODE_DRILL, "tester", id, &err), 0, "%s", err.message);
  wait_sim_requests("drs", "DescribeSourceServers", 3, 30);
  set_faults("{\"throttling\":{}}");
  json_t *final = NULL;
  cr_assert_eq(orch_exec_engine_wait(h.eng, id, 60000, &final, &err), 0, "%s", err.message);
  char reason[300], status[32];
  snprintf(reason, sizeof reason, "%s", json_string_value(json_object_get(final, "reason")));
  snprintf(status, sizeof status, "%s", json_string_value(json_object_get(final, "status")));
  json_decref(final);
  cr_assert_str_eq(reason, "all waves completed");
  cr_assert_str_eq(status, "CLEANED");
}

Test(exec_faults, launch_that_never_gets_through_is_given_up_after_bounded_sends, .fini = teardown, .timeout = TIMEOUT_S) {
  json_t *sc = scenario();
  h_start_sim(&h, NULL, sc, 60, 22);
  json_decref(sc);
  set_faults("{\"throttling\":{\"drs:StartRecovery\":1}}");
  h_plan(&h, three_tier);
  h_engine(&h, true, 5000);
  char id[ORCH_ID_UUID_LEN + 1];
  json_t *final = run_drill(80000, id);
  h_stop_engine(&h);
  json_t *db = json_array_get(json_object_get(final, "waves"), 0);
  const char *reason = json_string_value(json_object_get(db, "reason"));
  cr_assert_str_eq(json_string_value(json_object_get(db, "status")), "FAILED");
  cr_assert(reason && strstr(reason, "StartRecovery did not succeed after 3 attempts"), "reason: %s", reason);
  cr_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(final, "waves"), 1), "status")),
                   "CANCELLED");
  cr_assert_str_eq(json_string_value(json_object_get(final, "status")), "CLEANED", "the drill still ends cleaned up");
  json_decref(final);
  /* 3 sends of 3 attempts each, each send followed by a look-up by tag that finds nothing. */
  json_t *stats = orch_exec_aws_stats(h.aws);
  cr_assert_eq(aws_stat(stats, "StartRecovery", "calls"), 3);
  cr_assert_eq(aws_stat(stats, "StartRecovery", "attempts"), 9);
  cr_assert_eq(aws_stat(stats, "StartRecovery", "throttles"), 9);
  json_decref(stats);
  cr_assert_eq(h_calls(&h, "drs", "StartRecovery"), 9);
  json_t *calls = orch_sim_calls(h.sim);
  cr_assert_eq(json_array_size(json_object_get(calls, "startRecovery")), 0, "nothing reached DRS, nothing launched");
  json_decref(calls);
}
