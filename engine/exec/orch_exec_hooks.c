/* orch_exec_hooks: a plan's hooks under the scheduler. The plan runtime (engine/plan) runs each hook as a
 * coroutine; its host calls arrive here (orch_plan_host_ops) and become journal events
 * (HookCallRequested / HookCallCompleted) and I/O: AWS calls (limited to the plan's aws_allow list), SSM
 * SendCommand then GetCommandInvocation until final (tolerating InvocationDoesNotExist), durable timers for
 * sleeps, approval gates, SNS notifications. After a restart a hook re-runs from the top against its
 * journal: recorded calls return their results, the interrupted one is adopted (an SSM command is found
 * by its comment) or re-issued. Uses orch_plan_hook, orch_exec_int, orch_store, orch_log, orch_time. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/orch_alloc.h"
#include "core/orch_log.h"
#include "core/orch_time.h"
#include "exec/orch_exec_int.h"
#include "plan/orch_plan_hook.h"

#define SSM_POLL_MS_MAX 2000 /* at most this between SSM reads; less when the engine polls DRS faster */
#define SSM_DEFAULT_TIMEOUT_MS (10 * 60 * 1000)

enum hook_wait { WAIT_NONE, WAIT_IO, WAIT_TIMER, WAIT_APPROVAL, WAIT_SSM };

struct hook_slot {
  struct orch_plan_hook *hook;
  long wave;                       /* -1: the plan's cleanup hook */
  int kind;                        /* ORCH_HOOK_*, 0 for cleanup */
  char id[ORCH_PLAN_HOOK_ID_MAX];  /* "database/after" */
  enum hook_wait wait;
  int64_t due_ms;                  /* timer, SSM poll or approval deadline */
  json_t *ssm;                     /* an SSM command in flight: {command_id, instances: {id: result}, deadline_ms} */
  int ios;                         /* I/O requests out for this slot */
};

struct exec_hooks {
  struct orch_exec_engine *eng;
  struct exec_live *lv;
  struct orch_plan_runtime *rt;
  struct orch_clock sandbox_clock; /* w:now on the engine's clock, run-time limits on the real one */
  char load_error[600];
  struct hook_slot *slots;
  size_t n, cap;
};

static const char *phase_name(int kind) {
  switch (kind) {
    case ORCH_HOOK_BEFORE: return "before";
    case ORCH_HOOK_AFTER: return "after";
    case ORCH_HOOK_ON_FAILURE: return "on_failure";
    default: return "cleanup";
  }
}

static const char *wave_name(const struct exec_hooks *hs, const struct hook_slot *s) {
  return s->wave >= 0 ? hs->lv->st.waves[s->wave].name : NULL;
}

/* The running hook's journal as the reducer keeps it. */
static json_t *recorded_calls(const struct exec_hooks *hs, const struct hook_slot *s) {
  return s->wave >= 0 ? hs->lv->st.waves[s->wave].hook_calls : hs->lv->st.cleanup_calls;
}

static int append(struct exec_hooks *hs, const struct hook_slot *s, const char *type, json_t *data) {
  if (data && s->wave >= 0 && json_object_set_new(data, "wave", json_string(wave_name(hs, s)))) {
    json_decref(data);
    data = NULL;
  }
  if (data && json_object_set_new(data, "hook", json_string(phase_name(s->kind)))) {
    json_decref(data);
    data = NULL;
  }
  return exec_append(hs->eng, hs->lv, type, data);
}

/* ---- host ops ------------------------------------------------------------------------------------ */

static void host_journal(void *ctx, struct orch_plan_hook *hook, const json_t *entry, bool completed) {
  struct exec_hooks *hs = ctx;
  struct hook_slot *s = orch_plan_hook_userdata(hook);
  if (!s) return;
  json_int_t seq = json_integer_value(json_object_get(entry, "seq"));
  json_t *calls = recorded_calls(hs, s);
  json_t *rec = seq >= 1 && (size_t)seq <= json_array_size(calls) ? json_array_get(calls, (size_t)seq - 1) : NULL;
  if (!completed) {
    if (rec) return; /* re-issued after a restart: already journaled */
    json_t *d = json_pack("{s:I, s:O*, s:O*, s:O*, s:O*}", "seq", seq, "op", json_object_get(entry, "op"), "args_hash",
                          json_object_get(entry, "args_hash"), "args", json_object_get(entry, "args"), "where",
                          json_object_get(entry, "where"));
    append(hs, s, "HookCallRequested", d);
    return;
  }
  if (rec && (json_object_get(rec, "result") || json_object_get(rec, "error"))) return;
  json_t *error = json_object_get(entry, "error");
  json_t *d = error ? json_pack("{s:I, s:O}", "seq", seq, "error", error)
                    : json_pack("{s:I, s:O}", "seq", seq, "result", json_object_get(entry, "result") ? json_object_get(entry, "result") : json_null());
  append(hs, s, "HookCallCompleted", d);
}

