/* orch_lambda_cfn: CloudFormation custom resources. A request (Create, Update, Delete) is validated,
 * handed to the handler of its ResourceType, and answered with a PUT of the outcome to the pre-signed
 * ResponseURL: on success, on failure, for an unknown resource type or request type, and when the
 * properties are wrong, so a stack never waits an hour for an answer that is not coming. Deleting a
 * resource of a type this build does not know succeeds (nothing of it can exist), so rollbacks finish.
 * The answer is retried on connection failures and 5xx. Uses orch_http, orch_json, orch_buf, orch_log. */
#include <string.h>

#include "core/orch_buf.h"
#include "core/orch_json.h"
#include "core/orch_log.h"
#include "core/orch_str.h"
#include "lambda/orch_lambda_cfn.h"
#include "lambda/orch_lambda_int.h"

#define CFN_RESPONSE_MAX 4096 /* CloudFormation's limit on a custom resource response */
#define CFN_PUT_ATTEMPTS 5

/* The resource types this build implements (Custom::<Name> in a template). */
static const struct orch_lambda_cfn_resource *const resources[] = {
  &orch_lambda_cfn_bucket_cleanup,
  &orch_lambda_cfn_console,
  NULL,
};

const char *const *orch_lambda_cfn_types(void) {
  static const char *names[sizeof resources / sizeof resources[0]];
  size_t n = 0;
  for (size_t i = 0; resources[i]; i++) names[n++] = resources[i]->type;
  names[n] = NULL;
  return names;
}

static bool cfn_matches(const json_t *event) {
  return json_is_string(json_object_get(event, "ResponseURL")) && json_object_get(event, "RequestType") &&
         json_object_get(event, "StackId") && json_object_get(event, "LogicalResourceId");
}

/* Split "https://host[:port]/path?query" into endpoint, path and query (copied into `req`). */
static int split_url(const char *url, struct orch_buf *endpoint, struct orch_http_request *req,
                     struct orch_error *err) {
  const char *scheme_end = strstr(url, "://");
  bool ok_scheme = orch_str_starts_with(url, "https://") || orch_str_starts_with(url, "http://");
  if (!scheme_end || !ok_scheme || !scheme_end[3] || scheme_end[3] == '/')
    return orch_error_setc(err, ORCH_EINVAL, "ResponseURL", "'%.120s' is not an http(s) URL", url);
  const char *host = scheme_end + 3;
  size_t hlen = strcspn(host, "/?#");
  const char *rest = host + hlen;
  size_t plen = strcspn(rest, "?#");
  const char *q = rest[plen] == '?' ? rest + plen + 1 : "";
  size_t qlen = strcspn(q, "#");
  struct orch_buf path = ORCH_BUF_INIT(0), query = ORCH_BUF_INIT(0);
  int rc = orch_buf_append(endpoint, url, (size_t)(rest - url));
  if (!rc) rc = plen ? orch_buf_append(&path, rest, plen) : orch_buf_putc(&path, '/');
  if (!rc) rc = orch_buf_append(&query, q, qlen);
  if (!rc) rc = orch_buf_putc(&query, '\0');
  if (!rc) {
    query.len--; /* keep the terminating NUL out of the length */
    rc = orch_http_request_set_target(req, orch_buf_cstr(&path), orch_buf_cstr(&query));
  }
  orch_buf_free(&path);
  orch_buf_free(&query);
  return rc ? orch_error_set(err, rc, "out of memory preparing the CloudFormation response") : 0;
}

