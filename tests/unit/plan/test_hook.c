/* test_hook: hooks as coroutines against a scripted host: synchronous and pending host calls, the journal,
 * deterministic replay and its non-determinism errors, expect/assert by mode, cancellation, limits inside
 * hooks. Uses orch_plan_hook. */
#include <criterion/criterion.h>

#include "plan/orch_plan_hook.h"
#include "plan/orch_plan_journal.h"
#include "plan_test_util.h"

/* The scripted host: completes "aws" and "ssm_run" at once with a canned result, leaves "sleep",
 * "approve" and "notify" pending, counts calls and journal events. */
struct host {
  int calls, requested, completed, logs;
  char last_log[256];
};

static int host_call(void *ctx, struct orch_plan_hook *hook, const struct orch_plan_call *call, json_t **result,
                     struct orch_error *err) {
  (void)hook;
  struct host *h = ctx;
  h->calls++;
  if (strcmp(call->op, "aws") == 0) {
    const char *opn = json_string_value(json_object_get(call->args, "operation"));
    if (strcmp(opn, "TerminateInstances") == 0) return orch_error_set(err, ORCH_EAWS, "AccessDenied: no");
    *result = json_pack("{s:s, s:I}", "operation", opn, "n", (json_int_t)h->calls);
    return 0;
  }
  if (strcmp(call->op, "ssm_run") == 0) {
    *result = json_pack("{s:s, s:[{s:s, s:s, s:i, s:s}]}", "status", "Success", "instances", "instance_id", "i-1",
                        "status", "Success", "exit_code", 0, "stdout", "active");
    return 0;
  }
  return ORCH_PLAN_PENDING;
}

static void host_journal(void *ctx, struct orch_plan_hook *hook, const json_t *entry, bool completed) {
  (void)hook;
  (void)entry;
  struct host *h = ctx;
  if (completed) h->completed++;
  else h->requested++;
}

static void host_log(void *ctx, struct orch_plan_hook *hook, const char *level, const char *where, const char *msg) {
  (void)hook;
  struct host *h = ctx;
  h->logs++;
  snprintf(h->last_log, sizeof h->last_log, "%s %s %s", level, where, msg);
}

static const struct orch_plan_host_ops ops = {.call = host_call, .journal = host_journal, .log = host_log};

/* The operator's ceiling these tests run under: everything, so that the plan's aws_allow decides. */
static const char *ceiling = "*";

static struct orch_plan_runtime *runtime(const char *text, struct host *h, const struct orch_plan_limits *lim) {
  struct orch_plan_runtime_config cfg = {.host = &ops, .host_ctx = h};
  cfg.sandbox.aws_allow_ceiling = ceiling;
  if (lim) cfg.sandbox.limits = *lim;
  struct orch_plan_source src = {.file = "hooks.lua", .text = text, .len = strlen(text)};
  struct orch_plan_runtime *rt = NULL;
  struct orch_error err = {0};
  cr_assert_eq(orch_plan_runtime_new(&cfg, &src, &rt, NULL, &err), 0, "runtime: %s: %s", err.context, err.message);
  return rt;
}

static json_t *ctx_for(const char *mode) {
  return json_pack("{s:s, s:s, s:s, s:[{s:s, s:s, s:s, s:s}]}", "name", "web", "mode", mode, "execution_id", "e-1",
                   "servers", "id", "s-1234567890abcdef0", "hostname", "web1", "instance_id", "i-1", "private_ip",
                   "10.0.0.5");
}

/* A web/after hook of `rt` for a wave context in `mode` (the runtime frees it). */
static struct orch_plan_hook *hook_for(struct orch_plan_runtime *rt, const char *mode) {
  json_t *ctx = ctx_for(mode);
  struct orch_plan_hook *hk = NULL;
  cr_assert_eq(orch_plan_hook_new(rt, "web/after", ctx, NULL, &hk, NULL), 0);
  json_decref(ctx);
  return hk;
}

