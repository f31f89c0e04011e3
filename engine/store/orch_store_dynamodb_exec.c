/* orch_store_dynamodb_exec: executions in DynamoDB. Every execution is one record item "x#<id>" in the
 * "execs" partition (ids are UUIDv7, so the partition lists them newest first), which is also its
 * journal's head and holds its lease. Creating one races a plan's deletion without a transaction: the
 * record is written half-made (`pend`), the plan is read again (a deletion flags it first), and one
 * conditional update removing `pend` commits; a deletion withdraws half-made records it finds. Updates
 * are conditional on the record's revision `rv`, so the row they return is the row committed. A refused
 * commit reads the record first: a write whose answer was lost recognises itself there. A
 * finished drill's or dry run's records get the TTL attribute `expires_at`.
 * Uses orch_store_dynamodb_item, orch_store_dynamodb_blob, orch_store_valid, orch_buf. */
#include <stdio.h>
#include <string.h>

#include "core/orch_buf.h"
#include "core/orch_log.h"
#include "store/orch_store_dynamodb_int.h"
#include "store/orch_store_valid.h"

#define PK ORCH_STORE_DY_PK_EXECS
#define EXEC_PROJ "id, plan_id, plan_ver, mode, status, by, created_ms, started_ms, ended_ms, summary, pend, rv"

static int exec_missing(const char *id, struct orch_error *err) {
  return orch_error_setc(err, ORCH_ENOTFOUND, "execution id", "execution %s not found", id);
}

static int oom(struct orch_error *err) { return orch_error_set(err, ORCH_ENOMEM, "out of memory writing an execution"); }

void orch_store_dy_exec_pk(char out[ORCH_STORE_DY_KEY_MAX + 1], const char *exec_id) {
  orch_store_dy_key_str(out, "exec#", exec_id);
}

static void exec_sk(char out[ORCH_STORE_DY_KEY_MAX + 1], const char *id) { orch_store_dy_key_str(out, "x#", id); }

int orch_store_dy_exec_record(struct orch_store_dy *d, const char *exec_id, const char *proj, json_t **item,
                              struct orch_error *err) {
  char sk[ORCH_STORE_DY_KEY_MAX + 1];
  exec_sk(sk, exec_id);
  int rc = orch_store_dy_get(d, PK, sk, proj, item, err);
  if (rc == 1 && json_object_get(*item, "pend")) { /* half-made: not there yet, or abandoned */
    json_decref(*item);
    *item = NULL;
    rc = 0;
  }
  return rc;
}

static int exec_fill(struct orch_store_dy *d, const json_t *it, struct orch_store_exec *x, struct orch_error *err) {
  int rc;
  if ((rc = orch_store_dy_copy(it, "id", x->id, sizeof x->id, err)) ||
      (rc = orch_store_dy_copy(it, "plan_id", x->plan_id, sizeof x->plan_id, err)) ||
      (rc = orch_store_dy_copy(it, "by", x->started_by, sizeof x->started_by, err)) ||
      (rc = orch_store_dy_num(it, "plan_ver", 0, &x->plan_version, err)) ||
      (rc = orch_store_dy_num(it, "created_ms", 0, &x->created_ms, err)) ||
      (rc = orch_store_dy_num(it, "started_ms", 0, &x->started_ms, err)) ||
      (rc = orch_store_dy_num(it, "ended_ms", 0, &x->ended_ms, err)))
    return rc;
  const char *mode = orch_store_dy_str(it, "mode"), *status = orch_store_dy_str(it, "status");
  if (orch_store_mode_parse(mode, &x->mode, NULL) || orch_store_status_parse(status, &x->status, NULL))
    return orch_error_setc(err, ORCH_ESTORE, x->id, "stored execution has an unknown mode '%s' or status '%s'",
                           mode ? mode : "", status ? status : "");
  return orch_store_dy_json_get(d, it, "summary", "summary", &x->summary, err);
}

/* ---- Creating ------------------------------------------------------------------------------------- */

