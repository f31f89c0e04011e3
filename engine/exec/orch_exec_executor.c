/* orch_exec_executor: how the engine carries out what decide says. One input goes through decide; the
 * events it decided are appended to the journal in one batch (one fsync, fenced by the execution's
 * lease), listeners are told, then the effects are performed: hook runs on this thread at once, AWS
 * work on the I/O pool, or at once in order when effects are inline (deterministic simulation); what
 * comes back is fed to decide as the next input. A batch that cannot be written rebuilds the state from
 * the journal and retries with a back-off, a bounded number of times; then the execution fails with the
 * reason in its journal. Polls of every execution are merged into one DescribeJobs per account+region.
 * Uses orch_exec_int, orch_exec_decide, orch_store, orch_log. */
#include <stdio.h>
#include <string.h>

#include "core/orch_alloc.h"
#include "core/orch_log.h"
#include "exec/orch_exec_int.h"
#include "exec/orch_exec_report.h"

#define APPEND_TRIES 8              /* journal writes that fail in a row before the execution fails */
#define APPEND_BACKOFF_MS 500

/* ---- lives ---------------------------------------------------------------------------------------- */

struct exec_live *exec_live_find(struct orch_exec_engine *eng, const char *id) {
  for (struct exec_live *lv = eng->lives; lv; lv = lv->next)
    if (strcmp(lv->st.id, id) == 0) return lv;
  return NULL;
}

void exec_live_free(struct exec_live *lv) {
  if (!lv) return;
  exec_hookrt_free(lv->hooks);
  orch_exec_inflight_reset(&lv->fl);
  orch_exec_state_release(&lv->st);
  orch_free(lv);
}

void exec_states_refresh(struct orch_exec_engine *eng) {
  size_t n = 0;
  for (struct exec_live *lv = eng->lives; lv; lv = lv->next) n++;
  if (n > eng->capstates) {
    const struct orch_exec_state **s = orch_realloc(eng->states, n * 2 * sizeof *s);
    if (!s) {
      orch_log_error("exec: out of memory listing the live executions");
      return;
    }
    eng->states = s;
    eng->capstates = n * 2;
  }
  n = 0;
  for (struct exec_live *lv = eng->lives; lv; lv = lv->next) eng->states[n++] = &lv->st;
  eng->nstates = n;
}

void exec_live_add(struct orch_exec_engine *eng, struct exec_live *lv) {
  struct exec_live **pp = &eng->lives;
  while (*pp) pp = &(*pp)->next;
  lv->next = NULL;
  *pp = lv;
  exec_states_refresh(eng);
}

/* Fold a journal; an event the reducer refuses is skipped only when a JournalRepaired event later in it
 * says so (written by rebuild below), so a bad journal is never silently half-read. */
static int fold(struct orch_exec_state *st, const struct orch_store_event_list *list, int64_t *bad_seq,
                struct orch_error *err) {
  for (size_t i = 0; i < list->count; i++) {
    const struct orch_store_event *e = &list->items[i];
    json_t *empty = e->data ? NULL : json_object();
    struct orch_exec_event ev = {.seq = e->seq, .at_ms = e->at_ms, .type = e->type, .data = e->data ? e->data : empty};
    if (strcmp(e->type, "JournalRepaired") == 0 && st->seq + 1 < e->seq) st->seq = e->seq - 1;
    int rc = orch_exec_apply(st, &ev, err);
    json_decref(empty);
    if (!rc) continue;
    bool repaired = false;
    for (size_t k = i + 1; k < list->count && !repaired; k++)
      repaired = strcmp(list->items[k].type, "JournalRepaired") == 0 &&
                 json_integer_value(json_object_get(list->items[k].data, "from_seq")) <= e->seq;
    if (!repaired) {
      *bad_seq = e->seq;
      return rc;
    }
  }
  return 0;
}

static int read_journal(struct orch_exec_engine *eng, const char *id, struct orch_store_event_list *list,
                        struct orch_error *err) {
  return orch_store_event_read(eng->cfg.store, id, 1, 0, list, err);
}

