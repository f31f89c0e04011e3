/* Tests for orch_aws_client with a fake transport (an ops table replaying scripted responses and
 * recording requests) on a virtual clock: model lookup with suggestions, validation, endpoints and
 * Host, SigV4 (checked with the verifier), retries and backoff, throttling and Retry-After, the
 * structured errors (HTML from a proxy, truncated JSON and XML, size cap, reset, expired credentials,
 * clock skew), pagination, unsigned operations, counters. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/orch_aws_client.h"
#include "aws/orch_sigv4.h"
#include "core/orch_alloc.h"
#include "core/orch_json.h"
#include "core/orch_time.h"

#define MAX_SCRIPT 16

struct scripted {
  int transport_rc; /* non-zero: the transport fails with this */
  int status;
  const char *headers[6]; /* "Name: value" */
  const char *body;
};

struct recorded {
  char endpoint[256];
  char method[8];
  char path[256];
  char query[512];
  struct orch_http_headers headers;
  char body[4096];
};

struct fake {
  struct scripted script[MAX_SCRIPT];
  size_t n, next;
  struct recorded req[MAX_SCRIPT];
  size_t nreq;
};

static int fake_send(void *ctx, const char *endpoint, const struct orch_http_request *req,
                     struct orch_http_response *resp, struct orch_error *err) {
  struct fake *f = ctx;
  cr_assert_lt(f->next, f->n, "more requests than scripted responses");
  struct recorded *r = &f->req[f->nreq++];
  snprintf(r->endpoint, sizeof r->endpoint, "%s", endpoint);
  snprintf(r->method, sizeof r->method, "%s", req->method);
  snprintf(r->path, sizeof r->path, "%s", req->path);
  snprintf(r->query, sizeof r->query, "%s", req->query ? req->query : "");
  snprintf(r->body, sizeof r->body, "%.*s", (int)req->body.len, req->body.data ? req->body.data : "");
  for (size_t i = 0; i < req->headers.n; i++)
    cr_assert_eq(orch_http_headers_add(&r->headers, req->headers.items[i].name, req->headers.items[i].value), 0);
  const struct scripted *s = &f->script[f->next++];
  orch_http_headers_free(&resp->headers);
  orch_buf_reset(&resp->body);
  if (s->transport_rc) {
    const char *what = s->transport_rc == ORCH_ECONN      ? "connection reset mid-response after 10 body bytes"
                       : s->transport_rc == ORCH_ETOOBIG ? "response is larger than the 1024-byte response size cap"
                                                         : "timed out";
    return orch_error_set(err, s->transport_rc, "%s", what);
  }
  resp->status = s->status;
  for (size_t i = 0; i < 6 && s->headers[i]; i++) {
    const char *colon = strchr(s->headers[i], ':');
    char name[128];
    snprintf(name, sizeof name, "%.*s", (int)(colon - s->headers[i]), s->headers[i]);
    cr_assert_eq(orch_http_headers_add(&resp->headers, name, colon + 2), 0);
  }
  if (s->body) cr_assert_eq(orch_buf_puts(&resp->body, s->body), 0);
  return 0;
}

static void fake_destroy(void *ctx) {
  struct fake *f = ctx;
  for (size_t i = 0; i < f->nreq; i++) orch_http_headers_free(&f->req[i].headers);
}

static const struct orch_http_transport_ops fake_ops = {.send = fake_send, .destroy = fake_destroy};

/* ---- fixture: a client on a virtual clock whose sleeps advance it ---- */

#define T0 1764460800000LL /* 2025-11-30T00:00:00Z */

static struct fake fk;
static struct orch_http_transport tr = {&fake_ops, &fk};
static struct orch_vclock *vc;
static struct orch_aws_creds *creds;
static struct orch_aws_client *client;
static int64_t slept_ms[32];
static size_t nslept;
static double jitter = 0.5;

static void vsleep(void *ctx, int64_t ms) {
  (void)ctx;
  if (nslept < 32) slept_ms[nslept++] = ms;
  orch_vclock_advance(vc, ms);
}

static double fixed_jitter(void *ctx) { return *(double *)ctx; }

static void make_client(const char *endpoint_url) {
  struct orch_error err = {0};
  struct orch_aws_client_config cfg = {.region = "us-east-1", .creds = creds, .endpoint_url = endpoint_url,
                                       .transport = &tr, .clock = orch_vclock_clock(vc), .sleep_ms = vsleep,
                                       .retry = {.rand01 = fixed_jitter, .rand_ctx = &jitter}};
  cr_assert_eq(orch_aws_client_new(&cfg, &client, &err), 0, "%s", err.message);
}

