/* orch_store_access: the store front end for users, API tokens, console sessions and target accounts:
 * argument validation, ids and timestamps, dispatch to the backend. Uses orch_store_int, orch_store_valid,
 * orch_str. */
#include <stdio.h>
#include <string.h>

#include "core/orch_alloc.h"
#include "core/orch_str.h"
#include "store/orch_store_int.h"
#include "store/orch_store_valid.h"

static bool chars_in(const char *s, size_t n, const char *set) {
  for (size_t i = 0; i < n; i++)
    if (!s[i] || !strchr(set, s[i])) return false;
  return true;
}

#define ALPHA "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define DIGITS "0123456789"
#define URLSAFE ALPHA DIGITS "-_"

static int valid_role(const char *s, struct orch_error *err) {
  size_t n = s ? strnlen(s, ORCH_STORE_ROLE_MAX + 1) : 0;
  if (!n) return orch_error_setc(err, ORCH_EINVAL, "role", "is required");
  if (n > ORCH_STORE_ROLE_MAX || !chars_in(s, n, ALPHA))
    return orch_error_setc(err, ORCH_EINVAL, "role", "must be 1 to %d letters", ORCH_STORE_ROLE_MAX);
  return 0;
}

/* Lower-case hex SHA-256: 64 characters. */
static int valid_sha256(const char *s, const char *field, struct orch_error *err) {
  if (!s || strnlen(s, 65) != 64 || !chars_in(s, 64, DIGITS "abcdef"))
    return orch_error_setc(err, ORCH_EINVAL, field, "must be 64 lower-case hex digits (a SHA-256)");
  return 0;
}

static int valid_page_out(struct orch_store *store, void *out, const struct orch_store_page *page,
                          struct orch_store_page *pg, size_t size, struct orch_error *err) {
  int rc = orch_store_check(store, out, "out", err);
  if (rc) return rc;
  memset(out, 0, size);
  return orch_store_valid_page(page, pg, err);
}

/* ---- Users ----------------------------------------------------------------------------------- */

int orch_store_user_create(struct orch_store *store, const struct orch_store_user_spec *spec,
                           struct orch_store_user *out, struct orch_error *err) {
  struct orch_store_user u = {0};
  int64_t now;
  if (out) memset(out, 0, sizeof *out);
  int rc = orch_store_check(store, spec, "user", err);
  if (rc || (rc = orch_store_valid_name(spec->name, "name", err)) || (rc = valid_role(spec->role, err)) ||
      (rc = orch_store_valid_text(spec->password_hash, ORCH_STORE_SECRET_HASH_MAX, false, "password_hash", err)))
    return rc;
  if ((rc = orch_store_new_id(store, u.id, &now, err))) return rc;
  orch_store_put_str(u.name, sizeof u.name, spec->name);
  orch_store_put_str(u.role, sizeof u.role, spec->role);
  orch_store_put_str(u.password_hash, sizeof u.password_hash, spec->password_hash);
  u.created_ms = u.updated_ms = now;
  if ((rc = ORCH_STORE_CALL(store, user_create, err, &u))) return rc;
  if (out) *out = u;
  return 0;
}

int orch_store_user_get(struct orch_store *store, const char *id, struct orch_store_user *out,
                        struct orch_error *err) {
  int rc = orch_store_check(store, out, "out", err);
  if (rc) return rc;
  memset(out, 0, sizeof *out);
  if ((rc = orch_store_valid_id(id, "user id", err))) return rc;
  return ORCH_STORE_CALL(store, user_get, err, id, NULL, out);
}

int orch_store_user_find(struct orch_store *store, const char *name, struct orch_store_user *out,
                         struct orch_error *err) {
  int rc = orch_store_check(store, out, "out", err);
  if (rc) return rc;
  memset(out, 0, sizeof *out);
  if ((rc = orch_store_valid_name(name, "name", err))) return rc;
  return ORCH_STORE_CALL(store, user_get, err, NULL, name, out);
}

