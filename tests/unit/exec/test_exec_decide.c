/* Tests for decide, the engine's one decision function: each case is a state (built from journal events),
 * an input and a time, and the events and effects decide answers with, as tables. No I/O and no clock:
 * a case can only fail because decide decided something else. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/orch_json.h"
#include "exec/orch_exec_decide.h"

#define T0 1796000000000LL
#define S1 "s-00000000000000001"
#define S2 "s-00000000000000002"
#define S3 "s-00000000000000003"

static struct orch_exec_state st;
static struct orch_exec_inflight fl;
static struct orch_exec_admission *adm;
static struct orch_exec_decision dec;
static const struct orch_exec_state *lives[2];
static size_t nlives;
static bool approve_all;

static void setup(void) {
  orch_json_init();
  orch_exec_state_init(&st);
  orch_exec_inflight_init(&fl);
  orch_exec_decision_init(&dec);
  cr_assert_eq(orch_exec_admission_new(&adm), 0);
  lives[0] = &st;
  nlives = 1;
  approve_all = false;
}

static void teardown(void) {
  orch_exec_decision_release(&dec);
  orch_exec_inflight_reset(&fl);
  orch_exec_state_release(&st);
  orch_exec_admission_free(adm);
}

TestSuite(decide, .init = setup, .fini = teardown);

/* Apply one journal event to the state (what the journal already holds before the case). */
/* Apply an event journaled at `at_ms`. */
static void ev_at(int64_t at_ms, const char *type, const char *data) {
  json_error_t jerr;
  json_t *j = json_loads(data, 0, &jerr);
  cr_assert_not_null(j, "bad test JSON for %s: %s", type, jerr.text);
  struct orch_error err = {0};
  struct orch_exec_event e = {.seq = st.seq + 1, .at_ms = at_ms, .type = type, .data = j};
  cr_assert_eq(orch_exec_apply(&st, &e, &err), 0, "%s: %s: %s", type, err.context, err.message);
  json_decref(j);
}

static void ev(const char *type, const char *data) { ev_at(T0 + st.seq, type, data); }

static bool record_only; /* the serverless API's engine */

static struct orch_exec_env env(void) {
  return (struct orch_exec_env){.default_account = "111122223333", .default_region = "us-east-1", .poll_ms = 5000,
                                .keep_for_ms = 0, .approve_all = approve_all, .record_only = record_only,
                                .admission = adm, .lives = lives,
                                .nlives = nlives};
}

/* Decide once; the decision's events as "A,B,C" and effects as "purpose:key,..." */
static int decide_at(const struct orch_exec_input *in, int64_t now, char *events, size_t en, char *effects, size_t fn) {
  orch_exec_decision_release(&dec);
  struct orch_exec_env e = env();
  struct orch_error err = {0};
  int rc = orch_exec_decide(&st, &fl, &e, in, now, &dec, &err);
  cr_assert_eq(rc, 0, "decide failed: %s: %s", err.context, err.message);
  events[0] = effects[0] = '\0';
  size_t i;
  json_t *x;
  json_array_foreach(dec.events, i, x) {
    size_t len = strlen(events);
    snprintf(events + len, en - len, "%s%s", i ? "," : "", json_string_value(json_object_get(x, "type")));
  }
  for (i = 0; i < dec.neffects; i++) {
    size_t len = strlen(effects);
    snprintf(effects + len, fn - len, "%s%s:%s", i ? "," : "", orch_exec_purpose_name(dec.effects[i].purpose),
             dec.effects[i].key);
  }
  return rc;
}

static const struct orch_exec_input tick = {.kind = ORCH_IN_TICK};

static json_t *event_data(size_t i) { return json_object_get(json_array_get(dec.events, i), "data"); }

/* The decision's first effect for `p`, or NULL. */
static struct orch_exec_effect *find_effect(enum orch_exec_purpose p) {
  for (size_t i = 0; i < dec.neffects; i++)
    if (dec.effects[i].purpose == p) return &dec.effects[i];
  return NULL;
}

/* The decision's first effect for `p`; the case fails when there is none. */
static struct orch_exec_effect *effect_of(enum orch_exec_purpose p) {
  struct orch_exec_effect *e = find_effect(p);
  if (!e) {
    cr_assert_fail("no %s effect", orch_exec_purpose_name(p));
    abort();
  }
  return e;
}

#define CREATED(mode, waves)                                                                                     \
  "{\"execution_id\":\"0194c6b2-0000-7000-8000-000000000001\",\"plan_id\":\"p1\",\"plan_name\":\"orders\","    \
  "\"mode\":\"" mode "\",\"waves\":" waves "}"

static const char *two_waves = "[{\"name\":\"db\"},{\"name\":\"app\",\"depends_on\":[\"db\"]}]";

static const char *db_app_servers = "[{\"id\":\"" S1 "\",\"wave\":\"db\"},{\"id\":\"" S2 "\",\"wave\":\"app\"},"
                                    "{\"id\":\"" S3 "\",\"wave\":\"app\"}]";

/* Created with `waves`, preflight passed with `servers`, running; the account's quotas known. */
static void running_with(const char *mode, const char *waves, const char *servers) {
  char created[2048], resolved[2048];
  snprintf(created, sizeof created, CREATED("%s", "%s"), mode, waves);
  snprintf(resolved, sizeof resolved, "{\"servers\":%s}", servers);
  ev("ExecutionCreated", created);
  ev("PreflightStarted", "{}");
  ev("ServersResolved", resolved);
  ev("PreflightResult", "{\"ok\":true}");
  ev("ExecutionRunning", "{}");
  cr_assert_eq(orch_exec_admission_set_quotas(adm, "111122223333", "us-east-1", NULL), 0);
}

static void running(const char *mode, const char *waves) { running_with(mode, waves, db_app_servers); }

