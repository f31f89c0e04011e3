/* orch_store: the store front end: opening by spec, argument validation, ids and timestamps, dispatch
 * to a backend's ops table, and the record release functions. Uses orch_store_valid, orch_store_sqlite
 * and orch_store_dynamodb (the backends), orch_id, orch_clock, orch_alloc, jansson. */
#include "store/orch_store.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/orch_alloc.h"
#include "core/orch_id.h"
#include "core/orch_str.h"
#include "store/orch_store_dynamodb.h"
#include "store/orch_store_int.h"
#include "store/orch_store_sqlite.h"
#include "store/orch_store_valid.h"

/* ---- Opening --------------------------------------------------------------------------------- */

typedef int (*store_open_fn)(const char *location, const struct orch_store_options *opts, struct orch_store **out,
                             struct orch_error *err);

static const struct {
  const char *scheme;
  store_open_fn open;
} backends[] = {
  {"sqlite", orch_store_sqlite_open},
  {"dynamodb", orch_store_dynamodb_open},
};

int orch_store_open(const char *spec, const struct orch_store_options *opts, struct orch_store **out,
                    struct orch_error *err) {
  if (!out) return orch_error_set(err, ORCH_EINVAL, "orch_store_open: out is NULL");
  *out = NULL;
  if (!spec || !*spec) return orch_error_setc(err, ORCH_EINVAL, "store", "no store spec given (e.g. sqlite:PATH)");
  const char *colon = strchr(spec, ':');
  if (!colon) return orch_error_setc(err, ORCH_EINVAL, "store", "'%s' has no scheme (e.g. sqlite:PATH)", spec);
  size_t slen = (size_t)(colon - spec);
  for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++)
    if (strlen(backends[i].scheme) == slen && memcmp(backends[i].scheme, spec, slen) == 0)
      return backends[i].open(colon + 1, opts, out, err);
  return orch_error_setc(err, ORCH_EINVAL, "store", "unknown store backend '%.*s' (known: sqlite, dynamodb)", (int)slen, spec);
}

int orch_store_wrap(const struct orch_store_ops *ops, void *ctx, const struct orch_store_options *opts,
                    struct orch_store **out, struct orch_error *err) {
  struct orch_store *s = orch_calloc(1, sizeof *s);
  if (!s) {
    ops->close(ctx);
    return orch_error_set(err, ORCH_ENOMEM, "out of memory opening the store");
  }
  s->ops = ops;
  s->ctx = ctx;
  s->clock = opts && opts->clock ? opts->clock : orch_clock_real();
  *out = s;
  return 0;
}

int orch_store_unsupported(const struct orch_store *store, const char *op, struct orch_error *err) {
  return orch_error_setc(err, ORCH_EUNSUPPORTED, op, "the %s store does not support %s", store->ops->name, op);
}

void orch_store_close(struct orch_store *store) {
  if (!store) return;
  store->ops->close(store->ctx);
  orch_free(store);
}

const char *orch_store_backend(const struct orch_store *store) { return store ? store->ops->name : "none"; }

int orch_store_check(const struct orch_store *store, const void *arg, const char *what, struct orch_error *err) {
  /* The code is returned as a constant (not orch_error_set's result) so the compiler sees that a NULL `arg`
   * never reaches its caller's dereference: -O2 builds check -Wnull-dereference. */
  if (!store) {
    orch_error_set(err, ORCH_EINVAL, "store handle is NULL");
    return ORCH_EINVAL;
  }
  if (!arg) {
    orch_error_setc(err, ORCH_EINVAL, what, "is required");
    return ORCH_EINVAL;
  }
  return 0;
}

int orch_store_info(struct orch_store *store, json_t **out, struct orch_error *err) {
  int rc = orch_store_check(store, out, "out", err);
  if (rc) return rc;
  *out = NULL;
  json_t *info = json_pack("{ss}", "backend", store->ops->name);
  if (!info) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  if ((rc = ORCH_STORE_CALL(store, info, err, info))) {
    json_decref(info);
    return rc;
  }
  *out = info;
  return 0;
}

int orch_store_items_reserve(void **items, size_t *cap, size_t need, size_t item_size) {
  if (need <= *cap) return 0;
  size_t ncap = *cap ? *cap : 8;
  while (ncap < need) ncap *= 2;
  if (ncap > SIZE_MAX / item_size) return ORCH_ENOMEM;
  char *p = orch_realloc(*items, ncap * item_size);
  if (!p) return ORCH_ENOMEM;
  memset(p + *cap * item_size, 0, (ncap - *cap) * item_size);
  *items = p;
  *cap = ncap;
  return 0;
}

