/* orch_exec_report_journal: the report's evidence, read from an execution's journal in one pass: every
 * preflight check, the gates, the hooks' log lines and failed expectations, each failed launch with DRS's
 * own reason (JobLog), the notifications, the hook results and the timeline. Uses orch_exec_report_int,
 * orch_exec_state, jansson. */
#include <string.h>

#include "exec/orch_exec_report_int.h"

struct scan {
  json_t *checks, *result, *approvals, *hook_logs, *expectations, *failures, *notifications, *hooks, *timeline;
  json_t *tag_attempt; /* tag -> attempt (JobRequested) */
  json_t *job_attempt; /* job id -> attempt (JobStarted) */
  bool ok;
};

static bool add(struct scan *s, json_t *arr, json_t *item) {
  if (!item || json_array_append_new(arr, item)) s->ok = false;
  return s->ok;
}

static const char *str(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

static void on_approval(struct scan *s, const struct orch_store_event *e, bool granted) {
  const char *wave = str(e->data, "wave");
  if (!wave) return;
  if (!granted) {
    add(s, s->approvals, json_pack("{s:s, s:s?, s:o, s:n, s:n, s:n}", "wave", wave, "prompt", str(e->data, "prompt"),
                                   "asked_at", exec_report_ts(e->at_ms), "opened_at", "by", "role"));
    return;
  }
  for (size_t i = json_array_size(s->approvals); i-- > 0;) { /* the latest ask of that wave */
    json_t *a = json_array_get(s->approvals, i);
    if (strcmp(str(a, "wave"), wave) != 0) continue;
    json_object_set_new(a, "opened_at", exec_report_ts(e->at_ms));
    json_object_set(a, "by", json_object_get(e->data, "by") ? json_object_get(e->data, "by") : json_null());
    json_object_set(a, "role", json_object_get(e->data, "role") ? json_object_get(e->data, "role") : json_null());
    return;
  }
}

/* A w:expect or w:assert that did not hold: its description and where in the plan. */
static void on_hook_call(struct scan *s, const struct orch_store_event *e) {
  const char *op = str(e->data, "op");
  const json_t *args = json_object_get(e->data, "args");
  if (!op || (strcmp(op, "expect") != 0 && strcmp(op, "assert") != 0) || !json_is_false(json_object_get(args, "ok"))) return;
  add(s, s->expectations, json_pack("{s:o, s:s?, s:s?, s:s, s:s?, s:s?}", "at", exec_report_ts(e->at_ms), "wave",
                                    str(e->data, "wave"), "hook", str(e->data, "hook"), "op", op, "what", str(args, "what"),
                                    "where", str(e->data, "where")));
}

/* A failed launch, with the attempt its job launched. */
static void on_server_status(struct scan *s, const struct orch_store_event *e) {
  const char *server = str(e->data, "server"), *ls = str(e->data, "launch_status"), *job = str(e->data, "job_id");
  if (!server || !ls || strcmp(ls, "FAILED") != 0) return;
  json_t *list = json_object_get(s->failures, server);
  if (!list && json_object_set_new(s->failures, server, list = json_array())) s->ok = false;
  const json_t *attempt = job ? json_object_get(s->job_attempt, job) : NULL;
  add(s, list, json_pack("{s:O*, s:s?, s:s?, s:o, s:n, s:n}", "attempt", attempt, "job_id", job, "failure",
                         str(e->data, "failure"), "at", exec_report_ts(e->at_ms), "drs_event", "drs_error"));
}

/* DRS's reasons from a job's log, onto the failures of that job. */
static void on_job_log(struct scan *s, const struct orch_store_event *e) {
  const char *job = str(e->data, "job_id");
  size_t i, k;
  json_t *f, *entry;
  json_array_foreach(json_object_get(e->data, "failures"), i, f) {
    json_array_foreach(json_object_get(s->failures, str(f, "server") ? str(f, "server") : ""), k, entry) {
      const char *fj = str(entry, "job_id");
      if (!job || !fj || strcmp(fj, job) != 0) continue;
      json_object_set(entry, "drs_event", json_object_get(f, "event") ? json_object_get(f, "event") : json_null());
      json_object_set(entry, "drs_error", json_object_get(f, "error") ? json_object_get(f, "error") : json_null());
    }
  }
}

static void on_notification(struct scan *s, const struct orch_store_event *e) {
  if (strcmp(e->type, "NotificationRequested") == 0) {
    add(s, s->notifications, json_pack("{s:I, s:s?, s:s?, s:s?, s:s, s:o, s:n, s:n}", "id", (json_int_t)e->seq, "kind",
                                       str(e->data, "kind"), "topic", str(e->data, "topic"), "subject",
                                       str(e->data, "subject"), "status", "pending", "requested_at",
                                       exec_report_ts(e->at_ms), "message_id", "error"));
    return;
  }
  json_int_t id = json_integer_value(json_object_get(e->data, "id"));
  size_t i;
  json_t *n;
  json_array_foreach(s->notifications, i, n) {
    if (json_integer_value(json_object_get(n, "id")) != id) continue;
    if (strcmp(e->type, "NotificationSent") == 0) {
      json_object_set_new(n, "status", json_string("sent"));
      if (json_object_get(e->data, "message_id")) json_object_set(n, "message_id", json_object_get(e->data, "message_id"));
    } else {
      bool final = json_is_true(json_object_get(e->data, "final"));
      json_object_set_new(n, "status", json_string(final ? "failed" : "retrying"));
      if (json_object_get(e->data, "error")) json_object_set(n, "error", json_object_get(e->data, "error"));
    }
    return;
  }
}

/* One line per journal event worth a human's time. */
static void timeline_row(struct scan *s, const struct orch_store_event *e) {
  const json_t *d = e->data;
  if (strcmp(e->type, "HookCallRequested") == 0 || strcmp(e->type, "HookCallCompleted") == 0 ||
      strcmp(e->type, "NotificationSent") == 0 || strcmp(e->type, "PreflightChecks") == 0 ||
      strcmp(e->type, "ServersResolved") == 0)
    return;
  if (strcmp(e->type, "ServerStatus") == 0 && !json_object_get(d, "launch_status")) return;
  json_t *row = json_pack("{s:I, s:o, s:s}", "seq", (json_int_t)e->seq, "at", exec_report_ts(e->at_ms), "type", e->type);
  static const char *const keys[] = {"wave", "server", "launch_status", "status", "job_id", "hook", "reason", "by",
                                     "error", "level", "message", "where", "kind", "topic", NULL};
  for (size_t k = 0; row && keys[k]; k++) {
    json_t *v = json_object_get(d, keys[k]);
    if (v && !json_is_object(v) && !json_is_array(v)) json_object_set(row, keys[k], v);
  }
  if (row && strcmp(e->type, "JobLog") == 0) json_object_set(row, "failures", json_object_get(d, "failures"));
  add(s, s->timeline, row);
}

static void scan_event(struct scan *s, const struct orch_store_event *e) {
  const json_t *d = e->data;
  const char *t = e->type;
  if (strcmp(t, "PreflightChecks") == 0) {
    if (json_array_extend(s->checks, json_object_get(d, "checks"))) s->ok = false;
  } else if (strcmp(t, "PreflightResult") == 0) {
    json_decref(s->result);
    s->result = json_deep_copy(d);
  } else if (strcmp(t, "ApprovalRequested") == 0 || strcmp(t, "ApprovalGranted") == 0) {
    on_approval(s, e, t[8] == 'G');
  } else if (strcmp(t, "HookLog") == 0) {
    add(s, s->hook_logs, json_pack("{s:o, s:s?, s:s?, s:s?, s:s?, s:s?}", "at", exec_report_ts(e->at_ms), "wave",
                                   str(d, "wave"), "hook", str(d, "hook"), "level", str(d, "level"), "message",
                                   str(d, "message"), "where", str(d, "where")));
  } else if (strcmp(t, "HookCallRequested") == 0) {
    on_hook_call(s, e);
  } else if (strcmp(t, "JobRequested") == 0 && str(d, "tag")) {
    json_object_set(s->tag_attempt, str(d, "tag"), json_object_get(d, "attempt"));
  } else if (strcmp(t, "JobStarted") == 0 && str(d, "tag") && str(d, "job_id")) {
    json_t *a = json_object_get(s->tag_attempt, str(d, "tag"));
    if (a) json_object_set(s->job_attempt, str(d, "job_id"), a);
  } else if (strcmp(t, "ServerStatus") == 0) {
    on_server_status(s, e);
  } else if (strcmp(t, "JobLog") == 0) {
    on_job_log(s, e);
  } else if (strncmp(t, "Notification", 12) == 0) {
    on_notification(s, e);
  } else if (strcmp(t, "HookFinished") == 0) {
    add(s, s->hooks, json_pack("{s:s?, s:O*, s:O*, s:O*, s:O*, s:o}", "wave", str(d, "wave"), "hook", json_object_get(d, "hook"),
                               "ok", json_object_get(d, "ok"), "error", json_object_get(d, "error"), "warnings",
                               json_object_get(d, "warnings"), "at", exec_report_ts(e->at_ms)));
  }
  timeline_row(s, e);
}

/* The preflight section: PreflightResult's counts with every check the PreflightChecks events carried. */
static json_t *preflight_section(struct scan *s, const struct orch_exec_state *st) {
  if (!s->result && !json_array_size(s->checks)) return json_null();
  json_t *p = json_pack("{s:O*, s:O*, s:O*, s:O*, s:o, s:o, s:O}", "ok", json_object_get(s->result, "ok"), "passed",
                        json_object_get(s->result, "passed"), "failed", json_object_get(s->result, "failed"), "warnings",
                        json_object_get(s->result, "warnings"), "started_at", exec_report_ts(st->preflight_started_ms),
                        "ended_at", exec_report_ts(st->preflight_done ? st->preflight_ms : 0), "checks", s->checks);
  /* A journal written before the checks had their own events: the result's failures are what there is. */
  if (p && !json_array_size(s->checks) && json_object_get(s->result, "failures"))
    json_object_set(p, "checks", json_object_get(s->result, "failures"));
  return p;
}

json_t *exec_report_journal(const struct orch_exec_state *st, const struct orch_store_event_list *events) {
  struct scan s = {.checks = json_array(), .approvals = json_array(), .hook_logs = json_array(),
                   .expectations = json_array(), .failures = json_object(), .notifications = json_array(),
                   .hooks = json_array(), .timeline = json_array(), .tag_attempt = json_object(),
                   .job_attempt = json_object(), .ok = true};
  json_t *out = NULL;
  if (!s.checks || !s.approvals || !s.hook_logs || !s.expectations || !s.failures || !s.notifications || !s.hooks ||
      !s.timeline || !s.tag_attempt || !s.job_attempt)
    goto done;
  for (size_t i = 0; events && i < events->count && s.ok; i++) {
    struct orch_store_event e = events->items[i];
    json_t *empty = NULL;
    if (!e.data) e.data = empty = json_object();
    scan_event(&s, &e);
    json_decref(empty);
  }
  size_t i;
  json_t *n;
  json_array_foreach(s.notifications, i, n) json_object_del(n, "id"); /* the journal's seq: no use to a reader */
  if (s.ok)
    out = json_pack("{s:o, s:O, s:O, s:O, s:O, s:O, s:O, s:O}", "preflight", preflight_section(&s, st), "approvals",
                    s.approvals, "hook_logs", s.hook_logs, "expectations", s.expectations, "server_failures", s.failures,
                    "notifications", s.notifications, "hooks", s.hooks, "timeline", s.timeline);
done:
  json_decref(s.checks);
  json_decref(s.result);
  json_decref(s.approvals);
  json_decref(s.hook_logs);
  json_decref(s.expectations);
  json_decref(s.failures);
  json_decref(s.notifications);
  json_decref(s.hooks);
  json_decref(s.timeline);
  json_decref(s.tag_attempt);
  json_decref(s.job_attempt);
  return out;
}
