/* orch_aws_proto_rest: the REST protocols, rest-json (DRS) and rest-xml (S3, CloudFront): requestUri
 * templates with {label} and greedy {label+}, query-string, header, prefix-header and status-code bindings,
 * payload members, and the body for the rest (JSON, or one XML document); client direction and the
 * simulator's (routing a request to its operation). Uses orch_aws_proto_json, orch_aws_proto_xml (bodies,
 * errors), orch_aws_proto_walk, orch_str, jansson. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "aws/orch_aws_proto_int.h"
#include "core/orch_alloc.h"
#include "core/orch_json.h"
#include "core/orch_str.h"

#define OOM(err) orch_error_set((err), ORCH_ENOMEM, "out of memory")

/* ---- header values ---- */

/* A list item in a header: quoted when it holds a comma or a double quote. */
static int header_item_append(struct orch_buf *b, const char *s) {
  if (!strpbrk(s, ",\"")) return orch_buf_puts(b, s);
  int rc = orch_buf_putc(b, '"');
  for (const char *p = s; *p; p++) {
    if (*p == '"' || *p == '\\') rc = orch_buf_putc(b, '\\');
    rc = orch_buf_putc(b, *p);
  }
  rc = orch_buf_putc(b, '"');
  return rc ? rc : b->err;
}

/* The header text of member `m` with value `v`; ORCH_ETYPE when `v` does not fit. */
static int header_value(const struct orch_aws_member *m, const json_t *v, struct orch_buf *out) {
  const struct orch_aws_shape *s = m->shape;
  if (s->type == ORCH_AWS_T_LIST) {
    if (!json_is_array(v)) return ORCH_ETYPE;
    struct orch_buf item = ORCH_BUF_INIT(0);
    int rc = 0;
    for (size_t i = 0; i < json_array_size(v) && !rc; i++) {
      orch_buf_reset(&item);
      rc = orch_aws_scalar_append(&item, &s->member, json_array_get(v, i), ORCH_AWS_TS_RFC822);
      if (!rc && i) rc = orch_buf_puts(out, ", ");
      if (!rc) {
        /* RFC 822 dates hold commas of their own and are never quoted. */
        rc = s->member.shape->type == ORCH_AWS_T_TIMESTAMP ? orch_buf_puts(out, orch_buf_cstr(&item))
                                                             : header_item_append(out, orch_buf_cstr(&item));
      }
    }
    orch_buf_free(&item);
    return rc;
  }
  if (m->jsonvalue && json_is_string(v)) return orch_aws_b64_encode(out, json_string_value(v), json_string_length(v));
  return orch_aws_scalar_append(out, m, v, ORCH_AWS_TS_RFC822);
}

/* Split a header list value: quoted items with backslash escapes, or RFC 822 dates two commas at a time. */
static int header_split(const char *v, bool dates, json_t *out_strings) {
  struct orch_buf item = ORCH_BUF_INIT(0);
  int rc = 0;
  const char *p = v;
  while (*p && !rc) {
    while (*p == ' ' || *p == '\t') p++;
    orch_buf_reset(&item);
    if (*p == '"' && !dates) {
      for (p++; *p && *p != '"'; p++) {
        if (*p == '\\' && p[1]) p++;
        rc = orch_buf_putc(&item, *p);
      }
      if (*p == '"') p++;
      while (*p && *p != ',') p++;
    } else {
      int commas = 0;
      const char *start = p;
      while (*p && !(*p == ',' && (!dates || ++commas == 2))) p++;
      struct orch_strview t = orch_str_trim((struct orch_strview){start, (size_t)(p - start)});
      rc = orch_buf_append(&item, t.p, t.n);
    }
    if (!rc && json_array_append_new(out_strings, json_string(orch_buf_cstr(&item)))) rc = ORCH_ENOMEM;
    if (*p == ',') p++;
  }
  orch_buf_free(&item);
  return rc;
}

