/* orch_api_ratelimit: token buckets keyed by a string (a client address, a credential), refilled at
 * `rate` per second up to a burst of twice that. A fixed table: when it is full the bucket idle the
 * longest is reused (a full bucket is the same as none). Thread-safe. Uses orch_clock, pthreads. */
#ifndef ORCH_API_RATELIMIT_H
#define ORCH_API_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/orch_clock.h"
#include "core/orch_error.h"

#define ORCH_API_RL_BUCKETS 4096

struct orch_api_ratelimit;

int orch_api_ratelimit_new(const struct orch_clock *clock, struct orch_api_ratelimit **out) ORCH_MUST_CHECK;
void orch_api_ratelimit_free(struct orch_api_ratelimit *rl);

/* Take one request from `key`'s bucket (`rate` per second; 0 = unlimited). false when it is empty, with
 * *retry_after_s the whole seconds until a request would pass. */
bool orch_api_ratelimit_take(struct orch_api_ratelimit *rl, const char *key, long rate, int64_t *retry_after_s);

#endif
