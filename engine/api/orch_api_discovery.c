/* orch_api_discovery: DRS answers normalised for the API, selectors resolved, group membership, quotas with
 * their use. Uses orch_api_int (AWS ops), orch_api_drs (cache), orch_store, orch_str. */
#include "api/orch_api_discovery.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "api/orch_api_drs.h"
#include "core/orch_str.h"

struct scope {
  struct orch_api *api;
  const char *account, *region;
};

static const char *account_of(const struct orch_api *api, const char *account) {
  return account && *account ? account : api_default_account(api);
}

static const char *region_of(const struct orch_api *api, const char *region) {
  return region && *region ? region : api_default_region(api);
}

static int aws(struct scope *s, const char *service, const char *op, json_t *input, json_t **out, struct orch_error *err) {
  const struct orch_api_backends *b = api_backends(s->api);
  struct orch_aws_error aerr = {0};
  int rc = b && b->aws ? b->aws->call(b->aws_ctx, s->account, s->region, service, op, input, true, out, &aerr, err)
                       : orch_error_set(err, ORCH_ESTATE, "the server has no way to AWS yet (starting)");
  json_decref(input);
  if (rc && rc != ORCH_ENOMEM) orch_error_prefix(err, "%s:%s in %s/%s", service, op, s->account, s->region);
  return rc == ORCH_ENOMEM ? rc : rc ? ORCH_EAWS : 0;
}

/* "PT1H2M3.5S" (and "P1DT..") into seconds; -1 when it is not such a duration. */
static double iso_duration_s(const char *d) {
  if (!d || *d != 'P') return -1;
  double total = 0, v = 0;
  bool in_time = false, any = false;
  for (const char *p = d + 1; *p; p++) {
    if (*p == 'T') {
      in_time = true;
      continue;
    }
    char *end = NULL;
    v = strtod(p, &end);
    if (end == p || !*end) return -1;
    switch (*end) {
      case 'D': total += v * 86400; break;
      case 'H': total += v * 3600; break;
      case 'M': total += in_time ? v * 60 : v * 2592000; break;
      case 'S': total += v; break;
      default: return -1;
    }
    any = true;
    p = end;
  }
  return any ? total : -1;
}

static json_t *str_or_null(const json_t *j) { return json_is_string(j) ? json_incref((json_t *)(uintptr_t)j) : json_null(); }

static json_t *server_json(const json_t *s, const char *account, const char *region) {
  const json_t *repl = json_object_get(s, "dataReplicationInfo");
  double lag = iso_duration_s(json_string_value(json_object_get(repl, "lagDuration")));
  const json_t *hints = json_object_get(json_object_get(s, "sourceProperties"), "identificationHints");
  const json_t *tags = json_object_get(s, "tags");
  return json_pack("{s:O, s:o, s:s, s:s, s:O, s:o, s:o, s:o, s:o, s:o}", "id", json_object_get(s, "sourceServerID"),
                   "hostname", str_or_null(json_object_get(hints, "hostname")), "account", account, "region", region,
                   "tags", json_is_object(tags) ? tags : json_object(), "replication_state",
                   str_or_null(json_object_get(repl, "dataReplicationState")), "lag_seconds",
                   lag >= 0 ? json_real(lag) : json_null(), "last_seen_at",
                   str_or_null(json_object_get(json_object_get(s, "lifeCycle"), "lastSeenByServiceDateTime")),
                   "last_launch_result", str_or_null(json_object_get(s, "lastLaunchResult")), "recovery_instance_id",
                   str_or_null(json_object_get(s, "recoveryInstanceId")));
}

static json_t *instance_json(const json_t *r, const char *account, const char *region) {
  const json_t *tags = json_object_get(r, "tags");
  const json_t *drill = json_object_get(r, "isDrill");
  return json_pack("{s:O, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:s, s:O}", "id", json_object_get(r, "recoveryInstanceID"),
                   "ec2_instance_id", str_or_null(json_object_get(r, "ec2InstanceID")), "ec2_state",
                   str_or_null(json_object_get(r, "ec2InstanceState")), "source_server_id",
                   str_or_null(json_object_get(r, "sourceServerID")), "is_drill",
                   json_is_boolean(drill) ? json_incref((json_t *)(uintptr_t)drill) : json_null(), "job_id",
                   str_or_null(json_object_get(r, "jobID")), "point_in_time",
                   str_or_null(json_object_get(r, "pointInTimeSnapshotDateTime")), "account", account, "region", region,
                   "tags", json_is_object(tags) ? tags : json_object());
}

