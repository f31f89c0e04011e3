/* orch_store_sqlite_access: users, API tokens and console sessions in SQLite. Tokens and sessions are
 * found by the SHA-256 of their secret (a unique column); the secret itself is never stored. Expired
 * sessions are removed when a lookup meets them. Uses orch_store_sqlite_int, orch_store_valid. */
#include <stdio.h>
#include <string.h>

#include "store/orch_store_sqlite_int.h"
#include "store/orch_store_valid.h"

#define USER_COLS "id, name, role, password_hash, disabled, created_ms, updated_ms, last_login_ms"
#define TOKEN_COLS "id, name, role, prefix, created_by, created_ms, expires_ms, last_used_ms, revoked_ms"
#define SESSION_COLS "id, user_id, csrf_token, created_ms, expires_ms"

static const char SQL_USER_INSERT[] = "INSERT INTO users (" USER_COLS ") VALUES (?1, ?2, ?3, ?4, 0, ?5, ?5, NULL)";
static const char SQL_USER_BY_ID[] = "SELECT " USER_COLS " FROM users WHERE id = ?1";
static const char SQL_USER_BY_NAME[] = "SELECT " USER_COLS " FROM users WHERE name = ?1";
static const char SQL_USER_UPDATE[] =
  "UPDATE users SET role = coalesce(?2, role), password_hash = coalesce(?3, password_hash),"
  " disabled = CASE WHEN ?4 < 0 THEN disabled ELSE ?4 END, last_login_ms = coalesce(?5, last_login_ms),"
  " updated_ms = CASE WHEN ?2 IS NULL AND ?3 IS NULL AND ?4 < 0 THEN updated_ms ELSE ?6 END WHERE id = ?1";
static const char SQL_USER_LIST[] =
  "SELECT " USER_COLS " FROM users WHERE (?1 IS NULL OR name > ?1) ORDER BY name LIMIT ?2";

static const char SQL_TOKEN_INSERT[] =
  "INSERT INTO api_tokens (" TOKEN_COLS ", secret_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, NULL, ?8)";
static const char SQL_TOKEN_BY_ID[] = "SELECT " TOKEN_COLS " FROM api_tokens WHERE id = ?1";
static const char SQL_TOKEN_BY_HASH[] = "SELECT " TOKEN_COLS " FROM api_tokens WHERE secret_hash = ?1";
static const char SQL_TOKEN_BY_NAME[] = "SELECT " TOKEN_COLS " FROM api_tokens WHERE name = ?1";
static const char SQL_TOKEN_LIST[] =
  "SELECT " TOKEN_COLS " FROM api_tokens WHERE (?1 IS NULL OR id < ?1) ORDER BY id DESC LIMIT ?2";
static const char SQL_TOKEN_REVOKE[] =
  "UPDATE api_tokens SET revoked_ms = coalesce(revoked_ms, ?2) WHERE id = ?1";
static const char SQL_TOKEN_TOUCH[] =
  "UPDATE api_tokens SET last_used_ms = max(coalesce(last_used_ms, 0), ?2) WHERE id = ?1";

static const char SQL_SESSION_INSERT[] =
  "INSERT INTO sessions (" SESSION_COLS ", secret_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char SQL_SESSION_BY_HASH[] = "SELECT " SESSION_COLS " FROM sessions WHERE secret_hash = ?1";
static const char SQL_SESSION_DELETE[] = "DELETE FROM sessions WHERE id = ?1";
static const char SQL_SESSION_DELETE_USER[] = "DELETE FROM sessions WHERE user_id = ?1";
static const char SQL_SESSION_PURGE[] = "DELETE FROM sessions WHERE expires_ms <= ?1";

/* ---- Users ----------------------------------------------------------------------------------- */

