/* Tests for the report: the RTO as docs/execution.md defines it (from the execution's start, preflight and
 * gates included, to the last server recovered; only for an execution that recovered; nothing after
 * ExecutionEnded counted), the preflight's duration and the time waiting at gates beside it, and the
 * evidence the journal holds (every check, hook log lines, failed expectations, DRS's reasons, notifications,
 * the instances a failed clean-up left), in JSON and in text. Journals are written by hand with fixed times,
 * so each figure is known exactly. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/orch_alloc.h"
#include "core/orch_json.h"
#include "exec/orch_exec_report.h"

#define T0 1796000000000LL
#define S1 "s-00000000000000001"
#define S2 "s-00000000000000002"
#define S3 "s-00000000000000003"

static struct orch_store_event_list journal;
static size_t cap;

static void setup(void) {
  orch_json_init();
  memset(&journal, 0, sizeof journal);
  cap = 0;
}

static void teardown(void) { orch_store_event_list_release(&journal); }

TestSuite(report, .init = setup, .fini = teardown);

/* Append event `type` at T0 + `ms` with JSON `data`. */
static void ev(int64_t ms, const char *type, const char *data) {
  if (journal.count == cap) {
    cap = cap ? cap * 2 : 64;
    journal.items = orch_realloc(journal.items, cap * sizeof *journal.items);
    cr_assert_not_null(journal.items);
  }
  json_error_t jerr;
  struct orch_store_event *e = &journal.items[journal.count];
  memset(e, 0, sizeof *e);
  e->seq = (int64_t)journal.count + 1;
  e->at_ms = T0 + ms;
  snprintf(e->type, sizeof e->type, "%s", type);
  e->data = json_loads(data, 0, &jerr);
  cr_assert_not_null(e->data, "bad test JSON for %s: %s", type, jerr.text);
  journal.count++;
}

/* Fold the journal and make the report. Caller decrefs; the state is released here. */
static json_t *report(void) {
  struct orch_exec_state st;
  struct orch_error err = {0};
  orch_exec_state_init(&st);
  cr_assert_eq(orch_exec_state_from_events(&st, &journal, &err), 0, "journal: %s: %s", err.context, err.message);
  json_t *r = orch_exec_report_json(&st, &journal);
  orch_exec_state_release(&st);
  cr_assert_not_null(r);
  return r;
}

static json_int_t num(const json_t *r, const char *k) {
  cr_assert(json_is_integer(json_object_get(r, k)), "%s is not a number", k);
  return json_integer_value(json_object_get(r, k));
}

static const json_t *server(const json_t *r, const char *id) {
  size_t i;
  const json_t *s;
  json_array_foreach(json_object_get(r, "servers"), i, s) {
    if (strcmp(json_string_value(json_object_get(s, "id")), id) == 0) return s;
  }
  cr_assert_fail("no server %s in the report", id);
  return NULL;
}

