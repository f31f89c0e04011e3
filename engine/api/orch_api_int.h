/* orch_api_int: what the API's files share and nothing outside engine/api includes: the api's body,
 * the route table's shape, the per-request call record handlers receive, and the helpers they answer
 * with (orch_api_reply.c), read queries with (orch_api_query.c) and audit with (orch_api_audit.c).
 * Uses orch_api, orch_api_roles and the API's modules. */
#ifndef ORCH_API_INT_H
#define ORCH_API_INT_H

#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "api/orch_api.h"
#include "api/orch_api_roles.h"
#include "core/orch_id.h"
#include "store/orch_store.h"

#define API_PATH_MAX 512    /* decoded path */
#define API_PARAMS_MAX 4    /* {x} segments in a pattern */
#define API_PARAM_MAX 128   /* one decoded path parameter */
#define API_QUERY_MAX 24    /* query parameters in one request */
#define API_QUERY_BYTES 4096

struct orch_api_auth;
struct orch_api_ratelimit;
struct orch_api_metrics;
struct orch_api_hub;
struct orch_api_views;
struct orch_api_schemas;
struct orch_api_drs_cache;

/* Limits and switches read from the settings once. */
struct api_limits {
  size_t max_body;           /* server.max_body */
  int64_t sse_heartbeat_ms;  /* server.sse_heartbeat */
  size_t sse_lag_max;        /* events a subscriber may be behind before it is dropped */
  char cors_origins[1024];   /* server.cors_origins: comma-separated, "" = none */
  bool hsts;                 /* TLS is on */
  int max_streams;           /* event streams open at once: server.threads less the workers kept for requests */
};

/* The backends as attached, with their strings copied. */
struct api_backends {
  struct orch_api_backends b;
  char default_account[16];
  char default_region[32];
};

struct orch_api {
  struct orch_api_config cfg;
  const struct orch_clock *clock;
  struct api_backends backends_storage;
  _Atomic(const struct api_backends *) backends; /* NULL until orch_api_attach */
  struct api_limits lim;
  struct orch_api_schemas *schemas;
  size_t *param_base; /* route i's first query parameter among the schemas' extras */
  struct orch_api_auth *auth;
  struct orch_api_ratelimit *rl;
  struct orch_api_metrics *metrics;
  struct orch_api_hub *hub;
  struct orch_api_views *views;
  struct orch_api_drs_cache *drs;
  int64_t started_mono_ns;
  atomic_int streams; /* event streams answered and not yet freed */
};

/* The attached backends (acquire), or NULL while the server is starting. */
static inline const struct orch_api_backends *api_backends(const struct orch_api *api) {
  const struct api_backends *b = atomic_load_explicit(&((struct orch_api *)(uintptr_t)api)->backends, memory_order_acquire);
  return b ? &b->b : NULL;
}
/* Default account and region for discovery ("" while starting). */
const char *api_default_account(const struct orch_api *api);
const char *api_default_region(const struct orch_api *api);

/* ---- Principals (orch_api_auth.c) ------------------------------------------------------------- */

enum api_principal_kind { API_ANONYMOUS, API_TOKEN, API_SESSION, API_JWT };

struct api_principal {
  enum api_principal_kind kind;
  char name[ORCH_STORE_ACTOR_MAX + 1]; /* the actor in the audit log: "alice", "token:ci", "cognito:bob" */
  unsigned roles;                      /* ORCH_ROLE_* bits */
  char id[ORCH_STORE_ID_MAX + 1];      /* token id or user id ("" for JWTs) */
  char session_id[ORCH_STORE_ID_MAX + 1];
  char csrf_token[129];
  char groups[256]; /* a Cognito principal's groups as its token named them, "a, b" (for a 403 that says why) */
};

/* ---- The route table (orch_api_routes.c) ------------------------------------------------------ */

struct api_call;
typedef int (*api_handler)(struct api_call *c);

/* A query parameter: `schema` is JSON Schema text (for the document and for checking values). */
struct api_param {
  const char *name;
  const char *schema;
  const char *doc;
};

/* An answer a route gives besides the generic errors: `schema` names a component (NULL: no body). */
struct api_resp {
  int status;
  const char *schema;
  const char *doc;
};

enum {
  API_F_BODY = 1u << 0,     /* takes a JSON body (body_schema) */
  API_F_BODY_OPT = 1u << 1, /* ... which may be omitted */
  API_F_IF_MATCH = 1u << 2, /* honours If-Match */
  API_F_STREAM = 1u << 3,   /* may answer text/event-stream */
  API_F_TEXT = 1u << 4,     /* answers text/plain (metrics) */
  API_F_UNLIMITED = 1u << 5 /* not rate limited (health, ready) */
};

struct api_route {
  const char *method;
  const char *pattern; /* "/api/v1/executions/{id}": {x} matches one path segment */
  enum orch_api_perm perm;
  api_handler handler;
  const char *op_id;
  const char *tag;
  const char *summary;
  const char *body_schema;
  const struct api_param *query; /* NULL-name terminated, or NULL */
  const struct api_resp *responses; /* 0-status terminated */
  const char *action; /* audit action for a mutation ("group.create"); NULL for reads */
  unsigned flags;
};

#define API_ROUTES_MAX 128 /* the table's size is checked against this at compile time */
const struct api_route *orch_api_routes(size_t *n);
/* The parsed schema of route r's i-th query parameter. */
const json_t *orch_api_route_param_schema(const struct orch_api *api, const struct api_route *r, size_t i);

/* ---- One request (orch_api_router.c fills it) ------------------------------------------------- */