static void setup(void) {
  orch_json_init();
  memset(&fk, 0, sizeof fk);
  nslept = 0;
  cr_assert_eq(orch_vclock_new(T0, 0, &vc), 0);
  cr_assert_eq(orch_aws_creds_static("AKIDCLIENT", "client/secret", "SESSIONTOKEN", &creds), 0);
  make_client(NULL);
  unsetenv("AWS_ENDPOINT_URL");
  unsetenv("AWS_ENDPOINT_URL_DRS");
}

static void teardown(void) {
  orch_aws_client_free(client);
  orch_aws_creds_free(creds);
  orch_vclock_free(vc);
  fake_destroy(&fk);
}

TestSuite(aws_client, .init = setup, .fini = teardown);

static void script(struct scripted s) {
  cr_assert_lt(fk.n, MAX_SCRIPT);
  fk.script[fk.n++] = s;
}

#define JSON_CT "Content-Type: application/json"

static int call(const char *service, const char *op, const char *input_json, json_t **out, struct orch_aws_error *aerr,
                struct orch_error *err) {
  json_t *in = input_json ? json_loads(input_json, 0, NULL) : NULL;
  if (input_json) cr_assert(in, "bad test JSON %s", input_json);
  int rc = orch_aws_call(client, service, op, in, out, aerr, err);
  json_decref(in);
  return rc;
}

/* The success most tests end on: an empty page of jobs. */
static const struct scripted ok_empty = {.status = 200, .headers = {JSON_CT}, .body = "{\"items\":[]}"};

/* DescribeJobs without input, which must succeed (its output is dropped). */
static void describe_jobs_ok(void) {
  json_t *out = NULL;
  struct orch_error err = {0};
  cr_assert_eq(call("drs", "DescribeJobs", NULL, &out, NULL, &err), 0, "%s", err.message);
  json_decref(out);
}

/* DescribeJobs without input, which must fail: returns its status, with no output left behind. */
static int describe_jobs_fails(struct orch_aws_error *aerr, struct orch_error *err) {
  json_t *out = NULL;
  int rc = call("drs", "DescribeJobs", NULL, &out, aerr, err);
  cr_expect_null(out);
  json_decref(out);
  return rc;
}

/* Virtual milliseconds a DescribeJobs that succeeds after waiting (Retry-After) takes. */
static int64_t describe_jobs_waited_ms(void) {
  int64_t before = orch_clock_mono_ns(orch_vclock_clock(vc));
  describe_jobs_ok();
  return (orch_clock_mono_ns(orch_vclock_clock(vc)) - before) / 1000000;
}

/* ---- tests ---- */

Test(aws_client, unknown_service_or_operation_suggests_the_nearest) {
  json_t *out = NULL;
  struct orch_aws_error aerr;
  struct orch_error err = {0};
  cr_expect_eq(call("drs", "DescribeJob", "{}", &out, &aerr, &err), ORCH_ENOTFOUND);
  cr_expect(strstr(err.message, "did you mean 'DescribeJobs'"), "%s", err.message);
  cr_expect_str_eq(aerr.code, "UnknownOperationException");
  cr_expect_eq(call("drz", "DescribeJobs", "{}", &out, &aerr, &err), ORCH_ENOTFOUND);
  cr_expect(strstr(err.message, "did you mean 'drs'"), "%s", err.message);
  cr_expect_eq(fk.nreq, 0);
}

Test(aws_client, invalid_input_is_rejected_before_sending) {
  json_t *out = NULL;
  struct orch_aws_error aerr;
  struct orch_error err = {0};
  cr_expect_eq(call("drs", "DescribeJobs", "{\"maxResult\": 5}", &out, &aerr, &err), ORCH_EVALIDATION);
  cr_expect_str_eq(aerr.code, "ValidationError");
  cr_expect(strstr(aerr.message, "maxResults"), "suggests the member: %s", aerr.message);
  cr_expect_eq(fk.nreq, 0);
}

static int keyring(void *ctx, const char *akid, struct orch_buf *secret, struct orch_buf *token) {
  (void)ctx;
  if (strcmp(akid, "AKIDCLIENT") != 0) return ORCH_ENOTFOUND;
  int rc = orch_buf_puts(secret, "client/secret");
  return rc ? rc : orch_buf_puts(token, "SESSIONTOKEN");
}

