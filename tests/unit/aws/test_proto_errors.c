/* orch_aws_proto on the unhappy paths: bodies that are not what the protocol promised (an HTML page from a
 * proxy, truncated JSON or XML, a DTD, a 200 carrying an error), error codes with namespaces, Retry-After,
 * and the AWS-like rejections the simulator's parse_request gives and the exact error documents
 * build_error writes. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "aws/orch_aws_model.h"
#include "aws/orch_aws_proto.h"

static const struct orch_aws_operation *OP(const char *service, const char *name) {
  const struct orch_aws_operation *op = orch_aws_model_operation(orch_aws_model_service(service), name);
  cr_assert_not_null(op, "%s %s", service, name);
  return op;
}

static int parse(const struct orch_aws_operation *op, int status, const char *ctype, const char *body,
                 struct orch_aws_error *aerr, struct orch_error *err) {
  struct orch_http_response resp = {.status = status};
  if (ctype) cr_assert_eq(orch_http_headers_set(&resp.headers, "Content-Type", ctype), 0);
  cr_assert_eq(orch_buf_puts(&resp.body, body), 0);
  json_t *out = NULL;
  int rc = orch_aws_proto_parse_response(op, &resp, &out, aerr, err);
  if (rc) cr_assert_null(out);
  json_decref(out);
  orch_http_response_free(&resp);
  return rc;
}

static const char *html = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";

Test(client_errors, html_from_a_proxy) {
  struct orch_aws_error aerr;
  struct orch_error err = {0};
  const char *ops[][2] = {{"drs", "DescribeJobs"}, {"ssm", "SendCommand"}, {"sts", "GetCallerIdentity"},
                          {"ec2", "DescribeInstances"}};
  for (size_t i = 0; i < 4; i++) {
    memset(&err, 0, sizeof err);
    cr_assert_eq(parse(OP(ops[i][0], ops[i][1]), 200, "text/html", html, &aerr, &err), ORCH_EPARSE, "%s", ops[i][0]);
    cr_assert(strstr(err.message, "HTML page"), "%s: %s", ops[i][0], err.message);
    /* The same page with an error status stays a service error the retry logic can classify. */
    cr_assert_eq(parse(OP(ops[i][0], ops[i][1]), 502, "text/html", html, &aerr, &err), ORCH_EAWS);
    cr_assert_eq(aerr.http_status, 502);
    cr_assert_str_eq(aerr.code, "Http502Error");
  }
}

Test(client_errors, truncated_bodies) {
  struct orch_aws_error aerr;
  struct orch_error err = {0};
  cr_assert_eq(parse(OP("drs", "DescribeJobs"), 200, "application/json", "{\"items\":[{\"jobID\":\"drs", &aerr, &err),
               ORCH_EPARSE);
  cr_assert(strstr(err.message, "malformed JSON"), "%s", err.message);
  cr_assert_eq(parse(OP("ssm", "GetCommandInvocation"), 200, NULL, "{\"Status\":", &aerr, &err), ORCH_EPARSE);
  cr_assert_eq(parse(OP("sts", "GetCallerIdentity"), 200, "text/xml",
                     "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn", &aerr, &err),
               ORCH_EPARSE);
  cr_assert(strstr(err.message, "malformed XML"), "%s", err.message);
  cr_assert(strstr(err.message, "GetCallerIdentity response"), "%s", err.message);
}

Test(client_errors, wrong_types_name_the_member) {
  struct orch_aws_error aerr;
  struct orch_error err = {0};
  cr_assert_eq(parse(OP("drs", "DescribeJobs"), 200, "application/json", "{\"items\":[{\"jobID\":7}]}", &aerr, &err),
               ORCH_EPARSE);
  cr_assert_str_eq(err.context, "items[0].jobID");
  cr_assert_eq(parse(OP("ec2", "DescribeInstances"), 200, "text/xml",
                     "<DescribeInstancesResponse><reservationSet><item><instancesSet><item><amiLaunchIndex>x"
                     "</amiLaunchIndex></item></instancesSet></item></reservationSet></DescribeInstancesResponse>",
                     &aerr, &err),
               ORCH_EPARSE);
  cr_assert_str_eq(err.context, "amiLaunchIndex");
}

