/* orch_store_sqlite_groups: protection groups in SQLite: the group row plus one group_servers row per
 * explicit server id, whose primary key keeps a server in at most one group per account and region.
 * Uses orch_store_sqlite_int. */
#include <stdio.h>
#include <string.h>

#include "store/orch_store_sqlite_int.h"

#define GROUP_COLS "id, name, account, region, selector, launch_overrides, created_ms, updated_ms"

static const char SQL_INSERT[] =
  "INSERT INTO protection_groups (" GROUP_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
static const char SQL_UPDATE[] =
  "UPDATE protection_groups SET name = ?2, account = ?3, region = ?4, selector = ?5, launch_overrides = ?6,"
  " updated_ms = ?7 WHERE id = ?1 RETURNING created_ms";
static const char SQL_DELETE[] = "DELETE FROM protection_groups WHERE id = ?1";
static const char SQL_BY_ID[] = "SELECT " GROUP_COLS " FROM protection_groups WHERE id = ?1";
static const char SQL_BY_NAME[] = "SELECT " GROUP_COLS " FROM protection_groups WHERE name = ?1";
static const char SQL_LIST[] =
  "SELECT " GROUP_COLS " FROM protection_groups WHERE (?1 IS NULL OR name > ?1) ORDER BY name LIMIT ?2";
static const char SQL_MEMBER_ADD[] =
  "INSERT INTO group_servers (account, region, server_id, group_id) VALUES (?1, ?2, ?3, ?4)";
static const char SQL_MEMBERS_CLEAR[] = "DELETE FROM group_servers WHERE group_id = ?1";
static const char SQL_MEMBER_OWNER[] =
  "SELECT g.name FROM group_servers s JOIN protection_groups g ON g.id = s.group_id"
  " WHERE s.account = ?1 AND s.region = ?2 AND s.server_id = ?3";

/* Fill `g` from a row of GROUP_COLS. On failure g holds whatever was read; the caller releases it. */
static int group_from_row(sqlite3_stmt *st, struct orch_store_group *g, struct orch_error *err) {
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
  return 0;
}

/* The name of the group holding a server, for the conflict message. */
static void member_owner(struct orch_store_sq_conn *c, const struct orch_store_group *g, const char *server,
                         char *owner, size_t size) {
  sqlite3_stmt *st = NULL;
  struct orch_store_sq_bind b;
  snprintf(owner, size, "%s", "?");
  if (orch_store_sq_stmt(c, SQL_MEMBER_OWNER, &st, NULL)) return;
  orch_store_sq_bind_init(&b, c, st, NULL);
  orch_store_sq_bind_text(&b, 1, g->account);
  orch_store_sq_bind_text(&b, 2, g->region);
  orch_store_sq_bind_text(&b, 3, server);
  if (!b.rc && sqlite3_step(st) == SQLITE_ROW) {
    const char *name = (const char *)sqlite3_column_text(st, 0);
    if (name) snprintf(owner, size, "%s", name);
  }
  orch_store_sq_done(st);
}

/* Insert g's explicit server ids (none for a tag selector). */
static int members_add(struct orch_store_sq_conn *c, const struct orch_store_group *g, struct orch_error *err) {
  const json_t *ids = json_object_get(g->selector, "server_ids");
  sqlite3_stmt *st;
  int rc = 0;
  for (size_t i = 0; i < json_array_size(ids); i++) {
    const char *server = json_string_value(json_array_get(ids, i));
    struct orch_store_sq_bind b;
    if ((rc = orch_store_sq_stmt(c, SQL_MEMBER_ADD, &st, err))) return rc;
    orch_store_sq_bind_init(&b, c, st, err);
    orch_store_sq_bind_text(&b, 1, g->account);
    orch_store_sq_bind_text(&b, 2, g->region);
    orch_store_sq_bind_text(&b, 3, server);
    orch_store_sq_bind_text(&b, 4, g->id);
    if (b.rc) return b.rc;
    int src = sqlite3_step(st);
    if (src != SQLITE_DONE && src != SQLITE_CONSTRAINT_PRIMARYKEY)
      rc = orch_store_sq_err(c, src, "adding a group member", err);
    orch_store_sq_done(st);
    if (rc) return rc;
    if (src == SQLITE_CONSTRAINT_PRIMARYKEY) {
      char owner[ORCH_STORE_NAME_MAX + 1], path[64];
      member_owner(c, g, server, owner, sizeof owner);
      snprintf(path, sizeof path, "selector.server_ids[%zu]", i);
      return orch_error_setc(err, ORCH_ECONFLICT, path, "server %s (%s, %s) is already in protection group '%s'",
                             server, g->account, g->region, owner);
    }
  }
  return 0;
}