static void rebuild_request(const struct recorded *r, struct orch_http_request *req) {
  memset(req, 0, sizeof *req);
  snprintf(req->method, sizeof req->method, "%s", r->method);
  cr_assert_eq(orch_http_request_set_target(req, r->path, r->query), 0);
  for (size_t i = 0; i < r->headers.n; i++)
    cr_assert_eq(orch_http_headers_add(&req->headers, r->headers.items[i].name, r->headers.items[i].value), 0);
  cr_assert_eq(orch_buf_puts(&req->body, r->body), 0);
}

Test(aws_client, successful_call_is_built_signed_and_parsed) {
  script((struct scripted){.status = 200, .headers = {JSON_CT, "x-amzn-RequestId: rid-1"},
                           .body = "{\"items\":[{\"jobID\":\"drsjob-1\",\"status\":\"STARTED\",\"futureField\":1}]}"});
  json_t *out = NULL;
  struct orch_aws_error aerr;
  struct orch_error err = {0};
  cr_assert_eq(call("drs", "DescribeJobs", "{\"filters\":{\"jobIDs\":[\"drsjob-0123456789abcdef0\"]}}", &out, &aerr, &err), 0, "%s",
               err.message);
  cr_expect_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(out, "items"), 0), "jobID")),
                   "drsjob-1");
  cr_expect_eq(json_integer_value(json_object_get(json_array_get(json_object_get(out, "items"), 0), "futureField")), 1,
               "unknown members are kept");
  json_decref(out);
  cr_assert_eq(fk.nreq, 1);
  const struct recorded *r = &fk.req[0];
  cr_expect_str_eq(r->endpoint, "https://drs.us-east-1.amazonaws.com");
  cr_expect_str_eq(r->method, "POST");
  cr_expect_str_eq(r->path, "/DescribeJobs");
  cr_expect_str_eq(orch_http_headers_get(&r->headers, "Host"), "drs.us-east-1.amazonaws.com");
  cr_expect_str_eq(orch_http_headers_get(&r->headers, "X-Amz-Security-Token"), "SESSIONTOKEN");
  cr_expect_str_eq(orch_http_headers_get(&r->headers, "X-Amz-Date"), "20251130T000000Z");
  const char *auth = orch_http_headers_get(&r->headers, "Authorization");
  cr_assert(auth);
  cr_expect(strstr(auth, "Credential=AKIDCLIENT/20251130/us-east-1/drs/aws4_request"), "%s", auth);
  /* The signature must satisfy the verifier the simulator uses. */
  struct orch_http_request req;
  rebuild_request(r, &req);
  struct orch_sigv4_verify_params vp = {.lookup = keyring, .now_ms = T0};
  cr_expect_eq(orch_sigv4_verify(&req, &vp, NULL, &err), 0, "%s", err.message);
  orch_http_request_free(&req);
}

Test(aws_client, explicit_endpoint_sets_target_and_host) {
  orch_aws_client_free(client);
  make_client("http://127.0.0.1:4566/");
  script(ok_empty);
  describe_jobs_ok();
  cr_expect_str_eq(fk.req[0].endpoint, "http://127.0.0.1:4566");
  cr_expect_str_eq(orch_http_headers_get(&fk.req[0].headers, "Host"), "127.0.0.1:4566");
}

Test(aws_client, server_errors_are_retried_with_backoff) {
  script((struct scripted){.status = 503, .headers = {JSON_CT, "x-amzn-ErrorType: ServiceUnavailableException"},
                           .body = "{\"message\":\"busy\"}"});
  script((struct scripted){.status = 500, .headers = {JSON_CT}, .body = "{\"message\":\"oops\"}"});
  script(ok_empty);
  describe_jobs_ok();
  cr_expect_eq(fk.nreq, 3);
  cr_assert_eq(nslept, 2);
  cr_expect_eq(slept_ms[0], 500, "0.5 * 2^0 s");
  cr_expect_eq(slept_ms[1], 1000, "0.5 * 2^1 s");
  cr_expect_neq(strcmp(orch_http_headers_get(&fk.req[0].headers, "X-Amz-Date"),
                       orch_http_headers_get(&fk.req[2].headers, "X-Amz-Date")),
                0, "each attempt is signed afresh");
  struct orch_aws_op_stats st[4];
  cr_assert_eq(orch_aws_client_stats(client, st, 4), 1);
  cr_expect_eq(st[0].calls, 1);
  cr_expect_eq(st[0].attempts, 3);
  cr_expect_eq(st[0].retries, 2);
  cr_expect_eq(st[0].errors, 0);
  cr_expect_geq(st[0].latency_ms_total, 1500, "latency includes the backoff");
}