static int user_row(sqlite3_stmt *st, void *item, struct orch_error *err) {
  struct orch_store_user *u = item;
  int rc;
  if ((rc = orch_store_sq_col_str(st, 0, u->id, sizeof u->id, "id", err)) ||
      (rc = orch_store_sq_col_str(st, 1, u->name, sizeof u->name, "name", err)) ||
      (rc = orch_store_sq_col_str(st, 2, u->role, sizeof u->role, "role", err)) ||
      (rc = orch_store_sq_col_str(st, 3, u->password_hash, sizeof u->password_hash, "password_hash", err)))
    return rc;
  u->disabled = orch_store_sq_col_int(st, 4) != 0;
  u->created_ms = orch_store_sq_col_int(st, 5);
  u->updated_ms = orch_store_sq_col_int(st, 6);
  u->last_login_ms = orch_store_sq_col_int(st, 7);
  return 0;
}

static int user_insert_tx(struct orch_store_sq_conn *c, void *arg, struct orch_error *err) {
  const struct orch_store_user *u = arg;
  struct orch_store_sq_bind b;
  (void)orch_store_sq_prepare(c, SQL_USER_INSERT, &b, err);
  orch_store_sq_bind_text(&b, 1, u->id);
  orch_store_sq_bind_text(&b, 2, u->name);
  orch_store_sq_bind_text(&b, 3, u->role);
  orch_store_sq_bind_opt_text(&b, 4, u->password_hash);
  orch_store_sq_bind_int(&b, 5, u->created_ms);
  int rc = orch_store_sq_run(&b, "creating a user");
  if (b.src == SQLITE_CONSTRAINT_UNIQUE)
    return orch_error_setc(err, ORCH_EEXIST, "name", "a user named '%s' already exists", u->name);
  return rc;
}

int orch_store_sq_user_create(void *ctx, const struct orch_store_user *u, struct orch_error *err) {
  struct orch_store_user copy = *u;
  return orch_store_sq_write(ctx, user_insert_tx, &copy, err);
}

/* One row of `sql` (one text parameter) into `out` via `row` on connection `c`; ORCH_ENOTFOUND with
 * `missing` when there is none. */
static int fetch_one(struct orch_store_sq_conn *c, const char *sql, const char *key, orch_store_sq_row_fn row,
                     void *out, size_t size, const char *what, const char *missing, struct orch_error *err) {
  struct orch_store_sq_bind b;
  (void)orch_store_sq_prepare(c, sql, &b, err);
  orch_store_sq_bind_text(&b, 1, key);
  int rc = orch_store_sq_fetch(&b, row, out, what);
  if (rc == 0) rc = orch_error_set(err, ORCH_ENOTFOUND, "%s", missing);
  if (rc < 0) memset(out, 0, size);
  return rc < 0 ? rc : 0;
}

int orch_store_sq_user_get(void *ctx, const char *id, const char *name, struct orch_store_user *out,
                           struct orch_error *err) {
  char missing[200];
  snprintf(missing, sizeof missing, id ? "user %s not found" : "no user named '%s'", id ? id : name);
  struct orch_store_sq_conn *c = orch_store_sq_reader(ctx);
  int rc = fetch_one(c, id ? SQL_USER_BY_ID : SQL_USER_BY_NAME, id ? id : name, user_row, out, sizeof *out,
                     "reading a user", missing, err);
  orch_store_sq_unlock(c);
  return rc;
}

struct user_update_args {
  const char *id;
  const struct orch_store_user_update *u;
  int64_t now_ms;
  struct orch_store_user *out;
};

static int user_update_tx(struct orch_store_sq_conn *c, void *arg, struct orch_error *err) {
  const struct user_update_args *a = arg;
  struct orch_store_sq_bind b;
  (void)orch_store_sq_prepare(c, SQL_USER_UPDATE, &b, err);
  orch_store_sq_bind_text(&b, 1, a->id);
  orch_store_sq_bind_text(&b, 2, a->u->role);
  orch_store_sq_bind_text(&b, 3, a->u->password_hash);
  orch_store_sq_bind_int(&b, 4, a->u->disabled);
  orch_store_sq_bind_opt_int(&b, 5, a->u->last_login_ms);
  orch_store_sq_bind_int(&b, 6, a->now_ms);
  int rc = orch_store_sq_run(&b, "updating a user");
  if (!rc && sqlite3_changes(c->db) == 0) rc = orch_error_setc(err, ORCH_ENOTFOUND, "id", "user %s not found", a->id);
  if (rc || !a->out) return rc;
  return fetch_one(c, SQL_USER_BY_ID, a->id, user_row, a->out, sizeof *a->out, "reading a user", "user vanished",
                   err);
}

