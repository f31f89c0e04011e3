/* The simulator's front: SigV4 verification with each protocol's auth errors (bad signature, unknown
 * key, skew past 15 minutes), malformed bodies, faults (throttling, errors), STS AssumeRole across
 * accounts with the temporary keys accepted afterwards, SNS capture, Service Quotas, several accounts
 * and regions. Uses orch_sim. */
#include "sim_test.h"

static const char *TWO_ACCOUNTS =
    "{\"accounts\": ["
    " {\"id\": \"111122223333\", \"access_keys\": [{\"id\": \"AKIAAAAAAAAAAAAAAAAA\", \"secret\": \"secret-a\"}]},"
    " {\"id\": \"444455556666\", \"access_keys\": [{\"id\": \"AKIABBBBBBBBBBBBBBBB\", \"secret\": \"secret-b\"}],"
    "  \"roles\": [{\"name\": \"DRSOrchestratorRole\", \"external_id\": \"xyz\"}]}],"
    " \"regions\": ["
    " {\"account\": \"111122223333\", \"region\": \"us-east-1\", \"server_groups\": [{\"count\": 3, \"hostname\": \"a{n}\"}]},"
    " {\"account\": \"444455556666\", \"region\": \"us-west-2\", \"server_groups\": [{\"count\": 5, \"hostname\": \"b{n}\"}],"
    "  \"topics\": [\"dr-events\"]}]}";

static const struct sim_creds A = {"AKIAAAAAAAAAAAAAAAAA", "secret-a", NULL, "us-east-1"};
static const struct sim_creds B_WEST = {"AKIABBBBBBBBBBBBBBBB", "secret-b", NULL, "us-west-2"};

static void expect_auth(struct orch_sim *sim, const struct sim_creds *c, const char *service, const char *op,
                        int64_t skew, int status, const char *code) {
  json_t *out = NULL;
  json_t *in = strcmp(op, "Publish") == 0 ? json_pack("{s:s, s:s}", "TopicArn", "arn:aws:sns:us-east-1:111122223333:t",
                                                      "Message", "m")
                                          : NULL;
  int got = sim_call_as(sim, c, service, op, in, &out, skew);
  json_decref(in);
  cr_expect_eq(got, status, "%s:%s status %d", service, op, got);
  cr_expect_str_eq(jstr(out, "code"), code, "%s:%s", service, op);
  json_decref(out);
}

Test(sim_front, auth_errors_per_protocol) {
  struct orch_sim *sim = sim_open(NULL, TWO_ACCOUNTS, 1);
  struct sim_creds wrong = A, unknown = {"AKIAZZZZZZZZZZZZZZZZ", "x", NULL, "us-east-1"};
  wrong.secret = "not-the-secret";
  expect_auth(sim, &wrong, "drs", "DescribeJobs", 0, 403, "InvalidSignatureException");
  expect_auth(sim, &unknown, "drs", "DescribeJobs", 0, 403, "UnrecognizedClientException");
  expect_auth(sim, &A, "drs", "DescribeJobs", -16 * 60 * 1000, 403, "InvalidSignatureException");
  expect_auth(sim, &wrong, "ssm", "DescribeInstanceInformation", 0, 403, "InvalidSignatureException");
  expect_auth(sim, &unknown, "sts", "GetCallerIdentity", 0, 403, "InvalidClientTokenId");
  expect_auth(sim, &wrong, "sts", "GetCallerIdentity", 0, 403, "SignatureDoesNotMatch");
  expect_auth(sim, &wrong, "sns", "Publish", 0, 403, "SignatureDoesNotMatch");
  expect_auth(sim, &unknown, "ec2", "DescribeInstances", 0, 401, "AuthFailure");
  expect_auth(sim, &A, "ec2", "DescribeInstances", 20 * 60 * 1000, 400, "RequestExpired");
  /* within the skew window is fine */
  json_t *out = NULL;
  cr_assert_eq(sim_call_as(sim, &A, "drs", "DescribeJobs", NULL, &out, -10 * 60 * 1000), 200);
  json_decref(out);
  orch_sim_stop(sim);
}

