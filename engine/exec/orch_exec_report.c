/* orch_exec_report: an execution's report: RTO as docs/execution.md defines it (from the start, preflight
 * and gates included, to the last server recovered, for executions that recovered, nothing after
 * ExecutionEnded counted), the preflight's duration and the time waiting at gates, per-server and per-wave
 * figures, and the evidence the journal holds (orch_exec_report_journal.c); as JSON and as text.
 * Uses orch_exec_report_int, orch_exec_state, orch_time, orch_buf, jansson. */
#include "exec/orch_exec_report.h"

#include <stdlib.h>
#include <string.h>

#include "core/orch_alloc.h"
#include "core/orch_time.h"
#include "exec/orch_exec_report_int.h"


json_t *exec_report_ts(int64_t ms) {
  if (!ms) return json_null();
  char b[ORCH_TIME_ISO_MAX];
  orch_time_iso8601(b, ms);
  return json_string(b);
}

static json_t *span(int64_t from, int64_t to) { return from && to && to >= from ? json_integer(to - from) : json_null(); }

/* Whether the execution recovered at all: only one that ended COMPLETED or PARTIAL has an RTO. */
static bool recovered_outcome(const struct orch_exec_state *st) {
  return st->ended_ms && (st->outcome == ORCH_EXEC_COMPLETED || st->outcome == ORCH_EXEC_PARTIAL);
}

/* When a server counts as recovered: launched, and its wave's after hook passed when it has one. Never
 * after ExecutionEnded: a launch that finishes during a drill's clean-up or after a cancel recovered
 * nothing. 0 when it did not recover. */
static int64_t recovered_at(const struct orch_exec_state *st, const struct orch_exec_server *s) {
  if (!s->launched_ms) return 0; /* never launched (a drill's clean-up later marks launched ones TERMINATED) */
  int64_t at = st->waves[s->wave].hooks & ORCH_HOOK_AFTER ? s->hooks_passed_ms : s->launched_ms;
  if (st->ended_ms && at > st->ended_ms) return 0;
  return at;
}

/* Time spent waiting at approval gates: the union of every gate's wait (gates of parallel waves overlap),
 * from its ask to its opening (or the wave's verdict, or the end, for one that never opened). */
static int64_t approval_wait(const struct orch_exec_state *st, int64_t now) {
  int64_t(*iv)[2] = orch_calloc(st->nwaves ? st->nwaves : 1, sizeof *iv);
  size_t n = 0;
  if (!iv) return 0;
  for (size_t w = 0; w < st->nwaves; w++) {
    const struct orch_exec_wave *wv = &st->waves[w];
    if (!wv->approval_asked_ms) continue;
    int64_t end = wv->approval_granted_ms ? wv->approval_granted_ms : wv->completed_ms ? wv->completed_ms
                  : st->ended_ms                                                     ? st->ended_ms
                                                                                     : now;
    if (end > wv->approval_asked_ms) iv[n][0] = wv->approval_asked_ms, iv[n++][1] = end;
  }
  for (size_t i = 1; i < n; i++) /* insertion sort by start: a handful of gates */
    for (size_t j = i; j > 0 && iv[j][0] < iv[j - 1][0]; j--) {
      int64_t a = iv[j][0], b = iv[j][1];
      iv[j][0] = iv[j - 1][0], iv[j][1] = iv[j - 1][1];
      iv[j - 1][0] = a, iv[j - 1][1] = b;
    }
  int64_t total = 0, from = 0, to = 0;
  for (size_t i = 0; i < n; i++) {
    if (i && iv[i][0] <= to) {
      if (iv[i][1] > to) to = iv[i][1];
      continue;
    }
    total += to - from;
    from = iv[i][0], to = iv[i][1];
  }
  total += to - from;
  orch_free(iv);
  return total;
}

