/* orch_api: making and freeing the api: limits read from the settings once, the schemas (with every
 * route's query-parameter schemas), authentication, rate limits, metrics, the event hub, the execution
 * views and the discovery cache. Uses orch_api_int and the API's modules. */
#include <stdio.h>
#include <string.h>

#include "api/orch_api_auth.h"
#include "api/orch_api_drs.h"
#include "api/orch_api_hub.h"
#include "api/orch_api_metrics.h"
#include "api/orch_api_ratelimit.h"
#include "api/orch_api_schema.h"
#include "api/orch_api_views.h"
#include "core/orch_alloc.h"

const json_t *orch_api_route_param_schema(const struct orch_api *api, const struct api_route *r, size_t i) {
  size_t n;
  const struct api_route *routes = orch_api_routes(&n);
  return orch_api_schemas_extra(api->schemas, api->param_base[(size_t)(r - routes)] + i);
}

/* The schemas, with every route's query parameters as extras (route i's first at param_base[i]). */
static int load_schemas(struct orch_api *api, struct orch_error *err) {
  size_t n, total = 0;
  const struct api_route *routes = orch_api_routes(&n);
  if (!(api->param_base = orch_calloc(n, sizeof *api->param_base))) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    api->param_base[i] = total;
    for (size_t k = 0; routes[i].query && routes[i].query[k].name; k++) total++;
  }
  const char **texts = orch_calloc(total + 1, sizeof *texts);
  if (!texts) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    for (size_t q = 0; routes[i].query && routes[i].query[q].name; q++) texts[k++] = routes[i].query[q].schema;
  int rc = orch_api_schemas_load(texts, k, &api->schemas, err);
  orch_free(texts);
  return rc;
}

static void read_limits(struct orch_api *api) {
  const struct orch_config *s = api->cfg.settings;
  api->lim.max_body = (size_t)orch_config_int(s, "server.max_body");
  api->lim.sse_heartbeat_ms = orch_config_duration_ms(s, "server.sse_heartbeat");
  if (api->lim.sse_heartbeat_ms < 100) api->lim.sse_heartbeat_ms = 100;
  api->lim.sse_lag_max = (size_t)orch_config_int(s, "server.sse_lag");
  snprintf(api->lim.cors_origins, sizeof api->lim.cors_origins, "%s", orch_config_str(s, "server.cors_origins"));
  api->lim.hsts = *orch_config_str(s, "server.tls_cert") != '\0';
  api->lim.max_streams = orch_api_max_streams((int)orch_config_int(s, "server.threads"));
}

int orch_api_new(const struct orch_api_config *cfg, struct orch_api **out, struct orch_error *err) {
  if (!cfg->settings || !cfg->store) return orch_error_set(err, ORCH_EINVAL, "the API needs settings and a store");
  struct orch_api *api = orch_calloc(1, sizeof *api);
  if (!api) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  api->cfg = *cfg;
  api->clock = cfg->clock ? cfg->clock : orch_clock_real();
  api->started_mono_ns = orch_clock_mono_ns(api->clock);
  atomic_init(&api->backends, NULL);
  read_limits(api);
  size_t nroutes;
  orch_api_routes(&nroutes);
  struct orch_api_auth_config ac = {.settings = cfg->settings, .store = cfg->store, .clock = api->clock,
                                    .jwks_transport = cfg->jwks_transport};
  int rc = load_schemas(api, err);
  if (!rc) rc = orch_api_auth_new(&ac, &api->auth, err);
  if (!rc && (orch_api_ratelimit_new(api->clock, &api->rl) || orch_api_metrics_new(nroutes, &api->metrics) ||
              orch_api_hub_new(api->lim.sse_lag_max, &api->hub) || orch_api_views_new(cfg->store, &api->views) ||
              orch_api_drs_new(api->clock, &api->drs)))
    rc = orch_error_set(err, ORCH_ENOMEM, "out of memory starting the API");
  if (rc) {
    orch_api_free(api);
    return rc;
  }
  *out = api;
  return 0;
}

void orch_api_attach(struct orch_api *api, const struct orch_api_backends *b) {
  struct api_backends *s = &api->backends_storage;
  s->b = *b;
  snprintf(s->default_account, sizeof s->default_account, "%s", b->default_account ? b->default_account : "");
  snprintf(s->default_region, sizeof s->default_region, "%s", b->default_region ? b->default_region : "");
  s->b.default_account = s->default_account;
  s->b.default_region = s->default_region;
  atomic_store_explicit(&api->backends, s, memory_order_release);
}

const char *api_default_account(const struct orch_api *api) {
  const struct orch_api_backends *b = api_backends(api);
  return b ? b->default_account : "";
}

const char *api_default_region(const struct orch_api *api) {
  const struct orch_api_backends *b = api_backends(api);
  return b ? b->default_region : "";
}

void orch_api_shutdown(struct orch_api *api) {
  if (api) orch_api_hub_shutdown(api->hub);
}

void orch_api_free(struct orch_api *api) {
  if (!api) return;
  orch_api_drs_free(api->drs);
  orch_api_views_free(api->views);
  orch_api_hub_free(api->hub);
  orch_api_metrics_free(api->metrics);
  orch_api_ratelimit_free(api->rl);
  orch_api_auth_free(api->auth);
  orch_api_schemas_free(api->schemas);
  orch_free(api->param_base);
  orch_free(api);
}

void orch_api_note_transport_error(struct orch_api *api, int status) { orch_api_metrics_transport(api->metrics, status); }
