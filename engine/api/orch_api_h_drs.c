/* orch_api_h_drs: GET /drs/source-servers (filters: tag KEY=VALUE, hostname; each server with the groups
 * that take it), /drs/recovery-instances and /drs/quotas. Listings page through the cached DRS answer
 * with an offset cursor. Uses orch_api_int, orch_api_discovery, orch_str. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/orch_api_discovery.h"
#include "core/orch_str.h"

/* The page [offset, offset + limit) of `all` as a page answer; the cursor is the next offset. */
static int page_of(struct api_call *c, json_t *all, int64_t at_ms, bool groups) {
  struct orch_store_page page;
  if (api_query_page(c, &page)) return 0;
  long long offset = 0;
  if (page.cursor && orch_str_to_ll(page.cursor, 0, 100000000, &offset))
    return api_error(c, 400, "BadRequest", json_pack("{s:s}", "field", "cursor"), "malformed cursor");
  size_t limit = page.limit ? page.limit : ORCH_STORE_PAGE_DEFAULT, n = json_array_size(all);
  json_t *items = json_array();
  for (size_t i = (size_t)offset; items && i < n && i < (size_t)offset + limit; i++)
    json_array_append_new(items, json_deep_copy(json_array_get(all, i)));
  struct orch_error err = {0};
  int rc = groups && items ? orch_api_discovery_groups(c->api, items, &err) : 0;
  if (rc) {
    json_decref(items);
    return api_fail(c, rc, &err);
  }
  char next[32] = "";
  if ((size_t)offset + limit < n) snprintf(next, sizeof next, "%zu", (size_t)offset + limit);
  return api_json(c, 200, items ? json_pack("{s:o, s:o, s:o}", "items", items, "next_cursor",
                                            next[0] ? json_string(next) : json_null(), "cached_at", api_time(at_ms))
                                : NULL);
}

static bool refresh(const struct api_call *c) {
  const char *r = api_query(c, "refresh");
  return r && strcmp(r, "true") == 0;
}

/* Whether the server has every tag=value in the request's tag parameters and the hostname text. */
static bool matches(const struct api_call *c, const json_t *srv) {
  const json_t *tags = json_object_get(srv, "tags");
  for (size_t i = 0; i < c->nquery; i++) {
    if (strcmp(c->query[i].name, "tag") != 0) continue;
    const char *eq = strchr(c->query[i].value, '=');
    char key[256];
    snprintf(key, sizeof key, "%.*s", (int)(eq - c->query[i].value), c->query[i].value);
    const char *have = json_string_value(json_object_get(tags, key));
    if (!have || strcmp(have, eq + 1) != 0) return false;
  }
  const char *host = api_query(c, "hostname");
  const char *h = json_string_value(json_object_get(srv, "hostname"));
  if (!host) return true;
  if (!h) return false;
  size_t hl = strlen(host);
  for (const char *p = h; *p; p++)
    if (strncasecmp(p, host, hl) == 0) return true;
  return false;
}

int api_h_drs_source_servers(struct api_call *c) {
  json_t *all = NULL;
  int64_t at = 0;
  struct orch_error err = {0};
  int rc = orch_api_discovery_servers(c->api, api_query(c, "account"), api_query(c, "region"), refresh(c), &all, &at,
                                      &err);
  if (rc) return api_fail(c, rc, &err);
  json_t *kept = json_array();
  size_t i;
  json_t *srv;
  json_array_foreach(all, i, srv) if (kept && matches(c, srv)) json_array_append(kept, srv);
  json_decref(all);
  if (!kept) return api_json(c, 200, NULL);
  page_of(c, kept, at, true);
  json_decref(kept);
  return 0;
}

int api_h_drs_recovery_instances(struct api_call *c) {
  json_t *all = NULL;
  int64_t at = 0;
  struct orch_error err = {0};
  int rc = orch_api_discovery_instances(c->api, api_query(c, "account"), api_query(c, "region"), refresh(c), &all,
                                        &at, &err);
  if (rc) return api_fail(c, rc, &err);
  page_of(c, all, at, false);
  json_decref(all);
  return 0;
}

int api_h_drs_quotas(struct api_call *c) {
  json_t *quotas = NULL;
  struct orch_error err = {0};
  int rc = orch_api_discovery_quotas(c->api, api_query(c, "account"), api_query(c, "region"), &quotas, &err);
  return rc ? api_fail(c, rc, &err) : api_json(c, 200, quotas);
}