/* The plan of x, read (again): 0 when it can run x, else ENOTFOUND / ECONFLICT. Resolves version 0. */
static int plan_check(struct orch_store_dy *d, struct orch_store_exec *x, struct orch_error *err) {
  json_t *rec = NULL;
  int64_t latest = 0;
  int rc = orch_store_dy_plan_record(d, x->plan_id, &rec, err);
  if (rc == 0) rc = orch_error_setc(err, ORCH_ENOTFOUND, "plan_id", "recovery plan %s not found", x->plan_id);
  if (rc < 0 || (rc = orch_store_dy_num(rec, "latest", 0, &latest, err))) goto out;
  if (json_object_get(rec, "del")) {
    rc = orch_error_setc(err, ORCH_ECONFLICT, "plan_id", "recovery plan %s is being deleted", x->plan_id);
  } else if (x->plan_version > latest) {
    rc = orch_error_setc(err, ORCH_ENOTFOUND, "plan_version", "recovery plan %s has no version %lld", x->plan_id,
                         (long long)x->plan_version);
  } else if (!x->plan_version) {
    x->plan_version = latest;
  }
out:
  json_decref(rec);
  return rc;
}

/* Withdraw the half-made record `id` written under `tok` (0 when someone committed or removed it). */
static int withdraw(struct orch_store_dy *d, const char *id, const char *tok, struct orch_error *err) {
  char sk[ORCH_STORE_DY_KEY_MAX + 1];
  exec_sk(sk, id);
  int rc = orch_store_dy_delete(d, PK, sk, "#pend = :tok", json_pack("{ss}", "#pend", "pend"),
                                json_pack("{s{ss}}", ":tok", "S", tok), err);
  return rc == ORCH_ECONFLICT ? ORCH_ECONFLICT : rc;
}

/* After a write of record `id` was refused: whether it is there as that write left it (an answer lost,
 * its retry refused): half-made under `tok` (the first put), or committed (`tok` NULL: the commit; only
 * this writer's put made x#<id>, and a deletion withdraws it rather than commit it). 1 when it is, 0 when
 * not, or an error reading it. */
static int create_landed(struct orch_store_dy *d, const char *id, const char *tok, struct orch_error *err) {
  char sk[ORCH_STORE_DY_KEY_MAX + 1];
  json_t *rec = NULL;
  exec_sk(sk, id);
  int rc = orch_store_dy_get(d, PK, sk, "id, pend", &rec, err);
  if (rc == 1) {
    const char *pend = orch_store_dy_str(rec, "pend");
    rc = tok ? pend && strcmp(pend, tok) == 0 : !pend;
  }
  json_decref(rec);
  return rc;
}

int orch_store_dy_exec_create(void *ctx, struct orch_store_exec *x, struct orch_error *err) {
  struct orch_store_dy *d = ctx;
  char pk[ORCH_STORE_DY_KEY_MAX + 1], sk[ORCH_STORE_DY_KEY_MAX + 1], tok[ORCH_STORE_DY_TOKEN_LEN + 1];
  json_t *summary = NULL, *item = NULL;
  bool committed = false; /* maybe: a commit whose outcome is unknown */
  int rc = plan_check(d, x, err);
  orch_store_dy_exec_pk(pk, x->id);
  if (!rc) rc = orch_store_dy_token(tok, err);
  if (!rc) rc = orch_store_dy_json_put(d, pk, x->summary, "summary", &summary, err);
  if (rc) goto out;
  exec_sk(sk, x->id);
  item = json_pack("{s{ss}s{ss}s{ss}s{ss}s{ss}s{ss}s{ss}}", "pk", "S", PK, "sk", "S", sk, "id", "S", x->id, "plan_id",
                   "S", x->plan_id, "mode", "S", orch_store_mode_name(x->mode), "status", "S",
                   orch_store_status_name(x->status), "pend", "S", tok);
  if (!item || orch_store_dy_set_s(item, "by", x->started_by) || orch_store_dy_set_n(item, "plan_ver", x->plan_version) ||
      orch_store_dy_set_n(item, "created_ms", x->created_ms) || orch_store_dy_set_n(item, "rv", 0) ||
      orch_store_dy_set_n(item, "last", 0) || orch_store_dy_set_n(item, "tf", 0) ||
      orch_store_dy_set(item, "summary", json_incref(summary)) ||
      orch_store_dy_set_n(item, "expires_at", x->created_ms / 1000 + ORCH_STORE_DY_PENDING_TTL_S)) {
    rc = oom(err);
    goto out;
  }
  /* 1. half-made; 2. the plan again (a deletion flags it before it looks for executions); 3. commit */
  rc = orch_store_dy_put(d, json_incref(item), "attribute_not_exists(pk)", NULL, NULL, err);
  if (orch_store_dy_condition_failed(rc, err) && (rc = create_landed(d, x->id, tok, err)) == 0)
    rc = orch_error_setc(err, ORCH_EEXIST, "execution id", "execution %s already exists", x->id);
  if (rc < 0) goto out;
  if ((rc = plan_check(d, x, err))) {
    (void)withdraw(d, x->id, tok, NULL);
    goto out;
  }
  rc = orch_store_dy_update(d, PK, sk, "REMOVE #pend, #exp", "#pend = :tok",
                            json_pack("{ssss}", "#pend", "pend", "#exp", "expires_at"),
                            json_pack("{s{ss}}", ":tok", "S", tok), err);
  /* refused: committed by this very write (its answer lost), or withdrawn by the plan's deletion */
  if (orch_store_dy_condition_failed(rc, err) && (rc = create_landed(d, x->id, NULL, err)) >= 0)
    rc = rc ? 0
            : orch_error_setc(err, ORCH_ENOTFOUND, "plan_id",
                              "recovery plan %s was deleted while the execution was created", x->plan_id);
  else committed = rc != 0; /* unknown outcome: the commit may have landed, and its summary with it */
out:
  if (rc && !committed) orch_store_dy_blob_drop(d, summary);
  json_decref(summary);
  json_decref(item);
  return rc;
}

