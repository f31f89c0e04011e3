/* orch_sigv4_verify: SigV4 verification (header and presigned query forms) over the canonical-request builder
 * signing uses (orch_sigv4_int.h); the simulated region's front door. Uses OpenSSL EVP, orch_buf, orch_str,
 * orch_time. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/orch_sigv4.h"
#include "aws/orch_sigv4_int.h"
#include "core/orch_alloc.h"
#include "core/orch_str.h"
#include "core/orch_time.h"

/* ---- verification ----------------------------------------------------------------------------- */

#define SV_MSG_MISMATCH                                                                                  \
  "The request signature we calculated does not match the signature you provided. Check your AWS Secret " \
  "Access Key and signing method."
#define SV_MSG_BAD_TOKEN "The security token included in the request is invalid."

struct sv_auth {
  char credential[512];
  char signed_headers[1024];
  char signature[ORCH_SIGV4_SIG_HEX + 1];
  char amzdate[17];
  const char *token; /* header mode: points into the request; query mode: into token_buf */
  struct orch_buf token_buf;
  int64_t expires_s; /* query mode */
};

static int copy_view(char *dst, size_t cap, const char *p, size_t n) {
  if (n >= cap) return ORCH_ETOOBIG;
  memcpy(dst, p, n);
  dst[n] = '\0';
  return 0;
}

/* "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..." */
static int parse_authorization(const char *h, struct sv_auth *a, struct orch_error *err) {
  size_t alg = strlen(ORCH_SIGV4_ALGORITHM);
  if (strncmp(h, ORCH_SIGV4_ALGORITHM, alg) != 0 || (h[alg] != ' ' && h[alg] != '\t'))
    return orch_error_set(err, ORCH_EAUTH, "Authorization header requires the %s algorithm", ORCH_SIGV4_ALGORITHM);
  const char *s = h + alg;
  bool have_cred = false, have_sh = false, have_sig = false;
  while (*s) {
    while (*s == ' ' || *s == '\t' || *s == ',') s++;
    if (!*s) break;
    const char *end = strchr(s, ',');
    size_t n = end ? (size_t)(end - s) : strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    const char *eq = memchr(s, '=', n);
    if (!eq) return orch_error_set(err, ORCH_EAUTH, "Authorization header component without '=': %.*s", (int)(n > 64 ? 64 : n), s);
    size_t klen = (size_t)(eq - s), vlen = n - klen - 1;
    const char *v = eq + 1;
    int rc = 0;
    bool *seen = NULL;
    if (klen == 10 && memcmp(s, "Credential", 10) == 0) {
      seen = &have_cred;
      rc = copy_view(a->credential, sizeof a->credential, v, vlen);
    } else if (klen == 13 && memcmp(s, "SignedHeaders", 13) == 0) {
      seen = &have_sh;
      rc = copy_view(a->signed_headers, sizeof a->signed_headers, v, vlen);
    } else if (klen == 9 && memcmp(s, "Signature", 9) == 0) {
      seen = &have_sig;
      rc = copy_view(a->signature, sizeof a->signature, v, vlen);
    } else {
      return orch_error_set(err, ORCH_EAUTH, "Authorization header has an unknown component '%.*s'",
                            (int)(klen > 64 ? 64 : klen), s);
    }
    if (rc) return orch_error_set(err, ORCH_EAUTH, "Authorization header component '%.*s' is too long", (int)klen, s);
    if (*seen) return orch_error_set(err, ORCH_EAUTH, "Authorization header repeats '%.*s'", (int)klen, s);
    *seen = true;
    s += end ? (size_t)(end - s) : strlen(s);
  }
  if (!have_cred || !have_sh || !have_sig)
    return orch_error_set(err, ORCH_EAUTH, "Authorization header requires Credential, SignedHeaders and Signature");
  return 0;
}

/* The decoded value of query parameter `key` into `out`; 0 found, ORCH_ENOTFOUND, ORCH_EAUTH repeated. */
static int query_param(const char *query, const char *key, struct orch_buf *out) {
  size_t klen = strlen(key), len = query ? strlen(query) : 0;
  bool found = false;
  for (size_t i = 0; i < len;) {
    size_t start = i;
    while (i < len && query[i] != '&') i++;
    size_t end = i++;
    const char *eq = memchr(query + start, '=', end - start);
    size_t kl = eq ? (size_t)(eq - (query + start)) : end - start;
    if (kl != klen || memcmp(query + start, key, klen) != 0) continue;
    if (found) return ORCH_EAUTH;
    found = true;
    orch_buf_reset(out);
    if (eq && orch_str_uri_decode(out, eq + 1, end - start - kl - 1, false)) return ORCH_EAUTH;
    if (orch_buf_putc(out, '\0')) return ORCH_ENOMEM;
    orch_buf_truncate(out, out->len - 1);
  }
  return found ? 0 : ORCH_ENOTFOUND;
}

