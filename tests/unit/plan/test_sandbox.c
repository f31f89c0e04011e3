/* test_sandbox: the library surface plans see, strict globals, the limits with their sticky kill, and
 * that a failed execution returns its memory and leaves other states alone. Uses orch_plan_sandbox. */
#include <criterion/criterion.h>

#include "plan/orch_plan_sandbox.h"
#include "plan_test_util.h"

static void setup(void) { orch_json_init(); }
TestSuite(sandbox, .init = setup);

Test(sandbox, allowed_libraries_work) {
  pt_expect_clean("assert(string.format('%d-%s', 4, 'x') == '4-x')\n"
                  "assert(('abc'):upper() == 'ABC')\n"
                  "assert(table.concat({1, 2, 3}, ',') == '1,2,3')\n"
                  "assert(math.floor(3.7) == 3 and math.maxinteger > 0)\n"
                  "assert(utf8.len('h\\u{e9}') == 2)\n"
                  "assert(select('#', 1, 2) == 2 and tostring(12) == '12' and tonumber('0x10') == 16)\n"
                  "local t = setmetatable({}, { __index = function(_, k) return k .. '!' end })\n"
                  "assert(t.x == 'x!')\n"
                  "assert(pcall(error, 'boom') == false)\n"
                  "assert(json.decode(json.encode({ a = { 1, 2 } })).a[2] == 2)\n"
                  "assert(type(collectgarbage('count')) == 'number')\n"
                  "local f = assert(load('return 1 + ...'))\n"
                  "assert(f(2) == 3)\n" PLAN_TAIL);
}

Test(sandbox, forbidden_globals_are_undefined) {
  static const char *const names[] = {"io", "os", "debug", "package", "coroutine", "dofile", "loadfile", "_G",
                                      "warn", "rawprint", "string_dump", NULL};
  for (const char *const *n = names; *n; n++) {
    char code[128];
    snprintf(code, sizeof code, "local x = %s\n" PLAN_TAIL, *n);
    pt_expect_problem(code, "runtime", "undefined global", 1);
  }
}

Test(sandbox, removed_functions_explain_themselves) {
  pt_expect_problem("local f = string.dump" PLAN_TAIL, "runtime", "string.dump is not available", 1);
  struct orch_plan_report *r = pt_validate("local x = math.random(3)" PLAN_TAIL, NULL);
  const json_t *p = json_array_get(orch_plan_report_problems(r), 0);
  cr_expect(strstr(pt_field(p, "message"), "math.random is not available"));
  cr_expect(strstr(pt_field(p, "hint"), "w:random"));
  orch_plan_report_free(r);
}

Test(sandbox, strict_globals_name_the_line_and_suggest) {
  struct orch_plan_report *r = pt_validate("local a = 1\nlocal b = pirnt\n" PLAN_TAIL, NULL);
  const json_t *p = json_array_get(orch_plan_report_problems(r), 0);
  cr_expect_eq(pt_int(p, "line"), 2);
  cr_expect_eq(pt_int(p, "column"), 11);
  cr_expect(strstr(pt_field(p, "message"), "undefined global 'pirnt'"));
  cr_expect_str_eq(pt_field(p, "hint"), "did you mean 'print'?");
  orch_plan_report_free(r);
  pt_expect_problem("x = 1\n" PLAN_TAIL, "runtime", "assignment to undeclared global 'x'", 1);
  pt_expect_problem("print = nil\n" PLAN_TAIL, "runtime", "cannot assign to 'print'", 1);
  pt_expect_problem("string.len = nil\n" PLAN_TAIL, "runtime", "read-only", 1);
}

Test(sandbox, metatable_rules) {
  pt_expect_problem("setmetatable({}, { __gc = function() end })" PLAN_TAIL, "runtime", "__gc", 1);
  pt_expect_clean("assert(getmetatable('') == nil)\nassert(getmetatable(json) == false)" PLAN_TAIL);
  pt_expect_problem("setmetatable(json, {})" PLAN_TAIL, "runtime", "protected metatable", 1);
}

