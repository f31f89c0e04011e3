/* orch_exec_decide_wave: decide for each wave: when its dependencies are done it becomes ready, opens its
 * approval gate, runs its before hook, has its launch prepared, launches its servers in jobs as DRS
 * quotas allow (first come, first served across executions), then runs its after hook, retries failed
 * servers or gives its verdict; timeouts of waves and gates. Pure. Uses orch_exec_decide_int. */
#include <stdio.h>
#include <string.h>

#include "core/orch_time.h"
#include "exec/orch_exec_decide_int.h"

/* Whether `name` is one of the comma-separated `list` ("Admin,Operator"). */
static bool in_list(const char *name, const char *list) {
  size_t n = strlen(name);
  for (const char *p = list; p && *p;) {
    const char *comma = strchr(p, ',');
    size_t len = comma ? (size_t)(comma - p) : strlen(p);
    if (len == n && strncmp(p, name, n) == 0) return true;
    p = comma ? comma + 1 : NULL;
  }
  return false;
}

bool d_approvers_allow(const struct orch_exec_wave *wv, const char *by, const char *role) {
  if (!json_array_size(wv->approvers)) return true;
  /* "cognito:alice" is the user alice, signed in through Cognito */
  const char *user = by && strncmp(by, "cognito:", 8) == 0 ? by + 8 : by;
  size_t i;
  json_t *a;
  json_array_foreach(wv->approvers, i, a) {
    const char *name = json_string_value(a);
    if (name && ((user && strcmp(name, user) == 0) || (role && in_list(name, role)))) return true;
  }
  return false;
}

bool d_wave_complete(struct dctx *d, size_t w, const char *status, const char *reason) {
  struct orch_exec_state *st = d->st;
  char waiter[ORCH_ID_UUID_LEN + ORCH_EXEC_NAME_MAX + 2];
  d_waiter(d, w, waiter, sizeof waiter);
  orch_exec_admission_dequeue(d->env->admission, waiter);
  json_t *data = reason ? json_pack("{s:s, s:s, s:s}", "wave", st->waves[w].name, "status", status, "reason", reason)
                        : json_pack("{s:s, s:s}", "wave", st->waves[w].name, "status", status);
  if (!d_event(d, "WaveCompleted", data)) return false;
  if (strcmp(status, "FAILED") == 0)
    d_notify(d, "wave_failed", "DRS orchestration: wave failed", "Wave %s of %s failed: %s", st->waves[w].name,
             st->plan_name, reason ? reason : "");
  else if (strcmp(status, "COMPLETED") == 0)
    d_notify(d, "wave_completed", "DRS orchestration: wave completed", "Wave %s of %s completed", st->waves[w].name,
             st->plan_name);
  return true;
}

/* ---- launching ------------------------------------------------------------------------------------ */

/* A server still to launch in attempt `attempt`: never launched, or failed in an earlier one. */
static bool pending(const struct orch_exec_server *s, int attempt) {
  return s->attempt < attempt && (s->launch == ORCH_LAUNCH_NONE || s->launch == ORCH_LAUNCH_FAILED);
}

static size_t pending_count(const struct orch_exec_state *st, size_t w, int attempt) {
  size_t n = 0;
  for (size_t i = 0; i < st->nservers; i++)
    if (st->servers[i].wave == w && pending(&st->servers[i], attempt)) n++;
  return n;
}