/* The items of a paginated DRS listing normalised by `norm` (items without a string `id_key` skipped). */
static int fetch_list(struct scope *s, const char *op, const char *id_key,
                      json_t *(*norm)(const json_t *, const char *, const char *), json_t **value,
                      struct orch_error *err) {
  json_t *out = NULL, *items = json_array();
  int rc = items ? aws(s, "drs", op, json_object(), &out, err) : ORCH_ENOMEM;
  size_t i;
  const json_t *it;
  json_array_foreach(json_object_get(out, "items"), i, it) {
    json_t *n = json_is_string(json_object_get(it, id_key)) ? norm(it, s->account, s->region) : NULL;
    if (n && json_array_append_new(items, n)) rc = ORCH_ENOMEM;
  }
  json_decref(out);
  if (rc) json_decref(items), items = NULL;
  *value = items;
  return rc == ORCH_ENOMEM ? orch_error_set(err, rc, "out of memory") : rc;
}

static int fetch_servers(void *ctx, json_t **value, struct orch_error *err) {
  return fetch_list(ctx, "DescribeSourceServers", "sourceServerID", server_json, value, err);
}

static int fetch_instances(void *ctx, json_t **value, struct orch_error *err) {
  return fetch_list(ctx, "DescribeRecoveryInstances", "recoveryInstanceID", instance_json, value, err);
}

static int cached(struct orch_api *api, const char *kind, const char *account, const char *region, bool refresh,
                  orch_api_drs_fetch fetch, json_t **items, int64_t *at_ms, struct orch_error *err) {
  struct scope s = {api, account_of(api, account), region_of(api, region)};
  if (!*s.region) return orch_error_setc(err, ORCH_EINVAL, "region", "no region given and the server has no default");
  char key[96];
  snprintf(key, sizeof key, "%s/%s/%s", kind, s.account, s.region);
  return orch_api_drs_get(api->drs, key, refresh, fetch, &s, items, at_ms, err);
}

int orch_api_discovery_servers(struct orch_api *api, const char *account, const char *region, bool refresh,
                               json_t **items, int64_t *at_ms, struct orch_error *err) {
  return cached(api, "servers", account, region, refresh, fetch_servers, items, at_ms, err);
}

int orch_api_discovery_instances(struct orch_api *api, const char *account, const char *region, bool refresh,
                                 json_t **items, int64_t *at_ms, struct orch_error *err) {
  return cached(api, "instances", account, region, refresh, fetch_instances, items, at_ms, err);
}

/* Whether `selector` ({"server_ids"} or {"tags"}) takes `server`. */
static bool selector_takes(const json_t *selector, const json_t *server) {
  const json_t *ids = json_object_get(selector, "server_ids"), *tags = json_object_get(selector, "tags"), *v;
  const char *id = json_string_value(json_object_get(server, "id")), *k;
  size_t i;
  if (ids) {
    json_array_foreach(ids, i, v) if (id && json_is_string(v) && strcmp(json_string_value(v), id) == 0) return true;
    return false;
  }
  if (!json_object_size(tags)) return false;
  const json_t *have = json_object_get(server, "tags");
  json_object_foreach((json_t *)(uintptr_t)tags, k, v) if (!json_equal(json_object_get(have, k), v)) return false;
  return true;
}

int orch_api_discovery_groups(struct orch_api *api, json_t *servers, struct orch_error *err) {
  char cursor[ORCH_STORE_CURSOR_MAX + 1] = "";
  size_t i;
  json_t *srv;
  json_array_foreach(servers, i, srv) json_object_set_new(srv, "groups", json_array());
  do {
    struct orch_store_group_list l = {0};
    struct orch_store_page page = {.limit = ORCH_STORE_PAGE_MAX, .cursor = cursor[0] ? cursor : NULL};
    int rc = orch_store_group_list(api->cfg.store, &page, &l, err);
    if (rc) return rc;
    for (size_t g = 0; g < l.count; g++)
      json_array_foreach(servers, i, srv) {
        if (strcmp(l.items[g].account, json_string_value(json_object_get(srv, "account"))) != 0 ||
            strcmp(l.items[g].region, json_string_value(json_object_get(srv, "region"))) != 0 ||
            !selector_takes(l.items[g].selector, srv))
          continue;
        json_array_append_new(json_object_get(srv, "groups"), json_string(l.items[g].name));
      }
    snprintf(cursor, sizeof cursor, "%s", l.next_cursor);
    orch_store_group_list_release(&l);
  } while (cursor[0]);
  return 0;
}

