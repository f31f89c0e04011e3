/* test_api_auth: API tokens (unknown, malformed, revoked at once or within a second, expired, last use), local users and console
 * sessions (sign-in, the cookie's attributes, CSRF on changes, sign-out, disabled users, password changes
 * ending sessions, scrypt hashes), the users and tokens resources, and the audit entries they leave.
 * Uses api_harness, orch_api_secret. */
#include "api_harness.h"

static struct api_h h;
static struct api_r r;

static void setup(void) {
  ah_start(&h, NULL, false, 0);
  ah_r_init(&r);
}
static void teardown(void) {
  ah_r_release(&r);
  ah_stop(&h);
}

TestSuite(auth, .init = setup, .fini = teardown, .timeout = 120);

#define PASSWORD "correct horse battery staple"

Test(auth, scrypt_hashes) {
  char hash[256], again[256];
  struct orch_error err = {0};
  cr_assert_eq(orch_api_password_hash(PASSWORD, hash, sizeof hash, &err), 0, "%s", err.message);
  cr_assert(orch_str_starts_with(hash, "$scrypt$ln=15,r=8,p=1$"), "%s", hash);
  cr_assert(orch_api_password_verify(PASSWORD, hash));
  cr_assert_not(orch_api_password_verify(PASSWORD "!", hash));
  cr_assert_not(orch_api_password_verify("", hash));
  cr_assert_eq(orch_api_password_hash(PASSWORD, again, sizeof again, &err), 0);
  cr_assert_str_neq(hash, again, "a fresh salt each time");
  cr_assert_eq(orch_api_password_hash("short", hash, sizeof hash, &err), ORCH_EINVAL);
  cr_assert_not(orch_api_password_verify(PASSWORD, "$scrypt$ln=30,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAA"),
                "absurd parameters are refused, not computed");
  cr_assert_not(orch_api_password_verify(PASSWORD, "plain"));
  /* base64url round trip, against OpenSSL's own output shape */
  unsigned char raw[5] = {0xfb, 0xff, 0x01, 0x02, 0x03}, back[8];
  char text[16];
  orch_api_b64url_encode(raw, sizeof raw, text);
  cr_assert_str_eq(text, "-_8BAgM");
  cr_assert_eq(orch_api_b64url_decode(text, strlen(text), back, sizeof back), 5);
  cr_assert_eq(memcmp(raw, back, 5), 0);
  cr_assert_eq(orch_api_b64url_decode("-_8BAgN", 7, back, sizeof back), -1, "non-zero leftover bits");
  cr_assert_eq(orch_api_b64url_decode("a", 1, back, sizeof back), -1);
}

