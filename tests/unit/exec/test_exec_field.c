/* What a DR engineer found in a day of drills (issue 14), as regressions against the real engine and the
 * simulated region on its discrete-event clock: a drill never replaces a live recovery; protection groups
 * of explicit servers select them and their launch overrides are applied; a clean-up that keeps failing
 * gives up with the instances left named; notifications reach every topic for the listed events; a long
 * execution in another account keeps its assumed-role credentials fresh. */
#include "exec/orch_exec_decide.h"
#include "exec_harness.h"

static struct harness h;
static void teardown(void) { h_stop(&h); }

#define DB1 "s-000000000000000a1"
#define DB2 "s-000000000000000a2"

static json_t *scenario(const char *extra) {
  char text[4096];
  snprintf(text, sizeof text,
           "{\"name\":\"field\",\"regions\":[{\"region\":\"us-east-1\",\"servers\":["
           "{\"id\":\"" DB1 "\",\"hostname\":\"db-1\",\"tags\":{\"Tier\":\"db\"}},"
           "{\"id\":\"" DB2 "\",\"hostname\":\"db-2\",\"tags\":{\"Tier\":\"db\"}},"
           "{\"id\":\"s-000000000000000b1\",\"hostname\":\"app-1\",\"tags\":{\"Tier\":\"app\"}}]}],"
           "\"timing\":{\"job_start\":\"5s\",\"snapshot\":\"30s\",\"conversion\":\"1m\",\"launch\":\"30s\",\"boot\":\"30s\","
           "\"ssm_ready\":\"30s\",\"terminate\":\"30s\"}%s}",
           extra);
  json_error_t jerr;
  json_t *j = json_loads(text, 0, &jerr);
  cr_assert_not_null(j, "test scenario: %s", jerr.text);
  return j;
}

static void start(const char *extra, const char *plan) {
  json_t *sc = scenario(extra);
  h_start_sim(&h, NULL, sc, 0, 3);
  json_decref(sc);
  h_plan(&h, plan);
  h_engine(&h, true, 5000);
}

static json_t *run(enum orch_exec_mode mode) {
  char id[ORCH_ID_UUID_LEN + 1];
  struct orch_error err = {0};
  cr_assert_eq(orch_exec_engine_create(h.eng, h.plan_id, 0, mode, "tester", id, &err), 0, "%s", err.message);
  json_t *final = NULL;
  cr_assert_eq(orch_exec_engine_wait(h.eng, id, 120000, &final, &err), 0, "%s", err.message);
  return final;
}