Test(decide, a_new_execution_asks_for_its_preflight) {
  ev("ExecutionCreated", CREATED("drill", "[{\"name\":\"db\"}]"));
  char e[512], f[512];
  decide_at(&tick, T0, e, sizeof e, f, sizeof f);
  cr_assert_str_eq(e, "PreflightStarted");
  cr_assert_str_eq(f, "preflight:0194c6b2-0000-7000-8000-000000000001");
  /* Asked again while it is out: nothing more. */
  decide_at(&tick, T0 + 1000, e, sizeof e, f, sizeof f);
  cr_assert_str_eq(e, "");
  cr_assert_str_eq(f, "");
}

Test(decide, a_passed_preflight_runs_and_first_reads_the_quotas) {
  ev("ExecutionCreated", CREATED("drill", "[{\"name\":\"db\"}]"));
  ev("PreflightStarted", "{}");
  fl.preflight = true;
  json_t *out = json_loads("{\"ok\":true,\"servers\":[{\"id\":\"" S1 "\",\"wave\":\"db\"}],"
                           "\"checks\":[{\"name\":\"server exists\",\"ok\":true,\"detail\":\"\"}]}", 0, NULL);
  struct orch_exec_input in = {.kind = ORCH_IN_ANSWER, .answer = {.purpose = ORCH_FX_PREFLIGHT, .key = "", .output = out}};
  char e[512], f[512];
  decide_at(&in, T0, e, sizeof e, f, sizeof f);
  json_decref(out);
  cr_assert_str_eq(e, "ServersResolved,PreflightChecks,PreflightResult,ExecutionRunning,WaveReady");
  cr_assert_str_eq(f, "quotas:111122223333/us-east-1", "no launch before the account's real quotas are known");
  cr_assert_eq(orch_exec_admission_quota_state(adm, "111122223333", "us-east-1"), ORCH_QUOTAS_ASKED);
}

Test(decide, a_launch_is_journaled_before_its_start_recovery) {
  running("drill", two_waves);
  char e[512], f[512];
  decide_at(&tick, T0, e, sizeof e, f, sizeof f);
  cr_assert_str_eq(e, "WaveReady,JobRequested");
  cr_assert_str_eq(f, "start:0194c6b2-0000-7000-8000-000000000001/db/1/0");
  struct orch_exec_effect *start = effect_of(ORCH_FX_START);
  cr_assert(json_is_true(json_object_get(start->input, "isDrill")));
  cr_assert_str_eq(json_string_value(json_object_get(json_object_get(start->input, "tags"), "drsorch:launch")),
                   "0194c6b2-0000-7000-8000-000000000001/db/1/0");
}

/* A wave name of the maximal length still gives every chunk and attempt its own tag. */
Test(decide, long_wave_names_keep_tags_unique) {
  char name[ORCH_EXEC_NAME_MAX];
  memset(name, 'w', sizeof name - 1);
  name[sizeof name - 1] = '\0';
  char waves[512];
  snprintf(waves, sizeof waves, "[{\"name\":\"%s\"}]", name);
  char created[1024];
  snprintf(created, sizeof created, CREATED("drill", "%s"), waves);
  ev("ExecutionCreated", created);
  ev("PreflightStarted", "{}");
  char servers[2048] = "{\"servers\":[";
  for (int i = 0; i < 5; i++) {
    size_t len = strlen(servers);
    snprintf(servers + len, sizeof servers - len, "%s{\"id\":\"s-0000000000000000%d\",\"wave\":\"%s\"}", i ? "," : "", i, name);
  }
  size_t len = strlen(servers);
  snprintf(servers + len, sizeof servers - len, "]}");
  ev("ServersResolved", servers);
  ev("PreflightResult", "{\"ok\":true}");
  ev("ExecutionRunning", "{}");
  struct orch_exec_quotas q = {.servers_per_job = 2, .concurrent_jobs = 20, .servers_in_active_jobs = 500};
  cr_assert_eq(orch_exec_admission_set_quotas(adm, "111122223333", "us-east-1", &q), 0);
  char e[512], f[4096];
  decide_at(&tick, T0, e, sizeof e, f, sizeof f);
  cr_assert_str_eq(e, "WaveReady,JobRequested,JobRequested,JobRequested");
  cr_assert_eq(st.njobs, 3);
  for (size_t i = 0; i < 3; i++) {
    cr_assert_eq(strlen(st.jobs[i].tag), strlen(st.id) + 1 + strlen(name) + 4, "tag %s cut", st.jobs[i].tag);
    for (size_t k = 0; k < i; k++) cr_assert_str_neq(st.jobs[i].tag, st.jobs[k].tag);
  }
}

static const char *TAG = "0194c6b2-0000-7000-8000-000000000001/db/1/0";

static struct orch_exec_input answer(enum orch_exec_purpose p, const char *key, int rc, const json_t *output,
                                     const struct orch_aws_error *aerr, const json_t *context) {
  return (struct orch_exec_input){.kind = ORCH_IN_ANSWER,
                                  .answer = {.purpose = p, .key = key, .rc = rc, .output = output, .aerr = aerr, .context = context}};
}

/* An unclear StartRecovery (a 5xx) is looked up by its tag, and sent again only after its deadline plus
 * the grace for DRS's eventually consistent reads, and two spaced look-ups that both missed. */