int orch_store_copy_str(char *dst, size_t size, const char *s, const char *field, struct orch_error *err) {
  size_t len = s ? strlen(s) : 0;
  if (len >= size)
    return orch_error_setc(err, ORCH_ETOOBIG, field, "stored value of %zu bytes exceeds this binary's limit of %zu",
                           len, size - 1);
  if (len) memcpy(dst, s, len);
  dst[len] = '\0';
  return 0;
}

int orch_store_new_id(struct orch_store *store, char id[ORCH_STORE_ID_MAX + 1], int64_t *now, struct orch_error *err) {
  *now = orch_clock_now_ms(store->clock);
  int rc = orch_id_uuid7(id, *now);
  return rc ? orch_error_set(err, rc, "cannot make an id") : 0;
}

/* A deep copy of an optional JSON value; ORCH_ENOMEM when the copy fails. */
static int copy_json(const json_t *in, json_t **out, struct orch_error *err) {
  *out = NULL;
  if (!in) return 0;
  *out = json_deep_copy(in);
  return *out ? 0 : orch_error_set(err, ORCH_ENOMEM, "out of memory copying JSON");
}

void orch_store_put_str(char *dst, size_t size, const char *s) {
  size_t len = s ? strnlen(s, size - 1) : 0;
  if (len) memcpy(dst, s, len);
  dst[len] = '\0';
}

/* ---- Protection groups ----------------------------------------------------------------------- */

static int check_group_spec(const struct orch_store_group_spec *spec, struct orch_error *err) {
  int rc;
  if (!spec) return orch_error_setc(err, ORCH_EINVAL, "group", "is required");
  if ((rc = orch_store_valid_name(spec->name, "name", err))) return rc;
  if ((rc = orch_store_valid_account(spec->account, "account", err))) return rc;
  if ((rc = orch_store_valid_region(spec->region, "region", err))) return rc;
  if ((rc = orch_store_valid_selector(spec->selector, err))) return rc;
  if (spec->expected_version < 0)
    return orch_error_setc(err, ORCH_EINVAL, "expected_version", "must not be negative");
  return orch_store_valid_object(spec->launch_overrides, true, "launch_overrides", err);
}

static int group_fill(struct orch_store_group *g, const struct orch_store_group_spec *spec, struct orch_error *err) {
  orch_store_put_str(g->name, sizeof g->name, spec->name);
  orch_store_put_str(g->account, sizeof g->account, spec->account);
  orch_store_put_str(g->region, sizeof g->region, spec->region);
  int rc = copy_json(spec->selector, &g->selector, err);
  if (!rc) rc = copy_json(spec->launch_overrides, &g->launch_overrides, err);
  return rc;
}

int orch_store_group_create(struct orch_store *store, const struct orch_store_group_spec *spec,
                            struct orch_store_group *out, struct orch_error *err) {
  struct orch_store_group local = {0}, *g = out ? out : &local;
  memset(g, 0, sizeof *g);
  int64_t now;
  int rc = orch_store_check(store, spec, "group", err);
  if (rc || (rc = check_group_spec(spec, err))) goto out;
  if ((rc = orch_store_new_id(store, g->id, &now, err))) goto out;
  g->created_ms = g->updated_ms = now;
  g->version = 1;
  if ((rc = group_fill(g, spec, err))) goto out;
  rc = ORCH_STORE_CALL(store, group_create, err, g);
out:
  if (rc || !out) orch_store_group_release(g);
  return rc;
}

int orch_store_group_update(struct orch_store *store, const char *id, const struct orch_store_group_spec *spec,
                            struct orch_store_group *out, struct orch_error *err) {
  struct orch_store_group local = {0}, *g = out ? out : &local;
  memset(g, 0, sizeof *g);
  int rc = orch_store_check(store, spec, "group", err);
  if (rc || (rc = orch_store_valid_id(id, "group id", err)) || (rc = check_group_spec(spec, err))) goto out;
  orch_store_put_str(g->id, sizeof g->id, id);
  g->updated_ms = orch_clock_now_ms(store->clock);
  if ((rc = group_fill(g, spec, err))) goto out;
  rc = ORCH_STORE_CALL(store, group_update, err, g, spec->expected_version);
out:
  if (rc || !out) orch_store_group_release(g);
  return rc;
}

int orch_store_group_delete(struct orch_store *store, const char *id, struct orch_error *err) {
  int rc = orch_store_check(store, id, "group id", err);
  if (rc || (rc = orch_store_valid_id(id, "group id", err))) return rc;
  return ORCH_STORE_CALL(store, group_delete, err, id);
}

int orch_store_group_get(struct orch_store *store, const char *id, struct orch_store_group *out,
                         struct orch_error *err) {
  int rc = orch_store_check(store, out, "out", err);
  if (rc) return rc;
  memset(out, 0, sizeof *out);
  if ((rc = orch_store_valid_id(id, "group id", err))) return rc;
  return ORCH_STORE_CALL(store, group_get, err, id, NULL, out);
}