struct settle {
  struct orch_store_dy *d;
  long long count;
};

static int settle_each(void *ctx, json_t *item, struct orch_error *err) {
  struct settle *s = ctx;
  const char *pend = orch_store_dy_str(item, "pend"), *id = orch_store_dy_str(item, "id");
  if (pend && id) {
    int rc = withdraw(s->d, id, pend, err);
    if (rc == 0) return 0;
    if (rc != ORCH_ECONFLICT) return rc;
    /* it changed meanwhile: committed (it counts), or withdrawn by its own writer (it does not) */
    json_t *now = NULL;
    if ((rc = orch_store_dy_exec_record(s->d, id, "id, pend", &now, err)) < 0) return rc;
    json_decref(now);
    if (rc == 0) return 0;
  } else if (json_object_get(item, "ended_ms")) {
    return 0; /* finished: its record and journal stay, and it never runs again */
  }
  s->count++;
  return 0;
}

int orch_store_dy_exec_settle_plan(struct orch_store_dy *d, const char *plan_id, struct orch_error *err) {
  struct settle s = {d, 0};
  json_t *names = json_pack("{ss}", "#plan", "plan_id"), *values = json_pack("{s{ss}}", ":plan", "S", plan_id);
  struct orch_store_dy_query q = {.pk = PK, .prefix = "x#", .filter = "#plan = :plan", .names = names,
                                  .values = values, .proj = "id, pend, ended_ms"};
  int rc = names && values ? orch_store_dy_query(d, &q, settle_each, &s, err) : oom(err);
  json_decref(names);
  json_decref(values);
  if (!rc && s.count)
    rc = orch_error_setc(err, ORCH_ECONFLICT, "plan id",
                         "recovery plan %s has %lld unfinished execution%s; it cannot be deleted until %s", plan_id,
                         s.count, s.count == 1 ? "" : "s", s.count == 1 ? "it ends" : "they end");
  return rc;
}

/* ---- Updating and reading ------------------------------------------------------------------------- */

/* The TTL of a drill or dry run that ended at ended_ms; 0 when it is kept. */
static int64_t expiry(const struct orch_store_dy *d, enum orch_store_mode mode, int64_t ended_ms) {
  if (!d->drill_ttl_s || !ended_ms || mode == ORCH_STORE_MODE_RECOVERY) return 0;
  return ended_ms / 1000 + d->drill_ttl_s;
}

/* An update's summary across its tries: the value written (`now`), the one it replaces (`was`), and
 * whether a commit carrying `now` was sent (it may have landed, its answer lost). */
struct summary_write {
  json_t *now, *was;
  bool sent;
};

/* Before a try, with the record read: keep the summary written when the record holds it (the last try
 * landed, its answer lost: `was` is still the one it replaced); else nothing references it (that try did
 * not land, or was replaced since), so drop it and write another (a replaced one's writer, or this one,
 * drops it: reusing it could point at chunks gone). */
