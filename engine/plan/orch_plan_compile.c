/* orch_plan_compile: the C side of plan loading: runs lua/plan/compile.lua in a coroutine under the load
 * budget, turns its results (or the error that stopped the file) into a report, and provides the
 * internals the DSL and the validator use. Uses orch_plan_sandbox, orch_plan_value, orch_plan_modules,
 * orch_time, orch_str, orch_json, jansson. */
#include "plan/orch_plan_compile.h"

#include <errno.h>
#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

#include "aws/orch_aws_model.h"
#include "core/orch_alloc.h"
#include "core/orch_json.h"
#include "core/orch_opset.h"
#include "core/orch_str.h"
#include "core/orch_time.h"
#include "plan/orch_plan_modules.h"
#include "plan/orch_plan_value.h"

static const char HOOKFNS_KEY = 0;

struct orch_plan_report {
  char *file;
  json_t *problems;
  json_t *plan;
};

const json_t *orch_plan_report_problems(const struct orch_plan_report *r) { return r->problems; }
size_t orch_plan_report_count(const struct orch_plan_report *r) { return json_array_size(r->problems); }
const json_t *orch_plan_report_plan(const struct orch_plan_report *r) { return r->plan; }
const char *orch_plan_report_file(const struct orch_plan_report *r) { return r->file; }

void orch_plan_report_free(struct orch_plan_report *r) {
  if (!r) return;
  orch_free(r->file);
  json_decref(r->problems);
  json_decref(r->plan);
  orch_free(r);
}

json_t *orch_plan_report_json(const struct orch_plan_report *r) {
  return json_pack("{s:s, s:b, s:O, s:O}", "file", r->file, "ok", json_array_size(r->problems) == 0,
                   "problems", r->problems, "plan", r->plan ? r->plan : json_null());
}

int orch_plan_report_text(const struct orch_plan_report *r, struct orch_buf *out) {
  size_t i;
  json_t *p;
  json_array_foreach(r->problems, i, p) {
    const char *hint = json_string_value(json_object_get(p, "hint"));
    int rc = orch_buf_printf(out, "%s:%lld:%lld: error: %s [%s]\n", json_string_value(json_object_get(p, "file")),
                             (long long)json_integer_value(json_object_get(p, "line")),
                             (long long)json_integer_value(json_object_get(p, "column")),
                             json_string_value(json_object_get(p, "message")),
                             json_string_value(json_object_get(p, "code")));
    if (!rc && hint) rc = orch_buf_printf(out, "    hint: %s\n", hint);
    if (rc) return rc;
  }
  size_t n = json_array_size(r->problems);
  if (n) return orch_buf_printf(out, "%s: %zu problem%s\n", r->file, n, n == 1 ? "" : "s");
  json_t *st = json_object_get(r->plan, "stats");
  return orch_buf_printf(out, "%s: ok: plan '%s', %lld waves, %lld gates, %lld hooks\n", r->file,
                         json_string_value(json_object_get(r->plan, "name")),
                         (long long)json_integer_value(json_object_get(st, "waves")),
                         (long long)json_integer_value(json_object_get(st, "gates")),
                         (long long)json_integer_value(json_object_get(st, "hooks")));
}

static struct orch_plan_report *report_new(const char *file) {
  struct orch_plan_report *r = orch_calloc(1, sizeof *r);
  if (!r) return NULL;
  r->file = orch_strdup(file);
  r->problems = json_array();
  if (!r->file || !r->problems) {
    orch_plan_report_free(r);
    return NULL;
  }
  return r;
}

static int add_problem(struct orch_plan_report *r, const char *file, long line, long col, const char *code,
                       const char *message, const char *hint) {
  json_t *p = json_pack("{s:s, s:i, s:i, s:s, s:s}", "file", file, "line", (json_int_t)line, "column",
                        (json_int_t)col, "code", code, "message", message);
  if (!p) return ORCH_ENOMEM;
  if (hint && *hint && json_object_set_new(p, "hint", json_string(hint))) {
    json_decref(p);
    return ORCH_ENOMEM;
  }
  return json_array_append_new(r->problems, p) ? ORCH_ENOMEM : 0;
}

