/* orch_api_h_plans: recovery plans: list, create from Lua source (validated first; 422 with the report),
 * get (ETag: the latest version), delete (409 while an execution of it runs), POST /plans/validate; and the
 * helpers the version handlers share (orch_api_plans.h). Uses orch_api_plans, orch_plan_compile, orch_store. */
#include <stdio.h>
#include <string.h>

#include "api/orch_api_plans.h"
#include "core/orch_alloc.h"

#define GROUPS_MAX 4096

/* The store's group names, NULL-terminated, for `group "x"` checks. */
static int group_names(struct orch_store *store, json_t *names, const char ***out, struct orch_error *err) {
  char cursor[ORCH_STORE_CURSOR_MAX + 1] = "";
  int rc = 0;
  do {
    struct orch_store_group_list l = {0};
    struct orch_store_page page = {.limit = ORCH_STORE_PAGE_MAX, .cursor = cursor[0] ? cursor : NULL};
    if ((rc = orch_store_group_list(store, &page, &l, err))) return rc;
    for (size_t i = 0; i < l.count && json_array_size(names) < GROUPS_MAX; i++)
      json_array_append_new(names, json_string(l.items[i].name));
    snprintf(cursor, sizeof cursor, "%s", l.next_cursor);
    orch_store_group_list_release(&l);
  } while (cursor[0] && json_array_size(names) < GROUPS_MAX);
  const char **arr = orch_calloc(json_array_size(names) + 1, sizeof *arr);
  if (!arr) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  for (size_t i = 0; i < json_array_size(names); i++) arr[i] = json_string_value(json_array_get(names, i));
  *out = arr;
  return 0;
}

int api_plan_compile(struct api_call *c, const char *source, const char *file, struct orch_plan_report **report,
                     struct orch_error *err) {
  json_t *names = json_array();
  const char **groups = NULL;
  int rc = names ? group_names(c->api->cfg.store, names, &groups, err) : orch_error_set(err, ORCH_ENOMEM, "out of memory");
  struct orch_plan_sandbox_config sc = {.module_dir = c->api->cfg.module_dir};
  struct orch_plan_source src = {.file = file, .text = source, .len = strlen(source)};
  struct orch_plan_options po = {.known_groups = groups};
  if (!rc) rc = orch_plan_validate(&sc, &src, &po, report, err);
  orch_free(groups);
  json_decref(names);
  return rc;
}

int api_plan_invalid(struct api_call *c, const struct orch_plan_report *report) {
  const json_t *first = json_array_get(orch_plan_report_problems(report), 0);
  return api_error(c, 422, "PlanInvalid", orch_plan_report_json(report), "the plan has %zu problem%s; first: %s:%lld:%lld: %s",
                   orch_plan_report_count(report), orch_plan_report_count(report) == 1 ? "" : "s",
                   json_string_value(json_object_get(first, "file")),
                   (long long)json_integer_value(json_object_get(first, "line")),
                   (long long)json_integer_value(json_object_get(first, "column")),
                   json_string_value(json_object_get(first, "message")));
}

json_t *api_plan_json(const struct orch_store_plan *p) {
  return json_pack("{s:s, s:s, s:s, s:I, s:o, s:o}", "id", p->id, "name", p->name, "description", p->description,
                   "latest_version", (json_int_t)p->latest_version, "created_at", api_time(p->created_ms), "updated_at",
                   api_time(p->updated_ms));
}

json_t *api_plan_graph(const json_t *compiled) {
  json_t *nodes = json_array();
  const json_t *gates = json_object_get(compiled, "gates"), *w, *g;
  size_t i, k;
  json_array_foreach(json_object_get(compiled, "waves"), i, w) {
    const char *name = json_string_value(json_object_get(w, "name"));
    const char *approval = NULL;
    json_array_foreach(gates, k, g) if (name && json_equal(json_object_get(g, "wave"), json_object_get(w, "name")))
        approval = json_string_value(json_object_get(g, "message"));
    json_t *hooks = json_array();
    const char *key;
    json_t *ignored;
    json_object_foreach(json_object_get(w, "hooks"), key, ignored) json_array_append_new(hooks, json_string(key));
    const json_t *deps = json_object_get(w, "depends_on"), *servers = json_object_get(w, "servers");
    const char *policy = json_string_value(json_object_get(json_object_get(w, "on_failure"), "policy"));
    if (nodes && name)
      json_array_append_new(nodes, json_pack("{s:s, s:I, s:O, s:o, s:o, s:O, s:o}", "id", name, "level",
                                             json_integer_value(json_object_get(w, "level")), "depends_on",
                                             json_is_array(deps) ? deps : json_array(), "approval",
                                             approval ? json_string(approval) : json_null(), "on_failure",
                                             policy ? json_string(policy) : json_null(), "servers",
                                             servers ? servers : json_null(), "hooks", hooks));
    else
      json_decref(hooks);
  }
  const json_t *edges = json_object_get(compiled, "edges");
  return nodes ? json_pack("{s:o, s:O}", "nodes", nodes, "edges", json_is_array(edges) ? edges : json_array()) : NULL;
}

