/* orch_exec_reduce: the reducer. Folds one journal event into an execution's state; the state is
 * nothing but the fold of its events, so a restart rebuilds it exactly. Every handler checks the whole
 * event before it changes anything: an event the reducer refuses leaves the state as it was. The event
 * catalogue and each event's data are documented in docs/execution.md. Jobs, terminations and
 * notifications are in orch_exec_reduce_jobs.c. Uses jansson, orch_json, orch_alloc. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/orch_alloc.h"
#include "exec/orch_exec_reduce_int.h"

int rd_bad(struct rd *r, const char *fmt, ...) {
  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return orch_error_setc(r->err, ORCH_EVALIDATION, r->path, "%s", msg);
}

int rd_str(struct rd *r, const char *key, bool required, const char **out) {
  if (!required && json_is_null(json_object_get(r->ev->data, key))) return 0;
  return orch_json_get_str(r->ev->data, r->path, key, required, out, r->err);
}

int rd_int(struct rd *r, const char *key, bool required, long long *out) {
  return orch_json_get_int(r->ev->data, r->path, key, required, INT64_MIN, INT64_MAX, out, r->err);
}

void rd_copy(char *dst, size_t n, const char *src) {
  size_t len = src ? strnlen(src, n - 1) : 0;
  memcpy(dst, src ? src : "", len);
  dst[len] = '\0';
}

struct orch_exec_wave *rd_wave(struct orch_exec_state *st, struct rd *r, int *rc, size_t *idx) {
  const char *name = NULL;
  *rc = rd_str(r, "wave", true, &name);
  if (*rc) return NULL;
  long w = orch_exec_wave_index(st, name);
  if (w < 0) {
    *rc = rd_bad(r, "unknown wave '%s'", name);
    return NULL;
  }
  if (idx) *idx = (size_t)w;
  return &st->waves[w];
}

static int hook_kind(struct rd *r, const char *name, int *out) {
  if (strcmp(name, "before") == 0) *out = ORCH_HOOK_BEFORE;
  else if (strcmp(name, "after") == 0) *out = ORCH_HOOK_AFTER;
  else if (strcmp(name, "on_failure") == 0) *out = ORCH_HOOK_ON_FAILURE;
  else if (strcmp(name, "cleanup") == 0) *out = 0;
  else return rd_bad(r, "unknown hook '%s' (before, after, on_failure, cleanup)", name);
  return 0;
}

/* ---- ExecutionCreated: the plan snapshot and its waves (built aside, swapped in on success) ------- */

static void waves_free(struct orch_exec_wave *waves, size_t n) {
  for (size_t i = 0; waves && i < n; i++) {
    orch_free(waves[i].deps);
    orch_free(waves[i].approval);
    json_decref(waves[i].approvers);
    json_decref(waves[i].hook_calls);
  }
  orch_free(waves);
}

static int parse_wave_spec(struct rd *r, const json_t *spec, size_t i, struct orch_exec_wave *w) {
  char path[ORCH_JSON_PATH_MAX];
  snprintf(path, sizeof path, "%s.waves[%zu]", r->path, i);
  const char *name = NULL, *approval = NULL, *policy = "fail";
  long long retries = 0, timeout = 0, approval_timeout = 0;
  json_t *hooks = NULL, *approvers = NULL;
  int rc = orch_json_get_str(spec, path, "name", true, &name, r->err);
  if (!rc) rc = orch_json_get_str(spec, path, "approval", false, &approval, r->err);
  if (!rc) rc = orch_json_get_str(spec, path, "on_failure", false, &policy, r->err);
  if (!rc) rc = orch_json_get_int(spec, path, "retries", false, 0, ORCH_EXEC_ATTEMPT_MAX - 1, &retries, r->err);
  if (!rc) rc = orch_json_get_array(spec, path, "hooks", false, &hooks, r->err);
  if (!rc) rc = orch_json_get_array(spec, path, "approvers", false, &approvers, r->err);
  if (!rc) rc = orch_json_get_int(spec, path, "timeout_ms", false, 0, INT64_MAX, &timeout, r->err);
  if (!rc) rc = orch_json_get_int(spec, path, "approval_timeout_ms", false, 0, INT64_MAX, &approval_timeout, r->err);
  if (rc) return rc;
  if (strlen(name) >= sizeof w->name) return orch_error_setc(r->err, ORCH_EVALIDATION, path, "wave name too long");
  rd_copy(w->name, sizeof w->name, name);
  if (strcmp(policy, "fail") == 0) w->on_failure = ORCH_ON_FAILURE_FAIL;
  else if (strcmp(policy, "continue") == 0) w->on_failure = ORCH_ON_FAILURE_CONTINUE;
  else if (strcmp(policy, "retry") == 0) w->on_failure = ORCH_ON_FAILURE_RETRY;
  else return orch_error_setc(r->err, ORCH_EVALIDATION, path, "on_failure '%s' is not fail, continue or retry", policy);
  w->retries = (int)retries;
  w->timeout_ms = timeout;
  w->approval_timeout_ms = approval_timeout;
  size_t k;
  json_t *h;
  json_array_foreach(approvers, k, h) if (!json_is_string(h))
      return orch_error_setc(r->err, ORCH_EVALIDATION, path, "approvers must be strings");
  json_array_foreach(hooks, k, h) {
    int kind = 0;
    if (!json_is_string(h)) return orch_error_setc(r->err, ORCH_EVALIDATION, path, "hooks must be strings");
    rc = hook_kind(r, json_string_value(h), &kind);
    if (rc) return rc;
    w->hooks |= (unsigned)kind;
  }
  if (approval && !(w->approval = orch_strdup(approval))) return ORCH_ENOMEM;
  w->approvers = approvers ? json_incref(approvers) : json_array();
  return w->approvers ? 0 : ORCH_ENOMEM;
}