static void host_log(void *ctx, struct orch_plan_hook *hook, const char *level, const char *where, const char *msg) {
  struct exec_hooks *hs = ctx;
  struct hook_slot *s = orch_plan_hook_userdata(hook);
  struct orch_log_field f[] = {{"execution_id", hs->lv->st.id}, {"hook", s ? s->id : "?"}, {"where", where ? where : ""}};
  orch_log_write(strcmp(level, "warn") == 0 ? ORCH_LOG_WARN : ORCH_LOG_INFO, f, 3, "%s", msg);
  if (s) append(hs, s, "HookLog", json_pack("{s:s, s:s, s:s}", "level", level, "where", where ? where : "", "message", msg));
}

static bool aws_allowed(const struct exec_hooks *hs, const char *service, const char *op) {
  const json_t *allow = json_object_get(hs->lv->st.plan, "aws_allow");
  size_t i;
  json_t *v;
  char full[160], any[100];
  snprintf(full, sizeof full, "%s:%s", service, op);
  snprintf(any, sizeof any, "%s:*", service);
  json_array_foreach(allow, i, v) {
    const char *a = json_string_value(v);
    if (a && (strcmp(a, full) == 0 || strcmp(a, any) == 0 || strcmp(a, "*") == 0)) return true;
  }
  return false;
}

static int submit(struct exec_hooks *hs, struct hook_slot *s, const char *service, const char *op, json_t *input,
                  json_t *context, const char *account, const char *region) {
  struct exec_io *io = exec_io_new(IO_HOOK, hs->lv->st.id, account, region, service, op, input);
  if (!io) {
    json_decref(context);
    return ORCH_ENOMEM;
  }
  io->context = context;
  /* Listings (the search for a command sent before a restart) are read to their end. */
  io->paginate = strncmp(op, "List", 4) == 0;
  snprintf(io->key, sizeof io->key, "%s", s->id);
  s->ios++;
  s->wait = s->wait == WAIT_NONE ? WAIT_IO : s->wait;
  exec_io_submit(hs->eng, io);
  return 0;
}

static const char *plan_account(const struct exec_hooks *hs) {
  return json_string_value(json_object_get(hs->lv->st.plan, "account"));
}

static const char *plan_region(const struct exec_hooks *hs) {
  return json_string_value(json_object_get(hs->lv->st.plan, "region"));
}

/* SSM parameters are lists of strings: {"commands": ["a", "b"], "timeout": ["60"]}. */
static json_t *ssm_parameters(const json_t *params) {
  json_t *out = json_object();
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)(uintptr_t)params, k, v) {
    json_t *list = json_array();
    if (json_is_array(v)) {
      size_t i;
      json_t *e;
      json_array_foreach(v, i, e) {
        char *txt = json_is_string(e) ? NULL : json_dumps(e, JSON_ENCODE_ANY | JSON_COMPACT);
        json_array_append_new(list, txt ? json_string(txt) : json_incref(e));
        free(txt);
      }
    } else if (json_is_string(v)) {
      json_array_append(list, v);
    } else {
      char *txt = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
      json_array_append_new(list, json_string(txt ? txt : ""));
      free(txt);
    }
    json_object_set_new(out, k, list);
  }
  return out;
}

static void ssm_comment(char *out, size_t n, const struct exec_hooks *hs, const struct hook_slot *s, uint64_t seq) {
  /* SSM comments are at most 100 characters: the execution id, hook and call number identify it. */
  snprintf(out, n, "drsorch %s %s #%llu", hs->lv->st.id, s->id, (unsigned long long)seq);
}

static int64_t ssm_poll_ms(const struct exec_hooks *hs) {
  return hs->eng->cfg.poll_ms < SSM_POLL_MS_MAX ? hs->eng->cfg.poll_ms : SSM_POLL_MS_MAX;
}

/* A freshly launched instance runs commands only once its SSM agent is Online: wait for every target
 * (within the call's timeout) rather than fail on an agent that has not registered yet. */
#define SSM_FILTER_MAX 50 /* instance ids in one DescribeInstanceInformation filter */

static int ssm_check_ready(struct exec_hooks *hs, struct hook_slot *s) {
  json_t *ids = json_object_get(s->ssm, "instance_ids");
  json_object_set_new(s->ssm, "online", json_integer(0));
  json_object_set_new(s->ssm, "ready_error", json_null());
  for (size_t from = 0; from < json_array_size(ids); from += SSM_FILTER_MAX) {
    json_t *part = json_array();
    for (size_t i = from; part && i < json_array_size(ids) && i < from + SSM_FILTER_MAX; i++)
      json_array_append(part, json_array_get(ids, i));
    int rc = part ? submit(hs, s, "ssm", "DescribeInstanceInformation",
                           json_pack("{s:[{s:s, s:o}]}", "Filters", "Key", "InstanceIds", "Values", part),
                           json_pack("{s:s, s:s}", "op", "ssm_run", "stage", "ready"), plan_account(hs), plan_region(hs))
                  : ORCH_ENOMEM;
    if (rc) return rc;
  }
  return 0;
}

