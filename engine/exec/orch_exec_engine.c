/* orch_exec_engine: the engine's public face and its threads: the scheduler thread, which owns every
 * live execution and runs the executor (orch_exec_executor.c) on each message and on each due moment;
 * the I/O pool that performs effects when they are not performed inline; the message queue; and the
 * list of finished executions callers wait for. Every wait goes through the injected clock.
 * Uses orch_exec_int, orch_store, orch_log, pthreads. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/orch_alloc.h"
#include "core/orch_log.h"
#include "exec/orch_exec_int.h"
#include "exec/orch_exec_report.h"

#define FINISHED_KEEP 256

static void handle(struct orch_exec_engine *eng, struct exec_msg *m);

static const char *const command_names[] = {"pause", "resume", "approve", "cancel", "retry-wave", "skip-wave", "cleanup"};

const char *orch_exec_command_name(enum orch_exec_command cmd) {
  return (size_t)cmd < sizeof command_names / sizeof command_names[0] ? command_names[cmd] : "?";
}

int orch_exec_command_parse(const char *name) {
  for (size_t i = 0; name && i < sizeof command_names / sizeof command_names[0]; i++)
    if (strcmp(command_names[i], name) == 0) return (int)i;
  return -1;
}

/* ---- small helpers shared by the executor's files ---------------------------------------------- */

const char *exec_account(const struct orch_exec_engine *eng, const char *account) {
  return account && *account ? account : eng->default_account;
}

const char *exec_region(const struct orch_exec_engine *eng, const char *region) {
  return region && *region ? region : eng->default_region;
}

void exec_count(struct orch_exec_engine *eng, const char *counter, json_int_t by) {
  json_t *v = json_object_get(eng->stats, counter);
  json_int_t n = (v ? json_integer_value(v) : 0) + by;
  if (json_object_set_new(eng->stats, counter, json_integer(n)))
    orch_log_warn("exec: counter %s not updated (out of memory)", counter);
}

/* ---- the message queue ------------------------------------------------------------------------ */

void exec_post(struct orch_exec_engine *eng, struct exec_msg *m) {
  /* An AWS answer is work in hand: a discrete-event clock must not move before it is handled. A caller's
   * request (a command, a snapshot) is not: it is handled at whatever time it arrives, and holding the
   * clock for it could wait for ever on a scheduler sleeping through the clock in an inline effect. */
  m->held = m->kind == MSG_IO_DONE;
  if (m->held) orch_clock_hold(eng->clock);
  pthread_mutex_lock(&eng->mu);
  m->next = NULL;
  if (eng->tail) eng->tail->next = m;
  else eng->head = m;
  eng->tail = m;
  pthread_mutex_unlock(&eng->mu);
  orch_clock_signal(eng->clock, &eng->wake_ev);
}

static void reply_init(struct exec_reply *r) {
  memset(r, 0, sizeof *r);
  pthread_mutex_init(&r->mu, NULL);
  pthread_cond_init(&r->cv, NULL);
}

static void reply_wait(struct exec_reply *r) {
  pthread_mutex_lock(&r->mu);
  while (!r->done) pthread_cond_wait(&r->cv, &r->mu);
  pthread_mutex_unlock(&r->mu);
  pthread_mutex_destroy(&r->mu);
  pthread_cond_destroy(&r->cv);
}

void exec_reply_send(struct exec_reply *r, int rc, const struct orch_error *err) {
  if (!r) return;
  pthread_mutex_lock(&r->mu);
  r->rc = rc;
  if (rc && err) r->err = *err;
  r->done = true;
  pthread_cond_signal(&r->cv);
  pthread_mutex_unlock(&r->mu);
}

/* Post a synchronous request and wait for its answer; refuses when the engine is stopping. */
static int call_scheduler(struct orch_exec_engine *eng, struct exec_msg *m, struct exec_reply *r,
                          struct orch_error *err) {
  if (eng->cfg.synchronous) { /* the caller's thread is the scheduler */
    reply_init(r);
    m->reply = r;
    handle(eng, m);
    orch_free(m);
    if (r->rc && err) *err = r->err;
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    return r->rc;
  }
  pthread_mutex_lock(&eng->mu);
  bool stopping = eng->stopping || !eng->scheduler_started;
  pthread_mutex_unlock(&eng->mu);
  if (stopping) {
    orch_free(m);
    return orch_error_set(err, ORCH_ESTATE, "the execution engine is not running");
  }
  reply_init(r);
  m->reply = r;
  exec_post(eng, m);
  reply_wait(r);
  if (r->rc && err) *err = r->err;
  return r->rc;
}