int orch_store_sq_user_update(void *ctx, const char *id, const struct orch_store_user_update *u, int64_t now_ms,
                              struct orch_store_user *out, struct orch_error *err) {
  struct user_update_args a = {id, u, now_ms, out};
  int rc = orch_store_sq_write(ctx, user_update_tx, &a, err);
  if (rc && out) memset(out, 0, sizeof *out);
  return rc;
}

int orch_store_sq_user_list(void *ctx, const struct orch_store_page *page, struct orch_store_user_list *out,
                            struct orch_error *err) {
  struct orch_store_sq_conn *c = orch_store_sq_reader(ctx);
  struct orch_store_sq_bind b;
  bool more;
  (void)orch_store_sq_prepare(c, SQL_USER_LIST, &b, err);
  orch_store_sq_bind_text(&b, 1, page->cursor);
  orch_store_sq_bind_int(&b, 2, (int64_t)page->limit + 1);
  int rc = orch_store_sq_collect(&b, page->limit, user_row, (void **)&out->items, sizeof *out->items, &out->count,
                                 &more, "listing users");
  orch_store_sq_unlock(c);
  if (rc) orch_store_user_list_release(out);
  else if (more) snprintf(out->next_cursor, sizeof out->next_cursor, "%s", out->items[out->count - 1].name);
  return rc;
}

/* ---- API tokens ------------------------------------------------------------------------------ */

static int token_row(sqlite3_stmt *st, void *item, struct orch_error *err) {
  struct orch_store_token *t = item;
  int rc;
  if ((rc = orch_store_sq_col_str(st, 0, t->id, sizeof t->id, "id", err)) ||
      (rc = orch_store_sq_col_str(st, 1, t->name, sizeof t->name, "name", err)) ||
      (rc = orch_store_sq_col_str(st, 2, t->role, sizeof t->role, "role", err)) ||
      (rc = orch_store_sq_col_str(st, 3, t->prefix, sizeof t->prefix, "prefix", err)) ||
      (rc = orch_store_sq_col_str(st, 4, t->created_by, sizeof t->created_by, "created_by", err)))
    return rc;
  t->created_ms = orch_store_sq_col_int(st, 5);
  t->expires_ms = orch_store_sq_col_int(st, 6);
  t->last_used_ms = orch_store_sq_col_int(st, 7);
  t->revoked_ms = orch_store_sq_col_int(st, 8);
  return 0;
}

struct token_insert_args {
  const struct orch_store_token *t;
  const char *secret_hash;
};

static int token_insert_tx(struct orch_store_sq_conn *c, void *arg, struct orch_error *err) {
  const struct token_insert_args *a = arg;
  struct orch_store_sq_bind b;
  (void)orch_store_sq_prepare(c, SQL_TOKEN_INSERT, &b, err);
  orch_store_sq_bind_text(&b, 1, a->t->id);
  orch_store_sq_bind_text(&b, 2, a->t->name);
  orch_store_sq_bind_text(&b, 3, a->t->role);
  orch_store_sq_bind_text(&b, 4, a->t->prefix);
  orch_store_sq_bind_opt_text(&b, 5, a->t->created_by);
  orch_store_sq_bind_int(&b, 6, a->t->created_ms);
  orch_store_sq_bind_opt_int(&b, 7, a->t->expires_ms);
  orch_store_sq_bind_text(&b, 8, a->secret_hash);
  int rc = orch_store_sq_run(&b, "creating an API token");
  if (b.src == SQLITE_CONSTRAINT_UNIQUE) {
    /* two unique columns: a taken name, or (by a 2^-256 chance) a secret already in use */
    struct orch_store_token other;
    bool by_name = fetch_one(c, SQL_TOKEN_BY_NAME, a->t->name, token_row, &other, sizeof other, "reading a token",
                             "", NULL) == 0;
    return by_name ? orch_error_setc(err, ORCH_EEXIST, "name", "an API token named '%s' already exists", a->t->name)
                   : orch_error_setc(err, ORCH_ECONFLICT, "secret_hash", "the token's secret is already in use");
  }
  return rc;
}

