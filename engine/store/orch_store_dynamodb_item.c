/* orch_store_dynamodb_item: the DynamoDB backend's plumbing: sort keys, attribute values, one call on
 * the table with the error mapping, GetItem / PutItem / UpdateItem / DeleteItem, paged queries and the
 * two batch operations, and write tokens. Uses orch_aws_client, orch_id, jansson. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/orch_id.h"
#include "core/orch_str.h"
#include "store/orch_store_dynamodb_int.h"

#define BATCH_WRITE_MAX 25 /* requests in one BatchWriteItem */
#define BATCH_GET_MAX 100  /* keys in one BatchGetItem */
#define BATCH_ROUNDS 32    /* resends of what DynamoDB left unprocessed before giving up */

/* ---- Keys and attribute values --------------------------------------------------------------- */

void orch_store_dy_key_num(char out[ORCH_STORE_DY_KEY_MAX + 1], const char *prefix, int64_t n) {
  snprintf(out, ORCH_STORE_DY_KEY_MAX + 1, "%s%019" PRId64, prefix, n < 0 ? (int64_t)0 : n);
}

void orch_store_dy_key_str(char out[ORCH_STORE_DY_KEY_MAX + 1], const char *prefix, const char *s) {
  snprintf(out, ORCH_STORE_DY_KEY_MAX + 1, "%s%s", prefix, s);
}

json_t *orch_store_dy_s(const char *s) { return json_pack("{ss}", "S", s); }

json_t *orch_store_dy_n(int64_t v) {
  char num[24];
  snprintf(num, sizeof num, "%" PRId64, v);
  return json_pack("{ss}", "N", num);
}

json_t *orch_store_dy_key(const char *pk, const char *sk) {
  return json_pack("{s{ss}s{ss}}", "pk", "S", pk, "sk", "S", sk);
}

int orch_store_dy_set(json_t *item, const char *name, json_t *value) {
  if (!value) return 0;
  return json_object_set_new(item, name, value) ? ORCH_ENOMEM : 0;
}

int orch_store_dy_set_s(json_t *item, const char *name, const char *s) {
  if (!s || !*s) return 0;
  json_t *v = orch_store_dy_s(s);
  return v ? orch_store_dy_set(item, name, v) : ORCH_ENOMEM;
}

int orch_store_dy_set_n(json_t *item, const char *name, int64_t v) {
  json_t *n = orch_store_dy_n(v);
  return n ? orch_store_dy_set(item, name, n) : ORCH_ENOMEM;
}

const char *orch_store_dy_str(const json_t *item, const char *name) {
  return json_string_value(json_object_get(json_object_get(item, name), "S"));
}

int orch_store_dy_num(const json_t *item, const char *name, int64_t dflt, int64_t *out, struct orch_error *err) {
  const json_t *v = json_object_get(item, name);
  *out = dflt;
  if (!v) return 0;
  const char *s = json_string_value(json_object_get(v, "N"));
  long long n;
  if (!s || orch_str_to_ll(s, INT64_MIN, INT64_MAX, &n))
    return orch_error_setc(err, ORCH_ESTORE, name, "stored attribute is not an integer number");
  *out = n;
  return 0;
}

int orch_store_dy_copy(const json_t *item, const char *name, char *dst, size_t size, struct orch_error *err) {
  return orch_store_copy_str(dst, size, orch_store_dy_str(item, name), name, err);
}

/* ---- One call --------------------------------------------------------------------------------- */

static bool code_is(const struct orch_aws_error *a, const char *code) { return strcmp(a->code, code) == 0; }

