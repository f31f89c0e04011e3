/* orch_store_dynamodb_int: what the DynamoDB backend's files share and nothing outside engine/store (and
 * its tests) includes: the backend context, the table layout's keys, attribute-value readers and
 * builders, the calls (one operation on the table, paged queries, batches) with the error mapping,
 * large values kept in chunk items, and each file's ops. docs/store.md ("DynamoDB") describes the
 * layout and why every write commits with one conditional single-item write.
 * Uses orch_aws_client, orch_store_backend, jansson, pthreads. */
#ifndef ORCH_STORE_DYNAMODB_INT_H
#define ORCH_STORE_DYNAMODB_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "aws/orch_aws_client.h"
#include "aws/orch_aws_endpoint.h"
#include "core/orch_buf.h"
#include "store/orch_store_backend.h"

#define ORCH_STORE_DY_SCHEMA 1            /* the layout version this binary writes (item meta/schema) */
#define ORCH_STORE_DY_TABLE_SUFFIX "-state"
#define ORCH_STORE_DY_TABLE_MAX 255       /* DynamoDB's limit on a table name */
#define ORCH_STORE_DY_ENDPOINT_MAX 512
#define ORCH_STORE_DY_INLINE_MAX (64 * 1024) /* a longer value goes to chunk items */
#define ORCH_STORE_DY_CHUNK_MAX (300 * 1024) /* bytes of value per chunk item (items hold 400 KB) */
#define ORCH_STORE_DY_TRIES 64            /* optimistic retries of a contended write before ECONFLICT */
#define ORCH_STORE_DY_KNOWN 64            /* journals whose head this handle remembers */
#define ORCH_STORE_DY_TOKEN_LEN 32 /* hex digits: 128 random bits */
#define ORCH_STORE_DY_PENDING_TTL_S (24 * 3600) /* an abandoned half-made item expires after a day */

/* A key part: "<prefix>" plus an id, a name (up to ORCH_STORE_NAME_MAX bytes) or a 19-digit number. */
#define ORCH_STORE_DY_KEY_MAX (32 + ORCH_STORE_ACCOUNT_MAX + ORCH_STORE_REGION_MAX + ORCH_STORE_NAME_MAX)

/* What this handle knows of one execution's journal head (orch_store_dynamodb_journal.c): the last seq
 * and that the batch in its tail is also in its own item. Guarded by orch_store_dy.mu. */
struct orch_store_dy_known {
  char exec_id[ORCH_STORE_ID_MAX + 1];
  int64_t last;
  int64_t tail_first; /* 0: no tail */
  int64_t expires_at; /* the head's TTL, 0 when none */
};

struct orch_store_dy {
  struct orch_aws_creds *creds;
  struct orch_aws_client *client;
  char table[ORCH_STORE_DY_TABLE_MAX + 1];
  char region[ORCH_AWS_REGION_MAX];
  char endpoint[ORCH_STORE_DY_ENDPOINT_MAX + 1]; /* "" = the region's standard endpoint */
  int64_t drill_ttl_s;                           /* 0: finished drills are kept */
  bool created;                                  /* this open created the table */
  pthread_mutex_t mu;
  struct orch_store_dy_known known[ORCH_STORE_DY_KNOWN];
  unsigned known_next;
};

/* ---- Keys (orch_store_dynamodb_item.c) -------------------------------------------------------- */

/* Partitions and sort-key prefixes of the table (pk, sk: both strings). */
#define ORCH_STORE_DY_PK_META "meta"
#define ORCH_STORE_DY_PK_GROUPS "groups" /* g#<id> records, n#<name> and s#<acct>#<region>#<server> claims */
#define ORCH_STORE_DY_PK_PLANS "plans"   /* n#<name> records, i#<id> pointers */
#define ORCH_STORE_DY_PK_EXECS "execs"   /* x#<id> records: the journal's head and the lease too */
#define ORCH_STORE_DY_PK_AUDIT "audit"   /* a#<id> entries, the counter */
#define ORCH_STORE_DY_PK_USERS "users"   /* n#<name> records, i#<id> pointers */
#define ORCH_STORE_DY_PK_TOKENS "tokens" /* t#<id> records, n#<name> and h#<secret hash> claims */
#define ORCH_STORE_DY_PK_SESSIONS "sessions" /* h#<secret hash> records, s#<id> pointers */
#define ORCH_STORE_DY_PK_ACCOUNTS "accounts" /* a#<account id> records */

