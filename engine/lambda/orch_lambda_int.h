/* orch_lambda_int: what the handler's parts share inside engine/lambda: the table entry of an event
 * shape (how to recognise it, how to handle it), and the AWS client the handlers call AWS with.
 * Uses orch_lambda.h, orch_aws_client. */
#ifndef ORCH_LAMBDA_INT_H
#define ORCH_LAMBDA_INT_H

#include <stdbool.h>

#include "aws/orch_aws_client.h"
#include "aws/orch_aws_profile.h"
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

/* An AWS client as the function is: its region (aws.region, else AWS_REGION as Lambda sets it, then the
 * profile's), the default credentials chain (the function's role), aws.endpoint_url when set (the
 * simulator), the env's clock and waits. orch_lambda_aws_close frees it (accepts a zeroed one). */
struct orch_lambda_aws {
  struct orch_aws_profiles *profiles;
  struct orch_aws_creds *creds;
  struct orch_aws_client *client;
};
int orch_lambda_aws_open(const struct orch_lambda_env *env, struct orch_lambda_aws *out, struct orch_error *err)
    ORCH_MUST_CHECK;
void orch_lambda_aws_close(struct orch_lambda_aws *a);

#endif
