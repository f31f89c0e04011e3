/* orch_api_schema: the API's JSON Schemas (engine/api/schemas.json, embedded at build time) and a
 * validator for the subset they use (type, enum, const, string lengths and patterns, numeric bounds,
 * arrays, objects with required and additional properties, $ref to #/components/schemas). The same
 * schemas check request bodies and query parameters and make up the OpenAPI document's components.
 * Patterns are POSIX extended regular expressions written to mean the same in ECMA-262.
 * Uses jansson, regex.h, orch_json, orch_str. */
#ifndef ORCH_API_SCHEMA_H
#define ORCH_API_SCHEMA_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/orch_error.h"

#define ORCH_API_SCHEMA_ERRORS_MAX 20 /* problems reported for one value */

struct orch_api_schemas;

/* Load the embedded schemas and compile every pattern (in them and in `extra`, schema texts such as the
 * route table's query parameters, which are parsed and kept: orch_api_schemas_extra returns them).
 * A malformed schema is ORCH_EINTERNAL naming it. */
int orch_api_schemas_load(const char *const *extra, size_t nextra, struct orch_api_schemas **out,
                          struct orch_error *err) ORCH_MUST_CHECK;
void orch_api_schemas_free(struct orch_api_schemas *s);

/* The components ({"Error": {...}, ...}), borrowed. */
const json_t *orch_api_schemas_components(const struct orch_api_schemas *s);
/* The parsed `extra[i]`, borrowed. */
const json_t *orch_api_schemas_extra(const struct orch_api_schemas *s, size_t i);

/* Check `value` against component `name` (or, with name NULL, the schema `schema`). Returns the number
 * of problems; when there are any and `problems` is non-NULL, it receives a new array of
 * {"path", "message"} (at most ORCH_API_SCHEMA_ERRORS_MAX). `path` names the root ("body", "query.limit"). */
size_t orch_api_schema_check(const struct orch_api_schemas *s, const char *name, const json_t *schema,
                             const json_t *value, const char *path, json_t **problems);

/* A query parameter's text as the JSON value its schema's type asks for ("5" -> 5 for an integer,
 * "true" -> true); NULL when it cannot be one (the caller reports it). New reference. */
json_t *orch_api_schema_coerce(const json_t *schema, const char *text);

#endif