/* The journal does not fold (an event the reducer refuses): say so in it and end the execution FAILED
 * with the reason, so it is neither stuck nor silently wrong. */
static int repair(struct orch_exec_engine *eng, struct exec_live *lv, int64_t bad_seq, int64_t last,
                  const struct orch_error *why) {
  char reason[900];
  snprintf(reason, sizeof reason, "the journal could not be read past event %lld (%s: %s)", (long long)bad_seq,
           why->context, why->message);
  orch_log_error("exec %s: %s; the execution fails", lv->st.id, reason);
  int64_t now = orch_clock_now_ms(eng->clock);
  json_t *note = json_pack("{s:I, s:I, s:s}", "from_seq", (json_int_t)bad_seq, "to_seq", (json_int_t)last, "reason", reason);
  json_t *end = lv->st.ended_ms ? NULL : json_pack("{s:s, s:s}", "status", "FAILED", "reason", reason);
  struct orch_store_event_spec evs[2] = {{.seq = last + 1, .at_ms = now, .type = "JournalRepaired", .data = note},
                                         {.seq = last + 2, .at_ms = now, .type = "ExecutionEnded", .data = end}};
  struct orch_error err = {0};
  int rc = note ? orch_store_event_append_owned(eng->cfg.store, lv->st.id, exec_lease_owner(eng), evs, end ? 2 : 1, &err)
                : ORCH_ENOMEM;
  if (!rc) {
    lv->st.seq = last;
    struct orch_exec_event e1 = {.seq = last + 1, .at_ms = now, .type = "JournalRepaired", .data = note};
    struct orch_exec_event e2 = {.seq = last + 2, .at_ms = now, .type = "ExecutionEnded", .data = end};
    rc = orch_exec_apply(&lv->st, &e1, &err);
    if (!rc && end) rc = orch_exec_apply(&lv->st, &e2, &err);
  }
  if (rc) orch_log_error("exec %s: the failure could not be journaled either: %s", lv->st.id, err.message);
  json_decref(note);
  json_decref(end);
  return rc;
}

/* An execution whose creator stopped between its record and its first event: nothing was decided, so it
 * starts now as it was asked for (its record holds the plan version, mode and who started it). One whose
 * plan is gone meanwhile can never start: it is recorded as failed. */
static int finish_creation(struct orch_exec_engine *eng, const char *id, struct exec_live **out, struct orch_error *err) {
  struct orch_store_exec rec = {0};
  int rc = orch_store_exec_get(eng->cfg.store, id, &rec, err);
  if (rc) return rc;
  if (rec.ended_ms || rec.status != ORCH_STORE_STATUS_PENDING) {
    rc = orch_error_set(err, ORCH_ESTATE, "execution %s has an empty journal", id);
    goto out;
  }
  orch_log_warn("exec %s: its creator stopped before its first event; starting it now", id);
  rc = exec_live_create(eng, &rec, out, err);
  if (rc == ORCH_ENOTFOUND) {
    struct orch_store_exec_update upd = {.set_status = true, .status = ORCH_STORE_STATUS_FAILED,
                                         .ended_ms = orch_clock_now_ms(eng->clock)};
    orch_log_error("exec %s: cannot start (%s); recorded as failed", id, err->message);
    if (orch_store_exec_update(eng->cfg.store, id, &upd, NULL, err) == 0)
      rc = orch_error_set(err, ORCH_ENOTFOUND, "execution %s never started: its plan version is gone", id);
  }
out:
  orch_store_exec_release(&rec);
  return rc;
}

