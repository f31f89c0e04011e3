/* orch_aws_proto_json: JSON bodies both ways (our JSON with model member names <-> wire JSON with
 * locationNames, epoch-second timestamps, base64 blobs), JSON error responses (parse and build), and
 * the JSON 1.0/1.1 protocol (X-Amz-Target) in both directions. Uses orch_aws_proto_walk, orch_json,
 * jansson. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "aws/orch_aws_proto_int.h"
#include "core/orch_json.h"
#include "core/orch_str.h"

/* Walk state: the direction, and the path of the value being converted, for error messages. */
struct jwalk {
  unsigned flags;
  bool decoding; /* wire -> ours: a value of the wrong type is ORCH_EPARSE there, ORCH_ETYPE in our input */
  int depth;
  char path[ORCH_JSON_PATH_MAX];
  struct orch_error *err;
};

static void pop(struct jwalk *w, size_t old) { w->path[old] = '\0'; }

static int wrong(struct jwalk *w, const char *expected, const json_t *got) {
  return orch_error_setc(w->err, w->decoding ? ORCH_EPARSE : ORCH_ETYPE, w->path[0] ? w->path : "(top level)",
                         "expected %s, got %s", expected, orch_json_type_name(got));
}

static int oom(struct jwalk *w) { return orch_error_set(w->err, ORCH_ENOMEM, "out of memory"); }

/* Both directions walk the shape alike: convert() recurses through lists and maps the same way and
 * differs only for structures (member names) and scalars (timestamps, numbers). */
static int convert(struct jwalk *w, const struct orch_aws_member *m, const json_t *v, bool top, json_t **out);

/* ---- our JSON -> wire JSON ---- */

static int encode_ts(struct jwalk *w, const struct orch_aws_member *m, const json_t *v, json_t **out) {
  int64_t ms;
  if (orch_aws_ts_from_json(v, &ms)) return wrong(w, "a timestamp", v);
  enum orch_aws_tsformat f = orch_aws_walk_tsformat(m, ORCH_AWS_TS_UNIX);
  if (f == ORCH_AWS_TS_UNIX) {
    *out = ms % 1000 == 0 ? json_integer(ms / 1000) : json_real((double)ms / 1000.0);
  } else {
    struct orch_buf b = ORCH_BUF_INIT(64);
    if (orch_aws_ts_append(&b, ms, f)) {
      orch_buf_free(&b);
      return oom(w);
    }
    *out = json_string(orch_buf_cstr(&b));
    orch_buf_free(&b);
  }
  return *out ? 0 : oom(w);
}

static int encode_struct(struct jwalk *w, const struct orch_aws_shape *s, const json_t *v, bool top, json_t **out) {
  if (!json_is_object(v)) return wrong(w, "an object", v);
  json_t *obj = json_object();
  if (!obj) return oom(w);
  size_t i = 0;
  const json_t *mv;
  const struct orch_aws_member *mm;
  while ((mm = orch_aws_walk_next(s, v, &i, &mv)) != NULL) {
    if (top && (w->flags & ORCH_AWS_JSON_BODY_ONLY) && mm->location != ORCH_AWS_LOC_BODY) continue;
    json_t *e = NULL;
    size_t old = orch_aws_walk_push_key(w->path, mm->name);
    int rc = convert(w, mm, mv, false, &e);
    pop(w, old);
    if (rc || json_object_set_new(obj, orch_aws_walk_json_name(mm), e)) {
      json_decref(obj);
      return rc ? rc : oom(w);
    }
  }
  *out = obj;
  return 0;
}

int orch_aws_json_encode(const struct orch_aws_member *m, const json_t *v, unsigned flags, json_t **out,
                         struct orch_error *err) {
  struct jwalk w = {.flags = flags, .decoding = false, .err = err};
  *out = NULL;
  return convert(&w, m, v, true, out);
}

/* ---- wire JSON -> our JSON ---- */

