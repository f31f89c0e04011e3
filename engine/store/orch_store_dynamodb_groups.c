/* orch_store_dynamodb_groups: protection groups in DynamoDB. A group is one record item "g#<id>" with its
 * committed fields and, while a change is in flight, the pending revision `nx` (a creation is a record
 * with only `nx`). Names and server ids are claimed by items "n#<name>" and "s#<account>#<region>#<id>"
 * naming the group (`gid`) and the revision that took it (`rv`). A claim counts only while its group's
 * committed fields still hold that name or server; one that only a pending revision holds may be withdrawn
 * by whoever needs it (its writer then fails), and any other is stale and may be taken over. A write puts
 * its revision, then takes every claim it needs, its own included, with a put conditional on the exact
 * (gid, rv) it judged: a claim whose holder moved on since it was judged is judged again, so a claim is
 * never taken from a group that committed meanwhile. It commits with one conditional update of the record
 * that makes the revision the committed fields; readers only ever look at committed fields. The committed fields carry the group's
 * version `ver` (1 when created, one more per update: the optimistic concurrency of expected_version);
 * a revision is put, and committed, only over the version it was read at.
 * Uses orch_store_dynamodb_item, orch_store_dynamodb_blob, orch_alloc. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/orch_alloc.h"
#include "core/orch_log.h"
#include "store/orch_store_dynamodb_int.h"

#define PK ORCH_STORE_DY_PK_GROUPS
#define RESOLVE_BATCH 100 /* name claims resolved per BatchGetItem while listing */

enum claim_state { CLAIM_FREE, CLAIM_OURS, CLAIM_STALE, CLAIM_PENDING, CLAIM_TAKEN };

/* One name or server a group needs. */
struct claim {
  char sk[ORCH_STORE_DY_KEY_MAX + 1];
  const char *server; /* NULL for the name claim */
  size_t index;       /* in selector.server_ids */
  enum claim_state state;
  char holder[ORCH_STORE_ID_MAX + 1]; /* the group the claim item names ("" when free) */
  char rv[ORCH_STORE_DY_TOKEN_LEN + 1]; /* the revision that took it ("" when free, or none recorded) */
  char holder_name[ORCH_STORE_NAME_MAX + 1];
  char holder_tok[ORCH_STORE_DY_TOKEN_LEN + 1]; /* CLAIM_PENDING: the revision to withdraw */
  bool holder_creating;                          /* CLAIM_PENDING: a creation (no committed fields) */
};

/* A group's fields as written: the attributes shared by the committed state and `nx`. */
struct fields {
  const struct orch_store_group *g; /* g->version: the version the commit writes */
  json_t *sel, *ovr;                /* attribute values (blob_put); ovr NULL when none */
  char tok[ORCH_STORE_DY_TOKEN_LEN + 1];
  int64_t seen; /* the stored `ver` the write is based on; 0: none (a creation, or a record from before versions) */
};

static void record_sk(char sk[ORCH_STORE_DY_KEY_MAX + 1], const char *id) { orch_store_dy_key_str(sk, "g#", id); }

static void server_sk(char sk[ORCH_STORE_DY_KEY_MAX + 1], const char *account, const char *region, const char *server) {
  snprintf(sk, ORCH_STORE_DY_KEY_MAX + 1, "s#%s#%s#%s", account, region, server);
}

static int group_missing(const char *id, struct orch_error *err) {
  return orch_error_setc(err, ORCH_ENOTFOUND, "id", "protection group %s not found", id);
}

static int oom(struct orch_error *err) { return orch_error_set(err, ORCH_ENOMEM, "out of memory writing a protection group"); }

/* ---- Reading records ------------------------------------------------------------------------------ */

static int record_get(struct orch_store_dy *d, const char *id, json_t **item, struct orch_error *err) {
  char sk[ORCH_STORE_DY_KEY_MAX + 1];
  record_sk(sk, id);
  return orch_store_dy_get(d, PK, sk, NULL, item, err);
}

