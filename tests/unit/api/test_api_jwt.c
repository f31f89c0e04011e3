/* test_api_jwt: Cognito user-pool JWTs end to end through the router: tokens minted here with a test RSA key,
 * the pool's JWKS served on loopback. Accepted: a valid access token (roles from cognito:groups), a token
 * inside the exp leeway, a rotated key after the JWKS refresh. Refused with 401: alg none, HS256 signed
 * with the public key, RS512, a wrong or unknown kid (the JWKS refetched at most every 10 s), expired, not
 * yet valid, wrong issuer, client or token_use, a tampered payload, malformed tokens. Uses api_harness,
 * OpenSSL, loopback_http. */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <stdatomic.h>

#include "api_harness.h"
#include "aws/loopback_http.h"

#define ISSUER "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Test"

static struct api_h h;
static struct api_r r;
static struct lb_server *jwks_server;
static EVP_PKEY *key, *key2;
static char jwks[8192];
static int64_t now_s;

static void b64(const unsigned char *in, size_t n, char *out) { orch_api_b64url_encode(in, n, out); }

static void jwk_of(EVP_PKEY *k, const char *kid, char *out, size_t n) {
  BIGNUM *bn_n = NULL, *bn_e = NULL;
  cr_assert(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &bn_n) && EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &bn_e));
  unsigned char nb[512], eb[8];
  char n64[700], e64[16];
  int nl = BN_bn2bin(bn_n, nb), el = BN_bn2bin(bn_e, eb);
  b64(nb, (size_t)nl, n64);
  b64(eb, (size_t)el, e64);
  snprintf(out, n, "{\"kty\":\"RSA\",\"kid\":\"%s\",\"use\":\"sig\",\"alg\":\"RS256\",\"n\":\"%s\",\"e\":\"%s\"}", kid, n64, e64);
  BN_free(bn_n);
  BN_free(bn_e);
}

/* JWKS requests served, counted before the answer is written (the loopback server's own count comes after
 * it, so a client could read it before it moves). */
static atomic_int served;

static void serve_jwks(void *ctx, const struct lb_request *req, struct lb_response *resp) {
  (void)ctx;
  atomic_fetch_add(&served, 1);
  resp->status = strcmp(req->target, "/pool/.well-known/jwks.json") == 0 ? 200 : 404;
  snprintf(resp->body, sizeof resp->body, "%s", resp->status == 200 ? jwks : "{}");
  snprintf(resp->headers, sizeof resp->headers, "Content-Type: application/json\r\n");
}

/* header.payload signed with alg ("RS256" with k, "RS512", "HS256" keyed with k's public PEM, "none"). */
static void mint(const char *alg, const char *kid, EVP_PKEY *k, const char *payload, char *out, size_t n) {
  char header[256], h64[512], p64[4096], sig64[1024] = "";
  snprintf(header, sizeof header, "{\"alg\":\"%s\",\"kid\":\"%s\",\"typ\":\"JWT\"}", alg, kid);
  b64((const unsigned char *)header, strlen(header), h64);
  b64((const unsigned char *)payload, strlen(payload), p64);
  char signing[5000];
  snprintf(signing, sizeof signing, "%s.%s", h64, p64);
  unsigned char sig[1024];
  size_t sl = sizeof sig;
  if (strncmp(alg, "RS", 2) == 0) {
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    cr_assert(EVP_DigestSignInit(md, NULL, strcmp(alg, "RS512") == 0 ? EVP_sha512() : EVP_sha256(), NULL, k) == 1);
    cr_assert(EVP_DigestSign(md, sig, &sl, (const unsigned char *)signing, strlen(signing)) == 1);
    EVP_MD_CTX_free(md);
    b64(sig, sl, sig64);
  } else if (strcmp(alg, "HS256") == 0) {
    BIO *bio = BIO_new(BIO_s_mem());
    cr_assert(PEM_write_bio_PUBKEY(bio, k));
    char *pem = NULL;
    long pl = BIO_get_mem_data(bio, &pem);
    unsigned int hl = 0;
    HMAC(EVP_sha256(), pem, (int)pl, (const unsigned char *)signing, strlen(signing), sig, &hl);
    b64(sig, hl, sig64);
    BIO_free(bio);
  }
  snprintf(out, n, "%s.%s", signing, sig64);
}

