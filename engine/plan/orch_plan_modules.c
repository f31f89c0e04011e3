/* orch_plan_modules: require for plans and for the engine's own Lua modules, with a per-execution cache,
 * cycle detection, a module count limit, read-only views of the engine library, and the directory source
 * for plan modules. Uses orch_plan_sandbox, orch_plan_stdlib, orch_plan_embedded, orch_buf, orch_str,
 * orch_alloc. */
#include "plan/orch_plan_modules.h"

#include <errno.h>
#include <lauxlib.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/orch_alloc.h"
#include "core/orch_str.h"
#include "plan/orch_plan_embedded.h"
#include "plan/orch_plan_stdlib.h"

static const char LOADED_KEY, BOX_MT_KEY;
static char LOADING; /* its address marks a module being loaded */

const struct orch_plan_embedded *orch_plan_embedded_find(const char *name) {
  for (const struct orch_plan_embedded *m = orch_plan_embedded_modules; m->name; m++)
    if (strcmp(m->name, name) == 0) return m;
  return NULL;
}

int orch_plan_module_name_ok(const char *name) {
  size_t n = strlen(name);
  if (n == 0 || n > ORCH_PLAN_MODULE_NAME_MAX) return 0;
  int at_start = 1;
  for (const char *p = name; *p; p++) {
    char c = *p;
    if (c == '.') {
      if (at_start) return 0;
      at_start = 1;
      continue;
    }
    int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    int digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && !at_start)) return 0;
    at_start = 0;
  }
  return !at_start;
}

int orch_plan_modules_init(struct orch_plan_modules *m, const char *dir, const struct orch_plan_modsrc_ops *ops,
                           void *ctx, struct orch_error *err) {
  memset(m, 0, sizeof *m);
  if (ops) {
    m->ops = ops;
    m->ctx = ctx;
    return 0;
  }
  if (!dir) return 0;
  m->dir = orch_strdup(dir);
  if (!m->dir) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  m->ops = &orch_plan_modsrc_dir;
  m->ctx = m->dir;
  return 0;
}

void orch_plan_modules_free(struct orch_plan_modules *m) {
  if (!m) return;
  orch_free(m->dir);
  m->dir = NULL;
}

/* ---- the directory source ---- */

static int dir_read(void *ctx, const char *name, struct orch_buf *out, char *path, size_t pathsz,
                    struct orch_error *err) {
  const char *dir = ctx;
  struct orch_buf rel = ORCH_BUF_INIT(1024);
  char realdir[PATH_MAX], realfile[PATH_MAX];
  FILE *f = NULL;
  int rc = 0;
  for (const char *p = name; *p; p++)
    if (orch_buf_putc(&rel, *p == '.' ? '/' : *p)) break;
  if (orch_buf_puts(&rel, ".lua")) {
    rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
    goto out;
  }
  snprintf(path, pathsz, "%s/%s", dir, orch_buf_cstr(&rel));
  if (!realpath(dir, realdir)) {
    rc = orch_error_set(err, ORCH_ENOTFOUND, "module directory %s: %s", dir, strerror(errno));
    goto out;
  }
  if (!realpath(path, realfile)) {
    rc = orch_error_set(err, ORCH_ENOTFOUND, "no file %s", path);
    goto out;
  }
  size_t dl = strlen(realdir);
  if (strncmp(realfile, realdir, dl) != 0 || (realfile[dl] != '/' && dl > 1)) {
    rc = orch_error_set(err, ORCH_EPERM, "%s resolves outside the plan's directory", path);
    goto out;
  }
  f = fopen(realfile, "rb");
  if (!f) {
    rc = orch_error_set(err, ORCH_EIO, "cannot open %s: %s", path, strerror(errno));
    goto out;
  }
  char chunk[8192];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
    if (orch_buf_append(out, chunk, n)) {
      rc = orch_error_set(err, out->err, "%s is larger than the source limit", path);
      goto out;
    }
  }
  if (ferror(f)) rc = orch_error_set(err, ORCH_EIO, "reading %s failed", path);
out:
  if (f) fclose(f);
  orch_buf_free(&rel);
  return rc;
}

const struct orch_plan_modsrc_ops orch_plan_modsrc_dir = {.read = dir_read};

/* ---- require ---- */

struct src_box {
  struct orch_buf b;
};

static int box_gc(lua_State *L) {
  struct src_box *bx = lua_touserdata(L, 1);
  orch_buf_free(&bx->b);
  return 0;
}

static void engine_names(const char *prefix, const char **names, size_t max) {
  size_t n = 0;
  for (const struct orch_plan_embedded *m = orch_plan_embedded_modules; m->name && n + 1 < max; m++)
    if (orch_str_starts_with(m->name, prefix)) names[n++] = m->name;
  names[n] = NULL;
}

/* Keep a plan module's text where the validator can find it (orch.sources[path]), while it exists. */
static void note_source(lua_State *L, const char *path, const char *text, size_t len) {
  orch_plan_push_internals(L);
  if (lua_getfield(L, -1, "sources") == LUA_TTABLE) {
    lua_pushlstring(L, text, len);
    lua_setfield(L, -2, path);
  }
  lua_pop(L, 2);
}