int orch_plan_read_file(const char *path, size_t max, struct orch_buf *out, struct orch_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f) return orch_error_setc(err, ORCH_EIO, path, "cannot open: %s", strerror(errno));
  char chunk[8192];
  size_t n;
  int rc = 0;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
    if (out->len + n > max) {
      rc = orch_error_setc(err, ORCH_ETOOBIG, path, "larger than the source limit of %zu bytes", max);
      break;
    }
    if (orch_buf_append(out, chunk, n)) {
      rc = orch_error_setc(err, ORCH_ENOMEM, path, "out of memory");
      break;
    }
  }
  if (!rc && ferror(f)) rc = orch_error_setc(err, ORCH_EIO, path, "read error");
  fclose(f);
  return rc;
}

/* ---- internals for lua/plan ---- */

static int l_caller(lua_State *L) {
  char where[ORCH_PLAN_WHERE_MAX];
  int line = orch_plan_where(L, 1, where, sizeof where);
  if (!line) {
    lua_pushliteral(L, "?");
    lua_pushinteger(L, 0);
    return 2;
  }
  char *colon = strrchr(where, ':');
  lua_pushlstring(L, where, (size_t)(colon - where));
  lua_pushinteger(L, line);
  return 2;
}

static int l_funcinfo(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_Debug ar;
  lua_pushvalue(L, 1);
  lua_getinfo(L, ">S", &ar);
  lua_pushstring(L, ar.source[0] == '@' || ar.source[0] == '=' ? ar.source + 1 : ar.short_src);
  lua_pushinteger(L, ar.linedefined);
  return 2;
}

