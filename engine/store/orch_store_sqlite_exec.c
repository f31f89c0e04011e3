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
  " ended_ms = coalesce(?4, ended_ms), summary = coalesce(?5, summary) WHERE id = ?1";
static const char SQL_GET[] = "SELECT " EXEC_COLS " FROM executions WHERE id = ?1";
/* status and mode filters are ",A,B," lists, so one cached statement serves every combination */
static const char SQL_LIST[] =
  "SELECT " EXEC_COLS " FROM executions WHERE (?1 IS NULL OR id < ?1) AND (?2 IS NULL OR plan_id = ?2)"
  " AND (?3 IS NULL OR instr(?3, ',' || status || ',') > 0) AND (?4 IS NULL OR instr(?4, ',' || mode || ',') > 0)"
  " AND (?5 = 0 OR ended_ms IS NULL) AND (?6 IS NULL OR created_ms >= ?6) AND (?7 IS NULL OR created_ms < ?7)"
  " ORDER BY id DESC LIMIT ?8";

static int exec_from_row(sqlite3_stmt *st, struct orch_store_exec *x, struct orch_error *err) {
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
  sqlite3_stmt *st;
  int rc = orch_store_sq_stmt(c, SQL_GET, &st, err);
  if (rc) return rc;
  int src = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  if (src != SQLITE_OK) rc = orch_store_sq_err(c, src, "reading an execution", err);
  else if ((rc = orch_store_sq_step_row(c, st, "reading an execution", err)) == 0) rc = exec_missing(id, err);
  else if (rc == 1) rc = exec_from_row(st, out, err);
  orch_store_sq_done(st);
  if (rc) orch_store_exec_release(out);
  return rc;
}

/* The version an execution of (plan, version) runs: version itself if it exists, the latest for 0. */
static int resolve_version(struct orch_store_sq_conn *c, struct orch_store_exec *x, struct orch_error *err) {
  sqlite3_stmt *st;
  struct orch_store_sq_bind b;
  int rc = orch_store_sq_stmt(c, SQL_RESOLVE, &st, err);
  if (rc) return rc;
  orch_store_sq_bind_init(&b, c, st, err);
  orch_store_sq_bind_text(&b, 1, x->plan_id);
  orch_store_sq_bind_int(&b, 2, x->plan_version);
  if (!(rc = b.rc) && (rc = orch_store_sq_step_row(c, st, "resolving the plan version", err)) >= 0) {
    if (rc == 0)
      rc = orch_error_setc(err, ORCH_ENOTFOUND, "plan_id", "recovery plan %s not found", x->plan_id);
    else if (sqlite3_column_type(st, 0) == SQLITE_NULL)
      rc = orch_error_setc(err, ORCH_ENOTFOUND, "plan_version", "recovery plan %s has no version %lld", x->plan_id,
                           (long long)x->plan_version);
    else
      x->plan_version = sqlite3_column_int64(st, 0), rc = 0;
  }
  orch_store_sq_done(st);
  return rc;
}

int orch_store_sq_exec_create(void *ctx, struct orch_store_exec *x, struct orch_error *err) {
  struct orch_store_sq_conn *c = orch_store_sq_writer(ctx);
  struct orch_store_sq_bind b = {0};
  sqlite3_stmt *st = NULL;
  int rc = orch_store_sq_begin(c, err);
  if (rc || (rc = resolve_version(c, x, err)) || (rc = orch_store_sq_stmt(c, SQL_INSERT, &st, err))) goto out;
  orch_store_sq_bind_init(&b, c, st, err);
  orch_store_sq_bind_text(&b, 1, x->id);
  orch_store_sq_bind_text(&b, 2, x->plan_id);
  orch_store_sq_bind_int(&b, 3, x->plan_version);
  orch_store_sq_bind_text(&b, 4, orch_store_mode_name(x->mode));
  orch_store_sq_bind_text(&b, 5, orch_store_status_name(x->status));
  orch_store_sq_bind_opt_text(&b, 6, x->started_by);
  orch_store_sq_bind_int(&b, 7, x->created_ms);
  orch_store_sq_bind_json(&b, 8, x->summary, "summary");
  if ((rc = b.rc)) goto out;
  int src = sqlite3_step(st);
  if (src != SQLITE_DONE) rc = orch_store_sq_err(c, src, "creating an execution", err);
  orch_store_sq_done(st);
  if (!rc) rc = orch_store_sq_commit(c, err);
out:
  orch_store_sq_bind_free(&b);
  if (rc) orch_store_sq_rollback(c);
  orch_store_sq_unlock(c);
  return rc;
}