int exec_live_load(struct orch_exec_engine *eng, const char *id, struct exec_live **out, struct orch_error *err) {
  struct exec_live *lv = orch_calloc(1, sizeof *lv);
  if (!lv) return orch_error_set(err, ORCH_ENOMEM, "out of memory resuming %s", id);
  orch_exec_state_init(&lv->st);
  orch_exec_inflight_init(&lv->fl);
  struct orch_store_event_list list = {0};
  int64_t bad = 0;
  int rc = read_journal(eng, id, &list, err);
  if (!rc && !list.count) {
    orch_store_event_list_release(&list);
    exec_live_free(lv);
    return finish_creation(eng, id, out, err);
  }
  if (!rc && (rc = fold(&lv->st, &list, &bad, err)) && bad > 1 && lv->st.id[0])
    rc = repair(eng, lv, bad, list.items[list.count - 1].seq, err);
  orch_store_event_list_release(&list);
  if (rc) {
    exec_live_free(lv);
    return rc;
  }
  *out = lv;
  return 0;
}

/* Rebuild the state from the journal (a batch was not written): what is in flight is forgotten, the hook
 * runtime closed, as after a restart; decide reconciles from there. */
static int rebuild(struct orch_exec_engine *eng, struct exec_live *lv) {
  struct exec_live *fresh = NULL;
  struct orch_error err = {0};
  char id[ORCH_ID_UUID_LEN + 1];
  snprintf(id, sizeof id, "%s", lv->st.id);
  int rc = exec_live_load(eng, id, &fresh, &err);
  if (rc) {
    orch_log_error("exec %s: cannot read its journal back: %s", id, err.message);
    return rc;
  }
  exec_hookrt_free(lv->hooks);
  lv->hooks = NULL;
  orch_exec_inflight_reset(&lv->fl);
  orch_exec_state_release(&lv->st);
  lv->st = fresh->st;
  lv->generation++;
  orch_exec_state_init(&fresh->st);
  exec_live_free(fresh);
  exec_states_refresh(eng);
  return 0;
}

/* ---- the store record ----------------------------------------------------------------------------- */

static void sync_store_record(struct orch_exec_engine *eng, struct exec_live *lv, enum orch_exec_status before) {
  struct orch_exec_state *st = &lv->st;
  bool done = orch_exec_done(st);
  if (st->status == before && !(done && !lv->store_finished)) return;
  enum orch_store_status ss = ORCH_STORE_STATUS_PENDING;
  if (orch_store_status_parse(orch_exec_status_name(st->status), &ss, NULL))
    orch_log_error("exec: status %s has no store equivalent", orch_exec_status_name(st->status));
  json_t *summary = json_pack("{s:s, s:s, s:I, s:I, s:s*}", "status", orch_exec_status_name(st->status), "plan_name",
                              st->plan_name, "waves", (json_int_t)st->nwaves, "servers", (json_int_t)st->nservers,
                              "reason", st->cleanup_error[0] ? st->cleanup_error : st->end_reason[0] ? st->end_reason : NULL);
  struct orch_store_exec_update upd = {.set_status = true, .status = ss, .started_ms = st->started_ms,
                                       .ended_ms = done ? orch_clock_now_ms(eng->clock) : 0, .summary = summary,
                                       .reopen = !done && lv->store_finished};
  struct orch_error err = {0};
  if (orch_store_exec_update(eng->cfg.store, st->id, &upd, NULL, &err))
    orch_log_warn("exec %s: store record not updated: %s", st->id, err.message); /* the journal is the truth */
  else lv->store_finished = done;
  json_decref(summary);
  if (done && lv->store_finished) exec_finish_live(eng, lv, 0, NULL);
}

/* ---- one input ------------------------------------------------------------------------------------ */

static struct orch_exec_env env_of(struct orch_exec_engine *eng) {
  return (struct orch_exec_env){.default_account = eng->default_account, .default_region = eng->default_region,
                                .poll_ms = eng->cfg.poll_ms, .keep_for_ms = eng->cfg.keep_for_ms,
                                .approve_all = eng->cfg.approve_all, .record_only = eng->cfg.record_only,
                                .admission = eng->admission,
                                .lives = eng->states, .nlives = eng->nstates};
}

