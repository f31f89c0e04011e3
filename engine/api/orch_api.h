/* orch_api: the HTTP server (CivetWeb): start, stop, the bound address. Routes, responses and handlers
 * live in their own files (orch_api_route.c, orch_api_response.c, orch_api_health.c).
 * Uses CivetWeb, orch_core. */
#ifndef ORCH_API_H
#define ORCH_API_H

#include <stdint.h>

#include "core/orch_config.h"
#include "core/orch_error.h"

struct orch_api_server;

/* Start listening on the configuration's server.listen with server.threads workers.
 * A port in use is ORCH_EADDRINUSE with a message naming the address. Caller owns *out. */
int orch_api_start(const struct orch_config *cfg, struct orch_api_server **out, struct orch_error *err)
    ORCH_MUST_CHECK;
/* Stop accepting, finish in-flight requests, free. Accepts NULL. */
void orch_api_stop(struct orch_api_server *srv);
/* "127.0.0.1:43817": the address actually bound (port 0 resolved). */
const char *orch_api_address(const struct orch_api_server *srv);
int orch_api_port(const struct orch_api_server *srv);

#endif