/* Header-bound members of `s` from `headers` into `obj` (responses, and requests on the server). */
static int headers_to_members(const struct orch_aws_shape *s, const struct orch_http_headers *headers, json_t *obj,
                              struct orch_error *err) {
  for (size_t i = 0; i < s->nmembers; i++) {
    const struct orch_aws_member *m = &s->members[i];
    if (m->location == ORCH_AWS_LOC_HEADERS) {
      const char *prefix = m->location_name ? m->location_name : "";
      size_t plen = strlen(prefix);
      json_t *map = json_object();
      if (!map) return OOM(err);
      for (size_t h = 0; h < headers->n; h++) {
        const struct orch_http_header *hd = &headers->items[h];
        if (strncasecmp(hd->name, prefix, plen) != 0) continue;
        if (json_object_set_new(map, hd->name + plen, json_string(hd->value))) {
          json_decref(map);
          return OOM(err);
        }
      }
      if (json_object_size(map) == 0 || json_object_set_new(obj, m->name, map)) {
        bool empty = json_object_size(map) == 0;
        json_decref(map);
        if (!empty) return OOM(err);
      }
      continue;
    }
    if (m->location != ORCH_AWS_LOC_HEADER) continue;
    const char *v = orch_http_headers_get(headers, m->location_name ? m->location_name : m->name);
    if (!v) continue;
    json_t *val = NULL;
    int rc = 0;
    if (m->shape->type == ORCH_AWS_T_LIST) {
      json_t *parts = json_array();
      val = json_array();
      if (!parts || !val) rc = ORCH_ENOMEM;
      bool dates = m->shape->member.shape->type == ORCH_AWS_T_TIMESTAMP &&
                   orch_aws_walk_tsformat(&m->shape->member, ORCH_AWS_TS_RFC822) == ORCH_AWS_TS_RFC822;
      if (!rc) rc = header_split(v, dates, parts);
      for (size_t k = 0; !rc && k < json_array_size(parts); k++) {
        json_t *item = NULL;
        rc = orch_aws_scalar_from_text(&m->shape->member, json_string_value(json_array_get(parts, k)), &item);
        if (!rc && json_array_append_new(val, item)) rc = ORCH_ENOMEM;
      }
      json_decref(parts);
    } else if (m->jsonvalue) {
      struct orch_buf raw = ORCH_BUF_INIT(0);
      rc = orch_aws_b64_decode(&raw, v, strlen(v));
      if (!rc) val = json_stringn(orch_buf_cstr(&raw), raw.len);
      if (!rc && !val) rc = ORCH_EPARSE;
      orch_buf_free(&raw);
    } else {
      rc = orch_aws_scalar_from_text(m, v, &val);
    }
    if (!rc && json_object_set_new(obj, m->name, val)) rc = ORCH_ENOMEM, val = NULL;
    if (rc) {
      json_decref(val);
      if (rc == ORCH_ENOMEM) return OOM(err);
      return orch_error_setc(err, ORCH_EPARSE, m->name, "header %s: cannot read '%s' as %s",
                             m->location_name ? m->location_name : m->name, v, m->shape->type_name);
    }
  }
  return 0;
}

/* ---- client: build a request ---- */

static int build_path(const struct orch_aws_operation *op, const json_t *input, struct orch_buf *path,
                      struct orch_error *err) {
  struct orch_buf text = ORCH_BUF_INIT(0);
  int rc = 0;
  for (size_t i = 0; i < op->npath && !rc; i++) {
    const struct orch_aws_uri_part *part = &op->path[i];
    if (!part->label) {
      rc = orch_buf_append(path, part->text, part->len);
      continue;
    }
    const json_t *v = json_object_get(input, part->member->name);
    if (!v || json_is_null(v)) {
      orch_buf_free(&text);
      return orch_error_setc(err, ORCH_EVALIDATION, part->member->name,
                             "missing required member (it is the {%s} of %s %s)", part->text, op->http_method,
                             op->request_uri);
    }
    orch_buf_reset(&text);
    rc = orch_aws_scalar_append(&text, part->member, v, ORCH_AWS_TS_ISO8601);
    if (rc == ORCH_ETYPE) {
      orch_buf_free(&text);
      return orch_error_setc(err, ORCH_ETYPE, part->member->name, "expected a %s", part->member->shape->type_name);
    }
    if (!rc) rc = orch_str_uri_encode(path, orch_buf_cstr(&text), text.len, part->greedy);
  }
  orch_buf_free(&text);
  return rc || path->err ? OOM(err) : 0;
}

static int query_pair(struct orch_buf *q, const char *key, const char *value) {
  int rc = 0;
  if (q->len) rc = orch_buf_putc(q, '&');
  rc = orch_str_uri_encode(q, key, strlen(key), false);
  rc = orch_buf_putc(q, '=');
  rc = orch_str_uri_encode(q, value, strlen(value), false);
  return rc ? rc : q->err;
}