/* Launch as many chunks of wave w as admission allows. True when something was decided. */
static bool launch_wave(struct dctx *d, size_t w, int attempt) {
  struct orch_exec_state *st = d->st;
  char waiter[ORCH_ID_UUID_LEN + ORCH_EXEC_NAME_MAX + 2];
  d_waiter(d, w, waiter, sizeof waiter);
  bool progressed = false;
  for (;;) {
    long first = -1;
    for (size_t i = 0; i < st->nservers && first < 0; i++)
      if (st->servers[i].wave == w && pending(&st->servers[i], attempt)) first = (long)i;
    if (first < 0) {
      orch_exec_admission_dequeue(d->env->admission, waiter);
      return progressed;
    }
    /* The first pending server decides the account+region of the next chunk. */
    char account[16], region[32];
    snprintf(account, sizeof account, "%s", d_account(d, st->servers[first].account));
    snprintf(region, sizeof region, "%s", d_region(d, st->servers[first].region));
    enum orch_exec_quota_state qs = orch_exec_admission_quota_state(d->env->admission, account, region);
    if (qs != ORCH_QUOTAS_KNOWN) { /* the account's real quotas first */
      if (qs == ORCH_QUOTAS_UNKNOWN) {
        char key[64];
        snprintf(key, sizeof key, "%s/%s", account, region);
        if (orch_exec_admission_mark_asked(d->env->admission, account, region)) return d_oom(d);
        struct orch_exec_effect *e = d_effect(d, ORCH_FX_QUOTAS, key, account, region, "service-quotas",
                                              "ListServiceQuotas", json_pack("{s:s}", "ServiceCode", "drs"));
        if (!e) return false;
        e->paginate = true;
        return true;
      }
      return progressed;
    }
    int want = 0;
    for (size_t i = 0; i < st->nservers; i++)
      if (st->servers[i].wave == w && pending(&st->servers[i], attempt) &&
          strcmp(d_account(d, st->servers[i].account), account) == 0 && strcmp(d_region(d, st->servers[i].region), region) == 0)
        want++;
    int used_jobs = 0, used_servers = 0, allowed = 0;
    orch_exec_admission_usage(d->env->lives, d->env->nlives, d->env->default_account, d->env->default_region, account,
                              region, &used_jobs, &used_servers);
    d_terms_unanswered(d, &used_jobs, &used_servers);
    if (orch_exec_admission_enqueue(d->env->admission, account, region, waiter)) return d_oom(d);
    if (!orch_exec_admission_try(d->env->admission, account, region, waiter, want, used_jobs, used_servers, &allowed))
      return progressed;
    int chunk = 0;
    for (size_t j = 0; j < st->njobs; j++)
      if (st->jobs[j].wave == w && st->jobs[j].attempt == attempt) chunk++;
    char tag[ORCH_EXEC_TAG_MAX];
    int tn = snprintf(tag, sizeof tag, "%s/%s/%d/%d", st->id, st->waves[w].name, attempt, chunk);
    if (tn < 0 || (size_t)tn >= sizeof tag) {
      d->rc = orch_error_set(d->err, ORCH_ETOOBIG, "launch tag of wave %s does not fit", st->waves[w].name);
      return false;
    }
    json_t *ids = json_array();
    for (size_t i = 0; ids && i < st->nservers && (int)json_array_size(ids) < allowed; i++)
      if (st->servers[i].wave == w && pending(&st->servers[i], attempt) &&
          strcmp(d_account(d, st->servers[i].account), account) == 0 && strcmp(d_region(d, st->servers[i].region), region) == 0 &&
          json_array_append_new(ids, json_string(st->servers[i].id))) {
        json_decref(ids);
        ids = NULL;
      }
    bool first_launch = !st->waves[w].launch_ms;
    if (!d_event(d, "JobRequested", json_pack("{s:s, s:i, s:i, s:s, s:s, s:s, s:o}", "wave", st->waves[w].name, "attempt",
                                              attempt, "chunk", chunk, "tag", tag, "account", account, "region", region,
                                              "servers", ids)))
      return false;
    if (first_launch)
      d_notify(d, "wave_started", "DRS orchestration: wave started", "Wave %s of %s is launching %zu servers",
               st->waves[w].name, st->plan_name, pending_count(st, w, attempt) + st->jobs[st->njobs - 1].nservers);
    progressed = true;
    if (!d_reserve(d)) return false;
    d->fl->jobs[st->njobs - 1] = (struct orch_exec_job_memo){.fresh = true}; /* decided here: send it */
  }
}

/* ---- settling ------------------------------------------------------------------------------------- */

