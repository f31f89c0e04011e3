/* orch_plan_pattern: a step-counted implementation of Lua 5.4 patterns (classes, sets, quantifiers,
 * anchors, captures, position captures, %b, %f, back-references) and the four string functions built
 * on it. Uses orch_plan_sandbox (limits, charge, abort). */
#define _GNU_SOURCE 1 /* memmem */
#include "plan/orch_plan_pattern.h"

#include <ctype.h>
#include <lauxlib.h>
#include <stdint.h>
#include <string.h>

#include "plan/orch_plan_sandbox.h"

#define PAT_ESC '%'
#define PAT_SPECIALS "^$*+?.([%-"
#define PAT_MAXCAPTURES 32
#define PAT_MAXDEPTH 200
#define CAP_UNFINISHED (-1)
#define CAP_POSITION (-2)

struct capture {
  const char *init;
  ptrdiff_t len;
};

struct mstate {
  lua_State *L;
  const char *src_init, *src_end, *p_end;
  int depth, level;
  uint64_t steps, max_steps;
  struct capture capture[PAT_MAXCAPTURES];
};

static const char *do_match(struct mstate *ms, const char *s, const char *p);

static void step(struct mstate *ms) {
  if (++ms->steps > ms->max_steps)
    orch_plan_abort(ms->L, ORCH_ELIMIT,
                    "pattern matching limit of %llu steps exceeded (simplify the pattern or match a smaller string)",
                    (unsigned long long)ms->max_steps);
}

static int check_capture(struct mstate *ms, int l) {
  l -= '1';
  if (l < 0 || l >= ms->level || ms->capture[l].len == CAP_UNFINISHED)
    return luaL_error(ms->L, "invalid capture index %%%d in pattern", l + 1);
  return l;
}

static int capture_to_close(struct mstate *ms) {
  for (int level = ms->level - 1; level >= 0; level--)
    if (ms->capture[level].len == CAP_UNFINISHED) return level;
  return luaL_error(ms->L, "invalid pattern capture");
}

static const char *class_end(struct mstate *ms, const char *p) {
  char c = *p++;
  if (c == PAT_ESC) {
    if (p == ms->p_end) luaL_error(ms->L, "malformed pattern (ends with '%%')");
    return p + 1;
  }
  if (c == '[') {
    if (*p == '^') p++;
    do {
      if (p == ms->p_end) luaL_error(ms->L, "malformed pattern (missing ']')");
      if (*(p++) == PAT_ESC && p < ms->p_end) p++;
    } while (*p != ']');
    return p + 1;
  }
  return p;
}

static int match_class(int c, int cl) {
  int res;
  switch (tolower(cl)) {
    case 'a': res = isalpha(c); break;
    case 'c': res = iscntrl(c); break;
    case 'd': res = isdigit(c); break;
    case 'g': res = isgraph(c); break;
    case 'l': res = islower(c); break;
    case 'p': res = ispunct(c); break;
    case 's': res = isspace(c); break;
    case 'u': res = isupper(c); break;
    case 'w': res = isalnum(c); break;
    case 'x': res = isxdigit(c); break;
    default: return cl == c;
  }
  if (isupper(cl)) res = !res;
  return res != 0;
}

/* p points at '[', ec at the closing ']'. */
static int match_set(int c, const char *p, const char *ec) {
  int sig = 1;
  if (*(p + 1) == '^') {
    sig = 0;
    p++;
  }
  while (++p < ec) {
    if (*p == PAT_ESC) {
      p++;
      if (match_class(c, (unsigned char)*p)) return sig;
    } else if (*(p + 1) == '-' && p + 2 < ec) {
      p += 2;
      if ((unsigned char)*(p - 2) <= c && c <= (unsigned char)*p) return sig;
    } else if ((unsigned char)*p == c) {
      return sig;
    }
  }
  return !sig;
}

static int single_match(struct mstate *ms, const char *s, const char *p, const char *ep) {
  if (s >= ms->src_end) return 0;
  int c = (unsigned char)*s;
  switch (*p) {
    case '.': return 1;
    case PAT_ESC: return match_class(c, (unsigned char)*(p + 1));
    case '[': return match_set(c, p, ep - 1);
    default: return (unsigned char)*p == c;
  }
}

static const char *match_balance(struct mstate *ms, const char *s, const char *p) {
  if (p + 1 >= ms->p_end) luaL_error(ms->L, "malformed pattern (missing arguments to '%%b')");
  if (s >= ms->src_end || *s != *p) return NULL;
  int b = *p, e = *(p + 1), cont = 1;
  while (++s < ms->src_end) {
    step(ms);
    if (*s == e) {
      if (--cont == 0) return s + 1;
    } else if (*s == b) {
      cont++;
    }
  }
  return NULL;
}

