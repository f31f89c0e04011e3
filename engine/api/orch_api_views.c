/* orch_api_views: the execution view cache and the outcome cache. Uses orch_store, orch_exec_state,
 * orch_exec_report, orch_json, orch_alloc, pthreads. */
#include "api/orch_api_views.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/orch_alloc.h"
#include "core/orch_json.h"
#include "core/orch_time.h"
#include "exec/orch_exec_report.h"

#define PAGE 1000          /* events read at a time */
#define OUTCOMES 4096      /* ended executions whose outcome is remembered */
#define OUTCOME_WINDOW 60  /* events read back from the end of a journal to find ExecutionEnded */

struct entry {
  char id[ORCH_ID_UUID_LEN + 1];
  pthread_mutex_t mu;
  int refs;          /* under views->mu */
  uint64_t used;     /* under views->mu: recency */
  bool loaded;       /* st holds at least ExecutionCreated */
  struct orch_exec_state st;
  json_t *hooks;     /* [HookRun] */
  json_t *gates;     /* {wave: {requested_at, approved_at, approved_by}} */
  char outcome[32];
  char started_by[ORCH_STORE_ACTOR_MAX + 1];
  struct orch_buf body;
  int64_t body_seq;  /* body renders st at this seq (0 = none) */
};

struct orch_api_views {
  struct orch_store *store;
  pthread_mutex_t mu;
  uint64_t tick;
  struct entry e[ORCH_API_VIEWS_MAX];
  struct {
    char id[ORCH_ID_UUID_LEN + 1];
    char outcome[32];
  } outcomes[OUTCOMES];
};

static json_t *api_time_json(int64_t ms) {
  if (!ms) return json_null();
  char buf[ORCH_TIME_ISO_MAX];
  orch_time_iso8601(buf, ms);
  return json_string(buf);
}

bool orch_api_exec_finished(const struct orch_exec_state *st) { return orch_exec_done(st); }

static void entry_reset(struct entry *e) {
  orch_exec_state_release(&e->st);
  orch_exec_state_init(&e->st);
  json_decref(e->hooks);
  json_decref(e->gates);
  e->hooks = e->gates = NULL;
  e->loaded = false;
  e->outcome[0] = e->started_by[0] = '\0';
  orch_buf_reset(&e->body);
  e->body_seq = 0;
}

int orch_api_views_new(struct orch_store *store, struct orch_api_views **out) {
  struct orch_api_views *v = orch_calloc(1, sizeof *v);
  if (!v) return ORCH_ENOMEM;
  v->store = store;
  pthread_mutex_init(&v->mu, NULL);
  for (size_t i = 0; i < ORCH_API_VIEWS_MAX; i++) {
    pthread_mutex_init(&v->e[i].mu, NULL);
    orch_exec_state_init(&v->e[i].st);
    orch_buf_init(&v->e[i].body, 0);
  }
  *out = v;
  return 0;
}

void orch_api_views_free(struct orch_api_views *v) {
  if (!v) return;
  for (size_t i = 0; i < ORCH_API_VIEWS_MAX; i++) {
    entry_reset(&v->e[i]);
    orch_exec_state_release(&v->e[i].st);
    orch_buf_free(&v->e[i].body);
    pthread_mutex_destroy(&v->e[i].mu);
  }
  pthread_mutex_destroy(&v->mu);
  orch_free(v);
}

/* The entry for `id` (claimed: refs + 1), or the least recently used free one, emptied. */
static struct entry *claim(struct orch_api_views *v, const char *id) {
  struct entry *hit = NULL, *lru = NULL;
  pthread_mutex_lock(&v->mu);
  for (size_t i = 0; i < ORCH_API_VIEWS_MAX && !hit; i++) {
    struct entry *e = &v->e[i];
    if (strcmp(e->id, id) == 0) hit = e;
    else if (!e->refs && (!lru || e->used < lru->used)) lru = e;
  }
  if (!hit && lru) {
    hit = lru;
    snprintf(hit->id, sizeof hit->id, "%s", id);
    hit->used = 0;
    hit->body_seq = -1; /* reset under its own lock before use */
  }
  if (hit) {
    hit->refs++;
    hit->used = ++v->tick;
  }
  pthread_mutex_unlock(&v->mu);
  return hit;
}

static void unclaim(struct orch_api_views *v, struct entry *e) {
  pthread_mutex_lock(&v->mu);
  e->refs--;
  pthread_mutex_unlock(&v->mu);
}

/* ---- Folding --------------------------------------------------------------------------------- */

