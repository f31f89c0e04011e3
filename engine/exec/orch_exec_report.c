/* orch_exec_report: RTO figures, per-server outcomes, timeline and hook results of one execution, as
 * JSON and as text. Uses orch_exec_state, orch_time, orch_buf, jansson. */
#include "exec/orch_exec_report.h"

#include <string.h>

#include "core/orch_time.h"

static json_t *ts(int64_t ms) {
  if (!ms) return json_null();
  char b[ORCH_TIME_ISO_MAX];
  orch_time_iso8601(b, ms);
  return json_string(b);
}

static json_t *span(int64_t from, int64_t to) { return from && to && to >= from ? json_integer(to - from) : json_null(); }

/* When a server counts as recovered: its after hook passed, or (without one) it launched. */
static int64_t recovered_at(const struct orch_exec_state *st, const struct orch_exec_server *s) {
  if (!s->launched_ms) return 0; /* never launched (a drill's clean-up later marks launched ones TERMINATED) */
  if (st->waves[s->wave].hooks & ORCH_HOOK_AFTER) return s->hooks_passed_ms;
  return s->launched_ms;
}

static json_t *server_report(const struct orch_exec_state *st, const struct orch_exec_server *s) {
  int64_t rec = recovered_at(st, s);
  return json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:i, s:o, s:o, s:o, s:o, s:o}", "id", s->id, "hostname",
                   s->hostname, "wave", st->waves[s->wave].name, "status", s->launch ? orch_launch_status_name(s->launch) : "NOT_LAUNCHED",
                   "job_id", s->job_id[0] ? s->job_id : NULL, "ec2_instance_id", s->ec2_instance_id[0] ? s->ec2_instance_id : NULL,
                   "private_ip", s->private_ip[0] ? s->private_ip : NULL, "failure", s->failure[0] ? s->failure : NULL,
                   "attempts", s->attempt, "requested_at", ts(s->requested_ms), "launched_at", ts(s->launched_ms),
                   "recovered_at", ts(rec), "launch_ms", span(s->requested_ms, s->launched_ms), "rto_ms",
                   span(st->started_ms, rec));
}

static json_t *wave_report(const struct orch_exec_state *st, size_t w, json_t *servers_out) {
  const struct orch_exec_wave *wv = &st->waves[w];
  size_t total = 0, launched = 0, failed = 0;
  for (size_t i = 0; i < st->nservers; i++) {
    if (st->servers[i].wave != w) continue;
    total++;
    if (st->servers[i].launched_ms) launched++;
    if (st->servers[i].launch == ORCH_LAUNCH_FAILED) failed++;
    json_array_append_new(servers_out, server_report(st, &st->servers[i]));
  }
  return json_pack("{s:s, s:s, s:s?, s:i, s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o}", "name", wv->name, "status",
                   orch_wave_status_name(wv->status), "reason", wv->reason[0] ? wv->reason : NULL, "attempts", wv->attempt,
                   "servers", (json_int_t)total, "launched", (json_int_t)launched, "failed", (json_int_t)failed,
                   "ready_at", ts(wv->ready_ms), "launched_at", ts(wv->launch_ms), "completed_at", ts(wv->completed_ms),
                   "duration_ms", span(wv->ready_ms, wv->completed_ms), "launch_to_recovered_ms",
                   span(wv->launch_ms, wv->recovered_ms), "rto_ms",
                   wv->status == ORCH_WAVE_COMPLETED ? span(st->started_ms, wv->completed_ms) : json_null());
}