/* Push the chunk of `name` (engine or plan module). */
static void load_module(lua_State *L, const char *name, int internal) {
  const struct orch_plan_embedded *emb = NULL;
  if (internal || orch_str_starts_with(name, "drs.")) emb = orch_plan_embedded_find(name);
  if (emb) {
    lua_pushfstring(L, "=%s", emb->path);
    const char *chunkname = lua_tostring(L, -1);
    orch_plan_push_env(L, orch_str_starts_with(name, "plan."));
    orch_plan_load_chunk(L, (const char *)emb->src, emb->len, chunkname, -1);
    lua_replace(L, -3);
    lua_pop(L, 1);
    return;
  }
  if (internal || orch_str_starts_with(name, "drs.")) {
    const char *names[32];
    engine_names("drs.", names, 32);
    const char *near = orch_str_nearest(name, names);
    char hint[160];
    if (near) snprintf(hint, sizeof hint, "did you mean '%s'?", near);
    else snprintf(hint, sizeof hint, "the engine library has drs.checks, drs.wait and drs.ssm");
    orch_plan_raise_hint(L, hint, "module '%s' not found in the engine library", name);
    return;
  }
  struct orch_plan_sandbox *sb = orch_plan_sandbox_of(L);
  struct orch_plan_modules *m = orch_plan_sandbox_modules(sb);
  if (!m->ops) {
    orch_plan_raise_hint(L, "plan modules are only available when the plan has a directory",
                         "module '%s' not found", name);
    return;
  }
  struct src_box *bx = lua_newuserdatauv(L, sizeof *bx, 0);
  orch_buf_init(&bx->b, orch_plan_sandbox_limits(sb)->source_bytes + 1);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &BOX_MT_KEY);
  lua_setmetatable(L, -2);
  char path[512];
  struct orch_error err = {0};
  path[0] = '\0';
  int rc = m->ops->read(m->ctx, name, &bx->b, path, sizeof path, &err);
  if (rc == ORCH_ENOTFOUND) {
    orch_plan_raise_hint(L, "plan modules live next to the plan: require \"lib.hooks\" reads lib/hooks.lua",
                         "module '%s' not found (%s)", name, err.message);
    return;
  }
  if (rc) {
    luaL_error(L, "module '%s': %s", name, err.message);
    return;
  }
  lua_pushfstring(L, "@%s", path);
  const char *chunkname = lua_tostring(L, -1);
  note_source(L, path, orch_buf_cstr(&bx->b), bx->b.len);
  orch_plan_load_chunk(L, orch_buf_cstr(&bx->b), bx->b.len, chunkname, 0);
  lua_replace(L, -3); /* chunk over the box */
  lua_pop(L, 1);
  orch_buf_free(&bx->b);
}

static int require_common(lua_State *L, const char *name, int internal) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &LOADED_KEY);
  int loaded = lua_gettop(L);
  int t = lua_getfield(L, loaded, name);
  if (t == LUA_TLIGHTUSERDATA && lua_touserdata(L, -1) == &LOADING)
    return luaL_error(L, "module '%s' is already being loaded (a circular require, or its first load failed)", name);
  if (t != LUA_TNIL) return 1;
  lua_pop(L, 1);
  struct orch_plan_sandbox *sb = orch_plan_sandbox_of(L);
  struct orch_plan_modules *m = orch_plan_sandbox_modules(sb);
  if (m->count >= orch_plan_sandbox_limits(sb)->modules)
    return orch_plan_abort(L, ORCH_ELIMIT, "module limit of %zu reached loading '%s'",
                           orch_plan_sandbox_limits(sb)->modules, name);
  load_module(L, name, internal);
  lua_pushlightuserdata(L, (void *)&LOADING);
  lua_setfield(L, loaded, name);
  m->count++;
  lua_pushstring(L, name);
  lua_call(L, 1, 1);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    lua_pushboolean(L, 1);
  }
  /* The engine library is shared by every module of the execution, and its own functions call each other
   * through these tables (drs.checks uses drs.ssm): plans get read-only views. */
  if (orch_str_starts_with(name, "drs.") && lua_type(L, -1) == LUA_TTABLE) {
    orch_plan_push_readonly(L, -1, name);
    lua_remove(L, -2);
  }
  lua_pushvalue(L, -1);
  lua_setfield(L, loaded, name);
  return 1;
}

static int l_require(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  if (!orch_plan_module_name_ok(name))
    return luaL_argerror(L, 1, "module names are dotted identifiers such as \"lib.hooks\" or \"drs.checks\"");
  if (orch_str_starts_with(name, "plan."))
    return luaL_error(L, "module '%s' is internal to the engine", name);
  lua_settop(L, 1);
  return require_common(L, name, 0);
}

static int l_require_internal(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  lua_settop(L, 1);
  return require_common(L, name, 1);
}

void orch_plan_modules_require_internal(lua_State *L, const char *name) {
  lua_pushcfunction(L, l_require_internal);
  lua_pushstring(L, name);
  lua_call(L, 1, 1);
}

void orch_plan_modules_open(lua_State *L, int base) {
  base = lua_absindex(L, base);
  lua_newtable(L);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &LOADED_KEY);
  lua_newtable(L);
  lua_pushcfunction(L, box_gc);
  lua_setfield(L, -2, "__gc");
  lua_rawsetp(L, LUA_REGISTRYINDEX, &BOX_MT_KEY);
  lua_pushcfunction(L, l_require);
  lua_setfield(L, base, "require");
  orch_plan_push_internals(L);
  lua_pushcfunction(L, l_require_internal);
  lua_setfield(L, -2, "require");
  lua_pop(L, 1);
}
