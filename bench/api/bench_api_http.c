/* bench_api_http: the REST API under wrk (Debian's) on this machine, against `drsorch serve` assembled
 * in-process: GET /api/v1/health on one kept-alive connection, on 32, and with a new connection per request;
 * GET /api/v1/executions/{id} of a finished three-wave drill and the executions list, with 32 connections;
 * and, in the same run, CivetWeb answering a static body in one write (the ceiling) and a peer that writes
 * its header and body apart with TCP_NODELAY off: the Nagle + delayed-ACK stall (about 40 ms per answer on a
 * kept-alive connection) the API once had, so a regression shows as the API's figures falling to the
 * peer's. First, the router alone (no socket, one thread): microseconds per answer. Prints figures and
 * ratios; asserts nothing. Targets (issue 9): >= 20,000 req/s and p99 < 10 ms on GET of an execution and of
 * the executions list, 2 cores. Usage: bench_api_http [SECONDS per run, default 5] [TARGET]: with TARGET
 * (e.g. /api/v1/executions, or "exec" for the drill's own), only the router on it for SECONDS, one
 * thread, to profile with perf. Uses bench_api_env, wrk, CivetWeb. */
#include "bench_api_env.h"

#include <civetweb.h>

static const char STATIC_BODY[] = "{\"status\":\"ok\"}\n";

/* CivetWeb's own answer, one write. */
static int static_handler(struct mg_connection *conn, void *cbdata) {
  (void)cbdata;
  char resp[256];
  int n = snprintf(resp, sizeof resp, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                   sizeof STATIC_BODY - 1, STATIC_BODY);
  mg_write(conn, resp, (size_t)n);
  return 200;
}

/* The stall: the header in one write, the body in another, Nagle on. */
static int split_handler(struct mg_connection *conn, void *cbdata) {
  (void)cbdata;
  mg_response_header_start(conn, 200);
  mg_response_header_add(conn, "Content-Type", "application/json", -1);
  mg_response_header_add(conn, "Content-Length", "16", -1);
  mg_response_header_send(conn);
  mg_write(conn, STATIC_BODY, sizeof STATIC_BODY - 1);
  return 200;
}

static struct mg_context *peer(const char *nodelay, mg_request_handler h, char *url, size_t n) {
  const char *options[] = {"listening_ports", "127.0.0.1:0", "num_threads", "8", "enable_keep_alive", "yes",
                           "keep_alive_timeout_ms", "5000", "tcp_nodelay", nodelay, NULL};
  struct mg_callbacks cb = {0};
  struct mg_context *ctx = mg_start(&cb, NULL, options);
  if (!ctx) return NULL;
  mg_set_request_handler(ctx, "/", h, NULL);
  struct mg_server_port sp[2];
  mg_get_server_ports(ctx, 2, sp);
  snprintf(url, n, "http://127.0.0.1:%d/x", sp[0].port);
  return ctx;
}

static void row(const char *what, struct wrk_figures f, double ceiling) {
  printf("  %-52s %9.0f req/s  p50 %7.2f ms  p99 %7.2f ms", what, f.rps, f.p50_ms, f.p99_ms);
  if (ceiling > 0) printf("  %5.0f%% of CivetWeb's static answer", 100.0 * f.rps / ceiling);
  if (f.errors) printf("  (%ld errors reported by wrk)", f.errors);
  printf("\n");
}

/* The router alone, no socket: microseconds per call of target, one thread, over about a second; the
 * answer's size into *len. */
static double router_us(struct bench_api *b, const char *target, size_t *len, double seconds) {
  int n = 0;
  double t0 = ba_now_s(), t;
  do {
    for (int i = 0; i < 200; i++, n++) ba_raw(b, "GET", target, NULL, len, NULL);
  } while ((t = ba_now_s() - t0) < seconds);
  return t * 1e6 / n;
}