/* One line per journal event worth a human's time. */
static json_t *timeline(const struct orch_store_event_list *events, json_t *hooks) {
  json_t *t = json_array();
  for (size_t i = 0; t && i < events->count; i++) {
    const struct orch_store_event *e = &events->items[i];
    const json_t *d = e->data;
    const char *wave = json_string_value(json_object_get(d, "wave"));
    if (strcmp(e->type, "HookCallRequested") == 0 || strcmp(e->type, "HookCallCompleted") == 0 ||
        strcmp(e->type, "NotificationSent") == 0)
      continue;
    if (strcmp(e->type, "ServerStatus") == 0 && !json_object_get(d, "launch_status")) continue;
    if (strcmp(e->type, "HookFinished") == 0)
      json_array_append_new(hooks, json_pack("{s:s?, s:O*, s:O*, s:O*, s:O*, s:o}", "wave", wave, "hook", json_object_get(d, "hook"),
                                             "ok", json_object_get(d, "ok"), "error", json_object_get(d, "error"),
                                             "warnings", json_object_get(d, "warnings"), "at", ts(e->at_ms)));
    json_t *row = json_pack("{s:I, s:o, s:s}", "seq", (json_int_t)e->seq, "at", ts(e->at_ms), "type", e->type);
    const char *keys[] = {"wave", "server", "launch_status", "status", "job_id", "hook", "reason", "by", "error", NULL};
    for (size_t k = 0; row && keys[k]; k++) {
      json_t *v = json_object_get(d, keys[k]);
      if (v && !json_is_object(v) && !json_is_array(v)) json_object_set(row, keys[k], v);
    }
    if (!row || json_array_append_new(t, row)) {
      json_decref(t);
      return NULL;
    }
  }
  return t;
}

json_t *orch_exec_report_json(const struct orch_exec_state *st, const struct orch_store_event_list *events) {
  json_t *waves = json_array(), *servers = json_array(), *hooks = json_array();
  json_t *report = NULL;
  if (!waves || !servers || !hooks) goto out;
  for (size_t w = 0; w < st->nwaves; w++)
    if (json_array_append_new(waves, wave_report(st, w, servers))) goto out;
  int64_t rto = 0;
  bool all_recovered = st->nservers > 0;
  for (size_t i = 0; i < st->nservers; i++) {
    int64_t r = recovered_at(st, &st->servers[i]);
    if (!r) all_recovered = false;
    else if (r - st->started_ms > rto) rto = r - st->started_ms;
  }
  size_t launched = 0, failed = 0;
  for (size_t i = 0; i < st->nservers; i++) {
    if (st->servers[i].launched_ms) launched++;
    if (st->servers[i].launch == ORCH_LAUNCH_FAILED) failed++;
  }
  json_t *rto_json = all_recovered && st->started_ms ? json_integer(rto) : json_null();
  json_t *met = json_null();
  if (st->rto_target_ms && json_is_integer(rto_json)) met = json_boolean(rto <= st->rto_target_ms);
  json_t *tl = events ? timeline(events, hooks) : json_array();
  report = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s?, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:I, s:I, s:O, s:O, s:O, s:o}",
                     "execution_id", st->id, "plan_name", st->plan_name, "plan_version", (json_int_t)st->plan_version,
                     "mode", orch_exec_mode_name(st->mode), "status", orch_exec_status_name(st->status), "reason",
                     st->end_reason[0] ? st->end_reason : NULL, "created_at", ts(st->created_ms), "started_at",
                     ts(st->started_ms), "ended_at", ts(st->ended_ms), "duration_ms", span(st->started_ms, st->ended_ms),
                     "rto_ms", rto_json, "rto_target_ms", st->rto_target_ms ? json_integer(st->rto_target_ms) : json_null(),
                     "rto_met", met, "servers_total", (json_int_t)st->nservers, "servers_launched", (json_int_t)launched,
                     "servers_failed", (json_int_t)failed, "warnings", (json_int_t)st->warnings, "waves", waves, "servers",
                     servers, "hooks", hooks, "timeline", tl ? tl : json_array());
out:
  json_decref(waves);
  json_decref(servers);
  json_decref(hooks);
  return report;
}