Test(client_errors, dtd_refused) {
  struct orch_aws_error aerr;
  struct orch_error err = {0};
  const char *xxe = "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                    "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>&x;</Arn></GetCallerIdentityResult>"
                    "</GetCallerIdentityResponse>";
  cr_assert_eq(parse(OP("sts", "GetCallerIdentity"), 200, "text/xml", xxe, &aerr, &err), ORCH_EPARSE);
  cr_assert(strstr(err.message, "DTD"), "%s", err.message);
}

Test(client_errors, error_inside_a_200) {
  struct orch_aws_error aerr;
  struct orch_error err = {0};
  cr_assert_eq(parse(OP("sns", "Publish"), 200, "text/xml",
                     "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message>"
                     "</Error><RequestId>r-9</RequestId></ErrorResponse>",
                     &aerr, &err),
               ORCH_EAWS);
  cr_assert_str_eq(aerr.code, "Throttling");
  cr_assert_str_eq(aerr.message, "Rate exceeded");
  cr_assert_str_eq(aerr.request_id, "r-9");
  cr_assert_eq(parse(OP("ec2", "StopInstances"), 200, "text/xml",
                     "<Response><Errors><Error><Code>IncorrectInstanceState</Code><Message>no</Message></Error></Errors>"
                     "<RequestID>r-8</RequestID></Response>",
                     &aerr, &err),
               ORCH_EAWS);
  cr_assert_str_eq(aerr.code, "IncorrectInstanceState");
  cr_assert_str_eq(aerr.request_id, "r-8");
}

Test(client_errors, json_error_codes_and_retry_after) {
  struct orch_aws_error aerr;
  struct orch_error err = {0};
  struct orch_http_response resp = {.status = 429};
  cr_assert_eq(orch_http_headers_set(&resp.headers, "X-Amzn-ErrorType",
                                     "ThrottlingException:http://internal.amazon.com/coral/com.amazon.coral.service/"), 0);
  cr_assert_eq(orch_http_headers_set(&resp.headers, "Retry-After", "7"), 0);
  cr_assert_eq(orch_http_headers_set(&resp.headers, "x-amzn-RequestId", "rid-1"), 0);
  cr_assert_eq(orch_buf_puts(&resp.body, "{\"message\":\"Rate exceeded\",\"quotaCode\":\"L-1\"}"), 0);
  json_t *out = NULL;
  cr_assert_eq(orch_aws_proto_parse_response(OP("drs", "DescribeJobs"), &resp, &out, &aerr, &err), ORCH_EAWS);
  cr_assert_str_eq(aerr.code, "ThrottlingException");
  cr_assert_str_eq(aerr.message, "Rate exceeded");
  cr_assert_str_eq(aerr.request_id, "rid-1");
  cr_assert_eq(aerr.retry_after_ms, 7000);
  cr_assert_eq(err.code, ORCH_EAWS);
  json_t *details = NULL;
  cr_assert_eq(orch_aws_proto_parse_error_details(OP("drs", "DescribeJobs"), &resp, &details, &err), 0);
  cr_assert_str_eq(json_string_value(json_object_get(details, "quotaCode")), "L-1");
  cr_assert_str_eq(json_string_value(json_object_get(details, "retryAfterSeconds")), "7");
  json_decref(details);
  orch_http_response_free(&resp);
  cr_assert_eq(parse(OP("dynamodb", "GetItem"), 400, "application/x-amz-json-1.0",
                     "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException\",\"message\":\"gone\"}",
                     &aerr, &err),
               ORCH_EAWS);
  cr_assert_str_eq(aerr.code, "ResourceNotFoundException");
  cr_assert_str_eq(aerr.message, "gone");
}