/* "<prefix><19-digit zero-padded n>" into out (n >= 0): sort keys that order numerically. */
void orch_store_dy_key_num(char out[ORCH_STORE_DY_KEY_MAX + 1], const char *prefix, int64_t n);
/* "<prefix><s>" into out; s fits by the limits ORCH_STORE_DY_KEY_MAX was sized from. */
void orch_store_dy_key_str(char out[ORCH_STORE_DY_KEY_MAX + 1], const char *prefix, const char *s);

/* ---- Attribute values -------------------------------------------------------------------------- */

/* {"S": s} / {"N": "<v>"}; NULL when out of memory. */
json_t *orch_store_dy_s(const char *s);
json_t *orch_store_dy_n(int64_t v);
/* {"pk": {"S": pk}, "sk": {"S": sk}}; NULL when out of memory. */
json_t *orch_store_dy_key(const char *pk, const char *sk);
/* Set attribute `name` of `item` to {"S": s} (nothing when s is NULL or "") / {"N": v} / `value`
 * (stolen; nothing when NULL). ORCH_ENOMEM on failure. */
int orch_store_dy_set_s(json_t *item, const char *name, const char *s) ORCH_MUST_CHECK;
int orch_store_dy_set_n(json_t *item, const char *name, int64_t v) ORCH_MUST_CHECK;
int orch_store_dy_set(json_t *item, const char *name, json_t *value) ORCH_MUST_CHECK;

/* The string of attribute `name` ({"S": ...}) of item, or NULL when absent or not a string. */
const char *orch_store_dy_str(const json_t *item, const char *name);
/* The number of attribute `name`; `dflt` when absent. ORCH_ESTORE when present but not an integer. */
int orch_store_dy_num(const json_t *item, const char *name, int64_t dflt, int64_t *out, struct orch_error *err)
    ORCH_MUST_CHECK;
/* Copy the string attribute into a record's inline array ("" when absent; ORCH_ETOOBIG past size). */
int orch_store_dy_copy(const json_t *item, const char *name, char *dst, size_t size, struct orch_error *err)
    ORCH_MUST_CHECK;

/* ---- Calls (orch_store_dynamodb_item.c) --------------------------------------------------------- */

/* One operation on the table: "TableName" is added to `in`, which the call steals. With `out` NULL the
 * call is a write acknowledged only (orch_aws_call_ack): its 2xx is its success even if reading the
 * answer runs out of memory, which is what lets a write commit with it. Errors: a failed condition is
 * ORCH_ECONFLICT with err->context "condition" (callers read and explain); the others are mapped for
 * the store (orch_store_dy_map_error). */
int orch_store_dy_call(struct orch_store_dy *d, const char *op, json_t *in, json_t **out, struct orch_error *err)
    ORCH_MUST_CHECK;
/* true when `rc`/`err` is orch_store_dy_call's failed condition. */
bool orch_store_dy_condition_failed(int rc, const struct orch_error *err);

/* GetItem (consistent) of pk/sk: 1 and *item (caller owns), 0 when there is none, or an error. `proj`
 * (may be NULL) is a ProjectionExpression over plain attribute names ("a, b, c"). */
int orch_store_dy_get(struct orch_store_dy *d, const char *pk, const char *sk, const char *proj, json_t **item,
                      struct orch_error *err);

