/* orch_store_dynamodb_access: users, API tokens and console sessions in DynamoDB, each write committed by
 * one conditional single-item write (docs/store.md, "DynamoDB").
 *   - A user is its record "n#<name>" in "users" (names never change, so the name is its key and makes it
 *     unique), found by id through the pointer "i#<id>", written first (a pointer whose record never came
 *     names none). Updates are conditional on the record's revision `rv`, so the row returned is the row
 *     committed.
 *   - A token is its record "t#<id>" in "tokens" (ids are UUIDv7: the partition lists them newest first),
 *     written half-made (`pend`, with a TTL) before it claims its name ("n#<name>") and its secret's hash
 *     ("h#<hash>"), and committed by removing `pend`. A claim whose token record is gone is stale and
 *     taken over.
 *   - A session is its record "h#<hash>" in "sessions" (the secret's hash makes it unique; an expired one
 *     may be overwritten), found by id through the pointer "s#<id>", written first. Both carry the TTL of
 *     the session's expiry, so DynamoDB removes expired sessions.
 * Uses orch_store_dynamodb_item, orch_store_valid. */
#include <stdio.h>
#include <string.h>

#include "core/orch_log.h"
#include "store/orch_store_dynamodb_int.h"
#include "store/orch_store_valid.h"

#define UPK ORCH_STORE_DY_PK_USERS
#define TPK ORCH_STORE_DY_PK_TOKENS
#define SPK ORCH_STORE_DY_PK_SESSIONS

static int oom(struct orch_error *err, const char *what) {
  return orch_error_set(err, ORCH_ENOMEM, "out of memory %s", what);
}

/* A clean-up whose failure leaves only an item nothing reaches (or one its TTL removes). */
static void best_effort(int rc, const char *what) {
  if (rc) orch_log_debug("dynamodb: %s left behind (unreachable)", what);
}

/* ---- Users ----------------------------------------------------------------------------------- */

static int user_fill(const json_t *it, void *record, struct orch_error *err) {
  struct orch_store_user *u = record;
  int64_t disabled = 0;
  int rc;
  if ((rc = orch_store_dy_copy(it, "id", u->id, sizeof u->id, err)) ||
      (rc = orch_store_dy_copy(it, "name", u->name, sizeof u->name, err)) ||
      (rc = orch_store_dy_copy(it, "role", u->role, sizeof u->role, err)) ||
      (rc = orch_store_dy_copy(it, "pw", u->password_hash, sizeof u->password_hash, err)) ||
      (rc = orch_store_dy_num(it, "dis", 0, &disabled, err)) ||
      (rc = orch_store_dy_num(it, "created_ms", 0, &u->created_ms, err)) ||
      (rc = orch_store_dy_num(it, "updated_ms", 0, &u->updated_ms, err)) ||
      (rc = orch_store_dy_num(it, "login_ms", 0, &u->last_login_ms, err)))
    return rc;
  u->disabled = disabled != 0;
  return 0;
}

