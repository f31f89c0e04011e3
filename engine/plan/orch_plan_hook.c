/* orch_plan_hook: the runtime (one execution's loaded plan), hooks as coroutines, the journaled host call
 * primitive with replay, what a hook's host call may reach (checked here, before the host sees it), and
 * the calls answered in-engine (log, now, random, expect, assert).
 * Uses orch_plan_sandbox, orch_plan_compile, orch_plan_journal, orch_plan_value, orch_plan_modules,
 * orch_opset, orch_id (random), orch_clock, jansson. */
#include "plan/orch_plan_hook.h"

#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

#include "core/orch_alloc.h"
#include "core/orch_buf.h"
#include "core/orch_id.h"
#include "core/orch_opset.h"
#include "plan/orch_plan_journal.h"
#include "plan/orch_plan_modules.h"
#include "plan/orch_plan_value.h"

struct orch_plan_runtime {
  struct orch_plan_sandbox *sb;
  json_t *plan;
  struct orch_opset *allow; /* the plan's aws_allow */
  const struct orch_plan_host_ops *host;
  void *host_ctx;
  struct orch_plan_hook *hooks; /* open hooks, for runtime_free */
};

struct orch_plan_hook {
  struct orch_plan_runtime *rt;
  struct orch_plan_entry entry;
  char name[ORCH_PLAN_HOOK_ID_MAX];
  lua_State *co;
  int ref;
  int nargs; /* for the first resume */
  json_t *journal;  /* this run's entries */
  json_t *replay;   /* an earlier run's, or NULL */
  uint64_t seq;
  json_t *warnings;
  json_t *instances; /* {instance_id: true}: the instances w:ssm_run may reach */
  json_t *documents; /* {name: true}: the SSM documents w:ssm_run may run */
  int failed; /* sticky: an expectation or assertion failed */
  char fail_msg[ORCH_ERROR_MESSAGE_MAX];
  char fail_where[ORCH_PLAN_WHERE_MAX];
  struct {
    bool active, completed;
    json_t *entry; /* borrowed from journal */
    json_t *args;  /* owned */
    char hash[ORCH_PLAN_HASH_HEX];
    char where[ORCH_PLAN_WHERE_MAX];
    struct orch_plan_call call;
  } pending;
  enum orch_plan_status status;
  bool finished;
  void *user;
  struct orch_plan_hook *next, **pprev;
};

enum op_kind { OP_HOST, OP_LOG, OP_NOW, OP_RANDOM, OP_EXPECT, OP_ASSERT };
static const struct {
  const char *name;
  enum op_kind kind;
} ops[] = {
    {"aws", OP_HOST},     {"ssm_run", OP_HOST}, {"sleep", OP_HOST},     {"approve", OP_HOST},
    {"notify", OP_HOST},  {"log", OP_LOG},      {"now", OP_NOW},        {"random", OP_RANDOM},
    {"expect", OP_EXPECT}, {"assert", OP_ASSERT},
};

/* ---- runtime ---- */

/* The plan's aws_allow as an operation set ("none" when it has none). Validation checked every entry. */
static int plan_allow(struct orch_plan_runtime *rt, const char *file, struct orch_error *err) {
  struct orch_buf list = ORCH_BUF_INIT(0);
  size_t i;
  json_t *v;
  int rc = 0;
  json_array_foreach(json_object_get(rt->plan, "aws_allow"), i, v) {
    if ((rc = orch_buf_printf(&list, "%s%s", i ? "," : "", json_string_value(v)))) break;
  }
  if (!rc && list.len == 0) rc = orch_buf_puts(&list, "none");
  if (rc) rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
  else if ((rc = orch_opset_parse(orch_buf_cstr(&list), false, &rt->allow, err))) orch_error_prefix(err, "%s: aws_allow", file);
  orch_buf_free(&list);
  return rc;
}

