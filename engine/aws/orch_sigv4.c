/* orch_sigv4: SigV4 signing over the canonical-request builder (verification, which uses the same builder,
 * is orch_sigv4_verify.c), and the signing-key cache. Uses OpenSSL's EVP SHA-256 (HMAC is built on it
 * directly, so the hot path does no algorithm fetches), orch_buf, orch_str, orch_time, pthreads (cache lock). */
#include "aws/orch_sigv4.h"
#include "aws/orch_sigv4_int.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/orch_alloc.h"
#include "core/orch_str.h"
#include "core/orch_time.h"

#define SV_MAX_QUERY_PARAMS 1024
#define SV_CACHE_SLOTS 16
#define SV_SECRET_MAX 128

/* ---- SHA-256 and HMAC ------------------------------------------------------------------------- */

static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static EVP_MD *md_fetched;

static void md_init(void) { md_fetched = EVP_MD_fetch(NULL, "SHA256", NULL); }

static const EVP_MD *sha256_md(void) {
  pthread_once(&md_once, md_init);
  return md_fetched ? md_fetched : EVP_sha256();
}

int orch_sigv4_sha256(const void *data, size_t n, unsigned char out[32]) {
  unsigned int len = 0;
  if (!EVP_Digest(data, n, out, &len, sha256_md(), NULL) || len != 32) return ORCH_EINTERNAL;
  return 0;
}

void orch_sigv4_sha256_hex(char out[ORCH_SIGV4_SIG_HEX + 1], const void *data, size_t n) {
  unsigned char d[32];
  if (orch_sigv4_sha256(data ? data : "", n, d)) {
    out[0] = '\0';
    return;
  }
  orch_str_hex(out, d, 32);
}

/* HMAC-SHA256 (RFC 2104) on a caller-supplied digest context. */
static int hmac_sha256(EVP_MD_CTX *ctx, const void *key, size_t klen, const void *msg, size_t mlen,
                       unsigned char out[32]) {
  unsigned char k[64] = {0}, pad[64], inner[32];
  unsigned int len = 0;
  int rc = ORCH_EINTERNAL;
  const EVP_MD *md = sha256_md();
  if (klen > sizeof k) {
    if (orch_sigv4_sha256(key, klen, k)) goto out;
  } else {
    memcpy(k, key, klen);
  }
  for (size_t i = 0; i < 64; i++) pad[i] = (unsigned char)(k[i] ^ 0x36);
  if (!EVP_DigestInit_ex(ctx, md, NULL) || !EVP_DigestUpdate(ctx, pad, 64) || !EVP_DigestUpdate(ctx, msg, mlen) ||
      !EVP_DigestFinal_ex(ctx, inner, &len))
    goto out;
  for (size_t i = 0; i < 64; i++) pad[i] = (unsigned char)(k[i] ^ 0x5c);
  if (!EVP_DigestInit_ex(ctx, md, NULL) || !EVP_DigestUpdate(ctx, pad, 64) || !EVP_DigestUpdate(ctx, inner, 32) ||
      !EVP_DigestFinal_ex(ctx, out, &len))
    goto out;
  rc = 0;
out:
  OPENSSL_cleanse(k, sizeof k);
  OPENSSL_cleanse(pad, sizeof pad);
  return rc;
}

static int derive_key(EVP_MD_CTX *ctx, const char *secret, const char *date, const char *region,
                      const char *service, unsigned char key[32]) {
  struct orch_buf k = ORCH_BUF_INIT(0);
  unsigned char a[32], b[32];
  int rc = orch_buf_puts(&k, "AWS4");
  if (!rc) rc = orch_buf_puts(&k, secret);
  if (!rc) rc = hmac_sha256(ctx, k.data, k.len, date, strlen(date), a);
  if (!rc) rc = hmac_sha256(ctx, a, 32, region, strlen(region), b);
  if (!rc) rc = hmac_sha256(ctx, b, 32, service, strlen(service), a);
  if (!rc) rc = hmac_sha256(ctx, a, 32, "aws4_request", 12, key);
  if (k.data) OPENSSL_cleanse(k.data, k.len);
  orch_buf_free(&k);
  OPENSSL_cleanse(a, sizeof a);
  OPENSSL_cleanse(b, sizeof b);
  return rc;
}

