/* orch_plan_sandbox: the capped Lua state, strict globals, budgets with a sticky kill (instructions, bytes
 * allocated, C functions' work, wall-clock time), and the resume/protect helpers every entry into Lua goes
 * through. Uses Lua 5.4, orch_alloc, orch_opset (the aws_allow ceiling), orch_str (suggestions), orch_log,
 * orch_plan_stdlib, orch_plan_modules, orch_plan_hook, orch_plan_compile. */
#include "plan/orch_plan_sandbox.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "core/orch_alloc.h"
#include "core/orch_log.h"
#include "core/orch_opset.h"
#include "core/orch_str.h"
#include "plan/orch_plan_compile.h"
#include "plan/orch_plan_hook.h"
#include "plan/orch_plan_modules.h"
#include "plan/orch_plan_stdlib.h"

/* The count hook runs every HOOK_EVERY instructions: the budget's granularity. Some instructions do work
 * proportional to the objects they touch (comparing two long strings, copying a long vararg list, a string
 * to number coercion), so once the state has made an allocation larger than BIG_ALLOC the hook runs more
 * often, in proportion: a tick never covers much more work than HOOK_EVERY instructions on small objects. */
#define HOOK_EVERY 1000
#define BIG_ALLOC ((size_t)64 * 1024)
/* Allocated bytes charged as one instruction (the copying and the collection they cost). */
#define ALLOC_BYTES 32
/* Source bytes charged as one instruction by the parser. */
#define PARSE_BYTES 4

struct orch_plan_sandbox {
  lua_State *L;
  struct orch_plan_limits limits;
  const struct orch_clock *clock;
  size_t used, peak;
  struct orch_plan_entry main_entry; /* the main thread's: never running, owner NULL */
  struct orch_plan_entry *current;   /* the entry running now, if any */
  orch_plan_print_fn print;
  void *print_ctx;
  bool quiet;
  struct orch_plan_modules modules;
  struct orch_opset *ceiling; /* plans.aws_allow_ceiling */
  size_t largest;             /* the largest allocation so far */
  int hook_every;             /* the count hook's period: HOOK_EVERY, less once `largest` is big */
};

static atomic_size_t live_bytes;

/* Registry keys (their addresses). */
static const char BASE_KEY, ENV_MT_KEY, PENV_MT_KEY, INTERNALS_KEY;

void orch_plan_limits_default(struct orch_plan_limits *l) {
  *l = (struct orch_plan_limits){
      .memory = (size_t)32 * 1024 * 1024,
      .instructions = 50000000,
      .wall_ms = 2000,
      .pattern_subject = (size_t)1024 * 1024,
      .pattern_steps = 4000000,
      .json_bytes = (size_t)1024 * 1024,
      .json_depth = 64,
      .source_bytes = (size_t)1024 * 1024,
      .modules = 64,
      .call_bytes = (size_t)256 * 1024,
      .calls = 100000,
      .result_bytes = (size_t)4 * 1024 * 1024,
  };
}

void orch_plan_limits_complete(struct orch_plan_limits *l) {
  struct orch_plan_limits d;
  orch_plan_limits_default(&d);
#define FILL(f) \
  if (!l->f) l->f = d.f
  FILL(memory);
  FILL(instructions);
  FILL(wall_ms);
  FILL(pattern_subject);
  FILL(pattern_steps);
  FILL(json_bytes);
  FILL(json_depth);
  FILL(source_bytes);
  FILL(modules);
  FILL(call_bytes);
  FILL(calls);
  FILL(result_bytes);
#undef FILL
}

const char *orch_plan_status_name(enum orch_plan_status s) {
  switch (s) {
    case ORCH_PLAN_DONE: return "done";
    case ORCH_PLAN_YIELDED: return "yielded";
    case ORCH_PLAN_ERROR: return "error";
    case ORCH_PLAN_KILLED: return "killed";
  }
  return "unknown";
}

/* ---- allocator ---- */