static int link_deps(struct orch_exec_wave *waves, size_t n, struct rd *r, const json_t *specs) {
  for (size_t i = 0; i < n; i++) {
    char path[ORCH_JSON_PATH_MAX];
    snprintf(path, sizeof path, "%s.waves[%zu]", r->path, i);
    json_t *deps = NULL;
    int rc = orch_json_get_array(json_array_get(specs, i), path, "depends_on", false, &deps, r->err);
    if (rc) return rc;
    size_t nd = json_array_size(deps);
    if (!nd) continue;
    waves[i].deps = orch_calloc(nd, sizeof(size_t));
    if (!waves[i].deps) return ORCH_ENOMEM;
    for (size_t d = 0; d < nd; d++) {
      const char *dn = json_string_value(json_array_get(deps, d));
      long idx = -1;
      for (size_t k = 0; dn && k < n; k++)
        if (strcmp(waves[k].name, dn) == 0) idx = (long)k;
      if (idx < 0 || (size_t)idx == i)
        return orch_error_setc(r->err, ORCH_EVALIDATION, path, "depends_on names unknown wave '%s'", dn ? dn : "(not a string)");
      waves[i].deps[waves[i].ndeps++] = (size_t)idx;
    }
  }
  return 0;
}

static int on_created(struct orch_exec_state *st, struct rd *r) {
  if (st->seq != 0) return rd_bad(r, "%s: execution already created", "ExecutionCreated");
  const char *id = NULL, *plan_id = "", *plan_name = "", *mode = NULL, *topic = "", *module_dir = "", *by = "";
  long long version = 0, rto = 0, rpo = 0;
  json_t *waves = NULL, *plan = NULL, *topics = NULL, *events = NULL;
  int rc = rd_str(r, "execution_id", true, &id);
  if (!rc) rc = rd_str(r, "plan_id", false, &plan_id);
  if (!rc) rc = rd_str(r, "plan_name", false, &plan_name);
  if (!rc) rc = rd_str(r, "mode", true, &mode);
  if (!rc) rc = rd_str(r, "notify_topic", false, &topic);
  if (!rc) rc = rd_str(r, "module_dir", false, &module_dir);
  if (!rc) rc = rd_str(r, "started_by", false, &by);
  if (!rc) rc = rd_int(r, "plan_version", false, &version);
  if (!rc) rc = rd_int(r, "rto_target_ms", false, &rto);
  if (!rc) rc = rd_int(r, "rpo_target_ms", false, &rpo);
  if (!rc) rc = orch_json_get_array(r->ev->data, r->path, "waves", true, &waves, r->err);
  if (!rc) rc = orch_json_get_object(r->ev->data, r->path, "plan", false, &plan, r->err);
  if (!rc) rc = orch_json_get_array(r->ev->data, r->path, "notify_topics", false, &topics, r->err);
  if (!rc) rc = orch_json_get_array(r->ev->data, r->path, "notify_events", false, &events, r->err);
  if (rc) return rc;
  int m = orch_exec_mode_parse(mode);
  if (m < 0) return rd_bad(r, "mode '%s' is not drill, recovery or dry-run", mode);
  if (strlen(id) > ORCH_ID_UUID_LEN) return rd_bad(r, "execution_id '%s' is not an execution id", id);
  size_t n = json_array_size(waves);
  if (!n) return rd_bad(r, "%s: a plan needs at least one wave", "waves");
  struct orch_exec_wave *built = orch_calloc(n, sizeof *built);
  if (!built) return ORCH_ENOMEM;
  for (size_t i = 0; i < n && !rc; i++) {
    rc = parse_wave_spec(r, json_array_get(waves, i), i, &built[i]);
    for (size_t j = 0; !rc && j < i; j++)
      if (strcmp(built[j].name, built[i].name) == 0) rc = rd_bad(r, "duplicate wave '%s'", built[i].name);
  }
  if (!rc) rc = link_deps(built, n, r, waves);
  json_t *all_topics = topics ? json_incref(topics) : json_array();
  if (!rc && !topics && *topic && json_array_append_new(all_topics, json_string(topic))) rc = ORCH_ENOMEM;
  json_t *ev_filter = events ? json_incref(events) : json_array();
  if (!rc && (!all_topics || !ev_filter)) rc = ORCH_ENOMEM;
  if (rc) {
    waves_free(built, n);
    json_decref(all_topics);
    json_decref(ev_filter);
    return rc;
  }
  rd_copy(st->id, sizeof st->id, id);
  rd_copy(st->plan_id, sizeof st->plan_id, plan_id);
  rd_copy(st->plan_name, sizeof st->plan_name, plan_name);
  rd_copy(st->notify_topic, sizeof st->notify_topic,
          json_array_size(all_topics) ? json_string_value(json_array_get(all_topics, 0)) : "");
  rd_copy(st->module_dir, sizeof st->module_dir, module_dir);
  rd_copy(st->started_by, sizeof st->started_by, by);
  st->notify_topics = all_topics;
  st->notify_events = ev_filter;
  st->plan_version = version;
  st->rto_target_ms = rto;
  st->rpo_target_ms = rpo;
  st->mode = (enum orch_exec_mode)m;
  st->status = ORCH_EXEC_PENDING;
  st->created_ms = r->ev->at_ms;
  st->has_cleanup_hook = json_is_true(json_object_get(r->ev->data, "cleanup_hook"));
  st->cleanup_hook_done = !st->has_cleanup_hook;
  st->plan = plan ? json_incref(plan) : NULL;
  st->wave_specs = json_incref(waves);
  st->waves = built;
  st->nwaves = n;
  return 0;
}