static const struct orch_aws_member *member_by_wire_name(const struct orch_aws_shape *s, const char *name) {
  for (size_t i = 0; i < s->nmembers; i++)
    if (!strcmp(orch_aws_walk_json_name(&s->members[i]), name)) return &s->members[i];
  return NULL;
}

static int decode_struct(struct jwalk *w, const struct orch_aws_shape *s, const json_t *v, bool top, json_t **out) {
  if (!json_is_object(v)) return wrong(w, "an object", v);
  json_t *obj = json_object();
  if (!obj) return oom(w);
  const char *k;
  json_t *item;
  int rc = 0;
  json_object_foreach(orch_aws_unconst(v), k, item) {
    if (json_is_null(item)) continue;
    const struct orch_aws_member *mm = member_by_wire_name(s, k);
    if (mm && top && (w->flags & ORCH_AWS_JSON_BODY_ONLY) && mm->location != ORCH_AWS_LOC_BODY) mm = NULL;
    json_t *e = NULL;
    if (mm) {
      size_t old = orch_aws_walk_push_key(w->path, mm->name);
      rc = convert(w, mm, item, false, &e);
      pop(w, old);
      if (!rc && json_object_set_new(obj, mm->name, e)) rc = oom(w);
    } else if ((w->flags & ORCH_AWS_JSON_KEEP_UNKNOWN) && strcmp(k, "__type") != 0 &&
               !json_object_get(obj, k)) {
      if (json_object_set(obj, k, item)) rc = oom(w);
    }
    if (rc) break;
  }
  if (rc) json_decref(obj);
  else *out = obj;
  return rc;
}

static int decode_ts(struct jwalk *w, const json_t *v, json_t **out) {
  int64_t ms;
  if (orch_aws_ts_from_json(v, &ms)) return wrong(w, "a timestamp", v);
  *out = orch_aws_ts_to_json(ms);
  return *out ? 0 : oom(w);
}

/* Wire integers may come as whole reals (1.0). */
static int decode_integer(struct jwalk *w, const json_t *v, json_t **out) {
  if (json_is_integer(v)) *out = orch_aws_json_ref(v);
  else if (json_is_real(v) && json_real_value(v) == (double)(json_int_t)json_real_value(v))
    *out = json_integer((json_int_t)json_real_value(v));
  else return wrong(w, "an integer", v);
  return *out ? 0 : oom(w);
}

/* Numbers, or the three non-finite values AWS writes as strings (our JSON takes any string). */
static bool float_value(const struct jwalk *w, const json_t *v) {
  if (json_is_number(v)) return true;
  if (!json_is_string(v)) return false;
  const char *s = json_string_value(v);
  return !w->decoding || !strcmp(s, "NaN") || !strcmp(s, "Infinity") || !strcmp(s, "-Infinity");
}

int orch_aws_json_decode(const struct orch_aws_member *m, const json_t *wire, unsigned flags, json_t **out,
                         struct orch_error *err) {
  struct jwalk w = {.flags = flags, .decoding = true, .err = err};
  *out = NULL;
  return convert(&w, m, wire, true, out);
}

/* ---- both directions ---- */

static int convert_list(struct jwalk *w, const struct orch_aws_shape *s, const json_t *v, json_t **out) {
  if (!json_is_array(v)) return wrong(w, "an array", v);
  json_t *arr = json_array();
  if (!arr) return oom(w);
  int rc = 0;
  for (size_t i = 0; i < json_array_size(v) && !rc; i++) {
    const json_t *item = json_array_get(v, i);
    json_t *e = NULL;
    size_t old = orch_aws_walk_push_index(w->path, i);
    rc = json_is_null(item) ? ((e = json_null()), 0) : convert(w, &s->member, item, false, &e);
    pop(w, old);
    if (!rc && json_array_append_new(arr, e)) rc = oom(w);
  }
  if (rc) json_decref(arr);
  else *out = arr;
  return rc;
}

