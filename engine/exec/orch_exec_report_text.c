/* orch_exec_report_text: the text summary of a report made by orch_exec_report_json, for terminals and
 * `drsorch executions report`: the outcome, the RTO with the preflight and the gates beside it, the
 * preflight's checks, the waves, every failed or retried launch with DRS's reason, hooks that failed,
 * expectations that did not hold, the hooks' log lines, notifications not sent and the instances a failed
 * clean-up left. Uses orch_buf, orch_time, jansson. */
#include <stdio.h>
#include <string.h>

#include "core/orch_time.h"
#include "exec/orch_exec_report.h"

#define TEXT_CHECKS_MAX 200 /* every check is listed up to this many; past it, the failures and a count per check */

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

static long long num(const json_t *o, const char *k) { return (long long)json_integer_value(json_object_get(o, k)); }

static const char *plural(long long n) { return n == 1 ? "" : "s"; }

/* "RTO 19m59s against a target of 45m (met); preflight 2s, waiting for approval 3m". */
static int rto_line(const json_t *r, struct orch_buf *out) {
  char a[64], b[64], pf[64], gate[64];
  dur(a, sizeof a, json_object_get(r, "rto_ms"));
  dur(b, sizeof b, json_object_get(r, "rto_target_ms"));
  dur(pf, sizeof pf, json_object_get(r, "preflight_duration_ms"));
  dur(gate, sizeof gate, json_object_get(r, "approval_wait_ms"));
  const json_t *met = json_object_get(r, "rto_met");
  const char *outcome = json_string_value(json_object_get(r, "outcome"));
  int rc;
  if (json_is_integer(json_object_get(r, "rto_ms")))
    rc = orch_buf_printf(out, "  RTO %s against a target of %s%s (from the start, preflight and gates included)\n", a, b,
                         json_is_true(met) ? " (met)" : json_is_false(met) ? " (MISSED)" : "");
  else if (outcome && (strcmp(outcome, "FAILED") == 0 || strcmp(outcome, "CANCELLED") == 0))
    rc = orch_buf_printf(out, "  RTO - (it ended %s: nothing was recovered to measure) against a target of %s\n", outcome, b);
  else
    rc = orch_buf_printf(out, "  RTO - (%s) against a target of %s\n", outcome ? "no server recovered" : "not finished", b);
  if (!rc && (json_is_integer(json_object_get(r, "preflight_duration_ms")) || json_integer_value(json_object_get(r, "approval_wait_ms"))))
    rc = orch_buf_printf(out, "  of which: preflight %s, waiting for approval %s\n", pf, gate);
  return rc;
}

/* A check as one line: "FAILED replication healthy: s-... (db-2) in wave database: STALLED". */
static int check_line(const json_t *c, const json_t *servers, struct orch_buf *out) {
  bool ok = json_is_true(json_object_get(c, "ok")), warning = json_is_true(json_object_get(c, "warning"));
  const char *server = json_string_value(json_object_get(c, "server")), *wave = json_string_value(json_object_get(c, "wave"));
  const char *host = NULL;
  size_t i;
  const json_t *sv;
  json_array_foreach(servers, i, sv) {
    if (server && strcmp(s(sv, "id"), server) == 0) host = s(sv, "hostname");
  }
  return orch_buf_printf(out, "    %-7s %s%s%s%s%s%s%s%s: %s\n", !ok ? "FAILED" : warning ? "warning" : "passed", s(c, "name"),
                         server || wave ? " (" : "", server ? server : "", host ? " " : "", host ? host : "",
                         server && wave ? " in wave " : wave ? "wave " : "", wave ? wave : "", server || wave ? ")" : "",
                         s(c, "detail"));
}

/* The preflight: every check for a dry run or a failed preflight (up to TEXT_CHECKS_MAX), else the
 * failures and warnings with a count of the passed ones (the JSON report has every check). */
