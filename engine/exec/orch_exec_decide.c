/* orch_exec_decide: the entry point of decide and the helpers its parts share: recording an event (the
 * reducer applies it at once, so later decisions in the same call see it), splitting long lists over
 * bounded events, asking for effects and wake-ups, notifications. The decisions themselves are in
 * orch_exec_decide_{run,wave,jobs,cleanup,hooks,ssm}.c. Pure: no I/O, no clock, no globals.
 * Uses orch_exec_decide_int, orch_exec_reduce (orch_exec_apply), jansson. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/orch_alloc.h"
#include "exec/orch_exec_decide_int.h"

#define MAX_STEPS 4096 /* decisions in one call: far above any plan's fan-out; a loop guard, reported */

static const char *const purpose_names[] = {
    "preflight", "prepare", "quotas", "start", "find", "poll", "instances", "ec2", "terminate", "terminate-check",
    "terminate-find", "notify", "hook-aws", "ssm-ready", "ssm-send", "ssm-find", "ssm-poll", "hook-start",
    "hook-resume", "hook-cancel", "job-log"};

const char *orch_exec_purpose_name(enum orch_exec_purpose p) {
  return (size_t)p < sizeof purpose_names / sizeof purpose_names[0] ? purpose_names[p] : "?";
}

/* ---- lifetimes ------------------------------------------------------------------------------------ */

void orch_exec_inflight_init(struct orch_exec_inflight *fl) { memset(fl, 0, sizeof *fl); }

void orch_exec_inflight_reset(struct orch_exec_inflight *fl) {
  for (size_t i = 0; i < fl->nhooks; i++) {
    json_decref(fl->hooks[i].call);
    json_decref(fl->hooks[i].ssm);
  }
  orch_free(fl->hooks);
  orch_free(fl->jobs);
  orch_free(fl->terms);
  orch_free(fl->notices);
  orch_exec_inflight_init(fl);
}

void orch_exec_decision_init(struct orch_exec_decision *d) { memset(d, 0, sizeof *d); }

void orch_exec_effect_release(struct orch_exec_effect *e) {
  if (!e) return;
  json_decref(e->input);
  json_decref(e->context);
  json_decref(e->result);
  e->input = e->context = e->result = NULL;
}

void orch_exec_decision_release(struct orch_exec_decision *d) {
  if (!d) return;
  for (size_t i = 0; i < d->neffects; i++) orch_exec_effect_release(&d->effects[i]);
  orch_free(d->effects);
  json_decref(d->events);
  json_decref(d->notes);
  orch_exec_decision_init(d);
}

/* ---- helpers -------------------------------------------------------------------------------------- */

bool d_oom(struct dctx *d) {
  if (!d->rc) d->rc = orch_error_set(d->err, ORCH_ENOMEM, "out of memory deciding for execution %s", d->st->id);
  return false;
}

bool d_event(struct dctx *d, const char *type, json_t *data) {
  if (d->rc) {
    json_decref(data);
    return false;
  }
  if (!data) return d_oom(d);
  struct orch_exec_event ev = {.seq = d->st->seq + 1, .at_ms = d->now, .type = type, .data = data};
  int rc = orch_exec_apply(d->st, &ev, d->err);
  if (rc) {
    d->rc = rc;
    json_decref(data);
    return false;
  }
  json_t *rec = json_pack("{s:s, s:o, s:I}", "type", type, "data", data, "at_ms", (json_int_t)d->now);
  if (!rec || json_array_append_new(d->out->events, rec)) return d_oom(d);
  return true;
}

/* About how many bytes an item takes in an event. */
static size_t item_bytes(const json_t *item) {
  size_t n = json_dumpb(item, NULL, 0, JSON_COMPACT);
  return n ? n : 16;
}

bool d_event_chunks(struct dctx *d, const char *type, json_t *base, const char *key, const json_t *items) {
  size_t n = json_array_size(items), i = 0;
  if (!base) return d_oom(d);
  do {
    json_t *part = json_array(), *data = json_deep_copy(base);
    size_t bytes = 0;
    if (!part || !data) {
      json_decref(part);
      json_decref(data);
      json_decref(base);
      return d_oom(d);
    }
    for (; i < n && json_array_size(part) < ORCH_EXEC_EVENT_ITEMS_MAX; i++) {
      size_t b = item_bytes(json_array_get(items, i));
      if (json_array_size(part) && bytes + b > ORCH_EXEC_EVENT_BYTES_MAX) break;
      bytes += b;
      json_array_append(part, json_array_get(items, i));
    }
    if (json_object_set_new(data, key, part) || json_object_set_new(data, "final", json_boolean(i >= n))) {
      json_decref(data);
      json_decref(base);
      return d_oom(d);
    }
    if (!d_event(d, type, data)) {
      json_decref(base);
      return false;
    }
  } while (i < n);
  json_decref(base);
  return true;
}

