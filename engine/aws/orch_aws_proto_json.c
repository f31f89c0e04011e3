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

/* Walk state: the path of the value being converted, for error messages. */
struct jwalk {
  unsigned flags;
  int depth;
  char path[ORCH_JSON_PATH_MAX];
  struct orch_error *err;
};

static size_t push_key(struct jwalk *w, const char *key) {
  size_t old = strlen(w->path);
  char tmp[ORCH_JSON_PATH_MAX];
  memcpy(tmp, w->path, old + 1);
  orch_json_path_key(w->path, tmp, key);
  return old;
}

static size_t push_index(struct jwalk *w, size_t i) {
  size_t old = strlen(w->path);
  char tmp[ORCH_JSON_PATH_MAX];
  memcpy(tmp, w->path, old + 1);
  orch_json_path_index(w->path, tmp, i);
  return old;
}

static void pop(struct jwalk *w, size_t old) { w->path[old] = '\0'; }

static int wrong(struct jwalk *w, int code, const char *expected, const json_t *got) {
  return orch_error_setc(w->err, code, w->path[0] ? w->path : "(top level)", "expected %s, got %s", expected,
                         orch_json_type_name(got));
}

static int oom(struct jwalk *w) { return orch_error_set(w->err, ORCH_ENOMEM, "out of memory"); }

/* ---- our JSON -> wire JSON ---- */

static int encode(struct jwalk *w, const struct orch_aws_member *m, const json_t *v, bool top, json_t **out);

static int encode_ts(struct jwalk *w, const struct orch_aws_member *m, const json_t *v, json_t **out) {
  int64_t ms;
  if (orch_aws_ts_from_json(v, &ms)) return wrong(w, ORCH_ETYPE, "a timestamp", v);
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
  if (!json_is_object(v)) return wrong(w, ORCH_ETYPE, "an object", v);
  json_t *obj = json_object();
  if (!obj) return oom(w);
  size_t i = 0;
  const json_t *mv;
  const struct orch_aws_member *mm;
  while ((mm = orch_aws_walk_next(s, v, &i, &mv)) != NULL) {
    if (top && (w->flags & ORCH_AWS_JSON_BODY_ONLY) && mm->location != ORCH_AWS_LOC_BODY) continue;
    json_t *e = NULL;
    size_t old = push_key(w, mm->name);
    int rc = encode(w, mm, mv, false, &e);
    pop(w, old);
    if (rc || json_object_set_new(obj, orch_aws_walk_json_name(mm), e)) {
      json_decref(obj);
      return rc ? rc : oom(w);
    }
  }
  *out = obj;
  return 0;
}

static int encode(struct jwalk *w, const struct orch_aws_member *m, const json_t *v, bool top, json_t **out) {
  const struct orch_aws_shape *s = m->shape;
  if (++w->depth > ORCH_AWS_MAX_DEPTH) {
    w->depth--;
    return orch_error_setc(w->err, ORCH_ETOOBIG, w->path, "nested deeper than %d levels", ORCH_AWS_MAX_DEPTH);
  }
  int rc = 0;
  switch (s->type) {
    case ORCH_AWS_T_STRUCTURE:
      rc = encode_struct(w, s, v, top, out);
      break;
    case ORCH_AWS_T_LIST: {
      if (!json_is_array(v)) {
        rc = wrong(w, ORCH_ETYPE, "an array", v);
        break;
      }
      json_t *arr = json_array();
      if (!arr) {
        rc = oom(w);
        break;
      }
      for (size_t i = 0; i < json_array_size(v) && !rc; i++) {
        const json_t *item = json_array_get(v, i);
        json_t *e = NULL;
        size_t old = push_index(w, i);
        rc = json_is_null(item) ? ((e = json_null()), 0) : encode(w, &s->member, item, false, &e);
        pop(w, old);
        if (!rc && json_array_append_new(arr, e)) rc = oom(w);
      }
      if (rc) json_decref(arr);
      else *out = arr;
      break;
    }
    case ORCH_AWS_T_MAP: {
      if (!json_is_object(v)) {
        rc = wrong(w, ORCH_ETYPE, "an object", v);
        break;
      }
      json_t *obj = json_object();
      if (!obj) {
        rc = oom(w);
        break;
      }
      const char *k;
      json_t *item;
      json_object_foreach(orch_aws_unconst(v), k, item) {
        if (json_is_null(item)) continue;
        json_t *e = NULL;
        size_t old = push_key(w, k);
        rc = encode(w, &s->value, item, false, &e);
        pop(w, old);
        if (!rc && json_object_set_new(obj, k, e)) rc = oom(w);
        if (rc) break;
      }
      if (rc) json_decref(obj);
      else *out = obj;
      break;
    }
    case ORCH_AWS_T_TIMESTAMP:
      rc = encode_ts(w, m, v, out);
      break;
    case ORCH_AWS_T_STRING:
    case ORCH_AWS_T_BLOB:
      if (!json_is_string(v)) rc = wrong(w, ORCH_ETYPE, "a string", v);
      else *out = orch_aws_json_ref(v);
      break;
    case ORCH_AWS_T_INTEGER:
      if (!json_is_integer(v)) rc = wrong(w, ORCH_ETYPE, "an integer", v);
      else *out = orch_aws_json_ref(v);
      break;
    case ORCH_AWS_T_FLOAT:
      if (!json_is_number(v) && !json_is_string(v)) rc = wrong(w, ORCH_ETYPE, "a number", v);
      else *out = orch_aws_json_ref(v);
      break;
    case ORCH_AWS_T_BOOLEAN:
      if (!json_is_boolean(v)) rc = wrong(w, ORCH_ETYPE, "a boolean", v);
      else *out = orch_aws_json_ref(v);
      break;
    case ORCH_AWS_T_DOCUMENT:
      *out = orch_aws_json_ref(v);
      break;
  }
  w->depth--;
  return rc;
}