/* A failed call in the store's terms; the message keeps the client's, which names the operation. */
static int map_error(struct orch_store_dy *d, const char *op, int rc, const struct orch_aws_error *a,
                     struct orch_error *err) {
  char msg[sizeof err->message];
  snprintf(msg, sizeof msg, "%s", err ? err->message : "");
  switch (rc) {
    case ORCH_ENOMEM:
      return orch_error_set(err, ORCH_ENOMEM, "out of memory calling DynamoDB %s", op);
    case ORCH_ECONN:
    case ORCH_ETIMEDOUT:
      return orch_error_setc(err, rc, "dynamodb", "table %s: %s", d->table, msg);
    case ORCH_ECREDS:
      return orch_error_setc(err, ORCH_EPERM, "dynamodb", "table %s: %s", d->table, msg);
    case ORCH_EAWS:
      break;
    default:
      return orch_error_setc(err, ORCH_ESTORE, "dynamodb", "table %s: %s", d->table, msg);
  }
  if (code_is(a, "ConditionalCheckFailedException"))
    return orch_error_setc(err, ORCH_ECONFLICT, "condition", "DynamoDB %s on %s: the condition did not hold", op,
                           d->table);
  if (code_is(a, "ResourceNotFoundException"))
    return orch_error_setc(err, ORCH_ESTORE, "dynamodb",
                           "DynamoDB table %s does not exist in %s (deploy cfn/database-stack.yaml, or open the store "
                           "with ?create=true against a local DynamoDB): %s",
                           d->table, d->region, a->message);
  if (code_is(a, "AccessDeniedException") || code_is(a, "UnrecognizedClientException") ||
      code_is(a, "MissingAuthenticationTokenException") || code_is(a, "InvalidSignatureException"))
    return orch_error_setc(err, ORCH_EPERM, "dynamodb", "table %s: %s", d->table, msg);
  if (a->throttling)
    return orch_error_setc(err, ORCH_ETIMEDOUT, "dynamodb", "table %s kept throttling: %s", d->table, msg);
  return orch_error_setc(err, ORCH_ESTORE, "dynamodb", "table %s: %s", d->table, msg);
}

/* One operation with `in` (stolen) as it is; see orch_store_dy_call. */
static int call(struct orch_store_dy *d, const char *op, json_t *in, json_t **out, struct orch_error *err) {
  struct orch_aws_error aerr;
  struct orch_error local = {0};
  if (!err) err = &local; /* map_error reads the client's message */
  if (!in) return orch_error_set(err, ORCH_ENOMEM, "out of memory building DynamoDB %s", op);
  int rc = out ? orch_aws_call(d->client, "dynamodb", op, in, out, &aerr, err)
               : orch_aws_call_ack(d->client, "dynamodb", op, in, &aerr, err);
  json_decref(in);
  return rc ? map_error(d, op, rc, &aerr, err) : 0;
}

int orch_store_dy_call(struct orch_store_dy *d, const char *op, json_t *in, json_t **out, struct orch_error *err) {
  if (in && json_object_set_new(in, "TableName", json_string(d->table))) {
    json_decref(in);
    in = NULL;
  }
  return call(d, op, in, out, err);
}

bool orch_store_dy_condition_failed(int rc, const struct orch_error *err) {
  (void)err;
  return rc == ORCH_ECONFLICT; /* map_error gives ECONFLICT to failed conditions only */
}

/* "a, b, c" as "#p0, #p1, #p2" in in's ProjectionExpression, the names added to in's
 * ExpressionAttributeNames (created when missing). */
static int add_projection(json_t *in, const char *proj) {
  if (!proj) return 0;
  json_t *names = json_object_get(in, "ExpressionAttributeNames");
  if (!names) {
    if (json_object_set_new(in, "ExpressionAttributeNames", json_object())) return ORCH_ENOMEM;
    names = json_object_get(in, "ExpressionAttributeNames");
    if (!names) return ORCH_ENOMEM;
  }
  struct orch_buf expr = ORCH_BUF_INIT(4096);
  char name[64], ph[16];
  int rc = 0;
  for (int i = 0; !rc && *proj; i++) {
    size_t n = strcspn(proj, ", ");
    snprintf(name, sizeof name, "%.*s", (int)n, proj);
    snprintf(ph, sizeof ph, "#p%d", i);
    if ((i && orch_buf_puts(&expr, ", ")) || orch_buf_puts(&expr, ph) || json_object_set_new(names, ph, json_string(name)))
      rc = ORCH_ENOMEM;
    proj += n;
    proj += strspn(proj, ", ");
  }
  if (!rc && json_object_set_new(in, "ProjectionExpression", json_string(orch_buf_cstr(&expr)))) rc = ORCH_ENOMEM;
  orch_buf_free(&expr);
  return rc;
}