Test(client_errors, unknown_members_and_enum_values_kept) {
  const struct orch_aws_operation *op = OP("ssm", "GetCommandInvocation");
  struct orch_http_response resp = {.status = 200};
  cr_assert_eq(orch_buf_puts(&resp.body, "{\"Status\":\"QuantumEntangled\",\"BrandNewField\":{\"a\":[1]}}"), 0);
  json_t *out = NULL;
  struct orch_aws_error aerr;
  struct orch_error err = {0};
  cr_assert_eq(orch_aws_proto_parse_response(op, &resp, &out, &aerr, &err), 0, "%s", err.message);
  cr_assert_str_eq(json_string_value(json_object_get(out, "Status")), "QuantumEntangled");
  cr_assert_not_null(json_object_get(out, "BrandNewField"));
  json_decref(out);
  orch_http_response_free(&resp);
}

/* ---- server: rejections ---- */

static int serve(const char *service, const char *method, const char *path, const char *query, const char *target,
                 const char *ctype, const char *body, struct orch_aws_error *aerr) {
  struct orch_http_request req = {0};
  snprintf(req.method, sizeof req.method, "%s", method);
  cr_assert_eq(orch_http_request_set_target(&req, path, query), 0);
  if (target) cr_assert_eq(orch_http_headers_set(&req.headers, "X-Amz-Target", target), 0);
  if (ctype) cr_assert_eq(orch_http_headers_set(&req.headers, "Content-Type", ctype), 0);
  cr_assert_eq(orch_buf_puts(&req.body, body), 0);
  const struct orch_aws_operation *op = NULL;
  json_t *input = NULL;
  int rc = orch_aws_proto_parse_request(orch_aws_model_service(service), &req, &op, &input, aerr);
  if (rc) cr_assert_null(input);
  json_decref(input);
  orch_http_request_free(&req);
  return rc;
}

Test(server_rejects, json_protocol) {
  struct orch_aws_error a;
  const char *ct = "application/x-amz-json-1.1";
  cr_assert_eq(serve("ssm", "POST", "/", "", NULL, ct, "{}", &a), ORCH_EAWS);
  cr_assert_str_eq(a.code, "UnknownOperationException");
  cr_assert_eq(serve("ssm", "POST", "/", "", "AmazonSSM.SendCommandz", ct, "{}", &a), ORCH_EAWS);
  cr_assert_str_eq(a.code, "UnknownOperationException");
  cr_assert_eq(serve("ssm", "POST", "/", "", "AmazonSSM.SendCommand", ct, "{\"DocumentName\":", &a), ORCH_EAWS);
  cr_assert_str_eq(a.code, "SerializationException");
  cr_assert_eq(a.http_status, 400);
  cr_assert_eq(serve("ssm", "POST", "/", "", "AmazonSSM.SendCommand", ct, "{\"DocumentName\":5}", &a), ORCH_EAWS);
  cr_assert_str_eq(a.code, "SerializationException");
  cr_assert(strstr(a.message, "DocumentName"), "%s", a.message);
  cr_assert_eq(serve("ssm", "POST", "/", "", "AmazonSSM.SendCommand", ct, "{\"InstanceIds\":[\"i-1\"]}", &a), ORCH_EAWS);
  cr_assert_str_eq(a.code, "ValidationException");
  cr_assert(strstr(a.message, "DocumentName"), "%s", a.message);
  cr_assert_eq(serve("ssm", "POST", "/", "", "AmazonSSM.SendCommand", ct,
                     "{\"DocumentName\":\"AWS-RunShellScript\",\"SomethingNew\":1}", &a),
               0, "unknown members are ignored, as AWS does");
}