Test(auth, api_tokens) {
  ah_req(&h, &r, "GET", "/api/v1/plans", "drs_short", NULL, NULL);
  AH_STATUS(&r, 401);
  cr_assert(strstr(ah_str(&r, "error.message"), "malformed"), "%s", r.text);
  ah_req(&h, &r, "GET", "/api/v1/plans", NULL, NULL, "Authorization", "Basic YWRtaW46YWRtaW4=", NULL);
  AH_STATUS(&r, 401);
  char fake[ORCH_API_TOKEN_LEN + 1];
  cr_assert_eq(orch_api_secret_new(ORCH_API_TOKEN_PREFIX, fake, sizeof fake), 0);
  ah_req(&h, &r, "GET", "/api/v1/plans", fake, NULL, NULL);
  AH_STATUS(&r, 401);
  cr_assert(strstr(ah_str(&r, "error.message"), "unknown"), "%s", r.text);

  ah_req(&h, &r, "POST", "/api/v1/tokens", h.admin, "{\"name\": \"ci\", \"role\": \"Operator\", \"expires_in\": \"1h\"}", NULL);
  AH_STATUS(&r, 201);
  char secret[64], id[40];
  snprintf(secret, sizeof secret, "%s", ah_str(&r, "token"));
  snprintf(id, sizeof id, "%s", ah_str(&r, "id"));
  cr_assert(orch_str_starts_with(secret, "drs_"));
  cr_assert_str_eq(ah_str(&r, "status"), "active");
  cr_assert(orch_str_starts_with(secret, ah_str(&r, "prefix")));
  ah_req(&h, &r, "GET", "/api/v1/me", secret, NULL, NULL);
  AH_STATUS(&r, 200);
  cr_assert_str_eq(ah_str(&r, "name"), "token:ci");
  cr_assert_str_eq(ah_str(&r, "roles.0"), "Operator");
  char path[128];
  snprintf(path, sizeof path, "/api/v1/tokens/%s", id);
  ah_req(&h, &r, "GET", path, h.admin, NULL, NULL);
  AH_STATUS(&r, 200);
  cr_assert_null(json_object_get(r.body, "token"), "the secret is never shown again");
  cr_assert(ah_str(&r, "last_used_at")[0], "the use was recorded: %s", r.text);
  ah_req(&h, &r, "POST", "/api/v1/tokens", h.admin, "{\"name\": \"ci\", \"role\": \"Viewer\"}", NULL);
  AH_STATUS(&r, 409);
  ah_req(&h, &r, "POST", "/api/v1/tokens", h.admin, "{\"name\": \"x\", \"role\": \"Viewer\", \"expires_in\": \"0s\"}", NULL);
  AH_STATUS(&r, 422);
  ah_req(&h, &r, "POST", "/api/v1/tokens", h.admin, "{\"name\": \"x\", \"role\": \"Root\"}", NULL);
  AH_STATUS(&r, 422);

  orch_vclock_advance(h.vc, 3600 * 1000);
  ah_req(&h, &r, "GET", "/api/v1/me", secret, NULL, NULL);
  AH_STATUS(&r, 401);
  cr_assert(strstr(ah_str(&r, "error.message"), "expired"), "%s", r.text);
  ah_req(&h, &r, "GET", path, h.admin, NULL, NULL);
  cr_assert_str_eq(ah_str(&r, "status"), "expired");

  ah_req(&h, &r, "DELETE", path, h.admin, NULL, NULL);
  AH_STATUS(&r, 204);
  ah_req(&h, &r, "GET", path, h.admin, NULL, NULL);
  cr_assert_str_eq(ah_str(&r, "status"), "revoked");
  ah_req(&h, &r, "GET", "/api/v1/tokens?limit=2", h.admin, NULL, NULL);
  AH_STATUS(&r, 200);
  cr_assert_eq(json_array_size(json_object_get(r.body, "items")), 2);
  cr_assert(ah_str(&r, "next_cursor")[0]);

  ah_req(&h, &r, "GET", "/api/v1/audit?action=token.create", h.admin, NULL, NULL);
  AH_STATUS(&r, 200);
  cr_assert_str_eq(ah_str(&r, "items.0.actor"), "token:test-Admin");
  cr_assert_str_eq(ah_str(&r, "items.0.role"), "Admin");
  cr_assert_str_eq(ah_str(&r, "items.0.source"), "127.0.0.1");
  cr_assert(ah_str(&r, "items.0.request_id")[0]);
  char body[1024];
  cr_assert_null(strstr(ah_dump(r.body, body, sizeof body), secret), "the audit log never holds a secret");
}

/* A token revoked through the API is refused at once; one revoked on the store by another process (the
 * CLI) is believed for at most a second more: the server keeps the tokens it checked for a second. */
Test(auth, revoked_tokens_stop_at_once_or_within_a_second) {
  char secret[64], id[40], path[128];
  for (int via_api = 1; via_api >= 0; via_api--) {
    ah_req(&h, &r, "POST", "/api/v1/tokens", h.admin, via_api ? "{\"name\": \"a\", \"role\": \"Viewer\"}"
                                                             : "{\"name\": \"b\", \"role\": \"Viewer\"}", NULL);
    AH_STATUS(&r, 201);
    snprintf(secret, sizeof secret, "%s", ah_str(&r, "token"));
    snprintf(id, sizeof id, "%s", ah_str(&r, "id"));
    ah_req(&h, &r, "GET", "/api/v1/me", secret, NULL, NULL);
    AH_STATUS(&r, 200);
    if (via_api) {
      snprintf(path, sizeof path, "/api/v1/tokens/%s", id);
      ah_req(&h, &r, "DELETE", path, h.admin, NULL, NULL);
      AH_STATUS(&r, 204);
    } else {
      struct orch_error err = {0};
      cr_assert_eq(orch_store_token_revoke(h.rig.store, id, &err), 0, "%s", err.message);
      ah_req(&h, &r, "GET", "/api/v1/me", secret, NULL, NULL);
      AH_STATUS(&r, 200); /* still believed */
      orch_vclock_advance(h.vc, 1000);
    }
    ah_req(&h, &r, "GET", "/api/v1/me", secret, NULL, NULL);
    AH_STATUS(&r, 401);
    cr_assert(strstr(ah_str(&r, "error.message"), "revoked"), "%s", r.text);
  }
}