int orch_store_dy_user_create(void *ctx, const struct orch_store_user *u, struct orch_error *err) {
  struct orch_store_dy *d = ctx;
  char sk[ORCH_STORE_DY_KEY_MAX + 1];
  orch_store_dy_key_str(sk, "i#", u->id);
  json_t *ptr = json_pack("{s{ss}s{ss}s{ss}}", "pk", "S", UPK, "sk", "S", sk, "name", "S", u->name);
  int rc = orch_store_dy_put_fresh(d, ptr, err);
  if (rc) return rc;
  orch_store_dy_key_str(sk, "n#", u->name);
  json_t *rec = json_pack("{s{ss}s{ss}s{ss}s{ss}s{ss}}", "pk", "S", UPK, "sk", "S", sk, "id", "S", u->id, "name", "S",
                          u->name, "role", "S", u->role);
  if (!rec || orch_store_dy_set_s(rec, "pw", u->password_hash) || orch_store_dy_set_n(rec, "dis", u->disabled) ||
      orch_store_dy_set_n(rec, "created_ms", u->created_ms) || orch_store_dy_set_n(rec, "updated_ms", u->updated_ms) ||
      orch_store_dy_set_n(rec, "rv", 0)) {
    json_decref(rec);
    rec = NULL;
  }
  rc = orch_store_dy_put(d, rec, "attribute_not_exists(pk)", NULL, NULL, err);
  /* a record of this id is this put, landed with its answer lost; another is the name taken */
  if (orch_store_dy_condition_failed(rc, err) && (rc = orch_store_dy_landed(d, UPK, sk, "id", u->id, err)) == 0)
    rc = orch_error_setc(err, ORCH_EEXIST, "name", "a user named '%s' already exists", u->name);
  if (rc == 1) rc = 0;
  if (rc) { /* the pointer names no record of this id: harmless, but not kept */
    orch_store_dy_key_str(sk, "i#", u->id);
    best_effort(orch_store_dy_delete(d, UPK, sk, NULL, NULL, NULL, NULL), "a user's pointer");
  }
  return rc;
}

/* The record of user `id` or `name` (1 and *item, 0 when there is none). */
static int user_record(struct orch_store_dy *d, const char *id, const char *name, json_t **item,
                       struct orch_error *err) {
  char sk[ORCH_STORE_DY_KEY_MAX + 1];
  if (id) return orch_store_dy_follow(d, UPK, "i#", id, item, err);
  orch_store_dy_key_str(sk, "n#", name);
  return orch_store_dy_get(d, UPK, sk, NULL, item, err);
}

static int user_missing(const char *id, const char *name, struct orch_error *err) {
  return id ? orch_error_setc(err, ORCH_ENOTFOUND, "id", "user %s not found", id)
            : orch_error_setc(err, ORCH_ENOTFOUND, "name", "no user named '%s'", name);
}

int orch_store_dy_user_get(void *ctx, const char *id, const char *name, struct orch_store_user *out,
                           struct orch_error *err) {
  json_t *rec = NULL;
  int rc = user_record(ctx, id, name, &rec, err);
  rc = rc == 1 ? user_fill(rec, out, err) : rc == 0 ? user_missing(id, name, err) : rc;
  json_decref(rec);
  if (rc) memset(out, 0, sizeof *out);
  return rc;
}

/* One attempt: read, apply, write conditional on the revision read (ECONFLICT "condition" when another
 * update came between). */
static int user_update_once(struct orch_store_dy *d, const char *id, const struct orch_store_user_update *u,
                            int64_t now_ms, struct orch_store_user *out, struct orch_error *err) {
  struct orch_store_user x = {0};
  struct orch_store_dy_setter s = ORCH_STORE_DY_SETTER_INIT;
  json_t *rec = NULL;
  int64_t rv = 0;
  int rc = orch_store_dy_follow(d, UPK, "i#", id, &rec, err);
  if (rc == 0) rc = user_missing(id, "", err);
  if (rc < 0 || (rc = orch_store_dy_num(rec, "rv", 0, &rv, err)) || (rc = user_fill(rec, &x, err))) goto out;
  bool edit = u->role || u->password_hash || u->disabled >= 0; /* a login is not an edit */
  if (u->role) snprintf(x.role, sizeof x.role, "%s", u->role);
  if (u->password_hash) snprintf(x.password_hash, sizeof x.password_hash, "%s", u->password_hash);
  if (u->disabled >= 0) x.disabled = u->disabled != 0;
  if (u->last_login_ms) x.last_login_ms = u->last_login_ms;
  if (edit) x.updated_ms = now_ms;
  orch_store_dy_setter_add(&s, "rv", orch_store_dy_n(rv + 1));
  if (u->role) orch_store_dy_setter_add(&s, "role", orch_store_dy_s(x.role));
  if (u->password_hash) orch_store_dy_setter_add(&s, "pw", orch_store_dy_s(x.password_hash));
  if (u->disabled >= 0) orch_store_dy_setter_add(&s, "dis", orch_store_dy_n(x.disabled));
  if (u->last_login_ms) orch_store_dy_setter_add(&s, "login_ms", orch_store_dy_n(x.last_login_ms));
  if (edit) orch_store_dy_setter_add(&s, "updated_ms", orch_store_dy_n(now_ms));
  if (s.rc || json_object_set_new(s.names, "#rv", json_string("rv")) ||
      json_object_set_new(s.names, "#id", json_string("id")) || json_object_set_new(s.values, ":rvwas", orch_store_dy_n(rv)) ||
      json_object_set_new(s.values, ":id", orch_store_dy_s(id))) {
    rc = oom(err, "updating a user");
    goto out;
  }
  char sk[ORCH_STORE_DY_KEY_MAX + 1];
  orch_store_dy_key_str(sk, "n#", x.name);
  rc = orch_store_dy_update(d, UPK, sk, orch_buf_cstr(&s.expr), "#id = :id AND #rv = :rvwas", json_incref(s.names),
                            json_incref(s.values), err);
  if (!rc && out) *out = x;
out:
  orch_store_dy_setter_free(&s);
  json_decref(rec);
  return rc;
}

