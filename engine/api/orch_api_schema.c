/* orch_api_schema: loading the embedded schemas, compiling their patterns once, and the validator.
 * Uses jansson, regex.h, orch_json, orch_str, orch_alloc, orch_time. */
#include "api/orch_api_schema.h"

#include <regex.h>
#include <stdio.h>
#include <string.h>

#include "core/orch_alloc.h"
#include "core/orch_json.h"
#include "core/orch_str.h"
#include "core/orch_time.h"

extern const unsigned char orch_api_schemas_json[];
extern const size_t orch_api_schemas_json_len;

#define PATTERNS_MAX 64
#define REF_PREFIX "#/components/schemas/"

struct pattern {
  char *text;
  regex_t re;
};

struct orch_api_schemas {
  json_t *components;
  json_t **extra;
  size_t nextra;
  struct pattern patterns[PATTERNS_MAX];
  size_t npatterns;
};

/* ---- Loading --------------------------------------------------------------------------------- */

static int add_pattern(struct orch_api_schemas *s, const char *text, struct orch_error *err) {
  for (size_t i = 0; i < s->npatterns; i++)
    if (strcmp(s->patterns[i].text, text) == 0) return 0;
  if (s->npatterns == PATTERNS_MAX) return orch_error_set(err, ORCH_EINTERNAL, "more than %d schema patterns", PATTERNS_MAX);
  struct pattern *p = &s->patterns[s->npatterns];
  if (!(p->text = orch_strdup(text))) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  if (regcomp(&p->re, text, REG_EXTENDED | REG_NOSUB) != 0) {
    orch_free(p->text);
    return orch_error_set(err, ORCH_EINTERNAL, "schema pattern '%s' does not compile", text);
  }
  s->npatterns++;
  return 0;
}

/* Compile every "pattern" found anywhere in `j`. */
static int walk_patterns(struct orch_api_schemas *s, const json_t *j, struct orch_error *err) {
  const char *key;
  const json_t *v;
  size_t i;
  int rc = 0;
  if (json_is_object(j)) {
    json_object_foreach((json_t *)(uintptr_t)j, key, v) {
      if (strcmp(key, "pattern") == 0 && json_is_string(v)) rc = add_pattern(s, json_string_value(v), err);
      else rc = walk_patterns(s, v, err);
      if (rc) return rc;
    }
  } else if (json_is_array(j)) {
    json_array_foreach(j, i, v) if ((rc = walk_patterns(s, v, err))) return rc;
  }
  return 0;
}

int orch_api_schemas_load(const char *const *extra, size_t nextra, struct orch_api_schemas **out,
                          struct orch_error *err) {
  struct orch_api_schemas *s = orch_calloc(1, sizeof *s);
  int rc = 0;
  if (!s || (nextra && !(s->extra = orch_calloc(nextra, sizeof *s->extra)))) {
    rc = orch_error_set(err, ORCH_ENOMEM, "out of memory loading the API schemas");
    goto fail;
  }
  s->components = orch_json_parse((const char *)orch_api_schemas_json, orch_api_schemas_json_len, 0, err);
  if (!s->components) {
    rc = err && err->code == ORCH_ENOMEM ? ORCH_ENOMEM : ORCH_EINTERNAL;
    orch_error_prefix(err, "engine/api/schemas.json");
    goto fail;
  }
  if ((rc = walk_patterns(s, s->components, err))) goto fail;
  for (s->nextra = 0; s->nextra < nextra; s->nextra++) {
    json_t *j = orch_json_parse(extra[s->nextra], strlen(extra[s->nextra]), 0, err);
    if (!j) {
      rc = ORCH_EINTERNAL;
      orch_error_prefix(err, "schema '%s'", extra[s->nextra]);
      goto fail;
    }
    s->extra[s->nextra] = j;
    if ((rc = walk_patterns(s, j, err))) {
      s->nextra++;
      goto fail;
    }
  }
  *out = s;
  return 0;
fail:
  orch_api_schemas_free(s);
  return rc;
}

void orch_api_schemas_free(struct orch_api_schemas *s) {
  if (!s) return;
  json_decref(s->components);
  for (size_t i = 0; i < s->nextra; i++) json_decref(s->extra[i]);
  orch_free(s->extra);
  for (size_t i = 0; i < s->npatterns; i++) {
    regfree(&s->patterns[i].re);
    orch_free(s->patterns[i].text);
  }
  orch_free(s);
}

const json_t *orch_api_schemas_components(const struct orch_api_schemas *s) { return s->components; }

const json_t *orch_api_schemas_extra(const struct orch_api_schemas *s, size_t i) {
  return i < s->nextra ? s->extra[i] : NULL;
}

/* ---- Checking -------------------------------------------------------------------------------- */

