/* The engine under operator control and under failure, against the simulated region: approval gates
 * opened by a command, pause and resume, a cancelled drill that still cleans up, failure policies
 * (retry relaunches only the failed servers, continue ends PARTIAL, fail stops), and commands that do
 * not fit the state refused with a reason. Scenarios are written here so outcomes are certain. */
#include <time.h>

#include "exec_harness.h"

static struct harness h;
static void teardown(void) { h_stop(&h); }

/* Two tiers of fixed servers; `fail_rule` (JSON, may be "") adds launch failure rules. */
static json_t *scenario(const char *fail_rule) {
  char text[4096];
  snprintf(text, sizeof text,
           "{\"name\":\"control\",\"regions\":[{\"region\":\"us-east-1\",\"servers\":["
           "{\"id\":\"s-000000000000000a1\",\"hostname\":\"db-1\",\"tags\":{\"Tier\":\"db\"}},"
           "{\"id\":\"s-000000000000000a2\",\"hostname\":\"db-2\",\"tags\":{\"Tier\":\"db\"}},"
           "{\"id\":\"s-000000000000000b1\",\"hostname\":\"app-1\",\"tags\":{\"Tier\":\"app\"}},"
           "{\"id\":\"s-000000000000000b2\",\"hostname\":\"app-2\",\"tags\":{\"Tier\":\"app\"}},"
           "{\"id\":\"s-000000000000000b3\",\"hostname\":\"app-3\",\"tags\":{\"Tier\":\"app\"}}]}],"
           "\"timing\":{\"job_start\":\"5s\",\"snapshot\":\"30s\",\"conversion\":\"1m\",\"launch\":\"30s\",\"boot\":\"30s\",\"ssm_ready\":\"30s\"}"
           "%s%s%s}",
           *fail_rule ? ",\"failures\":{\"launch\":[" : "", fail_rule, *fail_rule ? "]}" : "");
  json_error_t jerr;
  json_t *j = json_loads(text, 0, &jerr);
  cr_assert_not_null(j, "test scenario: %s", jerr.text);
  return j;
}

static void start(const char *fail_rule, const char *plan, bool approve_all) {
  json_t *sc = scenario(fail_rule);
  h_start_sim(&h, NULL, sc, 600, 11);
  json_decref(sc);
  h_plan(&h, plan);
  h_engine(&h, approve_all, 5000);
}

static json_t *wait_status(const char *id, const char *wave, const char *status, int seconds) {
  for (int i = 0; i < seconds * 20; i++) {
    json_t *s = orch_exec_engine_snapshot(h.eng, id);
    if (s) {
      const char *got = NULL;
      if (!wave) got = json_string_value(json_object_get(s, "status"));
      size_t k;
      json_t *w;
      json_array_foreach(json_object_get(s, "waves"), k, w) if (wave && strcmp(json_string_value(json_object_get(w, "name")), wave) == 0)
          got = json_string_value(json_object_get(w, "status"));
      if (got && strcmp(got, status) == 0) return s;
      json_decref(s);
    }
    struct timespec ts = {0, 50 * 1000000};
    nanosleep(&ts, NULL);
  }
  cr_assert_fail("%s never reached %s", wave ? wave : "the execution", status);
  return NULL;
}

static json_t *finish(const char *id) {
  json_t *final = NULL;
  struct orch_error err = {0};
  cr_assert_eq(orch_exec_engine_wait(h.eng, id, 60000, &final, &err), 0, "%s", err.message);
  return final;
}

/* Start the simulator with `fail_rule`, store `plan`, run it in `mode` to its end; the final state. */
static json_t *run_plan(const char *fail_rule, const char *plan, bool approve_all, enum orch_exec_mode mode) {
  start(fail_rule, plan, approve_all);
  char id[ORCH_ID_UUID_LEN + 1];
  struct orch_error err = {0};
  cr_assert_eq(orch_exec_engine_create(h.eng, h.plan_id, 0, mode, "tester", id, &err), 0, "%s", err.message);
  return finish(id);
}

static const char *wave_status(const json_t *st, size_t i) {
  return json_string_value(json_object_get(json_array_get(json_object_get(st, "waves"), i), "status"));
}