static void count_hook(lua_State *L, lua_Debug *ar);

/* A bigger object than any before: shorten the count hook's period for every resume from now on. */
static void note_largest(struct orch_plan_sandbox *sb, size_t nsize) {
  sb->largest = nsize;
  size_t every = (size_t)HOOK_EVERY * BIG_ALLOC / nsize;
  int n = every < 1 ? 1 : every > HOOK_EVERY ? HOOK_EVERY : (int)every;
  if (n >= sb->hook_every) return;
  sb->hook_every = n;
  struct orch_plan_entry *e = sb->current;
  if (e && e->running && e->co && !e->abort_code) lua_sethook(e->co, count_hook, LUA_MASKCOUNT, n);
}

static void *sb_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  struct orch_plan_sandbox *sb = ud;
  if (!ptr) osize = 0;
  if (nsize == 0) {
    orch_free(ptr);
    sb->used -= osize;
    atomic_fetch_sub(&live_bytes, osize);
    return NULL;
  }
  if (nsize > osize && sb->used - osize + nsize > sb->limits.memory) return NULL;
  void *p = orch_realloc(ptr, nsize);
  if (!p) return NULL;
  sb->used = sb->used - osize + nsize;
  if (sb->used > sb->peak) sb->peak = sb->used;
  if (nsize > osize) atomic_fetch_add(&live_bytes, nsize - osize);
  else atomic_fetch_sub(&live_bytes, osize - nsize);
  if (nsize > osize) {
    /* Growing costs work in proportion: charge it. An allocator cannot raise, so when this spends the
     * budget the count hook is armed to stop the entry at its next instruction. */
    struct orch_plan_entry *e = sb->current;
    if (e && e->running) {
      e->instructions += nsize / ALLOC_BYTES;
      if (e->instructions > sb->limits.instructions && e->co && !e->abort_code) {
        /* blame the line allocating (reading the stack allocates nothing) */
        if (!e->where[0]) orch_plan_where(e->co, 0, e->where, sizeof e->where);
        lua_sethook(e->co, count_hook, LUA_MASKCOUNT, 1);
      }
    }
    if (nsize > sb->largest && nsize > BIG_ALLOC) note_largest(sb, nsize);
  }
  return p;
}

size_t orch_plan_sandbox_live_bytes(void) { return atomic_load(&live_bytes); }
size_t orch_plan_sandbox_memory(const struct orch_plan_sandbox *sb) { return sb->used; }
size_t orch_plan_sandbox_memory_peak(const struct orch_plan_sandbox *sb) { return sb->peak; }
const struct orch_plan_limits *orch_plan_sandbox_limits(const struct orch_plan_sandbox *sb) { return &sb->limits; }
lua_State *orch_plan_sandbox_lua(struct orch_plan_sandbox *sb) { return sb->L; }
const struct orch_clock *orch_plan_sandbox_clock(const struct orch_plan_sandbox *sb) { return sb->clock; }
void orch_plan_sandbox_quiet(struct orch_plan_sandbox *sb, bool quiet) { sb->quiet = quiet; }

void orch_plan_sandbox_collect(struct orch_plan_sandbox *sb) { lua_gc(sb->L, LUA_GCCOLLECT); }

/* ---- entries, locations, aborts ---- */

void orch_plan_entry_init(struct orch_plan_entry *e, struct orch_plan_sandbox *sb, void *owner) {
  memset(e, 0, sizeof *e);
  e->sb = sb;
  e->owner = owner;
}

void orch_plan_entry_clear(struct orch_plan_entry *e) {
  if (!e) return;
  orch_free(e->traceback);
  e->traceback = NULL;
}

struct orch_plan_entry *orch_plan_entry_of(lua_State *L) {
  struct orch_plan_entry *e = *(struct orch_plan_entry **)lua_getextraspace(L);
  return e;
}