Test(decide, an_unclear_launch_is_resent_only_after_the_grace_and_two_misses) {
  running("drill", two_waves);
  char e[512], f[512], find[300], start[300];
  snprintf(find, sizeof find, "find:%s", TAG);
  snprintf(start, sizeof start, "start:%s", TAG);
  decide_at(&tick, T0, e, sizeof e, f, sizeof f);
  cr_assert_str_eq(f, start);
  struct orch_aws_error five = {.http_status = 503, .retryable = true, .retry_after_ms = -1};
  snprintf(five.code, sizeof five.code, "ServiceUnavailable");
  struct orch_exec_input unclear = answer(ORCH_FX_START, TAG, ORCH_EAWS, NULL, &five, NULL);
  decide_at(&unclear, T0 + 1000, e, sizeof e, f, sizeof f);
  cr_assert_str_eq(f, find, "looked up by its tag at once");
  json_t *none = json_loads("{\"items\":[]}", 0, NULL);
  struct orch_exec_input miss = answer(ORCH_FX_FIND, TAG, 0, none, NULL, NULL);
  int64_t grace_over = T0 + ORCH_EXEC_REQUEST_DEADLINE_MS + ORCH_EXEC_FIND_GRACE_MS;
  decide_at(&miss, T0 + 2000, e, sizeof e, f, sizeof f);
  cr_assert_str_eq(f, "", "one miss proves nothing");
  cr_assert_geq(dec.next_wake_ms, grace_over, "the next look-up waits for the grace");
  decide_at(&tick, grace_over - 1, e, sizeof e, f, sizeof f);
  cr_assert_str_eq(f, "", "nothing before it is due");
  decide_at(&tick, dec.next_wake_ms ? dec.next_wake_ms : grace_over, e, sizeof e, f, sizeof f);
  cr_assert_str_eq(f, find);
  decide_at(&miss, grace_over + 1, e, sizeof e, f, sizeof f);
  cr_assert_str_eq(f, start, "two spaced misses after the grace: it was never created");
  cr_assert_str_eq(e, "", "a resend is not a new launch: no new JobRequested");
  /* A look-up that finds it adopts it instead. */
  json_t *found = json_pack("{s:[{s:s, s:{s:s}}]}", "items", "jobID", "drsjob-1", "tags", "drsorch:launch", TAG);
  struct orch_exec_input hit = answer(ORCH_FX_FIND, TAG, 0, found, NULL, NULL);
  decide_at(&hit, grace_over + 2, e, sizeof e, f, sizeof f);
  cr_assert_str_eq(e, "JobStarted");
  cr_assert(json_is_true(json_object_get(event_data(0), "adopted")));
  json_decref(found);
  json_decref(none);
}

/* After a restart nothing is in flight: a job requested but unanswered is looked up before it is sent. */
Test(decide, a_restart_looks_a_requested_job_up_before_sending_it) {
  running("drill", two_waves);
  ev("WaveReady", "{\"wave\":\"db\"}");
  char job[512];
  snprintf(job, sizeof job, "{\"wave\":\"db\",\"attempt\":1,\"chunk\":0,\"tag\":\"%s\",\"servers\":[\"" S1 "\"]}", TAG);
  ev("JobRequested", job);
  char e[512], f[512], find[300];
  snprintf(find, sizeof find, "find:%s", TAG);
  decide_at(&tick, T0 + 5000, e, sizeof e, f, sizeof f);
  cr_assert_str_eq(e, "");
  cr_assert_str_eq(f, find);
}

/* retry(n): when the first attempt's job ends, it touches only the servers it launched: a server
 * relaunched since belongs to its new job and is not failed as "not reported by its job". */
Test(decide, a_finished_job_only_touches_its_own_attempt) {
  running_with("drill", "[{\"name\":\"db\",\"on_failure\":\"retry\",\"retries\":2}]",
               "[{\"id\":\"" S1 "\",\"wave\":\"db\"},{\"id\":\"" S2 "\",\"wave\":\"db\"}]");
  ev("WaveReady", "{\"wave\":\"db\"}");
  ev("JobRequested", "{\"wave\":\"db\",\"attempt\":1,\"chunk\":0,\"tag\":\"t1\",\"servers\":[\"" S1 "\",\"" S2 "\"]}");
  ev("JobStarted", "{\"tag\":\"t1\",\"job_id\":\"j1\"}");
  ev("ServerStatus", "{\"server\":\"" S1 "\",\"job_id\":\"j1\",\"launch_status\":\"LAUNCHED\",\"private_ip\":\"10.0.0.1\"}");
  ev("ServerStatus", "{\"server\":\"" S2 "\",\"job_id\":\"j1\",\"launch_status\":\"FAILED\"}");
  ev("WaveRetry", "{\"wave\":\"db\",\"attempt\":2}");
  ev("JobRequested", "{\"wave\":\"db\",\"attempt\":2,\"chunk\":0,\"tag\":\"t2\",\"servers\":[\"" S2 "\"]}");
  ev("JobStarted", "{\"tag\":\"t2\",\"job_id\":\"j2\"}");
  json_t *out = json_loads("{\"items\":[{\"jobID\":\"j1\",\"status\":\"COMPLETED\",\"participatingServers\":["
                           "{\"sourceServerID\":\"" S1 "\",\"launchStatus\":\"LAUNCHED\"},"
                           "{\"sourceServerID\":\"" S2 "\",\"launchStatus\":\"FAILED\"}]}]}", 0, NULL);
  json_t *ctx = json_loads("{\"ids\":[\"j1\",\"j2\"]}", 0, NULL);
  struct orch_exec_input poll = answer(ORCH_FX_POLL, "111122223333/us-east-1", 0, out, NULL, ctx);
  char e[512], f[512];
  decide_at(&poll, T0 + 60000, e, sizeof e, f, sizeof f);
  cr_assert_str_eq(e, "JobEnded", "only the first job ends; S2's new launch is untouched");
  cr_assert_eq(st.servers[1].launch, ORCH_LAUNCH_PENDING);
  cr_assert_str_eq(st.servers[1].job_id, "j2");
  json_decref(out);
  json_decref(ctx);
}