int orch_plan_runtime_new(const struct orch_plan_runtime_config *cfg, const struct orch_plan_source *src,
                          struct orch_plan_runtime **out, struct orch_plan_report **report, struct orch_error *err) {
  *out = NULL;
  if (report) *report = NULL;
  struct orch_plan_report *r = NULL;
  struct orch_plan_runtime *rt = orch_calloc(1, sizeof *rt);
  if (!rt) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  rt->host = cfg ? cfg->host : NULL;
  rt->host_ctx = cfg ? cfg->host_ctx : NULL;
  int rc = orch_plan_sandbox_new(cfg ? &cfg->sandbox : NULL, &rt->sb, err);
  if (rc) goto fail;
  rc = orch_plan_compile(rt->sb, src, cfg ? &cfg->options : NULL, &r, err);
  if (rc) goto fail;
  if (!orch_plan_report_plan(r)) {
    const json_t *p = json_array_get(orch_plan_report_problems(r), 0);
    rc = orch_error_setc(err, ORCH_EVALIDATION, src->file, "%zu problem(s), the first: %s:%lld: %s",
                         orch_plan_report_count(r), json_string_value(json_object_get(p, "file")),
                         (long long)json_integer_value(json_object_get(p, "line")),
                         json_string_value(json_object_get(p, "message")));
    goto fail;
  }
  rt->plan = json_deep_copy(orch_plan_report_plan(r));
  if (!rt->plan) {
    rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
    goto fail;
  }
  rc = plan_allow(rt, src->file, err);
  if (rc) goto fail;
  if (report) *report = r;
  else orch_plan_report_free(r);
  *out = rt;
  return 0;
fail:
  if (report) *report = r;
  else orch_plan_report_free(r);
  orch_plan_runtime_free(rt);
  return rc;
}

void orch_plan_runtime_free(struct orch_plan_runtime *rt) {
  if (!rt) return;
  while (rt->hooks) orch_plan_hook_free(rt->hooks);
  orch_plan_sandbox_free(rt->sb);
  json_decref(rt->plan);
  orch_opset_free(rt->allow);
  orch_free(rt);
}

const json_t *orch_plan_runtime_plan(const struct orch_plan_runtime *rt) { return rt->plan; }
struct orch_plan_sandbox *orch_plan_runtime_sandbox(struct orch_plan_runtime *rt) { return rt->sb; }

void orch_plan_hook_id(char out[ORCH_PLAN_HOOK_ID_MAX], const char *wave, const char *phase) {
  if (wave) snprintf(out, ORCH_PLAN_HOOK_ID_MAX, "%s/%s", wave, phase);
  else snprintf(out, ORCH_PLAN_HOOK_ID_MAX, "%s", phase);
}

/* ---- hooks ---- */

/* The shell documents w:ssm_run{ commands = ... } and the drs library run: always declared. */
static const char *const SHELL_DOCUMENTS[] = {"AWS-RunShellScript", "AWS-RunPowerShellScript", NULL};

static int add_instances(json_t *set, const json_t *servers) {
  size_t i;
  json_t *sv;
  json_array_foreach(servers, i, sv) {
    const char *id = json_string_value(json_object_get(sv, "instance_id"));
    if (id && json_object_set_new(set, id, json_true())) return ORCH_ENOMEM;
  }
  return 0;
}

/* What w:ssm_run may reach, from the engine's context (never from the Lua table the hook can change):
 * the instances of the wave's own servers and of the waves in context.waves (those it depends on; every
 * wave for the plan's cleanup), and the documents the plan declares (narrowed to context.ssm_documents
 * when the engine passes that) plus the shell documents. A context without these fields allows nothing
 * beyond the wave's own instances and the declared documents. */
static int hook_reach(struct orch_plan_hook *h, const json_t *context) {
  h->instances = json_object();
  h->documents = json_object();
  if (!h->instances || !h->documents) return ORCH_ENOMEM;
  if (add_instances(h->instances, json_object_get(context, "servers"))) return ORCH_ENOMEM;
  const char *name;
  json_t *w;
  json_object_foreach((json_t *)(uintptr_t)json_object_get(context, "waves"), name, w)
    if (add_instances(h->instances, json_object_get(w, "servers"))) return ORCH_ENOMEM;
  for (const char *const *d = SHELL_DOCUMENTS; *d; d++)
    if (json_object_set_new(h->documents, *d, json_true())) return ORCH_ENOMEM;
  const json_t *narrow = json_object_get(context, "ssm_documents");
  size_t i, k;
  json_t *d, *n;
  json_array_foreach(json_object_get(h->rt->plan, "ssm_documents"), i, d) {
    bool listed = !narrow;
    json_array_foreach(narrow, k, n) listed = listed || json_equal(n, d);
    if (listed && json_object_set_new(h->documents, json_string_value(d), json_true())) return ORCH_ENOMEM;
  }
  return 0;
}

struct hook_setup {
  const char *id;
  const json_t *context;
  int found;
};

