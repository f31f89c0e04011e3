/* orch_exec_decide_hooks: decide for a plan's hooks. A hook runs in the executor's Lua runtime as a
 * coroutine; each run's output (its journal entries, logs, and the host call it waits for) comes back
 * here as an input. Decide journals the entries, then serves the call: AWS calls within the plan's
 * aws_allow list, SNS notifications to every topic, durable sleeps, approvals, w:ssm_run (decide_ssm).
 * After a restart a hook that was running is started again from its journal (replay); one whose
 * execution was cancelled or has ended is finished instead, so it never acts again.
 * Pure. Uses orch_exec_decide_int, orch_plan_hook (ids). */
#include <stdio.h>
#include <string.h>

#include "exec/orch_exec_decide_int.h"
#include "plan/orch_plan_hook.h"

static const char *phase_name(int kind) {
  switch (kind) {
    case ORCH_HOOK_BEFORE: return "before";
    case ORCH_HOOK_AFTER: return "after";
    case ORCH_HOOK_ON_FAILURE: return "on_failure";
    default: return "cleanup";
  }
}

struct orch_exec_hook_memo *d_hook_memo(struct dctx *d, long wave) {
  return &d->fl->hooks[wave >= 0 ? (size_t)wave : d->st->nwaves];
}

static int running_kind(const struct orch_exec_state *st, long wave) {
  return wave >= 0 ? st->waves[wave].hook_running : (st->cleanup_hook_running ? -1 : 0);
}

static json_t *hook_data(const struct dctx *d, long wave, int kind, json_t *data) {
  if (!data) return NULL;
  if ((wave >= 0 && json_object_set_new(data, "wave", json_string(d->st->waves[wave].name))) ||
      json_object_set_new(data, "hook", json_string(phase_name(kind)))) {
    json_decref(data);
    return NULL;
  }
  return data;
}

static void memo_clear(struct orch_exec_hook_memo *m) {
  json_decref(m->call);
  json_decref(m->ssm);
  memset(m, 0, sizeof *m);
}

/* ---- the context a hook receives ------------------------------------------------------------------ */

static json_t *servers_of(const struct orch_exec_state *st, long wave) {
  json_t *servers = json_array();
  for (size_t i = 0; servers && i < st->nservers; i++) {
    const struct orch_exec_server *sv = &st->servers[i];
    if (wave >= 0 && sv->wave != (size_t)wave) continue;
    json_t *o = json_pack("{s:s, s:s, s:s, s:s*, s:s*, s:s*, s:s*}", "id", sv->id, "hostname", sv->hostname, "wave",
                          st->waves[sv->wave].name, "instance_id", sv->ec2_instance_id[0] ? sv->ec2_instance_id : NULL,
                          "recovery_instance_id", sv->recovery_instance_id[0] ? sv->recovery_instance_id : NULL,
                          "private_ip", sv->private_ip[0] ? sv->private_ip : NULL, "launch_status",
                          sv->launch ? orch_launch_status_name(sv->launch) : NULL);
    if (!o || json_array_append_new(servers, o)) {
      json_decref(servers);
      return NULL;
    }
  }
  return servers;
}

static json_t *wave_entry(const struct orch_exec_state *st, size_t w) {
  return json_pack("{s:s, s:s, s:o}", "name", st->waves[w].name, "status", orch_wave_status_name(st->waves[w].status),
                   "servers", servers_of(st, (long)w));
}

