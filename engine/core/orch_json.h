/* orch_json: helpers over jansson for reading and validating JSON with errors that name the exact path
 * of the problem ("waves[2].depends_on[0]: expected string, got number"), and for writing JSON into an
 * orch_buf. Uses jansson, orch_buf, orch_str and orch_error. */
#ifndef ORCH_JSON_H
#define ORCH_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/orch_buf.h"
#include "core/orch_error.h"

#define ORCH_JSON_PATH_MAX 256
#define ORCH_JSON_DEFAULT_MAX_DEPTH 64

/* Route jansson's allocations through orch_alloc (so allocation-failure tests cover JSON code).
 * Call once at start-up, before any other thread uses jansson. */
void orch_json_init(void);

/* "object", "array", "string", "number" (integer and real), "boolean", "null". */
const char *orch_json_type_name(const json_t *j);

/* Path building: `out` receives "<base>.<key>" (or "<key>" when base is empty) / "<base>[<index>]". */
void orch_json_path_key(char out[ORCH_JSON_PATH_MAX], const char *base, const char *key);
void orch_json_path_index(char out[ORCH_JSON_PATH_MAX], const char *base, size_t index);

/* Deepest nesting of objects and arrays in `len` bytes of JSON text (valid or not), stopping once past
 * `limit`: a result above `limit` means "too deep". */
size_t orch_json_depth(const char *p, size_t len, size_t limit);

/* Parse `len` bytes; rejects nesting deeper than `max_depth` (0 = default) before jansson recurses.
 * On failure returns NULL and sets ORCH_EPARSE with "line L, column C: reason" (ORCH_ETOOBIG for depth).
 * Caller owns the result (json_decref). */
json_t *orch_json_parse(const char *data, size_t len, size_t max_depth, struct orch_error *err);

/* Typed field access. `path` is the object's own path ("" for the root). A missing field is an error
 * only when `required`; then the out value is left untouched and the function returns 0 with *found
 * false (found may be NULL). A field of the wrong type is ORCH_ETYPE naming the path and both types. */
int orch_json_get_str(const json_t *obj, const char *path, const char *key, bool required,
                      const char **out, struct orch_error *err) ORCH_MUST_CHECK;
int orch_json_get_int(const json_t *obj, const char *path, const char *key, bool required,
                      long long min, long long max, long long *out, struct orch_error *err) ORCH_MUST_CHECK;
int orch_json_get_bool(const json_t *obj, const char *path, const char *key, bool required, bool *out,
                       struct orch_error *err) ORCH_MUST_CHECK;
int orch_json_get_array(const json_t *obj, const char *path, const char *key, bool required,
                        json_t **out, struct orch_error *err) ORCH_MUST_CHECK;
int orch_json_get_object(const json_t *obj, const char *path, const char *key, bool required,
                         json_t **out, struct orch_error *err) ORCH_MUST_CHECK;

/* `j` (at `path`) must be of jansson type `type`; ORCH_ETYPE "expected X, got Y" otherwise. */
int orch_json_expect(const json_t *j, const char *path, json_type type, struct orch_error *err)
    ORCH_MUST_CHECK;
/* Every key of object `obj` must be in the NULL-terminated `allowed` list; otherwise ORCH_EUNKNOWNKEY
 * naming the key's path and, where one is close, "did you mean 'x'?". */
int orch_json_check_keys(const json_t *obj, const char *path, const char *const *allowed,
                         struct orch_error *err) ORCH_MUST_CHECK;

/* Append the compact (or, with JSON_INDENT(n) in flags, indented) encoding of `j` to `out`. */
int orch_json_dump(struct orch_buf *out, const json_t *j, size_t flags) ORCH_MUST_CHECK;

#endif