static const char *gated =
    "return plan { name = \"gated\", region = \"us-east-1\", waves = {\n"
    "  wave \"db\" { servers = tags { Tier = \"db\" } },\n"
    "  wave \"app\" { depends_on = { \"db\" }, servers = tags { Tier = \"app\" }, approval = \"Is the database consistent?\" },\n"
    "} }\n";

Test(exec_control, approval_gate_waits_for_an_operator, .fini = teardown, .timeout = 120) {
  start("", gated, false);
  char id[ORCH_ID_UUID_LEN + 1];
  struct orch_error err = {0};
  cr_assert_eq(orch_exec_engine_create(h.eng, h.plan_id, 0, ORCH_MODE_RECOVERY, "tester", id, &err), 0);
  json_decref(wait_status(id, "app", "AWAITING_APPROVAL", 30));
  cr_assert_eq(h_calls(&h, "drs", "StartRecovery"), 1, "the gated wave must not launch");
  /* Commands that do not fit are refused with a reason. */
  cr_assert_eq(orch_exec_engine_command(h.eng, id, ORCH_CMD_APPROVE, "db", "alice", &err), ORCH_ESTATE);
  cr_assert_str_eq(err.message, "wave db is not waiting for approval (it is COMPLETED)");
  cr_assert_eq(orch_exec_engine_command(h.eng, id, ORCH_CMD_APPROVE, "nope", "alice", &err), ORCH_ENOTFOUND);
  cr_assert_eq(orch_exec_engine_command(h.eng, id, ORCH_CMD_RESUME, NULL, "alice", &err), ORCH_ESTATE);
  cr_assert_eq(orch_exec_engine_command(h.eng, "00000000-0000-7000-8000-000000000000", ORCH_CMD_PAUSE, NULL, "a", &err),
               ORCH_ENOTFOUND);
  cr_assert_eq(orch_exec_engine_command(h.eng, id, ORCH_CMD_APPROVE, "app", "alice", &err), 0, "%s", err.message);
  json_t *final = finish(id);
  cr_assert_str_eq(json_string_value(json_object_get(final, "status")), "COMPLETED", "a recovery ends COMPLETED, not CLEANED");
  cr_assert_eq(h_calls(&h, "drs", "StartRecovery"), 2);
  cr_assert_eq(h_calls(&h, "drs", "TerminateRecoveryInstances"), 0, "a recovery never terminates anything");
  json_decref(final);
}

Test(exec_control, pause_holds_new_launches_and_resume_continues, .fini = teardown, .timeout = 120) {
  start("", gated, false);
  char id[ORCH_ID_UUID_LEN + 1];
  struct orch_error err = {0};
  cr_assert_eq(orch_exec_engine_create(h.eng, h.plan_id, 0, ORCH_MODE_DRILL, "tester", id, &err), 0);
  json_decref(wait_status(id, "app", "AWAITING_APPROVAL", 30));
  cr_assert_eq(orch_exec_engine_command(h.eng, id, ORCH_CMD_PAUSE, NULL, "op", &err), 0, "%s", err.message);
  cr_assert_eq(orch_exec_engine_command(h.eng, id, ORCH_CMD_PAUSE, NULL, "op", &err), ORCH_ESTATE);
  cr_assert_eq(orch_exec_engine_command(h.eng, id, ORCH_CMD_APPROVE, "app", "op", &err), 0);
  /* Five simulated minutes of polls pass while paused (simulated time: the same on any machine). */
  h_wait_sim_time(&h, orch_clock_now_ms(orch_sim_clock(h.sim)) + 5 * 60 * 1000, 60);
  cr_assert_eq(h_calls(&h, "drs", "StartRecovery"), 1, "no launch while paused");
  cr_assert_eq(orch_exec_engine_command(h.eng, id, ORCH_CMD_RESUME, NULL, "op", &err), 0, "%s", err.message);
  json_t *final = finish(id);
  cr_assert_str_eq(json_string_value(json_object_get(final, "status")), "CLEANED");
  cr_assert_eq(h_calls(&h, "drs", "StartRecovery"), 2);
  json_decref(final);
}