/* One value (or each value of a list) of a query member under `key`. */
static int query_values(struct orch_buf *q, const struct orch_aws_member *m, const char *key, const json_t *v) {
  struct orch_buf text = ORCH_BUF_INIT(0);
  int rc = 0;
  if (m->shape->type == ORCH_AWS_T_LIST) {
    for (size_t i = 0; i < json_array_size(v) && !rc; i++) {
      orch_buf_reset(&text);
      rc = orch_aws_scalar_append(&text, &m->shape->member, json_array_get(v, i), ORCH_AWS_TS_ISO8601);
      if (!rc) rc = query_pair(q, key, orch_buf_cstr(&text));
    }
  } else {
    rc = orch_aws_scalar_append(&text, m, v, ORCH_AWS_TS_ISO8601);
    if (!rc) rc = query_pair(q, key, orch_buf_cstr(&text));
  }
  orch_buf_free(&text);
  return rc;
}

static int build_query(const struct orch_aws_operation *op, const json_t *input, struct orch_buf *q,
                       struct orch_error *err) {
  const struct orch_aws_shape *s = op->input.shape;
  int rc = 0;
  if (op->uri_query && *op->uri_query) rc = orch_buf_puts(q, op->uri_query);
  size_t i = 0;
  const json_t *v;
  const struct orch_aws_member *m;
  /* Named parameters first; a map of parameters fills in only names not taken. */
  while (!rc && s && (m = orch_aws_walk_next(s, input, &i, &v)) != NULL) {
    if (m->location != ORCH_AWS_LOC_QUERYSTRING || m->shape->type == ORCH_AWS_T_MAP) continue;
    rc = query_values(q, m, m->location_name ? m->location_name : m->name, v);
  }
  i = 0;
  while (!rc && s && (m = orch_aws_walk_next(s, input, &i, &v)) != NULL) {
    if (m->location != ORCH_AWS_LOC_QUERYSTRING || m->shape->type != ORCH_AWS_T_MAP) continue;
    const char *k;
    json_t *item;
    json_object_foreach(orch_aws_unconst(v), k, item) {
      bool taken = false;
      for (size_t j = 0; j < s->nmembers && !taken; j++) {
        const struct orch_aws_member *o = &s->members[j];
        const json_t *ov = json_object_get(input, o->name);
        taken = o->location == ORCH_AWS_LOC_QUERYSTRING && o->shape->type != ORCH_AWS_T_MAP && ov &&
                !json_is_null(ov) && !strcmp(o->location_name ? o->location_name : o->name, k);
      }
      if (!taken && !json_is_null(item)) rc = query_values(q, &m->shape->value, k, item);
      if (rc) break;
    }
  }
  if (rc == ORCH_ETYPE) return orch_error_set(err, rc, "a query-string member has a value of the wrong type");
  return rc ? OOM(err) : 0;
}

static int build_headers(const struct orch_aws_operation *op, const json_t *input, struct orch_http_headers *h,
                         struct orch_error *err) {
  const struct orch_aws_shape *s = op->input.shape;
  struct orch_buf text = ORCH_BUF_INIT(0);
  int rc = 0;
  size_t i = 0;
  const json_t *v;
  const struct orch_aws_member *m;
  while (!rc && s && (m = orch_aws_walk_next(s, input, &i, &v)) != NULL) {
    if (m->location == ORCH_AWS_LOC_HEADERS) {
      const char *k;
      json_t *item;
      json_object_foreach(orch_aws_unconst(v), k, item) {
        orch_buf_reset(&text);
        if ((rc = orch_buf_printf(&text, "%s%s", m->location_name ? m->location_name : "", k))) break;
        if (!json_is_string(item)) continue;
        if ((rc = orch_http_headers_set(h, orch_buf_cstr(&text), json_string_value(item)))) break;
      }
      continue;
    }
    if (m->location != ORCH_AWS_LOC_HEADER) continue;
    orch_buf_reset(&text);
    rc = header_value(m, v, &text);
    if (rc == ORCH_ETYPE) {
      orch_buf_free(&text);
      return orch_error_setc(err, rc, m->name, "expected a %s for header %s", m->shape->type_name,
                             m->location_name ? m->location_name : m->name);
    }
    if (!rc) rc = orch_http_headers_set(h, m->location_name ? m->location_name : m->name, orch_buf_cstr(&text));
  }
  orch_buf_free(&text);
  return rc ? OOM(err) : 0;
}

/* The root element of a rest-xml response whose model names none: S3's own names (botocore does not need
 * them to read, but they are what S3 sends), else the output shape's name. */
