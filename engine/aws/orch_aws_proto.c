/* orch_aws_proto: the public face of the protocols: validates input, fills idempotency tokens, and
 * dispatches each direction to the protocol's codec (rest-json, rest-xml, JSON 1.0/1.1, query, ec2); adds
 * Content-MD5 where the model requires a checksum; reads error responses into orch_aws_error and writes
 * them for the simulator. Uses orch_aws_proto_json, _rest, _query, _xml, orch_aws_validate, orch_http,
 * OpenSSL (MD5). */
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "aws/orch_aws_proto_int.h"
#include "core/orch_str.h"

/* ---- helpers shared by the codecs ---- */

int orch_aws_proto_vreject(struct orch_aws_error *aerr, int status, const char *code, const char *fmt, va_list ap) {
  snprintf(aerr->code, sizeof aerr->code, "%s", code);
  vsnprintf(aerr->message, sizeof aerr->message, fmt, ap);
  aerr->http_status = status;
  return ORCH_EAWS;
}

int orch_aws_proto_reject(struct orch_aws_error *aerr, int status, const char *code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = orch_aws_proto_vreject(aerr, status, code, fmt, ap);
  va_end(ap);
  return rc;
}

int orch_aws_proto_request_id(struct orch_http_response *resp, char *out, size_t outsz) {
  const char *have = orch_http_headers_get(&resp->headers, "x-amzn-RequestId");
  if (have && *have) {
    snprintf(out, outsz, "%s", have);
    return 0;
  }
  char uuid[37];
  int rc = orch_aws_proto_uuid4(uuid);
  if (rc) return rc;
  snprintf(out, outsz, "%s", uuid);
  return orch_http_headers_set(&resp->headers, "x-amzn-RequestId", out);
}

static void error_init(struct orch_aws_error *aerr, int status) {
  memset(aerr, 0, sizeof *aerr);
  aerr->http_status = status;
  aerr->retry_after_ms = -1;
}

static bool unsupported(const struct orch_aws_operation *op, struct orch_error *err, int *rc) {
  const struct orch_aws_shape *in = op->input.shape, *out = op->output.shape;
  if ((in && in->eventstream) || (out && out->eventstream)) {
    *rc = orch_error_setc(err, ORCH_EUNSUPPORTED, op->name, "event streams are not supported");
    return true;
  }
  return false;
}

/* ---- validation ---- */

int orch_aws_proto_validate_input(const struct orch_aws_operation *op, const json_t *input, struct orch_error *err) {
  if (input && !json_is_object(input))
    return orch_error_setc(err, ORCH_EVALIDATION, "(input)", "%s input must be an object, not %s", op->name,
                           json_is_array(input) ? "an array" : "a scalar");
  if (!op->input.shape) {
    if (input && json_object_size(input) > 0) {
      const char *key = json_object_iter_key(json_object_iter((json_t *)(uintptr_t)input));
      return orch_error_setc(err, ORCH_EVALIDATION, key, "unknown member '%s': %s takes no input", key, op->name);
    }
    return 0;
  }
  json_t *empty = NULL;
  if (!input && !(input = empty = json_object())) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  int rc = orch_aws_validate_value(op->input.shape, input, ORCH_AWS_VALIDATE_CLIENT, err);
  if (rc) orch_error_prefix(err, "%s", op->name);
  json_decref(empty);
  return rc;
}

/* ---- client ---- */

/* Content-MD5 (base64 of the body's MD5) for operations whose model requires a checksum (S3
 * DeleteObjects), unless the caller set it or a flexible checksum header already. */
static int content_md5(struct orch_http_request *req, struct orch_error *err) {
  for (size_t i = 0; i < req->headers.n; i++)
    if (!strcasecmp(req->headers.items[i].name, "Content-MD5") ||
        !strncasecmp(req->headers.items[i].name, "x-amz-checksum-", 15))
      return 0;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (!EVP_Digest(req->body.data ? req->body.data : "", req->body.len, md, &n, EVP_md5(), NULL))
    return orch_error_set(err, ORCH_EINTERNAL, "MD5 of the request body failed");
  struct orch_buf b64 = ORCH_BUF_INIT(64);
  int rc = orch_aws_b64_encode(&b64, md, n);
  if (!rc) rc = orch_http_headers_set(&req->headers, "Content-MD5", orch_buf_cstr(&b64));
  orch_buf_free(&b64);
  return rc ? orch_error_set(err, ORCH_ENOMEM, "out of memory") : 0;
}

