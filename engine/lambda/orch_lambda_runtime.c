/* orch_lambda_runtime: the Runtime API loop. Each event's headers become the invocation context (request
 * id, deadline, function ARN, X-Ray trace id, also exported as _X_AMZN_TRACE_ID); the outcome is posted
 * back, an error with Lambda-Runtime-Function-Error-Type. Uses orch_lambda, orch_http, orch_json,
 * orch_log, orch_str. */
#include "lambda/orch_lambda_runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/orch_buf.h"
#include "core/orch_json.h"
#include "core/orch_log.h"
#include "core/orch_str.h"

#define RUNTIME_PREFIX "/2018-06-01/runtime"

static int endpoint_of(const char *api, struct orch_buf *out, struct orch_error *err) {
  if (!api || !*api || strchr(api, '/') || strchr(api, ' '))
    return orch_error_setc(err, ORCH_ECONFIG, "AWS_LAMBDA_RUNTIME_API", "'%s' is not host:port", api ? api : "");
  if (orch_buf_printf(out, "http://%s", api)) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  return 0;
}

/* One request to the Runtime API. The response is the caller's to free. */
static int runtime_call(const struct orch_lambda_runtime_config *cfg, const char *method, const char *path,
                        const char *error_type, const char *body, size_t len, struct orch_http_response *resp,
                        struct orch_error *err) {
  struct orch_http_request req = {0};
  struct orch_buf endpoint = ORCH_BUF_INIT(0);
  snprintf(req.method, sizeof req.method, "%s", method);
  int rc = endpoint_of(cfg->api, &endpoint, err);
  if (!rc && (orch_http_request_set_target(&req, path, "") || (body && orch_buf_append(&req.body, body, len)) ||
              (body && orch_http_headers_add(&req.headers, "Content-Type", "application/json")) ||
              (error_type && orch_http_headers_add(&req.headers, "Lambda-Runtime-Function-Error-Type", error_type))))
    rc = orch_error_set(err, ORCH_ENOMEM, "out of memory calling the Runtime API");
  if (!rc) rc = cfg->transport->ops->send(cfg->transport->ctx, orch_buf_cstr(&endpoint), &req, resp, err);
  if (rc) orch_error_prefix(err, "Lambda Runtime API %s %s", method, path);
  orch_http_request_free(&req);
  orch_buf_free(&endpoint);
  return rc;
}

/* POST an error document for `type`/`what` to `path`. */
static int post_error(const struct orch_lambda_runtime_config *cfg, const char *path, const char *type,
                      const struct orch_error *what, struct orch_error *err) {
  json_t *doc = orch_lambda_error_document(type, what);
  struct orch_buf body = ORCH_BUF_INIT(0);
  struct orch_http_response resp = {0};
  int rc = doc ? orch_json_dump(&body, doc, 0) : ORCH_ENOMEM;
  if (rc) rc = orch_error_set(err, rc, "out of memory writing an error report");
  else rc = runtime_call(cfg, "POST", path, type, body.data, body.len, &resp, err);
  if (!rc && resp.status != 202)
    rc = orch_error_set(err, ORCH_EIO, "Lambda Runtime API POST %s answered HTTP %d", path, resp.status);
  orch_http_response_free(&resp);
  orch_buf_free(&body);
  json_decref(doc);
  return rc;
}

int orch_lambda_runtime_init_error(const struct orch_lambda_runtime_config *cfg, const char *type,
                                   const struct orch_error *what, struct orch_error *err) {
  return post_error(cfg, RUNTIME_PREFIX "/init/error", type, what, err);
}

static void copy_header(char *dst, size_t n, const struct orch_http_response *resp, const char *name) {
  const char *v = orch_http_headers_get(&resp->headers, name);
  snprintf(dst, n, "%s", v ? v : "");
}