struct orch_plan_sandbox *orch_plan_sandbox_of(lua_State *L) {
  return orch_plan_entry_of(L)->sb;
}

/* A plan frame is one whose chunk came from a plan file: its name starts with '@'. Engine modules are
 * named "=lua/...", load()ed strings "=(load)". */
int orch_plan_where(lua_State *L, int level, char *out, size_t outsz) {
  lua_Debug ar;
  if (outsz) out[0] = '\0';
  for (int lvl = level; lua_getstack(L, lvl, &ar); lvl++) {
    if (!lua_getinfo(L, "Sl", &ar)) continue;
    if (ar.source && ar.source[0] == '@' && ar.currentline > 0) {
      snprintf(out, outsz, "%s:%d", ar.source + 1, ar.currentline);
      return ar.currentline;
    }
  }
  return 0;
}

static void entry_mark(struct orch_plan_entry *e, int code, const char *msg) {
  if (e->abort_code) return;
  e->abort_code = code;
  snprintf(e->abort_msg, sizeof e->abort_msg, "%s", msg);
}

void orch_plan_entry_kill(struct orch_plan_entry *e, int code, const char *msg) { entry_mark(e, code, msg); }

static int reraise(lua_State *L, struct orch_plan_entry *e) {
  lua_sethook(L, count_hook, LUA_MASKCOUNT, 1);
  if (e->where[0]) lua_pushfstring(L, "%s: %s", e->where, e->abort_msg);
  else lua_pushstring(L, e->abort_msg);
  return lua_error(L);
}

