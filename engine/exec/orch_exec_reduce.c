/* orch_exec_reduce: the reducer. Folds one journal event into an execution's state; the state is
 * nothing but the fold of its events, so a restart rebuilds it exactly. The event catalogue and each
 * event's data are documented in docs/execution.md. Uses jansson, orch_json, orch_alloc. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/orch_alloc.h"
#include "core/orch_json.h"
#include "exec/orch_exec_state.h"

/* Reading an event: every error names the event ("event 12 (JobStarted).job_id: ..."). */
struct rd {
  const struct orch_exec_event *ev;
  char path[96];
  struct orch_error *err;
};

static int bad(struct rd *r, const char *fmt, ...) ORCH_PRINTF(2, 3);
static int bad(struct rd *r, const char *fmt, ...) {
  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return orch_error_setc(r->err, ORCH_EVALIDATION, r->path, "%s", msg);
}

/* Optional fields may also be written as null: the same as absent. */
static int get_str(struct rd *r, const char *key, bool required, const char **out) {
  if (!required && json_is_null(json_object_get(r->ev->data, key))) return 0;
  return orch_json_get_str(r->ev->data, r->path, key, required, out, r->err);
}

static int get_int(struct rd *r, const char *key, bool required, long long *out) {
  return orch_json_get_int(r->ev->data, r->path, key, required, INT64_MIN, INT64_MAX, out, r->err);
}

static void copy(char *dst, size_t n, const char *src) { snprintf(dst, n, "%s", src ? src : ""); }

/* The wave an event names in "wave". */
static int get_wave(struct orch_exec_state *st, struct rd *r, struct orch_exec_wave **out, size_t *idx) {
  const char *name = NULL;
  int rc = get_str(r, "wave", true, &name);
  if (rc) return rc;
  long w = orch_exec_wave_index(st, name);
  if (w < 0) return bad(r, "unknown wave '%s'", name);
  *out = &st->waves[w];
  if (idx) *idx = (size_t)w;
  return 0;
}

static int hook_kind(struct rd *r, const char *name, int *out) {
  if (strcmp(name, "before") == 0) *out = ORCH_HOOK_BEFORE;
  else if (strcmp(name, "after") == 0) *out = ORCH_HOOK_AFTER;
  else if (strcmp(name, "on_failure") == 0) *out = ORCH_HOOK_ON_FAILURE;
  else if (strcmp(name, "cleanup") == 0) *out = 0;
  else return bad(r, "unknown hook '%s' (before, after, on_failure, cleanup)", name);
  return 0;
}

/* ---- ExecutionCreated: the plan snapshot and its waves ----------------------------------------- */

static int parse_wave_spec(struct orch_exec_state *st, struct rd *r, const json_t *spec, size_t i) {
  struct orch_exec_wave *w = &st->waves[i];
  char path[ORCH_JSON_PATH_MAX];
  snprintf(path, sizeof path, "%s.waves[%zu]", r->path, i);
  const char *name = NULL, *approval = NULL, *policy = "fail";
  long long retries = 0, timeout = 0, approval_timeout = 0;
  json_t *hooks = NULL;
  int rc = orch_json_get_str(spec, path, "name", true, &name, r->err);
  if (!rc) rc = orch_json_get_str(spec, path, "approval", false, &approval, r->err);
  if (!rc) rc = orch_json_get_str(spec, path, "on_failure", false, &policy, r->err);
  if (!rc) rc = orch_json_get_int(spec, path, "retries", false, 0, 100, &retries, r->err);
  if (!rc) rc = orch_json_get_array(spec, path, "hooks", false, &hooks, r->err);
  if (!rc) rc = orch_json_get_int(spec, path, "timeout_ms", false, 0, INT64_MAX, &timeout, r->err);
  if (!rc) rc = orch_json_get_int(spec, path, "approval_timeout_ms", false, 0, INT64_MAX, &approval_timeout, r->err);
  if (rc) return rc;
  if (strlen(name) >= sizeof w->name) return orch_error_setc(r->err, ORCH_EVALIDATION, path, "wave name too long");
  copy(w->name, sizeof w->name, name);
  if (strcmp(policy, "fail") == 0) w->on_failure = ORCH_ON_FAILURE_FAIL;
  else if (strcmp(policy, "continue") == 0) w->on_failure = ORCH_ON_FAILURE_CONTINUE;
  else if (strcmp(policy, "retry") == 0) w->on_failure = ORCH_ON_FAILURE_RETRY;
  else return orch_error_setc(r->err, ORCH_EVALIDATION, path, "on_failure '%s' is not fail, continue or retry", policy);
  w->retries = (int)retries;
  w->timeout_ms = timeout;
  w->approval_timeout_ms = approval_timeout;
  if (approval && !(w->approval = orch_strdup(approval))) return ORCH_ENOMEM;
  size_t k;
  json_t *h;
  json_array_foreach(hooks, k, h) {
    int kind = 0;
    if (!json_is_string(h)) return orch_error_setc(r->err, ORCH_EVALIDATION, path, "hooks must be strings");
    rc = hook_kind(r, json_string_value(h), &kind);
    if (rc) return rc;
    w->hooks |= (unsigned)kind;
  }
  return 0;
}

