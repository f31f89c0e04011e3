/* orch_plan_hook: the runtime (one execution's loaded plan), hooks as coroutines, the journaled host call
 * primitive with replay, and the calls answered in-engine (log, now, random, expect, assert).
 * Uses orch_plan_sandbox, orch_plan_compile, orch_plan_journal, orch_plan_value, orch_plan_modules,
 * orch_id (random), orch_clock, jansson. */
#include "plan/orch_plan_hook.h"

#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

#include "core/orch_alloc.h"
#include "core/orch_id.h"
#include "plan/orch_plan_journal.h"
#include "plan/orch_plan_modules.h"
#include "plan/orch_plan_value.h"

struct orch_plan_runtime {
  struct orch_plan_sandbox *sb;
  json_t *plan;
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
  orch_free(rt);
}

const json_t *orch_plan_runtime_plan(const struct orch_plan_runtime *rt) { return rt->plan; }
struct orch_plan_sandbox *orch_plan_runtime_sandbox(struct orch_plan_runtime *rt) { return rt->sb; }

void orch_plan_hook_id(char out[ORCH_PLAN_HOOK_ID_MAX], const char *wave, const char *phase) {
  if (wave) snprintf(out, ORCH_PLAN_HOOK_ID_MAX, "%s/%s", wave, phase);
  else snprintf(out, ORCH_PLAN_HOOK_ID_MAX, "%s", phase);
}

/* ---- hooks ---- */

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
  if (!h->journal || !h->warnings) {
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
  orch_plan_entry_clear(&h->entry);
  orch_free(h);
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

  /* From here until the args belong to the journal, nothing may raise. */
  struct orch_error verr = {0};
  json_t *args = NULL;
  if (orch_plan_value_to_json(L, 2, lim->json_depth, &args, &verr))
    return luaL_error(L, "w:%s: %s%s%s", op, verr.context, verr.context[0] ? ": " : "", verr.message);
  struct orch_buf canon = ORCH_BUF_INIT(lim->call_bytes);
  char hash[ORCH_PLAN_HASH_HEX];
  int rc = orch_plan_value_canonical(args, &canon);
  if (!rc) rc = orch_plan_value_sha256(canon.data, canon.len, hash);
  orch_buf_free(&canon);
  if (rc) {
    json_decref(args);
    if (rc == ORCH_ETOOBIG)
      return orch_plan_abort(L, ORCH_ELIMIT, "w:%s: arguments exceed the host call limit of %zu bytes", op,
                             lim->call_bytes);
    return luaL_error(L, "w:%s: out of memory", op);
  }
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
  int failed = 0;
  if (kind != OP_HOST) {
    result = answer(h, kind, args, where, &failure);
    failed = result == NULL;
  } else if (!h->rt->host || !h->rt->host->call) {
    orch_error_set(&failure, ORCH_EUNSUPPORTED, "this execution has no host for w:%s", op);
    failed = 1;
  } else {
    h->pending.args = args;
    h->pending.entry = entry;
    snprintf(h->pending.hash, sizeof h->pending.hash, "%s", hash);
    snprintf(h->pending.where, sizeof h->pending.where, "%s", where);
    h->pending.call = (struct orch_plan_call){seq, op, args, h->pending.hash, h->pending.where, reissued};
    args = NULL;
    rc = h->rt->host->call(h->rt->host_ctx, h, &h->pending.call, &result, &failure);
    if (rc == ORCH_PLAN_PENDING) {
      h->pending.active = true;
      h->pending.completed = false;
      return lua_yieldk(L, 0, (lua_KContext)h, hostcall_k);
    }
    args = h->pending.args;
    h->pending.args = NULL;
    if (rc < 0) {
      if (!failure.code) orch_error_set(&failure, rc, "%s", orch_error_str(rc));
      failed = 1;
      json_decref(result);
      result = NULL;
    }
  }
  json_decref(args);
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