static const char *xml_response_root(const struct orch_aws_operation *op) {
  static const struct {
    const char *op, *root;
  } s3[] = {{"ListObjectVersions", "ListVersionsResult"},
            {"DeleteObjects", "DeleteResult"},
            {"GetBucketLocation", "LocationConstraint"},
            {"ListObjectsV2", "ListBucketResult"},
            {"ListObjects", "ListBucketResult"}};
  if (op->output.location_name) return op->output.location_name;
  if (!strcmp(orch_aws_service_signing_name(op->svc), "s3"))
    for (size_t i = 0; i < sizeof s3 / sizeof s3[0]; i++)
      if (!strcmp(op->name, s3[i].op)) return s3[i].root;
  return op->output.shape->name;
}

/* A rest-xml body document: the structure's body members under one root. A structure whose only body
 * member is named like the root is that member (S3's <LocationConstraint>). Responses carry the service's
 * namespace, http://<endpointPrefix>.amazonaws.com/doc/<apiVersion>/, as S3 and CloudFront write it. */
static int xml_body(const struct orch_aws_operation *op, const struct orch_aws_member *io, bool response,
                    const json_t *value, struct orch_buf *body, struct orch_error *err) {
  const struct orch_aws_shape *s = io->shape;
  const char *root = response ? xml_response_root(op) : NULL;
  char ns[256] = "";
  if (response)
    snprintf(ns, sizeof ns, "http://%s.amazonaws.com/doc/%s/", orch_aws_service_endpoint_prefix(op->svc),
             orch_aws_service_api_version(op->svc));
  const struct orch_aws_member *only = NULL;
  size_t nbody = 0;
  for (size_t i = 0; i < s->nmembers; i++)
    if (s->members[i].location == ORCH_AWS_LOC_BODY) only = &s->members[i], nbody++;
  if (root && nbody == 1 && only->shape->type != ORCH_AWS_T_STRUCTURE &&
      !strcmp(only->location_name ? only->location_name : only->name, root)) {
    const json_t *v = json_object_get(value, only->name);
    if (!v || json_is_null(v)) v = json_string("");
    else json_incref(orch_aws_unconst(v));
    int rc = orch_aws_xml_write_doc(only, root, ns[0] ? ns : NULL, v, body, err);
    json_decref(orch_aws_unconst(v));
    return rc;
  }
  return orch_aws_xml_write_doc(io, root, ns[0] ? ns : NULL, value, body, err);
}

/* The body: the payload member (raw blob or string, or a JSON or XML document), else the body members as
 * one JSON object (rest-json) or XML document (rest-xml). */
static int build_body(const struct orch_aws_operation *op, bool response, const json_t *value,
                      struct orch_buf *body, struct orch_http_headers *h, struct orch_error *err) {
  const struct orch_aws_member *io = response ? &op->output : &op->input;
  const struct orch_aws_shape *s = io->shape;
  bool xml = orch_aws_service_protocol(op->svc) == ORCH_AWS_PROTO_REST_XML;
  json_t *j = NULL;
  int rc = 0;
  const char *ct = NULL;
  if (!s) return 0;
  if (s->payload >= 0) {
    const struct orch_aws_member *pm = &s->members[s->payload];
    const json_t *pv = json_object_get(value, pm->name);
    if (pv && json_is_null(pv)) pv = NULL;
    switch (pm->shape->type) {
      case ORCH_AWS_T_BLOB:
        if (!pv) return 0;
        if (!json_is_string(pv) ||
            orch_aws_b64_decode(body, json_string_value(pv), json_string_length(pv)) == ORCH_EPARSE)
          return orch_error_setc(err, ORCH_ETYPE, pm->name, "expected a base64 string");
        ct = "application/octet-stream";
        break;
      case ORCH_AWS_T_STRING:
        if (!pv) return 0;
        if (!json_is_string(pv)) return orch_error_setc(err, ORCH_ETYPE, pm->name, "expected a string");
        rc = orch_buf_append(body, json_string_value(pv), json_string_length(pv));
        ct = "text/plain";
        break;
      default:
        if (xml) {
          if (!pv) return 0;
          if ((rc = orch_aws_xml_write_doc(pm, NULL, NULL, pv, body, err))) return rc;
          ct = "application/xml";
          break;
        }
        if (!pv && (pm->shape->is_union || pm->shape->type == ORCH_AWS_T_DOCUMENT)) return 0;
        if (pv && (rc = orch_aws_json_encode(pm, pv, 0, &j, err))) return rc;
        rc = j ? orch_json_dump(body, j, JSON_COMPACT | JSON_ENCODE_ANY) : orch_buf_puts(body, "{}");
        ct = "application/json";
        break;
    }
  } else if (s->has_body_members && xml) {
    bool any = false;
    for (size_t i = 0; i < s->nmembers && !any; i++) {
      const json_t *mv = json_object_get(value, s->members[i].name);
      any = s->members[i].location == ORCH_AWS_LOC_BODY && mv && !json_is_null(mv);
    }
    if (!any && !response) return 0;
    if ((rc = xml_body(op, io, response, value, body, err))) return rc;
    ct = "application/xml";
  } else if (s->has_body_members) {
    if ((rc = orch_aws_json_encode(io, value, ORCH_AWS_JSON_BODY_ONLY, &j, err))) return rc;
    rc = orch_json_dump(body, j, JSON_COMPACT);
    ct = "application/json";
  }
  json_decref(j);
  if (!rc && ct && !orch_http_headers_get(h, "Content-Type")) rc = orch_http_headers_set(h, "Content-Type", ct);
  return rc || body->err ? OOM(err) : 0;
}

