/* orch_sim: the simulator's lifecycle (scenario -> world, sim clock, SigV4 key cache), its HTTP front on
 * CivetWeb (AWS requests and /_sim/ admin on one port), and the direct-access API.
 * Uses orch_sim_scenario, orch_sim_front, orch_sim_admin, CivetWeb, orch_core. */
#include "sim/orch_sim.h"

#include <stdio.h>
#include <string.h>

#include "core/orch_alloc.h"
#include "core/orch_json.h"
#include "core/orch_log.h"
#include "core/orch_nudge.h"
#include "core/orch_str.h"
#include "sim/orch_sim_int.h"
#include "sim/orch_sim_scenario.h"

#define BODY_MAX ((size_t)32 * 1024 * 1024)

int orch_sim_rebuild_locked(struct orch_sim *sim, uint64_t seed, struct orch_error *err) {
  struct orch_sim_world *w = NULL;
  int64_t now = orch_clock_now_ms(orch_vclock_clock(sim->vclock));
  int rc = orch_sim_scenario_build(sim->scenario, seed, orch_clock_now_ms(orch_clock_real()), &w, err);
  if (rc) return rc;
  orch_sim_world_free(sim->world);
  sim->world = w;
  sim->seed = seed;
  orch_vclock_advance(sim->vclock, w->start_ms - now);
  return 0;
}

/* ---- HTTP ---- */

static int read_body(struct mg_connection *conn, const struct mg_request_info *ri, struct orch_buf *body) {
  char chunk[16384];
  long long want = ri->content_length;
  int n;
  if (want == 0) return 0;
  if (want > 0 && (size_t)want > BODY_MAX) return ORCH_ETOOBIG;
  while ((want < 0 || (long long)body->len < want) && (n = mg_read(conn, chunk, sizeof chunk)) > 0) {
    int rc = orch_buf_append(body, chunk, (size_t)n);
    if (rc) return rc;
  }
  return 0;
}

static const char *reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

/* The whole response in one write: status line, headers, Content-Length, body (one packet for small
 * answers, which keeps loopback latency low). */
static void send_response(struct mg_connection *conn, int status, const struct orch_http_headers *h,
                          const char *body, size_t len, const char *ctype) {
  struct orch_buf out = ORCH_BUF_INIT(0);
  int rc = orch_buf_printf(&out, "HTTP/1.1 %d %s\r\n", status, reason(status));
  for (size_t i = 0; h && i < h->n && !rc; i++) {
    if (orch_str_iequal(h->items[i].name, "Content-Length") || orch_str_iequal(h->items[i].name, "Connection"))
      continue;
    rc = orch_buf_printf(&out, "%s: %s\r\n", h->items[i].name, h->items[i].value);
  }
  if (!rc && ctype) rc = orch_buf_printf(&out, "Content-Type: %s\r\n", ctype);
  if (!rc) rc = orch_buf_printf(&out, "Content-Length: %zu\r\n\r\n", len);
  if (!rc && len) rc = orch_buf_append(&out, body, len);
  if (rc) {
    static const char oom[] = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n";
    mg_write(conn, oom, sizeof oom - 1);
  } else {
    mg_write(conn, out.data, out.len);
  }
  orch_buf_free(&out);
}

static void send_json(struct mg_connection *conn, int status, const json_t *j) {
  struct orch_buf b = ORCH_BUF_INIT(0);
  if (orch_json_dump(&b, j, JSON_COMPACT) || orch_buf_putc(&b, '\n')) {
    send_response(conn, 500, NULL, "{}\n", 3, "application/json");
  } else {
    send_response(conn, status, NULL, b.data, b.len, "application/json");
  }
  orch_buf_free(&b);
}

