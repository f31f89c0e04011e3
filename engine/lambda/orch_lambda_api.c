/* orch_lambda_api: API Gateway REST proxy events ({"httpMethod", "path", "headers", "body", ...}) through
 * the REST API's router (orch_api_handle: the same route table, auth, RBAC and error envelope as `drsorch
 * serve`), answered as a proxy response {"statusCode", "headers", "body"}. Behind API Gateway's Cognito
 * authorizer the caller is the token it verified: its claims (requestContext.authorizer.claims) go to the
 * router as the request's verified_claims, which win over any header; without them (a route without the
 * authorizer, `drsorch lambda invoke`) the router identifies the caller from the request's own credentials.
 * The source address is API Gateway's. Event streams are not served through API Gateway (406 with the
 * envelope: read the events with GET and ?from=). Uses orch_api, orch_str (query encoding), orch_aws
 * (base64), orch_json. */
#include <string.h>

#include "aws/orch_aws_proto_int.h"
#include "core/orch_json.h"
#include "core/orch_str.h"
#include "lambda/orch_lambda_int.h"
#include "lambda/orch_lambda_sfn.h"

#define API_HEADERS_MAX 128

static bool api_matches(const json_t *event) {
  return json_is_string(json_object_get(event, "httpMethod")) && json_is_string(json_object_get(event, "path"));
}

/* path?k=v&k=v from the event (multiValueQueryStringParameters first: it keeps repeated keys). */
static int build_target(const json_t *event, struct orch_buf *out, struct orch_error *err) {
  const char *path = json_string_value(json_object_get(event, "path"));
  int rc = orch_buf_puts(out, path);
  json_t *multi = json_object_get(event, "multiValueQueryStringParameters");
  json_t *single = json_object_get(event, "queryStringParameters");
  json_t *q = json_is_object(multi) ? multi : single;
  const char *key;
  json_t *v;
  bool first = true;
  json_object_foreach(q, key, v) {
    json_t *one = json_is_array(v) ? NULL : v;
    size_t n = json_is_array(v) ? json_array_size(v) : 1;
    for (size_t i = 0; i < n && !rc; i++) {
      const json_t *item = one ? one : json_array_get(v, i);
      if (!json_is_string(item))
        return orch_error_setc(err, ORCH_EINVAL, "event.queryStringParameters", "'%.64s' is not a string", key);
      const char *s = json_string_value(item);
      rc = orch_buf_putc(out, first ? '?' : '&');
      if (!rc) rc = orch_str_uri_encode(out, key, strlen(key), false);
      if (!rc) rc = orch_buf_putc(out, '=');
      if (!rc) rc = orch_str_uri_encode(out, s, strlen(s), false);
      first = false;
    }
  }
  return rc ? orch_error_set(err, rc, "the request target is too long") : 0;
}

/* The response's header lines ("Name: value\r\n") into a headers object. */
static int add_headers(json_t *obj, const struct orch_buf *lines) {
  const char *p = lines->data ? orch_buf_cstr(lines) : "";
  while (*p) {
    const char *eol = strstr(p, "\r\n"), *colon = memchr(p, ':', eol ? (size_t)(eol - p) : strlen(p));
    if (!eol || !colon) break;
    char name[128];
    snprintf(name, sizeof name, "%.*s", (int)(colon - p), p);
    const char *v = colon + 1;
    while (*v == ' ') v++;
    if (json_object_set_new(obj, name, json_stringn(v, (size_t)(eol - v)))) return ORCH_ENOMEM;
    p = eol + 2;
  }
  return 0;
}

static int api_handle(const struct orch_lambda_env *env, const json_t *event, const struct orch_lambda_context *ctx,
                      json_t **response, const char **error_type, struct orch_error *err) {
  (void)ctx;
  const struct orch_lambda_backend *b = env->backend;
  if (!b || !b->api) {
    *error_type = ORCH_LAMBDA_ERR_FAILED;
    return orch_error_set(err, ORCH_ECONFIG, "this function serves no API (set lambda.store, DRSORCH_LAMBDA_STORE)");
  }
  struct orch_api_header headers[API_HEADERS_MAX];
  size_t nh = 0;
  const char *key;
  json_t *v;
  json_object_foreach(json_object_get(event, "headers"), key, v) {
    if (nh == API_HEADERS_MAX) break;
    if (json_is_string(v)) headers[nh++] = (struct orch_api_header){key, json_string_value(v)};
  }
  struct orch_buf target = ORCH_BUF_INIT(16384), body = ORCH_BUF_INIT(0);
  const char *text = json_string_value(json_object_get(event, "body"));
  int rc = build_target(event, &target, err);
  if (!rc && text && json_is_true(json_object_get(event, "isBase64Encoded")) &&
      orch_aws_b64_decode(&body, text, strlen(text)))
    rc = orch_error_setc(err, ORCH_EINVAL, "event.body", "isBase64Encoded but the body is not base64");
  else if (!rc && text)
    rc = orch_buf_puts(&body, text) ? orch_error_set(err, ORCH_ENOMEM, "out of memory") : 0;
  if (rc) {
    *error_type = ORCH_LAMBDA_ERR_BAD_EVENT;
    goto out;
  }
  const json_t *rc_ctx = json_object_get(event, "requestContext");
  const char *addr = json_string_value(json_object_get(json_object_get(rc_ctx, "identity"), "sourceIp"));
  const json_t *claims = json_object_get(json_object_get(rc_ctx, "authorizer"), "claims");
  struct orch_api_request req = {.method = json_string_value(json_object_get(event, "httpMethod")),
                                 .target = orch_buf_cstr(&target), .headers = headers, .nheaders = nh,
                                 .body = body.data, .body_len = body.len, .remote_addr = addr ? addr : "", .tls = true,
                                 .verified_claims = json_is_object(claims) ? claims : NULL};
  struct orch_api_response resp;
  orch_api_response_init(&resp);
  orch_api_handle(b->api, &req, &resp);
  if (resp.stream) { /* API Gateway buffers a whole answer: no event streams through it */
    orch_api_response_release(&resp);
    orch_api_response_init(&resp);
    resp.status = 406;
    resp.content_type = "application/json";
    rc = orch_buf_puts(&resp.body, "{\"error\": {\"code\": \"not_acceptable\", \"message\": \"event streams are not served "
                                   "through API Gateway: read the events with GET and ?from=\"}}");
  }
  json_t *h = json_object();
  if (!rc && h && resp.content_type) rc = json_object_set_new(h, "Content-Type", json_string(resp.content_type)) ? ORCH_ENOMEM : 0;
  if (!rc && h && resp.request_id[0]) rc = json_object_set_new(h, "X-Request-Id", json_string(resp.request_id)) ? ORCH_ENOMEM : 0;
  if (!rc && h) rc = add_headers(h, &resp.headers);
  *response = !rc && h ? json_pack("{s:i, s:o, s:s%, s:b}", "statusCode", resp.status, "headers", h, "body",
                                   resp.body.data ? resp.body.data : "", resp.body.len, "isBase64Encoded", 0)
                       : NULL;
  if (!*response) {
    if (rc || !h) json_decref(h);
    rc = orch_error_set(err, ORCH_ENOMEM, "out of memory answering the request");
  }
  orch_api_response_release(&resp);
out:
  orch_buf_free(&target);
  orch_buf_free(&body);
  return rc;
}

const struct orch_lambda_shape orch_lambda_shape_api = {
  .name = "API Gateway proxy request ({\"httpMethod\", \"path\"})",
  .matches = api_matches,
  .handle = api_handle,
};