/* Commands that do not fit are refused with the reason; a gate with approvers opens only for them. */
Test(decide, commands_say_why_they_are_refused_and_approvers_are_enforced) {
  running("recovery", "[{\"name\":\"db\"},{\"name\":\"app\",\"depends_on\":[\"db\"],\"approval\":\"ok?\","
                      "\"approvers\":[\"dba-oncall\",\"carol\"]}]");
  ev("WaveReady", "{\"wave\":\"app\"}");
  ev("ApprovalRequested", "{\"wave\":\"app\",\"prompt\":\"ok?\"}");
  struct {
    enum orch_exec_command cmd;
    const char *wave, *by, *role;
    int rc;
    const char *message, *events;
  } table[] = {
      {ORCH_CMD_APPROVE, "db", "alice", "Admin", ORCH_ESTATE, "wave db is not waiting for approval (it is PENDING)", ""},
      {ORCH_CMD_APPROVE, "nope", "alice", "Admin", ORCH_ENOTFOUND, "execution 0194c6b2-0000-7000-8000-000000000001 has no wave 'nope'", ""},
      {ORCH_CMD_RESUME, NULL, "alice", "", ORCH_ESTATE, "execution 0194c6b2-0000-7000-8000-000000000001 is not paused (it is RUNNING)", ""},
      {ORCH_CMD_CLEANUP, NULL, "alice", "", ORCH_ESTATE, "only a drill is cleaned up (execution 0194c6b2-0000-7000-8000-000000000001 is a recovery)", ""},
      {ORCH_CMD_APPROVE, "app", "alice", "Admin", ORCH_EPERM, "only the wave's approvers may approve it: [\"dba-oncall\",\"carol\"] (not alice)", ""},
      {ORCH_CMD_APPROVE, "app", "bob", "dba-oncall", 0, NULL, "ApprovalGranted"},
  };
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
    struct orch_exec_input in = {.kind = ORCH_IN_COMMAND,
                                 .command = {.cmd = table[i].cmd, .wave = table[i].wave, .by = table[i].by, .role = table[i].role}};
    char e[512], f[512];
    decide_at(&in, T0 + 1000, e, sizeof e, f, sizeof f);
    cr_assert_eq(dec.command_rc, table[i].rc, "row %zu: %s", i, dec.command_err.message);
    if (table[i].message) cr_assert_str_eq(dec.command_err.message, table[i].message, "row %zu", i);
    cr_assert(strncmp(e, table[i].events, strlen(table[i].events)) == 0, "row %zu: events %s", i, e);
  }
  cr_assert_str_eq(json_string_value(json_object_get(event_data(0), "by")), "bob");
  cr_assert_str_eq(json_string_value(json_object_get(event_data(0), "role")), "dba-oncall");
}

/* The serverless API journals an approval and does nothing else: no launch from the API function (its role
 * has no recovery actions); the state machine's next step, deciding in full, launches the wave. */
Test(decide, a_record_only_command_is_journaled_and_nothing_else) {
  running_with("drill", "[{\"name\":\"db\",\"approval\":\"ok?\"}]", "[{\"id\":\"" S1 "\",\"wave\":\"db\"}]");
  ev("WaveReady", "{\"wave\":\"db\"}");
  ev("ApprovalRequested", "{\"wave\":\"db\",\"prompt\":\"ok?\"}");
  struct orch_exec_input approve = {.kind = ORCH_IN_COMMAND, .command = {.cmd = ORCH_CMD_APPROVE, .wave = "db", .by = "bob"}};
  char e[512], f[512];
  record_only = true;
  decide_at(&approve, T0 + 1000, e, sizeof e, f, sizeof f);
  cr_assert_eq(dec.command_rc, 0, "%s", dec.command_err.message);
  cr_assert_str_eq(e, "ApprovalGranted");
  cr_assert_str_eq(f, "", "no AWS call from the API");
  record_only = false;
  decide_at(&tick, T0 + 2000, e, sizeof e, f, sizeof f);
  cr_assert(strstr(e, "JobRequested"), "the next full step launches: %s", e);
  cr_assert(strstr(f, "start:"), "%s", f);
}

/* notify: every topic the plan names, only the events it lists; sent as effects after being journaled. */
Test(decide, notifications_go_to_every_topic_for_the_listed_events) {
  char created[1024];
  snprintf(created, sizeof created,
           "{\"execution_id\":\"0194c6b2-0000-7000-8000-000000000001\",\"plan_name\":\"orders\",\"mode\":\"drill\","
           "\"waves\":[{\"name\":\"db\"}],\"notify_topics\":[\"arn:aws:sns:us-east-1:111122223333:a\","
           "\"arn:aws:sns:eu-west-1:444455556666:b\"],\"notify_events\":[\"execution_started\"]}");
  ev("ExecutionCreated", created);
  ev("PreflightStarted", "{}");
  ev("ServersResolved", "{\"servers\":[{\"id\":\"" S1 "\",\"wave\":\"db\"}]}");
  ev("PreflightResult", "{\"ok\":true}");
  char e[512], f[512];
  decide_at(&tick, T0, e, sizeof e, f, sizeof f);
  cr_assert(strncmp(e, "ExecutionRunning,NotificationRequested,NotificationRequested,WaveReady", 70) == 0, "%s", e);
  cr_assert(strstr(f, "notify:6") && strstr(f, "notify:7"), "both published: %s", f);
  struct orch_exec_effect *n = effect_of(ORCH_FX_NOTIFY);
  cr_assert_str_eq(n->region, "us-east-1");
  cr_assert_str_eq(n->account, "111122223333");
  cr_assert_str_eq(dec.effects[1].region, "eu-west-1", "the second topic is published in its own region");
  /* wave_started is not among the events: a launch notifies nobody */
  cr_assert_null(strstr(e, "NotificationRequested,JobRequested"));
}

/* A drill's clean-up whose terminations keep failing backs off and then gives up as CLEANUP_FAILED,
 * naming the instances left to terminate. */