/* Sign in as `name`; the cookie header value into cookie, the CSRF token into csrf. */
static void sign_in(const char *name, const char *password, char *cookie, size_t cn, char *csrf, size_t sn) {
  char body[256], setc[512];
  snprintf(body, sizeof body, "{\"username\": \"%s\", \"password\": \"%s\"}", name, password);
  ah_req(&h, &r, "POST", "/api/v1/sessions", NULL, body, NULL);
  AH_STATUS(&r, 201);
  cr_assert(orch_api_response_header(&r.raw, "Set-Cookie", setc, sizeof setc));
  cr_assert(strstr(setc, "HttpOnly") && strstr(setc, "SameSite=Strict") && strstr(setc, "Path=/"), "%s", setc);
  cr_assert_null(strstr(setc, "Secure"), "not over plain HTTP");
  snprintf(cookie, cn, "%.*s", (int)strcspn(setc, ";"), setc);
  snprintf(csrf, sn, "%s", ah_str(&r, "csrf_token"));
  cr_assert_str_eq(ah_str(&r, "user.name"), name);
}

Test(auth, users_and_sessions) {
  ah_req(&h, &r, "POST", "/api/v1/users", h.admin, "{\"name\": \"alice\", \"role\": \"Operator\", \"password\": \"" PASSWORD "\"}", NULL);
  AH_STATUS(&r, 201);
  char uid[40];
  snprintf(uid, sizeof uid, "%s", ah_str(&r, "id"));
  cr_assert_eq(json_is_true(json_object_get(r.body, "has_password")), 1);
  ah_req(&h, &r, "POST", "/api/v1/users", h.admin, "{\"name\": \"bob\", \"role\": \"Viewer\", \"password\": \"short\"}", NULL);
  AH_STATUS(&r, 422);
  ah_req(&h, &r, "POST", "/api/v1/sessions", NULL, "{\"username\": \"alice\", \"password\": \"wrong password\"}", NULL);
  AH_STATUS(&r, 401);
  char wrong[256];
  snprintf(wrong, sizeof wrong, "%s", ah_str(&r, "error.message"));
  ah_req(&h, &r, "POST", "/api/v1/sessions", NULL, "{\"username\": \"nobody\", \"password\": \"wrong password\"}", NULL);
  AH_STATUS(&r, 401);
  cr_assert_str_eq(ah_str(&r, "error.message"), wrong, "no hint whether the user exists");

  char cookie[160], csrf[160];
  sign_in("alice", PASSWORD, cookie, sizeof cookie, csrf, sizeof csrf);
  ah_req(&h, &r, "GET", "/api/v1/me", NULL, NULL, "Cookie", cookie, NULL);
  AH_STATUS(&r, 200);
  cr_assert_str_eq(ah_str(&r, "kind"), "session");
  cr_assert_str_eq(ah_str(&r, "csrf_token"), csrf);
  /* a change with the cookie needs the CSRF token */
  ah_req(&h, &r, "POST", "/api/v1/plans/validate", NULL, "{\"source\": \"return 1\"}", "Cookie", cookie, NULL);
  AH_STATUS(&r, 403); /* an Operator may not validate plans: RBAC first */
  ah_req(&h, &r, "POST", "/api/v1/executions", NULL, "{\"plan\": \"x\", \"mode\": \"drill\"}", "Cookie", cookie, NULL);
  AH_STATUS(&r, 403);
  ah_envelope(&r, "CsrfRequired");
  ah_req(&h, &r, "POST", "/api/v1/executions", NULL, "{\"plan\": \"x\", \"mode\": \"drill\"}", "Cookie", cookie,
         "X-CSRF-Token", "not-the-token-at-all", NULL);
  ah_envelope(&r, "CsrfRequired");
  ah_req(&h, &r, "POST", "/api/v1/executions", NULL, "{\"plan\": \"x\", \"mode\": \"drill\"}", "Cookie", cookie,
         "X-CSRF-Token", csrf, NULL);
  cr_assert_neq(r.status, 403, "%s", r.text);
  ah_req(&h, &r, "GET", "/api/v1/me", NULL, NULL, "Cookie", "drsorch_session=forged-secret-value", NULL);
  AH_STATUS(&r, 401);

  /* password change: every session ends */
  ah_req(&h, &r, "PUT", "/api/v1/me/password", NULL, "{\"current_password\": \"nope\", \"new_password\": \"another long passphrase\"}",
         "Cookie", cookie, "X-CSRF-Token", csrf, NULL);
  AH_STATUS(&r, 403);
  ah_req(&h, &r, "PUT", "/api/v1/me/password", NULL, "{\"current_password\": \"" PASSWORD "\", \"new_password\": \"another long passphrase\"}",
         "Cookie", cookie, "X-CSRF-Token", csrf, NULL);
  AH_STATUS(&r, 204);
  ah_req(&h, &r, "GET", "/api/v1/me", NULL, NULL, "Cookie", cookie, NULL);
  AH_STATUS(&r, 401);
  ah_req(&h, &r, "PUT", "/api/v1/me/password", h.admin, "{\"current_password\": \"x\", \"new_password\": \"another long passphrase\"}", NULL);
  AH_STATUS(&r, 409);

  /* sign out, expiry, disabling */
  sign_in("alice", "another long passphrase", cookie, sizeof cookie, csrf, sizeof csrf);
  ah_req(&h, &r, "DELETE", "/api/v1/sessions/current", NULL, NULL, "Cookie", cookie, "X-CSRF-Token", csrf, NULL);
  AH_STATUS(&r, 204);
  ah_req(&h, &r, "GET", "/api/v1/me", NULL, NULL, "Cookie", cookie, NULL);
  AH_STATUS(&r, 401);
  sign_in("alice", "another long passphrase", cookie, sizeof cookie, csrf, sizeof csrf);
  orch_vclock_advance(h.vc, orch_config_duration_ms(h.cfg, "auth.session_ttl"));
  ah_req(&h, &r, "GET", "/api/v1/me", NULL, NULL, "Cookie", cookie, NULL);
  AH_STATUS(&r, 401);
  sign_in("alice", "another long passphrase", cookie, sizeof cookie, csrf, sizeof csrf);
  char path[96];
  snprintf(path, sizeof path, "/api/v1/users/%s", uid);
  ah_req(&h, &r, "PATCH", path, h.admin, "{\"disabled\": true}", NULL);
  AH_STATUS(&r, 200);
  ah_req(&h, &r, "GET", "/api/v1/me", NULL, NULL, "Cookie", cookie, NULL);
  AH_STATUS(&r, 401);
  ah_req(&h, &r, "POST", "/api/v1/sessions", NULL, "{\"username\": \"alice\", \"password\": \"another long passphrase\"}", NULL);
  AH_STATUS(&r, 401);
  ah_req(&h, &r, "PATCH", path, h.admin, "{}", NULL);
  AH_STATUS(&r, 422);
  ah_req(&h, &r, "PATCH", path, h.admin, "{\"role\": \"Approver\", \"disabled\": false}", NULL);
  AH_STATUS(&r, 200);
  cr_assert_str_eq(ah_str(&r, "role"), "Approver");
  ah_req(&h, &r, "GET", "/api/v1/audit?action=user.update", h.admin, NULL, NULL);
  cr_assert_str_eq(ah_str(&r, "items.0.details.after.role"), "Approver", "%s", r.text);
  cr_assert_str_eq(ah_str(&r, "items.1.details.before.role"), "Operator", "%s", r.text);
  ah_req(&h, &r, "GET", "/api/v1/audit?action=session.create", h.admin, NULL, NULL);
  cr_assert_str_eq(ah_str(&r, "items.0.actor"), "alice");
}

