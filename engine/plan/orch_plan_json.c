/* orch_plan_json: size, depth and memory guards in front of lua-cjson, and the integer repair of its
 * output (cjson decodes every number as a float). Uses lua-cjson, orch_plan_sandbox, orch_json (depth). */
#include "plan/orch_plan_json.h"

#include <lauxlib.h>
#include <lua-cjson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>

#include "core/orch_json.h"
#include "plan/orch_plan_sandbox.h"

/* Upper bound of Lua heap bytes per byte of JSON text that cjson.decode can build (measured worst case
 * is an array of empty objects, "[{},{},...]": about 24 bytes per input byte with table growth). */
#define DECODE_HEAP_FACTOR 40
/* cjson formats numbers with 14 significant digits: integers beyond this are not encoded exactly. */
#define EXACT_INT_LIMIT 100000000000000LL

static int decode_fail(lua_State *L, const char *code, const char *msg) {
  lua_pushnil(L);
  lua_pushstring(L, msg);
  lua_pushstring(L, code);
  return 3;
}

/* cjson gives floats; whole numbers that fit come back as integers, as a plan author expects. */
static void repair_integers(lua_State *L, int idx, int depth) {
  if (depth <= 0 || !lua_checkstack(L, 4)) return;
  idx = lua_absindex(L, idx);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    if (lua_type(L, -1) == LUA_TNUMBER && !lua_isinteger(L, -1)) {
      lua_Number v = lua_tonumber(L, -1);
      if (v == floor(v) && fabs(v) <= 9007199254740992.0) {
        lua_pushvalue(L, -2);
        lua_pushinteger(L, (lua_Integer)v);
        lua_rawset(L, idx);
      }
    } else if (lua_type(L, -1) == LUA_TTABLE) {
      repair_integers(L, -1, depth - 1);
    }
    lua_pop(L, 1);
  }
}

static int l_decode(lua_State *L) {
  size_t len;
  luaL_checktype(L, 1, LUA_TSTRING);
  const char *text = lua_tolstring(L, 1, &len);
  struct orch_plan_sandbox *sb = orch_plan_sandbox_of(L);
  const struct orch_plan_limits *lim = orch_plan_sandbox_limits(sb);
  char msg[160];
  if (len > lim->json_bytes) {
    snprintf(msg, sizeof msg, "json.decode: text of %zu bytes exceeds the JSON limit of %zu bytes", len,
             lim->json_bytes);
    return decode_fail(L, "ELIMIT", msg);
  }
  if (lim->json_depth < 0 || orch_json_depth(text, len, (size_t)lim->json_depth) > (size_t)lim->json_depth) {
    snprintf(msg, sizeof msg, "json.decode: nesting deeper than the JSON depth limit of %d", lim->json_depth);
    return decode_fail(L, "ELIMIT", msg);
  }
  size_t need = len * DECODE_HEAP_FACTOR + 4096, used = orch_plan_sandbox_memory(sb);
  if (used + need > lim->memory) {
    lua_gc(L, LUA_GCCOLLECT);
    used = orch_plan_sandbox_memory(sb);
    if (used + need > lim->memory) {
      snprintf(msg, sizeof msg, "json.decode: %zu bytes of JSON need more memory than the execution has left",
               len);
      return decode_fail(L, "ELIMIT", msg);
    }
  }
  orch_plan_charge(L, len / 8);
  lua_settop(L, 1);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
    const char *e = lua_tostring(L, -1);
    snprintf(msg, sizeof msg, "json.decode: %s", e ? e : "malformed JSON");
    return decode_fail(L, "EPARSE", msg);
  }
  if (lua_type(L, -1) == LUA_TNUMBER) {
    lua_Number v = lua_tonumber(L, -1);
    if (v == floor(v) && fabs(v) <= 9007199254740992.0) {
      lua_pop(L, 1);
      lua_pushinteger(L, (lua_Integer)v);
    }
  } else if (lua_type(L, -1) == LUA_TTABLE) {
    repair_integers(L, -1, lim->json_depth + 1);
  }
  return 1;
}

struct walk {
  lua_State *L;
  size_t bytes, max;
  int max_depth;
};

static void walk_value(struct walk *w, int idx, int depth);