/* db (after hook) → app and web in parallel, both behind gates. */
static void start(const char *mode) {
  char created[1024];
  snprintf(created, sizeof created,
           "{\"execution_id\":\"0194c6b2-0000-7000-8000-000000000001\",\"plan_id\":\"p1\",\"plan_version\":1,"
           "\"plan_name\":\"orders\",\"mode\":\"%s\",\"rto_target_ms\":600000,"
           "\"waves\":[{\"name\":\"db\",\"hooks\":[\"after\"]},"
           "{\"name\":\"app\",\"depends_on\":[\"db\"],\"approval\":\"go?\"},"
           "{\"name\":\"web\",\"depends_on\":[\"db\"],\"approval\":\"go?\",\"on_failure\":\"continue\",\"timeout_ms\":240000}]}",
           mode);
  ev(0, "ExecutionCreated", created);
  ev(0, "PreflightStarted", "{}");
  ev(1000, "ServersResolved",
     "{\"final\":true,\"servers\":[{\"id\":\"" S1 "\",\"wave\":\"db\",\"hostname\":\"db-1\"},"
     "{\"id\":\"" S2 "\",\"wave\":\"app\",\"hostname\":\"app-1\"},{\"id\":\"" S3 "\",\"wave\":\"web\",\"hostname\":\"web-1\"}]}");
  ev(2000, "PreflightChecks",
     "{\"final\":true,\"checks\":[{\"name\":\"replication healthy\",\"ok\":true,\"detail\":\"CONTINUOUS\",\"server\":\"" S1
     "\",\"wave\":\"db\"},{\"name\":\"lag within the RPO\",\"ok\":true,\"warning\":true,\"detail\":\"lag 9m\",\"server\":\"" S2 "\"}]}");
  ev(3000, "PreflightResult", "{\"ok\":true,\"passed\":2,\"failed\":0,\"warnings\":1,\"failures\":[]}");
  ev(3000, "ExecutionRunning", "{}");
  ev(3000, "WaveReady", "{\"wave\":\"db\"}");
  ev(4000, "JobRequested", "{\"wave\":\"db\",\"attempt\":1,\"chunk\":0,\"tag\":\"t1\",\"servers\":[\"" S1 "\"]}");
  ev(5000, "JobStarted", "{\"tag\":\"t1\",\"job_id\":\"j1\"}");
  ev(60000, "ServerStatus", "{\"server\":\"" S1 "\",\"job_id\":\"j1\",\"launch_status\":\"LAUNCHED\"}");
  ev(61000, "JobEnded", "{\"job_id\":\"j1\",\"status\":\"COMPLETED\"}");
  ev(61000, "HookStarted", "{\"wave\":\"db\",\"hook\":\"after\"}");
  ev(62000, "HookLog", "{\"wave\":\"db\",\"hook\":\"after\",\"level\":\"info\",\"message\":\"db up, 3 replicas\",\"where\":\"p.lua:7\"}");
  ev(62500, "HookCallRequested",
     "{\"wave\":\"db\",\"hook\":\"after\",\"seq\":1,\"op\":\"expect\",\"args\":{\"ok\":false,\"what\":\"replica lag under 1s\"},"
     "\"args_hash\":\"x\",\"where\":\"p.lua:8\"}");
  ev(62500, "HookCallCompleted", "{\"wave\":\"db\",\"hook\":\"after\",\"seq\":1,\"result\":null}");
  ev(63000, "HookFinished", "{\"wave\":\"db\",\"hook\":\"after\",\"ok\":true,\"warnings\":1}");
  ev(63000, "WaveCompleted", "{\"wave\":\"db\",\"status\":\"COMPLETED\"}");
  ev(63000, "WaveReady", "{\"wave\":\"app\"}");
  ev(63000, "WaveReady", "{\"wave\":\"web\"}");
  ev(63000, "ApprovalRequested", "{\"wave\":\"app\",\"prompt\":\"go?\"}");
  ev(63000, "ApprovalRequested", "{\"wave\":\"web\",\"prompt\":\"go?\"}");
  /* The gates overlap: waiting is 2m (their union), not 3m (their sum). */
  ev(123000, "ApprovalGranted", "{\"wave\":\"web\",\"by\":\"cli:bob\"}");
  ev(183000, "ApprovalGranted", "{\"wave\":\"app\",\"by\":\"cli:alice\"}");
  ev(124000, "JobRequested", "{\"wave\":\"web\",\"attempt\":1,\"chunk\":0,\"tag\":\"t3\",\"servers\":[\"" S3 "\"]}");
  ev(125000, "JobStarted", "{\"tag\":\"t3\",\"job_id\":\"j3\"}");
  ev(184000, "JobRequested", "{\"wave\":\"app\",\"attempt\":1,\"chunk\":0,\"tag\":\"t2\",\"servers\":[\"" S2 "\"]}");
  ev(185000, "JobStarted", "{\"tag\":\"t2\",\"job_id\":\"j2\"}");
}

