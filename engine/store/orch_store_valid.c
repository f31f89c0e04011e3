/* orch_store_valid: input checks shared by every store backend. Uses orch_json, orch_str, orch_error. */
#include "store/orch_store_valid.h"

#include <stdint.h>
#include <string.h>

#include "core/orch_json.h"
#include "core/orch_str.h"

#define TAGS_MAX 50
#define TAG_KEY_MAX 128
#define TAG_VALUE_MAX 256

/* Length of the UTF-8 sequence starting at p (at most `left` bytes), or 0 when malformed (overlong
 * forms, surrogates and code points past U+10FFFF included). */
static size_t utf8_seq(const unsigned char *p, size_t left) {
  unsigned c = p[0];
  size_t n;
  unsigned cp;
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) n = 2, cp = c & 0x1f;
  else if (c >= 0xe0 && c <= 0xef) n = 3, cp = c & 0x0f;
  else if (c >= 0xf0 && c <= 0xf4) n = 4, cp = c & 0x07;
  else return 0;
  if (left < n) return 0;
  for (size_t i = 1; i < n; i++) {
    if ((p[i] & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3f);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff))) return 0;
  if (cp >= 0xd800 && cp <= 0xdfff) return 0;
  return n;
}

int orch_store_valid_text(const char *s, size_t max, bool required, const char *field, struct orch_error *err) {
  if (!s || !*s) return required ? orch_error_setc(err, ORCH_EINVAL, field, "is required") : 0;
  size_t len = strnlen(s, max + 1);
  if (len > max) return orch_error_setc(err, ORCH_EINVAL, field, "is longer than %zu bytes", max);
  const unsigned char *p = (const unsigned char *)s;
  for (size_t i = 0; i < len;) {
    if (p[i] < 0x20 || p[i] == 0x7f)
      return orch_error_setc(err, ORCH_EINVAL, field, "contains a control character at byte %zu", i);
    size_t n = utf8_seq(p + i, len - i);
    if (!n) return orch_error_setc(err, ORCH_EINVAL, field, "is not valid UTF-8 (byte %zu)", i);
    i += n;
  }
  return 0;
}

int orch_store_valid_name(const char *s, const char *field, struct orch_error *err) {
  int rc = orch_store_valid_text(s, ORCH_STORE_NAME_MAX, true, field, err);
  if (rc) return rc;
  if (s[0] == ' ' || s[strlen(s) - 1] == ' ')
    return orch_error_setc(err, ORCH_EINVAL, field, "must not begin or end with a space");
  return 0;
}

static bool all_in(const char *s, size_t n, const char *set) {
  for (size_t i = 0; i < n; i++)
    if (!s[i] || !strchr(set, s[i])) return false;
  return true;
}

#define DIGITS "0123456789"
#define LOWER "abcdefghijklmnopqrstuvwxyz"
#define HEX DIGITS "abcdef"

int orch_store_valid_account(const char *s, const char *field, struct orch_error *err) {
  if (!s || !*s) return orch_error_setc(err, ORCH_EINVAL, field, "is required");
  if (strnlen(s, 13) != 12 || !all_in(s, 12, DIGITS))
    return orch_error_setc(err, ORCH_EINVAL, field, "must be a 12-digit AWS account id");
  return 0;
}

int orch_store_valid_region(const char *s, const char *field, struct orch_error *err) {
  if (!s || !*s) return orch_error_setc(err, ORCH_EINVAL, field, "is required");
  size_t len = strnlen(s, ORCH_STORE_REGION_MAX + 1);
  /* letters, then one or more "-part" groups; ends in a digit: us-east-1, us-gov-west-1 */
  bool ok = len <= ORCH_STORE_REGION_MAX && strchr(LOWER, s[0]) && s[0] && strchr(DIGITS, s[len - 1]) &&
            all_in(s, len, LOWER DIGITS "-") && strchr(s, '-') && !strstr(s, "--");
  if (!ok) return orch_error_setc(err, ORCH_EINVAL, field, "'%.40s' is not an AWS region name (e.g. us-east-1)", s);
  return 0;
}

int orch_store_valid_id(const char *s, const char *field, struct orch_error *err) {
  if (!s || !*s) return orch_error_setc(err, ORCH_EINVAL, field, "is required");
  bool ok = strnlen(s, ORCH_STORE_ID_MAX + 1) == ORCH_STORE_ID_MAX;
  for (size_t i = 0; ok && i < ORCH_STORE_ID_MAX; i++) {
    if (i == 8 || i == 13 || i == 18 || i == 23) ok = s[i] == '-';
    else ok = s[i] && strchr(HEX, s[i]);
  }
  if (!ok) return orch_error_setc(err, ORCH_EINVAL, field, "'%.40s' is not a valid id (a lower-case UUID)", s);
  return 0;
}

int orch_store_valid_server_id(const char *s, const char *field, struct orch_error *err) {
  if (!s || strnlen(s, 20) != 19 || s[0] != 's' || s[1] != '-' || !all_in(s + 2, 17, HEX))
    return orch_error_setc(err, ORCH_EINVAL, field, "'%.40s' is not a DRS source server id (s- and 17 hex digits)",
                           s ? s : "");
  return 0;
}