struct api_call {
  struct orch_api *api;
  const struct orch_api_request *req;
  struct orch_api_response *resp;
  const struct api_route *route;
  char path[API_PATH_MAX];
  char params[API_PARAMS_MAX][API_PARAM_MAX];
  size_t nparams;
  struct {
    const char *name;
    const char *value;
  } query[API_QUERY_MAX];
  size_t nquery;
  char query_pool[API_QUERY_BYTES];
  json_t *body; /* parsed and checked against route->body_schema; NULL when none was sent */
  struct api_principal who;
  const char *origin; /* an allowed CORS origin, or NULL */
};

/* ---- Answers (orch_api_reply.c) --------------------------------------------------------------- */

/* Each returns 0, so a handler ends with `return api_json(...)`. */
int api_json(struct api_call *c, int status, json_t *body); /* steals body; NULL = out of memory */
int api_error(struct api_call *c, int status, const char *code, json_t *details, const char *fmt, ...)
    ORCH_PRINTF(5, 6); /* steals details (may be NULL) */
/* Answer for a failed engine call: the status and code that fit rc (ORCH_ENOTFOUND 404, ORCH_EEXIST
 * 409, ORCH_ECONFLICT 409 or 412 for versions, ORCH_ESTATE 409, validation codes 422, ORCH_ETOOBIG 413,
 * AWS failures 502, store and memory failures 503), with err's message and context as details. */
int api_fail(struct api_call *c, int rc, const struct orch_error *err);
void api_header(struct api_call *c, const char *name, const char *fmt, ...) ORCH_PRINTF(3, 4);
/* 200 with {"items": items, "next_cursor": cursor or null}; steals items. */
int api_page(struct api_call *c, json_t *items, const char *next_cursor);

/* ISO-8601 string, or JSON null for 0. */
json_t *api_time(int64_t ms);

/* ---- Requests (orch_api_query.c) -------------------------------------------------------------- */

/* The header `name` (case-insensitive), or NULL. */
const char *api_req_header(const struct orch_api_request *req, const char *name);
/* The decoded query value of `name`, or NULL when absent. */
const char *api_query(const struct api_call *c, const char *name);
/* ?limit=&cursor= into page (cursor points into the call). 400 answered (returns -1) when malformed. */
int api_query_page(struct api_call *c, struct orch_store_page *page);
/* An ISO-8601 time query (?from=); 0 when absent; -1 with 400 answered when malformed. */
int api_query_time(struct api_call *c, const char *name, int64_t *ms);
/* The path parameter {name} checked as a store id; -1 with 400 answered when it is not one. */
int api_param_id(struct api_call *c, size_t i, const char *what, const char **out);
/* If-Match as a version number ("3", "\"3\"", W/"3"): 0 when absent, -1 with 400 answered when
 * malformed. */
int api_if_match(struct api_call *c, int64_t *version);

/* ---- Audit (orch_api_audit.c) ----------------------------------------------------------------- */

/* Record the route's action on `target` ("protection-group/<id>") with optional before/after versions
 * (JSON values, stolen, may be NULL) and extra details (stolen, may be NULL). A failure to write the
 * audit entry is logged: the mutation it describes already happened. */
void api_audit(struct api_call *c, const char *target, json_t *before, json_t *after, json_t *details);

/* ---- Handlers, one concept per file ----------------------------------------------------------- */

int api_h_health(struct api_call *c);
int api_h_ready(struct api_call *c);
int api_h_openapi(struct api_call *c);
int api_h_metrics(struct api_call *c);

int api_h_auth_options(struct api_call *c);
int api_h_session_create(struct api_call *c);
int api_h_session_delete(struct api_call *c);
int api_h_me(struct api_call *c);
int api_h_me_password(struct api_call *c);

int api_h_users_list(struct api_call *c);
int api_h_user_create(struct api_call *c);
int api_h_user_get(struct api_call *c);
int api_h_user_update(struct api_call *c);
int api_h_tokens_list(struct api_call *c);
int api_h_token_create(struct api_call *c);
int api_h_token_get(struct api_call *c);
int api_h_token_revoke(struct api_call *c);

int api_h_groups_list(struct api_call *c);
int api_h_group_create(struct api_call *c);
int api_h_group_get(struct api_call *c);
int api_h_group_update(struct api_call *c);
int api_h_group_delete(struct api_call *c);
int api_h_group_servers(struct api_call *c);

int api_h_plans_list(struct api_call *c);
int api_h_plan_create(struct api_call *c);
int api_h_plan_get(struct api_call *c);
int api_h_plan_delete(struct api_call *c);
int api_h_plan_validate(struct api_call *c);
int api_h_versions_list(struct api_call *c);
int api_h_version_create(struct api_call *c);
int api_h_version_get(struct api_call *c);
int api_h_version_diff(struct api_call *c);

int api_h_executions_list(struct api_call *c);
int api_h_execution_start(struct api_call *c);
int api_h_execution_get(struct api_call *c);
int api_h_execution_report(struct api_call *c);
int api_h_execution_events(struct api_call *c);
int api_h_execution_command(struct api_call *c);

int api_h_drs_source_servers(struct api_call *c);
int api_h_drs_quotas(struct api_call *c);
int api_h_drs_recovery_instances(struct api_call *c);

int api_h_accounts_list(struct api_call *c);
int api_h_account_create(struct api_call *c);
int api_h_account_get(struct api_call *c);
int api_h_account_delete(struct api_call *c);

int api_h_audit_list(struct api_call *c);

#endif