int orch_plan_abort(lua_State *L, int code, const char *fmt, ...) {
  struct orch_plan_entry *e = orch_plan_entry_of(L);
  char msg[ORCH_ERROR_MESSAGE_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (!e || e == &e->sb->main_entry) return luaL_error(L, "%s", msg);
  if (!e->abort_code) {
    entry_mark(e, code, msg);
    if (!e->where[0]) orch_plan_where(L, 0, e->where, sizeof e->where);
  }
  return reraise(L, e);
}

int orch_plan_raise_hint(lua_State *L, const char *hint, const char *fmt, ...) {
  struct orch_plan_entry *e = orch_plan_entry_of(L);
  if (e && hint) snprintf(e->hint, sizeof e->hint, "%s", hint);
  char msg[ORCH_ERROR_MESSAGE_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return luaL_error(L, "%s", msg);
}

static void check_budget(lua_State *L, struct orch_plan_entry *e) {
  struct orch_plan_sandbox *sb = e->sb;
  if (e->instructions > sb->limits.instructions)
    orch_plan_abort(L, ORCH_ELIMIT, "instruction limit of %llu exceeded",
                    (unsigned long long)sb->limits.instructions);
  int64_t ran = e->run_ns + (orch_clock_mono_ns(sb->clock) - e->resumed_ns);
  if (ran > sb->limits.wall_ms * 1000000)
    orch_plan_abort(L, ORCH_ELIMIT, "time limit of %lld ms exceeded", (long long)sb->limits.wall_ms);
}

static void count_hook(lua_State *L, lua_Debug *ar) {
  (void)ar;
  struct orch_plan_entry *e = orch_plan_entry_of(L);
  if (!e || !e->running) return;
  if (e->abort_code) {
    if (!e->where[0]) orch_plan_where(L, 0, e->where, sizeof e->where);
    reraise(L, e);
    return;
  }
  e->instructions += (uint64_t)e->sb->hook_every;
  check_budget(L, e);
}

void orch_plan_charge(lua_State *L, uint64_t cost) {
  struct orch_plan_entry *e = orch_plan_entry_of(L);
  if (!e || !e->running) return;
  if (e->abort_code) {
    reraise(L, e);
    return;
  }
  e->instructions = cost > UINT64_MAX - e->instructions ? UINT64_MAX : e->instructions + cost;
  check_budget(L, e);
}

int orch_plan_charge_soft(lua_State *L, uint64_t cost) {
  struct orch_plan_entry *e = orch_plan_entry_of(L);
  if (!e || !e->running) return 0;
  if (e->abort_code) return e->abort_code;
  e->instructions = cost > UINT64_MAX - e->instructions ? UINT64_MAX : e->instructions + cost;
  if (e->instructions <= e->sb->limits.instructions) return 0;
  char msg[64];
  snprintf(msg, sizeof msg, "instruction limit of %llu exceeded", (unsigned long long)e->sb->limits.instructions);
  entry_mark(e, ORCH_ELIMIT, msg);
  if (!e->where[0]) orch_plan_where(L, 0, e->where, sizeof e->where);
  return ORCH_ELIMIT;
}

uint64_t orch_plan_budget_left(lua_State *L) {
  struct orch_plan_entry *e = orch_plan_entry_of(L);
  if (!e || !e->running) return UINT64_MAX;
  if (e->abort_code || e->instructions >= e->sb->limits.instructions) return 0;
  return e->sb->limits.instructions - e->instructions;
}

void orch_plan_charge_parse(lua_State *L, size_t len) { orch_plan_charge(L, len / PARSE_BYTES + 1); }

/* ---- the print sink ---- */

void orch_plan_print(struct orch_plan_sandbox *sb, const char *where, const char *msg) {
  if (sb->quiet) return;
  if (sb->print) {
    sb->print(sb->print_ctx, where ? where : "", msg);
    return;
  }
  struct orch_log_field f = {"where", where ? where : ""};
  orch_log_write(ORCH_LOG_INFO, &f, 1, "plan: %s", msg);
}

/* ---- strict environments ---- */

/* Replace the value on top of the stack with a locked metatable (__metatable = false) whose __index is
 * that value and whose __newindex is `newindex`. */
static void push_locked_mt(lua_State *L, lua_CFunction newindex) {
  lua_newtable(L);
  lua_insert(L, -2);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, newindex);
  lua_setfield(L, -2, "__newindex");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
}

/* Standard Lua names the sandbox leaves out on purpose, and what a plan uses instead. */
static const char *left_out(const char *k) {
  static const struct {
    const char *name, *hint;
  } gone[] = {
      {"os", "plans have no 'os' library (a hook must replay the same after a restart): the time is w:now(), durations are "
             "strings such as \"5m\", randomness is w:random()"},
      {"io", "plans have no 'io' library: they read no files; reach AWS with w:aws and the instances with w:ssm_run"},
      {"debug", "plans have no 'debug' library"},
      {"package", "plans have no 'package' library: require finds the engine's modules and the plan's own"},
      {"dofile", "plans cannot run files: require a module of the plan instead"},
      {"loadfile", "plans cannot load files: require a module of the plan instead"},
      {"collectgarbage", "the engine manages a plan's memory"},
  };
  for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++)
    if (strcmp(k, gone[i].name) == 0) return gone[i].hint;
  return NULL;
}

static int undefined_global(lua_State *L) {
  const char *k = lua_tostring(L, 2);
  if (lua_type(L, 2) != LUA_TSTRING) return luaL_error(L, "undefined global");
  const char *gone = left_out(k);
  if (gone) return orch_plan_raise_hint(L, gone, "%sundefined global '%s'", "", k);
  const char *names[96];
  size_t n = 0;
  lua_pushnil(L);
  while (n < 95 && lua_next(L, 1)) {
    if (lua_type(L, -2) == LUA_TSTRING) names[n++] = lua_tostring(L, -2);
    lua_pop(L, 1);
  }
  names[n] = NULL;
  const char *near = orch_str_nearest(k, names);
  char hint[160];
  if (near) snprintf(hint, sizeof hint, "did you mean '%s'?", near);
  else snprintf(hint, sizeof hint, "declare it with 'local %s' before use, or require the module that has it", k);
  return orch_plan_raise_hint(L, hint, "%sundefined global '%s'", "", k);
}