/* ---- the I/O pool ------------------------------------------------------------------------------- */

void exec_io_submit(struct orch_exec_engine *eng, struct exec_io *io) {
  exec_count(eng, "io_requests", 1);
  orch_clock_hold(eng->clock);
  pthread_mutex_lock(&eng->io_mu);
  io->next = NULL;
  if (eng->io_tail) eng->io_tail->next = io;
  else eng->io_head = io;
  eng->io_tail = io;
  pthread_cond_signal(&eng->io_cv);
  pthread_mutex_unlock(&eng->io_mu);
}

static void *io_main(void *arg) {
  struct orch_exec_engine *eng = arg;
  for (;;) {
    pthread_mutex_lock(&eng->io_mu);
    while (!eng->io_head && !eng->io_stopping) pthread_cond_wait(&eng->io_cv, &eng->io_mu);
    struct exec_io *io = eng->io_head;
    if (!io) { /* stopping and drained */
      pthread_mutex_unlock(&eng->io_mu);
      return NULL;
    }
    eng->io_head = io->next;
    if (!eng->io_head) eng->io_tail = NULL;
    pthread_mutex_unlock(&eng->io_mu);
    exec_io_perform(eng, io);
    struct exec_msg *m = orch_calloc(1, sizeof *m);
    if (!m) {
      /* Without memory for the message the answer is lost; decide asks again after a restart. */
      orch_log_error("exec: out of memory delivering the answer of %s", orch_exec_purpose_name(io->fx.purpose));
      exec_io_free(io);
      orch_clock_release(eng->clock);
      continue;
    }
    m->kind = MSG_IO_DONE;
    m->io = io;
    exec_post(eng, m);
    orch_clock_release(eng->clock); /* the io's hold: the message holds now */
  }
}

/* ---- finished executions ------------------------------------------------------------------------ */

void exec_finish_live(struct orch_exec_engine *eng, struct exec_live *lv, int rc, const char *reason) {
  struct finished *f = orch_calloc(1, sizeof *f);
  if (!f) {
    orch_log_error("exec: out of memory recording the end of %s", lv->st.id);
    return;
  }
  snprintf(f->id, sizeof f->id, "%s", lv->st.id);
  f->state = orch_exec_state_json(&lv->st);
  f->rc = rc;
  snprintf(f->reason, sizeof f->reason, "%s", reason ? reason : "");
  pthread_mutex_lock(&eng->mu);
  for (struct finished **pp = &eng->finished; *pp; pp = &(*pp)->next)
    if (strcmp((*pp)->id, f->id) == 0) { /* a halted one resumed and finished since: replace it */
      struct finished *old = *pp;
      *pp = old->next;
      json_decref(old->state);
      orch_free(old);
      break;
    }
  f->next = eng->finished;
  eng->finished = f;
  /* Keep the newest FINISHED_KEEP for waiters; older ones are read from the store. */
  struct finished *cut = eng->finished;
  for (int i = 1; cut && i < FINISHED_KEEP; i++) cut = cut->next;
  struct finished *old = cut ? cut->next : NULL;
  if (cut) cut->next = NULL;
  pthread_cond_broadcast(&eng->done_cv);
  pthread_mutex_unlock(&eng->mu);
  while (old) {
    struct finished *n = old->next;
    json_decref(old->state);
    orch_free(old);
    old = n;
  }
}

/* ---- the scheduler -------------------------------------------------------------------------------- */

