/* test_api_executions: executions through the API with the real engine against the simulated region:
 * start (202 + Location; a recovery needs its confirmation), the detail (waves, servers, gates, hooks, RTO),
 * commands and the 409s the state gives (with the reason), a gate's named approvers, the report and the
 * list; the journal as JSON pages and as an event stream (every event once, in order, then "end"; resuming
 * after Last-Event-ID); streams past the workers kept for requests refused with 503; `cleanup` cutting a
 * drill's keep-for short. Waits are for states,
 * never for a time. Uses api_harness. */
#include <pthread.h>

#include "api_harness.h"

static struct api_h h;
static struct api_r r;

static void setup(void) {
  ah_start(&h, NULL, true, 1200);
  ah_r_init(&r);
}
static void teardown(void) {
  ah_r_release(&r);
  ah_stop(&h);
}

TestSuite(executions, .init = setup, .fini = teardown, .timeout = 300);

static const char PLAN[] =
  "{\"source\": \"return plan { name = \\\"gated\\\", waves = {"
  " wave \\\"db\\\" { servers = tags { App = \\\"orders\\\", Tier = \\\"db\\\" } },"
  " wave \\\"web\\\" { depends_on = { \\\"db\\\" }, servers = tags { App = \\\"orders\\\", Tier = \\\"web\\\" },"
  " approval = { message = \\\"go?\\\", approvers = { \\\"Approver\\\" } } } } }\"}";

/* Poll the execution until `cond` holds for its detail; the engine moves on its own. */
static void wait_for(const char *path, bool (*cond)(const json_t *), const char *what) {
  for (int i = 0; i < 6000; i++) {
    ah_req(&h, &r, "GET", path, h.token[4], NULL, NULL);
    AH_STATUS(&r, 200);
    if (cond(r.body)) return;
    usleep(20000);
  }
  cr_assert_fail("execution never %s: %s", what, r.text);
}

static bool gate_waiting(const json_t *x) {
  return strcmp(json_string_value(json_object_get(json_array_get(json_object_get(x, "gates"), 0), "status")), "waiting") == 0;
}

static bool finished(const json_t *x) { return strcmp(json_string_value(json_object_get(x, "status")), "CLEANED") == 0; }

static void start(char *path, size_t n) {
  ah_req(&h, &r, "POST", "/api/v1/plans", h.admin, PLAN, NULL);
  AH_STATUS(&r, 201);
  ah_req(&h, &r, "POST", "/api/v1/executions", h.token[2], "{\"plan\": \"gated\", \"mode\": \"drill\"}", NULL);
  AH_STATUS(&r, 202);
  cr_assert(orch_api_response_header(&r.raw, "Location", path, n));
  cr_assert_str_eq(ah_str(&r, "status"), "PENDING");
  cr_assert_eq(json_integer_value(json_object_get(r.body, "plan_version")), 1);
}

