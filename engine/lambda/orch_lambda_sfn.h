/* orch_lambda_sfn: the engine driven by AWS Step Functions (cfn/statemachine-stack.yaml). A task's input
 * {"action", "ExecutionId", ...} becomes one step of the same engine (orch_exec_engine_step on a synchronous
 * engine: the journal folded, decide and its due effects, the events appended) and the answer carries what
 * the state machine's Choice and Wait states read. An approval gate parks the state machine on a task token
 * (AWAIT_APPROVAL journals it as ApprovalWaitStarted); whatever unblocks the execution (an approval, a skip,
 * a cancellation, through the API or found by AWAIT_APPROVAL itself) releases the token with
 * SendTaskSuccess, or SendTaskFailure (Drsorch.Cancelled) when it was cancelled. Also the API's engine ops
 * for a deployment without an engine process: starting is StartExecution, commands are journaled by a
 * synchronous engine. Uses orch_exec_engine, orch_exec_state, orch_store, orch_api, orch_log. */
#ifndef ORCH_LAMBDA_SFN_H
#define ORCH_LAMBDA_SFN_H

#include <jansson.h>
#include <stdint.h>

#include "lambda/orch_lambda.h"

/* Step Functions' longest wait: a standard execution lasts at most a year. */
#define ORCH_LAMBDA_SFN_WAIT_MAX_S ((int64_t)365 * 24 * 3600)
/* The approval task's TimeoutSeconds in the template: a parked state machine wakes this often, and the next
 * step parks it again with a fresh token. A gate whose engine needs a step sooner (an approval deadline) is
 * waited on with a Wait state instead of a token. */
#define ORCH_LAMBDA_SFN_APPROVAL_WAIT_S ((int64_t)3600)
/* The error a cancelled execution's waiting task is failed with (the state machine catches it). */
#define ORCH_LAMBDA_ERR_CANCELLED "Drsorch.Cancelled"

/* The answer of a task for the state machine, from an engine step summary (orch_exec_engine_step):
 * {"ExecutionId", "Status", "Done", "WaitingForApproval", "ApprovalWaves", "WaitingForDependencies",
 * "WaveInProgress", "WaitSeconds", "Reason"?, "Seq"}. WaitingForApproval is true only when the execution
 * waits for gates and nothing else, and nothing is due within ORCH_LAMBDA_SFN_APPROVAL_WAIT_S (a wave in
 * progress is polled, and a gate opened meanwhile is seen by the next step; a gate with a nearer deadline is
 * WaitingForDependencies: a timed wait); the three flags are exclusive. WaitSeconds: the engine's next
 * wake-up rounded up to a second, else the poll interval; ORCH_LAMBDA_SFN_APPROVAL_WAIT_S while parked.
 * ApprovalWaves: the gates open now (also while other waves run).
 * NULL when out of memory. Caller owns. */
json_t *orch_lambda_sfn_answer(const json_t *summary, int64_t poll_ms);

/* A new synchronous engine on the backend (one per invocation, as in a fresh container). record_only: the
 * API function's: creations and commands are journaled and nothing else is done (no AWS call: its role has
 * none of the recovery actions), the state machine's next step acts on them. */
int orch_lambda_sfn_engine(const struct orch_lambda_backend *b, const struct orch_clock *clock, bool record_only,
                           struct orch_exec_engine **out, struct orch_error *err) ORCH_MUST_CHECK;

/* Release the task waiting on `token` when `answer` (orch_lambda_sfn_answer) no longer waits for approval:
 * SendTaskSuccess with the answer as output, or SendTaskFailure (ORCH_LAMBDA_ERR_CANCELLED) for a
 * cancelled execution. A token Step Functions no longer knows (already released, timed out) is not an
 * error. *released (optional) says whether it was sent. */
int orch_lambda_sfn_release(const struct orch_lambda_backend *b, const char *token, const json_t *answer,
                            bool *released, struct orch_error *err) ORCH_MUST_CHECK;

/* The API's engine ops for the Lambda API function (ctx: the orch_lambda_backend). */
const struct orch_api_engine_ops *orch_lambda_sfn_engine_ops(void);

struct orch_lambda_shape;
/* For orch_lambda.c's table: Step Functions tasks (here) and API Gateway proxy events (orch_lambda_api.c). */
extern const struct orch_lambda_shape orch_lambda_shape_sfn;
extern const struct orch_lambda_shape orch_lambda_shape_api;

#endif
