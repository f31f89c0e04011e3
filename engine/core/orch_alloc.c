/* orch_alloc: malloc wrappers with a fail-the-Nth-allocation hook for failure-loop tests. Uses libc. */
#include "core/orch_alloc.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_long fail_after = -1; /* -1: never fail */
static atomic_long alloc_count = 0;

static int alloc_should_fail(void) {
  long budget = atomic_load_explicit(&fail_after, memory_order_relaxed);
  if (budget < 0) return 0;
  long used = atomic_fetch_add_explicit(&alloc_count, 1, memory_order_relaxed);
  if (used >= budget) {
    atomic_fetch_sub_explicit(&alloc_count, 1, memory_order_relaxed);
    return 1;
  }
  return 0;
}

void orch_alloc_fail_after(long n) {
  atomic_store(&alloc_count, 0);
  atomic_store(&fail_after, n);
}

long orch_alloc_count(void) { return atomic_load(&alloc_count); }

void *orch_malloc(size_t n) {
  if (alloc_should_fail()) return NULL;
  return malloc(n ? n : 1);
}

void *orch_calloc(size_t count, size_t size) {
  if (alloc_should_fail()) return NULL;
  return calloc(count ? count : 1, size ? size : 1);
}

void *orch_realloc(void *p, size_t n) {
  if (alloc_should_fail()) return NULL;
  return realloc(p, n ? n : 1);
}

void orch_free(void *p) { free(p); }

char *orch_strndup(const char *s, size_t n) {
  if (!s) return NULL;
  size_t len = strnlen(s, n);
  char *d = orch_malloc(len + 1);
  if (!d) return NULL;
  memcpy(d, s, len);
  d[len] = '\0';
  return d;
}

char *orch_strdup(const char *s) {
  if (!s) return NULL;
  return orch_strndup(s, strlen(s));
}