static int ssm_start(struct exec_hooks *hs, struct hook_slot *s, const struct orch_plan_call *call) {
  const json_t *a = call->args;
  json_int_t timeout = json_integer_value(json_object_get(a, "timeout_ms"));
  if (timeout <= 0) timeout = SSM_DEFAULT_TIMEOUT_MS;
  json_decref(s->ssm);
  s->ssm = json_pack("{s:O, s:{}, s:I, s:I}", "instance_ids", json_object_get(a, "instance_ids"), "instances",
                     "deadline_ms", (json_int_t)(orch_clock_now_ms(hs->eng->clock) + timeout), "seq", (json_int_t)call->seq);
  if (!s->ssm) return ORCH_ENOMEM;
  char comment[128];
  ssm_comment(comment, sizeof comment, hs, s, call->seq);
  if (call->reissued) {
    /* Sent before a restart? Find it by its comment instead of running the command twice. */
    json_t *calls = recorded_calls(hs, s);
    json_int_t at = json_integer_value(json_object_get(json_array_get(calls, call->seq - 1), "at_ms"));
    char after[ORCH_TIME_ISO_MAX];
    orch_time_iso8601_s(after, (at ? at : orch_clock_now_ms(hs->eng->clock)) - 60000);
    return submit(hs, s, "ssm", "ListCommandInvocations",
                  json_pack("{s:[{s:s, s:s}]}", "Filters", "key", "InvokedAfter", "value", after),
                  json_pack("{s:s, s:s}", "op", "ssm_run", "stage", "find"), plan_account(hs), plan_region(hs));
  }
  json_t *params = ssm_parameters(json_object_get(a, "parameters"));
  json_t *send = json_pack("{s:O, s:O, s:o, s:s, s:I}", "DocumentName", json_object_get(a, "document"), "InstanceIds",
                           json_object_get(a, "instance_ids"), "Parameters", params, "Comment", comment, "TimeoutSeconds",
                           (json_int_t)(timeout / 1000 < 30 ? 30 : timeout / 1000));
  if (!send || json_object_set_new(s->ssm, "send", send)) return ORCH_ENOMEM;
  return ssm_check_ready(hs, s);
}

static int host_call(void *ctx, struct orch_plan_hook *hook, const struct orch_plan_call *call, json_t **result,
                     struct orch_error *err) {
  struct exec_hooks *hs = ctx;
  struct hook_slot *s = orch_plan_hook_userdata(hook);
  struct orch_exec_engine *eng = hs->eng;
  const json_t *a = call->args;
  int rc = 0;
  if (strcmp(call->op, "aws") == 0) {
    const char *service = json_string_value(json_object_get(a, "service"));
    const char *op = json_string_value(json_object_get(a, "operation"));
    if (!service || !op) return orch_error_set(err, ORCH_EINVAL, "w:aws needs a service and an operation");
    if (!aws_allowed(hs, service, op))
      return orch_error_set(err, ORCH_EPERM, "%s:%s is not in the plan's aws_allow list (add \"%s:%s\" to allow it)",
                            service, op, service, op);
    rc = submit(hs, s, service, op, json_incref(json_object_get(a, "params")), json_pack("{s:s}", "op", "aws"),
                plan_account(hs), plan_region(hs));
  } else if (strcmp(call->op, "ssm_run") == 0) {
    rc = ssm_start(hs, s, call);
  } else if (strcmp(call->op, "sleep") == 0) {
    json_int_t ms = json_integer_value(json_object_get(a, "ms"));
    json_int_t at = orch_clock_now_ms(eng->clock);
    if (call->reissued) { /* durable: the timer runs from when the sleep was first asked for */
      json_int_t rec = json_integer_value(json_object_get(json_array_get(recorded_calls(hs, s), call->seq - 1), "at_ms"));
      if (rec) at = rec;
    }
    s->due_ms = at + ms;
    s->wait = WAIT_TIMER;
  } else if (strcmp(call->op, "approve") == 0) {
    if (eng->cfg.approve_all) {
      *result = json_pack("{s:b, s:s}", "approved", 1, "by", "--approve-all");
      return *result ? 0 : orch_error_set(err, ORCH_ENOMEM, "out of memory");
    }
    json_int_t timeout = json_integer_value(json_object_get(a, "timeout_ms"));
    s->due_ms = timeout > 0 ? orch_clock_now_ms(eng->clock) + timeout : 0;
    s->wait = WAIT_APPROVAL;
    char msg[700];
    snprintf(msg, sizeof msg, "Hook %s of %s asks for approval: %s (approve the wave to continue)", s->id,
             hs->lv->st.plan_name, json_string_value(json_object_get(a, "message")));
    exec_notify(eng, hs->lv, "gate_waiting", "DRS orchestration: approval needed", msg);
  } else if (strcmp(call->op, "notify") == 0) {
    if (!hs->lv->st.notify_topic[0]) return orch_error_set(err, ORCH_ENOTFOUND, "the plan names no notify topic");
    const char *subject = json_string_value(json_object_get(a, "subject"));
    rc = submit(hs, s, "sns", "Publish",
                json_pack("{s:s, s:s, s:O}", "TopicArn", hs->lv->st.notify_topic, "Subject",
                          subject ? subject : "DRS orchestration", "Message", json_object_get(a, "message")),
                json_pack("{s:s}", "op", "notify"), NULL, NULL);
  } else {
    return orch_error_set(err, ORCH_EUNSUPPORTED, "unknown host operation %s", call->op);
  }
  if (rc) return orch_error_set(err, rc, "w:%s could not be started: %s", call->op, orch_error_str(rc));
  return ORCH_PLAN_PENDING;
}

