/* sim_test: helpers for the simulator's unit tests: start a simulator from a scenario file or JSON on a
 * frozen clock, and call it through the real client pipeline (model-driven request building, SigV4
 * signing, orch_sim_handle, response parsing). Uses orch_sim, orch_aws_proto, orch_sigv4, Criterion. */
#ifndef SIM_TEST_H
#define SIM_TEST_H

#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/orch_aws_model.h"
#include "aws/orch_aws_proto.h"
#include "aws/orch_sigv4.h"
#include "core/orch_json.h"
#include "core/orch_time.h"
#include "sim/orch_sim.h"

#define T0 1798761600000LL /* 2027-01-01T00:00:00Z */

struct sim_creds {
  const char *akid, *secret, *token, *region;
};

static const struct sim_creds DEFAULT_CREDS = {ORCH_SIM_ACCESS_KEY_ID, ORCH_SIM_SECRET_ACCESS_KEY, NULL, "us-east-1"};

static inline const char *scenario_path(char *buf, size_t n, const char *name) {
  const char *src = getenv("ORCH_SOURCE_DIR");
  snprintf(buf, n, "%s/plans/scenarios/%s", src ? src : ".", name);
  return buf;
}

/* A simulator on a frozen clock at T0 from a plans/scenarios file (or JSON text when `text` is set). */
static inline struct orch_sim *sim_open(const char *file, const char *text, uint64_t seed) {
  char path[1024];
  struct orch_error err = {0};
  struct orch_sim *sim = NULL;
  json_t *sc = NULL;
  orch_json_init();
  struct orch_sim_options o = {.speed = 0, .seed = seed, .start_ms = T0};
  if (file) o.scenario_path = scenario_path(path, sizeof path, file);
  if (text) {
    sc = json_loads(text, 0, NULL);
    cr_assert_not_null(sc, "test scenario JSON is malformed");
    o.scenario = sc;
  }
  int rc = orch_sim_start(&o, &sim, &err);
  json_decref(sc);
  cr_assert_eq(rc, 0, "orch_sim_start: %s: %s", err.context, err.message);
  return sim;
}

static inline const char *signing_name(const char *service) {
  return strcmp(service, "service-quotas") == 0 ? "servicequotas" : service;
}

/* Call `service`:`op` with `input` (borrowed). Returns the HTTP status; *out is the parsed output or the
 * error details {"code", "message", ...modeled members}. Caller owns *out. */
static inline int sim_call_as(struct orch_sim *sim, const struct sim_creds *cr, const char *service, const char *op,
                              json_t *input, json_t **out, int64_t sign_skew_ms) {
  const struct orch_aws_service *svc = orch_aws_model_service(service);
  cr_assert_not_null(svc, "no model for %s", service);
  const struct orch_aws_operation *o = orch_aws_model_operation(svc, op);
  cr_assert_not_null(o, "no operation %s:%s", service, op);
  struct orch_http_request req = {0};
  struct orch_http_response resp = {0};
  struct orch_error err = {0};
  struct orch_aws_error aerr = {0};
  json_t *in = input ? input : json_object();
  int rc = orch_aws_proto_build_request(o, in, &req, &err);
  cr_assert_eq(rc, 0, "build_request %s: %s %s", op, err.context, err.message);
  cr_assert_eq(orch_http_headers_set(&req.headers, "Host", "127.0.0.1:4566"), 0);
  struct orch_sigv4_params p = {.mode = ORCH_SIGV4_HEADER, .access_key_id = cr->akid, .secret_access_key = cr->secret,
                                .session_token = cr->token, .region = cr->region, .service = signing_name(service),
                                .time_ms = orch_clock_now_ms(orch_clock_real()) + sign_skew_ms};
  cr_assert_eq(orch_sigv4_sign(&req, &p, NULL, &err), 0, "sign: %s", err.message);
  cr_assert_eq(orch_sim_handle(sim, &req, &resp), 0);
  int status = resp.status;
  json_t *output = NULL;
  rc = orch_aws_proto_parse_response(o, &resp, &output, &aerr, &err);
  if (rc == ORCH_EAWS) {
    json_t *details = NULL;
    if (orch_aws_proto_parse_error_details(o, &resp, &details, &err) || !details) details = json_object();
    json_object_set_new(details, "code", json_string(aerr.code));
    json_object_set_new(details, "message", json_string(aerr.message));
    output = details;
  } else {
    cr_assert_eq(rc, 0, "parse_response %s (HTTP %d): %s %s\n%s", op, status, err.context, err.message,
                 orch_buf_cstr(&resp.body));
  }
  if (!input) json_decref(in);
  orch_http_request_free(&req);
  orch_http_response_free(&resp);
  *out = output;
  return status;
}

