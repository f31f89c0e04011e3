/* orch_aws_ratelimit: a client-side token bucket per service+region that adapts to throttling (AIMD:
 * the rate halves on each throttling response and grows back by a fixed step per success) and honours
 * Retry-After (bounded). It never sleeps itself: reserving a token returns how long to wait, so the
 * caller sleeps through its injected sleep, or a scheduler reschedules. Thread-safe.
 * Uses orch_clock (injected time), pthreads. */
#ifndef ORCH_AWS_RATELIMIT_H
#define ORCH_AWS_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/orch_clock.h"
#include "core/orch_error.h"

#define ORCH_AWS_RATELIMIT_MAX_RATE 50.0        /* requests/s per service+region before any throttling */
#define ORCH_AWS_RATELIMIT_MIN_RATE 0.5
#define ORCH_AWS_RATELIMIT_STEP 0.5             /* requests/s regained per successful response */
#define ORCH_AWS_RATELIMIT_MAX_RETRY_AFTER_MS 60000

struct orch_aws_ratelimit_config {
  double max_rate;  /* 0 = ORCH_AWS_RATELIMIT_MAX_RATE; also the starting rate */
  double min_rate;  /* 0 = ORCH_AWS_RATELIMIT_MIN_RATE */
  double step;      /* 0 = ORCH_AWS_RATELIMIT_STEP */
  double burst;     /* bucket size in tokens; 0 = max(1, current rate) */
  int64_t max_retry_after_ms; /* 0 = ORCH_AWS_RATELIMIT_MAX_RETRY_AFTER_MS */
};

/* `clock` must outlive the limiter. Caller frees with orch_aws_ratelimit_free (accepts NULL). */
struct orch_aws_ratelimit;
int orch_aws_ratelimit_new(const struct orch_aws_ratelimit_config *cfg, const struct orch_clock *clock,
                           struct orch_aws_ratelimit **out) ORCH_MUST_CHECK;
void orch_aws_ratelimit_free(struct orch_aws_ratelimit *rl);

/* Take one token for a request to service+region: returns the milliseconds to wait before sending
 * (0 when one is available now), or a negative ORCH_E* code (out of memory for a new bucket).
 * A reservation is final: the caller waits, then sends. */
int64_t orch_aws_ratelimit_reserve(struct orch_aws_ratelimit *rl, const char *service, const char *region);

/* Feed back a response: `throttled` halves the rate (not below min_rate); otherwise the rate grows by
 * `step` (up to max_rate). `retry_after_ms` >= 0 (from Retry-After) holds every request to that
 * service+region until then, capped at max_retry_after_ms. */
void orch_aws_ratelimit_feedback(struct orch_aws_ratelimit *rl, const char *service, const char *region,
                                 bool throttled, int64_t retry_after_ms);

/* The current rate in requests/s for service+region (max_rate when never used). */
double orch_aws_ratelimit_rate(struct orch_aws_ratelimit *rl, const char *service, const char *region);

#endif
