/* orch_store_sqlite_db: the SQLite plumbing the backend's ops share: error mapping, the per-connection
 * statement cache, transactions, the sticky binder and column readers. Uses libsqlite3, orch_json,
 * orch_buf, orch_str. */
#include <stdio.h>
#include <string.h>

#include "core/orch_json.h"
#include "core/orch_str.h"
#include "store/orch_store_sqlite_int.h"

int orch_store_sq_err(struct orch_store_sq_conn *c, int src, const char *what, struct orch_error *err) {
  int code;
  switch (src & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: code = ORCH_ETIMEDOUT; break;
    case SQLITE_NOMEM: code = ORCH_ENOMEM; break;
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_AUTH: code = ORCH_EPERM; break;
    case SQLITE_IOERR:
    case SQLITE_FULL: code = ORCH_EIO; break;
    case SQLITE_CONSTRAINT: code = ORCH_ECONFLICT; break;
    case SQLITE_TOOBIG: code = ORCH_ETOOBIG; break;
    default: code = ORCH_ESTORE; break; /* NOTADB, CORRUPT, SCHEMA, MISUSE, ... */
  }
  const char *msg = c && c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(src);
  if ((src & 0xff) == SQLITE_NOTADB) msg = "file is not a SQLite database";
  if ((src & 0xff) == SQLITE_BUSY)
    return orch_error_setc(err, code, c ? c->path : NULL, "%s: database is locked by another process (%s)", what, msg);
  return orch_error_setc(err, code, c ? c->path : NULL, "%s: %s", what, msg);
}

int orch_store_sq_stmt(struct orch_store_sq_conn *c, const char *sql, sqlite3_stmt **out, struct orch_error *err) {
  for (size_t i = 0; i < c->nstmts; i++) {
    if (c->stmts[i].sql == sql) {
      *out = c->stmts[i].stmt;
      sqlite3_reset(*out); /* its previous error, if any, was reported by its step */
      sqlite3_clear_bindings(*out);
      return 0;
    }
  }
  *out = NULL;
  if (c->nstmts == ORCH_STORE_SQ_STMTS_MAX)
    return orch_error_set(err, ORCH_EINTERNAL, "statement cache full (raise ORCH_STORE_SQ_STMTS_MAX)");
  sqlite3_stmt *st = NULL;
  int src = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
  if (src != SQLITE_OK) {
    sqlite3_finalize(st);
    return orch_store_sq_err(c, src, "preparing a statement", err);
  }
  c->stmts[c->nstmts].sql = sql;
  c->stmts[c->nstmts].stmt = st;
  c->nstmts++;
  *out = st;
  return 0;
}

void orch_store_sq_done(sqlite3_stmt *st) {
  if (st) sqlite3_reset(st);
}

void orch_store_sq_stmts_free(struct orch_store_sq_conn *c) {
  for (size_t i = 0; i < c->nstmts; i++) sqlite3_finalize(c->stmts[i].stmt);
  c->nstmts = 0;
}

int orch_store_sq_exec(struct orch_store_sq_conn *c, const char *sql, const char *what, struct orch_error *err) {
  sqlite3_stmt *st;
  int rc = orch_store_sq_stmt(c, sql, &st, err);
  if (rc) return rc;
  int src;
  while ((src = sqlite3_step(st)) == SQLITE_ROW) {
  }
  if (src != SQLITE_DONE) rc = orch_store_sq_err(c, src, what, err);
  orch_store_sq_done(st);
  return rc;
}

int orch_store_sq_begin(struct orch_store_sq_conn *c, struct orch_error *err) {
  return orch_store_sq_exec(c, "BEGIN IMMEDIATE", "starting a transaction", err);
}

int orch_store_sq_commit(struct orch_store_sq_conn *c, struct orch_error *err) {
  int rc = orch_store_sq_exec(c, "COMMIT", "committing", err);
  if (rc) orch_store_sq_rollback(c);
  return rc;
}

