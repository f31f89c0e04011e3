/* orch_aws_model: loads botocore-format models into the in-memory form of orch_aws_model_shape.h
 * (shapes and operations sorted by name, member traits merged with their target's, rest-json URI
 * templates pre-split, paginators), and serves the embedded models, loaded once with pthread_once.
 * Uses jansson, orch_alloc, orch_str, and the generated orch_aws_models_gen.c table. */
#include "aws/orch_aws_model.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "aws/orch_aws_model_embed.h"
#include "aws/orch_aws_model_shape.h"
#include "core/orch_alloc.h"
#include "core/orch_str.h"

struct orch_aws_service {
  json_t *doc; /* owned; every string below points into it unless noted */
  char *name;  /* owned copy */
  const char *service_id, *api_version, *endpoint_prefix, *signing_name, *target_prefix, *json_version,
      *xml_namespace, *global_endpoint;
  enum orch_aws_protocol protocol;
  struct orch_aws_shape *shapes; /* sorted by name */
  size_t nshapes;
  struct orch_aws_operation *ops; /* sorted by name */
  size_t nops;
  const char **op_names; /* NULL-terminated, for suggestions */
};

/* ---- small readers over the model document ---- */

static const char *jstr(const json_t *obj, const char *key) {
  return json_string_value(json_object_get(obj, key));
}

static bool jbool(const json_t *obj, const char *key) { return json_is_true(json_object_get(obj, key)); }

static int parse_tsformat(const char *s, enum orch_aws_tsformat *out, const char *where, struct orch_error *err) {
  if (!s) return 0;
  if (!strcmp(s, "iso8601")) *out = ORCH_AWS_TS_ISO8601;
  else if (!strcmp(s, "rfc822")) *out = ORCH_AWS_TS_RFC822;
  else if (!strcmp(s, "unixTimestamp")) *out = ORCH_AWS_TS_UNIX;
  else return orch_error_setc(err, ORCH_EPARSE, where, "unknown timestampFormat '%s'", s);
  return 0;
}

static int cmp_shape(const void *a, const void *b) {
  return strcmp(((const struct orch_aws_shape *)a)->name, ((const struct orch_aws_shape *)b)->name);
}

static int cmp_op(const void *a, const void *b) {
  return strcmp(((const struct orch_aws_operation *)a)->name, ((const struct orch_aws_operation *)b)->name);
}

const struct orch_aws_shape *orch_aws_model_shape(const struct orch_aws_service *svc, const char *name) {
  if (!svc || !name) return NULL;
  struct orch_aws_shape key = {.name = name};
  return bsearch(&key, svc->shapes, svc->nshapes, sizeof key, cmp_shape);
}

/* ---- shapes ---- */

static int shape_type(const char *t, bool document, enum orch_aws_type *out) {
  static const struct {
    const char *name;
    enum orch_aws_type type;
  } map[] = {
      {"structure", ORCH_AWS_T_STRUCTURE}, {"list", ORCH_AWS_T_LIST},       {"map", ORCH_AWS_T_MAP},
      {"string", ORCH_AWS_T_STRING},       {"integer", ORCH_AWS_T_INTEGER}, {"long", ORCH_AWS_T_INTEGER},
      {"short", ORCH_AWS_T_INTEGER},       {"byte", ORCH_AWS_T_INTEGER},    {"float", ORCH_AWS_T_FLOAT},
      {"double", ORCH_AWS_T_FLOAT},        {"boolean", ORCH_AWS_T_BOOLEAN}, {"timestamp", ORCH_AWS_T_TIMESTAMP},
      {"blob", ORCH_AWS_T_BLOB},
  };
  if (!t) return ORCH_EPARSE;
  if (document) {
    *out = ORCH_AWS_T_DOCUMENT;
    return 0;
  }
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (!strcmp(map[i].name, t)) {
      *out = map[i].type;
      return 0;
    }
  return ORCH_EUNSUPPORTED;
}

