/* orch_exec_lease: which executions this engine drives. Each is leased in the store under this engine's
 * owner id (unique per engine instance) with its host and pid; a heartbeat thread renews every lease a
 * third of its lifetime before it expires, on the real clock (leases are between processes, never on a
 * simulated clock). A lease held by a live process is never taken; one whose holder ran on this host
 * and is gone is taken over at once, one from elsewhere once it expired. A lease the heartbeat finds
 * taken is marked lost: the scheduler then stops driving that execution, and the store refuses its
 * journal writes anyway. Uses orch_store, orch_id, orch_log, pthreads. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/orch_alloc.h"
#include "core/orch_id.h"
#include "core/orch_log.h"
#include "core/orch_time.h"
#include "exec/orch_exec_int.h"

#define LEASE_TTL_MS 15000
#define LEASE_RENEW_MS (LEASE_TTL_MS / 3)

struct held {
  char id[ORCH_ID_UUID_LEN + 1];
  bool lost;
};

struct exec_lease_table {
  pthread_mutex_t mu;
  struct orch_clock_event wake;
  bool stop, started;
  pthread_t thread;
  char owner[ORCH_STORE_OWNER_MAX + 1];
  char host[ORCH_STORE_HOST_MAX + 1];
  int64_t pid;
  struct held *items;
  size_t n, cap;
};

static int64_t real_now(void) { return orch_clock_now_ms(orch_clock_real()); }

const char *exec_lease_owner(const struct orch_exec_engine *eng) { return eng->leases->owner; }

static struct orch_store_lease_spec spec_of(const struct exec_lease_table *t, const char *steal_from) {
  int64_t now = real_now();
  return (struct orch_store_lease_spec){.owner = t->owner, .host = t->host, .pid = t->pid, .now_ms = now,
                                        .until_ms = now + LEASE_TTL_MS, .steal_from = steal_from};
}

static bool process_gone(int64_t pid) { return pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH; }

int exec_lease_take(struct orch_exec_engine *eng, const char *id, struct orch_error *err) {
  struct exec_lease_table *t = eng->leases;
  struct orch_store_lease held;
  struct orch_store_lease_spec spec = spec_of(t, NULL);
  struct orch_error e = {0};
  int rc = orch_store_lease_acquire(eng->cfg.store, id, &spec, &held, &e);
  if (rc == ORCH_ECONFLICT && held.owner[0] && strcmp(held.host, t->host) == 0 && process_gone(held.pid)) {
    orch_log_info("exec %s: its driver (pid %lld on this host) is gone: taking it over", id, (long long)held.pid);
    char dead[ORCH_STORE_OWNER_MAX + 1];
    snprintf(dead, sizeof dead, "%s", held.owner); /* `held` is rewritten by the call */
    spec = spec_of(t, dead);
    rc = orch_store_lease_acquire(eng->cfg.store, id, &spec, &held, &e);
  }
  if (rc == ORCH_ECONFLICT && held.owner[0]) {
    char until[ORCH_TIME_ISO_MAX];
    orch_time_iso8601(until, held.expires_ms);
    return orch_error_set(err, ORCH_ECONFLICT, "execution %s is driven by another process (pid %lld on %s, lease until %s)",
                          id, (long long)held.pid, held.host, until);
  }
  if (rc) {
    if (err) *err = e;
    return rc;
  }
  pthread_mutex_lock(&t->mu);
  for (size_t i = 0; i < t->n; i++)
    if (strcmp(t->items[i].id, id) == 0) {
      t->items[i].lost = false;
      pthread_mutex_unlock(&t->mu);
      return 0;
    }
  if (t->n == t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 16;
    struct held *n = orch_realloc(t->items, cap * sizeof *n);
    if (!n) {
      pthread_mutex_unlock(&t->mu);
      if (orch_store_lease_release(eng->cfg.store, id, t->owner, NULL))
        orch_log_warn("exec %s: its lease could not be released; it expires by itself", id);
      return orch_error_set(err, ORCH_ENOMEM, "out of memory");
    }
    t->items = n;
    t->cap = cap;
  }
  snprintf(t->items[t->n].id, sizeof t->items[t->n].id, "%s", id);
  t->items[t->n++].lost = false;
  pthread_mutex_unlock(&t->mu);
  return 0;
}