Test(aws_client, throttling_exhausts_attempts_and_slows_the_limiter) {
  for (int i = 0; i < 3; i++)
    script((struct scripted){.status = 400, .headers = {JSON_CT, "x-amzn-ErrorType: ThrottlingException", "x-amzn-RequestId: rid-t"},
                             .body = "{\"message\":\"Rate exceeded\"}"});
  struct orch_aws_error aerr;
  struct orch_error err = {0};
  cr_expect_eq(describe_jobs_fails(&aerr, &err), ORCH_EAWS);
  cr_expect_eq(fk.nreq, 3, "the standard mode makes 3 attempts");
  cr_expect_str_eq(aerr.code, "ThrottlingException");
  cr_expect_str_eq(aerr.message, "Rate exceeded");
  cr_expect_eq(aerr.http_status, 400);
  cr_expect_str_eq(aerr.request_id, "rid-t");
  cr_expect(aerr.throttling && aerr.retryable);
  cr_expect(strstr(err.message, "ThrottlingException") && strstr(err.message, "rid-t"), "%s", err.message);
  struct orch_aws_op_stats st[1];
  orch_aws_client_stats(client, st, 1);
  cr_expect_eq(st[0].throttles, 3);
  cr_expect_eq(st[0].errors, 1);
  json_t *sj = orch_aws_client_stats_json(client);
  cr_expect_eq(json_integer_value(json_object_get(json_object_get(sj, "drs.DescribeJobs"), "throttles")), 3);
  json_decref(sj);
}

Test(aws_client, retry_after_is_honoured) {
  script((struct scripted){.status = 429, .headers = {JSON_CT, "x-amzn-ErrorType: ThrottlingException", "Retry-After: 7"},
                           .body = "{\"message\":\"slow down\"}"});
  script(ok_empty);
  int64_t waited_ms = describe_jobs_waited_ms();
  cr_expect_geq(waited_ms, 7000, "held until Retry-After passed (waited %lld ms)", (long long)waited_ms);
  cr_expect_lt(waited_ms, 8000);
}

Test(aws_client, client_errors_are_not_retried) {
  script((struct scripted){.status = 409, .headers = {JSON_CT, "x-amzn-ErrorType: ConflictException:http://internal.amazon.com/"},
                           .body = "{\"message\":\"server in another job\",\"code\":\"ConflictException\"}"});
  struct orch_aws_error aerr;
  struct orch_error err = {0};
  cr_expect_eq(describe_jobs_fails(&aerr, &err), ORCH_EAWS);
  cr_expect_eq(fk.nreq, 1);
  cr_expect_str_eq(aerr.code, "ConflictException");
  cr_expect_not(aerr.retryable);
  json_t *j = orch_aws_error_to_json(&aerr);
  cr_expect_str_eq(json_string_value(json_object_get(j, "code")), "ConflictException");
  cr_expect_eq(json_integer_value(json_object_get(j, "http_status")), 409);
  cr_expect(json_is_false(json_object_get(j, "retryable")));
  cr_expect_null(json_object_get(j, "retry_after_ms"));
  json_decref(j);
}

Test(aws_client, html_page_from_a_proxy_is_a_non_aws_response) {
  for (int i = 0; i < 3; i++)
    script((struct scripted){.status = 502, .headers = {"Content-Type: text/html"},
                             .body = "<html><body><h1>502 Bad Gateway</h1></body></html>"});
  struct orch_aws_error aerr;
  struct orch_error err = {0};
  cr_expect_eq(describe_jobs_fails(&aerr, &err), ORCH_EPARSE);
  cr_expect_str_eq(aerr.code, "NonAwsResponse");
  cr_expect_eq(aerr.http_status, 502);
  cr_expect(aerr.retryable, "a 502 is retried");
  cr_expect_eq(fk.nreq, 3);
  cr_expect(strstr(aerr.message, "proxy") && strstr(aerr.message, "502 Bad Gateway"), "%s", aerr.message);
}