static void read_xml_namespace(const json_t *j, const char **uri, const char **prefix) {
  const json_t *ns = json_object_get(j, "xmlNamespace");
  if (json_is_string(ns)) {
    *uri = json_string_value(ns);
  } else if (json_is_object(ns)) {
    *uri = jstr(ns, "uri");
    *prefix = jstr(ns, "prefix");
  }
}

/* Pass 1: what a shape says about itself. */
static int shape_own_traits(struct orch_aws_shape *s, const json_t *j, struct orch_error *err) {
  int rc = shape_type(jstr(j, "type"), jbool(j, "document"), &s->type);
  if (rc == ORCH_EUNSUPPORTED)
    return orch_error_setc(err, rc, s->name, "unsupported shape type '%s'", jstr(j, "type"));
  if (rc) return orch_error_setc(err, rc, s->name, "shape has no type");
  s->type_name = jstr(j, "type");
  s->payload = -1;
  s->is_union = jbool(j, "union");
  s->exception = jbool(j, "exception");
  s->fault = jbool(j, "fault");
  s->flattened = jbool(j, "flattened");
  s->streaming = jbool(j, "streaming");
  s->eventstream = jbool(j, "eventstream");
  s->location_name = jstr(j, "locationName");
  s->location = jstr(j, "location");
  read_xml_namespace(j, &s->xml_namespace, &s->xml_ns_prefix);
  const json_t *e = json_object_get(j, "error");
  if (json_is_object(e)) {
    s->error_code = jstr(e, "code");
    s->error_status = (int)json_integer_value(json_object_get(e, "httpStatusCode"));
    s->sender_fault = jbool(e, "senderFault");
  }
  const json_t *v = json_object_get(j, "min");
  if (json_is_number(v)) s->has_min = true, s->min = json_number_value(v);
  v = json_object_get(j, "max");
  if (json_is_number(v)) s->has_max = true, s->max = json_number_value(v);
  rc = parse_tsformat(jstr(j, "timestampFormat"), &s->ts_format, s->name, err);
  if (rc) return rc;
  const json_t *en = json_object_get(j, "enum");
  if (json_is_array(en) && json_array_size(en) > 0) {
    s->nenums = json_array_size(en);
    s->enums = orch_calloc(s->nenums + 1, sizeof *s->enums);
    if (!s->enums) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
    for (size_t i = 0; i < s->nenums; i++) {
      s->enums[i] = json_string_value(json_array_get(en, i));
      if (!s->enums[i]) return orch_error_setc(err, ORCH_EPARSE, s->name, "enum values must be strings");
    }
  }
  return 0;
}

/* A shape reference: the target's traits overridden by the reference's (botocore merges them alike). */
static int resolve_ref(const struct orch_aws_service *svc, const json_t *ref, const char *where,
                       struct orch_aws_member *m, struct orch_error *err) {
  const char *target = jstr(ref, "shape");
  const struct orch_aws_shape *s = orch_aws_model_shape(svc, target);
  if (!s)
    return orch_error_setc(err, ORCH_EPARSE, where, "refers to undefined shape '%s'", target ? target : "(none)");
  m->shape = s;
  m->location_name = jstr(ref, "locationName");
  if (!m->location_name) m->location_name = s->location_name;
  m->query_name = jstr(ref, "queryName");
  m->xml_namespace = s->xml_namespace;
  m->xml_ns_prefix = s->xml_ns_prefix;
  read_xml_namespace(ref, &m->xml_namespace, &m->xml_ns_prefix);
  m->result_wrapper = jstr(ref, "resultWrapper");
  m->ts_format = s->ts_format;
  int rc = parse_tsformat(jstr(ref, "timestampFormat"), &m->ts_format, where, err);
  if (rc) return rc;
  m->flattened = json_object_get(ref, "flattened") ? jbool(ref, "flattened") : s->flattened;
  m->xml_attribute = jbool(ref, "xmlAttribute");
  m->idempotency_token = jbool(ref, "idempotencyToken");
  m->jsonvalue = jbool(ref, "jsonvalue");
  m->host_label = jbool(ref, "hostLabel");
  const char *loc = jstr(ref, "location");
  if (!loc) loc = s->location;
  if (!loc) m->location = ORCH_AWS_LOC_BODY;
  else if (!strcmp(loc, "header")) m->location = ORCH_AWS_LOC_HEADER;
  else if (!strcmp(loc, "headers")) m->location = ORCH_AWS_LOC_HEADERS;
  else if (!strcmp(loc, "uri")) m->location = ORCH_AWS_LOC_URI;
  else if (!strcmp(loc, "querystring")) m->location = ORCH_AWS_LOC_QUERYSTRING;
  else if (!strcmp(loc, "statusCode")) m->location = ORCH_AWS_LOC_STATUSCODE;
  else return orch_error_setc(err, ORCH_EPARSE, where, "unknown location '%s'", loc);
  return 0;
}