static const struct orch_plan_host_ops host_ops = {.call = host_call, .journal = host_journal, .log = host_log};

/* ---- slots ------------------------------------------------------------------------------------- */

static void slot_close(struct exec_hooks *hs, struct hook_slot *s) {
  orch_plan_hook_free(s->hook);
  json_decref(s->ssm);
  size_t i = (size_t)(s - hs->slots);
  memmove(&hs->slots[i], &hs->slots[i + 1], (hs->n - i - 1) * sizeof *s);
  hs->n--;
  for (size_t k = 0; k < hs->n; k++) orch_plan_hook_set_userdata(hs->slots[k].hook, &hs->slots[k]);
}

static struct hook_slot *slot_find(struct exec_hooks *hs, long wave) {
  for (size_t i = 0; i < hs->n; i++)
    if (hs->slots[i].wave == wave) return &hs->slots[i];
  return NULL;
}

static struct hook_slot *slot_by_id(struct exec_hooks *hs, const char *id) {
  for (size_t i = 0; i < hs->n; i++)
    if (strcmp(hs->slots[i].id, id) == 0) return &hs->slots[i];
  return NULL;
}

static void finish(struct exec_hooks *hs, struct hook_slot *s, bool ok, const char *error) {
  size_t warnings = json_array_size(orch_plan_hook_warnings(s->hook));
  json_t *d = error ? json_pack("{s:b, s:s, s:I}", "ok", ok, "error", error, "warnings", (json_int_t)warnings)
                    : json_pack("{s:b, s:I}", "ok", ok, "warnings", (json_int_t)warnings);
  struct hook_slot copy = *s;
  slot_close(hs, s);
  append(hs, &copy, "HookFinished", d);
}

/* Run the hook until it waits or ends. */
static void drive(struct exec_hooks *hs, struct hook_slot *s) {
  if (s->ios || s->wait != WAIT_NONE) return;
  struct orch_error err = {0};
  enum orch_plan_status st = orch_plan_hook_resume(s->hook, &err);
  if (st == ORCH_PLAN_YIELDED) return;
  if (st == ORCH_PLAN_DONE) {
    finish(hs, s, true, NULL);
    return;
  }
  char msg[ORCH_ERROR_MESSAGE_MAX + ORCH_ERROR_CONTEXT_MAX + 4];
  orch_error_format(&err, msg, sizeof msg);
  finish(hs, s, false, msg);
}

static void complete(struct exec_hooks *hs, struct hook_slot *s, json_t *result, const struct orch_error *failure) {
  s->wait = WAIT_NONE;
  if (orch_plan_hook_complete(s->hook, result, failure)) {
    orch_log_error("exec %s: hook %s: a host call completed twice", hs->lv->st.id, s->id);
    return;
  }
  drive(hs, s);
}

/* The context a hook receives: w (a wave) or x (the execution, for cleanup). */
static json_t *hook_context(const struct exec_hooks *hs, long wave, int kind) {
  const struct orch_exec_state *st = &hs->lv->st;
  json_t *servers = json_array();
  for (size_t i = 0; servers && i < st->nservers; i++) {
    const struct orch_exec_server *sv = &st->servers[i];
    if (wave >= 0 && sv->wave != (size_t)wave) continue;
    json_t *o = json_pack("{s:s, s:s, s:s, s:s*, s:s*, s:s*}", "id", sv->id, "hostname", sv->hostname, "wave",
                          st->waves[sv->wave].name, "instance_id", sv->ec2_instance_id[0] ? sv->ec2_instance_id : NULL,
                          "private_ip", sv->private_ip[0] ? sv->private_ip : NULL, "launch_status",
                          sv->launch_status[0] ? sv->launch_status : NULL);
    if (!o || json_array_append_new(servers, o)) {
      json_decref(servers);
      return NULL;
    }
  }
  const struct orch_exec_wave *w = wave >= 0 ? &st->waves[wave] : NULL;
  return json_pack("{s:s, s:s, s:s, s:s, s:i, s:o, s:s*, s:s*}", "name", w ? w->name : st->plan_name, "plan", st->plan_name,
                   "mode", orch_exec_mode_name(st->mode), "execution_id", st->id, "attempt", w ? w->attempt : 0, "servers",
                   servers, "phase", phase_name(kind), "error", w && w->reason[0] ? w->reason : NULL);
}

/* The sandbox's clock: the engine's wall time (the simulator's in `run --sim`) for w:now, but real
 * monotonic time for the wall-clock limits, which bound real work however fast a sim clock runs. */