/* ---- signing-key cache ------------------------------------------------------------------------ */

struct sv_slot {
  bool used;
  uint64_t stamp;
  char secret[SV_SECRET_MAX + 1];
  char date[9];
  char region[64];
  char service[64];
  unsigned char key[32];
};

struct orch_sigv4_cache {
  pthread_mutex_t mu;
  uint64_t tick, hits, misses;
  struct sv_slot slots[SV_CACHE_SLOTS];
};

int orch_sigv4_cache_new(struct orch_sigv4_cache **out) {
  struct orch_sigv4_cache *c = orch_calloc(1, sizeof *c);
  if (!c) return ORCH_ENOMEM;
  if (pthread_mutex_init(&c->mu, NULL)) {
    orch_free(c);
    return ORCH_EINTERNAL;
  }
  *out = c;
  return 0;
}

void orch_sigv4_cache_free(struct orch_sigv4_cache *cache) {
  if (!cache) return;
  pthread_mutex_destroy(&cache->mu);
  OPENSSL_cleanse(cache, sizeof *cache);
  orch_free(cache);
}

void orch_sigv4_cache_stats(struct orch_sigv4_cache *cache, uint64_t *hits, uint64_t *misses) {
  pthread_mutex_lock(&cache->mu);
  if (hits) *hits = cache->hits;
  if (misses) *misses = cache->misses;
  pthread_mutex_unlock(&cache->mu);
}

static bool slot_matches(const struct sv_slot *s, const char *secret, const char *date, const char *region,
                         const char *service) {
  return s->used && strcmp(s->date, date) == 0 && strcmp(s->region, region) == 0 &&
         strcmp(s->service, service) == 0 && strcmp(s->secret, secret) == 0;
}

/* The signing key for (secret, date, region, service), from the cache when there is one. */
static int signing_key(struct orch_sigv4_cache *c, EVP_MD_CTX *ctx, const char *secret, const char *date,
                       const char *region, const char *service, unsigned char key[32]) {
  bool cacheable = c && strlen(secret) <= SV_SECRET_MAX && strlen(region) < 64 && strlen(service) < 64;
  if (cacheable) {
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < SV_CACHE_SLOTS; i++) {
      struct sv_slot *s = &c->slots[i];
      if (slot_matches(s, secret, date, region, service)) {
        memcpy(key, s->key, 32);
        s->stamp = ++c->tick;
        c->hits++;
        pthread_mutex_unlock(&c->mu);
        return 0;
      }
    }
    c->misses++;
    pthread_mutex_unlock(&c->mu);
  }
  int rc = derive_key(ctx, secret, date, region, service, key);
  if (rc || !cacheable) return rc;
  pthread_mutex_lock(&c->mu);
  struct sv_slot *victim = &c->slots[0];
  for (size_t i = 0; i < SV_CACHE_SLOTS; i++) {
    struct sv_slot *s = &c->slots[i];
    if (!s->used) {
      victim = s;
      break;
    }
    if (s->stamp < victim->stamp) victim = s;
  }
  OPENSSL_cleanse(victim, sizeof *victim);
  victim->used = true;
  victim->stamp = ++c->tick;
  memcpy(victim->secret, secret, strlen(secret) + 1);
  memcpy(victim->date, date, 9);
  memcpy(victim->region, region, strlen(region) + 1);
  memcpy(victim->service, service, strlen(service) + 1);
  memcpy(victim->key, key, 32);
  pthread_mutex_unlock(&c->mu);
  return 0;
}

/* ---- canonical request ------------------------------------------------------------------------ */

static bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* The canonical URI: dot segments and empty segments removed (unless raw), then each byte outside the
 * unreserved set percent-encoded (so an already-encoded wire path is encoded twice, as AWS expects for
 * every service but S3). */