/* The committed fields of a record into `g`. */
static int record_fill(struct orch_store_dy *d, const json_t *item, struct orch_store_group *g, struct orch_error *err) {
  int rc;
  if ((rc = orch_store_dy_copy(item, "id", g->id, sizeof g->id, err)) ||
      (rc = orch_store_dy_copy(item, "name", g->name, sizeof g->name, err)) ||
      (rc = orch_store_dy_copy(item, "account", g->account, sizeof g->account, err)) ||
      (rc = orch_store_dy_copy(item, "region", g->region, sizeof g->region, err)) ||
      (rc = orch_store_dy_num(item, "created_ms", 0, &g->created_ms, err)) ||
      (rc = orch_store_dy_num(item, "updated_ms", 0, &g->updated_ms, err)) ||
      (rc = orch_store_dy_num(item, "ver", 1, &g->version, err)) ||
      (rc = orch_store_dy_json_get(d, item, "sel", "selector", &g->selector, err)) ||
      (rc = orch_store_dy_json_get(d, item, "ovr", "launch_overrides", &g->launch_overrides, err)))
    return rc;
  return g->selector ? 0 : orch_error_setc(err, ORCH_ESTORE, g->id, "stored protection group has no selector");
}

/* Whether `state` (a record's committed attributes, or its nx map) holds the claim. */
static int state_holds(struct orch_store_dy *d, const json_t *state, const struct claim *c, const char *name,
                       bool *holds, struct orch_error *err) {
  *holds = false;
  const char *sname = orch_store_dy_str(state, "name");
  if (!state || !sname) return 0;
  if (!c->server) {
    *holds = strcmp(sname, name) == 0;
    return 0;
  }
  char sk[ORCH_STORE_DY_KEY_MAX + 1];
  json_t *sel = NULL;
  const char *account = orch_store_dy_str(state, "account"), *region = orch_store_dy_str(state, "region");
  int rc = orch_store_dy_json_get(d, state, "sel", "selector", &sel, err);
  if (rc) return rc;
  const json_t *ids = json_object_get(sel, "server_ids"), *v;
  size_t i;
  json_array_foreach(ids, i, v) {
    server_sk(sk, account ? account : "", region ? region : "", json_string_value(v) ? json_string_value(v) : "");
    if (strcmp(sk, c->sk) == 0) *holds = true;
  }
  json_decref(sel);
  return 0;
}

/* Classify claim `c` held by c->holder (record `rec`, NULL when gone) for group `me`. */
static int classify(struct orch_store_dy *d, const char *me, const char *name, const json_t *rec, struct claim *c,
                    struct orch_error *err) {
  bool committed = false, pending = false;
  const json_t *nx = json_object_get(json_object_get(rec, "nx"), "M");
  int rc = 0;
  if (!c->holder[0]) return c->state = CLAIM_FREE, 0;
  if (strcmp(c->holder, me) == 0) return c->state = CLAIM_OURS, 0;
  if (rec && (rc = state_holds(d, rec, c, name, &committed, err))) return rc;
  if (rec && !committed && nx && (rc = state_holds(d, nx, c, name, &pending, err))) return rc;
  c->state = committed ? CLAIM_TAKEN : pending ? CLAIM_PENDING : CLAIM_STALE;
  const char *hname = orch_store_dy_str(committed ? rec : nx, "name");
  snprintf(c->holder_name, sizeof c->holder_name, "%s", hname ? hname : "?");
  if (pending) {
    snprintf(c->holder_tok, sizeof c->holder_tok, "%s", orch_store_dy_str(nx, "tok") ? orch_store_dy_str(nx, "tok") : "");
    c->holder_creating = !orch_store_dy_str(rec, "name");
  }
  return 0;
}

/* The refusal for a claim another group's committed fields hold. */
static int claim_taken(const struct orch_store_group *g, const struct claim *c, struct orch_error *err) {
  if (!c->server)
    return orch_error_setc(err, ORCH_EEXIST, "name", "a protection group named '%s' already exists", g->name);
  char path[64];
  snprintf(path, sizeof path, "selector.server_ids[%zu]", c->index);
  return orch_error_setc(err, ORCH_ECONFLICT, path, "server %s (%s, %s) is already in protection group '%s'", c->server,
                         g->account, g->region, c->holder_name);
}

/* Withdraw the pending revision `tok` of group `id` (a creation: its whole record). Someone else having
 * committed or withdrawn it first is no failure: the claim is then re-read. */
static int withdraw(struct orch_store_dy *d, const char *id, const char *tok, bool creating, struct orch_error *err) {
  char sk[ORCH_STORE_DY_KEY_MAX + 1];
  record_sk(sk, id);
  json_t *values = json_pack("{s{ss}}", ":tok", "S", tok);
  int rc = creating ? orch_store_dy_delete(d, PK, sk, "#nx.#tok = :tok AND attribute_not_exists(#name)",
                                           json_pack("{ssssss}", "#nx", "nx", "#tok", "tok", "#name", "name"), values, err)
                    : orch_store_dy_update(d, PK, sk, "REMOVE #nx", "#nx.#tok = :tok",
                                           json_pack("{ssss}", "#nx", "nx", "#tok", "tok"), values, err);
  return orch_store_dy_condition_failed(rc, err) ? 0 : rc;
}

