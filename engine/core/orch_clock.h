/* orch_clock: the time source the engine reads and waits on, injected as an ops table: the real clock,
 * or a virtual clock that tests advance by hand, that the simulator runs at a speed factor, or that
 * runs as a discrete-event clock (it stands still while any participant holds work in hand and jumps
 * to the earliest deadline anyone waits for when all are idle). Every wait goes through a clock, so
 * a simulation can stand still or jump. Uses pthreads. */
#ifndef ORCH_CLOCK_H
#define ORCH_CLOCK_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/orch_error.h"

/* No deadline: wait until signalled. */
#define ORCH_CLOCK_FOREVER INT64_MAX

/* Something a thread waits for besides time: set by orch_clock_signal, consumed by the wait that sees
 * it. Initialise before use, destroy after; one waiter at a time. */
struct orch_clock_event {
  pthread_mutex_t mu;
  pthread_cond_t cv; /* CLOCK_MONOTONIC */
  bool set;
};

struct orch_clock_ops {
  int64_t (*now_ms)(void *ctx);  /* wall time, ms since the Unix epoch */
  int64_t (*mono_ns)(void *ctx); /* monotonic, for intervals */
  /* Optional (NULL: the real-time behaviour below). Block until the clock reads >= deadline_ms or `ev`
   * (may be NULL) is set; true when the event was set (and consumed). */
  bool (*wait)(void *ctx, struct orch_clock_event *ev, int64_t deadline_ms);
  /* Optional: set `ev` and wake its waiter. */
  void (*signal)(void *ctx, struct orch_clock_event *ev);
  /* Optional: work in hand, +1 when taken, -1 when done (only a discrete-event clock counts it). */
  void (*hold)(void *ctx, int delta);
};

struct orch_clock {
  const struct orch_clock_ops *ops;
  void *ctx;
};

/* The process's real clock (CLOCK_REALTIME / CLOCK_MONOTONIC). Never freed. */
const struct orch_clock *orch_clock_real(void);

static inline int64_t orch_clock_now_ms(const struct orch_clock *c) { return c->ops->now_ms(c->ctx); }
static inline int64_t orch_clock_mono_ns(const struct orch_clock *c) { return c->ops->mono_ns(c->ctx); }

int orch_clock_event_init(struct orch_clock_event *ev) ORCH_MUST_CHECK;
void orch_clock_event_destroy(struct orch_clock_event *ev);

/* Wait for `ev` (may be NULL) or the clock reaching `deadline_ms` (ORCH_CLOCK_FOREVER: no deadline).
 * On a discrete-event clock the caller must hold work (see orch_clock_hold): the wait gives it back
 * while it waits and takes it again before returning. True when the event was set. */
bool orch_clock_wait(const struct orch_clock *c, struct orch_clock_event *ev, int64_t deadline_ms);
/* Set `ev` and wake whoever waits for it on clock `c`. */
void orch_clock_signal(const struct orch_clock *c, struct orch_clock_event *ev);
/* orch_clock_wait without an event: the caller's thread sleeps until the clock reads deadline_ms. */
void orch_clock_sleep_until(const struct orch_clock *c, int64_t deadline_ms);
/* Sleep `ms` of this clock's time. */
void orch_clock_sleep_ms(const struct orch_clock *c, int64_t ms);
/* Work in hand (a thread running, a message queued for it): a discrete-event clock does not move while
 * any is held. No-ops on other clocks. */
void orch_clock_hold(const struct orch_clock *c);
void orch_clock_release(const struct orch_clock *c);

/* A virtual clock starting at `start_ms`. With speed 0 it stands still until advanced; with speed N it
 * runs N times faster than the real monotonic clock (the simulator's --speed). Thread-safe.
 * Caller owns it: orch_vclock_free (accepts NULL). */
struct orch_vclock;
int orch_vclock_new(int64_t start_ms, double speed, struct orch_vclock **out) ORCH_MUST_CHECK;
/* A discrete-event clock starting at `start_ms`: time moves only when every holder is idle, and then
 * straight to the earliest deadline a waiter asked for. */
int orch_vclock_new_discrete(int64_t start_ms, struct orch_vclock **out) ORCH_MUST_CHECK;
void orch_vclock_free(struct orch_vclock *vc);
/* The clock interface of a virtual clock; valid while it lives. */
const struct orch_clock *orch_vclock_clock(struct orch_vclock *vc);
void orch_vclock_advance(struct orch_vclock *vc, int64_t ms);
void orch_vclock_set_speed(struct orch_vclock *vc, double speed); /* no effect on a discrete-event clock */
double orch_vclock_speed(struct orch_vclock *vc);                 /* 0 for a discrete-event clock */
bool orch_vclock_discrete(const struct orch_vclock *vc);
/* Discrete-event bookkeeping, for tests and diagnostics: work held now, and the jumps made so far. */
int orch_vclock_holds(struct orch_vclock *vc);
uint64_t orch_vclock_jumps(struct orch_vclock *vc);

#endif
