/* orch_api_h_versions: a plan's versions: list (newest first), save a new one (If-Match: the latest the
 * edit started from; 412 when another was saved since; validated first), get one with its source and
 * wave graph, and diff two (unified diff of the sources, waves and dependencies added and removed, waves
 * changed). Uses orch_api_plans, orch_api_diff, orch_store. */
#include <stdio.h>
#include <string.h>

#include "api/orch_api_diff.h"
#include "api/orch_api_plans.h"
#include "core/orch_str.h"

static int version_param(struct api_call *c, int64_t *v) {
  long long x;
  if (orch_str_to_ll(c->params[1], 1, INT64_MAX, &x))
    return api_error(c, 400, "BadRequest", json_pack("{s:s}", "field", "version"),
                     "'%.40s' is not a version number (1, 2, 3, ...)", c->params[1]),
           -1;
  *v = x;
  return 0;
}

int api_h_versions_list(struct api_call *c) {
  const char *id;
  struct orch_store_page page;
  if (api_param_id(c, 0, "plan id", &id) || api_query_page(c, &page)) return 0;
  struct orch_store_version_list l = {0};
  struct orch_error err = {0};
  int rc = orch_store_plan_version_list(c->api->cfg.store, id, &page, &l, &err);
  if (rc) return api_fail(c, rc, &err);
  json_t *items = json_array();
  for (size_t i = 0; items && i < l.count; i++) json_array_append_new(items, api_version_json(&l.items[i], false));
  api_page(c, items, l.next_cursor);
  orch_store_version_list_release(&l);
  return 0;
}

int api_h_version_create(struct api_call *c) {
  const char *id;
  int64_t expected;
  if (api_param_id(c, 0, "plan id", &id) || api_if_match(c, &expected)) return 0;
  struct orch_store_plan p;
  struct orch_error err = {0};
  int rc = orch_store_plan_get(c->api->cfg.store, id, &p, &err);
  if (rc) return api_fail(c, rc, &err);
  char file[ORCH_STORE_NAME_MAX + 8];
  snprintf(file, sizeof file, "%s.lua", p.name);
  const char *source = json_string_value(json_object_get(c->body, "source"));
  struct orch_plan_report *report = NULL;
  if ((rc = api_plan_compile(c, source, file, &report, &err))) return api_fail(c, rc, &err);
  const json_t *compiled = orch_plan_report_plan(report);
  const char *name = json_string_value(json_object_get(compiled, "name"));
  const char *description = json_string_value(json_object_get(c->body, "description"));
  if (!description) description = json_string_value(json_object_get(compiled, "description"));
  struct orch_store_plan_version v = {0};
  if (!compiled) {
    api_plan_invalid(c, report);
  } else if (strcmp(name, p.name) != 0) {
    api_error(c, 422, "ValidationError", json_pack("{s:s}", "field", "source"),
              "the source names the plan '%s', not '%s': a plan keeps its name", name, p.name);
  } else {
    struct orch_store_version_spec spec = {.source = source, .compiled = compiled, .author = c->who.name,
                                           .description = description};
    if ((rc = orch_store_plan_add_version(c->api->cfg.store, id, expected, &spec, &v, &err))) {
      api_fail(c, rc, &err);
    } else {
      char target[64];
      snprintf(target, sizeof target, "plan/%s", id);
      api_audit(c, target, json_integer(v.version - 1), json_integer(v.version), NULL);
      api_header(c, "Location", "/api/v1/plans/%s/versions/%lld", id, (long long)v.version);
      api_header(c, "ETag", "\"%lld\"", (long long)v.version);
      api_json(c, 201, api_version_json(&v, true));
    }
  }
  orch_store_plan_version_release(&v);
  orch_plan_report_free(report);
  return 0;
}

int api_h_version_get(struct api_call *c) {
  const char *id;
  int64_t version;
  if (api_param_id(c, 0, "plan id", &id) || version_param(c, &version)) return 0;
  struct orch_store_plan_version v = {0};
  struct orch_error err = {0};
  int rc = orch_store_plan_version_get(c->api->cfg.store, id, version, &v, &err);
  if (rc) return api_fail(c, rc, &err);
  api_json(c, 200, api_version_json(&v, true));
  orch_store_plan_version_release(&v);
  return 0;
}

