/* orch_lambda_cfn: the CloudFormation custom-resource protocol and the table of resource types: what a
 * resource type implements (one function for Create, Update and Delete) and the request it receives.
 * Uses orch_lambda.h. */
#ifndef ORCH_LAMBDA_CFN_H
#define ORCH_LAMBDA_CFN_H

#include <jansson.h>

#include "lambda/orch_lambda.h"

enum orch_lambda_cfn_op { ORCH_LAMBDA_CFN_CREATE, ORCH_LAMBDA_CFN_UPDATE, ORCH_LAMBDA_CFN_DELETE };

/* A validated request; every string is borrowed from the event. */
struct orch_lambda_cfn_request {
  const json_t *event;
  const char *stack_id, *request_id, *logical_id, *resource_type;
  const char *physical_id;      /* the event's, or "<LogicalResourceId>-<RequestId prefix>" on Create */
  const json_t *properties;     /* ResourceProperties (NULL when absent) */
  const json_t *old_properties; /* OldResourceProperties on Update */
};

struct orch_lambda_cfn_resource {
  const char *type; /* "Custom::BucketCleanup" */
  /* Do `op`; may add attributes (Fn::GetAtt) to `data`. 0, or a negative code with err filled (its
   * message becomes the Reason CloudFormation shows). */
  int (*handle)(const struct orch_lambda_env *env, enum orch_lambda_cfn_op op, const struct orch_lambda_cfn_request *r,
                const struct orch_lambda_context *ctx, json_t *data, struct orch_error *err);
};

/* The resource types (orch_lambda_bucket.c, orch_lambda_console.c). */
extern const struct orch_lambda_cfn_resource orch_lambda_cfn_bucket_cleanup;
extern const struct orch_lambda_cfn_resource orch_lambda_cfn_console;

/* The resource types this build implements, NULL-terminated. */
const char *const *orch_lambda_cfn_types(void);

#endif
