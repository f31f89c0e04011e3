/* test_json_pattern: the json module's guards and integer repair, and the step-counted pattern functions
 * agreeing with Lua 5.4 semantics. Uses orch_plan_compile (snippets run in the sandbox). */
#include <criterion/criterion.h>

#include <lauxlib.h>
#include <lualib.h>

#include "plan_test_util.h"

static void setup(void) { orch_json_init(); }
TestSuite(json_pattern, .init = setup);

Test(json_pattern, json_round_trip_and_integers) {
  pt_expect_clean("local v = json.decode('{\"port\": 443, \"ratio\": 0.5, \"list\": [1, null, \"x\"], \"ok\": true}')\n"
                  "assert(math.type(v.port) == 'integer' and v.port == 443)\n"
                  "assert(v.ratio == 0.5 and v.list[2] == json.null and v.list[3] == 'x' and v.ok == true)\n"
                  "local s = json.encode({ a = 1, b = { 1, 2 } })\n"
                  "assert(json.decode(s).b[2] == 2)\n"
                  "local bad, msg, code = json.decode('{')\n"
                  "assert(bad == nil and code == 'EPARSE')\n" PLAN_TAIL);
}

Test(json_pattern, json_limits) {
  pt_expect_clean("local v, msg, code = json.decode(('['):rep(65) .. (']'):rep(65))\n"
                  "assert(v == nil and code == 'ELIMIT' and msg:find('depth'))\n"
                  "assert(json.decode(('['):rep(64) .. (']'):rep(64)))\n" PLAN_TAIL);
  pt_expect_problem("json.encode(123456789012345)" PLAN_TAIL, "runtime", "more than 14 digits", 1);
  pt_expect_problem("json.encode(0/0)" PLAN_TAIL, "runtime", "NaN", 1);
}

Test(json_pattern, patterns_match_lua_semantics) {
  pt_expect_clean("assert(('hello world'):find('o w') == 5)\n"
                  "assert(('hello'):find('l+') == 3)\n"
                  "local a, b, c = ('key=val'):find('(%w+)=(%w+)')\n"
                  "assert(a == 1 and b == 7 and c == 'key')\n"
                  "assert(('  x  '):match('^%s*(.-)%s*$') == 'x')\n"
                  "assert(('f(a(b)c)d'):match('%b()') == '(a(b)c)')\n"
                  "assert(('THE (quick) fox'):find('%f[%a]%a+%f[%A]', 5) == 6)\n"
                  "assert(('abcabc'):match('(a)(b)c%1%2') == 'a')\n"
                  "assert(('x'):match('()') == 1)\n"
                  "local n = 0 for w in ('one two  three'):gmatch('%a+') do n = n + 1 end assert(n == 3)\n"
                  "assert(('hello'):gsub('l', 'L') == 'heLLo')\n"
                  "assert(select(2, ('hello'):gsub('l', 'L')) == 2)\n"
                  "assert(('$x $y'):gsub('%$(%w)', { x = '1', y = '2' }) == '1 2')\n"
                  "assert(('abc'):gsub('%w', function(c) return c:upper() .. '.' end) == 'A.B.C.')\n"
                  "assert(('abc'):gsub('', '-') == '-a-b-c-')\n"
                  "assert(('a.b'):find('.', 1, true) == 2)\n"
                  "assert(('[x]'):match('%[(.)%]') == 'x')\n"
                  "assert(('2024-01-02'):match('^(%d+)-(%d+)-(%d+)$') == '2024')\n"
                  "assert(('aaa'):gsub('a', '%%') == '%%%')\n" PLAN_TAIL);
  pt_expect_problem("('x'):find('[a')" PLAN_TAIL, "runtime", "missing ']'", 1);
  pt_expect_problem("('x'):gsub('x', '%2')" PLAN_TAIL, "runtime", "invalid capture index", 1);
}

/* The step-counted matcher against the reference: Lua's own string library in a plain state. The same
 * script (a deterministic generator of patterns and subjects) runs in both, and every find, match, gmatch
 * and gsub result must agree. */
