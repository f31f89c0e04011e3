/* orch_clock: the time source the engine reads, injected as an ops table: the real clock, or a virtual
 * clock that tests advance by hand and the simulator runs at a speed factor. Uses pthreads. */
#ifndef ORCH_CLOCK_H
#define ORCH_CLOCK_H

#include <stdint.h>

#include "core/orch_error.h"

struct orch_clock_ops {
  int64_t (*now_ms)(void *ctx);  /* wall time, ms since the Unix epoch */
  int64_t (*mono_ns)(void *ctx); /* monotonic, for intervals */
};

struct orch_clock {
  const struct orch_clock_ops *ops;
  void *ctx;
};

/* The process's real clock (CLOCK_REALTIME / CLOCK_MONOTONIC). Never freed. */
const struct orch_clock *orch_clock_real(void);

static inline int64_t orch_clock_now_ms(const struct orch_clock *c) { return c->ops->now_ms(c->ctx); }
static inline int64_t orch_clock_mono_ns(const struct orch_clock *c) { return c->ops->mono_ns(c->ctx); }

/* A virtual clock starting at `start_ms`. With speed 0 it stands still until advanced; with speed N it
 * runs N times faster than the real monotonic clock (the simulator's --speed). Thread-safe.
 * Caller owns it: orch_vclock_free (accepts NULL). */
struct orch_vclock;
int orch_vclock_new(int64_t start_ms, double speed, struct orch_vclock **out) ORCH_MUST_CHECK;
void orch_vclock_free(struct orch_vclock *vc);
/* The clock interface of a virtual clock; valid while it lives. */
const struct orch_clock *orch_vclock_clock(struct orch_vclock *vc);
void orch_vclock_advance(struct orch_vclock *vc, int64_t ms);
void orch_vclock_set_speed(struct orch_vclock *vc, double speed);
double orch_vclock_speed(struct orch_vclock *vc);

#endif
