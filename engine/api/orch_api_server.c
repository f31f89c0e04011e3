/* orch_api_server: CivetWeb lifecycle: options from the configuration, one request callback that sets
 * up the per-request record (request id, log context), dispatches, and writes the access log.
 * Uses CivetWeb, orch_api_routes, orch_core. */
#include "api/orch_api.h"

#include <civetweb.h>
#include <stdio.h>
#include <string.h>

#include "api/orch_api_ctx.h"
#include "api/orch_api_response.h"
#include "api/orch_api_routes.h"
#include "core/orch_alloc.h"
#include "core/orch_log.h"

struct orch_api_server {
  struct mg_context *mg;
  int lib_ready; /* mg_init_library succeeded: balance it with mg_exit_library */
  struct orch_api_ctx ctx;
  int port;
};

static int api_request(struct mg_connection *conn, void *cbdata) {
  struct orch_api_ctx *ctx = cbdata;
  struct orch_api_req req = {.conn = conn, .info = mg_get_request_info(conn), .ctx = ctx};
  int64_t t0 = orch_clock_mono_ns(ctx->clock);
  if (orch_id_uuid7(req.request_id, orch_clock_now_ms(ctx->clock)))
    snprintf(req.request_id, sizeof req.request_id, "unavailable");
  orch_log_context_set(req.request_id, NULL);
  orch_api_dispatch(&req);
  if (orch_log_enabled(ORCH_LOG_DEBUG)) {
    char status[8], ms[32];
    snprintf(status, sizeof status, "%d", req.status);
    snprintf(ms, sizeof ms, "%.3f", (double)(orch_clock_mono_ns(ctx->clock) - t0) / 1e6);
    struct orch_log_field f[] = {{"method", req.info->request_method}, {"path", req.info->local_uri},
                                 {"status", status}, {"ms", ms}};
    orch_log_write(ORCH_LOG_DEBUG, f, sizeof f / sizeof f[0], "request");
  }
  orch_log_context_set(NULL, NULL);
  return req.status ? req.status : 500;
}

/* CivetWeb's own messages (bind failures, TLS) go to our log rather than stderr. */
static int api_log_message(const struct mg_connection *conn, const char *message) {
  (void)conn;
  orch_log_debug("http: %s", message); /* startup failures are reported once, by orch_api_start */
  return 1;
}

int orch_api_start(const struct orch_config *cfg, struct orch_api_server **out, struct orch_error *err) {
  int rc = 0;
  struct orch_api_server *srv = orch_calloc(1, sizeof *srv);
  if (!srv) return orch_error_set(err, ORCH_ENOMEM, "out of memory starting the HTTP server");
  srv->ctx.cfg = cfg;
  srv->ctx.clock = orch_clock_real();
  srv->ctx.started_mono_ns = orch_clock_mono_ns(srv->ctx.clock);

  const char *listen = orch_config_str(cfg, "server.listen");
  char threads[16], timeout[32];
  snprintf(threads, sizeof threads, "%lld", orch_config_int(cfg, "server.threads"));
  snprintf(timeout, sizeof timeout, "%lld", (long long)orch_config_duration_ms(cfg, "server.request_timeout"));
  const char *options[] = {"listening_ports", listen, "num_threads", threads, "request_timeout_ms", timeout,
                           "enable_keep_alive", "yes", "keep_alive_timeout_ms", "5000", NULL};
  struct mg_callbacks callbacks = {.log_message = api_log_message};
  struct mg_init_data init = {.callbacks = &callbacks, .user_data = srv, .configuration_options = options};
  char errtext[256] = "";
  struct mg_error_data mgerr = {.text = errtext, .text_buffer_size = sizeof errtext};

  mg_init_library(0);
  srv->lib_ready = 1;
  srv->mg = mg_start2(&init, &mgerr);
  if (!srv->mg) {
    if (strstr(errtext, "in use") || strstr(errtext, "bind") || strstr(errtext, "ports"))
      rc = orch_error_setc(err, ORCH_EADDRINUSE, "server.listen",
                           "cannot listen on %s: address in use or not available (%s)", listen, errtext);
    else
      rc = orch_error_setc(err, ORCH_EIO, "server.listen", "cannot start HTTP server on %s: %s", listen,
                           errtext[0] ? errtext : "unknown error");
    goto fail;
  }
  struct mg_server_port ports[4];
  int n = mg_get_server_ports(srv->mg, 4, ports);
  if (n < 1) {
    rc = orch_error_set(err, ORCH_EIO, "HTTP server started but reports no listening port");
    goto fail;
  }
  srv->port = ports[0].port;
  /* Keep the configured host, with the port actually bound. */
  const char *colon = strrchr(listen, ':');
  snprintf(srv->ctx.address, sizeof srv->ctx.address, "%.*s:%d", (int)(colon - listen), listen, srv->port);
  mg_set_request_handler(srv->mg, "/api/", api_request, &srv->ctx);
  *out = srv;
  return 0;
fail:
  orch_api_stop(srv);
  return rc;
}

void orch_api_stop(struct orch_api_server *srv) {
  if (!srv) return;
  if (srv->mg) mg_stop(srv->mg);
  if (srv->lib_ready) mg_exit_library();
  orch_free(srv);
}

const char *orch_api_address(const struct orch_api_server *srv) { return srv->ctx.address; }

int orch_api_port(const struct orch_api_server *srv) { return srv->port; }