static json_t *server_report(const struct orch_exec_state *st, const struct orch_exec_server *s, const json_t *failures) {
  int64_t rec = recovered_at(st, s);
  return json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:i, s:o, s:o, s:o, s:o, s:o, s:o}", "id", s->id, "hostname",
                   s->hostname, "wave", st->waves[s->wave].name, "status", s->launch ? orch_launch_status_name(s->launch) : "NOT_LAUNCHED",
                   "job_id", s->job_id[0] ? s->job_id : NULL, "ec2_instance_id", s->ec2_instance_id[0] ? s->ec2_instance_id : NULL,
                   "private_ip", s->private_ip[0] ? s->private_ip : NULL, "failure", s->failure[0] ? s->failure : NULL,
                   "attempts", s->attempt, "requested_at", exec_report_ts(s->requested_ms), "launched_at",
                   exec_report_ts(s->launched_ms), "recovered_at", exec_report_ts(rec), "launch_ms",
                   span(s->requested_ms, s->launched_ms), "rto_ms", span(st->created_ms, rec), "failures",
                   failures ? failures : json_array());
}

static json_t *wave_report(const struct orch_exec_state *st, size_t w, json_t *servers_out, const json_t *failures) {
  const struct orch_exec_wave *wv = &st->waves[w];
  size_t total = 0, launched = 0, failed = 0;
  for (size_t i = 0; i < st->nservers; i++) {
    if (st->servers[i].wave != w) continue;
    total++;
    if (st->servers[i].launched_ms) launched++;
    if (st->servers[i].launch == ORCH_LAUNCH_FAILED) failed++;
    json_t *f = json_object_get(failures, st->servers[i].id);
    json_array_append_new(servers_out, server_report(st, &st->servers[i], f ? json_incref(f) : NULL));
  }
  bool recovered = wv->status == ORCH_WAVE_COMPLETED && (!st->ended_ms || wv->completed_ms <= st->ended_ms);
  return json_pack("{s:s, s:s, s:s?, s:i, s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o}", "name", wv->name, "status",
                   orch_wave_status_name(wv->status), "reason", wv->reason[0] ? wv->reason : NULL, "attempts", wv->attempt,
                   "servers", (json_int_t)total, "launched", (json_int_t)launched, "failed", (json_int_t)failed,
                   "ready_at", exec_report_ts(wv->ready_ms), "launched_at", exec_report_ts(wv->launch_ms), "completed_at",
                   exec_report_ts(wv->completed_ms), "duration_ms", span(wv->ready_ms, wv->completed_ms),
                   "launch_to_recovered_ms", span(wv->launch_ms, wv->recovered_ms), "rto_ms",
                   recovered ? span(st->created_ms, wv->completed_ms) : json_null());
}

/* Without a journal (the API's live views): the notifications the state holds. */
static json_t *notices_of_state(const struct orch_exec_state *st) {
  json_t *a = json_array();
  for (size_t i = 0; a && i < st->nnotices; i++) {
    const struct orch_exec_notice *n = &st->notices[i];
    json_array_append_new(a, json_pack("{s:O*, s:O*, s:O*, s:s}", "kind", json_object_get(n->data, "kind"), "topic",
                                       json_object_get(n->data, "topic"), "subject", json_object_get(n->data, "subject"),
                                       "status", n->sent ? "sent" : n->failed ? "failed" : "pending"));
  }
  return a;
}

/* A drill's clean-up: how it went, the plan's cleanup hook, and the instances a failed one left. */
static json_t *cleanup_report(const struct orch_exec_state *st) {
  if (st->mode != ORCH_MODE_DRILL) return json_null();
  json_t *left = json_array();
  if (st->status == ORCH_EXEC_CLEANUP_FAILED)
    for (size_t c = 0; left && c < st->nterms; c++)
      if (!st->terms[c].ended) json_array_extend(left, st->terms[c].ids);
  const char *status = st->status == ORCH_EXEC_CLEANED          ? "CLEANED"
                       : st->status == ORCH_EXEC_CLEANUP_FAILED ? "CLEANUP_FAILED"
                       : st->status == ORCH_EXEC_CLEANING_UP    ? "CLEANING_UP"
                                                                : "NOT_STARTED";
  json_t *hook = st->has_cleanup_hook && st->cleanup_hook_done
                     ? json_pack("{s:b, s:s?}", "ok", !st->cleanup_hook_failed, "error",
                                 st->cleanup_hook_failed && st->cleanup_hook_error[0] ? st->cleanup_hook_error : NULL)
                     : json_null();
  return json_pack("{s:s, s:s?, s:o, s:o, s:o}", "status", status, "reason", st->cleanup_error[0] ? st->cleanup_error : NULL,
                   "kept_until", exec_report_ts(st->cleanup_after_ms), "hook", hook, "recovery_instance_ids_left",
                   left ? left : json_array());
}

