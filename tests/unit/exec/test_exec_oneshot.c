/* One step per call, each in a new synchronous engine (as one Lambda invocation per Step Functions task):
 * a drill with a gate, a hook that sleeps across steps and an SSM health check runs to its end through
 * steps alone; the summaries say what the next step waits for; nothing is launched twice and the hook's
 * command runs once, though every step folds the journal afresh and replays the hook. */
#include "exec_harness.h"

static struct harness h;
static void teardown(void) { h_stop(&h); }

static const char *plan =
    "return plan { name = \"stepped\", region = \"us-east-1\", waves = {\n"
    "  wave \"db\" { servers = tags { Tier = \"db\" }, after = function(w)\n"
    "    w:sleep(\"20m\")\n"
    "    local r, msg = w:ssm_run { commands = { \"systemctl is-active postgresql\" } }\n"
    "    w:assert(r and r.ok, \"db up: \" .. tostring(msg))\n"
    "  end },\n"
    "  wave \"app\" { depends_on = { \"db\" }, servers = tags { Tier = \"app\" }, approval = \"db consistent?\" },\n"
    "} }\n";

/* A new synchronous engine on the rig's store and AWS access, like a fresh Lambda container. */
static struct orch_exec_engine *fresh(void) {
  struct orch_exec_engine_config ec = {.store = h.store, .aws = orch_exec_aws_ops(), .aws_ctx = h.aws,
                                       .clock = orch_sim_clock(h.sim), .synchronous = true, .poll_ms = 5000,
                                       .default_account = ORCH_SIM_ACCOUNT_ID, .default_region = "us-east-1"};
  struct orch_exec_engine *eng = NULL;
  struct orch_error err = {0};
  cr_assert_eq(orch_exec_engine_new(&ec, &eng, &err), 0, "%s", err.message);
  return eng;
}

Test(exec_oneshot, a_drill_runs_one_step_per_call, .fini = teardown, .timeout = 120) {
  h_start_sim(&h, "three-tier-demo.json", NULL, 0, 4);
  h_plan(&h, plan);
  char id[ORCH_ID_UUID_LEN + 1];
  struct orch_error err = {0};
  struct orch_exec_engine *eng = fresh();
  cr_assert_eq(orch_exec_engine_create(eng, h.plan_id, 0, ORCH_MODE_DRILL, "tester", id, &err), 0, "%s", err.message);
  orch_exec_engine_free(eng);
  bool saw_gate = false, saw_progress = false, done = false;
  int steps = 0;
  while (!done && steps < 500) {
    steps++;
    eng = fresh();
    json_t *s = NULL;
    cr_assert_eq(orch_exec_engine_step(eng, id, &s, &err), 0, "step %d: %s", steps, err.message);
    done = json_is_true(json_object_get(s, "done"));
    if (json_is_true(json_object_get(s, "waiting_for_approval"))) {
      saw_gate = true;
      cr_assert_str_eq(json_string_value(json_array_get(json_object_get(s, "approval_waves"), 0)), "app");
      cr_assert_eq(orch_exec_engine_command(eng, id, ORCH_CMD_APPROVE, "app", "approver", &err), 0, "%s", err.message);
    }
    if (json_is_true(json_object_get(s, "wave_in_progress"))) saw_progress = true;
    /* Between steps the simulated region moves on by what the step asked for (a Wait state). */
    json_int_t wake = json_integer_value(json_object_get(s, "wake_in_ms"));
    orch_sim_advance(h.sim, wake > 0 ? wake : 5000);
    json_decref(s);
    orch_exec_engine_free(eng);
  }
  cr_assert(done, "finished in %d steps", steps);
  cr_assert(saw_gate, "a step said it waits for approval");
  cr_assert(saw_progress, "steps said a wave was in progress");
  cr_assert_eq(h_calls(&h, "drs", "StartRecovery"), 2, "one launch per wave however many steps replayed");
  cr_assert_eq(h_calls(&h, "ssm", "SendCommand"), 1, "the hook's command ran once");
  json_t *final = NULL;
  eng = fresh();
  cr_assert_eq(orch_exec_engine_wait(eng, id, 0, &final, &err), 0, "%s", err.message);
  cr_assert_str_eq(json_string_value(json_object_get(final, "status")), "CLEANED");
  json_decref(final);
  orch_exec_engine_free(eng);
}