static int parse_presigned(const char *query, struct sv_auth *a, struct orch_error *err) {
  static const char *const names[] = {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-SignedHeaders",
                                      "X-Amz-Signature", "X-Amz-Date", "X-Amz-Expires"};
  struct orch_buf v = ORCH_BUF_INIT(4096);
  int rc = 0;
  for (size_t i = 0; i < sizeof names / sizeof names[0] && !rc; i++) {
    rc = query_param(query, names[i], &v);
    if (rc == ORCH_ENOTFOUND) {
      rc = orch_error_set(err, ORCH_EAUTH, "presigned request is missing the %s parameter", names[i]);
      break;
    }
    if (rc) {
      rc = orch_error_set(err, ORCH_EAUTH, "presigned request has a malformed or repeated %s parameter", names[i]);
      break;
    }
    const char *s = orch_buf_cstr(&v);
    switch (i) {
      case 0:
        if (strcmp(s, ORCH_SIGV4_ALGORITHM) != 0)
          rc = orch_error_set(err, ORCH_EAUTH, "X-Amz-Algorithm must be %s", ORCH_SIGV4_ALGORITHM);
        break;
      case 1: rc = copy_view(a->credential, sizeof a->credential, s, v.len); break;
      case 2: rc = copy_view(a->signed_headers, sizeof a->signed_headers, s, v.len); break;
      case 3: rc = copy_view(a->signature, sizeof a->signature, s, v.len); break;
      case 4: rc = copy_view(a->amzdate, sizeof a->amzdate, s, v.len); break;
      default: {
        long long e = 0;
        if (orch_str_to_ll(s, 1, 604800, &e))
          rc = orch_error_set(err, ORCH_EAUTH, "X-Amz-Expires must be a number of seconds from 1 to 604800");
        a->expires_s = e;
      }
    }
    if (rc == ORCH_ETOOBIG) rc = orch_error_set(err, ORCH_EAUTH, "%s is too long", names[i]);
  }
  if (!rc) {
    int t = query_param(query, "X-Amz-Security-Token", &a->token_buf);
    if (t == 0) a->token = orch_buf_cstr(&a->token_buf);
    else if (t != ORCH_ENOTFOUND) rc = orch_error_set(err, ORCH_EAUTH, "malformed or repeated X-Amz-Security-Token");
  }
  orch_buf_free(&v);
  return rc;
}