static int hook_setup_p(lua_State *L) {
  struct hook_setup *s = lua_touserdata(L, 1);
  orch_plan_modules_require_internal(L, "plan.context");
  lua_getfield(L, -1, "run");
  lua_remove(L, -2);
  s->found = orch_plan_compile_push_hook(L, s->id) == LUA_TFUNCTION;
  if (s->context && json_is_object(s->context)) orch_plan_value_push(L, s->context);
  else lua_newtable(L);
  return 3;
}

int orch_plan_hook_new(struct orch_plan_runtime *rt, const char *id, const json_t *context, json_t *journal,
                       struct orch_plan_hook **out, struct orch_error *err) {
  *out = NULL;
  if (journal && orch_plan_journal_check(journal, err)) return err ? err->code : ORCH_EPARSE;
  struct orch_plan_hook *h = orch_calloc(1, sizeof *h);
  if (!h) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  int rc = 0;
  h->rt = rt;
  h->ref = LUA_NOREF;
  snprintf(h->name, sizeof h->name, "%s", id);
  orch_plan_entry_init(&h->entry, rt->sb, h);
  h->journal = json_array();
  h->warnings = json_array();
  if (!h->journal || !h->warnings || hook_reach(h, json_is_object(context) ? context : NULL)) {
    rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
    goto fail;
  }
  if (journal && json_array_size(journal)) h->replay = json_incref(journal);
  h->next = rt->hooks;
  if (rt->hooks) rt->hooks->pprev = &h->next;
  h->pprev = &rt->hooks;
  rt->hooks = h;
  rc = orch_plan_thread_new(rt->sb, &h->entry, &h->co, &h->ref, err);
  if (rc) goto fail;
  struct hook_setup s = {id, context, 0};
  rc = orch_plan_thread_setup(rt->sb, h->co, hook_setup_p, &s, err);
  if (rc) goto fail;
  if (!s.found) {
    rc = orch_error_set(err, ORCH_ENOTFOUND, "the plan has no hook '%s'", id);
    goto fail;
  }
  h->nargs = 2;
  *out = h;
  return 0;
fail:
  orch_plan_hook_free(h);
  return rc;
}

static void hook_release(struct orch_plan_hook *h) {
  if (!h->co) return;
  orch_plan_thread_release(h->rt->sb, &h->entry, h->co, h->ref);
  h->co = NULL;
  h->ref = LUA_NOREF;
  orch_plan_sandbox_quiet(h->rt->sb, false);
  orch_plan_sandbox_collect(h->rt->sb);
}

void orch_plan_hook_free(struct orch_plan_hook *h) {
  if (!h) return;
  hook_release(h);
  if (h->pprev) {
    *h->pprev = h->next;
    if (h->next) h->next->pprev = h->pprev;
  }
  json_decref(h->pending.args);
  json_decref(h->journal);
  json_decref(h->replay);
  json_decref(h->warnings);
  json_decref(h->instances);
  json_decref(h->documents);
  orch_plan_entry_clear(&h->entry);
  orch_free(h);
}

/* A host's answer larger than the result limit becomes an ELIMIT failure: the hook sees nil, why, code. */
static json_t *result_checked(struct orch_plan_hook *h, const char *op, json_t *result, struct orch_error *failure,
                              int *failed) {
  size_t max = orch_plan_sandbox_limits(h->rt->sb)->result_bytes;
  if (*failed || orch_plan_value_fits(result, max)) return result;
  json_decref(result);
  orch_error_set(failure, ORCH_ELIMIT, "the result of w:%s is larger than the host result limit of %zu bytes", op, max);
  *failed = 1;
  return NULL;
}

static size_t replay_len(const struct orch_plan_hook *h) { return h->replay ? json_array_size(h->replay) : 0; }

bool orch_plan_hook_replaying(const struct orch_plan_hook *h) {
  if (h->seq >= replay_len(h)) return false;
  return orch_plan_journal_completed(json_array_get(h->replay, h->seq));
}

static void finish(struct orch_plan_hook *h, enum orch_plan_status st) {
  h->status = st;
  h->finished = true;
  hook_release(h);
}

