/* orch_store_sqlite_plans: recovery plans and their versions in SQLite. A plan row carries the name
 * and latest version number; every version (Lua source, compiled JSON, author) is its own row and is
 * never changed. Uses orch_store_sqlite_int, orch_alloc. */
#include <stdio.h>
#include <string.h>

#include "core/orch_alloc.h"
#include "store/orch_store_sqlite_int.h"

#define PLAN_COLS "id, name, latest_version, created_ms, updated_ms"

static const char SQL_PLAN_INSERT[] = "INSERT INTO plans (" PLAN_COLS ") VALUES (?1, ?2, ?3, ?4, ?5)";
static const char SQL_VERSION_INSERT[] =
  "INSERT INTO plan_versions (plan_id, version, source, compiled, author, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char SQL_LATEST[] = "SELECT latest_version FROM plans WHERE id = ?1";
static const char SQL_BUMP[] = "UPDATE plans SET latest_version = ?2, updated_ms = ?3 WHERE id = ?1";
static const char SQL_EXEC_COUNT[] = "SELECT count(*) FROM executions WHERE plan_id = ?1";
static const char SQL_PLAN_DELETE[] = "DELETE FROM plans WHERE id = ?1";
static const char SQL_PLAN_BY_ID[] = "SELECT " PLAN_COLS " FROM plans WHERE id = ?1";
static const char SQL_PLAN_BY_NAME[] = "SELECT " PLAN_COLS " FROM plans WHERE name = ?1";
static const char SQL_PLAN_LIST[] =
  "SELECT " PLAN_COLS " FROM plans WHERE (?1 IS NULL OR name > ?1) ORDER BY name LIMIT ?2";
static const char SQL_VERSION_GET[] =
  "SELECT plan_id, version, author, created_ms, source, compiled FROM plan_versions"
  " WHERE plan_id = ?1 AND version = (CASE WHEN ?2 > 0 THEN ?2"
  " ELSE (SELECT latest_version FROM plans WHERE id = ?1) END)";
static const char SQL_VERSION_LIST[] =
  "SELECT plan_id, version, author, created_ms FROM plan_versions"
  " WHERE plan_id = ?1 AND (?2 IS NULL OR version < ?2) ORDER BY version DESC LIMIT ?3";

static int plan_from_row(sqlite3_stmt *st, struct orch_store_plan *p, struct orch_error *err) {
  int rc;
  if ((rc = orch_store_sq_col_str(st, 0, p->id, sizeof p->id, "id", err)) ||
      (rc = orch_store_sq_col_str(st, 1, p->name, sizeof p->name, "name", err)))
    return rc;
  p->latest_version = orch_store_sq_col_int(st, 2);
  p->created_ms = orch_store_sq_col_int(st, 3);
  p->updated_ms = orch_store_sq_col_int(st, 4);
  return 0;
}

/* Columns plan_id, version, author, created_ms and, when `full`, source and compiled. */
static int version_from_row(sqlite3_stmt *st, bool full, struct orch_store_plan_version *v, struct orch_error *err) {
  int rc;
  if ((rc = orch_store_sq_col_str(st, 0, v->plan_id, sizeof v->plan_id, "plan_id", err)) ||
      (rc = orch_store_sq_col_str(st, 2, v->author, sizeof v->author, "author", err)))
    return rc;
  v->version = orch_store_sq_col_int(st, 1);
  v->created_ms = orch_store_sq_col_int(st, 3);
  if (!full) return 0;
  const char *src = (const char *)sqlite3_column_text(st, 4);
  if (!src || !(v->source = orch_strndup(src, (size_t)sqlite3_column_bytes(st, 4))))
    return orch_error_set(err, ORCH_ENOMEM, "out of memory reading a plan version");
  return orch_store_sq_col_json(st, 5, &v->compiled, "compiled", err);
}

static int plan_missing(const char *id, struct orch_error *err) {
  return orch_error_setc(err, ORCH_ENOTFOUND, "plan id", "recovery plan %s not found", id);
}

/* Run a statement with one text parameter that yields one integer row (0 when no row); *found says
 * whether a row came back. */
