/* orch_api_h_users: local users (list, add, get, change role or password, disable: which ends their
 * sessions) and API tokens (list, create: the secret is in the answer only, get, revoke). Records to JSON
 * are public here for `drsorch users|tokens --json`. Uses orch_api_int, orch_api_secret, orch_store,
 * orch_time. */
#include <stdio.h>
#include <string.h>

#include "api/orch_api_auth.h"
#include "api/orch_api_int.h"
#include "api/orch_api_secret.h"
#include "api/orch_api_users.h"
#include "core/orch_time.h"

json_t *orch_api_user_json(const struct orch_store_user *u) {
  return json_pack("{s:s, s:s, s:s, s:b, s:b, s:o, s:o, s:o}", "id", u->id, "name", u->name, "role", u->role,
                   "disabled", u->disabled, "has_password", u->password_hash[0] != '\0', "created_at",
                   api_time(u->created_ms), "updated_at", api_time(u->updated_ms), "last_login_at",
                   api_time(u->last_login_ms));
}

const char *orch_api_token_status(const struct orch_store_token *t, int64_t now_ms) {
  if (t->revoked_ms) return "revoked";
  if (t->expires_ms && t->expires_ms <= now_ms) return "expired";
  return "active";
}

json_t *orch_api_token_json(const struct orch_store_token *t, int64_t now_ms) {
  return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o}", "id", t->id, "name", t->name, "role", t->role,
                   "prefix", t->prefix, "status", orch_api_token_status(t, now_ms), "created_by",
                   t->created_by[0] ? json_string(t->created_by) : json_null(), "created_at", api_time(t->created_ms),
                   "expires_at", api_time(t->expires_ms), "last_used_at", api_time(t->last_used_ms), "revoked_at",
                   api_time(t->revoked_ms));
}

int orch_api_token_issue(struct orch_store *store, const char *name, const char *role, int64_t expires_ms,
                         const char *created_by, struct orch_store_token *out, char *secret, size_t n,
                         struct orch_error *err) {
  char hash[ORCH_API_SHA256_HEX + 1], prefix[ORCH_API_TOKEN_SHOWN + 1];
  int rc = orch_api_secret_new(ORCH_API_TOKEN_PREFIX, secret, n);
  if (rc) return orch_error_set(err, rc, "no random bytes for a token");
  orch_api_sha256_hex(secret, strlen(secret), hash);
  snprintf(prefix, sizeof prefix, "%.*s", ORCH_API_TOKEN_SHOWN, secret);
  struct orch_store_token_spec spec = {.name = name, .role = role, .secret_hash = hash, .prefix = prefix,
                                       .created_by = created_by, .expires_ms = expires_ms};
  return orch_store_token_create(store, &spec, out, err);
}

/* ---- Users ----------------------------------------------------------------------------------- */

int api_h_users_list(struct api_call *c) {
  struct orch_store_page page;
  struct orch_store_user_list l = {0};
  struct orch_error err = {0};
  if (api_query_page(c, &page)) return 0;
  int rc = orch_store_user_list(c->api->cfg.store, &page, &l, &err);
  if (rc) return api_fail(c, rc, &err);
  json_t *items = json_array();
  for (size_t i = 0; items && i < l.count; i++) json_array_append_new(items, orch_api_user_json(&l.items[i]));
  api_page(c, items, l.next_cursor);
  orch_store_user_list_release(&l);
  return 0;
}

int api_h_user_create(struct api_call *c) {
  const char *password = json_string_value(json_object_get(c->body, "password"));
  char hash[ORCH_STORE_SECRET_HASH_MAX + 1] = "";
  struct orch_error err = {0};
  int rc = password ? orch_api_password_hash(password, hash, sizeof hash, &err) : 0;
  if (rc) return api_fail(c, rc, &err);
  struct orch_store_user_spec spec = {.name = json_string_value(json_object_get(c->body, "name")),
                                      .role = json_string_value(json_object_get(c->body, "role")),
                                      .password_hash = hash[0] ? hash : NULL};
  struct orch_store_user u;
  if ((rc = orch_store_user_create(c->api->cfg.store, &spec, &u, &err))) return api_fail(c, rc, &err);
  char target[64];
  snprintf(target, sizeof target, "user/%s", u.id);
  api_audit(c, target, NULL, json_pack("{s:s}", "role", u.role), json_pack("{s:s}", "name", u.name));
  api_header(c, "Location", "/api/v1/users/%s", u.id);
  return api_json(c, 201, orch_api_user_json(&u));
}

int api_h_user_get(struct api_call *c) {
  const char *id;
  if (api_param_id(c, 0, "user id", &id)) return 0;
  struct orch_store_user u;
  struct orch_error err = {0};
  int rc = orch_store_user_get(c->api->cfg.store, id, &u, &err);
  return rc ? api_fail(c, rc, &err) : api_json(c, 200, orch_api_user_json(&u));
}