struct check {
  const struct orch_api_schemas *s;
  json_t *problems; /* NULL: count only */
  size_t count;
  int depth;
};

static void problem(struct check *c, const char *path, const char *fmt, ...) ORCH_PRINTF(3, 4);
static void problem(struct check *c, const char *path, const char *fmt, ...) {
  c->count++;
  if (!c->problems || json_array_size(c->problems) >= ORCH_API_SCHEMA_ERRORS_MAX) return;
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  json_array_append_new(c->problems, json_pack("{s:s, s:s}", "path", path, "message", msg));
}

static const char *type_of(const json_t *v) {
  switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "integer";
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    default: return "null";
  }
}

static bool type_is(const json_t *v, const char *t) {
  const char *have = type_of(v);
  if (strcmp(t, have) == 0) return true;
  return strcmp(t, "number") == 0 && strcmp(have, "integer") == 0;
}

static bool type_ok(const json_t *v, const json_t *type, char *names, size_t n) {
  size_t i;
  const json_t *t;
  if (json_is_string(type)) {
    snprintf(names, n, "%s", json_string_value(type));
    return type_is(v, json_string_value(type));
  }
  names[0] = '\0';
  json_array_foreach(type, i, t) {
    size_t used = strlen(names);
    snprintf(names + used, n - used, "%s%s", i ? " or " : "", json_string_value(t));
    if (json_is_string(t) && type_is(v, json_string_value(t))) return true;
  }
  return false;
}

/* Code points in a UTF-8 string (jansson only holds valid UTF-8). */
static size_t utf8_len(const char *s) {
  size_t n = 0;
  for (; *s; s++)
    if (((unsigned char)*s & 0xc0) != 0x80) n++;
  return n;
}

static const regex_t *find_pattern(const struct orch_api_schemas *s, const char *text) {
  for (size_t i = 0; i < s->npatterns; i++)
    if (strcmp(s->patterns[i].text, text) == 0) return &s->patterns[i].re;
  return NULL;
}

static void check_value(struct check *c, const json_t *schema, const json_t *v, const char *path);

static void check_string(struct check *c, const json_t *schema, const json_t *v, const char *path) {
  const char *str = json_string_value(v);
  size_t len = utf8_len(str);
  json_int_t min = json_integer_value(json_object_get(schema, "minLength"));
  const json_t *max = json_object_get(schema, "maxLength");
  if (min && (json_int_t)len < min) problem(c, path, len ? "is shorter than %lld characters" : "must not be empty",
                                            (long long)min);
  if (max && (json_int_t)len > json_integer_value(max))
    problem(c, path, "is longer than %lld characters", (long long)json_integer_value(max));
  const char *pat = json_string_value(json_object_get(schema, "pattern"));
  const regex_t *re = pat ? find_pattern(c->s, pat) : NULL;
  if (re && (strlen(str) != json_string_length(v) || regexec(re, str, 0, NULL, 0) != 0))
    problem(c, path, "'%.60s' does not match %s", str, pat);
  const char *format = json_string_value(json_object_get(schema, "format"));
  int64_t ms;
  if (format && strcmp(format, "date-time") == 0 && orch_time_parse_iso8601(str, &ms))
    problem(c, path, "'%.60s' is not an ISO-8601 date and time", str);
}

static void check_number(struct check *c, const json_t *schema, const json_t *v, const char *path) {
  double x = json_number_value(v);
  const json_t *min = json_object_get(schema, "minimum"), *max = json_object_get(schema, "maximum");
  if (min && x < json_number_value(min)) problem(c, path, "must be at least %g", json_number_value(min));
  if (max && x > json_number_value(max)) problem(c, path, "must be at most %g", json_number_value(max));
}

static void check_array(struct check *c, const json_t *schema, const json_t *v, const char *path) {
  size_t n = json_array_size(v), i;
  const json_t *min = json_object_get(schema, "minItems"), *max = json_object_get(schema, "maxItems");
  if (min && (json_int_t)n < json_integer_value(min))
    problem(c, path, "needs at least %lld items", (long long)json_integer_value(min));
  if (max && (json_int_t)n > json_integer_value(max))
    problem(c, path, "has more than %lld items", (long long)json_integer_value(max));
  const json_t *items = json_object_get(schema, "items"), *item;
  char sub[ORCH_JSON_PATH_MAX];
  json_array_foreach(v, i, item) {
    orch_json_path_index(sub, path, i);
    if (items) check_value(c, items, item, sub);
    if (json_is_true(json_object_get(schema, "uniqueItems")))
      for (size_t k = 0; k < i; k++)
        if (json_equal(item, json_array_get(v, k))) {
          problem(c, sub, "repeats item %zu", k);
          break;
        }
  }
}

