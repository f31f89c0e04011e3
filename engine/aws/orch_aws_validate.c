/* orch_aws_validate: checks a value against a shape before it is sent (client) or after it was decoded
 * (simulator): unknown members with the nearest valid name, missing required members, types, enum
 * values, length and range constraints, unions with one member set; errors name the exact path
 * ("sourceServers[3].sourceServerID"). Uses orch_aws_model_shape, orch_aws_proto_walk, orch_json,
 * orch_str. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "aws/orch_aws_proto_int.h"
#include "core/orch_json.h"
#include "core/orch_str.h"

struct vwalk {
  enum orch_aws_validate_mode mode;
  int depth;
  char path[ORCH_JSON_PATH_MAX];
  struct orch_error *err;
};

static int fail(struct vwalk *w, const char *fmt, ...) ORCH_PRINTF(2, 3);
static int fail(struct vwalk *w, const char *fmt, ...) {
  char msg[ORCH_ERROR_MESSAGE_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return orch_error_setc(w->err, ORCH_EVALIDATION, w->path[0] ? w->path : "(input)", "%s", msg);
}

/* Extend the path in place (orch_json_path_* must not read and write the same buffer). */
static void path_key(struct vwalk *w, const char *key) {
  char tmp[ORCH_JSON_PATH_MAX];
  memcpy(tmp, w->path, sizeof tmp);
  orch_json_path_key(w->path, tmp, key);
}

static void path_index(struct vwalk *w, size_t i) {
  char tmp[ORCH_JSON_PATH_MAX];
  memcpy(tmp, w->path, sizeof tmp);
  orch_json_path_index(w->path, tmp, i);
}

static int wrong_type(struct vwalk *w, const struct orch_aws_shape *s, const char *expected, const json_t *v) {
  return fail(w, "expected %s (%s), got %s", expected, s->name, orch_json_type_name(v));
}

static size_t utf8_length(const char *s, size_t n) {
  size_t count = 0;
  for (size_t i = 0; i < n; i++) count += ((unsigned char)s[i] & 0xc0) != 0x80;
  return count;
}

static int check_length(struct vwalk *w, const struct orch_aws_shape *s, size_t len, const char *unit) {
  if (s->has_min && (double)len < s->min)
    return fail(w, "%s is %zu %s, under the minimum of %.0f", s->name, len, unit, s->min);
  if (s->has_max && (double)len > s->max)
    return fail(w, "%s is %zu %s, over the maximum of %.0f", s->name, len, unit, s->max);
  return 0;
}

static int check_enum(struct vwalk *w, const struct orch_aws_shape *s, const char *v) {
  if (!s->enums) return 0;
  for (size_t i = 0; i < s->nenums; i++)
    if (!strcmp(s->enums[i], v)) return 0;
  char list[ORCH_ERROR_MESSAGE_MAX / 2] = "";
  size_t used = 0;
  size_t shown = s->nenums <= 12 ? s->nenums : 3;
  for (size_t i = 0; i < shown && used < sizeof list; i++)
    used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", s->enums[i]);
  const char *near = orch_str_nearest(v, s->enums);
  char hint[160] = "";
  if (near) snprintf(hint, sizeof hint, "; did you mean '%s'?", near);
  if (s->nenums <= 12) return fail(w, "'%s' is not a valid %s: expected one of %s%s", v, s->name, list, hint);
  return fail(w, "'%s' is not a valid %s: expected one of %zu values such as %s%s", v, s->name, s->nenums, list, hint);
}

static int validate(struct vwalk *w, const struct orch_aws_shape *s, const json_t *v);

static int validate_struct(struct vwalk *w, const struct orch_aws_shape *s, const json_t *v) {
  if (!json_is_object(v)) return wrong_type(w, s, "an object", v);
  size_t base = strlen(w->path);
  const char *key;
  json_t *item;
  if (w->mode == ORCH_AWS_VALIDATE_CLIENT) {
    json_object_foreach(orch_aws_unconst(v), key, item) {
      if (orch_aws_shape_member(s, key)) continue;
      path_key(w, key);
      const char *near = orch_str_nearest(key, s->member_names);
      if (near) return fail(w, "unknown member '%s' of %s; did you mean '%s'?", key, s->name, near);
      if (s->nmembers == 0) return fail(w, "unknown member '%s': %s has no members", key, s->name);
      return fail(w, "unknown member '%s' of %s", key, s->name);
    }
  }
  size_t set = 0;
  for (size_t i = 0; i < s->nmembers; i++) {
    const struct orch_aws_member *m = &s->members[i];
    const json_t *mv = json_object_get(v, m->name);
    bool present = mv && !json_is_null(mv);
    if (!present) {
      if (m->required) {
        path_key(w, m->name);
        return fail(w, "missing required member '%s' of %s", m->name, s->name);
      }
      continue;
    }
    set++;
    path_key(w, m->name);
    int rc = validate(w, m->shape, mv);
    if (rc) return rc;
    w->path[base] = '\0';
  }
  if (s->is_union && set != 1)
    return fail(w, "%s is a union: exactly one member must be set, not %zu", s->name, set);
  return 0;
}

