/* orch_exec_hookrt: the hook effects: one execution's plan runtime (its stored source loaded once in a
 * sandbox, with the plan's own modules from where they were when it started) and its open hooks, run as
 * coroutines on the scheduler thread. A run goes until the hook waits for a host call, finishes, fails
 * or is killed; what it produced (journal entries, logs, the call it waits for) is handed to decide,
 * which journals it and serves the call. The runtime's host ops therefore never act: every call they
 * see is pending until decide completes it with a HOOK_RESUME. Uses orch_plan_hook, orch_exec_int,
 * orch_store, orch_log. */
#include <stdio.h>
#include <string.h>

#include "core/orch_alloc.h"
#include "core/orch_log.h"
#include "exec/orch_exec_int.h"
#include "plan/orch_plan_hook.h"

struct slot {
  long wave; /* -1: the plan's cleanup hook */
  struct orch_plan_hook *hook;
};

struct exec_hookrt {
  struct orch_exec_engine *eng;
  struct exec_live *lv;
  struct orch_plan_runtime *rt;
  struct orch_clock sandbox_clock;
  char load_error[900];
  bool missing_module;
  struct slot *slots;
  size_t n, cap;
  struct exec_hook_result *res; /* the run in progress collects here */
};

static void item(struct exec_hookrt *h, json_t *it) {
  if (!h->res || !it || json_array_append_new(h->res->items, it))
    orch_log_error("exec %s: out of memory recording a hook's journal; it is replayed later", h->lv->st.id);
}

static int host_call(void *ctx, struct orch_plan_hook *hook, const struct orch_plan_call *call, json_t **result,
                     struct orch_error *err) {
  (void)ctx;
  (void)hook;
  (void)call;
  (void)result;
  (void)err;
  return ORCH_PLAN_PENDING; /* decide serves it */
}

static void host_journal(void *ctx, struct orch_plan_hook *hook, const json_t *entry, bool completed) {
  (void)hook;
  item(ctx, json_pack("{s:O, s:b}", "journal", entry, "completed", completed));
}

static void host_log(void *ctx, struct orch_plan_hook *hook, const char *level, const char *where, const char *msg) {
  struct exec_hookrt *h = ctx;
  struct orch_log_field f[] = {{"execution_id", h->lv->st.id}, {"hook", orch_plan_hook_name(hook)},
                               {"where", where ? where : ""}};
  orch_log_write(strcmp(level, "warn") == 0 ? ORCH_LOG_WARN : ORCH_LOG_INFO, f, 3, "%s", msg);
  item(h, json_pack("{s:{s:s, s:s, s:s}}", "log", "level", level, "where", where ? where : "", "message", msg));
}

static const struct orch_plan_host_ops host_ops = {.call = host_call, .journal = host_journal, .log = host_log};

/* The sandbox's clock: the engine's time (the simulator's) for w:now, but real monotonic time for the
 * wall-clock limits, which bound real work however fast a simulated clock runs. */
static int64_t sandbox_now_ms(void *ctx) { return orch_clock_now_ms(((const struct orch_exec_engine *)ctx)->clock); }
static int64_t sandbox_mono_ns(void *ctx) {
  (void)ctx;
  return orch_clock_mono_ns(orch_clock_real());
}
static const struct orch_clock_ops sandbox_clock_ops = {.now_ms = sandbox_now_ms, .mono_ns = sandbox_mono_ns};

