/* orch_store_dynamodb_plans: recovery plans and their versions in DynamoDB. A plan is one record item
 * "n#<name>" (names never change, so the name is its key and makes it unique), found by id through the
 * pointer "i#<id>". The record carries the latest version whole (its "tail": source, compiled plan,
 * author, description): adding a version is one conditional update of the record (latest = n -> n + 1) that commits
 * it. Every version is also its own item "v#<n>" in the plan's partition "plan#<id>"; a version's item
 * is written before the next version may replace the tail, so the items and the tail together always
 * hold every version. Each version carries the token of the write that saved it (`t_tok` in the tail, `tok`
 * in its item), so a write whose answer was lost recognises itself on its retry. Deleting sets a flag,
 * settles the plan's executions, and deletes the record.
 * Uses orch_store_dynamodb_item, orch_store_dynamodb_blob, orch_alloc, orch_str. */
#include <stdio.h>
#include <string.h>

#include "core/orch_alloc.h"
#include "core/orch_log.h"
#include "core/orch_str.h"
#include "store/orch_store_dynamodb_int.h"

#define PK ORCH_STORE_DY_PK_PLANS
#define VERSION_PROJ "ver, author, at, desc"

static void plan_pk(char out[ORCH_STORE_DY_KEY_MAX + 1], const char *id) { orch_store_dy_key_str(out, "plan#", id); }

static int plan_missing(const char *id, struct orch_error *err) {
  return orch_error_setc(err, ORCH_ENOTFOUND, "plan id", "recovery plan %s not found", id);
}

static int oom(struct orch_error *err) { return orch_error_set(err, ORCH_ENOMEM, "out of memory writing a recovery plan"); }

/* ---- Records -------------------------------------------------------------------------------------- */

int orch_store_dy_plan_record(struct orch_store_dy *d, const char *plan_id, json_t **item, struct orch_error *err) {
  return orch_store_dy_follow(d, PK, "i#", plan_id, item, err);
}

/* A plan's description is its latest version's: the tail's. */
static int plan_fill(const json_t *rec, struct orch_store_plan *p, struct orch_error *err) {
  int rc;
  if ((rc = orch_store_dy_copy(rec, "id", p->id, sizeof p->id, err)) ||
      (rc = orch_store_dy_copy(rec, "name", p->name, sizeof p->name, err)) ||
      (rc = orch_store_dy_copy(rec, "t_desc", p->description, sizeof p->description, err)) ||
      (rc = orch_store_dy_num(rec, "latest", 0, &p->latest_version, err)) ||
      (rc = orch_store_dy_num(rec, "created_ms", 0, &p->created_ms, err)))
    return rc;
  return orch_store_dy_num(rec, "updated_ms", 0, &p->updated_ms, err);
}

/* ---- Versions ------------------------------------------------------------------------------------- */

/* A version's attributes (prefix "t_" in the record's tail, none in its own item) into v. With `full`
 * also its source and compiled plan. */
static int version_fill(struct orch_store_dy *d, const json_t *item, const char *pre, const char *plan_id, bool full,
                        struct orch_store_plan_version *v, struct orch_error *err) {
  char a[4][16];
  snprintf(a[0], sizeof a[0], "%sver", pre);
  snprintf(a[1], sizeof a[1], "%sauthor", pre);
  snprintf(a[2], sizeof a[2], "%sat", pre);
  snprintf(a[3], sizeof a[3], "%sdesc", pre);
  int rc = orch_store_copy_str(v->plan_id, sizeof v->plan_id, plan_id, "plan_id", err);
  if (!rc) rc = orch_store_dy_num(item, a[0], 0, &v->version, err);
  if (!rc) rc = orch_store_dy_copy(item, a[1], v->author, sizeof v->author, err);
  if (!rc) rc = orch_store_dy_num(item, a[2], 0, &v->created_ms, err);
  if (!rc) rc = orch_store_dy_copy(item, a[3], v->description, sizeof v->description, err);
  if (rc || !full) return rc;
  char src[16], cmp[16];
  size_t len;
  snprintf(src, sizeof src, "%ssrc", pre);
  snprintf(cmp, sizeof cmp, "%scmp", pre);
  const json_t *attr = json_object_get(item, src);
  if (!attr) return orch_error_setc(err, ORCH_ESTORE, plan_id, "stored plan version %lld has no source", (long long)v->version);
  if ((rc = orch_store_dy_blob_get(d, attr, &v->source, &len, err))) return rc;
  if ((rc = orch_store_dy_json_get(d, item, cmp, "compiled", &v->compiled, err))) return rc;
  return v->compiled ? 0 : orch_error_setc(err, ORCH_ESTORE, plan_id, "stored plan version has no compiled plan");
}