Test(sim_front, unsigned_and_malformed_requests) {
  struct orch_sim *sim = sim_open(NULL, NULL, 1);
  struct orch_http_request req = {0};
  struct orch_http_response resp = {0};
  snprintf(req.method, sizeof req.method, "POST");
  cr_assert_eq(orch_http_request_set_target(&req, "/DescribeJobs", ""), 0);
  cr_assert_eq(orch_http_headers_set(&req.headers, "Host", "127.0.0.1"), 0);
  cr_assert_eq(orch_buf_puts(&req.body, "{}"), 0);
  cr_assert_eq(orch_sim_handle(sim, &req, &resp), 0);
  cr_assert_eq(resp.status, 403);
  cr_assert_str_eq(orch_http_headers_get(&resp.headers, "X-Amzn-ErrorType"), "MissingAuthenticationTokenException");
  orch_http_request_free(&req);
  orch_http_response_free(&resp);

  /* A signed request whose body is not JSON: the protocol's serialization error. */
  memset(&req, 0, sizeof req);
  memset(&resp, 0, sizeof resp);
  snprintf(req.method, sizeof req.method, "POST");
  cr_assert_eq(orch_http_request_set_target(&req, "/DescribeJobs", ""), 0);
  cr_assert_eq(orch_http_headers_set(&req.headers, "Host", "127.0.0.1"), 0);
  cr_assert_eq(orch_http_headers_set(&req.headers, "Content-Type", "application/json"), 0);
  cr_assert_eq(orch_buf_puts(&req.body, "{not json"), 0);
  struct orch_error err = {0};
  struct orch_sigv4_params p = {.access_key_id = ORCH_SIM_ACCESS_KEY_ID, .secret_access_key = ORCH_SIM_SECRET_ACCESS_KEY,
                                .region = "us-east-1", .service = "drs", .time_ms = orch_clock_now_ms(orch_clock_real())};
  cr_assert_eq(orch_sigv4_sign(&req, &p, NULL, &err), 0, "%s", err.message);
  cr_assert_eq(orch_sim_handle(sim, &req, &resp), 0);
  cr_assert_eq(resp.status / 100, 4, "status %d", resp.status);
  const char *et = orch_http_headers_get(&resp.headers, "X-Amzn-ErrorType");
  cr_assert(et && (strstr(et, "Serialization") || strstr(et, "Validation")), "error type %s", et ? et : "(none)");
  orch_http_request_free(&req);
  orch_http_response_free(&resp);
  orch_sim_stop(sim);
}

Test(sim_front, accounts_and_regions_are_separate) {
  struct orch_sim *sim = sim_open(NULL, TWO_ACCOUNTS, 1);
  json_t *out = NULL;
  cr_assert_eq(sim_call_as(sim, &A, "drs", "DescribeSourceServers", NULL, &out, 0), 200);
  cr_assert_eq(json_array_size(json_object_get(out, "items")), 3);
  json_decref(out);
  cr_assert_eq(sim_call_as(sim, &B_WEST, "drs", "DescribeSourceServers", NULL, &out, 0), 200);
  cr_assert_eq(json_array_size(json_object_get(out, "items")), 5);
  cr_assert(strstr(jstr(out, "items.0.arn"), ":us-west-2:444455556666:") != NULL);
  json_decref(out);
  struct sim_creds b_east = B_WEST;
  b_east.region = "us-east-1";
  cr_assert_eq(sim_call_as(sim, &b_east, "drs", "DescribeSourceServers", NULL, &out, 0), 200);
  cr_assert_eq(json_array_size(json_object_get(out, "items")), 0);
  json_decref(out);
  cr_assert_eq(sim_call_as(sim, &B_WEST, "sts", "GetCallerIdentity", NULL, &out, 0), 200);
  cr_assert_str_eq(jstr(out, "Account"), "444455556666");
  json_decref(out);
  orch_sim_stop(sim);
}

