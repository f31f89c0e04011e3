/* orch_store_dynamodb_accounts: target accounts in DynamoDB: one record "a#<account id>" each in the
 * "accounts" partition, so the account id makes it unique and the partition lists them in order; every
 * write is one conditional write of that record (a refused create that finds its own record, its answer
 * lost, succeeded). Uses orch_store_dynamodb_item, orch_store_valid. */
#include <stdio.h>
#include <string.h>

#include "store/orch_store_dynamodb_int.h"
#include "store/orch_store_valid.h"

#define PK ORCH_STORE_DY_PK_ACCOUNTS

static int account_fill(const json_t *it, void *record, struct orch_error *err) {
  struct orch_store_account *a = record;
  int rc;
  if ((rc = orch_store_dy_copy(it, "account_id", a->account_id, sizeof a->account_id, err)) ||
      (rc = orch_store_dy_copy(it, "name", a->name, sizeof a->name, err)) ||
      (rc = orch_store_dy_copy(it, "role_arn", a->role_arn, sizeof a->role_arn, err)) ||
      (rc = orch_store_dy_copy(it, "xid", a->external_id, sizeof a->external_id, err)) ||
      (rc = orch_store_dy_copy(it, "caller", a->caller_arn, sizeof a->caller_arn, err)) ||
      (rc = orch_store_dy_num(it, "validated_ms", 0, &a->validated_ms, err)) ||
      (rc = orch_store_dy_num(it, "created_ms", 0, &a->created_ms, err)) ||
      (rc = orch_store_dy_num(it, "updated_ms", 0, &a->updated_ms, err)))
    return rc;
  return 0;
}

static int account_missing(const char *account_id, struct orch_error *err) {
  return orch_error_setc(err, ORCH_ENOTFOUND, "account_id", "account %s is not a target account", account_id);
}

int orch_store_dy_account_create(void *ctx, const struct orch_store_account *a, struct orch_error *err) {
  char sk[ORCH_STORE_DY_KEY_MAX + 1], tok[ORCH_STORE_DY_TOKEN_LEN + 1];
  int rc = orch_store_dy_token(tok, err); /* tells this write from an identical one of another request */
  if (rc) return rc;
  orch_store_dy_key_str(sk, "a#", a->account_id);
  json_t *rec = json_pack("{s{ss}s{ss}s{ss}s{ss}}", "pk", "S", PK, "sk", "S", sk, "account_id", "S", a->account_id,
                          "role_arn", "S", a->role_arn);
  if (!rec || orch_store_dy_set_s(rec, "name", a->name) || orch_store_dy_set_s(rec, "xid", a->external_id) ||
      orch_store_dy_set_s(rec, "caller", a->caller_arn) ||
      (a->validated_ms && orch_store_dy_set_n(rec, "validated_ms", a->validated_ms)) ||
      orch_store_dy_set_n(rec, "created_ms", a->created_ms) || orch_store_dy_set_n(rec, "updated_ms", a->updated_ms) ||
      orch_store_dy_set_s(rec, "tok", tok)) {
    json_decref(rec);
    rec = NULL;
  }
  rc = orch_store_dy_put(ctx, rec, "attribute_not_exists(pk)", NULL, NULL, err);
  /* refused: another record, or this very one (its first try landed, the answer lost: its token is there) */
  if (orch_store_dy_condition_failed(rc, err) && (rc = orch_store_dy_landed(ctx, PK, sk, "tok", tok, err)) == 0)
    rc = orch_error_setc(err, ORCH_EEXIST, "account_id", "account %s is already a target account", a->account_id);
  return rc == 1 ? 0 : rc;
}

int orch_store_dy_account_get(void *ctx, const char *account_id, struct orch_store_account *out,
                              struct orch_error *err) {
  char sk[ORCH_STORE_DY_KEY_MAX + 1];
  json_t *rec = NULL;
  orch_store_dy_key_str(sk, "a#", account_id);
  int rc = orch_store_dy_get(ctx, PK, sk, NULL, &rec, err);
  rc = rc == 1 ? account_fill(rec, out, err) : rc == 0 ? account_missing(account_id, err) : rc;
  json_decref(rec);
  if (rc) memset(out, 0, sizeof *out);
  return rc;
}

int orch_store_dy_account_list(void *ctx, const struct orch_store_page *page, struct orch_store_account_list *out,
                               struct orch_error *err) {
  char after[ORCH_STORE_DY_KEY_MAX + 1];
  bool more;
  if (page->cursor && orch_store_valid_account(page->cursor, "cursor", NULL))
    return orch_error_setc(err, ORCH_EINVAL, "cursor", "malformed cursor");
  if (page->cursor) orch_store_dy_key_str(after, "a#", page->cursor);
  struct orch_store_dy_query q = {.pk = PK, .prefix = "a#", .start_after = page->cursor ? after : NULL};
  int rc = orch_store_dy_page(ctx, &q, page->limit, account_fill, (void **)&out->items, sizeof *out->items,
                              &out->count, &more, err);
  if (rc) orch_store_account_list_release(out);
  else if (more) snprintf(out->next_cursor, sizeof out->next_cursor, "%s", out->items[out->count - 1].account_id);
  return rc;
}

int orch_store_dy_account_delete(void *ctx, const char *account_id, struct orch_error *err) {
  char sk[ORCH_STORE_DY_KEY_MAX + 1];
  orch_store_dy_key_str(sk, "a#", account_id);
  int rc = orch_store_dy_delete(ctx, PK, sk, "attribute_exists(pk)", NULL, NULL, err);
  return orch_store_dy_condition_failed(rc, err) ? account_missing(account_id, err) : rc;
}
