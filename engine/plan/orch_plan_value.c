/* orch_plan_value: raw-table walks from Lua to jansson and back, each paying for its work as it goes,
 * canonical JSON and SHA-256. Uses Lua, jansson, OpenSSL EVP, orch_buf, orch_str, orch_json,
 * orch_plan_sandbox (charges). */
#include "plan/orch_plan_value.h"

#include <lauxlib.h>
#include <math.h>
#include <stdbool.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "core/orch_json.h"
#include "core/orch_str.h"
#include "plan/orch_plan_sandbox.h"

static const char ARRAY_MT_KEY = 0;

void orch_plan_value_push_array_mt(lua_State *L) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &ARRAY_MT_KEY) == LUA_TTABLE) return;
  lua_pop(L, 1);
  lua_createtable(L, 0, 1);
  lua_pushliteral(L, "array");
  lua_setfield(L, -2, "__name");
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &ARRAY_MT_KEY);
}

static int is_array_marked(lua_State *L, int idx) {
  if (!lua_getmetatable(L, idx)) return 0;
  int marked = lua_rawgetp(L, LUA_REGISTRYINDEX, &ARRAY_MT_KEY) == LUA_TTABLE && lua_rawequal(L, -1, -2);
  lua_pop(L, 2);
  return marked;
}

struct walk {
  lua_State *L;
  struct orch_plan_value_budget *b;
  struct orch_error *err;
};

/* Count `bytes` of output and one value; false (with the error set) once over budget. */
static bool spend(struct walk *w, size_t bytes, const char *path) {
  struct orch_plan_value_budget *b = w->b;
  b->bytes += bytes;
  b->nodes++;
  if (b->max_bytes && b->bytes > b->max_bytes) {
    orch_error_setc(w->err, ORCH_ETOOBIG, path[0] ? path : "(value)", "more than %zu bytes as JSON", b->max_bytes);
    return false;
  }
  if (b->max_nodes && b->nodes > b->max_nodes) {
    orch_error_setc(w->err, ORCH_ELIMIT, path[0] ? path : "(value)", "more values than the instruction budget covers");
    return false;
  }
  return true;
}

static int to_json(struct walk *w, int idx, int depth, const char *path, json_t **out);

static int table_to_json(struct walk *w, int idx, int depth, const char *path, json_t **out) {
  lua_State *L = w->L;
  struct orch_error *err = w->err;
  if (depth <= 0)
    return orch_error_setc(err, ORCH_ETOOBIG, path[0] ? path : "(value)",
                           "nested too deeply (or a table contains itself)");
  if (!lua_checkstack(L, 4)) return orch_error_setc(err, ORCH_ETOOBIG, path, "nested too deeply");
  size_t n = lua_rawlen(L, idx), count = 0, strkeys = 0;
  int badkey = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    count++;
    if (lua_type(L, -2) == LUA_TSTRING) strkeys++;
    else if (!lua_isinteger(L, -2) || lua_tointeger(L, -2) < 1 || (size_t)lua_tointeger(L, -2) > n) badkey = 1;
    lua_pop(L, 1);
    if (!spend(w, 1, path)) { /* a separator per member: the scan is paid for as it goes */
      lua_pop(L, 1);
      return w->err->code;
    }
  }
  if (!spend(w, 2, path)) return err->code; /* the brackets */
  char sub[ORCH_JSON_PATH_MAX];
  if (strkeys && strkeys < count)
    return orch_error_setc(err, ORCH_ETYPE, path[0] ? path : "(value)",
                           "a table cannot have both list items and named fields");
  if (badkey && !strkeys)
    return orch_error_setc(err, ORCH_ETYPE, path[0] ? path : "(value)",
                           "a list must have keys 1..n without holes (or use string keys for an object)");
  if (!strkeys && (n > 0 || is_array_marked(L, idx))) {
    json_t *arr = json_array();
    if (!arr) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
    for (size_t i = 1; i <= n; i++) {
      lua_rawgeti(L, idx, (lua_Integer)i);
      json_t *v = NULL;
      orch_json_path_index(sub, path, i - 1);
      int rc = to_json(w, lua_gettop(L), depth - 1, sub, &v);
      lua_pop(L, 1);
      if (rc || json_array_append_new(arr, v)) {
        json_decref(arr);
        return rc ? rc : orch_error_set(err, ORCH_ENOMEM, "out of memory");
      }
    }
    *out = arr;
    return 0;
  }
  json_t *obj = json_object();
  if (!obj) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    if (lua_type(L, -2) != LUA_TSTRING) {
      lua_pop(L, 2);
      json_decref(obj);
      return orch_error_setc(err, ORCH_ETYPE, path[0] ? path : "(value)",
                             "a table cannot have both list items and named fields");
    }
    size_t klen;
    const char *k = lua_tolstring(L, -2, &klen);
    orch_json_path_key(sub, path, k);
    json_t *v = NULL;
    int rc = spend(w, klen + 3, sub) ? to_json(w, lua_gettop(L), depth - 1, sub, &v) : err->code;
    if (!rc && json_object_setn_new(obj, k, klen, v)) rc = orch_error_setc(err, ORCH_ETYPE, sub, "key is not valid UTF-8");
    lua_pop(L, 1);
    if (rc) {
      lua_pop(L, 1);
      json_decref(obj);
      return rc;
    }
  }
  *out = obj;
  return 0;
}

