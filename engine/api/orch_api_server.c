/* orch_api_server: CivetWeb lifecycle and the adapter between CivetWeb connections and the router. Uses
 * CivetWeb, OpenSSL (TLS set-up), orch_api, orch_buf, orch_log. */
#include "api/orch_api_server.h"
#include "api/orch_api_static.h"

#include <civetweb.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/orch_alloc.h"
#include "core/orch_json.h"
#include "core/orch_log.h"
#include "core/orch_nudge.h"
#include "core/orch_str.h"

struct orch_api_server {
  struct orch_api *api;
  struct orch_api_static *web; /* the console's files: every path outside /api/ */
  struct mg_context *mg;
  bool lib_ready; /* mg_init_library succeeded: balance it with mg_exit_library */
  size_t max_body;
  char cert[1024], key[1024];
  char address[64];
  int port;
  bool tls;
};

/* ---- Writing --------------------------------------------------------------------------------- */

static bool write_all(struct mg_connection *conn, const char *p, size_t n) {
  while (n) {
    int w = mg_write(conn, p, n);
    if (w <= 0) return false;
    p += w;
    n -= (size_t)w;
  }
  return true;
}

/* Status line, headers and body in one buffer, one write. */
static void send_response(struct mg_connection *conn, const struct orch_api_response *r, bool head, bool close) {
  struct orch_buf b = ORCH_BUF_INIT(0);
  int rc = orch_buf_printf(&b, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s", r->status,
                           orch_api_status_text(r->status), r->content_type, r->body.len,
                           close ? "Connection: close\r\n" : "");
  if (!rc && r->headers.len) rc = orch_buf_append(&b, r->headers.data, r->headers.len);
  if (!rc) rc = orch_buf_puts(&b, "\r\n");
  if (!rc && !head && r->body.len) rc = orch_buf_append(&b, r->body.data, r->body.len);
  if (!rc) write_all(conn, b.data, b.len);
  else orch_log_error("http: an answer of %zu bytes could not be put together", r->body.len);
  orch_buf_free(&b);
}

/* One chunk of the stream in one write (mg_send_chunk makes three: size, data, CRLF, each a packet
 * with TCP_NODELAY, times every subscriber). */
static bool chunk_write(void *ctx, const char *data, size_t len) {
  char head[24];
  int hl = snprintf(head, sizeof head, "%zx\r\n", len);
  char *chunk = orch_malloc((size_t)hl + len + 2);
  if (!chunk) return false;
  memcpy(chunk, head, (size_t)hl);
  memcpy(chunk + hl, data, len);
  memcpy(chunk + (size_t)hl + len, "\r\n", 2);
  bool ok = write_all(ctx, chunk, (size_t)hl + len + 2);
  orch_free(chunk);
  return ok;
}