/* Pass 2: members and element shapes. */
static int shape_refs(struct orch_aws_service *svc, struct orch_aws_shape *s, const json_t *j,
                      struct orch_error *err) {
  char where[ORCH_ERROR_CONTEXT_MAX];
  int rc = 0;
  if (s->type == ORCH_AWS_T_LIST) {
    snprintf(where, sizeof where, "%s.member", s->name);
    return resolve_ref(svc, json_object_get(j, "member"), where, &s->member, err);
  }
  if (s->type == ORCH_AWS_T_MAP) {
    snprintf(where, sizeof where, "%s.key", s->name);
    rc = resolve_ref(svc, json_object_get(j, "key"), where, &s->key, err);
    if (rc) return rc;
    snprintf(where, sizeof where, "%s.value", s->name);
    return resolve_ref(svc, json_object_get(j, "value"), where, &s->value, err);
  }
  if (s->type != ORCH_AWS_T_STRUCTURE) return 0;
  json_t *members = json_object_get(j, "members");
  s->nmembers = json_object_size(members);
  s->members = orch_calloc(s->nmembers + 1, sizeof *s->members);
  s->member_names = orch_calloc(s->nmembers + 1, sizeof *s->member_names);
  if (!s->members || !s->member_names) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  const char *payload = jstr(j, "payload");
  const json_t *required = json_object_get(j, "required");
  const char *key;
  json_t *ref;
  size_t i = 0;
  /* jansson keeps insertion order, which is the model's member order: serializers follow it. */
  json_object_foreach(members, key, ref) {
    struct orch_aws_member *m = &s->members[i];
    m->name = key;
    s->member_names[i] = key;
    snprintf(where, sizeof where, "%s.%s", s->name, key);
    rc = resolve_ref(svc, ref, where, m, err);
    if (rc) return rc;
    size_t ri;
    const json_t *r;
    json_array_foreach(required, ri, r) if (json_is_string(r) && !strcmp(json_string_value(r), key)) m->required = true;
    if (payload && !strcmp(payload, key)) s->payload = (int)i;
    if (m->location == ORCH_AWS_LOC_BODY) s->has_body_members = true;
    if (m->shape->eventstream) s->eventstream = true;
    i++;
  }
  if (payload && s->payload < 0)
    return orch_error_setc(err, ORCH_EPARSE, s->name, "payload '%s' is not a member", payload);
  return 0;
}

const struct orch_aws_member *orch_aws_shape_member(const struct orch_aws_shape *s, const char *name) {
  if (!s || !name) return NULL;
  for (size_t i = 0; i < s->nmembers; i++)
    if (!strcmp(s->members[i].name, name)) return &s->members[i];
  return NULL;
}

/* ---- operations ---- */

