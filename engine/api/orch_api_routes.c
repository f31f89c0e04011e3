/* orch_api_routes: the route table and the matcher. Uses orch_api_response. */
#include "api/orch_api_routes.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "api/orch_api_response.h"

static const struct orch_api_route routes[] = {
  {"GET", "/api/v1/health", orch_api_health},
  {"HEAD", "/api/v1/health", orch_api_health},
};

/* Match `path` against `pattern`, capturing {param} segments into req->params. */
static bool route_match(const char *pattern, const char *path, struct orch_api_req *req) {
  int n = 0;
  const char *p = pattern, *u = path;
  while (*p && *u) {
    if (*p == '{') {
      const char *close = strchr(p, '}');
      const char *seg_end = strchr(u, '/');
      size_t len = seg_end ? (size_t)(seg_end - u) : strlen(u);
      if (!close || !len || n >= ORCH_API_MAX_PARAMS || len >= sizeof req->params[0]) return false;
      memcpy(req->params[n], u, len);
      req->params[n++][len] = '\0';
      p = close + 1;
      u += len;
    } else if (*p++ != *u++) {
      return false;
    }
  }
  if (*p || *u) return false;
  req->nparams = n;
  return true;
}

void orch_api_dispatch(struct orch_api_req *req) {
  const char *path = req->info->local_uri;
  const char *method = req->info->request_method;
  char allow[128] = "";
  size_t used = 0;
  for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
    if (!route_match(routes[i].pattern, path, req)) continue;
    if (strcmp(routes[i].method, method) == 0) {
      routes[i].handler(req);
      return;
    }
    int w = snprintf(allow + used, sizeof allow - used, "%s%s", used ? ", " : "", routes[i].method);
    if (w > 0 && (size_t)w < sizeof allow - used) used += (size_t)w;
  }
  if (used) {
    char msg[256];
    snprintf(msg, sizeof msg, "%s is not allowed on %s (allowed: %s)", method, path, allow);
    req->allow = allow;
    json_t *details = json_pack("{s:s}", "allow", allow);
    orch_api_send_error(req, 405, "MethodNotAllowed", msg, details);
    json_decref(details);
    return;
  }
  char msg[256];
  snprintf(msg, sizeof msg, "no such resource: %s", path);
  orch_api_send_error(req, 404, "NotFound", msg, NULL);
}
