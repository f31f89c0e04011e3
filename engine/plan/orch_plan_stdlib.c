/* orch_plan_stdlib: the standard libraries as plans see them: read-only library tables, a guarded rawset,
 * engine-owned metatable copies, text-only load, and charged wrappers around every C function whose work
 * grows with its input. Uses Lua 5.4, orch_plan_sandbox, orch_plan_pattern, orch_plan_json. */
#include "plan/orch_plan_stdlib.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "plan/orch_plan_json.h"
#include "plan/orch_plan_pattern.h"
#include "plan/orch_plan_sandbox.h"

#define PRINT_MAX 8192
/* Bytes a C function may scan or copy for the price of one VM instruction. */
#define SCAN_BYTES 8
/* table.unpack and friends cannot return more values than a Lua stack holds. */
#define STACK_VALUES_MAX 1000000

/* Registry keys (their addresses): read-only views; engine-owned metatable copies; the cache from a
 * plan's metatable to its copy. */
static const char READONLY_KEY, OWNED_MT_KEY, MT_CACHE_KEY;

/* ---- read-only tables ---- */

static int readonly_write(lua_State *L) {
  return luaL_error(L, "library table '%s' is read-only in plans (cannot set field '%s')",
                    lua_tostring(L, lua_upvalueindex(1)), lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "?");
}

/* A weak-keyed table in the registry under `key`. */
static void weak_set(lua_State *L, const void *key) {
  lua_newtable(L);
  lua_createtable(L, 0, 1);
  lua_pushliteral(L, "k");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  lua_rawsetp(L, LUA_REGISTRYINDEX, key);
}

/* The value the weak set `key` holds for the value at `idx` (pushes it, returns its type). */
static int set_get(lua_State *L, const void *key, int idx) {
  idx = lua_absindex(L, idx);
  lua_rawgetp(L, LUA_REGISTRYINDEX, key);
  lua_pushvalue(L, idx);
  int t = lua_rawget(L, -2);
  lua_remove(L, -2);
  return t;
}

/* set[value at idx] = the value on top of the stack (popped). */
static void set_put(lua_State *L, const void *key, int idx) {
  idx = lua_absindex(L, idx);
  lua_rawgetp(L, LUA_REGISTRYINDEX, key);
  lua_pushvalue(L, idx);
  lua_pushvalue(L, -3);
  lua_rawset(L, -3);
  lua_pop(L, 2);
}

void orch_plan_push_readonly(lua_State *L, int idx, const char *name) {
  idx = lua_absindex(L, idx);
  lua_newtable(L); /* the view */
  lua_createtable(L, 0, 3);
  lua_pushvalue(L, idx);
  lua_setfield(L, -2, "__index");
  lua_pushstring(L, name);
  lua_pushcclosure(L, readonly_write, 1);
  lua_setfield(L, -2, "__newindex");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
  lua_pushstring(L, name);
  set_put(L, &READONLY_KEY, -2);
}

/* rawset(t, k, v), except on read-only views (Redis 7 makes its globals read-only the same way). */
static int l_rawset(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checkany(L, 2);
  luaL_checkany(L, 3);
  if (set_get(L, &READONLY_KEY, 1) != LUA_TNIL)
    return luaL_error(L, "library table '%s' is read-only in plans (rawset cannot set field '%s' either)",
                      lua_tostring(L, -1), lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "?");
  lua_pop(L, 1);
  lua_settop(L, 3);
  lua_rawset(L, 1);
  return 1;
}

/* ---- metatables: the engine installs a copy it owns ---- */

/* Whether the copy at `copy` still holds exactly the fields of `mt` (plus the __metatable it added). */
static bool copy_matches(lua_State *L, int mt, int copy, bool own_guard) {
  uint64_t n = 0, m = 0;
  bool same = true;
  lua_pushnil(L);
  while (same && lua_next(L, mt)) {
    n++;
    lua_pushvalue(L, -2);
    lua_rawget(L, copy);
    same = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
  }
  if (!same) {
    lua_pop(L, 1); /* the key lua_next left */
  } else {
    lua_pushnil(L);
    while (lua_next(L, copy)) {
      m++;
      lua_pop(L, 1);
    }
  }
  orch_plan_charge(L, n + m);
  return same && m == n + (own_guard ? 1 : 0);
}