Test(executions, start_steer_approve_report) {
  char path[200], cmd[240];
  ah_req(&h, &r, "POST", "/api/v1/executions", h.token[2], "{\"plan\": \"nope\", \"mode\": \"drill\"}", NULL);
  AH_STATUS(&r, 404);
  start(path, sizeof path);
  ah_req(&h, &r, "POST", "/api/v1/executions", h.token[2], "{\"plan\": \"gated\", \"mode\": \"recovery\"}", NULL);
  AH_STATUS(&r, 422);
  ah_envelope(&r, "ConfirmationRequired");
  ah_req(&h, &r, "POST", "/api/v1/executions", h.token[2], "{\"plan\": \"gated\", \"mode\": \"recovery\", \"confirm\": \"Gated\"}", NULL);
  AH_STATUS(&r, 422);
  ah_req(&h, &r, "POST", "/api/v1/executions", h.token[2], "{\"plan\": \"gated\", \"mode\": \"drill\", \"version\": 7}", NULL);
  AH_STATUS(&r, 404);

  wait_for(path, gate_waiting, "waited at its gate");
  cr_assert_str_eq(ah_str(&r, "gates.0.approvers.0"), "Approver");
  cr_assert_str_eq(ah_str(&r, "waves.0.status"), "COMPLETED");
  cr_assert(orch_str_starts_with(ah_str(&r, "waves.0.servers.0.ec2_instance_id"), "i-"), "%s", r.text);
  cr_assert_str_eq(ah_str(&r, "waves.1.status"), "AWAITING_APPROVAL");

  snprintf(cmd, sizeof cmd, "%s/skip-wave", path);
  ah_req(&h, &r, "POST", cmd, h.token[2], "{\"wave\": \"db\"}", NULL);
  AH_STATUS(&r, 409);
  cr_assert(strstr(ah_str(&r, "error.message"), "started"), "%s", r.text);
  snprintf(cmd, sizeof cmd, "%s/resume", path);
  ah_req(&h, &r, "POST", cmd, h.token[2], NULL, NULL);
  AH_STATUS(&r, 409);
  cr_assert(strstr(ah_str(&r, "error.message"), "not paused"), "%s", r.text);
  snprintf(cmd, sizeof cmd, "%s/pause", path);
  ah_req(&h, &r, "POST", cmd, h.token[2], NULL, NULL);
  AH_STATUS(&r, 200);
  cr_assert_str_eq(ah_str(&r, "command"), "pause");
  snprintf(cmd, sizeof cmd, "%s/resume", path);
  ah_req(&h, &r, "POST", cmd, h.token[2], "{\"reason\": \"checked\"}", NULL);
  AH_STATUS(&r, 200);
  snprintf(cmd, sizeof cmd, "%s/approve", path);
  ah_req(&h, &r, "POST", cmd, h.token[2], "{}", NULL);
  AH_STATUS(&r, 422); /* which wave? */
  ah_req(&h, &r, "POST", cmd, h.token[2], "{\"wave\": \"nowhere\"}", NULL);
  AH_STATUS(&r, 422);
  cr_assert(strstr(ah_str(&r, "error.message"), "no wave 'nowhere'"), "%s", r.text);
  ah_req(&h, &r, "POST", cmd, h.token[2], "{\"wave\": \"web\"}", NULL);
  AH_STATUS(&r, 403);
  cr_assert(strstr(ah_str(&r, "error.message"), "Approver"), "the approvers are named: %s", r.text);
  ah_req(&h, &r, "POST", cmd, h.token[3], "{\"wave\": \"web\", \"reason\": \"db looks right\"}", NULL);
  AH_STATUS(&r, 200);
  ah_req(&h, &r, "POST", cmd, h.token[3], "{\"wave\": \"web\"}", NULL);
  AH_STATUS(&r, 409);
  snprintf(cmd, sizeof cmd, "%s/cleanup", path);
  ah_req(&h, &r, "POST", cmd, h.token[2], NULL, NULL);
  AH_STATUS(&r, 409);

  wait_for(path, finished, "finished");
  cr_assert_str_eq(ah_str(&r, "outcome"), "COMPLETED");
  cr_assert_str_eq(ah_str(&r, "gates.0.status"), "approved");
  cr_assert_str_eq(ah_str(&r, "gates.0.approved_by"), "token:test-Approver");
  cr_assert(json_is_integer(json_object_get(json_object_get(r.body, "rto"), "actual_ms")), "%s", r.text);
  snprintf(cmd, sizeof cmd, "%s/cancel", path);
  ah_req(&h, &r, "POST", cmd, h.token[2], NULL, NULL);
  AH_STATUS(&r, 409);
  cr_assert(strstr(ah_str(&r, "error.message"), "finished"), "%s", r.text);
  snprintf(cmd, sizeof cmd, "%s/report", path);
  ah_req(&h, &r, "GET", cmd, h.token[4], NULL, NULL);
  AH_STATUS(&r, 200);
  cr_assert_str_eq(ah_str(&r, "outcome"), "COMPLETED");
  cr_assert_str_eq(ah_str(&r, "plan_name"), "gated");
  /* the execution's record follows its journal by a moment: wait for it, not for a time */
  for (int i = 0; i < 500; i++) {
    ah_req(&h, &r, "GET", "/api/v1/executions?plan=gated&status=CLEANED", h.token[4], NULL, NULL);
    AH_STATUS(&r, 200);
    if (json_array_size(json_object_get(r.body, "items")) == 1) break;
    usleep(10000);
  }
  cr_assert_eq(json_array_size(json_object_get(r.body, "items")), 1, "%s", r.text);
  cr_assert_str_eq(ah_str(&r, "items.0.outcome"), "COMPLETED");
  cr_assert_eq(json_is_true(json_object_get(json_array_get(json_object_get(r.body, "items"), 0), "finished")), 1);
  ah_req(&h, &r, "GET", "/api/v1/audit?action=execution.approve", h.admin, NULL, NULL);
  cr_assert_str_eq(ah_str(&r, "items.0.details.reason"), "db looks right");
  ah_req(&h, &r, "GET", "/api/v1/plans", h.admin, NULL, NULL);
  char plan[200];
  snprintf(plan, sizeof plan, "/api/v1/plans/%s", ah_str(&r, "items.0.id"));
  ah_req(&h, &r, "DELETE", plan, h.admin, NULL, NULL);
  AH_STATUS(&r, 204); /* its one execution has finished */
  ah_req(&h, &r, "GET", path, h.token[4], NULL, NULL);
  AH_STATUS(&r, 200); /* and its record stays */
}