static int64_t sandbox_now_ms(void *ctx) { return orch_clock_now_ms(((const struct orch_exec_engine *)ctx)->clock); }
static int64_t sandbox_mono_ns(void *ctx) {
  (void)ctx;
  return orch_clock_mono_ns(orch_clock_real());
}
static const struct orch_clock_ops sandbox_clock_ops = {.now_ms = sandbox_now_ms, .mono_ns = sandbox_mono_ns};

/* Load the plan's runtime for this execution once: the stored source of its version. */
static int runtime_ensure(struct exec_hooks *hs) {
  if (hs->rt) return 0;
  if (hs->load_error[0]) return ORCH_EVALIDATION;
  struct orch_store_plan_version v = {0};
  struct orch_error err = {0};
  struct orch_plan_report *report = NULL;
  int rc = orch_store_plan_version_get(hs->eng->cfg.store, hs->lv->st.plan_id, hs->lv->st.plan_version, &v, &err);
  if (!rc) {
    const char *file = json_string_value(json_object_get(hs->lv->st.plan, "file"));
    hs->sandbox_clock = (struct orch_clock){.ops = &sandbox_clock_ops, .ctx = hs->eng};
    struct orch_plan_runtime_config cfg = {.sandbox = {.clock = &hs->sandbox_clock,
                                                       /* where the plan's modules were when it started */
                                                       .module_dir = hs->lv->st.module_dir[0] ? hs->lv->st.module_dir
                                                                                              : hs->eng->cfg.module_dir},
                                           .host = &host_ops, .host_ctx = hs};
    struct orch_plan_source src = {.file = file ? file : hs->lv->st.plan_name, .text = v.source, .len = strlen(v.source)};
    rc = orch_plan_runtime_new(&cfg, &src, &hs->rt, &report, &err);
  }
  if (rc) {
    char line[ORCH_ERROR_MESSAGE_MAX + ORCH_ERROR_CONTEXT_MAX + 4];
    snprintf(hs->load_error, sizeof hs->load_error, "the plan cannot be loaded for its hooks: %s",
             orch_error_format(&err, line, sizeof line));
    orch_log_error("exec %s: %s", hs->lv->st.id, hs->load_error);
  }
  orch_plan_report_free(report);
  orch_store_plan_version_release(&v);
  return rc;
}

static struct exec_hooks *hooks_of(struct orch_exec_engine *eng, struct exec_live *lv) {
  if (!lv->rt.hooks) {
    lv->rt.hooks = orch_calloc(1, sizeof *lv->rt.hooks);
    if (!lv->rt.hooks) return NULL;
    lv->rt.hooks->eng = eng;
    lv->rt.hooks->lv = lv;
  }
  return lv->rt.hooks;
}

/* Open a hook in a slot and run it; `replay` is the journal of the interrupted run, or NULL. */
static int slot_open(struct exec_hooks *hs, long wave, int kind, const json_t *replay) {
  char id[ORCH_PLAN_HOOK_ID_MAX];
  orch_plan_hook_id(id, wave >= 0 ? hs->lv->st.waves[wave].name : NULL, phase_name(kind));
  if (hs->n == hs->cap) {
    size_t cap = hs->cap ? hs->cap * 2 : 8;
    struct hook_slot *n = orch_realloc(hs->slots, cap * sizeof *n);
    if (!n) return ORCH_ENOMEM;
    hs->slots = n;
    hs->cap = cap;
    for (size_t k = 0; k < hs->n; k++) orch_plan_hook_set_userdata(hs->slots[k].hook, &hs->slots[k]);
  }
  struct hook_slot *s = &hs->slots[hs->n];
  memset(s, 0, sizeof *s);
  s->wave = wave;
  s->kind = kind;
  snprintf(s->id, sizeof s->id, "%s", id);
  json_t *ctx = hook_context(hs, wave, kind);
  struct orch_error err = {0};
  json_t *journal = replay ? json_deep_copy(replay) : NULL; /* the runtime keeps its own copy */
  int rc = ctx && (journal || !replay) ? orch_plan_hook_new(hs->rt, id, ctx, journal, &s->hook, &err) : ORCH_ENOMEM;
  json_decref(journal);
  json_decref(ctx);
  hs->n++;
  if (rc) {
    char msg[ORCH_ERROR_MESSAGE_MAX + ORCH_ERROR_CONTEXT_MAX + 4];
    orch_error_format(&err, msg, sizeof msg);
    s->hook = NULL;
    finish(hs, s, false, msg[0] ? msg : orch_error_str(rc));
    return 0;
  }
  orch_plan_hook_set_userdata(s->hook, s);
  drive(hs, s);
  return 0;
}

/* ---- the engine's entry points ------------------------------------------------------------------ */

int exec_hooks_start(struct orch_exec_engine *eng, struct exec_live *lv, long wave, int kind) {
  struct exec_hooks *hs = hooks_of(eng, lv);
  if (!hs) return ORCH_ENOMEM;
  struct hook_slot tmp = {.wave = wave, .kind = kind};
  if (append(hs, &tmp, "HookStarted", json_object())) return ORCH_ESTORE;
  if (runtime_ensure(hs)) {
    append(hs, &tmp, "HookFinished", json_pack("{s:b, s:s, s:i}", "ok", 0, "error", hs->load_error, "warnings", 0));
    return 0;
  }
  return slot_open(hs, wave, kind, NULL);
}

