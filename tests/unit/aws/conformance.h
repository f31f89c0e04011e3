/* conformance: runs botocore's protocol test cases (shared/testdata/aws-protocol-tests) through the real
 * builder and parser; shared by test_proto_conformance.c (rest-json, JSON, query, ec2) and
 * test_proto_restxml.c (rest-xml). Input cases compare method, path, query parameters, listed and forbidden
 * headers, and the body (JSON as JSON, form bodies as parameter lists, XML byte for byte); output cases the
 * result or the error. Skips live in tests/unit/aws/protocol-skips.txt. Header-only, static functions. */
#ifndef CONFORMANCE_H
#define CONFORMANCE_H

#include <criterion/criterion.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/orch_aws_model.h"
#include "aws/orch_aws_proto.h"
#include "core/orch_alloc.h"
#include "core/orch_json.h"
#include "core/orch_str.h"
#include "core/orch_time.h"

#define TOKEN_OF_THE_CASES "00000000-0000-4000-8000-000000000000"

/* ---- skip list ---- */

struct skip {
  char file[64];
  char id[160];
  bool seen;
};

static struct skip skips[256];
static size_t nskips;

static void load_skips(void) {
  const char *src = getenv("ORCH_SOURCE_DIR");
  char path[1024];
  snprintf(path, sizeof path, "%s/tests/unit/aws/protocol-skips.txt", src ? src : ".");
  FILE *f = fopen(path, "r");
  cr_assert_not_null(f, "cannot open %s", path);
  char line[1024];
  while (fgets(line, sizeof line, f)) {
    char *s = orch_str_trim_inplace(line);
    if (!*s || *s == '#') continue;
    cr_assert_lt(nskips, sizeof skips / sizeof skips[0]);
    struct skip *k = &skips[nskips];
    cr_assert_eq(sscanf(s, "%63s %159s", k->file, k->id), 2, "bad skip line: %s", s);
    nskips++;
  }
  fclose(f);
}

static struct skip *find_skip(const char *file, const char *id) {
  for (size_t i = 0; i < nskips; i++)
    if (!strcmp(skips[i].file, file) && !strcmp(skips[i].id, id)) return &skips[i];
  return NULL;
}

/* ---- shape-aware normalization over the case's own (raw) shapes ---- */

static const json_t *raw_shape(const json_t *shapes, const json_t *ref) {
  return json_object_get(shapes, json_string_value(json_object_get(ref, "shape")));
}

static const char *shape_type(const json_t *s) {
  if (json_is_true(json_object_get(s, "document"))) return "document";
  return json_string_value(json_object_get(s, "type"));
}

static json_t *b64(const char *s, size_t n) {
  static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  struct orch_buf b = ORCH_BUF_INIT(0);
  const unsigned char *p = (const unsigned char *)s;
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
    char q[4] = {a[v >> 18], a[(v >> 12) & 63], i + 1 < n ? a[(v >> 6) & 63] : '=', i + 2 < n ? a[v & 63] : '='};
    cr_assert_eq(orch_buf_append(&b, q, 4), 0);
  }
  json_t *j = json_string(orch_buf_cstr(&b));
  orch_buf_free(&b);
  return j;
}

static json_t *unb64(const char *s) {
  static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  struct orch_buf b = ORCH_BUF_INIT(0);
  unsigned acc = 0;
  int bits = 0;
  for (const char *p = s; *p && *p != '='; p++) {
    const char *x = strchr(a, *p);
    if (!x) continue;
    acc = acc << 6 | (unsigned)(x - a);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      cr_assert_eq(orch_buf_putc(&b, (char)((acc >> bits) & 0xff)), 0);
    }
  }
  json_t *j = json_stringn_nocheck(orch_buf_cstr(&b), b.len);
  orch_buf_free(&b);
  return j;
}

enum norm_mode { NORM_PARAMS, NORM_ACTUAL };

/* PARAMS: the case's raw blobs become base64 (our API's form). ACTUAL: our output back to the case's
 * form: timestamps to epoch seconds, blobs to raw bytes, members the model does not know dropped. */