static int convert_map(struct jwalk *w, const struct orch_aws_shape *s, const json_t *v, json_t **out) {
  if (!json_is_object(v)) return wrong(w, "an object", v);
  json_t *obj = json_object();
  if (!obj) return oom(w);
  int rc = 0;
  const char *k;
  json_t *item;
  json_object_foreach(orch_aws_unconst(v), k, item) {
    if (json_is_null(item)) continue;
    json_t *e = NULL;
    size_t old = orch_aws_walk_push_key(w->path, k);
    rc = convert(w, &s->value, item, false, &e);
    pop(w, old);
    if (!rc && json_object_set_new(obj, k, e)) rc = oom(w);
    if (rc) break;
  }
  if (rc) json_decref(obj);
  else *out = obj;
  return rc;
}

/* The scalars both directions pass through as they are. */
static int keep(const json_t *v, json_t **out) {
  *out = orch_aws_json_ref(v);
  return 0;
}

static int convert_scalar(struct jwalk *w, const struct orch_aws_member *m, const json_t *v, json_t **out) {
  switch (m->shape->type) {
    case ORCH_AWS_T_TIMESTAMP:
      return w->decoding ? decode_ts(w, v, out) : encode_ts(w, m, v, out);
    case ORCH_AWS_T_INTEGER:
      if (w->decoding) return decode_integer(w, v, out);
      return json_is_integer(v) ? keep(v, out) : wrong(w, "an integer", v);
    case ORCH_AWS_T_STRING:
    case ORCH_AWS_T_BLOB:
      return json_is_string(v) ? keep(v, out) : wrong(w, "a string", v);
    case ORCH_AWS_T_FLOAT:
      return float_value(w, v) ? keep(v, out) : wrong(w, "a number", v);
    case ORCH_AWS_T_BOOLEAN:
      return json_is_boolean(v) ? keep(v, out) : wrong(w, "a boolean", v);
    case ORCH_AWS_T_DOCUMENT:
      return keep(v, out);
    case ORCH_AWS_T_STRUCTURE:
    case ORCH_AWS_T_LIST:
    case ORCH_AWS_T_MAP:
      break;
  }
  return orch_error_set(w->err, ORCH_EINTERNAL, "not a scalar shape");
}

static int convert(struct jwalk *w, const struct orch_aws_member *m, const json_t *v, bool top, json_t **out) {
  const struct orch_aws_shape *s = m->shape;
  if (++w->depth > ORCH_AWS_MAX_DEPTH) {
    w->depth--;
    return orch_error_setc(w->err, ORCH_ETOOBIG, w->path, "nested deeper than %d levels", ORCH_AWS_MAX_DEPTH);
  }
  int rc;
  if (s->type == ORCH_AWS_T_STRUCTURE)
    rc = w->decoding ? decode_struct(w, s, v, top, out) : encode_struct(w, s, v, top, out);
  else if (s->type == ORCH_AWS_T_LIST) rc = convert_list(w, s, v, out);
  else if (s->type == ORCH_AWS_T_MAP) rc = convert_map(w, s, v, out);
  else rc = convert_scalar(w, m, v, out);
  w->depth--;
  return rc;
}

/* ---- bodies and errors ---- */

bool orch_aws_proto_is_html(const struct orch_buf *body, const char *content_type) {
  if (content_type && (orch_str_starts_with(content_type, "text/html") ||
                       orch_str_starts_with(content_type, "application/xhtml")))
    return true;
  struct orch_strview t = orch_str_trim((struct orch_strview){orch_buf_cstr(body), body->len});
  static const char *const starts[] = {"<!doctype html", "<html", NULL};
  for (size_t i = 0; starts[i]; i++) {
    size_t n = strlen(starts[i]);
    if (t.n >= n && !strncasecmp(t.p, starts[i], n)) return true;
  }
  return false;
}

/* What every JSON body goes through before it is parsed: an empty one reads as {} (set in *out), an
 * oversized one or an HTML page is an error. Parse only when this returns 0 and leaves *out NULL. */