static int query_int1(struct orch_store_sq_conn *c, const char *sql, const char *arg, int64_t *out, bool *found,
                      const char *what, struct orch_error *err) {
  sqlite3_stmt *st;
  int rc = orch_store_sq_stmt(c, sql, &st, err);
  if (rc) return rc;
  *out = 0;
  int src = sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
  if (src != SQLITE_OK) rc = orch_store_sq_err(c, src, what, err);
  else if ((rc = orch_store_sq_step_row(c, st, what, err)) >= 0) {
    *found = rc == 1;
    if (rc == 1) *out = sqlite3_column_int64(st, 0);
    rc = 0;
  }
  orch_store_sq_done(st);
  return rc;
}

static int version_insert(struct orch_store_sq_conn *c, const struct orch_store_plan_version *v, struct orch_error *err) {
  sqlite3_stmt *st;
  struct orch_store_sq_bind b;
  int rc = orch_store_sq_stmt(c, SQL_VERSION_INSERT, &st, err);
  if (rc) return rc;
  orch_store_sq_bind_init(&b, c, st, err);
  orch_store_sq_bind_text(&b, 1, v->plan_id);
  orch_store_sq_bind_int(&b, 2, v->version);
  orch_store_sq_bind_text(&b, 3, v->source);
  orch_store_sq_bind_json(&b, 4, v->compiled, "compiled");
  orch_store_sq_bind_text(&b, 5, v->author);
  orch_store_sq_bind_int(&b, 6, v->created_ms);
  if (!(rc = b.rc)) {
    int src = sqlite3_step(st);
    if (src != SQLITE_DONE) rc = orch_store_sq_err(c, src, "saving a plan version", err);
  }
  orch_store_sq_done(st);
  orch_store_sq_bind_free(&b);
  return rc;
}

int orch_store_sq_plan_create(void *ctx, const struct orch_store_plan *p, const struct orch_store_plan_version *v,
                              struct orch_error *err) {
  struct orch_store_sq_conn *c = orch_store_sq_writer(ctx);
  struct orch_store_sq_bind b;
  sqlite3_stmt *st = NULL;
  int rc = orch_store_sq_begin(c, err);
  if (rc || (rc = orch_store_sq_stmt(c, SQL_PLAN_INSERT, &st, err))) goto out;
  orch_store_sq_bind_init(&b, c, st, err);
  orch_store_sq_bind_text(&b, 1, p->id);
  orch_store_sq_bind_text(&b, 2, p->name);
  orch_store_sq_bind_int(&b, 3, p->latest_version);
  orch_store_sq_bind_int(&b, 4, p->created_ms);
  orch_store_sq_bind_int(&b, 5, p->updated_ms);
  if ((rc = b.rc)) goto out;
  int src = sqlite3_step(st);
  if (src == SQLITE_CONSTRAINT_UNIQUE)
    rc = orch_error_setc(err, ORCH_EEXIST, "name", "a recovery plan named '%s' already exists", p->name);
  else if (src != SQLITE_DONE)
    rc = orch_store_sq_err(c, src, "creating a recovery plan", err);
  orch_store_sq_done(st);
  if (!rc && !(rc = version_insert(c, v, err))) rc = orch_store_sq_commit(c, err);
out:
  if (rc) orch_store_sq_rollback(c);
  orch_store_sq_unlock(c);
  return rc;
}

int orch_store_sq_plan_add_version(void *ctx, int64_t expected_latest, struct orch_store_plan_version *v,
                                   struct orch_error *err) {
  struct orch_store_sq_conn *c = orch_store_sq_writer(ctx);
  struct orch_store_sq_bind b;
  sqlite3_stmt *st = NULL;
  int64_t latest;
  bool found = false;
  int rc = orch_store_sq_begin(c, err);
  if (rc || (rc = query_int1(c, SQL_LATEST, v->plan_id, &latest, &found, "reading a plan", err))) goto out;
  if (!found) {
    rc = plan_missing(v->plan_id, err);
    goto out;
  }
  if (expected_latest && expected_latest != latest) {
    rc = orch_error_setc(err, ORCH_ECONFLICT, "expected_latest",
                         "recovery plan %s is at version %lld, not %lld: someone saved a newer version; reload it",
                         v->plan_id, (long long)latest, (long long)expected_latest);
    goto out;
  }
  v->version = latest + 1;
  if ((rc = version_insert(c, v, err)) || (rc = orch_store_sq_stmt(c, SQL_BUMP, &st, err))) goto out;
  orch_store_sq_bind_init(&b, c, st, err);
  orch_store_sq_bind_text(&b, 1, v->plan_id);
  orch_store_sq_bind_int(&b, 2, v->version);
  orch_store_sq_bind_int(&b, 3, v->created_ms);
  if (!(rc = b.rc)) {
    int src = sqlite3_step(st);
    if (src != SQLITE_DONE) rc = orch_store_sq_err(c, src, "updating a recovery plan", err);
  }
  orch_store_sq_done(st);
  if (!rc) rc = orch_store_sq_commit(c, err);
out:
  if (rc) orch_store_sq_rollback(c);
  orch_store_sq_unlock(c);
  return rc;
}

