/* orch_exec_engine: the engine's threads and queues. The scheduler thread owns every live execution:
 * it takes messages (create, operator commands, snapshots, I/O answers), journals before it acts
 * (exec_append), and steps each execution (orch_exec_step.c). I/O threads make AWS calls and post the
 * answers back. Uses orch_store, orch_exec_state, orch_exec_admission, orch_log, pthreads. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/orch_alloc.h"
#include "core/orch_log.h"
#include "exec/orch_exec_int.h"
#include "exec/orch_exec_report.h"

/* ---- small helpers shared by the engine's files ----------------------------------------------- */

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

struct exec_io *exec_io_new(enum exec_io_kind kind, const char *exec_id, const char *account, const char *region,
                            const char *service, const char *operation, json_t *input) {
  struct exec_io *io = orch_calloc(1, sizeof *io);
  if (!io) {
    json_decref(input);
    return NULL;
  }
  io->kind = kind;
  snprintf(io->exec_id, sizeof io->exec_id, "%s", exec_id ? exec_id : "");
  snprintf(io->account, sizeof io->account, "%s", account ? account : "");
  snprintf(io->region, sizeof io->region, "%s", region ? region : "");
  io->service = service;
  io->operation = operation;
  io->input = input;
  return io;
}

void exec_io_free(struct exec_io *io) {
  if (!io) return;
  json_decref(io->input);
  json_decref(io->output);
  json_decref(io->context);
  orch_free(io);
}

#define PATIENT_TRIES 6