/* Run a hook to the end, completing pending calls with `pending_result`. */
static enum orch_plan_status run_hook(struct orch_plan_hook *hk, struct orch_error *err) {
  enum orch_plan_status st;
  while ((st = orch_plan_hook_resume(hk, err)) == ORCH_PLAN_YIELDED) {
    const struct orch_plan_call *c = orch_plan_hook_pending(hk);
    cr_assert(c != NULL);
    cr_assert_eq(orch_plan_hook_complete(hk, NULL, NULL), 0);
  }
  return st;
}

#define WAVE_PLAN(body)                                                                                        \
  "return plan { name = 'h', aws_allow = { 'ec2:*' }, waves = { wave 'web' { servers = group 'g', " \
  "after = function(w)\n" body "\nend } } }\n"

static void setup(void) { orch_json_init(); }
TestSuite(hook, .init = setup);

Test(hook, host_calls_yield_and_journal) {
  struct host h = {0};
  struct orch_plan_runtime *rt = runtime(WAVE_PLAN("local r = assert(w:aws('ec2', 'DescribeInstances', { InstanceIds = { w.servers[1].instance_id } }))\n"
                                                   "assert(r.operation == 'DescribeInstances')\n"
                                                   "assert(w:sleep('5s') == true)\n"
                                                   "local nilr, msg, code = w:aws('ec2', 'TerminateInstances')\n"
                                                   "assert(nilr == nil and msg:find('AccessDenied') and code == 'EAWS')\n"
                                                   "assert(w.name == 'web' and w.mode == 'drill')\n"
                                                   "w:log('done %d', 3)"),
                                         &h, NULL);
  json_t *ctx = ctx_for("drill");
  struct orch_plan_hook *hk = NULL;
  struct orch_error err = {0};
  cr_assert_eq(orch_plan_hook_new(rt, "web/after", ctx, NULL, &hk, &err), 0, "%s", err.message);
  cr_assert_eq(orch_plan_hook_resume(hk, &err), ORCH_PLAN_YIELDED, "%s", err.message);
  const struct orch_plan_call *c = orch_plan_hook_pending(hk);
  cr_assert(c);
  cr_expect_str_eq(c->op, "sleep");
  cr_expect_eq(c->seq, 2);
  cr_expect_eq(json_integer_value(json_object_get(c->args, "ms")), 5000);
  cr_expect_str_eq(c->where, "hooks.lua:4");
  cr_expect_eq(strlen(c->args_hash), 64);
  cr_expect_eq(orch_plan_hook_resume(hk, &err), ORCH_PLAN_YIELDED, "resume before completion is refused");
  cr_assert_eq(orch_plan_hook_complete(hk, NULL, NULL), 0);
  cr_expect_eq(orch_plan_hook_resume(hk, &err), ORCH_PLAN_DONE, "%s: %s", err.context, err.message);
  const json_t *j = orch_plan_hook_journal(hk);
  cr_expect_eq(json_array_size(j), 4);
  cr_expect_str_eq(json_string_value(json_object_get(json_array_get(j, 2), "op")), "aws");
  cr_expect_str_eq(orch_plan_journal_error_code(json_array_get(j, 2)), "EAWS");
  cr_expect_eq(h.requested, 4);
  cr_expect_eq(h.completed, 4);
  cr_expect_eq(h.logs, 1);
  cr_expect_str_eq(h.last_log, "info hooks.lua:8 done 3");
  json_decref(ctx);
  orch_plan_runtime_free(rt);
}