static int sim_request(struct mg_connection *conn, void *cbdata) {
  struct orch_sim *sim = cbdata;
  const struct mg_request_info *ri = mg_get_request_info(conn);
  struct orch_http_request req = {0};
  struct orch_http_response resp = {0};
  int status = 500;
  orch_buf_init(&req.body, BODY_MAX);
  orch_buf_init(&resp.body, 0);
  /* The path exactly as sent (SigV4 signs it): request_uri, minus any scheme://host and query. */
  const char *uri = ri->request_uri ? ri->request_uri : "/";
  if (strncmp(uri, "http://", 7) == 0) {
    const char *slash = strchr(uri + 7, '/');
    uri = slash ? slash : "/";
  }
  size_t plen = strcspn(uri, "?");
  char *path = orch_strndup(uri, plen);
  if (!path) goto fail;
  if (read_body(conn, ri, &req.body)) {
    send_json(conn, 413, json_pack("{s:{s:s, s:s}}", "error", "code", "RequestEntityTooLarge", "message", "body too large"));
    status = 413;
    goto out;
  }
  if (strncmp(path, "/_sim/", 6) == 0) {
    json_t *out = NULL;
    if (orch_sim_admin_handle(sim, ri->request_method, path, ri->query_string, orch_buf_cstr(&req.body),
                              req.body.len, &status, &out))
      goto fail;
    send_json(conn, status, out);
    json_decref(out);
    goto out;
  }
  snprintf(req.method, sizeof req.method, "%s", ri->request_method);
  if (orch_http_request_set_target(&req, path, ri->query_string ? ri->query_string : "")) goto fail;
  for (int i = 0; i < ri->num_headers; i++)
    if (orch_http_headers_add(&req.headers, ri->http_headers[i].name, ri->http_headers[i].value)) goto fail;
  if (orch_sim_front_handle(sim, &req, &resp)) goto fail;
  status = resp.status;
  send_response(conn, resp.status, &resp.headers, resp.body.data, resp.body.len, NULL);
  goto out;
fail:
  status = 500;
  send_response(conn, 500, NULL, "{\"message\":\"simulator out of memory\"}", 38, "application/json");
out:
  orch_free(path);
  orch_http_request_free(&req);
  orch_http_response_free(&resp);
  return status;
}

static int sim_log_message(const struct mg_connection *conn, const char *message) {
  (void)conn;
  orch_log_debug("sim http: %s", message);
  return 1;
}

static int sim_listen(struct orch_sim *sim, const char *listen, int threads, struct orch_error *err) {
  char nthreads[16];
  /* CivetWeb holds a worker per open keep-alive connection: keep plenty, and idle ones not long. */
  snprintf(nthreads, sizeof nthreads, "%d", threads > 0 ? threads : 32);
  const char *options[] = {"listening_ports", listen, "num_threads", nthreads, "request_timeout_ms", "60000",
                           "enable_keep_alive", "yes", "keep_alive_timeout_ms", "5000", "decode_url", "no",
                           "tcp_nodelay", "1", NULL};
  struct mg_callbacks callbacks = {.log_message = sim_log_message};
  struct mg_init_data init = {.callbacks = &callbacks, .user_data = sim, .configuration_options = options};
  char errtext[256] = "";
  struct mg_error_data mgerr = {.text = errtext, .text_buffer_size = sizeof errtext};
  mg_init_library(0);
  sim->lib_ready = true;
  sim->mg = mg_start2(&init, &mgerr);
  if (!sim->mg)
    return orch_error_setc(err, strstr(errtext, "in use") || strstr(errtext, "bind") ? ORCH_EADDRINUSE : ORCH_EIO,
                           "--listen", "cannot listen on %s: %s", listen, errtext[0] ? errtext : "unknown error");
  struct mg_server_port ports[4];
  if (mg_get_server_ports(sim->mg, 4, ports) < 1)
    return orch_error_set(err, ORCH_EIO, "HTTP server started but reports no listening port");
  sim->port = ports[0].port;
  const char *colon = strrchr(listen, ':');
  int hostlen = colon ? (int)(colon - listen) : 0;
  if (hostlen == 0 || (hostlen == 7 && strncmp(listen, "0.0.0.0", 7) == 0))
    snprintf(sim->url, sizeof sim->url, "http://127.0.0.1:%d", sim->port);
  else
    snprintf(sim->url, sizeof sim->url, "http://%.*s:%d", hostlen, listen, sim->port);
  mg_set_request_handler(sim->mg, "/", sim_request, sim);
  return 0;
}