static const char *max_expand(struct mstate *ms, const char *s, const char *p, const char *ep) {
  ptrdiff_t i = 0;
  while (single_match(ms, s + i, p, ep)) {
    step(ms);
    i++;
  }
  while (i >= 0) {
    step(ms);
    const char *res = do_match(ms, s + i, ep + 1);
    if (res) return res;
    i--;
  }
  return NULL;
}

static const char *min_expand(struct mstate *ms, const char *s, const char *p, const char *ep) {
  for (;;) {
    step(ms);
    const char *res = do_match(ms, s, ep + 1);
    if (res) return res;
    if (!single_match(ms, s, p, ep)) return NULL;
    s++;
  }
}

static const char *start_capture(struct mstate *ms, const char *s, const char *p, ptrdiff_t what) {
  if (ms->level >= PAT_MAXCAPTURES) luaL_error(ms->L, "too many captures in pattern");
  ms->capture[ms->level].init = s;
  ms->capture[ms->level].len = what;
  ms->level++;
  const char *res = do_match(ms, s, p);
  if (!res) ms->level--;
  return res;
}

static const char *end_capture(struct mstate *ms, const char *s, const char *p) {
  int l = capture_to_close(ms);
  ms->capture[l].len = s - ms->capture[l].init;
  const char *res = do_match(ms, s, p);
  if (!res) ms->capture[l].len = CAP_UNFINISHED;
  return res;
}

static const char *match_capture(struct mstate *ms, const char *s, int l) {
  l = check_capture(ms, l);
  size_t len = (size_t)ms->capture[l].len;
  if ((size_t)(ms->src_end - s) >= len && memcmp(ms->capture[l].init, s, len) == 0) return s + len;
  return NULL;
}

static const char *do_match(struct mstate *ms, const char *s, const char *p) {
  if (ms->depth-- == 0) luaL_error(ms->L, "pattern too complex (nesting deeper than %d)", PAT_MAXDEPTH);
  while (p != ms->p_end) {
    step(ms);
    switch (*p) {
      case '(':
        if (*(p + 1) == ')') s = start_capture(ms, s, p + 2, CAP_POSITION);
        else s = start_capture(ms, s, p + 1, CAP_UNFINISHED);
        goto done;
      case ')':
        s = end_capture(ms, s, p + 1);
        goto done;
      case '$':
        if (p + 1 != ms->p_end) goto dflt;
        s = (s == ms->src_end) ? s : NULL;
        goto done;
      case PAT_ESC:
        switch (*(p + 1)) {
          case 'b':
            s = match_balance(ms, s, p + 2);
            if (s) {
              p += 4;
              continue;
            }
            goto done;
          case 'f': {
            p += 2;
            if (*p != '[') luaL_error(ms->L, "missing '[' after '%%f' in pattern");
            const char *ep = class_end(ms, p);
            int prev = (s == ms->src_init) ? '\0' : (unsigned char)*(s - 1);
            int cur = (s < ms->src_end) ? (unsigned char)*s : '\0';
            if (!match_set(prev, p, ep - 1) && match_set(cur, p, ep - 1)) {
              p = ep;
              continue;
            }
            s = NULL;
            goto done;
          }
          case '0': case '1': case '2': case '3': case '4':
          case '5': case '6': case '7': case '8': case '9':
            s = match_capture(ms, s, (unsigned char)*(p + 1));
            if (s) {
              p += 2;
              continue;
            }
            goto done;
          default: goto dflt;
        }
      default:
      dflt: {
        const char *ep = class_end(ms, p);
        if (!single_match(ms, s, p, ep)) {
          if (*ep == '*' || *ep == '?' || *ep == '-') {
            p = ep + 1;
            continue;
          }
          s = NULL;
        } else {
          switch (*ep) {
            case '?': {
              const char *res = do_match(ms, s + 1, ep + 1);
              if (res) {
                s = res;
              } else {
                p = ep + 1;
                continue;
              }
              break;
            }
            case '+': s = max_expand(ms, s + 1, p, ep); break;
            case '*': s = max_expand(ms, s, p, ep); break;
            case '-': s = min_expand(ms, s, p, ep); break;
            default:
              s++;
              p = ep;
              continue;
          }
        }
        goto done;
      }
    }
  }
done:
  ms->depth++;
  return s;
}

static size_t get_onecapture(struct mstate *ms, int i, const char *s, const char *e, const char **cap) {
  if (i >= ms->level) {
    if (i != 0) luaL_error(ms->L, "invalid capture index %%%d", i + 1);
    *cap = s;
    return (size_t)(e - s);
  }
  ptrdiff_t l = ms->capture[i].len;
  *cap = ms->capture[i].init;
  if (l == CAP_UNFINISHED) luaL_error(ms->L, "unfinished capture in pattern");
  else if (l == CAP_POSITION) lua_pushinteger(ms->L, (ms->capture[i].init - ms->src_init) + 1);
  return (size_t)l;
}