static void send_stream(struct mg_connection *conn, struct orch_api_response *r) {
  struct orch_buf b = ORCH_BUF_INIT(0);
  int rc = orch_buf_printf(&b, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n");
  if (!rc && r->headers.len) rc = orch_buf_append(&b, r->headers.data, r->headers.len);
  if (!rc) rc = orch_buf_puts(&b, "\r\n");
  bool ok = !rc && write_all(conn, b.data, b.len);
  orch_buf_free(&b);
  if (!ok) return;
  orch_api_stream_run(r->stream, chunk_write, conn);
  write_all(conn, "0\r\n\r\n", 5); /* the last chunk: the client sees the stream end */
}

/* ---- Reading --------------------------------------------------------------------------------- */

/* The body, up to max + 1 bytes (so "too large" is known without reading it all). *complete is false when
 * the client stopped sending before Content-Length. */
static int read_body(struct mg_connection *conn, const struct mg_request_info *ri, size_t max, struct orch_buf *out,
                     bool *complete) {
  *complete = true;
  long long want = ri->content_length;
  if (want == 0) return 0;
  if (want > 0 && (unsigned long long)want > max) return 0; /* the router answers 413 from the length */
  size_t cap = want > 0 ? (size_t)want : max + 1;
  if (orch_buf_reserve(out, cap + 1)) return ORCH_ENOMEM;
  while (out->len < cap) {
    int n = mg_read(conn, out->data + out->len, cap - out->len);
    if (n <= 0) break;
    out->len += (size_t)n;
  }
  out->data[out->len] = '\0';
  if (want > 0 && out->len < (size_t)want) *complete = false;
  return 0;
}

static int api_request(struct mg_connection *conn, void *cbdata) {
  struct orch_api_server *srv = cbdata;
  const struct mg_request_info *ri = mg_get_request_info(conn);
  struct orch_api_header headers[MG_MAX_HEADERS];
  for (int i = 0; i < ri->num_headers && i < MG_MAX_HEADERS; i++)
    headers[i] = (struct orch_api_header){ri->http_headers[i].name, ri->http_headers[i].value};
  struct orch_buf target = ORCH_BUF_INIT(0), body = ORCH_BUF_INIT(0);
  bool complete = true;
  /* CivetWeb hands over the path already percent-decoded: encoded again, the router decodes it once */
  const char *uri = ri->local_uri_raw ? ri->local_uri_raw : ri->request_uri ? ri->request_uri : "";
  if (orch_str_uri_encode(&target, uri, strlen(uri), true) ||
      (ri->query_string && (orch_buf_putc(&target, '?') || orch_buf_puts(&target, ri->query_string))) ||
      read_body(conn, ri, srv->max_body, &body, &complete)) {
    mg_send_http_error(conn, 503, "out of memory");
    orch_buf_free(&target);
    orch_buf_free(&body);
    return 503;
  }
  bool too_large = ri->content_length > 0 && (unsigned long long)ri->content_length > srv->max_body;
  struct orch_api_request req = {
    .method = ri->request_method, .target = orch_buf_cstr(&target), .headers = headers,
    .nheaders = (size_t)(ri->num_headers < MG_MAX_HEADERS ? ri->num_headers : MG_MAX_HEADERS),
    .body = body.data, .body_len = too_large ? (size_t)ri->content_length : body.len,
    .remote_addr = ri->remote_addr, .tls = ri->is_ssl != 0};
  struct orch_api_response resp;
  orch_api_response_init(&resp);
  if (!complete) {
    /* the client stopped before its Content-Length: nothing to route */
    orch_api_note_transport_error(srv->api, 400);
    static const char msg[] = "{\"error\":{\"code\":\"BadRequest\",\"message\":\"the body ended before Content-Length\",\"request_id\":\"\"}}\n";
    resp.status = 400;
    if (!orch_buf_append(&resp.body, msg, sizeof msg - 1)) send_response(conn, &resp, false, true);
  } else {
    orch_api_handle(srv->api, &req, &resp);
    bool unread = too_large || (ri->content_length < 0 && body.len > srv->max_body);
    if (resp.stream) send_stream(conn, &resp);
    else send_response(conn, &resp, strcmp(ri->request_method, "HEAD") == 0, unread || resp.status == 401);
  }
  int status = resp.status;
  orch_api_response_release(&resp);
  orch_buf_free(&target);
  orch_buf_free(&body);
  return status;
}

/* Any path outside /api/: the console's files (GET, HEAD), with the SPA fallback. */
static int web_request(struct mg_connection *conn, void *cbdata) {
  struct orch_api_server *srv = cbdata;
  const struct mg_request_info *ri = mg_get_request_info(conn);
  const char *uri = ri->local_uri_raw ? ri->local_uri_raw : ri->request_uri ? ri->request_uri : "";
  if (strcmp(uri, "/api") == 0 || strncmp(uri, "/api/", 5) == 0) return api_request(conn, cbdata);
  struct orch_buf target = ORCH_BUF_INIT(0);
  struct orch_api_response resp;
  orch_api_response_init(&resp);
  bool head = strcmp(ri->request_method, "HEAD") == 0;
  /* CivetWeb hands over the path decoded: encoded again, the console's handler decodes it once */
  if (orch_str_uri_encode(&target, uri, strlen(uri), true)) {
    mg_send_http_error(conn, 503, "out of memory");
  } else {
    orch_api_static_handle(srv->web, ri->request_method, orch_buf_cstr(&target),
                           mg_get_header(conn, "Accept-Encoding"), &resp);
    send_response(conn, &resp, head, ri->content_length > 0);
  }
  int status = resp.status;
  orch_api_response_release(&resp);
  orch_buf_free(&target);
  return status ? status : 503;
}

/* ---- CivetWeb's own answers ------------------------------------------------------------------ */

/* CivetWeb's own answers (a malformed request line or header, one too large, a time-out, a path outside
 * /api/) in the envelope. What it would call a server error is the client's doing here (an HTTP version
 * it does not speak, a Content-Length that is not a number): 400. */
static int http_error(struct mg_connection *conn, int status, const char *errmsg) {
  const struct mg_context *ctx = mg_get_context(conn);
  struct orch_api_server *srv = ctx ? mg_get_user_data(ctx) : NULL;
  if (status >= 500 || status == 411) status = 400;
  if (srv) orch_api_note_transport_error(srv->api, status);
  const char *code = status == 404   ? "NotFound"
                     : status == 405 ? "MethodNotAllowed"
                     : status == 408 ? "RequestTimeout"
                     : status == 413 || status == 414 || status == 431 ? "PayloadTooLarge"
                                                                       : "BadRequest";
  struct orch_api_response resp;
  orch_api_response_init(&resp);
  resp.status = status;
  json_t *e = json_pack("{s:{s:s, s:s, s:s}}", "error", "code", code, "message",
                        errmsg && *errmsg ? errmsg : "malformed request", "request_id", "");
  if (e && !orch_json_dump(&resp.body, e, JSON_COMPACT) && !orch_buf_putc(&resp.body, '\n'))
    send_response(conn, &resp, false, true);
  json_decref(e);
  orch_api_response_release(&resp);
  return 0;
}

static int log_message(const struct mg_connection *conn, const char *message) {
  (void)conn;
  orch_log_debug("http: %s", message); /* start-up failures are reported once, by orch_api_server_start */
  return 1;
}

static int init_ssl(void *ssl_ctx, void *user_data) {
  struct orch_api_server *srv = user_data;
  SSL_CTX *ctx = ssl_ctx;
  if (SSL_CTX_use_certificate_chain_file(ctx, srv->cert) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, srv->key, SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(ctx) != 1)
    return -1;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  return 1;
}

/* ---- Lifecycle ------------------------------------------------------------------------------- */

static int check_tls_files(struct orch_api_server *srv, const struct orch_config *cfg, struct orch_error *err) {
  const char *cert = orch_config_str(cfg, "server.tls_cert"), *key = orch_config_str(cfg, "server.tls_key");
  if (!*cert && !*key) return 0;
  if (!*cert || !*key)
    return orch_error_setc(err, ORCH_ECONFIG, *cert ? "server.tls_key" : "server.tls_cert",
                           "is needed too: HTTPS takes a certificate and its key");
  const char *names[2] = {"server.tls_cert", "server.tls_key"}, *paths[2] = {cert, key};
  for (int i = 0; i < 2; i++) {
    FILE *f = fopen(paths[i], "r");
    if (!f) return orch_error_setc(err, ORCH_ECONFIG, names[i], "cannot read '%s'", paths[i]);
    fclose(f);
  }
  snprintf(srv->cert, sizeof srv->cert, "%s", cert);
  snprintf(srv->key, sizeof srv->key, "%s", key);
  srv->tls = true;
  return 0;
}

int orch_api_server_start(struct orch_api *api, const struct orch_config *cfg, struct orch_api_server **out,
                          struct orch_error *err) {
  int rc = 0;
  struct orch_api_server *srv = orch_calloc(1, sizeof *srv);
  if (!srv) return orch_error_set(err, ORCH_ENOMEM, "out of memory starting the HTTP server");
  srv->api = api;
  srv->max_body = (size_t)orch_config_int(cfg, "server.max_body");
  if ((rc = check_tls_files(srv, cfg, err))) goto fail;
  struct orch_api_static_config wc = {.web_dir = orch_config_str(cfg, "server.web_dir"),
                                      .cognito_domain = orch_config_str(cfg, "auth.cognito_domain"), .hsts = srv->tls};
  if ((rc = orch_api_static_new(&wc, &srv->web, err))) goto fail;
  const char *listen = orch_config_str(cfg, "server.listen");
  char ports[80], threads[16], timeout[32], headers[16];
  snprintf(ports, sizeof ports, "%s%s", listen, srv->tls ? "s" : "");
  snprintf(threads, sizeof threads, "%lld", orch_config_int(cfg, "server.threads"));
  snprintf(timeout, sizeof timeout, "%lld", (long long)orch_config_duration_ms(cfg, "server.request_timeout"));
  snprintf(headers, sizeof headers, "%d", ORCH_API_HEADERS_MAX);
  const char *options[] = {"listening_ports", ports, "num_threads", threads, "request_timeout_ms", timeout,
                           "enable_keep_alive", "yes", "keep_alive_timeout_ms", "5000", "tcp_nodelay", "1",
                           "max_request_size", headers, NULL, NULL, NULL};
  if (srv->tls) options[14] = "ssl_protocol_version", options[15] = "4";
  struct mg_callbacks callbacks = {.log_message = log_message, .http_error = http_error,
                                   .init_ssl = srv->tls ? init_ssl : NULL};
  struct mg_init_data init = {.callbacks = &callbacks, .user_data = srv, .configuration_options = options};
  char errtext[256] = "";
  struct mg_error_data mgerr = {.text = errtext, .text_buffer_size = sizeof errtext};
  mg_init_library(srv->tls ? MG_FEATURES_TLS : 0);
  srv->lib_ready = true;
  srv->mg = mg_start2(&init, &mgerr);
  if (!srv->mg) {
    if (strstr(errtext, "in use") || strstr(errtext, "bind") || strstr(errtext, "ports"))
      rc = orch_error_setc(err, ORCH_EADDRINUSE, "server.listen",
                           "cannot listen on %s: address in use or not available (%s)", listen, errtext);
    else if (srv->tls)
      rc = orch_error_setc(err, ORCH_ECONFIG, "server.tls_cert", "cannot start HTTPS with %s and %s: %s", srv->cert,
                           srv->key, errtext[0] ? errtext : "the certificate or key is not usable");
    else
      rc = orch_error_setc(err, ORCH_EIO, "server.listen", "cannot start HTTP server on %s: %s", listen,
                           errtext[0] ? errtext : "unknown error");
    goto fail;
  }
  struct mg_server_port sp[4];
  if (mg_get_server_ports(srv->mg, 4, sp) < 1) {
    rc = orch_error_set(err, ORCH_EIO, "HTTP server started but reports no listening port");
    goto fail;
  }
  srv->port = sp[0].port;
  const char *colon = strrchr(listen, ':');
  snprintf(srv->address, sizeof srv->address, "%.*s:%d", (int)(colon - listen), listen, srv->port);
  mg_set_request_handler(srv->mg, "/api/", api_request, srv);
  mg_set_request_handler(srv->mg, "/", web_request, srv); /* and /api paths CivetWeb does not give "/api/" */
  *out = srv;
  return 0;
fail:
  orch_api_server_stop(srv);
  return rc;
}

/* ---- Stopping -------------------------------------------------------------------------------- */

static void stop_mg(void *mg) { mg_stop(mg); }

void orch_api_server_stop(struct orch_api_server *srv) {
  if (!srv) return;
  if (srv->mg) {
    orch_api_shutdown(srv->api); /* event streams end, so their workers can */
    char host[sizeof srv->address];
    const char *colon = strrchr(srv->address, ':');
    (void)orch_str_fmt(host, sizeof host, "%.*s", colon ? (int)(colon - srv->address) : 0, srv->address);
    orch_nudge_stop(stop_mg, srv->mg, host, srv->port); /* wakes CivetWeb's 2 s accept poll at once */
  }
  if (srv->lib_ready) mg_exit_library();
  orch_api_static_free(srv->web);
  orch_free(srv);
}

void orch_api_server_console(const struct orch_api_server *srv, char *out, size_t n) {
  orch_api_static_root(srv->web, out, n);
}

const char *orch_api_server_address(const struct orch_api_server *srv) { return srv->address; }
int orch_api_server_port(const struct orch_api_server *srv) { return srv->port; }
const char *orch_api_server_scheme(const struct orch_api_server *srv) { return srv->tls ? "https" : "http"; }
