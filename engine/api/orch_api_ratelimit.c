/* orch_api_ratelimit: token buckets in an open-addressed table under one mutex. Uses orch_clock,
 * orch_alloc, pthreads. */
#include "api/orch_api_ratelimit.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/orch_alloc.h"

#define KEY_MAX 96
#define PROBE 16

struct bucket {
  char key[KEY_MAX];
  double tokens;
  int64_t at_ns; /* last refill; 0 = free slot */
};

struct orch_api_ratelimit {
  const struct orch_clock *clock;
  pthread_mutex_t mu;
  struct bucket b[ORCH_API_RL_BUCKETS];
};

int orch_api_ratelimit_new(const struct orch_clock *clock, struct orch_api_ratelimit **out) {
  struct orch_api_ratelimit *rl = orch_calloc(1, sizeof *rl);
  if (!rl) return ORCH_ENOMEM;
  rl->clock = clock ? clock : orch_clock_real();
  pthread_mutex_init(&rl->mu, NULL);
  *out = rl;
  return 0;
}

void orch_api_ratelimit_free(struct orch_api_ratelimit *rl) {
  if (!rl) return;
  pthread_mutex_destroy(&rl->mu);
  orch_free(rl);
}

static uint64_t hash(const char *s) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

/* The bucket for `key`: its slot, or a free one, or the one idle the longest among the probed. */
static struct bucket *slot(struct orch_api_ratelimit *rl, const char *key, double burst, int64_t now) {
  uint64_t h = hash(key);
  struct bucket *oldest = NULL;
  for (int i = 0; i < PROBE; i++) {
    struct bucket *b = &rl->b[(h + (uint64_t)i) % ORCH_API_RL_BUCKETS];
    if (b->at_ns && strcmp(b->key, key) == 0) return b;
    if (!oldest || b->at_ns < oldest->at_ns) oldest = b;
  }
  snprintf(oldest->key, sizeof oldest->key, "%s", key);
  oldest->tokens = burst;
  oldest->at_ns = now;
  return oldest;
}

bool orch_api_ratelimit_take(struct orch_api_ratelimit *rl, const char *key, long rate, int64_t *retry_after_s) {
  *retry_after_s = 0;
  if (rate <= 0) return true;
  double burst = 2.0 * (double)rate;
  int64_t now = orch_clock_mono_ns(rl->clock);
  if (now <= 0) now = 1;
  pthread_mutex_lock(&rl->mu);
  struct bucket *b = slot(rl, key, burst, now);
  b->tokens += (double)(now - b->at_ns) / 1e9 * (double)rate;
  if (b->tokens > burst) b->tokens = burst;
  b->at_ns = now;
  bool ok = b->tokens >= 1.0;
  if (ok) b->tokens -= 1.0;
  else *retry_after_s = (int64_t)((1.0 - b->tokens) / (double)rate) + 1;
  pthread_mutex_unlock(&rl->mu);
  return ok;
}
