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

/* One integer from a query whose only parameter is the execution id: 1 with a row, 0 without. */
static int exec_int(struct orch_store_sq_conn *c, const char *sql, const char *exec_id, int64_t *out,
                    struct orch_error *err) {
  struct orch_store_sq_bind b;
  (void)orch_store_sq_prepare(c, sql, &b, err);
  orch_store_sq_bind_text(&b, 1, exec_id);
  return orch_store_sq_fetch(&b, orch_store_sq_int_row, out, "reading the journal");
}

/* The journal's last seq, ORCH_ENOTFOUND when the execution does not exist. */
static int last_seq(struct orch_store_sq_conn *c, const char *exec_id, int64_t *seq, struct orch_error *err) {
  int64_t one;
  int rc = exec_int(c, SQL_LAST, exec_id, seq, err);
  if (rc < 0 || *seq > 0) return rc < 0 ? rc : 0;
  /* an empty journal: tell a new execution from an unknown one */
  if ((rc = exec_int(c, SQL_EXISTS, exec_id, &one, err)) < 0) return rc;
  return rc ? 0 : exec_missing(exec_id, err);
}

static int insert_event(struct orch_store_sq_conn *c, const char *exec_id, const struct orch_store_event_spec *ev,
                        struct orch_error *err) {
  struct orch_store_sq_bind b;
  (void)orch_store_sq_prepare(c, SQL_INSERT, &b, err);
  orch_store_sq_bind_text(&b, 1, exec_id);
  orch_store_sq_bind_int(&b, 2, ev->seq);
  orch_store_sq_bind_int(&b, 3, ev->at_ms);
  orch_store_sq_bind_text(&b, 4, ev->type);
  orch_store_sq_bind_json(&b, 5, ev->data, "data");
  int rc = orch_store_sq_run(&b, "appending an event");
  if (b.src == SQLITE_CONSTRAINT_PRIMARYKEY)
    return orch_error_setc(err, ORCH_ECONFLICT, "seq", "event %lld of execution %s already exists",
                           (long long)ev->seq, exec_id);
  return rc;
}

struct append_args {
  const char *exec_id;
  const struct orch_store_event_spec *evs;
  size_t n;
  const char *owner;
};

static int append_tx(struct orch_store_sq_conn *c, void *arg, struct orch_error *err) {
  const struct append_args *a = arg;
  int64_t last, first = a->evs[0].seq;
  int rc = a->owner ? orch_store_sq_lease_check(c, a->exec_id, a->owner, err) : 0;
  if (!rc) rc = last_seq(c, a->exec_id, &last, err);
  if (rc) return rc;
  if (first <= last)
    return orch_error_setc(err, ORCH_ECONFLICT, "seq",
                           "event %lld of execution %s already exists (the journal ends at %lld): another writer "
                           "appended first",
                           (long long)first, a->exec_id, (long long)last);
  if (first > last + 1)
    return orch_error_setc(err, ORCH_EINVAL, "seq",
                           "event %lld would leave a gap: the journal of execution %s ends at %lld, so the next is %lld",
                           (long long)first, a->exec_id, (long long)last, (long long)(last + 1));
  for (size_t i = 0; i < a->n && !rc; i++) rc = insert_event(c, a->exec_id, &a->evs[i], err);
  return rc;
}

int orch_store_sq_event_append(void *ctx, const char *exec_id, const struct orch_store_event_spec *evs, size_t n,
                               const char *owner, struct orch_error *err) {
  struct append_args a = {exec_id, evs, n, owner};
  return orch_store_sq_write(ctx, append_tx, &a, err);
}

static int event_row(sqlite3_stmt *st, void *item, struct orch_error *err) {
  struct orch_store_event *ev = item;
  ev->seq = sqlite3_column_int64(st, 0);
  ev->at_ms = sqlite3_column_int64(st, 1);
  int rc = orch_store_sq_col_str(st, 2, ev->type, sizeof ev->type, "type", err);
  return rc ? rc : orch_store_sq_col_json(st, 3, &ev->data, "data", err);
}

int orch_store_sq_event_read(void *ctx, const char *exec_id, int64_t from_seq, size_t limit,
                             struct orch_store_event_list *out, struct orch_error *err) {
  struct orch_store_sq_conn *c = orch_store_sq_reader(ctx);
  struct orch_store_sq_bind b;
  int64_t last;
  bool more;
  (void)orch_store_sq_prepare(c, SQL_READ, &b, err);
  orch_store_sq_bind_text(&b, 1, exec_id);
  orch_store_sq_bind_int(&b, 2, from_seq);
  orch_store_sq_bind_int(&b, 3, limit ? (int64_t)limit + 1 : -1);
  int rc = orch_store_sq_collect(&b, limit, event_row, (void **)&out->items, sizeof *out->items, &out->count, &more,
                                 "reading the journal");
  /* nothing read: an empty or unknown journal, or from_seq past its end */
  if (!rc && out->count == 0) rc = last_seq(c, exec_id, &last, err);
  orch_store_sq_unlock(c);
  if (rc) orch_store_event_list_release(out);
  else if (more) out->next_seq = out->items[out->count - 1].seq + 1;
  return rc;
}

int orch_store_sq_event_last_seq(void *ctx, const char *exec_id, int64_t *seq, struct orch_error *err) {
  struct orch_store_sq_conn *c = orch_store_sq_reader(ctx);
  int rc = last_seq(c, exec_id, seq, err);
  orch_store_sq_unlock(c);
  return rc;
}