static json_t *last_hook(json_t *hooks, const json_t *data) {
  const char *wave = json_string_value(json_object_get(data, "wave"));
  const char *hook = json_string_value(json_object_get(data, "hook"));
  for (size_t i = json_array_size(hooks); i-- > 0;) {
    json_t *h = json_array_get(hooks, i);
    const char *hw = json_string_value(json_object_get(h, "wave"));
    if (json_equal(json_object_get(h, "hook"), json_object_get(data, "hook")) && hook &&
        ((!wave && !hw) || (wave && hw && strcmp(wave, hw) == 0)))
      return h;
  }
  return NULL;
}

/* What the detail adds to the reducer's state: hook runs with their output, gate times, the outcome. */
static int extras(struct entry *e, const struct orch_store_event *ev) {
  const json_t *d = ev->data;
  const char *t = ev->type;
  json_t *h;
  if (strcmp(t, "HookStarted") == 0) {
    const char *wave = json_string_value(json_object_get(d, "wave"));
    return json_array_append_new(e->hooks, json_pack("{s:o, s:O, s:s, s:i, s:n, s:o, s:n, s:[]}", "wave",
                                                     wave ? json_string(wave) : json_null(), "hook",
                                                     json_object_get(d, "hook"), "status", "running", "warnings", 0,
                                                     "error", "started_at", api_time_json(ev->at_ms), "ended_at", "output"));
  }
  if (strcmp(t, "HookLog") == 0 && (h = last_hook(e->hooks, d))) {
    const char *where = json_string_value(json_object_get(d, "where"));
    return json_array_append_new(json_object_get(h, "output"),
                                 json_pack("{s:o, s:O, s:O, s:o}", "at", api_time_json(ev->at_ms), "level",
                                           json_object_get(d, "level"), "message", json_object_get(d, "message"),
                                           "where", where && *where ? json_string(where) : json_null()));
  }
  if (strcmp(t, "HookFinished") == 0 && (h = last_hook(e->hooks, d))) {
    const json_t *error = json_object_get(d, "error");
    return json_object_set_new(h, "status", json_string(json_is_true(json_object_get(d, "ok")) ? "ok" : "failed")) ||
           json_object_set_new(h, "warnings", json_integer(json_integer_value(json_object_get(d, "warnings")))) ||
           json_object_set_new(h, "error", json_is_string(error) ? json_copy((json_t *)(uintptr_t)error) : json_null()) ||
           json_object_set_new(h, "ended_at", api_time_json(ev->at_ms));
  }
  const char *wave = json_string_value(json_object_get(d, "wave"));
  if ((strcmp(t, "ApprovalRequested") == 0 || strcmp(t, "ApprovalGranted") == 0) && wave) {
    json_t *g = json_object_get(e->gates, wave);
    if (!g && (json_object_set_new(e->gates, wave, json_object()) || !(g = json_object_get(e->gates, wave)))) return -1;
    if (strcmp(t, "ApprovalRequested") == 0) return json_object_set_new(g, "requested_at", api_time_json(ev->at_ms));
    return json_object_set_new(g, "approved_at", api_time_json(ev->at_ms)) ||
           json_object_set(g, "approved_by", json_object_get(d, "by"));
  }
  if (strcmp(t, "ExecutionEnded") == 0) {
    const char *status = json_string_value(json_object_get(d, "status"));
    snprintf(e->outcome, sizeof e->outcome, "%s", status ? status : "");
  }
  return 0;
}

/* Fold the journal past e->st.seq into the entry. Caller holds e->mu. */
static int fold(struct orch_api_views *v, struct entry *e, struct orch_error *err) {
  int64_t last = 0;
  int rc = orch_store_event_last_seq(v->store, e->id, &last, err);
  if (rc) return rc;
  if (e->loaded && last == e->st.seq) return 0;
  if (!e->loaded || last < e->st.seq) {
    entry_reset(e);
    struct orch_store_exec x;
    if ((rc = orch_store_exec_get(v->store, e->id, &x, err))) return rc;
    snprintf(e->started_by, sizeof e->started_by, "%s", x.started_by);
    orch_store_exec_release(&x);
    if (!(e->hooks = json_array()) || !(e->gates = json_object())) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  }
  while (e->st.seq < last) {
    struct orch_store_event_list list = {0};
    if ((rc = orch_store_event_read(v->store, e->id, e->st.seq + 1, PAGE, &list, err))) return rc;
    for (size_t i = 0; !rc && i < list.count; i++) {
      const struct orch_store_event *s = &list.items[i];
      struct orch_exec_event ev = {.seq = s->seq, .at_ms = s->at_ms, .type = s->type, .data = s->data};
      if (!(rc = orch_exec_apply(&e->st, &ev, err)) && extras(e, s))
        rc = orch_error_set(err, ORCH_ENOMEM, "out of memory folding execution %s", e->id);
    }
    bool empty = list.count == 0;
    orch_store_event_list_release(&list);
    if (rc) {
      entry_reset(e); /* a half-folded state is never served */
      return rc;
    }
    if (empty) break;
    e->loaded = true;
  }
  e->loaded = true;
  return 0;
}

