/* test_api_router: what the router does for every route, before any handler: matching (404, 405 with
 * Allow, the literal segment winning over {id}), the request target (decoding, path tricks), query
 * parameters (unknown, repeated, typed), bodies (415, 413, malformed and deep JSON, schema problems with
 * their paths and "did you mean"), the envelope and request id, security headers, CORS, rate limits.
 * Uses api_harness. */
#include "api_harness.h"

static struct api_h h;
static struct api_r r;

static void setup(void) {
  static const char *const settings[] = {"server.cors_origins=https://console.example.com, https://other.example",
                                         "server.max_body=4096", NULL};
  ah_start(&h, settings, false, 0);
  ah_r_init(&r);
}
static void teardown(void) {
  ah_r_release(&r);
  ah_stop(&h);
}

TestSuite(router, .init = setup, .fini = teardown, .timeout = 60);

static bool header(const char *name, char *out, size_t n) { return orch_api_response_header(&r.raw, name, out, n); }

Test(router, unknown_paths_and_methods) {
  char v[256];
  ah_req(&h, &r, "GET", "/api/v1/nothing-here", h.admin, NULL, NULL);
  AH_STATUS(&r, 404);
  ah_envelope(&r, "NotFound");
  ah_req(&h, &r, "DELETE", "/api/v1/health", NULL, NULL, NULL);
  AH_STATUS(&r, 405);
  ah_envelope(&r, "MethodNotAllowed");
  cr_assert(header("Allow", v, sizeof v));
  cr_assert_str_eq(v, "GET, HEAD");
  /* /plans/validate is a literal route: its own methods, not those of /plans/{id} */
  ah_req(&h, &r, "GET", "/api/v1/plans/validate", h.admin, NULL, NULL);
  AH_STATUS(&r, 405);
  cr_assert(header("Allow", v, sizeof v));
  cr_assert_str_eq(v, "POST");
  ah_req(&h, &r, "GET", "/api/v1/plans/", h.admin, NULL, NULL);
  AH_STATUS(&r, 404);
  ah_req(&h, &r, "GET", "/api/v1/plans/not-an-id", h.admin, NULL, NULL);
  AH_STATUS(&r, 400);
  ah_envelope(&r, "BadRequest");
  cr_assert(strstr(ah_str(&r, "error.message"), "not-an-id"));
}

Test(router, target_tricks) {
  static const char *const bad[] = {"/api/v1/../v1/health", "/api/v1/%2e%2e/health", "/api/v1/plans/a%2fb",
                                    "/api/v1/plans/%00", "/api/v1/plans/%zz", "/api/v1/plans/%4", "health",
                                    "/api/v1/health?x=%", "/api/v1/./health"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    ah_req(&h, &r, "GET", bad[i], h.admin, NULL, NULL);
    cr_expect(r.status == 400 || r.status == 404, "%s: %d %s", bad[i], r.status, r.text);
    cr_expect_neq(r.status, 200, "%s reached a resource", bad[i]);
    if (r.status >= 400) ah_envelope(&r, ah_str(&r, "error.code"));
  }
  char longpath[700];
  memset(longpath, 'a', sizeof longpath - 1);
  longpath[sizeof longpath - 1] = '\0';
  memcpy(longpath, "/api/v1/", 8);
  ah_req(&h, &r, "GET", longpath, h.admin, NULL, NULL);
  AH_STATUS(&r, 414);
  /* an encoded but otherwise ordinary segment is decoded */
  ah_req(&h, &r, "GET", "/api/v1/h%65alth", NULL, NULL, NULL);
  AH_STATUS(&r, 200);
}