/* Push the engine's copy of the plan's metatable at `mt`: the fields it has now, and __metatable set to the
 * plan's table (unless the plan set its own), so getmetatable still answers the plan's table while nothing
 * the plan adds to that table later takes effect (a __close or __gc added after the check). */
static void push_owned_copy(lua_State *L, int mt) {
  mt = lua_absindex(L, mt);
  lua_pushliteral(L, "__metatable");
  bool plan_guard = lua_rawget(L, mt) != LUA_TNIL;
  lua_pop(L, 1);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &MT_CACHE_KEY);
  int cache = lua_gettop(L);
  lua_pushvalue(L, mt);
  if (lua_rawget(L, cache) == LUA_TTABLE && copy_matches(L, mt, lua_gettop(L), !plan_guard)) {
    lua_remove(L, cache);
    return;
  }
  lua_pop(L, 1);
  lua_newtable(L);
  int copy = lua_gettop(L);
  uint64_t n = 0;
  lua_pushnil(L);
  while (lua_next(L, mt)) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, copy);
    n++;
  }
  orch_plan_charge(L, n + 1);
  if (!plan_guard) {
    lua_pushliteral(L, "__metatable");
    lua_pushvalue(L, mt);
    lua_rawset(L, copy);
  }
  lua_pushboolean(L, !plan_guard); /* true: the engine's guard, so setmetatable may replace the copy */
  set_put(L, &OWNED_MT_KEY, copy);
  lua_pushvalue(L, mt);
  lua_pushvalue(L, copy);
  lua_rawset(L, cache);
  lua_remove(L, cache);
}

static int l_setmetatable(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  int t = lua_type(L, 2);
  luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
  lua_settop(L, 2);
  if (lua_getmetatable(L, 1)) {
    bool replaceable = set_get(L, &OWNED_MT_KEY, -1) == LUA_TBOOLEAN && lua_toboolean(L, -1);
    lua_pop(L, 2);
    if (!replaceable && luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL)
      return luaL_error(L, "cannot change a protected metatable");
  }
  if (t == LUA_TTABLE) {
    /* __gc would run outside any budget; __close runs while a killed coroutine unwinds, where the count
     * hook that raised the kill has left hooks off. The copy below makes sure neither arrives later. */
    static const char *const banned[] = {"__gc", "__close"};
    for (size_t i = 0; i < 2; i++) {
      lua_pushstring(L, banned[i]);
      if (lua_rawget(L, 2) != LUA_TNIL) return luaL_argerror(L, 2, "__gc and __close metamethods are not allowed in plans");
      lua_pop(L, 1);
    }
    push_owned_copy(L, 2);
  } else {
    lua_pushnil(L);
  }
  lua_setmetatable(L, 1);
  lua_settop(L, 1);
  return 1;
}

static int l_getmetatable(lua_State *L) {
  luaL_checkany(L, 1);
  if (lua_type(L, 1) == LUA_TSTRING || !lua_getmetatable(L, 1)) {
    lua_pushnil(L);
    return 1;
  }
  luaL_getmetafield(L, 1, "__metatable");
  return 1;
}

/* ---- base functions ---- */

static int l_print(lua_State *L) {
  int n = lua_gettop(L);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (int i = 1; i <= n; i++) {
    if (i > 1) luaL_addchar(&b, '\t');
    luaL_tolstring(L, i, NULL);
    luaL_addvalue(&b);
  }
  luaL_pushresult(&b);
  size_t len;
  const char *msg = lua_tolstring(L, -1, &len);
  char where[ORCH_PLAN_WHERE_MAX];
  orch_plan_where(L, 1, where, sizeof where);
  if (len > PRINT_MAX) {
    lua_pushlstring(L, msg, PRINT_MAX);
    lua_pushliteral(L, "... (truncated)");
    lua_concat(L, 2);
    msg = lua_tostring(L, -1);
  }
  orch_plan_print(orch_plan_sandbox_of(L), where, msg);
  return 0;
}

