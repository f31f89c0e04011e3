/* orch_sim_s3: the S3 the deployment's custom resources use: buckets (global names, each in one account and
 * region; versioning Enabled, Suspended or never), PutObject, ListObjectVersions (versions newest first per
 * key, delete markers, key/version markers, max-keys, url encoding), DeleteObjects (at most 1,000 keys, with
 * versions and delete markers, Quiet), HeadBucket, GetBucketLocation; S3's request integrity checks
 * (Content-MD5, x-amz-checksum-*); buckets and objects from a scenario. Object bodies are not kept, only
 * their size and MD5. Uses orch_sim_ops, orch_sim_world, orch_sim_rng, OpenSSL (digests), jansson. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/orch_sigv4.h"
#include "core/orch_alloc.h"
#include "core/orch_json.h"
#include "core/orch_str.h"
#include "sim/orch_sim_ops.h"

#define S3_MAX_KEYS 1000
#define S3_MAX_DELETE 1000
#define S3_MAX_SCENARIO_OBJECTS 100000

static int internal(struct orch_aws_error *aerr) { return orch_sim_fail(aerr, 500, "InternalError", "We encountered an internal error. Please try again."); }

/* ---- digests and checksums ---- */

static int b64(const unsigned char *d, size_t n, char *out, size_t outsz) {
  if (outsz < 4 * ((n + 2) / 3) + 1) return ORCH_ERANGE;
  EVP_EncodeBlock((unsigned char *)out, d, (int)n);
  return 0;
}

/* Decode base64 `s` into a new buffer (*out, *n); NULL on a malformed string. */
static unsigned char *unb64(const char *s, size_t *n) {
  size_t len = strlen(s);
  if (len % 4) return NULL;
  unsigned char *buf = orch_malloc(len / 4 * 3 + 1);
  if (!buf) return NULL;
  int got = len ? EVP_DecodeBlock(buf, (const unsigned char *)s, (int)len) : 0;
  if (got < 0) {
    orch_free(buf);
    return NULL;
  }
  size_t pad = (len && s[len - 1] == '=') + (len > 1 && s[len - 2] == '=');
  *n = (size_t)got - pad;
  return buf;
}

static uint32_t crc32_reflected(const unsigned char *d, size_t n, uint32_t poly) {
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < n; i++) {
    c ^= d[i];
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (poly & (0u - (c & 1u)));
  }
  return ~c;
}

/* The base64 checksum S3 would compute for `algo` ("md5", "crc32", "crc32c", "sha1", "sha256"). */
static int checksum_of(const char *algo, const unsigned char *d, size_t n, char out[64]) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  if (!strcmp(algo, "crc32") || !strcmp(algo, "crc32c")) {
    uint32_t c = crc32_reflected(d, n, !strcmp(algo, "crc32") ? 0xEDB88320u : 0x82F63B78u);
    unsigned char be[4] = {(unsigned char)(c >> 24), (unsigned char)(c >> 16), (unsigned char)(c >> 8), (unsigned char)c};
    return b64(be, 4, out, 64);
  }
  const EVP_MD *md_type = !strcmp(algo, "md5") ? EVP_md5() : !strcmp(algo, "sha1") ? EVP_sha1() : EVP_sha256();
  if (!EVP_Digest(n ? d : (const unsigned char *)"", n, md, &mdlen, md_type, NULL)) return ORCH_EINTERNAL;
  return b64(md, mdlen, out, 64);
}