int orch_store_group_find(struct orch_store *store, const char *name, struct orch_store_group *out,
                          struct orch_error *err) {
  int rc = orch_store_check(store, out, "out", err);
  if (rc) return rc;
  memset(out, 0, sizeof *out);
  if ((rc = orch_store_valid_name(name, "name", err))) return rc;
  return ORCH_STORE_CALL(store, group_get, err, NULL, name, out);
}

int orch_store_group_list(struct orch_store *store, const struct orch_store_page *page,
                          struct orch_store_group_list *out, struct orch_error *err) {
  return orch_store_group_query(store, NULL, page, out, err);
}

int orch_store_group_query(struct orch_store *store, const struct orch_store_group_filter *filter,
                           const struct orch_store_page *page, struct orch_store_group_list *out,
                           struct orch_error *err) {
  static const struct orch_store_group_filter any = {0};
  const struct orch_store_group_filter *f = filter ? filter : &any;
  struct orch_store_page pg;
  int rc = orch_store_check(store, out, "out", err);
  if (rc) return rc;
  memset(out, 0, sizeof *out);
  if ((rc = orch_store_valid_text(f->name_contains, ORCH_STORE_NAME_MAX, false, "name", err)) ||
      (f->account && (rc = orch_store_valid_account(f->account, "account", err))) ||
      (f->region && (rc = orch_store_valid_region(f->region, "region", err))) ||
      (rc = orch_store_valid_page(page, &pg, err)))
    return rc;
  return ORCH_STORE_CALL(store, group_list, err, f, &pg, out);
}

void orch_store_group_release(struct orch_store_group *g) {
  if (!g) return;
  json_decref(g->selector);
  json_decref(g->launch_overrides);
  memset(g, 0, sizeof *g);
}

void orch_store_group_list_release(struct orch_store_group_list *l) {
  if (!l) return;
  for (size_t i = 0; i < l->count; i++) orch_store_group_release(&l->items[i]);
  orch_free(l->items);
  memset(l, 0, sizeof *l);
}

/* ---- Recovery plans and versions ------------------------------------------------------------- */

static int check_version_spec(const struct orch_store_version_spec *v, struct orch_error *err) {
  int rc;
  if (!v) return orch_error_setc(err, ORCH_EINVAL, "version", "is required");
  if (!v->source || !*v->source) return orch_error_setc(err, ORCH_EINVAL, "source", "is required");
  if (strnlen(v->source, ORCH_STORE_SOURCE_MAX + 1) > ORCH_STORE_SOURCE_MAX)
    return orch_error_setc(err, ORCH_ETOOBIG, "source", "is longer than %zu bytes", ORCH_STORE_SOURCE_MAX);
  if ((rc = orch_store_valid_object(v->compiled, false, "compiled", err))) return rc;
  if ((rc = orch_store_valid_text(v->description, ORCH_STORE_DESCRIPTION_MAX, false, "description", err))) return rc;
  return orch_store_valid_text(v->author, ORCH_STORE_ACTOR_MAX, true, "author", err);
}

static int version_fill(struct orch_store_plan_version *pv, const char *plan_id, int64_t now,
                        const struct orch_store_version_spec *v, struct orch_error *err) {
  orch_store_put_str(pv->plan_id, sizeof pv->plan_id, plan_id);
  orch_store_put_str(pv->author, sizeof pv->author, v->author);
  orch_store_put_str(pv->description, sizeof pv->description, v->description);
  pv->created_ms = now;
  pv->source = orch_strdup(v->source);
  if (!pv->source) return orch_error_set(err, ORCH_ENOMEM, "out of memory copying the plan source");
  return copy_json(v->compiled, &pv->compiled, err);
}

int orch_store_plan_create(struct orch_store *store, const char *name, const struct orch_store_version_spec *v,
                           struct orch_store_plan *plan_out, struct orch_store_plan_version *version_out,
                           struct orch_error *err) {
  struct orch_store_plan local_p = {0}, *p = plan_out ? plan_out : &local_p;
  struct orch_store_plan_version local_v = {0}, *pv = version_out ? version_out : &local_v;
  memset(p, 0, sizeof *p);
  memset(pv, 0, sizeof *pv);
  int64_t now;
  int rc = orch_store_check(store, v, "version", err);
  if (rc || (rc = orch_store_valid_name(name, "name", err)) || (rc = check_version_spec(v, err))) goto out;
  if ((rc = orch_store_new_id(store, p->id, &now, err))) goto out;
  orch_store_put_str(p->name, sizeof p->name, name);
  orch_store_put_str(p->description, sizeof p->description, v->description);
  p->latest_version = 1;
  p->created_ms = p->updated_ms = now;
  if ((rc = version_fill(pv, p->id, now, v, err))) goto out;
  pv->version = 1;
  rc = ORCH_STORE_CALL(store, plan_create, err, p, pv);
out:
  if (rc) memset(p, 0, sizeof *p);
  if (rc || !version_out) orch_store_plan_version_release(pv);
  return rc;
}