/* w (a wave's hook) or x (the plan's cleanup hook): docs/plan-language.md, "Hook context". */
static json_t *hook_context(const struct dctx *d, long wave, int kind) {
  const struct orch_exec_state *st = d->st;
  const struct orch_exec_wave *wv = wave >= 0 ? &st->waves[wave] : NULL;
  /* The waves it may look at (and whose instances w:ssm_run may reach): those it depends on, every wave
   * for the cleanup hook; keyed by name. */
  json_t *waves = json_object();
  for (size_t k = 0; waves && k < (wv ? wv->ndeps : st->nwaves); k++) {
    size_t w = wv ? wv->deps[k] : k;
    if (json_object_set_new(waves, st->waves[w].name, wave_entry(st, w))) {
      json_decref(waves);
      waves = NULL;
    }
  }
  char error[400] = "";
  if (wv && wv->reason[0]) snprintf(error, sizeof error, "%s", wv->reason);
  if (wv && kind == ORCH_HOOK_ON_FAILURE && !error[0]) {
    size_t failed = 0, total = d_wave_servers(st, (size_t)wave, &failed);
    const char *first = "";
    for (size_t i = 0; i < st->nservers; i++)
      if (st->servers[i].wave == (size_t)wave && st->servers[i].launch == ORCH_LAUNCH_FAILED && st->servers[i].failure[0]) {
        first = st->servers[i].failure;
        break;
      }
    snprintf(error, sizeof error, "%zu of %zu servers failed to launch%s%s", failed, total, *first ? ": " : "", first);
  }
  if (!wv && st->end_reason[0] && st->status != ORCH_EXEC_COMPLETED) snprintf(error, sizeof error, "%s", st->end_reason);
  json_t *ctx = json_pack("{s:s, s:s, s:s, s:s, s:i, s:o, s:o*, s:s, s:s*, s:O*, s:s}", "name", wv ? wv->name : st->plan_name,
                          "plan", st->plan_name, "mode", orch_exec_mode_name(st->mode), "execution_id", st->id, "attempt",
                          wv ? wv->attempt : 0, "servers", servers_of(st, wave), "waves", waves, "phase", phase_name(kind),
                          "error", error[0] ? error : NULL, "ssm_documents", json_object_get(st->plan, "ssm_documents"),
                          "status", orch_exec_status_name(st->status));
  return ctx;
}

/* ---- starting, resuming, stopping ----------------------------------------------------------------- */

static bool open_hook(struct dctx *d, long wave, int kind, const json_t *replay) {
  char id[ORCH_PLAN_HOOK_ID_MAX];
  orch_plan_hook_id(id, wave >= 0 ? d->st->waves[wave].name : NULL, phase_name(kind));
  struct orch_exec_effect *e = d_effect(d, ORCH_FX_HOOK_START, id, "", "", NULL, NULL, NULL);
  if (!e) return false;
  e->wave = wave;
  e->hook_kind = kind;
  json_t *ctx = hook_context(d, wave, kind);
  e->context = ctx ? json_pack("{s:o, s:O*}", "context", ctx, "replay", replay) : NULL;
  if (!e->context) return d_oom(d);
  struct orch_exec_hook_memo *m = d_hook_memo(d, wave);
  memo_clear(m);
  m->open = m->running = true;
  return true;
}

bool d_hook_start(struct dctx *d, long wave, int kind) {
  if (!d_event(d, "HookStarted", hook_data(d, wave, kind, json_object()))) return false;
  open_hook(d, wave, kind, NULL);
  return true;
}

static bool finish(struct dctx *d, long wave, int kind, bool ok, const char *error, size_t warnings) {
  memo_clear(d_hook_memo(d, wave));
  json_t *data = error ? json_pack("{s:b, s:s, s:I}", "ok", ok, "error", error, "warnings", (json_int_t)warnings)
                       : json_pack("{s:b, s:I}", "ok", ok, "warnings", (json_int_t)warnings);
  return d_event(d, "HookFinished", hook_data(d, wave, kind, data));
}

void d_hook_complete(struct dctx *d, long wave, json_t *result, const struct orch_error *failure) {
  struct orch_exec_hook_memo *m = d_hook_memo(d, wave);
  char id[ORCH_PLAN_HOOK_ID_MAX];
  int kind = running_kind(d->st, wave);
  orch_plan_hook_id(id, wave >= 0 ? d->st->waves[wave].name : NULL, phase_name(kind < 0 ? 0 : kind));
  struct orch_exec_effect *e = d_effect(d, ORCH_FX_HOOK_RESUME, id, "", "", NULL, NULL, NULL);
  if (!e) {
    json_decref(result);
    return;
  }
  e->wave = wave;
  e->hook_kind = kind < 0 ? 0 : kind;
  if (failure) {
    e->failed = true;
    e->failure = *failure;
    json_decref(result);
  } else {
    e->result = result;
  }
  json_decref(m->call);
  json_decref(m->ssm);
  m->call = m->ssm = NULL;
  m->wait = ORCH_HW_NONE;
  m->due_ms = 0;
  m->ios = 0;
  m->running = true;
}