static int summary_prepare(struct orch_store_dy *d, const char *id, const json_t *value, const json_t *rec,
                           struct summary_write *w, struct orch_error *err) {
  char pk[ORCH_STORE_DY_KEY_MAX + 1];
  json_t *cur = json_object_get(rec, "summary");
  if (!value) return 0;
  if (w->now && w->sent && json_equal(cur, w->now)) return 0;
  if (w->now && w->sent) {
    orch_store_dy_blob_drop(d, w->now);
    json_decref(w->now);
    w->now = NULL;
  }
  if (w->now) return 0; /* never sent: reused */
  json_decref(w->was);
  w->was = json_incref(cur);
  w->sent = false;
  orch_store_dy_exec_pk(pk, id);
  return orch_store_dy_json_put(d, pk, value, "summary", &w->now, err);
}

/* One attempt: read, apply, write conditional on the revision read. ECONFLICT (context "condition")
 * when another update came between. */
static int update_once(struct orch_store_dy *d, const char *id, const struct orch_store_exec_update *u,
                       struct summary_write *w, struct orch_store_exec *out, struct orch_error *err) {
  char sk[ORCH_STORE_DY_KEY_MAX + 1];
  struct orch_store_exec x = {0};
  struct orch_store_dy_setter s = ORCH_STORE_DY_SETTER_INIT;
  json_t *rec = NULL;
  int64_t rv = 0;
  int rc = orch_store_dy_exec_record(d, id, EXEC_PROJ, &rec, err);
  if (rc == 0) rc = exec_missing(id, err);
  if (rc < 0 || (rc = orch_store_dy_num(rec, "rv", 0, &rv, err)) || (rc = exec_fill(d, rec, &x, err))) goto out;
  if ((rc = summary_prepare(d, id, u->summary, rec, w, err))) goto out;
  int64_t exp = expiry(d, x.mode, u->ended_ms);
  /* a finished drill's journal expires with it: marked first, so nothing outlives the record */
  if (exp && (rc = orch_store_dy_journal_expire(d, id, exp, err))) goto out;
  orch_store_dy_setter_add(&s, "rv", orch_store_dy_n(rv + 1));
  if (u->set_status) orch_store_dy_setter_add(&s, "status", orch_store_dy_s(orch_store_status_name(u->status)));
  if (u->started_ms) orch_store_dy_setter_add(&s, "started_ms", orch_store_dy_n(u->started_ms));
  if (u->ended_ms) orch_store_dy_setter_add(&s, "ended_ms", orch_store_dy_n(u->ended_ms));
  if (w->now) orch_store_dy_setter_add(&s, "summary", json_incref(w->now));
  if (exp) orch_store_dy_setter_add(&s, "expires_at", orch_store_dy_n(exp));
  if (s.rc || !s.names || !s.values || json_object_set_new(s.names, "#pend", json_string("pend")) ||
      json_object_set_new(s.names, "#rv", json_string("rv")) || json_object_set_new(s.values, ":rvwas", orch_store_dy_n(rv))) {
    rc = oom(err);
    goto out;
  }
  /* the row as it will be committed, built before the commit (nothing can fail after it) */
  if (out) {
    if (u->set_status) x.status = u->status;
    if (u->started_ms) x.started_ms = u->started_ms;
    if (u->ended_ms) x.ended_ms = u->ended_ms;
    if (u->summary) {
      json_decref(x.summary);
      if (!(x.summary = json_deep_copy(u->summary))) {
        rc = oom(err);
        goto out;
      }
    }
  }
  exec_sk(sk, id);
  w->sent = w->now != NULL;
  rc = orch_store_dy_update(d, PK, sk, orch_buf_cstr(&s.expr), "attribute_not_exists(#pend) AND #rv = :rvwas",
                            json_incref(s.names), json_incref(s.values), err);
  if (rc) goto out;
  if (w->now) orch_store_dy_blob_drop(d, w->was);
  if (out) {
    *out = x;
    memset(&x, 0, sizeof x);
  }
out:
  orch_store_exec_release(&x);
  orch_store_dy_setter_free(&s);
  json_decref(rec);
  return rc;
}