int orch_store_user_update(struct orch_store *store, const char *id, const struct orch_store_user_update *upd,
                           struct orch_store_user *out, struct orch_error *err) {
  if (out) memset(out, 0, sizeof *out);
  int rc = orch_store_check(store, upd, "update", err);
  if (rc || (rc = orch_store_valid_id(id, "user id", err))) return rc;
  if (upd->role && (rc = valid_role(upd->role, err))) return rc;
  if (upd->password_hash &&
      (rc = orch_store_valid_text(upd->password_hash, ORCH_STORE_SECRET_HASH_MAX, true, "password_hash", err)))
    return rc;
  if (upd->disabled < -1 || upd->disabled > 1)
    return orch_error_setc(err, ORCH_EINVAL, "disabled", "must be -1 (unchanged), 0 or 1");
  if (upd->last_login_ms < 0) return orch_error_setc(err, ORCH_EINVAL, "last_login_ms", "must not be negative");
  return ORCH_STORE_CALL(store, user_update, err, id, upd, orch_clock_now_ms(store->clock), out);
}

int orch_store_user_list(struct orch_store *store, const struct orch_store_page *page,
                         struct orch_store_user_list *out, struct orch_error *err) {
  struct orch_store_page pg;
  int rc = valid_page_out(store, out, page, &pg, sizeof *out, err);
  return rc ? rc : ORCH_STORE_CALL(store, user_list, err, &pg, out);
}

void orch_store_user_list_release(struct orch_store_user_list *l) {
  if (!l) return;
  orch_free(l->items);
  memset(l, 0, sizeof *l);
}

/* ---- API tokens ------------------------------------------------------------------------------ */

int orch_store_token_create(struct orch_store *store, const struct orch_store_token_spec *spec,
                            struct orch_store_token *out, struct orch_error *err) {
  struct orch_store_token t = {0};
  int64_t now;
  if (out) memset(out, 0, sizeof *out);
  int rc = orch_store_check(store, spec, "token", err);
  if (rc || (rc = orch_store_valid_name(spec->name, "name", err)) || (rc = valid_role(spec->role, err)) ||
      (rc = valid_sha256(spec->secret_hash, "secret_hash", err)) ||
      (rc = orch_store_valid_text(spec->prefix, ORCH_STORE_TOKEN_PREFIX_MAX, true, "prefix", err)) ||
      (rc = orch_store_valid_text(spec->created_by, ORCH_STORE_ACTOR_MAX, false, "created_by", err)))
    return rc;
  if ((rc = orch_store_new_id(store, t.id, &now, err))) return rc;
  if (spec->expires_ms < 0 || (spec->expires_ms && spec->expires_ms <= now))
    return orch_error_setc(err, ORCH_EINVAL, "expires_ms", "must be 0 (never) or a time in the future");
  orch_store_put_str(t.name, sizeof t.name, spec->name);
  orch_store_put_str(t.role, sizeof t.role, spec->role);
  orch_store_put_str(t.prefix, sizeof t.prefix, spec->prefix);
  orch_store_put_str(t.created_by, sizeof t.created_by, spec->created_by);
  t.created_ms = now;
  t.expires_ms = spec->expires_ms;
  if ((rc = ORCH_STORE_CALL(store, token_create, err, &t, spec->secret_hash))) return rc;
  if (out) *out = t;
  return 0;
}

int orch_store_token_get(struct orch_store *store, const char *id, struct orch_store_token *out,
                         struct orch_error *err) {
  int rc = orch_store_check(store, out, "out", err);
  if (rc) return rc;
  memset(out, 0, sizeof *out);
  if ((rc = orch_store_valid_id(id, "token id", err))) return rc;
  return ORCH_STORE_CALL(store, token_get, err, id, NULL, out);
}

int orch_store_token_find_hash(struct orch_store *store, const char *secret_hash, struct orch_store_token *out,
                               struct orch_error *err) {
  int rc = orch_store_check(store, out, "out", err);
  if (rc) return rc;
  memset(out, 0, sizeof *out);
  if ((rc = valid_sha256(secret_hash, "secret_hash", err))) return rc;
  return ORCH_STORE_CALL(store, token_get, err, NULL, secret_hash, out);
}

int orch_store_token_list(struct orch_store *store, const struct orch_store_page *page,
                          struct orch_store_token_list *out, struct orch_error *err) {
  struct orch_store_page pg;
  int rc = valid_page_out(store, out, page, &pg, sizeof *out, err);
  return rc ? rc : ORCH_STORE_CALL(store, token_list, err, &pg, out);
}

