/* orch_api_h_system: GET /health (liveness and each subsystem; 503 "degraded" so load balancers
 * notice), GET /ready (the store takes writes and the scheduler answers), GET /metrics (Prometheus text:
 * the API's counters, executions by status, AWS calls and throttles). Uses orch_api_int, orch_api_metrics,
 * orch_store, orch_config. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "api/orch_api_metrics.h"
#include "api/orch_api_int.h"
#include "core/orch_log.h"
#include "core/orch_str.h"

/* A SQLite store's directory stays writable for the journal (its WAL and temporary files): checked on every
 * call (one access(2)). A store that is not a local file (DynamoDB, on Lambda) has no directory to check,
 * and the Lambda function's own directory is read-only: "storage" is then left out. NULL when there is
 * nothing to check. */
static json_t *storage_status(const json_t *store_info, bool *ok) {
  const char *backend = json_string_value(json_object_get(store_info, "backend"));
  const char *file = json_string_value(json_object_get(store_info, "path"));
  if (!backend || strcmp(backend, "sqlite") != 0 || !file) return NULL;
  char dir[4096];
  const char *slash = strrchr(file, '/');
  if (!orch_str_fmt(dir, sizeof dir, "%.*s", slash ? (int)(slash == file ? 1 : slash - file) : 1, slash ? file : "."))
    return json_pack("{s:s, s:s}", "status", "error", "message", "the store's path is too long to check");
  if (access(dir, W_OK | X_OK) == 0) return json_pack("{s:s, s:s}", "status", "ok", "dir", dir);
  *ok = false;
  return json_pack("{s:s, s:s, s:s}", "status", "error", "dir", dir, "message", strerror(errno));
}

static json_t *store_status(struct orch_store *store, bool *ok) {
  json_t *info = NULL;
  struct orch_error err = {0};
  if (orch_store_info(store, &info, &err)) {
    *ok = false;
    return json_pack("{s:s, s:s}", "status", "error", "message", err.message);
  }
  json_object_set_new(info, "status", json_string("ok"));
  return info;
}

int api_h_health(struct api_call *c) {
  const struct orch_api *api = c->api;
  bool ok = true;
  int64_t up_ns = orch_clock_mono_ns(api->clock) - api->started_mono_ns;
  json_t *store = store_status(api->cfg.store, &ok), *storage = storage_status(store, &ok);
  json_t *subsystems = json_pack("{s:{s:s, s:s, s:I}, s:o*, s:o}", "api", "status", "ok", "listen",
                                 api->cfg.listen_address ? api->cfg.listen_address : "", "threads",
                                 (json_int_t)orch_config_int(api->cfg.settings, "server.threads"), "storage",
                                 storage, "store", store);
  const struct orch_api_backends *b = api_backends(api);
  if (subsystems && b && b->engine) json_object_set_new(subsystems, "scheduler", json_pack("{s:s}", "status", "ok"));
  json_t *body = json_pack("{s:s, s:s, s:I, s:o}", "status", ok ? "ok" : "degraded", "version", ORCH_VERSION,
                           "uptime_s", (json_int_t)(up_ns / 1000000000), "subsystems", subsystems);
  return api_json(c, ok ? 200 : 503, body);
}

/* Ready: the store answers on its write connection (orch_store_info), the data directory is writable, and
 * the scheduler answers a command through its queue. */
int api_h_ready(struct api_call *c) {
  const struct orch_api *api = c->api;
  bool store_ok = true, dir_ok = true;
  json_t *store = store_status(api->cfg.store, &store_ok);
  json_t *dir = storage_status(store, &dir_ok);
  const struct orch_api_backends *b = api_backends(api);
  bool sched_ok = b && b->engine && b->engine->alive(b->engine_ctx);
  bool ready = store_ok && dir_ok && sched_ok;
  json_t *body = json_pack(
      "{s:b, s:{s:{s:b, s:s}, s:{s:b, s:s}}}", "ready", ready, "checks", "store", "ok", store_ok && dir_ok, "message",
      store_ok && dir_ok ? "writable" : json_string_value(json_object_get(store_ok ? dir : store, "message")),
      "scheduler", "ok", sched_ok, "message",
      !b ? "starting" : !b->engine ? "no engine in this process" : sched_ok ? "answering" : "not running");
  json_decref(store);
  json_decref(dir);
  return api_json(c, ready ? 200 : 503, body);
}

static int render_executions(struct orch_store *store, struct orch_buf *out) {
  int64_t counts[ORCH_STORE_STATUS_COUNT];
  struct orch_error err = {0};
  if (orch_store_exec_count(store, counts, &err)) {
    orch_log_warn("metrics: executions not counted: %s", err.message);
    return 0;
  }
  int rc = orch_buf_puts(out, "# HELP drsorch_executions Executions in the store by status.\n"
                              "# TYPE drsorch_executions gauge\n");
  for (int i = 0; !rc && i < ORCH_STORE_STATUS_COUNT; i++)
    rc = orch_buf_printf(out, "drsorch_executions{status=\"%s\"} %lld\n", orch_store_status_name((enum orch_store_status)i),
                         (long long)counts[i]);
  return rc;
}

/* {"acct/region": {"svc.Op": {"calls", "throttles", "errors", ...}}} as counters. */
static int render_aws(json_t *stats, struct orch_buf *out) {
  static const char *const fields[] = {"calls", "throttles", "errors", "retries"};
  int rc = 0;
  for (size_t f = 0; !rc && f < 4; f++) {
    rc = orch_buf_printf(out, "# HELP drsorch_aws_%s_total AWS %s by account, region and operation.\n"
                              "# TYPE drsorch_aws_%s_total counter\n",
                         fields[f], fields[f], fields[f]);
    const char *scope, *op;
    json_t *ops, *s;
    json_object_foreach(stats, scope, ops) {
      const char *slash = strchr(scope, '/');
      json_object_foreach(ops, op, s) {
        if (rc) break;
        rc = orch_buf_printf(out, "drsorch_aws_%s_total{account=\"%.*s\",region=\"%s\",operation=\"%s\"} %lld\n",
                             fields[f], slash ? (int)(slash - scope) : 0, scope, slash ? slash + 1 : scope, op,
                             (long long)json_integer_value(json_object_get(s, fields[f])));
      }
    }
  }
  return rc;
}

int api_h_metrics(struct api_call *c) {
  size_t n;
  const struct api_route *routes = orch_api_routes(&n);
  const char *names[128];
  for (size_t i = 0; i < n && i < 128; i++) names[i] = routes[i].op_id;
  struct orch_buf *out = &c->resp->body;
  orch_buf_reset(out);
  const struct orch_api_backends *b = api_backends(c->api);
  json_t *aws = b && b->aws && b->aws->stats ? b->aws->stats(b->aws_ctx) : NULL;
  int rc = orch_api_metrics_render(c->api->metrics, names, out);
  if (!rc) rc = render_executions(c->api->cfg.store, out);
  if (!rc && aws) rc = render_aws(aws, out);
  json_decref(aws);
  if (rc) return api_error(c, 503, "ServiceUnavailable", NULL, "out of memory rendering metrics");
  c->resp->status = 200;
  c->resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
  return 0;
}