Test(hook, replay_returns_recorded_results_without_the_host) {
  struct host h = {0};
  const char *plan = WAVE_PLAN("local a = w:aws('ec2', 'A')\nw:sleep(1)\nlocal b = w:aws('ec2', 'B')\n"
                               "local t = w:now()\nw:log('a=%d b=%d', a.n, b.n)\nassert(b.n == 3)");
  struct orch_plan_runtime *rt = runtime(plan, &h, NULL);
  json_t *ctx = ctx_for("drill");
  struct orch_plan_hook *hk = NULL;
  cr_assert_eq(orch_plan_hook_new(rt, "web/after", ctx, NULL, &hk, NULL), 0);
  struct orch_error err = {0};
  cr_assert_eq(run_hook(hk, &err), ORCH_PLAN_DONE, "%s", err.message);
  json_t *journal = json_deep_copy(orch_plan_hook_journal(hk));
  cr_assert_eq(json_array_size(journal), 5);
  int calls = h.calls, logs = h.logs;
  /* full replay: no host calls, no repeated log line, same results */
  struct orch_plan_hook *again = NULL;
  cr_assert_eq(orch_plan_hook_new(rt, "web/after", ctx, journal, &again, NULL), 0);
  cr_expect_eq(orch_plan_hook_resume(again, &err), ORCH_PLAN_DONE, "%s", err.message);
  cr_expect_eq(h.calls, calls);
  cr_expect_eq(h.logs, logs);
  cr_expect(json_equal(orch_plan_hook_journal(again), journal));
  /* partial replay: the first two calls recorded, the rest live */
  json_t *part = json_array();
  json_array_append(part, json_array_get(journal, 0));
  json_array_append(part, json_array_get(journal, 1));
  struct orch_plan_hook *half = NULL;
  cr_assert_eq(orch_plan_hook_new(rt, "web/after", ctx, part, &half, NULL), 0);
  h.calls = 2; /* so the live 'B' answers n == 3 again */
  cr_expect_eq(run_hook(half, &err), ORCH_PLAN_DONE, "%s", err.message);
  cr_expect_eq(h.calls, 3, "only the third call reached the host");
  json_decref(part);
  json_decref(journal);
  json_decref(ctx);
  orch_plan_runtime_free(rt);
}

Test(hook, nondeterminism_names_the_plan_line) {
  struct host h = {0};
  struct orch_plan_runtime *rt = runtime(WAVE_PLAN("w:aws('ec2', 'A')\nw:aws('ec2', 'B', { x = w.attempt })"), &h, NULL);
  json_t *ctx = ctx_for("drill");
  struct orch_plan_hook *hk = NULL;
  struct orch_error err = {0};
  cr_assert_eq(orch_plan_hook_new(rt, "web/after", ctx, NULL, &hk, NULL), 0);
  cr_assert_eq(run_hook(hk, &err), ORCH_PLAN_DONE);
  json_t *journal = json_deep_copy(orch_plan_hook_journal(hk));
  json_object_set_new(ctx, "attempt", json_integer(2));
  struct orch_plan_hook *again = NULL;
  cr_assert_eq(orch_plan_hook_new(rt, "web/after", ctx, journal, &again, NULL), 0);
  cr_expect_eq(orch_plan_hook_resume(again, &err), ORCH_PLAN_ERROR);
  cr_expect_eq(err.code, ORCH_ENONDETERMINISM);
  cr_expect_str_eq(err.context, "hooks.lua:3");
  cr_expect(strstr(err.message, "call #2"), "%s", err.message);
  /* a different operation at a position */
  json_object_set_new(json_array_get(journal, 0), "op", json_string("sleep"));
  struct orch_plan_hook *third = NULL;
  cr_assert_eq(orch_plan_hook_new(rt, "web/after", ctx, journal, &third, NULL), 0);
  cr_expect_eq(orch_plan_hook_resume(third, &err), ORCH_PLAN_ERROR);
  cr_expect(strstr(err.message, "recorded w:sleep"), "%s", err.message);
  cr_expect_str_eq(err.context, "hooks.lua:2");
  json_decref(journal);
  json_decref(ctx);
  orch_plan_runtime_free(rt);
}