Test(sandbox, load_is_text_only_with_a_strict_env) {
  pt_expect_problem("load('\\27Lua', 'x', 'b')" PLAN_TAIL, "runtime", "binary chunks are not allowed", 1);
  pt_expect_clean("local f, err = load('\\27LuaT\\0')\nassert(f == nil and err:find('binary'))" PLAN_TAIL);
  pt_expect_problem("load('y = 1')()" PLAN_TAIL, "runtime", "undeclared global 'y'", 1);
  pt_expect_problem("load(function() return nil end)" PLAN_TAIL, "runtime", "only strings", 1);
  pt_expect_clean("local env = { x = 2 }\nassert(load('return x', 'c', 't', env)() == 2)" PLAN_TAIL);
}

Test(sandbox, collectgarbage_only_counts) {
  pt_expect_problem("collectgarbage()" PLAN_TAIL, "runtime", "only \"count\"", 1);
  pt_expect_problem("collectgarbage('stop')" PLAN_TAIL, "runtime", "only \"count\"", 1);
}

Test(sandbox, instruction_limit_is_sticky_through_pcall) {
  struct orch_plan_limits lim = {.instructions = 200000};
  struct orch_plan_report *r = pt_validate("local n = 0\n"
                                           "for i = 1, 100 do pcall(function() while true do n = n + 1 end end) end\n"
                                           "return plan { name = 'escaped', waves = {} }\n",
                                           &lim);
  const json_t *p = json_array_get(orch_plan_report_problems(r), 0);
  cr_expect_str_eq(pt_field(p, "code"), "limit");
  cr_expect(strstr(pt_field(p, "message"), "instruction limit of 200000"));
  cr_expect_eq(pt_int(p, "line"), 2);
  orch_plan_report_free(r);
}

/* A clock whose monotonic time moves 1 ms each time it is read: the time limit is then a count of reads,
 * the same on any machine. */
static int64_t ticks;
static int64_t tick_now_ms(void *ctx) {
  (void)ctx;
  return 0;
}
static int64_t tick_mono_ns(void *ctx) {
  (void)ctx;
  return ++ticks * 1000000;
}
static const struct orch_clock_ops tick_ops = {.now_ms = tick_now_ms, .mono_ns = tick_mono_ns};

Test(sandbox, wall_clock_limit) {
  struct orch_clock clock = {.ops = &tick_ops};
  struct orch_plan_sandbox_config cfg = {.clock = &clock, .limits = {.wall_ms = 50, .instructions = 100000000000ULL}};
  struct orch_plan_source src = {.file = "t.lua", .text = "while true do end" PLAN_TAIL};
  src.len = strlen(src.text);
  struct orch_plan_report *r = NULL;
  cr_assert_eq(orch_plan_validate(&cfg, &src, NULL, &r, NULL), 0);
  const json_t *p = json_array_get(orch_plan_report_problems(r), 0);
  cr_expect_str_eq(pt_field(p, "code"), "limit");
  cr_expect(strstr(pt_field(p, "message"), "time limit of 50 ms"), "%s", pt_field(p, "message"));
  cr_expect_eq(pt_int(p, "line"), 1);
  cr_expect_lt(ticks, 200, "stopped within a few checks of the limit (%lld clock reads)", (long long)ticks);
  orch_plan_report_free(r);
}

Test(sandbox, memory_limit_and_memory_returned) {
  struct orch_plan_limits lim = {.memory = 4 * 1024 * 1024};
  struct orch_plan_report *r = pt_validate("local t = {}\nfor i = 1, 1e9 do t[i] = ('x'):rep(100) .. i end" PLAN_TAIL, &lim);
  const json_t *p = json_array_get(orch_plan_report_problems(r), 0);
  cr_expect_str_eq(pt_field(p, "code"), "limit");
  cr_expect(strstr(pt_field(p, "message"), "memory limit of 4 MiB"), "%s", pt_field(p, "message"));
  cr_expect_eq(pt_int(p, "line"), 2);
  orch_plan_report_free(r);
  cr_expect_eq(orch_plan_sandbox_live_bytes(), 0);
}

Test(sandbox, deep_recursion_is_contained) {
  pt_expect_problem("local function f(n) return 1 + f(n + 1) end\nf(1)" PLAN_TAIL, "limit", "limit", 1);
}

