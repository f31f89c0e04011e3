/* The execution engine end to end against the simulated region over HTTP: a three-tier drill runs wave
 * by wave, its after hook checks health through SSM, every wave is launched exactly once, and the drill
 * cleans up after itself; a dry run launches nothing; operator commands are checked against the state. */
#include "exec_harness.h"

static const char *three_tier =
    "return plan {\n"
    "  name = \"orders\", region = \"us-east-1\", rto_target = \"45m\",\n"
    "  waves = {\n"
    "    wave \"database\" { servers = tags { App = \"orders\", Tier = \"db\" } },\n"
    "    wave \"app\" { depends_on = { \"database\" }, servers = tags { App = \"orders\", Tier = \"app\" } },\n"
    "    wave \"web\" {\n"
    "      depends_on = { \"app\" },\n"
    "      servers = tags { App = \"orders\", Tier = \"web\" },\n"
    "      after = function(w)\n"
    "        local r, msg = w:ssm_run { commands = { \"curl -sf http://localhost/health\" } }\n"
    "        w:log(\"health check: %s\", r and r.status or msg)\n"
    "        w:expect(r ~= nil, \"health command ran\")\n"
    "      end,\n"
    "    },\n"
    "  },\n"
    "}\n";

static struct harness h;

static void teardown(void) { h_stop(&h); }

Test(exec_engine, three_tier_drill_runs_in_order_and_cleans_up, .fini = teardown, .timeout = 120) {
  h_start_sim(&h, "three-tier-demo.json", NULL, 600, 7);
  h_plan(&h, three_tier);
  h_engine(&h, true, 5000);
  char id[ORCH_ID_UUID_LEN + 1];
  struct orch_error err = {0};
  cr_assert_eq(orch_exec_engine_create(h.eng, h.plan_id, 0, ORCH_MODE_DRILL, "tester", id, &err), 0, "%s", err.message);
  json_t *final = NULL;
  cr_assert_eq(orch_exec_engine_wait(h.eng, id, 90000, &final, &err), 0, "%s", err.message);
  char *txt = json_dumps(final, JSON_INDENT(1));
  cr_assert_str_eq(json_string_value(json_object_get(final, "status")), "CLEANED", "%s", txt);
  free(txt);
  json_t *waves = json_object_get(final, "waves");
  cr_assert_eq(json_array_size(waves), 3);
  for (size_t i = 0; i < 3; i++) {
    char *w = json_dumps(json_array_get(waves, i), JSON_COMPACT);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(waves, i), "status")), "COMPLETED", "%s", w);
    free(w);
  }
  /* Order: each wave launched after the one it depends on completed. */
  const char *db_done = json_string_value(json_object_get(json_array_get(waves, 0), "completed_at"));
  const char *app_launch = json_string_value(json_object_get(json_array_get(waves, 1), "launched_at"));
  cr_assert_leq(strcmp(db_done, app_launch), 0, "app launched at %s before database completed at %s", app_launch, db_done);
  /* Exactly one StartRecovery per wave, one termination, drill flag and tags on every job. */
  cr_assert_eq(h_calls(&h, "drs", "StartRecovery"), 3);
  cr_assert_eq(h_calls(&h, "drs", "TerminateRecoveryInstances"), 1);
  json_t *calls = orch_sim_calls(h.sim);
  size_t i;
  json_t *rec;
  json_array_foreach(json_object_get(calls, "startRecovery"), i, rec) {
    cr_assert(json_is_true(json_object_get(rec, "isDrill")));
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(rec, "tags"), "drsorch:execution")), id);
  }
  json_decref(calls);
  /* Every server launched (it has an address) and its instance is gone after clean-up. */
  json_t *servers = json_object_get(json_array_get(waves, 2), "servers");
  cr_assert_eq(json_array_size(servers), 12);
  json_array_foreach(servers, i, rec) {
    cr_assert_str_eq(json_string_value(json_object_get(rec, "launch_status")), "TERMINATED");
    cr_assert(json_is_string(json_object_get(rec, "private_ip")));
  }
  json_decref(final);
  /* The report: RTO measured and within the 45 minute target. */
  struct orch_store_event_list events = {0};
  cr_assert_eq(orch_store_event_read(h.store, id, 1, 0, &events, &err), 0);
  struct orch_exec_state st;
  orch_exec_state_init(&st);
  cr_assert_eq(orch_exec_state_from_events(&st, &events, &err), 0, "%s", err.message);
  json_t *report = orch_exec_report_json(&st, &events);
  cr_assert(json_is_integer(json_object_get(report, "rto_ms")));
  cr_assert(json_is_true(json_object_get(report, "rto_met")), "RTO %lld ms", (long long)json_integer_value(json_object_get(report, "rto_ms")));
  json_decref(report);
  orch_exec_state_release(&st);
  orch_store_event_list_release(&events);
}

Test(exec_engine, dry_run_launches_nothing, .fini = teardown, .timeout = 120) {
  h_start_sim(&h, "three-tier-demo.json", NULL, 600, 7);
  h_plan(&h, three_tier);
  h_engine(&h, true, 5000);
  char id[ORCH_ID_UUID_LEN + 1];
  struct orch_error err = {0};
  cr_assert_eq(orch_exec_engine_create(h.eng, h.plan_id, 0, ORCH_MODE_DRY_RUN, "tester", id, &err), 0);
  json_t *final = NULL;
  cr_assert_eq(orch_exec_engine_wait(h.eng, id, 30000, &final, &err), 0, "%s", err.message);
  cr_assert_str_eq(json_string_value(json_object_get(final, "status")), "COMPLETED");
  cr_assert_eq(h_calls(&h, "drs", "StartRecovery"), 0);
  json_decref(final);
  /* Waiting again, even from a new engine, answers from the store at once; an unknown id is an error. */
  h_stop_engine(&h);
  h_engine(&h, true, 5000);
  final = NULL;
  cr_assert_eq(orch_exec_engine_wait(h.eng, id, 0, &final, &err), 0, "%s", err.message);
  cr_assert_str_eq(json_string_value(json_object_get(final, "status")), "COMPLETED");
  json_decref(final);
  cr_assert_eq(orch_exec_engine_wait(h.eng, "01a22a3e-0000-7000-8000-000000000000", 0, NULL, &err), ORCH_ENOTFOUND);
}