static void push_onecapture(struct mstate *ms, int i, const char *s, const char *e) {
  const char *cap;
  ptrdiff_t l = (ptrdiff_t)get_onecapture(ms, i, s, e, &cap);
  if (l != CAP_POSITION) lua_pushlstring(ms->L, cap, (size_t)l);
}

static int push_captures(struct mstate *ms, const char *s, const char *e) {
  int nlevels = (ms->level == 0 && s) ? 1 : ms->level;
  luaL_checkstack(ms->L, nlevels, "too many captures");
  for (int i = 0; i < nlevels; i++) push_onecapture(ms, i, s, e);
  return nlevels;
}

static int no_specials(const char *p, size_t l) {
  size_t upto = 0;
  do {
    if (strpbrk(p + upto, PAT_SPECIALS)) return 0;
    upto += strlen(p + upto) + 1;
  } while (upto <= l);
  return 1;
}

static void prep_state(struct mstate *ms, lua_State *L, const char *s, size_t ls, const char *p, size_t lp) {
  ms->L = L;
  ms->src_init = s;
  ms->src_end = s + ls;
  ms->p_end = p + lp;
  ms->steps = 0;
  ms->max_steps = orch_plan_sandbox_limits(orch_plan_sandbox_of(L))->pattern_steps;
}

static void reprep_state(struct mstate *ms) {
  ms->level = 0;
  ms->depth = PAT_MAXDEPTH;
}

static void check_subject(lua_State *L, const char *fn, size_t ls) {
  size_t max = orch_plan_sandbox_limits(orch_plan_sandbox_of(L))->pattern_subject;
  if (ls > max)
    luaL_error(L, "string.%s: subject of %d bytes exceeds the pattern subject limit of %d bytes", fn, (int)ls,
               (int)max);
}

static size_t start_pos(lua_Integer pos, size_t len) {
  if (pos > 0) return (size_t)pos;
  if (pos == 0) return 1;
  if (pos < -(lua_Integer)len) return 1;
  return len + (size_t)pos + 1;
}

static int find_aux(lua_State *L, int find) {
  size_t ls, lp;
  const char *s = luaL_checklstring(L, 1, &ls);
  const char *p = luaL_checklstring(L, 2, &lp);
  size_t init = start_pos(luaL_optinteger(L, 3, 1), ls);
  if (init > ls + 1) {
    luaL_pushfail(L);
    return 1;
  }
  if (find && (lua_toboolean(L, 4) || no_specials(p, lp))) {
    const char *hit = memmem(s + init - 1, ls - (init - 1), p, lp);
    orch_plan_charge(L, (ls - (init - 1)) / 64);
    if (hit) {
      lua_pushinteger(L, (hit - s) + 1);
      lua_pushinteger(L, (lua_Integer)((hit - s) + lp));
      return 2;
    }
    luaL_pushfail(L);
    return 1;
  }
  check_subject(L, find ? "find" : "match", ls);
  struct mstate ms;
  const char *s1 = s + init - 1;
  int anchor = (*p == '^');
  if (anchor) {
    p++;
    lp--;
  }
  prep_state(&ms, L, s, ls, p, lp);
  do {
    reprep_state(&ms);
    const char *e = do_match(&ms, s1, p);
    if (e) {
      orch_plan_charge(L, ms.steps / 8);
      if (find) {
        lua_pushinteger(L, (s1 - s) + 1);
        lua_pushinteger(L, e - s);
        return push_captures(&ms, NULL, NULL) + 2;
      }
      return push_captures(&ms, s1, e);
    }
  } while (s1++ < ms.src_end && !anchor);
  orch_plan_charge(L, ms.steps / 8);
  luaL_pushfail(L);
  return 1;
}

static int str_find(lua_State *L) { return find_aux(L, 1); }
static int str_match(lua_State *L) { return find_aux(L, 0); }

struct gmatch_state {
  const char *src, *p, *lastmatch;
  struct mstate ms;
};

static int gmatch_aux(lua_State *L) {
  struct gmatch_state *gm = lua_touserdata(L, lua_upvalueindex(3));
  gm->ms.L = L;
  gm->ms.steps = 0;
  for (const char *src = gm->src; src <= gm->ms.src_end; src++) {
    reprep_state(&gm->ms);
    const char *e = do_match(&gm->ms, src, gm->p);
    if (e && e != gm->lastmatch) {
      gm->src = gm->lastmatch = e;
      orch_plan_charge(L, gm->ms.steps / 8);
      return push_captures(&gm->ms, src, e);
    }
  }
  orch_plan_charge(L, gm->ms.steps / 8);
  return 0;
}

