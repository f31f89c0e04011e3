/* api_harness: the REST API's router for its tests, called directly with request structs (no sockets):
 * a scratch store, settings, an API token per role, and optionally the real engine against the simulated
 * region (exec_rig.h) with the API's listener, as `drsorch serve` wires them. Answers come back parsed.
 * Header-only, included by tests/unit/api/test_*.c. Uses Criterion, orch_api, orch_api_aws, api_rig. */
#ifndef API_HARNESS_H
#define API_HARNESS_H

#include <criterion/criterion.h>

#include "scratch_dir.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/orch_api.h"
#include "api/orch_api_aws.h"
#include "api/orch_api_roles.h"
#include "api/orch_api_secret.h"
#include "api/orch_api_users.h"
#include "core/orch_json.h"
#include "core/orch_str.h"
#include "api_rig.h"
#include "plan/orch_plan_compile.h"

struct api_h {
  struct harness rig;          /* sim, store, engine (when asked) */
  struct orch_vclock *vc;      /* the api's clock: stands still until a test advances it */
  struct orch_config *cfg;
  struct orch_api *api;
  struct orch_api_aws *aws;
  char token[ORCH_ROLE_COUNT][ORCH_API_TOKEN_LEN + 1]; /* index: bit number of the role */
  char admin[ORCH_API_TOKEN_LEN + 1];
};

struct api_r {
  int status;
  json_t *body;  /* NULL when not JSON */
  char text[1 << 16];
  struct orch_api_response raw;
};

static inline void ah_set(struct api_h *h, const char *pair) {
  struct orch_error err = {0};
  cr_assert_eq(orch_config_set_pair(h->cfg, pair, "test", &err), 0, "%s: %s", pair, err.message);
}

/* Settings (KEY=VALUE, NULL-terminated) over the test defaults; with `engine`, the simulated region at
 * `speed` and the engine. */
static inline void ah_start(struct api_h *h, const char *const *settings, bool engine, double speed) {
  orch_json_init();
  memset(h, 0, sizeof *h);
  scratch_dir_make(h->rig.dir, sizeof h->rig.dir, "/tmp", "api-test");
  struct orch_error err = {0};
  char scenario[1024];
  snprintf(scenario, sizeof scenario, "%s/plans/scenarios/three-tier-demo.json", getenv("ORCH_SOURCE_DIR"));
  const char *what = api_rig_start(&h->rig, scenario, speed, &err);
  cr_assert_null(what, "%s: %s", what, err.message);
  cr_assert_eq(orch_config_new(&h->cfg), 0);
  char dd[300];
  snprintf(dd, sizeof dd, "storage.data_dir=%s", h->rig.dir);
  ah_set(h, dd);
  ah_set(h, "server.rate_limit=0");
  ah_set(h, "server.token_rate_limit=0");
  for (size_t i = 0; settings && settings[i]; i++) ah_set(h, settings[i]);
  cr_assert_eq(orch_vclock_new(orch_clock_now_ms(orch_clock_real()), 0, &h->vc), 0);
  struct orch_api_config ac = {.settings = h->cfg, .store = h->rig.store, .listen_address = "127.0.0.1:0",
                               .module_dir = NULL, .clock = orch_vclock_clock(h->vc)};
  cr_assert_eq(orch_api_new(&ac, &h->api, &err), 0, "api: %s", err.message);
  struct orch_api_aws_config aw = {.base = h->rig.creds, .home_account = ORCH_SIM_ACCOUNT_ID, .region = "us-east-1",
                                   .endpoint_url = orch_sim_url(h->rig.sim), .no_ratelimit = true, .store = h->rig.store};
  cr_assert_eq(orch_api_aws_new(&aw, &h->aws, &err), 0, "aws: %s", err.message);
  struct orch_api_backends b = {.aws = orch_api_aws_ops(), .aws_ctx = h->aws,
                                .default_account = ORCH_SIM_ACCOUNT_ID, .default_region = "us-east-1"};
  if (engine) {
    struct orch_exec_engine_config ec = {.store = h->rig.store, .aws = orch_api_aws_exec_ops(), .aws_ctx = h->aws,
                                         .clock = orch_sim_clock(h->rig.sim),
                                         .keep_for_ms = orch_config_duration_ms(h->cfg, "exec.keep_for"),
                                         .poll_ms = 5000, .default_account = ORCH_SIM_ACCOUNT_ID,
                                         .default_region = "us-east-1", .listener = orch_api_exec_listener,
                                         .listener_ctx = h->api};
    cr_assert_eq(orch_exec_engine_new(&ec, &h->rig.eng, &err), 0, "%s", err.message);
    cr_assert_eq(orch_exec_engine_start(h->rig.eng, &err), 0, "%s", err.message);
    b.engine = orch_api_engine_local();
    b.engine_ctx = h->rig.eng;
  }
  orch_api_attach(h->api, &b);
  for (unsigned i = 0; i < ORCH_ROLE_COUNT; i++) {
    struct orch_store_token t;
    char name[32];
    snprintf(name, sizeof name, "test-%s", orch_api_role_name(1u << i));
    cr_assert_eq(orch_api_token_issue(h->rig.store, name, orch_api_role_name(1u << i), 0, "test", &t, h->token[i],
                                      sizeof h->token[i], &err), 0, "%s", err.message);
  }
  memcpy(h->admin, h->token[0], sizeof h->admin);
}

