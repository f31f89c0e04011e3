/* orch_aws_model: AWS service models at run time. The build reduces botocore's JSON models to the
 * operations listed in engine/aws/operations.txt and the shapes they reach, and embeds them; this
 * module loads them (once, thread-safe) into an in-memory form, and can load any model-shaped JSON
 * (the protocol conformance cases carry their own shapes). Uses jansson, orch_core. */
#ifndef ORCH_AWS_MODEL_H
#define ORCH_AWS_MODEL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/orch_error.h"

enum orch_aws_protocol {
  ORCH_AWS_PROTO_REST_JSON,
  ORCH_AWS_PROTO_JSON,  /* JSON 1.0 / 1.1 with X-Amz-Target */
  ORCH_AWS_PROTO_QUERY,
  ORCH_AWS_PROTO_EC2,
  ORCH_AWS_PROTO_REST_XML, /* S3, CloudFront, Route 53 */
};

struct orch_aws_service;   /* a loaded model; opaque */
struct orch_aws_operation; /* one operation of a service; opaque, lives as long as its service */

/* The embedded service by botocore name ("drs", "ec2", "ssm", "sns", "sts", "service-quotas",
 * "dynamodb"), or NULL when not embedded. Never freed. */
const struct orch_aws_service *orch_aws_model_service(const char *name);
/* NULL-terminated list of embedded service names. */
const char *const *orch_aws_model_service_names(void);

/* Load a service from botocore-format JSON ({"metadata":..., "operations":..., "shapes":...}).
 * Caller frees with orch_aws_model_free (accepts NULL). */
int orch_aws_model_load(const json_t *model, struct orch_aws_service **out, struct orch_error *err)
    ORCH_MUST_CHECK;
void orch_aws_model_free(struct orch_aws_service *svc);

const struct orch_aws_operation *orch_aws_model_operation(const struct orch_aws_service *svc, const char *name);
/* Nearest operation name to a misspelt one, or NULL. */
const char *orch_aws_model_suggest_operation(const struct orch_aws_service *svc, const char *name);

/* Service metadata. */
const char *orch_aws_service_name(const struct orch_aws_service *svc);          /* "drs" */
enum orch_aws_protocol orch_aws_service_protocol(const struct orch_aws_service *svc);
const char *orch_aws_service_signing_name(const struct orch_aws_service *svc);  /* "drs" */
const char *orch_aws_service_endpoint_prefix(const struct orch_aws_service *svc);
const char *orch_aws_service_api_version(const struct orch_aws_service *svc);
const char *orch_aws_service_target_prefix(const struct orch_aws_service *svc); /* JSON protocol */
const char *orch_aws_service_json_version(const struct orch_aws_service *svc);  /* "1.0" / "1.1" */
const char *orch_aws_service_xml_namespace(const struct orch_aws_service *svc); /* query/ec2 */
/* Added after the first draft (backward compatible): serviceId ("Service Quotas"; AWS_ENDPOINT_URL_<ID>
 * derives from it) and the global endpoint some services name ("sts.amazonaws.com"), or NULL. */
const char *orch_aws_service_id(const struct orch_aws_service *svc);
const char *orch_aws_service_global_endpoint(const struct orch_aws_service *svc);

const char *orch_aws_operation_name(const struct orch_aws_operation *op);
const struct orch_aws_service *orch_aws_operation_service(const struct orch_aws_operation *op);
/* The model's authtype ("none" for operations sent unsigned, e.g. sts AssumeRoleWithWebIdentity), or
 * NULL for SigV4; and endpoint.hostPrefix ("data-"), or NULL. */
const char *orch_aws_operation_auth_type(const struct orch_aws_operation *op);
const char *orch_aws_operation_host_prefix(const struct orch_aws_operation *op);

/* Pagination from the model's paginators: NULL-terminated lists of input/output token member paths
 * and result keys, and the limit member (NULL when none). Returns false when the operation does not
 * paginate. */
struct orch_aws_paginator {
  const char *const *input_tokens;
  const char *const *output_tokens;
  const char *const *result_keys;
  const char *limit_key;
};
bool orch_aws_operation_paginator(const struct orch_aws_operation *op, struct orch_aws_paginator *out);

#endif
