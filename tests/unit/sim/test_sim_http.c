/* The simulator over real HTTP on an ephemeral loopback port: an AWS call through libcurl (a rest-json
 * path carrying an ARN, so the path must reach SigV4 exactly as sent), and the admin API (state, calls,
 * faults, clock, reset, errors). Uses orch_sim, orch_aws_curl, orch_aws_proto, orch_sigv4. */
#include <time.h>

#include "aws/orch_aws_curl.h"
#include "sim_test.h"

static struct orch_sim *open_http(void) {
  char path[1024];
  struct orch_error err = {0};
  struct orch_sim *sim = NULL;
  orch_json_init();
  struct orch_sim_options o = {.scenario_path = scenario_path(path, sizeof path, "three-tier-demo.json"),
                               .listen = "127.0.0.1:0", .speed = 0, .seed = 1, .threads = 2, .start_ms = T0};
  cr_assert_eq(orch_sim_start(&o, &sim, &err), 0, "%s", err.message);
  cr_assert_gt(orch_sim_port(sim), 0);
  return sim;
}

static int http(struct orch_http_transport *t, struct orch_sim *sim, struct orch_http_request *req,
                struct orch_http_response *resp) {
  struct orch_error err = {0};
  char host[64];
  snprintf(host, sizeof host, "127.0.0.1:%d", orch_sim_port(sim));
  cr_assert_eq(orch_http_headers_set(&req->headers, "Host", host), 0);
  int rc = t->ops->send(t->ctx, orch_sim_url(sim), req, resp, &err);
  cr_assert_eq(rc, 0, "send: %s", err.message);
  return resp->status;
}

static json_t *admin(struct orch_http_transport *t, struct orch_sim *sim, const char *method, const char *path,
                     const char *body, int want) {
  struct orch_http_request req = {0};
  struct orch_http_response resp = {0};
  snprintf(req.method, sizeof req.method, "%s", method);
  cr_assert_eq(orch_http_request_set_target(&req, path, ""), 0);
  if (body) cr_assert_eq(orch_buf_puts(&req.body, body), 0);
  int status = http(t, sim, &req, &resp);
  cr_assert_eq(status, want, "%s %s -> %d %s", method, path, status, orch_buf_cstr(&resp.body));
  json_t *j = json_loadb(resp.body.data, resp.body.len, 0, NULL);
  cr_assert_not_null(j, "%s", orch_buf_cstr(&resp.body));
  orch_http_request_free(&req);
  orch_http_response_free(&resp);
  return j;
}

Test(sim_http, aws_call_with_arn_in_path) {
  struct orch_sim *sim = open_http();
  cr_assert(strncmp(orch_sim_url(sim), "http://127.0.0.1:", 17) == 0, "%s", orch_sim_url(sim));
  struct orch_http_transport t;
  struct orch_error err = {0};
  cr_assert_eq(orch_aws_curl_new(NULL, &t, &err), 0, "%s", err.message);
  json_t *ss = sim_ok(sim, "drs", "DescribeSourceServers", json_pack("{s:i}", "maxResults", 1));
  char arn[256];
  snprintf(arn, sizeof arn, "%s", jstr(ss, "items.0.arn"));
  json_decref(ss);
  const struct orch_aws_service *svc = orch_aws_model_service("drs");
  const struct orch_aws_operation *op = orch_aws_model_operation(svc, "ListTagsForResource");
  struct orch_http_request req = {0};
  struct orch_http_response resp = {0};
  json_t *in = json_pack("{s:s}", "resourceArn", arn);
  cr_assert_eq(orch_aws_proto_build_request(op, in, &req, &err), 0, "%s", err.message);
  char host[64];
  snprintf(host, sizeof host, "127.0.0.1:%d", orch_sim_port(sim));
  cr_assert_eq(orch_http_headers_set(&req.headers, "Host", host), 0);
  struct orch_sigv4_params p = {.access_key_id = ORCH_SIM_ACCESS_KEY_ID, .secret_access_key = ORCH_SIM_SECRET_ACCESS_KEY,
                                .region = "us-east-1", .service = "drs", .time_ms = orch_clock_now_ms(orch_clock_real())};
  cr_assert_eq(orch_sigv4_sign(&req, &p, NULL, &err), 0);
  cr_assert_eq(t.ops->send(t.ctx, orch_sim_url(sim), &req, &resp, &err), 0, "%s", err.message);
  cr_assert_eq(resp.status, 200, "%d %s", resp.status, orch_buf_cstr(&resp.body));
  json_t *out = NULL;
  struct orch_aws_error aerr = {0};
  cr_assert_eq(orch_aws_proto_parse_response(op, &resp, &out, &aerr, &err), 0);
  cr_assert_str_eq(jstr(out, "tags.Tier"), "db");
  json_decref(out);
  json_decref(in);
  orch_http_request_free(&req);
  orch_http_response_free(&resp);
  t.ops->destroy(t.ctx);
  orch_sim_stop(sim);
}