/* Launched servers still missing their EC2 details: hooks need instance ids and addresses. */
static bool instances_known(const struct orch_exec_state *st, size_t w) {
  for (size_t i = 0; i < st->nservers; i++)
    if (st->servers[i].wave == w && st->servers[i].launch == ORCH_LAUNCH_LAUNCHED && !st->servers[i].private_ip[0])
      return false;
  return true;
}

/* A wave whose servers are all final: hooks, retry, or its verdict. */
static bool settle_wave(struct dctx *d, size_t w) {
  struct orch_exec_state *st = d->st;
  struct orch_exec_wave *wv = &st->waves[w];
  bool paused = st->status == ORCH_EXEC_PAUSED || st->cancel_requested;
  if (wv->hook_running) return false;
  size_t failed = 0, total = d_wave_servers(st, w, &failed);
  if (!failed) {
    if (!instances_known(st, w)) {
      d->fl->instances_wanted = true;
      return false;
    }
    if ((wv->hooks & ORCH_HOOK_AFTER) && !(wv->hooks_done & ORCH_HOOK_AFTER)) {
      if (paused) return false;
      return d_hook_start(d, (long)w, ORCH_HOOK_AFTER);
    }
    if (wv->hooks_failed & ORCH_HOOK_AFTER) {
      char why[300];
      snprintf(why, sizeof why, "after hook failed: %s", wv->reason[0] ? wv->reason : "see the hook log");
      return d_wave_complete(d, w, "FAILED", why);
    }
    return d_wave_complete(d, w, "COMPLETED", NULL);
  }
  if (wv->on_failure == ORCH_ON_FAILURE_RETRY && wv->attempt <= wv->retries && !st->cancel_requested) {
    if (paused) return false;
    return d_event(d, "WaveRetry", json_pack("{s:s, s:i, s:I}", "wave", wv->name, "attempt", wv->attempt + 1, "failed",
                                             (json_int_t)failed));
  }
  if ((wv->hooks & ORCH_HOOK_ON_FAILURE) && !(wv->hooks_done & ORCH_HOOK_ON_FAILURE) && !st->cancel_requested) {
    if (paused) return false;
    return d_hook_start(d, (long)w, ORCH_HOOK_ON_FAILURE);
  }
  const char *first = "";
  for (size_t i = 0; i < st->nservers; i++)
    if (st->servers[i].wave == w && st->servers[i].launch == ORCH_LAUNCH_FAILED && st->servers[i].failure[0]) {
      first = st->servers[i].failure;
      break;
    }
  char why[400];
  snprintf(why, sizeof why, "%zu of %zu servers failed to launch%s%s", failed, total, *first ? ": " : "", first);
  return d_wave_complete(d, w, "FAILED", why);
}

static bool deps_done(const struct orch_exec_state *st, const struct orch_exec_wave *wv) {
  for (size_t k = 0; k < wv->ndeps; k++) {
    const struct orch_exec_wave *dep = &st->waves[wv->deps[k]];
    bool ok = dep->status == ORCH_WAVE_COMPLETED || dep->status == ORCH_WAVE_SKIPPED ||
              (dep->status == ORCH_WAVE_FAILED && dep->on_failure == ORCH_ON_FAILURE_CONTINUE);
    if (!ok) return false;
  }
  return true;
}

/* A wave past its timeout (counted from when it became ready) fails: its hook is stopped and it is given
 * up on. Jobs already running go on in DRS; a drill's clean-up still terminates what they launch. */
static bool timed_out(struct dctx *d, size_t w) {
  struct orch_exec_wave *wv = &d->st->waves[w];
  if (orch_wave_status_final(wv->status) || wv->status == ORCH_WAVE_PENDING) return false;
  char dur[64], why[160];
  if (wv->timeout_ms && wv->ready_ms) {
    int64_t due = wv->ready_ms + wv->timeout_ms;
    if (d->now < due) {
      d_wake(d, due);
    } else {
      orch_duration_format(dur, sizeof dur, wv->timeout_ms);
      snprintf(why, sizeof why, "timed out: not done %s after it became ready", dur);
      if (wv->hook_running) return d_hook_cancel(d, (long)w, why); /* HookFinished first */
      return d_wave_complete(d, w, "FAILED", why);
    }
  }
  if (wv->status == ORCH_WAVE_AWAITING_APPROVAL && wv->approval_timeout_ms) {
    int64_t due = wv->approval_asked_ms + wv->approval_timeout_ms;
    if (d->now < due) {
      d_wake(d, due);
      return false;
    }
    orch_duration_format(dur, sizeof dur, wv->approval_timeout_ms);
    snprintf(why, sizeof why, "not approved within %s", dur);
    return d_wave_complete(d, w, "FAILED", why);
  }
  return false;
}

