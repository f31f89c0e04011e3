/* orch_plan_value: Lua values to and from jansson for host calls and compiled plans, the canonical JSON
 * encoding (sorted keys, compact) and its SHA-256, which names a host call's arguments in the journal.
 * Conversion from Lua never raises (it only reads raw tables), so C may run it outside a protected call;
 * it counts every value and byte against a budget and stops there, so a table that holds itself many
 * times over cannot make it build more than the budget. Conversion to Lua charges the running entry.
 * Uses Lua, jansson, OpenSSL (SHA-256), orch_buf, orch_str, orch_plan_sandbox. */
#ifndef ORCH_PLAN_VALUE_H
#define ORCH_PLAN_VALUE_H

#include <jansson.h>
#include <lua.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/orch_buf.h"
#include "core/orch_error.h"

#define ORCH_PLAN_HASH_HEX 65

/* What a conversion may spend, and what it spent. Every value counts once per visit (a table reached
 * twice is converted twice), with at least the bytes of its compact JSON form. */
struct orch_plan_value_budget {
  size_t max_bytes;   /* past this: ORCH_ETOOBIG (0: no limit) */
  uint64_t max_nodes; /* past this many values: ORCH_ELIMIT (0: no limit) */
  size_t bytes;       /* spent so far */
  uint64_t nodes;
};

/* Convert the value at `idx`: nil and json.null -> null; booleans, integers, floats (finite), UTF-8
 * strings; a table with keys 1..n -> array; with string keys -> object; an empty table -> object, unless
 * it carries the array marker (orch_plan_value_push_array_mt). Functions, userdata, mixed or cyclic tables
 * and nesting past `max_depth` are ORCH_ETYPE / ORCH_ETOOBIG naming the path ("params.Filters[2]"); the
 * budget's limits ORCH_ETOOBIG / ORCH_ELIMIT. `budget` may be NULL (no limit). *out is owned by the
 * caller. */
int orch_plan_value_to_json(lua_State *L, int idx, int max_depth, struct orch_plan_value_budget *budget, json_t **out,
                            struct orch_error *err) ORCH_MUST_CHECK;
/* Push a Lua value for `j` (null -> json.null, the NULL light userdata), charging the running entry for
 * every value. May raise (out of memory, the instruction limit). */
void orch_plan_value_push(lua_State *L, const json_t *j);
/* Whether `j` (NULL: JSON null) takes at most `max` bytes as compact JSON; stops counting past `max`. */
bool orch_plan_value_fits(const json_t *j, size_t max);
/* Push the metatable that marks a Lua table as a JSON array (created on first use). */
void orch_plan_value_push_array_mt(lua_State *L);

/* The canonical encoding: sorted keys, no whitespace, reals with 17 significant digits. */
int orch_plan_value_canonical(const json_t *j, struct orch_buf *out) ORCH_MUST_CHECK;
/* Lower-case hex SHA-256 of `len` bytes. */
int orch_plan_value_sha256(const void *data, size_t len, char out[ORCH_PLAN_HASH_HEX]) ORCH_MUST_CHECK;

#endif
