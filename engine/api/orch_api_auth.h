/* orch_api_auth: who sent a request. `Authorization: Bearer drs_...` is an API token (found by its
 * SHA-256; revoked and expired ones refused); any other bearer is a Cognito JWT when a pool is
 * configured (orch_api_jwt; cognito:groups mapped to roles by auth.cognito_groups); otherwise the
 * drsorch_session cookie is a console session of an enabled local user, whose mutations must carry its
 * CSRF token. Also starts sessions (the cookie) for POST /sessions. Uses orch_store, orch_api_jwt,
 * orch_api_secret, orch_config, orch_clock, pthreads. */
#ifndef ORCH_API_AUTH_H
#define ORCH_API_AUTH_H

#include "api/orch_api_int.h"

#define ORCH_API_SESSION_COOKIE "drsorch_session"

struct orch_api_auth_config {
  const struct orch_config *settings; /* auth.* */
  struct orch_store *store;
  const struct orch_clock *clock;
  struct orch_http_transport *jwks_transport; /* NULL = libcurl */
};

int orch_api_auth_new(const struct orch_api_auth_config *cfg, struct orch_api_auth **out, struct orch_error *err)
    ORCH_MUST_CHECK;
void orch_api_auth_free(struct orch_api_auth *a);

/* Fill *who from the request's credentials (API_ANONYMOUS when it carries none). The request's
 * verified_claims, when set, are the caller and nothing else is looked at (the same principal as a JWT
 * with those claims: "cognito:<user>", roles by auth.cognito_groups). Credentials that are present but not
 * valid are ORCH_EAUTH with the reason (answered 401); the store failing is its code. */
int orch_api_auth_identify(struct orch_api_auth *a, const struct orch_api_request *req, struct api_principal *who,
                           struct orch_error *err) ORCH_MUST_CHECK;

/* Whether a mutation by `who` carries the CSRF token its session needs (always true but for sessions). */
bool orch_api_auth_csrf_ok(const struct api_principal *who, const struct orch_api_request *req);

/* Sign `username` in with `password`: 0 with the session's cookie secret (to send), its CSRF token and
 * the user; ORCH_EAUTH for a wrong name or password or a disabled user (one message for all). */
int orch_api_auth_login(struct orch_api_auth *a, const char *username, const char *password,
                        struct orch_store_user *user, char *secret, size_t secret_n, struct orch_store_session *session,
                        struct orch_error *err) ORCH_MUST_CHECK;
/* Forget the tokens found lately: called after a token is revoked through the API, so it stops working at
 * once (a revocation by another process on the same store takes effect within a second). */
void orch_api_auth_forget(struct orch_api_auth *a);

/* How long sessions last (auth.session_ttl). */
int64_t orch_api_auth_session_ttl_ms(const struct orch_api_auth *a);

#endif
