/* orch_store_sqlite_plans: recovery plans and their versions in SQLite. A plan row carries the name
 * and latest version number; every version (Lua source, compiled JSON, author) is its own row and is
 * never changed. Uses orch_store_sqlite_int, orch_alloc. */
#include <stdio.h>
#include <string.h>

#include "core/orch_alloc.h"
#include "store/orch_store_sqlite_int.h"

#define PLAN_COLS "id, name, latest_version, created_ms, updated_ms"
/* a plan's description is its latest version's */
#define PLAN_SELECT                                                                                      \
  "SELECT " PLAN_COLS ", (SELECT description FROM plan_versions v WHERE v.plan_id = plans.id AND"        \
  " v.version = plans.latest_version) FROM plans"
#define VERSION_COLS "plan_id, version, author, created_ms, description"

static const char SQL_PLAN_INSERT[] = "INSERT INTO plans (" PLAN_COLS ") VALUES (?1, ?2, ?3, ?4, ?5)";
static const char SQL_VERSION_INSERT[] =
  "INSERT INTO plan_versions (" VERSION_COLS ", source, compiled) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
static const char SQL_LATEST[] = "SELECT latest_version FROM plans WHERE id = ?1";
static const char SQL_BUMP[] = "UPDATE plans SET latest_version = ?2, updated_ms = ?3 WHERE id = ?1";
static const char SQL_EXEC_COUNT[] = "SELECT count(*) FROM executions WHERE plan_id = ?1 AND ended_ms IS NULL";
static const char SQL_PLAN_DELETE[] = "DELETE FROM plans WHERE id = ?1";
static const char SQL_PLAN_BY_ID[] = PLAN_SELECT " WHERE id = ?1";
static const char SQL_PLAN_BY_NAME[] = PLAN_SELECT " WHERE name = ?1";
static const char SQL_PLAN_LIST[] = PLAN_SELECT " WHERE (?1 IS NULL OR name > ?1) ORDER BY name LIMIT ?2";
static const char SQL_VERSION_GET[] =
  "SELECT " VERSION_COLS ", source, compiled FROM plan_versions WHERE plan_id = ?1 AND version ="
  " (CASE WHEN ?2 > 0 THEN ?2 ELSE (SELECT latest_version FROM plans WHERE id = ?1) END)";
static const char SQL_VERSION_LIST[] =
  "SELECT " VERSION_COLS " FROM plan_versions WHERE plan_id = ?1 AND (?2 IS NULL OR version < ?2)"
  " ORDER BY version DESC LIMIT ?3";

static int plan_row(sqlite3_stmt *st, void *item, struct orch_error *err) {
  struct orch_store_plan *p = item;
  int rc;
  if ((rc = orch_store_sq_col_str(st, 0, p->id, sizeof p->id, "id", err)) ||
      (rc = orch_store_sq_col_str(st, 1, p->name, sizeof p->name, "name", err)))
    return rc;
  p->latest_version = orch_store_sq_col_int(st, 2);
  p->created_ms = orch_store_sq_col_int(st, 3);
  p->updated_ms = orch_store_sq_col_int(st, 4);
  return orch_store_sq_col_str(st, 5, p->description, sizeof p->description, "description", err);
}

/* VERSION_COLS only: what a version listing shows. */
static int version_brief_row(sqlite3_stmt *st, void *item, struct orch_error *err) {
  struct orch_store_plan_version *v = item;
  int rc;
  if ((rc = orch_store_sq_col_str(st, 0, v->plan_id, sizeof v->plan_id, "plan_id", err)) ||
      (rc = orch_store_sq_col_str(st, 2, v->author, sizeof v->author, "author", err)) ||
      (rc = orch_store_sq_col_str(st, 4, v->description, sizeof v->description, "description", err)))
    return rc;
  v->version = orch_store_sq_col_int(st, 1);
  v->created_ms = orch_store_sq_col_int(st, 3);
  return 0;
}

/* VERSION_COLS, source, compiled. */
static int version_full_row(sqlite3_stmt *st, void *item, struct orch_error *err) {
  struct orch_store_plan_version *v = item;
  int rc = version_brief_row(st, item, err);
  if (rc) return rc;
  const char *src = (const char *)sqlite3_column_text(st, 5);
  if (!src || !(v->source = orch_strndup(src, (size_t)sqlite3_column_bytes(st, 5))))
    return orch_error_set(err, ORCH_ENOMEM, "out of memory reading a plan version");
  return orch_store_sq_col_json(st, 6, &v->compiled, "compiled", err);
}

static int plan_missing(const char *id, struct orch_error *err) {
  return orch_error_setc(err, ORCH_ENOTFOUND, "plan id", "recovery plan %s not found", id);
}