static int str_gmatch(lua_State *L) {
  size_t ls, lp;
  const char *s = luaL_checklstring(L, 1, &ls);
  const char *p = luaL_checklstring(L, 2, &lp);
  size_t init = start_pos(luaL_optinteger(L, 3, 1), ls);
  check_subject(L, "gmatch", ls);
  lua_settop(L, 2);
  struct gmatch_state *gm = lua_newuserdatauv(L, sizeof *gm, 0);
  if (init > ls + 1) init = ls + 1;
  prep_state(&gm->ms, L, s, ls, p, lp);
  gm->src = s + init - 1;
  gm->p = p;
  gm->lastmatch = NULL;
  lua_pushcclosure(L, gmatch_aux, 3);
  return 1;
}

static void add_s(struct mstate *ms, luaL_Buffer *b, const char *s, const char *e) {
  size_t l;
  lua_State *L = ms->L;
  const char *news = lua_tolstring(L, 3, &l);
  const char *end = news + l, *p;
  while ((p = memchr(news, PAT_ESC, (size_t)(end - news))) != NULL) {
    luaL_addlstring(b, news, (size_t)(p - news));
    p++;
    if (*p == PAT_ESC) {
      luaL_addchar(b, *p);
    } else if (*p >= '0' && *p <= '9') {
      if (*p == '0') {
        luaL_addlstring(b, s, (size_t)(e - s));
      } else {
        push_onecapture(ms, *p - '1', s, e);
        luaL_tolstring(L, -1, NULL);
        lua_remove(L, -2);
        luaL_addvalue(b);
      }
    } else {
      luaL_error(L, "invalid use of '%c' in replacement string", PAT_ESC);
    }
    news = p + 1;
  }
  luaL_addlstring(b, news, (size_t)(end - news));
}

static int add_value(struct mstate *ms, luaL_Buffer *b, const char *s, const char *e, int tr) {
  lua_State *L = ms->L;
  switch (tr) {
    case LUA_TFUNCTION: {
      lua_pushvalue(L, 3);
      int n = push_captures(ms, s, e);
      lua_call(L, n, 1);
      break;
    }
    case LUA_TTABLE:
      push_onecapture(ms, 0, s, e);
      lua_gettable(L, 3);
      break;
    default:
      add_s(ms, b, s, e);
      return 1;
  }
  if (!lua_toboolean(L, -1)) {
    lua_pop(L, 1);
    luaL_addlstring(b, s, (size_t)(e - s));
    return 0;
  }
  if (!lua_isstring(L, -1)) return luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
  luaL_addvalue(b);
  return 1;
}

static int str_gsub(lua_State *L) {
  size_t srcl, lp;
  const char *src = luaL_checklstring(L, 1, &srcl);
  const char *p = luaL_checklstring(L, 2, &lp);
  const char *lastmatch = NULL;
  int tr = lua_type(L, 3);
  lua_Integer max_s = luaL_optinteger(L, 4, (lua_Integer)srcl + 1);
  int anchor = (*p == '^');
  lua_Integer n = 0;
  int changed = 0;
  luaL_argexpected(L, tr == LUA_TNUMBER || tr == LUA_TSTRING || tr == LUA_TFUNCTION || tr == LUA_TTABLE, 3,
                   "string/function/table");
  check_subject(L, "gsub", srcl);
  struct mstate ms;
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  if (anchor) {
    p++;
    lp--;
  }
  prep_state(&ms, L, src, srcl, p, lp);
  while (n < max_s) {
    reprep_state(&ms);
    const char *e = do_match(&ms, src, p);
    if (e && e != lastmatch) {
      n++;
      changed = add_value(&ms, &b, src, e, tr) | changed;
      src = lastmatch = e;
    } else if (src < ms.src_end) {
      luaL_addchar(&b, *src++);
    } else {
      break;
    }
    if (anchor) break;
  }
  orch_plan_charge(L, ms.steps / 8 + srcl / 64);
  if (!changed) {
    lua_pushvalue(L, 1);
  } else {
    luaL_addlstring(&b, src, (size_t)(ms.src_end - src));
    luaL_pushresult(&b);
  }
  lua_pushinteger(L, n);
  return 2;
}

void orch_plan_pattern_open(lua_State *L, int t) {
  static const luaL_Reg funcs[] = {
      {"find", str_find}, {"match", str_match}, {"gmatch", str_gmatch}, {"gsub", str_gsub}, {NULL, NULL}};
  t = lua_absindex(L, t);
  lua_pushvalue(L, t);
  luaL_setfuncs(L, funcs, 0);
  lua_pop(L, 1);
}
