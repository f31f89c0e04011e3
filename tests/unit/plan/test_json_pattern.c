/* test_json_pattern: the json module's guards and integer repair, and the step-counted pattern functions
 * agreeing with Lua 5.4 semantics. Uses orch_plan_compile (snippets run in the sandbox). */
#include <criterion/criterion.h>

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
