/* orch_aws_proto_query: requests of the query protocol (STS, SNS) and of EC2's variant of it, both ways:
 * Action/Version and the parameters flattened into dotted keys (".member.N" lists, ".entry.N.key/value"
 * maps, EC2's ".N" lists and capitalised names), and the decoded key/value pairs the simulator reads
 * them back from. Uses orch_aws_proto_walk, orch_str, jansson. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/orch_aws_proto_int.h"
#include "core/orch_alloc.h"
#include "core/orch_str.h"

#define OOM(err) orch_error_set((err), ORCH_ENOMEM, "out of memory")

/* ---- key/value pairs ---- */

int orch_aws_params_parse(struct orch_aws_params *p, const char *s, size_t n, bool plus_is_space) {
  struct orch_buf k = ORCH_BUF_INIT(0), v = ORCH_BUF_INIT(0);
  int rc = 0;
  size_t i = 0;
  while (i < n && !rc) {
    size_t end = i;
    while (end < n && s[end] != '&') end++;
    if (end > i) {
      size_t eq = i;
      while (eq < end && s[eq] != '=') eq++;
      orch_buf_reset(&k);
      orch_buf_reset(&v);
      if ((rc = orch_str_uri_decode(&k, s + i, eq - i, plus_is_space))) break;
      if (eq < end && (rc = orch_str_uri_decode(&v, s + eq + 1, end - eq - 1, plus_is_space))) break;
      if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        struct orch_aws_param *items = orch_realloc(p->items, cap * sizeof *items);
        if (!items) {
          rc = ORCH_ENOMEM;
          break;
        }
        p->items = items;
        p->cap = cap;
      }
      char *key = orch_strndup(orch_buf_cstr(&k), k.len), *val = orch_strndup(orch_buf_cstr(&v), v.len);
      if (!key || !val) {
        orch_free(key);
        orch_free(val);
        rc = ORCH_ENOMEM;
        break;
      }
      p->items[p->n] = (struct orch_aws_param){key, val, p->n};
      p->n++;
      p->sorted = false;
    }
    i = end + 1;
  }
  orch_buf_free(&k);
  orch_buf_free(&v);
  return rc;
}

