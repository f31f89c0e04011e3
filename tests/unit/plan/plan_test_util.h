/* plan_test_util: helpers shared by the engine/plan unit tests: validate Lua text in a fresh sandbox and
 * look at the first problem; a minimal valid plan to end snippets with. Uses orch_plan_compile. */
#ifndef PLAN_TEST_UTIL_H
#define PLAN_TEST_UTIL_H

#include <criterion/criterion.h>
#include <string.h>

#include "core/orch_json.h"
#include "plan/orch_plan_compile.h"

#define PLAN_TAIL "\nreturn plan { name = \"t\", waves = { wave \"a\" { servers = group \"g\" } } }\n"

/* Validate `text` as file "t.lua" with `limits` (NULL: defaults); returns the report (caller frees). */
static inline struct orch_plan_report *pt_validate(const char *text, const struct orch_plan_limits *limits) {
  struct orch_plan_sandbox_config cfg = {0};
  if (limits) cfg.limits = *limits;
  struct orch_plan_source src = {.file = "t.lua", .text = text, .len = strlen(text)};
  struct orch_plan_report *r = NULL;
  struct orch_error err = {0};
  cr_assert_eq(orch_plan_validate(&cfg, &src, NULL, &r, &err), 0, "validate: %s", err.message);
  return r;
}

static inline const char *pt_field(const json_t *p, const char *k) {
  const char *s = json_string_value(json_object_get(p, k));
  return s ? s : "";
}

static inline long pt_int(const json_t *p, const char *k) { return (long)json_integer_value(json_object_get(p, k)); }

/* Expect exactly one problem with `code` whose message contains `needle`, at `line` (0: any). */
static inline void pt_expect_problem(const char *text, const char *code, const char *needle, long line) {
  struct orch_plan_report *r = pt_validate(text, NULL);
  const json_t *ps = orch_plan_report_problems(r);
  cr_assert_geq(json_array_size(ps), 1, "expected a problem for:\n%s", text);
  const json_t *p = json_array_get(ps, 0);
  cr_expect_str_eq(pt_field(p, "code"), code, "code of '%s'", pt_field(p, "message"));
  cr_expect(strstr(pt_field(p, "message"), needle) != NULL, "message '%s' lacks '%s'", pt_field(p, "message"), needle);
  if (line) cr_expect_eq(pt_int(p, "line"), line, "line of '%s'", pt_field(p, "message"));
  orch_plan_report_free(r);
}

static inline void pt_expect_clean(const char *text) {
  struct orch_plan_report *r = pt_validate(text, NULL);
  const json_t *ps = orch_plan_report_problems(r);
  if (json_array_size(ps)) {
    const json_t *p = json_array_get(ps, 0);
    cr_assert_fail("unexpected problem %s:%ld: %s (%s)", pt_field(p, "file"), pt_int(p, "line"), pt_field(p, "message"),
                   pt_field(p, "code"));
  }
  orch_plan_report_free(r);
}

#endif