/* Write the version in the record's tail to its own item "v#<n>" (idempotent: the same content). */
static int materialize(struct orch_store_dy *d, const json_t *rec, struct orch_error *err) {
  char pk[ORCH_STORE_DY_KEY_MAX + 1], sk[ORCH_STORE_DY_KEY_MAX + 1];
  int64_t ver;
  int rc = orch_store_dy_num(rec, "t_ver", 0, &ver, err);
  const char *id = orch_store_dy_str(rec, "id");
  if (rc || ver < 1 || !id) return rc ? rc : orch_error_setc(err, ORCH_ESTORE, "plan", "a plan record has no latest version");
  plan_pk(pk, id);
  orch_store_dy_key_num(sk, "v#", ver);
  json_t *item = json_pack("{s{ss}s{ss}}", "pk", "S", pk, "sk", "S", sk);
  static const char *const attrs[] = {"ver", "author", "at", "desc", "src", "cmp", "tok"};
  for (size_t i = 0; item && i < sizeof attrs / sizeof attrs[0]; i++) {
    char from[16];
    snprintf(from, sizeof from, "t_%s", attrs[i]);
    if (orch_store_dy_set(item, attrs[i], json_incref(json_object_get(rec, from)))) {
      json_decref(item);
      item = NULL;
    }
  }
  return item ? orch_store_dy_put(d, item, NULL, NULL, NULL, err) : oom(err);
}

/* The tail attributes of version v, "<pre>ver", "<pre>author", "<pre>at", "<pre>src", "<pre>cmp" (its
 * content already as attribute values src / cmp), "<pre>tok" (the token of the write that commits it)
 * and "<pre>desc" (absent when it has none). */
static int tail_set(json_t *obj, const char *pre, const struct orch_store_plan_version *v, json_t *src, json_t *cmp,
                    const char *tok) {
  char a[7][16];
  static const char *const names[7] = {"ver", "author", "at", "src", "cmp", "desc", "tok"};
  for (int i = 0; i < 7; i++) snprintf(a[i], sizeof a[i], "%s%s", pre, names[i]);
  int rc = orch_store_dy_set_n(obj, a[0], v->version);
  if (!rc) rc = orch_store_dy_set_s(obj, a[1], v->author);
  if (!rc) rc = orch_store_dy_set_n(obj, a[2], v->created_ms);
  if (!rc) rc = orch_store_dy_set(obj, a[3], json_incref(src));
  if (!rc) rc = orch_store_dy_set(obj, a[4], json_incref(cmp));
  if (!rc) rc = orch_store_dy_set_s(obj, a[5], v->description);
  if (!rc) rc = orch_store_dy_set_s(obj, a[6], tok);
  return rc;
}

/* Whether version `ver` of the plan whose record is rec was committed by the write of token `tok` (a
 * write whose answer was lost meets itself on its retry): the tail's token, or once a later version
 * replaced the tail, the token its own item "v#<ver>" kept. 1, 0, or an error reading. */