/* ---- Events ---------------------------------------------------------------------------------- */

struct capture {
  struct orch_api_stream *stream;
  struct orch_buf text;
};

static bool capture_write(void *ctx, const char *data, size_t len) {
  return orch_buf_append(&((struct capture *)ctx)->text, data, len) == 0;
}

static void *run_stream(void *arg) {
  struct capture *c = arg;
  orch_api_stream_run(c->stream, capture_write, c);
  return NULL;
}

/* Open a stream (Last-Event-ID `last`, or none) and take its stream object out of the response. */
static struct orch_api_stream *open_stream(const char *events, const char *last) {
  if (last) ah_req(&h, &r, "GET", events, h.token[4], NULL, "Accept", "text/event-stream", "Last-Event-ID", last, NULL);
  else ah_req(&h, &r, "GET", events, h.token[4], NULL, "Accept", "text/event-stream", NULL);
  AH_STATUS(&r, 200);
  cr_assert_str_eq(r.raw.content_type, "text/event-stream");
  struct orch_api_stream *s = r.raw.stream;
  cr_assert_not_null(s);
  r.raw.stream = NULL;
  return s;
}

/* The ids of the stream's events in order; ended: it said "event: end". */
static size_t ids_of(const char *text, int64_t *ids, size_t max, bool *ended) {
  size_t n = 0;
  for (const char *p = text; (p = strstr(p, "id: ")) && n < max; p += 4)
    if (p == text || p[-1] == '\n') ids[n++] = strtoll(p + 4, NULL, 10);
  *ended = strstr(text, "event: end\n") != NULL;
  return n;
}

Test(executions, events_as_pages_and_as_a_stream) {
  char path[200], events[240];
  start(path, sizeof path);
  snprintf(events, sizeof events, "%s/events", path);
  struct capture live = {.stream = open_stream(events, NULL), .text = ORCH_BUF_INIT(0)};
  pthread_t t;
  cr_assert_eq(pthread_create(&t, NULL, run_stream, &live), 0);
  wait_for(path, gate_waiting, "waited at its gate");
  char approve[240];
  snprintf(approve, sizeof approve, "%s/approve", path);
  ah_req(&h, &r, "POST", approve, h.token[3], "{\"wave\": \"web\"}", NULL);
  AH_STATUS(&r, 200);
  wait_for(path, finished, "finished");
  pthread_join(t, NULL); /* the stream ends by itself once the drill has finished */
  int64_t last = json_integer_value(json_object_get(r.body, "seq"));

  static int64_t ids[4096];
  bool ended = false;
  size_t n = ids_of(orch_buf_cstr(&live.text), ids, 4096, &ended);
  cr_assert(ended, "the stream said it ended");
  cr_assert_eq((int64_t)n, last, "every event once: %zu of %lld", n, (long long)last);
  for (size_t i = 0; i < n; i++) cr_assert_eq(ids[i], (int64_t)i + 1, "in order, no gap or repeat at %zu", i);
  cr_assert(strstr(orch_buf_cstr(&live.text), "event: ApprovalGranted\ndata: {\"seq\":"), "%.400s", orch_buf_cstr(&live.text));
  orch_api_stream_free(live.stream);
  orch_buf_free(&live.text);

  /* resuming after event 10 replays 11..last from the journal, then ends */
  struct capture again = {.stream = open_stream(events, "10"), .text = ORCH_BUF_INIT(0)};
  run_stream(&again);
  n = ids_of(orch_buf_cstr(&again.text), ids, 4096, &ended);
  cr_assert(ended);
  cr_assert_eq(ids[0], 11);
  cr_assert_eq((int64_t)n, last - 10);
  orch_api_stream_free(again.stream);
  orch_buf_free(&again.text);
  ah_req(&h, &r, "GET", events, h.token[4], NULL, "Accept", "text/event-stream", "Last-Event-ID", "ten", NULL);
  AH_STATUS(&r, 400);

  /* pages */
  char page[300];
  snprintf(page, sizeof page, "%s?limit=5", events);
  ah_req(&h, &r, "GET", page, h.token[4], NULL, NULL);
  AH_STATUS(&r, 200);
  cr_assert_eq(json_array_size(json_object_get(r.body, "items")), 5);
  cr_assert_str_eq(ah_str(&r, "items.0.type"), "ExecutionCreated");
  cr_assert_str_eq(ah_str(&r, "next_cursor"), "6");
  cr_assert_eq(json_is_false(json_object_get(r.body, "finished")), 1);
  snprintf(page, sizeof page, "%s?from=%lld", events, (long long)last);
  ah_req(&h, &r, "GET", page, h.token[4], NULL, NULL);
  cr_assert_eq(json_array_size(json_object_get(r.body, "items")), 1);
  cr_assert_eq(json_is_true(json_object_get(r.body, "finished")), 1, "%s", r.text);
  ah_req(&h, &r, "GET", "/api/v1/executions/01890000-0000-7000-8000-000000000000/events", h.token[4], NULL, NULL);
  AH_STATUS(&r, 404);
}