Test(decide, a_failing_cleanup_backs_off_and_gives_up) {
  running_with("drill", "[{\"name\":\"db\"}]", "[{\"id\":\"" S1 "\",\"wave\":\"db\"}]");
  ev("WaveReady", "{\"wave\":\"db\"}");
  ev("JobRequested", "{\"wave\":\"db\",\"attempt\":1,\"chunk\":0,\"tag\":\"t1\",\"servers\":[\"" S1 "\"]}");
  ev("JobStarted", "{\"tag\":\"t1\",\"job_id\":\"j1\"}");
  ev("ServerStatus", "{\"server\":\"" S1 "\",\"job_id\":\"j1\",\"launch_status\":\"LAUNCHED\",\"recovery_instance_id\":\"i-1\"}");
  ev("JobEnded", "{\"job_id\":\"j1\"}");
  ev("ExecutionEnded", "{\"status\":\"CANCELLED\",\"reason\":\"test\"}");
  ev("CleanupStarted", "{\"after_ms\":0}");
  char e[512], f[512];
  int64_t now = T0 + 1000;
  for (int i = 1; i <= ORCH_EXEC_CLEANUP_TRIES; i++) {
    decide_at(&tick, now, e, sizeof e, f, sizeof f);
    cr_assert_str_eq(f, "terminate:0", "try %d", i);
    if (i == 1) cr_assert_str_eq(e, "TerminateRequested", "decided and sent in one step");
    ev("TerminateFailed", "{\"chunk\":0,\"error\":\"AccessDeniedException: not allowed\"}");
    fl.terms[0].out = false;
    decide_at(&tick, st.terms[0].failed_ms + 1, e, sizeof e, f, sizeof f);
    if (i < ORCH_EXEC_CLEANUP_TRIES) {
      cr_assert_str_eq(f, "", "backs off after failure %d", i);
      cr_assert_gt(dec.next_wake_ms, st.terms[0].failed_ms + 1);
      now = dec.next_wake_ms;
    }
  }
  cr_assert_str_eq(e, "CleanupFailed");
  cr_assert_eq(st.status, ORCH_EXEC_CLEANUP_FAILED);
  cr_assert_str_eq(json_string_value(json_array_get(json_object_get(event_data(0), "recovery_instance_ids"), 0)), "i-1");
  cr_assert(strstr(json_string_value(json_object_get(event_data(0), "reason")), "AccessDeniedException"));
}

/* A drill ended and its clean-up chunk of one recovery instance requested, in a journal this process did
 * not write. */
static void cleanup_requested_before(void) {
  running_with("drill", "[{\"name\":\"db\"}]", "[{\"id\":\"" S1 "\",\"wave\":\"db\"}]");
  ev("WaveReady", "{\"wave\":\"db\"}");
  ev("JobRequested", "{\"wave\":\"db\",\"attempt\":1,\"chunk\":0,\"tag\":\"t1\",\"servers\":[\"" S1 "\"]}");
  ev("JobStarted", "{\"tag\":\"t1\",\"job_id\":\"j1\"}");
  ev("ServerStatus", "{\"server\":\"" S1 "\",\"job_id\":\"j1\",\"launch_status\":\"LAUNCHED\",\"recovery_instance_id\":\"i-1\"}");
  ev("JobEnded", "{\"job_id\":\"j1\"}");
  ev("ExecutionEnded", "{\"status\":\"COMPLETED\"}");
  ev("CleanupStarted", "{\"after_ms\":0}");
  ev("TerminateRequested", "{\"chunks\":[{\"account\":\"111122223333\",\"region\":\"us-east-1\",\"recovery_instance_ids\":[\"i-1\"]}]}");
}

/* DescribeJobs items: a launch job of ours, another drill's TERMINATE job, and (when `ours`) the TERMINATE
 * job of recovery instance i-1. */
static json_t *jobs_listing(bool ours) {
  json_t *items = json_pack("[{s:s, s:s, s:s, s:[{s:s, s:s}]}, {s:s, s:s, s:s, s:[{s:s}]}]", "jobID", "j1", "type",
                            "LAUNCH", "creationDateTime", "2026-12-01T10:00:00Z", "participatingServers",
                            "sourceServerID", S1, "recoveryInstanceID", "i-1", "jobID", "drsjob-other", "type",
                            "TERMINATE", "creationDateTime", "2026-12-01T10:05:00Z", "participatingServers",
                            "recoveryInstanceID", "i-9");
  if (ours)
    json_array_append_new(items, json_pack("{s:s, s:s, s:s, s:[{s:s}]}", "jobID", "drsjob-t", "type", "TERMINATE",
                                           "creationDateTime", "2026-12-01T10:06:00Z", "participatingServers",
                                           "recoveryInstanceID", "i-1"));
  return json_pack("{s:o}", "items", items);
}

/* A restart during a clean-up: TerminateRecoveryInstances may have been sent and its answer lost. Its
 * job is found by its recovery instances and adopted, never a second request (which DRS refuses while
 * the first job runs, and whose job the next drill's preflight would trip over). */
Test(decide, a_restart_during_cleanup_adopts_the_termination_job) {
  cleanup_requested_before();
  char e[512], f[512];
  decide_at(&tick, T0 + 1000, e, sizeof e, f, sizeof f);
  cr_assert_str_eq(f, "terminate-find:0", "looked up, not sent");
  json_t *filters = json_object_get(effect_of(ORCH_FX_TERMINATE_FIND)->input, "filters");
  cr_assert_str_eq(json_string_value(json_object_get(filters, "fromDate")), "2026-11-30T00:43:20Z",
                   "jobs since ten minutes before the chunk was requested");
  json_t *listed = jobs_listing(true);
  struct orch_exec_input hit = answer(ORCH_FX_TERMINATE_FIND, "0", 0, listed, NULL, NULL);
  decide_at(&hit, T0 + 2000, e, sizeof e, f, sizeof f);
  cr_assert_str_eq(e, "TerminateStarted");
  cr_assert_str_eq(st.terms[0].job_id, "drsjob-t", "the TERMINATE job naming i-1, not another drill's");
  cr_assert(json_is_true(json_object_get(event_data(0), "adopted")));
  cr_assert_null(find_effect(ORCH_FX_TERMINATE));
  json_decref(listed);
}