static int version_is(struct orch_store_dy *d, const json_t *rec, int64_t ver, const char *tok, struct orch_error *err) {
  char pk[ORCH_STORE_DY_KEY_MAX + 1], sk[ORCH_STORE_DY_KEY_MAX + 1];
  int64_t tail = 0;
  json_t *item = NULL;
  const char *id = orch_store_dy_str(rec, "id");
  int rc = orch_store_dy_num(rec, "t_ver", 0, &tail, err);
  if (rc || tail < ver || !id) return rc;
  if (tail == ver) return orch_store_dy_str(rec, "t_tok") && strcmp(orch_store_dy_str(rec, "t_tok"), tok) == 0;
  plan_pk(pk, id);
  orch_store_dy_key_num(sk, "v#", ver);
  if ((rc = orch_store_dy_get(d, pk, sk, "tok", &item, err)) == 1)
    rc = orch_store_dy_str(item, "tok") && strcmp(orch_store_dy_str(item, "tok"), tok) == 0;
  json_decref(item);
  return rc;
}

/* A version's content as attribute values, chunks in the plan's partition. */
static int content_put(struct orch_store_dy *d, const struct orch_store_plan_version *v, json_t **src, json_t **cmp,
                       struct orch_error *err) {
  char pk[ORCH_STORE_DY_KEY_MAX + 1];
  plan_pk(pk, v->plan_id);
  *cmp = NULL;
  int rc = orch_store_dy_blob_put(d, pk, v->source, strlen(v->source), 0, src, err);
  if (!rc) rc = orch_store_dy_json_put(d, pk, v->compiled, "compiled", cmp, err);
  return rc;
}

/* ---- Ops ------------------------------------------------------------------------------------------ */

int orch_store_dy_plan_create(void *ctx, const struct orch_store_plan *p, const struct orch_store_plan_version *v,
                              struct orch_error *err) {
  struct orch_store_dy *d = ctx;
  char sk[ORCH_STORE_DY_KEY_MAX + 1], tok[ORCH_STORE_DY_TOKEN_LEN + 1];
  json_t *src = NULL, *cmp = NULL, *rec = NULL, *now = NULL;
  int rc = orch_store_dy_token(tok, err);
  if (!rc) rc = content_put(d, v, &src, &cmp, err);
  if (rc) goto out;
  /* the pointer first: alone it leads nowhere */
  orch_store_dy_key_str(sk, "i#", p->id);
  if ((rc = orch_store_dy_put(d, json_pack("{s{ss}s{ss}s{ss}}", "pk", "S", PK, "sk", "S", sk, "name", "S", p->name),
                              NULL, NULL, NULL, err)))
    goto out;
  orch_store_dy_key_str(sk, "n#", p->name);
  rec = json_pack("{s{ss}s{ss}s{ss}s{ss}}", "pk", "S", PK, "sk", "S", sk, "id", "S", p->id, "name", "S", p->name);
  if (!rec || orch_store_dy_set_n(rec, "latest", 1) || orch_store_dy_set_n(rec, "created_ms", p->created_ms) ||
      orch_store_dy_set_n(rec, "updated_ms", p->updated_ms) || tail_set(rec, "t_", v, src, cmp, tok)) {
    rc = oom(err);
    goto out;
  }
  rc = orch_store_dy_put(d, json_incref(rec), "attribute_not_exists(pk)", NULL, NULL, err);
  /* refused: the name is taken, by another plan or by this very write (its answer lost) */
  if (orch_store_dy_condition_failed(rc, err) && (rc = orch_store_dy_get(d, PK, sk, NULL, &now, err)) >= 0 &&
      (rc = rc ? version_is(d, now, 1, tok, err) : 0) == 0) {
    rc = orch_error_setc(err, ORCH_EEXIST, "name", "a recovery plan named '%s' already exists", p->name);
    orch_store_dy_blob_drop(d, src);
    orch_store_dy_blob_drop(d, cmp);
  }
  if (rc == 1) rc = 0;
  if (!rc && materialize(d, rec, NULL)) orch_log_debug("dynamodb: plan %s version 1 stays in its record", p->id);
out:
  json_decref(now);
  json_decref(src);
  json_decref(cmp);
  json_decref(rec);
  return rc;
}