int orch_store_plan_add_version(struct orch_store *store, const char *plan_id, int64_t expected_latest,
                                const struct orch_store_version_spec *v, struct orch_store_plan_version *out,
                                struct orch_error *err) {
  struct orch_store_plan_version local = {0}, *pv = out ? out : &local;
  memset(pv, 0, sizeof *pv);
  int rc = orch_store_check(store, v, "version", err);
  if (rc || (rc = orch_store_valid_id(plan_id, "plan id", err)) || (rc = check_version_spec(v, err))) goto out;
  if (expected_latest < 0) {
    rc = orch_error_setc(err, ORCH_EINVAL, "expected_latest", "must not be negative");
    goto out;
  }
  if ((rc = version_fill(pv, plan_id, orch_clock_now_ms(store->clock), v, err))) goto out;
  rc = ORCH_STORE_CALL(store, plan_add_version, err, expected_latest, pv);
out:
  if (rc || !out) orch_store_plan_version_release(pv);
  return rc;
}

int orch_store_plan_delete(struct orch_store *store, const char *plan_id, struct orch_error *err) {
  int rc = orch_store_check(store, plan_id, "plan id", err);
  if (rc || (rc = orch_store_valid_id(plan_id, "plan id", err))) return rc;
  return ORCH_STORE_CALL(store, plan_delete, err, plan_id);
}

int orch_store_plan_get(struct orch_store *store, const char *plan_id, struct orch_store_plan *out,
                        struct orch_error *err) {
  int rc = orch_store_check(store, out, "out", err);
  if (rc) return rc;
  memset(out, 0, sizeof *out);
  if ((rc = orch_store_valid_id(plan_id, "plan id", err))) return rc;
  return ORCH_STORE_CALL(store, plan_get, err, plan_id, NULL, out);
}

int orch_store_plan_find(struct orch_store *store, const char *name, struct orch_store_plan *out,
                         struct orch_error *err) {
  int rc = orch_store_check(store, out, "out", err);
  if (rc) return rc;
  memset(out, 0, sizeof *out);
  if ((rc = orch_store_valid_name(name, "name", err))) return rc;
  return ORCH_STORE_CALL(store, plan_get, err, NULL, name, out);
}

int orch_store_plan_list(struct orch_store *store, const struct orch_store_page *page,
                         struct orch_store_plan_list *out, struct orch_error *err) {
  struct orch_store_page pg;
  int rc = orch_store_check(store, out, "out", err);
  if (rc) return rc;
  memset(out, 0, sizeof *out);
  if ((rc = orch_store_valid_page(page, &pg, err))) return rc;
  return ORCH_STORE_CALL(store, plan_list, err, &pg, out);
}

int orch_store_plan_version_get(struct orch_store *store, const char *plan_id, int64_t version,
                                struct orch_store_plan_version *out, struct orch_error *err) {
  int rc = orch_store_check(store, out, "out", err);
  if (rc) return rc;
  memset(out, 0, sizeof *out);
  if ((rc = orch_store_valid_id(plan_id, "plan id", err))) return rc;
  if (version < 0) return orch_error_setc(err, ORCH_EINVAL, "version", "must not be negative");
  return ORCH_STORE_CALL(store, version_get, err, plan_id, version, out);
}

int orch_store_plan_version_list(struct orch_store *store, const char *plan_id, const struct orch_store_page *page,
                                 struct orch_store_version_list *out, struct orch_error *err) {
  struct orch_store_page pg;
  int rc = orch_store_check(store, out, "out", err);
  if (rc) return rc;
  memset(out, 0, sizeof *out);
  if ((rc = orch_store_valid_id(plan_id, "plan id", err)) || (rc = orch_store_valid_page(page, &pg, err))) return rc;
  return ORCH_STORE_CALL(store, version_list, err, plan_id, &pg, out);
}

void orch_store_plan_version_release(struct orch_store_plan_version *v) {
  if (!v) return;
  orch_free(v->source);
  json_decref(v->compiled);
  memset(v, 0, sizeof *v);
}

void orch_store_plan_list_release(struct orch_store_plan_list *l) {
  if (!l) return;
  orch_free(l->items);
  memset(l, 0, sizeof *l);
}

void orch_store_version_list_release(struct orch_store_version_list *l) {
  if (!l) return;
  for (size_t i = 0; i < l->count; i++) orch_store_plan_version_release(&l->items[i]);
  orch_free(l->items);
  memset(l, 0, sizeof *l);
}