/* ---- Claims --------------------------------------------------------------------------------------- */

/* The claims group g needs: its name, then each explicit server id. *out is the caller's (orch_free). */
static int claims_of(const struct orch_store_group *g, struct claim **out, size_t *n, struct orch_error *err) {
  const json_t *ids = json_object_get(g->selector, "server_ids");
  *n = 1 + json_array_size(ids);
  *out = orch_calloc(*n, sizeof **out);
  if (!*out) return oom(err);
  orch_store_dy_key_str((*out)[0].sk, "n#", g->name);
  for (size_t i = 0; i < json_array_size(ids); i++) {
    struct claim *c = &(*out)[i + 1];
    c->server = json_string_value(json_array_get(ids, i));
    c->index = i;
    server_sk(c->sk, g->account, g->region, c->server);
  }
  return 0;
}

/* Read each claim item and the records of the groups they name, and classify the claims. */
static int claims_read(struct orch_store_dy *d, const struct orch_store_group *g, struct claim *cs, size_t n,
                       struct orch_error *err) {
  json_t *keys = json_array(), *found = NULL, *recs = NULL, *rkeys = json_array();
  int rc = keys && rkeys ? 0 : oom(err);
  for (size_t i = 0; !rc && i < n; i++) {
    cs[i].holder[0] = cs[i].rv[0] = '\0';
    if (json_array_append_new(keys, orch_store_dy_key(PK, cs[i].sk))) rc = oom(err);
  }
  if (!rc) rc = orch_store_dy_batch_get(d, keys, "sk, gid, rv", &found, err);
  size_t i;
  json_t *it;
  json_array_foreach(found, i, it) {
    const char *sk = orch_store_dy_str(it, "sk"), *gid = orch_store_dy_str(it, "gid"), *rv = orch_store_dy_str(it, "rv");
    for (size_t k = 0; !rc && sk && k < n; k++)
      if (strcmp(cs[k].sk, sk) == 0) {
        snprintf(cs[k].holder, sizeof cs[k].holder, "%s", gid ? gid : "?");
        snprintf(cs[k].rv, sizeof cs[k].rv, "%s", rv ? rv : "");
      }
  }
  for (size_t k = 0; !rc && k < n; k++) {
    char sk[ORCH_STORE_DY_KEY_MAX + 1];
    if (!cs[k].holder[0] || strcmp(cs[k].holder, g->id) == 0) continue;
    record_sk(sk, cs[k].holder);
    if (json_array_append_new(rkeys, orch_store_dy_key(PK, sk))) rc = oom(err);
  }
  if (!rc && json_array_size(rkeys)) rc = orch_store_dy_batch_get(d, rkeys, NULL, &recs, err);
  for (size_t k = 0; !rc && k < n; k++) {
    const json_t *rec = NULL;
    json_array_foreach(recs, i, it) {
      if (cs[k].holder[0] && orch_store_dy_str(it, "id") && strcmp(orch_store_dy_str(it, "id"), cs[k].holder) == 0)
        rec = it;
    }
    rc = classify(d, g->id, g->name, rec, &cs[k], err);
  }
  json_decref(keys);
  json_decref(rkeys);
  json_decref(found);
  json_decref(recs);
  return rc;
}

/* The check before anything is written: a claim another group holds is the refusal (name first, then
 * servers in order). */
static int claims_check(struct orch_store_dy *d, const struct orch_store_group *g, struct claim *cs, size_t n,
                        struct orch_error *err) {
  int rc = claims_read(d, g, cs, n, err);
  for (size_t k = 0; !rc && k < n; k++)
    if (cs[k].state == CLAIM_TAKEN) rc = claim_taken(g, &cs[k], err);
  return rc;
}

/* Put claim c for revision f, conditional on the claim item being exactly what was judged: absent, or
 * naming c->holder and c->rv. */