int orch_store_sq_plan_delete(void *ctx, const char *id, struct orch_error *err) {
  struct orch_store_sq_conn *c = orch_store_sq_writer(ctx);
  sqlite3_stmt *st = NULL;
  int64_t runs;
  bool found;
  int rc = orch_store_sq_begin(c, err);
  if (rc || (rc = query_int1(c, SQL_EXEC_COUNT, id, &runs, &found, "counting executions", err))) goto out;
  if (runs > 0) {
    rc = orch_error_setc(err, ORCH_ECONFLICT, "plan id", "recovery plan %s has %lld executions; it cannot be deleted",
                         id, (long long)runs);
    goto out;
  }
  if ((rc = orch_store_sq_stmt(c, SQL_PLAN_DELETE, &st, err))) goto out;
  int src = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  if (src == SQLITE_OK) src = sqlite3_step(st);
  if (src != SQLITE_DONE) rc = orch_store_sq_err(c, src, "deleting a recovery plan", err);
  else if (sqlite3_changes(c->db) == 0) rc = plan_missing(id, err);
  orch_store_sq_done(st);
  if (!rc) rc = orch_store_sq_commit(c, err);
out:
  if (rc) orch_store_sq_rollback(c);
  orch_store_sq_unlock(c);
  return rc;
}

int orch_store_sq_plan_get(void *ctx, const char *id, const char *name, struct orch_store_plan *out,
                           struct orch_error *err) {
  struct orch_store_sq_conn *c = orch_store_sq_reader(ctx);
  sqlite3_stmt *st = NULL;
  int rc = orch_store_sq_stmt(c, id ? SQL_PLAN_BY_ID : SQL_PLAN_BY_NAME, &st, err);
  if (rc) goto out;
  int src = sqlite3_bind_text(st, 1, id ? id : name, -1, SQLITE_STATIC);
  if (src != SQLITE_OK) {
    rc = orch_store_sq_err(c, src, "reading a recovery plan", err);
    goto out;
  }
  if ((rc = orch_store_sq_step_row(c, st, "reading a recovery plan", err)) < 0) goto out;
  if (rc == 0)
    rc = id ? plan_missing(id, err) : orch_error_setc(err, ORCH_ENOTFOUND, "name", "no recovery plan named '%s'", name);
  else
    rc = plan_from_row(st, out, err);
out:
  if (rc) memset(out, 0, sizeof *out);
  orch_store_sq_done(st);
  orch_store_sq_unlock(c);
  return rc;
}

int orch_store_sq_plan_list(void *ctx, const struct orch_store_page *page, struct orch_store_plan_list *out,
                            struct orch_error *err) {
  struct orch_store_sq_conn *c = orch_store_sq_reader(ctx);
  struct orch_store_sq_bind b;
  sqlite3_stmt *st = NULL;
  size_t cap = 0;
  int rc = orch_store_sq_stmt(c, SQL_PLAN_LIST, &st, err);
  if (rc) goto out;
  orch_store_sq_bind_init(&b, c, st, err);
  orch_store_sq_bind_text(&b, 1, page->cursor);
  orch_store_sq_bind_int(&b, 2, (int64_t)page->limit + 1);
  if ((rc = b.rc)) goto out;
  while ((rc = orch_store_sq_step_row(c, st, "listing recovery plans", err)) == 1) {
    if (out->count == page->limit) {
      snprintf(out->next_cursor, sizeof out->next_cursor, "%s", out->items[out->count - 1].name);
      rc = 0;
      break;
    }
    if ((rc = orch_store_items_reserve((void **)&out->items, &cap, out->count + 1, sizeof *out->items))) {
      rc = orch_error_set(err, rc, "out of memory listing recovery plans");
      break;
    }
    if ((rc = plan_from_row(st, &out->items[out->count++], err))) break;
  }
out:
  if (rc) orch_store_plan_list_release(out);
  orch_store_sq_done(st);
  orch_store_sq_unlock(c);
  return rc;
}

