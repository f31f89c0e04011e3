/* fuzz_plan_load: the plan loader on hostile source. Each input is validated as a plan file in a fresh
 * sandbox, and when it validates, each of its hooks runs against a host that answers every call at once.
 * The clock is frozen, so the time limit never ends anything: only the instruction, memory and size
 * budgets can, and a C path that does work without paying for it shows up as a hang (the test's timeout).
 * After each input every byte of the Lua state must have come back, and a report must name a file, line
 * and code for each problem. Corpus: corpus/fuzz_plan_load, plans/ and tests/lua/sandbox/.
 * Uses orch_plan_compile, orch_plan_hook. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/orch_json.h"
#include "plan/orch_plan_hook.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int64_t frozen_ms(void *ctx) {
  (void)ctx;
  return 1767225600000; /* 2026-01-01 */
}
static int64_t frozen_ns(void *ctx) {
  (void)ctx;
  return 0;
}
static const struct orch_clock_ops frozen_ops = {.now_ms = frozen_ms, .mono_ns = frozen_ns};
static const struct orch_clock frozen = {.ops = &frozen_ops};

static int host_call(void *ctx, struct orch_plan_hook *hook, const struct orch_plan_call *call, json_t **result,
                     struct orch_error *err) {
  (void)ctx;
  (void)hook;
  *result = json_pack("{s:s, s:O}", "echo", call->op, "args", call->args);
  return *result ? 0 : orch_error_set(err, ORCH_ENOMEM, "out of memory");
}
static const struct orch_plan_host_ops host = {.call = host_call};

static void quiet(void *ctx, const char *where, const char *msg) {
  (void)ctx;
  (void)where;
  (void)msg;
}

static struct orch_plan_sandbox_config sandbox_config(void) {
  return (struct orch_plan_sandbox_config){
      .clock = &frozen,
      .limits = {.instructions = 300000, .memory = (size_t)8 << 20, .pattern_steps = 200000},
      .print = quiet,
  };
}

static void check_report(const struct orch_plan_report *r) {
  size_t i;
  json_t *p;
  json_array_foreach(orch_plan_report_problems(r), i, p) {
    if (!json_string_value(json_object_get(p, "file")) || !json_string_value(json_object_get(p, "code")) ||
        !json_string_value(json_object_get(p, "message")) || json_integer_value(json_object_get(p, "line")) < 1)
      __builtin_trap(); /* every problem names a place and a code */
  }
  if (!orch_plan_report_count(r) && !json_string_value(json_object_get(orch_plan_report_plan(r), "name")))
    __builtin_trap(); /* a clean plan has a name */
}

/* Run every hook of a plan that validated; each ends (done, error, killed) without the host's help. */
static void run_hooks(const struct orch_plan_source *src) {
  struct orch_plan_runtime_config cfg = {.sandbox = sandbox_config(), .host = &host};
  struct orch_plan_runtime *rt = NULL;
  if (orch_plan_runtime_new(&cfg, src, &rt, NULL, NULL)) return;
  json_t *ctx = json_pack("{s:s, s:s, s:[{s:s, s:s}]}", "name", "w", "mode", "drill", "servers", "id", "s-1",
                          "instance_id", "i-own");
  size_t i;
  json_t *hk;
  json_array_foreach(json_object_get(orch_plan_runtime_plan(rt), "hooks"), i, hk) {
    struct orch_plan_hook *h = NULL;
    struct orch_error err = {0};
    if (!ctx || orch_plan_hook_new(rt, json_string_value(json_object_get(hk, "id")), ctx, NULL, &h, &err)) continue;
    int turns = 0;
    while (orch_plan_hook_resume(h, &err) == ORCH_PLAN_YIELDED && turns++ < 1000)
      if (orch_plan_hook_complete(h, NULL, NULL)) break;
    orch_plan_hook_free(h);
  }
  json_decref(ctx);
  orch_plan_runtime_free(rt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static bool ready;
  if (!ready) {
    orch_json_init();
    ready = true;
  }
  if (size > (size_t)1 << 20) return 0;
  struct orch_plan_sandbox_config cfg = sandbox_config();
  /* text is never NULL here: a NULL text would make the loader read "fuzz.lua" from disk */
  struct orch_plan_source src = {.file = "fuzz.lua", .text = size ? (const char *)data : "", .len = size};
  struct orch_plan_report *r = NULL;
  struct orch_error err = {0};
  if (orch_plan_validate(&cfg, &src, NULL, &r, &err) == 0) {
    check_report(r);
    if (orch_plan_report_count(r) == 0) run_hooks(&src);
  } else if (err.code != ORCH_ENOMEM) {
    __builtin_trap(); /* a bad plan is a report, never a failure */
  }
  orch_plan_report_free(r);
  if (orch_plan_sandbox_live_bytes() != 0) __builtin_trap(); /* every byte of every state came back */
  return 0;
}