int orch_sim_start(const struct orch_sim_options *opts, struct orch_sim **out, struct orch_error *err) {
  int rc;
  struct orch_sim *sim = orch_calloc(1, sizeof *sim);
  if (!sim) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  if (pthread_mutex_init(&sim->mu, NULL) != 0) {
    orch_free(sim);
    return orch_error_set(err, ORCH_ENOMEM, "cannot create a mutex");
  }
  sim->seed = opts->seed;
  if (opts->scenario_path) {
    snprintf(sim->source, sizeof sim->source, "%s", opts->scenario_path);
    if ((rc = orch_sim_scenario_read(opts->scenario_path, &sim->scenario, err))) goto fail;
  } else {
    snprintf(sim->source, sizeof sim->source, "scenario");
    sim->scenario = opts->scenario ? json_deep_copy(opts->scenario) : json_object();
    if (!sim->scenario) {
      rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
      goto fail;
    }
  }
  int64_t start = opts->start_ms ? opts->start_ms : orch_clock_now_ms(orch_clock_real());
  if ((rc = orch_sim_scenario_build(sim->scenario, opts->seed, start, &sim->world, err))) {
    /* Name the file and the JSON path in one line: "s.json: regions[0].region: ..." */
    char ctx[ORCH_ERROR_CONTEXT_MAX];
    orch_str_fmt(ctx, sizeof ctx, "%s%s%s", sim->source, err && err->context[0] ? ": " : "", err ? err->context : "");
    if (err) orch_str_fmt(err->context, sizeof err->context, "%s", ctx);
    goto fail;
  }
  if ((rc = opts->discrete ? orch_vclock_new_discrete(sim->world->start_ms, &sim->vclock)
                           : orch_vclock_new(sim->world->start_ms, opts->speed, &sim->vclock)) ||
      (rc = orch_sigv4_cache_new(&sim->sigcache))) {
    rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
    goto fail;
  }
  if (opts->listen && (rc = sim_listen(sim, opts->listen, opts->threads, err))) goto fail;
  *out = sim;
  return 0;
fail:
  orch_sim_stop(sim);
  return rc;
}

static void stop_mg(void *mg) { mg_stop(mg); }

void orch_sim_stop(struct orch_sim *sim) {
  if (!sim) return;
  if (sim->mg) { /* its url is http://HOST:PORT: nudged there, CivetWeb's 2 s accept poll ends at once */
    const char *host = sim->url + strlen("http://"), *colon = strrchr(host, ':');
    char h[sizeof sim->url];
    (void)orch_str_fmt(h, sizeof h, "%.*s", colon ? (int)(colon - host) : 0, host);
    orch_nudge_stop(stop_mg, sim->mg, h, sim->port);
  }
  if (sim->lib_ready) mg_exit_library();
  orch_sim_world_free(sim->world);
  json_decref(sim->scenario);
  orch_vclock_free(sim->vclock);
  orch_sigv4_cache_free(sim->sigcache);
  pthread_mutex_destroy(&sim->mu);
  orch_free(sim);
}

const char *orch_sim_url(const struct orch_sim *sim) { return sim->url; }
int orch_sim_port(const struct orch_sim *sim) { return sim->port; }

int orch_sim_handle(struct orch_sim *sim, const struct orch_http_request *req, struct orch_http_response *resp) {
  return orch_sim_front_handle(sim, req, resp);
}

int orch_sim_admin(struct orch_sim *sim, const char *method, const char *path, const char *query, const char *body,
                   size_t len, int *status, json_t **out) {
  return orch_sim_admin_handle(sim, method, path, query, body, len, status, out);
}

const struct orch_clock *orch_sim_clock(struct orch_sim *sim) { return orch_vclock_clock(sim->vclock); }

void orch_sim_advance(struct orch_sim *sim, int64_t ms) { orch_vclock_advance(sim->vclock, ms); }

json_t *orch_sim_state(struct orch_sim *sim) {
  pthread_mutex_lock(&sim->mu);
  json_t *s = orch_sim_world_state_json(sim->world, orch_clock_now_ms(orch_vclock_clock(sim->vclock)));
  pthread_mutex_unlock(&sim->mu);
  return s;
}

json_t *orch_sim_calls(struct orch_sim *sim) {
  pthread_mutex_lock(&sim->mu);
  json_t *s = orch_sim_calls_json(&sim->world->calls);
  pthread_mutex_unlock(&sim->mu);
  return s;
}

int orch_sim_set_faults(struct orch_sim *sim, const json_t *faults, struct orch_error *err) {
  pthread_mutex_lock(&sim->mu);
  int rc = orch_sim_faults_parse(faults, "", &sim->world->faults, err);
  pthread_mutex_unlock(&sim->mu);
  return rc;
}