Test(aws_client, truncated_json_is_malformed_and_not_retried) {
  script((struct scripted){.status = 200, .headers = {JSON_CT}, .body = "{\"items\":[{\"jobID\":\"drs"});
  struct orch_aws_error aerr;
  struct orch_error err = {0};
  cr_expect_eq(describe_jobs_fails(&aerr, &err), ORCH_EPARSE);
  cr_expect_str_eq(aerr.code, "MalformedResponse");
  cr_expect_eq(aerr.http_status, 200);
  cr_expect_not(aerr.retryable);
  cr_expect_eq(fk.nreq, 1);
}

Test(aws_client, truncated_xml_is_malformed) {
  script((struct scripted){.status = 200, .headers = {"Content-Type: text/xml"},
                           .body = "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
                                   "<GetCallerIdentityResult><Arn>arn:aws:iam::1"});
  json_t *out = NULL;
  struct orch_aws_error aerr;
  struct orch_error err = {0};
  cr_expect_eq(call("sts", "GetCallerIdentity", NULL, &out, &aerr, &err), ORCH_EPARSE);
  cr_expect_str_eq(aerr.code, "MalformedResponse");
  cr_expect_str_eq(fk.req[0].endpoint, "https://sts.us-east-1.amazonaws.com", "STS regional endpoint");
}

Test(aws_client, query_protocol_success_and_xml_error) {
  script((struct scripted){.status = 200, .headers = {"Content-Type: text/xml"},
                           .body = "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
                                   "<GetCallerIdentityResult><Arn>arn:aws:iam::111122223333:user/x</Arn>"
                                   "<UserId>AIDA</UserId><Account>111122223333</Account></GetCallerIdentityResult>"
                                   "<ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata>"
                                   "</GetCallerIdentityResponse>"});
  script((struct scripted){.status = 403, .headers = {"Content-Type: text/xml"},
                           .body = "<ErrorResponse><Error><Type>Sender</Type><Code>ExpiredToken</Code>"
                                   "<Message>The security token included in the request is expired</Message></Error>"
                                   "<RequestId>r-2</RequestId></ErrorResponse>"});
  script((struct scripted){.status = 403, .headers = {"Content-Type: text/xml"},
                           .body = "<ErrorResponse><Error><Type>Sender</Type><Code>ExpiredToken</Code>"
                                   "<Message>The security token included in the request is expired</Message></Error>"
                                   "<RequestId>r-3</RequestId></ErrorResponse>"});
  json_t *out = NULL;
  struct orch_aws_error aerr;
  struct orch_error err = {0};
  cr_assert_eq(call("sts", "GetCallerIdentity", NULL, &out, &aerr, &err), 0, "%s", err.message);
  cr_expect_str_eq(json_string_value(json_object_get(out, "Account")), "111122223333");
  json_decref(out);
  cr_expect_str_eq(fk.req[0].method, "POST");
  cr_expect(strstr(fk.req[0].body, "Action=GetCallerIdentity"), "%s", fk.req[0].body);
  cr_expect_eq(call("sts", "GetCallerIdentity", NULL, &out, &aerr, &err), ORCH_ECREDS,
               "still expired after one refresh");
  cr_expect_str_eq(aerr.code, "ExpiredToken");
  cr_expect_str_eq(aerr.request_id, "r-3");
  cr_expect_eq(fk.nreq, 3);
}

/* A source that counts its fetches. */
struct counting {
  int fetches;
};
static int counting_fetch(void *ctx, struct orch_aws_credentials *out, struct orch_error *err) {
  (void)err;
  struct counting *c = ctx;
  c->fetches++;
  snprintf(out->access_key_id, sizeof out->access_key_id, "AKID%d", c->fetches);
  snprintf(out->secret_access_key, sizeof out->secret_access_key, "s");
  return 0;
}
static const struct orch_aws_creds_ops counting_ops = {.name = "counting", .fetch = counting_fetch};

Test(aws_client, expired_token_refreshes_credentials_once) {
  struct counting cnt = {0};
  struct orch_aws_creds *cc = NULL;
  cr_assert_eq(orch_aws_creds_new(&counting_ops, &cnt, orch_vclock_clock(vc), &cc), 0);
  orch_aws_client_free(client);
  struct orch_error err = {0};
  struct orch_aws_client_config cfg = {.region = "us-east-1", .creds = cc, .transport = &tr,
                                       .clock = orch_vclock_clock(vc), .sleep_ms = vsleep};
  cr_assert_eq(orch_aws_client_new(&cfg, &client, &err), 0);
  script((struct scripted){.status = 400, .headers = {JSON_CT, "x-amzn-ErrorType: ExpiredTokenException"},
                           .body = "{\"message\":\"The security token included in the request is expired\"}"});
  script(ok_empty);
  describe_jobs_ok();
  cr_expect_eq(cnt.fetches, 2, "credentials fetched again after ExpiredToken");
  cr_expect(strstr(orch_http_headers_get(&fk.req[1].headers, "Authorization"), "AKID2/"));
  cr_expect_eq(nslept, 0, "no backoff for a credentials refresh");
  orch_aws_client_free(client);
  client = NULL;
  orch_aws_creds_free(cc);
}

