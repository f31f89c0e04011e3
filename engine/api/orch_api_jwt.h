/* orch_api_jwt: verification of Cognito user-pool JWTs: RS256 only, the key chosen by `kid` from the
 * pool's JWKS (fetched over HTTPS, cached; a kid not in the cache refreshes it, at most once every
 * 10 s), then `iss`, `token_use`, `aud` (id tokens) or `client_id` (access tokens), `exp` and `nbf`
 * with a small leeway. Everything else (alg none, HS256, other algorithms, a JWK that is not RSA) is
 * refused. Uses OpenSSL (RSA, SHA-256), orch_aws_curl (the JWKS), orch_api_secret (base64url),
 * orch_clock, pthreads. */
#ifndef ORCH_API_JWT_H
#define ORCH_API_JWT_H

#include <jansson.h>
#include <stdint.h>

#include "aws/orch_http.h"
#include "core/orch_clock.h"
#include "core/orch_error.h"

#define ORCH_API_JWT_MAX 8192                 /* bytes in a token */
#define ORCH_API_JWKS_REFRESH_MS ((int64_t)10000)

struct orch_api_jwt_config {
  const char *issuer;     /* "https://cognito-idp.<region>.amazonaws.com/<pool id>" */
  const char *jwks_url;   /* NULL or "": issuer + "/.well-known/jwks.json" */
  const char *client_ids; /* comma-separated app client ids; at least one */
  const char *token_use;  /* "id" or "access" */
  int64_t leeway_ms;      /* allowed clock difference for exp and nbf */
  const struct orch_clock *clock;        /* NULL = real */
  struct orch_http_transport *transport; /* borrowed; NULL = a libcurl transport owned by the verifier */
};

struct orch_api_jwt;

int orch_api_jwt_new(const struct orch_api_jwt_config *cfg, struct orch_api_jwt **out, struct orch_error *err)
    ORCH_MUST_CHECK;
void orch_api_jwt_free(struct orch_api_jwt *j);

/* Verify `token`. 0 with *claims (caller owns), or ORCH_EAUTH with the reason in err ("token expired",
 * "algorithm HS256 is not accepted", ...); ORCH_ECONN / ORCH_ETIMEDOUT / ORCH_EPARSE when the JWKS
 * could not be had and the cache has no key for the token. */
int orch_api_jwt_verify(struct orch_api_jwt *j, const char *token, json_t **claims, struct orch_error *err)
    ORCH_MUST_CHECK;

#endif