/* ---- preflight ------------------------------------------------------------------------------------ */

struct parsed_server {
  const char *id, *wave, *host, *account, *region, *group;
  json_t *launch;
  size_t widx;
};

static int on_servers_resolved(struct orch_exec_state *st, struct rd *r) {
  if (st->servers_resolved) return rd_bad(r, "%s: servers already resolved", "ServersResolved");
  if (st->status != ORCH_EXEC_PREFLIGHT) return rd_bad(r, "servers are resolved during PREFLIGHT");
  json_t *list = NULL;
  bool final = true;
  int rc = orch_json_get_array(r->ev->data, r->path, "servers", true, &list, r->err);
  if (!rc) rc = orch_json_get_bool(r->ev->data, r->path, "final", false, &final, r->err);
  if (rc) return rc;
  size_t n = json_array_size(list);
  struct parsed_server *p = orch_calloc(n ? n : 1, sizeof *p);
  struct orch_exec_server *servers = p ? orch_realloc(st->servers, (st->nservers + n + 1) * sizeof *servers) : NULL;
  if (!servers) {
    orch_free(p);
    return ORCH_ENOMEM;
  }
  st->servers = servers; /* grown; nservers is unchanged until every record checked */
  for (size_t i = 0; i < n && !rc; i++) {
    json_t *s = json_array_get(list, i);
    char path[ORCH_JSON_PATH_MAX];
    snprintf(path, sizeof path, "%s.servers[%zu]", r->path, i);
    p[i] = (struct parsed_server){.host = "", .account = "", .region = "", .group = ""};
    rc = orch_json_get_str(s, path, "id", true, &p[i].id, r->err);
    if (!rc) rc = orch_json_get_str(s, path, "wave", true, &p[i].wave, r->err);
    if (!rc) rc = orch_json_get_str(s, path, "hostname", false, &p[i].host, r->err);
    if (!rc) rc = orch_json_get_str(s, path, "account", false, &p[i].account, r->err);
    if (!rc) rc = orch_json_get_str(s, path, "region", false, &p[i].region, r->err);
    if (!rc) rc = orch_json_get_str(s, path, "group", false, &p[i].group, r->err);
    if (!rc) rc = orch_json_get_object(s, path, "launch", false, &p[i].launch, r->err);
    if (rc) break;
    long w = orch_exec_wave_index(st, p[i].wave);
    if (w < 0) rc = orch_error_setc(r->err, ORCH_EVALIDATION, path, "unknown wave '%s'", p[i].wave);
    else if (strlen(p[i].id) >= ORCH_EXEC_AWS_ID_MAX) rc = orch_error_setc(r->err, ORCH_EVALIDATION, path, "server id too long");
    else if (orch_exec_server_index(st, p[i].id) >= 0) rc = orch_error_setc(r->err, ORCH_EVALIDATION, path, "server %s is listed twice", p[i].id);
    for (size_t k = 0; !rc && k < i; k++)
      if (strcmp(p[k].id, p[i].id) == 0) rc = orch_error_setc(r->err, ORCH_EVALIDATION, path, "server %s is listed twice", p[i].id);
    p[i].widx = (size_t)w;
  }
  if (rc) {
    orch_free(p);
    return rc;
  }
  for (size_t i = 0; i < n; i++) {
    struct orch_exec_server *sv = &st->servers[st->nservers++];
    memset(sv, 0, sizeof *sv);
    rd_copy(sv->id, sizeof sv->id, p[i].id);
    rd_copy(sv->hostname, sizeof sv->hostname, p[i].host);
    rd_copy(sv->account, sizeof sv->account, p[i].account);
    rd_copy(sv->region, sizeof sv->region, p[i].region);
    rd_copy(sv->group, sizeof sv->group, p[i].group);
    sv->launch_overrides = p[i].launch ? json_incref(p[i].launch) : NULL;
    sv->wave = p[i].widx;
  }
  orch_free(p);
  st->servers_resolved = final;
  return 0;
}

