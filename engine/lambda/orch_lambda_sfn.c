/* orch_lambda_sfn: Step Functions tasks as engine steps, the approval token's journey, and the API's engine
 * ops for the serverless deployment (orch_lambda_sfn.h). Uses orch_exec_engine (synchronous), orch_store
 * (the journal), orch_api (command mapping), orch_json, orch_log. */
#include "lambda/orch_lambda_sfn.h"

#include <string.h>

#include "core/orch_alloc.h"
#include "core/orch_buf.h"
#include "core/orch_json.h"
#include "core/orch_log.h"
#include "lambda/orch_lambda_int.h"

/* ---- the answer --------------------------------------------------------------------------------- */

static bool flag(const json_t *o, const char *key) { return json_is_true(json_object_get(o, key)); }

json_t *orch_lambda_sfn_answer(const json_t *summary, int64_t poll_ms) {
  bool done = flag(summary, "done"), in_progress = flag(summary, "wave_in_progress") && !done;
  int64_t wake = (int64_t)json_integer_value(json_object_get(summary, "wake_in_ms"));
  bool open = flag(summary, "waiting_for_approval") && !done, gate = open && !in_progress;
  bool approval = gate && (wake <= 0 || wake >= ORCH_LAMBDA_SFN_APPROVAL_WAIT_S * 1000);
  bool deps = (flag(summary, "waiting_for_dependencies") || gate) && !done && !in_progress && !approval;
  int64_t secs = approval ? ORCH_LAMBDA_SFN_APPROVAL_WAIT_S : wake > 0 ? (wake + 999) / 1000 : (poll_ms + 999) / 1000;
  if (secs < 1) secs = 1;
  if (secs > ORCH_LAMBDA_SFN_WAIT_MAX_S) secs = ORCH_LAMBDA_SFN_WAIT_MAX_S;
  json_t *gates = json_object_get(summary, "approval_waves");
  const char *reason = json_string_value(json_object_get(summary, "reason"));
  return json_pack("{s:O, s:O, s:b, s:b, s:o, s:b, s:b, s:I, s:s*, s:O*}", "ExecutionId",
                   json_object_get(summary, "execution_id"), "Status", json_object_get(summary, "status"), "Done", done,
                   "WaitingForApproval", approval, "ApprovalWaves", open && gates ? json_copy(gates) : json_array(),
                   "WaitingForDependencies", deps, "WaveInProgress", in_progress, "WaitSeconds", (json_int_t)secs,
                   "Reason", reason, "Seq", json_object_get(summary, "seq"));
}

/* ---- the engine ----------------------------------------------------------------------------------- */

int orch_lambda_sfn_engine(const struct orch_lambda_backend *b, const struct orch_clock *clock, bool record_only,
                           struct orch_exec_engine **out, struct orch_error *err) {
  struct orch_exec_engine_config ec = {
    .store = b->store, .aws = b->aws, .aws_ctx = b->aws_ctx, .clock = clock, .synchronous = true,
    .poll_ms = b->poll_ms, .default_account = b->default_account, .default_region = b->default_region,
    .keep_for_ms = b->keep_for_ms, .aws_allow_ceiling = b->aws_allow_ceiling,
    .record_only = record_only};
  return orch_exec_engine_new(&ec, out, err);
}

static int sfn_call(const struct orch_lambda_backend *b, const char *op, json_t *input, struct orch_aws_error *aerr,
                    struct orch_error *err) {
  json_t *output = NULL;
  int rc = input ? b->aws->call(b->aws_ctx, "", "", "stepfunctions", op, input, false, &output, aerr, err)
                 : orch_error_set(err, ORCH_ENOMEM, "out of memory");
  json_decref(input);
  json_decref(output);
  return rc;
}