static bool valid_amzdate(const char *s) {
  if (strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z') return false;
  for (size_t i = 0; i < 15; i++)
    if (i != 8 && (s[i] < '0' || s[i] > '9')) return false;
  return true;
}

/* "AKID/20150830/us-east-1/service/aws4_request" into out's fields. */
static int parse_credential(const char *cred, struct orch_sigv4_verified *out, char date[9], struct orch_error *err) {
  struct orch_strview parts[6];
  size_t n = orch_str_split((struct orch_strview){cred, strlen(cred)}, '/', parts, 6);
  if (n != 5 || parts[4].n != 12 || memcmp(parts[4].p, "aws4_request", 12) != 0 || parts[1].n != 8 ||
      parts[0].n == 0 || parts[2].n == 0 || parts[3].n == 0)
    return orch_error_set(err, ORCH_EAUTH,
                          "Credential should be scoped to a valid region, not a malformed credential scope: "
                          "expected ACCESS_KEY/YYYYMMDD/REGION/SERVICE/aws4_request");
  for (size_t i = 0; i < 8; i++)
    if (parts[1].p[i] < '0' || parts[1].p[i] > '9')
      return orch_error_set(err, ORCH_EAUTH, "Credential scope date must be YYYYMMDD");
  if (copy_view(out->access_key_id, sizeof out->access_key_id, parts[0].p, parts[0].n) ||
      copy_view(out->region, sizeof out->region, parts[2].p, parts[2].n) ||
      copy_view(out->service, sizeof out->service, parts[3].p, parts[3].n))
    return orch_error_set(err, ORCH_EAUTH, "Credential scope component too long");
  memcpy(date, parts[1].p, 8);
  date[8] = '\0';
  return 0;
}

/* The request's headers named in `list` ("host;x-amz-date"), every one of which must be present. */
static int collect_signed(const struct orch_http_request *req, const char *list, struct sv_hdr **out,
                          struct sv_hdr *stack, size_t *n, struct orch_error *err) {
  struct orch_strview names[SV_MAX_SIGNED_HEADERS + 1];
  size_t nn = orch_str_split((struct orch_strview){list, strlen(list)}, ';', names, SV_MAX_SIGNED_HEADERS + 1);
  if (nn > SV_MAX_SIGNED_HEADERS) return orch_error_set(err, ORCH_EAUTH, "too many signed headers");
  bool host = false;
  for (size_t i = 0; i < nn; i++) {
    if (names[i].n == 0) return orch_error_set(err, ORCH_EAUTH, "SignedHeaders has an empty name");
    if (names[i].n == 4 && memcmp(names[i].p, "host", 4) == 0) host = true;
  }
  if (!host) return orch_error_set(err, ORCH_EAUTH, "SignedHeaders must include 'host'");
  struct sv_hdr *h = req->headers.n <= SV_STACK_ITEMS ? stack : orch_malloc(req->headers.n * sizeof *h);
  if (!h) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  size_t k = 0;
  for (size_t i = 0; i < nn; i++) {
    bool found = false;
    for (size_t j = 0; j < req->headers.n; j++) {
      const struct orch_http_header *x = &req->headers.items[j];
      if (strlen(x->name) != names[i].n || strncasecmp(x->name, names[i].p, names[i].n) != 0) continue;
      found = true;
      bool dup = false; /* a name listed twice must not add its headers twice */
      for (size_t m = 0; m < k && !dup; m++) dup = h[m].order == j;
      if (dup) continue;
      h[k].name = x->name;
      h[k].value = x->value;
      h[k].order = j;
      k++;
    }
    if (!found) {
      if (h != stack) orch_free(h);
      return orch_error_set(err, ORCH_EAUTH, "signed header '%.*s' is not in the request", (int)names[i].n, names[i].p);
    }
  }
  *out = h;
  *n = k;
  return 0;
}

int orch_sigv4_verify(const struct orch_http_request *req, const struct orch_sigv4_verify_params *p,
                      struct orch_sigv4_verified *out, struct orch_error *err) {
  struct orch_sigv4_verified local;
  struct sv_auth a;
  struct orch_buf secret = ORCH_BUF_INIT(4096), expected_token = ORCH_BUF_INIT(1 << 16);
  struct orch_buf cr = ORCH_BUF_INIT(0), sts = ORCH_BUF_INIT(0), signed_list = ORCH_BUF_INIT(0);
  struct sv_hdr stack[SV_STACK_ITEMS], *hdrs = stack;
  size_t nhdrs = 0;
  char date[9], phash[ORCH_SIGV4_SIG_HEX + 1], sig[ORCH_SIGV4_SIG_HEX + 1];
  EVP_MD_CTX *ctx = NULL;
  int rc = 0;

  if (!out) out = &local;
  memset(out, 0, sizeof *out);
  memset(&a, 0, sizeof a);
  orch_buf_init(&a.token_buf, 1 << 16);

  const char *auth = orch_http_headers_get(&req->headers, "authorization");
  if (auth) {
    if ((rc = parse_authorization(auth, &a, err))) goto out;
    const char *d = orch_http_headers_get(&req->headers, "x-amz-date");
    if (!d) {
      rc = orch_error_set(err, ORCH_EAUTH, "Authorization header requires the X-Amz-Date header");
      goto out;
    }
    if (copy_view(a.amzdate, sizeof a.amzdate, d, strlen(d))) a.amzdate[0] = '\0';
    a.token = orch_http_headers_get(&req->headers, "x-amz-security-token");
  } else if (req->query && strstr(req->query, "X-Amz-Algorithm=")) {
    out->presigned = true;
    if ((rc = parse_presigned(req->query, &a, err))) goto out;
  } else {
    rc = orch_error_set(err, ORCH_EAUTH, "Missing Authentication Token");
    goto out;
  }
  out->has_session_token = a.token != NULL;
  if (!valid_amzdate(a.amzdate) || orch_time_parse_iso8601(a.amzdate, &out->signed_at_ms)) {
    rc = orch_error_set(err, ORCH_EAUTH, "X-Amz-Date must be in the form YYYYMMDD'T'HHMMSS'Z'");
    goto out;
  }
  if ((rc = parse_credential(a.credential, out, date, err))) goto out;
  if (memcmp(date, a.amzdate, 8) != 0) {
    rc = orch_error_set(err, ORCH_EAUTH, "Credential scope date %s does not match the request date %.8s", date, a.amzdate);
    goto out;
  }
  if (strlen(a.signature) != ORCH_SIGV4_SIG_HEX) {
    rc = orch_error_set(err, ORCH_EAUTH, "Signature must be 64 hexadecimal digits");
    goto out;
  }

  int64_t skew = p->max_skew_ms > 0 ? p->max_skew_ms : ORCH_SIGV4_DEFAULT_MAX_SKEW_MS;
  int64_t delta = p->now_ms - out->signed_at_ms;
  char now_s[ORCH_TIME_ISO_MAX];
  orch_time_amz(now_s, p->now_ms);
  if (out->presigned && delta > a.expires_s * 1000) {
    rc = orch_error_set(err, ORCH_ERANGE, "Request has expired: signed at %s for %lld seconds, now %s", a.amzdate,
                        (long long)a.expires_s, now_s);
    goto out;
  }
  if ((!out->presigned && delta > skew) || delta < -skew) {
    rc = orch_error_set(err, ORCH_ERANGE,
                        "Signature expired: %s is now outside the allowed %lld minutes of the server time %s "
                        "(check the clock of the machine that signed the request)",
                        a.amzdate, (long long)(skew / 60000), now_s);
    goto out;
  }

  rc = p->lookup(p->lookup_ctx, out->access_key_id, &secret, &expected_token);
  if (rc == ORCH_ENOTFOUND) {
    rc = orch_error_set(err, ORCH_ECREDS, "The security token included in the request is invalid (unknown access key %s).",
                        out->access_key_id);
    goto out;
  }
  if (rc || secret.err || expected_token.err) {
    rc = orch_error_set(err, rc ? rc : ORCH_EINTERNAL, "looking up access key %s failed", out->access_key_id);
    goto out;
  }
  if (expected_token.len || a.token) {
    const char *want = orch_buf_cstr(&expected_token);
    if (!a.token || !orch_str_ct_equal(a.token, strlen(a.token), want, strlen(want))) {
      rc = orch_error_set(err, ORCH_ECREDS, SV_MSG_BAD_TOKEN);
      goto out;
    }
  }

  if ((rc = collect_signed(req, a.signed_headers, &hdrs, stack, &nhdrs, err))) {
    hdrs = stack;
    goto out;
  }
  if ((rc = orch_sigv4_payload_hash(&req->body, false, phash))) goto fail;
  const char *claimed = orch_http_headers_get(&req->headers, "x-amz-content-sha256");
  if (claimed && strcmp(claimed, ORCH_SIGV4_UNSIGNED_PAYLOAD) == 0) {
    memcpy(phash, ORCH_SIGV4_UNSIGNED_PAYLOAD, sizeof ORCH_SIGV4_UNSIGNED_PAYLOAD);
  } else if (claimed && !orch_str_ct_equal(claimed, strlen(claimed), phash, strlen(phash))) {
    rc = orch_error_set(err, ORCH_ESIGNATURE,
                        "The provided 'x-amz-content-sha256' header does not match what was computed.");
    goto out;
  }
  /* A presigned URL may carry its token unsigned (appended after signing, as some SDK flows do), so a
   * mismatch with the token in the canonical query is retried without it. */
  static const char *const skip_sig[] = {"X-Amz-Signature", NULL};
  static const char *const skip_sig_token[] = {"X-Amz-Signature", "X-Amz-Security-Token", NULL};
  ctx = EVP_MD_CTX_new();
  if (!ctx) {
    rc = ORCH_ENOMEM;
    goto fail;
  }
  bool match = false;
  for (int attempt = 0; attempt < 2 && !match; attempt++) {
    if (attempt == 1 && !(out->presigned && a.token)) break;
    struct sv_canon c = {.method = req->method, .path = req->path, .query = req->query,
                         .skip_params = out->presigned ? (attempt ? skip_sig_token : skip_sig) : NULL,
                         .raw_path = p->no_normalize, .single_encode = p->single_encode, .hdrs = hdrs,
                         .nhdrs = nhdrs, .payload_hash = phash};
    orch_buf_reset(&cr);
    orch_buf_reset(&sts);
    orch_buf_reset(&signed_list);
    if ((rc = orch_sigv4_build_canonical(&c, &cr, &signed_list))) goto fail;
    if ((rc = orch_sigv4_compute_signature(ctx, p->cache, orch_buf_cstr(&secret), a.amzdate, date, out->region, out->service,
                                &cr, &sts, sig)))
      goto fail;
    match = orch_str_ct_equal(sig, ORCH_SIGV4_SIG_HEX, a.signature, strlen(a.signature));
  }
  if (!match) {
    rc = orch_error_set(err, ORCH_ESIGNATURE, SV_MSG_MISMATCH);
    goto out;
  }
  goto out;
fail:
  orch_error_set(err, rc, "SigV4 verification failed: %s", orch_error_str(rc));
out:
  if (hdrs != stack) orch_free(hdrs);
  EVP_MD_CTX_free(ctx);
  if (secret.data) OPENSSL_cleanse(secret.data, secret.len);
  orch_buf_free(&secret);
  orch_buf_free(&expected_token);
  orch_buf_free(&a.token_buf);
  orch_buf_free(&cr);
  orch_buf_free(&sts);
  orch_buf_free(&signed_list);
  return rc;
}
