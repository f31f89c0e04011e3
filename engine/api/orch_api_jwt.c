/* orch_api_jwt: JWKS cache and RS256 JWT verification for Cognito. Uses OpenSSL 3 (EVP, OSSL_PARAM),
 * orch_aws_curl, orch_api_secret, orch_json, pthreads. */
#include "api/orch_api_jwt.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "api/orch_api_secret.h"
#include "aws/orch_aws_curl.h"
#include "core/orch_alloc.h"
#include "core/orch_json.h"
#include "core/orch_str.h"

#define KEYS_MAX 32
#define KID_MAX 128
#define JWKS_MAX ((size_t)256 * 1024)

struct jwk {
  char kid[KID_MAX];
  EVP_PKEY *key;
};

struct orch_api_jwt {
  char issuer[512];
  char jwks_endpoint[512]; /* scheme://host[:port] */
  char jwks_path[512];
  char client_ids[1024];
  char token_use[16];
  int64_t leeway_ms;
  const struct orch_clock *clock;
  struct orch_http_transport transport;
  bool own_transport;
  pthread_mutex_t mu; /* keys */
  struct jwk keys[KEYS_MAX];
  size_t nkeys;
  pthread_mutex_t fetch_mu; /* one fetch at a time */
  int64_t fetched_mono_ms;  /* 0 = never */
};

static void keys_clear(struct jwk *keys, size_t n) {
  for (size_t i = 0; i < n; i++) EVP_PKEY_free(keys[i].key);
}

int orch_api_jwt_new(const struct orch_api_jwt_config *cfg, struct orch_api_jwt **out, struct orch_error *err) {
  if (!cfg->issuer || !orch_str_starts_with(cfg->issuer, "http"))
    return orch_error_setc(err, ORCH_ECONFIG, "auth.cognito_issuer", "must be the user pool's https:// issuer URL");
  if (!cfg->client_ids || !*cfg->client_ids)
    return orch_error_setc(err, ORCH_ECONFIG, "auth.cognito_client_ids", "must name at least one app client id");
  if (!cfg->token_use || (strcmp(cfg->token_use, "id") != 0 && strcmp(cfg->token_use, "access") != 0))
    return orch_error_setc(err, ORCH_ECONFIG, "auth.cognito_token_use", "must be id or access");
  struct orch_api_jwt *j = orch_calloc(1, sizeof *j);
  if (!j) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  snprintf(j->issuer, sizeof j->issuer, "%s", cfg->issuer);
  char url[1024];
  if (cfg->jwks_url && *cfg->jwks_url) snprintf(url, sizeof url, "%s", cfg->jwks_url);
  else snprintf(url, sizeof url, "%s/.well-known/jwks.json", cfg->issuer);
  const char *host = strstr(url, "://"), *slash = host ? strchr(host + 3, '/') : NULL;
  if (!host || !slash) {
    orch_free(j);
    return orch_error_setc(err, ORCH_ECONFIG, "auth.cognito_jwks_url", "'%s' is not an http(s) URL with a path", url);
  }
  snprintf(j->jwks_endpoint, sizeof j->jwks_endpoint, "%.*s", (int)(slash - url), url);
  snprintf(j->jwks_path, sizeof j->jwks_path, "%s", slash);
  /* ",a,b," without spaces, for exact matches */
  size_t o = 0;
  j->client_ids[o++] = ',';
  for (const char *p = cfg->client_ids; *p && o + 2 < sizeof j->client_ids; p++)
    if (*p != ' ') j->client_ids[o++] = *p;
  j->client_ids[o++] = ',';
  j->client_ids[o] = '\0';
  snprintf(j->token_use, sizeof j->token_use, "%s", cfg->token_use);
  j->leeway_ms = cfg->leeway_ms;
  j->clock = cfg->clock ? cfg->clock : orch_clock_real();
  pthread_mutex_init(&j->mu, NULL);
  pthread_mutex_init(&j->fetch_mu, NULL);
  int rc = 0;
  if (cfg->transport) {
    j->transport = *cfg->transport;
  } else {
    struct orch_aws_curl_config cc = {.timeout_ms = 5000, .max_response_bytes = JWKS_MAX};
    rc = orch_aws_curl_new(&cc, &j->transport, err);
    j->own_transport = rc == 0;
  }
  if (rc) {
    orch_api_jwt_free(j);
    return rc;
  }
  *out = j;
  return 0;
}

void orch_api_jwt_free(struct orch_api_jwt *j) {
  if (!j) return;
  keys_clear(j->keys, j->nkeys);
  if (j->own_transport) j->transport.ops->destroy(j->transport.ctx);
  pthread_mutex_destroy(&j->mu);
  pthread_mutex_destroy(&j->fetch_mu);
  orch_free(j);
}

/* ---- JWKS ------------------------------------------------------------------------------------ */

static BIGNUM *b64_bignum(const char *s) {
  unsigned char buf[1024];
  long n = s ? orch_api_b64url_decode(s, strlen(s), buf, sizeof buf) : -1;
  return n > 0 ? BN_bin2bn(buf, (int)n, NULL) : NULL;
}