int orch_sim_s3_check_checksum(const struct orch_http_request *req, bool required, struct orch_aws_error *aerr) {
  static const struct {
    const char *header, *algo;
  } sums[] = {{"Content-MD5", "md5"},
              {"x-amz-checksum-crc32", "crc32"},
              {"x-amz-checksum-crc32c", "crc32c"},
              {"x-amz-checksum-sha1", "sha1"},
              {"x-amz-checksum-sha256", "sha256"}};
  bool any = false;
  const unsigned char *body = (const unsigned char *)(req->body.data ? req->body.data : "");
  for (size_t i = 0; i < sizeof sums / sizeof sums[0]; i++) {
    const char *claimed = orch_http_headers_get(&req->headers, sums[i].header);
    if (!claimed) continue;
    any = true;
    char want[64];
    if (checksum_of(sums[i].algo, body, req->body.len, want)) return internal(aerr);
    if (strcmp(claimed, want) == 0) continue;
    if (i == 0) return orch_sim_fail(aerr, 400, "BadDigest", "The Content-MD5 you specified did not match what we received.");
    return orch_sim_fail(aerr, 400, "BadDigest", "The %s you specified did not match the calculated checksum.",
                         sums[i].header);
  }
  if (required && !any)
    return orch_sim_fail(aerr, 400, "InvalidRequest", "Missing required header for this request: Content-Md5.");
  return 0;
}

/* ---- addressing ---- */

int orch_sim_s3_route(const struct orch_http_request *req, char *out, size_t outsz) {
  static const char *const suffixes[] = {".s3.", ".s3-", ".localhost", NULL};
  const char *host = orch_http_headers_get(&req->headers, "Host");
  const char *p = req->path ? req->path : "";
  size_t plen = strlen(p);
  /* Path style "/<bucket>/" (the SDKs add the slash) is the bucket itself: "/<bucket>". */
  if (plen > 2 && p[plen - 1] == '/' && !memchr(p + 1, '/', plen - 2)) {
    int n = snprintf(out, outsz, "%.*s", (int)(plen - 1), p);
    return n < 0 || (size_t)n >= outsz ? ORCH_ETOOBIG : 1;
  }
  if (!host) return 0;
  size_t hlen = strcspn(host, ":");
  for (size_t i = 0; suffixes[i]; i++) {
    const char *at = strstr(host, suffixes[i]);
    if (!at || at == host || (size_t)(at - host) >= hlen) continue;
    const char *path = req->path && *req->path ? req->path : "/";
    int n = snprintf(out, outsz, "/%.*s%s", (int)(at - host), host, strcmp(path, "/") == 0 ? "" : path);
    return n < 0 || (size_t)n >= outsz ? ORCH_ETOOBIG : 1;
  }
  return 0;
}

/* ---- buckets ---- */

struct orch_sim_bucket *orch_sim_s3_find_bucket(const struct orch_sim_world *w, const char *name,
                                                struct orch_sim_env **env) {
  for (size_t i = 0; name && i < w->envs.n; i++) {
    struct orch_sim_env *e = w->envs.items[i];
    for (size_t k = 0; k < e->buckets.n; k++) {
      struct orch_sim_bucket *b = e->buckets.items[k];
      if (strcmp(b->name, name) == 0) {
        if (env) *env = e;
        return b;
      }
    }
  }
  return NULL;
}

/* The bucket the call names, if the caller may use it from its signing region. */
static int call_bucket(struct orch_sim_call *c, const json_t *in, struct orch_aws_error *aerr, struct orch_sim_bucket **out) {
  const char *name = orch_sim_str(in, "Bucket");
  struct orch_sim_env *env = NULL;
  struct orch_sim_bucket *b = orch_sim_s3_find_bucket(c->w, name, &env);
  if (!b) {
    json_decref(c->error_fields);
    c->error_fields = json_pack("{s:s}", "BucketName", name ? name : "");
    return orch_sim_fail(aerr, 404, "NoSuchBucket", "The specified bucket does not exist");
  }
  if (env->account != c->env->account) return orch_sim_fail(aerr, 403, "AccessDenied", "Access Denied");
  if (strcmp(env->region, c->env->region) != 0)
    return orch_sim_fail(aerr, 400, "AuthorizationHeaderMalformed",
                         "The authorization header is malformed; the region '%s' is wrong; expecting '%s'",
                         c->env->region, env->region);
  *out = b;
  return 0;
}

static void new_version_id(struct orch_sim_world *w, char out[40]) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._";
  for (int i = 0; i < 32; i++) out[i] = alphabet[orch_sim_rng_next(&w->rng) % (sizeof alphabet - 1)];
  out[32] = '\0';
}