/* Credentials that stopped working (a session signed out or ended, a token revoked) do not stand in the way
 * of what needs none: signing in again with the stale cookie still in the browser, the sign-in options,
 * health. Anything else still answers 401. */
Test(auth, stale_credentials_do_not_block_public_routes) {
  ah_req(&h, &r, "POST", "/api/v1/users", h.admin, "{\"name\": \"carol\", \"role\": \"Operator\", \"password\": \"" PASSWORD "\"}", NULL);
  AH_STATUS(&r, 201);
  char cookie[160], csrf[160];
  sign_in("carol", PASSWORD, cookie, sizeof cookie, csrf, sizeof csrf);
  ah_req(&h, &r, "DELETE", "/api/v1/sessions/current", NULL, NULL, "Cookie", cookie, "X-CSRF-Token", csrf, NULL);
  AH_STATUS(&r, 204);
  ah_req(&h, &r, "GET", "/api/v1/plans", NULL, NULL, "Cookie", cookie, NULL);
  AH_STATUS(&r, 401);
  ah_req(&h, &r, "GET", "/api/v1/auth/options", NULL, NULL, "Cookie", cookie, NULL);
  AH_STATUS(&r, 200);
  ah_req(&h, &r, "GET", "/api/v1/health", "drs_revokedrevokedrevokedrevokedrevokedrevoke", NULL, NULL);
  AH_STATUS(&r, 200);
  ah_req(&h, &r, "POST", "/api/v1/sessions", NULL, "{\"username\": \"carol\", \"password\": \"" PASSWORD "\"}", "Cookie", cookie, NULL);
  AH_STATUS(&r, 201);
  ah_req(&h, &r, "GET", "/api/v1/audit?action=session.create", h.admin, NULL, NULL);
  cr_assert_str_eq(ah_str(&r, "items.0.actor"), "carol", "the new sign-in is audited as carol: %s", r.text);
}