/* The commit of version v: the record's latest moves from latest to v->version with v in its tail. */
static int add_commit(struct orch_store_dy *d, const char *name, int64_t latest, const struct orch_store_plan_version *v,
                      json_t *src, json_t *cmp, const char *tok, struct orch_error *err) {
  char sk[ORCH_STORE_DY_KEY_MAX + 1];
  orch_store_dy_key_str(sk, "n#", name);
  json_t *names = json_pack("{ss ss ss ss ss ss ss ss ss ss}", "#id", "id", "#latest", "latest", "#up", "updated_ms",
                            "#tv", "t_ver", "#ta", "t_author", "#tt", "t_at", "#ts", "t_src", "#tc", "t_cmp", "#td",
                            "t_desc", "#tk", "t_tok");
  json_t *values = json_object();
  if (!values || tail_set(values, ":t", v, src, cmp, tok) || orch_store_dy_set_n(values, ":old", latest) ||
      orch_store_dy_set_n(values, ":up", v->created_ms) || orch_store_dy_set_s(values, ":id", v->plan_id)) {
    json_decref(values);
    values = NULL;
  }
  return orch_store_dy_update(d, PK, sk,
                              v->description[0] ? "SET #latest = :tver, #up = :up, #tv = :tver, #ta = :tauthor,"
                                                  " #tt = :tat, #ts = :tsrc, #tc = :tcmp, #tk = :ttok, #td = :tdesc"
                                                : "SET #latest = :tver, #up = :up, #tv = :tver, #ta = :tauthor,"
                                                  " #tt = :tat, #ts = :tsrc, #tc = :tcmp, #tk = :ttok REMOVE #td",
                              "#id = :id AND #latest = :old", names, values, err);
}

int orch_store_dy_plan_add_version(void *ctx, int64_t expected_latest, struct orch_store_plan_version *v,
                                   struct orch_error *err) {
  struct orch_store_dy *d = ctx;
  char tok[ORCH_STORE_DY_TOKEN_LEN + 1];
  json_t *src = NULL, *cmp = NULL, *rec = NULL;
  int64_t sent = 0; /* the version of a commit sent and refused or unanswered: it may have landed */
  int rc = orch_store_dy_token(tok, err);
  for (int tries = 0; !rc; tries++) {
    int64_t latest = 0;
    if (tries == ORCH_STORE_DY_TRIES) {
      rc = orch_error_setc(err, ORCH_ECONFLICT, "plan id", "recovery plan %s kept changing; try again", v->plan_id);
      break;
    }
    json_decref(rec);
    if ((rc = orch_store_dy_plan_record(d, v->plan_id, &rec, err)) <= 0) {
      if (rc == 0) rc = plan_missing(v->plan_id, err);
      break;
    }
    /* the last try's commit was refused: by this very write (its answer lost), or by another version */
    if (sent && (rc = version_is(d, rec, sent, tok, err))) {
      if (rc == 1) {
        v->version = sent;
        rc = 0;
      }
      break;
    }
    sent = 0;
    if ((rc = orch_store_dy_num(rec, "latest", 0, &latest, err))) break;
    if (expected_latest && expected_latest != latest) {
      rc = orch_error_setc(err, ORCH_ECONFLICT, "expected_latest",
                           "recovery plan %s is at version %lld, not %lld: someone saved a newer version; reload it",
                           v->plan_id, (long long)latest, (long long)expected_latest);
      break;
    }
    /* the tail's version must be in its own item before the tail is replaced */
    if ((rc = materialize(d, rec, err))) break;
    v->version = latest + 1;
    if (!src && (rc = content_put(d, v, &src, &cmp, err))) break;
    rc = add_commit(d, orch_store_dy_str(rec, "name"), latest, v, src, cmp, tok, err);
    if (!rc) break;
    sent = v->version;
    if (orch_store_dy_condition_failed(rc, err)) rc = 0; /* read again: was it this write? */
  }
  if (!rc) {
    json_t *now = json_object();
    /* the new tail, to write version v's own item (best effort: the next version does it otherwise) */
    if (!now || orch_store_dy_set_s(now, "id", v->plan_id) || tail_set(now, "t_", v, src, cmp, tok) ||
        materialize(d, now, NULL))
      orch_log_debug("dynamodb: plan %s version %lld stays in its record", v->plan_id, (long long)v->version);
    json_decref(now);
  } else if (!sent) { /* nothing committed references them */
    orch_store_dy_blob_drop(d, src);
    orch_store_dy_blob_drop(d, cmp);
  }
  json_decref(src);
  json_decref(cmp);
  json_decref(rec);
  return rc;
}