bool d_hook_cancel(struct dctx *d, long w, const char *reason) {
  struct orch_exec_hook_memo *m = d_hook_memo(d, w);
  int kind = running_kind(d->st, w);
  if (!kind) return false;
  if (!m->open) return finish(d, w, kind < 0 ? 0 : kind, false, reason, 0); /* not running here: end it */
  if (m->running && !m->call) return false; /* a run is out; its output comes first */
  if (m->wait == ORCH_HW_NONE && m->running) return false;
  char id[ORCH_PLAN_HOOK_ID_MAX];
  orch_plan_hook_id(id, w >= 0 ? d->st->waves[w].name : NULL, phase_name(kind < 0 ? 0 : kind));
  struct orch_exec_effect *e = d_effect(d, ORCH_FX_HOOK_CANCEL, id, "", "", NULL, NULL, NULL);
  if (!e) return false;
  e->wave = w;
  e->hook_kind = kind < 0 ? 0 : kind;
  orch_error_set(&e->failure, ORCH_ECANCELLED, "%s", reason);
  json_decref(m->call);
  json_decref(m->ssm);
  m->call = m->ssm = NULL;
  m->wait = ORCH_HW_NONE;
  m->ios = 0;
  m->running = true;
  return true;
}

bool d_hook_approve(struct dctx *d, long w, const char *by) {
  struct orch_exec_hook_memo *m = d_hook_memo(d, w);
  if (!m->open || m->wait != ORCH_HW_APPROVAL) return false;
  d_hook_complete(d, w, json_pack("{s:b, s:s}", "approved", 1, "by", by), NULL);
  return true;
}

/* One running hook: replay it after a restart, stop it when the execution is cancelled, fire its timers. */
static bool step_hook(struct dctx *d, long wave, int kind) {
  struct orch_exec_state *st = d->st;
  struct orch_exec_hook_memo *m = d_hook_memo(d, wave);
  bool stop = wave >= 0 && (st->cancel_requested || st->ended_ms);
  if (!m->open) {
    if (stop)
      return finish(d, wave, kind, false, st->ended_ms ? "the execution ended before this hook finished"
                                                       : "the execution was cancelled", 0);
    d_note(d, "info", "execution %s: replaying hook %s/%s from its journal", st->id, wave >= 0 ? st->waves[wave].name : "plan",
           phase_name(kind));
    open_hook(d, wave, kind, wave >= 0 ? st->waves[wave].hook_calls : st->cleanup_calls);
    return false;
  }
  if (m->running) return false;
  if (stop) {
    d_hook_cancel(d, wave, "the execution was cancelled");
    return false;
  }
  if (!m->due_ms) return false;
  if (d->now < m->due_ms) {
    d_wake(d, m->due_ms);
    return false;
  }
  struct orch_error fail = {0};
  switch (m->wait) {
    case ORCH_HW_TIMER: d_hook_complete(d, wave, NULL, NULL); break;
    case ORCH_HW_APPROVAL:
      orch_error_set(&fail, ORCH_ETIMEDOUT, "no approval before the deadline");
      d_hook_complete(d, wave, NULL, &fail);
      break;
    case ORCH_HW_SSM: d_ssm_due(d, wave); break;
    case ORCH_HW_IO:
    case ORCH_HW_NONE: break;
  }
  return false;
}

bool d_step_hooks(struct dctx *d) {
  const struct orch_exec_state *st = d->st;
  size_t before = json_array_size(d->out->events);
  for (size_t w = 0; w < st->nwaves && !d->rc; w++)
    if (st->waves[w].hook_running) step_hook(d, (long)w, st->waves[w].hook_running);
  if (st->cleanup_hook_running && !d->rc) step_hook(d, -1, 0);
  return json_array_size(d->out->events) > before;
}

/* ---- a run's output ------------------------------------------------------------------------------- */

static bool aws_allowed(const struct orch_exec_state *st, const char *service, const char *op) {
  size_t i;
  json_t *v;
  char full[160], any[100];
  snprintf(full, sizeof full, "%s:%s", service, op);
  snprintf(any, sizeof any, "%s:*", service);
  json_array_foreach(json_object_get(st->plan, "aws_allow"), i, v) {
    const char *a = json_string_value(v);
    if (a && (strcmp(a, full) == 0 || strcmp(a, any) == 0 || strcmp(a, "*") == 0)) return true;
  }
  return false;
}

static void call_aws(struct dctx *d, long wave, const char *service, const char *op, json_t *input, const char *stage) {
  struct orch_exec_hook_memo *m = d_hook_memo(d, wave);
  struct orch_exec_effect *e =
      d_effect(d, ORCH_FX_HOOK_AWS, stage, json_string_value(json_object_get(d->st->plan, "account")),
               json_string_value(json_object_get(d->st->plan, "region")), NULL, NULL, input);
  if (!e) return;
  /* The service and operation are the plan's strings: the executor looks up the model's static ones. */
  e->context = json_pack("{s:I, s:s, s:s, s:s}", "wave", (json_int_t)wave, "service", service, "operation", op, "stage", stage);
  e->paginate = strncmp(op, "List", 4) == 0;
  m->ios++;
  m->wait = ORCH_HW_IO;
}