static bool step_gate(struct dctx *d, size_t w) {
  struct orch_exec_state *st = d->st;
  struct orch_exec_wave *wv = &st->waves[w];
  if (!d_event(d, "ApprovalRequested", json_pack("{s:s, s:s, s:O}", "wave", wv->name, "prompt", wv->approval,
                                                 "approvers", wv->approvers)))
    return false;
  /* --approve-all opens every gate of a drill or dry run; in a recovery only gates without named
   * approvers (those wait for one of them). */
  if (d->env->approve_all && (st->mode != ORCH_MODE_RECOVERY || !json_array_size(wv->approvers)))
    return d_event(d, "ApprovalGranted", json_pack("{s:s, s:s}", "wave", wv->name, "by", "--approve-all"));
  d_notify(d, "approval_requested", "DRS orchestration: approval needed", "Wave %s of %s waits for approval: %s",
           wv->name, st->plan_name, wv->approval);
  return true;
}

static bool needs_prepare(const struct orch_exec_state *st, size_t w) {
  const json_t *spec = json_array_get(st->wave_specs, w);
  const char *snap = json_string_value(json_object_get(json_object_get(spec, "snapshot"), "kind"));
  if (json_object_size(json_object_get(spec, "launch")) || (snap && strcmp(snap, "point_in_time") == 0)) return true;
  for (size_t i = 0; i < st->nservers; i++)
    if (st->servers[i].wave == w && json_object_size(st->servers[i].launch_overrides)) return true;
  return false;
}

static bool ask_prepare(struct dctx *d, size_t w) {
  const struct orch_exec_state *st = d->st;
  if (d->fl->prepare) return false;
  if (d->fl->prepare_retry_ms > d->now) {
    d_wake(d, d->fl->prepare_retry_ms);
    return false;
  }
  json_t *servers = json_array();
  for (size_t i = 0; servers && i < st->nservers; i++) {
    const struct orch_exec_server *sv = &st->servers[i];
    if (sv->wave == w && json_array_append_new(servers, json_pack("{s:s, s:s, s:s, s:O*}", "id", sv->id, "account",
                                                                  d_account(d, sv->account), "region", d_region(d, sv->region),
                                                                  "launch", sv->launch_overrides))) {
      json_decref(servers);
      servers = NULL;
    }
  }
  struct orch_exec_effect *e = d_effect(d, ORCH_FX_PREPARE, st->waves[w].name, "", "", "drs", "UpdateLaunchConfiguration", NULL);
  if (!e) {
    json_decref(servers);
    return false;
  }
  const json_t *spec = json_array_get(st->wave_specs, w);
  e->context = json_pack("{s:s, s:o*, s:O*, s:O*}", "wave", st->waves[w].name, "servers", servers, "launch",
                         json_object_get(spec, "launch"), "snapshot", json_object_get(spec, "snapshot"));
  if (!e->context) return d_oom(d);
  d->fl->prepare = true;
  return false;
}