/* Hooks the journal says are running but this process has not opened: replay them. */
static void resume_interrupted(struct exec_hooks *hs) {
  const struct orch_exec_state *st = &hs->lv->st;
  for (size_t w = 0; w < st->nwaves; w++) {
    if (!st->waves[w].hook_running || slot_find(hs, (long)w)) continue;
    int kind = st->waves[w].hook_running;
    struct hook_slot tmp = {.wave = (long)w, .kind = kind};
    if (runtime_ensure(hs)) {
      append(hs, &tmp, "HookFinished", json_pack("{s:b, s:s, s:i}", "ok", 0, "error", hs->load_error, "warnings", 0));
      continue;
    }
    orch_log_info("exec %s: replaying hook %s/%s from its journal (%zu calls)", st->id, st->waves[w].name,
                  phase_name(kind), json_array_size(st->waves[w].hook_calls));
    slot_open(hs, (long)w, kind, st->waves[w].hook_calls);
  }
  if (st->cleanup_hook_running && !slot_find(hs, -1)) {
    struct hook_slot tmp = {.wave = -1, .kind = 0};
    if (runtime_ensure(hs))
      append(hs, &tmp, "HookFinished", json_pack("{s:b, s:s, s:i}", "ok", 0, "error", hs->load_error, "warnings", 0));
    else
      slot_open(hs, -1, 0, st->cleanup_calls);
  }
}

static json_t *ssm_result(const json_t *ssm) {
  json_t *list = json_array();
  const char *status = "Success";
  const char *id;
  json_t *r;
  json_object_foreach(json_object_get(ssm, "instances"), id, r) {
    const char *st = json_string_value(json_object_get(r, "status"));
    if (st && strcmp(st, "Success") != 0 && strcmp(status, "Success") == 0) status = st;
    json_array_append(list, r);
  }
  return json_pack("{s:b, s:s, s:O, s:o}", "ok", strcmp(status, "Success") == 0, "status", status, "command_id",
                   json_object_get(ssm, "command_id"), "instances", list);
}

static bool ssm_final(const char *status) {
  static const char *const finals[] = {"Success", "Failed", "TimedOut", "Cancelled", "DeliveryTimedOut",
                                       "ExecutionTimedOut", "Undeliverable", "Terminated", "InvalidPlatform",
                                       "AccessDenied", NULL};
  for (size_t i = 0; status && finals[i]; i++)
    if (strcmp(status, finals[i]) == 0) return true;
  return false;
}

/* Ask GetCommandInvocation for every instance still running. */
static void ssm_poll(struct exec_hooks *hs, struct hook_slot *s) {
  s->wait = WAIT_NONE;
  const char *cmd = json_string_value(json_object_get(s->ssm, "command_id"));
  size_t i;
  json_t *iid;
  json_array_foreach(json_object_get(s->ssm, "instance_ids"), i, iid) {
    json_t *r = json_object_get(json_object_get(s->ssm, "instances"), json_string_value(iid));
    if (r && ssm_final(json_string_value(json_object_get(r, "status")))) continue;
    if (submit(hs, s, "ssm", "GetCommandInvocation", json_pack("{s:s, s:O}", "CommandId", cmd, "InstanceId", iid),
               json_pack("{s:s, s:s, s:O}", "op", "ssm_run", "stage", "poll", "instance", iid), plan_account(hs), plan_region(hs)))
      orch_log_warn("exec %s: hook %s: out of memory polling SSM; will retry", hs->lv->st.id, s->id);
  }
  if (!s->ios) { /* every instance is final */
    complete(hs, s, ssm_result(s->ssm), NULL);
  }
}

