/* orch_aws_ratelimit: AIMD token buckets keyed by "service/region", a small list under one mutex
 * (an engine talks to a handful of service+region pairs). Tokens may go negative: that is a queue of
 * reservations, each told how long to wait, so callers are served in order without polling.
 * Uses orch_clock, orch_alloc, pthreads. */
#include "aws/orch_aws_ratelimit.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/orch_alloc.h"

struct bucket {
  struct bucket *next;
  char key[128];
  double rate;        /* tokens per second */
  double tokens;      /* may be negative: reservations ahead */
  int64_t last_ns;    /* monotonic time of the last refill */
  int64_t hold_until_ns; /* Retry-After: nothing leaves before this */
};

struct orch_aws_ratelimit {
  pthread_mutex_t mu;
  const struct orch_clock *clock;
  struct orch_aws_ratelimit_config cfg;
  struct bucket *buckets;
};

int orch_aws_ratelimit_new(const struct orch_aws_ratelimit_config *cfg, const struct orch_clock *clock,
                           struct orch_aws_ratelimit **out) {
  struct orch_aws_ratelimit *rl = orch_calloc(1, sizeof *rl);
  if (!rl) return ORCH_ENOMEM;
  if (pthread_mutex_init(&rl->mu, NULL)) {
    orch_free(rl);
    return ORCH_EINTERNAL;
  }
  if (cfg) rl->cfg = *cfg;
  if (rl->cfg.max_rate <= 0) rl->cfg.max_rate = ORCH_AWS_RATELIMIT_MAX_RATE;
  if (rl->cfg.min_rate <= 0) rl->cfg.min_rate = ORCH_AWS_RATELIMIT_MIN_RATE;
  if (rl->cfg.min_rate > rl->cfg.max_rate) rl->cfg.min_rate = rl->cfg.max_rate;
  if (rl->cfg.step <= 0) rl->cfg.step = ORCH_AWS_RATELIMIT_STEP;
  if (rl->cfg.max_retry_after_ms <= 0) rl->cfg.max_retry_after_ms = ORCH_AWS_RATELIMIT_MAX_RETRY_AFTER_MS;
  rl->clock = clock ? clock : orch_clock_real();
  *out = rl;
  return 0;
}

void orch_aws_ratelimit_free(struct orch_aws_ratelimit *rl) {
  if (!rl) return;
  for (struct bucket *b = rl->buckets, *n; b; b = n) {
    n = b->next;
    orch_free(b);
  }
  pthread_mutex_destroy(&rl->mu);
  orch_free(rl);
}

static double burst_of(const struct orch_aws_ratelimit *rl, const struct bucket *b) {
  if (rl->cfg.burst > 0) return rl->cfg.burst;
  return b->rate > 1 ? b->rate : 1;
}

/* Under rl->mu. NULL only when out of memory. */
static struct bucket *find(struct orch_aws_ratelimit *rl, const char *service, const char *region, int64_t now) {
  char key[128];
  snprintf(key, sizeof key, "%s/%s", service ? service : "", region ? region : "");
  for (struct bucket *b = rl->buckets; b; b = b->next)
    if (strcmp(b->key, key) == 0) return b;
  struct bucket *b = orch_calloc(1, sizeof *b);
  if (!b) return NULL;
  memcpy(b->key, key, sizeof key);
  b->rate = rl->cfg.max_rate;
  b->tokens = burst_of(rl, b);
  b->last_ns = now;
  b->next = rl->buckets;
  rl->buckets = b;
  return b;
}

static void refill(const struct orch_aws_ratelimit *rl, struct bucket *b, int64_t now) {
  if (now > b->last_ns) {
    b->tokens += b->rate * (double)(now - b->last_ns) / 1e9;
    double cap = burst_of(rl, b);
    if (b->tokens > cap) b->tokens = cap;
    b->last_ns = now;
  }
}

int64_t orch_aws_ratelimit_reserve(struct orch_aws_ratelimit *rl, const char *service, const char *region) {
  int64_t now = orch_clock_mono_ns(rl->clock);
  pthread_mutex_lock(&rl->mu);
  struct bucket *b = find(rl, service, region, now);
  if (!b) {
    pthread_mutex_unlock(&rl->mu);
    return ORCH_ENOMEM;
  }
  refill(rl, b, now);
  b->tokens -= 1;
  double wait_ns = b->tokens < 0 ? -b->tokens / b->rate * 1e9 : 0;
  if (b->hold_until_ns > now && (double)(b->hold_until_ns - now) > wait_ns) wait_ns = (double)(b->hold_until_ns - now);
  pthread_mutex_unlock(&rl->mu);
  return (int64_t)((wait_ns + 999999.0) / 1e6); /* round up: never early */
}

void orch_aws_ratelimit_feedback(struct orch_aws_ratelimit *rl, const char *service, const char *region,
                                 bool throttled, int64_t retry_after_ms) {
  int64_t now = orch_clock_mono_ns(rl->clock);
  pthread_mutex_lock(&rl->mu);
  struct bucket *b = find(rl, service, region, now);
  if (b) {
    refill(rl, b, now);
    if (throttled) {
      b->rate /= 2;
      if (b->rate < rl->cfg.min_rate) b->rate = rl->cfg.min_rate;
      double cap = burst_of(rl, b);
      if (b->tokens > cap) b->tokens = cap;
    } else {
      b->rate += rl->cfg.step;
      if (b->rate > rl->cfg.max_rate) b->rate = rl->cfg.max_rate;
    }
    if (retry_after_ms >= 0) {
      if (retry_after_ms > rl->cfg.max_retry_after_ms) retry_after_ms = rl->cfg.max_retry_after_ms;
      int64_t until = now + retry_after_ms * 1000000;
      if (until > b->hold_until_ns) b->hold_until_ns = until;
    }
  }
  pthread_mutex_unlock(&rl->mu);
}

double orch_aws_ratelimit_rate(struct orch_aws_ratelimit *rl, const char *service, const char *region) {
  int64_t now = orch_clock_mono_ns(rl->clock);
  pthread_mutex_lock(&rl->mu);
  struct bucket *b = find(rl, service, region, now);
  double rate = b ? b->rate : rl->cfg.max_rate;
  pthread_mutex_unlock(&rl->mu);
  return rate;
}