static json_t *norm(const json_t *shapes, const json_t *shape, const json_t *v, enum norm_mode mode) {
  const char *t = shape_type(shape);
  if (!t || json_is_null(v)) return json_incref((json_t *)(uintptr_t)v);
  if (!strcmp(t, "structure")) {
    if (!json_is_object(v)) return json_incref((json_t *)(uintptr_t)v);
    json_t *out = json_object();
    const char *k;
    json_t *item;
    json_object_foreach((json_t *)(uintptr_t)v, k, item) {
      const json_t *ref = json_object_get(json_object_get(shape, "members"), k);
      if (!ref) {
        if (mode == NORM_PARAMS) json_object_set(out, k, item);
        continue;
      }
      json_object_set_new(out, k, norm(shapes, raw_shape(shapes, ref), item, mode));
    }
    return out;
  }
  if (!strcmp(t, "list") && json_is_array(v)) {
    json_t *out = json_array();
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item) json_array_append_new(
        out, norm(shapes, raw_shape(shapes, json_object_get(shape, "member")), item, mode));
    return out;
  }
  if (!strcmp(t, "map") && json_is_object(v)) {
    json_t *out = json_object();
    const char *k;
    json_t *item;
    json_object_foreach((json_t *)(uintptr_t)v, k, item) json_object_set_new(
        out, k, norm(shapes, raw_shape(shapes, json_object_get(shape, "value")), item, mode));
    return out;
  }
  if (!strcmp(t, "blob") && json_is_string(v))
    return mode == NORM_PARAMS ? b64(json_string_value(v), json_string_length(v)) : unb64(json_string_value(v));
  if (!strcmp(t, "timestamp") && mode == NORM_ACTUAL && json_is_string(v)) {
    int64_t ms;
    cr_assert_eq(orch_time_parse_any(json_string_value(v), &ms), 0);
    return ms % 1000 ? json_real((double)ms / 1000.0) : json_integer(ms / 1000);
  }
  return json_incref((json_t *)(uintptr_t)v);
}

/* JSON equality with numbers compared as numbers (1 == 1.0) and a tolerance for reals. */
static bool same(const json_t *a, const json_t *b) {
  if (json_is_number(a) && json_is_number(b)) {
    double x = json_number_value(a), y = json_number_value(b);
    return x == y || fabs(x - y) <= 1e-9 * fmax(fabs(x), fabs(y));
  }
  if (json_typeof(a) != json_typeof(b)) return false;
  if (json_is_object(a)) {
    if (json_object_size(a) != json_object_size(b)) return false;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)(uintptr_t)a, k, v) {
      const json_t *w = json_object_get(b, k);
      if (!w || !same(v, w)) return false;
    }
    return true;
  }
  if (json_is_array(a)) {
    if (json_array_size(a) != json_array_size(b)) return false;
    for (size_t i = 0; i < json_array_size(a); i++)
      if (!same(json_array_get(a, i), json_array_get(b, i))) return false;
    return true;
  }
  return json_equal((json_t *)(uintptr_t)a, (json_t *)(uintptr_t)b);
}

static bool is_uuid4(const char *s) {
  if (strlen(s) != 36 || s[14] != '4') return false;
  for (int i = 0; i < 36; i++) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (s[i] == '-')) return false;
    if (!dash && !strchr("0123456789abcdef", s[i])) return false;
  }
  return true;
}

/* Replace generated idempotency tokens with the fixed token the cases expect. */
static void mask_tokens(json_t *j) {
  if (json_is_object(j)) {
    const char *k;
    json_t *v;
    json_object_foreach(j, k, v) {
      if (json_is_string(v) && is_uuid4(json_string_value(v))) json_string_set(v, TOKEN_OF_THE_CASES);
      else mask_tokens(v);
    }
  } else if (json_is_array(j)) {
    size_t i;
    json_t *v;
    json_array_foreach(j, i, v) {
      if (json_is_string(v) && is_uuid4(json_string_value(v))) json_string_set(v, TOKEN_OF_THE_CASES);
      else mask_tokens(v);
    }
  }
}