Test(hook, nondeterminism_cannot_be_swallowed) {
  struct host h = {0};
  struct orch_plan_runtime *rt =
      runtime(WAVE_PLAN("pcall(w.aws, w, 'ec2', 'X', { t = w.attempt })\nw:aws('ec2', 'After')"), &h, NULL);
  json_t *ctx = ctx_for("drill");
  struct orch_plan_hook *hk = NULL;
  struct orch_error err = {0};
  cr_assert_eq(orch_plan_hook_new(rt, "web/after", ctx, NULL, &hk, NULL), 0);
  cr_assert_eq(run_hook(hk, &err), ORCH_PLAN_DONE);
  json_t *journal = json_deep_copy(orch_plan_hook_journal(hk));
  json_object_set_new(ctx, "attempt", json_integer(7));
  int calls = h.calls;
  struct orch_plan_hook *again = NULL;
  cr_assert_eq(orch_plan_hook_new(rt, "web/after", ctx, journal, &again, NULL), 0);
  cr_expect_eq(orch_plan_hook_resume(again, &err), ORCH_PLAN_ERROR);
  cr_expect_eq(err.code, ORCH_ENONDETERMINISM);
  cr_expect_eq(h.calls, calls, "no call after the divergence reached the host");
  json_decref(journal);
  json_decref(ctx);
  orch_plan_runtime_free(rt);
}

Test(hook, expect_fails_drills_and_warns_recoveries) {
  struct host h = {0};
  const char *plan = WAVE_PLAN("local ok = w:expect(false, 'web health')\nw:log('after expect')");
  struct orch_plan_runtime *rt = runtime(plan, &h, NULL);
  struct orch_error err = {0};
  json_t *drill = ctx_for("drill"), *rec = ctx_for("recovery");
  struct orch_plan_hook *hk = NULL;
  cr_assert_eq(orch_plan_hook_new(rt, "web/after", drill, NULL, &hk, NULL), 0);
  cr_expect_eq(orch_plan_hook_resume(hk, &err), ORCH_PLAN_ERROR);
  cr_expect_str_eq(err.message, "expectation failed: web health");
  cr_expect_str_eq(err.context, "hooks.lua:2");
  cr_assert_eq(orch_plan_hook_new(rt, "web/after", rec, NULL, &hk, NULL), 0);
  cr_expect_eq(orch_plan_hook_resume(hk, &err), ORCH_PLAN_DONE, "%s", err.message);
  cr_expect_eq(json_array_size(orch_plan_hook_warnings(hk)), 1);
  cr_expect_str_eq(h.last_log, "info hooks.lua:3 after expect");
  json_decref(drill);
  json_decref(rec);
  orch_plan_runtime_free(rt);
}

Test(hook, assert_fails_both_modes_even_when_caught) {
  struct host h = {0};
  struct orch_plan_runtime *rt = runtime(WAVE_PLAN("pcall(w.assert, w, false, 'db reachable')\nw:log('went on')"), &h, NULL);
  struct orch_error err = {0};
  struct orch_plan_hook *hk = hook_for(rt, "recovery");
  cr_expect_eq(orch_plan_hook_resume(hk, &err), ORCH_PLAN_ERROR);
  cr_expect_str_eq(err.message, "assertion failed: db reachable");
  orch_plan_runtime_free(rt);
}

Test(hook, misuse_raises_at_the_plan_line) {
  struct host h = {0};
  struct orch_plan_runtime *rt = runtime(WAVE_PLAN("local x = 1\nw:sleep('soon')"), &h, NULL);
  struct orch_error err = {0};
  struct orch_plan_hook *hk = hook_for(rt, "drill");
  cr_expect_eq(orch_plan_hook_resume(hk, &err), ORCH_PLAN_ERROR);
  cr_expect_eq(err.code, ORCH_ELUA);
  cr_expect_str_eq(err.context, "hooks.lua:3");
  cr_expect(strstr(err.message, "bad argument #1 to 'sleep'"), "%s", err.message);
  cr_expect(orch_plan_hook_traceback(hk) != NULL);
  orch_plan_runtime_free(rt);
}

/* A misuse found by a helper of the method (a duration, a description, a log format) is still the plan's
 * line, and the message names no file of the engine's own Lua. */
