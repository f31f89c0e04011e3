/* orch_api_routes: the route table (method + path pattern -> handler) and the dispatcher that matches
 * a request against it; unknown paths get 404 and known paths with the wrong method 405 with Allow.
 * Handlers are declared here and defined one concept per file. Uses orch_api_ctx. */
#ifndef ORCH_API_ROUTES_H
#define ORCH_API_ROUTES_H

#include "api/orch_api_ctx.h"

struct orch_api_route {
  const char *method;  /* "GET", "POST", ... */
  const char *pattern; /* "/api/v1/executions/{id}": {x} matches one path segment */
  orch_api_handler handler;
};

/* Match and run; always writes a response. */
void orch_api_dispatch(struct orch_api_req *req);

/* Handlers */
void orch_api_health(struct orch_api_req *req);

#endif
