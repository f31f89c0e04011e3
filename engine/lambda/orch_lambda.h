/* orch_lambda: one invocation of the engine as a Lambda function: the event (JSON text) is recognised by
 * its shape and handed to the handler for that shape; the result is a response document or an error
 * (type and message) as the Runtime API reports it. The Runtime API loop (orch_lambda_runtime.h) and
 * `drsorch lambda invoke` both call orch_lambda_invoke, so a local invocation takes the production path.
 * Shapes: CloudFormation custom-resource requests (orch_lambda_cfn.c; the answer always goes to the
 * pre-signed ResponseURL, on failure too), Step Functions tasks (orch_lambda_sfn.c: one engine step) and
 * API Gateway proxy events (orch_lambda_api.c: the REST API's router). Uses orch_http (transport),
 * orch_clock, orch_store, orch_exec_engine (its AWS ops), orch_api, jansson. */
#ifndef ORCH_LAMBDA_H
#define ORCH_LAMBDA_H

#include <jansson.h>
#include <stdint.h>

#include "api/orch_api.h"
#include "aws/orch_http.h"
#include "core/orch_clock.h"
#include "core/orch_config.h"
#include "core/orch_error.h"

#define ORCH_LAMBDA_EVENT_MAX ((size_t)6 * 1024 * 1024)    /* Lambda's synchronous payload limit */
#define ORCH_LAMBDA_RESPONSE_MAX ((size_t)6 * 1024 * 1024) /* Lambda's synchronous response limit */

/* errorType values (what Step Functions' Retry and Catch match on). */
#define ORCH_LAMBDA_ERR_BAD_EVENT "Drsorch.BadEvent"  /* the event is not one this function handles */
#define ORCH_LAMBDA_ERR_RETRYABLE "Drsorch.Retryable" /* transient: try the same event again */
#define ORCH_LAMBDA_ERR_FAILED "Drsorch.Failed"       /* the work failed; retrying will not help */

/* What Step Functions tasks and API Gateway events need, set up once per runtime (the CLI builds it when
 * lambda.store is set); borrowed, must outlive the invocations. */
struct orch_lambda_backend {
  struct orch_store *store;
  const struct orch_exec_aws_ops *aws; /* the engine's way to AWS (DRS, EC2, SSM, SNS, STS, Step Functions) */
  void *aws_ctx;
  struct orch_api *api;                /* the REST API router, attached to orch_lambda_sfn_engine_ops; NULL:
                                          API Gateway events are refused */
  const char *default_account;         /* the home account ("" = learnt through STS) */
  const char *default_region;
  int64_t poll_ms;                     /* scheduler.poll_interval: the Wait between steps when nothing is due */
  int64_t keep_for_ms;                 /* exec.keep_for */
  const char *aws_allow_ceiling;       /* plans.aws_allow_ceiling */
  const char *state_machine_arn;       /* lambda.state_machine_arn: where the API starts executions ("" = it
                                          cannot) */
};

/* What every invocation may use; borrowed, must outlive the invocations. */
struct orch_lambda_env {
  const struct orch_config *cfg;     /* settings; may be NULL (defaults) */
  const struct orch_clock *clock;    /* NULL = real */
  struct orch_http_transport *http;  /* outbound HTTP (CloudFormation responses); required */
  /* Waits between retries of an outbound call; NULL = no wait. */
  void (*sleep_ms)(void *ctx, int64_t ms);
  void *sleep_ctx;
  /* Step Functions tasks and API events; NULL (no lambda.store) refuses them saying so. */
  const struct orch_lambda_backend *backend;
};

/* The invocation's context, from the Runtime API's headers (all optional; "" when absent). */
struct orch_lambda_context {
  char request_id[128];
  char function_arn[512];
  char trace_id[512];
  char log_group[256];  /* AWS_LAMBDA_LOG_GROUP_NAME, named in failure reasons */
  char log_stream[256]; /* AWS_LAMBDA_LOG_STREAM_NAME */
  int64_t deadline_ms;  /* epoch ms; 0 = none */
};

struct orch_lambda_result {
  char *response;       /* success: the response document (JSON text); caller frees (orch_free) */
  size_t response_len;
  const char *error_type; /* failure: one of ORCH_LAMBDA_ERR_* (static); NULL on success */
  struct orch_error error; /* failure: what went wrong, for errorMessage */
};

/* Handle one event. Always returns with `out` filled: a response, or an error type and message; the
 * return value is 0 for a response and the error's code otherwise. */
int orch_lambda_invoke(const struct orch_lambda_env *env, const char *event, size_t len,
                       const struct orch_lambda_context *ctx, struct orch_lambda_result *out);
void orch_lambda_result_release(struct orch_lambda_result *r);

/* The errorType a failure of code `rc` gets: RETRYABLE for transient failures (timeouts, connection
 * errors, conflicts, throttling), FAILED otherwise. */
const char *orch_lambda_error_type(int rc);

/* {"errorMessage": ..., "errorType": ..., "stackTrace": []}: the body of an error report. NULL when out
 * of memory. Caller owns. */
json_t *orch_lambda_error_document(const char *type, const struct orch_error *err);

/* The shapes this build recognises, in the order they are tried, NULL-terminated ("CloudFormation
 * custom resource", ...): for messages and for the test that names every entry point. */
const char *const *orch_lambda_shapes(void);

#endif
