/* orch_api_h_groups: protection groups: list (name, account, region filters), create, get (ETag: the
 * version), replace (If-Match: 412 on a stale version), delete (409 while a plan in use names it: a plan's
 * latest version, or the version an unfinished execution runs), and GET .../servers, which resolves the
 * selector against DRS now. Uses orch_api_int, orch_api_discovery, orch_store. */
#include <stdio.h>
#include <string.h>

#include "api/orch_api_discovery.h"
#include "api/orch_api_int.h"

static json_t *group_json(const struct orch_store_group *g) {
  return json_pack("{s:s, s:s, s:s, s:s, s:O, s:O, s:I, s:o, s:o}", "id", g->id, "name", g->name, "account", g->account,
                   "region", g->region, "selector", g->selector, "launch_overrides",
                   g->launch_overrides ? g->launch_overrides : json_null(), "version", (json_int_t)g->version,
                   "created_at", api_time(g->created_ms), "updated_at", api_time(g->updated_ms));
}

static int reply_group(struct api_call *c, int status, const struct orch_store_group *g) {
  api_header(c, "ETag", "\"%lld\"", (long long)g->version);
  return api_json(c, status, group_json(g));
}

static struct orch_store_group_spec spec_of(const json_t *body) {
  const json_t *lo = json_object_get(body, "launch_overrides");
  return (struct orch_store_group_spec){.name = json_string_value(json_object_get(body, "name")),
                                        .account = json_string_value(json_object_get(body, "account")),
                                        .region = json_string_value(json_object_get(body, "region")),
                                        .selector = json_object_get(body, "selector"),
                                        .launch_overrides = json_is_object(lo) ? lo : NULL};
}

int api_h_groups_list(struct api_call *c) {
  struct orch_store_page page;
  struct orch_store_group_list l = {0};
  struct orch_error err = {0};
  if (api_query_page(c, &page)) return 0;
  struct orch_store_group_filter f = {.name_contains = api_query(c, "name"), .account = api_query(c, "account"),
                                      .region = api_query(c, "region")};
  int rc = orch_store_group_query(c->api->cfg.store, &f, &page, &l, &err);
  if (rc) return api_fail(c, rc, &err);
  json_t *items = json_array();
  for (size_t i = 0; items && i < l.count; i++) json_array_append_new(items, group_json(&l.items[i]));
  api_page(c, items, l.next_cursor);
  orch_store_group_list_release(&l);
  return 0;
}

int api_h_group_create(struct api_call *c) {
  struct orch_store_group_spec spec = spec_of(c->body);
  struct orch_store_group g = {0};
  struct orch_error err = {0};
  int rc = orch_store_group_create(c->api->cfg.store, &spec, &g, &err);
  if (rc) return api_fail(c, rc, &err);
  char target[64];
  snprintf(target, sizeof target, "protection-group/%s", g.id);
  api_audit(c, target, NULL, json_integer(g.version), json_pack("{s:s}", "name", g.name));
  api_header(c, "Location", "/api/v1/protection-groups/%s", g.id);
  reply_group(c, 201, &g);
  orch_store_group_release(&g);
  return 0;
}

int api_h_group_get(struct api_call *c) {
  const char *id;
  if (api_param_id(c, 0, "protection group id", &id)) return 0;
  struct orch_store_group g = {0};
  struct orch_error err = {0};
  int rc = orch_store_group_get(c->api->cfg.store, id, &g, &err);
  if (rc) return api_fail(c, rc, &err);
  reply_group(c, 200, &g);
  orch_store_group_release(&g);
  return 0;
}

int api_h_group_update(struct api_call *c) {
  const char *id;
  int64_t expected;
  if (api_param_id(c, 0, "protection group id", &id) || api_if_match(c, &expected)) return 0;
  struct orch_store_group_spec spec = spec_of(c->body);
  spec.expected_version = expected;
  struct orch_store_group g = {0};
  struct orch_error err = {0};
  int rc = orch_store_group_update(c->api->cfg.store, id, &spec, &g, &err);
  if (rc) return api_fail(c, rc, &err);
  char target[64];
  snprintf(target, sizeof target, "protection-group/%s", g.id);
  api_audit(c, target, json_integer(g.version - 1), json_integer(g.version), NULL);
  reply_group(c, 200, &g);
  orch_store_group_release(&g);
  return 0;
}