/* Write the decided events; 0, or the store's error (the state is then rebuilt from the journal). */
static int append(struct orch_exec_engine *eng, struct exec_live *lv, const struct orch_exec_decision *dec,
                  struct orch_error *err) {
  size_t n = json_array_size(dec->events);
  for (size_t from = 0; from < n; from += ORCH_STORE_BATCH_MAX) {
    size_t k = n - from < ORCH_STORE_BATCH_MAX ? n - from : ORCH_STORE_BATCH_MAX;
    struct orch_store_event_spec *evs = orch_calloc(k, sizeof *evs);
    if (!evs) return orch_error_set(err, ORCH_ENOMEM, "out of memory journaling");
    for (size_t i = 0; i < k; i++) {
      json_t *e = json_array_get(dec->events, from + i);
      evs[i] = (struct orch_store_event_spec){.seq = dec->first_seq + (int64_t)(from + i),
                                              .at_ms = json_integer_value(json_object_get(e, "at_ms")),
                                              .type = json_string_value(json_object_get(e, "type")),
                                              .data = json_object_get(e, "data")};
    }
    int rc = orch_store_event_append_owned(eng->cfg.store, lv->st.id, exec_lease_owner(eng), evs, k, err);
    orch_free(evs);
    if (rc) return rc;
  }
  exec_count(eng, "events", (json_int_t)n);
  exec_count(eng, "batches", 1);
  return 0;
}

/* A batch could not be written: lost lease (stop here), a permanent refusal or too many failures (fail
 * the execution with the reason), or a passing failure (try again after a back-off). */
static void append_failed(struct orch_exec_engine *eng, struct exec_live *lv, int rc, const struct orch_error *why) {
  orch_log_error("exec %s: cannot journal its decisions: %s", lv->st.id, why->message);
  if (rebuild(eng, lv)) {
    lv->halted = true;
    exec_finish_live(eng, lv, rc, why->message);
    return;
  }
  if (rc == ORCH_ECONFLICT) { /* another process owns it now (or wrote first): never write again */
    lv->halted = true;
    exec_finish_live(eng, lv, rc, why->message);
    return;
  }
  bool permanent = rc == ORCH_EINVAL || rc == ORCH_ETOOBIG || rc == ORCH_EVALIDATION;
  if (!permanent && ++lv->append_failures < APPEND_TRIES) {
    lv->stalled_until_ms = orch_clock_now_ms(eng->clock) + ((int64_t)APPEND_BACKOFF_MS << lv->append_failures);
    return;
  }
  char reason[900];
  snprintf(reason, sizeof reason, "the engine could not journal its decisions: %s", why->message);
  json_t *end = lv->st.ended_ms ? NULL : json_pack("{s:s, s:s}", "status", "FAILED", "reason", reason);
  json_t *note = json_pack("{s:s}", "error", reason);
  struct orch_store_event_spec evs[2] = {
      {.seq = lv->st.seq + 1, .at_ms = orch_clock_now_ms(eng->clock), .type = "EngineNote", .data = note},
      {.seq = lv->st.seq + 2, .at_ms = orch_clock_now_ms(eng->clock), .type = "ExecutionEnded", .data = end}};
  struct orch_error err = {0};
  if (!note || orch_store_event_append_owned(eng->cfg.store, lv->st.id, exec_lease_owner(eng), evs, end ? 2 : 1, &err) ||
      rebuild(eng, lv)) {
    orch_log_error("exec %s: the failure could not be journaled either (%s): this process stops driving it",
                   lv->st.id, err.message);
    lv->halted = true;
    exec_finish_live(eng, lv, rc, reason);
  }
  lv->append_failures = 0;
  json_decref(end);
  json_decref(note);
}

struct pending {
  struct orch_exec_input in;
  struct exec_hook_result hook; /* ORCH_IN_HOOK */
  struct exec_io *io;           /* ORCH_IN_ANSWER performed inline */
  struct pending *next;
};

static void pending_free(struct pending *p) {
  exec_hookrt_out_release(&p->hook);
  exec_io_free(p->io);
  orch_free(p);
}