Test(exec_control, cancelled_drill_cleans_up, .fini = teardown, .timeout = 120) {
  start("", gated, false);
  char id[ORCH_ID_UUID_LEN + 1];
  struct orch_error err = {0};
  cr_assert_eq(orch_exec_engine_create(h.eng, h.plan_id, 0, ORCH_MODE_DRILL, "tester", id, &err), 0);
  json_decref(wait_status(id, "app", "AWAITING_APPROVAL", 30));
  cr_assert_eq(orch_exec_engine_command(h.eng, id, ORCH_CMD_CANCEL, NULL, "op", &err), 0, "%s", err.message);
  json_t *final = finish(id);
  cr_assert_str_eq(json_string_value(json_object_get(final, "status")), "CLEANED");
  cr_assert_str_eq(wave_status(final, 0), "COMPLETED");
  cr_assert_str_eq(wave_status(final, 1), "CANCELLED");
  cr_assert_eq(h_calls(&h, "drs", "TerminateRecoveryInstances"), 1, "the db tier's instances are terminated");
  json_t *state = orch_sim_state(h.sim);
  size_t r, i, seen = 0;
  json_t *region, *inst;
  json_array_foreach(json_object_get(state, "regions"), r, region) {
    json_array_foreach(json_object_get(region, "instances"), i, inst) {
      const char *s = json_string_value(json_object_get(inst, "state"));
      cr_assert(s && (strcmp(s, "terminated") == 0 || strcmp(s, "shutting-down") == 0), "instance left %s", s ? s : "?");
      seen++;
    }
  }
  cr_assert_eq(seen, 2, "the db tier's two recovery instances");
  json_decref(state);
  json_decref(final);
}

#define POLICIES(p)                                                                       \
  "return plan { name = \"policies\", region = \"us-east-1\", waves = {\n"                         \
  "  wave \"db\" { servers = tags { Tier = \"db\" }, on_failure = \"" p "\" },\n"                  \
  "  wave \"app\" { depends_on = { \"db\" }, servers = tags { Tier = \"app\" } },\n"             \
  "} }\n"

static void run_policy(const char *plan, const char *fail_rule, json_t **final) {
  *final = run_plan(fail_rule, plan, true, ORCH_MODE_DRILL);
}

Test(exec_control, failed_server_fails_the_wave_and_stops, .fini = teardown, .timeout = 120) {
  json_t *final = NULL;
  run_policy(POLICIES("fail"), "{\"server\":\"s-000000000000000a2\",\"reason\":\"Insufficient capacity\"}", &final);
  cr_assert_str_eq(wave_status(final, 0), "FAILED");
  cr_assert_str_eq(wave_status(final, 1), "CANCELLED", "nothing after a failed wave with on_failure = fail");
  const char *reason = json_string_value(json_object_get(json_array_get(json_object_get(final, "waves"), 0), "reason"));
  cr_assert(strstr(reason, "1 of 2 servers failed to launch"), "reason: %s", reason);
  cr_assert_eq(h_calls(&h, "drs", "StartRecovery"), 1);
  cr_assert_str_eq(json_string_value(json_object_get(final, "status")), "CLEANED", "the drill still cleans up");
  json_decref(final);
}

Test(exec_control, continue_policy_ends_partial, .fini = teardown, .timeout = 120) {
  json_t *final = NULL;
  run_policy(POLICIES("continue"), "{\"server\":\"s-000000000000000a2\",\"reason\":\"Insufficient capacity\"}", &final);
  cr_assert_str_eq(wave_status(final, 0), "FAILED");
  cr_assert_str_eq(wave_status(final, 1), "COMPLETED", "continue lets dependent waves run");
  cr_assert_eq(h_calls(&h, "drs", "StartRecovery"), 2);
  json_decref(final);
}