static int claim_put(struct orch_store_dy *d, const struct fields *f, const struct claim *c, struct orch_error *err) {
  json_t *item = json_pack("{s{ss}s{ss}s{ss}s{ss}}", "pk", "S", PK, "sk", "S", c->sk, "gid", "S", f->g->id, "rv", "S",
                           f->tok);
  if (!c->holder[0]) return orch_store_dy_put(d, item, "attribute_not_exists(pk)", NULL, NULL, err);
  json_t *names = json_pack("{ssss}", "#gid", "gid", "#rv", "rv");
  json_t *values = json_pack("{s{ss}}", ":old", "S", c->holder);
  if (values && c->rv[0] && orch_store_dy_set_s(values, ":rv", c->rv)) {
    json_decref(values);
    values = NULL;
  }
  return orch_store_dy_put(d, item, c->rv[0] ? "#gid = :old AND #rv = :rv" : "#gid = :old AND attribute_not_exists(#rv)",
                           names, values, err);
}

/* Take one claim for revision f: a put over exactly what was judged (free, stale, or ours from an earlier
 * revision), which also fences off anyone who judged the old holder stale. A pending revision in the way
 * is withdrawn first; after that, and after any put whose condition failed, the claim is read and judged
 * again (the holder may have committed meanwhile). */
static int claim_take(struct orch_store_dy *d, const struct fields *f, struct claim *c, struct orch_error *err) {
  for (int tries = 0; tries < ORCH_STORE_DY_TRIES; tries++) {
    int rc;
    if (c->state == CLAIM_OURS && strcmp(c->rv, f->tok) == 0) return 0;
    if (c->state == CLAIM_TAKEN) return claim_taken(f->g, c, err);
    if (c->state == CLAIM_PENDING) {
      rc = withdraw(d, c->holder, c->holder_tok, c->holder_creating, err);
    } else {
      rc = claim_put(d, f, c, err);
      if (!orch_store_dy_condition_failed(rc, err)) return rc;
      rc = 0;
    }
    if (rc || (rc = claims_read(d, f->g, c, 1, err))) return rc;
  }
  return orch_error_setc(err, ORCH_ECONFLICT, "selector", "protection groups kept changing while claiming '%s'",
                         c->server ? c->server : f->g->name);
}

/* Drop the claims deleted group `id` holds on items in cs (cleanup after the delete: best effort; group
 * ids are never reused, so a claim naming it is its own). */
static void claims_release(struct orch_store_dy *d, const char *id, const struct claim *cs, size_t n) {
  for (size_t k = 0; k < n; k++) {
    json_t *names = json_pack("{ss}", "#gid", "gid"), *values = json_pack("{s{ss}}", ":me", "S", id);
    if (orch_store_dy_delete(d, PK, cs[k].sk, "#gid = :me", names, values, NULL))
      orch_log_debug("dynamodb: claim %s of group %s left behind (stale)", cs[k].sk, id);
  }
}

/* Drop what group `id` (of old name `name`) no longer holds among claims cs, after an update committed
 * (best effort). Each claim is judged afresh, and dropped only while it still names the group and the
 * revision judged and neither the group's committed fields nor its pending revision hold it: a later
 * update that takes the claim back re-puts it under its own revision first, so it is never dropped. */
static void claims_release_unheld(struct orch_store_dy *d, const char *id, const char *name, struct claim *cs,
                                  size_t n) {
  struct orch_store_group judge = {0}; /* no group is "ours": every holder is judged by its record */
  snprintf(judge.name, sizeof judge.name, "%s", name);
  if (claims_read(d, &judge, cs, n, NULL)) return;
  for (size_t k = 0; k < n; k++) {
    if (strcmp(cs[k].holder, id) != 0 || cs[k].state != CLAIM_STALE) continue;
    json_t *names = json_pack("{ssss}", "#gid", "gid", "#rv", "rv"), *values = json_pack("{s{ss}}", ":me", "S", id);
    if (values && cs[k].rv[0] && orch_store_dy_set_s(values, ":rv", cs[k].rv)) {
      json_decref(values);
      values = NULL;
    }
    if (orch_store_dy_delete(d, PK, cs[k].sk, cs[k].rv[0] ? "#gid = :me AND #rv = :rv" : "#gid = :me AND attribute_not_exists(#rv)",
                             names, values, NULL))
      orch_log_debug("dynamodb: claim %s of group %s left behind (stale)", cs[k].sk, id);
  }
}

/* ---- Writing ---------------------------------------------------------------------------------- */

static void fields_free(struct fields *f) {
  json_decref(f->sel);
  json_decref(f->ovr);
}

static int fields_make(struct orch_store_dy *d, const struct orch_store_group *g, struct fields *f,
                       struct orch_error *err) {
  memset(f, 0, sizeof *f);
  f->g = g;
  int rc = orch_store_dy_token(f->tok, err);
  if (!rc) rc = orch_store_dy_json_put(d, PK, g->selector, "selector", &f->sel, err);
  if (!rc) rc = orch_store_dy_json_put(d, PK, g->launch_overrides, "launch_overrides", &f->ovr, err);
  return rc;
}