int orch_store_dy_get(struct orch_store_dy *d, const char *pk, const char *sk, const char *proj, json_t **item,
                      struct orch_error *err) {
  json_t *out = NULL;
  *item = NULL;
  json_t *in = json_pack("{s o s b}", "Key", orch_store_dy_key(pk, sk), "ConsistentRead", 1);
  if (in && add_projection(in, proj)) {
    json_decref(in);
    in = NULL;
  }
  int rc = orch_store_dy_call(d, "GetItem", in, &out, err);
  if (rc) return rc;
  json_t *found = json_object_get(out, "Item");
  if (found) *item = json_incref(found);
  json_decref(out);
  return found ? 1 : 0;
}

int orch_store_dy_stored_as(struct orch_store_dy *d, const json_t *item, struct orch_error *err) {
  json_t *now = NULL;
  int rc = orch_store_dy_get(d, orch_store_dy_str(item, "pk"), orch_store_dy_str(item, "sk"), NULL, &now, err);
  if (rc == 1 && (rc = json_equal(now, item))) orch_error_clear(err);
  json_decref(now);
  return rc;
}

/* Whether `expr` (may be NULL) uses a placeholder starting with `c` ('#' names, ':' values). */
static bool uses(const char *expr, char c) { return expr && strchr(expr, c); }

/* Attach the optional expression parts of a write (names, values stolen); NULL when out of memory,
 * including when a placeholder's map is missing because building it failed. */
static json_t *with_expr(json_t *in, const char *update, const char *cond, json_t *names, json_t *values) {
  if (!in || ((uses(update, '#') || uses(cond, '#')) && !names) || ((uses(update, ':') || uses(cond, ':')) && !values))
    goto fail;
  if (cond && json_object_set_new(in, "ConditionExpression", json_string(cond))) goto fail;
  if (names && json_object_set(in, "ExpressionAttributeNames", names)) goto fail;
  if (values && json_object_set(in, "ExpressionAttributeValues", values)) goto fail;
  json_decref(names);
  json_decref(values);
  return in;
fail:
  json_decref(names);
  json_decref(values);
  json_decref(in);
  return NULL;
}

int orch_store_dy_put(struct orch_store_dy *d, json_t *item, const char *cond, json_t *names, json_t *values,
                      struct orch_error *err) {
  json_t *in = json_pack("{so}", "Item", item); /* steals item, NULL or not */
  return orch_store_dy_call(d, "PutItem", with_expr(in, NULL, cond, names, values), NULL, err);
}

int orch_store_dy_put_fresh(struct orch_store_dy *d, json_t *item, struct orch_error *err) {
  int rc = orch_store_dy_put(d, item, "attribute_not_exists(pk)", NULL, NULL, err);
  if (!orch_store_dy_condition_failed(rc, err)) return rc;
  orch_error_clear(err);
  return 0;
}

int orch_store_dy_landed(struct orch_store_dy *d, const char *pk, const char *sk, const char *attr, const char *mine,
                         struct orch_error *err) {
  json_t *item = NULL;
  int rc = orch_store_dy_get(d, pk, sk, attr, &item, err);
  if (rc == 1) {
    const char *v = orch_store_dy_str(item, attr);
    rc = v && strcmp(v, mine) == 0;
    if (rc) orch_error_clear(err);
  }
  json_decref(item);
  return rc;
}

int orch_store_dy_update(struct orch_store_dy *d, const char *pk, const char *sk, const char *update, const char *cond,
                         json_t *names, json_t *values, struct orch_error *err) {
  json_t *in = json_pack("{s o s s}", "Key", orch_store_dy_key(pk, sk), "UpdateExpression", update);
  return orch_store_dy_call(d, "UpdateItem", with_expr(in, update, cond, names, values), NULL, err);
}

