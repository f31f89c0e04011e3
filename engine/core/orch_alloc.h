/* orch_alloc: the engine's allocation wrappers. Every engine allocation goes through these (jansson is
 * routed here too by orch_json_init), so tests can fail the Nth allocation and check that each caller
 * returns a clean error and leaks nothing. Uses libc. */
#ifndef ORCH_ALLOC_H
#define ORCH_ALLOC_H

#include <stddef.h>

void *orch_malloc(size_t n);
void *orch_calloc(size_t count, size_t size);
void *orch_realloc(void *p, size_t n);
void orch_free(void *p);
/* Copies; NULL on allocation failure (or when s is NULL). Caller frees. */
char *orch_strdup(const char *s);
char *orch_strndup(const char *s, size_t n);

/* Test hook: after `n` more successful allocations, every allocation fails until reset with -1.
 * Process-wide and atomic; production code never calls it. */
void orch_alloc_fail_after(long n);
/* How many allocations succeeded since the last orch_alloc_fail_after (for failure-loop tests). */
long orch_alloc_count(void);

#endif