/* Remove version `i` of `b` (the vector keeps its order). */
static void drop_version(struct orch_sim_bucket *b, size_t i) {
  struct orch_sim_s3_version *v = b->versions.items[i];
  orch_free(v->key);
  orch_free(v);
  memmove(&b->versions.items[i], &b->versions.items[i + 1], (b->versions.n - i - 1) * sizeof *b->versions.items);
  b->versions.n--;
}

/* Add a version (or a delete marker) of `key`: with a new id when versioning is Enabled, else as the key's
 * "null" version, replacing the one there was. */
static int add_version(struct orch_sim_world *w, struct orch_sim_bucket *b, const char *key, bool marker,
                       int64_t at_ms, int64_t size, const char *etag, struct orch_sim_s3_version **out) {
  bool versioned = strcmp(b->versioning, "Enabled") == 0;
  if (!versioned)
    for (size_t i = b->versions.n; i-- > 0;) {
      struct orch_sim_s3_version *v = b->versions.items[i];
      if (strcmp(v->key, key) == 0 && strcmp(v->version_id, "null") == 0) drop_version(b, i);
    }
  struct orch_sim_s3_version *v = orch_calloc(1, sizeof *v);
  if (!v || !(v->key = orch_strdup(key))) {
    orch_free(v);
    return ORCH_ENOMEM;
  }
  if (versioned) new_version_id(w, v->version_id);
  else snprintf(v->version_id, sizeof v->version_id, "null");
  v->delete_marker = marker;
  v->at_ms = at_ms;
  v->size = size;
  v->seq = ++w->s3_seq;
  snprintf(v->etag, sizeof v->etag, "%s", etag ? etag : "");
  if (orch_sim_vec_push(&b->versions, v)) {
    orch_free(v->key);
    orch_free(v);
    return ORCH_ENOMEM;
  }
  if (out) *out = v;
  return 0;
}

static void etag_of(const unsigned char *d, size_t n, char out[40]) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  char hex[33] = "";
  if (EVP_Digest(n ? d : (const unsigned char *)"", n, md, &len, EVP_md5(), NULL))
    for (unsigned i = 0; i < len && i < 16; i++) snprintf(hex + 2 * i, 3, "%02x", md[i]);
  snprintf(out, 40, "\"%s\"", hex);
}

/* ---- PutObject, HeadBucket, GetBucketLocation ---- */

static int s3_put_object(struct orch_sim_call *c, const json_t *in, json_t **out, struct orch_aws_error *aerr) {
  struct orch_sim_bucket *b = NULL;
  int rc = call_bucket(c, in, aerr, &b);
  if (rc) return rc;
  const char *key = orch_sim_str(in, "Key"), *body64 = orch_sim_str(in, "Body"), *md5 = orch_sim_str(in, "ContentMD5");
  if (!key || !*key || strlen(key) > 1024)
    return orch_sim_fail(aerr, 400, "KeyTooLongError", "Your key is too long");
  size_t n = 0;
  unsigned char *body = unb64(body64 ? body64 : "", &n);
  if (!body) return orch_sim_fail(aerr, 400, "InvalidArgument", "The request body could not be read");
  char sum[64], etag[40];
  if (md5 && (checksum_of("md5", body, n, sum) || strcmp(sum, md5) != 0)) {
    orch_free(body);
    return orch_sim_fail(aerr, 400, "BadDigest", "The Content-MD5 you specified did not match what we received.");
  }
  etag_of(body, n, etag);
  orch_free(body);
  struct orch_sim_s3_version *v = NULL;
  if (add_version(c->w, b, key, false, c->now, (int64_t)n, etag, &v)) return internal(aerr);
  *out = json_pack("{s:s}", "ETag", etag);
  if (*out && strcmp(b->versioning, "Enabled") == 0) json_object_set_new(*out, "VersionId", json_string(v->version_id));
  return *out ? 0 : internal(aerr);
}