static int check_body(const struct orch_buf *body, const char *content_type, const char *what, json_t **out,
                      struct orch_error *err) {
  *out = NULL;
  struct orch_strview t = orch_str_trim((struct orch_strview){orch_buf_cstr(body), body->len});
  if (t.n == 0) {
    *out = json_object();
    return *out ? 0 : orch_error_set(err, ORCH_ENOMEM, "out of memory");
  }
  if (body->len > ORCH_AWS_MAX_BODY)
    return orch_error_set(err, ORCH_ETOOBIG, "%s of %zu bytes is over the %zu-byte limit", what, body->len,
                          ORCH_AWS_MAX_BODY);
  if (orch_aws_proto_is_html(body, content_type))
    return orch_error_set(err, ORCH_EPARSE,
                          "%s is an HTML page, not JSON: a proxy, load balancer or captive portal answered "
                          "instead of the AWS service",
                          what);
  return 0;
}

int orch_aws_json_parse_body(const struct orch_buf *body, const char *content_type, const char *what,
                             json_t **out, struct orch_error *err) {
  int rc = check_body(body, content_type, what, out, err);
  if (rc || *out) return rc;
  struct orch_error perr = {0};
  json_t *j = orch_json_parse(body->data, body->len, 0, &perr);
  if (!j)
    return orch_error_set(err, perr.code == ORCH_ENOMEM ? ORCH_ENOMEM : ORCH_EPARSE, "malformed JSON in %s: %s",
                          what, perr.message);
  *out = j;
  return 0;
}

void orch_aws_json_error_code(const char *raw, char *out, size_t outsz) {
  if (!raw) raw = "";
  size_t n = strcspn(raw, ":");
  const char *start = raw;
  for (size_t i = 0; i < n; i++)
    if (raw[i] == '#') start = raw + i + 1;
  size_t len = n - (size_t)(start - raw);
  struct orch_strview t = orch_str_trim((struct orch_strview){start, len});
  snprintf(out, outsz, "%.*s", (int)t.n, t.p);
}

static const char *json_message(const json_t *body) {
  static const char *const keys[] = {"message", "Message", "errorMessage", NULL};
  for (size_t i = 0; keys[i]; i++) {
    const char *m = json_string_value(json_object_get(body, keys[i]));
    if (m) return m;
  }
  return NULL;
}

int orch_aws_json_parse_error(const struct orch_http_response *resp, struct orch_aws_error *aerr, json_t **body,
                              struct orch_error *err) {
  if (body) *body = NULL;
  aerr->http_status = resp->status;
  const char *rid = orch_http_headers_get(&resp->headers, "x-amzn-RequestId");
  if (rid) snprintf(aerr->request_id, sizeof aerr->request_id, "%s", rid);
  json_t *j = NULL;
  struct orch_error perr = {0};
  int rc = orch_aws_json_parse_body(&resp->body, orch_http_headers_get(&resp->headers, "Content-Type"),
                                    "error response body", &j, &perr);
  if (rc == ORCH_ENOMEM) return orch_error_set(err, rc, "out of memory");
  const char *raw = orch_http_headers_get(&resp->headers, "x-amzn-ErrorType");
  if ((!raw || !*raw) && j) raw = json_string_value(json_object_get(j, "code"));
  if ((!raw || !*raw) && j) raw = json_string_value(json_object_get(j, "__type"));
  orch_aws_json_error_code(raw, aerr->code, sizeof aerr->code);
  const char *msg = j ? json_message(j) : NULL;
  if (rc) {
    snprintf(aerr->message, sizeof aerr->message, "HTTP %d and an unreadable body: %s", resp->status, perr.message);
  } else if (msg) {
    snprintf(aerr->message, sizeof aerr->message, "%s", msg);
  }
  if (!aerr->code[0]) snprintf(aerr->code, sizeof aerr->code, "Http%dError", resp->status);
  if (body && json_is_object(j)) *body = j;
  else json_decref(j);
  return 0;
}