struct orch_exec_effect *d_effect(struct dctx *d, enum orch_exec_purpose p, const char *key, const char *account,
                                  const char *region, const char *service, const char *op, json_t *input) {
  struct orch_exec_decision *o = d->out;
  if (d->rc) {
    json_decref(input);
    return NULL;
  }
  if (o->neffects == o->cap) {
    size_t cap = o->cap ? o->cap * 2 : 16;
    struct orch_exec_effect *n = orch_realloc(o->effects, cap * sizeof *n);
    if (!n) {
      json_decref(input);
      d_oom(d);
      return NULL;
    }
    o->effects = n;
    o->cap = cap;
  }
  struct orch_exec_effect *e = &o->effects[o->neffects++];
  memset(e, 0, sizeof *e);
  e->purpose = p;
  e->wave = -1;
  snprintf(e->key, sizeof e->key, "%s", key ? key : "");
  snprintf(e->account, sizeof e->account, "%s", account ? account : "");
  snprintf(e->region, sizeof e->region, "%s", region ? region : "");
  e->service = service;
  e->operation = op;
  e->input = input;
  return e;
}

void d_wake(struct dctx *d, int64_t at_ms) {
  if (at_ms <= 0) return;
  if (!d->out->next_wake_ms || at_ms < d->out->next_wake_ms) d->out->next_wake_ms = at_ms;
}

void d_note(struct dctx *d, const char *level, const char *fmt, ...) {
  char msg[700];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (!d->out->notes) d->out->notes = json_array();
  json_array_append_new(d->out->notes, json_pack("{s:s, s:s}", "level", level, "message", msg));
}

const char *d_account(const struct dctx *d, const char *account) {
  return account && *account ? account : d->env->default_account ? d->env->default_account : "";
}

const char *d_region(const struct dctx *d, const char *region) {
  return region && *region ? region : d->env->default_region ? d->env->default_region : "";
}

static bool grow(void **arr, size_t *have, size_t need, size_t size) {
  if (need <= *have) return true;
  size_t cap = *have ? *have : 8;
  while (cap < need) cap *= 2;
  unsigned char *p = orch_realloc(*arr, cap * size);
  if (!p) return false;
  memset(p + *have * size, 0, (cap - *have) * size);
  *arr = p;
  *have = cap;
  return true;
}

bool d_reserve(struct dctx *d) {
  struct orch_exec_inflight *fl = d->fl;
  const struct orch_exec_state *st = d->st;
  if (!grow((void **)&fl->jobs, &fl->njobs, st->njobs + 1, sizeof *fl->jobs) ||
      !grow((void **)&fl->terms, &fl->nterms, st->nterms + 1, sizeof *fl->terms) ||
      !grow((void **)&fl->notices, &fl->nnotices, st->nnotices + 1, 1) ||
      !grow((void **)&fl->hooks, &fl->nhooks, st->nwaves + 1, sizeof *fl->hooks))
    return d_oom(d);
  return true;
}

void d_answer_error(const struct orch_exec_answer *a, char *out, size_t n) {
  if (a->aerr && a->aerr->code[0])
    snprintf(out, n, "%s: %s", a->aerr->code, a->aerr->message);
  else if (a->err && a->err->message[0])
    snprintf(out, n, "%s", a->err->message);
  else
    snprintf(out, n, "%s", orch_error_str(a->rc));
}

bool d_refused(const struct orch_exec_answer *a) {
  return a->rc && a->aerr && a->aerr->http_status >= 400 && a->aerr->http_status < 500 && !a->aerr->throttling &&
         a->aerr->http_status != 408;
}

bool d_passing(const struct orch_exec_answer *a) {
  if (!a->rc) return false;
  if (a->rc == ORCH_ECONN || a->rc == ORCH_ETIMEDOUT) return true;
  return a->rc == ORCH_EAWS && a->aerr && (a->aerr->retryable || a->aerr->throttling || a->aerr->http_status >= 500);
}