Test(router, query_parameters) {
  ah_req(&h, &r, "GET", "/api/v1/plans?limt=5", h.admin, NULL, NULL);
  AH_STATUS(&r, 400);
  cr_assert(strstr(ah_str(&r, "error.message"), "did you mean 'limit'"), "%s", r.text);
  ah_req(&h, &r, "GET", "/api/v1/plans?limit=0", h.admin, NULL, NULL);
  AH_STATUS(&r, 400);
  ah_req(&h, &r, "GET", "/api/v1/plans?limit=abc", h.admin, NULL, NULL);
  AH_STATUS(&r, 400);
  ah_req(&h, &r, "GET", "/api/v1/plans?limit=5&limit=6", h.admin, NULL, NULL);
  AH_STATUS(&r, 400);
  ah_req(&h, &r, "GET", "/api/v1/plans?limit=1001", h.admin, NULL, NULL);
  AH_STATUS(&r, 400);
  ah_req(&h, &r, "GET", "/api/v1/executions?mode=drll", h.admin, NULL, NULL);
  AH_STATUS(&r, 400);
  ah_req(&h, &r, "GET", "/api/v1/executions?status=RUNNING,NOPE", h.admin, NULL, NULL);
  AH_STATUS(&r, 400);
  ah_req(&h, &r, "GET", "/api/v1/executions?from=yesterday", h.admin, NULL, NULL);
  AH_STATUS(&r, 400);
  ah_req(&h, &r, "GET", "/api/v1/protection-groups?account=12", h.admin, NULL, NULL);
  AH_STATUS(&r, 400);
  ah_req(&h, &r, "GET", "/api/v1/health?x=1", NULL, NULL, NULL);
  AH_STATUS(&r, 400);
  cr_assert(strstr(ah_str(&r, "error.message"), "takes none"), "%s", r.text);
  ah_req(&h, &r, "GET", "/api/v1/plans?limit=2&cursor=zzz", h.admin, NULL, NULL);
  AH_STATUS(&r, 200); /* a name cursor: plans after "zzz" */
  ah_req(&h, &r, "GET", "/api/v1/executions?cursor=not-a-cursor", h.admin, NULL, NULL);
  cr_assert(r.status == 422 || r.status == 400, "%d %s", r.status, r.text);
  ah_req(&h, &r, "GET", "/api/v1/protection-groups?name=orders+db&region=us-east-1", h.admin, NULL, NULL);
  AH_STATUS(&r, 200);
}

Test(router, bodies) {
  ah_req(&h, &r, "POST", "/api/v1/protection-groups", h.admin, NULL, NULL);
  AH_STATUS(&r, 400);
  struct orch_api_header ct[] = {{"Authorization", NULL}, {"Content-Type", "text/plain"}};
  char auth[96];
  snprintf(auth, sizeof auth, "Bearer %s", h.admin);
  ct[0].value = auth;
  struct orch_api_request req = {.method = "POST", .target = "/api/v1/protection-groups", .headers = ct, .nheaders = 2,
                                 .body = "{}", .body_len = 2, .remote_addr = "127.0.0.1"};
  orch_api_response_release(&r.raw);
  orch_api_response_init(&r.raw);
  orch_api_handle(h.api, &req, &r.raw);
  cr_assert_eq(r.raw.status, 415);
  ah_req(&h, &r, "POST", "/api/v1/protection-groups", h.admin, "{\"name\": ", NULL);
  AH_STATUS(&r, 400);
  ah_envelope(&r, "InvalidJson");
  char deep[200];
  memset(deep, '[', 100);
  memset(deep + 100, ']', 99);
  deep[199] = '\0';
  ah_req(&h, &r, "POST", "/api/v1/protection-groups", h.admin, deep, NULL);
  AH_STATUS(&r, 400);
  char big[5000];
  memset(big, ' ', sizeof big - 1);
  big[0] = '{', big[sizeof big - 2] = '}', big[sizeof big - 1] = '\0';
  ah_req(&h, &r, "POST", "/api/v1/protection-groups", h.admin, big, NULL);
  AH_STATUS(&r, 413);
  ah_envelope(&r, "PayloadTooLarge");
  ah_req(&h, &r, "POST", "/api/v1/protection-groups", h.admin,
         "{\"nmae\": \"x\", \"account\": 12, \"region\": \"us-east-1\", \"selector\": {}}", NULL);
  AH_STATUS(&r, 422);
  ah_envelope(&r, "ValidationError");
  char problems[4096];
  ah_dump(json_object_get(json_object_get(r.body, "error"), "details"), problems, sizeof problems);
  cr_assert(strstr(problems, "body.nmae") && strstr(problems, "did you mean 'name'"), "%s", problems);
  cr_assert(strstr(problems, "body.account") && strstr(problems, "must be a string"), "%s", problems);
  cr_assert(strstr(problems, "body.selector") && strstr(problems, "at least 1 field"), "%s", problems);
  cr_assert(strstr(problems, "body.name") && strstr(problems, "is required"), "%s", problems);
  ah_req(&h, &r, "DELETE", "/api/v1/tokens/01890000-0000-7000-8000-000000000000", h.admin, "{}", NULL);
  AH_STATUS(&r, 400);
  cr_assert(strstr(ah_str(&r, "error.message"), "takes no body"), "%s", r.text);
  ah_req(&h, &r, "POST", "/api/v1/protection-groups", h.admin, "[1, 2]", NULL);
  AH_STATUS(&r, 422);
  ah_req(&h, &r, "POST", "/api/v1/protection-groups", h.admin, "\"\\ud800\"", NULL);
  AH_STATUS(&r, 400);
}