int orch_lambda_sfn_release(const struct orch_lambda_backend *b, const char *token, const json_t *answer,
                            bool *released, struct orch_error *err) {
  if (released) *released = false;
  if (!token || !*token || flag(answer, "WaitingForApproval")) return 0;
  const char *status = json_string_value(json_object_get(answer, "Status"));
  bool cancelled = status && strcmp(status, "CANCELLED") == 0;
  struct orch_aws_error aerr = {0};
  struct orch_buf text = ORCH_BUF_INIT(256 * 1024); /* Step Functions' limit on a task's output */
  int rc = cancelled ? 0 : orch_json_dump(&text, answer, JSON_COMPACT);
  if (rc) return orch_error_set(err, rc, "the approval's answer does not fit Step Functions' 256 KiB");
  json_t *in = cancelled ? json_pack("{s:s, s:s, s:s}", "taskToken", token, "error", ORCH_LAMBDA_ERR_CANCELLED, "cause",
                                     "the execution was cancelled while it waited for an approval")
                         : json_pack("{s:s, s:s}", "taskToken", token, "output", orch_buf_cstr(&text));
  orch_buf_free(&text);
  rc = sfn_call(b, cancelled ? "SendTaskFailure" : "SendTaskSuccess", in, &aerr, err);
  if (rc == ORCH_EAWS && (strcmp(aerr.code, "TaskDoesNotExist") == 0 || strcmp(aerr.code, "TaskTimedOut") == 0 ||
                          strcmp(aerr.code, "InvalidToken") == 0)) {
    orch_log_info("sfn: the approval wait was already over (%s)", aerr.code);
    orch_error_clear(err);
    return 0;
  }
  if (!rc && released) *released = true;
  return rc;
}

/* The execution's state folded from its journal, and the task token of its latest ApprovalWaitStarted. */
static int fold_journal(struct orch_store *store, const char *id, struct orch_exec_state *st, char **token,
                        struct orch_error *err) {
  struct orch_store_event_list list = {0};
  int rc = orch_store_event_read(store, id, 1, 0, &list, err);
  for (size_t i = 0; !rc && i < list.count; i++) {
    const struct orch_store_event *e = &list.items[i];
    struct orch_exec_event ev = {.seq = e->seq, .at_ms = e->at_ms, .type = e->type, .data = e->data};
    json_t *none = e->data ? NULL : json_object();
    if (none) ev.data = none;
    rc = orch_exec_apply(st, &ev, err);
    json_decref(none);
    const char *t = strcmp(e->type, "ApprovalWaitStarted") == 0 ? json_string_value(json_object_get(e->data, "task_token")) : NULL;
    if (!rc && t) {
      orch_free(*token);
      if (!(*token = orch_strdup(t))) rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
    }
  }
  orch_store_event_list_release(&list);
  return rc;
}

/* ---- the tasks ------------------------------------------------------------------------------------- */

enum action { A_BEGIN, A_EXECUTE_WAVE, A_AWAIT_APPROVAL, A_UPDATE_WAVE_STATUS, A_COMPLETE };
static const char *const action_names[] = {"BEGIN", "EXECUTE_WAVE", "AWAIT_APPROVAL", "UPDATE_WAVE_STATUS", "COMPLETE"};

static bool sfn_matches(const json_t *event) {
  return json_is_string(json_object_get(event, "action")) && !json_object_get(event, "RequestType");
}

struct task {
  enum action action;
  const char *id, *token, *machine;
  const json_t *error; /* COMPLETE from a Catch: {"Error", "Cause"} */
};

static int parse_task(const json_t *event, struct task *t, struct orch_error *err) {
  static const char *const keys[] = {"action", "ExecutionId", "StateMachineExecutionArn", "TaskToken", "Error", NULL};
  const char *action = NULL;
  int rc = orch_json_check_keys(event, "task", keys, err);
  if (!rc) rc = orch_json_get_str(event, "task", "action", true, &action, err);
  if (!rc) rc = orch_json_get_str(event, "task", "ExecutionId", true, &t->id, err);
  if (!rc) rc = orch_json_get_str(event, "task", "StateMachineExecutionArn", false, &t->machine, err);
  if (!rc) rc = orch_json_get_str(event, "task", "TaskToken", false, &t->token, err);
  if (rc) return rc;
  size_t n = sizeof action_names / sizeof action_names[0], i = 0;
  while (i < n && strcmp(action, action_names[i]) != 0) i++;
  if (i == n)
    return orch_error_setc(err, ORCH_EINVAL, "task.action",
                           "unknown action '%.64s' (BEGIN, EXECUTE_WAVE, AWAIT_APPROVAL, UPDATE_WAVE_STATUS, COMPLETE)", action);
  t->action = (enum action)i;
  int64_t ms;
  if (orch_id_uuid7_time(t->id, &ms) || strlen(t->id) != ORCH_ID_UUID_LEN)
    return orch_error_setc(err, ORCH_EINVAL, "task.ExecutionId", "'%.64s' is not an execution id", t->id);
  if (t->action == A_AWAIT_APPROVAL && (!t->token || !*t->token))
    return orch_error_setc(err, ORCH_EINVAL, "task.TaskToken", "AWAIT_APPROVAL needs the task token ($$.Task.Token)");
  if (t->action != A_AWAIT_APPROVAL && t->token)
    return orch_error_setc(err, ORCH_EINVAL, "task.TaskToken", "only AWAIT_APPROVAL takes a task token");
  t->error = json_object_get(event, "Error");
  if (t->error && t->action != A_COMPLETE)
    return orch_error_setc(err, ORCH_EINVAL, "task.Error", "only COMPLETE records a state machine's failure");
  if (t->error && !json_is_object(t->error))
    return orch_error_setc(err, ORCH_EINVAL, "task.Error", "expected the Catch's {\"Error\", \"Cause\"} object");
  return 0;
}