static int canonical_uri(struct orch_buf *out, const char *path, bool raw) {
  if (!path || !*path) return orch_buf_putc(out, '/');
  if (raw) return orch_str_uri_encode(out, path, strlen(path), true);
  size_t n = strlen(path);
  struct orch_strview stack[SV_STACK_ITEMS], *segs = stack;
  size_t nseg = 0, cap = SV_STACK_ITEMS;
  int rc = 0;
  bool trailing = false;
  for (size_t i = 0; i < n;) {
    while (i < n && path[i] == '/') i++;
    size_t start = i;
    while (i < n && path[i] != '/') i++;
    size_t len = i - start;
    if (len == 0) {
      trailing = true;
      continue;
    }
    bool last = i >= n;
    trailing = false;
    if (len == 1 && path[start] == '.') {
      trailing = last;
      continue;
    }
    if (len == 2 && path[start] == '.' && path[start + 1] == '.') {
      if (nseg) nseg--;
      trailing = last;
      continue;
    }
    if (nseg == cap) {
      size_t ncap = cap * 2;
      struct orch_strview *grown = orch_malloc(ncap * sizeof *grown);
      if (!grown) {
        rc = ORCH_ENOMEM;
        goto out;
      }
      memcpy(grown, segs, nseg * sizeof *segs);
      if (segs != stack) orch_free(segs);
      segs = grown;
      cap = ncap;
    }
    segs[nseg].p = path + start;
    segs[nseg].n = len;
    nseg++;
  }
  for (size_t i = 0; i < nseg && !rc; i++) {
    rc = orch_buf_putc(out, '/');
    if (!rc) rc = orch_str_uri_encode(out, segs[i].p, segs[i].n, false);
  }
  if (!rc && (nseg == 0 || trailing)) rc = orch_buf_putc(out, '/');
out:
  if (segs != stack) orch_free(segs);
  return rc;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Normalise one query component: decode valid %XX escapes and re-encode, so a raw and an encoded
 * spelling of the same byte come out the same ('+' stays a literal plus). */
static int encode_component(struct orch_buf *out, const char *s, size_t n) {
  static const char hex[] = "0123456789ABCDEF";
  int rc = orch_buf_reserve(out, n);
  for (size_t i = 0; i < n && !rc; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
      c = (unsigned char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
      i += 2;
    }
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      rc = orch_buf_putc(out, (char)c);
    } else {
      char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
      rc = orch_buf_append(out, esc, 3);
    }
  }
  return rc;
}

struct sv_param {
  size_t koff, klen, voff, vlen;
};

struct sv_query {
  struct orch_buf scratch; /* every encoded key and value */
  struct sv_param stack[SV_STACK_ITEMS], *items;
  size_t n, cap;
};

static bool skipped(const char *const *skip, const char *k, size_t klen) {
  for (; skip && *skip; skip++)
    if (klen == strlen(*skip) && memcmp(k, *skip, klen) == 0) return true;
  return false;
}

static int query_add_source(struct sv_query *q, const char *s, const char *const *skip) {
  if (!s) return 0;
  size_t len = strlen(s);
  int rc = 0;
  for (size_t i = 0; i < len && !rc;) {
    size_t start = i;
    while (i < len && s[i] != '&') i++;
    size_t end = i++;
    if (end == start) continue;
    const char *eq = memchr(s + start, '=', end - start);
    size_t klen = eq ? (size_t)(eq - (s + start)) : end - start;
    if (skipped(skip, s + start, klen)) continue;
    if (q->n == q->cap) {
      if (q->cap >= SV_MAX_QUERY_PARAMS) return ORCH_ETOOBIG;
      size_t ncap = q->cap * 2;
      struct sv_param *grown = orch_malloc(ncap * sizeof *grown);
      if (!grown) return ORCH_ENOMEM;
      memcpy(grown, q->items, q->n * sizeof *grown);
      if (q->items != q->stack) orch_free(q->items);
      q->items = grown;
      q->cap = ncap;
    }
    struct sv_param *p = &q->items[q->n];
    p->koff = q->scratch.len;
    rc = encode_component(&q->scratch, s + start, klen);
    p->klen = q->scratch.len - p->koff;
    p->voff = q->scratch.len;
    if (!rc && eq) rc = encode_component(&q->scratch, eq + 1, end - start - klen - 1);
    p->vlen = q->scratch.len - p->voff;
    q->n++;
  }
  return rc;
}