static int link_deps(struct orch_exec_state *st, struct rd *r, const json_t *specs) {
  for (size_t i = 0; i < st->nwaves; i++) {
    char path[ORCH_JSON_PATH_MAX];
    snprintf(path, sizeof path, "%s.waves[%zu]", r->path, i);
    json_t *deps = NULL;
    int rc = orch_json_get_array(json_array_get(specs, i), path, "depends_on", false, &deps, r->err);
    if (rc) return rc;
    size_t n = json_array_size(deps);
    if (!n) continue;
    st->waves[i].deps = orch_calloc(n, sizeof(size_t));
    if (!st->waves[i].deps) return ORCH_ENOMEM;
    for (size_t d = 0; d < n; d++) {
      const char *dn = json_string_value(json_array_get(deps, d));
      long idx = orch_exec_wave_index(st, dn);
      if (idx < 0 || (size_t)idx == i)
        return orch_error_setc(r->err, ORCH_EVALIDATION, path, "depends_on names unknown wave '%s'", dn ? dn : "(not a string)");
      st->waves[i].deps[st->waves[i].ndeps++] = (size_t)idx;
    }
  }
  return 0;
}

static int on_created(struct orch_exec_state *st, struct rd *r) {
  if (st->seq != 0) return bad(r, "%s: execution already created", "ExecutionCreated");
  const char *id = NULL, *plan_id = "", *plan_name = "", *mode = NULL, *topic = "";
  long long version = 0, rto = 0, rpo = 0;
  json_t *waves = NULL, *plan = NULL;
  int rc = get_str(r, "execution_id", true, &id);
  if (!rc) rc = get_str(r, "plan_id", false, &plan_id);
  if (!rc) rc = get_str(r, "plan_name", false, &plan_name);
  if (!rc) rc = get_str(r, "mode", true, &mode);
  if (!rc) rc = get_str(r, "notify_topic", false, &topic);
  const char *module_dir = "";
  if (!rc) rc = get_str(r, "module_dir", false, &module_dir);
  if (!rc) rc = get_int(r, "plan_version", false, &version);
  if (!rc) rc = get_int(r, "rto_target_ms", false, &rto);
  if (!rc) rc = get_int(r, "rpo_target_ms", false, &rpo);
  if (!rc) rc = orch_json_get_array(r->ev->data, r->path, "waves", true, &waves, r->err);
  if (!rc) rc = orch_json_get_object(r->ev->data, r->path, "plan", false, &plan, r->err);
  if (rc) return rc;
  int m = orch_exec_mode_parse(mode);
  if (m < 0) return bad(r, "mode '%s' is not drill, recovery or dry-run", mode);
  copy(st->id, sizeof st->id, id);
  copy(st->plan_id, sizeof st->plan_id, plan_id);
  copy(st->plan_name, sizeof st->plan_name, plan_name);
  copy(st->notify_topic, sizeof st->notify_topic, topic);
  copy(st->module_dir, sizeof st->module_dir, module_dir);
  st->plan_version = version;
  st->rto_target_ms = rto;
  st->rpo_target_ms = rpo;
  st->mode = (enum orch_exec_mode)m;
  st->status = ORCH_EXEC_PENDING;
  st->created_ms = r->ev->at_ms;
  st->has_cleanup_hook = json_is_true(json_object_get(r->ev->data, "cleanup_hook"));
  st->cleanup_hook_done = !st->has_cleanup_hook;
  if (plan) st->plan = json_incref(plan);
  st->wave_specs = json_incref(waves);
  size_t n = json_array_size(waves);
  if (!n) return bad(r, "%s: a plan needs at least one wave", "waves");
  st->waves = orch_calloc(n, sizeof *st->waves);
  if (!st->waves) return ORCH_ENOMEM;
  st->nwaves = n;
  for (size_t i = 0; i < n; i++) {
    rc = parse_wave_spec(st, r, json_array_get(waves, i), i);
    if (rc) return rc;
    for (size_t j = 0; j < i; j++)
      if (strcmp(st->waves[j].name, st->waves[i].name) == 0) return bad(r, "duplicate wave '%s'", st->waves[i].name);
  }
  return link_deps(st, r, waves);
}