/* Each open stream holds an HTTP worker: past orch_api_max_streams(server.threads) a stream is refused
 * with 503 and Retry-After (the workers kept answer requests), and a closed one frees its place. */
Test(executions, streams_past_the_workers_kept_for_requests_are_503) {
  cr_assert_eq(orch_api_max_streams(1), 0);
  cr_assert_eq(orch_api_max_streams(8), 6);
  cr_assert_eq(orch_api_max_streams(600), 584);
  char path[200], events[240], retry[16];
  start(path, sizeof path);
  snprintf(events, sizeof events, "%s/events", path);
  struct orch_api_stream *open[6];
  for (int i = 0; i < 6; i++) open[i] = open_stream(events, NULL); /* server.threads is 8 here */
  ah_req(&h, &r, "GET", events, h.token[4], NULL, "Accept", "text/event-stream", NULL);
  AH_STATUS(&r, 503);
  ah_envelope(&r, "ServiceUnavailable");
  cr_assert_eq(json_integer_value(json_object_get(json_object_get(json_object_get(r.body, "error"), "details"), "max_streams")), 6,
               "%s", r.text);
  cr_assert(orch_api_response_header(&r.raw, "Retry-After", retry, sizeof retry));
  ah_req(&h, &r, "GET", events, h.token[4], NULL, NULL); /* a page is still answered */
  AH_STATUS(&r, 200);
  orch_api_stream_free(open[0]);
  open[0] = open_stream(events, NULL);
  for (int i = 0; i < 6; i++) orch_api_stream_free(open[i]);
}

/* Runs after the suite's setup (Criterion runs both): its rig is stopped and one with keep_for started. */
static void setup_keep(void) {
  static const char *const keep[] = {"exec.keep_for=24h", NULL};
  teardown();
  ah_start(&h, keep, true, 1200);
  ah_r_init(&r);
}

/* Ended, and waiting out exec.keep_for before the clean-up terminates its instances. */
static bool ended_kept(const json_t *x) {
  return json_is_string(json_object_get(x, "ended_at")) && strcmp(json_string_value(json_object_get(x, "status")), "CLEANING_UP") == 0;
}

/* A drill keeps its instances exec.keep_for after it ends; `cleanup` cuts that short (409 while it runs,
 * and once it is cleaned up). */
Test(executions, cleanup_cuts_the_keep_for_short, .init = setup_keep) {
  char path[200], cmd[240], approve[240];
  start(path, sizeof path);
  snprintf(cmd, sizeof cmd, "%s/cleanup", path);
  ah_req(&h, &r, "POST", cmd, h.token[2], NULL, NULL);
  AH_STATUS(&r, 409);
  cr_assert(strstr(ah_str(&r, "error.message"), "cancel it first"), "%s", r.text);
  wait_for(path, gate_waiting, "waited at its gate");
  snprintf(approve, sizeof approve, "%s/approve", path);
  ah_req(&h, &r, "POST", approve, h.token[3], "{\"wave\": \"web\"}", NULL);
  AH_STATUS(&r, 200);
  wait_for(path, ended_kept, "ended, keeping its instances");
  ah_req(&h, &r, "POST", cmd, h.token[2], "{\"reason\": \"done looking\"}", NULL);
  AH_STATUS(&r, 200);
  wait_for(path, finished, "cleaned up at once, not a day later");
  ah_req(&h, &r, "POST", cmd, h.token[2], NULL, NULL);
  AH_STATUS(&r, 409);
  ah_req(&h, &r, "GET", "/api/v1/audit?action=execution.cleanup", h.admin, NULL, NULL);
  cr_assert_str_eq(ah_str(&r, "items.0.details.reason"), "done looking", "%s", r.text);
}
