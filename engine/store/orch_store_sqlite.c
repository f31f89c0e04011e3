/* orch_store_sqlite: opening and closing the SQLite backend: the write connection (WAL,
 * synchronous=FULL, foreign keys, busy timeout), migrations, the pool of read-only connections and its
 * locking, backend facts for orch_store_info, and the ops table. Uses libsqlite3, pthreads, orch_alloc,
 * orch_store_sqlite_int. */
#include "store/orch_store_sqlite.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/orch_alloc.h"
#include "core/orch_str.h"
#include "store/orch_store_sqlite_int.h"

#define DEFAULT_BUSY_TIMEOUT_MS 5000
#define DEFAULT_READERS 2

/* ---- Connection pool ------------------------------------------------------------------------- */

struct orch_store_sq_conn *orch_store_sq_writer(struct orch_store_sq *s) {
  pthread_mutex_lock(&s->writer.mu);
  return &s->writer;
}

struct orch_store_sq_conn *orch_store_sq_reader(struct orch_store_sq *s) {
  unsigned start = atomic_fetch_add_explicit(&s->next_reader, 1, memory_order_relaxed);
  for (size_t i = 0; i < s->nreaders; i++) {
    struct orch_store_sq_conn *c = &s->readers[(start + i) % s->nreaders];
    if (pthread_mutex_trylock(&c->mu) == 0) return c;
  }
  struct orch_store_sq_conn *c = &s->readers[start % s->nreaders];
  pthread_mutex_lock(&c->mu);
  return c;
}

void orch_store_sq_unlock(struct orch_store_sq_conn *c) { pthread_mutex_unlock(&c->mu); }

static void conn_close(struct orch_store_sq_conn *c) {
  orch_store_sq_stmts_free(c);
  if (c->db) sqlite3_close(c->db); /* every statement is finalized, so this cannot be BUSY */
  c->db = NULL;
  if (c->mu_init) pthread_mutex_destroy(&c->mu);
  c->mu_init = false;
}

/* The directory holding `path` into dir ("." for a bare file name). */
static void dir_of(const char *path, char *dir, size_t size) {
  const char *slash = strrchr(path, '/');
  size_t n = !slash ? 0 : slash == path ? 1 : (size_t)(slash - path);
  if (!n || n >= size) {
    snprintf(dir, size, "%s", n ? "/" : ".");
    return;
  }
  memcpy(dir, path, n);
  dir[n] = '\0';
}

/* Why a database could not be opened, in words an operator can act on. */
static int open_failed(struct orch_store_sq_conn *c, int src, struct orch_error *err) {
  int sys = c->db ? sqlite3_system_errno(c->db) : 0;
  int prim = src & 0xff;
  char dir[4096];
  dir_of(c->path, dir, sizeof dir);
  if (prim == SQLITE_CANTOPEN || prim == SQLITE_READONLY || prim == SQLITE_PERM || prim == SQLITE_IOERR) {
    if (access(dir, F_OK) != 0)
      return orch_error_setc(err, ORCH_EPERM, c->path, "cannot open the database: directory '%s' does not exist", dir);
    int why = access(dir, W_OK) != 0 ? errno : (sys == EACCES || sys == EROFS || sys == EPERM) ? sys : 0;
    if (why)
      return orch_error_setc(err, ORCH_EPERM, c->path,
                             "cannot open the database: directory '%s' is not writable (%s); the store creates "
                             "its file and the -wal and -shm files there",
                             dir, strerror(why));
  }
  if (prim == SQLITE_NOTADB)
    return orch_error_setc(err, ORCH_ESTORE, c->path, "cannot open the database: the file is not a SQLite database");
  int code = orch_store_sq_err(c, src, "cannot open the database", err);
  if (sys && err) orch_error_prefix(err, "%s", strerror(sys));
  return code;
}

/* Open one connection with the options every connection shares. */
static int conn_open(struct orch_store_sq_conn *c, const char *path, int flags, int busy_ms, struct orch_error *err) {
  c->path = path;
  if (pthread_mutex_init(&c->mu, NULL) != 0) return orch_error_set(err, ORCH_ENOMEM, "cannot create a mutex");
  c->mu_init = true;
  int src = sqlite3_open_v2(path, &c->db, flags | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, NULL);
  if (src != SQLITE_OK) return open_failed(c, src, err);
  sqlite3_extended_result_codes(c->db, 1);
  src = sqlite3_busy_timeout(c->db, busy_ms);
  if (src != SQLITE_OK) return orch_store_sq_err(c, src, "setting the busy timeout", err);
  return 0;
}