/* ---- Servers ------------------------------------------------------------------------------------ */

static int on_servers_resolved(struct orch_exec_state *st, struct rd *r) {
  if (st->servers_resolved) return bad(r, "%s: servers already resolved", "ServersResolved");
  json_t *list = NULL;
  int rc = orch_json_get_array(r->ev->data, r->path, "servers", true, &list, r->err);
  if (rc) return rc;
  size_t n = json_array_size(list);
  st->servers = orch_calloc(n ? n : 1, sizeof *st->servers);
  if (!st->servers) return ORCH_ENOMEM;
  for (size_t i = 0; i < n; i++) {
    json_t *s = json_array_get(list, i);
    char path[ORCH_JSON_PATH_MAX];
    snprintf(path, sizeof path, "%s.servers[%zu]", r->path, i);
    const char *id = NULL, *wave = NULL, *host = "", *account = "", *region = "";
    rc = orch_json_get_str(s, path, "id", true, &id, r->err);
    if (!rc) rc = orch_json_get_str(s, path, "wave", true, &wave, r->err);
    if (!rc) rc = orch_json_get_str(s, path, "hostname", false, &host, r->err);
    if (!rc) rc = orch_json_get_str(s, path, "account", false, &account, r->err);
    if (!rc) rc = orch_json_get_str(s, path, "region", false, &region, r->err);
    if (rc) return rc;
    long w = orch_exec_wave_index(st, wave);
    if (w < 0) return orch_error_setc(r->err, ORCH_EVALIDATION, path, "unknown wave '%s'", wave);
    if (orch_exec_server_index(st, id) >= 0)
      return orch_error_setc(r->err, ORCH_EVALIDATION, path, "server %s is listed twice", id);
    struct orch_exec_server *sv = &st->servers[st->nservers++];
    copy(sv->id, sizeof sv->id, id);
    copy(sv->hostname, sizeof sv->hostname, host);
    copy(sv->account, sizeof sv->account, account);
    copy(sv->region, sizeof sv->region, region);
    sv->wave = (size_t)w;
  }
  st->servers_resolved = true;
  return 0;
}

/* A RECOVERING wave whose servers of the current attempt are all final has recovered (at `at`). */
static void wave_check_recovered(struct orch_exec_state *st, size_t widx, int64_t at) {
  struct orch_exec_wave *w = &st->waves[widx];
  if (w->status != ORCH_WAVE_RECOVERING || w->recovered_ms) return;
  for (size_t k = 0; k < st->nservers; k++)
    if (st->servers[k].wave == widx && st->servers[k].attempt == w->attempt && !orch_exec_server_final(&st->servers[k]))
      return;
  w->recovered_ms = at;
}

static int on_server_status(struct orch_exec_state *st, struct rd *r) {
  const char *id = NULL, *job = NULL, *ls = NULL, *ri = NULL, *ec2 = NULL, *ec2st = NULL, *ip = NULL, *why = NULL;
  int rc = get_str(r, "server", true, &id);
  if (!rc) rc = get_str(r, "job_id", false, &job);
  if (!rc) rc = get_str(r, "launch_status", false, &ls);
  if (!rc) rc = get_str(r, "recovery_instance_id", false, &ri);
  if (!rc) rc = get_str(r, "ec2_instance_id", false, &ec2);
  if (!rc) rc = get_str(r, "ec2_state", false, &ec2st);
  if (!rc) rc = get_str(r, "private_ip", false, &ip);
  if (!rc) rc = get_str(r, "failure", false, &why);
  if (rc) return rc;
  long i = orch_exec_server_index(st, id);
  if (i < 0) return bad(r, "unknown server %s", id);
  struct orch_exec_server *s = &st->servers[i];
  if (job) copy(s->job_id, sizeof s->job_id, job);
  if (ri) copy(s->recovery_instance_id, sizeof s->recovery_instance_id, ri);
  if (ec2) copy(s->ec2_instance_id, sizeof s->ec2_instance_id, ec2);
  if (ec2st) copy(s->ec2_state, sizeof s->ec2_state, ec2st);
  if (ip) copy(s->private_ip, sizeof s->private_ip, ip);
  if (why) copy(s->failure, sizeof s->failure, why);
  if (ls) {
    if (strcmp(ls, "LAUNCHED") == 0 && strcmp(s->launch_status, "LAUNCHED") != 0) s->launched_ms = r->ev->at_ms;
    copy(s->launch_status, sizeof s->launch_status, ls);
  }
  wave_check_recovered(st, s->wave, r->ev->at_ms);
  return 0;
}

/* ---- Jobs --------------------------------------------------------------------------------------- */