Test(exec_control, retry_relaunches_only_failed_servers, .fini = teardown, .timeout = 120) {
  json_t *final = NULL;
  run_policy(POLICIES("retry(2)"), "{\"server\":\"s-000000000000000a2\",\"reason\":\"Insufficient capacity\"}", &final);
  /* The server always fails: first launch plus two retries, each with that server alone. */
  cr_assert_eq(h_calls(&h, "drs", "StartRecovery"), 3, "no other wave may launch after the retries run out");
  json_t *calls = orch_sim_calls(h.sim);
  json_t *recs = json_object_get(calls, "startRecovery");
  cr_assert_eq(json_array_size(json_object_get(json_array_get(recs, 0), "sourceServerIDs")), 2);
  for (size_t i = 1; i < 3; i++) {
    json_t *ids = json_object_get(json_array_get(recs, i), "sourceServerIDs");
    cr_assert_eq(json_array_size(ids), 1);
    cr_assert_str_eq(json_string_value(json_array_get(ids, 0)), "s-000000000000000a2");
    char want[8];
    snprintf(want, sizeof want, "%zu", i + 1);
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(json_array_get(recs, i), "tags"), "drsorch:attempt")), want);
  }
  json_decref(calls);
  cr_assert_str_eq(wave_status(final, 0), "FAILED");
  json_decref(final);
}

Test(exec_control, skip_wave_before_it_starts, .fini = teardown, .timeout = 120) {
  start("", gated, false);
  char id[ORCH_ID_UUID_LEN + 1];
  struct orch_error err = {0};
  cr_assert_eq(orch_exec_engine_create(h.eng, h.plan_id, 0, ORCH_MODE_DRILL, "tester", id, &err), 0);
  json_decref(wait_status(id, "app", "AWAITING_APPROVAL", 30));
  cr_assert_eq(orch_exec_engine_command(h.eng, id, ORCH_CMD_SKIP_WAVE, "db", "op", &err), ORCH_ESTATE);
  cr_assert_eq(orch_exec_engine_command(h.eng, id, ORCH_CMD_SKIP_WAVE, "app", "op", &err), 0, "%s", err.message);
  json_t *final = finish(id);
  cr_assert_str_eq(wave_status(final, 1), "SKIPPED");
  cr_assert_str_eq(json_string_value(json_object_get(final, "status")), "CLEANED");
  cr_assert_eq(h_calls(&h, "drs", "StartRecovery"), 1);
  json_decref(final);
}

#define LAUNCH_PLAN(snapshot)                                                                                  \
  "return plan { name = \"launch\", region = \"us-east-1\", waves = {\n"                                     \
  "  wave \"db\" { servers = tags { Tier = \"db\" }, snapshot = \"" snapshot "\",\n"                          \
  "    launch = { copy_private_ip = false, right_sizing = \"NONE\", instance_type = \"r5.large\" } },\n"      \
  "} }\n"

Test(exec_control, launch_settings_and_point_in_time_snapshot, .fini = teardown, .timeout = 120) {
  json_t *final = run_plan("", LAUNCH_PLAN("2099-01-01T00:00:00Z"), true, ORCH_MODE_RECOVERY);
  cr_assert_str_eq(json_string_value(json_object_get(final, "status")), "COMPLETED");
  cr_assert_eq(h_calls(&h, "drs", "UpdateLaunchConfiguration"), 2, "one per server of the wave");
  cr_assert_eq(h_calls(&h, "ec2", "CreateLaunchTemplateVersion"), 2);
  cr_assert_eq(h_calls(&h, "ec2", "ModifyLaunchTemplate"), 2);
  cr_assert_eq(h_calls(&h, "drs", "DescribeRecoverySnapshots"), 2);
  json_t *out = NULL;
  struct orch_aws_error aerr = {.retry_after_ms = -1};
  struct orch_error err = {0};
  json_t *in = json_pack("{s:s}", "sourceServerID", "s-000000000000000a1");
  cr_assert_eq(orch_exec_aws_ops()->call(h.aws, "", "us-east-1", "drs", "GetLaunchConfiguration", in, false, &out, &aerr, &err), 0);
  cr_assert(json_is_false(json_object_get(out, "copyPrivateIp")), "the plan's copy_private_ip = false was applied");
  cr_assert_str_eq(json_string_value(json_object_get(out, "targetInstanceTypeRightSizingMethod")), "NONE");
  json_decref(in);
  json_decref(out);
  json_decref(final);
}

