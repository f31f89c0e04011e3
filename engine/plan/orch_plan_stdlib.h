/* orch_plan_stdlib: the library surface plans see. Base (with a guarded rawset, text-only load, a
 * setmetatable that installs an engine-owned copy of the metatable, collectgarbage("count") only), string
 * without dump, table, math without random, utf8 and json, each library a read-only table. Every C
 * function whose work grows with its input charges that work to the instruction budget before doing it.
 * Uses orch_plan_sandbox (charges, aborts, print sink, loading), orch_plan_pattern, orch_plan_json. */
#ifndef ORCH_PLAN_STDLIB_H
#define ORCH_PLAN_STDLIB_H

#include <lua.h>

/* Open the libraries and set them, with the base functions, in the table at `base`. */
void orch_plan_stdlib_open(lua_State *L, int base);

/* Push a read-only view of the table at `idx` named `name` (in messages): reads fall through to it,
 * writes raise, rawset refuses it, and its metatable is hidden. The table itself stays unreachable. */
void orch_plan_push_readonly(lua_State *L, int idx, const char *name);

#endif