/* ---- Rendering ------------------------------------------------------------------------------- */

static const char *gate_status(const struct orch_exec_state *st, long w, const json_t *times) {
  if (w < 0) return "closed";
  const struct orch_exec_wave *wv = &st->waves[w];
  if (wv->status == ORCH_WAVE_AWAITING_APPROVAL) return "waiting";
  if (wv->approved || json_object_get(times, "approved_at")) return "approved";
  if (orch_wave_status_final(wv->status) || wv->attempt > 0) return "closed";
  return "pending";
}

static json_t *gates_json(const struct entry *e) {
  json_t *out = json_array();
  size_t i;
  const json_t *g;
  json_array_foreach(json_object_get(e->st.plan, "gates"), i, g) {
    const char *wave = json_string_value(json_object_get(g, "wave"));
    if (!wave || !out) continue;
    const json_t *times = json_object_get(e->gates, wave), *approvers = json_object_get(g, "approvers");
    const json_t *by = json_object_get(times, "approved_by");
    if (json_array_append_new(
            out, json_pack("{s:s, s:O, s:O, s:s, s:O, s:O, s:O}", "wave", wave, "message", json_object_get(g, "message"),
                           "approvers", json_is_array(approvers) ? approvers : json_array(), "status",
                           gate_status(&e->st, orch_exec_wave_index(&e->st, wave), times), "requested_at",
                           json_object_get(times, "requested_at") ? json_object_get(times, "requested_at") : json_null(),
                           "approved_at",
                           json_object_get(times, "approved_at") ? json_object_get(times, "approved_at") : json_null(),
                           "approved_by", by ? by : json_null())))
      return json_decref(out), NULL;
  }
  return out;
}

static int render(struct entry *e, struct orch_error *err) {
  json_t *j = orch_exec_state_json(&e->st);
  json_t *report = orch_exec_report_json(&e->st, NULL);
  json_t *gates = gates_json(e);
  int rc = 0;
  if (!j || !report || !gates ||
      json_object_set_new(j, "outcome", e->outcome[0] ? json_string(e->outcome) : json_null()) ||
      json_object_set_new(j, "started_by", e->started_by[0] ? json_string(e->started_by) : json_null()) ||
      json_object_set_new(j, "rto", json_pack("{s:o, s:O, s:O}", "target_ms",
                                              e->st.rto_target_ms ? json_integer(e->st.rto_target_ms) : json_null(),
                                              "actual_ms", json_object_get(report, "rto_ms") ? json_object_get(report, "rto_ms") : json_null(),
                                              "met", json_object_get(report, "rto_met") ? json_object_get(report, "rto_met") : json_null())) ||
      json_object_set(j, "hooks", e->hooks) || json_object_set(j, "gates", gates))
    rc = orch_error_set(err, ORCH_ENOMEM, "out of memory rendering execution %s", e->id);
  orch_buf_reset(&e->body);
  if (!rc && (orch_json_dump(&e->body, j, JSON_COMPACT) || orch_buf_putc(&e->body, '\n')))
    rc = orch_error_set(err, ORCH_ENOMEM, "out of memory rendering execution %s", e->id);
  e->body_seq = rc ? 0 : e->st.seq;
  json_decref(j);
  json_decref(report);
  json_decref(gates);
  return rc;
}

/* Claim, lock and bring up to date the entry of `id`. */
static struct entry *open_entry(struct orch_api_views *v, const char *id, struct orch_error *err, int *rc) {
  struct entry *e = claim(v, id);
  if (!e) {
    *rc = orch_error_set(err, ORCH_ENOMEM, "every execution view is in use");
    return NULL;
  }
  pthread_mutex_lock(&e->mu);
  if (e->body_seq < 0) entry_reset(e); /* recycled from another execution */
  if ((*rc = fold(v, e, err))) {
    pthread_mutex_unlock(&e->mu);
    unclaim(v, e);
    return NULL;
  }
  return e;
}

static void close_entry(struct orch_api_views *v, struct entry *e) {
  pthread_mutex_unlock(&e->mu);
  unclaim(v, e);
}