int orch_store_dy_user_update(void *ctx, const char *id, const struct orch_store_user_update *u, int64_t now_ms,
                              struct orch_store_user *out, struct orch_error *err) {
  int rc = ORCH_ECONFLICT;
  for (int tries = 0; orch_store_dy_condition_failed(rc, err) && tries < ORCH_STORE_DY_TRIES; tries++)
    rc = user_update_once(ctx, id, u, now_ms, out, err);
  if (orch_store_dy_condition_failed(rc, err))
    rc = orch_error_setc(err, ORCH_ECONFLICT, "id", "user %s kept changing; try again", id);
  if (rc && out) memset(out, 0, sizeof *out);
  return rc;
}

int orch_store_dy_user_list(void *ctx, const struct orch_store_page *page, struct orch_store_user_list *out,
                            struct orch_error *err) {
  char after[ORCH_STORE_DY_KEY_MAX + 1];
  bool more;
  if (page->cursor && orch_store_valid_name(page->cursor, "cursor", NULL))
    return orch_error_setc(err, ORCH_EINVAL, "cursor", "malformed cursor");
  if (page->cursor) orch_store_dy_key_str(after, "n#", page->cursor);
  struct orch_store_dy_query q = {.pk = UPK, .prefix = "n#", .start_after = page->cursor ? after : NULL};
  int rc = orch_store_dy_page(ctx, &q, page->limit, user_fill, (void **)&out->items, sizeof *out->items, &out->count,
                              &more, err);
  if (rc) orch_store_user_list_release(out);
  else if (more) snprintf(out->next_cursor, sizeof out->next_cursor, "%s", out->items[out->count - 1].name);
  return rc;
}

/* ---- API tokens ------------------------------------------------------------------------------ */

static int token_fill(const json_t *it, void *record, struct orch_error *err) {
  struct orch_store_token *t = record;
  int rc;
  if (json_object_get(it, "pend")) return 1; /* half-made: not there yet, or abandoned */
  if ((rc = orch_store_dy_copy(it, "id", t->id, sizeof t->id, err)) ||
      (rc = orch_store_dy_copy(it, "name", t->name, sizeof t->name, err)) ||
      (rc = orch_store_dy_copy(it, "role", t->role, sizeof t->role, err)) ||
      (rc = orch_store_dy_copy(it, "prefix", t->prefix, sizeof t->prefix, err)) ||
      (rc = orch_store_dy_copy(it, "by", t->created_by, sizeof t->created_by, err)) ||
      (rc = orch_store_dy_num(it, "created_ms", 0, &t->created_ms, err)) ||
      (rc = orch_store_dy_num(it, "exp_ms", 0, &t->expires_ms, err)) ||
      (rc = orch_store_dy_num(it, "used_ms", 0, &t->last_used_ms, err)) ||
      (rc = orch_store_dy_num(it, "rev_ms", 0, &t->revoked_ms, err)))
    return rc;
  return 0;
}