void orch_store_sq_rollback(struct orch_store_sq_conn *c) {
  if (sqlite3_get_autocommit(c->db)) return;
  /* sqlite3_exec: a ROLLBACK must not depend on the statement cache having room or memory. */
  (void)sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
}

int orch_store_sq_write(struct orch_store_sq *s, orch_store_sq_tx_fn fn, void *arg, struct orch_error *err) {
  struct orch_store_sq_conn *c = orch_store_sq_writer(s);
  int rc = orch_store_sq_begin(c, err);
  if (!rc && !(rc = fn(c, arg, err))) rc = orch_store_sq_commit(c, err);
  if (rc) orch_store_sq_rollback(c);
  orch_store_sq_unlock(c);
  return rc;
}

/* ---- Binder ---------------------------------------------------------------------------------- */

int orch_store_sq_prepare(struct orch_store_sq_conn *c, const char *sql, struct orch_store_sq_bind *b,
                          struct orch_error *err) {
  memset(b, 0, sizeof *b);
  b->c = c;
  b->err = err;
  return b->rc = orch_store_sq_stmt(c, sql, &b->st, err);
}

static void bind_check(struct orch_store_sq_bind *b, int src) {
  if (src != SQLITE_OK && !b->rc) b->rc = orch_store_sq_err(b->c, src, "binding a value", b->err);
}

void orch_store_sq_bind_text(struct orch_store_sq_bind *b, int idx, const char *s) {
  if (b->rc) return;
  bind_check(b, s ? sqlite3_bind_text(b->st, idx, s, -1, SQLITE_STATIC) : sqlite3_bind_null(b->st, idx));
}

void orch_store_sq_bind_opt_text(struct orch_store_sq_bind *b, int idx, const char *s) {
  orch_store_sq_bind_text(b, idx, s && *s ? s : NULL);
}

void orch_store_sq_bind_int(struct orch_store_sq_bind *b, int idx, int64_t v) {
  if (b->rc) return;
  bind_check(b, sqlite3_bind_int64(b->st, idx, v));
}

void orch_store_sq_bind_opt_int(struct orch_store_sq_bind *b, int idx, int64_t v) {
  if (b->rc) return;
  bind_check(b, v ? sqlite3_bind_int64(b->st, idx, v) : sqlite3_bind_null(b->st, idx));
}

void orch_store_sq_bind_json(struct orch_store_sq_bind *b, int idx, const json_t *j, const char *field) {
  if (b->rc) return;
  if (!j) {
    bind_check(b, sqlite3_bind_null(b->st, idx));
    return;
  }
  if (b->njson == ORCH_STORE_SQ_BIND_JSON_MAX) {
    b->rc = orch_error_set(b->err, ORCH_EINTERNAL, "too many JSON parameters in one statement");
    return;
  }
  struct orch_buf *buf = &b->json[b->njson++];
  orch_buf_init(buf, ORCH_STORE_JSON_MAX);
  int rc = orch_json_dump(buf, j, JSON_COMPACT | JSON_SORT_KEYS);
  if (rc == ORCH_ETOOBIG)
    b->rc = orch_error_setc(b->err, rc, field, "is larger than %zu bytes as JSON", ORCH_STORE_JSON_MAX);
  else if (rc)
    b->rc = orch_error_setc(b->err, rc, field, "cannot serialize: %s", orch_error_str(rc));
  else
    bind_check(b, sqlite3_bind_text(b->st, idx, orch_buf_cstr(buf), (int)buf->len, SQLITE_STATIC));
}

/* Reset the statement and free the binder's buffers: the end of every run / fetch / collect. */
static void bind_finish(struct orch_store_sq_bind *b) {
  orch_store_sq_done(b->st);
  for (int i = 0; i < b->njson; i++) orch_buf_free(&b->json[i]);
  b->njson = 0;
}