static int preflight_lines(const json_t *r, struct orch_buf *out) {
  const json_t *p = json_object_get(r, "preflight"), *checks = json_object_get(p, "checks");
  if (!json_is_object(p)) return 0;
  long long failed = num(p, "failed"), passed = num(p, "passed"), warnings = num(p, "warnings");
  char d[64];
  dur(d, sizeof d, json_object_get(r, "preflight_duration_ms"));
  int rc = orch_buf_printf(out, "  preflight %s in %s: %lld check%s passed, %lld failed, %lld warning%s\n",
                           json_is_false(json_object_get(p, "ok")) ? "FAILED" : "passed", d, passed, plural(passed), failed,
                           warnings, plural(warnings));
  bool dry = strcmp(s(r, "mode"), "dry-run") == 0, failed_pf = json_is_false(json_object_get(p, "ok"));
  bool every = (dry || failed_pf) && json_array_size(checks) <= TEXT_CHECKS_MAX;
  size_t i;
  const json_t *c;
  json_array_foreach(checks, i, c) {
    bool quiet = json_is_true(json_object_get(c, "ok")) && !json_is_true(json_object_get(c, "warning"));
    if (!rc && (every || !quiet)) rc = check_line(c, json_object_get(r, "servers"), out);
  }
  if (!rc && !every && passed)
    rc = orch_buf_printf(out, "    (%lld passed check%s not listed: 'executions report --json' has every check)\n", passed,
                         plural(passed));
  return rc;
}

/* Failed launches: the server's own, and each earlier attempt a retry made good, with DRS's reason. */
static int failure_lines(const json_t *r, struct orch_buf *out) {
  int rc = 0;
  size_t i, k;
  const json_t *sv, *f;
  json_array_foreach(json_object_get(r, "servers"), i, sv) {
    bool failed_now = strcmp(s(sv, "status"), "FAILED") == 0;
    json_array_foreach(json_object_get(sv, "failures"), k, f) {
      bool last = k + 1 == json_array_size(json_object_get(sv, "failures"));
      const char *drs = json_string_value(json_object_get(f, "drs_error"));
      if (!rc)
        rc = orch_buf_printf(out, "  %s: %s (%s) in wave %s%s%lld: %s%s%s%s\n", failed_now && last ? "failed" : "retried",
                             s(sv, "id"), s(sv, "hostname"), s(sv, "wave"), ", attempt ", num(f, "attempt"),
                             s(f, "failure"), drs ? " (DRS: " : "", drs ? drs : "", drs ? ")" : "");
    }
    if (!rc && failed_now && !json_array_size(json_object_get(sv, "failures")))
      rc = orch_buf_printf(out, "  failed: %s (%s) in wave %s: %s\n", s(sv, "id"), s(sv, "hostname"), s(sv, "wave"),
                           s(sv, "failure"));
  }
  return rc;
}

static int hook_lines(const json_t *r, struct orch_buf *out) {
  int rc = 0;
  size_t i;
  const json_t *h;
  json_array_foreach(json_object_get(r, "hooks"), i, h) {
    if (json_is_true(json_object_get(h, "ok"))) continue;
    const char *wave = json_string_value(json_object_get(h, "wave"));
    if (!rc) rc = orch_buf_printf(out, "  hook %s%s%s failed: %s\n", wave ? wave : "", wave ? "/" : "", s(h, "hook"), s(h, "error"));
  }
  json_array_foreach(json_object_get(r, "expectations"), i, h) {
    const char *wave = json_string_value(json_object_get(h, "wave"));
    if (!rc)
      rc = orch_buf_printf(out, "  %s did not hold: %s%s%s: %s (%s)\n", strcmp(s(h, "op"), "assert") == 0 ? "w:assert" : "w:expect",
                           wave ? wave : "", wave ? "/" : "", s(h, "hook"), s(h, "what"), s(h, "where"));
  }
  json_array_foreach(json_object_get(r, "hook_logs"), i, h) {
    const char *wave = json_string_value(json_object_get(h, "wave"));
    bool info = strcmp(s(h, "level"), "info") == 0;
    if (!rc)
      rc = orch_buf_printf(out, "  log %s%s%s: %s%s%s\n", wave ? wave : "", wave ? "/" : "", s(h, "hook"), info ? "" : s(h, "level"),
                           info ? "" : ": ", s(h, "message"));
  }
  return rc;
}