static void token_sk(char sk[ORCH_STORE_DY_KEY_MAX + 1], const char *id) { orch_store_dy_key_str(sk, "t#", id); }

/* Claim item `sk` ("n#<name>" or "h#<hash>") for token `id`: 0, 1 when a token that exists (committed
 * or being made) holds it, or an error. A claim whose token is gone is taken over. */
static int token_claim(struct orch_store_dy *d, const char *sk, const char *id, struct orch_error *err) {
  for (int tries = 0; tries < ORCH_STORE_DY_TRIES; tries++) {
    json_t *claim = NULL, *holder = NULL;
    char hsk[ORCH_STORE_DY_KEY_MAX + 1];
    int rc = orch_store_dy_put(d, json_pack("{s{ss}s{ss}s{ss}}", "pk", "S", TPK, "sk", "S", sk, "tid", "S", id),
                               "attribute_not_exists(pk)", NULL, NULL, err);
    if (!orch_store_dy_condition_failed(rc, err)) return rc;
    if ((rc = orch_store_dy_get(d, TPK, sk, "tid", &claim, err)) < 0) return rc;
    const char *tid = orch_store_dy_str(claim, "tid");
    if (rc == 1 && tid && strcmp(tid, id) == 0) { /* ours: a resent put that had landed */
      rc = 0;
    } else if (rc == 1 && tid) {
      token_sk(hsk, tid);
      rc = orch_store_dy_get(d, TPK, hsk, "id", &holder, err);
      json_decref(holder);
      if (rc == 1) rc = 1;
      else if (rc == 0) /* stale: its token is gone */
        rc = orch_store_dy_put(d, json_pack("{s{ss}s{ss}s{ss}}", "pk", "S", TPK, "sk", "S", sk, "tid", "S", id),
                               "#tid = :old", json_pack("{ss}", "#tid", "tid"), json_pack("{s{ss}}", ":old", "S", tid),
                               err);
    } else {
      rc = ORCH_ECONFLICT; /* withdrawn meanwhile: claim again */
    }
    json_decref(claim);
    if (!orch_store_dy_condition_failed(rc, err)) return rc;
  }
  return orch_error_setc(err, ORCH_ECONFLICT, "name", "the token's name or secret kept changing hands; try again");
}

/* Withdraw what a failed creation wrote: its half-made record, and then, only if that was still
 * half-made (a commit whose answer was lost must keep its claims), its claims when still its own. */
static void token_withdraw(struct orch_store_dy *d, const struct orch_store_token *t, const char *secret_hash,
                           const char *tok) {
  char sk[ORCH_STORE_DY_KEY_MAX + 1];
  const char *claims[2][2] = {{"n#", t->name}, {"h#", secret_hash}};
  token_sk(sk, t->id);
  int rc = orch_store_dy_delete(d, TPK, sk, "#pend = :tok", json_pack("{ss}", "#pend", "pend"),
                                json_pack("{s{ss}}", ":tok", "S", tok), NULL);
  best_effort(rc, "a withdrawn token");
  for (int i = 0; !rc && i < 2; i++) {
    orch_store_dy_key_str(sk, claims[i][0], claims[i][1]);
    best_effort(orch_store_dy_delete(d, TPK, sk, "#tid = :id", json_pack("{ss}", "#tid", "tid"),
                                     json_pack("{s{ss}}", ":id", "S", t->id), NULL),
                "a withdrawn token's claim");
  }
}