/* An RSA public key from a JWK's n and e; NULL when it is not one. */
static EVP_PKEY *rsa_key(const json_t *jwk) {
  BIGNUM *n = b64_bignum(json_string_value(json_object_get(jwk, "n")));
  BIGNUM *e = b64_bignum(json_string_value(json_object_get(jwk, "e")));
  OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM *params = NULL;
  EVP_PKEY_CTX *ctx = NULL;
  EVP_PKEY *key = NULL;
  if (!n || !e || !bld || BN_num_bits(n) < 2048 || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
      !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) || !(params = OSSL_PARAM_BLD_to_param(bld)))
    goto out;
  if (!(ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) || EVP_PKEY_fromdata_init(ctx) <= 0 ||
      EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) <= 0)
    key = NULL;
out:
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  BN_free(n);
  BN_free(e);
  return key;
}

/* Fetch and parse the JWKS, replacing the cache. Keys that are not RSA signing keys are skipped. */
static int jwks_fetch(struct orch_api_jwt *j, struct orch_error *err) {
  struct orch_http_request req = {.method = "GET"};
  struct orch_http_response resp = {0};
  struct jwk fresh[KEYS_MAX] = {0};
  size_t n = 0, i;
  json_t *doc = NULL;
  const json_t *k;
  int rc = orch_http_request_set_target(&req, j->jwks_path, "");
  if (!rc) rc = orch_http_headers_add(&req.headers, "Accept", "application/json");
  if (rc) {
    rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
    goto out;
  }
  if ((rc = j->transport.ops->send(j->transport.ctx, j->jwks_endpoint, &req, &resp, err))) {
    orch_error_prefix(err, "fetching the JWKS from %s%s", j->jwks_endpoint, j->jwks_path);
    goto out;
  }
  if (resp.status != 200) {
    rc = orch_error_set(err, ORCH_ECONN, "the JWKS at %s%s answered HTTP %d", j->jwks_endpoint, j->jwks_path,
                        resp.status);
    goto out;
  }
  if (!(doc = orch_json_parse(resp.body.data ? resp.body.data : "", resp.body.len, 16, err))) {
    rc = ORCH_EPARSE;
    orch_error_prefix(err, "the JWKS at %s%s", j->jwks_endpoint, j->jwks_path);
    goto out;
  }
  json_array_foreach(json_object_get(doc, "keys"), i, k) {
    const char *kid = json_string_value(json_object_get(k, "kid"));
    const char *kty = json_string_value(json_object_get(k, "kty"));
    const char *alg = json_string_value(json_object_get(k, "alg"));
    const char *use = json_string_value(json_object_get(k, "use"));
    if (n == KEYS_MAX || !kid || strlen(kid) >= KID_MAX || !kty || strcmp(kty, "RSA") != 0) continue;
    if ((alg && strcmp(alg, "RS256") != 0) || (use && strcmp(use, "sig") != 0)) continue;
    EVP_PKEY *key = rsa_key(k);
    if (!key) continue;
    snprintf(fresh[n].kid, KID_MAX, "%s", kid);
    fresh[n++].key = key;
  }
  pthread_mutex_lock(&j->mu);
  keys_clear(j->keys, j->nkeys);
  memcpy(j->keys, fresh, n * sizeof *fresh);
  j->nkeys = n;
  pthread_mutex_unlock(&j->mu);
out:
  json_decref(doc);
  orch_http_request_free(&req);
  orch_http_response_free(&resp);
  return rc;
}

/* The key for `kid` (a new reference), or NULL. */
static EVP_PKEY *key_find(struct orch_api_jwt *j, const char *kid) {
  EVP_PKEY *key = NULL;
  pthread_mutex_lock(&j->mu);
  for (size_t i = 0; i < j->nkeys && !key; i++)
    if (strcmp(j->keys[i].kid, kid) == 0 && EVP_PKEY_up_ref(j->keys[i].key)) key = j->keys[i].key;
  pthread_mutex_unlock(&j->mu);
  return key;
}

/* The key for `kid`, refreshing the JWKS when it is unknown and the last fetch is 10 s old. */
static EVP_PKEY *key_get(struct orch_api_jwt *j, const char *kid, struct orch_error *err) {
  EVP_PKEY *key = key_find(j, kid);
  if (key) return key;
  pthread_mutex_lock(&j->fetch_mu);
  int64_t now = orch_clock_mono_ns(j->clock) / 1000000;
  if ((key = key_find(j, kid))) goto out; /* another thread fetched it meanwhile */
  if (j->fetched_mono_ms && now - j->fetched_mono_ms < ORCH_API_JWKS_REFRESH_MS) {
    orch_error_set(err, ORCH_EAUTH, "unknown key id '%.60s'", kid);
    goto out;
  }
  j->fetched_mono_ms = now ? now : 1;
  if (jwks_fetch(j, err) == 0 && !(key = key_find(j, kid)))
    orch_error_set(err, ORCH_EAUTH, "unknown key id '%.60s'", kid);
out:
  pthread_mutex_unlock(&j->fetch_mu);
  return key;
}