/* Bind GROUP_COLS ?2..?7 (name .. updated_ms) in the order SQL_INSERT and SQL_UPDATE share. */
static void bind_fields(struct orch_store_sq_bind *b, const struct orch_store_group *g) {
  orch_store_sq_bind_text(b, 2, g->name);
  orch_store_sq_bind_text(b, 3, g->account);
  orch_store_sq_bind_text(b, 4, g->region);
  orch_store_sq_bind_json(b, 5, g->selector, "selector");
  orch_store_sq_bind_json(b, 6, g->launch_overrides, "launch_overrides");
}

static int name_taken(const struct orch_store_group *g, struct orch_error *err) {
  return orch_error_setc(err, ORCH_EEXIST, "name", "a protection group named '%s' already exists", g->name);
}

int orch_store_sq_group_create(void *ctx, const struct orch_store_group *g, struct orch_error *err) {
  struct orch_store_sq_conn *c = orch_store_sq_writer(ctx);
  struct orch_store_sq_bind b = {0};
  sqlite3_stmt *st = NULL;
  int rc = orch_store_sq_begin(c, err);
  if (rc || (rc = orch_store_sq_stmt(c, SQL_INSERT, &st, err))) goto out;
  orch_store_sq_bind_init(&b, c, st, err);
  orch_store_sq_bind_text(&b, 1, g->id);
  bind_fields(&b, g);
  orch_store_sq_bind_int(&b, 7, g->created_ms);
  orch_store_sq_bind_int(&b, 8, g->updated_ms);
  if ((rc = b.rc)) goto out;
  int src = sqlite3_step(st);
  if (src == SQLITE_CONSTRAINT_UNIQUE) rc = name_taken(g, err);
  else if (src != SQLITE_DONE) rc = orch_store_sq_err(c, src, "creating a protection group", err);
  orch_store_sq_done(st);
  if (!rc && !(rc = members_add(c, g, err))) rc = orch_store_sq_commit(c, err);
out:
  orch_store_sq_bind_free(&b);
  if (rc) orch_store_sq_rollback(c);
  orch_store_sq_unlock(c);
  return rc;
}

int orch_store_sq_group_update(void *ctx, struct orch_store_group *g, struct orch_error *err) {
  struct orch_store_sq_conn *c = orch_store_sq_writer(ctx);
  struct orch_store_sq_bind b = {0};
  sqlite3_stmt *st = NULL;
  int rc = orch_store_sq_begin(c, err);
  if (rc || (rc = orch_store_sq_stmt(c, SQL_UPDATE, &st, err))) goto out;
  orch_store_sq_bind_init(&b, c, st, err);
  orch_store_sq_bind_text(&b, 1, g->id);
  bind_fields(&b, g);
  orch_store_sq_bind_int(&b, 7, g->updated_ms);
  if ((rc = b.rc)) goto out;
  int src = sqlite3_step(st);
  if (src == SQLITE_ROW) g->created_ms = sqlite3_column_int64(st, 0);
  else if (src == SQLITE_DONE) rc = orch_error_setc(err, ORCH_ENOTFOUND, "id", "protection group %s not found", g->id);
  else if (src == SQLITE_CONSTRAINT_UNIQUE) rc = name_taken(g, err);
  else rc = orch_store_sq_err(c, src, "updating a protection group", err);
  orch_store_sq_done(st);
  if (rc || (rc = orch_store_sq_stmt(c, SQL_MEMBERS_CLEAR, &st, err))) goto out;
  src = sqlite3_bind_text(st, 1, g->id, -1, SQLITE_STATIC);
  if (src == SQLITE_OK) src = sqlite3_step(st);
  if (src != SQLITE_DONE) rc = orch_store_sq_err(c, src, "updating group members", err);
  orch_store_sq_done(st);
  if (!rc && !(rc = members_add(c, g, err))) rc = orch_store_sq_commit(c, err);
out:
  orch_store_sq_bind_free(&b);
  if (rc) orch_store_sq_rollback(c);
  orch_store_sq_unlock(c);
  return rc;
}