/* Not found by two spaced look-ups after the request's deadline and the grace: it was never sent. */
Test(decide, a_restart_during_cleanup_sends_what_was_never_sent) {
  cleanup_requested_before();
  char e[512], f[512];
  decide_at(&tick, T0 + 1000, e, sizeof e, f, sizeof f);
  json_t *listed = jobs_listing(false);
  struct orch_exec_input miss = answer(ORCH_FX_TERMINATE_FIND, "0", 0, listed, NULL, NULL);
  decide_at(&miss, T0 + 2000, e, sizeof e, f, sizeof f);
  cr_assert_str_eq(f, "", "one miss proves nothing");
  int64_t due = dec.next_wake_ms;
  cr_assert_geq(due, T0 + ORCH_EXEC_REQUEST_DEADLINE_MS + ORCH_EXEC_FIND_GRACE_MS, "waits for the grace");
  decide_at(&tick, due, e, sizeof e, f, sizeof f);
  cr_assert_str_eq(f, "terminate-find:0");
  decide_at(&miss, due + 1000, e, sizeof e, f, sizeof f);
  cr_assert_str_eq(f, "terminate:0", "two spaced misses after the grace: sent");
  json_decref(listed);
}

/* DRS refuses the request because the instances are in an active job (ours, from before a restart that
 * lost the answer): the job is adopted, the chunk does not end while that job still runs. */
Test(decide, a_refused_termination_adopts_the_running_job) {
  cleanup_requested_before();
  char e[512], f[512];
  decide_at(&tick, T0 + 1000, e, sizeof e, f, sizeof f);
  fl.terms[0].out = false;
  fl.terms[0].clear = true; /* as if this process had sent it */
  decide_at(&tick, T0 + 1500, e, sizeof e, f, sizeof f);
  cr_assert_str_eq(f, "terminate:0");
  struct orch_aws_error conflict = {.http_status = 409, .retry_after_ms = -1};
  snprintf(conflict.code, sizeof conflict.code, "ConflictException");
  snprintf(conflict.message, sizeof conflict.message, "Recovery instance is participating in an active job");
  struct orch_exec_input refused = answer(ORCH_FX_TERMINATE, "0", ORCH_EAWS, NULL, &conflict, NULL);
  decide_at(&refused, T0 + 2000, e, sizeof e, f, sizeof f);
  cr_assert_str_eq(e, "", "not ended: the instances are still shutting down");
  cr_assert_str_eq(f, "terminate-find:0");
  json_t *listed = jobs_listing(true);
  struct orch_exec_input hit = answer(ORCH_FX_TERMINATE_FIND, "0", 0, listed, NULL, NULL);
  decide_at(&hit, T0 + 3000, e, sizeof e, f, sizeof f);
  cr_assert_str_eq(e, "TerminateStarted");
  cr_assert_str_eq(st.terms[0].job_id, "drsjob-t");
  cr_assert(!st.terms[0].ended, "ends when the job does");
  json_decref(listed);
}

/* No event is unbounded: 5,000 servers resolve in several events, each under the budget. */
Test(decide, a_large_preflight_is_journaled_in_bounded_events) {
  ev("ExecutionCreated", CREATED("dry-run", "[{\"name\":\"db\"}]"));
  ev("PreflightStarted", "{}");
  fl.preflight = true;
  json_t *servers = json_array(), *checks = json_array();
  for (int i = 0; i < 5000; i++) {
    char id[32];
    snprintf(id, sizeof id, "s-%017d", i);
    json_array_append_new(servers, json_pack("{s:s, s:s, s:s}", "id", id, "wave", "db", "hostname", "host-with-a-name"));
    for (int k = 0; k < 3; k++)
      json_array_append_new(checks, json_pack("{s:s, s:b, s:s, s:s}", "name", "replication healthy", "ok", 1, "detail",
                                              "replication state CONTINUOUS, lag PT1S within the RPO", "server", id));
  }
  json_t *out = json_pack("{s:b, s:o, s:o}", "ok", 1, "servers", servers, "checks", checks);
  struct orch_exec_input in = answer(ORCH_FX_PREFLIGHT, "", 0, out, NULL, NULL);
  char e[4096], f[512];
  decide_at(&in, T0, e, sizeof e, f, sizeof f);
  json_decref(out);
  cr_assert_eq(st.nservers, 5000);
  size_t n = json_array_size(dec.events), resolved = 0;
  for (size_t i = 0; i < n; i++) {
    json_t *x = json_array_get(dec.events, i);
    size_t bytes = json_dumpb(json_object_get(x, "data"), NULL, 0, JSON_COMPACT);
    cr_assert_lt(bytes, 1024 * 1024, "event %zu (%s) is %zu bytes", i, json_string_value(json_object_get(x, "type")), bytes);
    if (strcmp(json_string_value(json_object_get(x, "type")), "ServersResolved") == 0) resolved++;
  }
  cr_assert_geq(resolved, 10, "5,000 servers in chunks of at most %d", ORCH_EXEC_EVENT_ITEMS_MAX);
  cr_assert_str_eq(json_string_value(json_object_get(json_array_get(dec.events, n - 1), "type")), "ExecutionEnded");
}

/* Polls that do not list a started job (a region or endpoint that never launched it) stop the execution
 * here with the reason, instead of waiting for ever. */