static int on_preflight_result(struct orch_exec_state *st, struct rd *r) {
  if (st->status != ORCH_EXEC_PREFLIGHT) return rd_bad(r, "the execution is %s, not in PREFLIGHT", orch_exec_status_name(st->status));
  if (st->preflight_done) return rd_bad(r, "%s: preflight already judged", "PreflightResult");
  const json_t *first = json_array_get(json_object_get(r->ev->data, "failures"), 0);
  if (!first) first = json_array_get(json_object_get(r->ev->data, "checks"), 0); /* older journals */
  const char *name = json_string_value(json_object_get(first, "name"));
  const char *detail = json_string_value(json_object_get(first, "detail"));
  const char *server = json_string_value(json_object_get(first, "server"));
  st->preflight_done = true;
  st->preflight_ok = json_is_true(json_object_get(r->ev->data, "ok"));
  st->preflight_ms = r->ev->at_ms;
  if (!st->preflight_ok && name)
    snprintf(st->preflight_error, sizeof st->preflight_error, "%s%s%s%s%s", name, server ? " for " : "",
             server ? server : "", detail ? ": " : "", detail ? detail : "");
  return 0;
}

/* ---- waves ---------------------------------------------------------------------------------------- */

static int on_wave_ready(struct orch_exec_state *st, struct rd *r) {
  int rc = 0;
  struct orch_exec_wave *w = rd_wave(st, r, &rc, NULL);
  if (!w) return rc;
  if (w->status != ORCH_WAVE_PENDING) return rd_bad(r, "wave is %s, not PENDING", orch_wave_status_name(w->status));
  w->status = ORCH_WAVE_WAITING;
  w->ready_ms = r->ev->at_ms;
  return 0;
}

static int on_wave_prepared(struct orch_exec_state *st, struct rd *r) {
  int rc = 0;
  struct orch_exec_wave *w = rd_wave(st, r, &rc, NULL);
  if (!w) return rc;
  json_t *snaps = json_object_get(r->ev->data, "snapshots");
  const char *id;
  json_t *v;
  json_object_foreach(snaps, id, v) {
    long s = orch_exec_server_index(st, id);
    if (s < 0 || !json_is_string(v)) return rd_bad(r, "snapshots names unknown server %s", id);
    if (strlen(json_string_value(v)) >= sizeof st->servers[s].snapshot_id) return rd_bad(r, "snapshot id too long");
  }
  json_object_foreach(snaps, id, v) {
    long s = orch_exec_server_index(st, id);
    rd_copy(st->servers[s].snapshot_id, sizeof st->servers[s].snapshot_id, json_string_value(v));
  }
  w->prepared = true;
  return 0;
}

