/* Allocation-failure loops over orch_aws_proto: fail the Nth allocation (jansson routed through
 * orch_alloc) of a request build, a JSON and an XML response parse, a server request parse and an error
 * build; each must end in a clean error (ORCH_ENOMEM, or the server's InternalFailure) and leak nothing
 * (ASan's leak check runs at exit). */
#include <criterion/criterion.h>
#include <string.h>

#include "aws/orch_aws_model.h"
#include "aws/orch_aws_proto.h"
#include "core/orch_alloc.h"
#include "core/orch_json.h"

static void setup(void) {
  orch_json_init();
  cr_assert_not_null(orch_aws_model_service("drs")); /* the embedded models load before the loops */
}

TestSuite(proto_alloc, .init = setup);

typedef int (*step_fn)(void);

static void loop(const char *what, step_fn fn) {
  int ok = -1;
  for (long n = 0; n < 5000 && ok != 0; n++) {
    orch_alloc_fail_after(n);
    int rc = fn();
    orch_alloc_fail_after(-1);
    cr_assert(rc == 0 || rc == ORCH_ENOMEM, "%s: allocation %ld failed into rc %d (%s), not a clean ENOMEM", what, n,
              rc, orch_error_name(rc));
    ok = rc;
  }
  cr_assert_eq(ok, 0, "%s never succeeded", what);
}

static int build_start_recovery(void) {
  const struct orch_aws_operation *op = orch_aws_model_operation(orch_aws_model_service("drs"), "StartRecovery");
  json_t *in = json_loads("{\"sourceServers\":[{\"sourceServerID\":\"s-1111111111111111a\"}],\"tags\":{\"a\":\"b\"}}", 0,
                          NULL);
  if (!in) return ORCH_ENOMEM;
  struct orch_http_request req = {0};
  struct orch_error err = {0};
  int rc = orch_aws_proto_build_request(op, in, &req, &err);
  orch_http_request_free(&req);
  json_decref(in);
  return rc;
}

static int parse_response(const char *svc, const char *opname, int status, const char *body) {
  const struct orch_aws_operation *op = orch_aws_model_operation(orch_aws_model_service(svc), opname);
  struct orch_http_response resp = {.status = status};
  int rc = orch_buf_puts(&resp.body, body);
  json_t *out = NULL;
  struct orch_aws_error aerr;
  struct orch_error err = {0};
  if (!rc) rc = orch_aws_proto_parse_response(op, &resp, &out, &aerr, &err);
  if (rc == ORCH_EAWS) rc = strcmp(aerr.code, "Throttling") ? ORCH_ENOMEM : 0;
  json_decref(out);
  orch_http_response_free(&resp);
  return rc;
}

static int parse_describe_jobs(void) {
  return parse_response("drs", "DescribeJobs", 200,
                        "{\"items\":[{\"jobID\":\"drsjob-1a2b3c4d5e6f7a8b9\",\"status\":\"STARTED\",\"participatingServers\":"
                        "[{\"sourceServerID\":\"s-1\"}],\"tags\":{\"k\":\"v\"},\"creationDateTime\":\"x\",\"new\":[1,{\"a\":true}]}]}");
}

static int parse_assume_role(void) {
  return parse_response("sts", "AssumeRole", 200,
                        "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>A</AccessKeyId><Expiration>"
                        "2024-03-01T11:00:00Z</Expiration></Credentials><PackedPolicySize>6</PackedPolicySize>"
                        "</AssumeRoleResult></AssumeRoleResponse>");
}

static int parse_query_error(void) {
  return parse_response("sns", "Publish", 400,
                        "<ErrorResponse><Error><Code>Throttling</Code><Message>slow</Message></Error></ErrorResponse>");
}

static int server_parse(void) {
  struct orch_http_request req = {0};
  snprintf(req.method, sizeof req.method, "POST");
  int rc = orch_http_request_set_target(&req, "/", "");
  if (!rc) rc = orch_buf_puts(&req.body, "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr"
                                         "&RoleSessionName=orch&Tags.member.1.Key=a&Tags.member.1.Value=b");
  const struct orch_aws_operation *op = NULL;
  json_t *in = NULL;
  struct orch_aws_error aerr;
  if (!rc) rc = orch_aws_proto_parse_request(orch_aws_model_service("sts"), &req, &op, &in, &aerr);
  if (rc == ORCH_EAWS) rc = strcmp(aerr.code, "InternalFailure") ? rc : ORCH_ENOMEM;
  json_decref(in);
  orch_http_request_free(&req);
  return rc;
}

static int build_errors(void) {
  struct orch_aws_error a = {.retry_after_ms = -1};
  snprintf(a.code, sizeof a.code, "ThrottlingException");
  snprintf(a.message, sizeof a.message, "slow down");
  int rc = 0;
  const char *svcs[] = {"drs", "sts", "ec2", "ssm"};
  for (size_t i = 0; i < 4 && !rc; i++) {
    struct orch_http_response resp = {0};
    struct orch_error err = {0};
    rc = orch_aws_proto_build_error(orch_aws_model_service(svcs[i]), &a, &resp, &err);
    orch_http_response_free(&resp);
  }
  return rc;
}

Test(proto_alloc, build_request) { loop("build StartRecovery", build_start_recovery); }
Test(proto_alloc, parse_json_response) { loop("parse DescribeJobs", parse_describe_jobs); }
Test(proto_alloc, parse_xml_response) { loop("parse AssumeRole", parse_assume_role); }
Test(proto_alloc, parse_xml_error) { loop("parse an SNS error", parse_query_error); }
Test(proto_alloc, server_parse_request) { loop("server AssumeRole", server_parse); }
Test(proto_alloc, build_error) { loop("build errors", build_errors); }