int orch_store_sq_exec_update(void *ctx, const char *id, const struct orch_store_exec_update *u,
                              struct orch_store_exec *out, struct orch_error *err) {
  struct orch_store_sq_conn *c = orch_store_sq_writer(ctx);
  struct orch_store_sq_bind b = {0};
  sqlite3_stmt *st = NULL;
  int rc = orch_store_sq_begin(c, err);
  if (rc || (rc = orch_store_sq_stmt(c, SQL_UPDATE, &st, err))) goto out;
  orch_store_sq_bind_init(&b, c, st, err);
  orch_store_sq_bind_text(&b, 1, id);
  orch_store_sq_bind_text(&b, 2, u->set_status ? orch_store_status_name(u->status) : NULL);
  orch_store_sq_bind_opt_int(&b, 3, u->started_ms);
  orch_store_sq_bind_opt_int(&b, 4, u->ended_ms);
  orch_store_sq_bind_json(&b, 5, u->summary, "summary");
  if ((rc = b.rc)) goto out;
  int src = sqlite3_step(st);
  if (src != SQLITE_DONE) rc = orch_store_sq_err(c, src, "updating an execution", err);
  else if (sqlite3_changes(c->db) == 0) rc = exec_missing(id, err);
  orch_store_sq_done(st);
  /* read back inside the transaction: if that fails the update is rolled back too */
  if (!rc && out) rc = exec_read(c, id, out, err);
  if (!rc) rc = orch_store_sq_commit(c, err);
  if (rc && out) orch_store_exec_release(out);
out:
  orch_store_sq_bind_free(&b);
  if (rc) orch_store_sq_rollback(c);
  orch_store_sq_unlock(c);
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
  struct orch_store_sq_conn *c = NULL;
  struct orch_store_sq_bind b = {0};
  struct orch_buf statuses = ORCH_BUF_INIT(512), modes = ORCH_BUF_INIT(64);
  sqlite3_stmt *st = NULL;
  size_t cap = 0;
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
  c = orch_store_sq_reader(ctx);
  if ((rc = orch_store_sq_stmt(c, SQL_LIST, &st, err))) goto out;
  orch_store_sq_bind_init(&b, c, st, err);
  orch_store_sq_bind_text(&b, 1, page->cursor);
  orch_store_sq_bind_text(&b, 2, f->plan_id);
  orch_store_sq_bind_text(&b, 3, f->status_mask ? orch_buf_cstr(&statuses) : NULL);
  orch_store_sq_bind_text(&b, 4, f->mode_mask ? orch_buf_cstr(&modes) : NULL);
  orch_store_sq_bind_int(&b, 5, f->unfinished_only);
  orch_store_sq_bind_opt_int(&b, 6, f->created_from_ms);
  orch_store_sq_bind_opt_int(&b, 7, f->created_to_ms);
  orch_store_sq_bind_int(&b, 8, (int64_t)page->limit + 1);
  if ((rc = b.rc)) goto out;
  while ((rc = orch_store_sq_step_row(c, st, "listing executions", err)) == 1) {
    if (out->count == page->limit) {
      snprintf(out->next_cursor, sizeof out->next_cursor, "%s", out->items[out->count - 1].id);
      rc = 0;
      break;
    }
    if ((rc = orch_store_items_reserve((void **)&out->items, &cap, out->count + 1, sizeof *out->items))) {
      rc = orch_error_set(err, rc, "out of memory listing executions");
      break;
    }
    if ((rc = exec_from_row(st, &out->items[out->count++], err))) break;
  }
out:
  if (rc) orch_store_exec_list_release(out);
  orch_store_sq_done(st);
  if (c) orch_store_sq_unlock(c);
  orch_store_sq_bind_free(&b);
  orch_buf_free(&statuses);
  orch_buf_free(&modes);
  return rc;
}