Test(sim_front, assume_role_cross_account) {
  struct orch_sim *sim = sim_open(NULL, TWO_ACCOUNTS, 1);
  json_t *out = NULL;
  json_t *in = json_pack("{s:s, s:s, s:s}", "RoleArn", "arn:aws:iam::444455556666:role/DRSOrchestratorRole",
                         "RoleSessionName", "drsorch", "ExternalId", "xyz");
  cr_assert_eq(sim_call_as(sim, &A, "sts", "AssumeRole", in, &out, 0), 200);
  json_decref(in);
  char *akid = strdup(jstr(out, "Credentials.AccessKeyId")), *secret = strdup(jstr(out, "Credentials.SecretAccessKey"));
  char *token = strdup(jstr(out, "Credentials.SessionToken"));
  struct sim_creds tmp = {akid, secret, token, "us-west-2"};
  cr_assert(strncmp(tmp.akid, "ASIA", 4) == 0);
  cr_assert_str_eq(jstr(out, "AssumedRoleUser.Arn"), "arn:aws:sts::444455556666:assumed-role/DRSOrchestratorRole/drsorch");
  json_decref(out);
  cr_assert_eq(sim_call_as(sim, &tmp, "sts", "GetCallerIdentity", NULL, &out, 0), 200);
  cr_assert_str_eq(jstr(out, "Account"), "444455556666");
  json_decref(out);
  cr_assert_eq(sim_call_as(sim, &tmp, "drs", "DescribeSourceServers", NULL, &out, 0), 200);
  cr_assert_eq(json_array_size(json_object_get(out, "items")), 5);
  json_decref(out);
  /* without the session token the temporary key is refused */
  struct sim_creds notoken = tmp;
  notoken.token = NULL;
  cr_assert_eq(sim_call_as(sim, &notoken, "drs", "DescribeJobs", NULL, &out, 0), 403);
  json_decref(out);
  /* wrong external id, unknown account */
  in = json_pack("{s:s, s:s, s:s}", "RoleArn", "arn:aws:iam::444455556666:role/DRSOrchestratorRole", "RoleSessionName",
                 "xx", "ExternalId", "nope");
  cr_assert_eq(sim_call_as(sim, &A, "sts", "AssumeRole", in, &out, 0), 403);
  cr_assert_str_eq(jstr(out, "code"), "AccessDenied");
  json_decref(out);
  json_decref(in);
  free(akid);
  free(secret);
  free(token);
  orch_sim_stop(sim);
}

Test(sim_front, throttling_and_errors_faults) {
  struct orch_sim *sim = sim_open(NULL, NULL, 1);
  json_t *f = json_pack("{s:{s:f}, s:{s:f}}", "throttling", "drs:DescribeJobs", 1.0, "errors", "ssm:*", 1.0);
  struct orch_error err = {0};
  cr_assert_eq(orch_sim_set_faults(sim, f, &err), 0, "%s", err.message);
  json_decref(f);
  json_t *e = sim_err(sim, "drs", "DescribeJobs", NULL, 429, "ThrottlingException");
  json_decref(e);
  json_decref(sim_err(sim, "ssm", "DescribeInstanceInformation", NULL, 500, "InternalServerError"));
  json_decref(sim_ok(sim, "drs", "DescribeSourceServers", NULL));
  f = json_pack("{s:{s:f}}", "throttling", "drs:DescribeJobs", 0.0);
  cr_assert_eq(orch_sim_set_faults(sim, f, &err), 0);
  json_decref(f);
  json_decref(sim_ok(sim, "drs", "DescribeJobs", NULL));
  json_t *calls = orch_sim_calls(sim);
  cr_assert_eq(json_integer_value(jget(calls, "operations.drs:DescribeJobs.calls")), 2);
  cr_assert_eq(json_integer_value(jget(calls, "operations.drs:DescribeJobs.throttled")), 1);
  cr_assert_eq(json_integer_value(jget(calls, "operations.ssm:DescribeInstanceInformation.errors")), 1);
  json_decref(calls);
  orch_sim_stop(sim);
}