static int to_json(struct walk *w, int idx, int depth, const char *path, json_t **out) {
  lua_State *L = w->L;
  struct orch_error *err = w->err;
  json_t *j = NULL;
  const char *where = path[0] ? path : "(value)";
  size_t bytes = 4;
  switch (lua_type(L, idx)) {
    case LUA_TNIL: j = json_null(); break;
    case LUA_TBOOLEAN: j = lua_toboolean(L, idx) ? json_true() : json_false(); break;
    case LUA_TNUMBER:
      bytes = 24; /* a real with 17 significant digits and an exponent */
      if (lua_isinteger(L, idx)) {
        lua_Integer v = lua_tointeger(L, idx);
        bytes = v < 0 ? 2 : 1;
        for (lua_Integer x = v / 10; x; x /= 10) bytes++;
        j = json_integer((json_int_t)v);
      } else {
        double d = (double)lua_tonumber(L, idx);
        if (!isfinite(d)) return orch_error_setc(err, ORCH_ETYPE, where, "NaN and infinity have no JSON form");
        j = json_real(d);
      }
      break;
    case LUA_TSTRING: {
      size_t len;
      const char *s = lua_tolstring(L, idx, &len);
      if (!spend(w, len + 2, path)) return err->code; /* before jansson copies and checks it */
      j = json_stringn(s, len);
      if (!j) return orch_error_setc(err, ORCH_ETYPE, where, "string is not valid UTF-8");
      *out = j;
      return 0;
    }
    case LUA_TLIGHTUSERDATA:
      if (lua_touserdata(L, idx) == NULL) {
        j = json_null();
        break;
      }
      return orch_error_setc(err, ORCH_ETYPE, where, "cannot pass a userdata value");
    case LUA_TTABLE: return table_to_json(w, lua_absindex(L, idx), depth, path, out);
    default: return orch_error_setc(err, ORCH_ETYPE, where, "cannot pass a %s value", luaL_typename(L, idx));
  }
  if (!j) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  if (!spend(w, bytes, path)) {
    json_decref(j);
    return err->code;
  }
  *out = j;
  return 0;
}

int orch_plan_value_to_json(lua_State *L, int idx, int max_depth, struct orch_plan_value_budget *budget, json_t **out,
                            struct orch_error *err) {
  struct orch_plan_value_budget unlimited = {0};
  struct orch_error local = {0};
  struct walk w = {L, budget ? budget : &unlimited, err ? err : &local};
  *out = NULL;
  return to_json(&w, lua_absindex(L, idx), max_depth > 0 ? max_depth : ORCH_JSON_DEFAULT_MAX_DEPTH, "", out);
}

/* Values pushed between two charges while converting a host's answer to Lua. */
#define PUSH_CHARGE_EVERY 256

static void push_value(lua_State *L, const json_t *j, uint64_t *pending) {
  if (++*pending >= PUSH_CHARGE_EVERY) {
    orch_plan_charge(L, *pending);
    *pending = 0;
  }
  luaL_checkstack(L, 3, "JSON value nested too deeply");
  switch (json_typeof(j)) {
    case JSON_OBJECT: {
      lua_createtable(L, 0, (int)json_object_size(j));
      /* jansson iterates through a non-const pointer without modifying the object */
      union {
        const json_t *c;
        json_t *m;
      } obj = {j};
      const char *k;
      json_t *v;
      json_object_foreach(obj.m, k, v) {
        push_value(L, v, pending);
        lua_setfield(L, -2, k);
      }
      break;
    }
    case JSON_ARRAY: {
      lua_createtable(L, (int)json_array_size(j), 0);
      size_t i;
      json_t *v;
      json_array_foreach(j, i, v) {
        push_value(L, v, pending);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
      }
      break;
    }
    case JSON_STRING:
      *pending += json_string_length(j) / 64;
      lua_pushlstring(L, json_string_value(j), json_string_length(j));
      break;
    case JSON_INTEGER: lua_pushinteger(L, (lua_Integer)json_integer_value(j)); break;
    case JSON_REAL: lua_pushnumber(L, (lua_Number)json_real_value(j)); break;
    case JSON_TRUE: lua_pushboolean(L, 1); break;
    case JSON_FALSE: lua_pushboolean(L, 0); break;
    case JSON_NULL: lua_pushlightuserdata(L, NULL); break;
  }
}

void orch_plan_value_push(lua_State *L, const json_t *j) {
  uint64_t pending = 0;
  push_value(L, j, &pending);
  orch_plan_charge(L, pending);
}

/* Bytes of `j` as compact JSON (strings unescaped), counting no further than `max`. */
static size_t json_size(const json_t *j, size_t max, int depth) {
  if (depth > 4096) return max + 1;
  size_t n = 0;
  switch (json_typeof(j)) {
    case JSON_OBJECT: {
      union {
        const json_t *c;
        json_t *m;
      } obj = {j};
      const char *k;
      json_t *v;
      n = 2;
      json_object_foreach(obj.m, k, v) {
        n += strlen(k) + 4 + json_size(v, max - (n < max ? n : max), depth + 1);
        if (n > max) return n;
      }
      return n;
    }
    case JSON_ARRAY: {
      size_t i;
      json_t *v;
      n = 2;
      json_array_foreach(j, i, v) {
        n += 1 + json_size(v, max - (n < max ? n : max), depth + 1);
        if (n > max) return n;
      }
      return n;
    }
    case JSON_STRING: return json_string_length(j) + 2;
    case JSON_INTEGER:
    case JSON_REAL: return 20;
    default: return 5;
  }
}

bool orch_plan_value_fits(const json_t *j, size_t max) { return !j || json_size(j, max, 0) <= max; }

int orch_plan_value_canonical(const json_t *j, struct orch_buf *out) {
  return orch_json_dump(out, j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
}

int orch_plan_value_sha256(const void *data, size_t len, char out[ORCH_PLAN_HASH_HEX]) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL)) return ORCH_EINTERNAL;
  orch_str_hex(out, md, mdlen);
  return 0;
}