int orch_store_sq_token_create(void *ctx, const struct orch_store_token *t, const char *secret_hash,
                               struct orch_error *err) {
  struct token_insert_args a = {t, secret_hash};
  return orch_store_sq_write(ctx, token_insert_tx, &a, err);
}

int orch_store_sq_token_get(void *ctx, const char *id, const char *secret_hash, struct orch_store_token *out,
                            struct orch_error *err) {
  char missing[120];
  snprintf(missing, sizeof missing, id ? "API token %s not found" : "no such API token", id ? id : "");
  struct orch_store_sq_conn *c = orch_store_sq_reader(ctx);
  int rc = fetch_one(c, id ? SQL_TOKEN_BY_ID : SQL_TOKEN_BY_HASH, id ? id : secret_hash, token_row, out, sizeof *out,
                     "reading an API token", missing, err);
  orch_store_sq_unlock(c);
  return rc;
}

int orch_store_sq_token_list(void *ctx, const struct orch_store_page *page, struct orch_store_token_list *out,
                             struct orch_error *err) {
  if (page->cursor && orch_store_valid_id(page->cursor, "cursor", NULL))
    return orch_error_setc(err, ORCH_EINVAL, "cursor", "malformed cursor");
  struct orch_store_sq_conn *c = orch_store_sq_reader(ctx);
  struct orch_store_sq_bind b;
  bool more;
  (void)orch_store_sq_prepare(c, SQL_TOKEN_LIST, &b, err);
  orch_store_sq_bind_text(&b, 1, page->cursor);
  orch_store_sq_bind_int(&b, 2, (int64_t)page->limit + 1);
  int rc = orch_store_sq_collect(&b, page->limit, token_row, (void **)&out->items, sizeof *out->items, &out->count,
                                 &more, "listing API tokens");
  orch_store_sq_unlock(c);
  if (rc) orch_store_token_list_release(out);
  else if (more) snprintf(out->next_cursor, sizeof out->next_cursor, "%s", out->items[out->count - 1].id);
  return rc;
}

struct token_change_args {
  const char *sql;
  const char *id;
  int64_t at_ms;
};

static int token_change_tx(struct orch_store_sq_conn *c, void *arg, struct orch_error *err) {
  const struct token_change_args *a = arg;
  struct orch_store_sq_bind b;
  (void)orch_store_sq_prepare(c, a->sql, &b, err);
  orch_store_sq_bind_text(&b, 1, a->id);
  orch_store_sq_bind_int(&b, 2, a->at_ms);
  int rc = orch_store_sq_run(&b, "updating an API token");
  if (!rc && sqlite3_changes(c->db) == 0) rc = orch_error_setc(err, ORCH_ENOTFOUND, "id", "API token %s not found", a->id);
  return rc;
}

int orch_store_sq_token_revoke(void *ctx, const char *id, int64_t now_ms, struct orch_error *err) {
  struct token_change_args a = {SQL_TOKEN_REVOKE, id, now_ms};
  return orch_store_sq_write(ctx, token_change_tx, &a, err);
}

int orch_store_sq_token_touch(void *ctx, const char *id, int64_t at_ms, struct orch_error *err) {
  struct token_change_args a = {SQL_TOKEN_TOUCH, id, at_ms};
  return orch_store_sq_write(ctx, token_change_tx, &a, err);
}

/* ---- Console sessions ------------------------------------------------------------------------ */

static int session_row(sqlite3_stmt *st, void *item, struct orch_error *err) {
  struct orch_store_session *s = item;
  int rc;
  if ((rc = orch_store_sq_col_str(st, 0, s->id, sizeof s->id, "id", err)) ||
      (rc = orch_store_sq_col_str(st, 1, s->user_id, sizeof s->user_id, "user_id", err)) ||
      (rc = orch_store_sq_col_str(st, 2, s->csrf_token, sizeof s->csrf_token, "csrf_token", err)))
    return rc;
  s->created_ms = orch_store_sq_col_int(st, 3);
  s->expires_ms = orch_store_sq_col_int(st, 4);
  return 0;
}

