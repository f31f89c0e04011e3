/* orch_store_sqlite_audit: the audit log in SQLite: append-only rows with an increasing id, listed
 * newest first with exact-match filters and the id as cursor. Uses orch_store_sqlite_int. */
#include <string.h>

#include "store/orch_store_sqlite_int.h"

#define AUDIT_COLS "id, at_ms, actor, action, target, details, request_id, role, source"

static const char SQL_INSERT[] =
  "INSERT INTO audit (at_ms, actor, action, target, details, request_id, role, source)"
  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
static const char SQL_LIST[] =
  "SELECT " AUDIT_COLS " FROM audit WHERE (?1 IS NULL OR id < ?1) AND (?2 IS NULL OR actor = ?2)"
  " AND (?3 IS NULL OR action = ?3) AND (?4 IS NULL OR target = ?4) AND (?5 IS NULL OR at_ms >= ?5)"
  " AND (?6 IS NULL OR at_ms < ?6) ORDER BY id DESC LIMIT ?7";

struct append_args {
  const struct orch_store_audit *a;
  int64_t *id;
};

static int append_tx(struct orch_store_sq_conn *c, void *arg, struct orch_error *err) {
  const struct append_args *x = arg;
  struct orch_store_sq_bind b;
  (void)orch_store_sq_prepare(c, SQL_INSERT, &b, err);
  orch_store_sq_bind_int(&b, 1, x->a->at_ms);
  orch_store_sq_bind_text(&b, 2, x->a->actor);
  orch_store_sq_bind_text(&b, 3, x->a->action);
  orch_store_sq_bind_opt_text(&b, 4, x->a->target);
  orch_store_sq_bind_json(&b, 5, x->a->details, "details");
  orch_store_sq_bind_opt_text(&b, 6, x->a->request_id);
  orch_store_sq_bind_opt_text(&b, 7, x->a->role);
  orch_store_sq_bind_opt_text(&b, 8, x->a->source);
  int rc = orch_store_sq_run(&b, "appending an audit entry");
  if (!rc) *x->id = sqlite3_last_insert_rowid(c->db);
  return rc;
}

int orch_store_sq_audit_append(void *ctx, const struct orch_store_audit *a, int64_t *id, struct orch_error *err) {
  struct append_args x = {a, id};
  return orch_store_sq_write(ctx, append_tx, &x, err);
}

static int audit_row(sqlite3_stmt *st, void *item, struct orch_error *err) {
  struct orch_store_audit *a = item;
  int rc;
  a->id = orch_store_sq_col_int(st, 0);
  a->at_ms = orch_store_sq_col_int(st, 1);
  if ((rc = orch_store_sq_col_str(st, 2, a->actor, sizeof a->actor, "actor", err)) ||
      (rc = orch_store_sq_col_str(st, 3, a->action, sizeof a->action, "action", err)) ||
      (rc = orch_store_sq_col_str(st, 4, a->target, sizeof a->target, "target", err)) ||
      (rc = orch_store_sq_col_json(st, 5, &a->details, "details", err)))
    return rc;
  if ((rc = orch_store_sq_col_str(st, 6, a->request_id, sizeof a->request_id, "request_id", err)) ||
      (rc = orch_store_sq_col_str(st, 7, a->role, sizeof a->role, "role", err)))
    return rc;
  return orch_store_sq_col_str(st, 8, a->source, sizeof a->source, "source", err);
}

int orch_store_sq_audit_list(void *ctx, const struct orch_store_audit_filter *f, const struct orch_store_page *page,
                             struct orch_store_audit_list *out, struct orch_error *err) {
  int64_t before = 0;
  bool more;
  int rc = page->cursor ? orch_store_sq_cursor_int(page->cursor, &before, err) : 0;
  if (rc) return rc;
  struct orch_store_sq_conn *c = orch_store_sq_reader(ctx);
  struct orch_store_sq_bind b;
  (void)orch_store_sq_prepare(c, SQL_LIST, &b, err);
  orch_store_sq_bind_opt_int(&b, 1, before);
  orch_store_sq_bind_opt_text(&b, 2, f->actor);
  orch_store_sq_bind_opt_text(&b, 3, f->action);
  orch_store_sq_bind_opt_text(&b, 4, f->target);
  orch_store_sq_bind_opt_int(&b, 5, f->from_ms);
  orch_store_sq_bind_opt_int(&b, 6, f->to_ms);
  orch_store_sq_bind_int(&b, 7, (int64_t)page->limit + 1);
  rc = orch_store_sq_collect(&b, page->limit, audit_row, (void **)&out->items, sizeof *out->items, &out->count, &more,
                             "listing the audit log");
  orch_store_sq_unlock(c);
  if (rc) orch_store_audit_list_release(out);
  else if (more) orch_store_sq_cursor_set_int(out->next_cursor, out->items[out->count - 1].id);
  return rc;
}
