/* bench_plan: figures for engine/plan against the targets: sandbox create + load + validate of a
 * 40-wave plan (< 5 ms), cost of one host call through yield and resume (< 5 us), replay of a 1,000-call
 * journal (< 50 ms), and the memory of an idle execution's Lua state (< 200 KB). Uses orch_plan_hook. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/orch_json.h"
#include "plan/orch_plan_hook.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 40 waves: a root, then 13 branches of three waves each; hooks on every wave. */
static void plan40(struct orch_buf *b) {
  int rc = orch_buf_puts(b, "local function check(w) w:log('ok %s', w.name) end\nreturn plan {\n"
                            "  name = 'bench40', region = 'us-east-1', rto_target = '1h',\n  waves = {\n"
                            "    wave 'root' { servers = group 'core', after = check },\n");
  for (int br = 0; br < 13; br++)
    for (int t = 0; t < 3; t++) {
      char prev[32];
      if (t == 0) snprintf(prev, sizeof prev, "root");
      else snprintf(prev, sizeof prev, "b%d-t%d", br, t - 1);
      rc |= orch_buf_printf(b,
                            "    wave 'b%d-t%d' { depends_on = { '%s' }, servers = tags { Branch = 'b%d', Tier = 't%d' },"
                            " on_failure = 'retry(2)', after = check },\n",
                            br, t, prev, br, t);
    }
  rc |= orch_buf_puts(b, "  },\n  cleanup = function(x) x:log('done') end,\n}\n");
  if (rc) fprintf(stderr, "out of memory\n");
}

static int host_call(void *ctx, struct orch_plan_hook *hook, const struct orch_plan_call *call, json_t **result,
                     struct orch_error *err) {
  (void)ctx;
  (void)hook;
  (void)call;
  (void)result;
  (void)err;
  return ORCH_PLAN_PENDING;
}
static const struct orch_plan_host_ops ops = {.call = host_call};

int main(void) {
  orch_json_init();
  struct orch_buf src = ORCH_BUF_INIT(0);
  plan40(&src);
  struct orch_plan_source s = {.file = "bench40.lua", .text = orch_buf_cstr(&src), .len = src.len};
  struct orch_error err = {0};

  /* 1. create + load + validate */
  int n = 200;
  double t0 = now_s();
  for (int i = 0; i < n; i++) {
    struct orch_plan_report *r = NULL;
    if (orch_plan_validate(NULL, &s, NULL, &r, &err) || orch_plan_report_count(r) != 0) {
      fprintf(stderr, "validate failed: %s\n", err.message);
      return 1;
    }
    orch_plan_report_free(r);
  }
  double per_load = (now_s() - t0) / n;
  printf("sandbox create + load + validate, 40 waves: %.3f ms (target < 5 ms)\n", per_load * 1e3);

  /* 2. host call yield/resume, and 3. replay */
  static const char hook_src[] =
      "return plan { name = 'calls', waves = { wave 'w' { servers = group 'g', after = function(w)\n"
      "  for i = 1, 1000 do w:sleep(0) end\nend } } }\n";
  struct orch_plan_runtime_config cfg = {.host = &ops};
  struct orch_plan_source hs = {.file = "calls.lua", .text = hook_src, .len = sizeof hook_src - 1};
  struct orch_plan_runtime *rt = NULL;
  if (orch_plan_runtime_new(&cfg, &hs, &rt, NULL, &err)) {
    fprintf(stderr, "runtime: %s\n", err.message);
    return 1;
  }
  json_t *ctx = json_pack("{s:s, s:s}", "name", "w", "mode", "drill");
  int rounds = 20;
  double calls_s = 0;
  json_t *journal = NULL;
  for (int r = 0; r < rounds; r++) {
    struct orch_plan_hook *h = NULL;
    if (orch_plan_hook_new(rt, "w/after", ctx, NULL, &h, &err)) return 1;
    t0 = now_s();
    while (orch_plan_hook_resume(h, &err) == ORCH_PLAN_YIELDED)
      if (orch_plan_hook_complete(h, NULL, NULL)) return 1;
    calls_s += now_s() - t0;
    if (!journal) journal = json_deep_copy(orch_plan_hook_journal(h));
    orch_plan_hook_free(h);
  }
  printf("host call through yield + complete + resume: %.2f us per call (target < 5 us)\n",
         calls_s / (rounds * 1000.0) * 1e6);
  double replay_s = 0;
  for (int r = 0; r < rounds; r++) {
    struct orch_plan_hook *h = NULL;
    if (orch_plan_hook_new(rt, "w/after", ctx, journal, &h, &err)) return 1;
    t0 = now_s();
    if (orch_plan_hook_resume(h, &err) != ORCH_PLAN_DONE) {
      fprintf(stderr, "replay: %s\n", err.message);
      return 1;
    }
    replay_s += now_s() - t0;
    orch_plan_hook_free(h);
  }
  printf("replay of a 1,000-call journal: %.2f ms (target < 50 ms)\n", replay_s / rounds * 1e3);
  json_decref(journal);
  json_decref(ctx);
  orch_plan_runtime_free(rt);

  /* 4. idle execution: the 40-wave plan loaded, no hook running */
  struct orch_plan_runtime *idle = NULL;
  if (orch_plan_runtime_new(&cfg, &s, &idle, NULL, &err)) return 1;
  orch_plan_sandbox_collect(orch_plan_runtime_sandbox(idle));
  printf("idle execution Lua state (40-wave plan loaded): %.1f KB (target < 200 KB), peak while loading %.1f KB\n",
         (double)orch_plan_sandbox_memory(orch_plan_runtime_sandbox(idle)) / 1024.0,
         (double)orch_plan_sandbox_memory_peak(orch_plan_runtime_sandbox(idle)) / 1024.0);
  orch_plan_runtime_free(idle);
  orch_buf_free(&src);
  return 0;
}