void exec_lease_give(struct orch_exec_engine *eng, const char *id) {
  struct exec_lease_table *t = eng->leases;
  bool held = false;
  pthread_mutex_lock(&t->mu);
  for (size_t i = 0; i < t->n; i++)
    if (strcmp(t->items[i].id, id) == 0) {
      held = !t->items[i].lost;
      memmove(&t->items[i], &t->items[i + 1], (t->n - i - 1) * sizeof *t->items);
      t->n--;
      break;
    }
  pthread_mutex_unlock(&t->mu);
  struct orch_error err = {0};
  if (held && orch_store_lease_release(eng->cfg.store, id, t->owner, &err))
    orch_log_warn("exec %s: its lease could not be released (%s); it expires by itself", id, err.message);
}

bool exec_lease_lost(struct orch_exec_engine *eng, const char *id) {
  struct exec_lease_table *t = eng->leases;
  bool lost = false;
  pthread_mutex_lock(&t->mu);
  for (size_t i = 0; i < t->n; i++)
    if (strcmp(t->items[i].id, id) == 0) lost = t->items[i].lost;
  pthread_mutex_unlock(&t->mu);
  return lost;
}

/* Renew every lease; mark the ones another process took. */
static void renew_all(struct orch_exec_engine *eng) {
  struct exec_lease_table *t = eng->leases;
  pthread_mutex_lock(&t->mu);
  size_t n = t->n;
  struct held *copy = n ? orch_calloc(n, sizeof *copy) : NULL;
  if (copy) memcpy(copy, t->items, n * sizeof *copy);
  pthread_mutex_unlock(&t->mu);
  for (size_t i = 0; copy && i < n; i++) {
    if (copy[i].lost) continue;
    struct orch_store_lease_spec spec = spec_of(t, NULL);
    struct orch_error err = {0};
    int rc = orch_store_lease_acquire(eng->cfg.store, copy[i].id, &spec, NULL, &err);
    if (rc == ORCH_ECONFLICT) {
      orch_log_error("exec %s: %s", copy[i].id, err.message);
      pthread_mutex_lock(&t->mu);
      for (size_t k = 0; k < t->n; k++)
        if (strcmp(t->items[k].id, copy[i].id) == 0) t->items[k].lost = true;
      pthread_mutex_unlock(&t->mu);
      orch_clock_signal(eng->clock, &eng->wake_ev); /* the scheduler stops driving it */
    } else if (rc && rc != ORCH_ENOTFOUND) {
      orch_log_warn("exec %s: lease not renewed (%s); trying again", copy[i].id, err.message);
    }
  }
  orch_free(copy);
}

static void *heartbeat_main(void *arg) {
  struct orch_exec_engine *eng = arg;
  struct exec_lease_table *t = eng->leases;
  for (;;) {
    /* Real time: a simulated clock that stands still or jumps must not decide lease lifetimes. */
    (void)orch_clock_wait(orch_clock_real(), &t->wake, real_now() + LEASE_RENEW_MS);
    pthread_mutex_lock(&t->mu);
    bool stop = t->stop;
    pthread_mutex_unlock(&t->mu);
    if (stop) return NULL;
    renew_all(eng);
  }
}

int exec_lease_start(struct orch_exec_engine *eng, struct orch_error *err) {
  struct exec_lease_table *t = orch_calloc(1, sizeof *t);
  if (!t) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  eng->leases = t;
  pthread_mutex_init(&t->mu, NULL);
  if (orch_clock_event_init(&t->wake) || orch_id_uuid7(t->owner, real_now()))
    return orch_error_set(err, ORCH_ENOMEM, "cannot make the engine's owner id");
  if (gethostname(t->host, sizeof t->host - 1) != 0 || !t->host[0]) snprintf(t->host, sizeof t->host, "localhost");
  t->pid = (int64_t)getpid();
  if (pthread_create(&t->thread, NULL, heartbeat_main, eng) != 0)
    return orch_error_set(err, ORCH_EINTERNAL, "cannot start the lease heartbeat: %s", strerror(errno));
  t->started = true;
  return 0;
}

void exec_lease_stop(struct orch_exec_engine *eng) {
  struct exec_lease_table *t = eng->leases;
  if (!t) return;
  pthread_mutex_lock(&t->mu);
  t->stop = true;
  pthread_mutex_unlock(&t->mu);
  orch_clock_signal(orch_clock_real(), &t->wake);
  if (t->started) pthread_join(t->thread, NULL);
  while (t->n) exec_lease_give(eng, t->items[t->n - 1].id);
  orch_clock_event_destroy(&t->wake);
  pthread_mutex_destroy(&t->mu);
  orch_free(t->items);
  orch_free(t);
  eng->leases = NULL;
}