Test(aws_client, clock_skew_is_named) {
  script((struct scripted){.status = 403,
                           .headers = {JSON_CT, "x-amzn-ErrorType: InvalidSignatureException", "Date: Sun, 30 Nov 2025 00:20:00 GMT"},
                           .body = "{\"message\":\"Signature expired: 20251130T000000Z is now earlier than 20251130T000500Z "
                                   "(20251130T002000Z - 15 min.)\"}"});
  struct orch_aws_error aerr;
  struct orch_error err = {0};
  cr_expect_eq(describe_jobs_fails(&aerr, &err), ORCH_EAWS);
  cr_expect(strstr(aerr.message, "clock skew") && strstr(aerr.message, "1200 s behind"), "%s", aerr.message);
  cr_expect(strstr(err.message, "clock skew"), "%s", err.message);
}

Test(aws_client, transport_failures_are_structured) {
  for (int i = 0; i < 3; i++) script((struct scripted){.transport_rc = ORCH_ECONN});
  struct orch_aws_error aerr;
  struct orch_error err = {0};
  cr_expect_eq(describe_jobs_fails(&aerr, &err), ORCH_ECONN);
  cr_expect_str_eq(aerr.code, "ConnectionError");
  cr_expect_eq(aerr.http_status, 0);
  cr_expect(aerr.retryable);
  cr_expect_eq(fk.nreq, 3);
  cr_expect(strstr(aerr.message, "reset"), "%s", aerr.message);

  script((struct scripted){.transport_rc = ORCH_ETOOBIG});
  cr_expect_eq(describe_jobs_fails(&aerr, &err), ORCH_ETOOBIG);
  cr_expect_str_eq(aerr.code, "ResponseTooLarge");
  cr_expect_not(aerr.retryable);
  cr_expect(strstr(aerr.message, "1024-byte"), "%s", aerr.message);
  cr_expect_eq(fk.nreq, 4, "not retried");

  script((struct scripted){.transport_rc = ORCH_ETIMEDOUT});
  script((struct scripted){.status = 200, .headers = {JSON_CT}, .body = "{}"});
  describe_jobs_ok();
}

Test(aws_client, paginate_merges_pages) {
  script((struct scripted){.status = 200, .headers = {JSON_CT}, .body = "{\"items\":[{\"jobID\":\"a\"},{\"jobID\":\"b\"}],\"nextToken\":\"t1\"}"});
  script((struct scripted){.status = 200, .headers = {JSON_CT}, .body = "{\"items\":[{\"jobID\":\"c\"}],\"nextToken\":\"t2\"}"});
  script((struct scripted){.status = 200, .headers = {JSON_CT}, .body = "{\"items\":[{\"jobID\":\"d\"}]}"});
  json_t *in = json_pack("{s:i}", "maxResults", 2), *out = NULL;
  struct orch_error err = {0};
  cr_assert_eq(orch_aws_paginate(client, "drs", "DescribeJobs", in, &out, NULL, &err), 0, "%s", err.message);
  json_decref(in);
  json_t *items = json_object_get(out, "items");
  cr_assert_eq(json_array_size(items), 4);
  cr_expect_str_eq(json_string_value(json_object_get(json_array_get(items, 3), "jobID")), "d");
  cr_expect_null(json_object_get(out, "nextToken"));
  json_decref(out);
  cr_expect(strstr(fk.req[1].body, "\"nextToken\":\"t1\"") || strstr(fk.req[1].body, "\"nextToken\": \"t1\""), "%s",
            fk.req[1].body);
  cr_expect(strstr(fk.req[2].body, "t2"), "%s", fk.req[2].body);
  cr_expect(strstr(fk.req[2].body, "maxResults"), "other input members stay");
}