static int assign_global(lua_State *L) {
  const char *k = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "?";
  lua_rawgetp(L, LUA_REGISTRYINDEX, &BASE_KEY);
  lua_pushstring(L, k);
  bool exists = lua_rawget(L, -2) != LUA_TNIL;
  if (exists)
    return orch_plan_raise_hint(L, "use a local with another name", "cannot assign to '%s': a plan's globals are read-only", k);
  char hint[160];
  snprintf(hint, sizeof hint, "declare it with 'local %s = ...'", k);
  return orch_plan_raise_hint(L, hint, "assignment to undeclared global '%s'", k);
}

void orch_plan_push_env(lua_State *L, bool privileged) {
  lua_createtable(L, 0, 0);
  lua_rawgetp(L, LUA_REGISTRYINDEX, privileged ? &PENV_MT_KEY : &ENV_MT_KEY);
  lua_setmetatable(L, -2);
}

void orch_plan_push_internals(lua_State *L) { lua_rawgetp(L, LUA_REGISTRYINDEX, &INTERNALS_KEY); }

void orch_plan_load_chunk(lua_State *L, const char *text, size_t len, const char *chunkname, int env) {
  struct orch_plan_sandbox *sb = orch_plan_sandbox_of(L);
  if (env < 0) env = lua_absindex(L, env);
  if (len > sb->limits.source_bytes)
    luaL_error(L, "%s: %d bytes exceeds the source limit of %d bytes", chunkname + 1, (int)len,
               (int)sb->limits.source_bytes);
  orch_plan_charge_parse(L, len);
  if (luaL_loadbufferx(L, text, len, chunkname, "t") != LUA_OK) lua_error(L);
  if (env) lua_pushvalue(L, env);
  else orch_plan_push_env(L, false);
  if (!lua_setupvalue(L, -2, 1)) lua_pop(L, 1);
}

static void set_env_mt(lua_State *L, const void *key, int index_table) {
  lua_pushvalue(L, index_table);
  push_locked_mt(L, assign_global);
  lua_rawsetp(L, LUA_REGISTRYINDEX, key);
}

static int open_sandbox(lua_State *L) {
  lua_newtable(L); /* the base: read-only globals */
  int base = lua_gettop(L);
  /* the internals table of privileged engine modules */
  lua_newtable(L);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &INTERNALS_KEY);
  orch_plan_stdlib_open(L, base);

  orch_plan_modules_open(L, base);
  orch_plan_hook_open(L);
  orch_plan_compile_open(L);

  /* strict globals: the base's own misses raise, with a suggestion */
  lua_pushcfunction(L, undefined_global);
  push_locked_mt(L, assign_global);
  lua_setmetatable(L, base);
  lua_pushvalue(L, base);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &BASE_KEY);
  set_env_mt(L, &ENV_MT_KEY, base);

  /* privileged base: {orch = internals} falling through to the base */
  lua_newtable(L);
  orch_plan_push_internals(L);
  lua_setfield(L, -2, "orch");
  lua_newtable(L);
  lua_pushvalue(L, base);
  lua_setfield(L, -2, "__index");
  lua_setmetatable(L, -2);
  set_env_mt(L, &PENV_MT_KEY, lua_gettop(L));
  lua_pop(L, 1);

  /* The plan DSL's globals (plan, wave, group, tags, ...) join the base. */
  orch_plan_modules_require_internal(L, "plan.dsl");
  lua_getfield(L, -1, "globals");
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, base);
  }
  lua_pop(L, 2);

  /* Safe replacements of base functions (xpcall). */
  orch_plan_modules_require_internal(L, "plan.base");
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, base);
  }
  lua_pop(L, 1);

  /* Scripts never see the real global table: empty it. */
  lua_pushglobaltable(L);
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    lua_pop(L, 1);
    lua_pushvalue(L, -1);
    lua_pushnil(L);
    lua_rawset(L, -4);
  }
  return 0;
}