void d_prepare_answer(struct dctx *d, const struct orch_exec_answer *a) {
  d->fl->prepare = false;
  long w = orch_exec_wave_index(d->st, a->key);
  if (w < 0 || d->st->waves[w].status != ORCH_WAVE_WAITING || d->st->waves[w].prepared) return;
  json_t *errors = json_object_get(a->output, "errors");
  if (!a->rc && !json_array_size(errors)) {
    d->fl->prepare_failures = 0;
    d_event(d, "WavePrepared", json_pack("{s:s, s:O}", "wave", a->key, "snapshots", json_object_get(a->output, "snapshots")));
    return;
  }
  char why[900];
  if (a->rc) {
    char e[700];
    d_answer_error(a, e, sizeof e);
    snprintf(why, sizeof why, "launch settings not applied: %s", e);
  } else {
    snprintf(why, sizeof why, "launch preparation failed for %zu server(s): %s", json_array_size(errors),
             json_string_value(json_array_get(errors, 0)));
  }
  bool passing = (a->rc && d_passing(a)) || json_is_true(json_object_get(a->output, "passing"));
  if (passing && ++d->fl->prepare_failures <= ORCH_EXEC_READ_RETRIES) {
    d->fl->prepare_retry_ms = d->now + (d->env->poll_ms << d->fl->prepare_failures);
    d_note(d, "warn", "execution %s: wave %s: %s; trying again", d->st->id, a->key, why);
    d_wake(d, d->fl->prepare_retry_ms);
    return;
  }
  d->fl->prepare_failures = 0;
  d_wave_complete(d, (size_t)w, "FAILED", why);
}

/* ---- one wave ------------------------------------------------------------------------------------- */

static bool step_waiting(struct dctx *d, size_t w) {
  struct orch_exec_state *st = d->st;
  struct orch_exec_wave *wv = &st->waves[w];
  if (st->status == ORCH_EXEC_PAUSED || st->cancel_requested) return false;
  if (wv->approval && !wv->approved) return step_gate(d, w);
  if ((wv->hooks & ORCH_HOOK_BEFORE) && !(wv->hooks_done & ORCH_HOOK_BEFORE)) {
    if (wv->hook_running) return false;
    return d_hook_start(d, (long)w, ORCH_HOOK_BEFORE);
  }
  if (wv->hooks_failed & ORCH_HOOK_BEFORE) {
    char why[300];
    snprintf(why, sizeof why, "before hook failed: %s", wv->reason[0] ? wv->reason : "see the hook log");
    return d_wave_complete(d, w, "FAILED", why);
  }
  if (!pending_count(st, w, wv->attempt + 1)) return settle_wave(d, w); /* a retry with nothing failed */
  if (!wv->prepared && needs_prepare(st, w)) return ask_prepare(d, w);
  return launch_wave(d, w, wv->attempt + 1);
}

static bool step_wave(struct dctx *d, size_t w) {
  struct orch_exec_state *st = d->st;
  struct orch_exec_wave *wv = &st->waves[w];
  if (timed_out(d, w) || d->rc) return true;
  bool paused = st->status == ORCH_EXEC_PAUSED || st->cancel_requested;
  switch (wv->status) {
    case ORCH_WAVE_PENDING:
      if (!deps_done(st, wv) || st->cancel_requested) return false;
      return d_event(d, "WaveReady", json_pack("{s:s}", "wave", wv->name));
    case ORCH_WAVE_WAITING: return step_waiting(d, w);
    case ORCH_WAVE_LAUNCHING:
    case ORCH_WAVE_RECOVERING: {
      bool progressed = false;
      if (!paused && pending_count(st, w, wv->attempt)) progressed = launch_wave(d, w, wv->attempt);
      if (wv->status == ORCH_WAVE_RECOVERING && wv->recovered_ms && !pending_count(st, w, wv->attempt))
        progressed = settle_wave(d, w) || progressed;
      return progressed;
    }
    case ORCH_WAVE_HOOKS: return settle_wave(d, w);
    case ORCH_WAVE_AWAITING_APPROVAL:
    case ORCH_WAVE_COMPLETED:
    case ORCH_WAVE_FAILED:
    case ORCH_WAVE_SKIPPED:
    case ORCH_WAVE_CANCELLED: return false;
  }
  return false;
}

bool d_step_waves(struct dctx *d, bool *progressed) {
  for (size_t w = 0; w < d->st->nwaves && !*progressed && !d->rc; w++) *progressed = step_wave(d, w);
  return d->rc == 0;
}