/* Whether the item at the key of `item` is `item`, attribute for attribute: 1, 0 (another or none), or an
 * error reading it. After a refused put: its own first try landed, the answer lost (err is then cleared).
 * For items with no mark of their own; one with a write token uses orch_store_dy_landed. */
int orch_store_dy_stored_as(struct orch_store_dy *d, const json_t *item, struct orch_error *err);
/* PutItem of `item` (stolen) under `cond` (may be NULL) whose placeholders are in names / values (stolen,
 * may be NULL). Acknowledged only: a commit. */
int orch_store_dy_put(struct orch_store_dy *d, json_t *item, const char *cond, json_t *names, json_t *values,
                      struct orch_error *err) ORCH_MUST_CHECK;
/* PutItem of `item` (stolen) under a key only this write can hold (it carries a fresh UUIDv7), on
 * condition that it is new. Its condition failing can only be this put's own earlier try, landed with its
 * answer lost (the client resends on time-outs and 5xx): that is success. */
int orch_store_dy_put_fresh(struct orch_store_dy *d, json_t *item, struct orch_error *err) ORCH_MUST_CHECK;
/* After a conditional write of pk/sk failed its condition: whether the item there carries string
 * attribute `attr` = `mine`, the mark of this write, so that the failure was this write's own earlier
 * try, landed with its answer lost. 1 (and err cleared) when it did, 0 when another write is there, or
 * an error. */
int orch_store_dy_landed(struct orch_store_dy *d, const char *pk, const char *sk, const char *attr, const char *mine,
                         struct orch_error *err) ORCH_MUST_CHECK;
/* UpdateItem of pk/sk with `update` under `cond` (may be NULL); names / values stolen (may be NULL).
 * Acknowledged only: a commit. */
int orch_store_dy_update(struct orch_store_dy *d, const char *pk, const char *sk, const char *update, const char *cond,
                         json_t *names, json_t *values, struct orch_error *err) ORCH_MUST_CHECK;
/* DeleteItem of pk/sk under `cond` (may be NULL). Acknowledged only. */
int orch_store_dy_delete(struct orch_store_dy *d, const char *pk, const char *sk, const char *cond, json_t *names,
                         json_t *values, struct orch_error *err) ORCH_MUST_CHECK;

/* A Query of one partition for the sort keys starting with `prefix`, consistent, in pages. */
struct orch_store_dy_query {
  const char *pk;
  const char *prefix;
  const char *start_after; /* a sort key (starting with prefix) to continue after, or NULL */
  bool descending;
  const char *filter;      /* FilterExpression, or NULL; its placeholders in names / values */
  const char *proj;        /* ProjectionExpression over plain names, or NULL */
  const json_t *names;     /* borrowed, may be NULL */
  const json_t *values;    /* borrowed, may be NULL (":pk" and ":prefix" are taken) */
  size_t page;             /* Limit per request (items read, before the filter); 0 = DynamoDB's 1 MB */
};

/* Calls `each(ctx, item)` for every item in order until it returns 1 (stop), a negative code (the
 * error), or the partition range ends. The item is borrowed for the call (json_incref to keep it). */
typedef int (*orch_store_dy_each_fn)(void *ctx, json_t *item, struct orch_error *err);
int orch_store_dy_query(struct orch_store_dy *d, const struct orch_store_dy_query *q, orch_store_dy_each_fn each,
                        void *ctx, struct orch_error *err) ORCH_MUST_CHECK;

/* BatchGetItem (consistent) of `keys` (an array of key objects, borrowed): *items is an array of the
 * items found, in no particular order (caller owns). */
int orch_store_dy_batch_get(struct orch_store_dy *d, const json_t *keys, const char *proj, json_t **items,
                            struct orch_error *err) ORCH_MUST_CHECK;
/* BatchWriteItem of `requests` (an array of {"PutRequest": ...} / {"DeleteRequest": ...}, borrowed), 25
 * at a time, resending what DynamoDB leaves unprocessed. Unconditional: for items no reader sees yet
 * (chunks) and for clean-ups. */