int orch_aws_rest_build_request(const struct orch_aws_operation *op, const json_t *input,
                                struct orch_http_request *req, struct orch_error *err) {
  struct orch_buf path = ORCH_BUF_INIT(0), query = ORCH_BUF_INIT(0);
  int rc;
  snprintf(req->method, sizeof req->method, "%s", op->http_method);
  orch_buf_reset(&req->body);
  if ((rc = build_path(op, input, &path, err)) || (rc = build_query(op, input, &query, err)) ||
      (rc = build_headers(op, input, &req->headers, err)) ||
      (rc = build_body(op, false, input, &req->body, &req->headers, err)))
    goto out;
  if (orch_http_request_set_target(req, orch_buf_cstr(&path), orch_buf_cstr(&query))) rc = OOM(err);
out:
  orch_buf_free(&path);
  orch_buf_free(&query);
  return rc;
}

/* ---- client: parse a response ---- */

/* The payload or body of a response (or request) into `obj`. */
static int body_to_members(const struct orch_aws_operation *op, const struct orch_aws_member *io,
                           const struct orch_buf *body, const char *ctype, unsigned flags, const char *what,
                           json_t *obj, struct orch_error *err) {
  const struct orch_aws_shape *s = io->shape;
  bool xml = orch_aws_service_protocol(op->svc) == ORCH_AWS_PROTO_REST_XML;
  json_t *val = NULL;
  int rc = 0;
  if (xml && (s->payload < 0 || s->members[s->payload].shape->type == ORCH_AWS_T_STRUCTURE)) {
    const struct orch_aws_member *m = s->payload >= 0 ? &s->members[s->payload] : io;
    if (orch_aws_proto_is_html(body, ctype))
      return orch_error_set(err, ORCH_EPARSE, "%s is an HTML page, not XML: a proxy or load balancer answered", what);
    if ((rc = orch_aws_xml_read_doc(m, body, ctype, what, &val, err)) || !val) return rc;
    if (s->payload >= 0) rc = json_object_set_new(obj, m->name, val) ? OOM(err) : 0;
    else rc = json_object_update(obj, val) ? OOM(err) : 0;
    if (s->payload < 0) json_decref(val);
    return rc;
  }
  if (s->payload >= 0) {
    const struct orch_aws_member *pm = &s->members[s->payload];
    if (pm->shape->type == ORCH_AWS_T_BLOB) {
      struct orch_buf b64 = ORCH_BUF_INIT(0);
      if (body->len == 0) return 0;
      rc = orch_aws_b64_encode(&b64, body->data, body->len);
      if (!rc) val = json_string(orch_buf_cstr(&b64));
      orch_buf_free(&b64);
    } else if (pm->shape->type == ORCH_AWS_T_STRING) {
      if (body->len == 0) return 0;
      val = json_stringn(orch_buf_cstr(body), body->len);
      if (!val) return orch_error_set(err, ORCH_EPARSE, "%s is not UTF-8 text", what);
    } else {
      struct orch_strview t = orch_str_trim((struct orch_strview){orch_buf_cstr(body), body->len});
      if (t.n == 0) return 0;
      if (orch_aws_proto_is_html(body, ctype))
        return orch_error_set(err, ORCH_EPARSE, "%s is an HTML page, not JSON: a proxy or load balancer answered", what);
      rc = orch_aws_json_read(pm, t.p, t.n, flags & ~(unsigned)ORCH_AWS_JSON_BODY_ONLY, what, &val, err);
      if (rc) return rc;
    }
    if (!val || json_object_set_new(obj, pm->name, val)) return OOM(err);
    return 0;
  }
  if ((rc = orch_aws_json_read_body(io, body, ctype, flags | ORCH_AWS_JSON_BODY_ONLY, what, &val, err))) return rc;
  rc = json_object_update(obj, val) ? OOM(err) : 0;
  json_decref(val);
  return rc;
}