/* "/tags/{resourceArn}" or "/{Bucket}/{Key+}?x-id=Put": literal and label parts, and the literal query. */
static int parse_request_uri(struct orch_aws_operation *op, struct orch_error *err) {
  op->uri_copy = orch_strdup(op->request_uri);
  if (!op->uri_copy) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  char *q = strchr(op->uri_copy, '?');
  if (q) {
    *q = '\0';
    op->uri_query = q + 1;
  }
  size_t cap = 1;
  for (const char *p = op->uri_copy; *p; p++) cap += *p == '{';
  op->path = orch_calloc(cap * 2 + 1, sizeof *op->path);
  if (!op->path) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  const struct orch_aws_shape *in = op->input.shape;
  for (char *p = op->uri_copy; *p;) {
    struct orch_aws_uri_part *part = &op->path[op->npath];
    if (*p != '{') {
      char *end = strchr(p, '{');
      part->text = p;
      part->len = end ? (size_t)(end - p) : strlen(p);
      op->nliteral += part->len;
      p += part->len;
      op->npath++;
      continue;
    }
    char *close = strchr(p, '}');
    if (!close) return orch_error_setc(err, ORCH_EPARSE, op->name, "unterminated label in requestUri '%s'", op->request_uri);
    *close = '\0';
    char *label = p + 1;
    size_t len = strlen(label);
    if (len && label[len - 1] == '+') {
      part->greedy = true;
      label[--len] = '\0';
    }
    part->label = true;
    part->text = label;
    part->len = len;
    for (size_t i = 0; in && i < in->nmembers; i++) {
      const struct orch_aws_member *m = &in->members[i];
      if (m->location != ORCH_AWS_LOC_URI) continue;
      if (!strcmp(m->location_name ? m->location_name : m->name, part->text)) part->member = m;
    }
    if (!part->member)
      return orch_error_setc(err, ORCH_EPARSE, op->name, "requestUri label '%s' has no input member", part->text);
    op->npath++;
    p = close + 1;
  }
  return 0;
}

/* A paginator token list: a string or an array of strings, as a NULL-terminated array. */
static int token_list(const json_t *j, const char ***out, struct orch_error *err) {
  size_t n = json_is_string(j) ? 1 : json_is_array(j) ? json_array_size(j) : 0;
  const char **list = orch_calloc(n + 1, sizeof *list);
  if (!list) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  if (json_is_string(j)) list[0] = json_string_value(j);
  for (size_t i = 0; json_is_array(j) && i < n; i++) list[i] = json_string_value(json_array_get(j, i));
  *out = list;
  return 0;
}

static int load_operation(struct orch_aws_service *svc, struct orch_aws_operation *op, const char *name,
                          const json_t *j, const json_t *pagination, struct orch_error *err) {
  op->svc = svc;
  op->name = name;
  const json_t *http = json_object_get(j, "http");
  op->http_method = jstr(http, "method");
  if (!op->http_method) op->http_method = "POST";
  op->request_uri = jstr(http, "requestUri");
  if (!op->request_uri) op->request_uri = "/";
  op->response_code = json_is_integer(json_object_get(http, "responseCode"))
                          ? (int)json_integer_value(json_object_get(http, "responseCode"))
                          : 200;
  op->auth_type = jstr(j, "authtype");
  op->host_prefix = jstr(json_object_get(j, "endpoint"), "hostPrefix");
  op->idempotent = jbool(j, "idempotent");
  op->checksum_required = jbool(j, "httpChecksumRequired") ||
                          jbool(json_object_get(j, "httpChecksum"), "requestChecksumRequired");
  char where[ORCH_ERROR_CONTEXT_MAX];
  int rc;
  if (json_object_get(j, "input")) {
    snprintf(where, sizeof where, "%s.input", name);
    if ((rc = resolve_ref(svc, json_object_get(j, "input"), where, &op->input, err))) return rc;
  }
  if (json_object_get(j, "output")) {
    snprintf(where, sizeof where, "%s.output", name);
    if ((rc = resolve_ref(svc, json_object_get(j, "output"), where, &op->output, err))) return rc;
  }
  const json_t *errors = json_object_get(j, "errors");
  op->nerrors = json_array_size(errors);
  op->errors = orch_calloc(op->nerrors + 1, sizeof *op->errors);
  if (!op->errors) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  for (size_t i = 0; i < op->nerrors; i++) {
    op->errors[i] = orch_aws_model_shape(svc, jstr(json_array_get(errors, i), "shape"));
    if (!op->errors[i]) return orch_error_setc(err, ORCH_EPARSE, name, "error %zu refers to an undefined shape", i);
  }
  if ((rc = parse_request_uri(op, err))) return rc;
  const json_t *pg = json_object_get(pagination, name);
  if (json_is_object(pg)) {
    op->paginates = true;
    op->pg_limit = jstr(pg, "limit_key");
    if ((rc = token_list(json_object_get(pg, "input_token"), &op->pg_input, err)) ||
        (rc = token_list(json_object_get(pg, "output_token"), &op->pg_output, err)) ||
        (rc = token_list(json_object_get(pg, "result_key"), &op->pg_results, err)))
      return rc;
  }
  return 0;
}