Test(sandbox, states_are_isolated) {
  struct orch_plan_sandbox *a = NULL, *b = NULL;
  cr_assert_eq(orch_plan_sandbox_new(NULL, &a, NULL), 0);
  cr_assert_eq(orch_plan_sandbox_new(NULL, &b, NULL), 0);
  size_t before = orch_plan_sandbox_memory(b);
  struct orch_plan_source src = {.file = "bomb.lua", .text = "local t = {} while true do t[#t + 1] = {} end"};
  src.len = strlen(src.text);
  struct orch_plan_report *r = NULL;
  cr_assert_eq(orch_plan_compile(a, &src, NULL, &r, NULL), 0);
  cr_expect_eq(orch_plan_report_count(r), 1);
  orch_plan_report_free(r);
  cr_expect_eq(orch_plan_sandbox_memory(b), before, "the other state did not change");
  cr_expect_lt(orch_plan_sandbox_memory(a), 2 * before + 256 * 1024, "the failed load's memory came back");
  orch_plan_sandbox_free(a);
  orch_plan_sandbox_free(b);
  cr_expect_eq(orch_plan_sandbox_live_bytes(), 0);
}

Test(sandbox, string_rep_and_table_move_are_charged) {
  struct orch_plan_limits lim = {.instructions = 1000000};
  pt_expect_problem("local s = ('x'):rep(1e12)" PLAN_TAIL, "limit", "memory limit", 1);
  struct orch_plan_report *r = pt_validate("local s = (''):rep(1e12)" PLAN_TAIL, &lim);
  cr_expect(strstr(pt_field(json_array_get(orch_plan_report_problems(r), 0), "message"), "instruction limit"));
  orch_plan_report_free(r);
  r = pt_validate("table.move({}, 1, 1e12, 2)" PLAN_TAIL, &lim);
  cr_expect(strstr(pt_field(json_array_get(orch_plan_report_problems(r), 0), "message"), "instruction limit"));
  orch_plan_report_free(r);
}

static char printed[512];
static void sink(void *ctx, const char *where, const char *msg) {
  (void)ctx;
  snprintf(printed, sizeof printed, "%s|%s", where, msg);
}

Test(sandbox, print_goes_to_the_sink) {
  struct orch_plan_sandbox_config cfg = {.print = sink};
  struct orch_plan_source src = {.file = "p.lua", .text = "print('hello', 42, nil)" PLAN_TAIL};
  src.len = strlen(src.text);
  struct orch_plan_report *r = NULL;
  cr_assert_eq(orch_plan_validate(&cfg, &src, NULL, &r, NULL), 0);
  cr_expect_eq(orch_plan_report_count(r), 0);
  cr_expect_str_eq(printed, "p.lua:1|hello\t42\tnil");
  orch_plan_report_free(r);
}

/* Clock reads (one per count-hook tick) while `text` loads under the ticking clock. */
static int64_t ticks_for(const char *text) {
  struct orch_clock clock = {.ops = &tick_ops};
  struct orch_plan_sandbox_config cfg = {.clock = &clock, .limits = {.wall_ms = 1000000000}};
  struct orch_plan_source src = {.file = "t.lua", .text = text, .len = strlen(text)};
  struct orch_plan_report *r = NULL;
  ticks = 0;
  cr_assert_eq(orch_plan_validate(&cfg, &src, NULL, &r, NULL), 0);
  cr_expect_eq(orch_plan_report_count(r), 0, "%s", pt_field(json_array_get(orch_plan_report_problems(r), 0), "message"));
  orch_plan_report_free(r);
  return ticks;
}

/* One instruction can do work in proportion to an object (comparing long strings, copying varargs): once
 * the state holds an 8 MiB object the count hook, and with it the time check, runs far more often. */
Test(sandbox, hook_period_follows_the_largest_object) {
  int64_t small = ticks_for("local s = ('x'):rep(1024)\nfor i = 1, 300000 do end" PLAN_TAIL);
  int64_t big = ticks_for("local s = ('x'):rep(1024):rep(8192)\nfor i = 1, 300000 do end" PLAN_TAIL);
  cr_expect_gt(big, 50 * small, "ticks with an 8 MiB string: %lld, without: %lld", (long long)big, (long long)small);
}