static int64_t next_wake(struct orch_exec_engine *eng) {
  int64_t next = eng->next_poll_ms;
  if (eng->cfg.adopt_interval_ms && eng->next_adopt_ms < next) next = eng->next_adopt_ms;
  for (struct exec_live *lv = eng->lives; lv; lv = lv->next) {
    if (lv->dirty) return 0;
    int64_t t = lv->stalled_until_ms > lv->next_wake_ms ? lv->stalled_until_ms : lv->next_wake_ms;
    if (t > 0 && t < next) next = t;
  }
  return next;
}

static void remove_done(struct orch_exec_engine *eng) {
  bool removed = false;
  for (struct exec_live **pp = &eng->lives; *pp;) {
    struct exec_live *lv = *pp;
    bool done = orch_exec_done(&lv->st) && lv->store_finished;
    if (!done && !lv->halted && !exec_lease_lost(eng, lv->st.id)) {
      pp = &lv->next;
      continue;
    }
    if (!done && !lv->halted) {
      orch_log_error("exec %s: another process took this execution over; this one stops driving it", lv->st.id);
      exec_finish_live(eng, lv, ORCH_ECONFLICT, "another process took the execution over (its lease was lost)");
    }
    exec_lease_give(eng, lv->st.id);
    *pp = lv->next;
    exec_live_free(lv);
    removed = true;
  }
  if (removed) exec_states_refresh(eng);
}

static void *scheduler_main(void *arg) {
  struct orch_exec_engine *eng = arg;
  orch_clock_hold(eng->clock); /* the scheduler is at work until it waits */
  for (;;) {
    pthread_mutex_lock(&eng->mu);
    struct exec_msg *m = eng->head;
    eng->head = eng->tail = NULL;
    bool stop = eng->stopping;
    pthread_mutex_unlock(&eng->mu);
    while (m) {
      struct exec_msg *next = m->next;
      bool held = m->held;
      handle(eng, m);
      orch_free(m);
      if (held) orch_clock_release(eng->clock);
      m = next;
    }
    if (stop) break;
    int64_t now = orch_clock_now_ms(eng->clock);
    if (now >= eng->next_poll_ms) {
      eng->next_poll_ms = now + eng->cfg.poll_ms;
      exec_poll_tick(eng);
    }
    if (eng->cfg.adopt_interval_ms && now >= eng->next_adopt_ms) {
      eng->next_adopt_ms = now + eng->cfg.adopt_interval_ms;
      struct exec_msg adopt = {.kind = MSG_ADOPT};
      handle(eng, &adopt);
    }
    for (struct exec_live *lv = eng->lives; lv; lv = lv->next) {
      now = orch_clock_now_ms(eng->clock);
      if (lv->halted || lv->stalled_until_ms > now) continue;
      if (!lv->dirty && !(lv->next_wake_ms && now >= lv->next_wake_ms) && !lv->stalled_until_ms) continue;
      lv->dirty = false;
      lv->stalled_until_ms = 0;
      struct orch_exec_input tick = {.kind = ORCH_IN_TICK};
      exec_run(eng, lv, &tick, NULL);
    }
    remove_done(eng);
    pthread_mutex_lock(&eng->mu);
    json_decref(eng->stats_copy);
    eng->stats_copy = json_deep_copy(eng->stats);
    bool queued = eng->head != NULL;
    pthread_mutex_unlock(&eng->mu);
    if (queued) continue;
    int64_t wake = next_wake(eng);
    if (wake && wake > orch_clock_now_ms(eng->clock)) orch_clock_wait(eng->clock, &eng->wake_ev, wake);
  }
  orch_clock_release(eng->clock);
  return NULL;
}

/* ---- messages ------------------------------------------------------------------------------------- */