static void serve_call(struct dctx *d, long wave, const json_t *call) {
  struct orch_exec_state *st = d->st;
  struct orch_exec_hook_memo *m = d_hook_memo(d, wave);
  const char *op = json_string_value(json_object_get(call, "op"));
  const json_t *a = json_object_get(call, "args");
  struct orch_error fail = {0};
  json_decref(m->call);
  m->call = json_deep_copy(call);
  if (!m->call) {
    d_oom(d);
    return;
  }
  if (!op) op = "";
  if (strcmp(op, "aws") == 0) {
    const char *service = json_string_value(json_object_get(a, "service"));
    const char *operation = json_string_value(json_object_get(a, "operation"));
    if (!service || !operation) orch_error_set(&fail, ORCH_EINVAL, "w:aws needs a service and an operation");
    else if (!aws_allowed(st, service, operation))
      orch_error_set(&fail, ORCH_EPERM, "%s:%s is not in the plan's aws_allow list (add \"%s:%s\" to allow it)", service,
                     operation, service, operation);
    else call_aws(d, wave, service, operation, json_incref(json_object_get(a, "params")), "aws");
  } else if (strcmp(op, "notify") == 0) {
    const char *subject = json_string_value(json_object_get(a, "subject"));
    if (!json_array_size(st->notify_topics)) orch_error_set(&fail, ORCH_ENOTFOUND, "the plan names no notify topic");
    size_t i;
    json_t *topic;
    json_array_foreach(st->notify_topics, i, topic)
        call_aws(d, wave, "sns", "Publish",
                 json_pack("{s:O, s:s, s:O}", "TopicArn", topic, "Subject", subject ? subject : "DRS orchestration",
                           "Message", json_object_get(a, "message")),
                 "notify");
  } else if (strcmp(op, "ssm_run") == 0) {
    d_ssm_start(d, wave, call);
  } else if (strcmp(op, "sleep") == 0) {
    json_int_t ms = json_integer_value(json_object_get(a, "ms"));
    json_int_t at = d->now;
    if (json_is_true(json_object_get(call, "reissued"))) { /* durable: from when the sleep was first asked */
      const json_t *calls = wave >= 0 ? st->waves[wave].hook_calls : st->cleanup_calls;
      json_int_t seq = json_integer_value(json_object_get(call, "seq"));
      json_int_t rec = json_integer_value(json_object_get(json_array_get(calls, (size_t)seq - 1), "at_ms"));
      if (rec) at = rec;
    }
    m->wait = ORCH_HW_TIMER;
    m->due_ms = at + (ms > 0 ? ms : 0);
    if (m->due_ms <= 0) m->due_ms = 1;
  } else if (strcmp(op, "approve") == 0) {
    const struct orch_exec_wave *wv = wave >= 0 ? &st->waves[wave] : NULL;
    if (d->env->approve_all && (st->mode != ORCH_MODE_RECOVERY || !wv || !json_array_size(wv->approvers))) {
      d_hook_complete(d, wave, json_pack("{s:b, s:s}", "approved", 1, "by", "--approve-all"), NULL);
      return;
    }
    json_int_t timeout = json_integer_value(json_object_get(a, "timeout_ms"));
    m->wait = ORCH_HW_APPROVAL;
    m->due_ms = timeout > 0 ? d->now + timeout : 0;
    d_notify(d, "approval_requested", "DRS orchestration: approval needed",
             "Hook %s/%s of %s asks for approval: %s (approve the wave to continue)",
             wv ? wv->name : "plan", phase_name(wave >= 0 ? st->waves[wave].hook_running : 0), st->plan_name,
             json_string_value(json_object_get(a, "message")) ? json_string_value(json_object_get(a, "message")) : "");
  } else {
    orch_error_set(&fail, ORCH_EUNSUPPORTED, "unknown host operation '%s'", op);
  }
  if (fail.code) d_hook_complete(d, wave, NULL, &fail);
}