static int l_load(lua_State *L) {
  size_t len;
  if (lua_type(L, 1) != LUA_TSTRING) return luaL_argerror(L, 1, "plans may load only strings of Lua text");
  const char *text = lua_tolstring(L, 1, &len);
  const char *name = luaL_optstring(L, 2, "(load)");
  const char *mode = luaL_optstring(L, 3, "t");
  if (strcmp(mode, "t") != 0)
    return luaL_argerror(L, 3, "binary chunks are not allowed in plans (mode must be \"t\")");
  int env = lua_isnoneornil(L, 4) ? 0 : 4;
  if (env) luaL_checktype(L, 4, LUA_TTABLE);
  struct orch_plan_sandbox *sb = orch_plan_sandbox_of(L);
  if (len > orch_plan_sandbox_limits(sb)->source_bytes)
    return luaL_error(L, "load: chunk of %d bytes exceeds the source limit of %d bytes", (int)len,
                      (int)orch_plan_sandbox_limits(sb)->source_bytes);
  orch_plan_charge_parse(L, len);
  lua_pushfstring(L, "=%s", name);
  const char *chunkname = lua_tostring(L, -1);
  int st = luaL_loadbufferx(L, text, len, chunkname, "t");
  if (st != LUA_OK) {
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2; /* nil, message: as load does */
  }
  if (env) lua_pushvalue(L, env);
  else orch_plan_push_env(L, false);
  if (!lua_setupvalue(L, -2, 1)) lua_pop(L, 1);
  return 1;
}

static int l_collectgarbage(lua_State *L) {
  const char *opt = luaL_optstring(L, 1, "collect");
  if (strcmp(opt, "count") != 0) return luaL_argerror(L, 1, "only \"count\" is available in plans");
  int kb = lua_gc(L, LUA_GCCOUNT), b = lua_gc(L, LUA_GCCOUNTB);
  lua_pushnumber(L, (lua_Number)kb + ((lua_Number)b / 1024));
  return 1;
}

/* string.rep charges its output size: with an empty string and separator it would loop n times in C. */
static int l_string_rep(lua_State *L) {
  size_t l, lsep;
  luaL_checklstring(L, 1, &l);
  lua_Integer n = luaL_checkinteger(L, 2);
  luaL_optlstring(L, 3, "", &lsep);
  if (n > 0) {
    lua_Number total = ((lua_Number)l + (lua_Number)lsep) * (lua_Number)n;
    struct orch_plan_sandbox *sb = orch_plan_sandbox_of(L);
    if (total > (lua_Number)orch_plan_sandbox_limits(sb)->memory)
      return orch_plan_abort(L, ORCH_ELIMIT, "string.rep: result of %.0f bytes exceeds the memory limit of %zu bytes",
                             total, orch_plan_sandbox_limits(sb)->memory);
    orch_plan_charge(L, (uint64_t)n + (uint64_t)(total / 64));
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 1);
  return 1;
}

/* ---- charged wrappers: cost functions read the arguments without raising (the wrapped function
 * reports bad arguments itself) ---- */

typedef uint64_t (*cost_fn)(lua_State *L);

static size_t str_len(lua_State *L, int arg) { return lua_type(L, arg) == LUA_TSTRING ? lua_rawlen(L, arg) : 0; }

static lua_Integer opt_int(lua_State *L, int arg, lua_Integer def) {
  int isnum = 0;
  lua_Integer v = lua_tointegerx(L, arg, &isnum);
  return isnum ? v : def;
}

/* The number of positions i..j (Lua's relative positions) of a string of `len` bytes. */
static uint64_t span(lua_Integer i, lua_Integer j, size_t len) {
  lua_Integer n = (lua_Integer)len;
  if (i < 0) i = i < -n ? 1 : n + i + 1;
  else if (i == 0) i = 1;
  if (j < 0) j = j < -n ? 0 : n + j + 1;
  else if (j > n) j = n;
  return j >= i ? (uint64_t)(j - i + 1) : 0;
}