static int on_job_requested(struct orch_exec_state *st, struct rd *r) {
  struct orch_exec_wave *w = NULL;
  size_t widx = 0;
  const char *tag = NULL, *account = "", *region = "";
  long long attempt = 0, chunk = 0;
  json_t *servers = NULL;
  int rc = get_wave(st, r, &w, &widx);
  if (!rc) rc = get_str(r, "tag", true, &tag);
  if (!rc) rc = get_str(r, "account", false, &account);
  if (!rc) rc = get_str(r, "region", false, &region);
  if (!rc) rc = get_int(r, "attempt", true, &attempt);
  if (!rc) rc = get_int(r, "chunk", true, &chunk);
  if (!rc) rc = orch_json_get_array(r->ev->data, r->path, "servers", true, &servers, r->err);
  if (rc) return rc;
  if (orch_exec_job_index_by_tag(st, tag) >= 0) return bad(r, "job tag %s requested twice", tag);
  if (w->status != ORCH_WAVE_WAITING && w->status != ORCH_WAVE_LAUNCHING && w->status != ORCH_WAVE_RECOVERING)
    return bad(r, "wave is %s: cannot launch", orch_wave_status_name(w->status));
  size_t n = json_array_size(servers);
  if (!n) return bad(r, "%s: a job needs servers", "servers");
  struct orch_exec_job *jobs = orch_realloc(st->jobs, (st->njobs + 1) * sizeof *jobs);
  if (!jobs) return ORCH_ENOMEM;
  st->jobs = jobs;
  struct orch_exec_job *j = &st->jobs[st->njobs];
  memset(j, 0, sizeof *j);
  j->servers = orch_calloc(n, sizeof(size_t));
  if (!j->servers) return ORCH_ENOMEM;
  for (size_t i = 0; i < n; i++) {
    long s = orch_exec_server_index(st, json_string_value(json_array_get(servers, i)));
    if (s < 0 || st->servers[s].wave != widx) {
      orch_free(j->servers);
      j->servers = NULL;
      return bad(r, "server %s is not in this wave", json_string_value(json_array_get(servers, i)));
    }
    j->servers[j->nservers++] = (size_t)s;
    struct orch_exec_server *sv = &st->servers[s];
    sv->attempt = (int)attempt;
    sv->requested_ms = r->ev->at_ms;
    sv->launched_ms = 0;
    sv->job_id[0] = sv->recovery_instance_id[0] = sv->ec2_instance_id[0] = sv->failure[0] = '\0';
    sv->ec2_state[0] = sv->private_ip[0] = '\0';
    copy(sv->launch_status, sizeof sv->launch_status, "REQUESTED");
  }
  st->njobs++;
  j->wave = widx;
  j->attempt = (int)attempt;
  j->chunk = (int)chunk;
  j->status = ORCH_JOB_REQUESTED;
  j->requested_ms = r->ev->at_ms;
  copy(j->tag, sizeof j->tag, tag);
  copy(j->account, sizeof j->account, account);
  copy(j->region, sizeof j->region, region);
  w->attempt = (int)attempt;
  w->status = ORCH_WAVE_LAUNCHING;
  w->recovered_ms = 0;
  if (!w->launch_ms) w->launch_ms = r->ev->at_ms;
  return 0;
}

/* LAUNCHING becomes RECOVERING once every job of the current attempt has an answer. */
static void wave_check_started(struct orch_exec_state *st, size_t widx) {
  struct orch_exec_wave *w = &st->waves[widx];
  if (w->status != ORCH_WAVE_LAUNCHING) return;
  for (size_t i = 0; i < st->njobs; i++)
    if (st->jobs[i].wave == widx && st->jobs[i].attempt == w->attempt && st->jobs[i].status == ORCH_JOB_REQUESTED) return;
  w->status = ORCH_WAVE_RECOVERING;
}

static int job_by_tag(struct orch_exec_state *st, struct rd *r, struct orch_exec_job **out) {
  const char *tag = NULL;
  int rc = get_str(r, "tag", true, &tag);
  if (rc) return rc;
  long j = orch_exec_job_index_by_tag(st, tag);
  if (j < 0) return bad(r, "no job requested with tag %s", tag);
  *out = &st->jobs[j];
  return 0;
}

static int on_job_started(struct orch_exec_state *st, struct rd *r) {
  struct orch_exec_job *j = NULL;
  const char *job_id = NULL;
  int rc = job_by_tag(st, r, &j);
  if (!rc) rc = get_str(r, "job_id", true, &job_id);
  if (rc) return rc;
  if (j->status != ORCH_JOB_REQUESTED) return bad(r, "job %s already answered", j->tag);
  copy(j->job_id, sizeof j->job_id, job_id);
  j->status = ORCH_JOB_STARTED;
  for (size_t i = 0; i < j->nservers; i++) {
    struct orch_exec_server *s = &st->servers[j->servers[i]];
    copy(s->job_id, sizeof s->job_id, job_id);
    copy(s->launch_status, sizeof s->launch_status, "PENDING");
  }
  wave_check_started(st, j->wave);
  return 0;
}