/* The console asks how to sign in: passwords and tokens always; Cognito only when configured. */
Test(auth, sign_in_options_without_cognito) {
  ah_req(&h, &r, "GET", "/api/v1/auth/options", NULL, NULL, NULL);
  AH_STATUS(&r, 200);
  cr_assert(json_is_true(json_object_get(r.body, "password")) && json_is_true(json_object_get(r.body, "token")), "%s", r.text);
  cr_assert(json_is_null(json_object_get(r.body, "cognito")), "%s", r.text);
}

/* A Hosted UI domain that is not https, or without the pool it signs in to, is refused at start naming
 * the setting. */
Test(auth, cognito_domain_checked_at_start) {
  const char *bad[][3] = {
    {"auth.cognito_domain=http://x.auth.eu-west-1.amazoncognito.com", "auth.cognito_issuer=https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_A", "auth.cognito_client_ids=c1"},
    {"auth.cognito_domain=https://x.auth.eu-west-1.amazoncognito.com", "auth.cognito_client_ids=c1", NULL},
    {"auth.cognito_domain=https://x.auth.eu-west-1.amazoncognito.com", "auth.cognito_issuer=https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_A", NULL},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    struct orch_config *cfg = NULL;
    struct orch_error err = {0};
    cr_assert_eq(orch_config_new(&cfg), 0);
    for (size_t k = 0; k < 3 && bad[i][k]; k++) cr_assert_eq(orch_config_set_pair(cfg, bad[i][k], "test", &err), 0, "%s", err.message);
    struct orch_api_config ac = {.settings = cfg, .store = h.rig.store, .listen_address = "127.0.0.1:0"};
    struct orch_api *api = NULL;
    cr_assert_eq(orch_api_new(&ac, &api, &err), ORCH_ECONFIG, "case %zu", i);
    cr_assert_str_eq(err.context, "auth.cognito_domain", "case %zu: %s", i, err.message);
    orch_config_free(cfg);
  }
}