/* ---- Executions ------------------------------------------------------------------------------ */

static const char *const mode_names[ORCH_STORE_MODE_COUNT + 1] = {"drill", "recovery", "dry-run", NULL};
static const char *const status_names[ORCH_STORE_STATUS_COUNT + 1] = {
  "PENDING", "PREFLIGHT", "RUNNING", "PAUSED", "COMPLETED", "PARTIAL", "FAILED", "CANCELLED", "CLEANING_UP",
  "CLEANED", "CLEANUP_FAILED", NULL};

const char *orch_store_mode_name(enum orch_store_mode m) {
  return (unsigned)m < ORCH_STORE_MODE_COUNT ? mode_names[m] : NULL;
}

const char *orch_store_status_name(enum orch_store_status s) {
  return (unsigned)s < ORCH_STORE_STATUS_COUNT ? status_names[s] : NULL;
}

static int name_parse(const char *s, const char *const *names, const char *what, int *out, struct orch_error *err) {
  for (int i = 0; s && names[i]; i++)
    if (strcmp(s, names[i]) == 0) return *out = i, 0;
  const char *near = s ? orch_str_nearest(s, names) : NULL;
  if (near) return orch_error_setc(err, ORCH_EINVAL, what, "'%.40s' is not a %s; did you mean '%s'?", s, what, near);
  return orch_error_setc(err, ORCH_EINVAL, what, "'%.40s' is not a %s", s ? s : "", what);
}

int orch_store_mode_parse(const char *s, enum orch_store_mode *out, struct orch_error *err) {
  int v = 0;
  int rc = name_parse(s, mode_names, "mode", &v, err);
  if (!rc) *out = (enum orch_store_mode)v;
  return rc;
}

int orch_store_status_parse(const char *s, enum orch_store_status *out, struct orch_error *err) {
  int v = 0;
  int rc = name_parse(s, status_names, "status", &v, err);
  if (!rc) *out = (enum orch_store_status)v;
  return rc;
}

int orch_store_exec_create(struct orch_store *store, const struct orch_store_exec_spec *spec,
                           struct orch_store_exec *out, struct orch_error *err) {
  struct orch_store_exec local = {0}, *x = out ? out : &local;
  memset(x, 0, sizeof *x);
  int64_t now;
  int rc = orch_store_check(store, spec, "execution", err);
  if (rc || (rc = orch_store_valid_id(spec->plan_id, "plan_id", err))) goto out;
  if (spec->plan_version < 0) {
    rc = orch_error_setc(err, ORCH_EINVAL, "plan_version", "must not be negative");
    goto out;
  }
  if (!orch_store_mode_name(spec->mode)) {
    rc = orch_error_setc(err, ORCH_EINVAL, "mode", "must be drill, recovery or dry-run");
    goto out;
  }
  if ((rc = orch_store_valid_text(spec->started_by, ORCH_STORE_ACTOR_MAX, false, "started_by", err)) ||
      (rc = orch_store_valid_object(spec->summary, true, "summary", err)))
    goto out;
  if ((rc = orch_store_new_id(store, x->id, &now, err))) goto out;
  orch_store_put_str(x->plan_id, sizeof x->plan_id, spec->plan_id);
  orch_store_put_str(x->started_by, sizeof x->started_by, spec->started_by);
  x->plan_version = spec->plan_version;
  x->mode = spec->mode;
  x->status = ORCH_STORE_STATUS_PENDING;
  x->created_ms = now;
  if ((rc = copy_json(spec->summary, &x->summary, err))) goto out;
  rc = ORCH_STORE_CALL(store, exec_create, err, x);
out:
  if (rc || !out) orch_store_exec_release(x);
  return rc;
}

int orch_store_exec_update(struct orch_store *store, const char *id, const struct orch_store_exec_update *upd,
                           struct orch_store_exec *out, struct orch_error *err) {
  if (out) memset(out, 0, sizeof *out);
  int rc = orch_store_check(store, upd, "update", err);
  if (rc || (rc = orch_store_valid_id(id, "execution id", err))) return rc;
  if (upd->set_status && !orch_store_status_name(upd->status))
    return orch_error_setc(err, ORCH_EINVAL, "status", "is not an execution status");
  if (upd->started_ms < 0 || upd->ended_ms < 0)
    return orch_error_setc(err, ORCH_EINVAL, upd->started_ms < 0 ? "started_ms" : "ended_ms", "must not be negative");
  if ((rc = orch_store_valid_object(upd->summary, true, "summary", err))) return rc;
  return ORCH_STORE_CALL(store, exec_update, err, id, upd, out);
}

