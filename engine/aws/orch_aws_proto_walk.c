/* orch_aws_proto_walk: the pieces every protocol shares when it walks shapes: set members in model
 * order, wire names, timestamp formats, idempotency tokens; and the scalar codec between our JSON
 * (ISO-8601 timestamps, base64 blobs) and wire text. Uses orch_aws_model_shape, orch_time, orch_id,
 * orch_json (paths), orch_str, jansson. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/orch_aws_proto_int.h"
#include "core/orch_id.h"
#include "core/orch_json.h"
#include "core/orch_str.h"
#include "core/orch_time.h"

/* ---- walker ---- */

const struct orch_aws_member *orch_aws_walk_next(const struct orch_aws_shape *s, const json_t *obj, size_t *i,
                                                 const json_t **value) {
  while (*i < s->nmembers) {
    const struct orch_aws_member *m = &s->members[(*i)++];
    const json_t *v = json_object_get(obj, m->name);
    if (v && !json_is_null(v)) {
      *value = v;
      return m;
    }
  }
  return NULL;
}

const char *orch_aws_walk_json_name(const struct orch_aws_member *m) {
  return m->location_name ? m->location_name : m->name;
}

const char *orch_aws_walk_ec2_name(const struct orch_aws_member *m, char *buf, size_t bufsz) {
  if (m->query_name) return m->query_name;
  snprintf(buf, bufsz, "%s", m->location_name ? m->location_name : m->name);
  buf[0] = (char)toupper((unsigned char)buf[0]);
  return buf;
}

const char *orch_aws_walk_xml_name(const struct orch_aws_member *m, const char *dflt) {
  return m->location_name ? m->location_name : dflt;
}

enum orch_aws_tsformat orch_aws_walk_tsformat(const struct orch_aws_member *m, enum orch_aws_tsformat dflt) {
  return m && m->ts_format != ORCH_AWS_TS_DEFAULT ? m->ts_format : dflt;
}

size_t orch_aws_walk_push_key(char *path, const char *key) {
  size_t old = strlen(path);
  char tmp[ORCH_JSON_PATH_MAX];
  memcpy(tmp, path, old + 1);
  orch_json_path_key(path, tmp, key);
  return old;
}

size_t orch_aws_walk_push_index(char *path, size_t i) {
  size_t old = strlen(path);
  char tmp[ORCH_JSON_PATH_MAX];
  memcpy(tmp, path, old + 1);
  orch_json_path_index(path, tmp, i);
  return old;
}

int orch_aws_proto_uuid4(char *out) {
  unsigned char b[16];
  int rc = orch_id_random(b, sizeof b);
  if (rc) return rc;
  b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
  b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
  char hex[33];
  orch_str_hex(hex, b, sizeof b);
  snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
  return 0;
}

int orch_aws_walk_fill_tokens(const struct orch_aws_shape *s, const json_t *input, json_t **out,
                              struct orch_error *err) {
  json_t *copy = NULL;
  for (size_t i = 0; s && s->type == ORCH_AWS_T_STRUCTURE && i < s->nmembers; i++) {
    const struct orch_aws_member *m = &s->members[i];
    if (!m->idempotency_token) continue;
    const json_t *v = json_object_get(input, m->name);
    if (v && !json_is_null(v)) continue;
    if (!copy && !(copy = json_is_object(input) ? json_copy(orch_aws_unconst(input)) : json_object())) goto oom;
    char uuid[37];
    int rc = orch_aws_proto_uuid4(uuid);
    if (rc) {
      json_decref(copy);
      return orch_error_set(err, rc, "cannot generate an idempotency token");
    }
    if (json_object_set_new(copy, m->name, json_string(uuid))) goto oom;
  }
  if (copy) {
    *out = copy;
  } else {
    *out = input ? orch_aws_json_ref(input) : json_object();
    if (!*out) goto oom;
  }
  return 0;
oom:
  json_decref(copy);
  return orch_error_set(err, ORCH_ENOMEM, "out of memory");
}

/* ---- base64 ---- */