/* COMPLETE from a Catch: the failure goes to the journal (the execution stays as it was; a new state machine
 * execution for the same ExecutionId drives it on). */
static int record_failure(struct orch_exec_engine *eng, const struct task *t, json_t **summary, struct orch_error *err) {
  const char *e = json_string_value(json_object_get(t->error, "Error")), *cause = json_string_value(json_object_get(t->error, "Cause"));
  char msg[1024];
  snprintf(msg, sizeof msg, "the state machine%s%s stopped driving it: %s%s%.700s", t->machine ? " " : "",
           t->machine ? t->machine : "", e ? e : "an error", cause ? ": " : "", cause ? cause : "");
  json_t *data = json_pack("{s:s}", "error", msg);
  int rc = data ? orch_exec_engine_record(eng, t->id, "EngineNote", data, summary, err) : orch_error_set(err, ORCH_ENOMEM, "out of memory");
  json_decref(data);
  return rc;
}

static int sfn_handle(const struct orch_lambda_env *env, const json_t *event, const struct orch_lambda_context *ctx,
                      json_t **response, const char **error_type, struct orch_error *err) {
  (void)ctx;
  struct task t = {0};
  int rc = parse_task(event, &t, err);
  if (rc) {
    *error_type = ORCH_LAMBDA_ERR_BAD_EVENT;
    return rc;
  }
  const struct orch_lambda_backend *b = env->backend;
  if (!b) {
    *error_type = ORCH_LAMBDA_ERR_FAILED;
    return orch_error_set(err, ORCH_ECONFIG, "this function has no store (set lambda.store, DRSORCH_LAMBDA_STORE)");
  }
  struct orch_exec_engine *eng = NULL;
  json_t *summary = NULL;
  if ((rc = orch_lambda_sfn_engine(b, env->clock, false, &eng, err))) return rc;
  if (t.action == A_AWAIT_APPROVAL) {
    json_t *data = json_pack("{s:s, s:s*}", "task_token", t.token, "state_machine_execution", t.machine);
    rc = data ? orch_exec_engine_record(eng, t.id, "ApprovalWaitStarted", data, &summary, err) : orch_error_set(err, ORCH_ENOMEM, "out of memory");
    json_decref(data);
  } else if (t.action == A_COMPLETE && t.error) {
    rc = record_failure(eng, &t, &summary, err);
  } else {
    rc = orch_exec_engine_step(eng, t.id, &summary, err);
  }
  orch_exec_engine_free(eng);
  if (!rc && !(*response = orch_lambda_sfn_answer(summary, b->poll_ms))) rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
  /* Whatever unblocked the execution before the token was journaled (an approval in between) is seen here:
   * the wait ends at once. */
  if (!rc && t.action == A_AWAIT_APPROVAL) rc = orch_lambda_sfn_release(b, t.token, *response, NULL, err);
  json_decref(summary);
  struct orch_log_field f[] = {{"action", action_names[t.action]}, {"execution", t.id}};
  if (!rc)
    orch_log_write(ORCH_LOG_INFO, f, 2, "step: %s", json_string_value(json_object_get(*response, "Status")));
  return rc;
}

const struct orch_lambda_shape orch_lambda_shape_sfn = {
  .name = "Step Functions task ({\"action\", \"ExecutionId\"})",
  .matches = sfn_matches,
  .handle = sfn_handle,
};

