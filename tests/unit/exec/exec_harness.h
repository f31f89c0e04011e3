/* exec_harness: the real engine against the real simulated region, for the engine's tests: the rig of
 * exec_rig.h (simulator on a loopback port, SQLite store in a scratch directory, production AWS access,
 * engine) with criterion assertions, and a plan compiled from Lua text. Header-only, included by
 * tests/unit/exec/test_*.c. */
#ifndef EXEC_HARNESS_H
#define EXEC_HARNESS_H

#include <criterion/criterion.h>

#include "scratch_dir.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/orch_json.h"
#include "exec/orch_exec_report.h"
#include "exec_rig.h"
#include "plan/orch_plan_compile.h"

static inline void h_scenario_path(char *out, size_t n, const char *name) {
  const char *src = getenv("ORCH_SOURCE_DIR");
  cr_assert_not_null(src, "ORCH_SOURCE_DIR is not set (run through ctest)");
  snprintf(out, n, "%s/plans/scenarios/%s", src, name);
}

/* Start the simulator with a scenario (or parsed JSON), a store and AWS access. */
static inline void h_start_sim(struct harness *h, const char *scenario_file, const json_t *scenario, double speed,
                               uint64_t seed) {
  orch_json_init();
  memset(h, 0, sizeof *h);
  scratch_dir_make(h->dir, sizeof h->dir, "/tmp", "exec-test");
  char path[1024];
  struct orch_error err = {0};
  if (scenario_file) h_scenario_path(path, sizeof path, scenario_file);
  struct orch_sim_options so = {.scenario_path = scenario_file ? path : NULL, .scenario = scenario,
                                .listen = "127.0.0.1:0", .speed = speed, .seed = seed};
  const char *what = exec_rig_start(h, &so, &err);
  cr_assert_null(what, "%s: %s: %s", what, err.context, err.message);
}

/* Compile `lua` and store it as a plan (or a new version of it). */
static inline void h_plan(struct harness *h, const char *lua) {
  struct orch_plan_source src = {.file = "test-plan.lua", .text = lua, .len = strlen(lua)};
  struct orch_plan_report *rep = NULL;
  struct orch_error err = {0};
  cr_assert_eq(orch_plan_validate(NULL, &src, NULL, &rep, &err), 0, "%s", err.message);
  if (!orch_plan_report_plan(rep)) {
    struct orch_buf b = ORCH_BUF_INIT(0);
    cr_assert_eq(orch_plan_report_text(rep, &b), 0);
    cr_assert_fail("the test plan does not compile:\n%s", orch_buf_cstr(&b));
  }
  struct orch_store_version_spec v = {.source = lua, .compiled = orch_plan_report_plan(rep), .author = "test"};
  struct orch_store_plan plan = {0};
  const char *name = json_string_value(json_object_get(orch_plan_report_plan(rep), "name"));
  if (orch_store_plan_find(h->store, name, &plan, &err) == 0) {
    cr_assert_eq(orch_store_plan_add_version(h->store, plan.id, 0, &v, NULL, &err), 0, "%s", err.message);
  } else {
    cr_assert_eq(orch_store_plan_create(h->store, name, &v, &plan, NULL, &err), 0, "%s", err.message);
  }
  snprintf(h->plan_id, sizeof h->plan_id, "%s", plan.id);
  orch_plan_report_free(rep);
}

static inline void h_engine(struct harness *h, bool approve_all, int64_t poll_ms) {
  struct orch_error err = {0};
  cr_assert_null(exec_rig_engine(h, approve_all, poll_ms, &err), "engine: %s", err.message);
}

static inline void h_stop_engine(struct harness *h) { exec_rig_stop_engine(h); }

static inline void h_stop(struct harness *h) {
  exec_rig_stop(h);
  scratch_dir_remove(h->dir);
}

/* Wait (real time, polling) until the simulator's clock reads at least `until_ms`: the discrete-event
 * clock gets there by jumping from poll to poll while the engine idles, whatever the machine's speed.
 * Fails the test after `seconds` real seconds. */
static inline void h_wait_sim_time(struct harness *h, int64_t until_ms, int seconds) {
  for (int i = 0; i < seconds * 100; i++) {
    if (orch_clock_now_ms(orch_sim_clock(h->sim)) >= until_ms) return;
    usleep(10000);
  }
  cr_assert_fail("the simulated clock did not reach %lld", (long long)until_ms);
}

/* Count of one operation in the simulator's call record. */
static inline long h_calls(struct harness *h, const char *service, const char *op) {
  json_t *calls = orch_sim_calls(h->sim);
  char key[128];
  snprintf(key, sizeof key, "%s:%s", service, op);
  long n = (long)json_integer_value(json_object_get(json_object_get(json_object_get(calls, "operations"), key), "calls"));
  json_decref(calls);
  return n;
}

#endif