static int on_approval(struct orch_exec_state *st, struct rd *r, bool granted) {
  const char *by = "";
  int rc = 0;
  struct orch_exec_wave *w = rd_wave(st, r, &rc, NULL);
  if (!w) return rc;
  if (granted && (rc = rd_str(r, "by", false, &by))) return rc;
  enum orch_wave_status need = granted ? ORCH_WAVE_AWAITING_APPROVAL : ORCH_WAVE_WAITING;
  if (w->status != need) return rd_bad(r, "wave is %s, not %s", orch_wave_status_name(w->status), orch_wave_status_name(need));
  if (granted) {
    w->approved = true;
    w->approval_granted_ms = r->ev->at_ms;
    w->status = ORCH_WAVE_WAITING;
    rd_copy(w->approved_by, sizeof w->approved_by, by);
  } else {
    w->status = ORCH_WAVE_AWAITING_APPROVAL;
    w->approval_asked_ms = r->ev->at_ms;
  }
  return 0;
}

/* Hook events name a wave, or none for the plan-level cleanup hook. */
static int hook_target(struct orch_exec_state *st, struct rd *r, int *kind, struct orch_exec_wave **w, json_t ***calls) {
  const char *hook = NULL;
  int rc = rd_str(r, "hook", true, &hook);
  if (!rc) rc = hook_kind(r, hook, kind);
  if (rc) return rc;
  if (*kind == 0) {
    *w = NULL;
    *calls = &st->cleanup_calls;
    return 0;
  }
  *w = rd_wave(st, r, &rc, NULL);
  if (!*w) return rc;
  *calls = &(*w)->hook_calls;
  return 0;
}

static int on_hook_started(struct orch_exec_state *st, struct rd *r) {
  int kind = 0;
  struct orch_exec_wave *w = NULL;
  json_t **calls = NULL;
  int rc = hook_target(st, r, &kind, &w, &calls);
  if (rc) return rc;
  if (w && w->hook_running) return rd_bad(r, "wave %s already runs a hook", w->name);
  if (!w && st->cleanup_hook_running) return rd_bad(r, "the cleanup hook already runs");
  json_t *fresh = json_array();
  if (!fresh) return ORCH_ENOMEM;
  json_decref(*calls);
  *calls = fresh;
  if (!w) {
    st->cleanup_hook_running = true;
    return 0;
  }
  w->hook_running = kind;
  if (kind != ORCH_HOOK_BEFORE) w->status = ORCH_WAVE_HOOKS;
  return 0;
}

static int on_hook_call(struct orch_exec_state *st, struct rd *r, bool completed) {
  int kind = 0;
  struct orch_exec_wave *w = NULL;
  json_t **calls = NULL;
  long long seq = 0;
  int rc = hook_target(st, r, &kind, &w, &calls);
  if (!rc) rc = rd_int(r, "seq", true, &seq);
  if (rc) return rc;
  if (!*calls) return rd_bad(r, "%s: no hook is running", "seq");
  size_t n = json_array_size(*calls);
  if (!completed) {
    if (seq != (long long)n + 1) return rd_bad(r, "%s: hook call out of order", "seq");
    json_t *rec = json_pack("{s:I, s:O*, s:O*, s:I}", "seq", (json_int_t)seq, "op", json_object_get(r->ev->data, "op"),
                            "args_hash", json_object_get(r->ev->data, "args_hash"), "at_ms", (json_int_t)r->ev->at_ms);
    if (!rec) return ORCH_ENOMEM;
    return json_array_append_new(*calls, rec) ? ORCH_ENOMEM : 0;
  }
  if (seq < 1 || (size_t)seq > n) return rd_bad(r, "%s: completes a call never requested", "seq");
  json_t *rec = json_array_get(*calls, (size_t)seq - 1);
  if (json_object_get(rec, "result") || json_object_get(rec, "error")) return rd_bad(r, "%s: call already completed", "seq");
  json_t *error = json_object_get(r->ev->data, "error");
  if (error) return json_object_set(rec, "error", error) ? ORCH_ENOMEM : 0;
  json_t *result = json_object_get(r->ev->data, "result");
  return json_object_set(rec, "result", result ? result : json_null()) ? ORCH_ENOMEM : 0;
}