/* Load the plan's runtime for this execution once: the stored source of its version. */
static int runtime_ensure(struct exec_hookrt *h) {
  if (h->rt) return 0;
  if (h->load_error[0]) return ORCH_EVALIDATION;
  struct orch_exec_engine *eng = h->eng;
  const struct orch_exec_state *st = &h->lv->st;
  struct orch_store_plan_version v = {0};
  struct orch_error err = {0};
  struct orch_plan_report *report = NULL;
  int rc = orch_store_plan_version_get(eng->cfg.store, st->plan_id, st->plan_version, &v, &err);
  if (!rc) {
    const char *file = json_string_value(json_object_get(st->plan, "file"));
    h->sandbox_clock = (struct orch_clock){.ops = &sandbox_clock_ops, .ctx = eng};
    struct orch_plan_runtime_config cfg = {
        .sandbox = {.clock = &h->sandbox_clock,
                    /* where the plan's modules were when it started */
                    .module_dir = st->module_dir[0] ? st->module_dir : eng->cfg.module_dir,
                    .aws_allow_ceiling = eng->cfg.aws_allow_ceiling},
        .host = &host_ops,
        .host_ctx = h};
    struct orch_plan_source src = {.file = file ? file : st->plan_name, .text = v.source, .len = strlen(v.source)};
    rc = orch_plan_runtime_new(&cfg, &src, &h->rt, &report, &err);
  }
  if (rc) {
    char line[ORCH_ERROR_MESSAGE_MAX + ORCH_ERROR_CONTEXT_MAX + 4];
    orch_error_format(&err, line, sizeof line);
    snprintf(h->load_error, sizeof h->load_error, "the plan cannot be loaded for its hooks: %s", line);
    h->missing_module = rc == ORCH_ENOTFOUND || strstr(line, "module '") != NULL;
    if (report && !h->missing_module) {
      struct orch_buf b = ORCH_BUF_INIT(4096);
      if (!orch_plan_report_text(report, &b)) h->missing_module = strstr(orch_buf_cstr(&b), "not found") != NULL;
      orch_buf_free(&b);
    }
    orch_log_error("exec %s: %s", st->id, h->load_error);
  }
  orch_plan_report_free(report);
  orch_store_plan_version_release(&v);
  return rc;
}

static struct slot *slot_find(struct exec_hookrt *h, long wave) {
  for (size_t i = 0; i < h->n; i++)
    if (h->slots[i].wave == wave) return &h->slots[i];
  return NULL;
}

static void slot_close(struct exec_hookrt *h, struct slot *s) {
  orch_plan_hook_free(s->hook);
  size_t i = (size_t)(s - h->slots);
  memmove(&h->slots[i], &h->slots[i + 1], (h->n - i - 1) * sizeof *s);
  h->n--;
}

static struct slot *slot_open(struct exec_hookrt *h, long wave, const struct orch_exec_effect *fx, struct orch_error *err) {
  struct slot *old = slot_find(h, wave);
  if (old) slot_close(h, old);
  if (h->n == h->cap) {
    size_t cap = h->cap ? h->cap * 2 : 8;
    struct slot *n = orch_realloc(h->slots, cap * sizeof *n);
    if (!n) return orch_error_set(err, ORCH_ENOMEM, "out of memory"), NULL;
    h->slots = n;
    h->cap = cap;
  }
  const json_t *replay = json_object_get(fx->context, "replay");
  json_t *journal = json_is_array(replay) ? json_deep_copy(replay) : NULL; /* the runtime keeps its own copy */
  struct orch_plan_hook *hook = NULL;
  int rc = replay && json_is_array(replay) && !journal
               ? orch_error_set(err, ORCH_ENOMEM, "out of memory")
               : orch_plan_hook_new(h->rt, fx->key, json_object_get(fx->context, "context"), journal, &hook, err);
  json_decref(journal);
  if (rc) return NULL;
  struct slot *s = &h->slots[h->n++];
  *s = (struct slot){.wave = wave, .hook = hook};
  return s;
}

static json_t *call_json(const struct orch_plan_call *c) {
  return json_pack("{s:I, s:s, s:O, s:s, s:s, s:b}", "seq", (json_int_t)c->seq, "op", c->op, "args", c->args,
                   "args_hash", c->args_hash ? c->args_hash : "", "where", c->where ? c->where : "", "reissued", c->reissued);
}

