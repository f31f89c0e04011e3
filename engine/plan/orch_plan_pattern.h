/* orch_plan_pattern: string.find, string.match, string.gmatch and string.gsub for the sandbox. Same Lua 5.4
 * pattern language, but the matcher counts its steps: a pathological pattern (".-.-.-.-x" on a long
 * string) ends in a contained limit error instead of spinning in C where the count hook cannot reach it.
 * Pattern subjects are capped in size; plain finds use a linear search. Uses orch_plan_sandbox. */
#ifndef ORCH_PLAN_PATTERN_H
#define ORCH_PLAN_PATTERN_H

#include <lua.h>

/* Set find, match, gmatch and gsub in the table at index `t`. */
void orch_plan_pattern_open(lua_State *L, int t);

#endif