enum orch_plan_status orch_plan_hook_resume(struct orch_plan_hook *h, struct orch_error *err) {
  if (h->finished) {
    orch_error_set(err, ORCH_ESTATE, "hook '%s' has finished", h->name);
    return h->status;
  }
  if (h->pending.active && !h->pending.completed) {
    orch_error_set(err, ORCH_ESTATE, "hook '%s' waits for call #%llu (w:%s): complete it first", h->name,
                   (unsigned long long)h->pending.call.seq, h->pending.call.op);
    return ORCH_PLAN_YIELDED;
  }
  int nargs = h->nargs;
  h->nargs = 0;
  orch_plan_sandbox_quiet(h->rt->sb, orch_plan_hook_replaying(h));
  struct orch_error lerr = {0};
  enum orch_plan_status st = orch_plan_resume(&h->entry, h->co, nargs, NULL, &lerr);
  orch_plan_sandbox_quiet(h->rt->sb, false);
  if (st == ORCH_PLAN_YIELDED) {
    if (!h->pending.active) {
      orch_error_set(err, ORCH_EINTERNAL, "hook '%s' yielded without a host call", h->name);
      finish(h, ORCH_PLAN_ERROR);
      return ORCH_PLAN_ERROR;
    }
    return st;
  }
  if (h->failed && st != ORCH_PLAN_KILLED && lerr.code != ORCH_ENONDETERMINISM) {
    orch_error_setc(&lerr, ORCH_ELUA, h->fail_where, "%s", h->fail_msg);
    st = ORCH_PLAN_ERROR;
  }
  if (st != ORCH_PLAN_DONE && err) *err = lerr;
  finish(h, st);
  return st;
}

const struct orch_plan_call *orch_plan_hook_pending(const struct orch_plan_hook *h) {
  return h->pending.active && !h->pending.completed ? &h->pending.call : NULL;
}

static void journal_event(struct orch_plan_hook *h, const json_t *entry, bool completed) {
  if (h->rt->host && h->rt->host->journal) h->rt->host->journal(h->rt->host_ctx, h, entry, completed);
}

int orch_plan_hook_complete(struct orch_plan_hook *h, json_t *result, const struct orch_error *failure) {
  if (!h->pending.active || h->pending.completed) {
    json_decref(result);
    return ORCH_ESTATE;
  }
  struct orch_error limited = {0};
  int failed = failure != NULL;
  result = result_checked(h, h->pending.call.op, result, &limited, &failed);
  if (failed && !failure) failure = &limited;
  int rc = orch_plan_journal_complete(h->pending.entry, result, failure);
  if (rc) return rc;
  h->pending.completed = true;
  json_decref(h->pending.args);
  h->pending.args = NULL;
  journal_event(h, h->pending.entry, true);
  return 0;
}

void orch_plan_hook_cancel(struct orch_plan_hook *h, const char *reason) {
  if (h->finished) return;
  orch_plan_entry_kill(&h->entry, ORCH_ECANCELLED, reason ? reason : "cancelled");
  finish(h, ORCH_PLAN_KILLED);
}

enum orch_plan_status orch_plan_hook_status(const struct orch_plan_hook *h) { return h->status; }
bool orch_plan_hook_finished(const struct orch_plan_hook *h) { return h->finished; }
const char *orch_plan_hook_name(const struct orch_plan_hook *h) { return h->name; }
const json_t *orch_plan_hook_journal(const struct orch_plan_hook *h) { return h->journal; }
const json_t *orch_plan_hook_warnings(const struct orch_plan_hook *h) { return h->warnings; }
const char *orch_plan_hook_traceback(const struct orch_plan_hook *h) { return h->entry.traceback; }
uint64_t orch_plan_hook_instructions(const struct orch_plan_hook *h) { return h->entry.instructions; }
void orch_plan_hook_set_userdata(struct orch_plan_hook *h, void *ud) { h->user = ud; }
void *orch_plan_hook_userdata(const struct orch_plan_hook *h) { return h->user; }

/* ---- the host call primitive ---- */

static struct orch_plan_hook *hook_of(lua_State *L) {
  struct orch_plan_entry *e = orch_plan_entry_of(L);
  return e && e->running ? e->owner : NULL;
}

/* Push what a completed entry returns to Lua: the result, or nil, message, code. */
static int push_outcome(lua_State *L, const json_t *entry) {
  const json_t *e = json_object_get(entry, "error");
  if (e) {
    lua_pushnil(L);
    lua_pushstring(L, json_string_value(json_object_get(e, "message")));
    lua_pushstring(L, json_string_value(json_object_get(e, "code")));
    return 3;
  }
  orch_plan_value_push(L, json_object_get(entry, "result"));
  return 1;
}