/* PUT `body` to the pre-signed URL; retries connection failures and 5xx. */
static int put_response(const struct orch_lambda_env *env, const char *url, const struct orch_buf *body,
                        struct orch_error *err) {
  struct orch_http_request req = {.method = "PUT"};
  struct orch_buf endpoint = ORCH_BUF_INIT(0);
  char len[32];
  int rc = split_url(url, &endpoint, &req, err);
  snprintf(len, sizeof len, "%zu", body->len);
  if (!rc && (orch_http_headers_add(&req.headers, "Content-Length", len) ||
              orch_buf_append(&req.body, body->data, body->len)))
    rc = orch_error_set(err, ORCH_ENOMEM, "out of memory preparing the CloudFormation response");
  int64_t wait_ms = 1000;
  for (int attempt = 1; !rc; attempt++) {
    struct orch_http_response resp = {0};
    struct orch_error terr = {0};
    int trc = env->http->ops->send(env->http->ctx, orch_buf_cstr(&endpoint), &req, &resp, &terr);
    int status = resp.status;
    orch_http_response_free(&resp);
    if (!trc && status >= 200 && status < 300) break;
    if (!trc && status < 500) {
      rc = orch_error_setc(err, ORCH_EAWS, "ResponseURL", "CloudFormation's response URL answered HTTP %d (expired?)",
                           status);
      break;
    }
    if (attempt == CFN_PUT_ATTEMPTS) {
      rc = trc ? orch_error_set(err, trc, "sending the CloudFormation response: %s", terr.message)
               : orch_error_set(err, ORCH_ECONN, "sending the CloudFormation response: HTTP %d", status);
      break;
    }
    orch_log_warn("CloudFormation response attempt %d failed (%s); retrying", attempt,
                  trc ? terr.message : "HTTP 5xx");
    if (env->sleep_ms) env->sleep_ms(env->sleep_ctx, wait_ms);
    wait_ms *= 2;
  }
  orch_http_request_free(&req);
  orch_buf_free(&endpoint);
  return rc;
}

/* The response document, its Reason shortened so the whole fits CloudFormation's limit. */
static int response_body(const struct orch_lambda_cfn_request *r, bool success, const char *reason,
                         json_t *data, struct orch_buf *out) {
  size_t cap = strlen(reason);
  for (;;) {
    json_t *doc = json_pack("{s:s, s:s%, s:s, s:s, s:s, s:s, s:b}", "Status", success ? "SUCCESS" : "FAILED",
                            "Reason", reason, cap, "PhysicalResourceId", r->physical_id, "StackId", r->stack_id,
                            "RequestId", r->request_id, "LogicalResourceId", r->logical_id, "NoEcho", 0);
    if (doc && data && json_object_size(data)) json_object_set(doc, "Data", data);
    orch_buf_reset(out);
    int rc = doc ? orch_json_dump(out, doc, JSON_COMPACT) : ORCH_ENOMEM;
    json_decref(doc);
    if (rc) return rc;
    if (out->len <= CFN_RESPONSE_MAX || cap == 0) return out->len <= CFN_RESPONSE_MAX ? 0 : ORCH_ETOOBIG;
    size_t over = out->len - CFN_RESPONSE_MAX;
    cap = over + 8 >= cap ? 0 : cap - over - 8;
    while (cap > 0 && ((unsigned char)reason[cap] & 0xC0) == 0x80) cap--; /* whole UTF-8 characters */
  }
}