int orch_aws_json_encode(const struct orch_aws_member *m, const json_t *v, unsigned flags, json_t **out,
                         struct orch_error *err) {
  struct jwalk w = {.flags = flags, .err = err};
  *out = NULL;
  return encode(&w, m, v, true, out);
}

/* ---- wire JSON -> our JSON ---- */

static int decode(struct jwalk *w, const struct orch_aws_member *m, const json_t *v, bool top, json_t **out);

static const struct orch_aws_member *member_by_wire_name(const struct orch_aws_shape *s, const char *name) {
  for (size_t i = 0; i < s->nmembers; i++)
    if (!strcmp(orch_aws_walk_json_name(&s->members[i]), name)) return &s->members[i];
  return NULL;
}

static int decode_struct(struct jwalk *w, const struct orch_aws_shape *s, const json_t *v, bool top, json_t **out) {
  if (!json_is_object(v)) return wrong(w, ORCH_EPARSE, "an object", v);
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
      size_t old = push_key(w, mm->name);
      rc = decode(w, mm, item, false, &e);
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

static int decode(struct jwalk *w, const struct orch_aws_member *m, const json_t *v, bool top, json_t **out) {
  const struct orch_aws_shape *s = m->shape;
  if (++w->depth > ORCH_AWS_MAX_DEPTH) {
    w->depth--;
    return orch_error_setc(w->err, ORCH_ETOOBIG, w->path, "nested deeper than %d levels", ORCH_AWS_MAX_DEPTH);
  }
  int rc = 0;
  switch (s->type) {
    case ORCH_AWS_T_STRUCTURE:
      rc = decode_struct(w, s, v, top, out);
      break;
    case ORCH_AWS_T_LIST: {
      if (!json_is_array(v)) {
        rc = wrong(w, ORCH_EPARSE, "an array", v);
        break;
      }
      json_t *arr = json_array();
      if (!arr) {
        rc = oom(w);
        break;
      }
      for (size_t i = 0; i < json_array_size(v) && !rc; i++) {
        const json_t *item = json_array_get(v, i);
        json_t *e = NULL;
        size_t old = push_index(w, i);
        rc = json_is_null(item) ? ((e = json_null()), 0) : decode(w, &s->member, item, false, &e);
        pop(w, old);
        if (!rc && json_array_append_new(arr, e)) rc = oom(w);
      }
      if (rc) json_decref(arr);
      else *out = arr;
      break;
    }
    case ORCH_AWS_T_MAP: {
      if (!json_is_object(v)) {
        rc = wrong(w, ORCH_EPARSE, "an object", v);
        break;
      }
      json_t *obj = json_object();
      if (!obj) {
        rc = oom(w);
        break;
      }
      const char *k;
      json_t *item;
      json_object_foreach(orch_aws_unconst(v), k, item) {
        if (json_is_null(item)) continue;
        json_t *e = NULL;
        size_t old = push_key(w, k);
        rc = decode(w, &s->value, item, false, &e);
        pop(w, old);
        if (!rc && json_object_set_new(obj, k, e)) rc = oom(w);
        if (rc) break;
      }
      if (rc) json_decref(obj);
      else *out = obj;
      break;
    }
    case ORCH_AWS_T_TIMESTAMP: {
      int64_t ms;
      if (orch_aws_ts_from_json(v, &ms)) {
        rc = wrong(w, ORCH_EPARSE, "a timestamp", v);
        break;
      }
      *out = orch_aws_ts_to_json(ms);
      if (!*out) rc = oom(w);
      break;
    }
    case ORCH_AWS_T_STRING:
    case ORCH_AWS_T_BLOB:
      if (!json_is_string(v)) rc = wrong(w, ORCH_EPARSE, "a string", v);
      else *out = orch_aws_json_ref(v);
      break;
    case ORCH_AWS_T_INTEGER:
      if (json_is_integer(v)) *out = orch_aws_json_ref(v);
      else if (json_is_real(v) && json_real_value(v) == (double)(json_int_t)json_real_value(v))
        *out = json_integer((json_int_t)json_real_value(v));
      else rc = wrong(w, ORCH_EPARSE, "an integer", v);
      if (!rc && !*out) rc = oom(w);
      break;
    case ORCH_AWS_T_FLOAT:
      if (json_is_number(v)) *out = orch_aws_json_ref(v);
      else if (json_is_string(v) && (!strcmp(json_string_value(v), "NaN") || !strcmp(json_string_value(v), "Infinity") ||
                                     !strcmp(json_string_value(v), "-Infinity")))
        *out = orch_aws_json_ref(v);
      else rc = wrong(w, ORCH_EPARSE, "a number", v);
      break;
    case ORCH_AWS_T_BOOLEAN:
      if (!json_is_boolean(v)) rc = wrong(w, ORCH_EPARSE, "a boolean", v);
      else *out = orch_aws_json_ref(v);
      break;
    case ORCH_AWS_T_DOCUMENT:
      *out = orch_aws_json_ref(v);
      break;
  }
  w->depth--;
  return rc;
}

int orch_aws_json_decode(const struct orch_aws_member *m, const json_t *wire, unsigned flags, json_t **out,
                         struct orch_error *err) {
  struct jwalk w = {.flags = flags, .err = err};
  *out = NULL;
  return decode(&w, m, wire, true, out);
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

int orch_aws_json_parse_body(const struct orch_buf *body, const char *content_type, const char *what,
                             json_t **out, struct orch_error *err) {
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
  return orch_aws_json_read(m, body->data, body->len, flags, what, out, err);
}