static int param_cmp_base(const char *base, const struct sv_param *a, const struct sv_param *b) {
  size_t m = a->klen < b->klen ? a->klen : b->klen;
  int c = memcmp(base + a->koff, base + b->koff, m);
  if (c) return c;
  if (a->klen != b->klen) return a->klen < b->klen ? -1 : 1;
  m = a->vlen < b->vlen ? a->vlen : b->vlen;
  c = memcmp(base + a->voff, base + b->voff, m);
  if (c) return c;
  return a->vlen < b->vlen ? -1 : a->vlen > b->vlen;
}

/* Insertion sort: query strings are short, and it keeps the comparison base out of globals. */
static void query_sort(struct sv_query *q) {
  const char *base = q->scratch.data;
  for (size_t i = 1; i < q->n; i++) {
    struct sv_param x = q->items[i];
    size_t j = i;
    while (j > 0 && param_cmp_base(base, &q->items[j - 1], &x) > 0) {
      q->items[j] = q->items[j - 1];
      j--;
    }
    q->items[j] = x;
  }
}

/* The canonical query string of `raw` plus `extra` (both encoded query strings; NULL for none), leaving
 * out the parameters named in `skip` (NULL-terminated; NULL for none). */
static int canonical_query(struct orch_buf *out, const char *raw, const char *extra, const char *const *skip) {
  struct sv_query q = {.scratch = ORCH_BUF_INIT(0), .n = 0, .cap = SV_STACK_ITEMS};
  q.items = q.stack;
  int rc = query_add_source(&q, raw, skip);
  if (!rc) rc = query_add_source(&q, extra, skip);
  if (!rc && q.scratch.err) rc = q.scratch.err;
  if (!rc) query_sort(&q);
  for (size_t i = 0; i < q.n && !rc; i++) {
    const struct sv_param *p = &q.items[i];
    if (i) rc = orch_buf_putc(out, '&');
    if (!rc) rc = orch_buf_append(out, q.scratch.data + p->koff, p->klen);
    if (!rc) rc = orch_buf_putc(out, '=');
    if (!rc) rc = orch_buf_append(out, q.scratch.data + p->voff, p->vlen);
  }
  if (q.items != q.stack) orch_free(q.items);
  orch_buf_free(&q.scratch);
  return rc;
}

static int hdr_cmp(const void *pa, const void *pb) {
  const struct sv_hdr *a = pa, *b = pb;
  int c = strcasecmp(a->name, b->name);
  if (c) return c;
  return a->order < b->order ? -1 : a->order > b->order;
}