/* Run a PRAGMA and return its single text result in `out` (may be NULL). */
static int pragma(struct orch_store_sq_conn *c, const char *sql, char *out, size_t outsz, struct orch_error *err) {
  sqlite3_stmt *st = NULL;
  int src = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
  if (src == SQLITE_OK) src = sqlite3_step(st);
  if (src == SQLITE_ROW && out) {
    const char *v = (const char *)sqlite3_column_text(st, 0);
    snprintf(out, outsz, "%s", v ? v : "");
  } else if (out) {
    out[0] = '\0';
  }
  sqlite3_finalize(st);
  if (src != SQLITE_ROW && src != SQLITE_DONE) return open_failed(c, src, err);
  return 0;
}

static int writer_setup(struct orch_store_sq *s, int busy_ms, int64_t now_ms, struct orch_error *err) {
  struct orch_store_sq_conn *w = &s->writer;
  char mode[32];
  int rc = conn_open(w, s->path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, busy_ms, err);
  if (rc) return rc;
  /* the first read of the file: a non-SQLite file fails here with NOTADB */
  if ((rc = pragma(w, "PRAGMA journal_mode=WAL", mode, sizeof mode, err))) return rc;
  if (strcmp(mode, "wal") != 0) {
    char dir[4096];
    dir_of(s->path, dir, sizeof dir);
    if (access(dir, W_OK) != 0) return open_failed(w, SQLITE_CANTOPEN, err);
    return orch_error_setc(err, ORCH_ESTORE, s->path, "cannot switch the database to WAL mode (journal_mode is '%s')",
                           mode);
  }
  if ((rc = pragma(w, "PRAGMA synchronous=FULL", NULL, 0, err)) || (rc = pragma(w, "PRAGMA foreign_keys=ON", NULL, 0, err)))
    return rc;
  size_t n;
  const struct orch_store_sq_migration *migs = orch_store_sq_migrations(&n);
  return orch_store_sq_migrate(w, migs, n, now_ms, &s->schema_version, err);
}

static int reader_setup(struct orch_store_sq *s, struct orch_store_sq_conn *r, int busy_ms, struct orch_error *err) {
  int rc = conn_open(r, s->path, SQLITE_OPEN_READWRITE, busy_ms, err);
  if (!rc) rc = pragma(r, "PRAGMA query_only=ON", NULL, 0, err);
  return rc;
}

/* ---- Ops: lifecycle and info ----------------------------------------------------------------- */

static void sq_close(void *ctx) {
  struct orch_store_sq *s = ctx;
  if (!s) return;
  for (size_t i = 0; i < s->nreaders; i++) conn_close(&s->readers[i]);
  conn_close(&s->writer); /* last: the final close checkpoints and removes the -wal file */
  orch_free(s->path);
  orch_free(s);
}

static int sq_info(void *ctx, json_t *info, struct orch_error *err) {
  struct orch_store_sq *s = ctx;
  char mode[32], sync[32], fk[32];
  struct orch_store_sq_conn *w = orch_store_sq_writer(s);
  int rc = pragma(w, "PRAGMA journal_mode", mode, sizeof mode, err);
  if (!rc) rc = pragma(w, "PRAGMA synchronous", sync, sizeof sync, err);
  if (!rc) rc = pragma(w, "PRAGMA foreign_keys", fk, sizeof fk, err);
  orch_store_sq_unlock(w);
  if (rc) return rc;
  static const char *const sync_names[] = {"off", "normal", "full", "extra"};
  long long sv = sync[0] >= '0' && sync[0] <= '3' && !sync[1] ? sync[0] - '0' : -1;
  if (json_object_set_new(info, "path", json_string(s->path)) ||
      json_object_set_new(info, "sqlite_version", json_string(sqlite3_libversion())) ||
      json_object_set_new(info, "schema_version", json_integer(s->schema_version)) ||
      json_object_set_new(info, "journal_mode", json_string(mode)) ||
      json_object_set_new(info, "synchronous", json_string(sv >= 0 ? sync_names[sv] : sync)) ||
      json_object_set_new(info, "foreign_keys", json_boolean(strcmp(fk, "1") == 0)) ||
      json_object_set_new(info, "readers", json_integer((json_int_t)s->nreaders)))
    return orch_error_set(err, ORCH_ENOMEM, "out of memory describing the store");
  return 0;
}