static void claims(char *out, size_t n, const char *use, const char *client, const char *iss, int64_t exp, int64_t nbf,
                   const char *groups) {
  snprintf(out, n,
           "{\"sub\":\"0a1b\",\"username\":\"alice\",\"iss\":\"%s\",\"token_use\":\"%s\",\"client_id\":\"%s\",\"aud\":\"%s\","
           "\"exp\":%lld,\"iat\":%lld%s%lld,\"cognito:groups\":%s}",
           iss, use, client, client, (long long)exp, (long long)now_s - 60, nbf ? ",\"nbf\":" : ",\"auth_time\":",
           (long long)(nbf ? nbf : now_s - 60), groups);
}

static void setup(void) {
  jwks_server = lb_start(serve_jwks, NULL);
  char url[256], jwks_url[400];
  lb_url(jwks_server, url, sizeof url);
  snprintf(jwks_url, sizeof jwks_url, "auth.cognito_jwks_url=%s/pool/.well-known/jwks.json", url);
  const char *settings[] = {"auth.cognito_issuer=" ISSUER, "auth.cognito_client_ids=client1, client2", jwks_url,
                            "auth.cognito_groups=dr-admins=Admin, dr-ops=Operator", "auth.jwt_leeway=30s",
                            "auth.cognito_domain=https://drs.auth.eu-west-1.amazoncognito.com/", NULL};
  key = EVP_RSA_gen(2048);
  key2 = EVP_RSA_gen(2048);
  cr_assert(key && key2);
  char jwk[2048];
  jwk_of(key, "k1", jwk, sizeof jwk);
  snprintf(jwks, sizeof jwks, "{\"keys\":[%s]}", jwk);
  ah_start(&h, settings, false, 0);
  now_s = orch_clock_now_ms(orch_vclock_clock(h.vc)) / 1000;
  ah_r_init(&r);
}

static void teardown(void) {
  ah_r_release(&r);
  ah_stop(&h);
  lb_stop(jwks_server);
  EVP_PKEY_free(key);
  EVP_PKEY_free(key2);
}

TestSuite(jwt, .init = setup, .fini = teardown, .timeout = 120);

static int fetches(void) { return atomic_load(&served); }

static int me(const char *token) {
  ah_req(&h, &r, "GET", "/api/v1/me", token, NULL, NULL);
  return r.status;
}

Test(jwt, valid_tokens_and_roles) {
  char c[1024], t[6000];
  claims(c, sizeof c, "access", "client2", ISSUER, now_s + 3600, 0, "[\"dr-ops\", \"other\"]");
  mint("RS256", "k1", key, c, t, sizeof t);
  cr_assert_eq(me(t), 200, "%s", r.text);
  cr_assert_str_eq(ah_str(&r, "name"), "cognito:alice");
  cr_assert_str_eq(ah_str(&r, "kind"), "cognito");
  cr_assert_str_eq(ah_str(&r, "roles.0"), "Operator");
  ah_req(&h, &r, "GET", "/api/v1/executions", t, NULL, NULL);
  AH_STATUS(&r, 200);
  ah_req(&h, &r, "GET", "/api/v1/users", t, NULL, NULL);
  AH_STATUS(&r, 403);
  claims(c, sizeof c, "access", "client1", ISSUER, now_s - 10, 0, "[]"); /* expired 10 s ago: inside the leeway */
  mint("RS256", "k1", key, c, t, sizeof t);
  cr_assert_eq(me(t), 200, "%s", r.text);
  cr_assert_eq(json_array_size(json_object_get(r.body, "roles")), 0);
  ah_req(&h, &r, "GET", "/api/v1/plans", t, NULL, NULL);
  AH_STATUS(&r, 403); /* signed in, no role */
}