/* After the record is gone: its pointer, versions and chunks (best effort: they are unreachable). */
static void plan_cleanup(struct orch_store_dy *d, const char *id, const char *name) {
  char pk[ORCH_STORE_DY_KEY_MAX + 1], sk[ORCH_STORE_DY_KEY_MAX + 1];
  orch_store_dy_key_str(sk, "i#", id);
  json_t *names = json_pack("{ss}", "#name", "name"), *values = json_pack("{s{ss}}", ":name", "S", name);
  int rc = orch_store_dy_delete(d, PK, sk, "#name = :name", names, values, NULL);
  plan_pk(pk, id);
  struct orch_store_dy_query q = {.pk = pk, .prefix = ""};
  if (orch_store_dy_purge(d, &q, NULL) || rc)
    orch_log_debug("dynamodb: items of deleted plan %s left behind (unreachable)", id);
}

int orch_store_dy_plan_delete(void *ctx, const char *id, struct orch_error *err) {
  struct orch_store_dy *d = ctx;
  char sk[ORCH_STORE_DY_KEY_MAX + 1], name[ORCH_STORE_NAME_MAX + 1], tok[ORCH_STORE_DY_TOKEN_LEN + 1];
  json_t *rec = NULL;
  int rc = orch_store_dy_plan_record(d, id, &rec, err);
  if (rc <= 0) return rc ? rc : plan_missing(id, err);
  snprintf(name, sizeof name, "%s", orch_store_dy_str(rec, "name") ? orch_store_dy_str(rec, "name") : "");
  json_decref(rec);
  orch_store_dy_key_str(sk, "n#", name);
  /* 1. the flag: executions being created see it and give up */
  if ((rc = orch_store_dy_token(tok, err))) return rc;
  rc = orch_store_dy_update(d, PK, sk, "SET #del = :tok", "#id = :id",
                            json_pack("{ssss}", "#del", "del", "#id", "id"),
                            json_pack("{s{ss}s{ss}}", ":tok", "S", tok, ":id", "S", id), err);
  if (orch_store_dy_condition_failed(rc, err)) return plan_missing(id, err);
  if (rc) return rc;
  /* 2. its executions: any is a refusal; half-made ones are withdrawn */
  if ((rc = orch_store_dy_exec_settle_plan(d, id, err))) {
    if (orch_store_dy_update(d, PK, sk, "REMOVE #del", "#del = :tok", json_pack("{ss}", "#del", "del"),
                             json_pack("{s{ss}}", ":tok", "S", tok), NULL))
      orch_log_debug("dynamodb: plan %s keeps its deletion flag until the next delete", id);
    return rc;
  }
  /* 3. the commit */
  rc = orch_store_dy_delete(d, PK, sk, "#del = :tok", json_pack("{ss}", "#del", "del"),
                            json_pack("{s{ss}}", ":tok", "S", tok), err);
  if (orch_store_dy_condition_failed(rc, err)) {
    rc = orch_store_dy_plan_record(d, id, &rec, err);
    json_decref(rec);
    if (rc >= 0)
      rc = rc ? orch_error_setc(err, ORCH_ECONFLICT, "plan id", "recovery plan %s is being deleted by another request", id)
              : plan_missing(id, err);
  }
  if (!rc) plan_cleanup(d, id, name);
  return rc;
}