int orch_store_exec_get(struct orch_store *store, const char *id, struct orch_store_exec *out,
                        struct orch_error *err) {
  int rc = orch_store_check(store, out, "out", err);
  if (rc) return rc;
  memset(out, 0, sizeof *out);
  if ((rc = orch_store_valid_id(id, "execution id", err))) return rc;
  return ORCH_STORE_CALL(store, exec_get, err, id, out);
}

int orch_store_exec_list(struct orch_store *store, const struct orch_store_exec_filter *filter,
                         const struct orch_store_page *page, struct orch_store_exec_list *out,
                         struct orch_error *err) {
  static const struct orch_store_exec_filter any = {0};
  const struct orch_store_exec_filter *f = filter ? filter : &any;
  struct orch_store_page pg;
  int rc = orch_store_check(store, out, "out", err);
  if (rc) return rc;
  memset(out, 0, sizeof *out);
  if (f->plan_id && (rc = orch_store_valid_id(f->plan_id, "plan_id", err))) return rc;
  if (f->status_mask >> ORCH_STORE_STATUS_COUNT)
    return orch_error_setc(err, ORCH_EINVAL, "status", "mask names an unknown status");
  if (f->mode_mask >> ORCH_STORE_MODE_COUNT) return orch_error_setc(err, ORCH_EINVAL, "mode", "mask names an unknown mode");
  if (f->created_from_ms < 0 || f->created_to_ms < 0)
    return orch_error_setc(err, ORCH_EINVAL, "created", "time bounds must not be negative");
  if ((rc = orch_store_valid_page(page, &pg, err))) return rc;
  return ORCH_STORE_CALL(store, exec_list, err, f, &pg, out);
}

int orch_store_exec_list_unfinished(struct orch_store *store, struct orch_store_exec_list *out,
                                    struct orch_error *err) {
  const struct orch_store_exec_filter f = {.unfinished_only = true};
  struct orch_store_exec_list more = {0};
  struct orch_store_page pg = {.limit = ORCH_STORE_PAGE_MAX};
  char cursor[ORCH_STORE_CURSOR_MAX + 1];
  int rc = orch_store_exec_list(store, &f, &pg, out, err);
  if (rc) return rc;
  size_t cap = out->count;
  while (out->next_cursor[0]) {
    memcpy(cursor, out->next_cursor, sizeof cursor);
    pg.cursor = cursor;
    if ((rc = orch_store_exec_list(store, &f, &pg, &more, err))) goto fail;
    if ((rc = orch_store_items_reserve((void **)&out->items, &cap, out->count + more.count, sizeof *out->items))) {
      rc = orch_error_set(err, rc, "out of memory listing executions");
      goto fail;
    }
    memcpy(out->items + out->count, more.items, more.count * sizeof *more.items);
    out->count += more.count;
    memcpy(out->next_cursor, more.next_cursor, sizeof out->next_cursor);
    orch_free(more.items); /* the records moved into out */
    memset(&more, 0, sizeof more);
  }
  return 0;
fail:
  orch_store_exec_list_release(&more);
  orch_store_exec_list_release(out);
  return rc;
}

int orch_store_exec_count(struct orch_store *store, int64_t counts[ORCH_STORE_STATUS_COUNT], struct orch_error *err) {
  int rc = orch_store_check(store, counts, "counts", err);
  if (rc) return rc;
  memset(counts, 0, sizeof(int64_t) * ORCH_STORE_STATUS_COUNT);
  return ORCH_STORE_CALL(store, exec_count, err, counts);
}

void orch_store_exec_release(struct orch_store_exec *x) {
  if (!x) return;
  json_decref(x->summary);
  memset(x, 0, sizeof *x);
}

void orch_store_exec_list_release(struct orch_store_exec_list *l) {
  if (!l) return;
  for (size_t i = 0; i < l->count; i++) orch_store_exec_release(&l->items[i]);
  orch_free(l->items);
  memset(l, 0, sizeof *l);
}

/* ---- Event journal --------------------------------------------------------------------------- */

int orch_store_event_append(struct orch_store *store, const char *exec_id, const struct orch_store_event_spec *ev,
                            struct orch_error *err) {
  return orch_store_event_append_batch(store, exec_id, ev, 1, err);
}