/* "a=1&b=2" as a JSON array of [key, value] pairs sorted by key (stable), tokens masked. */
static json_t *param_list(const char *s, size_t n) {
  json_t *pairs = json_array();
  size_t i = 0;
  while (i < n) {
    size_t end = i;
    while (end < n && s[end] != '&') end++;
    if (end > i) {
      size_t eq = i;
      while (eq < end && s[eq] != '=') eq++;
      struct orch_buf k = ORCH_BUF_INIT(0), v = ORCH_BUF_INIT(0);
      cr_assert_eq(orch_str_uri_decode(&k, s + i, eq - i, true), 0);
      if (eq < end) cr_assert_eq(orch_str_uri_decode(&v, s + eq + 1, end - eq - 1, true), 0);
      cr_assert_eq(orch_buf_append(&k, "", 0), 0); /* terminate even when empty */
      cr_assert_eq(orch_buf_append(&v, "", 0), 0);
      const char *val = is_uuid4(orch_buf_cstr(&v)) ? TOKEN_OF_THE_CASES : orch_buf_cstr(&v);
      json_array_append_new(pairs, json_pack("[ss]", orch_buf_cstr(&k), val));
      orch_buf_free(&k);
      orch_buf_free(&v);
    }
    i = end + 1;
  }
  /* insertion sort: stable, and the lists are short */
  for (size_t a = 1; a < json_array_size(pairs); a++) {
    for (size_t b = a; b > 0; b--) {
      json_t *x = json_array_get(pairs, b - 1), *y = json_array_get(pairs, b);
      if (strcmp(json_string_value(json_array_get(x, 0)), json_string_value(json_array_get(y, 0))) <= 0) break;
      json_incref(x);
      json_array_set(pairs, b - 1, y);
      json_array_set_new(pairs, b, x);
    }
  }
  return pairs;
}

static char *dump(const json_t *j) { return json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS); }

/* ---- running one case ---- */

struct result {
  bool pass;
  char why[512];
};

static void failed(struct result *r, const char *fmt, ...) ORCH_PRINTF(2, 3);
static void failed(struct result *r, const char *fmt, ...) {
  if (!r->pass) return;
  r->pass = false;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->why, sizeof r->why, fmt, ap);
  va_end(ap);
}

static json_t *orch_aws_unconst_json(const json_t *j) { return (json_t *)(uintptr_t)j; }

static struct orch_aws_service *case_service(const json_t *suite, const json_t *c, struct result *r) {
  json_t *model = json_pack("{sOso s{sO}}", "metadata", json_object_get(suite, "metadata"), "shapes",
                            json_deep_copy(json_object_get(suite, "shapes")), "operations",
                            json_string_value(json_object_get(json_object_get(c, "given"), "name")),
                            json_object_get(c, "given"));
  /* Older cases name the payload on the operation's input/output reference; models name it on the shape. */
  static const char *const io[] = {"input", "output"};
  for (size_t i = 0; model && i < 2; i++) {
    const json_t *ref = json_object_get(json_object_get(c, "given"), io[i]);
    const json_t *payload = json_object_get(ref, "payload");
    json_t *shape = json_object_get(json_object_get(model, "shapes"), json_string_value(json_object_get(ref, "shape")));
    if (payload && shape && !json_object_get(shape, "payload")) json_object_set(shape, "payload", orch_aws_unconst_json(payload));
  }
  struct orch_aws_service *svc = NULL;
  struct orch_error err = {0};
  if (orch_aws_model_load(model, &svc, &err)) failed(r, "model does not load: %s: %s", err.context, err.message);
  json_decref(model);
  return svc;
}