/* #t as the table functions see it: __len when the table has a metatable (plan code, itself budgeted). */
static lua_Integer table_len(lua_State *L, int arg) {
  if (lua_type(L, arg) != LUA_TTABLE) return 0;
  if (!lua_getmetatable(L, arg)) return (lua_Integer)lua_rawlen(L, arg);
  lua_pop(L, 1);
  lua_len(L, arg);
  lua_Integer n = opt_int(L, -1, 0);
  lua_pop(L, 1);
  return n;
}

static uint64_t range_cost(lua_Integer from, lua_Integer to) {
  if (to < from) return 0;
  uint64_t n = (uint64_t)to - (uint64_t)from;
  return n == UINT64_MAX ? n : n + 1;
}

static uint64_t cost_nargs(lua_State *L) { return (uint64_t)lua_gettop(L); }
static uint64_t cost_scan1(lua_State *L) { return str_len(L, 1) / SCAN_BYTES + 1; }
static uint64_t cost_format(lua_State *L) { return str_len(L, 1) + (uint64_t)lua_gettop(L); }
static uint64_t cost_byte(lua_State *L) {
  lua_Integer i = opt_int(L, 2, 1);
  return span(i, opt_int(L, 3, i), str_len(L, 1)) + 1;
}
static uint64_t cost_unpack(lua_State *L) {
  size_t lf = str_len(L, 1);
  uint64_t c = lf + 1;
  if (lf && memchr(lua_tostring(L, 1), 'z', lf)) c += str_len(L, 2) / 64; /* zero-terminated strings are scanned */
  return c;
}
static uint64_t cost_utf8_len(lua_State *L) {
  return span(opt_int(L, 2, 1), opt_int(L, 3, -1), str_len(L, 1)) / 4 + 1;
}
static uint64_t cost_utf8_offset(lua_State *L) {
  lua_Integer n = opt_int(L, 2, 0);
  uint64_t chars = n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n, len = str_len(L, 1);
  return (chars < len ? chars : len) + 1;
}
static uint64_t cost_tonumber(lua_State *L) { return str_len(L, 1) / SCAN_BYTES + 1; }
static uint64_t cost_concat(lua_State *L) {
  lua_Integer i = opt_int(L, 3, 1);
  lua_Integer j = lua_isnoneornil(L, 4) ? table_len(L, 1) : opt_int(L, 4, 0);
  uint64_t c = range_cost(i, j);
  if (lua_type(L, 1) == LUA_TTABLE && !lua_getmetatable(L, 1)) { /* a plain table stops at its first hole */
    uint64_t most = range_cost(i, (lua_Integer)lua_rawlen(L, 1) + 1);
    if (c > most) c = most;
  } else if (lua_type(L, 1) == LUA_TTABLE) {
    lua_pop(L, 1);
  }
  return c + str_len(L, 2) / SCAN_BYTES + 1;
}
/* table.insert(t, pos, v) shifts t[pos..#t] up; table.remove(t, pos) shifts t[pos+1..#t] down. */
static uint64_t cost_insert(lua_State *L) {
  if (lua_gettop(L) != 3) return 1;
  lua_Integer n = table_len(L, 1);
  return range_cost(opt_int(L, 2, n + 1), n) + 1;
}
static uint64_t cost_remove(lua_State *L) {
  lua_Integer n = table_len(L, 1);
  return range_cost(opt_int(L, 2, n), n) + 1;
}
static uint64_t cost_table_unpack(lua_State *L) {
  lua_Integer i = opt_int(L, 2, 1);
  lua_Integer j = lua_isnoneornil(L, 3) ? table_len(L, 1) : opt_int(L, 3, 0);
  uint64_t c = range_cost(i, j);
  return c > STACK_VALUES_MAX ? STACK_VALUES_MAX : c + 1;
}
static uint64_t cost_move(lua_State *L) { return range_cost(opt_int(L, 2, 1), opt_int(L, 3, 0)) + 1; }
static uint64_t cost_sort(lua_State *L) {
  lua_Integer n = table_len(L, 1);
  uint64_t c = 1;
  for (lua_Integer m = n; m > 1; m >>= 1) c += (uint64_t)n;
  return c;
}
/* The string arithmetic metamethods convert their string operands: "1" .. (" "):rep(1e7) + 0 scans it. */
static uint64_t cost_arith(lua_State *L) { return (str_len(L, 1) + str_len(L, 2)) / SCAN_BYTES + 1; }