Test(server_rejects, rest_json) {
  struct orch_aws_error a;
  cr_assert_eq(serve("drs", "POST", "/StartRecoveries", "", NULL, "application/json", "{}", &a), ORCH_EAWS);
  cr_assert_str_eq(a.code, "UnknownOperationException");
  cr_assert_eq(a.http_status, 404);
  cr_assert_eq(serve("drs", "POST", "/StartRecovery", "", NULL, "application/json", "{}", &a), ORCH_EAWS);
  cr_assert_str_eq(a.code, "ValidationException");
  cr_assert(strstr(a.message, "sourceServers"), "%s", a.message);
  cr_assert_eq(serve("drs", "POST", "/StartRecovery", "", NULL, "application/json", "[1,", &a), ORCH_EAWS);
  cr_assert_str_eq(a.code, "SerializationException");
  cr_assert_eq(serve("drs", "POST", "/StartRecovery", "", NULL, "application/json",
                     "{\"sourceServers\":[{\"sourceServerID\":\"s-1111111111111111a\"},{\"sourceServerID\":\"bad\"}]}", &a),
               ORCH_EAWS);
  cr_assert_str_eq(a.code, "ValidationException");
  cr_assert(strstr(a.message, "sourceServers[1].sourceServerID"), "%s", a.message);
  /* Routing by method and labels: GET /tags/{resourceArn} is ListTagsForResource, POST is TagResource. */
  cr_assert_eq(serve("drs", "GET", "/tags/arn%3Aaws%3Adrs%3Aus-east-1%3A111122223333%3Ajob%2Fdrsjob-1", "", NULL, NULL,
                     "", &a),
               0, "%s %s", a.code, a.message);
  cr_assert_eq(serve("drs", "DELETE", "/tags/x", "", NULL, NULL, "", &a), ORCH_EAWS, "UntagResource is not embedded");
}

Test(server_rejects, query_and_ec2) {
  struct orch_aws_error a;
  const char *form = "application/x-www-form-urlencoded";
  cr_assert_eq(serve("sts", "POST", "/", "", NULL, form, "Version=2011-06-15", &a), ORCH_EAWS);
  cr_assert_str_eq(a.code, "MissingAction");
  cr_assert_eq(serve("sts", "POST", "/", "", NULL, form, "Action=AssumeRol&Version=2011-06-15", &a), ORCH_EAWS);
  cr_assert_str_eq(a.code, "InvalidAction");
  cr_assert_str_eq(a.message, "Could not find operation AssumeRol for version 2011-06-15");
  cr_assert_eq(serve("sts", "POST", "/", "", NULL, form, "Action=AssumeRole&Version=2011-06-15&RoleSessionName=x", &a),
               ORCH_EAWS);
  cr_assert_str_eq(a.code, "ValidationError");
  cr_assert(strstr(a.message, "RoleArn"), "%s", a.message);
  cr_assert_eq(serve("sts", "GET", "/", "Action=GetCallerIdentity&Version=2011-06-15", NULL, NULL, "", &a), 0,
               "query parameters in the URL work too");
  cr_assert_eq(serve("ec2", "POST", "/", "", NULL, form, "Action=TerminateInstances&Version=2016-11-15", &a), ORCH_EAWS);
  cr_assert_str_eq(a.code, "MissingParameter");
  cr_assert_eq(serve("ec2", "POST", "/", "", NULL, form,
                     "Action=DescribeInstances&Version=2016-11-15&MaxResults=lots", &a),
               ORCH_EAWS);
  cr_assert_str_eq(a.code, "InvalidParameterValue");
}

/* ---- server: the exact error documents ---- */

static char *error_body(const char *service, const char *code, const char *message, int status,
                        struct orch_http_response *resp) {
  struct orch_aws_error a = {.http_status = status, .retry_after_ms = -1};
  snprintf(a.code, sizeof a.code, "%s", code);
  snprintf(a.message, sizeof a.message, "%s", message);
  snprintf(a.request_id, sizeof a.request_id, "rid-7");
  struct orch_error err = {0};
  cr_assert_eq(orch_aws_proto_build_error(orch_aws_model_service(service), &a, resp, &err), 0, "%s", err.message);
  return strndup(orch_buf_cstr(&resp->body), resp->body.len);
}