/* The pending revision: {"M": {tok, name, account, region, sel, ovr?, updated_ms}}. */
static json_t *fields_nx(const struct fields *f) {
  json_t *m = json_pack("{s{ss}s{ss}s{ss}s{ss}sO}", "tok", "S", f->tok, "name", "S", f->g->name, "account", "S",
                        f->g->account, "region", "S", f->g->region, "sel", f->sel);
  if (m && (orch_store_dy_set(m, "ovr", json_incref(f->ovr)) || orch_store_dy_set_n(m, "updated_ms", f->g->updated_ms))) {
    json_decref(m);
    m = NULL;
  }
  return m ? json_pack("{so}", "M", m) : NULL;
}

/* The condition that the record is still at the version f was based on (placeholders #ver, :seen). */
static const char *version_cond(const struct fields *f) {
  return f->seen ? "#ver = :seen" : "attribute_not_exists(#ver)";
}

/* Add :seen to `values` when version_cond uses it; ORCH_ENOMEM on failure. */
static int version_value(const struct fields *f, json_t *values) {
  return f->seen ? orch_store_dy_set_n(values, ":seen", f->seen) : 0;
}

/* Commit: the revision becomes the committed fields, in one conditional update of the record. */
static int commit(struct orch_store_dy *d, const struct fields *f, struct orch_error *err) {
  char sk[ORCH_STORE_DY_KEY_MAX + 1], cond[64];
  record_sk(sk, f->g->id);
  snprintf(cond, sizeof cond, "#nx.#tok = :tok AND %s", version_cond(f));
  json_t *names = json_pack("{ss ss ss ss ss ss ss ss ss ss ss}", "#nx", "nx", "#tok", "tok", "#name", "name",
                            "#account", "account", "#region", "region", "#sel", "sel", "#ovr", "ovr", "#up", "updated_ms",
                            "#exp", "expires_at", "#ver", "ver", "#rv", "rv");
  json_t *values = json_pack("{s{ss}s{ss}s{ss}s{ss}sO}", ":tok", "S", f->tok, ":name", "S", f->g->name, ":account",
                             "S", f->g->account, ":region", "S", f->g->region, ":sel", f->sel);
  if (values && (orch_store_dy_set_n(values, ":up", f->g->updated_ms) || orch_store_dy_set_n(values, ":ver", f->g->version) ||
                 version_value(f, values) || (f->ovr && orch_store_dy_set(values, ":ovr", json_incref(f->ovr))))) {
    json_decref(values);
    values = NULL;
  }
  const char *update = f->ovr ? "SET #name = :name, #account = :account, #region = :region, #sel = :sel, #ovr = :ovr,"
                                " #up = :up, #ver = :ver, #rv = :tok REMOVE #nx, #exp"
                              : "SET #name = :name, #account = :account, #region = :region, #sel = :sel, #up = :up,"
                                " #ver = :ver, #rv = :tok REMOVE #nx, #exp, #ovr";
  if (!names || !values) {
    json_decref(names);
    json_decref(values);
    return oom(err);
  }
  int rc = orch_store_dy_update(d, PK, sk, update, cond, names, values, err);
  if (!orch_store_dy_condition_failed(rc, err)) return rc;
  /* this commit, landed with its answer lost, when the committed fields carry its revision */
  if ((rc = orch_store_dy_landed(d, PK, sk, "rv", f->tok, err)) != 0) return rc == 1 ? 0 : rc;
  return orch_error_setc(err, ORCH_ECONFLICT, "id",
                         "protection group %s was changed by another writer at the same time; try again", f->g->id);
}

/* Take every claim, then commit. On failure the revision is withdrawn (its claims go stale). */
static int claim_and_commit(struct orch_store_dy *d, const struct fields *f, struct claim *cs, size_t n,
                            bool creating, struct orch_error *err) {
  int rc = 0;
  for (size_t k = 0; !rc && k < n; k++) rc = claim_take(d, f, &cs[k], err);
  if (!rc) rc = commit(d, f, err);
  if (rc) (void)withdraw(d, f->g->id, f->tok, creating, NULL);
  return rc;
}