void d_waiter(const struct dctx *d, size_t w, char *out, size_t n) {
  snprintf(out, n, "%s/%s", d->st->id, d->st->waves[w].name);
}

size_t d_wave_servers(const struct orch_exec_state *st, size_t w, size_t *failed) {
  size_t n = 0, f = 0;
  for (size_t i = 0; i < st->nservers; i++) {
    if (st->servers[i].wave != w) continue;
    n++;
    if (st->servers[i].launch == ORCH_LAUNCH_FAILED) f++;
  }
  if (failed) *failed = f;
  return n;
}

static bool event_wanted(const json_t *events, const char *kind) {
  if (!json_array_size(events)) return true;
  size_t i;
  json_t *e;
  json_array_foreach(events, i, e) if (json_is_string(e) && strcmp(json_string_value(e), kind) == 0) return true;
  return false;
}

void d_notify(struct dctx *d, const char *kind, const char *subject, const char *fmt, ...) {
  const struct orch_exec_state *st = d->st;
  if (!json_array_size(st->notify_topics) || !event_wanted(st->notify_events, kind)) return;
  char msg[1200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  size_t i;
  json_t *topic;
  json_array_foreach(st->notify_topics, i, topic) {
    if (!json_is_string(topic)) continue;
    if (!d_event(d, "NotificationRequested",
                 json_pack("{s:s, s:O, s:s, s:s}", "kind", kind, "topic", topic, "subject", subject, "message", msg)))
      return;
  }
}

/* ---- the entry point ------------------------------------------------------------------------------ */

static void handle_answer(struct dctx *d, const struct orch_exec_answer *a) {
  switch (a->purpose) {
    case ORCH_FX_PREFLIGHT: d_preflight_answer(d, a); break;
    case ORCH_FX_PREPARE: d_prepare_answer(d, a); break;
    case ORCH_FX_START:
    case ORCH_FX_FIND:
    case ORCH_FX_POLL:
    case ORCH_FX_INSTANCES:
    case ORCH_FX_EC2:
    case ORCH_FX_NOTIFY:
    case ORCH_FX_JOB_LOG: d_jobs_answer(d, a); break;
    case ORCH_FX_TERMINATE:
    case ORCH_FX_TERMINATE_CHECK:
    case ORCH_FX_TERMINATE_FIND: d_cleanup_answer(d, a); break;
    case ORCH_FX_HOOK_AWS:
    case ORCH_FX_SSM_READY:
    case ORCH_FX_SSM_SEND:
    case ORCH_FX_SSM_FIND:
    case ORCH_FX_SSM_POLL: d_hook_answer(d, a); break;
    case ORCH_FX_QUOTAS:
    case ORCH_FX_HOOK_START:
    case ORCH_FX_HOOK_RESUME:
    case ORCH_FX_HOOK_CANCEL: break; /* not answers an execution receives */
  }
}

int orch_exec_decide(struct orch_exec_state *st, struct orch_exec_inflight *fl, const struct orch_exec_env *env,
                     const struct orch_exec_input *in, int64_t now, struct orch_exec_decision *out,
                     struct orch_error *err) {
  struct orch_error local = {0};
  struct dctx d = {.st = st, .fl = fl, .env = env, .now = now, .out = out, .err = err ? err : &local};
  out->first_seq = st->seq + 1;
  if (!out->events && !(out->events = json_array())) return d_oom(&d), d.rc;
  if (!d_reserve(&d)) return d.rc;
  switch (in->kind) {
    case ORCH_IN_COMMAND: d_command(&d, &in->command); break;
    case ORCH_IN_ANSWER: handle_answer(&d, &in->answer); break;
    case ORCH_IN_HOOK: d_hook_output(&d, &in->hook); break;
    case ORCH_IN_POLL:
      fl->poll_wanted = true;
      fl->instances_wanted = true;
      break;
    case ORCH_IN_TICK: break;
  }
  if (env->record_only) { /* the command's own events only: whoever drives the execution acts on them */
    for (size_t i = 0; i < out->neffects; i++) orch_exec_effect_release(&out->effects[i]);
    out->neffects = 0;
    return d.rc;
  }
  int steps = 0;
  while (!d.rc && !out->halt && steps++ < MAX_STEPS) {
    if (!d_reserve(&d)) break;
    if (!d_step_execution(&d)) break;
  }
  if (steps >= MAX_STEPS) d_note(&d, "warn", "execution %s: more than %d decisions in one step", st->id, MAX_STEPS);
  return d.rc;
}