static void host_log(struct orch_plan_hook *h, const char *level, const char *where, const char *msg) {
  if (h->rt->host && h->rt->host->log) h->rt->host->log(h->rt->host_ctx, h, level, where, msg);
  else orch_plan_print(h->rt->sb, where, msg);
}

/* The in-engine ops. Returns the result (new reference) or NULL with `failure` set. */
static json_t *answer(struct orch_plan_hook *h, enum op_kind kind, const json_t *args, const char *where,
                      struct orch_error *failure) {
  switch (kind) {
    case OP_LOG: {
      const char *msg = json_string_value(json_object_get(args, "message"));
      const char *level = json_string_value(json_object_get(args, "level"));
      host_log(h, level ? level : "info", where, msg ? msg : "");
      return json_null();
    }
    case OP_NOW: return json_integer(orch_clock_now_ms(orch_plan_sandbox_clock(h->rt->sb)));
    case OP_RANDOM: {
      uint64_t r;
      if (orch_id_random(&r, sizeof r)) {
        orch_error_set(failure, ORCH_EINTERNAL, "no randomness available");
        return NULL;
      }
      json_t *m = json_object_get(args, "m"), *n = json_object_get(args, "n");
      if (!m || !n) return json_real((double)(r >> 11) / 9007199254740992.0);
      json_int_t lo = json_integer_value(m), hi = json_integer_value(n);
      uint64_t span = (uint64_t)hi - (uint64_t)lo + 1;
      return json_integer(span ? (json_int_t)((uint64_t)lo + r % span) : (json_int_t)r);
    }
    default: return json_null();
  }
}

static int hostcall_k(lua_State *L, int status, lua_KContext ctx) {
  (void)status;
  struct orch_plan_hook *h = (struct orch_plan_hook *)ctx;
  h->pending.active = false;
  h->pending.completed = false;
  return push_outcome(L, h->pending.entry);
}

/* The host call's arguments as JSON and their hash, every value and byte paid for: the conversion stops
 * at the host call size limit and at the instruction budget, whatever the table holds (a table that
 * contains itself twice per level is 2^depth values). Raises, owning nothing, on a bad or oversized value. */
static json_t *call_args(lua_State *L, struct orch_plan_hook *h, const char *op, char hash[ORCH_PLAN_HASH_HEX]) {
  const struct orch_plan_limits *lim = orch_plan_sandbox_limits(h->rt->sb);
  uint64_t left = orch_plan_budget_left(L);
  struct orch_plan_value_budget budget = {.max_bytes = lim->call_bytes, .max_nodes = left ? left : 1};
  struct orch_error verr = {0};
  json_t *args = NULL;
  int rc = orch_plan_value_to_json(L, 2, lim->json_depth, &budget, &args, &verr);
  if (rc == ORCH_ETOOBIG && budget.bytes > lim->call_bytes)
    return orch_plan_abort(L, ORCH_ELIMIT, "w:%s: arguments exceed the host call limit of %zu bytes", op, lim->call_bytes),
           NULL;
  if (rc == ORCH_ELIMIT)
    return orch_plan_abort(L, ORCH_ELIMIT, "instruction limit of %llu exceeded (converting the arguments of w:%s)",
                           (unsigned long long)lim->instructions, op),
           NULL;
  if (rc) { /* no engine position in the message: the report names the plan line */
    lua_pushfstring(L, "w:%s: %s%s%s", op, verr.context, verr.context[0] ? ": " : "", verr.message);
    return lua_error(L), NULL;
  }
  struct orch_buf canon = ORCH_BUF_INIT(lim->call_bytes);
  rc = orch_plan_value_canonical(args, &canon);
  if (!rc) rc = orch_plan_value_sha256(canon.data, canon.len, hash);
  orch_buf_free(&canon);
  if (!rc) rc = orch_plan_charge_soft(L, budget.nodes + budget.bytes / 32); /* conversion, encoding, hashing */
  if (rc) {
    json_decref(args);
    if (rc == ORCH_ETOOBIG)
      return orch_plan_abort(L, ORCH_ELIMIT, "w:%s: arguments exceed the host call limit of %zu bytes", op,
                             lim->call_bytes),
             NULL;
    if (rc == ORCH_ELIMIT) return orch_plan_abort(L, ORCH_ELIMIT, "instruction limit exceeded"), NULL;
    return luaL_error(L, "w:%s: out of memory", op), NULL;
  }
  return args;
}