static void fail(struct exec_hook_result *res, const struct orch_error *err) {
  char msg[ORCH_ERROR_MESSAGE_MAX + ORCH_ERROR_CONTEXT_MAX + 4];
  orch_error_format(err, msg, sizeof msg);
  res->out.status = ORCH_PLAN_ERROR;
  snprintf(res->error, sizeof res->error, "%s", msg[0] ? msg : orch_error_str(err->code));
  res->out.error = res->error;
}

void exec_hookrt_perform(struct orch_exec_engine *eng, struct exec_live *lv, const struct orch_exec_effect *fx,
                         struct exec_hook_result *res) {
  struct orch_error err = {0};
  memset(res, 0, sizeof *res);
  res->items = json_array();
  res->out = (struct orch_exec_hook_out){.wave = fx->wave, .kind = fx->hook_kind, .items = res->items};
  if (!lv->hooks && (lv->hooks = orch_calloc(1, sizeof *lv->hooks))) {
    lv->hooks->eng = eng;
    lv->hooks->lv = lv;
  }
  struct exec_hookrt *h = lv->hooks;
  if (!h || !res->items) {
    orch_error_set(&err, ORCH_ENOMEM, "out of memory running the hook");
    fail(res, &err);
    return;
  }
  h->res = res;
  struct slot *s = NULL;
  if (fx->purpose == ORCH_FX_HOOK_START) {
    if (runtime_ensure(h)) {
      res->out.status = ORCH_PLAN_ERROR;
      res->out.missing_module = h->missing_module;
      snprintf(res->error, sizeof res->error, "%s", h->load_error);
      res->out.error = res->error;
      goto out;
    }
    s = slot_open(h, fx->wave, fx, &err);
  } else {
    s = slot_find(h, fx->wave);
    if (!s) orch_error_set(&err, ORCH_ESTATE, "hook %s is not running in this process", fx->key);
    else if (fx->purpose == ORCH_FX_HOOK_CANCEL) orch_plan_hook_cancel(s->hook, fx->failure.message);
    else if (orch_plan_hook_complete(s->hook, fx->failed ? NULL : json_incref(fx->result), fx->failed ? &fx->failure : NULL))
      orch_error_set(&err, ORCH_ESTATE, "hook %s: its host call was completed twice", fx->key);
  }
  if (!s || err.code) {
    fail(res, &err);
    if (s) slot_close(h, s);
    goto out;
  }
  if (fx->purpose == ORCH_FX_HOOK_CANCEL) { /* stopped: its to-be-closed variables are closed, nothing runs */
    res->out.status = ORCH_PLAN_KILLED;
    res->out.warnings = json_array_size(orch_plan_hook_warnings(s->hook));
    snprintf(res->error, sizeof res->error, "%s", fx->failure.message);
    res->out.error = res->error;
    slot_close(h, s);
    goto out;
  }
  enum orch_plan_status status = orch_plan_hook_resume(s->hook, &err);
  res->out.status = status;
  res->out.warnings = json_array_size(orch_plan_hook_warnings(s->hook));
  if (status == ORCH_PLAN_YIELDED) {
    const struct orch_plan_call *c = orch_plan_hook_pending(s->hook);
    res->call = c ? call_json(c) : NULL;
    res->out.call = res->call;
    if (!res->call) {
      orch_error_set(&err, ORCH_ENOMEM, "out of memory reading the hook's call");
      fail(res, &err);
      slot_close(h, s);
    }
    goto out;
  }
  if (status != ORCH_PLAN_DONE) {
    size_t warnings = res->out.warnings;
    fail(res, &err);
    res->out.status = status;
    res->out.warnings = warnings;
  }
  slot_close(h, s);
out:
  h->res = NULL;
}

void exec_hookrt_out_release(struct exec_hook_result *res) {
  if (!res) return;
  json_decref(res->items);
  json_decref(res->call);
  res->items = res->call = NULL;
}

void exec_hookrt_free(struct exec_hookrt *h) {
  if (!h) return;
  for (size_t i = 0; i < h->n; i++) orch_plan_hook_free(h->slots[i].hook);
  orch_free(h->slots);
  orch_plan_runtime_free(h->rt);
  orch_free(h);
}