static int l_nearest(lua_State *L) {
  const char *word = luaL_checkstring(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  const char *names[257];
  size_t n = 0;
  for (lua_Integer i = 1; n < 256; i++) {
    if (lua_rawgeti(L, 2, i) != LUA_TSTRING) {
      lua_pop(L, 1);
      break;
    }
    names[n++] = lua_tostring(L, -1); /* stays referenced by the table */
    lua_pop(L, 1);
  }
  names[n] = NULL;
  const char *near = orch_str_nearest(word, names);
  if (near) lua_pushstring(L, near);
  else lua_pushnil(L);
  return 1;
}

static int l_duration(lua_State *L) {
  const char *s = luaL_checkstring(L, 1);
  int64_t ms;
  struct orch_error err = {0};
  if (orch_duration_parse(s, &ms, &err)) {
    lua_pushnil(L);
    lua_pushstring(L, err.message);
    return 2;
  }
  lua_pushinteger(L, ms);
  return 1;
}

static int l_timestamp(lua_State *L) {
  const char *s = luaL_checkstring(L, 1);
  int64_t ms;
  if (orch_time_parse_iso8601(s, &ms)) {
    lua_pushnil(L);
    return 1;
  }
  lua_pushinteger(L, ms);
  return 1;
}

static int l_iso(lua_State *L) {
  char out[ORCH_TIME_ISO_MAX];
  orch_time_iso8601(out, luaL_checkinteger(L, 1));
  lua_pushstring(L, out);
  return 1;
}

static int l_array(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  if (!lua_getmetatable(L, 1)) {
    orch_plan_value_push_array_mt(L);
    lua_setmetatable(L, 1);
  } else {
    lua_pop(L, 1);
  }
  return 1;
}

static int l_loadplan(lua_State *L) {
  size_t len;
  const char *text = luaL_checklstring(L, 1, &len);
  const char *file = luaL_checkstring(L, 2);
  const struct orch_plan_limits *lim = orch_plan_sandbox_limits(orch_plan_sandbox_of(L));
  if (len > lim->source_bytes) {
    lua_pushnil(L);
    lua_pushfstring(L, "%s:1: the file is larger than the source limit of %d bytes", file, (int)lim->source_bytes);
    return 2;
  }
  orch_plan_charge_parse(L, len);
  lua_pushfstring(L, "@%s", file);
  if (luaL_loadbufferx(L, text, len, lua_tostring(L, -1), "t") != LUA_OK) {
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
  }
  orch_plan_push_env(L, false);
  if (!lua_setupvalue(L, -2, 1)) lua_pop(L, 1);
  return 1;
}

/* An entry naming a service or an operation the engine has no model for: w:aws could never make that
 * call, whatever the ceiling. Pushes (code, message, hint) and returns 3; 0 when the engine knows it. */
static int unsupported_entry(lua_State *L, const char *entry) {
  const char *colon = strchr(entry, ':');
  if (!colon) return 0; /* "*" */
  char service[64];
  snprintf(service, sizeof service, "%.*s", (int)(colon - entry), entry);
  const char *op = colon + 1;
  const struct orch_aws_service *svc = orch_aws_model_service(service);
  if (!svc) {
    struct orch_buf b = ORCH_BUF_INIT(400);
    const char *const *names = orch_aws_model_service_names();
    for (size_t i = 0; names && names[i]; i++)
      if (orch_buf_printf(&b, "%s%s", i ? ", " : "", names[i])) break;
    lua_pushliteral(L, "unsupported");
    lua_pushfstring(L, "'%s': the engine cannot call %s at all (it has no model for it)", entry, service);
    lua_pushfstring(L, "w:aws reaches %s", orch_buf_cstr(&b));
    orch_buf_free(&b);
    return 3;
  }
  if (strchr(op, '*') || orch_aws_model_operation(svc, op)) return 0;
  const char *near = orch_aws_model_suggest_operation(svc, op);
  lua_pushliteral(L, "unsupported");
  lua_pushfstring(L, "'%s': the engine's %s client has no operation %s", entry, service, op);
  if (near) lua_pushfstring(L, "did you mean '%s:%s'?", service, near);
  else lua_pushliteral(L, "the operations the engine embeds are listed in engine/aws/operations.txt");
  return 3;
}

/* orch.aws_allow_entry(entry): nil when the plan may list `entry` in aws_allow; else the problem code
 * ("bad_value", "unsupported", "not_permitted"), a message and a hint. */
static int l_aws_allow_entry(lua_State *L) {
  const char *entry = luaL_checkstring(L, 1);
  struct orch_error err = {0};
  if (orch_opset_entry_check(entry, false, &err)) {
    lua_pushliteral(L, "bad_value");
    lua_pushstring(L, err.message);
    lua_pushliteral(L, "aws_allow = { \"ec2:DescribeInstances\", \"drs:DescribeJobs\" }");
    return 3;
  }
  int n = unsupported_entry(L, entry);
  if (n) return n;
  const struct orch_opset *ceiling = orch_plan_sandbox_ceiling(orch_plan_sandbox_of(L));
  if (orch_opset_covers(ceiling, entry)) return 0;
  const char *colon = strchr(entry, ':');
  char service[64];
  snprintf(service, sizeof service, "%.*s", colon ? (int)(colon - entry) : 0, entry);
  struct orch_buf b = ORCH_BUF_INIT(400);
  int rc = orch_opset_describe(ceiling, service, &b);
  lua_pushliteral(L, "not_permitted");
  lua_pushfstring(L, "'%s' is beyond what this engine lets plans call (its plans.aws_allow_ceiling)", entry);
  lua_pushfstring(L, "for %s the ceiling allows %s%s; ask the operator to widen it, or name only those", colon ? service : "this",
                  rc ? "" : orch_buf_cstr(&b), rc ? "..." : "");
  orch_buf_free(&b);
  return 3;
}

static int l_keep_hooks(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &HOOKFNS_KEY);
  return 0;
}

void orch_plan_compile_open(lua_State *L) {
  static const luaL_Reg funcs[] = {{"caller", l_caller},     {"funcinfo", l_funcinfo},   {"nearest", l_nearest},
                                   {"duration", l_duration}, {"timestamp", l_timestamp}, {"iso", l_iso},
                                   {"array", l_array},       {"loadplan", l_loadplan},   {"keep_hooks", l_keep_hooks},
                                   {"aws_allow_entry", l_aws_allow_entry},
                                   {NULL, NULL}};
  orch_plan_push_internals(L);
  luaL_setfuncs(L, funcs, 0);
  lua_pop(L, 1);
}