int orch_store_dy_exec_update(void *ctx, const char *id, const struct orch_store_exec_update *u,
                              struct orch_store_exec *out, struct orch_error *err) {
  struct orch_store_dy *d = ctx;
  struct summary_write w = {0};
  int rc = ORCH_ECONFLICT;
  for (int tries = 0; orch_store_dy_condition_failed(rc, err) && tries < ORCH_STORE_DY_TRIES; tries++)
    rc = update_once(d, id, u, &w, out, err);
  if (orch_store_dy_condition_failed(rc, err))
    rc = orch_error_setc(err, ORCH_ECONFLICT, "execution id", "execution %s kept changing; try again", id);
  if (rc && !w.sent) orch_store_dy_blob_drop(d, w.now); /* a sent one may have landed: its chunks stay */
  json_decref(w.now);
  json_decref(w.was);
  return rc;
}

int orch_store_dy_exec_get(void *ctx, const char *id, struct orch_store_exec *out, struct orch_error *err) {
  struct orch_store_dy *d = ctx;
  json_t *rec = NULL;
  int rc = ORCH_ECONFLICT;
  /* a summary replaced while it is read loses its chunks: read the record again */
  for (int tries = 0; rc == ORCH_ECONFLICT && tries < ORCH_STORE_DY_TRIES; tries++) {
    orch_store_exec_release(out);
    json_decref(rec);
    rc = orch_store_dy_exec_record(d, id, EXEC_PROJ, &rec, err);
    rc = rc == 1 ? exec_fill(d, rec, out, err) : rc == 0 ? exec_missing(id, err) : rc;
  }
  json_decref(rec);
  if (rc) orch_store_exec_release(out);
  return rc;
}

/* ---- Listing -------------------------------------------------------------------------------------- */

struct exec_lister {
  struct orch_store_dy *d;
  struct orch_store_exec_list *out;
  size_t cap, want;
};

static int exec_each(void *ctx, json_t *item, struct orch_error *err) {
  struct exec_lister *l = ctx;
  if (orch_store_items_reserve((void **)&l->out->items, &l->cap, l->out->count + 1, sizeof *l->out->items))
    return orch_error_set(err, ORCH_ENOMEM, "out of memory listing executions");
  int rc = exec_fill(l->d, item, &l->out->items[l->out->count], err);
  if (rc) {
    orch_store_exec_release(&l->out->items[l->out->count]);
    return rc;
  }
  return ++l->out->count == l->want;
}

/* "(#name IN (:p0, :p1, ...))" for the names of the bits set in mask. */
static int in_list(struct orch_buf *f, json_t *names, json_t *values, const char *attr, const char *ph, unsigned mask,
                   const char *(*name)(int)) {
  int rc = orch_buf_printf(f, " AND #%s IN (", ph);
  bool first = true;
  for (int i = 0; !rc && name(i); i++) {
    if (!(mask & ORCH_STORE_BIT(i))) continue;
    char v[32];
    snprintf(v, sizeof v, ":%s%d", ph, i);
    rc = orch_buf_printf(f, "%s%s", first ? "" : ", ", v);
    if (!rc && json_object_set_new(values, v, orch_store_dy_s(name(i)))) rc = ORCH_ENOMEM;
    first = false;
  }
  char n[32];
  snprintf(n, sizeof n, "#%s", ph);
  if (!rc) rc = orch_buf_putc(f, ')');
  if (!rc && json_object_set_new(names, n, json_string(attr))) rc = ORCH_ENOMEM;
  return rc;
}

static const char *status_at(int i) { return orch_store_status_name((enum orch_store_status)i); }
static const char *mode_at(int i) { return orch_store_mode_name((enum orch_store_mode)i); }

/* Append " AND <cond>" with one name (#ph for attr) and, when `value` is given, its value (stolen). */
static int filter_and(struct orch_buf *expr, json_t *names, json_t *values, const char *cond, const char *ph,
                      const char *attr, const char *vph, json_t *value) {
  int rc = orch_buf_printf(expr, " AND %s", cond) || json_object_set_new(names, ph, json_string(attr)) ? ORCH_ENOMEM : 0;
  if (!vph) return rc;
  if (rc) {
    json_decref(value);
    return rc;
  }
  return json_object_set_new(values, vph, value) ? ORCH_ENOMEM : 0;
}

