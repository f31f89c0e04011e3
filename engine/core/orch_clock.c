/* orch_clock: real and virtual clocks behind one ops table, and waits that go through them: the real
 * clock waits in real time, a speed-N virtual clock N times less, a frozen one until advanced, and a
 * discrete-event one until every holder of work is idle, when it jumps to the earliest deadline.
 * Uses clock_gettime and pthreads. */
#include "core/orch_clock.h"

#include <errno.h>
#include <time.h>

#include "core/orch_alloc.h"

static int64_t ts_ns(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct timespec mono_after(int64_t ms) {
  int64_t ns = ts_ns(CLOCK_MONOTONIC) + ms * 1000000;
  return (struct timespec){.tv_sec = (time_t)(ns / 1000000000), .tv_nsec = (long)(ns % 1000000000)};
}

/* ---- events and the generic (real-time) wait ---------------------------------------------------- */

int orch_clock_event_init(struct orch_clock_event *ev) {
  pthread_condattr_t attr;
  ev->set = false;
  if (pthread_mutex_init(&ev->mu, NULL) != 0) return ORCH_ENOMEM;
  if (pthread_condattr_init(&attr) != 0) goto fail_mu;
  if (pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 || pthread_cond_init(&ev->cv, &attr) != 0) {
    pthread_condattr_destroy(&attr);
    goto fail_mu;
  }
  pthread_condattr_destroy(&attr);
  return 0;
fail_mu:
  pthread_mutex_destroy(&ev->mu);
  return ORCH_ENOMEM;
}

void orch_clock_event_destroy(struct orch_clock_event *ev) {
  pthread_cond_destroy(&ev->cv);
  pthread_mutex_destroy(&ev->mu);
}

/* Real-time wait of at most `ms` for `ev` (or a plain sleep without one); true when it was set. */
static bool real_wait_ms(struct orch_clock_event *ev, int64_t ms) {
  if (ms < 0) ms = 0;
  if (!ev) {
    struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
    return false;
  }
  struct timespec until = mono_after(ms);
  pthread_mutex_lock(&ev->mu);
  while (!ev->set)
    if (pthread_cond_timedwait(&ev->cv, &ev->mu, &until) == ETIMEDOUT) break;
  bool got = ev->set;
  ev->set = false;
  pthread_mutex_unlock(&ev->mu);
  return got;
}

/* Any clock without a wait of its own: poll its time, waiting in real time slices of at most `slice_ms`
 * scaled by `speed` (sim ms per real ms; 0 = frozen, checked every slice). */
static bool sliced_wait(const struct orch_clock *c, struct orch_clock_event *ev, int64_t deadline_ms, double speed,
                        int64_t slice_ms) {
  for (;;) {
    int64_t left = deadline_ms == ORCH_CLOCK_FOREVER ? slice_ms : deadline_ms - orch_clock_now_ms(c);
    if (left <= 0) return false;
    int64_t real = speed > 0 ? (int64_t)((double)left / speed) : slice_ms;
    if (real < 1) real = 1;
    if (real > slice_ms) real = slice_ms;
    if (real_wait_ms(ev, real)) return true;
  }
}

static void event_signal(struct orch_clock_event *ev) {
  pthread_mutex_lock(&ev->mu);
  ev->set = true;
  pthread_cond_signal(&ev->cv);
  pthread_mutex_unlock(&ev->mu);
}

/* ---- the real clock ------------------------------------------------------------------------------ */

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

bool orch_clock_wait(const struct orch_clock *c, struct orch_clock_event *ev, int64_t deadline_ms) {
  if (c->ops->wait) return c->ops->wait(c->ctx, ev, deadline_ms);
  return sliced_wait(c, ev, deadline_ms, 1.0, 60000);
}

void orch_clock_signal(const struct orch_clock *c, struct orch_clock_event *ev) {
  if (c->ops->signal) c->ops->signal(c->ctx, ev);
  else event_signal(ev);
}

void orch_clock_sleep_until(const struct orch_clock *c, int64_t deadline_ms) { (void)orch_clock_wait(c, NULL, deadline_ms); }

void orch_clock_sleep_ms(const struct orch_clock *c, int64_t ms) {
  if (ms > 0) orch_clock_sleep_until(c, orch_clock_now_ms(c) + ms);
}

void orch_clock_hold(const struct orch_clock *c) {
  if (c->ops->hold) c->ops->hold(c->ctx, 1);
}

void orch_clock_release(const struct orch_clock *c) {
  if (c->ops->hold) c->ops->hold(c->ctx, -1);
}

/* ---- virtual clocks ------------------------------------------------------------------------------ */

/* A thread waiting on a discrete-event clock: until `deadline_ms`, on `cv` with the clock's mutex. */
struct dwaiter {
  int64_t deadline_ms;
  pthread_cond_t *cv;
  struct dwaiter *next;
};

struct orch_vclock {
  pthread_mutex_t mu;
  struct orch_clock clock;
  double speed;
  int64_t base_virtual_ns; /* virtual time (ns since epoch) at the anchor; the time itself when discrete */
  int64_t anchor_real_ns;  /* real monotonic time of the anchor */
  bool discrete;
  int holds;               /* discrete: work in hand */
  struct dwaiter *waiters; /* discrete: threads waiting */
  uint64_t jumps;
};

/* Virtual ns now; caller holds mu. */
static int64_t vclock_now_ns_locked(struct orch_vclock *vc) {
  if (vc->discrete) return vc->base_virtual_ns;
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

/* Wake every waiter whose deadline has come. Caller holds mu. */
static void discrete_wake_due_locked(struct orch_vclock *vc) {
  int64_t now = vc->base_virtual_ns / 1000000;
  for (struct dwaiter *w = vc->waiters; w; w = w->next)
    if (w->deadline_ms <= now) pthread_cond_broadcast(w->cv);
}

/* When nobody holds work, jump to the earliest deadline anyone waits for. Caller holds mu. */
static void discrete_advance_locked(struct orch_vclock *vc) {
  if (vc->holds > 0) return;
  int64_t next = ORCH_CLOCK_FOREVER;
  for (struct dwaiter *w = vc->waiters; w; w = w->next)
    if (w->deadline_ms < next) next = w->deadline_ms;
  if (next == ORCH_CLOCK_FOREVER) return; /* everyone waits for an event: nothing to jump to */
  if (next * 1000000 > vc->base_virtual_ns) {
    vc->base_virtual_ns = next * 1000000;
    vc->jumps++;
  }
  discrete_wake_due_locked(vc);
}

static bool vclock_wait(void *ctx, struct orch_clock_event *ev, int64_t deadline_ms) {
  struct orch_vclock *vc = ctx;
  if (!vc->discrete) {
    double speed = orch_vclock_speed(vc);
    /* Slices short enough to notice a speed change or a hand advance. */
    return sliced_wait(&vc->clock, ev, deadline_ms, speed, speed > 0 ? 200 : 10);
  }
  pthread_cond_t own;
  if (!ev && pthread_cond_init(&own, NULL) != 0) return false;
  pthread_mutex_lock(&vc->mu);
  struct dwaiter w = {.deadline_ms = deadline_ms, .cv = ev ? &ev->cv : &own, .next = vc->waiters};
  if (!(ev && ev->set) && vc->base_virtual_ns / 1000000 < deadline_ms) {
    vc->waiters = &w;
    vc->holds--;
    discrete_advance_locked(vc);
    while (!(ev && ev->set) && vc->base_virtual_ns / 1000000 < deadline_ms) pthread_cond_wait(w.cv, &vc->mu);
    for (struct dwaiter **pp = &vc->waiters; *pp; pp = &(*pp)->next)
      if (*pp == &w) {
        *pp = w.next;
        break;
      }
    vc->holds++;
  }
  bool got = ev && ev->set;
  if (ev) ev->set = false;
  pthread_mutex_unlock(&vc->mu);
  if (!ev) pthread_cond_destroy(&own);
  return got;
}

static void vclock_signal(void *ctx, struct orch_clock_event *ev) {
  struct orch_vclock *vc = ctx;
  if (!vc->discrete) {
    event_signal(ev);
    return;
  }
  pthread_mutex_lock(&vc->mu);
  ev->set = true;
  pthread_cond_broadcast(&ev->cv);
  pthread_mutex_unlock(&vc->mu);
}

static void vclock_hold(void *ctx, int delta) {
  struct orch_vclock *vc = ctx;
  if (!vc->discrete) return;
  pthread_mutex_lock(&vc->mu);
  vc->holds += delta;
  if (delta < 0) discrete_advance_locked(vc);
  pthread_mutex_unlock(&vc->mu);
}

static const struct orch_clock_ops vclock_ops = {
    .now_ms = vclock_now_ms, .mono_ns = vclock_ns, .wait = vclock_wait, .signal = vclock_signal, .hold = vclock_hold};

static int vclock_alloc(int64_t start_ms, double speed, bool discrete, struct orch_vclock **out) {
  struct orch_vclock *vc = orch_calloc(1, sizeof *vc);
  if (!vc) return ORCH_ENOMEM;
  if (pthread_mutex_init(&vc->mu, NULL) != 0) {
    orch_free(vc);
    return ORCH_ENOMEM;
  }
  vc->clock.ops = &vclock_ops;
  vc->clock.ctx = vc;
  vc->speed = discrete || speed < 0 ? 0 : speed;
  vc->discrete = discrete;
  vc->base_virtual_ns = start_ms * 1000000;
  vc->anchor_real_ns = ts_ns(CLOCK_MONOTONIC);
  *out = vc;
  return 0;
}

int orch_vclock_new(int64_t start_ms, double speed, struct orch_vclock **out) {
  return vclock_alloc(start_ms, speed, false, out);
}

int orch_vclock_new_discrete(int64_t start_ms, struct orch_vclock **out) { return vclock_alloc(start_ms, 0, true, out); }

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
  if (vc->discrete) discrete_wake_due_locked(vc);
  pthread_mutex_unlock(&vc->mu);
}

void orch_vclock_set_speed(struct orch_vclock *vc, double speed) {
  pthread_mutex_lock(&vc->mu);
  if (!vc->discrete) {
    vclock_reanchor_locked(vc);
    vc->speed = speed < 0 ? 0 : speed;
  }
  pthread_mutex_unlock(&vc->mu);
}

double orch_vclock_speed(struct orch_vclock *vc) {
  pthread_mutex_lock(&vc->mu);
  double s = vc->speed;
  pthread_mutex_unlock(&vc->mu);
  return s;
}

bool orch_vclock_discrete(const struct orch_vclock *vc) { return vc->discrete; }

int orch_vclock_holds(struct orch_vclock *vc) {
  pthread_mutex_lock(&vc->mu);
  int h = vc->holds;
  pthread_mutex_unlock(&vc->mu);
  return h;
}

uint64_t orch_vclock_jumps(struct orch_vclock *vc) {
  pthread_mutex_lock(&vc->mu);
  uint64_t j = vc->jumps;
  pthread_mutex_unlock(&vc->mu);
  return j;
}