int orch_aws_rest_parse_response(const struct orch_aws_operation *op, const struct orch_http_response *resp,
                                 json_t **output, struct orch_error *err) {
  json_t *obj = json_object();
  int rc = 0;
  if (!obj) return OOM(err);
  const struct orch_aws_shape *s = op->output.shape;
  if (s) {
    const char *ct = orch_http_headers_get(&resp->headers, "Content-Type");
    if ((rc = headers_to_members(s, &resp->headers, obj, err)) ||
        (rc = body_to_members(op, &op->output, &resp->body, ct, ORCH_AWS_JSON_KEEP_UNKNOWN, "response body", obj,
                              err)))
      goto fail;
    for (size_t i = 0; i < s->nmembers; i++)
      if (s->members[i].location == ORCH_AWS_LOC_STATUSCODE &&
          json_object_set_new(obj, s->members[i].name, json_integer(resp->status))) {
        rc = OOM(err);
        goto fail;
      }
  } else if (orch_aws_proto_is_html(&resp->body, orch_http_headers_get(&resp->headers, "Content-Type"))) {
    rc = orch_error_set(err, ORCH_EPARSE, "response body is an HTML page: a proxy or load balancer answered");
    goto fail;
  }
  *output = obj;
  return 0;
fail:
  orch_error_prefix(err, "%s response", op->name);
  json_decref(obj);
  return rc;
}

int orch_aws_rest_parse_error_members(const struct orch_aws_shape *shape, const struct orch_http_response *resp,
                                      const json_t *body, json_t **out, struct orch_error *err) {
  struct orch_aws_member m = {.shape = shape};
  json_t *obj = NULL;
  int rc = orch_aws_json_decode(&m, body, ORCH_AWS_JSON_BODY_ONLY, &obj, err);
  if (!rc) rc = headers_to_members(shape, &resp->headers, obj, err);
  if (rc) {
    json_decref(obj);
    return rc;
  }
  *out = obj;
  return 0;
}

/* ---- server: route and decode a request ---- */

struct capture {
  const char *p;
  size_t n;
};

/* Match path parts [i..] against `p`; captures label values. Greedy labels take the longest match. */
static bool match_path(const struct orch_aws_operation *op, size_t i, const char *p, struct capture *caps) {
  if (i == op->npath) return *p == '\0';
  const struct orch_aws_uri_part *part = &op->path[i];
  if (!part->label) return strncmp(p, part->text, part->len) == 0 && match_path(op, i + 1, p + part->len, caps);
  size_t seg = strcspn(p, "/");
  size_t maxlen = part->greedy ? strlen(p) : seg;
  for (size_t n = maxlen; n >= 1; n--) {
    caps[i].p = p;
    caps[i].n = n;
    if (match_path(op, i + 1, p + n, caps)) return true;
    if (!part->greedy) break;
  }
  return false;
}

/* Each "k" or "k=v" of the template's literal query must be in the request's query. */
static bool match_literal_query(const struct orch_aws_operation *op, const struct orch_aws_params *q) {
  if (!op->uri_query || !*op->uri_query) return true;
  struct orch_aws_params lit = {0};
  bool ok = orch_aws_params_parse(&lit, op->uri_query, strlen(op->uri_query), false) == 0;
  for (size_t i = 0; ok && i < lit.n; i++) {
    size_t idx;
    const char *v = orch_aws_params_get(q, lit.items[i].key, &idx);
    ok = v && (!*lit.items[i].value || !strcmp(v, lit.items[i].value));
  }
  orch_aws_params_free(&lit);
  return ok;
}