int exec_live_create(struct orch_exec_engine *eng, const struct orch_store_exec *rec, struct exec_live **out,
                     struct orch_error *err) {
  struct orch_store_plan plan = {0};
  struct orch_store_plan_version version = {0};
  struct exec_live *lv = NULL;
  json_t *created = NULL;
  int mode = orch_exec_mode_parse(orch_store_mode_name(rec->mode));
  int rc = orch_store_plan_get(eng->cfg.store, rec->plan_id, &plan, err);
  if (!rc) rc = orch_store_plan_version_get(eng->cfg.store, rec->plan_id, rec->plan_version, &version, err);
  if (!rc && mode < 0) rc = orch_error_set(err, ORCH_EINVAL, "execution %s: unknown mode", rec->id);
  if (!rc) rc = exec_plan_created(version.compiled, rec->id, rec->plan_id, version.version, plan.name,
                                  (enum orch_exec_mode)mode, rec->started_by[0] ? rec->started_by : NULL,
                                  eng->cfg.module_dir, &created, err);
  if (rc) goto out;
  if (!(lv = orch_calloc(1, sizeof *lv))) {
    rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
    goto out;
  }
  orch_exec_state_init(&lv->st);
  orch_exec_inflight_init(&lv->fl);
  struct orch_exec_event ev = {.seq = 1, .at_ms = orch_clock_now_ms(eng->clock), .type = "ExecutionCreated", .data = created};
  struct orch_store_event_spec es = {.seq = 1, .at_ms = ev.at_ms, .type = ev.type, .data = created};
  rc = orch_exec_apply(&lv->st, &ev, err);
  if (!rc) rc = orch_store_event_append_owned(eng->cfg.store, rec->id, exec_lease_owner(eng), &es, 1, err);
  if (rc) goto out;
  if (eng->cfg.listener) eng->cfg.listener(eng->cfg.listener_ctx, &lv->st, 1, ev.at_ms, "ExecutionCreated", created);
  lv->dirty = true;
  *out = lv;
  lv = NULL;
out:
  json_decref(created);
  exec_live_free(lv);
  orch_store_plan_version_release(&version);
  return rc;
}

static int handle_create(struct orch_exec_engine *eng, struct exec_msg *m, struct orch_error *err) {
  struct orch_store_exec rec = {0};
  struct exec_live *lv = NULL;
  enum orch_store_mode smode = ORCH_STORE_MODE_DRILL;
  int rc = orch_store_mode_parse(orch_exec_mode_name(m->mode), &smode, err);
  if (rc) goto out;
  struct orch_store_exec_spec spec = {.plan_id = m->plan_id, .plan_version = m->version, .mode = smode,
                                      .started_by = m->by};
  rc = orch_store_exec_create(eng->cfg.store, &spec, &rec, err);
  if (!rc) rc = exec_lease_take(eng, rec.id, err);
  if (!rc) rc = exec_live_create(eng, &rec, &lv, err);
  if (rc) goto out;
  snprintf(m->reply->id, sizeof m->reply->id, "%s", rec.id);
  exec_live_add(eng, lv);
out:
  if (rc && rec.id[0]) exec_lease_give(eng, rec.id);
  orch_store_exec_release(&rec);
  return rc;
}

/* Executions no live process drives: at start (resume) and, in a long-running server, from time to time. */
static int adopt(struct orch_exec_engine *eng, bool quiet, struct orch_error *err) {
  struct orch_store_exec_list list = {0};
  int rc = orch_store_exec_list_unfinished(eng->cfg.store, &list, err);
  if (rc) return rc;
  for (size_t i = list.count; i-- > 0;) { /* oldest first: they resume in the order they started */
    const char *id = list.items[i].id;
    if (exec_live_find(eng, id)) continue;
    struct orch_error e = {0};
    if (exec_lease_take(eng, id, &e)) {
      if (!quiet) orch_log_info("exec %s: not resumed here: %s", id, e.message);
      continue;
    }
    struct exec_live *lv = NULL;
    if (exec_live_load(eng, id, &lv, &e)) {
      orch_log_error("exec %s: cannot be resumed: %s: %s", id, e.context, e.message);
      exec_lease_give(eng, id);
      continue;
    }
    orch_log_info("exec %s: resumed at event %lld (%s)", id, (long long)lv->st.seq, orch_exec_status_name(lv->st.status));
    lv->dirty = true;
    exec_live_add(eng, lv);
  }
  orch_store_exec_list_release(&list);
  return 0;
}

/* Drop a live execution this engine loaded only for a call, giving its lease back (a synchronous engine's
 * command or step: the next may run in another process). */
void exec_live_unload(struct orch_exec_engine *eng, struct exec_live *lv) {
  for (struct exec_live **pp = &eng->lives; *pp; pp = &(*pp)->next)
    if (*pp == lv) {
      *pp = lv->next;
      break;
    }
  exec_lease_give(eng, lv->st.id);
  exec_live_free(lv);
  exec_states_refresh(eng);
}