static int s3_head_bucket(struct orch_sim_call *c, const json_t *in, json_t **out, struct orch_aws_error *aerr) {
  struct orch_sim_bucket *b = NULL;
  int rc = call_bucket(c, in, aerr, &b);
  if (rc) return rc;
  *out = json_object();
  return *out ? 0 : internal(aerr);
}

static int s3_get_bucket_location(struct orch_sim_call *c, const json_t *in, json_t **out, struct orch_aws_error *aerr) {
  struct orch_sim_env *env = NULL;
  struct orch_sim_bucket *b = orch_sim_s3_find_bucket(c->w, orch_sim_str(in, "Bucket"), &env);
  if (!b) return orch_sim_fail(aerr, 404, "NoSuchBucket", "The specified bucket does not exist");
  if (env->account != c->env->account) return orch_sim_fail(aerr, 403, "AccessDenied", "Access Denied");
  /* Any region may ask; us-east-1 buckets answer an empty constraint. */
  *out = strcmp(env->region, "us-east-1") == 0 ? json_object() : json_pack("{s:s}", "LocationConstraint", env->region);
  return *out ? 0 : internal(aerr);
}

/* ---- ListObjectVersions ---- */

static int version_cmp(const void *a, const void *b) {
  const struct orch_sim_s3_version *x = *(struct orch_sim_s3_version *const *)a, *y = *(struct orch_sim_s3_version *const *)b;
  int k = strcmp(x->key, y->key);
  if (k) return k;
  return x->seq < y->seq ? 1 : x->seq > y->seq ? -1 : 0; /* newest first */
}

static json_t *owner_json(const struct orch_sim_call *c) {
  char id[ORCH_SIGV4_SIG_HEX + 1];
  const char *acct = c->w->accounts[c->env->account].id;
  orch_sigv4_sha256_hex(id, acct, strlen(acct));
  return json_pack("{s:s, s:s}", "DisplayName", "drsorch-sim", "ID", id);
}

static json_t *encoded(const char *s, bool url) {
  if (!url) return json_string(s);
  struct orch_buf b = ORCH_BUF_INIT(0);
  json_t *j = orch_str_uri_encode(&b, s, strlen(s), false) ? NULL : json_string(orch_buf_cstr(&b));
  orch_buf_free(&b);
  return j;
}