/* ---- services ---- */

static int parse_protocol(const json_t *meta, enum orch_aws_protocol *out, struct orch_error *err) {
  const char *p = jstr(meta, "protocol");
  if (!p) p = json_string_value(json_array_get(json_object_get(meta, "protocols"), 0));
  if (!p) return orch_error_setc(err, ORCH_EPARSE, "metadata.protocol", "model names no protocol");
  if (!strcmp(p, "rest-json")) *out = ORCH_AWS_PROTO_REST_JSON;
  else if (!strcmp(p, "json")) *out = ORCH_AWS_PROTO_JSON;
  else if (!strcmp(p, "query")) *out = ORCH_AWS_PROTO_QUERY;
  else if (!strcmp(p, "ec2")) *out = ORCH_AWS_PROTO_EC2;
  else if (!strcmp(p, "rest-xml")) *out = ORCH_AWS_PROTO_REST_XML;
  else return orch_error_setc(err, ORCH_EUNSUPPORTED, "metadata.protocol", "protocol '%s' is not supported", p);
  return 0;
}

/* "Service Quotas" -> "service-quotas": botocore's folder names follow the serviceId this way. */
static char *derive_name(const json_t *doc, const json_t *meta) {
  const char *n = jstr(doc, "name");
  if (n) return orch_strdup(n);
  n = jstr(meta, "serviceId");
  if (!n) n = jstr(meta, "endpointPrefix");
  if (!n) n = "unknown";
  char *out = orch_strdup(n);
  for (char *p = out; p && *p; p++) {
    if (*p == ' ') *p = '-';
    else if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
  }
  return out;
}

void orch_aws_model_free(struct orch_aws_service *svc) {
  if (!svc) return;
  for (size_t i = 0; svc->shapes && i < svc->nshapes; i++) {
    orch_free(svc->shapes[i].members);
    orch_free(svc->shapes[i].member_names);
    orch_free(svc->shapes[i].enums);
  }
  for (size_t i = 0; svc->ops && i < svc->nops; i++) {
    struct orch_aws_operation *op = &svc->ops[i];
    orch_free(op->errors);
    orch_free(op->path);
    orch_free(op->uri_copy);
    orch_free(op->pg_input);
    orch_free(op->pg_output);
    orch_free(op->pg_results);
  }
  orch_free(svc->shapes);
  orch_free(svc->ops);
  orch_free(svc->op_names);
  orch_free(svc->name);
  json_decref(svc->doc);
  orch_free(svc);
}