Test(report, rto_counts_from_the_start_and_never_after_the_end) {
  start("drill");
  ev(300000, "ServerStatus", "{\"server\":\"" S2 "\",\"job_id\":\"j2\",\"launch_status\":\"LAUNCHED\"}");
  ev(301000, "JobEnded", "{\"job_id\":\"j2\",\"status\":\"COMPLETED\"}");
  ev(301000, "WaveCompleted", "{\"wave\":\"app\",\"status\":\"COMPLETED\"}");
  ev(364000, "WaveCompleted", "{\"wave\":\"web\",\"status\":\"FAILED\",\"reason\":\"timed out after 4m\"}");
  ev(364000, "ExecutionEnded", "{\"status\":\"PARTIAL\",\"reason\":\"wave web failed\"}");
  /* web's server launches after the end (its job went on): that recovered nothing. */
  ev(500000, "ServerStatus", "{\"server\":\"" S3 "\",\"job_id\":\"j3\",\"launch_status\":\"LAUNCHED\"}");
  ev(501000, "JobEnded", "{\"job_id\":\"j3\",\"status\":\"COMPLETED\"}");
  ev(502000, "CleanupStarted", "{\"after_ms\":" "1796000364000" "}");
  json_t *r = report();
  cr_expect_eq(num(r, "rto_ms"), 300000, "to app's server, from the start (preflight and gates included)");
  cr_expect(json_is_true(json_object_get(r, "rto_met")));
  cr_expect_eq(num(r, "preflight_duration_ms"), 3000);
  cr_expect_eq(num(r, "approval_wait_ms"), 120000, "the union of the overlapping gates");
  cr_expect_eq(num(r, "duration_ms"), 364000);
  cr_expect_str_eq(json_string_value(json_object_get(r, "outcome")), "PARTIAL");
  cr_expect_str_eq(json_string_value(json_object_get(r, "started_at")), json_string_value(json_object_get(r, "created_at")));
  cr_expect(json_is_null(json_object_get(server(r, S3), "rto_ms")), "a launch after the end is no recovery");
  cr_expect(json_is_null(json_object_get(server(r, S3), "recovered_at")));
  cr_expect_eq(num(server(r, S1), "rto_ms"), 63000, "db's server recovered when its after hook passed");
  json_decref(r);
}

Test(report, a_failed_or_cancelled_execution_has_no_rto) {
  start("recovery");
  ev(300000, "ServerStatus", "{\"server\":\"" S2 "\",\"job_id\":\"j2\",\"launch_status\":\"LAUNCHED\"}");
  ev(301000, "WaveCompleted", "{\"wave\":\"app\",\"status\":\"FAILED\",\"reason\":\"after hook failed\"}");
  ev(301000, "ExecutionEnded", "{\"status\":\"FAILED\",\"reason\":\"wave app failed\"}");
  json_t *r = report();
  cr_expect(json_is_null(json_object_get(r, "rto_ms")), "FAILED: nothing was recovered to measure");
  cr_expect(json_is_null(json_object_get(r, "rto_met")));
  struct orch_buf b = ORCH_BUF_INIT(0);
  cr_assert_eq(orch_exec_report_text(r, &b), 0);
  cr_expect(strstr(orch_buf_cstr(&b), "RTO - (it ended FAILED: nothing was recovered to measure)"), "%s", orch_buf_cstr(&b));
  orch_buf_free(&b);
  json_decref(r);
}

/* The journal's evidence: every check, hook log lines, the expectation that did not hold, DRS's reason for
 * a failed launch and the attempt it belonged to, notifications, in JSON and in the text. */