static const char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int orch_aws_b64_encode(struct orch_buf *out, const void *data, size_t n) {
  const unsigned char *p = data;
  int rc = orch_buf_reserve(out, (n + 2) / 3 * 4 + 1);
  if (rc) return rc;
  char quad[4];
  size_t i = 0;
  for (; i + 2 < n; i += 3) {
    quad[0] = b64_alphabet[p[i] >> 2];
    quad[1] = b64_alphabet[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
    quad[2] = b64_alphabet[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
    quad[3] = b64_alphabet[p[i + 2] & 63];
    rc = orch_buf_append(out, quad, 4);
  }
  if (i < n) {
    quad[0] = b64_alphabet[p[i] >> 2];
    if (i + 1 < n) {
      quad[1] = b64_alphabet[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
      quad[2] = b64_alphabet[(p[i + 1] & 15) << 2];
    } else {
      quad[1] = b64_alphabet[(p[i] & 3) << 4];
      quad[2] = '=';
    }
    quad[3] = '=';
    rc = orch_buf_append(out, quad, 4);
  }
  if (n == 0) rc = orch_buf_append(out, "", 0);
  return rc ? rc : out->err;
}

static int b64_value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

int orch_aws_b64_decode(struct orch_buf *out, const char *s, size_t n) {
  while (n > 0 && s[n - 1] == '=') n--;
  if (n % 4 == 1) return ORCH_EPARSE;
  int rc = orch_buf_reserve(out, n / 4 * 3 + 3);
  if (rc) return rc;
  unsigned acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; i++) {
    int v = b64_value((unsigned char)s[i]);
    if (v < 0) return ORCH_EPARSE;
    acc = (acc << 6) | (unsigned)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      rc = orch_buf_putc(out, (char)((acc >> bits) & 0xff));
    }
  }
  if (n == 0) rc = orch_buf_append(out, "", 0);
  return rc ? rc : out->err;
}

/* ---- timestamps ---- */

int orch_aws_ts_from_text(const char *s, int64_t *ms) {
  while (isspace((unsigned char)*s)) s++;
  return orch_time_parse_any(s, ms);
}

int orch_aws_ts_from_json(const json_t *v, int64_t *ms) {
  if (json_is_number(v)) {
    double d = json_number_value(v);
    if (!isfinite(d) || fabs(d) > 1e13) return ORCH_ERANGE;
    *ms = (int64_t)llround(d * 1000.0);
    return 0;
  }
  if (json_is_string(v)) return orch_time_parse_any(json_string_value(v), ms);
  return ORCH_ETYPE;
}

int orch_aws_ts_append(struct orch_buf *out, int64_t ms, enum orch_aws_tsformat fmt) {
  char t[ORCH_TIME_ISO_MAX];
  switch (fmt) {
    case ORCH_AWS_TS_RFC822:
      orch_time_rfc1123(t, ms - ((ms % 1000) + 1000) % 1000);
      return orch_buf_puts(out, t);
    case ORCH_AWS_TS_UNIX: {
      int64_t abs_ms = ms < 0 ? -ms : ms;
      int64_t sec = abs_ms / 1000, frac = abs_ms % 1000;
      if (!frac) return orch_buf_printf(out, "%s%lld", ms < 0 ? "-" : "", (long long)sec);
      int digits = frac % 100 == 0 ? 1 : frac % 10 == 0 ? 2 : 3;
      long long shown = digits == 1 ? frac / 100 : digits == 2 ? frac / 10 : frac;
      return orch_buf_printf(out, "%s%lld.%0*lld", ms < 0 ? "-" : "", (long long)sec, digits, shown);
    }
    case ORCH_AWS_TS_ISO8601:
    case ORCH_AWS_TS_DEFAULT:
      break;
  }
  if (ms % 1000 == 0) orch_time_iso8601_s(t, ms);
  else orch_time_iso8601(t, ms);
  return orch_buf_puts(out, t);
}

json_t *orch_aws_ts_to_json(int64_t ms) {
  char t[ORCH_TIME_ISO_MAX];
  orch_time_iso8601(t, ms);
  return json_string(t);
}

/* ---- numbers ---- */

static const char *special_float(const char *s) {
  static const char *const names[] = {"NaN", "Infinity", "-Infinity", NULL};
  for (size_t i = 0; names[i]; i++)
    if (!strcmp(s, names[i])) return names[i];
  return NULL;
}

int orch_aws_number_append(struct orch_buf *out, const json_t *v) {
  if (json_is_integer(v)) return orch_buf_printf(out, "%lld", (long long)json_integer_value(v));
  if (json_is_string(v) && special_float(json_string_value(v))) return orch_buf_puts(out, json_string_value(v));
  if (!json_is_real(v)) return ORCH_ETYPE;
  double d = json_real_value(v);
  char t[40];
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(t, sizeof t, "%.*g", prec, d);
    if (strtod(t, NULL) == d) break;
  }
  return orch_buf_puts(out, t);
}