int api_h_user_update(struct api_call *c) {
  const char *id;
  if (api_param_id(c, 0, "user id", &id)) return 0;
  struct orch_store_user before, after;
  struct orch_error err = {0};
  int rc = orch_store_user_get(c->api->cfg.store, id, &before, &err);
  if (rc) return api_fail(c, rc, &err);
  const char *password = json_string_value(json_object_get(c->body, "password"));
  const json_t *disabled = json_object_get(c->body, "disabled");
  char hash[ORCH_STORE_SECRET_HASH_MAX + 1] = "";
  if (password && (rc = orch_api_password_hash(password, hash, sizeof hash, &err))) return api_fail(c, rc, &err);
  struct orch_store_user_update upd = {.role = json_string_value(json_object_get(c->body, "role")),
                                       .password_hash = hash[0] ? hash : NULL,
                                       .disabled = disabled ? json_is_true(disabled) : -1};
  if ((rc = orch_store_user_update(c->api->cfg.store, id, &upd, &after, &err))) return api_fail(c, rc, &err);
  /* a disabled user, or one whose password changed, is signed out everywhere */
  if ((after.disabled || hash[0]) && (rc = orch_store_session_delete_user(c->api->cfg.store, id, &err)))
    return api_fail(c, rc, &err);
  char target[64];
  snprintf(target, sizeof target, "user/%s", id);
  api_audit(c, target, json_pack("{s:s, s:b}", "role", before.role, "disabled", before.disabled),
            json_pack("{s:s, s:b}", "role", after.role, "disabled", after.disabled),
            json_pack("{s:b}", "password_changed", hash[0] != '\0'));
  return api_json(c, 200, orch_api_user_json(&after));
}

/* ---- Tokens ---------------------------------------------------------------------------------- */

int api_h_tokens_list(struct api_call *c) {
  struct orch_store_page page;
  struct orch_store_token_list l = {0};
  struct orch_error err = {0};
  if (api_query_page(c, &page)) return 0;
  int rc = orch_store_token_list(c->api->cfg.store, &page, &l, &err);
  if (rc) return api_fail(c, rc, &err);
  int64_t now = orch_clock_now_ms(c->api->clock);
  json_t *items = json_array();
  for (size_t i = 0; items && i < l.count; i++) json_array_append_new(items, orch_api_token_json(&l.items[i], now));
  api_page(c, items, l.next_cursor);
  orch_store_token_list_release(&l);
  return 0;
}

int api_h_token_create(struct api_call *c) {
  const char *expires_in = json_string_value(json_object_get(c->body, "expires_in"));
  int64_t ttl = 0, now = orch_clock_now_ms(c->api->clock);
  struct orch_error err = {0};
  if (expires_in && (orch_duration_parse(expires_in, &ttl, &err) || ttl <= 0))
    return api_error(c, 422, "ValidationError", json_pack("{s:s}", "field", "expires_in"),
                     "expires_in must be a positive duration such as 90d or 12h, not '%.40s'", expires_in);
  struct orch_store_token t;
  char secret[ORCH_API_TOKEN_LEN + 1];
  int rc = orch_api_token_issue(c->api->cfg.store, json_string_value(json_object_get(c->body, "name")),
                                json_string_value(json_object_get(c->body, "role")), ttl ? now + ttl : 0, c->who.name,
                                &t, secret, sizeof secret, &err);
  if (rc) return api_fail(c, rc, &err);
  char target[64];
  snprintf(target, sizeof target, "token/%s", t.id);
  api_audit(c, target, NULL, json_pack("{s:s}", "role", t.role), json_pack("{s:s, s:o}", "name", t.name, "expires_at", api_time(t.expires_ms)));
  api_header(c, "Location", "/api/v1/tokens/%s", t.id);
  json_t *body = orch_api_token_json(&t, now);
  if (body) json_object_set_new(body, "token", json_string(secret));
  return api_json(c, 201, body);
}

int api_h_token_get(struct api_call *c) {
  const char *id;
  if (api_param_id(c, 0, "token id", &id)) return 0;
  struct orch_store_token t;
  struct orch_error err = {0};
  int rc = orch_store_token_get(c->api->cfg.store, id, &t, &err);
  return rc ? api_fail(c, rc, &err) : api_json(c, 200, orch_api_token_json(&t, orch_clock_now_ms(c->api->clock)));
}

int api_h_token_revoke(struct api_call *c) {
  const char *id;
  if (api_param_id(c, 0, "token id", &id)) return 0;
  struct orch_error err = {0};
  int rc = orch_store_token_revoke(c->api->cfg.store, id, &err);
  if (rc) return api_fail(c, rc, &err);
  orch_api_auth_forget(c->api->auth);
  char target[64];
  snprintf(target, sizeof target, "token/%s", id);
  api_audit(c, target, NULL, NULL, NULL);
  c->resp->status = 204;
  return 0;
}