int main(int argc, char **argv) {
  struct bench_api b = {.name = "bench_api_http"};
  int secs = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 5;
  if (secs < 1 || secs > 600) secs = 5;
  const char *only = argc > 2 ? argv[2] : NULL;
  if (!only && !ba_have_wrk()) {
    printf("bench_api_http: wrk is not installed (scripts/install-deps.sh installs it); nothing measured\n");
    return 0;
  }
  ba_start(&b, 8, 3600);
  char id[64], url[256], list[256], health[256];
  ba_drill(&b, BENCH_PLAN, true, id, sizeof id);
  snprintf(url, sizeof url, "%s/api/v1/executions/%s", b.base, id);
  snprintf(list, sizeof list, "%s/api/v1/executions", b.base);
  snprintf(health, sizeof health, "%s/api/v1/health", b.base);
  char path[128];
  snprintf(path, sizeof path, "/api/v1/executions/%s", id);
  if (only) {
    size_t len = 0;
    const char *t = strcmp(only, "exec") == 0 ? path : only;
    double us = router_us(&b, t, &len, secs);
    printf("the router alone on GET %s: %.1f us per answer of %zu bytes\n", t, us, len);
    ba_stop(&b);
    return 0;
  }
  mg_init_library(0);
  char static_url[128], split_url[128];
  struct mg_context *ceil_ctx = peer("1", static_handler, static_url, sizeof static_url);
  struct mg_context *split_ctx = peer("0", split_handler, split_url, sizeof split_url);
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  const char *targets[] = {path, "/api/v1/executions", "/api/v1/health"};
  const char *names[] = {"GET /executions/{id}", "GET /executions", "GET /health"};
  printf("the router alone (one thread, no socket):\n");
  for (int i = 0; i < 3; i++) {
    size_t len = 0;
    double us = router_us(&b, targets[i], &len, 1.0);
    printf("  %-22s %7.1f us per answer of %zu bytes\n", names[i], us, len);
  }
  printf("REST API under wrk, %d s per run, %ld cores (wrk shares them)\n", secs, cores);

  struct wrk_figures ceiling = ba_wrk(static_url, 2, 32, secs, NULL, NULL);
  row("CivetWeb static answer, 32 connections (ceiling)", ceiling, 0);
  struct wrk_figures f = ba_wrk(url, 2, 32, secs, b.token, NULL);
  row("GET /executions/{id}, 32 connections", f, ceiling.rps);
  printf("    target >= 20000 req/s, p99 < 10 ms: %s\n", f.rps >= 20000 && f.p99_ms < 10 ? "met" : "NOT met");
  struct wrk_figures l = ba_wrk(list, 2, 32, secs, b.token, NULL);
  row("GET /executions (list, 50 a page), 32 connections", l, ceiling.rps);
  printf("    target >= 20000 req/s, p99 < 10 ms: %s\n", l.rps >= 20000 && l.p99_ms < 10 ? "met" : "NOT met");
  struct wrk_figures one = ba_wrk(health, 1, 1, secs, NULL, NULL);
  row("GET /health, 1 kept-alive connection", one, 0);
  row("GET /health, 32 kept-alive connections", ba_wrk(health, 2, 32, secs, NULL, NULL), ceiling.rps);
  row("GET /health, a new connection per request", ba_wrk(health, 2, 32, secs, NULL, "Connection: close"), 0);
  struct wrk_figures stall = ba_wrk(split_url, 1, 1, secs < 3 ? secs : 3, NULL, NULL);
  row("peer: header and body written apart, Nagle on, 1 conn", stall, 0);
  printf("    one write per answer + TCP_NODELAY: %.0fx the answers of the split peer on one connection "
         "(the API before the fix: 23 req/s, 43 ms each)\n", stall.rps > 0 ? one.rps / stall.rps : 0.0);
  mg_stop(ceil_ctx);
  mg_stop(split_ctx);
  ba_stop(&b);
  return 0;
}