static void answer_input(struct orch_exec_input *in, const struct exec_io *io) {
  *in = (struct orch_exec_input){.kind = ORCH_IN_ANSWER,
                                 .answer = {.purpose = io->fx.purpose, .key = io->fx.key, .context = io->fx.context,
                                            .rc = io->rc, .output = io->output, .aerr = &io->aerr, .err = &io->err}};
}

/* Perform the decided effects; what comes back at once is queued on `tail` for decide. */
static void perform(struct orch_exec_engine *eng, struct exec_live *lv, struct orch_exec_decision *dec,
                    struct pending ***tail) {
  for (size_t i = 0; i < dec->neffects; i++) {
    struct orch_exec_effect *fx = &dec->effects[i];
    char counter[64];
    snprintf(counter, sizeof counter, "effects.%s", orch_exec_purpose_name(fx->purpose));
    exec_count(eng, counter, 1);
    if (fx->purpose == ORCH_FX_HOOK_START || fx->purpose == ORCH_FX_HOOK_RESUME || fx->purpose == ORCH_FX_HOOK_CANCEL) {
      struct pending *p = orch_calloc(1, sizeof *p);
      if (!p) {
        orch_log_error("exec %s: out of memory running a hook; it is replayed later", lv->st.id);
        continue;
      }
      exec_hookrt_perform(eng, lv, fx, &p->hook);
      p->in = (struct orch_exec_input){.kind = ORCH_IN_HOOK, .hook = p->hook.out};
      **tail = p;
      *tail = &p->next;
      continue;
    }
    if (fx->purpose == ORCH_FX_POLL && eng->poll_parts) { /* merged with the other executions' by the tick */
      json_t *key = json_pack("{s:s, s:s, s:O}", "execution", lv->st.id, "scope", fx->key, "ids",
                              json_object_get(fx->context, "ids"));
      json_t *list = json_object_get(eng->poll_parts, fx->key);
      if (!list) json_object_set_new(eng->poll_parts, fx->key, list = json_array());
      if (key && list && !json_array_append_new(list, key)) continue;
      orch_log_error("exec %s: out of memory merging a poll; it fails and the next poll asks again", lv->st.id);
      struct pending *p = orch_calloc(1, sizeof *p);
      struct exec_io *failed = p ? exec_io_new(lv->st.id, fx) : NULL;
      if (!failed) {
        orch_free(p);
        continue;
      }
      failed->rc = orch_error_set(&failed->err, ORCH_ENOMEM, "out of memory merging the poll");
      p->io = failed;
      answer_input(&p->in, failed);
      **tail = p;
      *tail = &p->next;
      continue;
    }
    struct exec_io *io = exec_io_new(fx->purpose == ORCH_FX_QUOTAS ? "" : lv->st.id, fx);
    if (!io) {
      orch_log_error("exec %s: out of memory performing %s; decide asks again", lv->st.id, orch_exec_purpose_name(fx->purpose));
      continue;
    }
    if (!eng->cfg.inline_effects) {
      exec_io_submit(eng, io);
      continue;
    }
    exec_io_perform(eng, io);
    if (io->fx.purpose == ORCH_FX_QUOTAS) { /* engine-wide: the answer is the admission's */
      exec_quotas_answered(eng, io);
      exec_io_free(io);
      continue;
    }
    struct pending *p = orch_calloc(1, sizeof *p);
    if (!p) {
      exec_io_free(io);
      continue;
    }
    p->io = io;
    answer_input(&p->in, io);
    **tail = p;
    *tail = &p->next;
  }
}