static const char *str(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

static const char *db_plan = "return plan { name = \"db\", region = \"us-east-1\", waves = {\n"
                             "  wave \"db\" { servers = tags { Tier = \"db\" } },\n"
                             "} }\n";

/* #1: after a recovery launched the database servers, a drill of them is refused at preflight, naming
 * them, instead of replacing the recovery's instances and terminating them in its clean-up. */
Test(exec_field, a_drill_never_replaces_a_live_recovery, .fini = teardown, .timeout = 120) {
  start("", db_plan);
  json_t *rec = run(ORCH_MODE_RECOVERY);
  cr_assert_str_eq(str(rec, "status"), "COMPLETED");
  json_decref(rec);
  json_t *drill = run(ORCH_MODE_DRILL);
  cr_assert_str_eq(str(drill, "status"), "CLEANED", "a refused drill still ends (nothing to clean)");
  const char *reason = str(drill, "reason");
  cr_assert(strstr(reason, "no live recovery instance") && (strstr(reason, DB1) || strstr(reason, DB2)),
            "the reason names the check and a server: %s", reason);
  json_decref(drill);
  cr_assert_eq(h_calls(&h, "drs", "StartRecovery"), 1, "only the recovery launched");
  cr_assert_eq(h_calls(&h, "drs", "TerminateRecoveryInstances"), 0, "nothing of the recovery was terminated");
  /* A second recovery is allowed, with a warning. */
  json_t *again = run(ORCH_MODE_RECOVERY);
  cr_assert_str_eq(str(again, "status"), "COMPLETED");
  json_decref(again);
}

/* #5: a protection group defined by server ids selects exactly those servers, and its launch overrides
 * are applied (over the plan's settings, key by key). */
Test(exec_field, group_of_explicit_servers_with_launch_overrides, .fini = teardown, .timeout = 120) {
  start("", "return plan { name = \"grouped\", region = \"us-east-1\", launch = { copy_tags = true }, waves = {\n"
            "  wave \"db\" { servers = group \"orders-db\" },\n"
            "} }\n");
  json_t *sel = json_pack("{s:[s]}", "server_ids", DB2);
  json_t *over = json_pack("{s:b, s:s}", "copy_private_ip", 1, "right_sizing", "NONE");
  struct orch_store_group_spec spec = {.name = "orders-db", .account = ORCH_SIM_ACCOUNT_ID, .region = "us-east-1",
                                       .selector = sel, .launch_overrides = over};
  struct orch_error err = {0};
  cr_assert_eq(orch_store_group_create(h.store, &spec, NULL, &err), 0, "%s", err.message);
  json_decref(sel);
  json_decref(over);
  json_t *final = run(ORCH_MODE_RECOVERY);
  cr_assert_str_eq(str(final, "status"), "COMPLETED", "%s", str(final, "reason"));
  json_t *servers = json_object_get(json_array_get(json_object_get(final, "waves"), 0), "servers");
  cr_assert_eq(json_array_size(servers), 1, "exactly the group's server");
  cr_assert_str_eq(str(json_array_get(servers, 0), "id"), DB2);
  json_decref(final);
  json_t *out = NULL;
  struct orch_aws_error aerr = {.retry_after_ms = -1};
  json_t *in = json_pack("{s:s}", "sourceServerID", DB2);
  cr_assert_eq(orch_exec_aws_ops()->call(h.aws, "", "us-east-1", "drs", "GetLaunchConfiguration", in, false, &out, &aerr, &err), 0);
  cr_assert(json_is_true(json_object_get(out, "copyPrivateIp")), "the group's override applied");
  cr_assert(json_is_true(json_object_get(out, "copyTags")), "the plan's setting kept under it");
  cr_assert_str_eq(str(out, "targetInstanceTypeRightSizingMethod"), "NONE");
  json_decref(in);
  json_decref(out);
}

/* #9: a clean-up whose terminations keep failing backs off, then gives up: CLEANUP_FAILED, the instance
 * ids left to terminate in the state, and the engine's wait returns. */
Test(exec_field, a_cleanup_that_keeps_failing_gives_up, .fini = teardown, .timeout = 120) {
  start(",\"errors\":{\"drs:TerminateRecoveryInstances\":1}", db_plan);
  json_t *final = run(ORCH_MODE_DRILL);
  cr_assert_str_eq(str(final, "status"), "CLEANUP_FAILED");
  json_decref(final);
  long tries = h_calls(&h, "drs", "TerminateRecoveryInstances");
  cr_assert_geq(tries, ORCH_EXEC_CLEANUP_TRIES, "tried %ld times", tries);
  cr_assert_lt(tries, 200, "bounded: %ld tries", tries);
  struct orch_store_exec_list l = {0};
  struct orch_error err = {0};
  cr_assert_eq(orch_store_exec_list(h.store, NULL, NULL, &l, &err), 0);
  cr_assert_eq(l.count, 1);
  cr_assert_str_eq(orch_store_status_name(l.items[0].status), "CLEANUP_FAILED");
  cr_assert(l.items[0].ended_ms, "finished in the store: nothing left to resume");
  const char *why = str(l.items[0].summary, "reason");
  cr_assert(why && strstr(why, "left to terminate"), "%s", why ? why : "(none)");
  orch_store_exec_list_release(&l);
}

/* Issue 12: notify.events and every topic: with two topics and events {wave_failed, execution_completed},
 * a completed drill publishes execution_completed to both and nothing else. */
Test(exec_field, notifications_reach_every_topic_for_the_listed_events, .fini = teardown, .timeout = 120) {
  start("", /* no topics listed in the scenario: any topic of the account accepts Publish */
        "return plan { name = \"notified\", region = \"us-east-1\",\n"
        "  notify = { sns = { \"arn:aws:sns:us-east-1:111122223333:dr-a\", \"arn:aws:sns:us-east-1:111122223333:dr-b\" },\n"
        "             events = { \"wave_failed\", \"execution_completed\" } },\n"
        "  waves = { wave \"db\" { servers = tags { Tier = \"db\" } } } }\n");
  json_t *final = run(ORCH_MODE_DRILL);
  cr_assert_str_eq(str(final, "status"), "CLEANED");
  json_decref(final);
  cr_assert_eq(h_calls(&h, "sns", "Publish"), 2, "execution_completed to each topic, nothing else");
}

/* Issue 12: assumed-role credentials expire after an hour (of simulated time); an execution in another
 * account that runs for hours keeps working, refreshing them before they expire. */
Test(exec_field, a_long_execution_in_another_account_refreshes_its_credentials, .fini = teardown, .timeout = 120) {
  json_error_t jerr;
  json_t *sc = json_loads(
      "{\"name\":\"accounts\",\"accounts\":["
      "{\"id\":\"111122223333\",\"access_keys\":[{\"id\":\"" ORCH_SIM_ACCESS_KEY_ID "\",\"secret\":\"" ORCH_SIM_SECRET_ACCESS_KEY "\"}]},"
      "{\"id\":\"444455556666\",\"roles\":[{\"name\":\"DRSOrchestratorCrossAccount\"}]}],"
      "\"regions\":[{\"account\":\"444455556666\",\"region\":\"us-east-1\",\"servers\":["
      "{\"id\":\"" DB1 "\",\"hostname\":\"db-1\",\"tags\":{\"Tier\":\"db\"}}]}]}",
      0, &jerr);
  cr_assert_not_null(sc, "%s", jerr.text);
  h_start_sim(&h, NULL, sc, 0, 9);
  json_decref(sc);
  h_plan(&h, "return plan { name = \"far\", region = \"us-east-1\", account = \"444455556666\",\n"
             "  aws_allow = { \"ec2:DescribeInstances\" }, waves = {\n"
             "  wave \"db\" { servers = tags { Tier = \"db\" }, after = function(w)\n"
             "    for i = 1, 9 do\n"
             "      w:sleep(\"30m\")\n"
             "      local r, msg = w:aws(\"ec2\", \"DescribeInstances\", {})\n"
             "      w:assert(r ~= nil, \"a call after \" .. (i * 30) .. \" minutes: \" .. tostring(msg))\n"
             "    end\n"
             "  end },\n"
             "} }\n");
  h_engine(&h, true, 5000);
  json_t *final = run(ORCH_MODE_DRILL);
  cr_assert_str_eq(str(final, "status"), "CLEANED", "%s", str(final, "reason"));
  cr_assert_str_eq(str(json_array_get(json_object_get(final, "waves"), 0), "status"), "COMPLETED");
  json_decref(final);
  long assumed = h_calls(&h, "sts", "AssumeRole");
  cr_assert_geq(assumed, 4, "an hour's credentials renewed over 4.5 hours of calls: %ld AssumeRole calls", assumed);
  cr_assert_lt(assumed, 20, "renewed when due, not on every call: %ld", assumed);
}
