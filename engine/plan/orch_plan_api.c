/* orch_plan_api: lists the plan-facing API from a fresh sandbox. Uses orch_plan_sandbox,
 * orch_plan_modules, jansson. */
#include "plan/orch_plan_api.h"

#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

#include "plan/orch_plan_modules.h"
#include "plan/orch_plan_sandbox.h"

static int by_name(const void *a, const void *b) {
  return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

/* The sorted string keys of the table on top of the stack, appended to `arr`. */
static int keys_into(lua_State *L, json_t *arr) {
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    lua_pop(L, 1);
    if (lua_type(L, -1) == LUA_TSTRING && json_array_append_new(arr, json_string(lua_tostring(L, -1)))) return -1;
  }
  size_t n = json_array_size(arr);
  json_t **items = malloc(n * sizeof *items + 1);
  if (!items) return -1;
  for (size_t i = 0; i < n; i++) items[i] = json_incref(json_array_get(arr, i));
  qsort(items, n, sizeof *items, by_name);
  json_array_clear(arr);
  int rc = 0;
  for (size_t i = 0; i < n; i++)
    if (json_array_append_new(arr, items[i])) rc = -1;
  free(items);
  return rc;
}

static int describe_p(lua_State *L) {
  json_t *out = lua_touserdata(L, 1);
  json_t *g = json_object_get(out, "globals"), *c = json_object_get(out, "context"), *j = json_object_get(out, "json");
  orch_plan_modules_require_internal(L, "plan.dsl");
  lua_getfield(L, -1, "globals");
  if (keys_into(L, g)) return luaL_error(L, "out of memory");
  lua_pop(L, 2);
  orch_plan_modules_require_internal(L, "plan.context");
  lua_getfield(L, -1, "methods");
  lua_call(L, 0, 1);
  lua_newtable(L);
  for (lua_Integer i = 1; lua_rawgeti(L, -2, i) == LUA_TSTRING; i++) {
    lua_pushboolean(L, 1);
    lua_rawset(L, -3);
  }
  lua_pop(L, 1);
  if (keys_into(L, c)) return luaL_error(L, "out of memory");
  lua_pop(L, 3);
  /* json is a read-only proxy: its metatable's __index is the module table */
  static const char probe[] = "return json";
  orch_plan_load_chunk(L, probe, sizeof probe - 1, "=api", 0);
  lua_call(L, 0, 1);
  if (!lua_getmetatable(L, -1) || lua_getfield(L, -1, "__index") != LUA_TTABLE) return luaL_error(L, "json module missing");
  if (keys_into(L, j)) return luaL_error(L, "out of memory");
  lua_pop(L, 3);
  return 0;
}

int orch_plan_api_describe(json_t **out, struct orch_error *err) {
  *out = NULL;
  struct orch_plan_sandbox *sb = NULL;
  json_t *d = json_pack("{s:[], s:[], s:[]}", "globals", "context", "json");
  if (!d) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  int rc = orch_plan_sandbox_new(NULL, &sb, err);
  if (!rc) rc = orch_plan_protect(sb, describe_p, d, err);
  orch_plan_sandbox_free(sb);
  if (rc) {
    json_decref(d);
    return rc;
  }
  *out = d;
  return 0;
}
