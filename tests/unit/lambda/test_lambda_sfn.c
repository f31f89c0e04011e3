/* test_lambda_sfn: what a Step Functions task answers for a step's summary (a table: which flag the
 * state machine's Choice states see, and how long its Wait states wait), and how task inputs that do not fit
 * are refused before anything is stepped. */
#include <criterion/criterion.h>
#include <string.h>

#include "lambda/orch_lambda.h"
#include "lambda/orch_lambda_sfn.h"

#define ID "01a23bab-ec67-7024-a6ad-5c96ab958da4"

struct row {
  const char *what;
  const char *summary; /* orch_exec_engine_step's summary */
  bool done, approval, deps, progress;
  long long wait_s;
  const char *gates; /* ApprovalWaves as JSON */
};

static const struct row rows[] = {
  {"a wave in progress, nothing timed: poll again after the poll interval",
   "{\"execution_id\": \"" ID "\", \"status\": \"RUNNING\", \"done\": false, \"waiting_for_approval\": false, "
   "\"approval_waves\": [], \"waiting_for_dependencies\": false, \"wave_in_progress\": true, \"wake_in_ms\": 0, \"seq\": 9}",
   false, false, false, true, 5, "[]"},
  {"a hook's timer 20 minutes away (wake rounded up to the second)",
   "{\"execution_id\": \"" ID "\", \"status\": \"RUNNING\", \"done\": false, \"waiting_for_approval\": false, "
   "\"approval_waves\": [], \"waiting_for_dependencies\": false, \"wave_in_progress\": true, \"wake_in_ms\": 1199001, \"seq\": 9}",
   false, false, false, true, 1200, "[]"},
  {"only a gate, nothing timed: parked on the token",
   "{\"execution_id\": \"" ID "\", \"status\": \"RUNNING\", \"done\": false, \"waiting_for_approval\": true, "
   "\"approval_waves\": [\"app\"], \"waiting_for_dependencies\": false, \"wave_in_progress\": false, \"wake_in_ms\": 0, \"seq\": 33}",
   false, true, false, false, ORCH_LAMBDA_SFN_APPROVAL_WAIT_S, "[\"app\"]"},
  {"a gate whose deadline is 10 minutes away: a timed wait, not a token",
   "{\"execution_id\": \"" ID "\", \"status\": \"RUNNING\", \"done\": false, \"waiting_for_approval\": true, "
   "\"approval_waves\": [\"app\"], \"waiting_for_dependencies\": false, \"wave_in_progress\": false, \"wake_in_ms\": 600000, \"seq\": 33}",
   false, false, true, false, 600, "[\"app\"]"},
  {"a gate while another wave runs: the running wave is polled (the gate is seen at the next step)",
   "{\"execution_id\": \"" ID "\", \"status\": \"RUNNING\", \"done\": false, \"waiting_for_approval\": true, "
   "\"approval_waves\": [\"web\"], \"waiting_for_dependencies\": false, \"wave_in_progress\": true, \"wake_in_ms\": 0, \"seq\": 40}",
   false, false, false, true, 5, "[\"web\"]"},
  {"waves waiting for their dependencies (paused, or quotas)",
   "{\"execution_id\": \"" ID "\", \"status\": \"PAUSED\", \"done\": false, \"waiting_for_approval\": false, "
   "\"approval_waves\": [], \"waiting_for_dependencies\": true, \"wave_in_progress\": false, \"wake_in_ms\": 0, \"seq\": 12}",
   false, false, true, false, 5, "[]"},
  {"done: nothing but COMPLETE; flags off",
   "{\"execution_id\": \"" ID "\", \"status\": \"CLEANED\", \"done\": true, \"waiting_for_approval\": true, "
   "\"approval_waves\": [], \"waiting_for_dependencies\": true, \"wave_in_progress\": true, \"wake_in_ms\": 0, \"seq\": 80}",
   true, false, false, false, 5, "[]"},
  {"a drill keeping its instances for a day: the Wait is the day",
   "{\"execution_id\": \"" ID "\", \"status\": \"COMPLETED\", \"done\": false, \"waiting_for_approval\": false, "
   "\"approval_waves\": [], \"waiting_for_dependencies\": false, \"wave_in_progress\": true, \"wake_in_ms\": 86400000, \"seq\": 60}",
   false, false, false, true, 86400, "[]"},
  {"a wake two years away is capped at Step Functions' year",
   "{\"execution_id\": \"" ID "\", \"status\": \"COMPLETED\", \"done\": false, \"waiting_for_approval\": false, "
   "\"approval_waves\": [], \"waiting_for_dependencies\": false, \"wave_in_progress\": true, \"wake_in_ms\": 63072000000, \"seq\": 60}",
   false, false, false, true, ORCH_LAMBDA_SFN_WAIT_MAX_S, "[]"},
};

