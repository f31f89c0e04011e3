/* Tests for orch_aws_retry (standard retry mode: classification, attempts, jitter backoff, quota) and
 * orch_aws_ratelimit (AIMD token bucket with Retry-After), on a virtual clock. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "aws/orch_aws_ratelimit.h"
#include "aws/orch_aws_retry.h"

static struct orch_aws_error err_of(const char *code, int status) {
  struct orch_aws_error e = {.http_status = status, .retry_after_ms = -1};
  snprintf(e.code, sizeof e.code, "%s", code);
  orch_aws_error_classify(&e);
  return e;
}

Test(aws_retry, classify_throttling_codes) {
  const char *codes[] = {"Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
                         "TooManyRequestsException", "ProvisionedThroughputExceededException",
                         "TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
                         "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
                         "EC2ThrottledException"};
  for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
    struct orch_aws_error e = err_of(codes[i], 400);
    cr_expect(e.throttling, "%s", codes[i]);
    cr_expect(e.retryable, "%s", codes[i]);
  }
  struct orch_aws_error e = err_of("", 429);
  cr_expect(e.throttling && e.retryable, "429 without a code");
}

Test(aws_retry, classify_transient_and_permanent) {
  const char *transient[] = {"RequestTimeout", "RequestTimeoutException", "InternalError", "ConnectionError",
                             "TimeoutError"};
  for (size_t i = 0; i < sizeof transient / sizeof transient[0]; i++) {
    struct orch_aws_error e = err_of(transient[i], 400);
    cr_expect(e.retryable && !e.throttling, "%s", transient[i]);
  }
  int statuses[] = {500, 502, 503, 504};
  for (size_t i = 0; i < 4; i++) {
    struct orch_aws_error e = err_of("SomethingOdd", statuses[i]);
    cr_expect(e.retryable && !e.throttling, "%d", statuses[i]);
  }
  const char *permanent[] = {"ValidationException", "AccessDeniedException", "ConflictException",
                             "ResourceNotFoundException", "ExpiredToken", "SignatureDoesNotMatch"};
  for (size_t i = 0; i < sizeof permanent / sizeof permanent[0]; i++) {
    struct orch_aws_error e = err_of(permanent[i], 400);
    cr_expect(!e.retryable && !e.throttling, "%s", permanent[i]);
  }
  struct orch_aws_error e = err_of("ValidationException", 501);
  cr_expect(!e.retryable, "501 is not in the transient set");
}

static double fixed_rand(void *ctx) { return *(double *)ctx; }

Test(aws_retry, three_attempts_with_full_jitter_backoff) {
  double r = 0.5;
  struct orch_aws_retry_config cfg = {.rand01 = fixed_rand, .rand_ctx = &r};
  struct orch_aws_retry *rt = NULL;
  cr_assert_eq(orch_aws_retry_new(&cfg, &rt), 0);
  cr_expect_eq(orch_aws_retry_max_attempts(rt), 3);
  struct orch_aws_retry_call call = {0};
  struct orch_aws_error e = err_of("ThrottlingException", 400);
  int64_t delay = -1;
  call.attempts = 1;
  cr_assert(orch_aws_retry_next(rt, &call, &e, &delay));
  cr_expect_eq(delay, 500, "rand * 2^0 s");
  call.attempts = 2;
  cr_assert(orch_aws_retry_next(rt, &call, &e, &delay));
  cr_expect_eq(delay, 1000, "rand * 2^1 s");
  call.attempts = 3;
  cr_expect_not(orch_aws_retry_next(rt, &call, &e, &delay), "3 attempts is the standard maximum");
  cr_expect_eq(orch_aws_retry_quota(rt), 500 - 2 * 5);
  orch_aws_retry_success(rt, &call);
  cr_expect_eq(orch_aws_retry_quota(rt), 500 - 5, "the last retry's cost is refunded on success");
  orch_aws_retry_free(rt);
}

Test(aws_retry, backoff_is_capped_at_20s) {
  double r = 0.99;
  struct orch_aws_retry_config cfg = {.max_attempts = 10, .rand01 = fixed_rand, .rand_ctx = &r};
  struct orch_aws_retry *rt = NULL;
  cr_assert_eq(orch_aws_retry_new(&cfg, &rt), 0);
  struct orch_aws_retry_call call = {.attempts = 8};
  struct orch_aws_error e = err_of("", 503);
  int64_t delay = 0;
  cr_assert(orch_aws_retry_next(rt, &call, &e, &delay));
  cr_expect_eq(delay, 20000, "0.99 * 128 s is capped at 20 s");
  orch_aws_retry_free(rt);
}

Test(aws_retry, default_jitter_stays_in_range) {
  struct orch_aws_retry *rt = NULL;
  cr_assert_eq(orch_aws_retry_new(NULL, &rt), 0);
  struct orch_aws_error e = err_of("", 500);
  int64_t lo = 1000, hi = 0;
  for (int i = 0; i < 60; i++) {
    struct orch_aws_retry_call call = {.attempts = 1};
    int64_t delay = -1;
    cr_assert(orch_aws_retry_next(rt, &call, &e, &delay));
    cr_assert(delay >= 0 && delay < 1000, "%lld", (long long)delay);
    if (delay < lo) lo = delay;
    if (delay > hi) hi = delay;
    orch_aws_retry_success(rt, &call);
  }
  cr_expect(hi - lo > 100, "jitter spreads: %lld..%lld", (long long)lo, (long long)hi);
  orch_aws_retry_free(rt);
}

Test(aws_retry, quota_runs_out_and_timeouts_cost_more) {
  struct orch_aws_retry_config cfg = {.quota = 20};
  struct orch_aws_retry *rt = NULL;
  cr_assert_eq(orch_aws_retry_new(&cfg, &rt), 0);
  struct orch_aws_error timeout = err_of(ORCH_AWS_CODE_TIMEOUT, 0), server = err_of("", 500);
  int64_t d;
  struct orch_aws_retry_call a = {.attempts = 1}, b = {.attempts = 1}, c = {.attempts = 1};
  cr_assert(orch_aws_retry_next(rt, &a, &timeout, &d));
  cr_expect_eq(orch_aws_retry_quota(rt), 10);
  cr_assert(orch_aws_retry_next(rt, &b, &server, &d));
  cr_assert(orch_aws_retry_next(rt, &c, &server, &d));
  cr_expect_eq(orch_aws_retry_quota(rt), 0);
  struct orch_aws_retry_call x = {.attempts = 1};
  cr_expect_not(orch_aws_retry_next(rt, &x, &server, &d));
  cr_expect(x.quota_empty);
  orch_aws_retry_success(rt, &a);
  cr_expect_eq(orch_aws_retry_quota(rt), 10);
  struct orch_aws_retry_call clean = {.attempts = 1};
  orch_aws_retry_success(rt, &clean);
  cr_expect_eq(orch_aws_retry_quota(rt), 11, "a call without retries refunds 1");
  for (int i = 0; i < 50; i++) orch_aws_retry_success(rt, &clean);
  cr_expect_eq(orch_aws_retry_quota(rt), 20, "never above the initial capacity");
  orch_aws_retry_free(rt);
}

Test(aws_retry, non_retryable_is_not_retried) {
  struct orch_aws_retry *rt = NULL;
  cr_assert_eq(orch_aws_retry_new(NULL, &rt), 0);
  struct orch_aws_retry_call call = {.attempts = 1};
  struct orch_aws_error e = err_of("ValidationException", 400);
  int64_t d;
  cr_expect_not(orch_aws_retry_next(rt, &call, &e, &d));
  cr_expect_eq(orch_aws_retry_quota(rt), 500, "no quota taken");
  orch_aws_retry_free(rt);
}

/* ---- rate limiter ----------------------------------------------------------------------------- */