int orch_store_dy_batch_write(struct orch_store_dy *d, const json_t *requests, struct orch_error *err)
    ORCH_MUST_CHECK;

/* Delete every item query q finds, unconditionally: for items nothing references any more. */
int orch_store_dy_purge(struct orch_store_dy *d, const struct orch_store_dy_query *q, struct orch_error *err)
    ORCH_MUST_CHECK;

/* A record found through a pointer: item "<ptr_prefix><id>" of partition `pk` names the record's key
 * ("name": the record is "n#<name>"), and the record counts only when its "id" is `id` (a pointer left by
 * a record that was never committed, or replaced, names another one or none). 1 and *item (caller
 * owns), 0 when there is none, or an error. */
int orch_store_dy_follow(struct orch_store_dy *d, const char *pk, const char *ptr_prefix, const char *id,
                         json_t **item, struct orch_error *err);

/* One page of a listing of inline records (nothing to release per record): runs q (its page set to
 * limit + 1), filling records of `size` bytes into the growing array *items with `fill` (which returns 0,
 * 1 to skip the item, or an error) until limit + 1 are filled; *count is then at most limit and *more
 * says one more followed. On failure the caller frees *items (the list's release). */
typedef int (*orch_store_dy_fill_fn)(const json_t *item, void *record, struct orch_error *err);
int orch_store_dy_page(struct orch_store_dy *d, struct orch_store_dy_query *q, size_t limit, orch_store_dy_fill_fn fill,
                       void **items, size_t size, size_t *count, bool *more, struct orch_error *err) ORCH_MUST_CHECK;

/* The "SET" part of an UpdateItem with its names and values, built together so that no placeholder is
 * declared and unused. Start with ORCH_STORE_DY_SETTER_INIT; rc turns ORCH_ENOMEM (sticky) when
 * building fails; free with orch_store_dy_setter_free. */
struct orch_store_dy_setter {
  struct orch_buf expr;
  json_t *names, *values;
  int n, rc;
};
#define ORCH_STORE_DY_SETTER_INIT {ORCH_BUF_INIT(1024), json_object(), json_object(), 0, 0}
/* Add "#aN = :aN" setting attribute `attr` to `value` (stolen; NULL turns rc ORCH_ENOMEM). */
void orch_store_dy_setter_add(struct orch_store_dy_setter *s, const char *attr, json_t *value);
void orch_store_dy_setter_free(struct orch_store_dy_setter *s);

/* A fresh random token (hex) naming one write: chunk sets, journal batches, revisions. */
int orch_store_dy_token(char out[ORCH_STORE_DY_TOKEN_LEN + 1], struct orch_error *err) ORCH_MUST_CHECK;

/* ---- Large values (orch_store_dynamodb_blob.c) -------------------------------------------------- */

/* A text value as an attribute value: {"S": text} when at most ORCH_STORE_DY_INLINE_MAX bytes, else its
 * chunks are written to partition `pk` (items "c#<token>#<n>", invisible until something references
 * them, with the TTL `expires_at` when non-zero) and the value is {"M": {"c": pk, "tok", "n", "len"}}.
 * *attr is the caller's. */
int orch_store_dy_blob_put(struct orch_store_dy *d, const char *pk, const char *text, size_t len, int64_t expires_at,
                           json_t **attr, struct orch_error *err) ORCH_MUST_CHECK;
/* JSON as compact text with sorted keys, through orch_store_dy_blob_put: NULL stays NULL (no attribute);
 * more than ORCH_STORE_JSON_MAX bytes serialized is ORCH_ETOOBIG naming `field`. */
int orch_store_dy_json_put(struct orch_store_dy *d, const char *pk, const json_t *value, const char *field,
                           json_t **attr, struct orch_error *err) ORCH_MUST_CHECK;
/* The text of an attribute value written by blob_put (reading its chunks): caller frees *text.
 * ORCH_ECONFLICT (context "chunks") when the chunks are gone: the value was replaced meanwhile, and the
 * caller reads its item again. */
