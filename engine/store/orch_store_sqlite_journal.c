/* orch_store_sqlite_journal: the per-execution event journal in SQLite. An append (one event or a batch)
 * is one BEGIN IMMEDIATE transaction that reads the journal's last seq, checks the caller's expected
 * seq against it, inserts and commits; with synchronous=FULL the commit is on disk when it returns.
 * The (execution_id, seq) primary key is the backstop against duplicates. Uses orch_store_sqlite_int. */
#include <string.h>

#include "store/orch_store_sqlite_int.h"

static const char SQL_LAST[] = "SELECT coalesce(max(seq), 0) FROM events WHERE execution_id = ?1";
static const char SQL_EXISTS[] = "SELECT 1 FROM executions WHERE id = ?1";
static const char SQL_INSERT[] = "INSERT INTO events (execution_id, seq, at_ms, type, data) VALUES (?1, ?2, ?3, ?4, ?5)";
static const char SQL_READ[] =
  "SELECT seq, at_ms, type, data FROM events WHERE execution_id = ?1 AND seq >= ?2 ORDER BY seq LIMIT ?3";

static int exec_missing(const char *id, struct orch_error *err) {
  return orch_error_setc(err, ORCH_ENOTFOUND, "execution id", "execution %s not found", id);
}

/* One integer from a statement with the execution id as its only parameter; *found when a row came. */
static int id_query(struct orch_store_sq_conn *c, const char *sql, const char *exec_id, int64_t *out, bool *found,
                    struct orch_error *err) {
  sqlite3_stmt *st;
  int rc = orch_store_sq_stmt(c, sql, &st, err);
  if (rc) return rc;
  int src = sqlite3_bind_text(st, 1, exec_id, -1, SQLITE_STATIC);
  if (src != SQLITE_OK) rc = orch_store_sq_err(c, src, "reading the journal", err);
  else if ((rc = orch_store_sq_step_row(c, st, "reading the journal", err)) >= 0) {
    *found = rc == 1;
    *out = rc == 1 ? sqlite3_column_int64(st, 0) : 0;
    rc = 0;
  }
  orch_store_sq_done(st);
  return rc;
}

/* The journal's last seq, ORCH_ENOTFOUND when the execution does not exist. */
static int last_seq(struct orch_store_sq_conn *c, const char *exec_id, int64_t *seq, struct orch_error *err) {
  int64_t one;
  bool found;
  int rc = id_query(c, SQL_LAST, exec_id, seq, &found, err);
  if (rc || *seq > 0) return rc;
  /* an empty journal: tell a new execution from an unknown one */
  if ((rc = id_query(c, SQL_EXISTS, exec_id, &one, &found, err))) return rc;
  return found ? 0 : exec_missing(exec_id, err);
}

static int insert_event(struct orch_store_sq_conn *c, const char *exec_id, const struct orch_store_event_spec *ev,
                        struct orch_error *err) {
  sqlite3_stmt *st;
  struct orch_store_sq_bind b;
  int rc = orch_store_sq_stmt(c, SQL_INSERT, &st, err);
  if (rc) return rc;
  orch_store_sq_bind_init(&b, c, st, err);
  orch_store_sq_bind_text(&b, 1, exec_id);
  orch_store_sq_bind_int(&b, 2, ev->seq);
  orch_store_sq_bind_int(&b, 3, ev->at_ms);
  orch_store_sq_bind_text(&b, 4, ev->type);
  orch_store_sq_bind_json(&b, 5, ev->data, "data");
  if (!(rc = b.rc)) {
    int src = sqlite3_step(st);
    if (src == SQLITE_CONSTRAINT_PRIMARYKEY)
      rc = orch_error_setc(err, ORCH_ECONFLICT, "seq", "event %lld of execution %s already exists",
                           (long long)ev->seq, exec_id);
    else if (src != SQLITE_DONE)
      rc = orch_store_sq_err(c, src, "appending an event", err);
  }
  orch_store_sq_done(st);
  orch_store_sq_bind_free(&b);
  return rc;
}

int orch_store_sq_event_append(void *ctx, const char *exec_id, const struct orch_store_event_spec *evs, size_t n,
                               struct orch_error *err) {
  struct orch_store_sq_conn *c = orch_store_sq_writer(ctx);
  int64_t last;
  int rc = orch_store_sq_begin(c, err);
  if (rc || (rc = last_seq(c, exec_id, &last, err))) goto out;
  if (evs[0].seq <= last) {
    rc = orch_error_setc(err, ORCH_ECONFLICT, "seq",
                         "event %lld of execution %s already exists (the journal ends at %lld): another writer "
                         "appended first",
                         (long long)evs[0].seq, exec_id, (long long)last);
    goto out;
  }
  if (evs[0].seq > last + 1) {
    rc = orch_error_setc(err, ORCH_EINVAL, "seq",
                         "event %lld would leave a gap: the journal of execution %s ends at %lld, so the next is %lld",
                         (long long)evs[0].seq, exec_id, (long long)last, (long long)(last + 1));
    goto out;
  }
  for (size_t i = 0; i < n && !rc; i++) rc = insert_event(c, exec_id, &evs[i], err);
  if (!rc) rc = orch_store_sq_commit(c, err);
out:
  if (rc) orch_store_sq_rollback(c);
  orch_store_sq_unlock(c);
  return rc;
}

int orch_store_sq_event_read(void *ctx, const char *exec_id, int64_t from_seq, size_t limit,
                             struct orch_store_event_list *out, struct orch_error *err) {
  struct orch_store_sq_conn *c = orch_store_sq_reader(ctx);
  struct orch_store_sq_bind b;
  sqlite3_stmt *st = NULL;
  size_t cap = 0;
  int64_t last;
  int rc = orch_store_sq_stmt(c, SQL_READ, &st, err);
  if (rc) goto out;
  orch_store_sq_bind_init(&b, c, st, err);
  orch_store_sq_bind_text(&b, 1, exec_id);
  orch_store_sq_bind_int(&b, 2, from_seq);
  orch_store_sq_bind_int(&b, 3, limit ? (int64_t)limit + 1 : -1);
  if ((rc = b.rc)) goto out;
  while ((rc = orch_store_sq_step_row(c, st, "reading the journal", err)) == 1) {
    if (limit && out->count == limit) {
      out->next_seq = out->items[out->count - 1].seq + 1;
      rc = 0;
      break;
    }
    if ((rc = orch_store_items_reserve((void **)&out->items, &cap, out->count + 1, sizeof *out->items))) {
      rc = orch_error_set(err, rc, "out of memory reading the journal");
      break;
    }
    struct orch_store_event *ev = &out->items[out->count++];
    ev->seq = sqlite3_column_int64(st, 0);
    ev->at_ms = sqlite3_column_int64(st, 1);
    if ((rc = orch_store_sq_col_str(st, 2, ev->type, sizeof ev->type, "type", err)) ||
        (rc = orch_store_sq_col_json(st, 3, &ev->data, "data", err)))
      break;
  }
  orch_store_sq_done(st);
  /* nothing read: an empty or unknown journal, or from_seq past its end */
  if (!rc && out->count == 0) rc = last_seq(c, exec_id, &last, err);
out:
  if (rc) orch_store_event_list_release(out);
  orch_store_sq_done(st);
  orch_store_sq_unlock(c);
  return rc;
}

int orch_store_sq_event_last_seq(void *ctx, const char *exec_id, int64_t *seq, struct orch_error *err) {
  struct orch_store_sq_conn *c = orch_store_sq_reader(ctx);
  int rc = last_seq(c, exec_id, seq, err);
  orch_store_sq_unlock(c);
  return rc;
}