int exec_call_patient(struct orch_exec_engine *eng, const char *account, const char *region, const char *service,
                      const char *operation, const json_t *input, bool paginate, json_t **output,
                      struct orch_aws_error *aerr, struct orch_error *err) {
  int rc = 0;
  long delay_ms = 250;
  for (int attempt = 1;; attempt++) {
    *aerr = (struct orch_aws_error){.retry_after_ms = -1};
    rc = eng->cfg.aws->call(eng->cfg.aws_ctx, exec_account(eng, account), exec_region(eng, region), service, operation,
                            input, paginate, output, aerr, err);
    bool passing = rc == ORCH_ECONN || rc == ORCH_ETIMEDOUT || (rc == ORCH_EAWS && (aerr->retryable || aerr->throttling));
    if (!rc || !passing || attempt == PATIENT_TRIES) return rc;
    orch_log_info("exec: %s:%s failed for a passing reason (%s); trying again in %ld ms", service, operation,
                  aerr->code[0] ? aerr->code : err->message, delay_ms);
    struct timespec ts = {delay_ms / 1000, (delay_ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
    delay_ms = delay_ms * 2 > 4000 ? 4000 : delay_ms * 2;
  }
}

/* ---- the message queue ------------------------------------------------------------------------ */

static void post(struct orch_exec_engine *eng, struct exec_msg *m) {
  pthread_mutex_lock(&eng->mu);
  m->next = NULL;
  if (eng->tail) eng->tail->next = m;
  else eng->head = m;
  eng->tail = m;
  pthread_cond_signal(&eng->cv);
  pthread_mutex_unlock(&eng->mu);
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

static void reply_send(struct exec_reply *r, int rc, const struct orch_error *err) {
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
  pthread_mutex_lock(&eng->mu);
  bool stopping = eng->stopping || !eng->scheduler_started;
  pthread_mutex_unlock(&eng->mu);
  if (stopping) {
    orch_free(m);
    return orch_error_set(err, ORCH_ESTATE, "the execution engine is not running");
  }
  reply_init(r);
  m->reply = r;
  post(eng, m);
  reply_wait(r);
  if (r->rc && err) *err = r->err;
  return r->rc;
}

/* ---- I/O threads ------------------------------------------------------------------------------ */

void exec_io_submit(struct orch_exec_engine *eng, struct exec_io *io) {
  exec_count(eng, "io_requests", 1);
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

    io->started_ns = orch_clock_mono_ns(orch_clock_real());
    if (io->kind == IO_PREFLIGHT) {
      exec_preflight_run(eng, io);
    } else if (io->kind == IO_PREPARE) {
      exec_prepare_run(eng, io);
    } else {
      io->aerr.retry_after_ms = -1;
      io->rc = eng->cfg.aws->call(eng->cfg.aws_ctx, exec_account(eng, io->account), exec_region(eng, io->region),
                                  io->service, io->operation, io->input, io->paginate, &io->output, &io->aerr,
                                  &io->err);
    }
    io->ended_ns = orch_clock_mono_ns(orch_clock_real());
    struct exec_msg *m = orch_calloc(1, sizeof *m);
    if (!m) {
      /* Without memory for the message the answer is lost; the step re-issues what it needs after
       * a restart. Say so loudly rather than silently. */
      orch_log_error("exec: out of memory delivering the answer of %s:%s", io->service ? io->service : "",
                     io->operation ? io->operation : "");
      exec_io_free(io);
      continue;
    }
    m->kind = MSG_IO_DONE;
    m->io = io;
    post(eng, m);
  }
}

/* ---- journal ---------------------------------------------------------------------------------- */

/* The store spells statuses as the reducer does; map by name so neither enum's order matters. */
#define FINISHED_KEEP 256

static enum orch_store_status store_status(enum orch_exec_status s) {
  enum orch_store_status out = ORCH_STORE_STATUS_PENDING;
  if (orch_store_status_parse(orch_exec_status_name(s), &out, NULL))
    orch_log_error("exec: status %s has no store equivalent", orch_exec_status_name(s));
  return out;
}

static void finish_live(struct orch_exec_engine *eng, struct exec_live *lv) {
  struct finished *f = orch_calloc(1, sizeof *f);
  if (!f) {
    orch_log_error("exec: out of memory recording the end of %s", lv->st.id);
    return;
  }
  snprintf(f->id, sizeof f->id, "%s", lv->st.id);
  f->state = orch_exec_state_json(&lv->st);
  pthread_mutex_lock(&eng->mu);
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

/* Whether nothing is left to do: ended, and for drills cleaned up. */
static bool live_done(const struct exec_live *lv) {
  const struct orch_exec_state *st = &lv->st;
  if (!st->ended_ms) return false;
  if (st->mode == ORCH_MODE_DRILL) return st->status == ORCH_EXEC_CLEANED;
  return true;
}

/* Keep the store's execution record (status, start, end, summary) in step with the reducer. */
static void sync_store_record(struct orch_exec_engine *eng, struct exec_live *lv, enum orch_exec_status before) {
  struct orch_exec_state *st = &lv->st;
  bool done = live_done(lv);
  if (st->status == before && !(done && !lv->rt.store_finished)) return;
  json_t *summary = json_pack("{s:s, s:s, s:I, s:I}", "status", orch_exec_status_name(st->status), "plan_name",
                              st->plan_name, "waves", (json_int_t)st->nwaves, "servers", (json_int_t)st->nservers);
  struct orch_store_exec_update upd = {.set_status = true,
                                       .status = store_status(st->status),
                                       .started_ms = st->started_ms,
                                       .ended_ms = done ? (st->ended_ms ? orch_clock_now_ms(eng->clock) : 0) : 0,
                                       .summary = summary};
  struct orch_error err = {0};
  if (orch_store_exec_update(eng->cfg.store, st->id, &upd, NULL, &err))
    orch_log_warn("exec %s: store record not updated: %s", st->id, err.message); /* the journal is the truth */
  else if (done)
    lv->rt.store_finished = true;
  json_decref(summary);
  if (done) finish_live(eng, lv);
}

/* Append one event durably, then fold it into the state. Takes ownership of `data`. On failure the
 * execution stalls (nothing is acted on) and retries later; the caller must not act. */
int exec_append(struct orch_exec_engine *eng, struct exec_live *lv, const char *type, json_t *data) {
  struct orch_error err = {0};
  int rc = 0;
  if (!data) {
    rc = ORCH_ENOMEM;
    orch_error_set(&err, rc, "out of memory building %s", type);
    goto fail;
  }
  int64_t now = orch_clock_now_ms(eng->clock);
  struct orch_store_event_spec spec = {.seq = lv->st.seq + 1, .at_ms = now, .type = type, .data = data};
  rc = orch_store_event_append(eng->cfg.store, lv->st.id, &spec, &err);
  if (rc) goto fail;
  enum orch_exec_status before = lv->st.status;
  struct orch_exec_event ev = {.seq = spec.seq, .at_ms = now, .type = type, .data = data};
  rc = orch_exec_apply(&lv->st, &ev, &err);
  if (rc) {
    /* Written but not understood: a bug in the engine, never in the operator's input. Stop this
     * execution loudly; the journal stays as written for inspection. */
    orch_log_error("exec %s: journaled %s but the reducer refused it: %s: %s", lv->st.id, type, err.context,
                   err.message);
    lv->rt.stalled = true;
    lv->rt.stalled_until_ms = INT64_MAX;
    json_decref(data);
    return rc;
  }
  exec_count(eng, "events", 1);
  if (eng->cfg.listener) eng->cfg.listener(eng->cfg.listener_ctx, &lv->st, type, data);
  sync_store_record(eng, lv, before);
  json_decref(data);
  return 0;
fail:
  orch_log_error("exec %s: cannot journal %s: %s (will retry)", lv->st.id, type, err.message);
  lv->rt.stalled = true;
  lv->rt.stalled_until_ms = orch_clock_now_ms(eng->clock) + 1000;
  json_decref(data);
  return rc;
}

/* ---- lives ------------------------------------------------------------------------------------ */

static struct exec_live *live_find(struct orch_exec_engine *eng, const char *id) {
  for (struct exec_live *lv = eng->lives; lv; lv = lv->next)
    if (strcmp(lv->st.id, id) == 0) return lv;
  return NULL;
}

static void live_free(struct exec_live *lv) {
  if (!lv) return;
  exec_hooks_free(lv->rt.hooks);
  orch_free(lv->rt.job_inflight);
  orch_free(lv->rt.job_sends);
  orch_free(lv->rt.term_inflight);
  orch_exec_state_release(&lv->st);
  orch_free(lv);
}

static void live_add(struct orch_exec_engine *eng, struct exec_live *lv) {
  lv->next = eng->lives;
  eng->lives = lv;
}

static void live_remove_done(struct orch_exec_engine *eng) {
  struct exec_live **pp = &eng->lives;
  while (*pp) {
    struct exec_live *lv = *pp;
    if (live_done(lv) && lv->rt.store_finished) {
      *pp = lv->next;
      live_free(lv);
    } else {
      pp = &lv->next;
    }
  }
}

/* Rebuild a live execution from its journal (engine start). */
static int live_load(struct orch_exec_engine *eng, const char *id, struct orch_error *err) {
  struct exec_live *lv = orch_calloc(1, sizeof *lv);
  if (!lv) return orch_error_set(err, ORCH_ENOMEM, "out of memory resuming %s", id);
  orch_exec_state_init(&lv->st);
  struct orch_store_event_list list = {0};
  int64_t from = 1;
  int rc = 0;
  do {
    rc = orch_store_event_read(eng->cfg.store, id, from, 1000, &list, err);
    if (!rc) rc = orch_exec_state_from_events(&lv->st, &list, err);
    if (rc) goto fail;
    from = list.next_seq;
    orch_store_event_list_release(&list);
  } while (from);
  if (!lv->st.id[0]) {
    rc = orch_error_set(err, ORCH_ESTATE, "execution %s has an empty journal", id);
    goto fail;
  }
  live_add(eng, lv);
  orch_log_info("exec %s: resumed at event %lld (%s)", id, (long long)lv->st.seq, orch_exec_status_name(lv->st.status));
  return 0;
fail:
  orch_store_event_list_release(&list);
  live_free(lv);
  return rc;
}

/* ---- scheduler -------------------------------------------------------------------------------- */

static int handle_create(struct orch_exec_engine *eng, struct exec_msg *m, struct orch_error *err) {
  struct orch_store_plan plan = {0};
  struct orch_store_plan_version version = {0};
  struct orch_store_exec rec = {0};
  struct exec_live *lv = NULL;
  json_t *created = NULL;
  int rc = orch_store_plan_get(eng->cfg.store, m->plan_id, &plan, err);
  if (!rc) rc = orch_store_plan_version_get(eng->cfg.store, m->plan_id, m->version, &version, err);
  if (rc) goto out;
  enum orch_store_mode smode = ORCH_STORE_MODE_DRILL;
  rc = orch_store_mode_parse(orch_exec_mode_name(m->mode), &smode, err);
  if (rc) goto out;
  struct orch_store_exec_spec spec = {.plan_id = m->plan_id, .plan_version = version.version, .mode = smode,
                                      .started_by = m->by};
  rc = orch_store_exec_create(eng->cfg.store, &spec, &rec, err);
  if (rc) goto out;
  rc = exec_plan_created(version.compiled, rec.id, m->plan_id, version.version, plan.name, m->mode, m->by,
                         eng->cfg.module_dir, &created, err);
  if (rc) goto out;
  lv = orch_calloc(1, sizeof *lv);
  if (!lv) {
    rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
    goto out;
  }
  orch_exec_state_init(&lv->st);
  /* The state has no id until ExecutionCreated is applied; the store needs it to append. */
  snprintf(lv->st.id, sizeof lv->st.id, "%s", rec.id);
  rc = exec_append(eng, lv, "ExecutionCreated", created);
  created = NULL;
  if (rc) {
    orch_error_set(err, rc, "cannot journal the new execution");
    goto out;
  }
  snprintf(m->reply->id, sizeof m->reply->id, "%s", rec.id);
  live_add(eng, lv);
  lv = NULL;
out:
  json_decref(created);
  if (lv) live_free(lv);
  orch_store_exec_release(&rec);
  orch_store_plan_version_release(&version);
  return rc;
}

static void handle(struct orch_exec_engine *eng, struct exec_msg *m) {
  struct orch_error err = {0};
  int rc = 0;
  struct exec_live *lv = m->exec_id[0] ? live_find(eng, m->exec_id) : NULL;
  switch (m->kind) {
    case MSG_CREATE:
      rc = handle_create(eng, m, &err);
      if (!rc) lv = live_find(eng, m->reply->id);
      reply_send(m->reply, rc, &err);
      break;
    case MSG_COMMAND:
      if (!lv) rc = orch_error_set(&err, ORCH_ENOTFOUND, "execution %s is not running", m->exec_id);
      else rc = exec_command(eng, lv, m->cmd, m->wave, m->by, &err);
      reply_send(m->reply, rc, &err);
      break;
    case MSG_SNAPSHOT:
      m->reply->json = lv ? orch_exec_state_json(&lv->st) : NULL;
      reply_send(m->reply, 0, NULL);
      break;
    case MSG_IO_DONE:
      exec_count(eng, "io_done", 1);
      if (m->io->kind == IO_POLL || m->io->kind == IO_QUOTAS) {
        exec_poll_done(eng, m->io);
      } else if (lv || (lv = live_find(eng, m->io->exec_id))) {
        exec_io_done(eng, lv, m->io);
      } else {
        exec_io_free(m->io);
      }
      break;
    case MSG_STOP: break;
  }
  if (lv) exec_step(eng, lv);
}

static int64_t next_wake_ms(struct orch_exec_engine *eng, int64_t now) {
  int64_t next = eng->next_poll_ms;
  for (struct exec_live *lv = eng->lives; lv; lv = lv->next) {
    if (lv->rt.stalled && lv->rt.stalled_until_ms < next) next = lv->rt.stalled_until_ms;
    int64_t t = exec_hooks_next_timer(lv);
    if (t > 0 && t < next) next = t;
    if (lv->st.status == ORCH_EXEC_CLEANING_UP && lv->st.cleanup_after_ms > now && lv->st.cleanup_after_ms < next)
      next = lv->st.cleanup_after_ms;
  }
  return next;
}

static void *scheduler_main(void *arg) {
  struct orch_exec_engine *eng = arg;
  for (struct exec_live *lv = eng->lives; lv; lv = lv->next) exec_step(eng, lv);
  for (;;) {
    int64_t now = orch_clock_now_ms(eng->clock);
    if (now >= eng->next_poll_ms) {
      exec_poll(eng);
      eng->next_poll_ms = now + eng->cfg.poll_ms;
      for (struct exec_live *lv = eng->lives; lv; lv = lv->next) {
        exec_hooks_tick(eng, lv);
        exec_step(eng, lv);
      }
    } else {
      for (struct exec_live *lv = eng->lives; lv; lv = lv->next) {
        if (lv->rt.stalled && now >= lv->rt.stalled_until_ms) lv->rt.stalled = false;
        exec_hooks_tick(eng, lv);
        exec_step(eng, lv);
      }
    }
    live_remove_done(eng);
    pthread_mutex_lock(&eng->mu);
    json_decref(eng->stats_copy);
    eng->stats_copy = json_deep_copy(eng->stats);
    int64_t wake = next_wake_ms(eng, orch_clock_now_ms(eng->clock));
    while (!eng->head && !eng->stopping) {
      int64_t left = wake - orch_clock_now_ms(eng->clock);
      if (left <= 0) break;
      /* Wait in real time: a virtual clock running N times faster needs N times less. */
      left = (int64_t)((double)left / eng->cfg.clock_speed);
      if (left < 1) left = 1;
      if (left > 1000) left = 1000;
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      ts.tv_nsec += (long)(left % 1000) * 1000000;
      ts.tv_sec += (time_t)(left / 1000) + ts.tv_nsec / 1000000000;
      ts.tv_nsec %= 1000000000;
      if (pthread_cond_timedwait(&eng->cv, &eng->mu, &ts) == ETIMEDOUT) break;
    }
    struct exec_msg *m = eng->head;
    eng->head = eng->tail = NULL;
    bool stop = eng->stopping;
    pthread_mutex_unlock(&eng->mu);
    while (m) {
      struct exec_msg *next = m->next;
      handle(eng, m);
      if (m->kind == MSG_IO_DONE && m->io) { /* handlers take the io; nothing left to free here */
      }
      orch_free(m);
      m = next;
    }
    if (stop) return NULL;
  }
}

/* ---- public API ------------------------------------------------------------------------------- */

int orch_exec_engine_new(const struct orch_exec_engine_config *cfg, struct orch_exec_engine **out,
                         struct orch_error *err) {
  if (!cfg->store || !cfg->aws || !cfg->aws->call)
    return orch_error_set(err, ORCH_EINVAL, "the execution engine needs a store and an AWS interface");
  struct orch_exec_engine *eng = orch_calloc(1, sizeof *eng);
  if (!eng) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  eng->cfg = *cfg;
  if (eng->cfg.poll_ms <= 0) eng->cfg.poll_ms = 5000;
  if (eng->cfg.io_threads <= 0) eng->cfg.io_threads = 4;
  if (eng->cfg.clock_speed <= 0) eng->cfg.clock_speed = 1;
  eng->clock = cfg->clock ? cfg->clock : orch_clock_real();
  snprintf(eng->default_account, sizeof eng->default_account, "%s", cfg->default_account ? cfg->default_account : "");
  snprintf(eng->default_region, sizeof eng->default_region, "%s", cfg->default_region ? cfg->default_region : "");
  snprintf(eng->module_dir, sizeof eng->module_dir, "%s", cfg->module_dir ? cfg->module_dir : "");
  eng->cfg.default_account = eng->default_account;
  eng->cfg.default_region = eng->default_region;
  eng->cfg.module_dir = eng->module_dir[0] ? eng->module_dir : NULL;
  pthread_mutex_init(&eng->mu, NULL);
  pthread_cond_init(&eng->cv, NULL);
  pthread_cond_init(&eng->done_cv, NULL);
  pthread_mutex_init(&eng->io_mu, NULL);
  pthread_cond_init(&eng->io_cv, NULL);
  eng->stats = json_object();
  eng->polls_inflight = json_object();
  eng->quotas_known = json_object();
  if (!eng->stats || !eng->polls_inflight || !eng->quotas_known || orch_exec_admission_new(&eng->admission)) {
    orch_exec_engine_free(eng);
    return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  }
  *out = eng;
  return 0;
}

int orch_exec_engine_start(struct orch_exec_engine *eng, struct orch_error *err) {
  struct orch_store_exec_list list = {0};
  int rc = orch_store_exec_list_unfinished(eng->cfg.store, &list, err);
  if (rc) return rc;
  for (size_t i = 0; i < list.count && !rc; i++) rc = live_load(eng, list.items[i].id, err);
  orch_store_exec_list_release(&list);
  if (rc) return rc;
  /* DRS still counts the jobs these executions started before the restart: so does admission. */
  for (struct exec_live *lv = eng->lives; lv && !rc; lv = lv->next) {
    const struct orch_exec_state *st = &lv->st;
    for (size_t j = 0; j < st->njobs && !rc; j++)
      if (st->jobs[j].status == ORCH_JOB_REQUESTED || st->jobs[j].status == ORCH_JOB_STARTED)
        rc = orch_exec_admission_job_started(eng->admission, exec_account(eng, st->jobs[j].account),
                                             exec_region(eng, st->jobs[j].region), (int)st->jobs[j].nservers);
    for (size_t c = 0; c < st->nterms && !rc; c++)
      if (st->terms[c].job_id[0] && !st->terms[c].ended)
        rc = orch_exec_admission_job_started(eng->admission, exec_account(eng, st->terms[c].account),
                                             exec_region(eng, st->terms[c].region), (int)json_array_size(st->terms[c].ids));
  }
  if (rc) return orch_error_set(err, rc, "out of memory counting the jobs in flight");
  eng->workers = orch_calloc((size_t)eng->cfg.io_threads, sizeof *eng->workers);
  if (!eng->workers) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  for (int i = 0; i < eng->cfg.io_threads; i++) {
    if (pthread_create(&eng->workers[i], NULL, io_main, eng) != 0)
      return orch_error_set(err, ORCH_EINTERNAL, "cannot start I/O thread: %s", strerror(errno));
    eng->nworkers++;
  }
  eng->next_poll_ms = orch_clock_now_ms(eng->clock);
  if (pthread_create(&eng->scheduler, NULL, scheduler_main, eng) != 0)
    return orch_error_set(err, ORCH_EINTERNAL, "cannot start the scheduler thread: %s", strerror(errno));
  pthread_mutex_lock(&eng->mu);
  eng->scheduler_started = true;
  pthread_mutex_unlock(&eng->mu);
  return 0;
}

void orch_exec_engine_free(struct orch_exec_engine *eng) {
  if (!eng) return;
  pthread_mutex_lock(&eng->mu);
  bool started = eng->scheduler_started;
  eng->stopping = true;
  pthread_cond_broadcast(&eng->cv);
  pthread_mutex_unlock(&eng->mu);
  if (started) pthread_join(eng->scheduler, NULL);
  pthread_mutex_lock(&eng->io_mu);
  eng->io_stopping = true;
  pthread_cond_broadcast(&eng->io_cv);
  pthread_mutex_unlock(&eng->io_mu);
  for (int i = 0; i < eng->nworkers; i++) pthread_join(eng->workers[i], NULL);
  /* Answers that arrived after the scheduler stopped are dropped: nothing was journaled for them, so a
   * restart asks again (StartRecovery answers are found by their tag). */
  for (struct exec_msg *m = eng->head, *n; m; m = n) {
    n = m->next;
    if (m->reply) reply_send(m->reply, ORCH_ESTATE, &(struct orch_error){.code = ORCH_ESTATE, .message = "engine stopped"});
    if (m->io) exec_io_free(m->io);
    orch_free(m);
  }
  for (struct exec_io *io = eng->io_head, *n; io; io = n) {
    n = io->next;
    exec_io_free(io);
  }
  for (struct exec_live *lv = eng->lives, *n; lv; lv = n) {
    n = lv->next;
    live_free(lv);
  }
  for (struct finished *f = eng->finished, *n; f; f = n) {
    n = f->next;
    json_decref(f->state);
    orch_free(f);
  }
  orch_exec_admission_free(eng->admission);
  json_decref(eng->stats);
  json_decref(eng->stats_copy);
  json_decref(eng->polls_inflight);
  json_decref(eng->quotas_known);
  orch_free(eng->workers);
  pthread_mutex_destroy(&eng->mu);
  pthread_cond_destroy(&eng->cv);
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

int orch_exec_engine_command(struct orch_exec_engine *eng, const char *exec_id, enum orch_exec_command cmd,
                             const char *wave, const char *by, struct orch_error *err) {
  struct exec_msg *m = orch_calloc(1, sizeof *m);
  if (!m) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  m->kind = MSG_COMMAND;
  m->cmd = cmd;
  snprintf(m->exec_id, sizeof m->exec_id, "%s", exec_id);
  snprintf(m->wave, sizeof m->wave, "%s", wave ? wave : "");
  snprintf(m->by, sizeof m->by, "%s", by ? by : "");
  struct exec_reply r;
  return call_scheduler(eng, m, &r, err);
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