static int on_job_start_failed(struct orch_exec_state *st, struct rd *r) {
  struct orch_exec_job *j = NULL;
  const char *why = "StartRecovery failed";
  int rc = job_by_tag(st, r, &j);
  if (!rc) rc = get_str(r, "error", false, &why);
  if (rc) return rc;
  if (j->status != ORCH_JOB_REQUESTED) return bad(r, "job %s already answered", j->tag);
  j->status = ORCH_JOB_START_FAILED;
  for (size_t i = 0; i < j->nservers; i++) {
    struct orch_exec_server *s = &st->servers[j->servers[i]];
    copy(s->launch_status, sizeof s->launch_status, "FAILED");
    copy(s->failure, sizeof s->failure, why);
  }
  wave_check_started(st, j->wave);
  wave_check_recovered(st, j->wave, r->ev->at_ms);
  return 0;
}

static int on_job_ended(struct orch_exec_state *st, struct rd *r) {
  const char *job_id = NULL;
  int rc = get_str(r, "job_id", true, &job_id);
  if (rc) return rc;
  long j = orch_exec_job_index_by_id(st, job_id);
  if (j < 0) return bad(r, "unknown job %s", job_id);
  st->jobs[j].status = ORCH_JOB_ENDED;
  return 0;
}

/* ---- Waves -------------------------------------------------------------------------------------- */

static int on_wave_ready(struct orch_exec_state *st, struct rd *r) {
  struct orch_exec_wave *w = NULL;
  int rc = get_wave(st, r, &w, NULL);
  if (rc) return rc;
  if (w->status != ORCH_WAVE_PENDING) return bad(r, "wave is %s, not PENDING", orch_wave_status_name(w->status));
  w->status = ORCH_WAVE_WAITING;
  w->ready_ms = r->ev->at_ms;
  return 0;
}

static int on_wave_prepared(struct orch_exec_state *st, struct rd *r) {
  struct orch_exec_wave *w = NULL;
  int rc = get_wave(st, r, &w, NULL);
  if (rc) return rc;
  json_t *snaps = json_object_get(r->ev->data, "snapshots");
  const char *id;
  json_t *v;
  json_object_foreach(snaps, id, v) {
    long s = orch_exec_server_index(st, id);
    if (s < 0 || !json_is_string(v)) return bad(r, "snapshots names unknown server %s", id);
    copy(st->servers[s].snapshot_id, sizeof st->servers[s].snapshot_id, json_string_value(v));
  }
  w->prepared = true;
  return 0;
}

static int on_approval_requested(struct orch_exec_state *st, struct rd *r) {
  struct orch_exec_wave *w = NULL;
  int rc = get_wave(st, r, &w, NULL);
  if (rc) return rc;
  if (w->status != ORCH_WAVE_WAITING) return bad(r, "wave is %s, not WAITING", orch_wave_status_name(w->status));
  w->status = ORCH_WAVE_AWAITING_APPROVAL;
  w->approval_asked_ms = r->ev->at_ms;
  return 0;
}

static int on_approval_granted(struct orch_exec_state *st, struct rd *r) {
  struct orch_exec_wave *w = NULL;
  int rc = get_wave(st, r, &w, NULL);
  if (rc) return rc;
  if (w->status != ORCH_WAVE_AWAITING_APPROVAL)
    return bad(r, "wave is %s, not AWAITING_APPROVAL", orch_wave_status_name(w->status));
  w->approved = true;
  w->status = ORCH_WAVE_WAITING;
  return 0;
}

/* Hook events name a wave, or none for the plan-level cleanup hook. */
static int hook_target(struct orch_exec_state *st, struct rd *r, int *kind, struct orch_exec_wave **w, json_t ***calls) {
  const char *hook = NULL;
  int rc = get_str(r, "hook", true, &hook);
  if (!rc) rc = hook_kind(r, hook, kind);
  if (rc) return rc;
  if (*kind == 0) {
    *w = NULL;
    *calls = &st->cleanup_calls;
    return 0;
  }
  rc = get_wave(st, r, w, NULL);
  if (rc) return rc;
  *calls = &(*w)->hook_calls;
  return 0;
}