int orch_aws_scalar_append(struct orch_buf *out, const struct orch_aws_member *m, const json_t *v,
                           enum orch_aws_tsformat ts_dflt) {
  switch (m->shape->type) {
    case ORCH_AWS_T_STRING:
    case ORCH_AWS_T_BLOB:
      if (!json_is_string(v)) return ORCH_ETYPE;
      return orch_buf_append(out, json_string_value(v), json_string_length(v));
    case ORCH_AWS_T_INTEGER:
      if (!json_is_integer(v)) return ORCH_ETYPE;
      return orch_buf_printf(out, "%lld", (long long)json_integer_value(v));
    case ORCH_AWS_T_FLOAT:
      return orch_aws_number_append(out, v);
    case ORCH_AWS_T_BOOLEAN:
      if (!json_is_boolean(v)) return ORCH_ETYPE;
      return orch_buf_puts(out, json_is_true(v) ? "true" : "false");
    case ORCH_AWS_T_TIMESTAMP: {
      int64_t ms;
      int rc = orch_aws_ts_from_json(v, &ms);
      if (rc) return rc;
      return orch_aws_ts_append(out, ms, orch_aws_walk_tsformat(m, ts_dflt));
    }
    case ORCH_AWS_T_STRUCTURE:
    case ORCH_AWS_T_LIST:
    case ORCH_AWS_T_MAP:
    case ORCH_AWS_T_DOCUMENT:
      break;
  }
  return ORCH_ETYPE;
}

int orch_aws_scalar_from_text(const struct orch_aws_member *m, const char *s, json_t **out) {
  json_t *v = NULL;
  switch (m->shape->type) {
    case ORCH_AWS_T_STRING: {
      size_t n = strlen(s);
      if (!orch_aws_utf8_valid(s, n)) return ORCH_EPARSE;
      v = json_stringn_nocheck(s, n);
      break;
    }
    case ORCH_AWS_T_BLOB: {
      struct orch_strview t = orch_str_trim((struct orch_strview){s, strlen(s)});
      if (!orch_aws_utf8_valid(t.p, t.n)) return ORCH_EPARSE;
      v = json_stringn_nocheck(t.p, t.n);
      break;
    }
    case ORCH_AWS_T_INTEGER: {
      char tmp[64];
      struct orch_strview t = orch_str_trim((struct orch_strview){s, strlen(s)});
      if (t.n == 0 || t.n >= sizeof tmp) return ORCH_EPARSE;
      memcpy(tmp, t.p, t.n);
      tmp[t.n] = '\0';
      long long n;
      if (orch_str_to_ll(tmp, LLONG_MIN, LLONG_MAX, &n)) return ORCH_EPARSE;
      v = json_integer(n);
      break;
    }
    case ORCH_AWS_T_FLOAT: {
      char tmp[64];
      struct orch_strview t = orch_str_trim((struct orch_strview){s, strlen(s)});
      if (t.n == 0 || t.n >= sizeof tmp) return ORCH_EPARSE;
      memcpy(tmp, t.p, t.n);
      tmp[t.n] = '\0';
      const char *special = special_float(tmp);
      if (special) {
        v = json_string(special);
        break;
      }
      char *end;
      errno = 0;
      double d = strtod(tmp, &end);
      if (*end || end == tmp || !isfinite(d)) return ORCH_EPARSE;
      v = json_real(d);
      break;
    }
    case ORCH_AWS_T_BOOLEAN: {
      struct orch_strview t = orch_str_trim((struct orch_strview){s, strlen(s)});
      if (t.n == 4 && !memcmp(t.p, "true", 4)) v = json_true();
      else if (t.n == 5 && !memcmp(t.p, "false", 5)) v = json_false();
      else return ORCH_EPARSE;
      break;
    }
    case ORCH_AWS_T_TIMESTAMP: {
      int64_t ms;
      if (orch_aws_ts_from_text(s, &ms)) return ORCH_EPARSE;
      v = orch_aws_ts_to_json(ms);
      break;
    }
    case ORCH_AWS_T_STRUCTURE:
    case ORCH_AWS_T_LIST:
    case ORCH_AWS_T_MAP:
    case ORCH_AWS_T_DOCUMENT:
      return ORCH_ETYPE;
  }
  if (!v) return ORCH_ENOMEM;
  *out = v;
  return 0;
}

/* ---- UTF-8 ---- */

size_t orch_aws_utf8_seq(const unsigned char *p, const unsigned char *end) {
  unsigned c = p[0];
  size_t n;
  unsigned cp;
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) n = 2, cp = c & 0x1f;
  else if (c >= 0xe0 && c <= 0xef) n = 3, cp = c & 0x0f;
  else if (c >= 0xf0 && c <= 0xf4) n = 4, cp = c & 0x07;
  else return 0;
  if ((size_t)(end - p) < n) return 0;
  for (size_t i = 1; i < n; i++) {
    if ((p[i] & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3f);
  }
  if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
    return 0;
  return n;
}

bool orch_aws_utf8_valid(const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s, *end = p + n;
  while (p < end) {
    size_t k = orch_aws_utf8_seq(p, end);
    if (!k) return false;
    p += k;
  }
  return true;
}