static int s3_list_object_versions(struct orch_sim_call *c, const json_t *in, json_t **out, struct orch_aws_error *aerr) {
  struct orch_sim_bucket *b = NULL;
  int rc = call_bucket(c, in, aerr, &b);
  if (rc) return rc;
  const char *prefix = orch_sim_str(in, "Prefix"), *kmark = orch_sim_str(in, "KeyMarker");
  const char *vmark = orch_sim_str(in, "VersionIdMarker"), *enc = orch_sim_str(in, "EncodingType");
  json_t *mk = json_object_get(in, "MaxKeys");
  long long max = json_is_integer(mk) ? json_integer_value(mk) : S3_MAX_KEYS;
  if (max < 0) return orch_sim_fail(aerr, 400, "InvalidArgument", "Argument max-keys must be an integer between 0 and 2147483647");
  if (max > S3_MAX_KEYS) max = S3_MAX_KEYS;
  if (orch_sim_str(in, "Delimiter"))
    return orch_sim_fail(aerr, 501, "NotImplemented", "The simulator does not group keys by a delimiter");
  if (vmark && *vmark && (!kmark || !*kmark))
    return orch_sim_fail(aerr, 400, "InvalidArgument", "A version-id marker cannot be specified without a key marker.");
  bool url = enc && strcmp(enc, "url") == 0;
  if (enc && !url) return orch_sim_fail(aerr, 400, "InvalidArgument", "Invalid Encoding Method specified in Request");
  struct orch_sim_s3_version **sorted = orch_malloc((b->versions.n ? b->versions.n : 1) * sizeof *sorted);
  json_t *versions = json_array(), *markers = json_array();
  json_t *res = json_pack("{s:o, s:o, s:s, s:I, s:b}", "Versions", versions, "DeleteMarkers", markers, "Name", b->name,
                          "MaxKeys", (json_int_t)max, "IsTruncated", false);
  if (!sorted || !res) goto fail;
  size_t n = 0;
  for (size_t i = 0; i < b->versions.n; i++) {
    struct orch_sim_s3_version *v = b->versions.items[i];
    if (!prefix || orch_str_starts_with(v->key, prefix)) sorted[n++] = v;
  }
  qsort(sorted, n, sizeof *sorted, version_cmp);
  bool past = !kmark || !*kmark, past_version = false;
  long long taken = 0;
  const struct orch_sim_s3_version *last = NULL;
  for (size_t i = 0; i < n; i++) {
    const struct orch_sim_s3_version *v = sorted[i];
    bool latest = i == 0 || strcmp(sorted[i - 1]->key, v->key) != 0;
    if (!past) {
      int k = strcmp(v->key, kmark);
      if (k < 0) continue;
      if (k == 0 && (!vmark || !*vmark)) continue; /* a key marker alone: after all of that key's versions */
      if (k == 0 && !past_version) {               /* with a version marker: after that version of the key */
        past_version = strcmp(v->version_id, vmark) == 0;
        continue;
      }
      if (k > 0) past = true;
    }
    if (taken == max) {
      json_object_set_new(res, "IsTruncated", json_true());
      if (last) {
        json_object_set_new(res, "NextKeyMarker", encoded(last->key, url));
        json_object_set_new(res, "NextVersionIdMarker", json_string(last->version_id));
      }
      break;
    }
    json_t *item = v->delete_marker
                       ? json_pack("{s:o, s:o, s:s, s:b, s:o}", "Owner", owner_json(c), "Key", encoded(v->key, url),
                                   "VersionId", v->version_id, "IsLatest", latest, "LastModified", orch_sim_time_json(v->at_ms))
                       : json_pack("{s:s, s:I, s:s, s:o, s:s, s:b, s:o, s:o}", "ETag", v->etag, "Size", (json_int_t)v->size,
                                   "StorageClass", "STANDARD", "Key", encoded(v->key, url), "VersionId", v->version_id,
                                   "IsLatest", latest, "LastModified", orch_sim_time_json(v->at_ms), "Owner", owner_json(c));
    if (!item || json_array_append_new(v->delete_marker ? markers : versions, item)) goto fail;
    taken++;
    last = v;
  }
  if (prefix) json_object_set_new(res, "Prefix", encoded(prefix, url));
  if (kmark) json_object_set_new(res, "KeyMarker", encoded(kmark, url));
  if (vmark) json_object_set_new(res, "VersionIdMarker", json_string(vmark));
  if (url) json_object_set_new(res, "EncodingType", json_string("url"));
  orch_free(sorted);
  *out = res;
  return 0;
fail:
  orch_free(sorted);
  json_decref(res);
  return internal(aerr);
}

/* ---- DeleteObjects ---- */

/* Delete one key (a version of it, or, without one, the key: a delete marker when versioning is on). */
static json_t *delete_one(struct orch_sim_call *c, struct orch_sim_bucket *b, const char *key, const char *vid) {
  if (vid && *vid) {
    for (size_t i = 0; i < b->versions.n; i++) {
      struct orch_sim_s3_version *v = b->versions.items[i];
      if (strcmp(v->key, key) != 0 || strcmp(v->version_id, vid) != 0) continue;
      bool marker = v->delete_marker;
      drop_version(b, i);
      return marker ? json_pack("{s:s, s:s, s:b, s:s}", "Key", key, "VersionId", vid, "DeleteMarker", true,
                                "DeleteMarkerVersionId", vid)
                    : json_pack("{s:s, s:s}", "Key", key, "VersionId", vid);
    }
    return json_pack("{s:s, s:s}", "Key", key, "VersionId", vid); /* S3: deleting what is not there succeeds */
  }
  if (!b->versioning[0]) {
    for (size_t i = b->versions.n; i-- > 0;)
      if (strcmp(((struct orch_sim_s3_version *)b->versions.items[i])->key, key) == 0) drop_version(b, i);
    return json_pack("{s:s}", "Key", key);
  }
  struct orch_sim_s3_version *m = NULL;
  if (add_version(c->w, b, key, true, c->now, 0, NULL, &m)) return NULL;
  return json_pack("{s:s, s:b, s:s}", "Key", key, "DeleteMarker", true, "DeleteMarkerVersionId", m->version_id);
}

