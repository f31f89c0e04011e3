/* orch_plan_api: a description of what plan code can call, read from a live sandbox: the DSL globals,
 * the hook context methods (w:..., x:...) and the json module. The console uses it for completion, CI to
 * check that lua/types/ documents exactly this API. Uses orch_plan_sandbox, orch_plan_modules, jansson. */
#ifndef ORCH_PLAN_API_H
#define ORCH_PLAN_API_H

#include <jansson.h>

#include "core/orch_error.h"

/* {"globals": ["group", "plan", "tags", "wave"], "context": ["approve", "assert", ...],
 *  "json": ["decode", "encode", "null"]}, each sorted. Caller owns the result. */
int orch_plan_api_describe(json_t **out, struct orch_error *err) ORCH_MUST_CHECK;

#endif