struct session_insert_args {
  const struct orch_store_session *s;
  const char *secret_hash;
};

static int session_insert_tx(struct orch_store_sq_conn *c, void *arg, struct orch_error *err) {
  const struct session_insert_args *a = arg;
  struct orch_store_sq_bind b;
  /* expired sessions go when new ones come: the table stays as small as the live sessions */
  (void)orch_store_sq_prepare(c, SQL_SESSION_PURGE, &b, err);
  orch_store_sq_bind_int(&b, 1, a->s->created_ms);
  int rc = orch_store_sq_run(&b, "removing expired sessions");
  if (rc) return rc;
  (void)orch_store_sq_prepare(c, SQL_SESSION_INSERT, &b, err);
  orch_store_sq_bind_text(&b, 1, a->s->id);
  orch_store_sq_bind_text(&b, 2, a->s->user_id);
  orch_store_sq_bind_text(&b, 3, a->s->csrf_token);
  orch_store_sq_bind_int(&b, 4, a->s->created_ms);
  orch_store_sq_bind_int(&b, 5, a->s->expires_ms);
  orch_store_sq_bind_text(&b, 6, a->secret_hash);
  rc = orch_store_sq_run(&b, "creating a session");
  if (b.src == SQLITE_CONSTRAINT_FOREIGNKEY)
    return orch_error_setc(err, ORCH_ENOTFOUND, "user_id", "user %s not found", a->s->user_id);
  if (b.src == SQLITE_CONSTRAINT_UNIQUE)
    return orch_error_setc(err, ORCH_ECONFLICT, "secret_hash", "the session's secret is already in use");
  return rc;
}

int orch_store_sq_session_create(void *ctx, const struct orch_store_session *s, const char *secret_hash,
                                 struct orch_error *err) {
  struct session_insert_args a = {s, secret_hash};
  return orch_store_sq_write(ctx, session_insert_tx, &a, err);
}

static int session_delete_tx(struct orch_store_sq_conn *c, void *arg, struct orch_error *err) {
  const char *const *keys = arg; /* {id, user_id}: one is NULL */
  struct orch_store_sq_bind b;
  (void)orch_store_sq_prepare(c, keys[0] ? SQL_SESSION_DELETE : SQL_SESSION_DELETE_USER, &b, err);
  orch_store_sq_bind_text(&b, 1, keys[0] ? keys[0] : keys[1]);
  int rc = orch_store_sq_run(&b, "ending a session");
  if (!rc && keys[0] && sqlite3_changes(c->db) == 0)
    rc = orch_error_setc(err, ORCH_ENOTFOUND, "id", "session %s not found", keys[0]);
  return rc;
}

int orch_store_sq_session_delete(void *ctx, const char *id, const char *user_id, struct orch_error *err) {
  const char *keys[2] = {id, user_id};
  return orch_store_sq_write(ctx, session_delete_tx, (void *)keys, err);
}

int orch_store_sq_session_find(void *ctx, const char *secret_hash, int64_t now_ms, struct orch_store_session *out,
                               struct orch_error *err) {
  struct orch_store_sq_conn *c = orch_store_sq_reader(ctx);
  int rc = fetch_one(c, SQL_SESSION_BY_HASH, secret_hash, session_row, out, sizeof *out, "reading a session",
                     "no such session", err);
  orch_store_sq_unlock(c);
  if (rc || out->expires_ms > now_ms) return rc;
  char id[ORCH_STORE_ID_MAX + 1];
  memcpy(id, out->id, sizeof id);
  memset(out, 0, sizeof *out);
  (void)orch_store_sq_session_delete(ctx, id, NULL, NULL); /* best effort: the next create purges it anyway */
  return orch_error_set(err, ORCH_ENOTFOUND, "the session has expired");
}