/* Every charged function: the library ("" for the string metatable's metamethods) and its cost. */
static const struct charged_fn {
  const char *lib, *name;
  cost_fn cost;
} charged_fns[] = {
    {"_G", "tonumber", cost_tonumber},   {"_G", "select", cost_nargs},
    {"string", "byte", cost_byte},       {"string", "char", cost_nargs},      {"string", "format", cost_format},
    {"string", "lower", cost_scan1},     {"string", "upper", cost_scan1},     {"string", "reverse", cost_scan1},
    {"string", "pack", cost_format},     {"string", "packsize", cost_scan1}, {"string", "unpack", cost_unpack},
    {"table", "concat", cost_concat},    {"table", "insert", cost_insert},    {"table", "remove", cost_remove},
    {"table", "unpack", cost_table_unpack}, {"table", "pack", cost_nargs},    {"table", "move", cost_move},
    {"table", "sort", cost_sort},        {"utf8", "char", cost_nargs},        {"utf8", "codepoint", cost_byte},
    {"utf8", "len", cost_utf8_len},      {"utf8", "offset", cost_utf8_offset},
    {"", "__add", cost_arith},           {"", "__sub", cost_arith},           {"", "__mul", cost_arith},
    {"", "__mod", cost_arith},           {"", "__pow", cost_arith},           {"", "__div", cost_arith},
    {"", "__idiv", cost_arith},          {"", "__unm", cost_arith},
};