static int s3_delete_objects(struct orch_sim_call *c, const json_t *in, json_t **out, struct orch_aws_error *aerr) {
  struct orch_sim_bucket *b = NULL;
  int rc = call_bucket(c, in, aerr, &b);
  if (rc) return rc;
  const json_t *del = json_object_get(in, "Delete"), *objects = json_object_get(del, "Objects");
  bool quiet = json_is_true(json_object_get(del, "Quiet"));
  size_t n = json_array_size(objects), i;
  if (n == 0 || n > S3_MAX_DELETE)
    return orch_sim_fail(aerr, 400, "MalformedXML",
                         "The XML you provided was not well-formed or did not validate against our published schema");
  json_t *deleted = json_array(), *errors = json_array(), *res = json_pack("{s:o, s:o}", "Deleted", deleted, "Errors", errors);
  if (!res) return internal(aerr);
  json_t *o;
  json_array_foreach(orch_sim_json_mut(objects), i, o) {
    const char *key = orch_sim_str(o, "Key"), *vid = orch_sim_str(o, "VersionId");
    json_t *r = key && *key ? delete_one(c, b, key, vid)
                            : json_pack("{s:s, s:s, s:s}", "Key", key ? key : "", "Code", "InvalidArgument", "Message",
                                        "Invalid key");
    if (!r) {
      json_decref(res);
      return internal(aerr);
    }
    bool failed = json_object_get(r, "Code") != NULL;
    if (failed) json_array_append_new(errors, r);
    else if (!quiet) json_array_append_new(deleted, r);
    else json_decref(r);
  }
  if (json_array_size(deleted) == 0) json_object_del(res, "Deleted");
  if (json_array_size(errors) == 0) json_object_del(res, "Errors");
  *out = res;
  return 0;
}

const struct orch_sim_op orch_sim_s3_ops[] = {
    {"ListObjectVersions", s3_list_object_versions}, {"DeleteObjects", s3_delete_objects},
    {"PutObject", s3_put_object},                    {"HeadBucket", s3_head_bucket},
    {"GetBucketLocation", s3_get_bucket_location},   {NULL, NULL},
};

/* ---- scenario ---- */

/* "objects": [{"key", "size"?, "versions"? (1), "deleted"? (a delete marker on top)}], or a group with "count"
 * and "{n}" in the key. */