/* Takes ownership of `doc` (also on failure). */
static int load_owned(json_t *doc, struct orch_aws_service **out, struct orch_error *err) {
  int rc = 0;
  struct orch_aws_service *svc = orch_calloc(1, sizeof *svc);
  if (!svc) {
    json_decref(doc);
    return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  }
  svc->doc = doc;
  const json_t *meta = json_object_get(doc, "metadata");
  json_t *ops = json_object_get(doc, "operations");
  json_t *shapes = json_object_get(doc, "shapes");
  if (!json_is_object(meta) || !json_is_object(shapes) || (ops && !json_is_object(ops))) {
    rc = orch_error_set(err, ORCH_EPARSE, "not a service model: expected objects 'metadata' and 'shapes'");
    goto fail;
  }
  if ((rc = parse_protocol(meta, &svc->protocol, err))) goto fail;
  svc->name = derive_name(doc, meta);
  if (!svc->name) goto oom;
  svc->service_id = jstr(meta, "serviceId");
  svc->api_version = jstr(meta, "apiVersion");
  svc->endpoint_prefix = jstr(meta, "endpointPrefix");
  svc->signing_name = jstr(meta, "signingName");
  if (!svc->signing_name) svc->signing_name = svc->endpoint_prefix;
  svc->target_prefix = jstr(meta, "targetPrefix");
  svc->json_version = jstr(meta, "jsonVersion");
  if (!svc->json_version && svc->protocol == ORCH_AWS_PROTO_JSON) svc->json_version = "1.0";
  svc->xml_namespace = jstr(meta, "xmlNamespace");
  svc->global_endpoint = jstr(meta, "globalEndpoint");

  svc->nshapes = json_object_size(shapes);
  svc->shapes = orch_calloc(svc->nshapes + 1, sizeof *svc->shapes);
  if (!svc->shapes) goto oom;
  const char *key;
  json_t *val;
  size_t i = 0;
  json_object_foreach(shapes, key, val) svc->shapes[i++].name = key;
  qsort(svc->shapes, svc->nshapes, sizeof *svc->shapes, cmp_shape);
  for (i = 0; i < svc->nshapes; i++)
    if ((rc = shape_own_traits(&svc->shapes[i], json_object_get(shapes, svc->shapes[i].name), err))) goto fail;
  for (i = 0; i < svc->nshapes; i++)
    if ((rc = shape_refs(svc, &svc->shapes[i], json_object_get(shapes, svc->shapes[i].name), err))) goto fail;

  svc->nops = json_object_size(ops);
  svc->ops = orch_calloc(svc->nops + 1, sizeof *svc->ops);
  svc->op_names = orch_calloc(svc->nops + 1, sizeof *svc->op_names);
  if (!svc->ops || !svc->op_names) goto oom;
  i = 0;
  json_object_foreach(ops, key, val) svc->ops[i++].name = key;
  qsort(svc->ops, svc->nops, sizeof *svc->ops, cmp_op);
  const json_t *pagination = json_object_get(doc, "pagination");
  for (i = 0; i < svc->nops; i++) {
    struct orch_aws_operation *op = &svc->ops[i];
    svc->op_names[i] = op->name;
    if ((rc = load_operation(svc, op, op->name, json_object_get(ops, op->name), pagination, err))) goto fail;
  }
  *out = svc;
  return 0;
oom:
  rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
fail:
  orch_aws_model_free(svc);
  return rc;
}

int orch_aws_model_load(const json_t *model, struct orch_aws_service **out, struct orch_error *err) {
  *out = NULL;
  if (!json_is_object(model)) return orch_error_set(err, ORCH_EINVAL, "service model must be a JSON object");
  json_t *copy = json_deep_copy(model);
  if (!copy) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  return load_owned(copy, out, err);
}

/* ---- embedded models ---- */

static pthread_once_t embedded_once = PTHREAD_ONCE_INIT;
static struct orch_aws_service **embedded;
static const char **embedded_names;

static void load_embedded(void) {
  size_t n = 0;
  while (orch_aws_model_embedded[n].name) n++;
  embedded = orch_calloc(n + 1, sizeof *embedded);
  embedded_names = orch_calloc(n + 1, sizeof *embedded_names);
  if (!embedded || !embedded_names) return;
  for (size_t i = 0; i < n; i++) {
    embedded_names[i] = orch_aws_model_embedded[i].name;
    json_t *doc = json_loadb(orch_aws_model_embedded[i].json, orch_aws_model_embedded[i].len, 0, NULL);
    if (doc && load_owned(doc, &embedded[i], NULL) != 0) embedded[i] = NULL;
  }
}