/* Whether the engine's context lets this hook make `op` with `args`: w:ssm_run on its instances and
 * declared documents only, w:aws within the plan's aws_allow and the operator's ceiling. */
static int call_permitted(struct orch_plan_hook *h, const char *op, const json_t *args, struct orch_error *why) {
  if (strcmp(op, "ssm_run") == 0) {
    const char *doc = json_string_value(json_object_get(args, "document"));
    if (!doc || !json_object_get(h->documents, doc))
      return orch_error_set(why, ORCH_EPERM,
                            "w:ssm_run: SSM document '%s' is not declared in the plan's ssm_documents (add it there)",
                            doc ? doc : "?");
    const json_t *ids = json_object_get(args, "instance_ids");
    size_t i;
    json_t *id;
    if (!json_array_size(ids)) return orch_error_set(why, ORCH_EINVAL, "w:ssm_run needs at least one instance id");
    json_array_foreach(ids, i, id) {
      const char *s = json_string_value(id);
      if (!s || !json_object_get(h->instances, s))
        return orch_error_set(why, ORCH_EPERM,
                              "w:ssm_run: instance_ids[%zu] (%s) is not a recovered instance of this wave or of a wave it "
                              "depends on",
                              i + 1, s ? s : "not a string");
    }
    return 0;
  }
  if (strcmp(op, "aws") == 0) {
    const char *svc = json_string_value(json_object_get(args, "service"));
    const char *opn = json_string_value(json_object_get(args, "operation"));
    if (!svc || !opn) return orch_error_set(why, ORCH_EINVAL, "w:aws needs a service and an operation");
    if (!orch_opset_permits(h->rt->allow, svc, opn))
      return orch_error_set(why, ORCH_EPERM, "%s:%s is not in the plan's aws_allow list (add \"%s:%s\" to allow it)",
                            svc, opn, svc, opn);
    const struct orch_opset *ceiling = orch_plan_sandbox_ceiling(h->rt->sb);
    if (!orch_opset_permits(ceiling, svc, opn)) {
      struct orch_buf b = ORCH_BUF_INIT(300);
      int rc = orch_opset_describe(ceiling, svc, &b);
      orch_error_set(why, ORCH_EPERM, "%s:%s is beyond the operator's ceiling (plans.aws_allow_ceiling allows %s%s)", svc,
                     opn, rc ? "" : orch_buf_cstr(&b), rc ? "..." : "");
      orch_buf_free(&b);
      return ORCH_EPERM;
    }
  }
  return 0;
}

/* Hand the call to the host (or answer it here). Returns ORCH_PLAN_PENDING when the host completes it later. */
static int call_host(struct orch_plan_hook *h, enum op_kind kind, const char *op, json_t *args, const char *where,
                     json_t **result, struct orch_error *failure) {
  if (kind != OP_HOST) {
    *result = answer(h, kind, args, where, failure);
    return *result ? 0 : failure->code;
  }
  int rc = call_permitted(h, op, args, failure);
  if (rc) return rc;
  if (!h->rt->host || !h->rt->host->call)
    return orch_error_set(failure, ORCH_EUNSUPPORTED, "this execution has no host for w:%s", op);
  rc = h->rt->host->call(h->rt->host_ctx, h, &h->pending.call, result, failure);
  if (rc < 0) {
    json_decref(*result);
    *result = NULL;
    if (!failure->code) orch_error_set(failure, rc, "%s", orch_error_str(rc));
  }
  return rc;
}