static int validate(struct vwalk *w, const struct orch_aws_shape *s, const json_t *v) {
  if (++w->depth > ORCH_AWS_MAX_DEPTH) return fail(w, "nested deeper than %d levels", ORCH_AWS_MAX_DEPTH);
  size_t base = strlen(w->path);
  int rc = 0;
  switch (s->type) {
    case ORCH_AWS_T_STRUCTURE:
      rc = validate_struct(w, s, v);
      break;
    case ORCH_AWS_T_LIST:
      if (!json_is_array(v)) {
        rc = wrong_type(w, s, "an array", v);
        break;
      }
      if ((rc = check_length(w, s, json_array_size(v), "items long"))) break;
      for (size_t i = 0; i < json_array_size(v) && !rc; i++) {
        const json_t *item = json_array_get(v, i);
        path_index(w, i);
        if (json_is_null(item)) rc = fail(w, "null is not a valid %s", s->member.shape->name);
        else rc = validate(w, s->member.shape, item);
        if (!rc) w->path[base] = '\0';
      }
      break;
    case ORCH_AWS_T_MAP: {
      if (!json_is_object(v)) {
        rc = wrong_type(w, s, "an object", v);
        break;
      }
      if ((rc = check_length(w, s, json_object_size(v), "entries long"))) break;
      const char *key;
      json_t *item;
      json_object_foreach(orch_aws_unconst(v), key, item) {
        path_key(w, key);
        json_t *kj = json_string(key);
        rc = kj ? validate(w, s->key.shape, kj) : orch_error_set(w->err, ORCH_ENOMEM, "out of memory");
        json_decref(kj);
        if (!rc && !json_is_null(item)) rc = validate(w, s->value.shape, item);
        if (rc) break;
        w->path[base] = '\0';
      }
      break;
    }
    case ORCH_AWS_T_STRING:
      if (!json_is_string(v)) rc = wrong_type(w, s, "a string", v);
      else if (!(rc = check_enum(w, s, json_string_value(v))))
        rc = check_length(w, s, utf8_length(json_string_value(v), json_string_length(v)), "characters long");
      break;
    case ORCH_AWS_T_INTEGER:
      if (!json_is_integer(v)) {
        rc = wrong_type(w, s, "an integer", v);
        break;
      }
      if (s->has_min && (double)json_integer_value(v) < s->min)
        rc = fail(w, "%lld is under the minimum of %.0f", (long long)json_integer_value(v), s->min);
      else if (s->has_max && (double)json_integer_value(v) > s->max)
        rc = fail(w, "%lld is over the maximum of %.0f", (long long)json_integer_value(v), s->max);
      break;
    case ORCH_AWS_T_FLOAT:
      if (json_is_string(v)) {
        const char *t = json_string_value(v);
        if (strcmp(t, "NaN") && strcmp(t, "Infinity") && strcmp(t, "-Infinity"))
          rc = fail(w, "expected a number (%s), got the string '%s'", s->name, t);
      } else if (!json_is_number(v)) {
        rc = wrong_type(w, s, "a number", v);
      } else if (s->has_min && json_number_value(v) < s->min) {
        rc = fail(w, "%g is under the minimum of %g", json_number_value(v), s->min);
      } else if (s->has_max && json_number_value(v) > s->max) {
        rc = fail(w, "%g is over the maximum of %g", json_number_value(v), s->max);
      }
      break;
    case ORCH_AWS_T_BOOLEAN:
      if (!json_is_boolean(v)) rc = wrong_type(w, s, "true or false", v);
      break;
    case ORCH_AWS_T_TIMESTAMP: {
      int64_t ms;
      if (!json_is_string(v) && !json_is_number(v)) rc = wrong_type(w, s, "a timestamp", v);
      else if (orch_aws_ts_from_json(v, &ms))
        rc = fail(w, "expected an ISO-8601 timestamp or epoch seconds (%s)", s->name);
      break;
    }
    case ORCH_AWS_T_BLOB: {
      if (!json_is_string(v)) {
        rc = wrong_type(w, s, "a base64 string", v);
        break;
      }
      struct orch_buf raw = ORCH_BUF_INIT(0);
      int drc = orch_aws_b64_decode(&raw, json_string_value(v), json_string_length(v));
      if (drc == ORCH_EPARSE) rc = fail(w, "expected base64 (%s)", s->name);
      else if (drc) rc = orch_error_set(w->err, drc, "out of memory");
      else rc = check_length(w, s, raw.len, "bytes long");
      orch_buf_free(&raw);
      break;
    }
    case ORCH_AWS_T_DOCUMENT:
      break;
  }
  w->depth--;
  return rc;
}

int orch_aws_validate_value(const struct orch_aws_shape *s, const json_t *v, enum orch_aws_validate_mode mode,
                            struct orch_error *err) {
  struct vwalk w = {.mode = mode, .err = err};
  return validate(&w, s, v);
}