int orch_api_view_execution(struct orch_api_views *v, const char *exec_id, struct orch_buf *out,
                            struct orch_error *err) {
  int rc = 0;
  struct entry *e = open_entry(v, exec_id, err, &rc);
  if (!e) return rc;
  if (e->body_seq != e->st.seq || !e->body.len) rc = render(e, err);
  if (!rc && orch_buf_append(out, e->body.data, e->body.len)) rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
  close_entry(v, e);
  return rc;
}

int orch_api_view_with(struct orch_api_views *v, const char *exec_id,
                       void (*fn)(void *ctx, const struct orch_exec_state *st), void *ctx, struct orch_error *err) {
  int rc = 0;
  struct entry *e = open_entry(v, exec_id, err, &rc);
  if (!e) return rc;
  fn(ctx, &e->st);
  close_entry(v, e);
  return 0;
}

/* ---- Outcomes -------------------------------------------------------------------------------- */

static size_t outcome_slot(const char *id) {
  size_t h = 0;
  for (const char *p = id; *p; p++) h = h * 31 + (unsigned char)*p;
  return h % OUTCOMES;
}

void orch_api_exec_outcome(struct orch_store *store, const char *id, char *out, size_t n, int64_t *ended_ms) {
  int64_t last = 0;
  out[0] = '\0';
  if (ended_ms) *ended_ms = 0;
  if (orch_store_event_last_seq(store, id, &last, NULL)) return;
  for (int64_t from = last > OUTCOME_WINDOW ? last - OUTCOME_WINDOW : 1;; from = 1) {
    struct orch_store_event_list ev = {0};
    if (orch_store_event_read(store, id, from, 0, &ev, NULL)) return;
    for (size_t i = ev.count; i-- > 0 && !out[0];) {
      if (strcmp(ev.items[i].type, "ExecutionEnded") != 0) continue;
      const char *status = json_string_value(json_object_get(ev.items[i].data, "status"));
      snprintf(out, n, "%s", status ? status : "?");
      if (ended_ms) *ended_ms = ev.items[i].at_ms;
    }
    orch_store_event_list_release(&ev);
    if (out[0] || from == 1) return;
  }
}

void orch_api_view_outcome(struct orch_api_views *v, const char *exec_id, enum orch_store_status store_status,
                           char *out, size_t n) {
  out[0] = '\0';
  switch (store_status) {
    case ORCH_STORE_STATUS_PENDING:
    case ORCH_STORE_STATUS_PREFLIGHT:
    case ORCH_STORE_STATUS_RUNNING:
    case ORCH_STORE_STATUS_PAUSED: return;
    default: break;
  }
  size_t slot = outcome_slot(exec_id);
  pthread_mutex_lock(&v->mu);
  bool hit = strcmp(v->outcomes[slot].id, exec_id) == 0;
  if (hit) snprintf(out, n, "%s", v->outcomes[slot].outcome);
  pthread_mutex_unlock(&v->mu);
  if (hit) return;
  orch_api_exec_outcome(v->store, exec_id, out, n, NULL);
  if (!out[0]) return;
  pthread_mutex_lock(&v->mu);
  snprintf(v->outcomes[slot].id, sizeof v->outcomes[slot].id, "%s", exec_id);
  snprintf(v->outcomes[slot].outcome, sizeof v->outcomes[slot].outcome, "%s", out);
  pthread_mutex_unlock(&v->mu);
}

/* ---- Whole executions ------------------------------------------------------------------------ */

int orch_api_exec_fold(struct orch_store *store, const char *id, struct orch_exec_state *st,
                       struct orch_store_event_list *events, char *outcome, size_t n, struct orch_error *err) {
  orch_exec_state_init(st);
  memset(events, 0, sizeof *events);
  outcome[0] = '\0';
  int rc = orch_store_event_read(store, id, 1, 0, events, err);
  if (!rc) rc = orch_exec_state_from_events(st, events, err);
  if (rc) return rc;
  if (!st->id[0]) return orch_error_set(err, ORCH_ESTATE, "execution %s has an empty journal", id);
  for (size_t i = events->count; i-- > 0;) {
    if (strcmp(events->items[i].type, "ExecutionEnded") != 0) continue;
    const char *status = json_string_value(json_object_get(events->items[i].data, "status"));
    snprintf(outcome, n, "%s", status ? status : orch_exec_status_name(st->status));
    break;
  }
  return 0;
}

json_t *orch_api_exec_report_json(const struct orch_exec_state *st, const struct orch_store_event_list *events,
                                  const char *outcome) {
  json_t *r = orch_exec_report_json(st, events);
  if (r && json_object_set_new(r, "outcome", outcome && *outcome ? json_string(outcome) : json_null())) {
    json_decref(r);
    return NULL;
  }
  return r;
}
