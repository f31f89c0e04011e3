/* orch_api_h_auth: GET /auth/options (how the console may sign in: Cognito's Hosted UI when configured),
 * POST /sessions (sign in: the session cookie, HttpOnly, SameSite=Strict, Secure under TLS, and the CSRF
 * token in the body), DELETE /sessions/current (sign out), GET /me, PUT /me/password.
 * Uses orch_api_int, orch_api_auth, orch_api_secret, orch_store. */
#include <string.h>

#include "api/orch_api_auth.h"
#include "api/orch_api_secret.h"
#include "core/orch_log.h"

/* The Hosted UI's endpoints under auth.cognito_domain, for the first of auth.cognito_client_ids (a public
 * client: the console uses the code flow with PKCE, no secret). null unless both are set. The domain is at
 * most 400 characters (checked at start) and a longer client id is no app client: the buffers hold both. */
static json_t *cognito_options(const struct orch_config *cfg) {
  const char *domain = orch_config_str(cfg, "auth.cognito_domain");
  const char *ids = orch_config_str(cfg, "auth.cognito_client_ids");
  if (!*domain || !*orch_config_str(cfg, "auth.cognito_issuer")) return json_null();
  while (*ids == ' ' || *ids == ',') ids++;
  size_t idn = strcspn(ids, ", ");
  size_t dn = strlen(domain);
  while (dn && domain[dn - 1] == '/') dn--;
  if (!idn || idn >= 256) return json_null();
  char client[256], authorize[600], token[600], logout[600];
  snprintf(client, sizeof client, "%.*s", (int)idn, ids);
  snprintf(authorize, sizeof authorize, "%.*s/oauth2/authorize", (int)dn, domain);
  snprintf(token, sizeof token, "%.*s/oauth2/token", (int)dn, domain);
  snprintf(logout, sizeof logout, "%.*s/logout", (int)dn, domain);
  return json_pack("{s:s, s:s, s:s, s:s, s:s}", "authorize_url", authorize, "token_url", token, "logout_url", logout,
                   "client_id", client, "scope", orch_config_str(cfg, "auth.cognito_scopes"));
}

int api_h_auth_options(struct api_call *c) {
  return api_json(c, 200, json_pack("{s:b, s:b, s:o}", "password", true, "token", true, "cognito",
                                    cognito_options(c->api->cfg.settings)));
}

static json_t *user_ref(const struct orch_store_user *u) {
  return json_pack("{s:s, s:s, s:s}", "id", u->id, "name", u->name, "role", u->role);
}

int api_h_session_create(struct api_call *c) {
  const char *username = json_string_value(json_object_get(c->body, "username"));
  const char *password = json_string_value(json_object_get(c->body, "password"));
  struct orch_store_user u;
  struct orch_store_session s;
  char secret[64];
  struct orch_error err = {0};
  int rc = orch_api_auth_login(c->api->auth, username, password, &u, secret, sizeof secret, &s, &err);
  if (rc == ORCH_EAUTH) {
    orch_log_warn("auth: failed sign-in as '%s' from %s", username, c->req->remote_addr ? c->req->remote_addr : "?");
    return api_error(c, 401, "Unauthorized", NULL, "%s", err.message);
  }
  if (rc) return api_fail(c, rc, &err);
  int64_t ttl_s = orch_api_auth_session_ttl_ms(c->api->auth) / 1000;
  api_header(c, "Set-Cookie", "%s=%s; Path=/; Max-Age=%lld; HttpOnly; SameSite=Strict%s", ORCH_API_SESSION_COOKIE,
             secret, (long long)ttl_s, c->req->tls ? "; Secure" : "");
  /* the audit entry's actor is who just signed in */
  c->who.kind = API_SESSION;
  c->who.roles = orch_api_role_parse(u.role);
  snprintf(c->who.name, sizeof c->who.name, "%s", u.name);
  char target[64];
  snprintf(target, sizeof target, "user/%s", u.id);
  api_audit(c, target, NULL, NULL, json_pack("{s:s}", "session", s.id));
  return api_json(c, 201, json_pack("{s:o, s:s, s:o}", "user", user_ref(&u), "csrf_token", s.csrf_token, "expires_at",
                                    api_time(s.expires_ms)));
}