/* One step: 1 with a row, 0 when done, or the mapped error. */
static int bind_step(struct orch_store_sq_bind *b, const char *what) {
  b->src = sqlite3_step(b->st);
  if (b->src == SQLITE_ROW) return 1;
  if (b->src == SQLITE_DONE) return 0;
  return orch_store_sq_err(b->c, b->src, what, b->err);
}

int orch_store_sq_run(struct orch_store_sq_bind *b, const char *what) {
  int rc = b->rc;
  if (!rc) {
    while ((rc = bind_step(b, what)) == 1) {
    }
  }
  bind_finish(b);
  return rc;
}

int orch_store_sq_fetch(struct orch_store_sq_bind *b, orch_store_sq_row_fn row, void *item, const char *what) {
  int rc = b->rc ? b->rc : bind_step(b, what);
  if (rc == 1 && (rc = row(b->st, item, b->err)) == 0) rc = 1;
  bind_finish(b);
  return rc;
}

int orch_store_sq_collect(struct orch_store_sq_bind *b, size_t limit, orch_store_sq_row_fn row, void **items,
                          size_t item_size, size_t *count, bool *more, const char *what) {
  size_t cap = *count;
  int rc = b->rc;
  *more = false;
  while (!rc && (rc = bind_step(b, what)) == 1) {
    if (limit && *count == limit) {
      *more = true;
      rc = 0;
      break;
    }
    if ((rc = orch_store_items_reserve(items, &cap, *count + 1, item_size))) {
      rc = orch_error_set(b->err, rc, "out of memory %s", what);
      break;
    }
    rc = row(b->st, (char *)*items + *count * item_size, b->err);
    ++*count; /* counted even when partly filled, so the caller's release frees it */
  }
  bind_finish(b);
  return rc;
}

int orch_store_sq_int_row(sqlite3_stmt *st, void *item, struct orch_error *err) {
  (void)err;
  *(int64_t *)item = sqlite3_column_int64(st, 0);
  return 0;
}

/* ---- Columns --------------------------------------------------------------------------------- */

int orch_store_sq_col_str(sqlite3_stmt *st, int col, char *dst, size_t size, const char *field,
                          struct orch_error *err) {
  return orch_store_copy_str(dst, size, (const char *)sqlite3_column_text(st, col), field, err);
}

int64_t orch_store_sq_col_int(sqlite3_stmt *st, int col) { return sqlite3_column_int64(st, col); }

int orch_store_sq_col_json(sqlite3_stmt *st, int col, json_t **out, const char *field, struct orch_error *err) {
  *out = NULL;
  if (sqlite3_column_type(st, col) == SQLITE_NULL) return 0;
  const char *text = (const char *)sqlite3_column_text(st, col);
  if (!text) return orch_error_setc(err, ORCH_ENOMEM, field, "out of memory reading a column");
  size_t len = (size_t)sqlite3_column_bytes(st, col);
  struct orch_error perr = {0};
  /* writes were checked against ORCH_STORE_JSON_DEPTH_MAX; the slack tolerates counting differences */
  *out = orch_json_parse(text, len, 2 * ORCH_STORE_JSON_DEPTH_MAX, &perr);
  if (*out) return 0;
  if (perr.code == ORCH_ENOMEM) return orch_error_setc(err, ORCH_ENOMEM, field, "out of memory reading JSON");
  return orch_error_setc(err, ORCH_ESTORE, field, "stored JSON is corrupt: %s", perr.message);
}

/* ---- Cursors --------------------------------------------------------------------------------- */

int orch_store_sq_cursor_int(const char *cursor, int64_t *out, struct orch_error *err) {
  long long v;
  if (orch_str_to_ll(cursor, 1, INT64_MAX, &v)) return orch_error_setc(err, ORCH_EINVAL, "cursor", "malformed cursor");
  *out = v;
  return 0;
}

void orch_store_sq_cursor_set_int(char out[ORCH_STORE_CURSOR_MAX + 1], int64_t v) {
  snprintf(out, ORCH_STORE_CURSOR_MAX + 1, "%lld", (long long)v);
}