/* The filter of an execution listing: never a half-made record, and what f asks for. */
static int filter_build(const struct orch_store_exec_filter *f, struct orch_buf *expr, json_t *names, json_t *values) {
  int rc = orch_buf_puts(expr, "attribute_not_exists(#pend)");
  if (!rc && json_object_set_new(names, "#pend", json_string("pend"))) rc = ORCH_ENOMEM;
  if (!rc && f->plan_id)
    rc = filter_and(expr, names, values, "#plan = :plan", "#plan", "plan_id", ":plan", orch_store_dy_s(f->plan_id));
  if (!rc && f->status_mask) rc = in_list(expr, names, values, "status", "st", f->status_mask, status_at);
  if (!rc && f->mode_mask) rc = in_list(expr, names, values, "mode", "md", f->mode_mask, mode_at);
  if (!rc && f->unfinished_only)
    rc = filter_and(expr, names, values, "attribute_not_exists(#ended)", "#ended", "ended_ms", NULL, NULL);
  if (!rc && f->created_from_ms)
    rc = filter_and(expr, names, values, "#created >= :from", "#created", "created_ms", ":from",
                    orch_store_dy_n(f->created_from_ms));
  if (!rc && f->created_to_ms)
    rc = filter_and(expr, names, values, "#created < :to", "#created", "created_ms", ":to",
                    orch_store_dy_n(f->created_to_ms));
  return rc;
}

int orch_store_dy_exec_list(void *ctx, const struct orch_store_exec_filter *f, const struct orch_store_page *page,
                            struct orch_store_exec_list *out, struct orch_error *err) {
  struct orch_store_dy *d = ctx;
  char after[ORCH_STORE_DY_KEY_MAX + 1];
  struct orch_buf expr = ORCH_BUF_INIT(4096);
  json_t *names = json_object(), *values = json_object();
  struct exec_lister l = {.d = d, .out = out, .want = page->limit + 1};
  int rc = 0;
  if (page->cursor && orch_store_valid_id(page->cursor, "cursor", NULL)) {
    rc = orch_error_setc(err, ORCH_EINVAL, "cursor", "malformed cursor");
    goto out;
  }
  if (!names || !values || filter_build(f, &expr, names, values)) {
    rc = orch_error_set(err, ORCH_ENOMEM, "out of memory listing executions");
    goto out;
  }
  if (page->cursor) exec_sk(after, page->cursor);
  struct orch_store_dy_query q = {.pk = PK, .prefix = "x#", .start_after = page->cursor ? after : NULL,
                                  .descending = true, .filter = orch_buf_cstr(&expr), .names = names,
                                  .values = json_object_size(values) ? values : NULL, .proj = EXEC_PROJ,
                                  .page = page->limit + 1};
  rc = orch_store_dy_query(d, &q, exec_each, &l, err);
  if (!rc && out->count == l.want) {
    out->count--;
    orch_store_exec_release(&out->items[out->count]);
    snprintf(out->next_cursor, sizeof out->next_cursor, "%s", out->items[out->count - 1].id);
  }
  if (rc) orch_store_exec_list_release(out);
out:
  orch_buf_free(&expr);
  json_decref(names);
  json_decref(values);
  return rc;
}

/* ---- Counting ------------------------------------------------------------------------------------- */

static int count_each(void *ctx, json_t *item, struct orch_error *err) {
  int64_t *counts = ctx;
  const char *status = orch_store_dy_str(item, "status");
  enum orch_store_status s;
  if (orch_store_status_parse(status, &s, NULL))
    return orch_error_set(err, ORCH_ESTORE, "stored executions have an unknown status '%s'", status ? status : "");
  counts[s]++;
  return 0;
}

/* Every committed record's status, read in pages of the partition (no index: executions are few enough,
 * and finished drills expire). */
int orch_store_dy_exec_count(void *ctx, int64_t counts[ORCH_STORE_STATUS_COUNT], struct orch_error *err) {
  json_t *names = json_pack("{ss}", "#pend", "pend");
  struct orch_store_dy_query q = {.pk = PK, .prefix = "x#", .filter = "attribute_not_exists(#pend)", .names = names,
                                  .proj = "status"};
  int rc = names ? orch_store_dy_query(ctx, &q, count_each, counts, err)
                 : orch_error_set(err, ORCH_ENOMEM, "out of memory counting executions");
  json_decref(names);
  if (rc) memset(counts, 0, sizeof(int64_t) * ORCH_STORE_STATUS_COUNT);
  return rc;
}