int orch_store_dy_blob_get(struct orch_store_dy *d, const json_t *attr, char **text, size_t *len,
                           struct orch_error *err) ORCH_MUST_CHECK;
/* Attribute `name` of item as JSON (NULL when absent); ORCH_ESTORE naming `field` when unparseable. */
int orch_store_dy_json_get(struct orch_store_dy *d, const json_t *item, const char *name, const char *field,
                           json_t **out, struct orch_error *err) ORCH_MUST_CHECK;
/* Delete the chunks of an attribute value that nothing references any more (best effort: a failure
 * leaves unreachable items behind). No-op for inline values and NULL. */
void orch_store_dy_blob_drop(struct orch_store_dy *d, const json_t *attr);

/* ---- The ops, one file each ------------------------------------------------------------------- */

int orch_store_dy_group_create(void *ctx, const struct orch_store_group *g, struct orch_error *err);
int orch_store_dy_group_update(void *ctx, struct orch_store_group *g, int64_t expected_version, struct orch_error *err);
int orch_store_dy_group_delete(void *ctx, const char *id, struct orch_error *err);
int orch_store_dy_group_get(void *ctx, const char *id, const char *name, struct orch_store_group *out,
                            struct orch_error *err);
int orch_store_dy_group_list(void *ctx, const struct orch_store_group_filter *f, const struct orch_store_page *page,
                             struct orch_store_group_list *out, struct orch_error *err);

int orch_store_dy_plan_create(void *ctx, const struct orch_store_plan *p, const struct orch_store_plan_version *v,
                              struct orch_error *err);
int orch_store_dy_plan_add_version(void *ctx, int64_t expected_latest, struct orch_store_plan_version *v,
                                   struct orch_error *err);
int orch_store_dy_plan_delete(void *ctx, const char *id, struct orch_error *err);
int orch_store_dy_plan_get(void *ctx, const char *id, const char *name, struct orch_store_plan *out,
                           struct orch_error *err);
int orch_store_dy_plan_list(void *ctx, const struct orch_store_page *page, struct orch_store_plan_list *out,
                            struct orch_error *err);
int orch_store_dy_version_get(void *ctx, const char *plan_id, int64_t version, struct orch_store_plan_version *out,
                              struct orch_error *err);
int orch_store_dy_version_list(void *ctx, const char *plan_id, const struct orch_store_page *page,
                               struct orch_store_version_list *out, struct orch_error *err);
/* For exec_create and plan_delete: the plan record of `plan_id` (1 and *item, 0 when there is none). */
int orch_store_dy_plan_record(struct orch_store_dy *d, const char *plan_id, json_t **item, struct orch_error *err);

int orch_store_dy_exec_create(void *ctx, struct orch_store_exec *x, struct orch_error *err);
int orch_store_dy_exec_update(void *ctx, const char *id, const struct orch_store_exec_update *u,
                              struct orch_store_exec *out, struct orch_error *err);
int orch_store_dy_exec_get(void *ctx, const char *id, struct orch_store_exec *out, struct orch_error *err);
int orch_store_dy_exec_list(void *ctx, const struct orch_store_exec_filter *f, const struct orch_store_page *page,
                            struct orch_store_exec_list *out, struct orch_error *err);
/* For plan_delete: settle the executions of a plan that is being deleted. 0 when none is unfinished
 * (half-made ones are withdrawn; finished ones stay), ORCH_ECONFLICT naming how many are unfinished. */
int orch_store_dy_exec_settle_plan(struct orch_store_dy *d, const char *plan_id, struct orch_error *err);
/* The execution's record (its head): 1 and *item, 0 when there is none (or it is half-made). `proj`
 * may be NULL. */
int orch_store_dy_exec_record(struct orch_store_dy *d, const char *exec_id, const char *proj, json_t **item,
                              struct orch_error *err);