static const char PATTERN_SCRIPT[] =
    "local seed = 20240607\n"
    "local function rnd(n) seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n end\n"
    "local atoms = { 'a', 'b', '%a', '%d', '.', '[ab]', '[^a]', '%s', 'x', '%w', '%%', '[%a_]', '%p', '%u', '[a-c]' }\n"
    "local quants = { '', '', '*', '+', '-', '?' }\n"
    "local subjects = { 'aab', 'abc123', '  x y ', 'aaaaab', 'ba ab', '', 'a1b2c3', 'xyz', 'A_b%c', 'f(a(b)c)d' }\n"
    "local function show(ok, ...)\n"
    "  if not ok then return 'ERR' end\n"
    "  local t = {}\n"
    "  for i = 1, select('#', ...) do t[i] = tostring((select(i, ...))) end\n"
    "  return table.concat(t, ',')\n"
    "end\n"
    "local out = {}\n"
    "for i = 1, 600 do\n"
    "  local pat = rnd(5) == 0 and '^' or ''\n"
    "  for _ = 1, 1 + rnd(3) do\n"
    "    local a = atoms[1 + rnd(#atoms)] .. quants[1 + rnd(#quants)]\n"
    "    if rnd(6) == 0 then a = '(' .. a .. ')' elseif rnd(9) == 0 then a = '()' .. a end\n"
    "    pat = pat .. a\n"
    "  end\n"
    "  if rnd(7) == 0 then pat = pat .. '$' end\n"
    "  if rnd(11) == 0 then pat = '%b()' end\n"
    "  if rnd(13) == 0 then pat = '%f[%w]%w+' end\n"
    "  local s = subjects[1 + rnd(#subjects)]\n"
    "  local init = rnd(4) - 1\n"
    "  local g = {}\n"
    "  local okg = pcall(function() for a, b in s:gmatch(pat) do g[#g + 1] = tostring(a) .. '/' .. tostring(b) end end)\n"
    "  out[#out + 1] = table.concat({ pat, s, show(pcall(string.find, s, pat, init)), show(pcall(string.match, s, pat)),\n"
    "    show(pcall(string.gsub, s, pat, '<%0>')), okg and table.concat(g, ';') or 'ERR' }, ' | ')\n"
    "end\n"
    "return table.concat(out, '\\n')\n";

Test(json_pattern, patterns_agree_with_lua_itself) {
  lua_State *L = luaL_newstate();
  cr_assert(L);
  luaL_openlibs(L);
  cr_assert_eq(luaL_loadstring(L, PATTERN_SCRIPT), LUA_OK, "%s", lua_tostring(L, -1));
  cr_assert_eq(lua_pcall(L, 0, 1, 0), LUA_OK, "%s", lua_tostring(L, -1));
  const char *ref = lua_tostring(L, -1);
  cr_assert(ref && strlen(ref) > 10000, "the reference run produced its table");
  /* the sandbox runs the same script and compares line by line with the reference */
  struct orch_buf plan = ORCH_BUF_INIT(0);
  cr_assert_eq(orch_buf_printf(&plan,
                               "local ref = [=====[%s]=====]\n"
                               "local got = (function()\n%s\nend)()\n"
                               "local i = 0\n"
                               "local lines = {}\n"
                               "for l in (got .. '\\n'):gmatch('(.-)\\n') do lines[#lines + 1] = l end\n"
                               "for l in (ref .. '\\n'):gmatch('(.-)\\n') do\n"
                               "  i = i + 1\n"
                               "  if l ~= lines[i] then error(('case %%d: Lua says  %%s\\n  sandbox says %%s'):format(i, l, tostring(lines[i])), 0) end\n"
                               "end\n"
                               "assert(i == #lines and i == 600, 'case count')\n" PLAN_TAIL,
                               ref, PATTERN_SCRIPT),
               0);
  lua_close(L);
  struct orch_plan_report *r = pt_validate(orch_buf_cstr(&plan), NULL);
  const json_t *p = json_array_get(orch_plan_report_problems(r), 0);
  cr_expect_eq(orch_plan_report_count(r), 0, "%s", pt_field(p, "message"));
  orch_plan_report_free(r);
  orch_buf_free(&plan);
}