static void handle_command(struct orch_exec_engine *eng, struct exec_msg *m) {
  struct orch_error err = {0};
  int rc = 0;
  bool loaded = false;
  struct exec_live *lv = exec_live_find(eng, m->exec_id);
  if (!lv && m->cmd == ORCH_CMD_CLEANUP && !eng->cfg.synchronous) {
    /* A drill whose clean-up failed (to try again), or that nobody drives while it keeps its instances or
     * cleans up (`drsorch executions cleanup`): loaded below, taking its lease, and driven here. */
    struct orch_store_exec rec = {0};
    rc = orch_store_exec_get(eng->cfg.store, m->exec_id, &rec, &err);
    bool cleanable = !rc && (rec.status == ORCH_STORE_STATUS_CLEANUP_FAILED || rec.status == ORCH_STORE_STATUS_CLEANING_UP);
    orch_store_exec_release(&rec);
    if (!rc && !cleanable) rc = orch_error_set(&err, ORCH_ESTATE, "execution %s is not running here (nothing to clean up now)", m->exec_id);
  } else if (!lv && !eng->cfg.synchronous) {
    rc = orch_error_set(&err, ORCH_ENOTFOUND, "execution %s is not running in this engine", m->exec_id);
  }
  if (!rc && !lv) { /* take it for this command (a synchronous engine drives executions only while asked) */
    struct orch_store_exec rec = {0};
    bool recorded_finished = !orch_store_exec_get(eng->cfg.store, m->exec_id, &rec, NULL) && rec.ended_ms;
    orch_store_exec_release(&rec);
    rc = exec_lease_take(eng, m->exec_id, &err);
    if (!rc && (rc = exec_live_load(eng, m->exec_id, &lv, &err))) exec_lease_give(eng, m->exec_id);
    if (!rc) {
      /* A finished record (CLEANUP_FAILED) is reopened when its clean-up goes on: waits then wait for it. */
      lv->store_finished = recorded_finished;
      exec_live_add(eng, lv);
      loaded = true;
    }
  }
  if (!rc) {
    struct orch_exec_input in = {.kind = ORCH_IN_COMMAND,
                                 .command = {.cmd = m->cmd, .wave = m->wave, .by = m->by, .role = m->role, .reason = m->reason}};
    rc = exec_run(eng, lv, &in, &err);
    if (loaded && eng->cfg.synchronous) exec_live_unload(eng, lv);
  }
  exec_reply_send(m->reply, rc, &err);
}

static void handle(struct orch_exec_engine *eng, struct exec_msg *m) {
  struct orch_error err = {0};
  int rc = 0;
  switch (m->kind) {
    case MSG_CREATE:
      rc = handle_create(eng, m, &err);
      exec_reply_send(m->reply, rc, &err);
      break;
    case MSG_COMMAND: handle_command(eng, m); break;
    case MSG_SNAPSHOT: {
      struct exec_live *lv = exec_live_find(eng, m->exec_id);
      m->reply->json = lv ? orch_exec_state_json(&lv->st) : NULL;
      exec_reply_send(m->reply, 0, NULL);
      break;
    }
    case MSG_IO_DONE:
      exec_count(eng, "io_done", 1);
      exec_io_answered(eng, m->io);
      break;
    case MSG_ADOPT:
      if (adopt(eng, true, &err)) orch_log_warn("exec: looking for executions to adopt failed: %s", err.message);
      break;
    case MSG_STOP: break;
  }
}

/* ---- public API ----------------------------------------------------------------------------------- */

