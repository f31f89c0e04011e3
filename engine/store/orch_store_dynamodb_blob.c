/* orch_store_dynamodb_blob: values longer than an item comfortably holds (a DynamoDB item is at most
 * 400 KB; plan sources, JSON fields and journal batches may be larger) kept in chunk items. A large value
 * is written as chunks "c#<token>#<n>" first, which nothing references yet, and then referenced from the
 * item whose conditional write commits it; so a failed write leaves only unreachable chunks behind.
 * Chunks are split on UTF-8 character boundaries and stored as strings.
 * Uses orch_store_dynamodb_item, orch_buf, orch_json, jansson. */
#include <stdio.h>
#include <string.h>

#include "core/orch_alloc.h"
#include "core/orch_buf.h"
#include "core/orch_json.h"
#include "core/orch_log.h"
#include "store/orch_store_dynamodb_int.h"

int orch_store_dy_blob_put(struct orch_store_dy *d, const char *pk, const char *text, size_t len, int64_t expires_at,
                           json_t **attr, struct orch_error *err) {
  char tok[ORCH_STORE_DY_TOKEN_LEN + 1], prefix[8 + ORCH_STORE_DY_TOKEN_LEN], sk[ORCH_STORE_DY_KEY_MAX + 1];
  *attr = NULL;
  if (len <= ORCH_STORE_DY_INLINE_MAX) {
    *attr = json_pack("{ss%}", "S", text, len);
    return *attr ? 0 : orch_error_set(err, ORCH_ENOMEM, "out of memory storing a value");
  }
  int rc = orch_store_dy_token(tok, err);
  if (rc) return rc;
  snprintf(prefix, sizeof prefix, "c#%s#", tok);
  json_t *reqs = json_array();
  int64_t n = 0;
  for (size_t at = 0; reqs && at < len; n++) {
    size_t end = len - at > ORCH_STORE_DY_CHUNK_MAX ? at + ORCH_STORE_DY_CHUNK_MAX : len;
    while (end < len && end > at && ((unsigned char)text[end] & 0xC0) == 0x80) end--; /* not inside a character */
    orch_store_dy_key_num(sk, prefix, n);
    json_t *req = json_pack("{s{s{s{ss}s{ss}s{ss%}}}}", "PutRequest", "Item", "pk", "S", pk, "sk", "S", sk, "d", "S",
                            text + at, end - at);
    json_t *item = json_object_get(json_object_get(req, "PutRequest"), "Item");
    if (!req || (expires_at && orch_store_dy_set_n(item, "expires_at", expires_at)) || json_array_append_new(reqs, req)) {
      json_decref(reqs);
      reqs = NULL;
    }
    at = end;
  }
  if (!reqs) return orch_error_set(err, ORCH_ENOMEM, "out of memory storing a value of %zu bytes", len);
  rc = orch_store_dy_batch_write(d, reqs, err);
  json_decref(reqs);
  if (rc) return rc;
  json_t *m = json_pack("{s{ss}s{ss}}", "c", "S", pk, "tok", "S", tok);
  *attr = m ? json_pack("{sO}", "M", m) : NULL;
  if (!*attr || orch_store_dy_set_n(m, "n", n) || orch_store_dy_set_n(m, "len", (int64_t)len)) {
    json_decref(m);
    json_decref(*attr);
    *attr = NULL;
    return orch_error_set(err, ORCH_ENOMEM, "out of memory storing a value");
  }
  json_decref(m);
  return 0;
}

int orch_store_dy_json_put(struct orch_store_dy *d, const char *pk, const json_t *value, const char *field,
                           json_t **attr, struct orch_error *err) {
  *attr = NULL;
  if (!value) return 0;
  struct orch_buf buf = ORCH_BUF_INIT(ORCH_STORE_JSON_MAX);
  int rc = orch_json_dump(&buf, value, JSON_COMPACT | JSON_SORT_KEYS);
  if (rc == ORCH_ETOOBIG) rc = orch_error_setc(err, rc, field, "is larger than %zu bytes as JSON", ORCH_STORE_JSON_MAX);
  else if (rc) rc = orch_error_setc(err, rc, field, "cannot serialize: %s", orch_error_str(rc));
  else rc = orch_store_dy_blob_put(d, pk, orch_buf_cstr(&buf), buf.len, 0, attr, err);
  orch_buf_free(&buf);
  return rc;
}

/* The reference of a chunked value: partition, token, chunk count and length. */
struct ref {
  const char *pk, *tok;
  int64_t n, len;
};