Test(jwt, refused_tokens) {
  char c[1024], t[6000];
  struct {
    const char *what, *alg, *kid;
    EVP_PKEY *k;
    const char *use, *client, *iss;
    int64_t exp, nbf;
  } cases[] = {
    {"alg none", "none", "k1", key, "access", "client1", ISSUER, now_s + 3600, 0},
    {"HS256 keyed with the public key", "HS256", "k1", key, "access", "client1", ISSUER, now_s + 3600, 0},
    {"RS512", "RS512", "k1", key, "access", "client1", ISSUER, now_s + 3600, 0},
    {"signed by another key", "RS256", "k1", key2, "access", "client1", ISSUER, now_s + 3600, 0},
    {"expired", "RS256", "k1", key, "access", "client1", ISSUER, now_s - 120, 0},
    {"not yet valid", "RS256", "k1", key, "access", "client1", ISSUER, now_s + 3600, now_s + 600},
    {"wrong issuer", "RS256", "k1", key, "access", "client1", ISSUER "x", now_s + 3600, 0},
    {"wrong client", "RS256", "k1", key, "access", "client3", ISSUER, now_s + 3600, 0},
    {"id token", "RS256", "k1", key, "id", "client1", ISSUER, now_s + 3600, 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    claims(c, sizeof c, cases[i].use, cases[i].client, cases[i].iss, cases[i].exp, cases[i].nbf, "[\"dr-admins\"]");
    mint(cases[i].alg, cases[i].kid, cases[i].k, c, t, sizeof t);
    cr_expect_eq(me(t), 401, "%s: %d %s", cases[i].what, r.status, r.text);
  }
  claims(c, sizeof c, "access", "client1", ISSUER, now_s + 3600, 0, "[\"dr-admins\"]");
  mint("RS256", "k1", key, c, t, sizeof t);
  cr_assert_eq(me(t), 200);
  char tampered[6000];
  snprintf(tampered, sizeof tampered, "%s", t);
  char *dot = strchr(tampered, '.');
  dot[3] = dot[3] == 'A' ? 'B' : 'A'; /* one character of the payload */
  cr_assert_eq(me(tampered), 401);
  static const char *const malformed[] = {"a.b", "a.b.c.d", "....", "eyJhbGciOiJSUzI1NiJ9..", "x.y.z"};
  for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) cr_expect_eq(me(malformed[i]), 401, "%s", malformed[i]);
}

Test(jwt, unknown_kids_refresh_the_jwks_at_most_every_10s) {
  char c[1024], t[6000], jwk1[2048], jwk2[2048];
  claims(c, sizeof c, "access", "client1", ISSUER, now_s + 3600, 0, "[\"dr-admins\"]");
  mint("RS256", "k1", key, c, t, sizeof t);
  cr_assert_eq(me(t), 200, "%s", r.text);
  cr_assert_eq(fetches(), 1, "the first token fetched the JWKS");
  cr_assert_eq(me(t), 200);
  cr_assert_eq(fetches(), 1, "cached");
  /* the pool rotates to k2 */
  jwk_of(key, "k1", jwk1, sizeof jwk1);
  jwk_of(key2, "k2", jwk2, sizeof jwk2);
  snprintf(jwks, sizeof jwks, "{\"keys\":[%s,%s]}", jwk1, jwk2);
  mint("RS256", "k2", key2, c, t, sizeof t);
  cr_assert_eq(me(t), 401, "within 10 s of the last fetch an unknown kid does not refetch");
  cr_assert_eq(fetches(), 1);
  orch_vclock_advance(h.vc, 10000);
  cr_assert_eq(me(t), 200, "%s", r.text);
  cr_assert_eq(fetches(), 2, "one refetch found k2");
  mint("RS256", "k9", key2, c, t, sizeof t);
  cr_assert_eq(me(t), 401);
  cr_assert_eq(me(t), 401);
  cr_assert_eq(fetches(), 2, "a burst of unknown kids costs no fetch within 10 s");
}

/* The console's Cognito sign-in: the Hosted UI's endpoints under auth.cognito_domain, for the first app
 * client (a public client: the code flow with PKCE, no secret), with the configured scopes. */
Test(jwt, console_sign_in_options) {
  ah_req(&h, &r, "GET", "/api/v1/auth/options", NULL, NULL, NULL);
  cr_assert_eq(r.status, 200, "%s", r.text);
  cr_assert_str_eq(ah_str(&r, "cognito.authorize_url"), "https://drs.auth.eu-west-1.amazoncognito.com/oauth2/authorize");
  cr_assert_str_eq(ah_str(&r, "cognito.token_url"), "https://drs.auth.eu-west-1.amazoncognito.com/oauth2/token");
  cr_assert_str_eq(ah_str(&r, "cognito.logout_url"), "https://drs.auth.eu-west-1.amazoncognito.com/logout");
  cr_assert_str_eq(ah_str(&r, "cognito.client_id"), "client1");
  cr_assert_str_eq(ah_str(&r, "cognito.scope"), "openid");
}