Test(lambda_sfn, the_answer_for_each_summary) {
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    const struct row *r = &rows[i];
    json_t *summary = json_loads(r->summary, 0, NULL);
    cr_assert(summary, "row %zu parses", i);
    json_t *a = orch_lambda_sfn_answer(summary, 5000);
    cr_assert(a, "%s: an answer", r->what);
    cr_assert_str_eq(json_string_value(json_object_get(a, "ExecutionId")), ID, "%s", r->what);
    cr_assert_eq(json_is_true(json_object_get(a, "Done")), r->done, "%s: Done", r->what);
    cr_assert_eq(json_is_true(json_object_get(a, "WaitingForApproval")), r->approval, "%s: WaitingForApproval", r->what);
    cr_assert_eq(json_is_true(json_object_get(a, "WaitingForDependencies")), r->deps, "%s: WaitingForDependencies", r->what);
    cr_assert_eq(json_is_true(json_object_get(a, "WaveInProgress")), r->progress, "%s: WaveInProgress", r->what);
    cr_assert_eq(json_integer_value(json_object_get(a, "WaitSeconds")), r->wait_s, "%s: WaitSeconds %lld", r->what,
                 (long long)json_integer_value(json_object_get(a, "WaitSeconds")));
    json_t *gates = json_loads(r->gates, 0, NULL);
    cr_assert(json_equal(json_object_get(a, "ApprovalWaves"), gates), "%s: ApprovalWaves", r->what);
    cr_assert(json_is_string(json_object_get(a, "Status")), "%s: Status", r->what);
    json_decref(gates);
    json_decref(a);
    json_decref(summary);
  }
}

static void invoke(const struct orch_lambda_env *env, const char *event, const char *type, const char *message) {
  struct orch_lambda_result res;
  int rc = orch_lambda_invoke(env, event, strlen(event), NULL, &res);
  cr_assert_neq(rc, 0, "%s is refused", event);
  cr_assert_str_eq(res.error_type, type, "%s: %s", event, res.error.message);
  char line[ORCH_ERROR_MESSAGE_MAX + ORCH_ERROR_CONTEXT_MAX + 8];
  const char *said = orch_error_format(&res.error, line, sizeof line);
  cr_assert(strstr(said, message), "%s: '%s' says '%s'", event, said, message);
  orch_lambda_result_release(&res);
}

Test(lambda_sfn, task_inputs_that_do_not_fit) {
  struct orch_lambda_env env = {0};
  invoke(&env, "{\"action\": \"LAUNCH\", \"ExecutionId\": \"" ID "\"}", ORCH_LAMBDA_ERR_BAD_EVENT, "unknown action 'LAUNCH'");
  invoke(&env, "{\"action\": \"BEGIN\"}", ORCH_LAMBDA_ERR_BAD_EVENT, "ExecutionId");
  invoke(&env, "{\"action\": \"BEGIN\", \"ExecutionId\": \"nope\"}", ORCH_LAMBDA_ERR_BAD_EVENT, "not an execution id");
  invoke(&env, "{\"action\": \"AWAIT_APPROVAL\", \"ExecutionId\": \"" ID "\"}", ORCH_LAMBDA_ERR_BAD_EVENT, "task token");
  invoke(&env, "{\"action\": \"BEGIN\", \"ExecutionId\": \"" ID "\", \"TaskToken\": \"t\"}", ORCH_LAMBDA_ERR_BAD_EVENT,
         "only AWAIT_APPROVAL");
  invoke(&env, "{\"action\": \"BEGIN\", \"ExecutionId\": \"" ID "\", \"Error\": {}}", ORCH_LAMBDA_ERR_BAD_EVENT, "only COMPLETE");
  invoke(&env, "{\"action\": \"BEGIN\", \"ExecutionId\": \"" ID "\", \"Plan\": {}}", ORCH_LAMBDA_ERR_BAD_EVENT, "Plan");
  /* A well-formed task on a function without a store says what to set. */
  invoke(&env, "{\"action\": \"BEGIN\", \"ExecutionId\": \"" ID "\"}", ORCH_LAMBDA_ERR_FAILED, "lambda.store");
  invoke(&env, "{\"httpMethod\": \"GET\", \"path\": \"/api/v1/health\"}", ORCH_LAMBDA_ERR_FAILED, "lambda.store");
}