static void walk_table(struct walk *w, int idx, int depth) {
  lua_State *L = w->L;
  if (depth > w->max_depth)
    luaL_error(L, "json.encode: nesting deeper than the JSON depth limit of %d (or a table contains itself)",
               w->max_depth);
  luaL_checkstack(L, 4, "json.encode");
  lua_Integer items = 0, max_index = 0;
  bool only_indices = true;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    items++;
    int kt = lua_type(L, -2);
    if (kt == LUA_TNUMBER) {
      lua_Integer k;
      if (lua_isinteger(L, -2) && (k = lua_tointeger(L, -2)) > 0) {
        if (k > max_index) max_index = k;
      } else {
        only_indices = false;
      }
      w->bytes += 24;
    } else if (kt == LUA_TSTRING) {
      only_indices = false;
      w->bytes += 3 + lua_rawlen(L, -2) * 6;
    } else {
      luaL_error(L, "json.encode: table keys must be strings or numbers, not %s", luaL_typename(L, -2));
    }
    w->bytes += 1;
    walk_value(w, lua_gettop(L), depth);
    lua_pop(L, 1);
  }
  if (only_indices && max_index > items) w->bytes += (size_t)(max_index - items) * 5;
  w->bytes += 2;
  if (w->bytes > w->max)
    luaL_error(L, "json.encode: the text would exceed the JSON limit of %d bytes", (int)w->max);
}

static void walk_value(struct walk *w, int idx, int depth) {
  lua_State *L = w->L;
  switch (lua_type(L, idx)) {
    case LUA_TNIL: w->bytes += 4; break;
    case LUA_TBOOLEAN: w->bytes += 5; break;
    case LUA_TSTRING: w->bytes += 2 + lua_rawlen(L, idx) * 6; break;
    case LUA_TNUMBER:
      if (lua_isinteger(L, idx)) {
        lua_Integer v = lua_tointeger(L, idx);
        if (v >= EXACT_INT_LIMIT || v <= -EXACT_INT_LIMIT)
          luaL_error(L, "json.encode: integer %I has more than 14 digits and cannot be encoded exactly; "
                        "encode it as a string", v);
      } else if (!isfinite(lua_tonumber(L, idx))) {
        luaL_error(L, "json.encode: NaN and infinity have no JSON form");
      }
      w->bytes += 24;
      break;
    case LUA_TLIGHTUSERDATA:
      if (lua_touserdata(L, idx) == NULL) {
        w->bytes += 4;
        break;
      }
      luaL_error(L, "json.encode: cannot encode a userdata value");
      break;
    case LUA_TTABLE: walk_table(w, lua_absindex(L, idx), depth + 1); break;
    default: luaL_error(L, "json.encode: cannot encode a %s value", luaL_typename(L, idx));
  }
  orch_plan_charge(L, 1);
}

static int l_encode(lua_State *L) {
  luaL_checkany(L, 1);
  lua_settop(L, 1);
  struct orch_plan_sandbox *sb = orch_plan_sandbox_of(L);
  const struct orch_plan_limits *lim = orch_plan_sandbox_limits(sb);
  struct walk w = {L, 0, lim->json_bytes, lim->json_depth};
  walk_value(&w, 1, 0);
  if (w.bytes > w.max) return luaL_error(L, "json.encode: the text would exceed the JSON limit of %d bytes", (int)w.max);
  if (orch_plan_sandbox_memory(sb) + 2 * w.bytes + 4096 > lim->memory)
    return luaL_error(L, "json.encode: not enough memory left for %d bytes of JSON", (int)w.bytes);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, 1, 1);
  return 1;
}

static void config(lua_State *L, int cj, const char *fn, int nargs, ...) {
  va_list ap;
  lua_getfield(L, cj, fn);
  va_start(ap, nargs);
  for (int i = 0; i < nargs; i++) lua_pushinteger(L, va_arg(ap, int));
  va_end(ap);
  lua_call(L, nargs, 0);
}

void orch_plan_json_open(lua_State *L) {
  luaL_requiref(L, "cjson", luaopen_cjson, 0);
  int cj = lua_gettop(L);
  lua_getfield(L, cj, "decode_invalid_numbers");
  lua_pushboolean(L, 0);
  lua_call(L, 1, 0);
  config(L, cj, "decode_max_depth", 1, 1000);
  config(L, cj, "encode_max_depth", 1, 1000);
  lua_newtable(L);
  lua_getfield(L, cj, "encode");
  lua_pushcclosure(L, l_encode, 1);
  lua_setfield(L, -2, "encode");
  lua_getfield(L, cj, "decode");
  lua_pushcclosure(L, l_decode, 1);
  lua_setfield(L, -2, "decode");
  lua_pushlightuserdata(L, NULL);
  lua_setfield(L, -2, "null");
  lua_remove(L, cj);
}