/* ---- the API's engine --------------------------------------------------------------------------------- */

static int api_create(void *ctx, const char *plan_id, int64_t version, enum orch_exec_mode mode, const char *by,
                      char id_out[ORCH_ID_UUID_LEN + 1], struct orch_error *err) {
  const struct orch_lambda_backend *b = ctx;
  if (!b->state_machine_arn || !*b->state_machine_arn)
    return orch_error_set(err, ORCH_ECONFIG, "no state machine to start executions with (lambda.state_machine_arn)");
  struct orch_exec_engine *eng = NULL;
  int rc = orch_lambda_sfn_engine(b, NULL, true, &eng, err);
  if (!rc) rc = orch_exec_engine_create(eng, plan_id, version, mode, by, id_out, err);
  orch_exec_engine_free(eng); /* its lease goes with it: the state machine's first step takes it */
  if (rc) return rc;
  struct orch_aws_error aerr = {0};
  json_t *input = json_pack("{s:s}", "ExecutionId", id_out);
  struct orch_buf text = ORCH_BUF_INIT(4096);
  rc = input && !orch_json_dump(&text, input, JSON_COMPACT)
           ? sfn_call(b, "StartExecution",
                      json_pack("{s:s, s:s, s:s}", "stateMachineArn", b->state_machine_arn, "name", id_out, "input",
                                orch_buf_cstr(&text)),
                      &aerr, err)
           : orch_error_set(err, ORCH_ENOMEM, "out of memory");
  json_decref(input);
  orch_buf_free(&text);
  if (!rc) return 0;
  /* Nothing will drive it: it is cancelled with the reason, so it does not stay PENDING. */
  orch_error_prefix(err, "the state machine could not be started");
  char reason[ORCH_ERROR_MESSAGE_MAX + 64];
  snprintf(reason, sizeof reason, "%s", err->message);
  struct orch_exec_command_spec cancel = {.exec_id = id_out, .cmd = ORCH_CMD_CANCEL, .by = "drsorch", .reason = reason};
  struct orch_error cerr = {0};
  if (orch_lambda_sfn_engine(b, NULL, false, &eng, &cerr) || orch_exec_engine_command_ex(eng, &cancel, &cerr))
    orch_log_error("exec %s: not cancelled after StartExecution failed: %s", id_out, cerr.message);
  orch_exec_engine_free(eng);
  return rc;
}

/* The command is journaled by a synchronous engine; then a state machine parked on the execution's approval
 * token is released when the execution no longer waits only for approval. */
static int api_command(void *ctx, const struct orch_api_command *cmd, struct orch_error *err) {
  const struct orch_lambda_backend *b = ctx;
  struct orch_exec_command_spec spec;
  struct orch_exec_engine *eng = NULL;
  int rc = orch_api_exec_command_spec(cmd, &spec, err);
  if (!rc) rc = orch_lambda_sfn_engine(b, NULL, true, &eng, err);
  if (!rc) rc = orch_exec_engine_command_ex(eng, &spec, err);
  orch_exec_engine_free(eng);
  if (rc) return rc;
  struct orch_exec_state st;
  orch_exec_state_init(&st);
  char *token = NULL;
  json_t *summary = NULL, *answer = NULL;
  struct orch_error e = {0};
  int frc = fold_journal(b->store, cmd->exec_id, &st, &token, &e);
  if (!frc && token && (!(summary = orch_exec_step_summary(&st, 0)) || !(answer = orch_lambda_sfn_answer(summary, b->poll_ms))))
    frc = orch_error_set(&e, ORCH_ENOMEM, "out of memory");
  if (!frc && token) frc = orch_lambda_sfn_release(b, token, answer, NULL, &e);
  /* The command is journaled: a state machine not released now sees it at its next step. */
  if (frc) orch_log_warn("exec %s: the waiting state machine was not released: %s", cmd->exec_id, e.message);
  json_decref(answer);
  json_decref(summary);
  orch_free(token);
  orch_exec_state_release(&st);
  return 0;
}

static bool api_alive(void *ctx) { return ctx != NULL; }

static const struct orch_api_engine_ops sfn_ops = {.create = api_create, .command = api_command, .alive = api_alive};

const struct orch_api_engine_ops *orch_lambda_sfn_engine_ops(void) { return &sfn_ops; }
