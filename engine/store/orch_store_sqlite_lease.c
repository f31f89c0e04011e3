/* orch_store_sqlite_lease: execution leases in SQLite: one row per leased execution, taken, renewed and
 * released in BEGIN IMMEDIATE transactions, and checked inside the same transaction as a journal append
 * by its owner, so a process that lost its lease cannot write. Uses orch_store_sqlite_int. */
#include <string.h>

#include "store/orch_store_sqlite_int.h"

static const char SQL_GET[] = "SELECT owner, host, pid, expires_ms FROM leases WHERE execution_id = ?1";
static const char SQL_EXISTS[] = "SELECT 1 FROM executions WHERE id = ?1";
static const char SQL_PUT[] =
  "INSERT INTO leases (execution_id, owner, host, pid, expires_ms) VALUES (?1, ?2, ?3, ?4, ?5)"
  " ON CONFLICT (execution_id) DO UPDATE SET owner = ?2, host = ?3, pid = ?4, expires_ms = ?5";
static const char SQL_DELETE[] = "DELETE FROM leases WHERE execution_id = ?1 AND owner = ?2";

static int lease_row(sqlite3_stmt *st, void *item, struct orch_error *err) {
  struct orch_store_lease *l = item;
  int rc = orch_store_sq_col_str(st, 0, l->owner, sizeof l->owner, "owner", err);
  if (!rc) rc = orch_store_sq_col_str(st, 1, l->host, sizeof l->host, "host", err);
  l->pid = orch_store_sq_col_int(st, 2);
  l->expires_ms = orch_store_sq_col_int(st, 3);
  return rc;
}

/* The lease row (1), none (0), or an error. */
static int lease_read(struct orch_store_sq_conn *c, const char *exec_id, struct orch_store_lease *out,
                      struct orch_error *err) {
  struct orch_store_sq_bind b;
  memset(out, 0, sizeof *out);
  (void)orch_store_sq_prepare(c, SQL_GET, &b, err);
  orch_store_sq_bind_text(&b, 1, exec_id);
  return orch_store_sq_fetch(&b, lease_row, out, "reading a lease");
}

static int exec_exists(struct orch_store_sq_conn *c, const char *exec_id, struct orch_error *err) {
  struct orch_store_sq_bind b;
  int64_t one = 0;
  (void)orch_store_sq_prepare(c, SQL_EXISTS, &b, err);
  orch_store_sq_bind_text(&b, 1, exec_id);
  int rc = orch_store_sq_fetch(&b, orch_store_sq_int_row, &one, "reading an execution");
  if (rc < 0) return rc;
  return rc ? 0 : orch_error_setc(err, ORCH_ENOTFOUND, "execution id", "execution %s not found", exec_id);
}

int orch_store_sq_lease_check(struct orch_store_sq_conn *c, const char *exec_id, const char *owner,
                              struct orch_error *err) {
  struct orch_store_lease l;
  int rc = lease_read(c, exec_id, &l, err);
  if (rc < 0) return rc;
  if (rc && strcmp(l.owner, owner) != 0)
    return orch_error_setc(err, ORCH_ECONFLICT, "lease",
                           "execution %s is driven by another process (%s, pid %lld on %s): this one lost its lease",
                           exec_id, l.owner, (long long)l.pid, l.host);
  return 0;
}

struct acquire_args {
  const char *exec_id;
  const struct orch_store_lease_spec *spec;
  struct orch_store_lease *held;
};

static int acquire_tx(struct orch_store_sq_conn *c, void *arg, struct orch_error *err) {
  const struct acquire_args *a = arg;
  const struct orch_store_lease_spec *s = a->spec;
  struct orch_store_lease l;
  int rc = exec_exists(c, a->exec_id, err);
  if (!rc) rc = lease_read(c, a->exec_id, &l, err);
  if (rc < 0) return rc;
  bool free = rc == 0 || l.expires_ms < s->now_ms || strcmp(l.owner, s->owner) == 0 ||
              (s->steal_from && strcmp(l.owner, s->steal_from) == 0);
  if (!free) {
    if (a->held) *a->held = l;
    return orch_error_setc(err, ORCH_ECONFLICT, "lease", "execution %s is driven by %s (pid %lld on %s)", a->exec_id,
                           l.owner, (long long)l.pid, l.host);
  }
  struct orch_store_sq_bind b;
  (void)orch_store_sq_prepare(c, SQL_PUT, &b, err);
  orch_store_sq_bind_text(&b, 1, a->exec_id);
  orch_store_sq_bind_text(&b, 2, s->owner);
  orch_store_sq_bind_text(&b, 3, s->host);
  orch_store_sq_bind_int(&b, 4, s->pid);
  orch_store_sq_bind_int(&b, 5, s->until_ms);
  return orch_store_sq_run(&b, "taking a lease");
}

int orch_store_sq_lease_acquire(void *ctx, const char *exec_id, const struct orch_store_lease_spec *spec,
                                struct orch_store_lease *held, struct orch_error *err) {
  struct acquire_args a = {exec_id, spec, held};
  return orch_store_sq_write(ctx, acquire_tx, &a, err);
}

struct release_args {
  const char *exec_id, *owner;
};

static int release_tx(struct orch_store_sq_conn *c, void *arg, struct orch_error *err) {
  const struct release_args *a = arg;
  struct orch_store_sq_bind b;
  (void)orch_store_sq_prepare(c, SQL_DELETE, &b, err);
  orch_store_sq_bind_text(&b, 1, a->exec_id);
  orch_store_sq_bind_text(&b, 2, a->owner);
  return orch_store_sq_run(&b, "releasing a lease");
}

int orch_store_sq_lease_release(void *ctx, const char *exec_id, const char *owner, struct orch_error *err) {
  struct release_args a = {exec_id, owner};
  return orch_store_sq_write(ctx, release_tx, &a, err);
}

int orch_store_sq_lease_get(void *ctx, const char *exec_id, struct orch_store_lease *out, struct orch_error *err) {
  struct orch_store_sq_conn *c = orch_store_sq_reader(ctx);
  int rc = exec_exists(c, exec_id, err);
  if (!rc) rc = lease_read(c, exec_id, out, err);
  orch_store_sq_unlock(c);
  return rc < 0 ? rc : 0;
}