/* After the commit of token `id` failed its condition: 1 when the record is committed (no `pend`: this
 * commit, landed with its answer lost), 0 when it is not, or an error. */
static int token_committed(struct orch_store_dy *d, const char *id, struct orch_error *err) {
  char sk[ORCH_STORE_DY_KEY_MAX + 1];
  json_t *rec = NULL;
  token_sk(sk, id);
  int rc = orch_store_dy_get(d, TPK, sk, "id, pend", &rec, err);
  if (rc == 1) rc = orch_store_dy_str(rec, "pend") ? 0 : 1;
  json_decref(rec);
  return rc;
}

int orch_store_dy_token_create(void *ctx, const struct orch_store_token *t, const char *secret_hash,
                               struct orch_error *err) {
  struct orch_store_dy *d = ctx;
  char sk[ORCH_STORE_DY_KEY_MAX + 1], tok[ORCH_STORE_DY_TOKEN_LEN + 1];
  int rc = orch_store_dy_token(tok, err);
  if (rc) return rc;
  token_sk(sk, t->id);
  json_t *rec = json_pack("{s{ss}s{ss}s{ss}s{ss}s{ss}s{ss}s{ss}s{ss}}", "pk", "S", TPK, "sk", "S", sk, "id", "S", t->id,
                          "name", "S", t->name, "role", "S", t->role, "prefix", "S", t->prefix, "hash", "S",
                          secret_hash, "pend", "S", tok);
  if (!rec || orch_store_dy_set_s(rec, "by", t->created_by) || orch_store_dy_set_n(rec, "created_ms", t->created_ms) ||
      (t->expires_ms && orch_store_dy_set_n(rec, "exp_ms", t->expires_ms)) ||
      orch_store_dy_set_n(rec, "expires_at", t->created_ms / 1000 + ORCH_STORE_DY_PENDING_TTL_S)) {
    json_decref(rec);
    rec = NULL;
  }
  /* 1. half-made; 2. the claims, name first; 3. commit */
  if ((rc = orch_store_dy_put_fresh(d, rec, err))) return rc;
  orch_store_dy_key_str(sk, "n#", t->name);
  if ((rc = token_claim(d, sk, t->id, err)) == 1)
    rc = orch_error_setc(err, ORCH_EEXIST, "name", "an API token named '%s' already exists", t->name);
  orch_store_dy_key_str(sk, "h#", secret_hash);
  if (!rc && (rc = token_claim(d, sk, t->id, err)) == 1)
    rc = orch_error_setc(err, ORCH_ECONFLICT, "secret_hash", "the token's secret is already in use");
  token_sk(sk, t->id);
  if (!rc)
    rc = orch_store_dy_update(d, TPK, sk, "REMOVE #pend, #exp", "#pend = :tok",
                              json_pack("{ssss}", "#pend", "pend", "#exp", "expires_at"),
                              json_pack("{s{ss}}", ":tok", "S", tok), err);
  if (orch_store_dy_condition_failed(rc, err) && (rc = token_committed(d, t->id, err)) == 0)
    rc = orch_error_setc(err, ORCH_ECONFLICT, "name", "API token '%s' was withdrawn while it was created", t->name);
  if (rc == 1) rc = 0;
  if (rc) token_withdraw(d, t, secret_hash, tok);
  return rc;
}

