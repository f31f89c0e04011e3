/* orch_api_plans: what the plan and version handlers share: compiling Lua source as `drsorch validate`
 * does (the same sandbox, limits and report; protection groups checked against the store), and the JSON
 * of plans and versions (with the compiled wave graph as nodes and edges). Uses orch_plan_compile,
 * orch_store, orch_api_int. */
#ifndef ORCH_API_PLANS_H
#define ORCH_API_PLANS_H

#include "api/orch_api_int.h"
#include "plan/orch_plan_compile.h"

/* Compile `source` (named `file` in problems) into *report (caller frees). A plan with problems is 0
 * with them in the report; only a failure to compile at all is an error. */
int api_plan_compile(struct api_call *c, const char *source, const char *file, struct orch_plan_report **report,
                     struct orch_error *err) ORCH_MUST_CHECK;
/* Answer 422 PlanInvalid with the report in details. */
int api_plan_invalid(struct api_call *c, const struct orch_plan_report *report);

json_t *api_plan_json(const struct orch_store_plan *p);
/* A version: with `full`, its source, compiled plan and graph. */
json_t *api_version_json(const struct orch_store_plan_version *v, bool full);
/* {"nodes": [...], "edges": [...]} of a compiled plan. */
json_t *api_plan_graph(const json_t *compiled);

#endif