int orch_aws_proto_build_request(const struct orch_aws_operation *op, const json_t *input,
                                 struct orch_http_request *req, struct orch_error *err) {
  int rc = 0;
  if (unsupported(op, err, &rc)) return rc;
  json_t *filled = NULL;
  if ((rc = orch_aws_walk_fill_tokens(op->input.shape, input, &filled, err))) return rc;
  if ((rc = orch_aws_proto_validate_input(op, filled, err))) goto out;
  switch (orch_aws_service_protocol(op->svc)) {
    case ORCH_AWS_PROTO_REST_JSON:
    case ORCH_AWS_PROTO_REST_XML:
      rc = orch_aws_rest_build_request(op, filled, req, err);
      break;
    case ORCH_AWS_PROTO_JSON:
      rc = orch_aws_jsonrpc_build_request(op, filled, req, err);
      break;
    case ORCH_AWS_PROTO_QUERY:
    case ORCH_AWS_PROTO_EC2:
      rc = orch_aws_query_build_request(op, filled, req, err);
      break;
  }
  if (!rc && op->checksum_required) rc = content_md5(req, err);
out:
  json_decref(filled);
  return rc;
}

static void read_retry_after(const struct orch_http_response *resp, struct orch_aws_error *aerr) {
  const char *ra = orch_http_headers_get(&resp->headers, "Retry-After");
  long long secs;
  if (ra && orch_str_to_ll(ra, 0, 86400, &secs) == 0) aerr->retry_after_ms = secs * 1000;
}

static bool is_xml(const struct orch_aws_service *svc) {
  enum orch_aws_protocol p = orch_aws_service_protocol(svc);
  return p == ORCH_AWS_PROTO_QUERY || p == ORCH_AWS_PROTO_EC2 || p == ORCH_AWS_PROTO_REST_XML;
}

static int parse_error(const struct orch_aws_operation *op, const struct orch_http_response *resp,
                       struct orch_aws_error *aerr, json_t **details, struct orch_error *err) {
  int rc;
  if (is_xml(op->svc)) {
    rc = orch_aws_xml_parse_error(op->svc, resp, aerr, details, err);
  } else {
    json_t *body = NULL;
    rc = orch_aws_json_parse_error(resp, aerr, &body, err);
    const struct orch_aws_shape *shape = orch_aws_model_error_shape(op->svc, aerr->code);
    if (!rc && details && shape) {
      json_t *empty = body ? NULL : json_object();
      rc = orch_aws_rest_parse_error_members(shape, resp, body ? body : empty, details, err);
      json_decref(empty);
    }
    json_decref(body);
  }
  read_retry_after(resp, aerr);
  return rc;
}

int orch_aws_proto_parse_response(const struct orch_aws_operation *op, const struct orch_http_response *resp,
                                  json_t **output, struct orch_aws_error *aerr, struct orch_error *err) {
  struct orch_aws_error local;
  if (!aerr) aerr = &local;
  error_init(aerr, resp->status);
  *output = NULL;
  int rc = 0;
  if (unsupported(op, err, &rc)) return rc;
  if (resp->status < 200 || resp->status >= 300) {
    if ((rc = parse_error(op, resp, aerr, NULL, err))) return rc;
    return orch_error_set(err, ORCH_EAWS, "%s: %s (HTTP %d): %s", op->name, aerr->code, resp->status,
                          aerr->message);
  }
  switch (orch_aws_service_protocol(op->svc)) {
    case ORCH_AWS_PROTO_REST_JSON:
    case ORCH_AWS_PROTO_REST_XML:
      rc = orch_aws_rest_parse_response(op, resp, output, err);
      break;
    case ORCH_AWS_PROTO_JSON:
      rc = orch_aws_jsonrpc_parse_response(op, resp, output, err);
      break;
    case ORCH_AWS_PROTO_QUERY:
    case ORCH_AWS_PROTO_EC2:
      rc = orch_aws_xml_parse_response(op, resp, output, aerr, err);
      if (rc == ORCH_EAWS)
        orch_error_set(err, ORCH_EAWS, "%s: %s (HTTP %d with an error body): %s", op->name, aerr->code,
                       resp->status, aerr->message);
      break;
  }
  return rc;
}

int orch_aws_proto_parse_error_details(const struct orch_aws_operation *op, const struct orch_http_response *resp,
                                       json_t **details, struct orch_error *err) {
  struct orch_aws_error aerr;
  error_init(&aerr, resp->status);
  *details = NULL;
  int rc = parse_error(op, resp, &aerr, details, err);
  if (!rc && !*details && !(*details = json_object())) rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
  return rc;
}

/* ---- server ---- */

static const char *validation_code(const struct orch_aws_service *svc, const struct orch_error *verr) {
  switch (orch_aws_service_protocol(svc)) {
    case ORCH_AWS_PROTO_EC2:
      return strstr(verr->message, "missing required member") ? "MissingParameter" : "InvalidParameterValue";
    case ORCH_AWS_PROTO_QUERY:
      return "ValidationError";
    case ORCH_AWS_PROTO_REST_XML:
      return "InvalidArgument";
    case ORCH_AWS_PROTO_REST_JSON:
    case ORCH_AWS_PROTO_JSON:
      break;
  }
  return "ValidationException";
}