/* A compiled wave without what moves when unrelated lines move (source locations, indexes). */
static json_t *wave_shape(const json_t *w) {
  json_t *copy = json_deep_copy(w);
  const char *strip[] = {"location", "index", "line", "column", "file"};
  json_t *stack[64];
  size_t top = 0;
  if (copy) stack[top++] = copy;
  while (top) {
    json_t *j = stack[--top];
    for (size_t i = 0; json_is_object(j) && i < sizeof strip / sizeof strip[0]; i++) json_object_del(j, strip[i]);
    const char *key;
    json_t *v;
    size_t k;
    if (json_is_object(j)) json_object_foreach(j, key, v) if (top < 64 && (json_is_object(v) || json_is_array(v))) stack[top++] = v;
    if (json_is_array(j)) json_array_foreach(j, k, v) if (top < 64 && (json_is_object(v) || json_is_array(v))) stack[top++] = v;
  }
  return copy;
}

static const json_t *find_wave(const json_t *waves, const char *name) {
  size_t i;
  const json_t *w;
  json_array_foreach(waves, i, w) {
    const char *n = json_string_value(json_object_get(w, "name"));
    if (n && strcmp(n, name) == 0) return w;
  }
  return NULL;
}

/* Waves added, removed and changed from a to b. */
static json_t *wave_changes(const json_t *a, const json_t *b) {
  json_t *added = json_array(), *removed = json_array(), *changed = json_array();
  const json_t *wa = json_object_get(a, "waves"), *wb = json_object_get(b, "waves"), *w;
  size_t i;
  json_array_foreach(wb, i, w) {
    const char *name = json_string_value(json_object_get(w, "name"));
    const json_t *old = name ? find_wave(wa, name) : NULL;
    if (!name) continue;
    if (!old) {
      json_array_append_new(added, json_string(name));
      continue;
    }
    json_t *x = wave_shape(old), *y = wave_shape(w);
    if (!json_equal(x, y)) json_array_append_new(changed, json_string(name));
    json_decref(x);
    json_decref(y);
  }
  json_array_foreach(wa, i, w) {
    const char *name = json_string_value(json_object_get(w, "name"));
    if (name && !find_wave(wb, name)) json_array_append_new(removed, json_string(name));
  }
  return json_pack("{s:o, s:o, s:o}", "added", added, "removed", removed, "changed", changed);
}

/* Edges of `from` not in `to`. */
static json_t *edges_minus(const json_t *from, const json_t *to) {
  json_t *out = json_array();
  size_t i, k;
  const json_t *e, *f;
  json_array_foreach(json_object_get(from, "edges"), i, e) {
    bool found = false;
    json_array_foreach(json_object_get(to, "edges"), k, f) found = found || json_equal(e, f);
    if (!found) json_array_append(out, (json_t *)(uintptr_t)e);
  }
  return out;
}

int api_h_version_diff(struct api_call *c) {
  const char *id, *to_text = api_query(c, "to");
  int64_t from_v, to_v;
  if (api_param_id(c, 0, "plan id", &id) || version_param(c, &from_v)) return 0;
  long long x;
  if (!to_text || orch_str_to_ll(to_text, 1, INT64_MAX, &x))
    return api_error(c, 400, "BadRequest", json_pack("{s:s}", "field", "to"),
                     "?to= must name the version to compare with (1, 2, 3, ...)");
  to_v = x;
  struct orch_store_plan_version a = {0}, b = {0};
  struct orch_error err = {0};
  int rc = orch_store_plan_version_get(c->api->cfg.store, id, from_v, &a, &err);
  if (!rc) rc = orch_store_plan_version_get(c->api->cfg.store, id, to_v, &b, &err);
  struct orch_buf diff = ORCH_BUF_INIT(0);
  char na[64], nb[64];
  snprintf(na, sizeof na, "version %lld", (long long)from_v);
  snprintf(nb, sizeof nb, "version %lld", (long long)to_v);
  if (rc) api_fail(c, rc, &err);
  else if (orch_api_diff_unified(a.source, b.source, na, nb, &diff))
    api_error(c, 503, "ServiceUnavailable", NULL, "out of memory comparing the versions");
  else
    api_json(c, 200, json_pack("{s:s, s:I, s:I, s:s, s:o, s:{s:o, s:o}}", "plan_id", id, "from", (json_int_t)from_v, "to",
                               (json_int_t)to_v, "source_diff", orch_buf_cstr(&diff), "waves",
                               wave_changes(a.compiled, b.compiled), "dependencies", "added",
                               edges_minus(b.compiled, a.compiled), "removed", edges_minus(a.compiled, b.compiled)));
  orch_buf_free(&diff);
  orch_store_plan_version_release(&a);
  orch_store_plan_version_release(&b);
  return 0;
}