/* The partition of an execution's journal and chunks: "exec#<id>". */
void orch_store_dy_exec_pk(char out[ORCH_STORE_DY_KEY_MAX + 1], const char *exec_id);

int orch_store_dy_event_append(void *ctx, const char *exec_id, const struct orch_store_event_spec *evs, size_t n,
                               const char *owner, struct orch_error *err);
int orch_store_dy_event_read(void *ctx, const char *exec_id, int64_t from_seq, size_t limit,
                             struct orch_store_event_list *out, struct orch_error *err);
int orch_store_dy_event_last_seq(void *ctx, const char *exec_id, int64_t *seq, struct orch_error *err);
/* Give every item of an execution's journal partition the TTL `expires_at` (epoch seconds). */
int orch_store_dy_journal_expire(struct orch_store_dy *d, const char *exec_id, int64_t expires_at,
                                 struct orch_error *err);

int orch_store_dy_lease_acquire(void *ctx, const char *exec_id, const struct orch_store_lease_spec *spec,
                                struct orch_store_lease *held, struct orch_error *err);
int orch_store_dy_lease_release(void *ctx, const char *exec_id, const char *owner, struct orch_error *err);
int orch_store_dy_lease_get(void *ctx, const char *exec_id, struct orch_store_lease *out, struct orch_error *err);
/* The lease fields of an execution record into `out` ("" owner when none). */
int orch_store_dy_lease_read(const json_t *item, struct orch_store_lease *out, struct orch_error *err);

int orch_store_dy_audit_append(void *ctx, const struct orch_store_audit *a, int64_t *id, struct orch_error *err);
int orch_store_dy_audit_list(void *ctx, const struct orch_store_audit_filter *f, const struct orch_store_page *page,
                             struct orch_store_audit_list *out, struct orch_error *err);

int orch_store_dy_exec_count(void *ctx, int64_t counts[ORCH_STORE_STATUS_COUNT], struct orch_error *err);

int orch_store_dy_user_create(void *ctx, const struct orch_store_user *u, struct orch_error *err);
int orch_store_dy_user_get(void *ctx, const char *id, const char *name, struct orch_store_user *out,
                           struct orch_error *err);
int orch_store_dy_user_update(void *ctx, const char *id, const struct orch_store_user_update *u, int64_t now_ms,
                              struct orch_store_user *out, struct orch_error *err);
int orch_store_dy_user_list(void *ctx, const struct orch_store_page *page, struct orch_store_user_list *out,
                            struct orch_error *err);
int orch_store_dy_token_create(void *ctx, const struct orch_store_token *t, const char *secret_hash,
                               struct orch_error *err);
int orch_store_dy_token_get(void *ctx, const char *id, const char *secret_hash, struct orch_store_token *out,
                            struct orch_error *err);
int orch_store_dy_token_list(void *ctx, const struct orch_store_page *page, struct orch_store_token_list *out,
                             struct orch_error *err);
int orch_store_dy_token_revoke(void *ctx, const char *id, int64_t now_ms, struct orch_error *err);
int orch_store_dy_token_touch(void *ctx, const char *id, int64_t at_ms, struct orch_error *err);
int orch_store_dy_session_create(void *ctx, const struct orch_store_session *s, const char *secret_hash,
                                 struct orch_error *err);
int orch_store_dy_session_find(void *ctx, const char *secret_hash, int64_t now_ms, struct orch_store_session *out,
                               struct orch_error *err);
int orch_store_dy_session_delete(void *ctx, const char *id, const char *user_id, struct orch_error *err);
int orch_store_dy_account_create(void *ctx, const struct orch_store_account *a, struct orch_error *err);
int orch_store_dy_account_get(void *ctx, const char *account_id, struct orch_store_account *out,
                              struct orch_error *err);
int orch_store_dy_account_list(void *ctx, const struct orch_store_page *page, struct orch_store_account_list *out,
                               struct orch_error *err);
int orch_store_dy_account_delete(void *ctx, const char *account_id, struct orch_error *err);

#endif