int orch_store_dy_group_create(void *ctx, const struct orch_store_group *g, struct orch_error *err) {
  struct orch_store_dy *d = ctx;
  struct claim *cs = NULL;
  struct fields f;
  size_t n = 0;
  char sk[ORCH_STORE_DY_KEY_MAX + 1];
  int rc = fields_make(d, g, &f, err);
  if (!rc) rc = claims_of(g, &cs, &n, err);
  if (!rc) rc = claims_check(d, g, cs, n, err);
  if (rc) goto out;
  /* the record as a creation: only the revision, expiring if it is never committed */
  record_sk(sk, g->id);
  json_t *item = json_pack("{s{ss}s{ss}s{ss}so}", "pk", "S", PK, "sk", "S", sk, "id", "S", g->id, "nx", fields_nx(&f));
  if (!item || orch_store_dy_set_n(item, "created_ms", g->created_ms) ||
      orch_store_dy_set_n(item, "expires_at", g->created_ms / 1000 + ORCH_STORE_DY_PENDING_TTL_S)) {
    json_decref(item);
    rc = oom(err);
    goto out;
  }
  if ((rc = orch_store_dy_put_fresh(d, item, err))) goto out;
  rc = claim_and_commit(d, &f, cs, n, true, err);
out:
  fields_free(&f);
  orch_free(cs);
  return rc;
}

static int version_conflict(const char *id, int64_t stored, int64_t expected, struct orch_error *err) {
  return orch_error_setc(err, ORCH_ECONFLICT, "expected_version",
                         "protection group %s is at version %lld, not %lld: someone changed it; reload it", id,
                         (long long)stored, (long long)expected);
}

/* Put revision f in record `rec` (read at version f->seen), replacing any other writer's pending one.
 * ORCH_ECONFLICT (context "condition") when the record moved on since it was read. */
static int revision_put(struct orch_store_dy *d, const json_t *rec, const struct fields *f, struct orch_error *err) {
  char sk[ORCH_STORE_DY_KEY_MAX + 1], cond[128];
  const char *other = orch_store_dy_str(json_object_get(json_object_get(rec, "nx"), "M"), "tok");
  snprintf(cond, sizeof cond, "attribute_exists(#name) AND %s AND %s",
           other ? "#nx.#tok = :other" : "attribute_not_exists(#nx)", version_cond(f));
  json_t *names = json_pack("{ssssssss}", "#nx", "nx", "#tok", "tok", "#name", "name", "#ver", "ver");
  json_t *values = json_pack("{so}", ":nx", fields_nx(f));
  if (values && ((other && orch_store_dy_set_s(values, ":other", other)) || version_value(f, values))) {
    json_decref(values);
    values = NULL;
  }
  if (names && !other) json_object_del(names, "#tok");
  record_sk(sk, f->g->id);
  return orch_store_dy_update(d, PK, sk, "SET #nx = :nx", cond, names, values, err);
}

/* One try of an update over the record as it is now. *again when the record moved on between the read
 * and the revision's put (another update committed, or another revision came): read it again. */
static int update_once(struct orch_store_dy *d, struct orch_store_group *g, int64_t expected, struct fields *f,
                       bool *again, struct orch_error *err) {
  struct claim *cs = NULL, *old = NULL;
  struct orch_store_group was = {0};
  size_t n = 0, nold = 0;
  json_t *rec = NULL;
  *again = false;
  int rc = record_get(d, g->id, &rec, err);
  if (rc < 0) goto out;
  if (!orch_store_dy_str(rec, "name")) { /* none, or only a creation in flight */
    rc = group_missing(g->id, err);
    goto out;
  }
  if ((rc = record_fill(d, rec, &was, err)) || (rc = orch_store_dy_num(rec, "created_ms", 0, &g->created_ms, err)))
    goto out;
  if (expected && expected != was.version) {
    rc = version_conflict(g->id, was.version, expected, err);
    goto out;
  }
  f->seen = json_object_get(rec, "ver") ? was.version : 0;
  g->version = was.version + 1;
  if ((rc = claims_of(g, &cs, &n, err)) || (rc = claims_of(&was, &old, &nold, err)) ||
      (rc = claims_check(d, g, cs, n, err)))
    goto out;
  rc = revision_put(d, rec, f, err);
  if (orch_store_dy_condition_failed(rc, err)) {
    *again = true;
    rc = orch_error_setc(err, ORCH_ECONFLICT, "id", "protection group %s kept changing while being updated; try again",
                         g->id);
  }
  if (rc || (rc = claim_and_commit(d, f, cs, n, false, err))) goto out;
  /* committed: let go of what the old fields held and the new ones do not */
  for (size_t k = 0; k < nold; k++)
    for (size_t j = 0; j < n; j++)
      if (strcmp(old[k].sk, cs[j].sk) == 0) old[k].sk[0] = '\0';
  size_t drop = 0;
  for (size_t k = 0; k < nold; k++)
    if (old[k].sk[0]) old[drop++] = old[k];
  claims_release_unheld(d, g->id, was.name, old, drop);
  orch_store_dy_blob_drop(d, json_object_get(rec, "sel"));
  orch_store_dy_blob_drop(d, json_object_get(rec, "ovr"));
out:
  orch_free(cs);
  orch_free(old);
  orch_store_group_release(&was);
  json_decref(rec);
  return rc;
}

