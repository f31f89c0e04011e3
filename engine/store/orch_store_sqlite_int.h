/* orch_store_sqlite_int: what the SQLite backend's files share and nothing outside engine/store (and its
 * tests) includes: the backend context, the connection pool, the statement cache, a sticky binder,
 * column readers, transactions, the error mapping, migrations, and each file's ops. Uses libsqlite3,
 * pthreads, orch_buf, orch_store_backend. */
#ifndef ORCH_STORE_SQLITE_INT_H
#define ORCH_STORE_SQLITE_INT_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdint.h>

#include "core/orch_buf.h"
#include "store/orch_store_backend.h"

#define ORCH_STORE_SQ_STMTS_MAX 64 /* cached statements per connection */
#define ORCH_STORE_SQ_BIND_JSON_MAX 4
#define ORCH_STORE_SQ_READERS_MAX 16
#define ORCH_STORE_SQ_APPLICATION_ID 0x4452534f /* "DRSO" in PRAGMA application_id */

/* One connection and the statements prepared on it. Only the thread holding `mu` touches it. */
struct orch_store_sq_conn {
  sqlite3 *db;
  pthread_mutex_t mu;
  bool mu_init;
  const char *path; /* the store's, for messages */
  struct {
    const char *sql; /* identity: a static string's address */
    sqlite3_stmt *stmt;
  } stmts[ORCH_STORE_SQ_STMTS_MAX];
  size_t nstmts;
};

struct orch_store_sq {
  char *path; /* owned */
  struct orch_store_sq_conn writer;
  struct orch_store_sq_conn readers[ORCH_STORE_SQ_READERS_MAX];
  size_t nreaders;
  atomic_uint next_reader;
  int schema_version; /* after migration */
};

/* ---- Connections (orch_store_sqlite.c) ------------------------------------------------------- */

/* Lock and return the write connection / a read connection (the pool's first free one, else wait).
 * Every lock is paired with orch_store_sq_unlock. */
struct orch_store_sq_conn *orch_store_sq_writer(struct orch_store_sq *s);
struct orch_store_sq_conn *orch_store_sq_reader(struct orch_store_sq *s);
void orch_store_sq_unlock(struct orch_store_sq_conn *c);

/* ---- Statements, binding, columns, errors (orch_store_sqlite_db.c) --------------------------- */

/* Map a SQLite result code to an ORCH_E* code and fill `err` with "<what>: <sqlite message>" and the
 * database path as context. BUSY/LOCKED -> ETIMEDOUT, NOMEM -> ENOMEM, NOTADB/CORRUPT -> ESTORE,
 * READONLY/CANTOPEN/PERM/AUTH -> EPERM, IOERR/FULL -> EIO, CONSTRAINT -> ECONFLICT, else ESTORE. */
int orch_store_sq_err(struct orch_store_sq_conn *c, int src, const char *what, struct orch_error *err);

/* The cached prepared statement for `sql` (a string literal: the cache keys on its address), reset and
 * with its bindings cleared. The connection owns it. */
int orch_store_sq_stmt(struct orch_store_sq_conn *c, const char *sql, sqlite3_stmt **out, struct orch_error *err)
    ORCH_MUST_CHECK;
/* Reset a statement after use (releases its read snapshot); accepts NULL. */
void orch_store_sq_done(sqlite3_stmt *st);
/* Finalize every cached statement (before closing the connection). */
void orch_store_sq_stmts_free(struct orch_store_sq_conn *c);

/* Run a statement that returns no rows (or whose rows are ignored) once. */
int orch_store_sq_exec(struct orch_store_sq_conn *c, const char *sql, const char *what, struct orch_error *err)
    ORCH_MUST_CHECK;

/* BEGIN IMMEDIATE (takes the write lock now, waiting up to the busy timeout) / COMMIT / ROLLBACK.
 * rollback is a no-op outside a transaction and never fails the caller's path. */
int orch_store_sq_begin(struct orch_store_sq_conn *c, struct orch_error *err) ORCH_MUST_CHECK;
int orch_store_sq_commit(struct orch_store_sq_conn *c, struct orch_error *err) ORCH_MUST_CHECK;
void orch_store_sq_rollback(struct orch_store_sq_conn *c);

/* A sticky binder: the first failure is kept in `rc` (with `err` filled) and later binds are no-ops,
 * so an op binds every parameter and checks once. JSON values are serialized into buffers the binder
 * owns until the statement ran (run / fetch / collect free them). `src` keeps the SQLite code of the
 * last step, so a caller can turn a constraint failure into a precise error. */
struct orch_store_sq_bind {
  struct orch_store_sq_conn *c;
  sqlite3_stmt *st;
  struct orch_error *err;
  int rc;
  int src;
  struct orch_buf json[ORCH_STORE_SQ_BIND_JSON_MAX];
  int njson;
};

/* The cached statement for `sql` (orch_store_sq_stmt) with a binder over it. On failure b->rc is set
 * too, so the binds and the run that follow are no-ops returning it. */
int orch_store_sq_prepare(struct orch_store_sq_conn *c, const char *sql, struct orch_store_sq_bind *b,
                          struct orch_error *err);