static inline void ah_stop(struct api_h *h) {
  orch_api_shutdown(h->api);
  orch_exec_engine_free(h->rig.eng);
  h->rig.eng = NULL;
  orch_api_free(h->api);
  orch_api_aws_free(h->aws);
  exec_rig_stop(&h->rig);
  orch_config_free(h->cfg);
  orch_vclock_free(h->vc);
  scratch_dir_remove(h->rig.dir);
}

/* One request. `token` NULL: none. Extra headers as "Name", "value" pairs, NULL-terminated. */
static inline void ah_vreq(struct api_h *h, struct api_r *r, const char *method, const char *target, const char *token,
                           const char *body, va_list ap) {
  struct orch_api_header hs[24];
  size_t n = 0;
  char auth[8300];
  if (token) {
    snprintf(auth, sizeof auth, "Bearer %s", token);
    hs[n++] = (struct orch_api_header){"Authorization", auth};
  }
  if (body) hs[n++] = (struct orch_api_header){"Content-Type", "application/json"};
  for (const char *name; n < 24 && (name = va_arg(ap, const char *));) hs[n++] = (struct orch_api_header){name, va_arg(ap, const char *)};
  struct orch_api_request req = {.method = method, .target = target, .headers = hs, .nheaders = n, .body = body,
                                 .body_len = body ? strlen(body) : 0, .remote_addr = "127.0.0.1"};
  orch_api_response_release(&r->raw);
  json_decref(r->body);
  orch_api_response_init(&r->raw);
  orch_api_handle(h->api, &req, &r->raw);
  r->status = r->raw.status;
  snprintf(r->text, sizeof r->text, "%.*s", (int)r->raw.body.len, r->raw.body.data ? r->raw.body.data : "");
  r->body = r->raw.body.len ? orch_json_parse(r->raw.body.data, r->raw.body.len, 0, NULL) : NULL;
}

static inline void ah_req(struct api_h *h, struct api_r *r, const char *method, const char *target, const char *token,
                          const char *body, ...) {
  va_list ap;
  va_start(ap, body);
  ah_vreq(h, r, method, target, token, body, ap);
  va_end(ap);
}

static inline void ah_r_init(struct api_r *r) {
  memset(r, 0, sizeof *r);
  orch_api_response_init(&r->raw);
}

static inline void ah_r_release(struct api_r *r) {
  orch_api_response_release(&r->raw);
  json_decref(r->body);
  r->body = NULL;
}

/* A string field at a dotted path of the answer ("error.code"), or "". */
static inline const char *ah_str(const struct api_r *r, const char *path) {
  const json_t *j = r->body;
  char key[128];
  for (const char *p = path; j && *p;) {
    const char *dot = strchr(p, '.');
    snprintf(key, sizeof key, "%.*s", (int)(dot ? (size_t)(dot - p) : strlen(p)), p);
    j = json_is_array(j) ? json_array_get(j, (size_t)strtoul(key, NULL, 10)) : json_object_get(j, key);
    p = dot ? dot + 1 : p + strlen(p);
  }
  return json_is_string(j) ? json_string_value(j) : "";
}

/* The JSON at `j` as compact text into out. */
static inline const char *ah_dump(const json_t *j, char *out, size_t n) {
  struct orch_buf b = ORCH_BUF_INIT(0);
  snprintf(out, n, "%s", j && !orch_json_dump(&b, j, JSON_COMPACT) ? orch_buf_cstr(&b) : "");
  orch_buf_free(&b);
  return out;
}

/* Assert the status, printing the answer when it differs. */
#define AH_STATUS(r, want) cr_assert_eq((r)->status, (want), "status %d, want %d: %s", (r)->status, (want), (r)->text)

/* Every non-2xx answer is the envelope with a code, a message and the request id. */
static inline void ah_envelope(const struct api_r *r, const char *code) {
  cr_assert_str_eq(ah_str(r, "error.code"), code, "%s", r->text);
  cr_assert(ah_str(r, "error.message")[0], "%s", r->text);
  cr_assert_str_eq(ah_str(r, "error.request_id"), r->raw.request_id);
  cr_assert_eq(json_object_size(r->body), 1, "only \"error\" at the top: %s", r->text);
}

#endif