static int on_hook_finished(struct orch_exec_state *st, struct rd *r) {
  int kind = 0;
  struct orch_exec_wave *w = NULL;
  json_t **calls = NULL;
  long long warnings = 0;
  const char *why = NULL;
  int rc = hook_target(st, r, &kind, &w, &calls);
  if (!rc) rc = rd_int(r, "warnings", false, &warnings);
  if (!rc) rc = rd_str(r, "error", false, &why);
  if (rc) return rc;
  if (w && w->hook_running != kind) return rd_bad(r, "wave %s is not running that hook", w->name);
  if (!w && !st->cleanup_hook_running) return rd_bad(r, "the cleanup hook is not running");
  bool ok = json_is_true(json_object_get(r->ev->data, "ok"));
  st->warnings += (size_t)(warnings > 0 ? warnings : 0);
  json_decref(*calls);
  *calls = NULL;
  if (!w) {
    st->cleanup_hook_running = false;
    st->cleanup_hook_done = true;
    st->cleanup_hook_failed = !ok;
    if (why) rd_copy(st->cleanup_hook_error, sizeof st->cleanup_hook_error, why);
    return 0;
  }
  w->hook_running = 0;
  w->hooks_done |= (unsigned)kind;
  if (!ok) {
    w->hooks_failed |= (unsigned)kind;
    if (why) rd_copy(w->reason, sizeof w->reason, why);
  }
  if (ok && kind == ORCH_HOOK_AFTER) {
    for (size_t i = 0; i < st->nservers; i++)
      if (&st->waves[st->servers[i].wave] == w && st->servers[i].launch == ORCH_LAUNCH_LAUNCHED)
        st->servers[i].hooks_passed_ms = r->ev->at_ms;
  }
  return 0;
}

static int on_wave_retry(struct orch_exec_state *st, struct rd *r) {
  int rc = 0;
  struct orch_exec_wave *w = rd_wave(st, r, &rc, NULL);
  if (!w) return rc;
  if (st->ended_ms) return rd_bad(r, "%s: the execution has ended", "WaveRetry");
  if (w->status == ORCH_WAVE_COMPLETED || w->status == ORCH_WAVE_PENDING || w->status == ORCH_WAVE_SKIPPED ||
      w->status == ORCH_WAVE_CANCELLED)
    return rd_bad(r, "wave is %s: nothing to retry", orch_wave_status_name(w->status));
  /* Only the failed servers go again; the launched ones keep their instances. */
  w->status = ORCH_WAVE_WAITING;
  w->hooks_done &= (unsigned)ORCH_HOOK_BEFORE;
  w->hooks_failed = 0;
  w->hook_running = 0;
  w->reason[0] = '\0';
  w->completed_ms = 0;
  w->recovered_ms = 0;
  return 0;
}

static int on_wave_completed(struct orch_exec_state *st, struct rd *r) {
  const char *status = NULL, *why = NULL;
  int rc = 0;
  struct orch_exec_wave *w = rd_wave(st, r, &rc, NULL);
  if (!w) return rc;
  rc = rd_str(r, "status", true, &status);
  if (!rc) rc = rd_str(r, "reason", false, &why);
  if (rc) return rc;
  int s = orch_wave_status_parse(status);
  if (s < 0 || !orch_wave_status_final((enum orch_wave_status)s)) return rd_bad(r, "'%s' is not a final wave status", status);
  if (orch_wave_status_final(w->status)) return rd_bad(r, "wave already %s", orch_wave_status_name(w->status));
  w->status = (enum orch_wave_status)s;
  w->completed_ms = r->ev->at_ms;
  w->hook_running = 0;
  if (why) rd_copy(w->reason, sizeof w->reason, why);
  return 0;
}

/* ---- the execution -------------------------------------------------------------------------------- */

