/* orch_lambda_int: what the handler's parts share inside engine/lambda: the table entry of an event
 * shape (how to recognise it, how to handle it). Uses orch_lambda.h. */
#ifndef ORCH_LAMBDA_INT_H
#define ORCH_LAMBDA_INT_H

#include <stdbool.h>

#include "lambda/orch_lambda.h"

struct orch_lambda_shape {
  const char *name; /* "CloudFormation custom resource" */
  /* Does `event` (an object) look like this shape? Only looks at the keys that identify it. */
  bool (*matches)(const json_t *event);
  /* Handle it: 0 with *response set (caller owns), or a negative code with err filled; *error_type may
   * name the errorType (NULL = by the code, orch_lambda_error_type). */
  int (*handle)(const struct orch_lambda_env *env, const json_t *event, const struct orch_lambda_context *ctx,
                json_t **response, const char **error_type, struct orch_error *err);
};

extern const struct orch_lambda_shape orch_lambda_shape_cfn;

#endif