static void ssm_answer(struct exec_hooks *hs, struct hook_slot *s, struct exec_io *io) {
  const char *stage = json_string_value(json_object_get(io->context, "stage"));
  int64_t now = orch_clock_now_ms(hs->eng->clock);
  struct orch_error fail = {0};
  if (strcmp(stage, "ready") == 0) {
    size_t online = (size_t)json_integer_value(json_object_get(s->ssm, "online")), i;
    json_t *info;
    json_array_foreach(json_object_get(io->output, "InstanceInformationList"), i, info) {
      const char *ping = json_string_value(json_object_get(info, "PingStatus"));
      if (ping && strcmp(ping, "Online") == 0) online++;
    }
    json_object_set_new(s->ssm, "online", json_integer((json_int_t)online));
    if (io->rc)
      json_object_set_new(s->ssm, "ready_error", json_string(io->aerr.code[0] ? io->aerr.code : io->err.message));
    if (s->ios) return; /* more chunks to come */
    size_t want = json_array_size(json_object_get(s->ssm, "instance_ids"));
    const char *rerr = json_string_value(json_object_get(s->ssm, "ready_error"));
    if (!rerr && online >= want) {
      if (submit(hs, s, "ssm", "SendCommand", json_incref(json_object_get(s->ssm, "send")),
                 json_pack("{s:s, s:s}", "op", "ssm_run", "stage", "send"), plan_account(hs), plan_region(hs))) {
        orch_error_set(&fail, ORCH_ENOMEM, "out of memory sending the SSM command");
        complete(hs, s, NULL, &fail);
      }
      return;
    }
    if (now >= json_integer_value(json_object_get(s->ssm, "deadline_ms"))) {
      if (rerr)
        orch_error_set(&fail, ORCH_EAWS, "SSM agents not reachable: %s", rerr);
      else
        orch_error_set(&fail, ORCH_ETIMEDOUT, "%zu of %zu instances have an SSM agent online; gave up waiting", online, want);
      complete(hs, s, NULL, &fail);
      return;
    }
    s->wait = WAIT_SSM;
    s->due_ms = now + ssm_poll_ms(hs);
    json_object_set_new(s->ssm, "waiting_for_agents", json_true());
    return;
  }
  if (strcmp(stage, "send") == 0 || strcmp(stage, "find") == 0) {
    const char *cmd = NULL;
    if (!io->rc && strcmp(stage, "send") == 0) {
      cmd = json_string_value(json_object_get(json_object_get(io->output, "Command"), "CommandId"));
    } else if (!io->rc) {
      char comment[128];
      ssm_comment(comment, sizeof comment, hs, s, (uint64_t)json_integer_value(json_object_get(s->ssm, "seq")));
      size_t i;
      json_t *inv;
      json_array_foreach(json_object_get(io->output, "CommandInvocations"), i, inv) {
        const char *c = json_string_value(json_object_get(inv, "Comment"));
        if (c && strcmp(c, comment) == 0) cmd = json_string_value(json_object_get(inv, "CommandId"));
      }
      if (!cmd) { /* never sent: send it now */
        json_t *calls = recorded_calls(hs, s);
        (void)calls;
        const struct orch_plan_call *pc = orch_plan_hook_pending(s->hook);
        if (pc) {
          struct orch_plan_call fresh = *pc;
          fresh.reissued = false;
          if (ssm_start(hs, s, &fresh)) orch_error_set(&fail, ORCH_ENOMEM, "out of memory re-sending the SSM command");
          else return;
        }
      }
    }
    if (io->rc) {
      orch_error_set(&fail, io->rc, "%s: %s", io->aerr.code[0] ? io->aerr.code : orch_error_name(io->rc),
                     io->aerr.message[0] ? io->aerr.message : io->err.message);
    } else if (!cmd && !fail.code) {
      orch_error_set(&fail, ORCH_EAWS, "SSM returned no command id");
    }
    if (fail.code) {
      complete(hs, s, NULL, &fail);
      return;
    }
    json_object_set_new(s->ssm, "command_id", json_string(cmd));
    s->wait = WAIT_SSM;
    s->due_ms = now + ssm_poll_ms(hs); /* GetCommandInvocation right after SendCommand says it does not exist yet */
    return;
  }
  /* poll */
  const char *iid = json_string_value(json_object_get(io->context, "instance"));
  /* Only a definite answer about the invocation ends it; a read that did not get through (throttled,
   * a server error, a time-out) or InvocationDoesNotExist (too early) says nothing: poll again. */
  bool definite = io->rc && io->aerr.http_status >= 400 && io->aerr.http_status < 500 && !io->aerr.throttling &&
                  strcmp(io->aerr.code, "InvocationDoesNotExist") != 0;
  if (definite) {
    json_object_set_new(json_object_get(s->ssm, "instances"), iid,
                        json_pack("{s:s, s:s, s:s}", "instance_id", iid, "status", "Failed", "stderr", io->aerr.code[0] ? io->aerr.code : io->err.message));
  } else if (!io->rc) {
    const char *status = json_string_value(json_object_get(io->output, "Status"));
    json_object_set_new(json_object_get(s->ssm, "instances"), iid,
                        json_pack("{s:s, s:s*, s:O*, s:O*, s:O*}", "instance_id", iid, "status", status, "exit_code",
                                  json_object_get(io->output, "ResponseCode"), "stdout",
                                  json_object_get(io->output, "StandardOutputContent"), "stderr",
                                  json_object_get(io->output, "StandardErrorContent")));
  }
  if (s->ios) return; /* other instances still answering */
  bool all_final = true;
  size_t i;
  json_t *id;
  json_array_foreach(json_object_get(s->ssm, "instance_ids"), i, id) {
    json_t *r = json_object_get(json_object_get(s->ssm, "instances"), json_string_value(id));
    if (!r || !ssm_final(json_string_value(json_object_get(r, "status")))) all_final = false;
  }
  if (all_final) {
    complete(hs, s, ssm_result(s->ssm), NULL);
    return;
  }
  if (now >= json_integer_value(json_object_get(s->ssm, "deadline_ms"))) {
    orch_error_set(&fail, ORCH_ETIMEDOUT, "SSM command %s did not finish in time",
                   json_string_value(json_object_get(s->ssm, "command_id")));
    complete(hs, s, NULL, &fail);
    return;
  }
  s->wait = WAIT_SSM;
  s->due_ms = now + ssm_poll_ms(hs);
}