static int on_hook_started(struct orch_exec_state *st, struct rd *r) {
  int kind = 0;
  struct orch_exec_wave *w = NULL;
  json_t **calls = NULL;
  int rc = hook_target(st, r, &kind, &w, &calls);
  if (rc) return rc;
  json_decref(*calls);
  *calls = json_array();
  if (!*calls) return ORCH_ENOMEM;
  if (!w) {
    st->cleanup_hook_running = true;
    return 0;
  }
  if (w->hook_running) return bad(r, "wave %s already runs a hook", w->name);
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
  if (!rc) rc = get_int(r, "seq", true, &seq);
  if (rc) return rc;
  if (!*calls) return bad(r, "%s: no hook is running", "seq");
  size_t n = json_array_size(*calls);
  if (!completed) {
    if (seq != (long long)n + 1) return bad(r, "%s: hook call out of order", "seq");
    json_t *rec = json_pack("{s:I, s:O*, s:O*, s:I}", "seq", (json_int_t)seq, "op", json_object_get(r->ev->data, "op"),
                            "args_hash", json_object_get(r->ev->data, "args_hash"), "at_ms", (json_int_t)r->ev->at_ms);
    if (!rec || json_array_append_new(*calls, rec)) return ORCH_ENOMEM;
    return 0;
  }
  if (seq < 1 || (size_t)seq > n) return bad(r, "%s: completes a call never requested", "seq");
  json_t *rec = json_array_get(*calls, (size_t)seq - 1);
  json_t *error = json_object_get(r->ev->data, "error");
  if (error) return json_object_set(rec, "error", error) ? ORCH_ENOMEM : 0;
  json_t *result = json_object_get(r->ev->data, "result");
  return json_object_set(rec, "result", result ? result : json_null()) ? ORCH_ENOMEM : 0;
}

static int on_hook_finished(struct orch_exec_state *st, struct rd *r) {
  int kind = 0;
  struct orch_exec_wave *w = NULL;
  json_t **calls = NULL;
  int rc = hook_target(st, r, &kind, &w, &calls);
  if (rc) return rc;
  bool ok = json_is_true(json_object_get(r->ev->data, "ok"));
  long long warnings = 0;
  rc = get_int(r, "warnings", false, &warnings);
  if (rc) return rc;
  st->warnings += (size_t)(warnings > 0 ? warnings : 0);
  json_decref(*calls);
  *calls = NULL;
  if (!w) {
    st->cleanup_hook_running = false;
    st->cleanup_hook_done = true;
    return 0;
  }
  if (w->hook_running != kind) return bad(r, "wave %s is not running that hook", w->name);
  w->hook_running = 0;
  w->hooks_done |= (unsigned)kind;
  if (!ok) {
    w->hooks_failed |= (unsigned)kind;
    const char *why = NULL;
    if (get_str(r, "error", false, &why) == 0 && why) copy(w->reason, sizeof w->reason, why);
  }
  if (ok && kind == ORCH_HOOK_AFTER) {
    for (size_t i = 0; i < st->nservers; i++)
      if (&st->waves[st->servers[i].wave] == w && strcmp(st->servers[i].launch_status, "LAUNCHED") == 0)
        st->servers[i].hooks_passed_ms = r->ev->at_ms;
  }
  return 0;
}

static int on_wave_retry(struct orch_exec_state *st, struct rd *r) {
  struct orch_exec_wave *w = NULL;
  size_t widx = 0;
  int rc = get_wave(st, r, &w, &widx);
  if (rc) return rc;
  if (st->ended_ms) return bad(r, "%s: the execution has ended", "WaveRetry");
  if (w->status == ORCH_WAVE_COMPLETED || w->status == ORCH_WAVE_PENDING || w->status == ORCH_WAVE_SKIPPED ||
      w->status == ORCH_WAVE_CANCELLED)
    return bad(r, "wave is %s: nothing to retry", orch_wave_status_name(w->status));
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
  struct orch_exec_wave *w = NULL;
  const char *status = NULL, *why = NULL;
  int rc = get_wave(st, r, &w, NULL);
  if (!rc) rc = get_str(r, "status", true, &status);
  if (!rc) rc = get_str(r, "reason", false, &why);
  if (rc) return rc;
  int s = orch_wave_status_parse(status);
  if (s < 0 || !orch_wave_status_final((enum orch_wave_status)s)) return bad(r, "'%s' is not a final wave status", status);
  if (orch_wave_status_final(w->status)) return bad(r, "wave already %s", orch_wave_status_name(w->status));
  w->status = (enum orch_wave_status)s;
  w->completed_ms = r->ev->at_ms;
  w->hook_running = 0;
  if (why) copy(w->reason, sizeof w->reason, why);
  return 0;
}

/* ---- Execution ---------------------------------------------------------------------------------- */

