/* orch_aws_retry: standard-mode retry decisions, backoff and quota; error classification.
 * The code lists follow botocore's retries/standard.py (the SDKs share them). Uses orch_id, pthreads. */
#include "aws/orch_aws_retry.h"

#include <pthread.h>
#include <string.h>

#include "core/orch_alloc.h"
#include "core/orch_id.h"

static const char *const throttling_codes[] = {
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
    "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
    "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled", "SlowDown",
    "PriorRequestNotComplete", "EC2ThrottledException", NULL};

/* botocore's three, plus the server-fault codes other SDKs retry when they arrive without a 5xx
 * (a 200 carrying an error, or a proxy rewriting the status), and the client's own no-response codes. */
static const char *const transient_codes[] = {
    "RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete", "InternalError", "InternalFailure",
    "InternalServerError", "ServiceUnavailable", "ServiceUnavailableException", ORCH_AWS_CODE_CONNECTION,
    ORCH_AWS_CODE_TIMEOUT, NULL};

static bool in_list(const char *code, const char *const *list) {
  if (!code || !*code) return false;
  for (; *list; list++)
    if (strcmp(code, *list) == 0) return true;
  return false;
}

bool orch_aws_retry_is_throttling_code(const char *code) { return in_list(code, throttling_codes); }
bool orch_aws_retry_is_transient_code(const char *code) { return in_list(code, transient_codes); }

void orch_aws_error_classify(struct orch_aws_error *e) {
  int s = e->http_status;
  e->throttling = orch_aws_retry_is_throttling_code(e->code) || s == 429;
  e->retryable = e->throttling || orch_aws_retry_is_transient_code(e->code) || s == 500 || s == 502 || s == 503 ||
                 s == 504;
}

struct orch_aws_retry {
  pthread_mutex_t mu;
  int max_attempts;
  int64_t max_backoff_ms;
  int capacity, max_capacity;
  double (*rand01)(void *ctx);
  void *rand_ctx;
  uint64_t rng; /* xorshift64* state for the default jitter */
};

int orch_aws_retry_new(const struct orch_aws_retry_config *cfg, struct orch_aws_retry **out) {
  struct orch_aws_retry *r = orch_calloc(1, sizeof *r);
  if (!r) return ORCH_ENOMEM;
  if (pthread_mutex_init(&r->mu, NULL)) {
    orch_free(r);
    return ORCH_EINTERNAL;
  }
  r->max_attempts = cfg && cfg->max_attempts > 0 ? cfg->max_attempts : ORCH_AWS_RETRY_MAX_ATTEMPTS;
  r->max_backoff_ms = cfg && cfg->max_backoff_ms > 0 ? cfg->max_backoff_ms : ORCH_AWS_RETRY_MAX_BACKOFF_MS;
  r->max_capacity = r->capacity = cfg && cfg->quota > 0 ? cfg->quota : ORCH_AWS_RETRY_QUOTA_INITIAL;
  if (cfg) {
    r->rand01 = cfg->rand01;
    r->rand_ctx = cfg->rand_ctx;
  }
  if (orch_id_random(&r->rng, sizeof r->rng) || r->rng == 0) r->rng = 0x9e3779b97f4a7c15ULL;
  *out = r;
  return 0;
}

void orch_aws_retry_free(struct orch_aws_retry *r) {
  if (!r) return;
  pthread_mutex_destroy(&r->mu);
  orch_free(r);
}

/* Under r->mu. */
static double jitter(struct orch_aws_retry *r) {
  if (r->rand01) {
    double x = r->rand01(r->rand_ctx);
    return x < 0 ? 0 : x >= 1 ? 0.999999 : x;
  }
  r->rng ^= r->rng >> 12;
  r->rng ^= r->rng << 25;
  r->rng ^= r->rng >> 27;
  return (double)((r->rng * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0; /* 53 bits / 2^53 */
}

bool orch_aws_retry_next(struct orch_aws_retry *r, struct orch_aws_retry_call *call, const struct orch_aws_error *e,
                         int64_t *delay_ms) {
  if (!e->retryable || call->attempts >= r->max_attempts) return false;
  int cost = strcmp(e->code, ORCH_AWS_CODE_TIMEOUT) == 0 ? ORCH_AWS_RETRY_TIMEOUT_COST : ORCH_AWS_RETRY_COST;
  pthread_mutex_lock(&r->mu);
  bool ok = r->capacity >= cost;
  if (ok) {
    r->capacity -= cost;
    call->quota_held = cost;
    /* attempt i (1-based) failed: wait rand * 2^(i-1) seconds, capped */
    int i = call->attempts > 1 ? call->attempts - 1 : 0;
    double base_s = (double)(1ULL << (i < 30 ? i : 30));
    double ms = jitter(r) * base_s * 1000.0;
    *delay_ms = ms > (double)r->max_backoff_ms ? r->max_backoff_ms : (int64_t)ms;
  } else {
    call->quota_empty = true;
  }
  pthread_mutex_unlock(&r->mu);
  return ok;
}

void orch_aws_retry_success(struct orch_aws_retry *r, const struct orch_aws_retry_call *call) {
  pthread_mutex_lock(&r->mu);
  r->capacity += call->quota_held ? call->quota_held : ORCH_AWS_RETRY_NO_RETRY_REFUND;
  if (r->capacity > r->max_capacity) r->capacity = r->max_capacity;
  pthread_mutex_unlock(&r->mu);
}

int orch_aws_retry_quota(struct orch_aws_retry *r) {
  pthread_mutex_lock(&r->mu);
  int c = r->capacity;
  pthread_mutex_unlock(&r->mu);
  return c;
}

int orch_aws_retry_max_attempts(const struct orch_aws_retry *r) { return r->max_attempts; }
