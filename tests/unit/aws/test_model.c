/* orch_aws_model: the embedded models (every operation of engine/aws/operations.txt is there, with its
 * metadata and paginators), lookups and suggestions, and loading model-shaped JSON with clear errors. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/orch_aws_model.h"
#include "aws/orch_aws_model_shape.h"
#include "core/orch_str.h"

Test(model, embedded_services) {
  const char *const *names = orch_aws_model_service_names();
  const char *want[] = {"cloudfront", "drs", "dynamodb", "ec2", "s3", "service-quotas", "sns", "ssm", "stepfunctions", "sts"};
  size_t n = 0, nwant = sizeof want / sizeof want[0];
  while (names[n]) n++;
  cr_assert_eq(n, nwant);
  for (size_t i = 0; i < nwant; i++) {
    cr_assert_str_eq(names[i], want[i]);
    cr_assert_not_null(orch_aws_model_service(want[i]), "%s did not load", want[i]);
  }
  cr_assert_null(orch_aws_model_service("route53"));
  const struct orch_aws_service *sfn = orch_aws_model_service("stepfunctions");
  cr_assert_eq(orch_aws_service_protocol(sfn), ORCH_AWS_PROTO_JSON, "Step Functions speaks awsJson1_0");
  cr_assert_str_eq(orch_aws_service_signing_name(sfn), "states");
  const struct orch_aws_service *s3 = orch_aws_model_service("s3");
  cr_assert_eq(orch_aws_service_protocol(s3), ORCH_AWS_PROTO_REST_XML);
  cr_assert_str_eq(orch_aws_service_signing_name(s3), "s3");
  const struct orch_aws_operation *del = orch_aws_model_operation(s3, "DeleteObjects");
  cr_assert(del && del->checksum_required, "DeleteObjects requires a checksum (Content-MD5)");
  cr_assert_not(orch_aws_model_operation(s3, "ListObjectVersions")->checksum_required);
  const struct orch_aws_service *drs = orch_aws_model_service("drs");
  cr_assert_eq(orch_aws_service_protocol(drs), ORCH_AWS_PROTO_REST_JSON);
  cr_assert_str_eq(orch_aws_service_signing_name(drs), "drs");
  cr_assert_str_eq(orch_aws_service_api_version(drs), "2020-02-26");
  const struct orch_aws_service *sq = orch_aws_model_service("service-quotas");
  cr_assert_eq(orch_aws_service_protocol(sq), ORCH_AWS_PROTO_JSON);
  cr_assert_str_eq(orch_aws_service_endpoint_prefix(sq), "servicequotas");
  cr_assert_str_eq(orch_aws_service_target_prefix(sq), "ServiceQuotasV20190624");
  cr_assert_str_eq(orch_aws_service_json_version(sq), "1.1");
  cr_assert_str_eq(orch_aws_service_id(sq), "Service Quotas");
  cr_assert_str_eq(orch_aws_service_json_version(orch_aws_model_service("dynamodb")), "1.0");
  cr_assert_eq(orch_aws_service_protocol(orch_aws_model_service("ec2")), ORCH_AWS_PROTO_EC2);
  cr_assert_str_eq(orch_aws_service_xml_namespace(orch_aws_model_service("sts")), "https://sts.amazonaws.com/doc/2011-06-15/");
  cr_assert_str_eq(orch_aws_service_global_endpoint(orch_aws_model_service("sts")), "sts.amazonaws.com");
}

/* Every line of operations.txt is an embedded operation, and nothing else is. */
Test(model, operations_txt_is_embedded) {
  const char *src = getenv("ORCH_SOURCE_DIR");
  char path[1024];
  snprintf(path, sizeof path, "%s/engine/aws/operations.txt", src ? src : ".");
  FILE *f = fopen(path, "r");
  cr_assert_not_null(f, "%s", path);
  char line[256], svc[64], op[128];
  size_t listed = 0;
  while (fgets(line, sizeof line, f)) {
    char *s = orch_str_trim_inplace(line);
    if (!*s || *s == '#') continue;
    cr_assert_eq(sscanf(s, "%63s %127s", svc, op), 2);
    cr_assert_not_null(orch_aws_model_operation(orch_aws_model_service(svc), op), "%s %s", svc, op);
    listed++;
  }
  fclose(f);
  size_t embedded = 0;
  for (const char *const *n = orch_aws_model_service_names(); *n; n++)
    embedded += orch_aws_model_operation_count(orch_aws_model_service(*n));
  cr_assert_eq(embedded, listed);
  cr_assert_geq(listed, 43);
}