/* One input through decide, and what follows from it at once. */
static int step(struct orch_exec_engine *eng, struct exec_live *lv, const struct orch_exec_input *in,
                struct pending ***tail, struct orch_error *cmd_err) {
  struct orch_exec_decision dec;
  struct orch_error err = {0};
  orch_exec_decision_init(&dec);
  enum orch_exec_status before = lv->st.status;
  struct orch_exec_env env = env_of(eng);
  int64_t now = orch_clock_now_ms(eng->clock);
  int rc = orch_exec_decide(&lv->st, &lv->fl, &env, in, now, &dec, &err);
  int cmd_rc = dec.command_rc;
  if (cmd_rc && cmd_err) *cmd_err = dec.command_err;
  size_t i;
  json_t *note;
  json_array_foreach(dec.notes, i, note) {
    const char *level = json_string_value(json_object_get(note, "level"));
    const char *msg = json_string_value(json_object_get(note, "message"));
    if (level && strcmp(level, "warn") == 0) orch_log_warn("%s", msg);
    else orch_log_info("%s", msg);
  }
  if (rc) { /* decide refused its own decision (a bug) or ran out of memory: rebuild, then fail it */
    orch_log_error("exec %s: deciding failed: %s: %s", lv->st.id, err.context, err.message);
    struct orch_error why = err;
    orch_exec_decision_release(&dec);
    if (cmd_err) *cmd_err = why;
    append_failed(eng, lv, ORCH_EVALIDATION, &why);
    return rc;
  }
  if (json_array_size(dec.events) && (rc = append(eng, lv, &dec, &err))) {
    orch_exec_decision_release(&dec);
    if (cmd_err) *cmd_err = err;
    append_failed(eng, lv, rc, &err);
    return rc;
  }
  lv->append_failures = 0;
  if (json_array_size(dec.events)) {
    json_t *e;
    json_array_foreach(dec.events, i, e) {
      const char *type = json_string_value(json_object_get(e, "type"));
      if (strcmp(type, "JobStarted") == 0 && json_is_true(json_object_get(json_object_get(e, "data"), "adopted")))
        exec_count(eng, "jobs_adopted", 1);
      if (eng->cfg.listener)
        eng->cfg.listener(eng->cfg.listener_ctx, &lv->st, dec.first_seq + (int64_t)i,
                          json_integer_value(json_object_get(e, "at_ms")), type, json_object_get(e, "data"));
    }
    for (struct exec_live *o = eng->lives; o; o = o->next)
      if (o != lv) o->dirty = true; /* capacity or conflicts may have changed for them */
  }
  /* Also without events: a journal that ended before a crash let the record say so settles it now. */
  sync_store_record(eng, lv, before);
  lv->next_wake_ms = dec.next_wake_ms > now ? dec.next_wake_ms : 0;
  if (dec.halt) {
    orch_log_error("exec %s: stopped in this process: %s", lv->st.id, dec.halt_reason);
    lv->halted = true;
    exec_finish_live(eng, lv, ORCH_ESTATE, dec.halt_reason);
  } else {
    perform(eng, lv, &dec, tail);
  }
  orch_exec_decision_release(&dec);
  return cmd_rc;
}

int exec_run(struct orch_exec_engine *eng, struct exec_live *lv, const struct orch_exec_input *in,
             struct orch_error *cmd_err) {
  struct pending *head = NULL, **tail = &head;
  unsigned gen = lv->generation;
  int rc = step(eng, lv, in, &tail, cmd_err);
  while (head) {
    struct pending *p = head;
    head = p->next;
    if (!head) tail = &head;
    /* After a rebuild what was pending belongs to the forgotten state: decide asks again. */
    if (!lv->halted && lv->generation == gen) step(eng, lv, &p->in, &tail, NULL);
    pending_free(p);
  }
  return rc;
}

/* ---- answers from the pool ------------------------------------------------------------------------ */

/* A merged DescribeJobs answered: each execution gets the items of its own jobs. */
static void poll_split(struct orch_exec_engine *eng, struct exec_io *io) {
  size_t i;
  json_t *part;
  json_array_foreach(io->parts, i, part) {
    struct exec_live *lv = exec_live_find(eng, json_string_value(json_object_get(part, "execution")));
    if (!lv || lv->halted) continue;
    json_t *ids = json_object_get(part, "ids"), *items = json_array(), *item;
    size_t k, m;
    json_t *id;
    json_array_foreach(json_object_get(io->output, "items"), k, item) {
      json_array_foreach(ids, m, id) if (json_equal(json_object_get(item, "jobID"), id)) json_array_append(items, item);
    }
    json_t *output = json_pack("{s:o}", "items", items);
    json_t *context = json_pack("{s:O}", "ids", ids);
    struct exec_io view = {.fx = {.purpose = ORCH_FX_POLL, .context = context}, .rc = io->rc, .output = output,
                           .aerr = io->aerr, .err = io->err};
    snprintf(view.fx.key, sizeof view.fx.key, "%s", json_string_value(json_object_get(part, "scope")));
    struct orch_exec_input in;
    answer_input(&in, &view);
    exec_run(eng, lv, &in, NULL);
    json_decref(output);
    json_decref(context);
  }
}