Test(report, carries_the_evidence) {
  start("recovery");
  ev(200000, "ServerStatus", "{\"server\":\"" S3 "\",\"job_id\":\"j3\",\"launch_status\":\"FAILED\",\"failure\":\"LAUNCH_FAILED reported by DRS\"}");
  ev(201000, "JobEnded", "{\"job_id\":\"j3\",\"status\":\"COMPLETED\"}");
  ev(202000, "JobLog", "{\"job_id\":\"j3\",\"failures\":[{\"server\":\"" S3 "\",\"event\":\"LAUNCH_FAILED\",\"error\":\"InsufficientInstanceCapacity\"}]}");
  ev(202000, "WaveCompleted", "{\"wave\":\"web\",\"status\":\"FAILED\",\"reason\":\"1 of 1 servers failed to launch\"}");
  ev(203000, "NotificationRequested", "{\"kind\":\"wave_failed\",\"topic\":\"arn:aws:sns:us-east-1:111122223333:dr\",\"subject\":\"s\",\"message\":\"m\"}");
  ev(204000, "NotificationFailed", "{\"id\":" "40" ",\"error\":\"NotFound: Topic does not exist\",\"final\":true}");
  /* fix the id: the NotificationRequested's seq */
  json_object_set_new(journal.items[journal.count - 1].data, "id", json_integer(journal.items[journal.count - 2].seq));
  ev(300000, "ServerStatus", "{\"server\":\"" S2 "\",\"job_id\":\"j2\",\"launch_status\":\"LAUNCHED\"}");
  ev(301000, "JobEnded", "{\"job_id\":\"j2\",\"status\":\"COMPLETED\"}");
  ev(301000, "WaveCompleted", "{\"wave\":\"app\",\"status\":\"COMPLETED\"}");
  ev(301000, "ExecutionEnded", "{\"status\":\"PARTIAL\",\"reason\":\"wave web failed\"}");
  json_t *r = report();
  const json_t *checks = json_object_get(json_object_get(r, "preflight"), "checks");
  cr_expect_eq(json_array_size(checks), 2, "every check of the PreflightChecks events");
  cr_expect_str_eq(json_string_value(json_object_get(json_array_get(checks, 1), "detail")), "lag 9m");
  const json_t *log = json_array_get(json_object_get(r, "hook_logs"), 0);
  cr_expect_str_eq(json_string_value(json_object_get(log, "message")), "db up, 3 replicas");
  bool in_timeline = false;
  size_t i;
  const json_t *row;
  json_array_foreach(json_object_get(r, "timeline"), i, row) {
    const char *m = json_string_value(json_object_get(row, "message"));
    if (m && strcmp(m, "db up, 3 replicas") == 0) in_timeline = true;
  }
  cr_expect(in_timeline, "w:log lines are in the JSON timeline");
  const json_t *x = json_array_get(json_object_get(r, "expectations"), 0);
  cr_expect_str_eq(json_string_value(json_object_get(x, "what")), "replica lag under 1s");
  cr_expect_str_eq(json_string_value(json_object_get(x, "where")), "p.lua:8");
  const json_t *f = json_array_get(json_object_get(server(r, S3), "failures"), 0);
  cr_expect_eq(json_integer_value(json_object_get(f, "attempt")), 1);
  cr_expect_str_eq(json_string_value(json_object_get(f, "drs_error")), "InsufficientInstanceCapacity");
  const json_t *n = json_array_get(json_object_get(r, "notifications"), 0);
  cr_expect_str_eq(json_string_value(json_object_get(n, "status")), "failed");
  cr_expect_str_eq(json_string_value(json_object_get(n, "error")), "NotFound: Topic does not exist");
  struct orch_buf b = ORCH_BUF_INIT(0);
  cr_assert_eq(orch_exec_report_text(r, &b), 0);
  const char *t = orch_buf_cstr(&b);
  cr_expect(strstr(t, "preflight passed in 3s: 2 checks passed, 0 failed, 1 warning"), "%s", t);
  cr_expect(strstr(t, "warning lag within the RPO (" S2 " app-1): lag 9m"), "%s", t);
  cr_expect(strstr(t, "of which: preflight 3s, waiting for approval 2m"), "%s", t);
  cr_expect(strstr(t, "failed: " S3 " (web-1) in wave web, attempt 1: LAUNCH_FAILED reported by DRS (DRS: InsufficientInstanceCapacity)"), "%s", t);
  cr_expect(strstr(t, "w:expect did not hold: db/after: replica lag under 1s (p.lua:8)"), "%s", t);
  cr_expect(strstr(t, "log db/after: db up, 3 replicas"), "%s", t);
  cr_expect(strstr(t, "notification wave_failed to arn:aws:sns:us-east-1:111122223333:dr: NOT SENT: NotFound"), "%s", t);
  orch_buf_free(&b);
  json_decref(r);
}