int orch_plan_sandbox_new(const struct orch_plan_sandbox_config *cfg, struct orch_plan_sandbox **out,
                          struct orch_error *err) {
  *out = NULL;
  struct orch_plan_sandbox *sb = orch_calloc(1, sizeof *sb);
  if (!sb) return orch_error_set(err, ORCH_ENOMEM, "out of memory creating a plan sandbox");
  int rc = 0;
  if (cfg) sb->limits = cfg->limits;
  orch_plan_limits_complete(&sb->limits);
  sb->clock = cfg && cfg->clock ? cfg->clock : orch_clock_real();
  sb->print = cfg ? cfg->print : NULL;
  sb->print_ctx = cfg ? cfg->print_ctx : NULL;
  sb->hook_every = HOOK_EVERY;
  orch_plan_entry_init(&sb->main_entry, sb, NULL);
  const char *ceiling = cfg && cfg->aws_allow_ceiling && *cfg->aws_allow_ceiling ? cfg->aws_allow_ceiling
                                                                                : ORCH_OPSET_DEFAULT_CEILING;
  rc = orch_opset_parse(ceiling, true, &sb->ceiling, err);
  if (rc) {
    if (rc != ORCH_ENOMEM) rc = ORCH_ECONFIG;
    if (err) err->code = rc;
    orch_error_prefix(err, "plans.aws_allow_ceiling");
    goto fail;
  }
  rc = orch_plan_modules_init(&sb->modules, cfg ? cfg->module_dir : NULL, cfg ? cfg->modsrc : NULL,
                              cfg ? cfg->modsrc_ctx : NULL, err);
  if (rc) goto fail;
  sb->L = lua_newstate(sb_alloc, sb);
  if (!sb->L) {
    rc = orch_error_set(err, ORCH_ENOMEM, "out of memory creating a Lua state");
    goto fail;
  }
  *(struct orch_plan_entry **)lua_getextraspace(sb->L) = &sb->main_entry;
  rc = orch_plan_protect(sb, open_sandbox, NULL, err);
  if (rc) {
    orch_error_prefix(err, "creating the plan sandbox");
    goto fail;
  }
  *out = sb;
  return 0;
fail:
  orch_plan_sandbox_free(sb);
  return rc;
}

void orch_plan_sandbox_free(struct orch_plan_sandbox *sb) {
  if (!sb) return;
  if (sb->L) {
    sb->current = NULL;
    lua_close(sb->L);
  }
  orch_plan_modules_free(&sb->modules);
  orch_opset_free(sb->ceiling);
  orch_plan_entry_clear(&sb->main_entry);
  orch_free(sb);
}

struct orch_plan_modules *orch_plan_sandbox_modules(struct orch_plan_sandbox *sb) { return &sb->modules; }
const struct orch_opset *orch_plan_sandbox_ceiling(const struct orch_plan_sandbox *sb) { return sb->ceiling; }

/* ---- protected calls, threads, resumes ---- */

/* "32 MiB", "512 KiB" or "1000 bytes". */
static const char *size_text(size_t n, char *buf, size_t bufsz) {
  if (n % (1024 * 1024) == 0) snprintf(buf, bufsz, "%zu MiB", n / (1024 * 1024));
  else if (n % 1024 == 0) snprintf(buf, bufsz, "%zu KiB", n / 1024);
  else snprintf(buf, bufsz, "%zu bytes", n);
  return buf;
}

static void error_text(lua_State *L, int idx, char *out, size_t outsz) {
  switch (lua_type(L, idx)) {
    case LUA_TSTRING: snprintf(out, outsz, "%s", lua_tostring(L, idx)); break;
    case LUA_TNUMBER:
      if (lua_isinteger(L, idx)) snprintf(out, outsz, "%lld", (long long)lua_tointeger(L, idx));
      else snprintf(out, outsz, "%.14g", (double)lua_tonumber(L, idx));
      break;
    case LUA_TNIL: snprintf(out, outsz, "error with a nil value"); break;
    default: snprintf(out, outsz, "error object is a %s value", luaL_typename(L, idx)); break;
  }
}