/* The error body: {"__type": code (JSON protocol only), "message": ..., modeled members}. */
int orch_aws_json_build_error(const struct orch_aws_service *svc, const struct orch_aws_error *aerr,
                            const json_t *details, const char *request_id, struct orch_http_response *resp,
                            struct orch_error *err) {
  const struct orch_aws_shape *shape = orch_aws_model_error_shape(svc, aerr->code);
  bool rest = orch_aws_service_protocol(svc) == ORCH_AWS_PROTO_REST_JSON;
  json_t *body = NULL;
  int rc = 0;
  if (shape && details) {
    struct orch_aws_member m = {.shape = shape};
    rc = orch_aws_json_encode(&m, details, rest ? ORCH_AWS_JSON_BODY_ONLY : 0, &body, err);
    if (rc) return rc;
  } else {
    body = json_object();
  }
  if (!body) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  const char *msg_key = "message";
  for (size_t i = 0; shape && i < shape->nmembers; i++)
    if (!strcmp(orch_aws_walk_json_name(&shape->members[i]), "Message")) msg_key = "Message";
  if ((!rest && json_object_set_new(body, "__type", json_string(aerr->code))) ||
      (!json_object_get(body, msg_key) && json_object_set_new(body, msg_key, json_string(aerr->message))))
    goto oom;
  int status = aerr->http_status > 0 ? aerr->http_status
               : shape && shape->error_status ? shape->error_status
               : shape && shape->fault ? 500
                                       : 400;
  resp->status = status;
  char ct[64];
  if (rest) snprintf(ct, sizeof ct, "application/json");
  else snprintf(ct, sizeof ct, "application/x-amz-json-%s", orch_aws_service_json_version(svc));
  orch_buf_reset(&resp->body);
  if ((rc = orch_http_headers_set(&resp->headers, "Content-Type", ct)) ||
      (rc = orch_http_headers_set(&resp->headers, "x-amzn-RequestId", request_id)) ||
      (rc = orch_http_headers_set(&resp->headers, "X-Amzn-ErrorType", aerr->code)) ||
      (rc = orch_json_dump(&resp->body, body, JSON_COMPACT)))
    goto oom;
  if (aerr->retry_after_ms >= 0 && (aerr->throttling || status == 429 || status == 503)) {
    char ra[32];
    snprintf(ra, sizeof ra, "%lld", (long long)((aerr->retry_after_ms + 999) / 1000));
    if (orch_http_headers_set(&resp->headers, "Retry-After", ra)) goto oom;
  }
  json_decref(body);
  return 0;
oom:
  json_decref(body);
  return orch_error_set(err, ORCH_ENOMEM, "out of memory");
}

/* ---- the JSON 1.0 / 1.1 protocol ---- */

static int content_type(const struct orch_aws_service *svc, char *out, size_t outsz) {
  const char *v = orch_aws_service_json_version(svc);
  snprintf(out, outsz, "application/x-amz-json-%s", v ? v : "1.0");
  return 0;
}

int orch_aws_jsonrpc_build_request(const struct orch_aws_operation *op, const json_t *input,
                                   struct orch_http_request *req, struct orch_error *err) {
  const struct orch_aws_service *svc = op->svc;
  char ct[64], target[256];
  int rc = content_type(svc, ct, sizeof ct);
  snprintf(target, sizeof target, "%s.%s", orch_aws_service_target_prefix(svc) ? orch_aws_service_target_prefix(svc) : "",
           op->name);
  json_t *body = NULL;
  if (op->input.shape) {
    rc = orch_aws_json_encode(&op->input, input, 0, &body, err);
    if (rc) return rc;
  }
  snprintf(req->method, sizeof req->method, "POST");
  orch_buf_reset(&req->body);
  if (orch_http_request_set_target(req, "/", "") || orch_http_headers_set(&req->headers, "Content-Type", ct) ||
      orch_http_headers_set(&req->headers, "X-Amz-Target", target) ||
      (body ? orch_json_dump(&req->body, body, JSON_COMPACT) : orch_buf_puts(&req->body, "{}")))
    rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
  json_decref(body);
  return rc;
}