int orch_exec_engine_new(const struct orch_exec_engine_config *cfg, struct orch_exec_engine **out,
                         struct orch_error *err) {
  if (!cfg->store || !cfg->aws || !cfg->aws->call)
    return orch_error_set(err, ORCH_EINVAL, "the execution engine needs a store and an AWS interface");
  char abs[PATH_MAX];
  const char *dir = cfg->module_dir && *cfg->module_dir ? cfg->module_dir : NULL;
  if (dir && realpath(dir, abs)) dir = abs; /* recorded absolute: a resume from elsewhere finds it */
  if (dir && strlen(dir) >= ORCH_EXEC_MODULE_DIR_MAX)
    return orch_error_setc(err, ORCH_EINVAL, "module_dir", "the plan module directory's path is longer than %d bytes",
                           ORCH_EXEC_MODULE_DIR_MAX - 1);
  struct orch_exec_engine *eng = orch_calloc(1, sizeof *eng);
  if (!eng) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  eng->cfg = *cfg;
  if (eng->cfg.poll_ms <= 0) eng->cfg.poll_ms = 5000;
  if (eng->cfg.synchronous) eng->cfg.inline_effects = true;
  if (eng->cfg.io_threads <= 0) eng->cfg.io_threads = 4;
  eng->clock = cfg->clock ? cfg->clock : orch_clock_real();
  snprintf(eng->default_account, sizeof eng->default_account, "%s", cfg->default_account ? cfg->default_account : "");
  snprintf(eng->default_region, sizeof eng->default_region, "%s", cfg->default_region ? cfg->default_region : "");
  memcpy(eng->module_dir, dir ? dir : "", dir ? strlen(dir) + 1 : 1); /* fits: checked above */
  eng->cfg.default_account = eng->default_account;
  eng->cfg.default_region = eng->default_region;
  eng->cfg.module_dir = eng->module_dir[0] ? eng->module_dir : NULL;
  eng->ceiling = cfg->aws_allow_ceiling ? orch_strdup(cfg->aws_allow_ceiling) : NULL;
  eng->cfg.aws_allow_ceiling = eng->ceiling;
  pthread_mutex_init(&eng->mu, NULL);
  pthread_cond_init(&eng->done_cv, NULL);
  pthread_mutex_init(&eng->io_mu, NULL);
  pthread_cond_init(&eng->io_cv, NULL);
  eng->stats = json_object();
  if (orch_clock_event_init(&eng->wake_ev) || !eng->stats || orch_exec_admission_new(&eng->admission)) {
    orch_exec_engine_free(eng);
    return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  }
  int rc = exec_lease_start(eng, err);
  if (rc) {
    orch_exec_engine_free(eng);
    return rc;
  }
  *out = eng;
  return 0;
}

int orch_exec_engine_start(struct orch_exec_engine *eng, struct orch_error *err) {
  if (eng->cfg.synchronous)
    return orch_error_set(err, ORCH_EINVAL, "a synchronous engine has no threads to start: drive it with orch_exec_engine_step");
  int rc = eng->cfg.resume ? adopt(eng, false, err) : 0;
  if (rc) return rc;
  if (!eng->cfg.inline_effects) {
    eng->workers = orch_calloc((size_t)eng->cfg.io_threads, sizeof *eng->workers);
    if (!eng->workers) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
    for (int i = 0; i < eng->cfg.io_threads; i++) {
      if (pthread_create(&eng->workers[i], NULL, io_main, eng) != 0)
        return orch_error_set(err, ORCH_EINTERNAL, "cannot start I/O thread: %s", strerror(errno));
      eng->nworkers++;
    }
  }
  eng->next_poll_ms = orch_clock_now_ms(eng->clock);
  eng->next_adopt_ms = eng->next_poll_ms + eng->cfg.adopt_interval_ms;
  pthread_mutex_lock(&eng->mu);
  eng->scheduler_started = pthread_create(&eng->scheduler, NULL, scheduler_main, eng) == 0;
  bool started = eng->scheduler_started;
  pthread_mutex_unlock(&eng->mu);
  if (!started) return orch_error_set(err, ORCH_EINTERNAL, "cannot start the scheduler thread: %s", strerror(errno));
  return 0;
}