const struct orch_aws_service *orch_aws_model_service(const char *name) {
  pthread_once(&embedded_once, load_embedded);
  for (size_t i = 0; name && embedded_names && embedded_names[i]; i++)
    if (!strcmp(embedded_names[i], name)) return embedded[i];
  return NULL;
}

const char *const *orch_aws_model_service_names(void) {
  static const char *const none[] = {NULL};
  pthread_once(&embedded_once, load_embedded);
  return embedded_names ? embedded_names : none;
}

/* ---- lookups and accessors ---- */

const struct orch_aws_operation *orch_aws_model_operation(const struct orch_aws_service *svc, const char *name) {
  if (!svc || !name) return NULL;
  struct orch_aws_operation key = {.name = name};
  return bsearch(&key, svc->ops, svc->nops, sizeof key, cmp_op);
}

const char *orch_aws_model_suggest_operation(const struct orch_aws_service *svc, const char *name) {
  if (!svc || !name) return NULL;
  /* Case-only differences ("describejobs") are the likeliest slip: prefer an exact case-insensitive match. */
  for (size_t i = 0; i < svc->nops; i++)
    if (orch_str_iequal(svc->op_names[i], name)) return svc->op_names[i];
  return orch_str_nearest(name, svc->op_names);
}

const struct orch_aws_shape *orch_aws_model_error_shape(const struct orch_aws_service *svc, const char *code) {
  if (!svc || !code) return NULL;
  const struct orch_aws_shape *s = orch_aws_model_shape(svc, code);
  if (s && s->exception) return s;
  for (size_t i = 0; i < svc->nshapes; i++)
    if (svc->shapes[i].exception && svc->shapes[i].error_code && !strcmp(svc->shapes[i].error_code, code))
      return &svc->shapes[i];
  return NULL;
}

size_t orch_aws_model_operation_count(const struct orch_aws_service *svc) { return svc ? svc->nops : 0; }

const struct orch_aws_operation *orch_aws_model_operation_at(const struct orch_aws_service *svc, size_t i) {
  return svc && i < svc->nops ? &svc->ops[i] : NULL;
}

const char *orch_aws_service_name(const struct orch_aws_service *svc) { return svc->name; }
enum orch_aws_protocol orch_aws_service_protocol(const struct orch_aws_service *svc) { return svc->protocol; }
const char *orch_aws_service_signing_name(const struct orch_aws_service *svc) { return svc->signing_name; }
const char *orch_aws_service_endpoint_prefix(const struct orch_aws_service *svc) { return svc->endpoint_prefix; }
const char *orch_aws_service_api_version(const struct orch_aws_service *svc) { return svc->api_version; }
const char *orch_aws_service_target_prefix(const struct orch_aws_service *svc) { return svc->target_prefix; }
const char *orch_aws_service_json_version(const struct orch_aws_service *svc) { return svc->json_version; }
const char *orch_aws_service_xml_namespace(const struct orch_aws_service *svc) { return svc->xml_namespace; }
const char *orch_aws_service_id(const struct orch_aws_service *svc) { return svc->service_id; }
const char *orch_aws_service_global_endpoint(const struct orch_aws_service *svc) { return svc->global_endpoint; }

const char *orch_aws_operation_name(const struct orch_aws_operation *op) { return op->name; }
const struct orch_aws_service *orch_aws_operation_service(const struct orch_aws_operation *op) { return op->svc; }
const char *orch_aws_operation_auth_type(const struct orch_aws_operation *op) { return op->auth_type; }
const char *orch_aws_operation_host_prefix(const struct orch_aws_operation *op) { return op->host_prefix; }

bool orch_aws_operation_paginator(const struct orch_aws_operation *op, struct orch_aws_paginator *out) {
  if (!op || !op->paginates) return false;
  out->input_tokens = op->pg_input;
  out->output_tokens = op->pg_output;
  out->result_keys = op->pg_results;
  out->limit_key = op->pg_limit;
  return true;
}