static int on_preflight_result(struct orch_exec_state *st, struct rd *r) {
  st->preflight_done = true;
  st->preflight_ok = json_is_true(json_object_get(r->ev->data, "ok"));
  return 0;
}

static int on_ended(struct orch_exec_state *st, struct rd *r) {
  const char *status = NULL, *why = NULL;
  int rc = get_str(r, "status", true, &status);
  if (!rc) rc = get_str(r, "reason", false, &why);
  if (rc) return rc;
  int s = orch_exec_status_parse(status);
  if (s != ORCH_EXEC_COMPLETED && s != ORCH_EXEC_PARTIAL && s != ORCH_EXEC_FAILED && s != ORCH_EXEC_CANCELLED)
    return bad(r, "'%s' is not an end status (COMPLETED, PARTIAL, FAILED, CANCELLED)", status);
  if (st->ended_ms) return bad(r, "%s: execution already ended", "ExecutionEnded");
  st->status = (enum orch_exec_status)s;
  st->ended_ms = r->ev->at_ms;
  if (why) copy(st->end_reason, sizeof st->end_reason, why);
  /* Waves that never ran are CANCELLED (a dry run's are SKIPPED: it launches nothing by design), so the
   * record says what was not attempted. */
  for (size_t i = 0; i < st->nwaves; i++)
    if (!orch_wave_status_final(st->waves[i].status)) {
      st->waves[i].status = st->mode == ORCH_MODE_DRY_RUN ? ORCH_WAVE_SKIPPED : ORCH_WAVE_CANCELLED;
      st->waves[i].completed_ms = r->ev->at_ms;
    }
  return 0;
}

static int on_cleanup_started(struct orch_exec_state *st, struct rd *r) {
  long long after = 0;
  int rc = get_int(r, "after_ms", false, &after);
  if (rc) return rc;
  if (!st->ended_ms) return bad(r, "%s: the execution has not ended", "CleanupStarted");
  st->status = ORCH_EXEC_CLEANING_UP;
  st->cleanup_after_ms = after;
  return 0;
}

static int on_terminate_requested(struct orch_exec_state *st, struct rd *r) {
  json_t *chunks = NULL;
  int rc = orch_json_get_array(r->ev->data, r->path, "chunks", true, &chunks, r->err);
  if (rc) return rc;
  if (st->terminate_requested) return bad(r, "%s: termination already requested", "TerminateRequested");
  size_t n = json_array_size(chunks);
  for (size_t i = 0; i < n; i++) {
    json_t *ids = json_object_get(json_array_get(chunks, i), "recovery_instance_ids");
    if (!json_is_array(ids) || !json_array_size(ids)) return bad(r, "chunks[%zu] has no recovery instance ids", i);
  }
  struct orch_exec_termination *terms = orch_calloc(n ? n : 1, sizeof *terms);
  if (!terms) return ORCH_ENOMEM;
  for (size_t i = 0; i < n; i++) {
    json_t *c = json_array_get(chunks, i);
    copy(terms[i].account, sizeof terms[i].account, json_string_value(json_object_get(c, "account")));
    copy(terms[i].region, sizeof terms[i].region, json_string_value(json_object_get(c, "region")));
    terms[i].ids = json_incref(json_object_get(c, "recovery_instance_ids"));
  }
  st->terms = terms;
  st->nterms = n;
  st->terminate_requested = true;
  return 0;
}

static struct orch_exec_termination *term_chunk(struct orch_exec_state *st, struct rd *r, int *rc) {
  long long chunk = -1;
  *rc = get_int(r, "chunk", true, &chunk);
  if (*rc) return NULL;
  if (chunk < 0 || (size_t)chunk >= st->nterms) {
    *rc = bad(r, "no termination chunk %lld", chunk);
    return NULL;
  }
  return &st->terms[chunk];
}

static int on_terminate_started(struct orch_exec_state *st, struct rd *r) {
  int rc = 0;
  struct orch_exec_termination *t = term_chunk(st, r, &rc);
  const char *job = NULL;
  if (!t) return rc;
  rc = get_str(r, "job_id", true, &job);
  if (rc) return rc;
  copy(t->job_id, sizeof t->job_id, job);
  return 0;
}

static int on_terminate_ended(struct orch_exec_state *st, struct rd *r) {
  int rc = 0;
  struct orch_exec_termination *t = term_chunk(st, r, &rc);
  if (!t) return rc;
  t->ended = true;
  /* Their instances are gone: the servers' records say so. */
  size_t i;
  json_t *id;
  json_array_foreach(t->ids, i, id) {
    for (size_t k = 0; k < st->nservers; k++)
      if (json_is_string(id) && strcmp(st->servers[k].recovery_instance_id, json_string_value(id)) == 0)
        copy(st->servers[k].launch_status, sizeof st->servers[k].launch_status, "TERMINATED");
  }
  return 0;
}