int orch_store_dy_delete(struct orch_store_dy *d, const char *pk, const char *sk, const char *cond, json_t *names,
                         json_t *values, struct orch_error *err) {
  json_t *in = json_pack("{s o}", "Key", orch_store_dy_key(pk, sk));
  return orch_store_dy_call(d, "DeleteItem", with_expr(in, NULL, cond, names, values), NULL, err);
}

/* ---- Queries and batches ---------------------------------------------------------------------- */

static json_t *query_input(const struct orch_store_dy_query *q) {
  json_t *names = q->names ? json_copy((json_t *)(uintptr_t)q->names) : json_object();
  json_t *values = q->values ? json_copy((json_t *)(uintptr_t)q->values) : json_object();
  bool prefix = q->prefix && *q->prefix; /* an empty one is the whole partition */
  json_t *in = json_pack("{s s s b s b}", "KeyConditionExpression",
                         prefix ? "#qpk = :qpk AND begins_with(#qsk, :qpre)" : "#qpk = :qpk", "ScanIndexForward",
                         !q->descending, "ConsistentRead", 1);
  if (!names || !values || !in || json_object_set_new(names, "#qpk", json_string("pk")) ||
      (prefix && json_object_set_new(names, "#qsk", json_string("sk"))) ||
      json_object_set_new(values, ":qpk", orch_store_dy_s(q->pk)) ||
      (prefix && json_object_set_new(values, ":qpre", orch_store_dy_s(q->prefix))) ||
      (q->filter && json_object_set_new(in, "FilterExpression", json_string(q->filter))) ||
      (q->page && json_object_set_new(in, "Limit", json_integer((json_int_t)q->page))) ||
      (q->start_after && json_object_set_new(in, "ExclusiveStartKey", orch_store_dy_key(q->pk, q->start_after))) ||
      json_object_set(in, "ExpressionAttributeNames", names) || json_object_set(in, "ExpressionAttributeValues", values) ||
      add_projection(in, q->proj)) {
    json_decref(in);
    in = NULL;
  }
  json_decref(names);
  json_decref(values);
  return in;
}

int orch_store_dy_query(struct orch_store_dy *d, const struct orch_store_dy_query *q, orch_store_dy_each_fn each,
                        void *ctx, struct orch_error *err) {
  json_t *start = NULL; /* LastEvaluatedKey of the previous page */
  int rc = 0;
  for (;;) {
    json_t *in = query_input(q), *out = NULL;
    if (in && start && json_object_set(in, "ExclusiveStartKey", start)) {
      json_decref(in);
      in = NULL;
    }
    json_decref(start);
    start = NULL;
    if ((rc = orch_store_dy_call(d, "Query", in, &out, err))) break;
    json_t *items = json_object_get(out, "Items"), *item;
    size_t i;
    json_array_foreach(items, i, item) {
      if ((rc = each(ctx, item, err))) break;
    }
    start = rc ? NULL : json_incref(json_object_get(out, "LastEvaluatedKey"));
    json_decref(out);
    if (rc || !start) break;
  }
  json_decref(start);
  return rc < 0 ? rc : 0;
}