static int cmp_param(const void *a, const void *b) {
  const struct orch_aws_param *x = a, *y = b;
  int c = strcmp(x->key, y->key);
  return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

void orch_aws_params_sort(struct orch_aws_params *p) {
  if (p->n) qsort(p->items, p->n, sizeof *p->items, cmp_param);
  p->sorted = true;
}

/* First index whose key is >= `key` (sorted params). */
static size_t lower_bound(const struct orch_aws_params *p, const char *key) {
  size_t lo = 0, hi = p->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (strcmp(p->items[mid].key, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const char *orch_aws_params_get(const struct orch_aws_params *p, const char *key, size_t *index) {
  if (p->sorted) {
    size_t i = lower_bound(p, key);
    if (i < p->n && !strcmp(p->items[i].key, key)) {
      if (index) *index = i;
      return p->items[i].value;
    }
    return NULL;
  }
  for (size_t i = 0; i < p->n; i++)
    if (!strcmp(p->items[i].key, key)) {
      if (index) *index = i;
      return p->items[i].value;
    }
  return NULL;
}

bool orch_aws_params_has_prefix(const struct orch_aws_params *p, const char *prefix) {
  size_t n = strlen(prefix);
  for (size_t i = lower_bound(p, prefix); i < p->n && !strncmp(p->items[i].key, prefix, n); i++)
    if (p->items[i].key[n] == '\0' || p->items[i].key[n] == '.') return true;
  return false;
}

void orch_aws_params_free(struct orch_aws_params *p) {
  for (size_t i = 0; i < p->n; i++) {
    orch_free(p->items[i].key);
    orch_free(p->items[i].value);
  }
  orch_free(p->items);
  p->items = NULL;
  p->n = p->cap = 0;
}

/* ---- client: serialize ---- */

struct qwalk {
  struct orch_buf *body;
  bool ec2;
  struct orch_buf key; /* the current dotted prefix */
  struct orch_buf text;
  int depth;
  struct orch_error *err;
};

static int emit(struct qwalk *w, const char *value, size_t n) {
  int rc = orch_buf_putc(w->body, '&');
  rc = orch_str_uri_encode(w->body, orch_buf_cstr(&w->key), w->key.len, false);
  rc = orch_buf_putc(w->body, '=');
  rc = orch_str_uri_encode(w->body, value, n, false);
  return rc ? rc : w->body->err;
}

/* Push ".name" (or "name" at the top) onto the key; returns the old length to pop back to. */
static size_t push(struct qwalk *w, const char *name) {
  size_t old = w->key.len;
  if (old && orch_buf_putc(&w->key, '.')) return old;
  if (orch_buf_puts(&w->key, name)) return old;
  return old;
}

static size_t push_index(struct qwalk *w, size_t i) {
  size_t old = w->key.len;
  if (orch_buf_printf(&w->key, ".%zu", i)) return old;
  return old;
}

static int qserialize(struct qwalk *w, const struct orch_aws_member *m, const json_t *v);

static int qserialize_list(struct qwalk *w, const struct orch_aws_member *m, const json_t *v) {
  const struct orch_aws_shape *s = m->shape;
  if (!json_is_array(v)) return orch_error_setc(w->err, ORCH_ETYPE, orch_buf_cstr(&w->key), "expected an array");
  if (json_array_size(v) == 0) return w->ec2 ? 0 : emit(w, "", 0);
  size_t base = w->key.len;
  if (!w->ec2 && !m->flattened) push(w, s->member.location_name ? s->member.location_name : "member");
  int rc = 0;
  for (size_t i = 0; i < json_array_size(v) && !rc; i++) {
    size_t old = push_index(w, i + 1);
    rc = qserialize(w, &s->member, json_array_get(v, i));
    orch_buf_truncate(&w->key, old);
  }
  orch_buf_truncate(&w->key, base);
  return rc;
}

static int cmp_key(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

static int qserialize_map(struct qwalk *w, const struct orch_aws_member *m, const json_t *v) {
  const struct orch_aws_shape *s = m->shape;
  if (!json_is_object(v)) return orch_error_setc(w->err, ORCH_ETYPE, orch_buf_cstr(&w->key), "expected an object");
  size_t base = w->key.len;
  if (!m->flattened) push(w, "entry");
  const char *ksfx = s->key.location_name ? s->key.location_name : "key";
  const char *vsfx = s->value.location_name ? s->value.location_name : "value";
  /* Entries in key order, as the AWS SDK for JavaScript writes them (any order is accepted). */
  size_t n = json_object_size(v), i = 0;
  const char **keys = orch_calloc(n + 1, sizeof *keys);
  if (!keys) return OOM(w->err);
  const char *k;
  json_t *item;
  json_object_foreach(orch_aws_unconst(v), k, item) if (!json_is_null(item)) keys[i++] = k;
  n = i;
  qsort(keys, n, sizeof *keys, cmp_key);
  int rc = 0;
  for (i = 0; i < n; i++) {
    k = keys[i];
    item = json_object_get(v, k);
    size_t entry = push_index(w, i + 1);
    size_t old = push(w, ksfx);
    rc = emit(w, k, strlen(k));
    orch_buf_truncate(&w->key, old);
    push(w, vsfx);
    if (!rc) rc = qserialize(w, &s->value, item);
    orch_buf_truncate(&w->key, entry);
    if (rc) break;
  }
  orch_buf_truncate(&w->key, base);
  orch_free(keys);
  return rc;
}

static int qserialize(struct qwalk *w, const struct orch_aws_member *m, const json_t *v) {
  const struct orch_aws_shape *s = m->shape;
  if (w->key.err) return OOM(w->err);
  if (++w->depth > ORCH_AWS_MAX_DEPTH) {
    w->depth--;
    return orch_error_setc(w->err, ORCH_ETOOBIG, orch_buf_cstr(&w->key), "nested deeper than %d levels",
                           ORCH_AWS_MAX_DEPTH);
  }
  int rc = 0;
  switch (s->type) {
    case ORCH_AWS_T_STRUCTURE: {
      if (!json_is_object(v)) {
        rc = orch_error_setc(w->err, ORCH_ETYPE, orch_buf_cstr(&w->key), "expected an object");
        break;
      }
      size_t i = 0;
      const json_t *mv;
      const struct orch_aws_member *mm;
      char ec2buf[128];
      while (!rc && (mm = orch_aws_walk_next(s, v, &i, &mv)) != NULL) {
        const char *name = w->ec2 ? orch_aws_walk_ec2_name(mm, ec2buf, sizeof ec2buf)
                                  : (mm->location_name ? mm->location_name : mm->name);
        size_t old = push(w, name);
        rc = qserialize(w, mm, mv);
        orch_buf_truncate(&w->key, old);
      }
      break;
    }
    case ORCH_AWS_T_LIST:
      rc = qserialize_list(w, m, v);
      break;
    case ORCH_AWS_T_MAP:
      rc = qserialize_map(w, m, v);
      break;
    case ORCH_AWS_T_DOCUMENT:
      rc = orch_error_setc(w->err, ORCH_EUNSUPPORTED, orch_buf_cstr(&w->key), "documents have no query form");
      break;
    default:
      orch_buf_reset(&w->text);
      rc = orch_aws_scalar_append(&w->text, m, v, ORCH_AWS_TS_ISO8601);
      if (rc == ORCH_ETYPE || rc == ORCH_EPARSE || rc == ORCH_ERANGE)
        rc = orch_error_setc(w->err, ORCH_ETYPE, orch_buf_cstr(&w->key), "expected a %s", s->type_name);
      else if (rc) rc = OOM(w->err);
      else rc = emit(w, orch_buf_cstr(&w->text), w->text.len) ? OOM(w->err) : 0;
      break;
  }
  w->depth--;
  return rc;
}

int orch_aws_query_build_request(const struct orch_aws_operation *op, const json_t *input,
                                 struct orch_http_request *req, struct orch_error *err) {
  const struct orch_aws_service *svc = op->svc;
  struct qwalk w = {.body = &req->body, .ec2 = orch_aws_service_protocol(svc) == ORCH_AWS_PROTO_EC2, .err = err};
  orch_buf_init(&w.key, 0);
  orch_buf_init(&w.text, 0);
  orch_buf_reset(&req->body);
  snprintf(req->method, sizeof req->method, "POST");
  int rc = orch_buf_puts(&req->body, "Action=");
  rc = orch_str_uri_encode(&req->body, op->name, strlen(op->name), false);
  rc = orch_buf_puts(&req->body, "&Version=");
  const char *ver = orch_aws_service_api_version(svc) ? orch_aws_service_api_version(svc) : "";
  rc = orch_str_uri_encode(&req->body, ver, strlen(ver), false);
  if (rc || req->body.err) rc = OOM(err);
  if (!rc && op->input.shape && input) rc = qserialize(&w, &op->input, input);
  if (!rc && (orch_http_request_set_target(req, "/", "") ||
              orch_http_headers_set(&req->headers, "Content-Type", "application/x-www-form-urlencoded")))
    rc = OOM(err);
  orch_buf_free(&w.key);
  orch_buf_free(&w.text);
  return rc;
}

/* ---- server: decode ---- */

struct qread {
  const struct orch_aws_params *p;
  bool ec2;
  struct orch_buf key;
  int depth;
  const char *bad_key; /* set on a malformed value */
};

static int qdecode(struct qread *r, const struct orch_aws_member *m, json_t **out);

static size_t rpush(struct qread *r, const char *name) {
  size_t old = r->key.len;
  if (old && orch_buf_putc(&r->key, '.')) return old;
  if (orch_buf_puts(&r->key, name)) return old;
  return old;
}

static size_t rpush_index(struct qread *r, size_t i) {
  size_t old = r->key.len;
  if (orch_buf_printf(&r->key, ".%zu", i)) return old;
  return old;
}

static int qdecode_list(struct qread *r, const struct orch_aws_member *m, json_t **out) {
  const struct orch_aws_shape *s = m->shape;
  json_t *arr = json_array();
  if (!arr) return ORCH_ENOMEM;
  size_t base = r->key.len;
  if (!r->ec2 && !m->flattened) rpush(r, s->member.location_name ? s->member.location_name : "member");
  int rc = 0;
  for (size_t i = 1; !rc; i++) {
    size_t old = rpush_index(r, i);
    if (r->key.err) rc = ORCH_ENOMEM;
    else if (!orch_aws_params_has_prefix(r->p, orch_buf_cstr(&r->key))) {
      orch_buf_truncate(&r->key, old);
      break;
    }
    json_t *item = NULL;
    if (!rc) rc = qdecode(r, &s->member, &item);
    if (!rc && json_array_append_new(arr, item ? item : json_null())) rc = ORCH_ENOMEM;
    orch_buf_truncate(&r->key, old);
  }
  orch_buf_truncate(&r->key, base);
  if (rc) json_decref(arr);
  else *out = arr;
  return rc;
}

static int qdecode_map(struct qread *r, const struct orch_aws_member *m, json_t **out) {
  const struct orch_aws_shape *s = m->shape;
  json_t *obj = json_object();
  if (!obj) return ORCH_ENOMEM;
  size_t base = r->key.len;
  if (!m->flattened) rpush(r, "entry");
  const char *ksfx = s->key.location_name ? s->key.location_name : "key";
  const char *vsfx = s->value.location_name ? s->value.location_name : "value";
  int rc = 0;
  for (size_t i = 1; !rc; i++) {
    size_t entry = rpush_index(r, i);
    size_t old = rpush(r, ksfx);
    const char *k = r->key.err ? NULL : orch_aws_params_get(r->p, orch_buf_cstr(&r->key), NULL);
    orch_buf_truncate(&r->key, old);
    if (!k) {
      orch_buf_truncate(&r->key, entry);
      break;
    }
    rpush(r, vsfx);
    json_t *item = NULL;
    if (r->key.err) rc = ORCH_ENOMEM;
    else if (orch_aws_params_has_prefix(r->p, orch_buf_cstr(&r->key))) rc = qdecode(r, &s->value, &item);
    if (!rc && item && json_object_set_new(obj, k, item)) rc = ORCH_ENOMEM;
    orch_buf_truncate(&r->key, entry);
  }
  orch_buf_truncate(&r->key, base);
  if (rc) json_decref(obj);
  else *out = obj;
  return rc;
}

/* `*out` stays NULL when nothing under the current key is present. */
static int qdecode(struct qread *r, const struct orch_aws_member *m, json_t **out) {
  const struct orch_aws_shape *s = m->shape;
  if (r->key.err) return ORCH_ENOMEM;
  if (++r->depth > ORCH_AWS_MAX_DEPTH) {
    r->depth--;
    return ORCH_ETOOBIG;
  }
  int rc = 0;
  const char *key = orch_buf_cstr(&r->key);
  switch (s->type) {
    case ORCH_AWS_T_STRUCTURE: {
      json_t *obj = json_object();
      if (!obj) {
        rc = ORCH_ENOMEM;
        break;
      }
      char ec2buf[128];
      for (size_t i = 0; i < s->nmembers && !rc; i++) {
        const struct orch_aws_member *mm = &s->members[i];
        const char *name = r->ec2 ? orch_aws_walk_ec2_name(mm, ec2buf, sizeof ec2buf)
                                  : (mm->location_name ? mm->location_name : mm->name);
        size_t old = rpush(r, name);
        json_t *v = NULL;
        if (r->key.err) rc = ORCH_ENOMEM;
        else if (orch_aws_params_has_prefix(r->p, orch_buf_cstr(&r->key))) rc = qdecode(r, mm, &v);
        if (!rc && v && json_object_set_new(obj, mm->name, v)) rc = ORCH_ENOMEM;
        orch_buf_truncate(&r->key, old);
      }
      if (rc) json_decref(obj);
      else *out = obj;
      break;
    }
    case ORCH_AWS_T_LIST: {
      const char *exact = orch_aws_params_get(r->p, key, NULL);
      if (exact && !*exact) {
        *out = json_array(); /* "Name=" is how an empty list is sent */
        rc = *out ? 0 : ORCH_ENOMEM;
      } else {
        rc = qdecode_list(r, m, out);
      }
      break;
    }
    case ORCH_AWS_T_MAP:
      rc = qdecode_map(r, m, out);
      break;
    case ORCH_AWS_T_DOCUMENT:
      rc = ORCH_EUNSUPPORTED;
      break;
    default: {
      const char *v = orch_aws_params_get(r->p, key, NULL);
      if (!v) break;
      rc = orch_aws_scalar_from_text(m, v, out);
      if (rc && rc != ORCH_ENOMEM && !r->bad_key) r->bad_key = v;
      break;
    }
  }
  r->depth--;
  return rc;
}

int orch_aws_query_parse_request(const struct orch_aws_service *svc, const struct orch_http_request *req,
                                 const struct orch_aws_operation **op, json_t **input,
                                 struct orch_aws_error *aerr) {
  bool ec2 = orch_aws_service_protocol(svc) == ORCH_AWS_PROTO_EC2;
  const char *bad_value = ec2 ? "InvalidParameterValue" : "ValidationError";
  struct orch_aws_params p = {0};
  struct qread r = {.p = &p, .ec2 = ec2};
  orch_buf_init(&r.key, 0);
  int rc = 0;
  const char *q = req->query ? req->query : "";
  rc = orch_aws_params_parse(&p, q, strlen(q), true);
  if (!rc) rc = orch_aws_params_parse(&p, orch_buf_cstr(&req->body), req->body.len, true);
  if (rc == ORCH_ENOMEM) goto out;
  if (rc) {
    rc = orch_aws_proto_reject(aerr, 400, ec2 ? "InvalidParameterValue" : "MalformedQueryString",
                               "malformed form-urlencoded parameters");
    goto out;
  }
  orch_aws_params_sort(&p);
  const char *action = orch_aws_params_get(&p, "Action", NULL);
  if (!action || !*action) {
    rc = orch_aws_proto_reject(aerr, 400, "MissingAction", "The request must contain the parameter Action");
    goto out;
  }
  const struct orch_aws_operation *o = orch_aws_model_operation(svc, action);
  if (!o) {
    const char *ver = orch_aws_params_get(&p, "Version", NULL);
    rc = orch_aws_proto_reject(aerr, 400, "InvalidAction", "Could not find operation %s for version %s", action,
                               ver ? ver : orch_aws_service_api_version(svc));
    goto out;
  }
  *op = o;
  json_t *obj = NULL;
  if (o->input.shape) rc = qdecode(&r, &o->input, &obj);
  if (rc == ORCH_ENOMEM) goto out;
  if (rc) {
    rc = orch_aws_proto_reject(aerr, 400, bad_value, "Value '%s' for a parameter of %s is invalid",
                               r.bad_key ? r.bad_key : "", action);
    goto out;
  }
  *input = obj ? obj : json_object();
  if (!*input) rc = ORCH_ENOMEM;
out:
  orch_buf_free(&r.key);
  orch_aws_params_free(&p);
  return rc;
}