static void run_input(const json_t *suite, const json_t *c, struct result *r) {
  struct orch_aws_service *svc = case_service(suite, c, r);
  if (!svc) return;
  const json_t *given = json_object_get(c, "given");
  const struct orch_aws_operation *op = orch_aws_model_operation(svc, json_string_value(json_object_get(given, "name")));
  const json_t *shapes = json_object_get(suite, "shapes");
  const json_t *in_shape = raw_shape(shapes, json_object_get(given, "input"));
  json_t *params = in_shape ? norm(shapes, in_shape, json_object_get(c, "params"), NORM_PARAMS)
                            : json_incref(json_object_get(c, "params"));
  struct orch_http_request req = {0};
  struct orch_error err = {0};
  const json_t *ser = json_object_get(c, "serialized");
  const char *proto = json_string_value(json_object_get(json_object_get(suite, "metadata"), "protocol"));
  bool json_body = !strcmp(proto, "json") || !strcmp(proto, "rest-json");
  if (orch_aws_proto_build_request(op, params, &req, &err)) {
    failed(r, "build_request: %s: %s", err.context, err.message);
    goto out;
  }
  const char *host = json_string_value(json_object_get(ser, "host"));
  if (host) {
    /* The cases use the endpoint https://example.com; the client puts the prefix before its host. */
    char prefix[256], want[512];
    if (orch_aws_proto_host_prefix(op, params, prefix, sizeof prefix, &err)) {
      failed(r, "host_prefix: %s", err.message);
    } else {
      snprintf(want, sizeof want, "%sexample.com", prefix);
      if (strcmp(want, host)) failed(r, "host %s, expected %s", want, host);
    }
  }
  const char *method = json_string_value(json_object_get(ser, "method"));
  if (method && strcmp(method, req.method)) failed(r, "method %s, expected %s", req.method, method);
  const char *uri = json_string_value(json_object_get(ser, "uri"));
  if (uri) {
    const char *q = strchr(uri, '?');
    size_t plen = q ? (size_t)(q - uri) : strlen(uri);
    if (strlen(req.path) != plen || strncmp(req.path, uri, plen))
      failed(r, "path %s, expected %.*s", req.path, (int)plen, uri);
    json_t *want = param_list(q ? q + 1 : "", q ? strlen(q + 1) : 0), *got = param_list(req.query, strlen(req.query));
    if (!same(want, got)) {
      char *a = dump(got), *b = dump(want);
      failed(r, "query %s, expected %s", a, b);
      free(a);
      free(b);
    }
    json_decref(want);
    json_decref(got);
  }
  const char *k;
  json_t *v;
  json_object_foreach(json_object_get(ser, "headers"), k, v) {
    const char *have = orch_http_headers_get(&req.headers, k);
    if (!have) failed(r, "header %s missing", k);
    else if (strcmp(have, json_string_value(v)) && !(is_uuid4(have) && !strcmp(json_string_value(v), TOKEN_OF_THE_CASES)))
      failed(r, "header %s: '%s', expected '%s'", k, have, json_string_value(v));
  }
  size_t i;
  json_array_foreach(json_object_get(ser, "forbidHeaders"), i, v) if (orch_http_headers_get(&req.headers, json_string_value(v)))
      failed(r, "header %s must not be sent", json_string_value(v));
  json_array_foreach(json_object_get(ser, "requireHeaders"), i, v) {
    /* Content-Length is the transport's to set. */
    if (strcasecmp(json_string_value(v), "Content-Length") && !orch_http_headers_get(&req.headers, json_string_value(v)))
      failed(r, "header %s required", json_string_value(v));
  }
  const json_t *jbody = json_object_get(ser, "body");
  if (jbody) {
    const char *want = json_string_value(jbody);
    const char *got = orch_buf_cstr(&req.body);
    if (!*want || !json_body || (!strcmp(proto, "rest-json") && *want != '{' && *want != '[')) {
      if (json_body || !*want || !strcmp(proto, "rest-xml")) { /* XML bodies byte for byte */
        if (strlen(want) != req.body.len || memcmp(want, got, req.body.len))
          failed(r, "body '%s', expected '%s'", got, want);
      } else {
        json_t *a = param_list(got, req.body.len), *b = param_list(want, strlen(want));
        if (!same(a, b)) {
          char *x = dump(a), *y = dump(b);
          failed(r, "body params %s, expected %s", x, y);
          free(x);
          free(y);
        }
        json_decref(a);
        json_decref(b);
      }
    } else {
      json_t *a = json_loads(got, JSON_DECODE_ANY, NULL), *b = json_loads(want, JSON_DECODE_ANY, NULL);
      if (a) mask_tokens(a);
      if (!a || !b || !same(a, b)) failed(r, "body %s, expected %s", got, want);
      json_decref(a);
      json_decref(b);
    }
  }
out:
  orch_http_request_free(&req);
  json_decref(params);
  orch_aws_model_free(svc);
}