int orch_store_token_revoke(struct orch_store *store, const char *id, struct orch_error *err) {
  int rc = orch_store_check(store, id, "token id", err);
  if (rc || (rc = orch_store_valid_id(id, "token id", err))) return rc;
  return ORCH_STORE_CALL(store, token_revoke, err, id, orch_clock_now_ms(store->clock));
}

int orch_store_token_touch(struct orch_store *store, const char *id, int64_t at_ms, struct orch_error *err) {
  int rc = orch_store_check(store, id, "token id", err);
  if (rc || (rc = orch_store_valid_id(id, "token id", err))) return rc;
  if (at_ms <= 0) return orch_error_setc(err, ORCH_EINVAL, "at_ms", "must be a time after the epoch");
  return ORCH_STORE_CALL(store, token_touch, err, id, at_ms);
}

void orch_store_token_list_release(struct orch_store_token_list *l) {
  if (!l) return;
  orch_free(l->items);
  memset(l, 0, sizeof *l);
}

/* ---- Console sessions ------------------------------------------------------------------------ */

int orch_store_session_create(struct orch_store *store, const struct orch_store_session_spec *spec,
                              struct orch_store_session *out, struct orch_error *err) {
  struct orch_store_session s = {0};
  int64_t now;
  if (out) memset(out, 0, sizeof *out);
  int rc = orch_store_check(store, spec, "session", err);
  if (rc || (rc = orch_store_valid_id(spec->user_id, "user_id", err)) ||
      (rc = valid_sha256(spec->secret_hash, "secret_hash", err)))
    return rc;
  size_t n = spec->csrf_token ? strnlen(spec->csrf_token, sizeof s.csrf_token) : 0;
  if (n < 16 || n >= sizeof s.csrf_token || !chars_in(spec->csrf_token, n, URLSAFE))
    return orch_error_setc(err, ORCH_EINVAL, "csrf_token", "must be 16 to 128 URL-safe characters");
  if ((rc = orch_store_new_id(store, s.id, &now, err))) return rc;
  if (spec->expires_ms <= now) return orch_error_setc(err, ORCH_EINVAL, "expires_ms", "must be in the future");
  orch_store_put_str(s.user_id, sizeof s.user_id, spec->user_id);
  orch_store_put_str(s.csrf_token, sizeof s.csrf_token, spec->csrf_token);
  s.created_ms = now;
  s.expires_ms = spec->expires_ms;
  if ((rc = ORCH_STORE_CALL(store, session_create, err, &s, spec->secret_hash))) return rc;
  if (out) *out = s;
  return 0;
}

int orch_store_session_find_hash(struct orch_store *store, const char *secret_hash, struct orch_store_session *out,
                                 struct orch_error *err) {
  int rc = orch_store_check(store, out, "out", err);
  if (rc) return rc;
  memset(out, 0, sizeof *out);
  if ((rc = valid_sha256(secret_hash, "secret_hash", err))) return rc;
  return ORCH_STORE_CALL(store, session_find, err, secret_hash, orch_clock_now_ms(store->clock), out);
}

int orch_store_session_delete(struct orch_store *store, const char *id, struct orch_error *err) {
  int rc = orch_store_check(store, id, "session id", err);
  if (rc || (rc = orch_store_valid_id(id, "session id", err))) return rc;
  return ORCH_STORE_CALL(store, session_delete, err, id, NULL);
}

int orch_store_session_delete_user(struct orch_store *store, const char *user_id, struct orch_error *err) {
  int rc = orch_store_check(store, user_id, "user id", err);
  if (rc || (rc = orch_store_valid_id(user_id, "user id", err))) return rc;
  return ORCH_STORE_CALL(store, session_delete, err, NULL, user_id);
}

/* ---- Target accounts ------------------------------------------------------------------------- */

