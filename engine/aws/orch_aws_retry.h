/* orch_aws_retry: the AWS SDKs' "standard" retry mode: which errors are retried (throttling codes,
 * transient codes, 5xx, connection failures), at most 3 attempts, full-jitter exponential backoff
 * min(rand[0,1) * 2^i, 20 s), and the client-wide retry quota (500 tokens, 5 per retry, 10 per retry
 * after a timeout, refunded on success). Also implements orch_aws_error_classify. Thread-safe.
 * Uses orch_aws_error, orch_id (seeding its PRNG), pthreads. */
#ifndef ORCH_AWS_RETRY_H
#define ORCH_AWS_RETRY_H

#include <stdbool.h>
#include <stdint.h>

#include "aws/orch_aws_error.h"
#include "core/orch_error.h"

#define ORCH_AWS_RETRY_MAX_ATTEMPTS 3
#define ORCH_AWS_RETRY_MAX_BACKOFF_MS 20000
#define ORCH_AWS_RETRY_QUOTA_INITIAL 500
#define ORCH_AWS_RETRY_COST 5
#define ORCH_AWS_RETRY_TIMEOUT_COST 10
#define ORCH_AWS_RETRY_NO_RETRY_REFUND 1

/* Error codes the client itself puts in orch_aws_error.code for failures without a response; both
 * are retried as transient (TIMEOUT also costs ORCH_AWS_RETRY_TIMEOUT_COST of the quota). */
#define ORCH_AWS_CODE_CONNECTION "ConnectionError"
#define ORCH_AWS_CODE_TIMEOUT "TimeoutError"

/* true for the standard throttling codes ("Throttling", "ThrottlingException", "SlowDown", ...). */
bool orch_aws_retry_is_throttling_code(const char *code);
/* true for the standard transient codes ("RequestTimeout", "RequestTimeoutException", ...). */
bool orch_aws_retry_is_transient_code(const char *code);

struct orch_aws_retry_config {
  int max_attempts;       /* 0 = ORCH_AWS_RETRY_MAX_ATTEMPTS; 1 disables retries */
  int64_t max_backoff_ms; /* 0 = ORCH_AWS_RETRY_MAX_BACKOFF_MS */
  int quota;              /* 0 = ORCH_AWS_RETRY_QUOTA_INITIAL */
  /* Randomness for the jitter, in [0, 1); NULL = an internal PRNG. Tests make it deterministic. */
  double (*rand01)(void *ctx);
  void *rand_ctx;
};

/* Shared by every call of one client. Caller frees with orch_aws_retry_free (accepts NULL). */
struct orch_aws_retry;
int orch_aws_retry_new(const struct orch_aws_retry_config *cfg, struct orch_aws_retry **out) ORCH_MUST_CHECK;
void orch_aws_retry_free(struct orch_aws_retry *r);

/* One call's retry state; zero-initialise before the first attempt. */
struct orch_aws_retry_call {
  int attempts;     /* attempts made so far (the caller increments before each send) */
  int quota_held;   /* quota taken for the latest retry, refunded on success */
  bool quota_empty; /* a retry was refused because the quota ran out */
};

/* After attempt number call->attempts failed with `e` (classified): true and *delay_ms (the backoff to
 * wait before the next attempt) when the standard mode retries it; false when the error is not
 * retryable, the attempts are used up, or the quota is exhausted (call->quota_empty). */
bool orch_aws_retry_next(struct orch_aws_retry *r, struct orch_aws_retry_call *call, const struct orch_aws_error *e,
                         int64_t *delay_ms);
/* A call succeeded: refund its held quota, or ORCH_AWS_RETRY_NO_RETRY_REFUND when it needed no retry. */
void orch_aws_retry_success(struct orch_aws_retry *r, const struct orch_aws_retry_call *call);
/* Remaining quota (for metrics and tests). */
int orch_aws_retry_quota(struct orch_aws_retry *r);
int orch_aws_retry_max_attempts(const struct orch_aws_retry *r);

#endif