void orch_exec_engine_free(struct orch_exec_engine *eng) {
  if (!eng) return;
  pthread_mutex_lock(&eng->mu);
  bool started = eng->scheduler_started;
  eng->stopping = true;
  pthread_cond_broadcast(&eng->done_cv);
  pthread_mutex_unlock(&eng->mu);
  orch_clock_signal(eng->clock, &eng->wake_ev);
  if (started) pthread_join(eng->scheduler, NULL);
  pthread_mutex_lock(&eng->io_mu);
  eng->io_stopping = true;
  pthread_cond_broadcast(&eng->io_cv);
  pthread_mutex_unlock(&eng->io_mu);
  for (int i = 0; i < eng->nworkers; i++) pthread_join(eng->workers[i], NULL);
  /* Answers that arrived after the scheduler stopped are dropped: decide asks again after a restart
   * (StartRecovery answers are found by their tag). */
  for (struct exec_msg *m = eng->head, *n; m; m = n) {
    n = m->next;
    if (m->reply) exec_reply_send(m->reply, ORCH_ESTATE, &(struct orch_error){.code = ORCH_ESTATE, .message = "engine stopped"});
    if (m->io) exec_io_free(m->io);
    orch_free(m);
  }
  for (struct exec_io *io = eng->io_head, *n; io; io = n) {
    n = io->next;
    exec_io_free(io);
  }
  for (struct exec_live *lv = eng->lives, *n; lv; lv = n) {
    n = lv->next;
    if (eng->leases) exec_lease_give(eng, lv->st.id);
    exec_live_free(lv);
  }
  exec_lease_stop(eng);
  for (struct finished *f = eng->finished, *n; f; f = n) {
    n = f->next;
    json_decref(f->state);
    orch_free(f);
  }
  orch_exec_admission_free(eng->admission);
  json_decref(eng->stats);
  json_decref(eng->stats_copy);
  json_decref(eng->poll_parts);
  orch_free(eng->states);
  orch_free(eng->workers);
  orch_free(eng->ceiling);
  orch_clock_event_destroy(&eng->wake_ev);
  pthread_mutex_destroy(&eng->mu);
  pthread_cond_destroy(&eng->done_cv);
  pthread_mutex_destroy(&eng->io_mu);
  pthread_cond_destroy(&eng->io_cv);
  orch_free(eng);
}

int orch_exec_engine_create(struct orch_exec_engine *eng, const char *plan_id, int64_t version,
                            enum orch_exec_mode mode, const char *by, char id_out[ORCH_ID_UUID_LEN + 1],
                            struct orch_error *err) {
  struct exec_msg *m = orch_calloc(1, sizeof *m);
  if (!m) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  m->kind = MSG_CREATE;
  snprintf(m->plan_id, sizeof m->plan_id, "%s", plan_id);
  m->version = version;
  m->mode = mode;
  snprintf(m->by, sizeof m->by, "%s", by ? by : "");
  struct exec_reply r;
  int rc = call_scheduler(eng, m, &r, err);
  if (!rc) snprintf(id_out, ORCH_ID_UUID_LEN + 1, "%s", r.id);
  return rc;
}

int orch_exec_engine_command_ex(struct orch_exec_engine *eng, const struct orch_exec_command_spec *spec,
                                struct orch_error *err) {
  if (!spec || !spec->exec_id) return orch_error_set(err, ORCH_EINVAL, "a command needs an execution id");
  struct exec_msg *m = orch_calloc(1, sizeof *m);
  if (!m) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  m->kind = MSG_COMMAND;
  m->cmd = spec->cmd;
  snprintf(m->exec_id, sizeof m->exec_id, "%s", spec->exec_id);
  snprintf(m->wave, sizeof m->wave, "%s", spec->wave ? spec->wave : "");
  snprintf(m->by, sizeof m->by, "%s", spec->by ? spec->by : "");
  snprintf(m->role, sizeof m->role, "%s", spec->role ? spec->role : "");
  snprintf(m->reason, sizeof m->reason, "%s", spec->reason ? spec->reason : "");
  struct exec_reply r;
  return call_scheduler(eng, m, &r, err);
}

int orch_exec_engine_command(struct orch_exec_engine *eng, const char *exec_id, enum orch_exec_command cmd,
                             const char *wave, const char *by, struct orch_error *err) {
  struct orch_exec_command_spec spec = {.exec_id = exec_id, .cmd = cmd, .wave = wave, .by = by};
  return orch_exec_engine_command_ex(eng, &spec, err);
}