static int params_to_members(const struct orch_aws_shape *s, const struct orch_aws_params *q, json_t *obj) {
  int rc = 0;
  for (size_t i = 0; i < s->nmembers && !rc; i++) {
    const struct orch_aws_member *m = &s->members[i];
    if (m->location != ORCH_AWS_LOC_QUERYSTRING) continue;
    const char *key = m->location_name ? m->location_name : m->name;
    json_t *val = NULL;
    if (m->shape->type == ORCH_AWS_T_MAP) {
      val = json_object();
      for (size_t k = 0; val && k < q->n && !rc; k++) {
        const char *pk = q->items[k].key;
        bool named = false;
        for (size_t j = 0; j < s->nmembers && !named; j++)
          named = s->members[j].location == ORCH_AWS_LOC_QUERYSTRING && s->members[j].shape->type != ORCH_AWS_T_MAP &&
                  !strcmp(s->members[j].location_name ? s->members[j].location_name : s->members[j].name, pk);
        if (named) continue;
        const struct orch_aws_member *vm = &m->shape->value;
        json_t *item = NULL;
        if (vm->shape->type == ORCH_AWS_T_LIST) {
          json_t *list = json_object_get(val, pk);
          if (!list && json_object_set_new(val, pk, list = json_array())) rc = ORCH_ENOMEM;
          if (!rc && !(rc = orch_aws_scalar_from_text(&vm->shape->member, q->items[k].value, &item)))
            rc = json_array_append_new(list, item) ? ORCH_ENOMEM : 0;
        } else if (!json_object_get(val, pk)) {
          if (!(rc = orch_aws_scalar_from_text(vm, q->items[k].value, &item)))
            rc = json_object_set_new(val, pk, item) ? ORCH_ENOMEM : 0;
        }
      }
      if (val && json_object_size(val) == 0) {
        json_decref(val);
        continue;
      }
    } else if (m->shape->type == ORCH_AWS_T_LIST) {
      val = json_array();
      for (size_t k = 0; val && k < q->n && !rc; k++) {
        if (strcmp(q->items[k].key, key)) continue;
        json_t *item = NULL;
        if (!(rc = orch_aws_scalar_from_text(&m->shape->member, q->items[k].value, &item)))
          rc = json_array_append_new(val, item) ? ORCH_ENOMEM : 0;
      }
      if (val && json_array_size(val) == 0) {
        json_decref(val);
        continue;
      }
    } else {
      const char *v = orch_aws_params_get(q, key, NULL);
      if (!v) continue;
      rc = orch_aws_scalar_from_text(m, v, &val);
    }
    if (!rc && !val) rc = ORCH_ENOMEM;
    if (!rc && json_object_set_new(obj, m->name, val)) rc = ORCH_ENOMEM;
    else if (rc) json_decref(val);
  }
  return rc;
}

int orch_aws_rest_parse_request(const struct orch_aws_service *svc, const struct orch_http_request *req,
                                const struct orch_aws_operation **op, json_t **input,
                                struct orch_aws_error *aerr) {
  struct orch_aws_params q = {0};
  struct capture *caps = NULL, *best_caps = NULL;
  const struct orch_aws_operation *best = NULL;
  json_t *obj = NULL;
  struct orch_error perr = {0};
  int rc = 0;
  const char *path = req->path && *req->path ? req->path : "/";
  const char *query = req->query ? req->query : "";
  bool xml = orch_aws_service_protocol(svc) == ORCH_AWS_PROTO_REST_XML;
  rc = orch_aws_params_parse(&q, query, strlen(query), true);
  if (rc == ORCH_ENOMEM) goto out;
  if (rc) {
    rc = orch_aws_proto_reject(aerr, 400, "SerializationException", "malformed query string");
    goto out;
  }
  orch_aws_params_sort(&q);
  size_t maxparts = 1;
  for (size_t i = 0; i < orch_aws_model_operation_count(svc); i++)
    if (orch_aws_model_operation_at(svc, i)->npath > maxparts) maxparts = orch_aws_model_operation_at(svc, i)->npath;
  caps = orch_calloc(maxparts, sizeof *caps);
  best_caps = orch_calloc(maxparts, sizeof *best_caps);
  if (!caps || !best_caps) {
    rc = ORCH_ENOMEM;
    goto out;
  }
  for (size_t i = 0; i < orch_aws_model_operation_count(svc); i++) {
    const struct orch_aws_operation *o = orch_aws_model_operation_at(svc, i);
    if (strcasecmp(o->http_method, req->method) != 0) continue;
    if (best && o->nliteral <= best->nliteral) continue;
    if (!match_path(o, 0, path, caps) || !match_literal_query(o, &q)) continue;
    best = o;
    memcpy(best_caps, caps, o->npath * sizeof *caps);
  }
  if (!best) {
    rc = orch_aws_proto_reject(aerr, 404, "UnknownOperationException", "no %s operation matches %s %s",
                               orch_aws_service_name(svc), req->method, path);
    goto out;
  }
  *op = best;
  if (!(obj = json_object())) {
    rc = ORCH_ENOMEM;
    goto out;
  }
  const struct orch_aws_shape *s = best->input.shape;
  if (!s) goto done;
  struct orch_buf text = ORCH_BUF_INIT(0);
  for (size_t i = 0; i < best->npath && !rc; i++) {
    const struct orch_aws_uri_part *part = &best->path[i];
    if (!part->label) continue;
    orch_buf_reset(&text);
    json_t *val = NULL;
    int drc = orch_str_uri_decode(&text, best_caps[i].p, best_caps[i].n, false);
    if (!drc) drc = orch_buf_append(&text, "", 0); /* terminated even when empty */
    if (!drc) drc = orch_aws_scalar_from_text(part->member, orch_buf_cstr(&text), &val);
    if (drc == ORCH_ENOMEM) {
      rc = ORCH_ENOMEM;
    } else if (drc) {
      rc = orch_aws_proto_reject(aerr, 400, "ValidationException", "cannot read path segment '%.*s' as %s",
                                 (int)best_caps[i].n, best_caps[i].p, part->member->shape->type_name);
    } else if (json_object_set_new(obj, part->member->name, val)) {
      rc = ORCH_ENOMEM;
    }
  }
  orch_buf_free(&text);
  if (rc) goto out;
  if ((rc = params_to_members(s, &q, obj))) {
    if (rc != ORCH_ENOMEM)
      rc = orch_aws_proto_reject(aerr, 400, "ValidationException", "a query-string parameter has a malformed value");
    goto out;
  }
  if ((rc = headers_to_members(s, &req->headers, obj, &perr)) ||
      (rc = body_to_members(best, &best->input, &req->body, orch_http_headers_get(&req->headers, "Content-Type"), 0,
                            "request body", obj, &perr))) {
    if (rc != ORCH_ENOMEM) {
      char line[ORCH_ERROR_MESSAGE_MAX + ORCH_ERROR_CONTEXT_MAX + 4];
      rc = orch_aws_proto_reject(aerr, 400, xml ? "MalformedXML" : "SerializationException", "%s",
                                 orch_error_format(&perr, line, sizeof line));
    }
    goto out;
  }
done:
  *input = obj;
  obj = NULL;
out:
  json_decref(obj);
  orch_free(caps);
  orch_free(best_caps);
  orch_aws_params_free(&q);
  return rc;
}