static int scenario_objects(struct orch_sim_world *w, struct orch_sim_bucket *b, const json_t *arr, const char *path,
                            size_t *total, struct orch_error *err) {
  static const char *const keys[] = {"key", "size", "versions", "deleted", "count", NULL};
  size_t i;
  json_t *o;
  char p[ORCH_JSON_PATH_MAX];
  int rc;
  json_array_foreach(orch_sim_json_mut(arr), i, o) {
    const char *key = NULL;
    long long size = 0, versions = 1, count = 0;
    bool deleted = false;
    orch_json_path_index(p, path, i);
    if ((rc = orch_json_expect(o, p, JSON_OBJECT, err)) || (rc = orch_json_check_keys(o, p, keys, err)) ||
        (rc = orch_json_get_str(o, p, "key", true, &key, err)) ||
        (rc = orch_json_get_int(o, p, "size", false, 0, 5LL << 40, &size, err)) ||
        (rc = orch_json_get_int(o, p, "versions", false, 1, 100, &versions, err)) ||
        (rc = orch_json_get_int(o, p, "count", false, 1, S3_MAX_SCENARIO_OBJECTS, &count, err)) ||
        (rc = orch_json_get_bool(o, p, "deleted", false, &deleted, err)))
      return rc;
    if (versions > 1 && strcmp(b->versioning, "Enabled") != 0)
      return orch_error_setc(err, ORCH_EVALIDATION, p, "several versions need \"versioning\": \"Enabled\"");
    if (count && !strstr(key, "{n}")) return orch_error_setc(err, ORCH_EVALIDATION, p, "a group's key needs {n}");
    for (long long k = 1; k <= (count ? count : 1); k++) {
      struct orch_buf name = ORCH_BUF_INIT(2048);
      const char *at = strstr(key, "{n}");
      rc = at ? orch_buf_printf(&name, "%.*s%lld%s", (int)(at - key), key, k, at + 3) : orch_buf_puts(&name, key);
      for (long long v = 0; !rc && v < versions; v++) rc = add_version(w, b, orch_buf_cstr(&name), false, w->start_ms, size, "\"d41d8cd98f00b204e9800998ecf8427e\"", NULL);
      if (!rc && deleted) rc = add_version(w, b, orch_buf_cstr(&name), true, w->start_ms, 0, NULL, NULL);
      orch_buf_free(&name);
      if (rc) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
      if ((*total += (size_t)versions) > S3_MAX_SCENARIO_OBJECTS)
        return orch_error_setc(err, ORCH_ETOOBIG, p, "more than %d object versions", S3_MAX_SCENARIO_OBJECTS);
    }
  }
  return 0;
}

int orch_sim_s3_scenario(struct orch_sim_world *w, struct orch_sim_env *env, const json_t *r, const char *path,
                         struct orch_error *err) {
  static const char *const keys[] = {"name", "versioning", "objects", NULL};
  json_t *buckets = NULL, *bj;
  char bp[ORCH_JSON_PATH_MAX], p[ORCH_JSON_PATH_MAX], op[ORCH_JSON_PATH_MAX];
  size_t i, total = 0;
  int rc = orch_json_get_array(r, path, "buckets", false, &buckets, err);
  if (rc || !buckets) return rc;
  orch_json_path_key(bp, path, "buckets");
  json_array_foreach(buckets, i, bj) {
    const char *name = NULL, *versioning = NULL;
    json_t *objects = NULL;
    orch_json_path_index(p, bp, i);
    if ((rc = orch_json_expect(bj, p, JSON_OBJECT, err)) || (rc = orch_json_check_keys(bj, p, keys, err)) ||
        (rc = orch_json_get_str(bj, p, "name", true, &name, err)) ||
        (rc = orch_json_get_str(bj, p, "versioning", false, &versioning, err)) ||
        (rc = orch_json_get_array(bj, p, "objects", false, &objects, err)))
      return rc;
    orch_json_path_key(op, p, "name");
    if (strlen(name) < 3 || strlen(name) > 63 || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789.-") != strlen(name))
      return orch_error_setc(err, ORCH_EVALIDATION, op, "a bucket name is 3-63 of a-z, 0-9, '.', '-', not '%s'", name);
    if (orch_sim_s3_find_bucket(w, name, NULL))
      return orch_error_setc(err, ORCH_EEXIST, op, "bucket %s is listed twice (bucket names are global)", name);
    if (versioning && strcmp(versioning, "Enabled") && strcmp(versioning, "Suspended")) {
      orch_json_path_key(op, p, "versioning");
      return orch_error_setc(err, ORCH_EVALIDATION, op, "must be Enabled or Suspended, not '%s'", versioning);
    }
    struct orch_sim_bucket *b = orch_calloc(1, sizeof *b);
    if (!b) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
    snprintf(b->name, sizeof b->name, "%s", name);
    snprintf(b->versioning, sizeof b->versioning, "%s", versioning ? versioning : "");
    b->created_ms = w->start_ms;
    if (orch_sim_vec_push(&env->buckets, b)) {
      orch_free(b);
      return orch_error_set(err, ORCH_ENOMEM, "out of memory");
    }
    orch_json_path_key(op, p, "objects");
    if (objects && (rc = scenario_objects(w, b, objects, op, &total, err))) return rc;
  }
  return 0;
}