int orch_plan_protect(struct orch_plan_sandbox *sb, lua_CFunction fn, void *ud, struct orch_error *err) {
  char szb[32];
  lua_State *L = sb->L;
  int top = lua_gettop(L);
  if (!lua_checkstack(L, 4)) return orch_error_set(err, ORCH_ELIMIT, "Lua stack exhausted");
  lua_pushcfunction(L, fn);
  lua_pushlightuserdata(L, ud);
  int st = lua_pcall(L, 1, 0, 0);
  int rc = 0;
  if (st != LUA_OK) {
    char msg[ORCH_ERROR_MESSAGE_MAX];
    error_text(L, -1, msg, sizeof msg);
    if (st == LUA_ERRMEM)
      rc = orch_error_set(err, ORCH_ELIMIT, "memory limit of %s reached", size_text(sb->limits.memory, szb, sizeof szb));
    else rc = orch_error_set(err, ORCH_ELUA, "%s", msg);
  }
  lua_settop(L, top);
  return rc;
}

struct thread_new_args {
  struct orch_plan_entry *e;
  lua_State *co;
  int ref;
};

static int thread_new_p(lua_State *L) {
  struct thread_new_args *a = lua_touserdata(L, 1);
  lua_State *co = lua_newthread(L);
  *(struct orch_plan_entry **)lua_getextraspace(co) = a->e;
  lua_sethook(co, count_hook, LUA_MASKCOUNT, a->e->sb->hook_every);
  a->ref = luaL_ref(L, LUA_REGISTRYINDEX);
  a->co = co;
  return 0;
}

int orch_plan_thread_new(struct orch_plan_sandbox *sb, struct orch_plan_entry *e, lua_State **co, int *ref,
                         struct orch_error *err) {
  struct thread_new_args a = {e, NULL, LUA_NOREF};
  int rc = orch_plan_protect(sb, thread_new_p, &a, err);
  if (rc) return rc;
  *co = a.co;
  *ref = a.ref;
  return 0;
}

void orch_plan_thread_release(struct orch_plan_sandbox *sb, struct orch_plan_entry *e, lua_State *co, int ref) {
  if (!co) return;
  struct orch_plan_entry *prev = sb->current;
  if (e) {
    sb->current = e;
    e->running = true;
    e->resumed_ns = orch_clock_mono_ns(sb->clock);
  }
  (void)lua_resetthread(co);
  if (e) {
    e->running = false;
    sb->current = prev;
  }
  luaL_unref(sb->L, LUA_REGISTRYINDEX, ref);
}

int orch_plan_thread_setup(struct orch_plan_sandbox *sb, lua_State *co, lua_CFunction setup, void *ud,
                           struct orch_error *err) {
  char szb[32];
  if (!lua_checkstack(co, 4)) return orch_error_set(err, ORCH_ELIMIT, "Lua stack exhausted");
  int base = lua_gettop(co);
  lua_pushcfunction(co, setup);
  lua_pushlightuserdata(co, ud);
  int st = lua_pcall(co, 1, LUA_MULTRET, 0);
  if (st == LUA_OK) return 0;
  char msg[ORCH_ERROR_MESSAGE_MAX];
  error_text(co, -1, msg, sizeof msg);
  lua_settop(co, base);
  if (st == LUA_ERRMEM) return orch_error_set(err, ORCH_ELIMIT, "memory limit of %s reached", size_text(sb->limits.memory, szb, sizeof szb));
  return orch_error_set(err, ORCH_ELUA, "%s", msg);
}

