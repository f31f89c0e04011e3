/* orch_store_dynamodb_audit: the audit log in DynamoDB: entries "a#<id>" in the "audit" partition, ids
 * from an atomic counter (an entry whose write fails leaves a gap in the ids, never a duplicate), listed
 * newest first with the filters as a FilterExpression and the id as cursor.
 * Uses orch_store_dynamodb_item, orch_store_dynamodb_blob, orch_buf, orch_str. */
#include <stdio.h>
#include <string.h>

#include "core/orch_buf.h"
#include "core/orch_str.h"
#include "store/orch_store_dynamodb_int.h"

#define PK ORCH_STORE_DY_PK_AUDIT

/* The next id from the counter item. */
static int next_id(struct orch_store_dy *d, int64_t *id, struct orch_error *err) {
  json_t *out = NULL;
  json_t *in = json_pack("{s{s{ss}s{ss}} s s s{ss} s{s{ss}} s s}", "Key", "pk", "S", PK, "sk", "S", "counter",
                         "UpdateExpression", "ADD #n :one", "ExpressionAttributeNames", "#n", "n",
                         "ExpressionAttributeValues", ":one", "N", "1", "ReturnValues", "UPDATED_NEW");
  int rc = orch_store_dy_call(d, "UpdateItem", in, &out, err);
  if (!rc) rc = orch_store_dy_num(json_object_get(out, "Attributes"), "n", 0, id, err);
  if (!rc && *id < 1) rc = orch_error_setc(err, ORCH_ESTORE, "audit", "the audit counter answered no number");
  json_decref(out);
  return rc;
}

int orch_store_dy_audit_append(void *ctx, const struct orch_store_audit *a, int64_t *id, struct orch_error *err) {
  struct orch_store_dy *d = ctx;
  char sk[ORCH_STORE_DY_KEY_MAX + 1];
  json_t *details = NULL;
  bool committed = false; /* maybe: a put whose outcome is unknown */
  int rc = orch_store_dy_json_put(d, PK, a->details, "details", &details, err);
  if (!rc) rc = next_id(d, id, err);
  if (rc) goto out;
  orch_store_dy_key_num(sk, "a#", *id);
  json_t *item = json_pack("{s{ss}s{ss}s{ss}s{ss}}", "pk", "S", PK, "sk", "S", sk, "actor", "S", a->actor, "action", "S",
                           a->action);
  if (!item || orch_store_dy_set_n(item, "id", *id) || orch_store_dy_set_n(item, "at_ms", a->at_ms) ||
      orch_store_dy_set_s(item, "target", a->target) || orch_store_dy_set_s(item, "role", a->role) ||
      orch_store_dy_set_s(item, "src", a->source) || orch_store_dy_set_s(item, "rid", a->request_id) ||
      orch_store_dy_set(item, "details", json_incref(details))) {
    json_decref(item);
    rc = orch_error_set(err, ORCH_ENOMEM, "out of memory writing an audit entry");
    goto out;
  }
  rc = orch_store_dy_put(d, json_incref(item), "attribute_not_exists(pk)", NULL, NULL, err);
  /* refused: the id is this write's alone (the counter), so the entry is there because this very write
   * landed, its answer lost; checked against the entry read back all the same */
  if (orch_store_dy_condition_failed(rc, err)) {
    if ((rc = orch_store_dy_stored_as(d, item, err)) == 0)
      rc = orch_error_setc(err, ORCH_ECONFLICT, "audit", "audit entry %lld exists already: the counter went back",
                           (long long)*id);
    else if (rc == 1) rc = 0;
    else committed = true;
  } else if (rc) {
    committed = true;
  }
  json_decref(item);
out:
  if (rc) {
    if (!committed) orch_store_dy_blob_drop(d, details); /* else it may have landed: its chunks stay */
    *id = 0;
  }
  json_decref(details);
  return rc;
}

struct lister {
  struct orch_store_dy *d;
  struct orch_store_audit_list *out;
  size_t cap, want;
};