static int charged(lua_State *L) {
  const struct charged_fn *f = &charged_fns[lua_tointeger(L, lua_upvalueindex(2))];
  orch_plan_charge(L, f->cost(L));
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

/* Replace the C functions of library `lib` in the table at `t` by closures charging their cost first. */
static void charge_lib(lua_State *L, int t, const char *lib) {
  t = lua_absindex(L, t);
  for (size_t i = 0; i < sizeof charged_fns / sizeof charged_fns[0]; i++) {
    if (strcmp(charged_fns[i].lib, lib) != 0) continue;
    if (lua_getfield(L, t, charged_fns[i].name) != LUA_TFUNCTION) {
      lua_pop(L, 1);
      continue;
    }
    lua_pushinteger(L, (lua_Integer)i);
    lua_pushcclosure(L, charged, 2);
    lua_setfield(L, t, charged_fns[i].name);
  }
}

static void wrap_field(lua_State *L, int t, const char *k, lua_CFunction f) {
  t = lua_absindex(L, t);
  lua_getfield(L, t, k);
  lua_pushcclosure(L, f, 1);
  lua_setfield(L, t, k);
}

/* ---- assembling the libraries ---- */

static int removed_field(lua_State *L) {
  const char *lib = lua_tostring(L, lua_upvalueindex(1));
  const char *k = lua_tostring(L, 2);
  if (!k) return 0;
  if (strcmp(lib, "math") == 0 && (strcmp(k, "random") == 0 || strcmp(k, "randomseed") == 0))
    return orch_plan_raise_hint(L, "use w:random(m, n): its result is journaled, so a restarted hook replays it",
                                "math.%s is not available in plans", k);
  if (strcmp(lib, "string") == 0 && strcmp(k, "dump") == 0)
    return luaL_error(L, "string.dump is not available in plans");
  return 0;
}

/* Copy the named fields of the table at `src` into a new table; push a read-only view of it and return
 * the real copy left below it. Stack: ... -> ..., real, view. */
static void push_lib(lua_State *L, int src, const char *name, const char *const *keep) {
  src = lua_absindex(L, src);
  lua_newtable(L); /* real */
  for (const char *const *k = keep; *k; k++) {
    lua_getfield(L, src, *k);
    lua_setfield(L, -2, *k);
  }
  lua_newtable(L); /* metatable of the real copy: explains removed functions */
  lua_pushstring(L, name);
  lua_pushcclosure(L, removed_field, 1);
  lua_setfield(L, -2, "__index");
  lua_setmetatable(L, -2);
  orch_plan_push_readonly(L, -1, name);
}

/* The string metatable: indexes the sandbox's string table; its arithmetic metamethods are charged. */
static void string_metatable(lua_State *L, int sreal) {
  lua_pushliteral(L, "");
  if (lua_getmetatable(L, -1)) {
    lua_pushvalue(L, sreal);
    lua_setfield(L, -2, "__index");
    charge_lib(L, -1, "");
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

void orch_plan_stdlib_open(lua_State *L, int base) {
  static const char *const base_keep[] = {"assert", "error", "ipairs", "next", "pairs", "pcall", "rawequal",
                                          "rawget", "rawlen", "select", "tonumber", "tostring", "type",
                                          "xpcall", "_VERSION", NULL};
  static const char *const string_keep[] = {"byte", "char", "find", "format", "gmatch", "gsub", "len", "lower",
                                            "match", "rep", "reverse", "sub", "upper", "pack", "packsize",
                                            "unpack", NULL};
  static const char *const table_keep[] = {"concat", "insert", "move", "pack", "remove", "sort", "unpack", NULL};
  static const char *const math_keep[] = {"abs", "ceil", "cos", "deg", "exp", "floor", "fmod", "huge", "log",
                                          "max", "maxinteger", "min", "mininteger", "modf", "pi", "rad", "sin",
                                          "sqrt", "tan", "tointeger", "type", "ult", "acos", "asin", "atan", NULL};
  static const char *const utf8_keep[] = {"char", "charpattern", "codes", "codepoint", "len", "offset", NULL};
  base = lua_absindex(L, base);
  weak_set(L, &READONLY_KEY);
  weak_set(L, &OWNED_MT_KEY);
  weak_set(L, &MT_CACHE_KEY);

  luaL_requiref(L, "_G", luaopen_base, 0);
  int g = lua_gettop(L);
  for (const char *const *k = base_keep; *k; k++) {
    lua_getfield(L, g, *k);
    lua_setfield(L, base, *k);
  }
  charge_lib(L, base, "_G");
  static const luaL_Reg base_funcs[] = {{"print", l_print},
                                        {"load", l_load},
                                        {"rawset", l_rawset},
                                        {"setmetatable", l_setmetatable},
                                        {"getmetatable", l_getmetatable},
                                        {"collectgarbage", l_collectgarbage},
                                        {NULL, NULL}};
  lua_pushvalue(L, base);
  luaL_setfuncs(L, base_funcs, 0);
  lua_pop(L, 2);

  luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 0);
  push_lib(L, -1, "string", string_keep);
  int sreal = lua_gettop(L) - 1;
  orch_plan_pattern_open(L, sreal);
  wrap_field(L, sreal, "rep", l_string_rep);
  charge_lib(L, sreal, "string");
  lua_setfield(L, base, "string");
  string_metatable(L, sreal);
  lua_pop(L, 2);

  luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 0);
  push_lib(L, -1, "table", table_keep);
  charge_lib(L, -2, "table");
  lua_setfield(L, base, "table");
  lua_pop(L, 2);

  luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 0);
  push_lib(L, -1, "math", math_keep);
  lua_setfield(L, base, "math");
  lua_pop(L, 2);

  luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 0);
  push_lib(L, -1, "utf8", utf8_keep);
  charge_lib(L, -2, "utf8");
  lua_setfield(L, base, "utf8");
  lua_pop(L, 2);

  orch_plan_json_open(L);
  push_lib(L, -1, "json", (const char *const[]){"encode", "decode", "null", NULL});
  lua_setfield(L, base, "json");
  lua_pop(L, 2);
}
