/* orch_store_sqlite_groups: protection groups in SQLite: the group row plus one group_servers row per
 * explicit server id, whose primary key keeps a server in at most one group per account and region.
 * Uses orch_store_sqlite_int. */
#include <stdio.h>
#include <string.h>

#include "store/orch_store_sqlite_int.h"

#define GROUP_COLS "id, name, account, region, selector, launch_overrides, created_ms, updated_ms, version"

static const char SQL_INSERT[] =
  "INSERT INTO protection_groups (" GROUP_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, 1)";
static const char SQL_UPDATE[] =
  "UPDATE protection_groups SET name = ?2, account = ?3, region = ?4, selector = ?5, launch_overrides = ?6,"
  " updated_ms = ?7, version = version + 1 WHERE id = ?1 RETURNING created_ms, version";
static const char SQL_VERSION[] = "SELECT version FROM protection_groups WHERE id = ?1";
static const char SQL_DELETE[] = "DELETE FROM protection_groups WHERE id = ?1";
static const char SQL_BY_ID[] = "SELECT " GROUP_COLS " FROM protection_groups WHERE id = ?1";
static const char SQL_BY_NAME[] = "SELECT " GROUP_COLS " FROM protection_groups WHERE name = ?1";
static const char SQL_LIST[] =
  "SELECT " GROUP_COLS " FROM protection_groups WHERE (?1 IS NULL OR name > ?1)"
  " AND (?3 IS NULL OR instr(lower(name), lower(?3)) > 0) AND (?4 IS NULL OR account = ?4)"
  " AND (?5 IS NULL OR region = ?5) ORDER BY name LIMIT ?2";
static const char SQL_MEMBER_ADD[] =
  "INSERT INTO group_servers (account, region, server_id, group_id) VALUES (?1, ?2, ?3, ?4)";
static const char SQL_MEMBERS_CLEAR[] = "DELETE FROM group_servers WHERE group_id = ?1";
static const char SQL_MEMBER_OWNER[] =
  "SELECT g.name FROM group_servers s JOIN protection_groups g ON g.id = s.group_id"
  " WHERE s.account = ?1 AND s.region = ?2 AND s.server_id = ?3";

/* Fill a struct orch_store_group from a row of GROUP_COLS. */
static int group_row(sqlite3_stmt *st, void *item, struct orch_error *err) {
  struct orch_store_group *g = item;
  int rc;
  if ((rc = orch_store_sq_col_str(st, 0, g->id, sizeof g->id, "id", err)) ||
      (rc = orch_store_sq_col_str(st, 1, g->name, sizeof g->name, "name", err)) ||
      (rc = orch_store_sq_col_str(st, 2, g->account, sizeof g->account, "account", err)) ||
      (rc = orch_store_sq_col_str(st, 3, g->region, sizeof g->region, "region", err)) ||
      (rc = orch_store_sq_col_json(st, 4, &g->selector, "selector", err)) ||
      (rc = orch_store_sq_col_json(st, 5, &g->launch_overrides, "launch_overrides", err)))
    return rc;
  g->created_ms = orch_store_sq_col_int(st, 6);
  g->updated_ms = orch_store_sq_col_int(st, 7);
  g->version = orch_store_sq_col_int(st, 8);
  return 0;
}

/* RETURNING created_ms, version of an update. */
static int updated_row(sqlite3_stmt *st, void *item, struct orch_error *err) {
  (void)err;
  struct orch_store_group *g = item;
  g->created_ms = orch_store_sq_col_int(st, 0);
  g->version = orch_store_sq_col_int(st, 1);
  return 0;
}

static int name_row(sqlite3_stmt *st, void *item, struct orch_error *err) {
  return orch_store_sq_col_str(st, 0, item, ORCH_STORE_NAME_MAX + 1, "name", err);
}