Test(sim_http, admin_api) {
  struct orch_sim *sim = open_http();
  struct orch_http_transport t;
  struct orch_error err = {0};
  cr_assert_eq(orch_aws_curl_new(NULL, &t, &err), 0, "%s", err.message);
  json_t *state = admin(&t, sim, "GET", "/_sim/state", NULL, 200);
  cr_assert_eq(json_array_size(jget(state, "regions.0.servers")), 24);
  cr_assert_str_eq(jstr(state, "scenario"), "three-tier-demo");
  json_decref(state);

  json_t *clock = admin(&t, sim, "POST", "/_sim/clock", "{\"advance\": \"5m\"}", 200);
  cr_assert_eq(json_integer_value(json_object_get(clock, "now_ms")), T0 + 300000);
  json_decref(clock);
  json_decref(admin(&t, sim, "POST", "/_sim/clock", "{\"advance\": \"soon\"}", 400));

  json_t *f = admin(&t, sim, "PUT", "/_sim/faults",
                    "{\"throttling\": {\"drs:DescribeJobs\": 0.5}, \"latency\": {\"*\": \"1ms\"},"
                    " \"failures\": {\"launch\": [{\"tags\": {\"Tier\": \"web\"}, \"probability\": 1}]}}",
                    200);
  cr_assert_float_eq(json_number_value(jget(f, "throttling.drs:DescribeJobs")), 0.5, 1e-9);
  cr_assert_eq(json_array_size(jget(f, "failures.launch")), 1);
  json_decref(f);
  json_t *bad = admin(&t, sim, "PUT", "/_sim/faults", "{\"throttling\": {\"drs:DescribeJobs\": 5}}", 400);
  cr_assert(strstr(jstr(bad, "error.message"), "throttling.drs:DescribeJobs") != NULL, "%s", jstr(bad, "error.message"));
  json_decref(bad);

  json_decref(sim_ok(sim, "drs", "DescribeSourceServers", NULL));
  json_t *calls = admin(&t, sim, "GET", "/_sim/calls", NULL, 200);
  cr_assert_eq(json_integer_value(jget(calls, "operations.drs:DescribeSourceServers.calls")), 1);
  json_decref(calls);

  json_t *reset = admin(&t, sim, "POST", "/_sim/reset", "{}", 200);
  json_decref(reset);
  calls = admin(&t, sim, "GET", "/_sim/calls", NULL, 200);
  cr_assert_eq(json_integer_value(json_object_get(calls, "total")), 0);
  json_decref(calls);
  f = admin(&t, sim, "GET", "/_sim/faults", NULL, 200);
  cr_assert_eq(json_object_size(json_object_get(f, "throttling")), 0, "reset restores the scenario's faults");
  json_decref(f);
  json_decref(admin(&t, sim, "GET", "/_sim/nope", NULL, 404));
  json_decref(admin(&t, sim, "DELETE", "/_sim/state", NULL, 405));
  json_t *sns = admin(&t, sim, "GET", "/_sim/sns", NULL, 200);
  cr_assert_eq(json_array_size(json_object_get(sns, "messages")), 0);
  json_decref(sns);
  t.ops->destroy(t.ctx);
  orch_sim_stop(sim);
}

Test(sim_http, port_in_use_is_reported) {
  struct orch_sim *a = open_http();
  char listen[64];
  snprintf(listen, sizeof listen, "127.0.0.1:%d", orch_sim_port(a));
  struct orch_sim_options o = {.listen = listen, .seed = 1};
  struct orch_sim *b = NULL;
  struct orch_error err = {0};
  cr_assert_neq(orch_sim_start(&o, &b, &err), 0);
  cr_assert(strstr(err.message, listen) != NULL, "%s", err.message);
  orch_sim_stop(a);
}

Test(sim_http, speed_factor_drives_the_clock) {
  struct orch_sim_options o = {.speed = 600, .seed = 1, .start_ms = T0};
  struct orch_sim *sim = NULL;
  struct orch_error err = {0};
  orch_json_init();
  cr_assert_eq(orch_sim_start(&o, &sim, &err), 0, "%s", err.message);
  int64_t a = orch_clock_now_ms(orch_sim_clock(sim));
  struct timespec ts = {.tv_sec = 0, .tv_nsec = 100 * 1000 * 1000};
  nanosleep(&ts, NULL);
  int64_t b = orch_clock_now_ms(orch_sim_clock(sim));
  cr_assert_geq(b - a, 55000, "100 ms at speed 600 is a simulated minute, got %lld ms", (long long)(b - a));
  int status = 0;
  json_t *out = NULL;
  cr_assert_eq(orch_sim_admin(sim, "POST", "/_sim/clock", NULL, "{\"speed\": 0}", 12, &status, &out), 0);
  cr_assert_eq(status, 200);
  json_decref(out);
  a = orch_clock_now_ms(orch_sim_clock(sim));
  nanosleep(&ts, NULL);
  cr_assert_eq(orch_clock_now_ms(orch_sim_clock(sim)), a, "speed 0 freezes the clock");
  orch_sim_stop(sim);
}