static int l_hostcall(lua_State *L) {
  struct orch_plan_hook *h = hook_of(L);
  if (!h) return luaL_error(L, "host calls are only available inside hooks, not while the plan file loads");
  const char *opname = luaL_checkstring(L, 1);
  size_t k = 0;
  while (k < sizeof ops / sizeof ops[0] && strcmp(ops[k].name, opname) != 0) k++;
  if (k == sizeof ops / sizeof ops[0]) return luaL_argerror(L, 1, "unknown host operation");
  const char *op = ops[k].name;
  enum op_kind kind = ops[k].kind;
  struct orch_plan_sandbox *sb = h->rt->sb;
  const struct orch_plan_limits *lim = orch_plan_sandbox_limits(sb);
  if (h->seq >= lim->calls)
    return orch_plan_abort(L, ORCH_ELIMIT, "host call limit of %zu calls per hook reached", lim->calls);
  if (h->pending.active) return luaL_error(L, "a host call is already pending");

  char hash[ORCH_PLAN_HASH_HEX];
  json_t *args = call_args(L, h, op, hash);
  /* From here until the args belong to the journal, nothing may raise. */
  char where[ORCH_PLAN_WHERE_MAX];
  orch_plan_where(L, 1, where, sizeof where);
  uint64_t seq = ++h->seq;
  bool reissued = false;
  if (seq <= replay_len(h)) {
    json_t *rec = json_array_get(h->replay, seq - 1);
    struct orch_error merr = {0};
    if (orch_plan_journal_match(rec, seq, op, hash, &merr)) {
      json_decref(args);
      return orch_plan_abort(L, ORCH_ENONDETERMINISM, "%s", merr.message);
    }
    if (orch_plan_journal_completed(rec)) {
      json_decref(args);
      if (json_array_append(h->journal, rec)) return luaL_error(L, "out of memory");
      orch_plan_sandbox_quiet(sb, orch_plan_hook_replaying(h));
      return push_outcome(L, rec);
    }
    reissued = true;
  }
  orch_plan_sandbox_quiet(sb, false);
  json_t *entry = orch_plan_journal_entry(seq, op, hash);
  if (!entry || json_array_append_new(h->journal, entry)) {
    json_decref(args);
    return luaL_error(L, "out of memory");
  }
  if (h->rt->host && h->rt->host->journal) {
    json_t *req = json_deep_copy(entry);
    if (req && !json_object_set(req, "args", args) && !json_object_set_new(req, "where", json_string(where)))
      journal_event(h, req, false);
    json_decref(req);
  }
  json_t *result = NULL;
  struct orch_error failure = {0};
  h->pending.args = args;
  h->pending.entry = entry;
  snprintf(h->pending.hash, sizeof h->pending.hash, "%s", hash);
  snprintf(h->pending.where, sizeof h->pending.where, "%s", where);
  h->pending.call = (struct orch_plan_call){seq, op, args, h->pending.hash, h->pending.where, reissued};
  int rc = call_host(h, kind, op, args, where, &result, &failure);
  if (rc == ORCH_PLAN_PENDING) {
    h->pending.active = true;
    h->pending.completed = false;
    return lua_yieldk(L, 0, (lua_KContext)h, hostcall_k);
  }
  h->pending.args = NULL;
  json_decref(args);
  int failed = rc < 0;
  result = result_checked(h, op, result, &failure, &failed);
  if (orch_plan_journal_complete(entry, result, failed ? &failure : NULL)) return luaL_error(L, "out of memory");
  journal_event(h, entry, true);
  return push_outcome(L, entry);
}

/* orch.fail(message): a failed expectation or assertion. Sticky: the hook fails even if a pcall catches it. */
static int l_fail(lua_State *L) {
  struct orch_plan_hook *h = hook_of(L);
  const char *msg = luaL_checkstring(L, 1);
  char where[ORCH_PLAN_WHERE_MAX];
  orch_plan_where(L, 1, where, sizeof where);
  if (h && !h->failed) {
    h->failed = 1;
    snprintf(h->fail_msg, sizeof h->fail_msg, "%s", msg);
    snprintf(h->fail_where, sizeof h->fail_where, "%s", where);
  }
  if (where[0]) lua_pushfstring(L, "%s: %s", where, msg);
  else lua_pushstring(L, msg);
  return lua_error(L);
}

/* orch.warn(message): a failed expectation in a recovery: recorded and logged, the hook goes on. */
static int l_warn(lua_State *L) {
  struct orch_plan_hook *h = hook_of(L);
  const char *msg = luaL_checkstring(L, 1);
  char where[ORCH_PLAN_WHERE_MAX];
  orch_plan_where(L, 1, where, sizeof where);
  if (!h) return 0;
  json_t *w = json_pack("{s:s, s:s}", "message", msg, "where", where);
  if (!w || json_array_append_new(h->warnings, w)) return luaL_error(L, "out of memory");
  if (!orch_plan_hook_replaying(h)) host_log(h, "warn", where, msg);
  return 0;
}

void orch_plan_hook_open(lua_State *L) {
  static const luaL_Reg funcs[] = {{"hostcall", l_hostcall}, {"fail", l_fail}, {"warn", l_warn}, {NULL, NULL}};
  orch_plan_push_internals(L);
  luaL_setfuncs(L, funcs, 0);
  lua_pop(L, 1);
}