Test(hook, misuse_in_helpers_names_no_engine_file) {
  const char *bodies[] = {"w:sleep('soon')", "w:expect(true, 5)", "w:log('%d', 'x')",
                          "w:wait_until(function() return true end, { timeout = 'x' })", "w:sleep(-1)"};
  const char *wants[] = {"bad argument #1 to 'sleep' (not a duration", "bad argument #2 to 'expect'",
                         "bad argument #2 to 'log' (number expected", "bad argument #2 to 'wait_until'",
                         "bad argument #1 to 'sleep' (duration must not be negative)"};
  for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
    struct host h = {0};
    char plan[512];
    snprintf(plan, sizeof plan,
             "return plan { name = 'h', waves = { wave 'web' { servers = group 'g', after = function(w)\nlocal x = 1\n%s\nend } } }\n",
             bodies[i]);
    struct orch_plan_runtime *rt = runtime(plan, &h, NULL);
    struct orch_error err = {0};
    struct orch_plan_hook *hk = hook_for(rt, "drill");
    cr_expect_eq(orch_plan_hook_resume(hk, &err), ORCH_PLAN_ERROR, "%s", bodies[i]);
    cr_expect_str_eq(err.context, "hooks.lua:3", "%s: %s", bodies[i], err.context);
    cr_expect(strstr(err.message, wants[i]), "%s: %s", bodies[i], err.message);
    cr_expect_null(strstr(err.message, "context.lua"), "%s: %s", bodies[i], err.message);
    cr_expect_null(strstr(err.message, "lua/plan"), "%s: %s", bodies[i], err.message);
    orch_plan_runtime_free(rt);
  }
}

Test(hook, limits_inside_hooks_and_the_state_survives) {
  struct host h = {0};
  struct orch_plan_limits lim = {.instructions = 300000};
  const char *plan = "return plan { name = 'h', waves = { wave 'web' { servers = group 'g',\n"
                     "  before = function(w) while true do end end,\n"
                     "  after = function(w) w:log('fine') end } } }\n";
  struct orch_plan_runtime *rt = runtime(plan, &h, &lim);
  struct orch_error err = {0};
  json_t *ctx = ctx_for("drill");
  struct orch_plan_hook *a = NULL, *b = NULL;
  cr_assert_eq(orch_plan_hook_new(rt, "web/before", ctx, NULL, &a, NULL), 0);
  cr_expect_eq(orch_plan_hook_resume(a, &err), ORCH_PLAN_KILLED);
  cr_expect_eq(err.code, ORCH_ELIMIT);
  cr_expect_str_eq(err.context, "hooks.lua:2");
  cr_assert_eq(orch_plan_hook_new(rt, "web/after", ctx, NULL, &b, NULL), 0);
  cr_expect_eq(orch_plan_hook_resume(b, &err), ORCH_PLAN_DONE, "%s", err.message);
  json_decref(ctx);
  orch_plan_runtime_free(rt);
}

Test(hook, cancel_while_pending) {
  struct host h = {0};
  struct orch_plan_runtime *rt = runtime(WAVE_PLAN("w:approve('go?')\nw:log('never')"), &h, NULL);
  struct orch_error err = {0};
  struct orch_plan_hook *hk = hook_for(rt, "drill");
  cr_assert_eq(orch_plan_hook_resume(hk, &err), ORCH_PLAN_YIELDED);
  cr_expect_str_eq(orch_plan_hook_pending(hk)->op, "approve");
  orch_plan_hook_cancel(hk, "the execution was cancelled");
  cr_expect_eq(orch_plan_hook_status(hk), ORCH_PLAN_KILLED);
  cr_expect(orch_plan_hook_finished(hk));
  cr_expect_eq(h.logs, 0);
  orch_plan_runtime_free(rt);
  cr_expect_eq(orch_plan_sandbox_live_bytes(), 0);
}