static int append_batch(struct orch_store *store, const char *exec_id, const char *owner,
                        const struct orch_store_event_spec *evs, size_t n, struct orch_error *err) {
  int rc = orch_store_check(store, evs, "events", err);
  if (rc || (rc = orch_store_valid_id(exec_id, "execution id", err))) return rc;
  if (n == 0 || n > ORCH_STORE_BATCH_MAX)
    return orch_error_setc(err, ORCH_EINVAL, "events", "a batch holds 1 to %d events, not %zu", ORCH_STORE_BATCH_MAX, n);
  char field[64];
  for (size_t i = 0; i < n; i++) {
    snprintf(field, sizeof field, "events[%zu].seq", i);
    if (evs[i].seq < 1) return orch_error_setc(err, ORCH_EINVAL, field, "must be 1 or more");
    if (i && evs[i].seq != evs[0].seq + (int64_t)i)
      return orch_error_setc(err, ORCH_EINVAL, field, "is %lld; a batch's seqs must be consecutive (expected %lld)",
                             (long long)evs[i].seq, (long long)(evs[0].seq + (int64_t)i));
    snprintf(field, sizeof field, "events[%zu].at_ms", i);
    if (evs[i].at_ms <= 0) return orch_error_setc(err, ORCH_EINVAL, field, "must be a time after the epoch");
    snprintf(field, sizeof field, "events[%zu].type", i);
    if ((rc = orch_store_valid_event_type(evs[i].type, field, err))) return rc;
    snprintf(field, sizeof field, "events[%zu].data", i);
    if ((rc = orch_store_valid_json(evs[i].data, field, err))) return rc;
  }
  return ORCH_STORE_CALL(store, event_append, err, exec_id, evs, n, owner);
}

int orch_store_event_append_batch(struct orch_store *store, const char *exec_id,
                                  const struct orch_store_event_spec *evs, size_t n, struct orch_error *err) {
  return append_batch(store, exec_id, NULL, evs, n, err);
}

int orch_store_event_append_owned(struct orch_store *store, const char *exec_id, const char *owner,
                                  const struct orch_store_event_spec *evs, size_t n, struct orch_error *err) {
  if (!owner || !*owner || strlen(owner) > ORCH_STORE_OWNER_MAX)
    return orch_error_setc(err, ORCH_EINVAL, "owner", "needs 1 to %d characters", ORCH_STORE_OWNER_MAX);
  return append_batch(store, exec_id, owner, evs, n, err);
}

/* ---- Leases ---------------------------------------------------------------------------------- */

static int lease_args(struct orch_store *store, const char *exec_id, const char *owner, struct orch_error *err) {
  int rc = orch_store_check(store, owner, "owner", err);
  if (rc || (rc = orch_store_valid_id(exec_id, "execution id", err))) return rc;
  if (!*owner || strlen(owner) > ORCH_STORE_OWNER_MAX)
    return orch_error_setc(err, ORCH_EINVAL, "owner", "needs 1 to %d characters", ORCH_STORE_OWNER_MAX);
  return 0;
}

int orch_store_lease_acquire(struct orch_store *store, const char *exec_id, const struct orch_store_lease_spec *spec,
                             struct orch_store_lease *held, struct orch_error *err) {
  int rc = orch_store_check(store, spec, "lease", err);
  if (rc || (rc = lease_args(store, exec_id, spec->owner, err))) return rc;
  if (!spec->host || !*spec->host || strlen(spec->host) > ORCH_STORE_HOST_MAX)
    return orch_error_setc(err, ORCH_EINVAL, "host", "needs 1 to %d characters", ORCH_STORE_HOST_MAX);
  if (spec->now_ms <= 0 || spec->until_ms <= spec->now_ms)
    return orch_error_setc(err, ORCH_EINVAL, "until_ms", "a lease must end after now");
  if (spec->steal_from && strlen(spec->steal_from) > ORCH_STORE_OWNER_MAX)
    return orch_error_setc(err, ORCH_EINVAL, "steal_from", "is longer than %d characters", ORCH_STORE_OWNER_MAX);
  if (held) memset(held, 0, sizeof *held);
  return ORCH_STORE_CALL(store, lease_acquire, err, exec_id, spec, held);
}

int orch_store_lease_release(struct orch_store *store, const char *exec_id, const char *owner, struct orch_error *err) {
  int rc = lease_args(store, exec_id, owner, err);
  return rc ? rc : ORCH_STORE_CALL(store, lease_release, err, exec_id, owner);
}

int orch_store_lease_get(struct orch_store *store, const char *exec_id, struct orch_store_lease *out,
                         struct orch_error *err) {
  int rc = orch_store_check(store, out, "out", err);
  if (rc || (rc = orch_store_valid_id(exec_id, "execution id", err))) return rc;
  memset(out, 0, sizeof *out);
  return ORCH_STORE_CALL(store, lease_get, err, exec_id, out);
}

int orch_store_event_read(struct orch_store *store, const char *exec_id, int64_t from_seq, size_t limit,
                          struct orch_store_event_list *out, struct orch_error *err) {
  int rc = orch_store_check(store, out, "out", err);
  if (rc) return rc;
  memset(out, 0, sizeof *out);
  if ((rc = orch_store_valid_id(exec_id, "execution id", err))) return rc;
  if (from_seq < 0) return orch_error_setc(err, ORCH_EINVAL, "from_seq", "must not be negative");
  return ORCH_STORE_CALL(store, event_read, err, exec_id, from_seq ? from_seq : 1, limit, out);
}