static int valid_server_ids(const json_t *ids, struct orch_error *err) {
  int rc = orch_json_expect(ids, "selector.server_ids", JSON_ARRAY, err);
  if (rc) return rc;
  size_t n = json_array_size(ids);
  if (n == 0) return orch_error_setc(err, ORCH_EINVAL, "selector.server_ids", "must name at least one server");
  if (n > ORCH_STORE_GROUP_SERVERS_MAX)
    return orch_error_setc(err, ORCH_EINVAL, "selector.server_ids", "holds %zu servers; at most %d", n,
                           ORCH_STORE_GROUP_SERVERS_MAX);
  char path[ORCH_JSON_PATH_MAX];
  for (size_t i = 0; i < n; i++) {
    const json_t *v = json_array_get(ids, i);
    orch_json_path_index(path, "selector.server_ids", i);
    if ((rc = orch_json_expect(v, path, JSON_STRING, err))) return rc;
    if ((rc = orch_store_valid_server_id(json_string_value(v), path, err))) return rc;
    for (size_t j = 0; j < i; j++)
      if (strcmp(json_string_value(v), json_string_value(json_array_get(ids, j))) == 0)
        return orch_error_setc(err, ORCH_EINVAL, path, "'%s' is listed twice", json_string_value(v));
  }
  return 0;
}

static int valid_tags(const json_t *tags, struct orch_error *err) {
  int rc = orch_json_expect(tags, "selector.tags", JSON_OBJECT, err);
  if (rc) return rc;
  size_t n = json_object_size(tags);
  if (n == 0) return orch_error_setc(err, ORCH_EINVAL, "selector.tags", "must hold at least one tag");
  if (n > TAGS_MAX) return orch_error_setc(err, ORCH_EINVAL, "selector.tags", "holds %zu tags; at most %d", n, TAGS_MAX);
  char path[ORCH_JSON_PATH_MAX];
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)(uintptr_t)tags, key, v) {
    orch_json_path_key(path, "selector.tags", key);
    if ((rc = orch_store_valid_text(key, TAG_KEY_MAX, true, path, err))) return rc;
    if ((rc = orch_json_expect(v, path, JSON_STRING, err))) return rc;
    if ((rc = orch_store_valid_text(json_string_value(v), TAG_VALUE_MAX, false, path, err))) return rc;
  }
  return 0;
}

int orch_store_valid_selector(const json_t *sel, struct orch_error *err) {
  static const char *const keys[] = {"server_ids", "tags", NULL};
  if (!sel) return orch_error_setc(err, ORCH_EINVAL, "selector", "is required");
  int rc = orch_json_check_keys(sel, "selector", keys, err);
  if (rc) return rc;
  const json_t *ids = json_object_get(sel, "server_ids");
  const json_t *tags = json_object_get(sel, "tags");
  if (!ids == !tags) return orch_error_setc(err, ORCH_EINVAL, "selector", "needs exactly one of server_ids or tags");
  return ids ? valid_server_ids(ids, err) : valid_tags(tags, err);
}

/* Nesting depth of `j` (a scalar is 0), stopping once past `limit`. */
static size_t json_depth(const json_t *j, size_t limit) {
  size_t max = 0, d;
  if (json_is_object(j)) {
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)(uintptr_t)j, key, v) {
      if (max > limit) break;
      if ((d = json_depth(v, limit)) > max) max = d;
    }
  } else if (json_is_array(j)) {
    for (size_t i = 0; i < json_array_size(j) && max <= limit; i++)
      if ((d = json_depth(json_array_get(j, i), limit)) > max) max = d;
  } else {
    return 0;
  }
  return max + 1;
}

int orch_store_valid_json(const json_t *j, const char *field, struct orch_error *err) {
  if (j && json_depth(j, ORCH_STORE_JSON_DEPTH_MAX) > ORCH_STORE_JSON_DEPTH_MAX)
    return orch_error_setc(err, ORCH_ETOOBIG, field, "is nested deeper than %d levels", ORCH_STORE_JSON_DEPTH_MAX);
  return 0;
}

int orch_store_valid_object(const json_t *j, bool nullable, const char *field, struct orch_error *err) {
  if (!j) return nullable ? 0 : orch_error_setc(err, ORCH_EINVAL, field, "is required");
  int rc = orch_json_expect(j, field, JSON_OBJECT, err);
  return rc ? rc : orch_store_valid_json(j, field, err);
}

int orch_store_valid_event_type(const char *s, const char *field, struct orch_error *err) {
  if (!s || !*s) return orch_error_setc(err, ORCH_EINVAL, field, "is required");
  size_t len = strnlen(s, ORCH_STORE_EVENT_TYPE_MAX + 1);
  if (len > ORCH_STORE_EVENT_TYPE_MAX || !all_in(s, len, LOWER "ABCDEFGHIJKLMNOPQRSTUVWXYZ" DIGITS "_.:-"))
    return orch_error_setc(err, ORCH_EINVAL, field, "'%.70s' is not an event type ([A-Za-z0-9_.:-], 1 to %d bytes)",
                           s, ORCH_STORE_EVENT_TYPE_MAX);
  return 0;
}

int orch_store_valid_page(const struct orch_store_page *page, struct orch_store_page *out, struct orch_error *err) {
  out->limit = ORCH_STORE_PAGE_DEFAULT;
  out->cursor = NULL;
  if (!page) return 0;
  if (page->limit > ORCH_STORE_PAGE_MAX)
    return orch_error_setc(err, ORCH_EINVAL, "limit", "%zu is more than %d", page->limit, ORCH_STORE_PAGE_MAX);
  if (page->limit) out->limit = page->limit;
  if (page->cursor && *page->cursor) {
    int rc = orch_store_valid_text(page->cursor, ORCH_STORE_CURSOR_MAX, true, "cursor", err);
    if (rc) return orch_error_setc(err, ORCH_EINVAL, "cursor", "malformed cursor");
    out->cursor = page->cursor;
  }
  return 0;
}