static void dur(char *out, size_t n, const json_t *ms) {
  if (!json_is_integer(ms)) {
    snprintf(out, n, "-");
    return;
  }
  orch_duration_format(out, n, json_integer_value(ms) / 1000 * 1000);
  if (json_integer_value(ms) < 1000) snprintf(out, n, "%lldms", (long long)json_integer_value(ms));
}

static const char *s(const json_t *o, const char *k) {
  const char *v = json_string_value(json_object_get(o, k));
  return v ? v : "-";
}

int orch_exec_report_text(const json_t *r, struct orch_buf *out) {
  char a[64], b[64];
  dur(a, sizeof a, json_object_get(r, "rto_ms"));
  dur(b, sizeof b, json_object_get(r, "rto_target_ms"));
  const json_t *met = json_object_get(r, "rto_met");
  int rc = orch_buf_printf(out, "%s %s of %s (version %lld): %s\n", s(r, "mode"), s(r, "execution_id"), s(r, "plan_name"),
                           (long long)json_integer_value(json_object_get(r, "plan_version")), s(r, "status"));
  if (json_is_string(json_object_get(r, "reason"))) rc = rc ? rc : orch_buf_printf(out, "  %s\n", s(r, "reason"));
  char d[64];
  dur(d, sizeof d, json_object_get(r, "duration_ms"));
  rc = rc ? rc : orch_buf_printf(out, "  started %s, ended %s, took %s\n", s(r, "started_at"), s(r, "ended_at"), d);
  rc = rc ? rc : orch_buf_printf(out, "  RTO %s against a target of %s%s\n", a, b,
                                 json_is_true(met) ? " (met)" : json_is_false(met) ? " (MISSED)" : "");
  rc = rc ? rc : orch_buf_printf(out, "  servers: %lld launched, %lld failed, of %lld\n",
                                 (long long)json_integer_value(json_object_get(r, "servers_launched")),
                                 (long long)json_integer_value(json_object_get(r, "servers_failed")),
                                 (long long)json_integer_value(json_object_get(r, "servers_total")));
  size_t i;
  json_t *w;
  json_array_foreach(json_object_get(r, "waves"), i, w) {
    dur(a, sizeof a, json_object_get(w, "duration_ms"));
    rc = rc ? rc : orch_buf_printf(out, "  wave %-20s %-10s %3lld/%-3lld launched  %8s%s%s\n", s(w, "name"), s(w, "status"),
                                   (long long)json_integer_value(json_object_get(w, "launched")),
                                   (long long)json_integer_value(json_object_get(w, "servers")), a,
                                   json_is_string(json_object_get(w, "reason")) ? "  " : "",
                                   json_is_string(json_object_get(w, "reason")) ? s(w, "reason") : "");
  }
  json_t *sv;
  json_array_foreach(json_object_get(r, "servers"), i, sv) {
    if (strcmp(s(sv, "status"), "FAILED") != 0) continue;
    rc = rc ? rc : orch_buf_printf(out, "  failed: %s (%s) in wave %s: %s\n", s(sv, "id"), s(sv, "hostname"), s(sv, "wave"),
                                   s(sv, "failure"));
  }
  json_array_foreach(json_object_get(r, "hooks"), i, w) {
    if (json_is_true(json_object_get(w, "ok"))) continue;
    rc = rc ? rc : orch_buf_printf(out, "  hook %s/%s failed: %s\n", s(w, "wave"), s(w, "hook"), s(w, "error"));
  }
  return rc;
}

int orch_exec_state_from_events(struct orch_exec_state *st, const struct orch_store_event_list *events,
                                struct orch_error *err) {
  for (size_t i = 0; i < events->count; i++) {
    json_t *empty = NULL;
    struct orch_exec_event ev = {.seq = events->items[i].seq, .at_ms = events->items[i].at_ms,
                                 .type = events->items[i].type, .data = events->items[i].data};
    if (!ev.data) ev.data = empty = json_object();
    int rc = orch_exec_apply(st, &ev, err);
    json_decref(empty);
    if (rc) return rc;
  }
  return 0;
}