int orch_aws_proto_parse_request(const struct orch_aws_service *svc, const struct orch_http_request *req,
                                 const struct orch_aws_operation **op, json_t **input,
                                 struct orch_aws_error *aerr) {
  struct orch_aws_error local;
  if (!aerr) aerr = &local;
  error_init(aerr, 0);
  *op = NULL;
  *input = NULL;
  int rc = 0;
  switch (orch_aws_service_protocol(svc)) {
    case ORCH_AWS_PROTO_REST_JSON:
    case ORCH_AWS_PROTO_REST_XML:
      rc = orch_aws_rest_parse_request(svc, req, op, input, aerr);
      break;
    case ORCH_AWS_PROTO_JSON:
      rc = orch_aws_jsonrpc_parse_request(svc, req, op, input, aerr);
      break;
    case ORCH_AWS_PROTO_QUERY:
    case ORCH_AWS_PROTO_EC2:
      rc = orch_aws_query_parse_request(svc, req, op, input, aerr);
      break;
  }
  if (rc == ORCH_ENOMEM) {
    orch_aws_proto_reject(aerr, 500, "InternalFailure", "out of memory");
    rc = ORCH_EAWS;
  }
  if (rc) goto fail;
  if ((*op)->input.shape) {
    struct orch_error verr = {0};
    if (orch_aws_validate_value((*op)->input.shape, *input, ORCH_AWS_VALIDATE_SERVER, &verr)) {
      char line[ORCH_ERROR_MESSAGE_MAX + ORCH_ERROR_CONTEXT_MAX + 4];
      rc = orch_aws_proto_reject(aerr, 400, validation_code(svc, &verr), "1 validation error detected: %s",
                                 orch_error_format(&verr, line, sizeof line));
      goto fail;
    }
  }
  return 0;
fail:
  json_decref(*input);
  *input = NULL;
  return rc;
}

int orch_aws_proto_build_response(const struct orch_aws_operation *op, const json_t *output,
                                  struct orch_http_response *resp, struct orch_error *err) {
  int rc = 0;
  if (unsupported(op, err, &rc)) return rc;
  char rid[64];
  switch (orch_aws_service_protocol(op->svc)) {
    case ORCH_AWS_PROTO_REST_JSON:
    case ORCH_AWS_PROTO_REST_XML:
      return orch_aws_rest_build_response(op, output, resp, err);
    case ORCH_AWS_PROTO_JSON:
      return orch_aws_jsonrpc_build_response(op, output, resp, err);
    case ORCH_AWS_PROTO_QUERY:
    case ORCH_AWS_PROTO_EC2:
      if ((rc = orch_aws_proto_request_id(resp, rid, sizeof rid))) return orch_error_set(err, rc, "out of memory");
      return orch_aws_xml_build_response(op, output, rid, resp, err);
  }
  return orch_error_set(err, ORCH_EINTERNAL, "unknown protocol");
}

int orch_aws_proto_build_error_ex(const struct orch_aws_service *svc, const struct orch_aws_error *aerr,
                                  const json_t *details, struct orch_http_response *resp, struct orch_error *err) {
  char rid[128];
  int rc = 0;
  if (aerr->request_id[0]) {
    snprintf(rid, sizeof rid, "%s", aerr->request_id);
  } else if ((rc = orch_aws_proto_request_id(resp, rid, sizeof rid))) {
    return orch_error_set(err, rc, "out of memory");
  }
  if (is_xml(svc)) return orch_aws_xml_build_error(svc, aerr, details, rid, resp, err);
  return orch_aws_json_build_error(svc, aerr, details, rid, resp, err);
}

int orch_aws_proto_build_error(const struct orch_aws_service *svc, const struct orch_aws_error *aerr,
                               struct orch_http_response *resp, struct orch_error *err) {
  return orch_aws_proto_build_error_ex(svc, aerr, NULL, resp, err);
}

int orch_aws_proto_host_prefix(const struct orch_aws_operation *op, const json_t *input, char *out, size_t outsz,
                               struct orch_error *err) {
  struct orch_buf b = ORCH_BUF_INIT(256);
  int rc = 0;
  const char *p = op->host_prefix ? op->host_prefix : "";
  while (*p && !rc) {
    if (*p != '{') {
      rc = orch_buf_putc(&b, *p++);
      continue;
    }
    const char *close = strchr(p, '}');
    if (!close) {
      rc = orch_error_setc(err, ORCH_EPARSE, op->name, "unterminated label in hostPrefix '%s'", op->host_prefix);
      goto out;
    }
    char name[128];
    snprintf(name, sizeof name, "%.*s", (int)(close - p - 1), p + 1);
    const char *v = json_string_value(json_object_get(input, name));
    if (!v || !*v) {
      rc = orch_error_setc(err, ORCH_EVALIDATION, name, "%s needs '%s' for its endpoint host", op->name, name);
      goto out;
    }
    for (const char *c = v; *c; c++)
      if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '-')) {
        rc = orch_error_setc(err, ORCH_EVALIDATION, name, "'%s' is not a valid host label", v);
        goto out;
      }
    rc = orch_buf_puts(&b, v);
    p = close + 1;
  }
  if (rc) {
    rc = orch_error_set(err, rc, "host prefix too long");
    goto out;
  }
  snprintf(out, outsz, "%s", orch_buf_cstr(&b));
out:
  orch_buf_free(&b);
  return rc;
}