int orch_plan_compile_push_hook(lua_State *L, const char *id) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &HOOKFNS_KEY) != LUA_TTABLE) return LUA_TNIL;
  int t = lua_getfield(L, -1, id);
  lua_remove(L, -2);
  return t;
}

/* ---- compile ---- */

struct compile_setup {
  const char *text, *file;
  size_t len;
  const char *const *groups;
};

static int compile_setup_p(lua_State *L) {
  struct compile_setup *s = lua_touserdata(L, 1);
  orch_plan_modules_require_internal(L, "plan.compile");
  lua_getfield(L, -1, "run");
  lua_remove(L, -2);
  lua_pushlstring(L, s->text, s->len);
  lua_pushstring(L, s->file);
  if (s->groups) {
    lua_newtable(L);
    for (lua_Integer i = 0; s->groups[i]; i++) {
      lua_pushstring(L, s->groups[i]);
      lua_rawseti(L, -2, i + 1);
    }
  } else {
    lua_pushnil(L);
  }
  return 4;
}

static int clear_sources_p(lua_State *L) {
  orch_plan_push_internals(L);
  lua_pushnil(L);
  lua_setfield(L, -2, "sources");
  return 0;
}

/* The column of a name quoted in `msg` ('x') on line `line` of `text`; else the first non-blank. */
static long error_column(const char *text, size_t len, long line, const char *msg) {
  const char *p = text, *end = text + len;
  for (long l = 1; l < line && p < end; l++) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl) return 1;
    p = nl + 1;
  }
  const char *eol = memchr(p, '\n', (size_t)(end - p));
  if (!eol) eol = end;
  const char *q1 = strchr(msg, '\''), *q2 = q1 ? strchr(q1 + 1, '\'') : NULL;
  if (q1 && q2 && q2 > q1 + 1) {
    size_t n = (size_t)(q2 - q1 - 1);
    for (const char *s = p; s + n <= eol; s++)
      if (memcmp(s, q1 + 1, n) == 0) return (long)(s - p) + 1;
  }
  for (const char *s = p; s < eol; s++)
    if (*s != ' ' && *s != '\t') return (long)(s - p) + 1;
  return 1;
}

static int report_from_error(struct orch_plan_report *r, const struct orch_plan_entry *e,
                             const struct orch_error *lerr, const char *text, size_t len) {
  char file[ORCH_PLAN_WHERE_MAX];
  long line = 1;
  snprintf(file, sizeof file, "%s", lerr->context[0] ? lerr->context : r->file);
  char *colon = strrchr(file, ':');
  long long ll;
  if (colon && orch_str_to_ll(colon + 1, 1, 100000000, &ll) == 0) {
    *colon = '\0';
    line = (long)ll;
  }
  long col = strcmp(file, r->file) == 0 ? error_column(text, len, line, lerr->message) : 1;
  const char *code = lerr->code == ORCH_ELIMIT ? "limit" : "runtime";
  return add_problem(r, file, line, col, code, lerr->message, e->hint[0] ? e->hint : NULL);
}

