/* orch_json: path-precise validation over jansson and dumping into orch_buf. Uses jansson, orch_alloc,
 * orch_str. */
#include "core/orch_json.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/orch_alloc.h"
#include "core/orch_str.h"

/* jansson reports some failed allocations as syntax errors ("string or '}' expected"), so the
 * allocator remembers, per thread, that one failed during the current parse. */
static _Thread_local bool json_alloc_failed;

static void *json_alloc(size_t n) {
  void *p = orch_malloc(n);
  if (!p) json_alloc_failed = true;
  return p;
}

void orch_json_init(void) { json_set_alloc_funcs(json_alloc, orch_free); }

const char *orch_json_type_name(const json_t *j) {
  if (!j) return "nothing";
  switch (json_typeof(j)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER:
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    case JSON_NULL: return "null";
  }
  return "unknown";
}

static const char *type_word(json_type t) {
  switch (t) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "integer";
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    case JSON_NULL: return "null";
  }
  return "unknown";
}

void orch_json_path_key(char out[ORCH_JSON_PATH_MAX], const char *base, const char *key) {
  if (base && *base)
    snprintf(out, ORCH_JSON_PATH_MAX, "%s.%s", base, key);
  else
    snprintf(out, ORCH_JSON_PATH_MAX, "%s", key);
}

void orch_json_path_index(char out[ORCH_JSON_PATH_MAX], const char *base, size_t index) {
  snprintf(out, ORCH_JSON_PATH_MAX, "%s[%zu]", base ? base : "", index);
}

/* Counted outside strings, so jansson never recurses past our limit. */
size_t orch_json_depth(const char *p, size_t len, size_t limit) {
  size_t depth = 0, max = 0;
  bool in_str = false;
  for (size_t i = 0; i < len; i++) {
    char c = p[i];
    if (in_str) {
      if (c == '\\') i++;
      else if (c == '"') in_str = false;
      continue;
    }
    if (c == '"') in_str = true;
    else if (c == '{' || c == '[') {
      if (++depth > max) max = depth;
      if (max > limit) return max;
    } else if (c == '}' || c == ']') {
      if (depth) depth--;
    }
  }
  return max;
}

json_t *orch_json_parse(const char *data, size_t len, size_t max_depth, struct orch_error *err) {
  if (!max_depth) max_depth = ORCH_JSON_DEFAULT_MAX_DEPTH;
  if (orch_json_depth(data, len, max_depth) > max_depth) {
    orch_error_set(err, ORCH_ETOOBIG, "JSON nested deeper than %zu levels", max_depth);
    return NULL;
  }
  json_error_t jerr;
  json_alloc_failed = false;
  json_t *j = json_loadb(data, len, JSON_DECODE_ANY, &jerr);
  if (!j) {
    if (json_alloc_failed || json_error_code(&jerr) == json_error_out_of_memory)
      orch_error_set(err, ORCH_ENOMEM, "out of memory parsing JSON");
    else
      orch_error_set(err, ORCH_EPARSE, "line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
  }
  return j;
}

int orch_json_expect(const json_t *j, const char *path, json_type type, struct orch_error *err) {
  bool ok = j && (json_typeof(j) == type || (type == JSON_TRUE && json_is_boolean(j)) ||
                  (type == JSON_REAL && json_is_number(j)));
  if (ok) return 0;
  return orch_error_setc(err, ORCH_ETYPE, path && *path ? path : "(root)", "expected %s, got %s",
                         type_word(type), orch_json_type_name(j));
}

/* Shared by the typed getters: find `key`, report absence and wrong type. Returns 1 when found. */
static int field_lookup(const json_t *obj, const char *path, const char *key, bool required,
                        json_type type, json_t **out, struct orch_error *err) {
  char fpath[ORCH_JSON_PATH_MAX];
  orch_json_path_key(fpath, path, key);
  int rc = orch_json_expect(obj, path, JSON_OBJECT, err);
  if (rc) return rc;
  json_t *v = json_object_get(obj, key);
  if (!v) {
    if (required) return orch_error_setc(err, ORCH_EVALIDATION, fpath, "required field is missing");
    return 0;
  }
  rc = orch_json_expect(v, fpath, type, err);
  if (rc) return rc;
  *out = v;
  return 1;
}

int orch_json_get_str(const json_t *obj, const char *path, const char *key, bool required,
                      const char **out, struct orch_error *err) {
  json_t *v = NULL;
  int rc = field_lookup(obj, path, key, required, JSON_STRING, &v, err);
  if (rc == 1) *out = json_string_value(v);
  return rc < 0 ? rc : 0;
}

int orch_json_get_int(const json_t *obj, const char *path, const char *key, bool required,
                      long long min, long long max, long long *out, struct orch_error *err) {
  json_t *v = NULL;
  int rc = field_lookup(obj, path, key, required, JSON_INTEGER, &v, err);
  if (rc != 1) return rc;
  long long n = json_integer_value(v);
  if (n < min || n > max) {
    char fpath[ORCH_JSON_PATH_MAX];
    orch_json_path_key(fpath, path, key);
    return orch_error_setc(err, ORCH_ERANGE, fpath, "%lld is outside [%lld, %lld]", n, min, max);
  }
  *out = n;
  return 0;
}

int orch_json_get_bool(const json_t *obj, const char *path, const char *key, bool required, bool *out,
                       struct orch_error *err) {
  json_t *v = NULL;
  int rc = field_lookup(obj, path, key, required, JSON_TRUE, &v, err);
  if (rc == 1) *out = json_is_true(v);
  return rc < 0 ? rc : 0;
}

int orch_json_get_array(const json_t *obj, const char *path, const char *key, bool required,
                        json_t **out, struct orch_error *err) {
  int rc = field_lookup(obj, path, key, required, JSON_ARRAY, out, err);
  return rc < 0 ? rc : 0;
}

int orch_json_get_object(const json_t *obj, const char *path, const char *key, bool required,
                         json_t **out, struct orch_error *err) {
  int rc = field_lookup(obj, path, key, required, JSON_OBJECT, out, err);
  return rc < 0 ? rc : 0;
}

int orch_json_check_keys(const json_t *obj, const char *path, const char *const *allowed,
                         struct orch_error *err) {
  int rc = orch_json_expect(obj, path, JSON_OBJECT, err);
  if (rc) return rc;
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)(uintptr_t)obj, key, v) {
    bool known = false;
    for (size_t i = 0; allowed[i] && !known; i++) known = strcmp(allowed[i], key) == 0;
    if (known) continue;
    char kpath[ORCH_JSON_PATH_MAX];
    orch_json_path_key(kpath, path, key);
    const char *near = orch_str_nearest(key, allowed);
    if (near) return orch_error_setc(err, ORCH_EUNKNOWNKEY, kpath, "unknown key; did you mean '%s'?", near);
    return orch_error_setc(err, ORCH_EUNKNOWNKEY, kpath, "unknown key");
  }
  return 0;
}

static int dump_cb(const char *buffer, size_t size, void *data) {
  return orch_buf_append(data, buffer, size) ? -1 : 0;
}

int orch_json_dump(struct orch_buf *out, const json_t *j, size_t flags) {
  if (json_dump_callback(j, dump_cb, out, flags | JSON_ENCODE_ANY) != 0)
    return out->err ? out->err : ORCH_ENOMEM;
  return 0;
}