static int put_lower(struct orch_buf *out, const char *s) {
  size_t n = strlen(s);
  int rc = orch_buf_reserve(out, n);
  for (size_t i = 0; i < n && !rc; i++) {
    char c = s[i];
    rc = orch_buf_putc(out, (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c);
  }
  return rc;
}

/* A header value trimmed, with each run of whitespace (folded lines included) made one space. */
static int put_value(struct orch_buf *out, const char *v) {
  size_t n = strlen(v), i = 0;
  while (n && is_ws(v[n - 1])) n--;
  while (i < n && is_ws(v[i])) i++;
  int rc = orch_buf_reserve(out, n - i);
  while (i < n && !rc) {
    if (is_ws(v[i])) {
      while (i < n && is_ws(v[i])) i++;
      rc = orch_buf_putc(out, ' ');
    } else {
      rc = orch_buf_putc(out, v[i++]);
    }
  }
  return rc;
}

/* Sorted headers -> "name:v1,v2\n" lines into `canon` and "a;b;c" into `signed_list`. */
static int canonical_headers(struct sv_hdr *h, size_t n, struct orch_buf *canon, struct orch_buf *signed_list) {
  qsort(h, n, sizeof *h, hdr_cmp);
  int rc = 0;
  for (size_t i = 0; i < n && !rc; i++) {
    bool same = i > 0 && strcasecmp(h[i - 1].name, h[i].name) == 0;
    if (same) {
      rc = orch_buf_putc(canon, ',');
    } else {
      if (i) rc = orch_buf_putc(canon, '\n');
      if (!rc) rc = put_lower(canon, h[i].name);
      if (!rc) rc = orch_buf_putc(canon, ':');
      if (!rc && signed_list->len) rc = orch_buf_putc(signed_list, ';');
      if (!rc) rc = put_lower(signed_list, h[i].name);
    }
    if (!rc) rc = put_value(canon, h[i].value);
  }
  if (!rc && n) rc = orch_buf_putc(canon, '\n');
  return rc;
}

/* Headers a signer leaves alone: hop-by-hop ones, and those proxies and SDK layers rewrite. */
static bool never_signed(const char *name) {
  static const char *const skip[] = {"authorization", "user-agent", "expect", "x-amzn-trace-id",
                                     "connection", "transfer-encoding", "keep-alive", "proxy-authorization"};
  for (size_t i = 0; i < sizeof skip / sizeof skip[0]; i++)
    if (strcasecmp(name, skip[i]) == 0) return true;
  return false;
}

/* canonical request -> `cr`; the signed-header list -> `signed_list`. */
int orch_sigv4_build_canonical(const struct sv_canon *c, struct orch_buf *cr, struct orch_buf *signed_list) {
  struct orch_buf canon_hdrs = ORCH_BUF_INIT(0);
  int rc = canonical_headers(c->hdrs, c->nhdrs, &canon_hdrs, signed_list);
  if (!rc) rc = orch_buf_puts(cr, c->method);
  if (!rc) rc = orch_buf_putc(cr, '\n');
  if (!rc) rc = c->single_encode ? orch_buf_puts(cr, c->path && *c->path ? c->path : "/")
                                 : canonical_uri(cr, c->path, c->raw_path);
  if (!rc) rc = orch_buf_putc(cr, '\n');
  if (!rc) rc = canonical_query(cr, c->query, c->extra_query, c->skip_params);
  if (!rc) rc = orch_buf_putc(cr, '\n');
  if (!rc) rc = orch_buf_append(cr, canon_hdrs.data ? canon_hdrs.data : "", canon_hdrs.len);
  if (!rc) rc = orch_buf_putc(cr, '\n');
  if (!rc) rc = orch_buf_append(cr, signed_list->data ? signed_list->data : "", signed_list->len);
  if (!rc) rc = orch_buf_putc(cr, '\n');
  if (!rc) rc = orch_buf_puts(cr, c->payload_hash);
  orch_buf_free(&canon_hdrs);
  return rc;
}

/* "AWS4-HMAC-SHA256\n<amzdate>\n<scope>\n<hex(orch_sigv4_sha256(cr))>" -> sts; signature hex -> sig. */
int orch_sigv4_compute_signature(EVP_MD_CTX *ctx, struct orch_sigv4_cache *cache, const char *secret,
                                 const char *amzdate, const char *date, const char *region, const char *service,
                                 const struct orch_buf *cr, struct orch_buf *sts, char sig[ORCH_SIGV4_SIG_HEX + 1]) {
  char crhash[ORCH_SIGV4_SIG_HEX + 1];
  unsigned char key[32], mac[32];
  orch_sigv4_sha256_hex(crhash, cr->data ? cr->data : "", cr->len);
  if (!crhash[0]) return ORCH_EINTERNAL;
  int rc = orch_buf_printf(sts, ORCH_SIGV4_ALGORITHM "\n%s\n%s/%s/%s/aws4_request\n%s", amzdate, date, region,
                           service, crhash);
  if (!rc) rc = signing_key(cache, ctx, secret, date, region, service, key);
  if (!rc) rc = hmac_sha256(ctx, key, 32, sts->data, sts->len, mac);
  if (!rc) orch_str_hex(sig, mac, 32);
  OPENSSL_cleanse(key, sizeof key);
  return rc;
}

/* ---- signing ---------------------------------------------------------------------------------- */

int orch_sigv4_payload_hash(const struct orch_buf *body, bool unsigned_payload, char out[ORCH_SIGV4_SIG_HEX + 1]) {
  if (unsigned_payload) {
    memcpy(out, ORCH_SIGV4_UNSIGNED_PAYLOAD, sizeof ORCH_SIGV4_UNSIGNED_PAYLOAD);
    return 0;
  }
  orch_sigv4_sha256_hex(out, body->data ? body->data : "", body->len);
  return out[0] ? 0 : ORCH_EINTERNAL;
}

static int collect_for_signing(const struct orch_http_request *req, bool skip_token, struct sv_hdr **out,
                               struct sv_hdr *stack, size_t *n) {
  struct sv_hdr *h = req->headers.n <= SV_STACK_ITEMS ? stack : orch_malloc(req->headers.n * sizeof *h);
  if (!h) return ORCH_ENOMEM;
  size_t k = 0;
  for (size_t i = 0; i < req->headers.n; i++) {
    const struct orch_http_header *x = &req->headers.items[i];
    if (never_signed(x->name)) continue;
    if (skip_token && strcasecmp(x->name, "x-amz-security-token") == 0) continue;
    h[k].name = x->name;
    h[k].value = x->value;
    h[k].order = i;
    k++;
  }
  *out = h;
  *n = k;
  return 0;
}

static int add_query_param(struct orch_buf *q, const char *key, const char *value) {
  int rc = q->len ? orch_buf_putc(q, '&') : 0;
  if (!rc) rc = orch_buf_puts(q, key);
  if (!rc) rc = orch_buf_putc(q, '=');
  if (!rc) rc = orch_str_uri_encode(q, value, strlen(value), false);
  return rc;
}

int orch_sigv4_sign(struct orch_http_request *req, const struct orch_sigv4_params *p,
                    struct orch_sigv4_trace *trace, struct orch_error *err) {
  struct orch_buf cr = ORCH_BUF_INIT(0), sts = ORCH_BUF_INIT(0), signed_list = ORCH_BUF_INIT(0);
  struct orch_buf extra = ORCH_BUF_INIT(0), scratch = ORCH_BUF_INIT(0);
  struct sv_hdr stack[SV_STACK_ITEMS], *hdrs = NULL;
  size_t nhdrs = 0;
  char amzdate[ORCH_TIME_ISO_MAX], date[9], phash[ORCH_SIGV4_SIG_HEX + 1], sig[ORCH_SIGV4_SIG_HEX + 1];
  EVP_MD_CTX *ctx = NULL;
  int rc = 0;
  bool token = p->session_token && *p->session_token;

  if (!p->access_key_id || !*p->access_key_id || !p->secret_access_key || !p->region || !*p->region ||
      !p->service || !*p->service) {
    rc = orch_error_set(err, ORCH_EINVAL, "SigV4 signing needs an access key, a secret, a region and a service");
    goto out;
  }
  if (!orch_http_headers_get(&req->headers, "host")) {
    rc = orch_error_set(err, ORCH_EINVAL, "SigV4 signing needs the Host header set first");
    goto out;
  }
  ctx = EVP_MD_CTX_new();
  if (!ctx) {
    rc = orch_error_set(err, ORCH_ENOMEM, "out of memory creating a digest context");
    goto out;
  }
  orch_time_amz(amzdate, p->time_ms);
  memcpy(date, amzdate, 8);
  date[8] = '\0';
  if ((rc = orch_sigv4_payload_hash(&req->body, p->unsigned_payload, phash))) goto fail;

  struct sv_canon c = {.method = req->method, .path = req->path, .query = req->query,
                       .raw_path = p->no_normalize, .single_encode = p->single_encode, .payload_hash = phash};
  if (p->mode == ORCH_SIGV4_HEADER) {
    orch_http_headers_remove(&req->headers, "authorization");
    orch_http_headers_remove(&req->headers, "x-amz-security-token");
    orch_http_headers_remove(&req->headers, "x-amz-date");
    orch_http_headers_remove(&req->headers, "x-amz-content-sha256");
    if (token && (rc = orch_http_headers_add(&req->headers, "X-Amz-Security-Token", p->session_token))) goto fail;
    if ((rc = orch_http_headers_add(&req->headers, "X-Amz-Date", amzdate))) goto fail;
    if (p->sign_body && (rc = orch_http_headers_add(&req->headers, "x-amz-content-sha256", phash))) goto fail;
    if ((rc = collect_for_signing(req, p->omit_session_token, &hdrs, stack, &nhdrs))) goto fail;
    c.hdrs = hdrs;
    c.nhdrs = nhdrs;
    if ((rc = orch_sigv4_build_canonical(&c, &cr, &signed_list))) goto fail;
  } else {
    /* The signed-header list goes into the query, so work it out before the canonical request. */
    struct orch_buf canon_unused = ORCH_BUF_INIT(0);
    if ((rc = collect_for_signing(req, false, &hdrs, stack, &nhdrs))) goto fail;
    rc = canonical_headers(hdrs, nhdrs, &canon_unused, &signed_list);
    orch_buf_free(&canon_unused);
    if (rc) goto fail;
    int64_t expires = p->expires_s > 0 ? p->expires_s : 900;
    char expires_s[24];
    snprintf(expires_s, sizeof expires_s, "%lld", (long long)expires);
    rc = orch_buf_printf(&scratch, "%s/%s/%s/%s/aws4_request", p->access_key_id, date, p->region, p->service);
    if (!rc) rc = add_query_param(&extra, "X-Amz-Algorithm", ORCH_SIGV4_ALGORITHM);
    if (!rc) rc = add_query_param(&extra, "X-Amz-Credential", orch_buf_cstr(&scratch));
    if (!rc) rc = add_query_param(&extra, "X-Amz-Date", amzdate);
    if (!rc) rc = add_query_param(&extra, "X-Amz-SignedHeaders", orch_buf_cstr(&signed_list));
    if (!rc) rc = add_query_param(&extra, "X-Amz-Expires", expires_s);
    if (!rc && token && !p->omit_session_token) rc = add_query_param(&extra, "X-Amz-Security-Token", p->session_token);
    if (rc) goto fail;
    orch_buf_reset(&signed_list);
    c.extra_query = orch_buf_cstr(&extra);
    c.hdrs = hdrs;
    c.nhdrs = nhdrs;
    if ((rc = orch_sigv4_build_canonical(&c, &cr, &signed_list))) goto fail;
  }
  if ((rc = orch_sigv4_compute_signature(ctx, p->cache, p->secret_access_key, amzdate, date, p->region, p->service, &cr, &sts,
                              sig)))
    goto fail;

  orch_buf_reset(&scratch);
  if (p->mode == ORCH_SIGV4_HEADER) {
    rc = orch_buf_printf(&scratch, ORCH_SIGV4_ALGORITHM " Credential=%s/%s/%s/%s/aws4_request, SignedHeaders=%s, Signature=%s",
                         p->access_key_id, date, p->region, p->service, orch_buf_cstr(&signed_list), sig);
    if (!rc) rc = orch_http_headers_add(&req->headers, "Authorization", orch_buf_cstr(&scratch));
  } else {
    if (token && p->omit_session_token) rc = add_query_param(&extra, "X-Amz-Security-Token", p->session_token);
    if (!rc) rc = add_query_param(&extra, "X-Amz-Signature", sig);
    if (!rc && req->query && *req->query) rc = orch_buf_printf(&scratch, "%s&", req->query);
    if (!rc) rc = orch_buf_append(&scratch, extra.data, extra.len);
    if (!rc) rc = orch_http_request_set_target(req, req->path, orch_buf_cstr(&scratch));
  }
  if (rc) goto fail;
  if (trace) {
    rc = orch_buf_append(&trace->canonical_request, cr.data ? cr.data : "", cr.len);
    if (!rc) rc = orch_buf_append(&trace->string_to_sign, sts.data ? sts.data : "", sts.len);
    memcpy(trace->signature, sig, sizeof sig);
    if (rc) goto fail;
  }
  goto out;
fail:
  orch_error_set(err, rc, "SigV4 signing failed: %s", orch_error_str(rc));
out:
  if (hdrs != stack) orch_free(hdrs);
  EVP_MD_CTX_free(ctx);
  orch_buf_free(&cr);
  orch_buf_free(&sts);
  orch_buf_free(&signed_list);
  orch_buf_free(&extra);
  orch_buf_free(&scratch);
  return rc;
}