/* NULL binds SQL NULL. The string must live until the statement ran. */
void orch_store_sq_bind_text(struct orch_store_sq_bind *b, int idx, const char *s);
/* NULL and "" bind SQL NULL. */
void orch_store_sq_bind_opt_text(struct orch_store_sq_bind *b, int idx, const char *s);
void orch_store_sq_bind_int(struct orch_store_sq_bind *b, int idx, int64_t v);
/* 0 binds SQL NULL. */
void orch_store_sq_bind_opt_int(struct orch_store_sq_bind *b, int idx, int64_t v);
/* NULL binds SQL NULL; larger than ORCH_STORE_JSON_MAX serialized is ORCH_ETOOBIG naming `field`. */
void orch_store_sq_bind_json(struct orch_store_sq_bind *b, int idx, const json_t *j, const char *field);

/* Fills one item from the current row; on failure the item may be partly filled (the caller's
 * release frees it). */
typedef int (*orch_store_sq_row_fn)(sqlite3_stmt *st, void *item, struct orch_error *err);

/* Each of these finishes the statement: steps it, resets it and frees the binder's buffers.
 * run:     a statement without rows; 0 or an error (see b->src for constraints).
 * fetch:   at most one row into `item` via `row`: 1 with a row, 0 without, or an error.
 * collect: rows appended to *items (elements of item_size, *count of them) up to `limit` (0 = all);
 *          *more says another row followed. Items already read stay in *items on failure. */
int orch_store_sq_run(struct orch_store_sq_bind *b, const char *what);
int orch_store_sq_fetch(struct orch_store_sq_bind *b, orch_store_sq_row_fn row, void *item, const char *what);
int orch_store_sq_collect(struct orch_store_sq_bind *b, size_t limit, orch_store_sq_row_fn row, void **items,
                          size_t item_size, size_t *count, bool *more, const char *what);
/* A row function for a single integer column (item is an int64_t). */
int orch_store_sq_int_row(sqlite3_stmt *st, void *item, struct orch_error *err);

/* Run `fn` on the write connection inside BEGIN IMMEDIATE ... COMMIT, rolled back when anything fails.
 * The write lock is held (and other writers wait) for the whole call. */
typedef int (*orch_store_sq_tx_fn)(struct orch_store_sq_conn *c, void *arg, struct orch_error *err);
int orch_store_sq_write(struct orch_store_sq *s, orch_store_sq_tx_fn fn, void *arg, struct orch_error *err);

/* Column readers for the current row. NULL reads as "" / 0 / NULL json. */
int orch_store_sq_col_str(sqlite3_stmt *st, int col, char *dst, size_t size, const char *field,
                          struct orch_error *err) ORCH_MUST_CHECK;
int64_t orch_store_sq_col_int(sqlite3_stmt *st, int col);
int orch_store_sq_col_json(sqlite3_stmt *st, int col, json_t **out, const char *field, struct orch_error *err)
    ORCH_MUST_CHECK;

/* Page helpers: a cursor holding a decimal integer (> 0), and writing one. */
int orch_store_sq_cursor_int(const char *cursor, int64_t *out, struct orch_error *err) ORCH_MUST_CHECK;
void orch_store_sq_cursor_set_int(char out[ORCH_STORE_CURSOR_MAX + 1], int64_t v);

/* ---- Migrations (orch_store_sqlite_schema.c) ------------------------------------------------- */

struct orch_store_sq_migration {
  int version; /* 1, 2, 3, ... in order, no gaps */
  const char *description;
  const char *sql; /* one or more statements */
};

/* The binary's migrations, in order. */
const struct orch_store_sq_migration *orch_store_sq_migrations(size_t *count);
/* Bring `c`'s database to the last of `migs` in one transaction: refuses a database that is not the
 * engine's (ORCH_ESTORE) or newer than `migs` (ORCH_EUNSUPPORTED); on any failure nothing changes.
 * *version receives the schema version afterwards. */
int orch_store_sq_migrate(struct orch_store_sq_conn *c, const struct orch_store_sq_migration *migs, size_t n,
                          int64_t now_ms, int *version, struct orch_error *err) ORCH_MUST_CHECK;

/* ---- Ops, one file each ---------------------------------------------------------------------- */

int orch_store_sq_group_create(void *ctx, const struct orch_store_group *g, struct orch_error *err);
int orch_store_sq_group_update(void *ctx, struct orch_store_group *g, int64_t expected_version,
                               struct orch_error *err);
int orch_store_sq_group_delete(void *ctx, const char *id, struct orch_error *err);
int orch_store_sq_group_get(void *ctx, const char *id, const char *name, struct orch_store_group *out,
                            struct orch_error *err);
int orch_store_sq_group_list(void *ctx, const struct orch_store_group_filter *f, const struct orch_store_page *page,
                             struct orch_store_group_list *out, struct orch_error *err);

int orch_store_sq_plan_create(void *ctx, const struct orch_store_plan *p, const struct orch_store_plan_version *v,
                              struct orch_error *err);
int orch_store_sq_plan_add_version(void *ctx, int64_t expected_latest, struct orch_store_plan_version *v,
                                   struct orch_error *err);