int orch_store_dy_token_get(void *ctx, const char *id, const char *secret_hash, struct orch_store_token *out,
                            struct orch_error *err) {
  struct orch_store_dy *d = ctx;
  char sk[ORCH_STORE_DY_KEY_MAX + 1];
  json_t *claim = NULL, *rec = NULL;
  int rc = 1;
  if (secret_hash) { /* the claim names the token; the token's own hash must agree */
    orch_store_dy_key_str(sk, "h#", secret_hash);
    rc = orch_store_dy_get(d, TPK, sk, "tid", &claim, err);
    id = orch_store_dy_str(claim, "tid");
  }
  if (rc == 1 && id) {
    token_sk(sk, id);
    rc = orch_store_dy_get(d, TPK, sk, NULL, &rec, err);
  } else if (rc == 1) {
    rc = 0;
  }
  const char *hash = orch_store_dy_str(rec, "hash");
  if (rc == 1 && secret_hash && (!hash || strcmp(hash, secret_hash) != 0)) rc = 0;
  if (rc == 1 && json_object_get(rec, "pend")) rc = 0; /* half-made: not there yet */
  if (rc == 1) rc = token_fill(rec, out, err);
  else if (rc == 0)
    rc = secret_hash ? orch_error_set(err, ORCH_ENOTFOUND, "no such API token")
                     : orch_error_setc(err, ORCH_ENOTFOUND, "id", "API token %s not found", id);
  json_decref(claim);
  json_decref(rec);
  if (rc) memset(out, 0, sizeof *out);
  return rc;
}

int orch_store_dy_token_list(void *ctx, const struct orch_store_page *page, struct orch_store_token_list *out,
                             struct orch_error *err) {
  char after[ORCH_STORE_DY_KEY_MAX + 1];
  bool more;
  if (page->cursor && orch_store_valid_id(page->cursor, "cursor", NULL))
    return orch_error_setc(err, ORCH_EINVAL, "cursor", "malformed cursor");
  if (page->cursor) token_sk(after, page->cursor);
  struct orch_store_dy_query q = {.pk = TPK, .prefix = "t#", .start_after = page->cursor ? after : NULL,
                                  .descending = true};
  int rc = orch_store_dy_page(ctx, &q, page->limit, token_fill, (void **)&out->items, sizeof *out->items, &out->count,
                              &more, err);
  if (rc) orch_store_token_list_release(out);
  else if (more) snprintf(out->next_cursor, sizeof out->next_cursor, "%s", out->items[out->count - 1].id);
  return rc;
}

/* A conditional change of a committed token: `extra` (may be NULL) is what makes it a no-op, which is
 * success when the token exists. */
static int token_change(struct orch_store_dy *d, const char *id, const char *update, const char *extra,
                        const char *attr, int64_t at_ms, struct orch_error *err) {
  char sk[ORCH_STORE_DY_KEY_MAX + 1], cond[256];
  token_sk(sk, id);
  snprintf(cond, sizeof cond, "attribute_exists(pk) AND attribute_not_exists(#pend)%s%s", extra ? " AND " : "",
           extra ? extra : "");
  json_t *values = json_object();
  if (values && orch_store_dy_set_n(values, ":at", at_ms)) {
    json_decref(values);
    values = NULL;
  }
  int rc = orch_store_dy_update(d, TPK, sk, update, cond, json_pack("{ssss}", "#pend", "pend", "#a", attr), values, err);
  if (!orch_store_dy_condition_failed(rc, err)) return rc;
  struct orch_store_token t;
  return orch_store_dy_token_get(d, id, NULL, &t, err); /* exists: the change was not needed */
}

int orch_store_dy_token_revoke(void *ctx, const char *id, int64_t now_ms, struct orch_error *err) {
  return token_change(ctx, id, "SET #a = :at", "attribute_not_exists(#a)", "rev_ms", now_ms, err);
}

int orch_store_dy_token_touch(void *ctx, const char *id, int64_t at_ms, struct orch_error *err) {
  return token_change(ctx, id, "SET #a = :at", "(attribute_not_exists(#a) OR #a < :at)", "used_ms", at_ms, err);
}

/* ---- Console sessions ------------------------------------------------------------------------ */