Test(model, operations_and_suggestions) {
  const struct orch_aws_service *drs = orch_aws_model_service("drs");
  const struct orch_aws_operation *op = orch_aws_model_operation(drs, "StartRecovery");
  cr_assert_str_eq(orch_aws_operation_name(op), "StartRecovery");
  cr_assert_eq(orch_aws_operation_service(op), drs);
  cr_assert_eq(op->response_code, 202);
  cr_assert_null(orch_aws_model_operation(drs, "startrecovery"));
  cr_assert_str_eq(orch_aws_model_suggest_operation(drs, "startrecovery"), "StartRecovery");
  cr_assert_str_eq(orch_aws_model_suggest_operation(drs, "DescribeJob"), "DescribeJobs");
  cr_assert_null(orch_aws_model_suggest_operation(drs, "LaunchTheMissiles"));
  const struct orch_aws_operation *tags = orch_aws_model_operation(drs, "ListTagsForResource");
  cr_assert_str_eq(tags->http_method, "GET");
  cr_assert_eq(tags->npath, 2);
  cr_assert(tags->path[1].label);
  cr_assert_str_eq(tags->path[1].member->name, "resourceArn");
  /* Debian's STS model (botocore 1.29) has no authtype on AssumeRoleWithWebIdentity (botocore sends it
   * unsigned by a customization); the client must treat it as unsigned itself. */
  cr_assert_null(orch_aws_operation_auth_type(
      orch_aws_model_operation(orch_aws_model_service("sts"), "AssumeRoleWithWebIdentity")));
  cr_assert_null(orch_aws_operation_auth_type(orch_aws_model_operation(orch_aws_model_service("sts"), "AssumeRole")));
}

Test(model, shapes_merge_member_traits) {
  const struct orch_aws_service *ec2 = orch_aws_model_service("ec2");
  const struct orch_aws_shape *req = orch_aws_model_shape(ec2, "DescribeInstancesRequest");
  const struct orch_aws_member *ids = orch_aws_shape_member(req, "InstanceIds");
  cr_assert_str_eq(ids->location_name, "InstanceId");
  cr_assert_eq(ids->shape->type, ORCH_AWS_T_LIST);
  const struct orch_aws_shape *start = orch_aws_model_shape(orch_aws_model_service("drs"), "StartRecoveryRequest");
  cr_assert(orch_aws_shape_member(start, "sourceServers")->required);
  cr_assert_not(orch_aws_shape_member(start, "isDrill")->required);
  const struct orch_aws_shape *st = orch_aws_model_shape(orch_aws_model_service("drs"), "ThrottlingException");
  cr_assert(st->exception);
  cr_assert_eq(st->error_status, 429);
  cr_assert_eq(orch_aws_shape_member(st, "retryAfterSeconds")->location, ORCH_AWS_LOC_HEADER);
  cr_assert_eq(orch_aws_model_error_shape(orch_aws_model_service("sns"), "NotFound"),
               orch_aws_model_shape(orch_aws_model_service("sns"), "NotFoundException"), "by error.code");
}