int orch_store_dy_plan_get(void *ctx, const char *id, const char *name, struct orch_store_plan *out,
                           struct orch_error *err) {
  struct orch_store_dy *d = ctx;
  char sk[ORCH_STORE_DY_KEY_MAX + 1];
  json_t *rec = NULL;
  int rc;
  if (id) {
    rc = orch_store_dy_plan_record(d, id, &rec, err);
  } else {
    orch_store_dy_key_str(sk, "n#", name);
    rc = orch_store_dy_get(d, PK, sk, NULL, &rec, err);
  }
  if (rc == 1) rc = plan_fill(rec, out, err);
  else if (rc == 0)
    rc = id ? plan_missing(id, err) : orch_error_setc(err, ORCH_ENOTFOUND, "name", "no recovery plan named '%s'", name);
  json_decref(rec);
  if (rc) memset(out, 0, sizeof *out);
  return rc;
}

struct plan_lister {
  struct orch_store_plan_list *out;
  size_t cap, want;
};

static int plan_each(void *ctx, json_t *rec, struct orch_error *err) {
  struct plan_lister *l = ctx;
  if (orch_store_items_reserve((void **)&l->out->items, &l->cap, l->out->count + 1, sizeof *l->out->items))
    return orch_error_set(err, ORCH_ENOMEM, "out of memory listing recovery plans");
  int rc = plan_fill(rec, &l->out->items[l->out->count], err);
  if (rc) return rc;
  return ++l->out->count == l->want;
}

int orch_store_dy_plan_list(void *ctx, const struct orch_store_page *page, struct orch_store_plan_list *out,
                            struct orch_error *err) {
  struct orch_store_dy *d = ctx;
  char after[ORCH_STORE_DY_KEY_MAX + 1];
  struct plan_lister l = {.out = out, .want = page->limit + 1};
  if (page->cursor) orch_store_dy_key_str(after, "n#", page->cursor);
  struct orch_store_dy_query q = {.pk = PK, .prefix = "n#", .start_after = page->cursor ? after : NULL,
                                  .proj = "id, name, latest, created_ms, updated_ms, t_desc", .page = page->limit + 1};
  int rc = orch_store_dy_query(d, &q, plan_each, &l, err);
  if (!rc && out->count == l.want) {
    out->count--;
    snprintf(out->next_cursor, sizeof out->next_cursor, "%s", out->items[out->count - 1].name);
  }
  if (rc) orch_store_plan_list_release(out);
  return rc;
}

/* Version `version` (1..latest) of the plan whose record is `rec`, with its content. */
static int version_read(struct orch_store_dy *d, const json_t *rec, const char *plan_id, int64_t version,
                        struct orch_store_plan_version *out, struct orch_error *err) {
  char pk[ORCH_STORE_DY_KEY_MAX + 1], sk[ORCH_STORE_DY_KEY_MAX + 1];
  int64_t tail = 0;
  json_t *item = NULL;
  int rc = orch_store_dy_num(rec, "t_ver", 0, &tail, err);
  if (rc) return rc;
  if (version == tail) return version_fill(d, rec, "t_", plan_id, true, out, err);
  plan_pk(pk, plan_id);
  orch_store_dy_key_num(sk, "v#", version);
  if ((rc = orch_store_dy_get(d, pk, sk, NULL, &item, err)) == 1) rc = version_fill(d, item, "", plan_id, true, out, err);
  else if (rc == 0)
    rc = orch_error_setc(err, ORCH_ESTORE, plan_id, "version %lld of recovery plan %s is missing from the table",
                         (long long)version, plan_id);
  json_decref(item);
  return rc;
}