/* A server of `g` is taken: name the group holding it. */
static int member_conflict(struct orch_store_sq_conn *c, const struct orch_store_group *g, const char *server,
                           size_t index, struct orch_error *err) {
  char owner[ORCH_STORE_NAME_MAX + 1] = "?", path[64];
  struct orch_store_sq_bind b;
  (void)orch_store_sq_prepare(c, SQL_MEMBER_OWNER, &b, NULL);
  orch_store_sq_bind_text(&b, 1, g->account);
  orch_store_sq_bind_text(&b, 2, g->region);
  orch_store_sq_bind_text(&b, 3, server);
  (void)orch_store_sq_fetch(&b, name_row, owner, "finding the group holding a server"); /* best effort */
  snprintf(path, sizeof path, "selector.server_ids[%zu]", index);
  return orch_error_setc(err, ORCH_ECONFLICT, path, "server %s (%s, %s) is already in protection group '%s'", server,
                         g->account, g->region, owner);
}

/* Insert g's explicit server ids (none for a tag selector). */
static int members_add(struct orch_store_sq_conn *c, const struct orch_store_group *g, struct orch_error *err) {
  const json_t *ids = json_object_get(g->selector, "server_ids");
  for (size_t i = 0; i < json_array_size(ids); i++) {
    const char *server = json_string_value(json_array_get(ids, i));
    struct orch_store_sq_bind b;
    (void)orch_store_sq_prepare(c, SQL_MEMBER_ADD, &b, err);
    orch_store_sq_bind_text(&b, 1, g->account);
    orch_store_sq_bind_text(&b, 2, g->region);
    orch_store_sq_bind_text(&b, 3, server);
    orch_store_sq_bind_text(&b, 4, g->id);
    int rc = orch_store_sq_run(&b, "adding a group member");
    if (b.src == SQLITE_CONSTRAINT_PRIMARYKEY) return member_conflict(c, g, server, i, err);
    if (rc) return rc;
  }
  return 0;
}

/* Run SQL_INSERT or SQL_UPDATE, whose ?1..?7 are id, name, account, region, selector, overrides, time. */
static int group_write(struct orch_store_sq_conn *c, const char *sql, struct orch_store_group *g, bool update,
                       struct orch_error *err) {
  struct orch_store_sq_bind b;
  (void)orch_store_sq_prepare(c, sql, &b, err);
  orch_store_sq_bind_text(&b, 1, g->id);
  orch_store_sq_bind_text(&b, 2, g->name);
  orch_store_sq_bind_text(&b, 3, g->account);
  orch_store_sq_bind_text(&b, 4, g->region);
  orch_store_sq_bind_json(&b, 5, g->selector, "selector");
  orch_store_sq_bind_json(&b, 6, g->launch_overrides, "launch_overrides");
  orch_store_sq_bind_int(&b, 7, g->updated_ms);
  int rc = update ? orch_store_sq_fetch(&b, updated_row, g, "updating a protection group")
                  : orch_store_sq_run(&b, "creating a protection group");
  if (b.src == SQLITE_CONSTRAINT_UNIQUE)
    return orch_error_setc(err, ORCH_EEXIST, "name", "a protection group named '%s' already exists", g->name);
  if (update && rc == 0) return orch_error_setc(err, ORCH_ENOTFOUND, "id", "protection group %s not found", g->id);
  return rc < 0 ? rc : 0;
}

/* Run a statement whose one parameter is a group id; ORCH_ENOTFOUND when it changed no row. */
static int by_id_change(struct orch_store_sq_conn *c, const char *sql, const char *id, bool must_change,
                        struct orch_error *err) {
  struct orch_store_sq_bind b;
  (void)orch_store_sq_prepare(c, sql, &b, err);
  orch_store_sq_bind_text(&b, 1, id);
  int rc = orch_store_sq_run(&b, "changing a protection group");
  if (!rc && must_change && sqlite3_changes(c->db) == 0)
    rc = orch_error_setc(err, ORCH_ENOTFOUND, "id", "protection group %s not found", id);
  return rc;
}

static int create_tx(struct orch_store_sq_conn *c, void *arg, struct orch_error *err) {
  int rc = group_write(c, SQL_INSERT, arg, false, err);
  return rc ? rc : members_add(c, arg, err);
}

struct update_args {
  struct orch_store_group *g;
  int64_t expected_version;
};