/* The failing stack, innermost first, built without allocating in Lua (the state may be out of memory). */
static void build_traceback(struct orch_plan_entry *e, lua_State *co) {
  struct orch_buf b = ORCH_BUF_INIT(8192);
  lua_Debug ar;
  int shown = 0;
  for (int lvl = 0; lua_getstack(co, lvl, &ar) && shown < 24; lvl++) {
    if (!lua_getinfo(co, "Sln", &ar)) continue;
    if (ar.currentline <= 0 && ar.what && strcmp(ar.what, "C") == 0 && !ar.name) continue;
    const char *src = ar.source && (ar.source[0] == '@' || ar.source[0] == '=') ? ar.source + 1 : ar.short_src;
    if (orch_buf_printf(&b, "%s%s:%d", shown ? "\n" : "", src, ar.currentline)) break;
    if (ar.name && orch_buf_printf(&b, " in %s '%s'", *ar.namewhat ? ar.namewhat : "function", ar.name)) break;
    else if (!ar.name && strcmp(ar.what, "main") == 0 && orch_buf_puts(&b, " in main chunk")) break;
    shown++;
  }
  orch_free(e->traceback);
  e->traceback = orch_buf_take(&b, NULL);
  orch_buf_free(&b);
}

/* Lua messages start with "file:line: ". Drop it when it repeats the context. */
static const char *strip_where(const char *msg, const char *where) {
  size_t n = strlen(where);
  if (n && strncmp(msg, where, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ') return msg + n + 2;
  return msg;
}

enum orch_plan_status orch_plan_resume(struct orch_plan_entry *e, lua_State *co, int nargs, int *nres,
                                       struct orch_error *err) {
  struct orch_plan_sandbox *sb = e->sb;
  struct orch_plan_entry *prev = sb->current;
  int nr = 0;
  sb->current = e;
  e->running = true;
  e->resumed_ns = orch_clock_mono_ns(sb->clock);
  e->co = co;
  lua_sethook(co, count_hook, LUA_MASKCOUNT, e->abort_code ? 1 : sb->hook_every);
  int st = lua_resume(co, sb->L, nargs, &nr);
  e->run_ns += orch_clock_mono_ns(sb->clock) - e->resumed_ns;
  e->running = false;
  sb->current = prev;
  if (nres) *nres = nr;
  if ((st == LUA_OK || st == LUA_YIELD) && !e->abort_code) return st == LUA_OK ? ORCH_PLAN_DONE : ORCH_PLAN_YIELDED;

  char szb[32];
  char where[ORCH_PLAN_WHERE_MAX];
  if (st == LUA_OK || st == LUA_YIELD) {
    snprintf(where, sizeof where, "%s", e->where);
    orch_error_setc(err, e->abort_code, where, "%s", e->abort_msg);
    return e->abort_code == ORCH_ENONDETERMINISM ? ORCH_PLAN_ERROR : ORCH_PLAN_KILLED;
  }
  build_traceback(e, co);
  if (e->where[0]) snprintf(where, sizeof where, "%s", e->where);
  else orch_plan_where(co, 0, where, sizeof where);
  char msg[ORCH_ERROR_MESSAGE_MAX];
  error_text(co, -1, msg, sizeof msg);
  enum orch_plan_status status = ORCH_PLAN_ERROR;
  if (e->abort_code) {
    orch_error_setc(err, e->abort_code, where, "%s", e->abort_msg);
    if (e->abort_code != ORCH_ENONDETERMINISM) status = ORCH_PLAN_KILLED;
  } else if (st == LUA_ERRMEM || strcmp(msg, "not enough memory") == 0) {
    orch_error_setc(err, ORCH_ELIMIT, where, "memory limit of %s reached", size_text(sb->limits.memory, szb, sizeof szb));
    status = ORCH_PLAN_KILLED;
  } else if (strstr(msg, "stack overflow")) {
    orch_error_setc(err, ORCH_ELIMIT, where, "call depth limit reached (%s)", strip_where(msg, where));
    status = ORCH_PLAN_KILLED;
  } else {
    orch_error_setc(err, ORCH_ELUA, where, "%s", strip_where(msg, where));
  }
  return status;
}
