/* orch_clock: real and virtual clocks behind one ops table. Uses clock_gettime and pthreads. */
#include "core/orch_clock.h"

#include <pthread.h>
#include <time.h>

#include "core/orch_alloc.h"

static int64_t ts_ns(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t real_now_ms(void *ctx) {
  (void)ctx;
  return ts_ns(CLOCK_REALTIME) / 1000000;
}

static int64_t real_mono_ns(void *ctx) {
  (void)ctx;
  return ts_ns(CLOCK_MONOTONIC);
}

static const struct orch_clock_ops real_ops = {.now_ms = real_now_ms, .mono_ns = real_mono_ns};
static const struct orch_clock real_clock = {.ops = &real_ops, .ctx = NULL};

const struct orch_clock *orch_clock_real(void) { return &real_clock; }

struct orch_vclock {
  pthread_mutex_t mu;
  struct orch_clock clock;
  double speed;
  int64_t base_virtual_ns; /* virtual time (ns since epoch) at the anchor */
  int64_t anchor_real_ns;  /* real monotonic time of the anchor */
};

/* Virtual ns now; caller holds mu. */
static int64_t vclock_now_ns_locked(struct orch_vclock *vc) {
  int64_t real = ts_ns(CLOCK_MONOTONIC);
  return vc->base_virtual_ns + (int64_t)((double)(real - vc->anchor_real_ns) * vc->speed);
}

static void vclock_reanchor_locked(struct orch_vclock *vc) {
  vc->base_virtual_ns = vclock_now_ns_locked(vc);
  vc->anchor_real_ns = ts_ns(CLOCK_MONOTONIC);
}

static int64_t vclock_ns(void *ctx) {
  struct orch_vclock *vc = ctx;
  pthread_mutex_lock(&vc->mu);
  int64_t v = vclock_now_ns_locked(vc);
  pthread_mutex_unlock(&vc->mu);
  return v;
}

static int64_t vclock_now_ms(void *ctx) { return vclock_ns(ctx) / 1000000; }

static const struct orch_clock_ops vclock_ops = {.now_ms = vclock_now_ms, .mono_ns = vclock_ns};

int orch_vclock_new(int64_t start_ms, double speed, struct orch_vclock **out) {
  struct orch_vclock *vc = orch_calloc(1, sizeof *vc);
  if (!vc) return ORCH_ENOMEM;
  if (pthread_mutex_init(&vc->mu, NULL) != 0) {
    orch_free(vc);
    return ORCH_ENOMEM;
  }
  vc->clock.ops = &vclock_ops;
  vc->clock.ctx = vc;
  vc->speed = speed < 0 ? 0 : speed;
  vc->base_virtual_ns = start_ms * 1000000;
  vc->anchor_real_ns = ts_ns(CLOCK_MONOTONIC);
  *out = vc;
  return 0;
}

void orch_vclock_free(struct orch_vclock *vc) {
  if (!vc) return;
  pthread_mutex_destroy(&vc->mu);
  orch_free(vc);
}

const struct orch_clock *orch_vclock_clock(struct orch_vclock *vc) { return &vc->clock; }

void orch_vclock_advance(struct orch_vclock *vc, int64_t ms) {
  pthread_mutex_lock(&vc->mu);
  vclock_reanchor_locked(vc);
  vc->base_virtual_ns += ms * 1000000;
  pthread_mutex_unlock(&vc->mu);
}

void orch_vclock_set_speed(struct orch_vclock *vc, double speed) {
  pthread_mutex_lock(&vc->mu);
  vclock_reanchor_locked(vc);
  vc->speed = speed < 0 ? 0 : speed;
  pthread_mutex_unlock(&vc->mu);
}

double orch_vclock_speed(struct orch_vclock *vc) {
  pthread_mutex_lock(&vc->mu);
  double s = vc->speed;
  pthread_mutex_unlock(&vc->mu);
  return s;
}