Test(aws_ratelimit, bucket_paces_requests_at_the_rate) {
  struct orch_vclock *vc = NULL;
  cr_assert_eq(orch_vclock_new(0, 0, &vc), 0);
  struct orch_aws_ratelimit_config cfg = {.max_rate = 10, .burst = 2};
  struct orch_aws_ratelimit *rl = NULL;
  cr_assert_eq(orch_aws_ratelimit_new(&cfg, orch_vclock_clock(vc), &rl), 0);
  cr_expect_eq(orch_aws_ratelimit_reserve(rl, "drs", "us-east-1"), 0);
  cr_expect_eq(orch_aws_ratelimit_reserve(rl, "drs", "us-east-1"), 0, "burst of 2");
  cr_expect_eq(orch_aws_ratelimit_reserve(rl, "drs", "us-east-1"), 100, "then one per 100 ms");
  cr_expect_eq(orch_aws_ratelimit_reserve(rl, "drs", "us-east-1"), 200, "queued behind the previous one");
  cr_expect_eq(orch_aws_ratelimit_reserve(rl, "drs", "eu-west-1"), 0, "another region has its own bucket");
  orch_vclock_advance(vc, 1000);
  cr_expect_eq(orch_aws_ratelimit_reserve(rl, "drs", "us-east-1"), 0, "refilled");
  orch_aws_ratelimit_free(rl);
  orch_vclock_free(vc);
}