int orch_store_sq_plan_delete(void *ctx, const char *id, struct orch_error *err);
int orch_store_sq_plan_get(void *ctx, const char *id, const char *name, struct orch_store_plan *out,
                           struct orch_error *err);
int orch_store_sq_plan_list(void *ctx, const struct orch_store_page *page, struct orch_store_plan_list *out,
                            struct orch_error *err);
int orch_store_sq_version_get(void *ctx, const char *plan_id, int64_t version, struct orch_store_plan_version *out,
                              struct orch_error *err);
int orch_store_sq_version_list(void *ctx, const char *plan_id, const struct orch_store_page *page,
                               struct orch_store_version_list *out, struct orch_error *err);

int orch_store_sq_exec_create(void *ctx, struct orch_store_exec *x, struct orch_error *err);
int orch_store_sq_exec_update(void *ctx, const char *id, const struct orch_store_exec_update *u,
                              struct orch_store_exec *out, struct orch_error *err);
int orch_store_sq_exec_get(void *ctx, const char *id, struct orch_store_exec *out, struct orch_error *err);
int orch_store_sq_exec_list(void *ctx, const struct orch_store_exec_filter *f, const struct orch_store_page *page,
                            struct orch_store_exec_list *out, struct orch_error *err);
int orch_store_sq_exec_count(void *ctx, int64_t counts[ORCH_STORE_STATUS_COUNT], struct orch_error *err);

int orch_store_sq_event_append(void *ctx, const char *exec_id, const struct orch_store_event_spec *evs, size_t n,
                               const char *owner,
                               struct orch_error *err);
int orch_store_sq_event_read(void *ctx, const char *exec_id, int64_t from_seq, size_t limit,
                             struct orch_store_event_list *out, struct orch_error *err);
int orch_store_sq_event_last_seq(void *ctx, const char *exec_id, int64_t *seq, struct orch_error *err);

/* orch_store_sqlite_lease.c; lease_check runs inside an append's transaction: ORCH_ECONFLICT when
 * another owner holds the execution's lease. */
int orch_store_sq_lease_acquire(void *ctx, const char *exec_id, const struct orch_store_lease_spec *spec,
                                struct orch_store_lease *held, struct orch_error *err);
int orch_store_sq_lease_release(void *ctx, const char *exec_id, const char *owner, struct orch_error *err);
int orch_store_sq_lease_get(void *ctx, const char *exec_id, struct orch_store_lease *out, struct orch_error *err);
int orch_store_sq_lease_check(struct orch_store_sq_conn *c, const char *exec_id, const char *owner,
                              struct orch_error *err);

int orch_store_sq_audit_append(void *ctx, const struct orch_store_audit *a, int64_t *id, struct orch_error *err);
int orch_store_sq_audit_list(void *ctx, const struct orch_store_audit_filter *f, const struct orch_store_page *page,
                             struct orch_store_audit_list *out, struct orch_error *err);

/* orch_store_sqlite_access.c */
int orch_store_sq_user_create(void *ctx, const struct orch_store_user *u, struct orch_error *err);
int orch_store_sq_user_get(void *ctx, const char *id, const char *name, struct orch_store_user *out,
                           struct orch_error *err);
int orch_store_sq_user_update(void *ctx, const char *id, const struct orch_store_user_update *u, int64_t now_ms,
                              struct orch_store_user *out, struct orch_error *err);
int orch_store_sq_user_list(void *ctx, const struct orch_store_page *page, struct orch_store_user_list *out,
                            struct orch_error *err);
int orch_store_sq_token_create(void *ctx, const struct orch_store_token *t, const char *secret_hash,
                               struct orch_error *err);
int orch_store_sq_token_get(void *ctx, const char *id, const char *secret_hash, struct orch_store_token *out,
                            struct orch_error *err);
int orch_store_sq_token_list(void *ctx, const struct orch_store_page *page, struct orch_store_token_list *out,
                             struct orch_error *err);
int orch_store_sq_token_revoke(void *ctx, const char *id, int64_t now_ms, struct orch_error *err);
int orch_store_sq_token_touch(void *ctx, const char *id, int64_t at_ms, struct orch_error *err);
int orch_store_sq_session_create(void *ctx, const struct orch_store_session *s, const char *secret_hash,
                                 struct orch_error *err);
int orch_store_sq_session_find(void *ctx, const char *secret_hash, int64_t now_ms, struct orch_store_session *out,
                               struct orch_error *err);
int orch_store_sq_session_delete(void *ctx, const char *id, const char *user_id, struct orch_error *err);

/* orch_store_sqlite_accounts.c */
int orch_store_sq_account_create(void *ctx, const struct orch_store_account *a, struct orch_error *err);
int orch_store_sq_account_get(void *ctx, const char *account_id, struct orch_store_account *out,
                              struct orch_error *err);
int orch_store_sq_account_list(void *ctx, const struct orch_store_page *page, struct orch_store_account_list *out,
                               struct orch_error *err);
int orch_store_sq_account_delete(void *ctx, const char *account_id, struct orch_error *err);

#endif