/* One integer from a query whose only parameter is a plan id: 1 with a row, 0 without, or an error. */
static int plan_int(struct orch_store_sq_conn *c, const char *sql, const char *plan_id, int64_t *out,
                    struct orch_error *err) {
  struct orch_store_sq_bind b;
  (void)orch_store_sq_prepare(c, sql, &b, err);
  orch_store_sq_bind_text(&b, 1, plan_id);
  return orch_store_sq_fetch(&b, orch_store_sq_int_row, out, "reading a recovery plan");
}

static int version_insert(struct orch_store_sq_conn *c, const struct orch_store_plan_version *v,
                          struct orch_error *err) {
  struct orch_store_sq_bind b;
  (void)orch_store_sq_prepare(c, SQL_VERSION_INSERT, &b, err);
  orch_store_sq_bind_text(&b, 1, v->plan_id);
  orch_store_sq_bind_int(&b, 2, v->version);
  orch_store_sq_bind_text(&b, 3, v->author);
  orch_store_sq_bind_int(&b, 4, v->created_ms);
  orch_store_sq_bind_opt_text(&b, 5, v->description);
  orch_store_sq_bind_text(&b, 6, v->source);
  orch_store_sq_bind_json(&b, 7, v->compiled, "compiled");
  return orch_store_sq_run(&b, "saving a plan version");
}

struct create_args {
  const struct orch_store_plan *p;
  const struct orch_store_plan_version *v;
};

static int create_tx(struct orch_store_sq_conn *c, void *arg, struct orch_error *err) {
  const struct create_args *a = arg;
  struct orch_store_sq_bind b;
  (void)orch_store_sq_prepare(c, SQL_PLAN_INSERT, &b, err);
  orch_store_sq_bind_text(&b, 1, a->p->id);
  orch_store_sq_bind_text(&b, 2, a->p->name);
  orch_store_sq_bind_int(&b, 3, a->p->latest_version);
  orch_store_sq_bind_int(&b, 4, a->p->created_ms);
  orch_store_sq_bind_int(&b, 5, a->p->updated_ms);
  int rc = orch_store_sq_run(&b, "creating a recovery plan");
  if (b.src == SQLITE_CONSTRAINT_UNIQUE)
    return orch_error_setc(err, ORCH_EEXIST, "name", "a recovery plan named '%s' already exists", a->p->name);
  return rc ? rc : version_insert(c, a->v, err);
}

int orch_store_sq_plan_create(void *ctx, const struct orch_store_plan *p, const struct orch_store_plan_version *v,
                              struct orch_error *err) {
  struct create_args a = {p, v};
  return orch_store_sq_write(ctx, create_tx, &a, err);
}

struct add_args {
  int64_t expected_latest;
  struct orch_store_plan_version *v;
};

static int add_version_tx(struct orch_store_sq_conn *c, void *arg, struct orch_error *err) {
  struct add_args *a = arg;
  struct orch_store_plan_version *v = a->v;
  int64_t latest = 0;
  int rc = plan_int(c, SQL_LATEST, v->plan_id, &latest, err);
  if (rc <= 0) return rc ? rc : plan_missing(v->plan_id, err);
  if (a->expected_latest && a->expected_latest != latest)
    return orch_error_setc(err, ORCH_ECONFLICT, "expected_latest",
                           "recovery plan %s is at version %lld, not %lld: someone saved a newer version; reload it",
                           v->plan_id, (long long)latest, (long long)a->expected_latest);
  v->version = latest + 1;
  if ((rc = version_insert(c, v, err))) return rc;
  struct orch_store_sq_bind b;
  (void)orch_store_sq_prepare(c, SQL_BUMP, &b, err);
  orch_store_sq_bind_text(&b, 1, v->plan_id);
  orch_store_sq_bind_int(&b, 2, v->version);
  orch_store_sq_bind_int(&b, 3, v->created_ms);
  return orch_store_sq_run(&b, "updating a recovery plan");
}

int orch_store_sq_plan_add_version(void *ctx, int64_t expected_latest, struct orch_store_plan_version *v,
                                   struct orch_error *err) {
  struct add_args a = {expected_latest, v};
  return orch_store_sq_write(ctx, add_version_tx, &a, err);
}

static int delete_tx(struct orch_store_sq_conn *c, void *arg, struct orch_error *err) {
  const char *id = arg;
  int64_t runs = 0;
  int rc = plan_int(c, SQL_EXEC_COUNT, id, &runs, err);
  if (rc < 0) return rc;
  if (runs > 0)
    return orch_error_setc(err, ORCH_ECONFLICT, "plan id",
                           "recovery plan %s has %lld unfinished execution%s; it cannot be deleted until %s",
                           id, (long long)runs, runs == 1 ? "" : "s", runs == 1 ? "it ends" : "they end");
  struct orch_store_sq_bind b;
  (void)orch_store_sq_prepare(c, SQL_PLAN_DELETE, &b, err);
  orch_store_sq_bind_text(&b, 1, id);
  if ((rc = orch_store_sq_run(&b, "deleting a recovery plan"))) return rc;
  return sqlite3_changes(c->db) ? 0 : plan_missing(id, err);
}