static int on_lifecycle(struct orch_exec_state *st, struct rd *r, const char *t) {
  if (strcmp(t, "PreflightStarted") == 0) {
    if (st->status != ORCH_EXEC_PENDING) return rd_bad(r, "the execution is %s, not PENDING", orch_exec_status_name(st->status));
    st->status = ORCH_EXEC_PREFLIGHT;
    st->preflight_started_ms = r->ev->at_ms;
  } else if (strcmp(t, "ExecutionRunning") == 0) {
    if (!st->preflight_done || !st->preflight_ok || st->ended_ms) return rd_bad(r, "only a passed preflight leads to RUNNING");
    st->status = ORCH_EXEC_RUNNING;
    st->started_ms = r->ev->at_ms;
  } else if (strcmp(t, "Paused") == 0) {
    if (st->ended_ms) return rd_bad(r, "the execution has ended");
    if (st->status != ORCH_EXEC_PAUSED) st->status_before_pause = st->status;
    st->status = ORCH_EXEC_PAUSED;
  } else if (strcmp(t, "Resumed") == 0) {
    if (st->status == ORCH_EXEC_PAUSED) st->status = st->status_before_pause;
  } else if (strcmp(t, "CancelRequested") == 0) {
    const char *by = NULL, *why = NULL;
    int rc = rd_str(r, "by", false, &by);
    if (!rc) rc = rd_str(r, "reason", false, &why);
    if (rc) return rc;
    if (st->ended_ms) return rd_bad(r, "the execution has ended");
    st->cancel_requested = true;
    snprintf(st->cancel_reason, sizeof st->cancel_reason, "cancelled by %s%s%s", by ? by : "an operator",
             why ? ": " : "", why ? why : "");
  } else if (strcmp(t, "PreflightRetry") == 0) {
    if (st->status != ORCH_EXEC_PREFLIGHT) return rd_bad(r, "the execution is not in PREFLIGHT");
    st->preflight_failures++;
    st->preflight_ms = r->ev->at_ms;
  } else if (strcmp(t, "PreflightChecks") == 0) {
    st->preflight_checks_recorded = true;
  } else if (strcmp(t, "CleanupExpedited") == 0) {
    if (!st->ended_ms || st->mode != ORCH_MODE_DRILL) return rd_bad(r, "only an ended drill is cleaned up");
    st->cleanup_expedited = true;
  } else if (strcmp(t, "CleanupDone") == 0) {
    if (st->status != ORCH_EXEC_CLEANING_UP) return rd_bad(r, "the execution is not cleaning up");
    st->status = ORCH_EXEC_CLEANED;
  } else if (strcmp(t, "CleanupRetried") == 0) {
    if (st->status != ORCH_EXEC_CLEANUP_FAILED) return rd_bad(r, "only a failed clean-up is tried again");
    st->status = ORCH_EXEC_CLEANING_UP;
    st->cleanup_expedited = true;
    st->cleanup_error[0] = '\0';
    for (size_t i = 0; i < st->nterms; i++) {
      st->terms[i].failures = 0;
      st->terms[i].error[0] = '\0';
    }
  } else if (strcmp(t, "CleanupFailed") == 0) {
    const char *why = "the clean-up gave up";
    int rc = rd_str(r, "reason", false, &why);
    if (rc) return rc;
    if (st->status != ORCH_EXEC_CLEANING_UP) return rd_bad(r, "the execution is not cleaning up");
    st->status = ORCH_EXEC_CLEANUP_FAILED;
    rd_copy(st->cleanup_error, sizeof st->cleanup_error, why);
  }
  return 0;
}

static int on_ended(struct orch_exec_state *st, struct rd *r) {
  const char *status = NULL, *why = NULL;
  int rc = rd_str(r, "status", true, &status);
  if (!rc) rc = rd_str(r, "reason", false, &why);
  if (rc) return rc;
  int s = orch_exec_status_parse(status);
  if (s != ORCH_EXEC_COMPLETED && s != ORCH_EXEC_PARTIAL && s != ORCH_EXEC_FAILED && s != ORCH_EXEC_CANCELLED)
    return rd_bad(r, "'%s' is not an end status (COMPLETED, PARTIAL, FAILED, CANCELLED)", status);
  if (st->ended_ms) return rd_bad(r, "%s: execution already ended", "ExecutionEnded");
  st->status = (enum orch_exec_status)s;
  st->outcome = (enum orch_exec_status)s;
  st->ended_ms = r->ev->at_ms;
  if (why) rd_copy(st->end_reason, sizeof st->end_reason, why);
  /* Waves that never ran are CANCELLED (a dry run's are SKIPPED: it launches nothing by design), so the
   * record says what was not attempted. */
  for (size_t i = 0; i < st->nwaves; i++)
    if (!orch_wave_status_final(st->waves[i].status)) {
      st->waves[i].status = st->mode == ORCH_MODE_DRY_RUN ? ORCH_WAVE_SKIPPED : ORCH_WAVE_CANCELLED;
      st->waves[i].completed_ms = r->ev->at_ms;
      st->waves[i].hook_running = 0;
    }
  return 0;
}

static int on_cleanup_started(struct orch_exec_state *st, struct rd *r) {
  long long after = 0;
  int rc = rd_int(r, "after_ms", false, &after);
  if (rc) return rc;
  if (!st->ended_ms) return rd_bad(r, "%s: the execution has not ended", "CleanupStarted");
  if (st->status == ORCH_EXEC_CLEANING_UP) return rd_bad(r, "the clean-up has already started");
  st->status = ORCH_EXEC_CLEANING_UP;
  st->cleanup_after_ms = after;
  return 0;
}