static inline int sim_call(struct orch_sim *sim, const char *service, const char *op, json_t *input, json_t **out) {
  return sim_call_as(sim, &DEFAULT_CREDS, service, op, input, out, 0);
}

/* Call and require success; returns the output (caller owns). Takes ownership of `input`. */
static inline json_t *sim_ok(struct orch_sim *sim, const char *service, const char *op, json_t *input) {
  json_t *out = NULL;
  int status = sim_call(sim, service, op, input, &out);
  char *dump = json_dumps(out, JSON_COMPACT);
  cr_assert(status >= 200 && status < 300, "%s:%s -> HTTP %d %s", service, op, status, dump ? dump : "");
  free(dump);
  json_decref(input);
  return out;
}

/* Call and require an error with `code`; returns the error details (caller owns). Takes `input`. */
static inline json_t *sim_err(struct orch_sim *sim, const char *service, const char *op, json_t *input, int status,
                              const char *code) {
  json_t *out = NULL;
  int got = sim_call(sim, service, op, input, &out);
  char *dump = json_dumps(out, JSON_COMPACT);
  cr_assert_eq(got, status, "%s:%s -> HTTP %d (want %d) %s", service, op, got, status, dump ? dump : "");
  cr_assert_str_eq(json_string_value(json_object_get(out, "code")), code, "%s", dump ? dump : "");
  free(dump);
  json_decref(input);
  return out;
}

/* An HTTP transport that hands each request to the simulator in-process (orch_sim_handle): the AWS client's
 * whole pipeline without a socket. ctx is the struct orch_sim. */
static inline int sim_transport_send(void *ctx, const char *endpoint, const struct orch_http_request *req,
                                     struct orch_http_response *resp, struct orch_error *err) {
  (void)endpoint;
  int rc = orch_sim_handle(ctx, req, resp);
  return rc ? orch_error_set(err, rc, "orch_sim_handle failed") : 0;
}
static const struct orch_http_transport_ops SIM_TRANSPORT = {.send = sim_transport_send};
/* A sleeper for the client's backoff and pacing that does not wait. */
static inline void sim_no_sleep(void *ctx, int64_t ms) {
  (void)ctx;
  (void)ms;
}

/* Walk "a.b.0.c" (objects by key, arrays by index). */
static inline const json_t *jget(const json_t *j, const char *path) {
  const json_t *cur = j;
  const char *p = path;
  while (cur && *p) {
    char key[128];
    size_t n = strcspn(p, ".");
    snprintf(key, sizeof key, "%.*s", (int)n, p);
    if (json_is_array(cur)) cur = json_array_get(cur, (size_t)strtoul(key, NULL, 10));
    else cur = json_object_get(cur, key);
    p += n;
    if (*p == '.') p++;
  }
  return cur;
}

static inline const char *jstr(const json_t *j, const char *path) { return json_string_value(jget(j, path)); }

/* Assert the strings of `j`: `want` is path, value, path, value, ..., NULL. */
static inline void jexpect(const json_t *j, const char *const *want) {
  for (; want[0]; want += 2) cr_assert_str_eq(jstr(j, want[0]), want[1], "%s", want[0]);
}

#endif