/* Fill the context from the event's headers; ORCH_EPARSE when the request id is missing or unusable. */
static int read_context(const struct orch_lambda_runtime_config *cfg, const struct orch_http_response *resp,
                        struct orch_lambda_context *ctx, struct orch_error *err) {
  memset(ctx, 0, sizeof *ctx);
  copy_header(ctx->request_id, sizeof ctx->request_id, resp, "Lambda-Runtime-Aws-Request-Id");
  copy_header(ctx->function_arn, sizeof ctx->function_arn, resp, "Lambda-Runtime-Invoked-Function-Arn");
  copy_header(ctx->trace_id, sizeof ctx->trace_id, resp, "Lambda-Runtime-Trace-Id");
  snprintf(ctx->log_group, sizeof ctx->log_group, "%s", cfg->log_group ? cfg->log_group : "");
  snprintf(ctx->log_stream, sizeof ctx->log_stream, "%s", cfg->log_stream ? cfg->log_stream : "");
  const char *id = ctx->request_id;
  if (!id[0] || strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != strlen(id))
    return orch_error_set(err, ORCH_EPARSE, "Lambda Runtime API sent an event without a usable request id ('%.64s')",
                          id);
  const char *deadline = orch_http_headers_get(&resp->headers, "Lambda-Runtime-Deadline-Ms");
  long long ms = 0;
  if (deadline && orch_str_to_ll(deadline, 0, INT64_MAX, &ms) == 0) ctx->deadline_ms = ms;
  if (ctx->trace_id[0]) setenv("_X_AMZN_TRACE_ID", ctx->trace_id, 1);
  else unsetenv("_X_AMZN_TRACE_ID");
  return 0;
}

/* Post the outcome of one invocation. */
static int post_result(const struct orch_lambda_runtime_config *cfg, const struct orch_lambda_context *ctx,
                       const struct orch_lambda_result *res, struct orch_error *err) {
  char path[sizeof ctx->request_id + 64];
  struct orch_http_response resp = {0};
  int rc;
  if (!res->error_type) {
    snprintf(path, sizeof path, RUNTIME_PREFIX "/invocation/%s/response", ctx->request_id);
    rc = runtime_call(cfg, "POST", path, NULL, res->response, res->response_len, &resp, err);
    if (!rc && resp.status == 202) goto out;
    if (!rc && resp.status == 413) {
      /* too large for Lambda: say so as the invocation's error */
      struct orch_error big = {0};
      orch_error_set(&big, ORCH_ETOOBIG, "response of %zu bytes refused by Lambda as too large", res->response_len);
      snprintf(path, sizeof path, RUNTIME_PREFIX "/invocation/%s/error", ctx->request_id);
      rc = post_error(cfg, path, ORCH_LAMBDA_ERR_FAILED, &big, err);
      goto out;
    }
    if (!rc) rc = orch_error_set(err, ORCH_EIO, "Lambda Runtime API refused the response: HTTP %d", resp.status);
    goto out;
  }
  snprintf(path, sizeof path, RUNTIME_PREFIX "/invocation/%s/error", ctx->request_id);
  rc = post_error(cfg, path, res->error_type, &res->error, err);
out:
  orch_http_response_free(&resp);
  return rc;
}

int orch_lambda_runtime_run(const struct orch_lambda_runtime_config *cfg, struct orch_error *err) {
  for (long n = 0; cfg->max_invocations == 0 || n < cfg->max_invocations; n++) {
    struct orch_http_response resp = {0};
    struct orch_lambda_context ctx;
    int rc = runtime_call(cfg, "GET", RUNTIME_PREFIX "/invocation/next", NULL, NULL, 0, &resp, err);
    if (!rc && resp.status != 200)
      rc = orch_error_set(err, ORCH_EIO, "Lambda Runtime API GET next answered HTTP %d", resp.status);
    if (!rc) rc = read_context(cfg, &resp, &ctx, err);
    if (rc) {
      orch_http_response_free(&resp);
      return rc;
    }
    orch_log_context_set(ctx.request_id, NULL);
    struct orch_lambda_result res;
    (void)orch_lambda_invoke(cfg->env, resp.body.data, resp.body.len, &ctx, &res);
    orch_http_response_free(&resp);
    rc = post_result(cfg, &ctx, &res, err);
    orch_lambda_result_release(&res);
    orch_log_context_set(NULL, NULL);
    if (rc) return rc;
  }
  return 0;
}