int orch_store_sq_group_delete(void *ctx, const char *id, struct orch_error *err) {
  struct orch_store_sq_conn *c = orch_store_sq_writer(ctx);
  sqlite3_stmt *st = NULL;
  int rc = orch_store_sq_stmt(c, SQL_DELETE, &st, err);
  if (!rc) {
    int src = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (src == SQLITE_OK) src = sqlite3_step(st);
    if (src != SQLITE_DONE) rc = orch_store_sq_err(c, src, "deleting a protection group", err);
    else if (sqlite3_changes(c->db) == 0) rc = orch_error_setc(err, ORCH_ENOTFOUND, "id", "protection group %s not found", id);
  }
  orch_store_sq_done(st);
  orch_store_sq_unlock(c);
  return rc;
}

int orch_store_sq_group_get(void *ctx, const char *id, const char *name, struct orch_store_group *out,
                            struct orch_error *err) {
  struct orch_store_sq_conn *c = orch_store_sq_reader(ctx);
  sqlite3_stmt *st = NULL;
  int rc = orch_store_sq_stmt(c, id ? SQL_BY_ID : SQL_BY_NAME, &st, err);
  if (rc) goto out;
  int src = sqlite3_bind_text(st, 1, id ? id : name, -1, SQLITE_STATIC);
  if (src != SQLITE_OK) {
    rc = orch_store_sq_err(c, src, "reading a protection group", err);
    goto out;
  }
  if ((rc = orch_store_sq_step_row(c, st, "reading a protection group", err)) < 0) goto out;
  if (rc == 0) {
    rc = id ? orch_error_setc(err, ORCH_ENOTFOUND, "id", "protection group %s not found", id)
            : orch_error_setc(err, ORCH_ENOTFOUND, "name", "no protection group named '%s'", name);
    goto out;
  }
  rc = group_from_row(st, out, err);
out:
  if (rc) orch_store_group_release(out);
  orch_store_sq_done(st);
  orch_store_sq_unlock(c);
  return rc;
}

int orch_store_sq_group_list(void *ctx, const struct orch_store_page *page, struct orch_store_group_list *out,
                             struct orch_error *err) {
  struct orch_store_sq_conn *c = orch_store_sq_reader(ctx);
  struct orch_store_sq_bind b;
  sqlite3_stmt *st = NULL;
  size_t cap = 0;
  int rc = orch_store_sq_stmt(c, SQL_LIST, &st, err);
  if (rc) goto out;
  orch_store_sq_bind_init(&b, c, st, err);
  orch_store_sq_bind_text(&b, 1, page->cursor);
  orch_store_sq_bind_int(&b, 2, (int64_t)page->limit + 1);
  if ((rc = b.rc)) goto out;
  while ((rc = orch_store_sq_step_row(c, st, "listing protection groups", err)) == 1) {
    if (out->count == page->limit) {
      snprintf(out->next_cursor, sizeof out->next_cursor, "%s", out->items[out->count - 1].name);
      rc = 0;
      break;
    }
    if ((rc = orch_store_items_reserve((void **)&out->items, &cap, out->count + 1, sizeof *out->items))) {
      rc = orch_error_set(err, rc, "out of memory listing protection groups");
      break;
    }
    if ((rc = group_from_row(st, &out->items[out->count++], err))) break;
  }
out:
  if (rc) orch_store_group_list_release(out);
  orch_store_sq_done(st);
  orch_store_sq_unlock(c);
  return rc;
}