int orch_store_dy_group_update(void *ctx, struct orch_store_group *g, int64_t expected_version, struct orch_error *err) {
  struct orch_store_dy *d = ctx;
  struct fields f;
  bool again = true;
  int rc = fields_make(d, g, &f, err);
  for (int tries = 0; !rc && again && tries < ORCH_STORE_DY_TRIES; tries++) {
    rc = update_once(d, g, expected_version, &f, &again, err);
    if (again) rc = 0;
  }
  if (!rc && again)
    rc = orch_error_setc(err, ORCH_ECONFLICT, "id", "protection group %s kept changing while being updated; try again",
                         g->id);
  fields_free(&f);
  return rc;
}

int orch_store_dy_group_delete(void *ctx, const char *id, struct orch_error *err) {
  struct orch_store_dy *d = ctx;
  struct orch_store_group was = {0};
  struct claim *cs = NULL;
  size_t n = 0;
  json_t *rec = NULL;
  char sk[ORCH_STORE_DY_KEY_MAX + 1];
  int rc = record_get(d, id, &rec, err);
  if (rc < 0) goto out;
  if (!rc || !orch_store_dy_str(rec, "name")) {
    rc = group_missing(id, err);
    goto out;
  }
  if ((rc = record_fill(d, rec, &was, err)) || (rc = claims_of(&was, &cs, &n, err))) goto out;
  record_sk(sk, id);
  json_t *names = json_pack("{ss}", "#name", "name");
  rc = orch_store_dy_delete(d, PK, sk, "attribute_exists(#name)", names, NULL, err);
  if (orch_store_dy_condition_failed(rc, err)) rc = group_missing(id, err);
  if (rc) goto out;
  /* deleted: the claims and chunks are unreachable now; remove them (best effort) */
  claims_release(d, id, cs, n);
  orch_store_dy_blob_drop(d, json_object_get(rec, "sel"));
  orch_store_dy_blob_drop(d, json_object_get(rec, "ovr"));
out:
  orch_store_group_release(&was);
  orch_free(cs);
  json_decref(rec);
  return rc;
}

/* The committed group behind name claim `claim` (the claim item), 1 when live, 0 when stale. */
static int resolve_name(struct orch_store_dy *d, const char *name, const json_t *rec, struct orch_store_group *out,
                        struct orch_error *err) {
  const char *committed = orch_store_dy_str(rec, "name");
  if (!rec || !committed || strcmp(committed, name) != 0) return 0;
  int rc = record_fill(d, rec, out, err);
  return rc ? rc : 1;
}

int orch_store_dy_group_get(void *ctx, const char *id, const char *name, struct orch_store_group *out,
                            struct orch_error *err) {
  struct orch_store_dy *d = ctx;
  json_t *rec = NULL, *claim = NULL;
  char sk[ORCH_STORE_DY_KEY_MAX + 1];
  int rc;
  if (id) {
    rc = record_get(d, id, &rec, err);
    if (rc == 1) rc = orch_store_dy_str(rec, "name") ? record_fill(d, rec, out, err) : group_missing(id, err);
    else if (rc == 0) rc = group_missing(id, err);
  } else {
    orch_store_dy_key_str(sk, "n#", name);
    rc = orch_store_dy_get(d, PK, sk, NULL, &claim, err);
    const char *gid = rc == 1 ? orch_store_dy_str(claim, "gid") : NULL;
    if (rc >= 0) rc = gid ? record_get(d, gid, &rec, err) : 0;
    if (rc == 1) rc = resolve_name(d, name, rec, out, err);
    if (rc == 0) rc = orch_error_setc(err, ORCH_ENOTFOUND, "name", "no protection group named '%s'", name);
    if (rc == 1) rc = 0;
  }
  if (rc) orch_store_group_release(out);
  json_decref(rec);
  json_decref(claim);
  return rc;
}