Test(aws_client, paginate_stops_on_a_repeated_token) {
  script((struct scripted){.status = 200, .headers = {JSON_CT}, .body = "{\"items\":[],\"nextToken\":\"same\"}"});
  script((struct scripted){.status = 200, .headers = {JSON_CT}, .body = "{\"items\":[],\"nextToken\":\"same\"}"});
  json_t *out = NULL;
  struct orch_error err = {0};
  cr_expect_eq(orch_aws_paginate(client, "drs", "DescribeJobs", NULL, &out, NULL, &err), ORCH_EAWS);
  cr_expect(strstr(err.message, "same page token"), "%s", err.message);
  cr_expect_null(out);
}

Test(aws_client, paginate_without_a_paginator_is_one_call) {
  script((struct scripted){.status = 200, .headers = {JSON_CT}, .body = "{\"jobs\":[]}"});
  json_t *out = NULL;
  struct orch_error err = {0};
  cr_assert_eq(orch_aws_paginate(client, "drs", "StartRecovery", NULL, &out, NULL, &err), ORCH_EVALIDATION,
               "sourceServers is required");
  script((struct scripted){.status = 200, .headers = {"Content-Type: text/xml"},
                           .body = "<GetCallerIdentityResponse><GetCallerIdentityResult><Account>1</Account>"
                                   "</GetCallerIdentityResult></GetCallerIdentityResponse>"});
  fk.next = 1;
  cr_assert_eq(orch_aws_paginate(client, "sts", "GetCallerIdentity", NULL, &out, NULL, &err), 0, "%s", err.message);
  cr_expect_str_eq(json_string_value(json_object_get(out, "Account")), "1");
  json_decref(out);
}

Test(aws_client, unsigned_operation_carries_no_signature) {
  script((struct scripted){.status = 200, .headers = {"Content-Type: text/xml"},
                           .body = "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>"
                                   "<AccessKeyId>ASIA1</AccessKeyId><SecretAccessKey>s</SecretAccessKey>"
                                   "<SessionToken>t</SessionToken><Expiration>2025-11-30T01:00:00Z</Expiration>"
                                   "</Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>"});
  json_t *out = NULL;
  struct orch_error err = {0};
  cr_assert_eq(call("sts", "AssumeRoleWithWebIdentity",
                    "{\"RoleArn\":\"arn:aws:iam::111122223333:role/r\",\"RoleSessionName\":\"sess\",\"WebIdentityToken\":\"eyJhbGciOi.jwt\"}",
                    &out, NULL, &err),
               0, "%s", err.message);
  cr_expect_str_eq(json_string_value(json_object_get(json_object_get(out, "Credentials"), "AccessKeyId")), "ASIA1");
  json_decref(out);
  cr_expect_null(orch_http_headers_get(&fk.req[0].headers, "Authorization"));
  cr_expect_null(orch_http_headers_get(&fk.req[0].headers, "X-Amz-Security-Token"));
}

Test(aws_client, retry_after_as_an_http_date) {
  script((struct scripted){.status = 503,
                           .headers = {JSON_CT, "x-amzn-ErrorType: ServiceUnavailableException",
                                       "Retry-After: Sun, 30 Nov 2025 00:00:03 GMT"},
                           .body = "{\"message\":\"later\"}"});
  script(ok_empty);
  int64_t waited_ms = describe_jobs_waited_ms();
  cr_expect_geq(waited_ms, 3000, "waited until the date (%lld ms)", (long long)waited_ms);
  cr_expect_lt(waited_ms, 4000);
}

/* Several threads share one client: every call completes and the counters add up. */
static void *call_loop(void *arg) {
  (void)arg;
  for (int i = 0; i < 20; i++) {
    json_t *out = NULL;
    if (orch_aws_call(client, "drs", "DescribeJobs", NULL, &out, NULL, NULL)) return (void *)1;
    json_decref(out);
  }
  return NULL;
}

static int ok_send(void *ctx, const char *endpoint, const struct orch_http_request *req,
                   struct orch_http_response *resp, struct orch_error *err) {
  (void)ctx;
  (void)endpoint;
  (void)err;
  if (!orch_http_headers_get(&req->headers, "Authorization")) return ORCH_EINVAL;
  resp->status = 200;
  orch_http_headers_free(&resp->headers);
  orch_buf_reset(&resp->body);
  if (orch_http_headers_add(&resp->headers, "Content-Type", "application/json")) return ORCH_ENOMEM;
  return orch_buf_puts(&resp->body, "{\"items\":[]}");
}