int orch_exec_apply(struct orch_exec_state *st, const struct orch_exec_event *ev, struct orch_error *err) {
  struct rd r = {.ev = ev, .err = err};
  snprintf(r.path, sizeof r.path, "event %lld (%s)", (long long)ev->seq, ev->type ? ev->type : "?");
  if (ev->seq != st->seq + 1)
    return orch_error_setc(err, ORCH_EVALIDATION, r.path, "expected event %lld next", (long long)st->seq + 1);
  if (!ev->type || !json_is_object(ev->data)) return orch_error_setc(err, ORCH_EVALIDATION, r.path, "event data must be an object");
  if (st->seq == 0 && strcmp(ev->type, "ExecutionCreated") != 0)
    return orch_error_setc(err, ORCH_EVALIDATION, r.path, "the first event must be ExecutionCreated");
  const char *t = ev->type;
  int rc = 0;
  if (strcmp(t, "ExecutionCreated") == 0) rc = on_created(st, &r);
  else if (strcmp(t, "PreflightStarted") == 0) st->status = ORCH_EXEC_PREFLIGHT;
  else if (strcmp(t, "ServersResolved") == 0) rc = on_servers_resolved(st, &r);
  else if (strcmp(t, "PreflightResult") == 0) rc = on_preflight_result(st, &r);
  else if (strcmp(t, "ExecutionRunning") == 0) {
    st->status = ORCH_EXEC_RUNNING;
    st->started_ms = ev->at_ms;
  } else if (strcmp(t, "WaveReady") == 0) rc = on_wave_ready(st, &r);
  else if (strcmp(t, "ApprovalRequested") == 0) rc = on_approval_requested(st, &r);
  else if (strcmp(t, "WavePrepared") == 0) rc = on_wave_prepared(st, &r);
  else if (strcmp(t, "ApprovalGranted") == 0) rc = on_approval_granted(st, &r);
  else if (strcmp(t, "HookStarted") == 0) rc = on_hook_started(st, &r);
  else if (strcmp(t, "HookCallRequested") == 0) rc = on_hook_call(st, &r, false);
  else if (strcmp(t, "HookCallCompleted") == 0) rc = on_hook_call(st, &r, true);
  else if (strcmp(t, "HookFinished") == 0) rc = on_hook_finished(st, &r);
  else if (strcmp(t, "JobRequested") == 0) rc = on_job_requested(st, &r);
  else if (strcmp(t, "JobStarted") == 0) rc = on_job_started(st, &r);
  else if (strcmp(t, "JobStartFailed") == 0) rc = on_job_start_failed(st, &r);
  else if (strcmp(t, "JobEnded") == 0) rc = on_job_ended(st, &r);
  else if (strcmp(t, "ServerStatus") == 0) rc = on_server_status(st, &r);
  else if (strcmp(t, "WaveRetry") == 0) rc = on_wave_retry(st, &r);
  else if (strcmp(t, "WaveCompleted") == 0) rc = on_wave_completed(st, &r);
  else if (strcmp(t, "Paused") == 0) {
    if (st->status != ORCH_EXEC_PAUSED) st->status_before_pause = st->status;
    st->status = ORCH_EXEC_PAUSED;
  } else if (strcmp(t, "Resumed") == 0) {
    if (st->status == ORCH_EXEC_PAUSED) st->status = st->status_before_pause;
  } else if (strcmp(t, "CancelRequested") == 0) st->cancel_requested = true;
  else if (strcmp(t, "ExecutionEnded") == 0) rc = on_ended(st, &r);
  else if (strcmp(t, "CleanupStarted") == 0) rc = on_cleanup_started(st, &r);
  else if (strcmp(t, "TerminateRequested") == 0) rc = on_terminate_requested(st, &r);
  else if (strcmp(t, "TerminateStarted") == 0) rc = on_terminate_started(st, &r);
  else if (strcmp(t, "TerminateEnded") == 0) rc = on_terminate_ended(st, &r);
  else if (strcmp(t, "CleanupDone") == 0) st->status = ORCH_EXEC_CLEANED;
  else if (strcmp(t, "NotificationSent") == 0 || strcmp(t, "HookLog") == 0) rc = 0; /* record only */
  else rc = orch_error_setc(err, ORCH_EVALIDATION, r.path, "unknown event type");
  if (rc == ORCH_ENOMEM) orch_error_setc(err, ORCH_ENOMEM, r.path, "out of memory");
  if (rc) return rc;
  st->seq = ev->seq;
  return 0;
}