int orch_store_dy_version_get(void *ctx, const char *plan_id, int64_t version, struct orch_store_plan_version *out,
                              struct orch_error *err) {
  struct orch_store_dy *d = ctx;
  int rc = ORCH_ECONFLICT;
  /* a plan deleted while its version is read loses its chunks: read again, to find it gone */
  for (int tries = 0; rc == ORCH_ECONFLICT && tries < 3; tries++) {
    json_t *rec = NULL;
    int64_t latest = 0, want = version;
    orch_store_plan_version_release(out);
    rc = orch_store_dy_plan_record(d, plan_id, &rec, err);
    if (rc == 1 && !(rc = orch_store_dy_num(rec, "latest", 0, &latest, err))) {
      if (!want) want = latest;
      rc = want > latest ? orch_error_setc(err, ORCH_ENOTFOUND, "version", "recovery plan %s has no version %lld",
                                           plan_id, (long long)version)
                         : version_read(d, rec, plan_id, want, out, err);
    } else if (rc == 0) {
      rc = plan_missing(plan_id, err);
    }
    json_decref(rec);
  }
  if (rc == ORCH_ECONFLICT) rc = orch_error_setc(err, ORCH_ESTORE, plan_id, "recovery plan %s kept changing while read", plan_id);
  if (rc) orch_store_plan_version_release(out);
  return rc;
}

struct version_lister {
  const char *plan_id;
  struct orch_store_version_list *out;
  size_t cap, want;
};

static int version_add(struct version_lister *l, const json_t *item, const char *pre, struct orch_error *err) {
  if (orch_store_items_reserve((void **)&l->out->items, &l->cap, l->out->count + 1, sizeof *l->out->items))
    return orch_error_set(err, ORCH_ENOMEM, "out of memory listing plan versions");
  int rc = version_fill(NULL, item, pre, l->plan_id, false, &l->out->items[l->out->count], err);
  if (rc) return rc;
  return ++l->out->count == l->want;
}

static int version_each(void *ctx, json_t *item, struct orch_error *err) { return version_add(ctx, item, "", err); }

int orch_store_dy_version_list(void *ctx, const char *plan_id, const struct orch_store_page *page,
                               struct orch_store_version_list *out, struct orch_error *err) {
  struct orch_store_dy *d = ctx;
  char pk[ORCH_STORE_DY_KEY_MAX + 1], after[ORCH_STORE_DY_KEY_MAX + 1];
  long long before = 0;
  int64_t tail = 0;
  json_t *rec = NULL;
  struct version_lister l = {.plan_id = plan_id, .out = out, .want = page->limit + 1};
  if (page->cursor && orch_str_to_ll(page->cursor, 1, INT64_MAX, &before))
    return orch_error_setc(err, ORCH_EINVAL, "cursor", "malformed cursor");
  int rc = orch_store_dy_plan_record(d, plan_id, &rec, err);
  if (rc == 0) rc = plan_missing(plan_id, err);
  if (rc < 0 || (rc = orch_store_dy_num(rec, "t_ver", 0, &tail, err))) goto out;
  /* newest first: the tail (when the page starts above it), then the version items below */
  if (!before || before > tail) {
    if ((rc = version_add(&l, rec, "t_", err)) < 0) goto out;
    before = tail;
  }
  plan_pk(pk, plan_id);
  orch_store_dy_key_num(after, "v#", before);
  struct orch_store_dy_query q = {.pk = pk, .prefix = "v#", .start_after = after, .descending = true,
                                  .proj = VERSION_PROJ, .page = page->limit + 1};
  rc = out->count == l.want ? 0 : orch_store_dy_query(d, &q, version_each, &l, err);
  if (!rc && out->count == l.want) {
    out->count--;
    snprintf(out->next_cursor, sizeof out->next_cursor, "%lld", (long long)out->items[out->count - 1].version);
  }
out:
  json_decref(rec);
  if (rc) orch_store_version_list_release(out);
  return rc;
}
