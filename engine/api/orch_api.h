/* orch_api: the REST API as a transport-neutral router. A request is a plain struct (method, target,
 * headers, body, client address) and the answer a plain struct (status, headers, body, or a stream of
 * Server-Sent Events), so the CivetWeb server (orch_api_server.h) and an API Gateway proxy adapter can
 * both call orch_api_handle. One route table (orch_api_routes.c) drives dispatch, RBAC, 404/405 with
 * Allow, request validation and the OpenAPI document. Uses orch_store, orch_exec_engine (through
 * orch_api_engine_ops), orch_api_aws_ops, orch_config, orch_clock, orch_buf. */
#ifndef ORCH_API_H
#define ORCH_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/orch_buf.h"
#include "core/orch_clock.h"
#include "core/orch_config.h"
#include "core/orch_error.h"
#include "exec/orch_exec_engine.h"
#include "aws/orch_http.h"
#include "store/orch_store.h"

/* ---- Requests and responses ------------------------------------------------------------------- */

struct orch_api_header {
  const char *name;
  const char *value;
};

struct orch_api_request {
  const char *method;                    /* "GET", "POST", ... */
  const char *target;                    /* the raw request target: path and query as sent */
  const struct orch_api_header *headers; /* names compared case-insensitively */
  size_t nheaders;
  const char *body; /* may be NULL when body_len is 0 */
  size_t body_len;
  const char *remote_addr; /* the client's address ("127.0.0.1"); "" when unknown */
  bool tls;                /* arrived over TLS: cookies get Secure, HSTS is sent */
  /* The claims of a Cognito token that an authorizer in front of the API already verified (API Gateway's
   * COGNITO_USER_POOLS authorizer: the event's requestContext.authorizer.claims); borrowed, NULL when the
   * request brings its own credentials. When set they are the caller (roles from cognito:groups through
   * auth.cognito_groups), whatever Authorization or cookies say. Only the Lambda adapter sets it: no header
   * can, so `drsorch serve` never honours claims. */
  const json_t *verified_claims;
};

struct orch_api_stream; /* an event stream the transport serves (orch_api_stream_*) */

struct orch_api_response {
  int status;
  const char *content_type; /* static string */
  struct orch_buf headers;  /* extra header lines, "Name: value\r\n" each */
  struct orch_buf body;
  /* Set instead of a body when the client asked for text/event-stream: the transport writes the
   * status and headers, then runs orch_api_stream_run. Owned by the response. */
  struct orch_api_stream *stream;
  char request_id[40]; /* also sent as X-Request-Id */
};

/* The reason phrase for a status line ("Not Found"). */
const char *orch_api_status_text(int status);

void orch_api_response_init(struct orch_api_response *r);
void orch_api_response_release(struct orch_api_response *r);
/* The value of header `name` in r->headers (the first one), copied into out; false when absent. */
bool orch_api_response_header(const struct orch_api_response *r, const char *name, char *out, size_t n);

/* ---- What the API drives ---------------------------------------------------------------------- */

/* A command to an execution, as the API receives it. The actor is who sent it and in which roles. */
struct orch_api_command {
  const char *exec_id;
  const char *command; /* "pause", "resume", "cancel", "approve", "retry-wave", "skip-wave", "cleanup" */
  const char *wave;    /* NULL when the command takes none */
  const char *gate;
  const char *reason;
  const char *actor;       /* "alice", "token:ci" */
  const char *actor_roles; /* "Operator" or "Admin,Operator" */
};

/* How executions are started and commanded: the in-process engine (orch_api_engine_local), or, in a
 * deployment without one, something else with the same contract. */
struct orch_api_engine_ops {
  /* As orch_exec_engine_create. */
  int (*create)(void *ctx, const char *plan_id, int64_t version, enum orch_exec_mode mode, const char *by,
                char id_out[ORCH_ID_UUID_LEN + 1], struct orch_error *err);
  /* ORCH_ESTATE (with why) when the state does not allow it, ORCH_ENOTFOUND when the execution is not
   * driven here, ORCH_EPERM when the actor may not (a gate's approvers). */
  int (*command)(void *ctx, const struct orch_api_command *cmd, struct orch_error *err);
  /* Whether the scheduler is alive (for /ready). */
  bool (*alive)(void *ctx);
};

/* The engine command an API command is (the one mapping of the two; ORCH_EINVAL for an unknown command).
 * `out` borrows cmd's strings. */
int orch_api_exec_command_spec(const struct orch_api_command *cmd, struct orch_exec_command_spec *out,
                               struct orch_error *err) ORCH_MUST_CHECK;