int orch_aws_jsonrpc_parse_response(const struct orch_aws_operation *op, const struct orch_http_response *resp,
                                    json_t **output, struct orch_error *err) {
  const struct orch_aws_member *m = op->output.shape ? &op->output : NULL;
  int rc = orch_aws_json_read_body(m, &resp->body, orch_http_headers_get(&resp->headers, "Content-Type"),
                                   ORCH_AWS_JSON_KEEP_UNKNOWN, "response body", output, err);
  if (rc) {
    orch_error_prefix(err, "%s response", op->name);
    return rc;
  }
  if (!m && !json_is_object(*output)) {
    /* no modeled output: whatever JSON came, the result is empty */
    json_decref(*output);
    *output = json_object();
    if (!*output) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  } else if (!m) {
    json_object_clear(*output);
  }
  return 0;
}

int orch_aws_jsonrpc_parse_request(const struct orch_aws_service *svc, const struct orch_http_request *req,
                                   const struct orch_aws_operation **op, json_t **input,
                                   struct orch_aws_error *aerr) {
  const char *target = orch_http_headers_get(&req->headers, "X-Amz-Target");
  const char *prefix = orch_aws_service_target_prefix(svc);
  size_t plen = prefix ? strlen(prefix) : 0;
  if (!target)
    return orch_aws_proto_reject(aerr, 400, "UnknownOperationException", "missing X-Amz-Target header");
  if (!prefix || strncmp(target, prefix, plen) != 0 || target[plen] != '.')
    return orch_aws_proto_reject(aerr, 400, "UnknownOperationException", "unknown target '%s' for %s", target,
                                 orch_aws_service_name(svc));
  const struct orch_aws_operation *o = orch_aws_model_operation(svc, target + plen + 1);
  if (!o)
    return orch_aws_proto_reject(aerr, 400, "UnknownOperationException", "unknown operation '%s'", target + plen + 1);
  *op = o;
  struct orch_error perr = {0};
  int rc = orch_aws_json_read_body(o->input.shape ? &o->input : NULL, &req->body, NULL, 0, "request body", input, &perr);
  if (rc == ORCH_ENOMEM) return rc;
  if (rc) {
    char line[ORCH_ERROR_MESSAGE_MAX + ORCH_ERROR_CONTEXT_MAX + 4];
    return orch_aws_proto_reject(aerr, 400, "SerializationException", "%s", orch_error_format(&perr, line, sizeof line));
  }
  if (!o->input.shape) {
    json_decref(*input);
    *input = json_object();
    if (!*input) return ORCH_ENOMEM;
  }
  return 0;
}

int orch_aws_jsonrpc_build_response(const struct orch_aws_operation *op, const json_t *output,
                                    struct orch_http_response *resp, struct orch_error *err) {
  char ct[64], rid[64];
  int rc = content_type(op->svc, ct, sizeof ct);
  if ((rc = orch_aws_proto_request_id(resp, rid, sizeof rid))) return orch_error_set(err, rc, "out of memory");
  json_t *body = NULL;
  if (op->output.shape && output) {
    rc = orch_aws_json_encode(&op->output, output, 0, &body, err);
    if (rc) return rc;
  }
  resp->status = 200;
  orch_buf_reset(&resp->body);
  if (orch_http_headers_set(&resp->headers, "Content-Type", ct) ||
      (body ? orch_json_dump(&resp->body, body, JSON_COMPACT) : orch_buf_puts(&resp->body, "{}")))
    rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
  json_decref(body);
  return rc;
}

int orch_aws_json_read_body(const struct orch_aws_member *m, const struct orch_buf *body, const char *content_type,
                            unsigned flags, const char *what, json_t **out, struct orch_error *err) {
  int rc = check_body(body, content_type, what, out, err);
  if (rc || *out) return rc;
  return orch_aws_json_read(m, body->data, body->len, flags, what, out, err);
}
