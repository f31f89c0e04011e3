/* orch_api_health: GET /api/v1/health: liveness and the state of each subsystem. Status is "ok" when
 * every subsystem is, "degraded" otherwise (with HTTP 503 so load balancers notice).
 * Uses orch_api_response, orch_config. */
#include "api/orch_api_routes.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "api/orch_api_response.h"

/* The data directory must stay writable for the journal: checked on every call (one access(2)). */
static json_t *storage_status(const struct orch_config *cfg, int *ok) {
  const char *dir = orch_config_str(cfg, "storage.data_dir");
  if (access(dir, W_OK | X_OK) == 0) return json_pack("{s:s, s:s}", "status", "ok", "data_dir", dir);
  *ok = 0;
  return json_pack("{s:s, s:s, s:s}", "status", "error", "data_dir", dir, "message", strerror(errno));
}

void orch_api_health(struct orch_api_req *req) {
  const struct orch_api_ctx *ctx = req->ctx;
  int ok = 1;
  int64_t up_ns = orch_clock_mono_ns(ctx->clock) - ctx->started_mono_ns;
  json_t *api = json_pack("{s:s, s:s, s:I}", "status", "ok", "listen", ctx->address, "threads",
                          (json_int_t)orch_config_int(ctx->cfg, "server.threads"));
  json_t *storage = storage_status(ctx->cfg, &ok);
  json_t *body = json_pack("{s:s, s:s, s:I, s:{s:o*, s:o*}}", "status", ok ? "ok" : "degraded", "version",
                           ORCH_VERSION, "uptime_s", (json_int_t)(up_ns / 1000000000), "subsystems", "api", api,
                           "storage", storage);
  if (!body) {
    orch_api_send_error(req, 503, "ServiceUnavailable", "out of memory building the health report", NULL);
    return;
  }
  orch_api_send_json(req, ok ? 200 : 503, body);
  json_decref(body);
}