static int notification_lines(const json_t *r, struct orch_buf *out) {
  int rc = 0;
  size_t i, sent = 0, total = json_array_size(json_object_get(r, "notifications"));
  const json_t *n;
  json_array_foreach(json_object_get(r, "notifications"), i, n) {
    if (strcmp(s(n, "status"), "sent") == 0) {
      sent++;
      continue;
    }
    if (!rc)
      rc = orch_buf_printf(out, "  notification %s to %s: %s%s%s\n", s(n, "kind"), s(n, "topic"),
                           strcmp(s(n, "status"), "failed") == 0 ? "NOT SENT" : s(n, "status"),
                           json_object_get(n, "error") && !json_is_null(json_object_get(n, "error")) ? ": " : "",
                           json_object_get(n, "error") && !json_is_null(json_object_get(n, "error")) ? s(n, "error") : "");
  }
  if (!rc && total) rc = orch_buf_printf(out, "  notifications: %zu of %zu sent\n", sent, total);
  return rc;
}

static int cleanup_lines(const json_t *r, struct orch_buf *out) {
  const json_t *c = json_object_get(r, "cleanup"), *hook = json_object_get(c, "hook");
  int rc = 0;
  if (!json_is_object(c)) return 0;
  if (json_is_false(json_object_get(hook, "ok"))) rc = orch_buf_printf(out, "  cleanup hook failed: %s\n", s(hook, "error"));
  const json_t *left = json_object_get(c, "recovery_instance_ids_left");
  if (!rc && strcmp(s(c, "status"), "CLEANUP_FAILED") == 0) {
    rc = orch_buf_printf(out, "  clean-up FAILED: %s\n  left to terminate (%zu):", s(c, "reason"), json_array_size(left));
    size_t i;
    const json_t *id;
    json_array_foreach(left, i, id) {
      if (!rc) rc = orch_buf_printf(out, " %s", json_string_value(id));
    }
    if (!rc) rc = orch_buf_putc(out, '\n');
  }
  return rc;
}

int orch_exec_report_text(const json_t *r, struct orch_buf *out) {
  int rc = orch_buf_printf(out, "%s %s of %s (version %lld): %s\n", s(r, "mode"), s(r, "execution_id"), s(r, "plan_name"),
                           num(r, "plan_version"), s(r, "status"));
  if (!rc && json_is_string(json_object_get(r, "reason"))) rc = orch_buf_printf(out, "  %s\n", s(r, "reason"));
  char d[64];
  dur(d, sizeof d, json_object_get(r, "duration_ms"));
  if (!rc) rc = orch_buf_printf(out, "  started %s, ended %s, took %s\n", s(r, "started_at"), s(r, "ended_at"), d);
  if (!rc) rc = rto_line(r, out);
  if (!rc)
    rc = orch_buf_printf(out, "  servers: %lld launched, %lld failed, of %lld\n", num(r, "servers_launched"),
                         num(r, "servers_failed"), num(r, "servers_total"));
  if (!rc) rc = preflight_lines(r, out);
  size_t i;
  const json_t *w;
  json_array_foreach(json_object_get(r, "waves"), i, w) {
    dur(d, sizeof d, json_object_get(w, "duration_ms"));
    bool why = json_is_string(json_object_get(w, "reason"));
    if (!rc)
      rc = orch_buf_printf(out, "  wave %-20s %-10s %3lld/%-3lld launched  %8s%s%s\n", s(w, "name"), s(w, "status"),
                           num(w, "launched"), num(w, "servers"), d, why ? "  " : "", why ? s(w, "reason") : "");
  }
  if (!rc) rc = failure_lines(r, out);
  if (!rc) rc = hook_lines(r, out);
  if (!rc) rc = notification_lines(r, out);
  if (!rc) rc = cleanup_lines(r, out);
  return rc;
}