static void run_output(const json_t *suite, const json_t *c, struct result *r) {
  struct orch_aws_service *svc = case_service(suite, c, r);
  if (!svc) return;
  const json_t *given = json_object_get(c, "given");
  const struct orch_aws_operation *op = orch_aws_model_operation(svc, json_string_value(json_object_get(given, "name")));
  const json_t *shapes = json_object_get(suite, "shapes");
  const json_t *jr = json_object_get(c, "response");
  struct orch_http_response resp = {.status = (int)json_integer_value(json_object_get(jr, "status_code"))};
  const char *k;
  json_t *v;
  json_object_foreach(json_object_get(jr, "headers"), k, v)
      cr_assert_eq(orch_http_headers_add(&resp.headers, k, json_string_value(v)), 0);
  const char *body = json_string_value(json_object_get(jr, "body"));
  if (body) cr_assert_eq(orch_buf_append(&resp.body, body, strlen(body)), 0);
  json_t *out = NULL, *norm_out = NULL, *details = NULL, *norm_details = NULL;
  struct orch_aws_error aerr;
  struct orch_error err = {0};
  int rc = orch_aws_proto_parse_response(op, &resp, &out, &aerr, &err);
  const char *code = json_string_value(json_object_get(c, "errorCode"));
  if (code) {
    if (rc != ORCH_EAWS) {
      failed(r, "expected error %s, got rc %d (%s)", code, rc, err.message);
      goto out;
    }
    if (strcmp(aerr.code, code)) failed(r, "error code '%s', expected '%s'", aerr.code, code);
    const char *msg = json_string_value(json_object_get(c, "errorMessage"));
    if (msg && strcmp(aerr.message, msg)) failed(r, "error message '%s', expected '%s'", aerr.message, msg);
    const json_t *want = json_object_get(c, "error");
    if (json_is_object(want)) {
      if (orch_aws_proto_parse_error_details(op, &resp, &details, &err)) {
        failed(r, "parse_error_details: %s", err.message);
        goto out;
      }
      norm_details = norm(shapes, json_object_get(shapes, code), details, NORM_ACTUAL);
      if (!same(norm_details, want)) {
        char *a = dump(norm_details), *b = dump(want);
        failed(r, "error members %s, expected %s", a, b);
        free(a);
        free(b);
      }
    }
    goto out;
  }
  if (rc) {
    failed(r, "parse_response rc %d: %s: %s", rc, err.context, err.message);
    goto out;
  }
  const json_t *out_shape = raw_shape(shapes, json_object_get(given, "output"));
  norm_out = out_shape ? norm(shapes, out_shape, out, NORM_ACTUAL) : json_incref(out);
  const json_t *want = json_object_get(c, "result");
  if (!json_is_object(want)) want = NULL;
  json_t *empty = json_object();
  if (!same(norm_out, want ? want : empty)) {
    char *a = dump(norm_out), *b = dump(want ? want : empty);
    failed(r, "result %s, expected %s", a, b);
    free(a);
    free(b);
  }
  json_decref(empty);
out:
  json_decref(out);
  json_decref(norm_out);
  json_decref(details);
  json_decref(norm_details);
  orch_http_response_free(&resp);
  orch_aws_model_free(svc);
}

static void run_file(const char *dir, const char *name) {
  const char *data = getenv("ORCH_TESTDATA_DIR");
  char path[1024], file[64];
  snprintf(path, sizeof path, "%s/aws-protocol-tests/%s/%s.json", data ? data : "", dir, name);
  snprintf(file, sizeof file, "%s/%s.json", dir, name);
  FILE *probe = data ? fopen(path, "r") : NULL;
  if (!probe) cr_skip_test("protocol test cases not found at %s (set ORCH_TESTDATA_DIR to shared/testdata)", path);
  fclose(probe);
  load_skips();
  json_error_t jerr;
  json_t *suites = json_load_file(path, 0, &jerr);
  cr_assert_not_null(suites, "%s: %s", path, jerr.text);
  size_t passed = 0, skipped = 0, total = 0, unexpected = 0;
  size_t si, ci;
  json_t *suite, *c;
  json_array_foreach(suites, si, suite) {
    json_array_foreach(json_object_get(suite, "cases"), ci, c) {
      const char *id = json_string_value(json_object_get(c, "id"));
      struct result r = {.pass = true};
      if (!strcmp(dir, "input")) run_input(suite, c, &r);
      else run_output(suite, c, &r);
      struct skip *sk = find_skip(file, id);
      total++;
      if (sk) {
        sk->seen = true;
        skipped++;
        if (r.pass) {
          unexpected++;
          cr_log_error("%s %s: listed in protocol-skips.txt but passes now: remove it", file, id);
        }
      } else if (r.pass) {
        passed++;
      } else {
        unexpected++;
        cr_log_error("%s %s: %s", file, id, r.why);
      }
    }
  }
  for (size_t i = 0; i < nskips; i++)
    if (!strcmp(skips[i].file, file) && !skips[i].seen) {
      unexpected++;
      cr_log_error("%s %s: listed in protocol-skips.txt but there is no such case", file, skips[i].id);
    }
  fprintf(stderr, "conformance %-22s %3zu cases: %3zu passed, %2zu skipped, %zu unexpected\n", file, total, passed,
          skipped, unexpected);
  json_decref(suites);
  cr_expect_eq(unexpected, 0, "%s: %zu unexpected results (see above)", file, unexpected);
}

#endif