/* ---- server: build a response ---- */

int orch_aws_rest_build_response(const struct orch_aws_operation *op, const json_t *output,
                                  struct orch_http_response *resp, struct orch_error *err) {
  char rid[64];
  int rc = orch_aws_proto_request_id(resp, rid, sizeof rid);
  if (rc) return OOM(err);
  const struct orch_aws_shape *s = op->output.shape;
  resp->status = op->response_code;
  orch_buf_reset(&resp->body);
  bool xml = orch_aws_service_protocol(op->svc) == ORCH_AWS_PROTO_REST_XML;
  if (!s || !output) {
    if (xml) return 0; /* rest-xml: an empty body */
    if (orch_buf_puts(&resp->body, "{}") || orch_http_headers_set(&resp->headers, "Content-Type", "application/json"))
      return OOM(err);
    return 0;
  }
  struct orch_buf text = ORCH_BUF_INIT(0);
  size_t i = 0;
  const json_t *v;
  const struct orch_aws_member *m;
  while (!rc && (m = orch_aws_walk_next(s, output, &i, &v)) != NULL) {
    if (m->location == ORCH_AWS_LOC_STATUSCODE && json_is_integer(v)) {
      resp->status = (int)json_integer_value(v);
    } else if (m->location == ORCH_AWS_LOC_HEADER) {
      orch_buf_reset(&text);
      rc = header_value(m, v, &text);
      if (!rc) rc = orch_http_headers_set(&resp->headers, m->location_name ? m->location_name : m->name,
                                          orch_buf_cstr(&text));
    } else if (m->location == ORCH_AWS_LOC_HEADERS) {
      const char *k;
      json_t *item;
      json_object_foreach(orch_aws_unconst(v), k, item) {
        orch_buf_reset(&text);
        rc = orch_buf_printf(&text, "%s%s", m->location_name ? m->location_name : "", k);
        if (!rc && json_is_string(item)) rc = orch_http_headers_set(&resp->headers, orch_buf_cstr(&text), json_string_value(item));
        if (rc) break;
      }
    }
  }
  orch_buf_free(&text);
  if (rc == ORCH_ETYPE) return orch_error_set(err, rc, "an output header member has a value of the wrong type");
  if (rc) return OOM(err);
  if ((rc = build_body(op, true, output, &resp->body, &resp->headers, err))) return rc;
  if (resp->body.len == 0 && s->payload < 0 && !xml) {
    /* Smithy servers answer with a JSON object even when nothing is bound to the body. */
    if (orch_buf_puts(&resp->body, "{}") || orch_http_headers_set(&resp->headers, "Content-Type", "application/json"))
      return OOM(err);
  }
  return 0;
}