/* The ops for an in-process orch_exec_engine (ctx is the engine). */
const struct orch_api_engine_ops *orch_api_engine_local(void);

/* How the API reaches AWS: calls for discovery (the engine's call signature), a role check for new target
 * accounts, and the per-operation counters. orch_api_aws (orch_api_aws.h) is the production one. */
struct orch_api_aws_ops {
  int (*call)(void *ctx, const char *account, const char *region, const char *service, const char *operation,
              const json_t *input, bool paginate, json_t **output, struct orch_aws_error *aerr, struct orch_error *err);
  /* sts:AssumeRole into role_arn (with external_id, may be NULL), then sts:GetCallerIdentity, which
   * must name `account`; its Arn is written to caller_arn. */
  int (*check_role)(void *ctx, const char *account, const char *role_arn, const char *external_id, char *caller_arn,
                    size_t n, struct orch_aws_error *aerr, struct orch_error *err);
  /* The stored target accounts changed: reach them afresh. May be NULL. */
  void (*accounts_changed)(void *ctx);
  /* {"<account>/<region>": {"drs.DescribeJobs": {"calls", "throttles", ...}}}; caller owns. May be NULL. */
  json_t *(*stats)(void *ctx);
};

struct orch_api_config {
  const struct orch_config *settings; /* borrowed: server.*, auth.* */
  struct orch_store *store;           /* borrowed */
  const struct orch_clock *clock;     /* NULL = real: tokens, sessions, rate limits, JWTs */
  const char *listen_address;         /* for /health ("127.0.0.1:8080"); borrowed, may be filled later */
  const char *module_dir;             /* plans' own modules (require "lib.x"), as the engine's; may be NULL */
  struct orch_http_transport *jwks_transport; /* for the Cognito JWKS; NULL = libcurl */
};

/* What the api drives, attached once it is ready (the server may answer before: execution and discovery
 * routes then answer 503 and /ready says "starting"). */
struct orch_api_backends {
  const struct orch_api_engine_ops *engine; /* NULL: execution routes answer 503 */
  void *engine_ctx;
  const struct orch_api_aws_ops *aws;       /* the way to DRS, Service Quotas, STS; NULL: 503 */
  void *aws_ctx;
  const char *default_account;              /* for discovery that names none (copied) */
  const char *default_region;
};

struct orch_api;

int orch_api_new(const struct orch_api_config *cfg, struct orch_api **out, struct orch_error *err) ORCH_MUST_CHECK;
/* Attach the engine and AWS (once; safe while requests are served). */
void orch_api_attach(struct orch_api *api, const struct orch_api_backends *b);
/* End every event stream now (before stopping the transport). */
void orch_api_shutdown(struct orch_api *api);
/* No request may be in flight. Accepts NULL. */
void orch_api_free(struct orch_api *api);

/* Answer one request. Always fills `resp` (init it first); never fails: every problem is an answer. */
void orch_api_handle(struct orch_api *api, const struct orch_api_request *req, struct orch_api_response *resp);

/* The OpenAPI 3.1 document generated from the route table and schemas. Caller owns it. */
json_t *orch_api_openapi(struct orch_api *api);

/* The engine listener to install in orch_exec_engine_config (ctx = the api): feeds the event stream
 * hub, the metrics and the execution view cache. Short: copies and hands off. */
void orch_api_exec_listener(void *ctx, const struct orch_exec_state *st, int64_t seq, int64_t at_ms, const char *type,
                            const json_t *data);

/* Serve an event stream: write the events, heartbeats and the end through `write` (which returns
 * false once the client is gone) until the execution has ended and everything was sent, the client
 * leaves, it falls too far behind (dropped: it reconnects from its last id), or orch_api_shutdown. */
typedef bool (*orch_api_stream_write)(void *ctx, const char *data, size_t len);
void orch_api_stream_run(struct orch_api_stream *s, orch_api_stream_write write, void *ctx);
/* How many event streams may be open at once with `threads` HTTP workers: each open stream holds a
 * worker, so a quarter of them (at least 1, at most 16) stay for requests; past it 503 with Retry-After. */
int orch_api_max_streams(int threads);
/* Free a stream (orch_api_response_release does for the response's own). Accepts NULL. */
void orch_api_stream_free(struct orch_api_stream *s);

/* Counted by the transport: an answer it gave itself before a request reached the router (a header
 * too large, a malformed request line, a time-out). */
void orch_api_note_transport_error(struct orch_api *api, int status);

#endif