static const struct orch_store_ops sqlite_ops = {
  .name = "sqlite",
  .close = sq_close,
  .info = sq_info,
  .group_create = orch_store_sq_group_create,
  .group_update = orch_store_sq_group_update,
  .group_delete = orch_store_sq_group_delete,
  .group_get = orch_store_sq_group_get,
  .group_list = orch_store_sq_group_list,
  .plan_create = orch_store_sq_plan_create,
  .plan_add_version = orch_store_sq_plan_add_version,
  .plan_delete = orch_store_sq_plan_delete,
  .plan_get = orch_store_sq_plan_get,
  .plan_list = orch_store_sq_plan_list,
  .version_get = orch_store_sq_version_get,
  .version_list = orch_store_sq_version_list,
  .exec_create = orch_store_sq_exec_create,
  .exec_update = orch_store_sq_exec_update,
  .exec_get = orch_store_sq_exec_get,
  .exec_list = orch_store_sq_exec_list,
  .exec_count = orch_store_sq_exec_count,
  .event_append = orch_store_sq_event_append,
  .event_read = orch_store_sq_event_read,
  .event_last_seq = orch_store_sq_event_last_seq,
  .lease_acquire = orch_store_sq_lease_acquire,
  .lease_release = orch_store_sq_lease_release,
  .lease_get = orch_store_sq_lease_get,
  .audit_append = orch_store_sq_audit_append,
  .audit_list = orch_store_sq_audit_list,
  .user_create = orch_store_sq_user_create,
  .user_get = orch_store_sq_user_get,
  .user_update = orch_store_sq_user_update,
  .user_list = orch_store_sq_user_list,
  .token_create = orch_store_sq_token_create,
  .token_get = orch_store_sq_token_get,
  .token_list = orch_store_sq_token_list,
  .token_revoke = orch_store_sq_token_revoke,
  .token_touch = orch_store_sq_token_touch,
  .session_create = orch_store_sq_session_create,
  .session_find = orch_store_sq_session_find,
  .session_delete = orch_store_sq_session_delete,
  .account_create = orch_store_sq_account_create,
  .account_get = orch_store_sq_account_get,
  .account_list = orch_store_sq_account_list,
  .account_delete = orch_store_sq_account_delete,
};

int orch_store_sqlite_schema_version(void) {
  size_t n;
  const struct orch_store_sq_migration *migs = orch_store_sq_migrations(&n);
  return migs[n - 1].version;
}

int orch_store_sqlite_open(const char *path, const struct orch_store_options *opts, struct orch_store **out,
                           struct orch_error *err) {
  static const struct orch_store_options defaults = {0};
  const struct orch_store_options *o = opts ? opts : &defaults;
  struct orch_store_sq *s = NULL;
  int rc;
  if (!out) return orch_error_set(err, ORCH_EINVAL, "orch_store_sqlite_open: out is NULL");
  *out = NULL;
  if (!path || !*path) return orch_error_setc(err, ORCH_EINVAL, "store", "sqlite: needs a file path (sqlite:PATH)");
  if (strcmp(path, ":memory:") == 0 || orch_str_starts_with(path, "file:"))
    return orch_error_setc(err, ORCH_EINVAL, "store", "sqlite: needs a plain file path, not '%s'", path);
  if (o->busy_timeout_ms < 0 || o->readers < 0 || o->readers > ORCH_STORE_SQ_READERS_MAX)
    return orch_error_setc(err, ORCH_EINVAL, "store", "busy timeout must be >= 0 and readers 0..%d",
                           ORCH_STORE_SQ_READERS_MAX);
  int busy_ms = o->busy_timeout_ms ? o->busy_timeout_ms : DEFAULT_BUSY_TIMEOUT_MS;
  const struct orch_clock *clock = o->clock ? o->clock : orch_clock_real();

  if (!(s = orch_calloc(1, sizeof *s)) || !(s->path = orch_strdup(path))) {
    rc = orch_error_set(err, ORCH_ENOMEM, "out of memory opening the store");
    goto fail;
  }
  atomic_init(&s->next_reader, 0);
  if ((rc = writer_setup(s, busy_ms, orch_clock_now_ms(clock), err))) goto fail;
  size_t want = o->readers ? (size_t)o->readers : DEFAULT_READERS;
  for (; s->nreaders < want; s->nreaders++)
    if ((rc = reader_setup(s, &s->readers[s->nreaders], busy_ms, err))) {
      s->nreaders++; /* so sq_close closes the half-opened one */
      goto fail;
    }
  return orch_store_wrap(&sqlite_ops, s, opts, out, err);
fail:
  sq_close(s);
  return rc;
}