Test(aws_ratelimit, aimd_halves_on_throttle_and_recovers) {
  struct orch_vclock *vc = NULL;
  cr_assert_eq(orch_vclock_new(0, 0, &vc), 0);
  struct orch_aws_ratelimit_config cfg = {.max_rate = 16, .min_rate = 1, .step = 1};
  struct orch_aws_ratelimit *rl = NULL;
  cr_assert_eq(orch_aws_ratelimit_new(&cfg, orch_vclock_clock(vc), &rl), 0);
  cr_expect_float_eq(orch_aws_ratelimit_rate(rl, "drs", "r"), 16, 1e-9);
  orch_aws_ratelimit_feedback(rl, "drs", "r", true, -1);
  cr_expect_float_eq(orch_aws_ratelimit_rate(rl, "drs", "r"), 8, 1e-9);
  for (int i = 0; i < 10; i++) orch_aws_ratelimit_feedback(rl, "drs", "r", true, -1);
  cr_expect_float_eq(orch_aws_ratelimit_rate(rl, "drs", "r"), 1, 1e-9, "never below min_rate");
  for (int i = 0; i < 5; i++) orch_aws_ratelimit_feedback(rl, "drs", "r", false, -1);
  cr_expect_float_eq(orch_aws_ratelimit_rate(rl, "drs", "r"), 6, 1e-9, "additive increase");
  for (int i = 0; i < 50; i++) orch_aws_ratelimit_feedback(rl, "drs", "r", false, -1);
  cr_expect_float_eq(orch_aws_ratelimit_rate(rl, "drs", "r"), 16, 1e-9, "back to the maximum, not past it");
  orch_aws_ratelimit_free(rl);
  orch_vclock_free(vc);
}

Test(aws_ratelimit, retry_after_holds_requests_bounded) {
  struct orch_vclock *vc = NULL;
  cr_assert_eq(orch_vclock_new(0, 0, &vc), 0);
  struct orch_aws_ratelimit *rl = NULL;
  cr_assert_eq(orch_aws_ratelimit_new(NULL, orch_vclock_clock(vc), &rl), 0);
  orch_aws_ratelimit_feedback(rl, "drs", "r", true, 5000);
  cr_expect_eq(orch_aws_ratelimit_reserve(rl, "drs", "r"), 5000);
  orch_vclock_advance(vc, 4000);
  cr_expect_eq(orch_aws_ratelimit_reserve(rl, "drs", "r"), 1000);
  orch_vclock_advance(vc, 1000);
  cr_expect_eq(orch_aws_ratelimit_reserve(rl, "drs", "r"), 0);
  orch_aws_ratelimit_feedback(rl, "drs", "r", true, 3600 * 1000);
  cr_expect_eq(orch_aws_ratelimit_reserve(rl, "drs", "r"), 60000, "Retry-After is capped at 60 s");
  cr_expect_eq(orch_aws_ratelimit_reserve(rl, "ssm", "r"), 0, "other services are not held");
  orch_aws_ratelimit_free(rl);
  orch_vclock_free(vc);
}