Test(decide, jobs_unknown_to_the_region_halt_with_the_reason) {
  running_with("drill", "[{\"name\":\"db\"}]", "[{\"id\":\"" S1 "\",\"wave\":\"db\"}]");
  ev("WaveReady", "{\"wave\":\"db\"}");
  ev("JobRequested", "{\"wave\":\"db\",\"attempt\":1,\"chunk\":0,\"tag\":\"t1\",\"servers\":[\"" S1 "\"]}");
  ev("JobStarted", "{\"tag\":\"t1\",\"job_id\":\"drsjob-1\"}");
  json_t *none = json_loads("{\"items\":[]}", 0, NULL), *ctx = json_loads("{\"ids\":[\"drsjob-1\"]}", 0, NULL);
  struct orch_exec_input poll = answer(ORCH_FX_POLL, "111122223333/us-east-1", 0, none, NULL, ctx);
  char e[512], f[512];
  int64_t after = T0 + ORCH_EXEC_FIND_GRACE_MS + 1000;
  for (int i = 1; i < ORCH_EXEC_UNKNOWN_POLLS; i++) {
    decide_at(&poll, after + i * 5000, e, sizeof e, f, sizeof f);
    cr_assert(!dec.halt, "poll %d is not enough", i);
  }
  decide_at(&poll, after + 60000, e, sizeof e, f, sizeof f);
  cr_assert(dec.halt);
  cr_assert(strstr(dec.halt_reason, "drsjob-1") && strstr(dec.halt_reason, "--endpoint-url"), "%s", dec.halt_reason);
  json_decref(none);
  json_decref(ctx);
}

/* A request sent again after a restart (its JobRequested long ago) makes a job DRS lists only after a while
 * (eventual consistency): the grace counts from the job's answer, so polls that do not list it yet do not
 * stop the execution (they did: the crash campaign's drill halted with "DRS does not know 1 job"). */
Test(decide, a_job_sent_again_after_a_restart_gets_its_grace_from_its_answer) {
  running_with("drill", "[{\"name\":\"db\"}]", "[{\"id\":\"" S1 "\",\"wave\":\"db\"}]");
  ev("WaveReady", "{\"wave\":\"db\"}");
  ev("JobRequested", "{\"wave\":\"db\",\"attempt\":1,\"chunk\":0,\"tag\":\"t1\",\"servers\":[\"" S1 "\"]}");
  int64_t answered = T0 + 10 * ORCH_EXEC_FIND_GRACE_MS; /* re-sent long after the request was journaled */
  ev_at(answered, "JobStarted", "{\"tag\":\"t1\",\"job_id\":\"drsjob-1\"}");
  json_t *none = json_loads("{\"items\":[]}", 0, NULL), *ctx = json_loads("{\"ids\":[\"drsjob-1\"]}", 0, NULL);
  struct orch_exec_input poll = answer(ORCH_FX_POLL, "111122223333/us-east-1", 0, none, NULL, ctx);
  char e[512], f[512];
  for (int i = 1; i <= 2 * ORCH_EXEC_UNKNOWN_POLLS; i++) {
    decide_at(&poll, answered + i * 1000, e, sizeof e, f, sizeof f);
    cr_assert(!dec.halt, "poll %d, %d s after DRS answered: %s", i, i, dec.halt_reason);
  }
  for (int i = 1; i <= ORCH_EXEC_UNKNOWN_POLLS; i++)
    decide_at(&poll, answered + ORCH_EXEC_FIND_GRACE_MS + i * 5000, e, sizeof e, f, sizeof f);
  cr_assert(dec.halt, "still unlisted a grace after its answer: the region does not know it");
  json_decref(none);
  json_decref(ctx);
}

/* A cancelled execution resumed in a new process never runs its wave hooks again: the interrupted hook
 * is finished, not replayed. */
Test(decide, a_cancelled_execution_does_not_replay_its_hooks) {
  running_with("drill", "[{\"name\":\"db\",\"hooks\":[\"after\"]}]", "[{\"id\":\"" S1 "\",\"wave\":\"db\"}]");
  ev("WaveReady", "{\"wave\":\"db\"}");
  ev("JobRequested", "{\"wave\":\"db\",\"attempt\":1,\"chunk\":0,\"tag\":\"t1\",\"servers\":[\"" S1 "\"]}");
  ev("JobStarted", "{\"tag\":\"t1\",\"job_id\":\"j1\"}");
  ev("ServerStatus", "{\"server\":\"" S1 "\",\"job_id\":\"j1\",\"launch_status\":\"LAUNCHED\",\"private_ip\":\"10.0.0.1\"}");
  ev("HookStarted", "{\"wave\":\"db\",\"hook\":\"after\"}");
  ev("CancelRequested", "{\"by\":\"op\"}");
  char e[512], f[512];
  decide_at(&tick, T0 + 1000, e, sizeof e, f, sizeof f);
  cr_assert_null(strstr(f, "hook-start"), "no replay: %s", f);
  cr_assert(strncmp(e, "HookFinished", 12) == 0, "%s", e);
  cr_assert_str_eq(json_string_value(json_object_get(event_data(0), "error")), "the execution was cancelled");
}

/* An execution that ends with a DRS job still running stays live and polled: its servers count against
 * the quotas until DRS says the job ended. */