int orch_store_sq_plan_delete(void *ctx, const char *id, struct orch_error *err) {
  char copy[ORCH_STORE_ID_MAX + 1];
  snprintf(copy, sizeof copy, "%s", id);
  return orch_store_sq_write(ctx, delete_tx, copy, err);
}

int orch_store_sq_plan_get(void *ctx, const char *id, const char *name, struct orch_store_plan *out,
                           struct orch_error *err) {
  struct orch_store_sq_conn *c = orch_store_sq_reader(ctx);
  struct orch_store_sq_bind b;
  (void)orch_store_sq_prepare(c, id ? SQL_PLAN_BY_ID : SQL_PLAN_BY_NAME, &b, err);
  orch_store_sq_bind_text(&b, 1, id ? id : name);
  int rc = orch_store_sq_fetch(&b, plan_row, out, "reading a recovery plan");
  orch_store_sq_unlock(c);
  if (rc == 0)
    rc = id ? plan_missing(id, err) : orch_error_setc(err, ORCH_ENOTFOUND, "name", "no recovery plan named '%s'", name);
  if (rc < 0) memset(out, 0, sizeof *out);
  return rc < 0 ? rc : 0;
}

int orch_store_sq_plan_list(void *ctx, const struct orch_store_page *page, struct orch_store_plan_list *out,
                            struct orch_error *err) {
  struct orch_store_sq_conn *c = orch_store_sq_reader(ctx);
  struct orch_store_sq_bind b;
  bool more;
  (void)orch_store_sq_prepare(c, SQL_PLAN_LIST, &b, err);
  orch_store_sq_bind_text(&b, 1, page->cursor);
  orch_store_sq_bind_int(&b, 2, (int64_t)page->limit + 1);
  int rc = orch_store_sq_collect(&b, page->limit, plan_row, (void **)&out->items, sizeof *out->items, &out->count,
                                 &more, "listing recovery plans");
  orch_store_sq_unlock(c);
  if (rc) orch_store_plan_list_release(out);
  else if (more) snprintf(out->next_cursor, sizeof out->next_cursor, "%s", out->items[out->count - 1].name);
  return rc;
}

/* After a version query found nothing: say whether the plan or only the version is missing. */
static int version_missing(struct orch_store_sq_conn *c, const char *plan_id, int64_t version, struct orch_error *err) {
  int64_t latest;
  int rc = plan_int(c, SQL_LATEST, plan_id, &latest, err);
  if (rc < 0) return rc;
  if (rc == 0) return plan_missing(plan_id, err);
  return orch_error_setc(err, ORCH_ENOTFOUND, "version", "recovery plan %s has no version %lld", plan_id,
                         (long long)version);
}

int orch_store_sq_version_get(void *ctx, const char *plan_id, int64_t version, struct orch_store_plan_version *out,
                              struct orch_error *err) {
  struct orch_store_sq_conn *c = orch_store_sq_reader(ctx);
  struct orch_store_sq_bind b;
  (void)orch_store_sq_prepare(c, SQL_VERSION_GET, &b, err);
  orch_store_sq_bind_text(&b, 1, plan_id);
  orch_store_sq_bind_int(&b, 2, version);
  int rc = orch_store_sq_fetch(&b, version_full_row, out, "reading a plan version");
  if (rc == 0) rc = version_missing(c, plan_id, version, err);
  orch_store_sq_unlock(c);
  if (rc < 0) orch_store_plan_version_release(out);
  return rc < 0 ? rc : 0;
}

int orch_store_sq_version_list(void *ctx, const char *plan_id, const struct orch_store_page *page,
                               struct orch_store_version_list *out, struct orch_error *err) {
  int64_t before = 0, latest;
  bool more;
  int rc = page->cursor ? orch_store_sq_cursor_int(page->cursor, &before, err) : 0;
  if (rc) return rc;
  struct orch_store_sq_conn *c = orch_store_sq_reader(ctx);
  struct orch_store_sq_bind b;
  (void)orch_store_sq_prepare(c, SQL_VERSION_LIST, &b, err);
  orch_store_sq_bind_text(&b, 1, plan_id);
  orch_store_sq_bind_opt_int(&b, 2, before);
  orch_store_sq_bind_int(&b, 3, (int64_t)page->limit + 1);
  rc = orch_store_sq_collect(&b, page->limit, version_brief_row, (void **)&out->items, sizeof *out->items,
                             &out->count, &more, "listing plan versions");
  if (!rc && out->count == 0 && (rc = plan_int(c, SQL_LATEST, plan_id, &latest, err)) >= 0)
    rc = rc ? 0 : plan_missing(plan_id, err);
  orch_store_sq_unlock(c);
  if (rc) orch_store_version_list_release(out);
  else if (more) orch_store_sq_cursor_set_int(out->next_cursor, out->items[out->count - 1].version);
  return rc;
}
