/* orch_id: identifiers. Sortable unique ids (UUIDv7: 48-bit millisecond time, then a counter and random
 * bits from the kernel's CSPRNG, so ids made later sort later) and AWS-style ids ("s-" + 17 hex).
 * Uses getrandom(2). */
#ifndef ORCH_ID_H
#define ORCH_ID_H

#include <stddef.h>
#include <stdint.h>

#include "core/orch_error.h"

#define ORCH_ID_UUID_LEN 36

/* A UUIDv7 for time `ms` into out (37 bytes). Within one process ids are strictly increasing. */
int orch_id_uuid7(char out[ORCH_ID_UUID_LEN + 1], int64_t ms) ORCH_MUST_CHECK;
/* `prefix` followed by `nhex` random lower-case hex digits ("s-", 17 -> "s-1a2b..."), into out (outsz). */
int orch_id_hex(char *out, size_t outsz, const char *prefix, size_t nhex) ORCH_MUST_CHECK;
/* Fill `n` bytes from the kernel's CSPRNG (getrandom). */
int orch_id_random(void *buf, size_t n) ORCH_MUST_CHECK;
/* The timestamp (ms) inside a UUIDv7 string, or ORCH_EPARSE. */
int orch_id_uuid7_time(const char *id, int64_t *ms) ORCH_MUST_CHECK;

#endif
