/* bench_sigv4: SigV4 signatures per second on one core for a typical DRS call (rest-json POST with a
 * JSON body and a session token), with the signing-key cache and without it, and verifications per
 * second. Target (DESIGN.md §10): >= 100,000 signatures/s with a cached key. Uses orch_sigv4. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "aws/orch_sigv4.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int make_request(struct orch_http_request *req) {
  memset(req, 0, sizeof *req);
  memcpy(req->method, "POST", 5);
  int rc = orch_http_request_set_target(req, "/DescribeJobs", "");
  if (!rc) rc = orch_http_headers_add(&req->headers, "Host", "drs.us-east-1.amazonaws.com");
  if (!rc) rc = orch_http_headers_add(&req->headers, "Content-Type", "application/json");
  if (!rc) rc = orch_buf_puts(&req->body, "{\"filters\":{\"jobIDs\":[\"drsjob-0123456789abcdef0\"]},\"maxResults\":100}");
  return rc;
}

static const char token[] =
    "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD6Xn2fGkbx0EXAMPLEtoken0123456789abcdefghijklmnop"
    "qrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyz";

static int lookup(void *ctx, const char *akid, struct orch_buf *secret, struct orch_buf *tok) {
  (void)ctx;
  (void)akid;
  int rc = orch_buf_puts(secret, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
  return rc ? rc : orch_buf_puts(tok, token);
}

static double bench_sign(struct orch_sigv4_cache *cache, int n) {
  struct orch_sigv4_params p = {.access_key_id = "AKIDEXAMPLE", .secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                .session_token = token, .region = "us-east-1", .service = "drs",
                                .time_ms = 1764460800000LL, .cache = cache};
  struct orch_http_request req;
  if (make_request(&req)) return -1;
  double t0 = now_s();
  for (int i = 0; i < n; i++) {
    p.time_ms += 1000; /* a new timestamp each time, as in real use; same day so the key stays cached */
    if (orch_sigv4_sign(&req, &p, NULL, NULL)) return -1;
  }
  double dt = now_s() - t0;
  orch_http_request_free(&req);
  return n / dt;
}

static double bench_verify(struct orch_sigv4_cache *cache, int n) {
  struct orch_sigv4_params p = {.access_key_id = "AKIDEXAMPLE", .secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                .session_token = token, .region = "us-east-1", .service = "drs",
                                .time_ms = 1764460800000LL, .cache = cache};
  struct orch_http_request req;
  if (make_request(&req) || orch_sigv4_sign(&req, &p, NULL, NULL)) return -1;
  struct orch_sigv4_verify_params vp = {.lookup = lookup, .now_ms = p.time_ms, .cache = cache};
  double t0 = now_s();
  for (int i = 0; i < n; i++)
    if (orch_sigv4_verify(&req, &vp, NULL, NULL)) return -1;
  double dt = now_s() - t0;
  orch_http_request_free(&req);
  return n / dt;
}

int main(void) {
  struct orch_sigv4_cache *cache = NULL;
  if (orch_sigv4_cache_new(&cache)) return 1;
  const int n = 200000;
  bench_sign(cache, 2000); /* warm up */
  double cached = bench_sign(cache, n);
  double uncached = bench_sign(NULL, n / 4);
  double verify = bench_verify(cache, n);
  orch_sigv4_cache_free(cache);
  if (cached < 0 || uncached < 0 || verify < 0) {
    fprintf(stderr, "bench_sigv4: signing failed\n");
    return 1;
  }
  printf("sigv4 sign, cached signing key:   %10.0f signatures/s  (%.2f us each; target >= 100000/s)\n", cached, 1e6 / cached);
  printf("sigv4 sign, key derived each time: %9.0f signatures/s  (%.2f us each)\n", uncached, 1e6 / uncached);
  printf("sigv4 cache speed-up:              %9.2fx\n", cached / uncached);
  printf("sigv4 verify, cached signing key: %10.0f verifications/s  (%.2f us each)\n", verify, 1e6 / verify);
  printf("target met: %s\n", cached >= 100000 ? "yes" : "NO");
  return 0;
}