/* arn:<partition>:iam::<account>:role/<path and name>, naming `account`. */
static int valid_role_arn(const char *arn, const char *account, struct orch_error *err) {
  int rc = orch_store_valid_text(arn, ORCH_STORE_ROLE_ARN_MAX, true, "role_arn", err);
  if (rc) return rc;
  char want[64];
  snprintf(want, sizeof want, ":iam::%s:role/", account);
  const char *iam = strstr(arn, ":iam::");
  if (!orch_str_starts_with(arn, "arn:aws") || !iam || !orch_str_starts_with(iam, want) ||
      !chars_in(arn + 4, (size_t)(iam - arn - 4), ALPHA DIGITS "-") || !iam[strlen(want)] ||
      strchr(iam + strlen(want), ' '))
    return orch_error_setc(err, ORCH_EINVAL, "role_arn",
                           "must be an IAM role ARN in account %s: arn:aws:iam::%s:role/NAME", account, account);
  return 0;
}

int orch_store_account_create(struct orch_store *store, const struct orch_store_account_spec *spec,
                              struct orch_store_account *out, struct orch_error *err) {
  struct orch_store_account a = {0};
  int64_t now;
  if (out) memset(out, 0, sizeof *out);
  int rc = orch_store_check(store, spec, "account", err);
  if (rc || (rc = orch_store_valid_account(spec->account_id, "account_id", err)) ||
      (spec->name && *spec->name && (rc = orch_store_valid_name(spec->name, "name", err))) ||
      (rc = valid_role_arn(spec->role_arn, spec->account_id, err)) ||
      (rc = orch_store_valid_text(spec->caller_arn, ORCH_STORE_ROLE_ARN_MAX, false, "caller_arn", err)))
    return rc;
  size_t xn = spec->external_id ? strnlen(spec->external_id, ORCH_STORE_EXTERNAL_ID_MAX + 1) : 0;
  if (xn && (xn < 2 || xn > ORCH_STORE_EXTERNAL_ID_MAX || !chars_in(spec->external_id, xn, ALPHA DIGITS "_+=,.@:/-")))
    return orch_error_setc(err, ORCH_EINVAL, "external_id",
                           "must be 2 to %d characters of letters, digits and _+=,.@:/-", ORCH_STORE_EXTERNAL_ID_MAX);
  if (spec->validated_ms < 0) return orch_error_setc(err, ORCH_EINVAL, "validated_ms", "must not be negative");
  now = orch_clock_now_ms(store->clock);
  orch_store_put_str(a.account_id, sizeof a.account_id, spec->account_id);
  orch_store_put_str(a.name, sizeof a.name, spec->name);
  orch_store_put_str(a.role_arn, sizeof a.role_arn, spec->role_arn);
  orch_store_put_str(a.external_id, sizeof a.external_id, spec->external_id);
  orch_store_put_str(a.caller_arn, sizeof a.caller_arn, spec->caller_arn);
  a.validated_ms = spec->validated_ms;
  a.created_ms = a.updated_ms = now;
  if ((rc = ORCH_STORE_CALL(store, account_create, err, &a))) return rc;
  if (out) *out = a;
  return 0;
}

int orch_store_account_get(struct orch_store *store, const char *account_id, struct orch_store_account *out,
                           struct orch_error *err) {
  int rc = orch_store_check(store, out, "out", err);
  if (rc) return rc;
  memset(out, 0, sizeof *out);
  if ((rc = orch_store_valid_account(account_id, "account_id", err))) return rc;
  return ORCH_STORE_CALL(store, account_get, err, account_id, out);
}

int orch_store_account_list(struct orch_store *store, const struct orch_store_page *page,
                            struct orch_store_account_list *out, struct orch_error *err) {
  struct orch_store_page pg;
  int rc = valid_page_out(store, out, page, &pg, sizeof *out, err);
  return rc ? rc : ORCH_STORE_CALL(store, account_list, err, &pg, out);
}

int orch_store_account_delete(struct orch_store *store, const char *account_id, struct orch_error *err) {
  int rc = orch_store_check(store, account_id, "account_id", err);
  if (rc || (rc = orch_store_valid_account(account_id, "account_id", err))) return rc;
  return ORCH_STORE_CALL(store, account_delete, err, account_id);
}

void orch_store_account_list_release(struct orch_store_account_list *l) {
  if (!l) return;
  orch_free(l->items);
  memset(l, 0, sizeof *l);
}
