/* orch_api_ctx: what every request handler may read: the server's shared context (configuration,
 * start time, bound address) and the per-request record. Uses CivetWeb, orch_core. */
#ifndef ORCH_API_CTX_H
#define ORCH_API_CTX_H

#include <civetweb.h>
#include <stdint.h>

#include "core/orch_clock.h"
#include "core/orch_config.h"
#include "core/orch_id.h"

#define ORCH_API_MAX_PARAMS 4

/* Shared by all worker threads; read-only after start. */
struct orch_api_ctx {
  const struct orch_config *cfg;
  const struct orch_clock *clock;
  int64_t started_mono_ns;
  char address[64];
};

/* One request, on the worker thread's stack. */
struct orch_api_req {
  struct mg_connection *conn;
  const struct mg_request_info *info;
  struct orch_api_ctx *ctx;
  char request_id[ORCH_ID_UUID_LEN + 1];
  /* Path parameters matched by the route pattern ("{id}"), in order. */
  char params[ORCH_API_MAX_PARAMS][128];
  int nparams;
  int status;        /* set by the response helpers, for the access log */
  const char *allow; /* when set, sent as the Allow header (405 responses) */
};

typedef void (*orch_api_handler)(struct orch_api_req *req);

#endif
