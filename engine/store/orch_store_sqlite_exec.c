/* orch_store_sqlite_exec: executions in SQLite: creation against an existing plan version, updates of
 * status, times and summary, and filtered listing newest first with the id as cursor (UUIDv7 ids sort
 * by creation). Uses orch_store_sqlite_int, orch_store_valid (cursor ids), orch_buf. */
#include <stdio.h>
#include <string.h>

#include "store/orch_store_sqlite_int.h"
#include "store/orch_store_valid.h"

#define EXEC_COLS "id, plan_id, plan_version, mode, status, started_by, created_ms, started_ms, ended_ms, summary"

static const char SQL_RESOLVE[] =
  "SELECT CASE WHEN ?2 > 0 THEN (SELECT version FROM plan_versions WHERE plan_id = ?1 AND version = ?2)"
  " ELSE latest_version END FROM plans WHERE id = ?1";
static const char SQL_INSERT[] =
  "INSERT INTO executions (" EXEC_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, NULL, ?8)";
static const char SQL_UPDATE[] =
  "UPDATE executions SET status = coalesce(?2, status), started_ms = coalesce(?3, started_ms),"
  " ended_ms = CASE WHEN ?6 THEN NULL ELSE coalesce(?4, ended_ms) END, summary = coalesce(?5, summary) WHERE id = ?1";
static const char SQL_GET[] = "SELECT " EXEC_COLS " FROM executions WHERE id = ?1";
/* status and mode filters are ",A,B," lists, so one cached statement serves every combination */
static const char SQL_LIST[] =
  "SELECT " EXEC_COLS " FROM executions WHERE (?1 IS NULL OR id < ?1) AND (?2 IS NULL OR plan_id = ?2)"
  " AND (?3 IS NULL OR instr(?3, ',' || status || ',') > 0) AND (?4 IS NULL OR instr(?4, ',' || mode || ',') > 0)"
  " AND (?5 = 0 OR ended_ms IS NULL) AND (?6 IS NULL OR created_ms >= ?6) AND (?7 IS NULL OR created_ms < ?7)"
  " ORDER BY id DESC LIMIT ?8";

static int exec_row(sqlite3_stmt *st, void *item, struct orch_error *err) {
  struct orch_store_exec *x = item;
  int rc;
  char mode[16], status[24];
  if ((rc = orch_store_sq_col_str(st, 0, x->id, sizeof x->id, "id", err)) ||
      (rc = orch_store_sq_col_str(st, 1, x->plan_id, sizeof x->plan_id, "plan_id", err)) ||
      (rc = orch_store_sq_col_str(st, 3, mode, sizeof mode, "mode", err)) ||
      (rc = orch_store_sq_col_str(st, 4, status, sizeof status, "status", err)) ||
      (rc = orch_store_sq_col_str(st, 5, x->started_by, sizeof x->started_by, "started_by", err)))
    return rc;
  if (orch_store_mode_parse(mode, &x->mode, NULL) || orch_store_status_parse(status, &x->status, NULL))
    return orch_error_setc(err, ORCH_ESTORE, x->id, "stored execution has an unknown mode '%s' or status '%s'", mode,
                           status);
  x->plan_version = orch_store_sq_col_int(st, 2);
  x->created_ms = orch_store_sq_col_int(st, 6);
  x->started_ms = orch_store_sq_col_int(st, 7);
  x->ended_ms = orch_store_sq_col_int(st, 8);
  return orch_store_sq_col_json(st, 9, &x->summary, "summary", err);
}

static int exec_missing(const char *id, struct orch_error *err) {
  return orch_error_setc(err, ORCH_ENOTFOUND, "execution id", "execution %s not found", id);
}

/* Read execution `id` on connection `c` (a reader, or the writer inside its transaction). */
static int exec_read(struct orch_store_sq_conn *c, const char *id, struct orch_store_exec *out, struct orch_error *err) {
  struct orch_store_sq_bind b;
  (void)orch_store_sq_prepare(c, SQL_GET, &b, err);
  orch_store_sq_bind_text(&b, 1, id);
  int rc = orch_store_sq_fetch(&b, exec_row, out, "reading an execution");
  if (rc == 0) rc = exec_missing(id, err);
  if (rc < 0) orch_store_exec_release(out);
  return rc < 0 ? rc : 0;
}

/* The version an execution of (plan, version) runs: version itself if it exists, the latest for 0. */
static int resolve_version(struct orch_store_sq_conn *c, struct orch_store_exec *x, struct orch_error *err) {
  struct orch_store_sq_bind b;
  int64_t v = 0;
  (void)orch_store_sq_prepare(c, SQL_RESOLVE, &b, err);
  orch_store_sq_bind_text(&b, 1, x->plan_id);
  orch_store_sq_bind_int(&b, 2, x->plan_version);
  int rc = orch_store_sq_fetch(&b, orch_store_sq_int_row, &v, "resolving the plan version");
  if (rc < 0) return rc;
  if (rc == 0) return orch_error_setc(err, ORCH_ENOTFOUND, "plan_id", "recovery plan %s not found", x->plan_id);
  if (v == 0) /* NULL: no such version */
    return orch_error_setc(err, ORCH_ENOTFOUND, "plan_version", "recovery plan %s has no version %lld", x->plan_id,
                           (long long)x->plan_version);
  x->plan_version = v;
  return 0;
}