Test(hook, unknown_hook_and_invalid_plan) {
  struct host h = {0};
  struct orch_plan_runtime *rt = runtime(WAVE_PLAN("w:log('x')"), &h, NULL);
  struct orch_plan_hook *hk = NULL;
  struct orch_error err = {0};
  cr_expect_eq(orch_plan_hook_new(rt, "web/before", NULL, NULL, &hk, &err), ORCH_ENOTFOUND);
  cr_expect(strstr(err.message, "no hook 'web/before'"), "%s", err.message);
  cr_expect_null(hk);
  orch_plan_runtime_free(rt);
  struct orch_plan_runtime_config cfg = {.host = &ops, .host_ctx = &h};
  const char *bad = "return plan { name = 1, waves = {} }";
  struct orch_plan_source src = {.file = "bad.lua", .text = bad, .len = strlen(bad)};
  struct orch_plan_report *r = NULL;
  cr_expect_eq(orch_plan_runtime_new(&cfg, &src, &rt, &r, &err), ORCH_EVALIDATION);
  cr_expect_null(rt);
  cr_expect_geq(orch_plan_report_count(r), 1);
  cr_expect(strstr(err.message, "bad.lua:1"), "the error names the plan file and line: %s", err.message);
  orch_plan_report_free(r);
}

/* w:random and w:now are answered in the engine and journaled: a replay gives the recorded values back
 * (the plan checks them against the first run's), a fresh run draws new ones. */
Test(hook, random_and_now_are_journaled) {
  struct host h = {0};
  struct orch_plan_runtime *rt = runtime("local first\n"
                                         "return plan { name = 'h', waves = { wave 'web' { servers = group 'g',\n"
                                         "  after = function(w)\n"
                                         "    local r = w:random(1, math.maxinteger)\n"
                                         "    local f = w:random()\n"
                                         "    local t = w:now()\n"
                                         "    assert(r >= 1 and f >= 0 and f < 1 and math.type(t) == 'integer')\n"
                                         "    local now = { r = r, f = f, t = t }\n"
                                         "    if w.attempt == 2 then\n"
                                         "      assert(now.r == first.r and now.f == first.f and now.t == first.t, 'replayed')\n"
                                         "    elseif w.attempt == 3 then\n"
                                         "      assert(now.r ~= first.r and now.f ~= first.f, 'fresh draws')\n"
                                         "    end\n"
                                         "    first = first or now\n"
                                         "  end } } }\n",
                                         &h, NULL);
  struct orch_error err = {0};
  json_t *ctx = ctx_for("drill");
  struct orch_plan_hook *hk = NULL;
  cr_assert_eq(orch_plan_hook_new(rt, "web/after", ctx, NULL, &hk, NULL), 0);
  cr_expect_eq(orch_plan_hook_resume(hk, &err), ORCH_PLAN_DONE, "%s", err.message);
  cr_expect_eq(json_array_size(orch_plan_hook_journal(hk)), 3);
  cr_expect_eq(h.calls, 0, "answered in the engine");
  json_t *journal = json_deep_copy(orch_plan_hook_journal(hk));
  json_object_set_new(ctx, "attempt", json_integer(2));
  cr_assert_eq(orch_plan_hook_new(rt, "web/after", ctx, journal, &hk, NULL), 0);
  cr_expect_eq(orch_plan_hook_resume(hk, &err), ORCH_PLAN_DONE, "%s: %s", err.context, err.message);
  json_object_set_new(ctx, "attempt", json_integer(3));
  cr_assert_eq(orch_plan_hook_new(rt, "web/after", ctx, NULL, &hk, NULL), 0);
  cr_expect_eq(orch_plan_hook_resume(hk, &err), ORCH_PLAN_DONE, "%s: %s", err.context, err.message);
  json_decref(journal);
  json_decref(ctx);
  orch_plan_runtime_free(rt);
}

/* What a hook may reach comes from the engine's context, checked in the plan layer before the host is
 * called: the refusal is journaled like any answer, and the host never sees the call. */