json_t *orch_exec_report_json(const struct orch_exec_state *st, const struct orch_store_event_list *events) {
  json_t *waves = json_array(), *servers = json_array(), *journal = exec_report_journal(st, events);
  json_t *report = NULL;
  if (!waves || !servers || !journal) goto out;
  const json_t *failures = json_object_get(journal, "server_failures");
  for (size_t w = 0; w < st->nwaves; w++)
    if (json_array_append_new(waves, wave_report(st, w, servers, failures))) goto out;
  int64_t rto = 0, last = 0;
  size_t launched = 0, failed = 0;
  for (size_t i = 0; i < st->nservers; i++) {
    int64_t r = recovered_at(st, &st->servers[i]);
    if (r > last) last = r;
    if (st->servers[i].launched_ms) launched++;
    if (st->servers[i].launch == ORCH_LAUNCH_FAILED) failed++;
  }
  if (last) rto = last - st->created_ms;
  json_t *rto_json = recovered_outcome(st) && last && st->created_ms ? json_integer(rto) : json_null();
  json_t *met = json_null();
  if (st->rto_target_ms && json_is_integer(rto_json)) met = json_boolean(rto <= st->rto_target_ms);
  /* An open gate of an unfinished execution counts until the journal's latest event. */
  int64_t now = st->ended_ms ? st->ended_ms : events && events->count ? events->items[events->count - 1].at_ms : 0;
  report = json_pack("{s:s, s:s, s:I, s:s, s:s, s:o, s:s?, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o,"
                     " s:I, s:I, s:I, s:I, s:O, s:O}",
                     "execution_id", st->id, "plan_name", st->plan_name, "plan_version", (json_int_t)st->plan_version,
                     "mode", orch_exec_mode_name(st->mode), "status", orch_exec_status_name(st->status), "outcome",
                     st->ended_ms ? json_string(orch_exec_status_name(st->outcome)) : json_null(), "reason",
                     st->end_reason[0] ? st->end_reason : NULL, "created_at", exec_report_ts(st->created_ms), "started_at",
                     exec_report_ts(st->created_ms), "running_at", exec_report_ts(st->started_ms), "ended_at",
                     exec_report_ts(st->ended_ms), "duration_ms", span(st->created_ms, st->ended_ms), "rto_ms", rto_json,
                     "rto_target_ms", st->rto_target_ms ? json_integer(st->rto_target_ms) : json_null(), "rto_met", met,
                     "preflight_duration_ms",
                     span(st->preflight_started_ms, st->preflight_done ? st->preflight_ms : 0), "approval_wait_ms",
                     st->created_ms ? json_integer(approval_wait(st, now)) : json_null(), "cleanup", cleanup_report(st),
                     "servers_total", (json_int_t)st->nservers, "servers_launched", (json_int_t)launched, "servers_failed",
                     (json_int_t)failed, "warnings", (json_int_t)st->warnings, "waves", waves, "servers", servers);
  if (!report) goto out;
  /* The journal's evidence as sections of their own (server failures are already in each server). */
  static const char *const sections[] = {"preflight", "approvals", "hook_logs", "expectations", "notifications", "hooks",
                                         "timeline", NULL};
  for (size_t k = 0; sections[k]; k++)
    if (json_object_set(report, sections[k], json_object_get(journal, sections[k]))) {
      json_decref(report);
      report = NULL;
      goto out;
    }
  if (!events && json_object_set_new(report, "notifications", notices_of_state(st))) {
    json_decref(report);
    report = NULL;
  }
out:
  json_decref(waves);
  json_decref(servers);
  json_decref(journal);
  return report;
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