int orch_store_event_last_seq(struct orch_store *store, const char *exec_id, int64_t *seq, struct orch_error *err) {
  int rc = orch_store_check(store, seq, "seq", err);
  if (rc) return rc;
  *seq = 0;
  if ((rc = orch_store_valid_id(exec_id, "execution id", err))) return rc;
  return ORCH_STORE_CALL(store, event_last_seq, err, exec_id, seq);
}

void orch_store_event_list_release(struct orch_store_event_list *l) {
  if (!l) return;
  for (size_t i = 0; i < l->count; i++) json_decref(l->items[i].data);
  orch_free(l->items);
  memset(l, 0, sizeof *l);
}

/* ---- Audit log ------------------------------------------------------------------------------- */

int orch_store_audit_append(struct orch_store *store, const struct orch_store_audit_spec *spec, int64_t *id,
                            struct orch_error *err) {
  struct orch_store_audit a = {0};
  int64_t local_id = 0;
  if (id) *id = 0;
  int rc = orch_store_check(store, spec, "audit entry", err);
  if (rc) return rc;
  if ((rc = orch_store_valid_text(spec->actor, ORCH_STORE_ACTOR_MAX, true, "actor", err)) ||
      (rc = orch_store_valid_text(spec->role, ORCH_STORE_ACTOR_MAX, false, "role", err)) ||
      (rc = orch_store_valid_text(spec->source, ORCH_STORE_ADDRESS_MAX, false, "source", err)) ||
      (rc = orch_store_valid_text(spec->action, ORCH_STORE_ACTION_MAX, true, "action", err)) ||
      (rc = orch_store_valid_text(spec->target, ORCH_STORE_TARGET_MAX, false, "target", err)) ||
      (rc = orch_store_valid_text(spec->request_id, ORCH_STORE_REQUEST_ID_MAX, false, "request_id", err)) ||
      (rc = orch_store_valid_object(spec->details, true, "details", err)))
    return rc;
  if (spec->at_ms < 0) return orch_error_setc(err, ORCH_EINVAL, "at_ms", "must not be negative");
  a.at_ms = spec->at_ms ? spec->at_ms : orch_clock_now_ms(store->clock);
  orch_store_put_str(a.actor, sizeof a.actor, spec->actor);
  orch_store_put_str(a.role, sizeof a.role, spec->role);
  orch_store_put_str(a.source, sizeof a.source, spec->source);
  orch_store_put_str(a.action, sizeof a.action, spec->action);
  orch_store_put_str(a.target, sizeof a.target, spec->target);
  orch_store_put_str(a.request_id, sizeof a.request_id, spec->request_id);
  /* the backend only reads the record, so it may borrow the caller's details */
  a.details = (json_t *)(uintptr_t)spec->details;
  rc = ORCH_STORE_CALL(store, audit_append, err, &a, &local_id);
  if (!rc && id) *id = local_id;
  return rc;
}

int orch_store_audit_list(struct orch_store *store, const struct orch_store_audit_filter *filter,
                          const struct orch_store_page *page, struct orch_store_audit_list *out,
                          struct orch_error *err) {
  static const struct orch_store_audit_filter any = {0};
  const struct orch_store_audit_filter *f = filter ? filter : &any;
  struct orch_store_page pg;
  int rc = orch_store_check(store, out, "out", err);
  if (rc) return rc;
  memset(out, 0, sizeof *out);
  if ((rc = orch_store_valid_text(f->actor, ORCH_STORE_ACTOR_MAX, false, "actor", err)) ||
      (rc = orch_store_valid_text(f->action, ORCH_STORE_ACTION_MAX, false, "action", err)) ||
      (rc = orch_store_valid_text(f->target, ORCH_STORE_TARGET_MAX, false, "target", err)))
    return rc;
  if (f->from_ms < 0 || f->to_ms < 0) return orch_error_setc(err, ORCH_EINVAL, "at", "time bounds must not be negative");
  if ((rc = orch_store_valid_page(page, &pg, err))) return rc;
  return ORCH_STORE_CALL(store, audit_list, err, f, &pg, out);
}

void orch_store_audit_release(struct orch_store_audit *a) {
  if (!a) return;
  json_decref(a->details);
  memset(a, 0, sizeof *a);
}

void orch_store_audit_list_release(struct orch_store_audit_list *l) {
  if (!l) return;
  for (size_t i = 0; i < l->count; i++) orch_store_audit_release(&l->items[i]);
  orch_free(l->items);
  memset(l, 0, sizeof *l);
}