int orch_plan_compile(struct orch_plan_sandbox *sb, const struct orch_plan_source *src,
                      const struct orch_plan_options *opt, struct orch_plan_report **out, struct orch_error *err) {
  *out = NULL;
  struct orch_buf text = ORCH_BUF_INIT(0);
  struct orch_plan_entry e;
  struct orch_error lerr = {0};
  lua_State *co = NULL;
  int ref = LUA_NOREF, rc = 0;
  orch_plan_entry_init(&e, sb, NULL);
  struct orch_plan_report *r = report_new(src->file);
  if (!r) {
    rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
    goto fail;
  }
  const char *t = src->text;
  size_t len = src->len;
  if (!t) {
    rc = orch_plan_read_file(src->file, orch_plan_sandbox_limits(sb)->source_bytes, &text, &lerr);
    if (rc == ORCH_ENOMEM) goto fail_copy;
    if (rc) {
      rc = add_problem(r, src->file, 1, 1, "io", lerr.message, NULL);
      if (rc) goto fail_nomem;
      goto done;
    }
    t = orch_buf_cstr(&text);
    len = text.len;
  }
  rc = orch_plan_thread_new(sb, &e, &co, &ref, &lerr);
  if (rc) goto load_failed;
  struct compile_setup setup = {t, src->file, len, opt ? opt->known_groups : NULL};
  rc = orch_plan_thread_setup(sb, co, compile_setup_p, &setup, &lerr);
  if (rc) goto load_failed;
  int nres = 0;
  enum orch_plan_status st = orch_plan_resume(&e, co, 3, &nres, &lerr);
  if (st == ORCH_PLAN_YIELDED) {
    orch_error_setc(&lerr, ORCH_ELUA, "", "host calls are only available inside hooks");
    st = ORCH_PLAN_ERROR;
  }
  if (st != ORCH_PLAN_DONE) {
    rc = report_from_error(r, &e, &lerr, t, len);
    if (rc) goto fail_nomem;
    goto done;
  }
  int base = lua_gettop(co) - nres + 1;
  json_t *problems = NULL;
  /* the report can hold no more than the state that made it: its JSON is capped at the memory limit */
  struct orch_plan_value_budget budget = {.max_bytes = orch_plan_sandbox_limits(sb)->memory};
  rc = orch_plan_value_to_json(co, base + 1, 16, &budget, &problems, &lerr);
  if (rc) goto load_failed;
  json_decref(r->problems);
  r->problems = json_is_array(problems) ? problems : json_array();
  if (!json_is_array(problems)) json_decref(problems);
  if (!r->problems) goto fail_nomem;
  if (json_array_size(r->problems) == 0) {
    budget.bytes = 0;
    budget.nodes = 0;
    rc = orch_plan_value_to_json(co, base, 32, &budget, &r->plan, &lerr);
    if (rc) goto load_failed;
  }
  goto done;

load_failed:
  /* The sandbox itself could not run the loader (out of memory in the state, or a broken invariant). */
  rc = add_problem(r, src->file, 1, 1, lerr.code == ORCH_ELIMIT ? "limit" : "runtime", lerr.message, NULL);
  if (rc) goto fail_nomem;
done:
  orch_plan_thread_release(sb, &e, co, ref);
  int crc = orch_plan_protect(sb, clear_sources_p, NULL, NULL); /* fails only out of memory: the sources then go with the state */
  (void)crc;
  orch_plan_sandbox_collect(sb);
  orch_plan_entry_clear(&e);
  orch_buf_free(&text);
  *out = r;
  return 0;

fail_copy:
  orch_error_setc(err, lerr.code, lerr.context, "%s", lerr.message);
  goto fail;
fail_nomem:
  rc = orch_error_set(err, ORCH_ENOMEM, "out of memory building the plan report");
fail:
  orch_plan_thread_release(sb, &e, co, ref);
  orch_plan_entry_clear(&e);
  orch_plan_report_free(r);
  orch_buf_free(&text);
  return rc;
}

static char *dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return orch_strdup(".");
  if (slash == path) return orch_strdup("/");
  return orch_strndup(path, (size_t)(slash - path));
}

int orch_plan_validate(const struct orch_plan_sandbox_config *cfg, const struct orch_plan_source *src,
                       const struct orch_plan_options *opt, struct orch_plan_report **out, struct orch_error *err) {
  struct orch_plan_sandbox_config c = {0};
  struct orch_plan_sandbox *sb = NULL;
  char *dir = NULL;
  if (cfg) c = *cfg;
  if (!c.module_dir && !c.modsrc && !src->text) {
    dir = dir_of(src->file);
    if (!dir) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
    c.module_dir = dir;
  }
  int rc = orch_plan_sandbox_new(&c, &sb, err);
  if (!rc) rc = orch_plan_compile(sb, src, opt, out, err);
  orch_plan_sandbox_free(sb);
  orch_free(dir);
  return rc;
}