json_t *api_version_json(const struct orch_store_plan_version *v, bool full) {
  json_t *j = json_pack("{s:s, s:I, s:s, s:s, s:o}", "plan_id", v->plan_id, "version", (json_int_t)v->version, "author",
                        v->author, "description", v->description, "created_at", api_time(v->created_ms));
  if (j && full && (json_object_set_new(j, "source", json_string(v->source ? v->source : "")) ||
                    json_object_set(j, "plan", v->compiled ? v->compiled : json_object()) ||
                    json_object_set_new(j, "graph", api_plan_graph(v->compiled))))
    json_decref(j), j = NULL;
  return j;
}

/* ---- Handlers -------------------------------------------------------------------------------- */

int api_h_plans_list(struct api_call *c) {
  struct orch_store_page page;
  struct orch_store_plan_list l = {0};
  struct orch_error err = {0};
  if (api_query_page(c, &page)) return 0;
  int rc = orch_store_plan_list(c->api->cfg.store, &page, &l, &err);
  if (rc) return api_fail(c, rc, &err);
  json_t *items = json_array();
  for (size_t i = 0; items && i < l.count; i++) json_array_append_new(items, api_plan_json(&l.items[i]));
  api_page(c, items, l.next_cursor);
  orch_store_plan_list_release(&l);
  return 0;
}

int api_h_plan_create(struct api_call *c) {
  const char *name = json_string_value(json_object_get(c->body, "name"));
  const char *source = json_string_value(json_object_get(c->body, "source"));
  char file[ORCH_STORE_NAME_MAX + 8];
  snprintf(file, sizeof file, "%s.lua", name ? name : "plan");
  struct orch_plan_report *report = NULL;
  struct orch_error err = {0};
  int rc = api_plan_compile(c, source, file, &report, &err);
  if (rc) return api_fail(c, rc, &err);
  const json_t *compiled = orch_plan_report_plan(report);
  const char *compiled_name = json_string_value(json_object_get(compiled, "name"));
  const char *description = json_string_value(json_object_get(c->body, "description"));
  if (!description) description = json_string_value(json_object_get(compiled, "description"));
  struct orch_store_plan p = {0};
  struct orch_store_plan_version v = {0};
  if (!compiled) {
    api_plan_invalid(c, report);
  } else if (name && compiled_name && strcmp(name, compiled_name) != 0) {
    api_error(c, 422, "ValidationError", json_pack("{s:s}", "field", "name"),
              "the request names the plan '%s' but its source names it '%s'", name, compiled_name);
  } else {
    struct orch_store_version_spec spec = {.source = source, .compiled = compiled, .author = c->who.name,
                                           .description = description};
    if ((rc = orch_store_plan_create(c->api->cfg.store, compiled_name, &spec, &p, &v, &err))) {
      api_fail(c, rc, &err);
    } else {
      char target[64];
      snprintf(target, sizeof target, "plan/%s", p.id);
      api_audit(c, target, NULL, json_integer(1), json_pack("{s:s}", "name", p.name));
      api_header(c, "Location", "/api/v1/plans/%s", p.id);
      api_header(c, "ETag", "\"1\"");
      api_json(c, 201, json_pack("{s:o, s:o}", "plan", api_plan_json(&p), "version", api_version_json(&v, true)));
    }
  }
  orch_store_plan_version_release(&v);
  orch_plan_report_free(report);
  return 0;
}

int api_h_plan_validate(struct api_call *c) {
  const char *file = json_string_value(json_object_get(c->body, "file"));
  struct orch_plan_report *report = NULL;
  struct orch_error err = {0};
  int rc = api_plan_compile(c, json_string_value(json_object_get(c->body, "source")), file ? file : "plan.lua", &report,
                            &err);
  if (rc) return api_fail(c, rc, &err);
  api_json(c, 200, orch_plan_report_json(report));
  orch_plan_report_free(report);
  return 0;
}

int api_h_plan_get(struct api_call *c) {
  const char *id;
  if (api_param_id(c, 0, "plan id", &id)) return 0;
  struct orch_store_plan p;
  struct orch_error err = {0};
  int rc = orch_store_plan_get(c->api->cfg.store, id, &p, &err);
  if (rc) return api_fail(c, rc, &err);
  api_header(c, "ETag", "\"%lld\"", (long long)p.latest_version);
  return api_json(c, 200, api_plan_json(&p));
}

int api_h_plan_delete(struct api_call *c) {
  const char *id;
  if (api_param_id(c, 0, "plan id", &id)) return 0;
  struct orch_store_plan p;
  struct orch_error err = {0};
  int rc = orch_store_plan_get(c->api->cfg.store, id, &p, &err);
  if (!rc) rc = orch_store_plan_delete(c->api->cfg.store, id, &err);
  if (rc) return api_fail(c, rc, &err);
  char target[64];
  snprintf(target, sizeof target, "plan/%s", id);
  api_audit(c, target, json_integer(p.latest_version), NULL, json_pack("{s:s}", "name", p.name));
  c->resp->status = 204;
  return 0;
}