static void clear_cookie(struct api_call *c) {
  api_header(c, "Set-Cookie", "%s=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict%s", ORCH_API_SESSION_COOKIE,
             c->req->tls ? "; Secure" : "");
}

int api_h_session_delete(struct api_call *c) {
  if (c->who.kind != API_SESSION)
    return api_error(c, 409, "Conflict", NULL, "these credentials are not a console session: there is nothing to sign out of");
  struct orch_error err = {0};
  int rc = orch_store_session_delete(c->api->cfg.store, c->who.session_id, &err);
  if (rc && rc != ORCH_ENOTFOUND) return api_fail(c, rc, &err);
  clear_cookie(c);
  char target[64];
  snprintf(target, sizeof target, "user/%s", c->who.id);
  api_audit(c, target, NULL, NULL, json_pack("{s:s}", "session", c->who.session_id));
  c->resp->status = 204;
  return 0;
}

int api_h_me(struct api_call *c) {
  static const char *const kinds[] = {"anonymous", "token", "session", "cognito"};
  json_t *roles = json_array(), *perms = json_array();
  for (unsigned b = 0; roles && b < ORCH_ROLE_COUNT; b++)
    if (c->who.roles & (1u << b)) json_array_append_new(roles, json_string(orch_api_role_name(1u << b)));
  for (int p = ORCH_PERM_GROUPS_READ; perms && p < ORCH_PERM_COUNT; p++)
    if (orch_api_roles_allow(c->who.roles, (enum orch_api_perm)p))
      json_array_append_new(perms, json_string(orch_api_perm_name((enum orch_api_perm)p)));
  bool user = c->who.kind == API_SESSION;
  return api_json(c, 200, json_pack("{s:s, s:s, s:o, s:o, s:o, s:o}", "kind", kinds[c->who.kind], "name", c->who.name,
                                    "roles", roles, "permissions", perms, "user_id",
                                    user ? json_string(c->who.id) : json_null(), "csrf_token",
                                    user ? json_string(c->who.csrf_token) : json_null()));
}

int api_h_me_password(struct api_call *c) {
  if (c->who.kind != API_SESSION)
    return api_error(c, 409, "Conflict", NULL, "only a local user signed in to the console has a password to change");
  struct orch_store_user u;
  struct orch_error err = {0};
  int rc = orch_store_user_get(c->api->cfg.store, c->who.id, &u, &err);
  if (rc) return api_fail(c, rc, &err);
  const char *current = json_string_value(json_object_get(c->body, "current_password"));
  const char *fresh = json_string_value(json_object_get(c->body, "new_password"));
  if (!orch_api_password_verify(current, u.password_hash))
    return api_error(c, 403, "Forbidden", json_pack("{s:s}", "field", "current_password"), "the current password is wrong");
  char hash[ORCH_STORE_SECRET_HASH_MAX + 1];
  if ((rc = orch_api_password_hash(fresh, hash, sizeof hash, &err))) return api_fail(c, rc, &err);
  struct orch_store_user_update upd = {.password_hash = hash, .disabled = -1};
  if ((rc = orch_store_user_update(c->api->cfg.store, u.id, &upd, NULL, &err))) return api_fail(c, rc, &err);
  if ((rc = orch_store_session_delete_user(c->api->cfg.store, u.id, &err))) return api_fail(c, rc, &err);
  clear_cookie(c);
  char target[64];
  snprintf(target, sizeof target, "user/%s", u.id);
  api_audit(c, target, NULL, NULL, NULL);
  c->resp->status = 204;
  return 0;
}