/* ---- dispatch ------------------------------------------------------------------------------------- */

typedef int (*handler_fn)(struct orch_exec_state *st, struct rd *r);

static const struct {
  const char *type;
  handler_fn fn;
} handlers[] = {
    {"ExecutionCreated", on_created},
    {"ServersResolved", on_servers_resolved},
    {"PreflightResult", on_preflight_result},
    {"WaveReady", on_wave_ready},
    {"WavePrepared", on_wave_prepared},
    {"HookStarted", on_hook_started},
    {"HookFinished", on_hook_finished},
    {"WaveRetry", on_wave_retry},
    {"WaveCompleted", on_wave_completed},
    {"ExecutionEnded", on_ended},
    {"CleanupStarted", on_cleanup_started},
    {"JobRequested", orch_exec_on_job_requested},
    {"JobStarted", orch_exec_on_job_started},
    {"JobStartFailed", orch_exec_on_job_start_failed},
    {"JobEnded", orch_exec_on_job_ended},
    {"JobLog", orch_exec_on_job_log},
    {"ServerStatus", orch_exec_on_server_status},
    {"TerminateRequested", orch_exec_on_terminate_requested},
    {"TerminateStarted", orch_exec_on_terminate_started},
    {"TerminateFailed", orch_exec_on_terminate_failed},
    {"TerminateEnded", orch_exec_on_terminate_ended},
};

static const char *const lifecycle_types[] = {"PreflightStarted", "ExecutionRunning", "Paused",        "Resumed",
                                              "CancelRequested",  "PreflightRetry",   "PreflightChecks", "CleanupExpedited",
                                              "CleanupDone",      "CleanupFailed",    "CleanupRetried"};
/* Kept in the journal for the report (and, for ApprovalWaitStarted, the Step Functions task token an approval
 * releases); they change nothing. */
static const char *const record_types[] = {"HookLog", "EngineNote", "ApprovalWaitStarted"};

static int dispatch(struct orch_exec_state *st, struct rd *r, const char *t) {
  for (size_t i = 0; i < sizeof handlers / sizeof handlers[0]; i++)
    if (strcmp(t, handlers[i].type) == 0) return handlers[i].fn(st, r);
  for (size_t i = 0; i < sizeof lifecycle_types / sizeof lifecycle_types[0]; i++)
    if (strcmp(t, lifecycle_types[i]) == 0) return on_lifecycle(st, r, t);
  if (strcmp(t, "ApprovalRequested") == 0) return on_approval(st, r, false);
  if (strcmp(t, "ApprovalGranted") == 0) return on_approval(st, r, true);
  if (strcmp(t, "HookCallRequested") == 0) return on_hook_call(st, r, false);
  if (strcmp(t, "HookCallCompleted") == 0) return on_hook_call(st, r, true);
  if (strncmp(t, "Notification", 12) == 0 &&
      (strcmp(t + 12, "Requested") == 0 || strcmp(t + 12, "Sent") == 0 || strcmp(t + 12, "Failed") == 0))
    return orch_exec_on_notification(st, r, t);
  for (size_t i = 0; i < sizeof record_types / sizeof record_types[0]; i++)
    if (strcmp(t, record_types[i]) == 0) return 0;
  return orch_error_setc(r->err, ORCH_EVALIDATION, r->path, "unknown event type");
}

int orch_exec_apply(struct orch_exec_state *st, const struct orch_exec_event *ev, struct orch_error *err) {
  struct rd r = {.ev = ev, .err = err};
  snprintf(r.path, sizeof r.path, "event %lld (%.60s)", (long long)ev->seq, ev->type ? ev->type : "?");
  if (ev->seq != st->seq + 1)
    return orch_error_setc(err, ORCH_EVALIDATION, r.path, "expected event %lld next", (long long)st->seq + 1);
  if (!ev->type || !json_is_object(ev->data)) return orch_error_setc(err, ORCH_EVALIDATION, r.path, "event data must be an object");
  if (st->seq == 0 && strcmp(ev->type, "ExecutionCreated") != 0)
    return orch_error_setc(err, ORCH_EVALIDATION, r.path, "the first event must be ExecutionCreated");
  int rc = dispatch(st, &r, ev->type);
  if (rc == ORCH_ENOMEM) orch_error_setc(err, ORCH_ENOMEM, r.path, "out of memory");
  if (rc) return rc;
  st->seq = ev->seq;
  return 0;
}