/* Whether plan `id` exists (for telling "no such plan" from "no such version"). */
static int plan_exists(struct orch_store_sq_conn *c, const char *id, bool *found, struct orch_error *err) {
  int64_t latest;
  *found = false;
  return query_int1(c, SQL_LATEST, id, &latest, found, "reading a plan", err);
}

int orch_store_sq_version_get(void *ctx, const char *plan_id, int64_t version, struct orch_store_plan_version *out,
                              struct orch_error *err) {
  struct orch_store_sq_conn *c = orch_store_sq_reader(ctx);
  struct orch_store_sq_bind b;
  sqlite3_stmt *st = NULL;
  bool found;
  int rc = orch_store_sq_stmt(c, SQL_VERSION_GET, &st, err);
  if (rc) goto out;
  orch_store_sq_bind_init(&b, c, st, err);
  orch_store_sq_bind_text(&b, 1, plan_id);
  orch_store_sq_bind_int(&b, 2, version);
  if ((rc = b.rc) || (rc = orch_store_sq_step_row(c, st, "reading a plan version", err)) < 0) goto out;
  if (rc == 1) {
    rc = version_from_row(st, true, out, err);
    goto out;
  }
  orch_store_sq_done(st);
  if ((rc = plan_exists(c, plan_id, &found, err))) goto out;
  rc = found ? orch_error_setc(err, ORCH_ENOTFOUND, "version", "recovery plan %s has no version %lld", plan_id,
                               (long long)version)
             : plan_missing(plan_id, err);
out:
  if (rc) orch_store_plan_version_release(out);
  orch_store_sq_done(st);
  orch_store_sq_unlock(c);
  return rc;
}

int orch_store_sq_version_list(void *ctx, const char *plan_id, const struct orch_store_page *page,
                               struct orch_store_version_list *out, struct orch_error *err) {
  struct orch_store_sq_conn *c = orch_store_sq_reader(ctx);
  struct orch_store_sq_bind b;
  sqlite3_stmt *st = NULL;
  int64_t before = 0;
  size_t cap = 0;
  bool found;
  int rc = page->cursor ? orch_store_sq_cursor_int(page->cursor, &before, err) : 0;
  if (rc || (rc = orch_store_sq_stmt(c, SQL_VERSION_LIST, &st, err))) goto out;
  orch_store_sq_bind_init(&b, c, st, err);
  orch_store_sq_bind_text(&b, 1, plan_id);
  orch_store_sq_bind_opt_int(&b, 2, before);
  orch_store_sq_bind_int(&b, 3, (int64_t)page->limit + 1);
  if ((rc = b.rc)) goto out;
  while ((rc = orch_store_sq_step_row(c, st, "listing plan versions", err)) == 1) {
    if (out->count == page->limit) {
      orch_store_sq_cursor_set_int(out->next_cursor, out->items[out->count - 1].version);
      rc = 0;
      break;
    }
    if ((rc = orch_store_items_reserve((void **)&out->items, &cap, out->count + 1, sizeof *out->items))) {
      rc = orch_error_set(err, rc, "out of memory listing plan versions");
      break;
    }
    if ((rc = version_from_row(st, false, &out->items[out->count++], err))) break;
  }
  orch_store_sq_done(st);
  if (!rc && out->count == 0 && !(rc = plan_exists(c, plan_id, &found, err)) && !found) rc = plan_missing(plan_id, err);
out:
  if (rc) orch_store_version_list_release(out);
  orch_store_sq_done(st);
  orch_store_sq_unlock(c);
  return rc;
}