void exec_hooks_io_done(struct orch_exec_engine *eng, struct exec_live *lv, struct exec_io *io) {
  struct exec_hooks *hs = hooks_of(eng, lv);
  struct hook_slot *s = hs ? slot_by_id(hs, io->key) : NULL;
  if (!s) { /* the hook was cancelled meanwhile */
    exec_io_free(io);
    return;
  }
  s->ios--;
  const char *op = json_string_value(json_object_get(io->context, "op"));
  if (op && strcmp(op, "ssm_run") == 0) {
    ssm_answer(hs, s, io);
  } else if (s->ios == 0) {
    s->wait = WAIT_NONE;
    if (io->rc) {
      struct orch_error fail = {0};
      orch_error_set(&fail, io->rc, "%s: %s", io->aerr.code[0] ? io->aerr.code : orch_error_name(io->rc),
                     io->aerr.message[0] ? io->aerr.message : io->err.message);
      complete(hs, s, NULL, &fail);
    } else {
      json_t *out = io->output;
      io->output = NULL;
      if (op && strcmp(op, "notify") == 0) {
        json_t *r = json_pack("{s:O*}", "message_id", json_object_get(out, "MessageId"));
        json_decref(out);
        out = r;
      }
      complete(hs, s, out, NULL);
    }
  }
  exec_io_free(io);
}

void exec_hooks_tick(struct orch_exec_engine *eng, struct exec_live *lv) {
  const struct orch_exec_state *st = &lv->st;
  bool any = st->cleanup_hook_running;
  for (size_t w = 0; w < st->nwaves && !any; w++) any = st->waves[w].hook_running != 0;
  if (!any && !lv->rt.hooks) return;
  struct exec_hooks *hs = hooks_of(eng, lv);
  if (!hs || lv->rt.stalled) return;
  resume_interrupted(hs);
  int64_t now = orch_clock_now_ms(eng->clock);
  for (size_t i = 0; i < hs->n; i++) {
    struct hook_slot *s = &hs->slots[i];
    if (st->cancel_requested && s->wave >= 0 && !st->ended_ms) {
      orch_plan_hook_cancel(s->hook, "the execution was cancelled");
      s->wait = WAIT_NONE;
      s->ios = 0;
      drive(hs, s);
      i = (size_t)-1; /* slots moved: start over */
      continue;
    }
    if (s->due_ms && now >= s->due_ms) {
      if (s->wait == WAIT_TIMER) {
        s->due_ms = 0;
        complete(hs, s, NULL, NULL);
        i = (size_t)-1;
      } else if (s->wait == WAIT_SSM) {
        s->due_ms = 0;
        if (json_is_true(json_object_get(s->ssm, "waiting_for_agents"))) {
          json_object_del(s->ssm, "waiting_for_agents");
          s->wait = WAIT_NONE;
          if (ssm_check_ready(hs, s)) orch_log_warn("exec %s: hook %s: out of memory; will retry", st->id, s->id);
        } else {
          ssm_poll(hs, s);
        }
        i = (size_t)-1;
      } else if (s->wait == WAIT_APPROVAL) {
        s->due_ms = 0;
        struct orch_error fail = {0};
        orch_error_set(&fail, ORCH_ETIMEDOUT, "no approval before the deadline");
        complete(hs, s, NULL, &fail);
        i = (size_t)-1;
      }
    }
  }
}

int64_t exec_hooks_next_timer(const struct exec_live *lv) {
  const struct exec_hooks *hs = lv->rt.hooks;
  int64_t next = 0;
  for (size_t i = 0; hs && i < hs->n; i++)
    if (hs->slots[i].due_ms && (!next || hs->slots[i].due_ms < next)) next = hs->slots[i].due_ms;
  return next;
}

bool exec_hooks_cancel_wave(struct exec_live *lv, long wave, const char *reason) {
  struct exec_hooks *hs = lv->rt.hooks;
  struct hook_slot *s = hs ? slot_find(hs, wave) : NULL;
  if (!s) return false;
  orch_plan_hook_cancel(s->hook, reason);
  s->wait = WAIT_NONE;
  s->ios = 0;
  s->due_ms = 0;
  drive(hs, s); /* ends it: HookFinished with the reason */
  return true;
}

bool exec_hooks_approve(struct orch_exec_engine *eng, struct exec_live *lv, long wave, const char *by) {
  struct exec_hooks *hs = lv->rt.hooks;
  struct hook_slot *s = hs ? slot_find(hs, wave) : NULL;
  (void)eng;
  if (!s || s->wait != WAIT_APPROVAL) return false;
  s->due_ms = 0;
  complete(hs, s, json_pack("{s:b, s:s}", "approved", 1, "by", by), NULL);
  return true;
}

void exec_hooks_free(struct exec_hooks *h) {
  if (!h) return;
  for (size_t i = 0; i < h->n; i++) {
    orch_plan_hook_free(h->slots[i].hook);
    json_decref(h->slots[i].ssm);
  }
  orch_free(h->slots);
  orch_plan_runtime_free(h->rt);
  orch_free(h);
}
