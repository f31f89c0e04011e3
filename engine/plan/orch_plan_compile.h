/* orch_plan_compile: evaluating a plan file in a sandbox (the same sandbox and limits as an execution)
 * and validating what it returned, into a report: every problem with file, line, column, code, message
 * and hint, and, when there is none, the compiled plan as JSON (waves, edges, levels, gates, selectors,
 * hook references with source locations; shape in docs/plan-language.md). `drsorch validate` prints the
 * report; the REST API returns orch_plan_report_json. Uses orch_plan_sandbox, orch_plan_value, lua/plan
 * (compile, validate, locate, dsl), orch_time, orch_str, jansson. */
#ifndef ORCH_PLAN_COMPILE_H
#define ORCH_PLAN_COMPILE_H

#include <jansson.h>
#include <lua.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/orch_buf.h"
#include "core/orch_error.h"
#include "plan/orch_plan_sandbox.h"

/* A plan's source: `file` names it in problems ("plans/orders.lua"). With `text` NULL the file is read
 * from disk (and, unless the sandbox config says otherwise, its directory holds the plan's modules). */
struct orch_plan_source {
  const char *file;
  const char *text;
  size_t len;
};

struct orch_plan_options {
  const char *const *known_groups; /* NULL-terminated protection group names; NULL: not checked */
};

struct orch_plan_report;

/* Problems: a JSON array of {file, line, column, code, message, hint?}, sorted by position. Codes:
 * syntax, runtime, limit, io, not_a_plan, missing, unknown_key, type, bad_value, bad_duration,
 * duplicate_wave, unknown_dependency, cycle, unreachable_wave, empty_wave, duplicate_server,
 * unknown_group, not_permitted (an aws_allow entry beyond the operator's ceiling). Borrowed from the report. */
const json_t *orch_plan_report_problems(const struct orch_plan_report *r);
size_t orch_plan_report_count(const struct orch_plan_report *r);
/* The compiled plan, or NULL when there are problems. Borrowed. */
const json_t *orch_plan_report_plan(const struct orch_plan_report *r);
const char *orch_plan_report_file(const struct orch_plan_report *r);
/* {"file", "ok", "problems": [...], "plan": {...} | null}. New reference. */
json_t *orch_plan_report_json(const struct orch_plan_report *r);
/* "file:line:column: error: message [code]\n    hint: ...\n" per problem, then a summary line. */
int orch_plan_report_text(const struct orch_plan_report *r, struct orch_buf *out) ORCH_MUST_CHECK;
void orch_plan_report_free(struct orch_plan_report *r);

/* Evaluate and validate `src` in `sb` under one load budget. Returns 0 with a report (which may list
 * problems: a plan error is data, not a failure), or a negative code when no report could be made
 * (out of memory outside Lua). On a clean plan the hook functions stay anchored in `sb` for
 * orch_plan_compile_push_hook. Caller frees the report. */
int orch_plan_compile(struct orch_plan_sandbox *sb, const struct orch_plan_source *src,
                      const struct orch_plan_options *opt, struct orch_plan_report **out, struct orch_error *err)
    ORCH_MUST_CHECK;

/* One-shot validation: a fresh sandbox with `cfg` (NULL: defaults), compile, free. */
int orch_plan_validate(const struct orch_plan_sandbox_config *cfg, const struct orch_plan_source *src,
                       const struct orch_plan_options *opt, struct orch_plan_report **out, struct orch_error *err)
    ORCH_MUST_CHECK;

/* Read a plan file (at most `max` bytes) into `out`. */
int orch_plan_read_file(const char *path, size_t max, struct orch_buf *out, struct orch_error *err) ORCH_MUST_CHECK;

/* ---- For the other modules of engine/plan ---- */

/* Push the hook function compiled under `id` ("database/after", "cleanup"); returns its Lua type
 * (LUA_TNIL when there is none). */
int orch_plan_compile_push_hook(lua_State *L, const char *id);
/* Register the compile-time internals (orch.caller, orch.funcinfo, orch.nearest, ...). */
void orch_plan_compile_open(lua_State *L);

#endif