Test(decide, an_ended_execution_keeps_its_running_jobs_counted_and_polled) {
  running_with("recovery", "[{\"name\":\"db\"}]", "[{\"id\":\"" S1 "\",\"wave\":\"db\"}]");
  ev("WaveReady", "{\"wave\":\"db\"}");
  ev("JobRequested", "{\"wave\":\"db\",\"attempt\":1,\"chunk\":0,\"tag\":\"t1\",\"servers\":[\"" S1 "\"]}");
  ev("JobStarted", "{\"tag\":\"t1\",\"job_id\":\"j1\"}");
  ev("ExecutionEnded", "{\"status\":\"FAILED\",\"reason\":\"timed out\"}");
  cr_assert(!orch_exec_done(&st), "not done while its job runs");
  int jobs = 0, servers = 0;
  orch_exec_admission_usage(lives, nlives, "111122223333", "us-east-1", "111122223333", "us-east-1", &jobs, &servers);
  cr_assert_eq(jobs, 1);
  cr_assert_eq(servers, 1);
  struct orch_exec_input poll = {.kind = ORCH_IN_POLL};
  char e[512], f[512];
  decide_at(&poll, T0 + 5000, e, sizeof e, f, sizeof f);
  cr_assert_str_eq(f, "poll:111122223333/us-east-1");
  json_t *done = json_loads("{\"items\":[{\"jobID\":\"j1\",\"status\":\"COMPLETED\"}]}", 0, NULL);
  json_t *ctx = json_loads("{\"ids\":[\"j1\"]}", 0, NULL);
  struct orch_exec_input ans = answer(ORCH_FX_POLL, "111122223333/us-east-1", 0, done, NULL, ctx);
  decide_at(&ans, T0 + 6000, e, sizeof e, f, sizeof f);
  cr_assert(strstr(e, "JobEnded"), "%s", e);
  /* The job did not report its server: it failed, so the job's log is read for DRS's reason first. */
  cr_assert(strstr(f, "job-log:j1"), "%s", f);
  cr_assert(!orch_exec_done(&st), "not done before the failed job's log is recorded");
  struct orch_aws_error denied = {.http_status = 403, .retry_after_ms = -1};
  snprintf(denied.code, sizeof denied.code, "AccessDeniedException");
  struct orch_exec_input refused = answer(ORCH_FX_JOB_LOG, "j1", ORCH_EAWS, NULL, &denied, NULL);
  decide_at(&refused, T0 + 7000, e, sizeof e, f, sizeof f);
  cr_assert_str_eq(e, "JobLog", "an unreadable log is recorded as such, not asked for ever");
  cr_assert(orch_exec_done(&st));
  json_decref(done);
  json_decref(ctx);
}

/* The last notifications (execution_completed...) are sent at least once: an execution that ended is not
 * done, and so stays driven, until each is sent or given up. */
Test(decide, an_ended_execution_is_not_done_before_its_notifications) {
  running_with("recovery", "[{\"name\":\"db\"}]", "[{\"id\":\"" S1 "\",\"wave\":\"db\"}]");
  ev("ExecutionEnded", "{\"status\":\"COMPLETED\",\"reason\":\"done\"}");
  ev("NotificationRequested", "{\"kind\":\"execution_completed\",\"topic\":\"arn:aws:sns:us-east-1:111122223333:t\","
                              "\"subject\":\"s\",\"message\":\"m\"}");
  cr_assert(!orch_exec_done(&st), "not done while its notification is unsent");
  char data[64];
  snprintf(data, sizeof data, "{\"id\":%lld,\"message_id\":\"m-1\"}", (long long)st.seq);
  ev("NotificationSent", data);
  cr_assert(orch_exec_done(&st));
}

/* A job that ended with a failed server: DRS's own reason (its LAUNCH_FAILED log item) is read once and
 * journaled as JobLog, for the report; nothing is decided from it. */
Test(decide, a_failed_launch_records_drs_reason_from_the_job_log) {
  running_with("recovery", "[{\"name\":\"db\"}]", "[{\"id\":\"" S1 "\",\"wave\":\"db\"}]");
  ev("WaveReady", "{\"wave\":\"db\"}");
  ev("JobRequested", "{\"wave\":\"db\",\"attempt\":1,\"chunk\":0,\"tag\":\"t1\",\"servers\":[\"" S1 "\"]}");
  ev("JobStarted", "{\"tag\":\"t1\",\"job_id\":\"j1\"}");
  char e[512], f[512];
  json_t *done = json_loads("{\"items\":[{\"jobID\":\"j1\",\"status\":\"COMPLETED\",\"participatingServers\":"
                            "[{\"sourceServerID\":\"" S1 "\",\"launchStatus\":\"FAILED\"}]}]}", 0, NULL);
  json_t *ctx = json_loads("{\"ids\":[\"j1\"]}", 0, NULL);
  struct orch_exec_input ans = answer(ORCH_FX_POLL, "111122223333/us-east-1", 0, done, NULL, ctx);
  decide_at(&ans, T0 + 6000, e, sizeof e, f, sizeof f);
  cr_assert(strstr(f, "job-log:j1"), "%s", f);
  /* Asked once: not again while it is out. */
  decide_at(&tick, T0 + 6500, e, sizeof e, f, sizeof f);
  cr_assert_null(strstr(f, "job-log"), "%s", f);
  json_t *log = json_loads("{\"items\":[{\"event\":\"JOB_START\"},{\"event\":\"LAUNCH_FAILED\",\"logDateTime\":\"2027-01-01T00:04:15Z\","
                           "\"eventData\":{\"sourceServerID\":\"" S1 "\",\"rawError\":\"InsufficientInstanceCapacity\"}}]}", 0, NULL);
  struct orch_exec_input got = answer(ORCH_FX_JOB_LOG, "j1", 0, log, NULL, NULL);
  decide_at(&got, T0 + 7000, e, sizeof e, f, sizeof f);
  cr_assert_str_eq(e, "JobLog");
  const json_t *failure = json_array_get(json_object_get(event_data(0), "failures"), 0);
  cr_assert_str_eq(json_string_value(json_object_get(failure, "server")), S1);
  cr_assert_str_eq(json_string_value(json_object_get(failure, "error")), "InsufficientInstanceCapacity");
  cr_assert_eq(json_array_size(json_object_get(event_data(0), "failures")), 1, "only the failures are kept");
  cr_assert(st.jobs[0].log_read);
  decide_at(&tick, T0 + 8000, e, sizeof e, f, sizeof f);
  cr_assert_null(strstr(f, "job-log"), "read once: %s", f);
  json_decref(log);
  json_decref(done);
  json_decref(ctx);
}