/* Whether a compiled plan's wave selectors name group `name` anywhere. */
static bool names_group(const json_t *j, const char *name) {
  const char *key;
  const json_t *v;
  size_t i;
  if (json_is_object(j)) {
    const char *kind = json_string_value(json_object_get(j, "kind"));
    const char *group = json_string_value(json_object_get(j, "group"));
    if (kind && group && strcmp(kind, "group") == 0 && strcmp(group, name) == 0) return true;
    json_object_foreach((json_t *)(uintptr_t)j, key, v) if (names_group(v, name)) return true;
  } else if (json_is_array(j)) {
    json_array_foreach(j, i, v) if (names_group(v, name)) return true;
  }
  return false;
}

static bool version_names(struct orch_store *store, const char *plan_id, int64_t version, const char *name) {
  struct orch_store_plan_version v = {0};
  bool hit = orch_store_plan_version_get(store, plan_id, version, &v, NULL) == 0 &&
             names_group(json_object_get(v.compiled, "waves"), name);
  orch_store_plan_version_release(&v);
  return hit;
}

/* The first plan in use that names the group, into `plan` ("" when none). */
static int group_in_use(struct orch_store *store, const char *name, char *plan, size_t n, struct orch_error *err) {
  char cursor[ORCH_STORE_CURSOR_MAX + 1] = "";
  int rc = 0;
  plan[0] = '\0';
  do {
    struct orch_store_plan_list l = {0};
    struct orch_store_page page = {.limit = ORCH_STORE_PAGE_MAX, .cursor = cursor[0] ? cursor : NULL};
    if ((rc = orch_store_plan_list(store, &page, &l, err))) return rc;
    for (size_t i = 0; !plan[0] && i < l.count; i++)
      if (version_names(store, l.items[i].id, 0, name)) snprintf(plan, n, "%s", l.items[i].name);
    snprintf(cursor, sizeof cursor, "%s", l.next_cursor);
    orch_store_plan_list_release(&l);
  } while (!plan[0] && cursor[0]);
  struct orch_store_exec_list running = {0};
  if (!plan[0] && !(rc = orch_store_exec_list_unfinished(store, &running, err)))
    for (size_t i = 0; !plan[0] && i < running.count; i++)
      if (version_names(store, running.items[i].plan_id, running.items[i].plan_version, name))
        snprintf(plan, n, "execution %s", running.items[i].id);
  orch_store_exec_list_release(&running);
  return rc;
}

int api_h_group_delete(struct api_call *c) {
  const char *id;
  int64_t expected;
  if (api_param_id(c, 0, "protection group id", &id) || api_if_match(c, &expected)) return 0;
  struct orch_store_group g = {0};
  struct orch_error err = {0};
  char user[ORCH_STORE_NAME_MAX + 64];
  int rc = orch_store_group_get(c->api->cfg.store, id, &g, &err);
  if (rc) return api_fail(c, rc, &err);
  if (expected && expected != g.version)
    rc = api_error(c, 412, "PreconditionFailed", json_pack("{s:I}", "version", (json_int_t)g.version),
                   "protection group %s is at version %lld, not %lld", id, (long long)g.version, (long long)expected);
  else if ((rc = group_in_use(c->api->cfg.store, g.name, user, sizeof user, &err)))
    api_fail(c, rc, &err);
  else if (user[0])
    api_error(c, 409, "Conflict", json_pack("{s:s}", "used_by", user),
              "protection group '%s' is named by %s%s: change that first", g.name,
              strncmp(user, "execution ", 10) == 0 ? "" : "plan ", user);
  else if ((rc = orch_store_group_delete(c->api->cfg.store, id, &err)))
    api_fail(c, rc, &err);
  else {
    char target[64];
    snprintf(target, sizeof target, "protection-group/%s", id);
    api_audit(c, target, json_integer(g.version), NULL, json_pack("{s:s}", "name", g.name));
    c->resp->status = 204;
  }
  orch_store_group_release(&g);
  return 0;
}

int api_h_group_servers(struct api_call *c) {
  const char *id;
  if (api_param_id(c, 0, "protection group id", &id)) return 0;
  struct orch_store_group g = {0};
  struct orch_error err = {0};
  int rc = orch_store_group_get(c->api->cfg.store, id, &g, &err);
  if (rc) return api_fail(c, rc, &err);
  json_t *servers = NULL, *missing = NULL;
  rc = orch_api_discovery_resolve(c->api, g.account, g.region, g.selector, &servers, &missing, &err);
  if (rc) api_fail(c, rc, &err);
  else
    api_json(c, 200, json_pack("{s:s, s:s, s:s, s:o, s:o}", "group_id", g.id, "account", g.account, "region", g.region,
                               "servers", servers, "missing", missing));
  orch_store_group_release(&g);
  return 0;
}