/* ---- Listing ------------------------------------------------------------------------------------ */

struct lister {
  struct orch_store_dy *d;
  const struct orch_store_group_filter *f;
  struct orch_store_group_list *out;
  size_t cap, want; /* want = limit + 1: the extra one says a next page exists */
  json_t *pending;  /* name claims not yet resolved */
};

/* Whether `hay` holds `needle`, ASCII letters matching either case ("" is in everything). */
static bool contains_ci(const char *hay, const char *needle) {
  size_t n = strlen(needle);
  for (; strlen(hay) >= n; hay++) {
    size_t i = 0;
    while (i < n && tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i])) i++;
    if (i == n) return true;
  }
  return false;
}

static bool filter_match(const struct orch_store_group_filter *f, const struct orch_store_group *g) {
  return (!f->name_contains || contains_ci(g->name, f->name_contains)) &&
         (!f->account || strcmp(g->account, f->account) == 0) && (!f->region || strcmp(g->region, f->region) == 0);
}

/* Resolve the pending name claims (in name order) into live groups that the filter matches. */
static int lister_flush(struct lister *l, struct orch_error *err) {
  json_t *keys = json_array(), *recs = NULL, *claim;
  size_t i, j;
  int rc = keys ? 0 : oom(err);
  json_array_foreach(l->pending, i, claim) {
    char sk[ORCH_STORE_DY_KEY_MAX + 1];
    record_sk(sk, orch_store_dy_str(claim, "gid") ? orch_store_dy_str(claim, "gid") : "");
    if (!rc && json_array_append_new(keys, orch_store_dy_key(PK, sk))) rc = oom(err);
  }
  if (!rc && json_array_size(keys)) rc = orch_store_dy_batch_get(l->d, keys, NULL, &recs, err);
  json_array_foreach(l->pending, i, claim) {
    const char *gid = orch_store_dy_str(claim, "gid"), *sk = orch_store_dy_str(claim, "sk");
    const json_t *rec = NULL, *r;
    json_array_foreach(recs, j, r) {
      if (gid && orch_store_dy_str(r, "id") && strcmp(orch_store_dy_str(r, "id"), gid) == 0) rec = r;
    }
    if (rc || l->out->count == l->want || !sk) continue;
    if ((rc = orch_store_items_reserve((void **)&l->out->items, &l->cap, l->out->count + 1, sizeof *l->out->items))) {
      rc = oom(err);
      continue;
    }
    rc = resolve_name(l->d, sk + 2, rec, &l->out->items[l->out->count], err);
    if (rc == 1 && filter_match(l->f, &l->out->items[l->out->count])) l->out->count++, rc = 0;
    else {
      orch_store_group_release(&l->out->items[l->out->count]);
      if (rc == 1) rc = 0;
    }
  }
  json_decref(keys);
  json_decref(recs);
  json_array_clear(l->pending);
  return rc;
}

static int lister_each(void *ctx, json_t *claim, struct orch_error *err) {
  struct lister *l = ctx;
  if (json_array_append(l->pending, claim)) return oom(err);
  if (json_array_size(l->pending) < RESOLVE_BATCH && json_array_size(l->pending) < l->want - l->out->count) return 0;
  int rc = lister_flush(l, err);
  return rc ? rc : l->out->count == l->want;
}

int orch_store_dy_group_list(void *ctx, const struct orch_store_group_filter *f, const struct orch_store_page *page,
                             struct orch_store_group_list *out, struct orch_error *err) {
  struct orch_store_dy *d = ctx;
  char after[ORCH_STORE_DY_KEY_MAX + 1];
  struct lister l = {.d = d, .f = f, .out = out, .want = page->limit + 1, .pending = json_array()};
  if (page->cursor) orch_store_dy_key_str(after, "n#", page->cursor);
  struct orch_store_dy_query q = {.pk = PK, .prefix = "n#", .start_after = page->cursor ? after : NULL,
                                  .proj = "sk, gid", .page = page->limit + 1};
  int rc = l.pending ? orch_store_dy_query(d, &q, lister_each, &l, err) : oom(err);
  if (!rc && json_array_size(l.pending)) rc = lister_flush(&l, err);
  json_decref(l.pending);
  if (!rc && out->count == l.want) {
    out->count--;
    orch_store_group_release(&out->items[out->count]);
    snprintf(out->next_cursor, sizeof out->next_cursor, "%s", out->items[out->count - 1].name);
  }
  if (rc || !out->count) orch_store_group_list_release(out); /* nothing found holds no array either */
  return rc;
}
