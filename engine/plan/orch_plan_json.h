/* orch_plan_json: the `json` module plans see (json.encode, json.decode, json.null), which is lua-cjson
 * behind a guard. lua-cjson allocates its buffers with malloc, outside the Lua allocator, and exits the
 * process when malloc fails, so nothing reaches it unchecked: decode input is capped in size and nesting
 * depth (scanned before cjson parses) and needs memory headroom in the state; encode input is walked
 * first for types, depth, cycles, exact integers and an upper bound of the output size.
 * Contract: json.decode returns the value, or nil, message, code ("EPARSE", "ELIMIT") for bad or
 * oversized text; json.encode raises on values JSON cannot hold. Uses lua-cjson, orch_plan_sandbox. */
#ifndef ORCH_PLAN_JSON_H
#define ORCH_PLAN_JSON_H

#include <lua.h>

/* Push the module table {encode, decode, null}. */
void orch_plan_json_open(lua_State *L);

#endif