int orch_store_dy_batch_get(struct orch_store_dy *d, const json_t *keys, const char *proj, json_t **items,
                            struct orch_error *err) {
  json_t *found = json_array(), *pending = json_array(), *seen = json_object();
  int rc = found && pending && seen ? 0 : orch_error_set(err, ORCH_ENOMEM, "out of memory reading items");
  /* each key once: DynamoDB refuses a request naming one twice */
  for (size_t i = 0; !rc && i < json_array_size(keys); i++) {
    const json_t *key = json_array_get(keys, i);
    char id[2 * ORCH_STORE_DY_KEY_MAX + 2];
    snprintf(id, sizeof id, "%s\x1f%s", orch_store_dy_str(key, "pk") ? orch_store_dy_str(key, "pk") : "",
             orch_store_dy_str(key, "sk") ? orch_store_dy_str(key, "sk") : "");
    if (json_object_get(seen, id)) continue;
    if (json_object_set_new(seen, id, json_true()) || json_array_append(pending, (json_t *)(uintptr_t)key))
      rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
  }
  json_decref(seen);
  for (int round = 0; !rc && json_array_size(pending); round++) {
    if (round == BATCH_ROUNDS) {
      rc = orch_error_setc(err, ORCH_ETIMEDOUT, "dynamodb", "table %s: BatchGetItem kept leaving keys unprocessed",
                           d->table);
      break;
    }
    json_t *part = json_array(), *req = json_pack("{s o s b}", "Keys", part ? json_incref(part) : NULL,
                                                   "ConsistentRead", 1);
    size_t n = json_array_size(pending) < BATCH_GET_MAX ? json_array_size(pending) : BATCH_GET_MAX;
    for (size_t i = 0; part && i < n; i++)
      if (json_array_append(part, json_array_get(pending, i))) rc = ORCH_ENOMEM;
    json_decref(part);
    json_t *in = req && !rc && !add_projection(req, proj) ? json_pack("{s{sO}}", "RequestItems", d->table, req) : NULL;
    json_decref(req);
    json_t *out = NULL;
    if (rc) rc = orch_error_set(err, ORCH_ENOMEM, "out of memory reading items");
    else if ((rc = call(d, "BatchGetItem", in, &out, err))) break;
    json_t *got = json_object_get(json_object_get(out, "Responses"), d->table);
    if (json_array_extend(found, got ? got : json_array())) rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < n; i++)
      if (json_array_remove(pending, 0)) rc = orch_error_set(err, ORCH_EINTERNAL, "batch bookkeeping");
    json_t *left = json_object_get(json_object_get(json_object_get(out, "UnprocessedKeys"), d->table), "Keys");
    for (size_t i = 0; !rc && i < json_array_size(left); i++)
      if (json_array_append(pending, json_array_get(left, i))) rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
    json_decref(out);
  }
  json_decref(pending);
  if (rc) {
    json_decref(found);
    found = NULL;
  }
  *items = found;
  return rc;
}

int orch_store_dy_batch_write(struct orch_store_dy *d, const json_t *requests, struct orch_error *err) {
  json_t *pending = json_copy((json_t *)(uintptr_t)requests);
  int rc = pending ? 0 : orch_error_set(err, ORCH_ENOMEM, "out of memory writing items");
  for (int round = 0; !rc && json_array_size(pending); round++) {
    if (round == BATCH_ROUNDS * 64) { /* a round per 25 requests, and resends */
      rc = orch_error_setc(err, ORCH_ETIMEDOUT, "dynamodb", "table %s: BatchWriteItem kept leaving items unprocessed",
                           d->table);
      break;
    }
    json_t *part = json_array();
    size_t n = json_array_size(pending) < BATCH_WRITE_MAX ? json_array_size(pending) : BATCH_WRITE_MAX;
    for (size_t i = 0; part && i < n; i++)
      if (json_array_append(part, json_array_get(pending, i))) rc = ORCH_ENOMEM;
    json_t *in = part && !rc ? json_pack("{s{sO}}", "RequestItems", d->table, part) : NULL;
    json_decref(part);
    json_t *out = NULL;
    if (rc) {
      rc = orch_error_set(err, ORCH_ENOMEM, "out of memory writing items");
      break;
    }
    if ((rc = call(d, "BatchWriteItem", in, &out, err))) break;
    for (size_t i = 0; !rc && i < n; i++)
      if (json_array_remove(pending, 0)) rc = orch_error_set(err, ORCH_EINTERNAL, "batch bookkeeping");
    json_t *left = json_object_get(json_object_get(out, "UnprocessedItems"), d->table);
    for (size_t i = 0; !rc && i < json_array_size(left); i++)
      if (json_array_append(pending, json_array_get(left, i))) rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
    json_decref(out);
  }
  json_decref(pending);
  return rc;
}

static int collect_key(void *ctx, json_t *item, struct orch_error *err) {
  json_t *req = json_pack("{s{s{sOsO}}}", "DeleteRequest", "Key", "pk", json_object_get(item, "pk"), "sk",
                          json_object_get(item, "sk"));
  if (!req || json_array_append_new(ctx, req)) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  return 0;
}