json_t *orch_exec_engine_snapshot(struct orch_exec_engine *eng, const char *exec_id) {
  struct exec_msg *m = orch_calloc(1, sizeof *m);
  if (!m) return NULL;
  m->kind = MSG_SNAPSHOT;
  snprintf(m->exec_id, sizeof m->exec_id, "%s", exec_id);
  struct exec_reply r;
  if (call_scheduler(eng, m, &r, NULL)) return NULL;
  return r.json;
}

/* The final state of an execution that finished before this wait: folded from the store's journal. */
static int finished_in_store(struct orch_exec_engine *eng, const char *exec_id, bool *done, json_t **final,
                             struct orch_error *err) {
  struct orch_store_exec rec = {0};
  int rc = orch_store_exec_get(eng->cfg.store, exec_id, &rec, err);
  *done = !rc && rec.ended_ms;
  orch_store_exec_release(&rec);
  if (rc || !*done || !final) return rc;
  struct orch_store_event_list events = {0};
  struct orch_exec_state st;
  orch_exec_state_init(&st);
  rc = orch_store_event_read(eng->cfg.store, exec_id, 1, 0, &events, err);
  if (!rc) rc = orch_exec_state_from_events(&st, &events, err);
  if (!rc && !(*final = orch_exec_state_json(&st))) rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
  orch_exec_state_release(&st);
  orch_store_event_list_release(&events);
  return rc;
}

int orch_exec_engine_wait(struct orch_exec_engine *eng, const char *exec_id, int64_t timeout_ms, json_t **final,
                          struct orch_error *err) {
  bool done = false;
  int src = finished_in_store(eng, exec_id, &done, final, err);
  if (src || done) return src; /* unknown (ORCH_ENOTFOUND) or long finished */
  json_t *live = orch_exec_engine_snapshot(eng, exec_id);
  if (!live) { /* finished just now, or not driven here at all */
    pthread_mutex_lock(&eng->mu);
    struct finished *f = eng->finished;
    while (f && strcmp(f->id, exec_id) != 0) f = f->next;
    pthread_mutex_unlock(&eng->mu);
    if (!f) {
      struct orch_store_lease lease;
      if (orch_store_lease_get(eng->cfg.store, exec_id, &lease, NULL) == 0 && lease.owner[0])
        return orch_error_set(err, ORCH_ECONFLICT, "execution %s is driven by another process (pid %lld on %s)", exec_id,
                              (long long)lease.pid, lease.host);
      return orch_error_set(err, ORCH_ESTATE, "execution %s is unfinished but not driven by this engine", exec_id);
    }
  }
  json_decref(live);
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  if (timeout_ms >= 0) {
    deadline.tv_sec += (time_t)(timeout_ms / 1000);
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
    deadline.tv_sec += deadline.tv_nsec / 1000000000;
    deadline.tv_nsec %= 1000000000;
  }
  int rc = 0;
  pthread_mutex_lock(&eng->mu);
  for (;;) {
    struct finished *f = eng->finished;
    while (f && strcmp(f->id, exec_id) != 0) f = f->next;
    if (f) {
      if (final) *final = json_incref(f->state);
      if (f->rc) rc = orch_error_set(err, f->rc, "%s", f->reason);
      break;
    }
    if (eng->stopping) {
      rc = orch_error_set(err, ORCH_ESTATE, "the engine stopped before execution %s finished", exec_id);
      break;
    }
    if (timeout_ms < 0) {
      pthread_cond_wait(&eng->done_cv, &eng->mu);
    } else if (pthread_cond_timedwait(&eng->done_cv, &eng->mu, &deadline) == ETIMEDOUT) {
      rc = orch_error_set(err, ORCH_ETIMEDOUT, "execution %s did not finish within %lld ms", exec_id, (long long)timeout_ms);
      break;
    }
  }
  pthread_mutex_unlock(&eng->mu);
  return rc;
}

json_t *orch_exec_engine_stats(struct orch_exec_engine *eng) {
  pthread_mutex_lock(&eng->mu);
  json_t *s = eng->stats_copy ? json_deep_copy(eng->stats_copy) : json_object();
  pthread_mutex_unlock(&eng->mu);
  return s;
}