Test(server_errors, documents) {
  struct orch_http_response r = {0};
  char *b = error_body("sts", "ExpiredTokenException", "token expired", 0, &r);
  cr_assert_eq(r.status, 400);
  cr_assert_str_eq(orch_http_headers_get(&r.headers, "Content-Type"), "text/xml");
  cr_assert_str_eq(orch_http_headers_get(&r.headers, "x-amzn-RequestId"), "rid-7");
  cr_assert_str_eq(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/"
                      "2011-06-15/\"><Error><Type>Sender</Type><Code>ExpiredTokenException</Code><Message>token expired"
                      "</Message></Error><RequestId>rid-7</RequestId></ErrorResponse>\n");
  free(b);
  orch_http_response_free(&r);
  memset(&r, 0, sizeof r);
  b = error_body("ec2", "InvalidInstanceID.NotFound", "The instance ID 'i-1' does not exist", 400, &r);
  cr_assert_str_eq(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>InvalidInstanceID."
                      "NotFound</Code><Message>The instance ID 'i-1' does not exist</Message></Error></Errors><RequestID>"
                      "rid-7</RequestID></Response>\n");
  free(b);
  orch_http_response_free(&r);
  memset(&r, 0, sizeof r);
  b = error_body("dynamodb", "ResourceNotFoundException", "no table", 0, &r);
  cr_assert_eq(r.status, 400);
  cr_assert_str_eq(orch_http_headers_get(&r.headers, "Content-Type"), "application/x-amz-json-1.0");
  cr_assert_str_eq(orch_http_headers_get(&r.headers, "X-Amzn-ErrorType"), "ResourceNotFoundException");
  cr_assert_str_eq(b, "{\"__type\":\"ResourceNotFoundException\",\"message\":\"no table\"}");
  free(b);
  orch_http_response_free(&r);
  memset(&r, 0, sizeof r);
  b = error_body("drs", "ResourceNotFoundException", "no such job", 0, &r);
  cr_assert_eq(r.status, 404, "status from the model's error.httpStatusCode");
  cr_assert_str_eq(orch_http_headers_get(&r.headers, "X-Amzn-ErrorType"), "ResourceNotFoundException");
  cr_assert_str_eq(b, "{\"message\":\"no such job\"}");
  free(b);
  orch_http_response_free(&r);
  memset(&r, 0, sizeof r);
  b = error_body("ssm", "InternalServerError", "boom", 0, &r);
  cr_assert_eq(r.status, 500, "a fault is a 500");
  cr_assert_str_eq(b, "{\"__type\":\"InternalServerError\",\"Message\":\"boom\"}", "SSM's errors model 'Message'");
  free(b);
  orch_http_response_free(&r);
}

/* Modeled members that the envelope already carries are not written twice. */
Test(server_errors, query_details_do_not_repeat_the_message) {
  struct orch_aws_error a = {.retry_after_ms = -1};
  snprintf(a.code, sizeof a.code, "MalformedPolicyDocument");
  snprintf(a.message, sizeof a.message, "bad policy");
  json_t *details = json_pack("{ss}", "message", "bad policy");
  struct orch_http_response r = {0};
  struct orch_error err = {0};
  cr_assert_eq(orch_aws_proto_build_error_ex(orch_aws_model_service("sts"), &a, details, &r, &err), 0, "%s", err.message);
  const char *body = orch_buf_cstr(&r.body);
  const char *first = strstr(body, "<Message>");
  cr_assert_not_null(first);
  cr_assert_null(strstr(first + 1, "<Message>"), "%s", body);
  cr_assert_null(strstr(body, "<message>"), "%s", body);
  cr_assert_eq(r.status, 400, "MalformedPolicyDocument is a 400 in the model");
  json_decref(details);
  orch_http_response_free(&r);
}