void d_hook_output(struct dctx *d, const struct orch_exec_hook_out *h) {
  struct orch_exec_state *st = d->st;
  long wave = h->wave;
  if (wave >= (long)st->nwaves) return;
  int kind = running_kind(st, wave);
  if (!kind) return; /* finished meanwhile */
  int phase = kind < 0 ? 0 : kind;
  struct orch_exec_hook_memo *m = d_hook_memo(d, wave);
  m->running = false;
  size_t i;
  json_t *item;
  json_array_foreach(h->items, i, item) {
    const json_t *entry = json_object_get(item, "journal"), *log = json_object_get(item, "log");
    if (entry) {
      bool completed = json_is_true(json_object_get(item, "completed"));
      json_int_t seq = json_integer_value(json_object_get(entry, "seq"));
      const json_t *calls = wave >= 0 ? st->waves[wave].hook_calls : st->cleanup_calls;
      const json_t *rec = seq >= 1 && (size_t)seq <= json_array_size(calls) ? json_array_get(calls, (size_t)seq - 1) : NULL;
      if (!completed && rec) continue; /* re-issued after a restart: already journaled */
      if (completed && rec && (json_object_get(rec, "result") || json_object_get(rec, "error"))) continue;
      json_t *data;
      if (!completed)
        data = json_pack("{s:I, s:O*, s:O*, s:O*, s:O*}", "seq", seq, "op", json_object_get(entry, "op"), "args_hash",
                         json_object_get(entry, "args_hash"), "args", json_object_get(entry, "args"), "where",
                         json_object_get(entry, "where"));
      else if (json_object_get(entry, "error"))
        data = json_pack("{s:I, s:O}", "seq", seq, "error", json_object_get(entry, "error"));
      else
        data = json_pack("{s:I, s:O}", "seq", seq, "result",
                         json_object_get(entry, "result") ? json_object_get(entry, "result") : json_null());
      if (!d_event(d, completed ? "HookCallCompleted" : "HookCallRequested", hook_data(d, wave, phase, data))) return;
    } else if (log) {
      if (!d_event(d, "HookLog", hook_data(d, wave, phase, json_deep_copy(log)))) return;
    }
  }
  switch (h->status) {
    case ORCH_PLAN_YIELDED: serve_call(d, wave, h->call); return;
    case ORCH_PLAN_DONE: finish(d, wave, phase, true, NULL, h->warnings); return;
    case ORCH_PLAN_ERROR:
    case ORCH_PLAN_KILLED:
      if (h->missing_module) {
        memo_clear(m);
        d->out->halt = true;
        snprintf(d->out->halt_reason, sizeof d->out->halt_reason,
                 "the plan's modules are not where the execution recorded them (%s): %s; resume with --module-dir "
                 "naming the directory that holds them",
                 st->module_dir[0] ? st->module_dir : "the engine's module directory", h->error ? h->error : "");
        return;
      }
      finish(d, wave, phase, false, h->error ? h->error : "the hook failed", h->warnings);
      return;
  }
}

void d_hook_answer(struct dctx *d, const struct orch_exec_answer *a) {
  json_int_t wave = json_integer_value(json_object_get(a->context, "wave"));
  if (wave < -1 || wave >= (json_int_t)d->st->nwaves || !running_kind(d->st, (long)wave)) return;
  struct orch_exec_hook_memo *m = d_hook_memo(d, (long)wave);
  if (!m->open || !m->call) return; /* the hook was stopped meanwhile */
  if (a->purpose != ORCH_FX_HOOK_AWS) {
    d_ssm_answer(d, (long)wave, a);
    return;
  }
  if (m->ios > 0) m->ios--;
  const char *stage = json_string_value(json_object_get(a->context, "stage"));
  bool notify = stage && strcmp(stage, "notify") == 0;
  if (a->rc) {
    struct orch_error fail = {0};
    orch_error_set(&fail, a->rc, "%s: %s", a->aerr && a->aerr->code[0] ? a->aerr->code : orch_error_name(a->rc),
                   a->aerr && a->aerr->message[0] ? a->aerr->message : a->err ? a->err->message : "");
    d_hook_complete(d, (long)wave, NULL, &fail);
    return;
  }
  if (notify) {
    json_t *ids = json_object_get(m->call, "message_ids");
    if (!ids && json_object_set_new(m->call, "message_ids", ids = json_array())) {
      d_oom(d);
      return;
    }
    json_array_append(ids, json_object_get(a->output, "MessageId") ? json_object_get(a->output, "MessageId") : json_null());
    if (m->ios) return; /* other topics still answering */
    d_hook_complete(d, (long)wave, json_pack("{s:O, s:O}", "message_id", json_array_get(ids, 0), "message_ids", ids), NULL);
    return;
  }
  d_hook_complete(d, (long)wave, json_deep_copy(a->output), NULL);
}