/* ---- Tokens ---------------------------------------------------------------------------------- */

/* Decode a base64url part into a JSON object. */
static json_t *part_json(const char *s, size_t n) {
  unsigned char buf[ORCH_API_JWT_MAX];
  long len = orch_api_b64url_decode(s, n, buf, sizeof buf);
  if (len <= 0) return NULL;
  json_t *j = orch_json_parse((const char *)buf, (size_t)len, 16, NULL);
  if (j && !json_is_object(j)) json_decref(j), j = NULL;
  return j;
}

static bool signature_ok(EVP_PKEY *key, const char *signed_part, size_t n, const char *sig64, size_t sn) {
  unsigned char sig[1024];
  long sl = orch_api_b64url_decode(sig64, sn, sig, sizeof sig);
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  bool ok = sl > 0 && sl == EVP_PKEY_get_size(key) && md &&
            EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
            EVP_DigestVerify(md, sig, (size_t)sl, (const unsigned char *)signed_part, n) == 1;
  EVP_MD_CTX_free(md);
  return ok;
}

static bool in_list(const char *list, const char *v) {
  char needle[300];
  if (!v || !*v || strchr(v, ',')) return false;
  snprintf(needle, sizeof needle, ",%s,", v);
  return strstr(list, needle) != NULL;
}

/* The claims' checks after the signature: issuer, use, audience, time. */
static int check_claims(struct orch_api_jwt *j, const json_t *c, struct orch_error *err) {
  const char *iss = json_string_value(json_object_get(c, "iss"));
  const char *use = json_string_value(json_object_get(c, "token_use"));
  if (!iss || strcmp(iss, j->issuer) != 0) return orch_error_set(err, ORCH_EAUTH, "the token's issuer is not the pool's");
  if (!use || strcmp(use, j->token_use) != 0)
    return orch_error_set(err, ORCH_EAUTH, "token_use is '%.20s', not '%s'", use ? use : "", j->token_use);
  const char *aud = json_string_value(json_object_get(c, strcmp(j->token_use, "id") == 0 ? "aud" : "client_id"));
  if (!in_list(j->client_ids, aud))
    return orch_error_set(err, ORCH_EAUTH, "the token is for another app client ('%.60s')", aud ? aud : "");
  int64_t now = orch_clock_now_ms(j->clock);
  const json_t *exp = json_object_get(c, "exp"), *nbf = json_object_get(c, "nbf");
  if (!json_is_number(exp)) return orch_error_set(err, ORCH_EAUTH, "the token has no exp");
  if ((double)now > json_number_value(exp) * 1000.0 + (double)j->leeway_ms)
    return orch_error_set(err, ORCH_EAUTH, "the token has expired");
  if (nbf && (!json_is_number(nbf) || (double)now + (double)j->leeway_ms < json_number_value(nbf) * 1000.0))
    return orch_error_set(err, ORCH_EAUTH, "the token is not valid yet (nbf)");
  return 0;
}

int orch_api_jwt_verify(struct orch_api_jwt *j, const char *token, json_t **claims, struct orch_error *err) {
  *claims = NULL;
  size_t len = token ? strnlen(token, ORCH_API_JWT_MAX + 1) : 0;
  if (!len || len > ORCH_API_JWT_MAX) return orch_error_set(err, ORCH_EAUTH, "not a JWT (empty or too long)");
  const char *d1 = strchr(token, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
  if (!d1 || !d2 || strchr(d2 + 1, '.')) return orch_error_set(err, ORCH_EAUTH, "not a JWT (three parts expected)");
  json_t *header = part_json(token, (size_t)(d1 - token));
  json_t *payload = part_json(d1 + 1, (size_t)(d2 - d1 - 1));
  EVP_PKEY *key = NULL;
  int rc = 0;
  const char *alg = json_string_value(json_object_get(header, "alg"));
  const char *kid = json_string_value(json_object_get(header, "kid"));
  if (!header || !payload) {
    rc = orch_error_set(err, ORCH_EAUTH, "not a JWT (a part is not base64url JSON)");
  } else if (!alg || strcmp(alg, "RS256") != 0) {
    rc = orch_error_set(err, ORCH_EAUTH, "algorithm '%.20s' is not accepted (RS256 only)", alg ? alg : "");
  } else if (!kid || !*kid || strlen(kid) >= KID_MAX) {
    rc = orch_error_set(err, ORCH_EAUTH, "the token has no usable kid");
  } else if (!(key = key_get(j, kid, err))) {
    rc = err && err->code ? err->code : ORCH_EAUTH;
  } else if (!signature_ok(key, token, (size_t)(d2 - token), d2 + 1, strlen(d2 + 1))) {
    rc = orch_error_set(err, ORCH_EAUTH, "the signature does not verify");
  } else if (!(rc = check_claims(j, payload, err))) {
    *claims = payload;
    payload = NULL;
  }
  EVP_PKEY_free(key);
  json_decref(header);
  json_decref(payload);
  return rc;
}