int orch_store_dy_purge(struct orch_store_dy *d, const struct orch_store_dy_query *q, struct orch_error *err) {
  struct orch_store_dy_query keys = *q;
  keys.proj = "pk, sk";
  json_t *reqs = json_array();
  int rc = reqs ? orch_store_dy_query(d, &keys, collect_key, reqs, err) : orch_error_set(err, ORCH_ENOMEM, "out of memory");
  if (!rc) rc = orch_store_dy_batch_write(d, reqs, err);
  json_decref(reqs);
  return rc;
}

int orch_store_dy_follow(struct orch_store_dy *d, const char *pk, const char *ptr_prefix, const char *id,
                         json_t **item, struct orch_error *err) {
  char sk[ORCH_STORE_DY_KEY_MAX + 1];
  json_t *ptr = NULL;
  *item = NULL;
  orch_store_dy_key_str(sk, ptr_prefix, id);
  int rc = orch_store_dy_get(d, pk, sk, "name", &ptr, err);
  const char *name = rc == 1 ? orch_store_dy_str(ptr, "name") : NULL;
  if (rc >= 0 && name) {
    orch_store_dy_key_str(sk, "n#", name);
    rc = orch_store_dy_get(d, pk, sk, NULL, item, err);
  } else if (rc >= 0) {
    rc = 0;
  }
  json_decref(ptr);
  const char *rid = orch_store_dy_str(*item, "id");
  if (rc == 1 && (!rid || strcmp(rid, id) != 0)) rc = 0;
  if (rc != 1) {
    json_decref(*item);
    *item = NULL;
  }
  return rc;
}

struct pager {
  orch_store_dy_fill_fn fill;
  void **items;
  size_t size, *count, cap, want;
};

static int page_each(void *ctx, json_t *item, struct orch_error *err) {
  struct pager *p = ctx;
  if (orch_store_items_reserve(p->items, &p->cap, *p->count + 1, p->size))
    return orch_error_set(err, ORCH_ENOMEM, "out of memory listing records");
  char *rec = (char *)*p->items + *p->count * p->size;
  int rc = p->fill(item, rec, err);
  if (rc < 0) return rc;
  if (rc == 1) {
    memset(rec, 0, p->size);
    return 0;
  }
  return ++*p->count == p->want;
}

int orch_store_dy_page(struct orch_store_dy *d, struct orch_store_dy_query *q, size_t limit, orch_store_dy_fill_fn fill,
                       void **items, size_t size, size_t *count, bool *more, struct orch_error *err) {
  struct pager p = {.fill = fill, .items = items, .size = size, .count = count, .want = limit + 1};
  q->page = limit + 1;
  *more = false;
  int rc = orch_store_dy_query(d, q, page_each, &p, err);
  if (!rc && *count == p.want) {
    --*count;
    memset((char *)*items + *count * size, 0, size);
    *more = true;
  }
  return rc;
}

void orch_store_dy_setter_add(struct orch_store_dy_setter *s, const char *attr, json_t *value) {
  char n[16], v[16];
  snprintf(n, sizeof n, "#a%d", s->n);
  snprintf(v, sizeof v, ":a%d", s->n++);
  if (s->rc || !value || !s->names || !s->values ||
      orch_buf_printf(&s->expr, "%s%s = %s", s->expr.len ? ", " : "SET ", n, v) ||
      json_object_set_new(s->names, n, json_string(attr))) {
    json_decref(value);
    s->rc = ORCH_ENOMEM;
    return;
  }
  if (json_object_set_new(s->values, v, value)) s->rc = ORCH_ENOMEM;
}

void orch_store_dy_setter_free(struct orch_store_dy_setter *s) {
  orch_buf_free(&s->expr);
  json_decref(s->names);
  json_decref(s->values);
  s->names = s->values = NULL;
}

int orch_store_dy_token(char out[ORCH_STORE_DY_TOKEN_LEN + 1], struct orch_error *err) {
  int rc = orch_id_hex(out, ORCH_STORE_DY_TOKEN_LEN + 1, "", ORCH_STORE_DY_TOKEN_LEN);
  return rc ? orch_error_set(err, rc, "cannot make a write token") : 0;
}