static int ref_read(const json_t *attr, struct ref *r, struct orch_error *err) {
  const json_t *m = json_object_get(attr, "M");
  r->pk = orch_store_dy_str(m, "c");
  r->tok = orch_store_dy_str(m, "tok");
  int rc = orch_store_dy_num(m, "n", -1, &r->n, err);
  if (!rc) rc = orch_store_dy_num(m, "len", -1, &r->len, err);
  if (rc) return rc;
  if (!r->pk || !r->tok || strlen(r->tok) != ORCH_STORE_DY_TOKEN_LEN || r->n < 1 || r->len < 0)
    return orch_error_setc(err, ORCH_ESTORE, "chunks", "a stored value's reference to its chunks is malformed");
  return 0;
}

struct gather {
  struct orch_buf *buf;
  int64_t count;
};

static int gather_chunk(void *ctx, json_t *item, struct orch_error *err) {
  struct gather *g = ctx;
  const char *piece = orch_store_dy_str(item, "d");
  size_t n = json_string_length(json_object_get(json_object_get(item, "d"), "S"));
  if (!piece) return orch_error_setc(err, ORCH_ESTORE, "chunks", "a chunk item has no data");
  if (orch_buf_append(g->buf, piece, n))
    return orch_error_setc(err, g->buf->err, "chunks", "out of memory reading a large value");
  g->count++;
  return 0;
}

int orch_store_dy_blob_get(struct orch_store_dy *d, const json_t *attr, char **text, size_t *len,
                           struct orch_error *err) {
  *text = NULL;
  *len = 0;
  const json_t *s = json_object_get(attr, "S");
  if (s) {
    *len = json_string_length(s);
    *text = orch_strndup(json_string_value(s), *len);
    return *text ? 0 : orch_error_set(err, ORCH_ENOMEM, "out of memory reading a value");
  }
  struct ref r;
  int rc = ref_read(attr, &r, err);
  if (rc) return rc;
  char prefix[8 + ORCH_STORE_DY_TOKEN_LEN];
  snprintf(prefix, sizeof prefix, "c#%s#", r.tok);
  struct orch_buf buf = ORCH_BUF_INIT((size_t)r.len + 1);
  struct gather g = {&buf, 0};
  struct orch_store_dy_query q = {.pk = r.pk, .prefix = prefix};
  if ((rc = orch_store_dy_query(d, &q, gather_chunk, &g, err))) goto out;
  if (g.count != r.n || (int64_t)buf.len != r.len) {
    rc = orch_error_setc(err, ORCH_ECONFLICT, "chunks", "a large value's chunks are gone (it was replaced meanwhile)");
    goto out;
  }
  *text = orch_buf_take(&buf, len);
  if (!*text) rc = orch_error_set(err, ORCH_ENOMEM, "out of memory reading a large value");
out:
  orch_buf_free(&buf);
  return rc;
}

int orch_store_dy_json_get(struct orch_store_dy *d, const json_t *item, const char *name, const char *field,
                           json_t **out, struct orch_error *err) {
  const json_t *attr = json_object_get(item, name);
  char *text = NULL;
  size_t len = 0;
  *out = NULL;
  if (!attr) return 0;
  int rc = orch_store_dy_blob_get(d, attr, &text, &len, err);
  if (rc) return rc;
  struct orch_error perr = {0};
  /* writes were checked against ORCH_STORE_JSON_DEPTH_MAX; the slack tolerates counting differences */
  *out = orch_json_parse(text, len, 2 * ORCH_STORE_JSON_DEPTH_MAX, &perr);
  orch_free(text);
  if (*out) return 0;
  if (perr.code == ORCH_ENOMEM) return orch_error_setc(err, ORCH_ENOMEM, field, "out of memory reading JSON");
  return orch_error_setc(err, ORCH_ESTORE, field, "stored JSON is corrupt: %s", perr.message);
}

void orch_store_dy_blob_drop(struct orch_store_dy *d, const json_t *attr) {
  struct ref r;
  if (!attr || !json_object_get(attr, "M") || ref_read(attr, &r, NULL)) return;
  char prefix[8 + ORCH_STORE_DY_TOKEN_LEN];
  snprintf(prefix, sizeof prefix, "c#%s#", r.tok);
  struct orch_store_dy_query q = {.pk = r.pk, .prefix = prefix};
  if (orch_store_dy_purge(d, &q, NULL)) orch_log_debug("dynamodb: chunks %s of %s left behind (unreachable)", r.tok, r.pk);
}