/* The known property names, for "did you mean". */
static void known_names(const json_t *props, const char **names, size_t max) {
  size_t n = 0;
  const char *key;
  const json_t *ignored;
  json_object_foreach((json_t *)(uintptr_t)props, key, ignored) {
    if (n + 1 >= max) break;
    names[n++] = key;
  }
  names[n] = NULL;
}

static void check_object(struct check *c, const json_t *schema, const json_t *v, const char *path) {
  const json_t *props = json_object_get(schema, "properties"), *req = json_object_get(schema, "required");
  const json_t *addl = json_object_get(schema, "additionalProperties");
  const json_t *minp = json_object_get(schema, "minProperties"), *maxp = json_object_get(schema, "maxProperties");
  size_t n = json_object_size(v), i;
  const json_t *r, *val;
  const char *key;
  char sub[ORCH_JSON_PATH_MAX];
  json_array_foreach(req, i, r) {
    if (!json_object_get(v, json_string_value(r))) {
      orch_json_path_key(sub, path, json_string_value(r));
      problem(c, sub, "is required");
    }
  }
  json_object_foreach((json_t *)(uintptr_t)v, key, val) {
    orch_json_path_key(sub, path, key);
    const json_t *ps = json_object_get(props, key);
    if (ps) {
      check_value(c, ps, val, sub);
    } else if (json_is_false(addl)) {
      const char *names[64];
      known_names(props, names, 64);
      const char *near = orch_str_nearest(key, names);
      if (near) problem(c, sub, "is not a known field; did you mean '%s'?", near);
      else problem(c, sub, "is not a known field");
    } else if (json_is_object(addl)) {
      check_value(c, addl, val, sub);
    }
  }
  if (minp && (json_int_t)n < json_integer_value(minp))
    problem(c, path, "needs at least %lld field%s", (long long)json_integer_value(minp),
            json_integer_value(minp) == 1 ? "" : "s");
  if (maxp && (json_int_t)n > json_integer_value(maxp))
    problem(c, path, "takes at most %lld field%s", (long long)json_integer_value(maxp),
            json_integer_value(maxp) == 1 ? "" : "s");
}

static void check_value(struct check *c, const json_t *schema, const json_t *v, const char *path) {
  if (!json_is_object(schema) || c->depth > 64) return;
  c->depth++;
  const char *ref = json_string_value(json_object_get(schema, "$ref"));
  if (ref && orch_str_starts_with(ref, REF_PREFIX))
    check_value(c, json_object_get(c->s->components, ref + strlen(REF_PREFIX)), v, path);
  const json_t *type = json_object_get(schema, "type");
  char names[64];
  if (type && !type_ok(v, type, names, sizeof names)) {
    problem(c, path, "must be %s %s, not %s", strchr("aeiou", names[0]) ? "an" : "a", names, type_of(v));
    c->depth--;
    return;
  }
  const json_t *en = json_object_get(schema, "enum"), *e;
  size_t i;
  bool found = !en;
  json_array_foreach(en, i, e) found = found || json_equal(e, v);
  if (!found) {
    char list[256] = "";
    json_array_foreach(en, i, e) {
      size_t used = strlen(list);
      if (json_is_string(e)) snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", json_string_value(e));
    }
    problem(c, path, json_is_string(v) ? "'%.60s' is not one of %s" : "%.0sis not one of %s",
            json_is_string(v) ? json_string_value(v) : "", list);
  }
  if (json_is_string(v)) check_string(c, schema, v, path);
  else if (json_is_number(v)) check_number(c, schema, v, path);
  else if (json_is_array(v)) check_array(c, schema, v, path);
  else if (json_is_object(v)) check_object(c, schema, v, path);
  c->depth--;
}

size_t orch_api_schema_check(const struct orch_api_schemas *s, const char *name, const json_t *schema,
                             const json_t *value, const char *path, json_t **problems) {
  struct check c = {.s = s, .problems = problems ? json_array() : NULL};
  const json_t *root = name ? json_object_get(s->components, name) : schema;
  check_value(&c, root, value, path);
  if (problems) {
    if (c.count) *problems = c.problems;
    else json_decref(c.problems), *problems = NULL;
  }
  return c.count;
}

json_t *orch_api_schema_coerce(const json_t *schema, const char *text) {
  const char *type = json_string_value(json_object_get(schema, "type"));
  long long v;
  if (type && strcmp(type, "integer") == 0)
    return orch_str_to_ll(text, INT64_MIN / 2, INT64_MAX / 2, &v) ? NULL : json_integer((json_int_t)v);
  if (type && strcmp(type, "boolean") == 0) {
    if (strcmp(text, "true") == 0) return json_true();
    if (strcmp(text, "false") == 0) return json_false();
    return NULL;
  }
  return json_string(text); /* NULL for text that is not UTF-8 */
}