static int create_tx(struct orch_store_sq_conn *c, void *arg, struct orch_error *err) {
  struct orch_store_exec *x = arg;
  int rc = resolve_version(c, x, err);
  if (rc) return rc;
  struct orch_store_sq_bind b;
  (void)orch_store_sq_prepare(c, SQL_INSERT, &b, err);
  orch_store_sq_bind_text(&b, 1, x->id);
  orch_store_sq_bind_text(&b, 2, x->plan_id);
  orch_store_sq_bind_int(&b, 3, x->plan_version);
  orch_store_sq_bind_text(&b, 4, orch_store_mode_name(x->mode));
  orch_store_sq_bind_text(&b, 5, orch_store_status_name(x->status));
  orch_store_sq_bind_opt_text(&b, 6, x->started_by);
  orch_store_sq_bind_int(&b, 7, x->created_ms);
  orch_store_sq_bind_json(&b, 8, x->summary, "summary");
  return orch_store_sq_run(&b, "creating an execution");
}

int orch_store_sq_exec_create(void *ctx, struct orch_store_exec *x, struct orch_error *err) {
  return orch_store_sq_write(ctx, create_tx, x, err);
}

struct update_args {
  const char *id;
  const struct orch_store_exec_update *u;
  struct orch_store_exec *out;
};

static int update_tx(struct orch_store_sq_conn *c, void *arg, struct orch_error *err) {
  const struct update_args *a = arg;
  struct orch_store_sq_bind b;
  (void)orch_store_sq_prepare(c, SQL_UPDATE, &b, err);
  orch_store_sq_bind_text(&b, 1, a->id);
  orch_store_sq_bind_text(&b, 2, a->u->set_status ? orch_store_status_name(a->u->status) : NULL);
  orch_store_sq_bind_opt_int(&b, 3, a->u->started_ms);
  orch_store_sq_bind_opt_int(&b, 4, a->u->ended_ms);
  orch_store_sq_bind_json(&b, 5, a->u->summary, "summary");
  orch_store_sq_bind_int(&b, 6, a->u->reopen ? 1 : 0);
  int rc = orch_store_sq_run(&b, "updating an execution");
  if (!rc && sqlite3_changes(c->db) == 0) rc = exec_missing(a->id, err);
  /* read back inside the transaction: if that fails the update is rolled back too */
  return rc || !a->out ? rc : exec_read(c, a->id, a->out, err);
}

int orch_store_sq_exec_update(void *ctx, const char *id, const struct orch_store_exec_update *u,
                              struct orch_store_exec *out, struct orch_error *err) {
  struct update_args a = {id, u, out};
  int rc = orch_store_sq_write(ctx, update_tx, &a, err);
  if (rc && out) orch_store_exec_release(out); /* the commit may have failed after the read */
  return rc;
}

int orch_store_sq_exec_get(void *ctx, const char *id, struct orch_store_exec *out, struct orch_error *err) {
  struct orch_store_sq_conn *c = orch_store_sq_reader(ctx);
  int rc = exec_read(c, id, out, err);
  orch_store_sq_unlock(c);
  return rc;
}

/* ",A,B," from the names of the bits set in `mask` (NULL names end the table). */
static int mask_list(struct orch_buf *out, unsigned mask, const char *(*name)(int)) {
  int rc = orch_buf_putc(out, ',');
  for (int i = 0; !rc && name(i); i++)
    if (mask & ORCH_STORE_BIT(i)) rc = orch_buf_printf(out, "%s,", name(i));
  return rc;
}

static const char *status_at(int i) { return orch_store_status_name((enum orch_store_status)i); }
static const char *mode_at(int i) { return orch_store_mode_name((enum orch_store_mode)i); }

int orch_store_sq_exec_list(void *ctx, const struct orch_store_exec_filter *f, const struct orch_store_page *page,
                            struct orch_store_exec_list *out, struct orch_error *err) {
  struct orch_buf statuses = ORCH_BUF_INIT(512), modes = ORCH_BUF_INIT(64);
  bool more;
  int rc = 0;
  if (page->cursor && orch_store_valid_id(page->cursor, "cursor", NULL)) {
    rc = orch_error_setc(err, ORCH_EINVAL, "cursor", "malformed cursor");
    goto out;
  }
  if ((f->status_mask && mask_list(&statuses, f->status_mask, status_at)) ||
      (f->mode_mask && mask_list(&modes, f->mode_mask, mode_at))) {
    rc = orch_error_set(err, ORCH_ENOMEM, "out of memory listing executions");
    goto out;
  }
  struct orch_store_sq_conn *c = orch_store_sq_reader(ctx);
  struct orch_store_sq_bind b;
  (void)orch_store_sq_prepare(c, SQL_LIST, &b, err);
  orch_store_sq_bind_text(&b, 1, page->cursor);
  orch_store_sq_bind_text(&b, 2, f->plan_id);
  orch_store_sq_bind_text(&b, 3, f->status_mask ? orch_buf_cstr(&statuses) : NULL);
  orch_store_sq_bind_text(&b, 4, f->mode_mask ? orch_buf_cstr(&modes) : NULL);
  orch_store_sq_bind_int(&b, 5, f->unfinished_only);
  orch_store_sq_bind_opt_int(&b, 6, f->created_from_ms);
  orch_store_sq_bind_opt_int(&b, 7, f->created_to_ms);
  orch_store_sq_bind_int(&b, 8, (int64_t)page->limit + 1);
  rc = orch_store_sq_collect(&b, page->limit, exec_row, (void **)&out->items, sizeof *out->items, &out->count, &more,
                             "listing executions");
  orch_store_sq_unlock(c);
  if (rc) orch_store_exec_list_release(out);
  else if (more) snprintf(out->next_cursor, sizeof out->next_cursor, "%s", out->items[out->count - 1].id);
out:
  orch_buf_free(&statuses);
  orch_buf_free(&modes);
  return rc;
}