static int cfn_handle(const struct orch_lambda_env *env, const json_t *event, const struct orch_lambda_context *ctx,
                      json_t **response, const char **error_type, struct orch_error *err) {
  struct orch_lambda_cfn_request r = {.event = event};
  const char *url = NULL, *physical = NULL;
  int rc;
  if ((rc = orch_json_get_str(event, "", "ResponseURL", true, &url, err)) ||
      (rc = orch_json_get_str(event, "", "StackId", true, &r.stack_id, err)) ||
      (rc = orch_json_get_str(event, "", "RequestId", true, &r.request_id, err)) ||
      (rc = orch_json_get_str(event, "", "LogicalResourceId", true, &r.logical_id, err))) {
    *error_type = ORCH_LAMBDA_ERR_BAD_EVENT;
    orch_error_prefix(err, "CloudFormation request cannot be answered");
    return rc;
  }
  /* From here on every path answers CloudFormation. */
  struct orch_error werr = {0};
  json_t *data = json_object();
  char physical_buf[512];
  rc = data ? 0 : orch_error_set(&werr, ORCH_ENOMEM, "out of memory");
  if (!rc) rc = orch_json_get_str(event, "", "PhysicalResourceId", false, &physical, &werr);
  snprintf(physical_buf, sizeof physical_buf, "%s", physical ? physical : "");
  if (!physical_buf[0]) snprintf(physical_buf, sizeof physical_buf, "%s-%.8s", r.logical_id, r.request_id);
  r.physical_id = physical_buf;
  const char *request_type = NULL;
  if (!rc) rc = orch_json_get_str(event, "", "RequestType", true, &request_type, &werr);
  if (!rc) rc = orch_json_get_str(event, "", "ResourceType", true, &r.resource_type, &werr);
  json_t *props = NULL, *old_props = NULL;
  if (!rc) rc = orch_json_get_object(event, "", "ResourceProperties", false, &props, &werr);
  if (!rc) rc = orch_json_get_object(event, "", "OldResourceProperties", false, &old_props, &werr);
  r.properties = props;
  r.old_properties = old_props;
  enum orch_lambda_cfn_op op = ORCH_LAMBDA_CFN_CREATE;
  if (!rc) {
    if (strcmp(request_type, "Create") == 0) op = ORCH_LAMBDA_CFN_CREATE;
    else if (strcmp(request_type, "Update") == 0) op = ORCH_LAMBDA_CFN_UPDATE;
    else if (strcmp(request_type, "Delete") == 0) op = ORCH_LAMBDA_CFN_DELETE;
    else rc = orch_error_setc(&werr, ORCH_EINVAL, "RequestType", "unknown request type '%s' (Create, Update, Delete)",
                              request_type);
  }
  const struct orch_lambda_cfn_resource *res = NULL;
  for (size_t i = 0; !rc && resources[i] && !res; i++)
    if (strcmp(resources[i]->type, r.resource_type) == 0) res = resources[i];
  const char *note = "";
  if (!rc && !res && op == ORCH_LAMBDA_CFN_DELETE) {
    note = "unknown resource type: nothing of it exists, nothing to delete";
  } else if (!rc && !res) {
    struct orch_buf known = ORCH_BUF_INIT(1024);
    const char *const *types = orch_lambda_cfn_types();
    for (size_t i = 0; types[i]; i++)
      if (orch_buf_printf(&known, "%s%s", i ? ", " : "", types[i])) break;
    rc = orch_error_setc(&werr, ORCH_EINVAL, "ResourceType", "unknown resource type '%s' (this function handles: %s)",
                         r.resource_type, known.len ? orch_buf_cstr(&known) : "none");
    orch_buf_free(&known);
  } else if (!rc) {
    rc = res->handle(env, op, &r, ctx, data, &werr);
  }

  char reason[ORCH_ERROR_MESSAGE_MAX + ORCH_ERROR_CONTEXT_MAX + 600];
  if (rc) {
    char line[ORCH_ERROR_MESSAGE_MAX + ORCH_ERROR_CONTEXT_MAX + 8];
    snprintf(reason, sizeof reason, "%s (logs: %s %s)", orch_error_format(&werr, line, sizeof line),
             ctx->log_group[0] ? ctx->log_group : "-", ctx->log_stream[0] ? ctx->log_stream : "-");
  } else {
    snprintf(reason, sizeof reason, "%s", note);
  }
  struct orch_buf body = ORCH_BUF_INIT(0);
  int prc = response_body(&r, rc == 0, reason, data, &body);
  if (prc) prc = orch_error_set(err, prc, "cannot write the CloudFormation response: %s", orch_error_str(prc));
  else prc = put_response(env, url, &body, err);
  struct orch_log_field f[] = {{"resource_type", r.resource_type ? r.resource_type : "-"},
                               {"logical_id", r.logical_id}, {"status", rc ? "FAILED" : "SUCCESS"}};
  orch_log_write(rc ? ORCH_LOG_ERROR : ORCH_LOG_INFO, f, 3, "custom resource %s %s: %s",
                 request_type ? request_type : "?", rc ? "FAILED" : "SUCCESS", reason[0] ? reason : "done");
  orch_buf_free(&body);
  if (!prc) {
    *response = json_pack("{s:s, s:s, s:s}", "Status", rc ? "FAILED" : "SUCCESS", "PhysicalResourceId", r.physical_id,
                          "Reason", reason);
    if (!*response) prc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
  }
  json_decref(data);
  return prc; /* the invocation fails only when CloudFormation could not be told */
}

const struct orch_lambda_shape orch_lambda_shape_cfn = {
  .name = "CloudFormation custom resource",
  .matches = cfn_matches,
  .handle = cfn_handle,
};
