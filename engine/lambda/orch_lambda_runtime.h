/* orch_lambda_runtime: the Lambda Runtime API client (the custom runtime's loop): fetch the next event
 * (GET /2018-06-01/runtime/invocation/next), run it through orch_lambda_invoke, post the response or the
 * error (POST .../{id}/response, .../{id}/error), and repeat; a failure before the loop can start is
 * reported with POST /runtime/init/error. Uses orch_lambda, orch_http (transport), orch_log. */
#ifndef ORCH_LAMBDA_RUNTIME_H
#define ORCH_LAMBDA_RUNTIME_H

#include "lambda/orch_lambda.h"

struct orch_lambda_runtime_config {
  const char *api;                        /* AWS_LAMBDA_RUNTIME_API: "host:port" */
  struct orch_http_transport *transport;  /* to the Runtime API; borrowed; must allow long waits on next */
  const struct orch_lambda_env *env;      /* what invocations use; borrowed */
  const char *log_group, *log_stream;     /* AWS_LAMBDA_LOG_GROUP_NAME / _STREAM_NAME; may be NULL */
  long max_invocations;                   /* stop after this many (0 = until the Runtime API fails) */
};

/* Run the loop. Returns 0 after max_invocations, else the error that ended it (the Runtime API
 * unreachable or answering something other than an event: Lambda then restarts the runtime). */
int orch_lambda_runtime_run(const struct orch_lambda_runtime_config *cfg, struct orch_error *err) ORCH_MUST_CHECK;

/* Report a failure to initialise (POST /runtime/init/error with errorType `type`); the caller exits after. */
int orch_lambda_runtime_init_error(const struct orch_lambda_runtime_config *cfg, const char *type,
                                   const struct orch_error *what, struct orch_error *err) ORCH_MUST_CHECK;

#endif