static int audit_each(void *ctx, json_t *it, struct orch_error *err) {
  struct lister *l = ctx;
  if (orch_store_items_reserve((void **)&l->out->items, &l->cap, l->out->count + 1, sizeof *l->out->items))
    return orch_error_set(err, ORCH_ENOMEM, "out of memory listing the audit log");
  struct orch_store_audit *a = &l->out->items[l->out->count];
  int rc;
  if ((rc = orch_store_dy_num(it, "id", 0, &a->id, err)) || (rc = orch_store_dy_num(it, "at_ms", 0, &a->at_ms, err)) ||
      (rc = orch_store_dy_copy(it, "actor", a->actor, sizeof a->actor, err)) ||
      (rc = orch_store_dy_copy(it, "action", a->action, sizeof a->action, err)) ||
      (rc = orch_store_dy_copy(it, "target", a->target, sizeof a->target, err)) ||
      (rc = orch_store_dy_copy(it, "role", a->role, sizeof a->role, err)) ||
      (rc = orch_store_dy_copy(it, "src", a->source, sizeof a->source, err)) ||
      (rc = orch_store_dy_copy(it, "rid", a->request_id, sizeof a->request_id, err)) ||
      (rc = orch_store_dy_json_get(l->d, it, "details", "details", &a->details, err))) {
    orch_store_audit_release(a);
    return rc;
  }
  return ++l->out->count == l->want;
}

/* One exact-match or bound condition of the filter (value stolen). */
static int cond(struct orch_buf *expr, json_t *names, json_t *values, const char *text, const char *ph,
                const char *attr, const char *vph, json_t *value) {
  if (orch_buf_printf(expr, "%s%s", expr->len ? " AND " : "", text) || json_object_set_new(names, ph, json_string(attr))) {
    json_decref(value);
    return ORCH_ENOMEM;
  }
  return json_object_set_new(values, vph, value) ? ORCH_ENOMEM : 0;
}

int orch_store_dy_audit_list(void *ctx, const struct orch_store_audit_filter *f, const struct orch_store_page *page,
                             struct orch_store_audit_list *out, struct orch_error *err) {
  struct orch_store_dy *d = ctx;
  char after[ORCH_STORE_DY_KEY_MAX + 1];
  long long before = 0;
  struct orch_buf expr = ORCH_BUF_INIT(1024);
  json_t *names = json_object(), *values = json_object();
  struct lister l = {.d = d, .out = out, .want = page->limit + 1};
  int rc = 0;
  if (page->cursor && orch_str_to_ll(page->cursor, 1, INT64_MAX, &before)) {
    rc = orch_error_setc(err, ORCH_EINVAL, "cursor", "malformed cursor");
    goto out;
  }
  if (!names || !values || (f->actor && cond(&expr, names, values, "#actor = :actor", "#actor", "actor", ":actor",
                                             orch_store_dy_s(f->actor))) ||
      (f->action && cond(&expr, names, values, "#action = :action", "#action", "action", ":action",
                         orch_store_dy_s(f->action))) ||
      (f->target && cond(&expr, names, values, "#target = :target", "#target", "target", ":target",
                         orch_store_dy_s(f->target))) ||
      (f->from_ms && cond(&expr, names, values, "#at >= :from", "#at", "at_ms", ":from", orch_store_dy_n(f->from_ms))) ||
      (f->to_ms && cond(&expr, names, values, "#at < :to", "#at", "at_ms", ":to", orch_store_dy_n(f->to_ms)))) {
    rc = orch_error_set(err, ORCH_ENOMEM, "out of memory listing the audit log");
    goto out;
  }
  if (before) orch_store_dy_key_num(after, "a#", before);
  struct orch_store_dy_query q = {.pk = PK, .prefix = "a#", .start_after = before ? after : NULL, .descending = true,
                                  .filter = expr.len ? orch_buf_cstr(&expr) : NULL,
                                  .names = expr.len ? names : NULL, .values = expr.len ? values : NULL,
                                  .page = page->limit + 1};
  rc = orch_store_dy_query(d, &q, audit_each, &l, err);
  if (!rc && out->count == l.want) {
    out->count--;
    orch_store_audit_release(&out->items[out->count]);
    snprintf(out->next_cursor, sizeof out->next_cursor, "%lld", (long long)out->items[out->count - 1].id);
  }
  if (rc) orch_store_audit_list_release(out);
out:
  orch_buf_free(&expr);
  json_decref(names);
  json_decref(values);
  return rc;
}