Test(model, paginators) {
  struct orch_aws_paginator p;
  cr_assert(orch_aws_operation_paginator(orch_aws_model_operation(orch_aws_model_service("drs"), "DescribeJobs"), &p));
  cr_assert_str_eq(p.input_tokens[0], "nextToken");
  cr_assert_null(p.input_tokens[1]);
  cr_assert_str_eq(p.output_tokens[0], "nextToken");
  cr_assert_str_eq(p.result_keys[0], "items");
  cr_assert_str_eq(p.limit_key, "maxResults");
  cr_assert(orch_aws_operation_paginator(orch_aws_model_operation(orch_aws_model_service("dynamodb"), "Query"), &p));
  cr_assert_str_eq(p.input_tokens[0], "ExclusiveStartKey");
  cr_assert_str_eq(p.result_keys[0], "Items");
  cr_assert_str_eq(p.result_keys[1], "Count");
  cr_assert_not(orch_aws_operation_paginator(orch_aws_model_operation(orch_aws_model_service("drs"), "StartRecovery"), &p));
}

static int load(const char *text, struct orch_aws_service **svc, struct orch_error *err) {
  json_t *j = json_loads(text, 0, NULL);
  cr_assert_not_null(j);
  memset(err, 0, sizeof *err);
  int rc = orch_aws_model_load(j, svc, err);
  json_decref(j);
  return rc;
}

Test(model, load_from_json) {
  struct orch_aws_service *svc = NULL;
  struct orch_error err;
  cr_assert_eq(load("{\"metadata\":{\"protocol\":\"rest-json\",\"serviceId\":\"Demo Thing\"},"
                    "\"operations\":{\"Get\":{\"http\":{\"method\":\"GET\",\"requestUri\":\"/things/{id}\"},"
                    "\"input\":{\"shape\":\"In\"}}},\"shapes\":{\"In\":{\"type\":\"structure\",\"required\":[\"id\"],"
                    "\"members\":{\"id\":{\"shape\":\"S\",\"location\":\"uri\",\"locationName\":\"id\"}}},"
                    "\"S\":{\"type\":\"string\"}}}",
                    &svc, &err),
               0, "%s", err.message);
  cr_assert_str_eq(orch_aws_service_name(svc), "demo-thing");
  cr_assert_not_null(orch_aws_model_operation(svc, "Get"));
  orch_aws_model_free(svc);
  cr_assert_eq(load("{\"metadata\":{\"protocol\":\"smithy-rpc-v2-cbor\"},\"shapes\":{}}", &svc, &err), ORCH_EUNSUPPORTED);
  cr_assert(strstr(err.message, "smithy-rpc-v2-cbor"), "%s", err.message);
  cr_assert_eq(load("{\"metadata\":{\"protocol\":\"json\"},\"shapes\":{\"A\":{\"type\":\"list\",\"member\":"
                    "{\"shape\":\"Nope\"}}}}",
                    &svc, &err),
               ORCH_EPARSE);
  cr_assert_str_eq(err.context, "A.member");
  cr_assert_eq(load("{\"metadata\":{\"protocol\":\"rest-json\"},\"operations\":{\"Get\":{\"http\":{\"requestUri\":"
                    "\"/x/{missing}\"}}},\"shapes\":{}}",
                    &svc, &err),
               ORCH_EPARSE);
  cr_assert(strstr(err.message, "missing"), "%s", err.message);
  cr_assert_eq(load("{\"operations\":{}}", &svc, &err), ORCH_EPARSE);
  orch_aws_model_free(NULL);
}

static void *lookup(void *arg) {
  (void)arg;
  return (void *)(uintptr_t)orch_aws_model_service("drs");
}

Test(model, loads_once_across_threads) {
  pthread_t t[4];
  void *r[4];
  for (int i = 0; i < 4; i++) cr_assert_eq(pthread_create(&t[i], NULL, lookup, NULL), 0);
  for (int i = 0; i < 4; i++) cr_assert_eq(pthread_join(t[i], &r[i]), 0);
  for (int i = 1; i < 4; i++) cr_assert_eq(r[i], r[0]);
  cr_assert_not_null(r[0]);
}