static int session_fill(const json_t *it, void *record, struct orch_error *err) {
  struct orch_store_session *s = record;
  int rc;
  if ((rc = orch_store_dy_copy(it, "id", s->id, sizeof s->id, err)) ||
      (rc = orch_store_dy_copy(it, "uid", s->user_id, sizeof s->user_id, err)) ||
      (rc = orch_store_dy_copy(it, "csrf", s->csrf_token, sizeof s->csrf_token, err)) ||
      (rc = orch_store_dy_num(it, "created_ms", 0, &s->created_ms, err)) ||
      (rc = orch_store_dy_num(it, "exp_ms", 0, &s->expires_ms, err)))
    return rc;
  return 0;
}

/* The TTL of a session's items: a second after it expires. */
static int64_t session_ttl(int64_t expires_ms) { return expires_ms / 1000 + 1; }

int orch_store_dy_session_create(void *ctx, const struct orch_store_session *s, const char *secret_hash,
                                 struct orch_error *err) {
  struct orch_store_dy *d = ctx;
  char sk[ORCH_STORE_DY_KEY_MAX + 1];
  json_t *user = NULL;
  int rc = orch_store_dy_follow(d, UPK, "i#", s->user_id, &user, err);
  json_decref(user);
  if (rc == 0) rc = orch_error_setc(err, ORCH_ENOTFOUND, "user_id", "user %s not found", s->user_id);
  if (rc < 0) return rc;
  orch_store_dy_key_str(sk, "s#", s->id);
  json_t *ptr = json_pack("{s{ss}s{ss}s{ss}s{ss}s{ss}}", "pk", "S", SPK, "sk", "S", sk, "id", "S", s->id, "uid", "S",
                          s->user_id, "hash", "S", secret_hash);
  if (ptr && orch_store_dy_set_n(ptr, "expires_at", session_ttl(s->expires_ms))) {
    json_decref(ptr);
    ptr = NULL;
  }
  if ((rc = orch_store_dy_put_fresh(d, ptr, err))) return rc;
  orch_store_dy_key_str(sk, "h#", secret_hash);
  json_t *rec = json_pack("{s{ss}s{ss}s{ss}s{ss}s{ss}}", "pk", "S", SPK, "sk", "S", sk, "id", "S", s->id, "uid", "S",
                          s->user_id, "csrf", "S", s->csrf_token);
  json_t *values = json_object();
  if (!rec || !values || orch_store_dy_set_n(rec, "created_ms", s->created_ms) ||
      orch_store_dy_set_n(rec, "exp_ms", s->expires_ms) ||
      orch_store_dy_set_n(rec, "expires_at", session_ttl(s->expires_ms)) ||
      orch_store_dy_set_n(values, ":now", s->created_ms)) {
    json_decref(rec);
    json_decref(values);
    rec = values = NULL;
  }
  /* the commit; an expired session's secret may be overwritten */
  rc = orch_store_dy_put(d, rec, "attribute_not_exists(pk) OR #exp <= :now", json_pack("{ss}", "#exp", "exp_ms"),
                         values, err);
  /* a record naming this session is this put, landed with its answer lost */
  if (orch_store_dy_condition_failed(rc, err) && (rc = orch_store_dy_landed(d, SPK, sk, "id", s->id, err)) == 0)
    rc = orch_error_setc(err, ORCH_ECONFLICT, "secret_hash", "the session's secret is already in use");
  if (rc == 1) rc = 0;
  if (rc) {
    orch_store_dy_key_str(sk, "s#", s->id);
    best_effort(orch_store_dy_delete(d, SPK, sk, NULL, NULL, NULL, NULL), "a session's pointer");
  }
  return rc;
}

/* End session `id` whose record is "h#<hash>": 0, ENOTFOUND when the record is not (or no longer) its. */
static int session_end(struct orch_store_dy *d, const char *id, const char *hash, struct orch_error *err) {
  char sk[ORCH_STORE_DY_KEY_MAX + 1];
  orch_store_dy_key_str(sk, "h#", hash);
  int rc = orch_store_dy_delete(d, SPK, sk, "#id = :id", json_pack("{ss}", "#id", "id"),
                                json_pack("{s{ss}}", ":id", "S", id), err);
  if (orch_store_dy_condition_failed(rc, err)) rc = orch_error_setc(err, ORCH_ENOTFOUND, "id", "session %s not found", id);
  if (rc && rc != ORCH_ENOTFOUND) return rc;
  /* the record's delete was the commit: the pointer names nothing now, and its TTL removes it anyway */
  orch_store_dy_key_str(sk, "s#", id);
  best_effort(orch_store_dy_delete(d, SPK, sk, NULL, NULL, NULL, NULL), "an ended session's pointer");
  return rc;
}