Test(aws_client, one_client_many_threads) {
  static const struct orch_http_transport_ops ok_ops = {.send = ok_send};
  struct orch_http_transport ok_tr = {&ok_ops, NULL};
  orch_aws_client_free(client);
  struct orch_error err = {0};
  struct orch_aws_client_config cfg = {.region = "us-east-1", .creds = creds, .transport = &ok_tr,
                                       .clock = orch_clock_real(), .no_ratelimit = true};
  cr_assert_eq(orch_aws_client_new(&cfg, &client, &err), 0);
  pthread_t t[4];
  for (int i = 0; i < 4; i++) cr_assert_eq(pthread_create(&t[i], NULL, call_loop, NULL), 0);
  for (int i = 0; i < 4; i++) {
    void *res;
    pthread_join(t[i], &res);
    cr_expect_null(res);
  }
  struct orch_aws_op_stats st[2];
  cr_assert_eq(orch_aws_client_stats(client, st, 2), 1);
  cr_expect_eq(st[0].calls, 80);
  cr_expect_eq(st[0].attempts, 80);
}

/* A transport that delivers a 200 and then runs out of memory storing it, as when memory runs out right
 * after the service acted on a write: every later allocation fails too. */
static int oom_after_answer_send(void *ctx, const char *endpoint, const struct orch_http_request *req,
                                 struct orch_http_response *resp, struct orch_error *err) {
  int *status = ctx;
  (void)endpoint;
  (void)req;
  orch_http_headers_free(&resp->headers);
  orch_buf_reset(&resp->body);
  resp->status = *status;
  orch_alloc_fail_after(0);
  return orch_error_set(err, ORCH_ENOMEM, "out of memory storing the response (HTTP %d)", *status);
}

Test(aws_client, an_acknowledged_write_is_a_success_even_when_its_answer_cannot_be_stored) {
  static const struct orch_http_transport_ops oom_ops = {.send = oom_after_answer_send};
  int status = 200;
  struct orch_http_transport oom_tr = {&oom_ops, &status};
  orch_aws_client_free(client);
  struct orch_error err = {0};
  struct orch_aws_client_config cfg = {.region = "us-east-1", .creds = creds, .transport = &oom_tr,
                                       .clock = orch_vclock_clock(vc), .sleep_ms = vsleep, .no_ratelimit = true};
  cr_assert_eq(orch_aws_client_new(&cfg, &client, &err), 0);
  json_t *put = json_pack("{ss s{s{ss}}}", "TableName", "tbl", "Item", "pk", "S", "a");
  /* the write was acted on: its acknowledgement is all the caller needs */
  int rc = orch_aws_call_ack(client, "dynamodb", "PutItem", put, NULL, &err);
  orch_alloc_fail_after(-1);
  cr_expect_eq(rc, 0, "%s", err.message);
  /* a caller that needs the output cannot have it */
  json_t *out = NULL;
  rc = orch_aws_call(client, "dynamodb", "PutItem", put, &out, NULL, &err);
  orch_alloc_fail_after(-1);
  cr_expect_eq(rc, ORCH_ENOMEM, "%s", err.message);
  cr_expect_null(out);
  /* an error answer that cannot be read is no acknowledgement */
  status = 400;
  rc = orch_aws_call_ack(client, "dynamodb", "PutItem", put, NULL, &err);
  orch_alloc_fail_after(-1);
  cr_expect_eq(rc, ORCH_ENOMEM, "%s", err.message);
  json_decref(put);
}

Test(aws_client, an_acknowledged_write_reports_the_service_error) {
  script((struct scripted){.status = 400,
                           .headers = {JSON_CT},
                           .body = "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException\","
                                   "\"message\":\"The conditional request failed\"}"});
  script((struct scripted){.status = 200, .headers = {JSON_CT}, .body = "{}"});
  json_t *put = json_pack("{ss s{s{ss}}}", "TableName", "tbl", "Item", "pk", "S", "a");
  struct orch_aws_error aerr;
  struct orch_error err = {0};
  cr_expect_eq(orch_aws_call_ack(client, "dynamodb", "PutItem", put, &aerr, &err), ORCH_EAWS);
  cr_expect_str_eq(aerr.code, "ConditionalCheckFailedException");
  cr_expect_eq(orch_aws_call_ack(client, "dynamodb", "PutItem", put, &aerr, &err), 0, "%s", err.message);
  cr_expect_eq(fk.nreq, 2, "no retry of a client error");
  cr_expect_eq(orch_aws_call(client, "dynamodb", "PutItem", put, NULL, NULL, &err), ORCH_EINVAL, "output is required");
  json_decref(put);
}
