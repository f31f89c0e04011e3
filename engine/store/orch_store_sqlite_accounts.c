/* orch_store_sqlite_accounts: target accounts in SQLite, keyed and listed by account id. Uses
 * orch_store_sqlite_int, orch_store_valid. */
#include <stdio.h>
#include <string.h>

#include "store/orch_store_sqlite_int.h"
#include "store/orch_store_valid.h"

#define ACCOUNT_COLS "account_id, name, role_arn, external_id, caller_arn, validated_ms, created_ms, updated_ms"

static const char SQL_INSERT[] =
  "INSERT INTO target_accounts (" ACCOUNT_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)";
static const char SQL_GET[] = "SELECT " ACCOUNT_COLS " FROM target_accounts WHERE account_id = ?1";
static const char SQL_LIST[] =
  "SELECT " ACCOUNT_COLS " FROM target_accounts WHERE (?1 IS NULL OR account_id > ?1) ORDER BY account_id LIMIT ?2";
static const char SQL_DELETE[] = "DELETE FROM target_accounts WHERE account_id = ?1";

static int account_row(sqlite3_stmt *st, void *item, struct orch_error *err) {
  struct orch_store_account *a = item;
  int rc;
  if ((rc = orch_store_sq_col_str(st, 0, a->account_id, sizeof a->account_id, "account_id", err)) ||
      (rc = orch_store_sq_col_str(st, 1, a->name, sizeof a->name, "name", err)) ||
      (rc = orch_store_sq_col_str(st, 2, a->role_arn, sizeof a->role_arn, "role_arn", err)) ||
      (rc = orch_store_sq_col_str(st, 3, a->external_id, sizeof a->external_id, "external_id", err)) ||
      (rc = orch_store_sq_col_str(st, 4, a->caller_arn, sizeof a->caller_arn, "caller_arn", err)))
    return rc;
  a->validated_ms = orch_store_sq_col_int(st, 5);
  a->created_ms = orch_store_sq_col_int(st, 6);
  a->updated_ms = orch_store_sq_col_int(st, 7);
  return 0;
}

static int insert_tx(struct orch_store_sq_conn *c, void *arg, struct orch_error *err) {
  const struct orch_store_account *a = arg;
  struct orch_store_sq_bind b;
  (void)orch_store_sq_prepare(c, SQL_INSERT, &b, err);
  orch_store_sq_bind_text(&b, 1, a->account_id);
  orch_store_sq_bind_opt_text(&b, 2, a->name);
  orch_store_sq_bind_text(&b, 3, a->role_arn);
  orch_store_sq_bind_opt_text(&b, 4, a->external_id);
  orch_store_sq_bind_opt_text(&b, 5, a->caller_arn);
  orch_store_sq_bind_opt_int(&b, 6, a->validated_ms);
  orch_store_sq_bind_int(&b, 7, a->created_ms);
  int rc = orch_store_sq_run(&b, "adding a target account");
  if (b.src == SQLITE_CONSTRAINT_PRIMARYKEY)
    return orch_error_setc(err, ORCH_EEXIST, "account_id", "account %s is already a target account", a->account_id);
  return rc;
}

int orch_store_sq_account_create(void *ctx, const struct orch_store_account *a, struct orch_error *err) {
  struct orch_store_account copy = *a;
  return orch_store_sq_write(ctx, insert_tx, &copy, err);
}

int orch_store_sq_account_get(void *ctx, const char *account_id, struct orch_store_account *out,
                              struct orch_error *err) {
  struct orch_store_sq_conn *c = orch_store_sq_reader(ctx);
  struct orch_store_sq_bind b;
  (void)orch_store_sq_prepare(c, SQL_GET, &b, err);
  orch_store_sq_bind_text(&b, 1, account_id);
  int rc = orch_store_sq_fetch(&b, account_row, out, "reading a target account");
  orch_store_sq_unlock(c);
  if (rc == 0) rc = orch_error_setc(err, ORCH_ENOTFOUND, "account_id", "account %s is not a target account", account_id);
  if (rc < 0) memset(out, 0, sizeof *out);
  return rc < 0 ? rc : 0;
}

int orch_store_sq_account_list(void *ctx, const struct orch_store_page *page, struct orch_store_account_list *out,
                               struct orch_error *err) {
  if (page->cursor && orch_store_valid_account(page->cursor, "cursor", NULL))
    return orch_error_setc(err, ORCH_EINVAL, "cursor", "malformed cursor");
  struct orch_store_sq_conn *c = orch_store_sq_reader(ctx);
  struct orch_store_sq_bind b;
  bool more;
  (void)orch_store_sq_prepare(c, SQL_LIST, &b, err);
  orch_store_sq_bind_text(&b, 1, page->cursor);
  orch_store_sq_bind_int(&b, 2, (int64_t)page->limit + 1);
  int rc = orch_store_sq_collect(&b, page->limit, account_row, (void **)&out->items, sizeof *out->items, &out->count,
                                 &more, "listing target accounts");
  orch_store_sq_unlock(c);
  if (rc) orch_store_account_list_release(out);
  else if (more) snprintf(out->next_cursor, sizeof out->next_cursor, "%s", out->items[out->count - 1].account_id);
  return rc;
}

static int delete_tx(struct orch_store_sq_conn *c, void *arg, struct orch_error *err) {
  const char *account_id = arg;
  struct orch_store_sq_bind b;
  (void)orch_store_sq_prepare(c, SQL_DELETE, &b, err);
  orch_store_sq_bind_text(&b, 1, account_id);
  int rc = orch_store_sq_run(&b, "removing a target account");
  if (!rc && sqlite3_changes(c->db) == 0)
    rc = orch_error_setc(err, ORCH_ENOTFOUND, "account_id", "account %s is not a target account", account_id);
  return rc;
}

int orch_store_sq_account_delete(void *ctx, const char *account_id, struct orch_error *err) {
  char copy[ORCH_STORE_ACCOUNT_MAX + 1];
  snprintf(copy, sizeof copy, "%s", account_id);
  return orch_store_sq_write(ctx, delete_tx, copy, err);
}