static int update_tx(struct orch_store_sq_conn *c, void *arg, struct orch_error *err) {
  struct update_args *a = arg;
  struct orch_store_group *g = a->g;
  if (a->expected_version) {
    int64_t stored = 0;
    struct orch_store_sq_bind b;
    (void)orch_store_sq_prepare(c, SQL_VERSION, &b, err);
    orch_store_sq_bind_text(&b, 1, g->id);
    int rc = orch_store_sq_fetch(&b, orch_store_sq_int_row, &stored, "reading a protection group");
    if (rc < 0) return rc;
    if (rc == 0) return orch_error_setc(err, ORCH_ENOTFOUND, "id", "protection group %s not found", g->id);
    if (stored != a->expected_version)
      return orch_error_setc(err, ORCH_ECONFLICT, "expected_version",
                             "protection group %s is at version %lld, not %lld: someone changed it; reload it", g->id,
                             (long long)stored, (long long)a->expected_version);
  }
  int rc = group_write(c, SQL_UPDATE, g, true, err);
  if (!rc) rc = by_id_change(c, SQL_MEMBERS_CLEAR, g->id, false, err);
  return rc ? rc : members_add(c, g, err);
}

int orch_store_sq_group_create(void *ctx, const struct orch_store_group *g, struct orch_error *err) {
  struct orch_store_group copy = *g; /* shallow: the tx only reads it (and writes nothing back) */
  return orch_store_sq_write(ctx, create_tx, &copy, err);
}

int orch_store_sq_group_update(void *ctx, struct orch_store_group *g, int64_t expected_version,
                               struct orch_error *err) {
  struct update_args a = {g, expected_version};
  return orch_store_sq_write(ctx, update_tx, &a, err);
}

static int delete_tx(struct orch_store_sq_conn *c, void *arg, struct orch_error *err) {
  return by_id_change(c, SQL_DELETE, arg, true, err);
}

int orch_store_sq_group_delete(void *ctx, const char *id, struct orch_error *err) {
  char copy[ORCH_STORE_ID_MAX + 1];
  snprintf(copy, sizeof copy, "%s", id);
  return orch_store_sq_write(ctx, delete_tx, copy, err);
}

int orch_store_sq_group_get(void *ctx, const char *id, const char *name, struct orch_store_group *out,
                            struct orch_error *err) {
  struct orch_store_sq_conn *c = orch_store_sq_reader(ctx);
  struct orch_store_sq_bind b;
  (void)orch_store_sq_prepare(c, id ? SQL_BY_ID : SQL_BY_NAME, &b, err);
  orch_store_sq_bind_text(&b, 1, id ? id : name);
  int rc = orch_store_sq_fetch(&b, group_row, out, "reading a protection group");
  orch_store_sq_unlock(c);
  if (rc == 0)
    rc = id ? orch_error_setc(err, ORCH_ENOTFOUND, "id", "protection group %s not found", id)
            : orch_error_setc(err, ORCH_ENOTFOUND, "name", "no protection group named '%s'", name);
  if (rc < 0) orch_store_group_release(out);
  return rc < 0 ? rc : 0;
}

int orch_store_sq_group_list(void *ctx, const struct orch_store_group_filter *f, const struct orch_store_page *page,
                             struct orch_store_group_list *out, struct orch_error *err) {
  struct orch_store_sq_conn *c = orch_store_sq_reader(ctx);
  struct orch_store_sq_bind b;
  bool more;
  (void)orch_store_sq_prepare(c, SQL_LIST, &b, err);
  orch_store_sq_bind_text(&b, 1, page->cursor);
  orch_store_sq_bind_int(&b, 2, (int64_t)page->limit + 1);
  orch_store_sq_bind_opt_text(&b, 3, f->name_contains);
  orch_store_sq_bind_opt_text(&b, 4, f->account);
  orch_store_sq_bind_opt_text(&b, 5, f->region);
  int rc = orch_store_sq_collect(&b, page->limit, group_row, (void **)&out->items, sizeof *out->items, &out->count,
                                 &more, "listing protection groups");
  orch_store_sq_unlock(c);
  if (rc) orch_store_group_list_release(out);
  else if (more) snprintf(out->next_cursor, sizeof out->next_cursor, "%s", out->items[out->count - 1].name);
  return rc;
}