Test(sim_front, sns_and_service_quotas) {
  struct orch_sim *sim = sim_open(NULL, TWO_ACCOUNTS, 1);
  json_t *out = NULL;
  json_t *in = json_pack("{s:s, s:s, s:s}", "TopicArn", "arn:aws:sns:us-west-2:444455556666:dr-events", "Message",
                         "wave db completed", "Subject", "drill");
  cr_assert_eq(sim_call_as(sim, &B_WEST, "sns", "Publish", in, &out, 0), 200);
  cr_assert_eq(strlen(jstr(out, "MessageId")), 36);
  json_decref(out);
  json_decref(in);
  in = json_pack("{s:s, s:s}", "TopicArn", "arn:aws:sns:us-west-2:444455556666:other", "Message", "x");
  cr_assert_eq(sim_call_as(sim, &B_WEST, "sns", "Publish", in, &out, 0), 404);
  cr_assert_str_eq(jstr(out, "code"), "NotFound");
  json_decref(out);
  json_decref(in);
  int status = 0;
  cr_assert_eq(orch_sim_admin(sim, "GET", "/_sim/sns", NULL, NULL, 0, &status, &out), 0);
  cr_assert_eq(status, 200);
  cr_assert_eq(json_array_size(json_object_get(out, "messages")), 1);
  cr_assert_str_eq(jstr(out, "messages.0.Message"), "wave db completed");
  json_decref(out);

  in = json_pack("{s:s}", "ServiceCode", "drs");
  cr_assert_eq(sim_call_as(sim, &A, "service-quotas", "ListServiceQuotas", in, &out, 0), 200);
  /* AWS's own codes and names for service code drs, with AWS's default values. */
  static const struct {
    const char *code, *name;
    double value;
  } want[] = {{"L-DD6D028C", "Max concurrent Jobs per source server", 1},
              {"L-D88FAC3A", "Concurrent jobs in progress", 20},
              {"L-C1D14A2B", "Max Total replicating source servers Per AWS Account", 300},
              {"L-05AFA8C6", "Max source servers in all Jobs", 500},
              {"L-E28BE5E0", "Max Total source servers Per AWS Account", 4000},
              {"L-B827C881", "Max source servers in a single Job", 100}};
  cr_assert_eq(json_array_size(json_object_get(out, "Quotas")), 6);
  for (size_t k = 0; k < 6; k++) {
    const json_t *q = json_array_get(json_object_get(out, "Quotas"), k);
    cr_assert_str_eq(jstr(q, "QuotaCode"), want[k].code);
    cr_assert_str_eq(jstr(q, "QuotaName"), want[k].name);
    cr_assert_float_eq(json_number_value(json_object_get(q, "Value")), want[k].value, 1e-9, "%s", want[k].code);
    cr_assert_str_eq(jstr(q, "ServiceCode"), "drs");
  }
  json_decref(out);
  json_decref(in);
  in = json_pack("{s:s, s:s}", "ServiceCode", "drs", "QuotaCode", "L-D88FAC3A");
  cr_assert_eq(sim_call_as(sim, &A, "service-quotas", "GetServiceQuota", in, &out, 0), 200);
  cr_assert_float_eq(json_number_value(jget(out, "Quota.Value")), 20.0, 1e-9);
  json_decref(out);
  json_decref(in);
  in = json_pack("{s:s, s:s}", "ServiceCode", "drs", "QuotaCode", "L-NOPE");
  cr_assert_eq(sim_call_as(sim, &A, "service-quotas", "GetServiceQuota", in, &out, 0), 400);
  cr_assert_str_eq(jstr(out, "code"), "NoSuchResourceException");
  json_decref(out);
  json_decref(in);
  orch_sim_stop(sim);
}