int orch_store_dy_session_find(void *ctx, const char *secret_hash, int64_t now_ms, struct orch_store_session *out,
                               struct orch_error *err) {
  struct orch_store_dy *d = ctx;
  char sk[ORCH_STORE_DY_KEY_MAX + 1];
  json_t *rec = NULL;
  orch_store_dy_key_str(sk, "h#", secret_hash);
  int rc = orch_store_dy_get(d, SPK, sk, NULL, &rec, err);
  if (rc == 1) rc = session_fill(rec, out, err);
  else if (rc == 0) rc = orch_error_set(err, ORCH_ENOTFOUND, "no such session");
  json_decref(rec);
  if (!rc && out->expires_ms <= now_ms) {
    (void)session_end(d, out->id, secret_hash, NULL); /* best effort: its TTL removes it anyway */
    rc = orch_error_set(err, ORCH_ENOTFOUND, "the session has expired");
  }
  if (rc) memset(out, 0, sizeof *out);
  return rc;
}

struct session_ender {
  struct orch_store_dy *d;
  json_t *found; /* [{"id", "hash"}] */
};

static int session_each(void *ctx, json_t *item, struct orch_error *err) {
  struct session_ender *e = ctx;
  const char *id = orch_store_dy_str(item, "id"), *hash = orch_store_dy_str(item, "hash");
  if (!id || !hash) return 0; /* not a pointer this binary wrote */
  json_t *one = json_pack("{ssss}", "id", id, "hash", hash);
  if (!one || json_array_append_new(e->found, one)) return oom(err, "ending sessions");
  return 0;
}

int orch_store_dy_session_delete(void *ctx, const char *id, const char *user_id, struct orch_error *err) {
  struct orch_store_dy *d = ctx;
  char sk[ORCH_STORE_DY_KEY_MAX + 1];
  json_t *ptr = NULL;
  int rc;
  if (id) {
    orch_store_dy_key_str(sk, "s#", id);
    rc = orch_store_dy_get(d, SPK, sk, "hash", &ptr, err);
    const char *hash = orch_store_dy_str(ptr, "hash");
    rc = rc == 1 && hash ? session_end(d, id, hash, err)
         : rc >= 0       ? orch_error_setc(err, ORCH_ENOTFOUND, "id", "session %s not found", id)
                         : rc;
    json_decref(ptr);
    return rc;
  }
  /* every pointer of the user's (the partition holds only live sessions: the rest expire) */
  struct session_ender e = {d, json_array()};
  json_t *names = json_pack("{ss}", "#uid", "uid"), *values = json_pack("{s{ss}}", ":uid", "S", user_id);
  struct orch_store_dy_query q = {.pk = SPK, .prefix = "s#", .filter = "#uid = :uid", .names = names,
                                  .values = values, .proj = "id, hash"};
  rc = e.found && names && values ? orch_store_dy_query(d, &q, session_each, &e, err) : oom(err, "ending sessions");
  size_t i;
  json_t *one;
  json_array_foreach(e.found, i, one) {
    if (rc) break;
    rc = session_end(d, json_string_value(json_object_get(one, "id")), json_string_value(json_object_get(one, "hash")),
                     err);
    if (rc == ORCH_ENOTFOUND) rc = 0; /* ended meanwhile */
  }
  json_decref(e.found);
  json_decref(names);
  json_decref(values);
  return rc;
}