Test(hook, reach_comes_from_the_engines_context) {
  struct host h = {0};
  struct orch_plan_runtime *rt = runtime(
      "return plan { name = 'h', ssm_documents = { 'Acme-Check', 'Acme-Other' }, waves = {\n"
      "  wave 'web' { servers = group 'g', after = function(w)\n"
      "    local r, msg, code = w:ssm_run({ commands = { 'id' }, instance_ids = { 'i-dep' } })\n"
      "    if w.attempt == 2 then assert(r, msg) else assert(code == 'EPERM', tostring(msg)) end\n"
      "    r, msg, code = w:ssm_run({ document = 'Acme-Other' })\n"
      "    if w.attempt == 2 then assert(code == 'EPERM', tostring(msg)) else assert(r, msg) end\n"
      "    assert(w:ssm_run({ document = 'Acme-Check' }))\n"
      "  end } } }\n",
      &h, NULL);
  struct orch_error err = {0};
  /* attempt 1: a context without waves or ssm_documents: own instances, every declared document */
  json_t *ctx = ctx_for("drill");
  struct orch_plan_hook *hk = NULL;
  cr_assert_eq(orch_plan_hook_new(rt, "web/after", ctx, NULL, &hk, NULL), 0);
  cr_expect_eq(run_hook(hk, &err), ORCH_PLAN_DONE, "%s: %s", err.context, err.message);
  cr_expect_eq(h.calls, 2, "the refused call never reached the host");
  cr_expect_str_eq(orch_plan_journal_error_code(json_array_get(orch_plan_hook_journal(hk), 0)), "EPERM");
  cr_expect_eq(h.completed, 3, "the refusal is journaled like an answer");
  /* attempt 2: the engine names a dependency's instances and narrows the documents */
  json_object_set_new(ctx, "attempt", json_integer(2));
  json_object_set_new(ctx, "waves", json_pack("{s:{s:s, s:[{s:s, s:s}]}}", "db", "status", "COMPLETED", "servers", "id",
                                              "s-2", "instance_id", "i-dep"));
  json_object_set_new(ctx, "ssm_documents", json_pack("[s]", "Acme-Check"));
  h.calls = 0;
  cr_assert_eq(orch_plan_hook_new(rt, "web/after", ctx, NULL, &hk, NULL), 0);
  cr_expect_eq(run_hook(hk, &err), ORCH_PLAN_DONE, "%s: %s", err.context, err.message);
  cr_expect_eq(h.calls, 2, "the dependency's instance reached, the narrowed-out document did not");
  json_decref(ctx);
  orch_plan_runtime_free(rt);
}

/* A host's answer past the result limit reaches the hook as an ELIMIT failure, and the journal keeps the
 * failure, not the answer. */
Test(hook, oversized_results_become_failures) {
  struct host h = {0};
  struct orch_plan_limits lim = {.result_bytes = 40};
  struct orch_plan_runtime *rt =
      runtime(WAVE_PLAN("local r, msg, code = w:aws('ec2', 'DescribeInstances')\n"
                        "assert(r == nil and code == 'ELIMIT' and msg:find('40 bytes'), tostring(msg))\n"
                        "r, msg, code = w:approve('go?')\n"
                        "assert(r == nil and code == 'ELIMIT', tostring(msg))"),
              &h, &lim);
  struct orch_error err = {0};
  struct orch_plan_hook *hk = hook_for(rt, "drill");
  cr_assert_eq(orch_plan_hook_resume(hk, &err), ORCH_PLAN_YIELDED, "%s", err.message);
  json_t *big = json_pack("{s:s}", "approved_by", "someone with a very long name that does not fit in 64 bytes");
  cr_assert_eq(orch_plan_hook_complete(hk, big, NULL), 0);
  cr_expect_eq(orch_plan_hook_resume(hk, &err), ORCH_PLAN_DONE, "%s: %s", err.context, err.message);
  const json_t *j = orch_plan_hook_journal(hk);
  cr_expect_null(json_object_get(json_array_get(j, 0), "result"));
  cr_expect_str_eq(orch_plan_journal_error_code(json_array_get(j, 1)), "ELIMIT");
  orch_plan_runtime_free(rt);
}