Test(router, envelope_headers_and_request_ids) {
  char v[256], first[64];
  ah_req(&h, &r, "GET", "/api/v1/health", NULL, NULL, NULL);
  AH_STATUS(&r, 200);
  cr_assert(header("X-Request-Id", first, sizeof first));
  cr_assert_eq(strlen(first), 36);
  cr_assert(header("Content-Security-Policy", v, sizeof v));
  cr_assert(strstr(v, "frame-ancestors 'none'"));
  cr_assert(header("X-Content-Type-Options", v, sizeof v) && strcmp(v, "nosniff") == 0);
  cr_assert(header("X-Frame-Options", v, sizeof v));
  cr_assert(header("Cache-Control", v, sizeof v) && strcmp(v, "no-store") == 0);
  cr_assert_not(header("Strict-Transport-Security", v, sizeof v), "no HSTS without TLS");
  ah_req(&h, &r, "GET", "/api/v1/health", NULL, NULL, NULL);
  cr_assert(header("X-Request-Id", v, sizeof v));
  cr_assert_str_neq(v, first, "every request has its own id");
  ah_req(&h, &r, "GET", "/api/v1/plans", "drs_not-a-real-token-00000000000000000000000000", NULL, NULL);
  AH_STATUS(&r, 401);
  ah_envelope(&r, "Unauthorized");
  cr_assert(header("WWW-Authenticate", v, sizeof v));
}

Test(router, cors) {
  char v[256];
  ah_req(&h, &r, "OPTIONS", "/api/v1/executions", NULL, NULL, "Origin", "https://console.example.com",
         "Access-Control-Request-Method", "POST", NULL);
  AH_STATUS(&r, 204);
  cr_assert(header("Access-Control-Allow-Origin", v, sizeof v));
  cr_assert_str_eq(v, "https://console.example.com");
  cr_assert(header("Access-Control-Allow-Methods", v, sizeof v));
  cr_assert_str_eq(v, "GET, POST");
  cr_assert(header("Access-Control-Allow-Headers", v, sizeof v) && strstr(v, "X-CSRF-Token"));
  ah_req(&h, &r, "OPTIONS", "/api/v1/executions", NULL, NULL, "Origin", "https://evil.example", NULL);
  AH_STATUS(&r, 403);
  cr_assert_not(header("Access-Control-Allow-Origin", v, sizeof v));
  ah_req(&h, &r, "GET", "/api/v1/plans", h.admin, NULL, "Origin", "https://other.example", NULL);
  AH_STATUS(&r, 200);
  cr_assert(header("Access-Control-Allow-Origin", v, sizeof v) && strcmp(v, "https://other.example") == 0);
  cr_assert(header("Vary", v, sizeof v));
  ah_req(&h, &r, "GET", "/api/v1/plans", h.admin, NULL, "Origin", "https://evil.example", NULL);
  AH_STATUS(&r, 200); /* answered, but a browser will not hand it to the page */
  cr_assert_not(header("Access-Control-Allow-Origin", v, sizeof v));
  ah_req(&h, &r, "OPTIONS", "/api/v1/nowhere", NULL, NULL, NULL);
  AH_STATUS(&r, 404);
}

Test(router, rate_limits_per_address_and_per_credential) {
  ah_set(&h, "server.rate_limit=5");
  char v[32];
  int refused = 0;
  for (int i = 0; i < 30; i++) {
    ah_req(&h, &r, "GET", "/api/v1/plans", h.admin, NULL, NULL);
    if (r.status == 429) refused++;
  }
  cr_assert_eq(refused, 20, "a burst of 30 against 5/s (bursts of 10, the clock standing still)");
  ah_req(&h, &r, "GET", "/api/v1/plans", h.admin, NULL, NULL);
  AH_STATUS(&r, 429);
  ah_envelope(&r, "TooManyRequests");
  cr_assert(header("Retry-After", v, sizeof v));
  cr_assert_geq((int)strtol(v, NULL, 10), 1);
  ah_req(&h, &r, "GET", "/api/v1/health", NULL, NULL, NULL);
  AH_STATUS(&r, 200); /* health and ready are never limited */
  ah_set(&h, "server.rate_limit=0");
  ah_set(&h, "server.token_rate_limit=3");
  refused = 0;
  for (int i = 0; i < 20; i++) {
    ah_req(&h, &r, "GET", "/api/v1/plans", h.token[4], NULL, NULL);
    refused += r.status == 429;
  }
  cr_assert_eq(refused, 14, "20 against 3/s in bursts of 6");
  ah_req(&h, &r, "GET", "/api/v1/plans", h.token[3], NULL, NULL);
  AH_STATUS(&r, 200); /* another credential has its own bucket */
  orch_vclock_advance(h.vc, 1000);
  ah_req(&h, &r, "GET", "/api/v1/plans", h.token[4], NULL, NULL);
  AH_STATUS(&r, 200); /* a second later the bucket has refilled */
}