Test(exec_control, snapshot_before_any_recovery_point_fails_the_wave, .fini = teardown, .timeout = 120) {
  json_t *final = run_plan("", LAUNCH_PLAN("2001-01-01T00:00:00Z"), true, ORCH_MODE_DRILL);
  cr_assert_str_eq(wave_status(final, 0), "FAILED");
  const char *reason = json_string_value(json_object_get(json_array_get(json_object_get(final, "waves"), 0), "reason"));
  cr_assert(strstr(reason, "no recovery snapshot at or before 2001-01-01"), "reason: %s", reason);
  cr_assert_eq(h_calls(&h, "drs", "StartRecovery"), 0, "nothing launched from a snapshot that does not exist");
  json_decref(final);
}

/* w:aws reaches AWS only for what the plan's aws_allow names; anything else is refused, not sent. */
static const char *allow_plan =
    "return plan { name = \"allow\", region = \"us-east-1\", aws_allow = { \"ec2:DescribeInstances\" }, waves = {\n"
    "  wave \"db\" { servers = tags { Tier = \"db\" }, after = function(w)\n"
    "    local ids = { w.servers[1].instance_id }\n"
    "    local r, msg = w:aws(\"ec2\", \"DescribeInstances\", { InstanceIds = ids })\n"
    "    w:assert(r ~= nil and #r.Reservations == 1, \"describe allowed: \" .. tostring(msg))\n"
    "    local x, why, code = w:aws(\"ec2\", \"TerminateInstances\", { InstanceIds = ids })\n"
    "    w:assert(x == nil and code == \"EPERM\", \"terminate refused: \" .. tostring(why))\n"
    "  end },\n"
    "} }\n";

Test(exec_control, hooks_call_aws_within_the_plan_allow_list, .fini = teardown, .timeout = 120) {
  json_t *final = run_plan("", allow_plan, true, ORCH_MODE_RECOVERY);
  char *txt = json_dumps(json_array_get(json_object_get(final, "waves"), 0), JSON_COMPACT);
  cr_assert_str_eq(wave_status(final, 0), "COMPLETED", "%s", txt);
  free(txt);
  cr_assert_eq(h_calls(&h, "ec2", "TerminateInstances"), 0, "a refused call never reaches AWS");
  json_decref(final);
}

/* A wave's timeout stops its hook and fails it; the drill still cleans up. */
static const char *slow_plan =
    "return plan { name = \"slow\", region = \"us-east-1\", waves = {\n"
    "  wave \"db\" { servers = tags { Tier = \"db\" }, timeout = \"20m\",\n"
    "    after = function(w) w:sleep(\"2h\") end },\n"
    "} }\n";

Test(exec_control, wave_timeout_stops_its_hook_and_fails_it, .fini = teardown, .timeout = 120) {
  json_t *final = run_plan("", slow_plan, true, ORCH_MODE_DRILL);
  cr_assert_str_eq(wave_status(final, 0), "FAILED");
  const char *reason = json_string_value(json_object_get(json_array_get(json_object_get(final, "waves"), 0), "reason"));
  cr_assert(strstr(reason, "timed out: not done 20m after it became ready"), "reason: %s", reason);
  cr_assert_str_eq(json_string_value(json_object_get(final, "status")), "CLEANED");
  json_decref(final);
}

/* A gate with a timeout that nobody opens fails its wave. */
static const char *gate_timeout_plan =
    "return plan { name = \"gate-timeout\", region = \"us-east-1\", waves = {\n"
    "  wave \"db\" { servers = tags { Tier = \"db\" }, approval = { message = \"go?\", timeout = \"30m\" } },\n"
    "} }\n";

Test(exec_control, unanswered_gate_times_out, .fini = teardown, .timeout = 120) {
  json_t *final = run_plan("", gate_timeout_plan, false, ORCH_MODE_RECOVERY);
  cr_assert_str_eq(wave_status(final, 0), "FAILED");
  const char *reason = json_string_value(json_object_get(json_array_get(json_object_get(final, "waves"), 0), "reason"));
  cr_assert_str_eq(reason, "not approved within 30m");
  cr_assert_eq(h_calls(&h, "drs", "StartRecovery"), 0);
  json_decref(final);
}