int orch_api_discovery_resolve(struct orch_api *api, const char *account, const char *region, const json_t *selector,
                               json_t **servers, json_t **missing, struct orch_error *err) {
  json_t *all = NULL;
  int64_t at;
  *servers = *missing = NULL;
  int rc = orch_api_discovery_servers(api, account, region, false, &all, &at, err);
  if (rc) return rc;
  json_t *out = json_array(), *gone = json_array();
  size_t i;
  const json_t *srv, *id;
  json_array_foreach(all, i, srv) if (out && selector_takes(selector, srv)) json_array_append_new(out, json_deep_copy(srv));
  json_array_foreach(json_object_get(selector, "server_ids"), i, id) {
    bool found = false;
    size_t k;
    json_array_foreach(out, k, srv) found = found || json_equal(json_object_get(srv, "id"), id);
    if (!found && gone) json_array_append(gone, (json_t *)(uintptr_t)id);
  }
  json_decref(all);
  if (!out || !gone || (rc = orch_api_discovery_groups(api, out, err))) {
    json_decref(out);
    json_decref(gone);
    return rc ? rc : orch_error_set(err, ORCH_ENOMEM, "out of memory");
  }
  *servers = out;
  *missing = gone;
  return 0;
}

/* ---- Quotas ---------------------------------------------------------------------------------- */

struct use {
  double servers, replicating, jobs, servers_in_jobs, largest_job;
};

static int current_use(struct orch_api *api, struct scope *s, struct use *u, struct orch_error *err) {
  json_t *servers = NULL, *jobs = NULL;
  int64_t at;
  int rc = orch_api_discovery_servers(api, s->account, s->region, false, &servers, &at, err);
  if (!rc) rc = aws(s, "drs", "DescribeJobs", json_object(), &jobs, err);
  size_t i;
  const json_t *it;
  json_array_foreach(servers, i, it) {
    const char *st = json_string_value(json_object_get(it, "replication_state"));
    u->servers++;
    if (st && strcmp(st, "DISCONNECTED") != 0 && strcmp(st, "STOPPED") != 0) u->replicating++;
  }
  json_array_foreach(json_object_get(jobs, "items"), i, it) {
    const char *st = json_string_value(json_object_get(it, "status"));
    if (!st || strcmp(st, "COMPLETED") == 0) continue;
    double n = (double)json_array_size(json_object_get(it, "participatingServers"));
    u->jobs++;
    u->servers_in_jobs += n;
    if (n > u->largest_job) u->largest_job = n;
  }
  json_decref(servers);
  json_decref(jobs);
  return rc;
}

/* The use a quota measures, by its name (as the engine's admission matches them); -1 when unknown. */
static double use_of(const char *name, const struct use *u) {
  char lower[256];
  size_t n = 0;
  for (; name && name[n] && n + 1 < sizeof lower; n++) lower[n] = (char)tolower((unsigned char)name[n]);
  lower[n] = '\0';
  if (strstr(lower, "single") || strstr(lower, "per job")) return u->largest_job;
  if (strstr(lower, "concurrent")) return u->jobs;
  if (strstr(lower, "all jobs") || strstr(lower, "active jobs")) return u->servers_in_jobs;
  if (strstr(lower, "replicating")) return u->replicating;
  if (strstr(lower, "source servers")) return u->servers;
  return -1;
}

int orch_api_discovery_quotas(struct orch_api *api, const char *account, const char *region, json_t **quotas,
                              struct orch_error *err) {
  struct scope s = {api, account_of(api, account), region_of(api, region)};
  struct use u = {0};
  json_t *out = NULL;
  *quotas = NULL;
  int rc = aws(&s, "service-quotas", "ListServiceQuotas", json_pack("{s:s}", "ServiceCode", "drs"), &out, err);
  if (!rc) rc = current_use(api, &s, &u, err);
  json_t *list = rc ? NULL : json_array();
  size_t i;
  const json_t *q;
  json_array_foreach(json_object_get(out, "Quotas"), i, q) {
    const char *name = json_string_value(json_object_get(q, "QuotaName"));
    const json_t *value = json_object_get(q, "Value"), *adj = json_object_get(q, "Adjustable");
    double used = use_of(name, &u);
    if (list)
      json_array_append_new(list, json_pack("{s:o, s:s, s:o, s:o, s:o}", "code", str_or_null(json_object_get(q, "QuotaCode")), "name",
                                            name ? name : "", "value", json_is_number(value) ? json_real(json_number_value(value)) : json_null(),
                                            "usage", used >= 0 ? json_real(used) : json_null(), "adjustable",
                                            json_is_boolean(adj) ? json_incref((json_t *)(uintptr_t)adj) : json_null()));
  }
  json_decref(out);
  if (!rc && !list) rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
  if (!rc) *quotas = json_pack("{s:s, s:s, s:o}", "account", s.account, "region", s.region, "quotas", list);
  return rc;
}