void exec_io_answered(struct orch_exec_engine *eng, struct exec_io *io) {
  if (io->fx.purpose == ORCH_FX_QUOTAS) {
    exec_quotas_answered(eng, io);
  } else if (io->parts) {
    poll_split(eng, io);
  } else {
    struct exec_live *lv = exec_live_find(eng, io->exec_id);
    if (lv && !lv->halted) {
      struct orch_exec_input in;
      answer_input(&in, io);
      exec_run(eng, lv, &in, NULL);
    }
  }
  exec_io_free(io);
}

/* ---- the poll tick -------------------------------------------------------------------------------- */

#define POLL_IDS_MAX 100

void exec_poll_tick(struct orch_exec_engine *eng) {
  exec_count(eng, "poll_ticks", 1);
  eng->poll_parts = json_object();
  if (!eng->poll_parts) return;
  for (struct exec_live *lv = eng->lives; lv; lv = lv->next) {
    if (lv->halted) continue;
    struct orch_exec_input in = {.kind = ORCH_IN_POLL};
    exec_run(eng, lv, &in, NULL);
  }
  json_t *groups = eng->poll_parts;
  eng->poll_parts = NULL;
  const char *scope;
  json_t *parts;
  json_object_foreach(groups, scope, parts) {
    /* One DescribeJobs per account+region for every execution's jobs (past 100 ids, several). */
    json_t *ids = json_array(), *chunk_parts = json_array();
    size_t i, k;
    json_t *part, *id;
    json_array_foreach(parts, i, part) {
      json_array_foreach(json_object_get(part, "ids"), k, id) json_array_append(ids, id);
      json_array_append(chunk_parts, part);
      bool last = i + 1 == json_array_size(parts);
      size_t next = last ? 0 : json_array_size(json_object_get(json_array_get(parts, i + 1), "ids"));
      if (!last && json_array_size(ids) + next <= POLL_IDS_MAX) continue;
      char account[16] = "", region[32] = "";
      const char *slash = strchr(scope, '/');
      if (slash) {
        snprintf(account, sizeof account, "%.*s", (int)(slash - scope), scope);
        snprintf(region, sizeof region, "%s", slash + 1);
      }
      struct orch_exec_effect fx = {.purpose = ORCH_FX_POLL, .service = "drs", .operation = "DescribeJobs",
                                    .paginate = true, .input = json_pack("{s:{s:O}}", "filters", "jobIDs", ids)};
      snprintf(fx.key, sizeof fx.key, "%s", scope);
      snprintf(fx.account, sizeof fx.account, "%s", account);
      snprintf(fx.region, sizeof fx.region, "%s", region);
      struct exec_io *io = fx.input ? exec_io_new("", &fx) : NULL;
      if (io) {
        io->parts = chunk_parts;
        chunk_parts = NULL;
        exec_count(eng, "describe_jobs_polls", 1);
        if (eng->cfg.inline_effects) {
          exec_io_perform(eng, io);
          exec_io_answered(eng, io);
        } else {
          exec_io_submit(eng, io);
        }
      } else {
        orch_exec_effect_release(&fx);
        orch_log_error("exec: out of memory polling %s; the next poll asks again", scope);
      }
      json_decref(ids);
      json_decref(chunk_parts);
      ids = json_array();
      chunk_parts = json_array();
    }
    json_decref(ids);
    json_decref(chunk_parts);
  }
  json_decref(groups);
}
