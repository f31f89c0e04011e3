/* Tests for the execution reducer: a journal folds into the state a user sees (wave and server
 * statuses, job ids, timestamps), and a journal that does not fit the lifecycle is rejected with the
 * event and field named, never half-applied. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/orch_json.h"
#include "exec/orch_exec_state.h"

static struct orch_exec_state st;
static int64_t at;

static void setup(void) {
  orch_json_init();
  orch_exec_state_init(&st);
  at = 1796000000000LL;
}

static void teardown(void) { orch_exec_state_release(&st); }

TestSuite(reduce, .init = setup, .fini = teardown);

/* Apply `type` with JSON `data`; returns the reducer's code and leaves the message in *err. */
static int apply_e(const char *type, const char *data, struct orch_error *err) {
  json_error_t jerr;
  json_t *j = json_loads(data, 0, &jerr);
  cr_assert_not_null(j, "test JSON for %s is malformed: %s", type, jerr.text);
  struct orch_exec_event ev = {.seq = st.seq + 1, .at_ms = at += 1000, .type = type, .data = j};
  int rc = orch_exec_apply(&st, &ev, err);
  json_decref(j);
  return rc;
}

static void apply(const char *type, const char *data) {
  struct orch_error err = {0};
  int rc = apply_e(type, data, &err);
  cr_assert_eq(rc, 0, "%s rejected: %s: %s", type, err.context, err.message);
}

static const char *created =
    "{\"execution_id\":\"0194c6b2-0000-7000-8000-000000000001\",\"plan_id\":\"p1\",\"plan_version\":3,"
    "\"plan_name\":\"orders\",\"mode\":\"drill\",\"rto_target_ms\":2700000,"
    "\"waves\":[{\"name\":\"db\",\"hooks\":[\"after\"]},"
    "{\"name\":\"app\",\"depends_on\":[\"db\"],\"approval\":\"DB consistent?\",\"on_failure\":\"retry\",\"retries\":1},"
    "{\"name\":\"web\",\"depends_on\":[\"app\"],\"on_failure\":\"continue\"}]}";

static void start_three_waves(void) {
  apply("ExecutionCreated", created);
  apply("PreflightStarted", "{}");
  apply("ServersResolved",
        "{\"servers\":[{\"id\":\"s-00000000000000001\",\"wave\":\"db\",\"hostname\":\"db1\",\"account\":\"111122223333\",\"region\":\"us-east-1\"},"
        "{\"id\":\"s-00000000000000002\",\"wave\":\"app\"},{\"id\":\"s-00000000000000003\",\"wave\":\"app\"},"
        "{\"id\":\"s-00000000000000004\",\"wave\":\"web\"}]}");
  apply("PreflightResult", "{\"ok\":true,\"checks\":[]}");
  apply("ExecutionRunning", "{}");
}

Test(reduce, creation_builds_the_wave_graph) {
  start_three_waves();
  cr_assert_str_eq(st.plan_name, "orders");
  cr_assert_eq(st.mode, ORCH_MODE_DRILL);
  cr_assert_eq(st.status, ORCH_EXEC_RUNNING);
  cr_assert_eq(st.nwaves, 3);
  cr_assert_eq(st.waves[1].ndeps, 1);
  cr_assert_eq(st.waves[1].deps[0], 0);
  cr_assert_str_eq(st.waves[1].approval, "DB consistent?");
  cr_assert_eq(st.waves[1].on_failure, ORCH_ON_FAILURE_RETRY);
  cr_assert_eq(st.waves[1].retries, 1);
  cr_assert_eq(st.waves[0].hooks, ORCH_HOOK_AFTER);
  cr_assert_eq(st.nservers, 4);
  cr_assert_eq(st.servers[2].wave, 1);
  cr_assert_eq(st.rto_target_ms, 2700000);
  cr_assert_eq(st.seq, 5);
}

Test(reduce, a_wave_runs_to_completion) {
  start_three_waves();
  apply("WaveReady", "{\"wave\":\"db\"}");
  cr_assert_eq(st.waves[0].status, ORCH_WAVE_WAITING);
  apply("JobRequested", "{\"wave\":\"db\",\"attempt\":1,\"chunk\":0,\"tag\":\"x/db/1/0\",\"servers\":[\"s-00000000000000001\"]}");
  cr_assert_eq(st.waves[0].status, ORCH_WAVE_LAUNCHING);
  cr_assert_eq(st.servers[0].launch, ORCH_LAUNCH_REQUESTED);
  int64_t requested = st.servers[0].requested_ms;
  cr_assert_gt(requested, 0);
  apply("JobStarted", "{\"tag\":\"x/db/1/0\",\"job_id\":\"drsjob-00000000000000001\"}");
  cr_assert_eq(st.waves[0].status, ORCH_WAVE_RECOVERING);
  cr_assert_str_eq(st.servers[0].job_id, "drsjob-00000000000000001");
  cr_assert_eq(st.servers[0].launch, ORCH_LAUNCH_PENDING);
  apply("ServerStatus", "{\"server\":\"s-00000000000000001\",\"launch_status\":\"IN_PROGRESS\"}");
  cr_assert_eq(st.waves[0].recovered_ms, 0);
  apply("ServerStatus", "{\"server\":\"s-00000000000000001\",\"launch_status\":\"LAUNCHED\",\"recovery_instance_id\":\"i-00000000000000009\","
                        "\"ec2_instance_id\":\"i-00000000000000009\",\"private_ip\":\"10.0.1.5\"}");
  cr_assert_eq(st.servers[0].launched_ms, at);
  cr_assert_eq(st.waves[0].recovered_ms, at, "all servers final: the wave has recovered");
  apply("HookStarted", "{\"wave\":\"db\",\"hook\":\"after\"}");
  cr_assert_eq(st.waves[0].status, ORCH_WAVE_HOOKS);
  apply("HookCallRequested", "{\"wave\":\"db\",\"hook\":\"after\",\"seq\":1,\"op\":\"ssm_run\",\"args_hash\":\"ab\"}");
  apply("HookCallCompleted", "{\"wave\":\"db\",\"hook\":\"after\",\"seq\":1,\"result\":{\"status\":\"Success\"}}");
  cr_assert_eq(json_array_size(st.waves[0].hook_calls), 1);
  cr_assert_str_eq(json_string_value(json_object_get(json_object_get(json_array_get(st.waves[0].hook_calls, 0), "result"), "status")),
                   "Success");
  apply("HookFinished", "{\"wave\":\"db\",\"hook\":\"after\",\"ok\":true}");
  cr_assert_eq(st.servers[0].hooks_passed_ms, at);
  cr_assert_null(st.waves[0].hook_calls);
  apply("WaveCompleted", "{\"wave\":\"db\",\"status\":\"COMPLETED\"}");
  cr_assert_eq(st.waves[0].status, ORCH_WAVE_COMPLETED);
  json_t *view = orch_exec_state_json(&st);
  cr_assert_not_null(view);
  json_t *db = json_array_get(json_object_get(view, "waves"), 0);
  cr_assert_str_eq(json_string_value(json_object_get(db, "status")), "COMPLETED");
  json_t *srv = json_array_get(json_object_get(db, "servers"), 0);
  cr_assert_str_eq(json_string_value(json_object_get(srv, "private_ip")), "10.0.1.5");
  cr_assert_str_eq(json_string_value(json_object_get(view, "mode")), "drill");
  json_decref(view);
}

Test(reduce, approval_gate_and_retry_of_failed_servers_only) {
  start_three_waves();
  apply("WaveReady", "{\"wave\":\"app\"}");
  apply("ApprovalRequested", "{\"wave\":\"app\",\"prompt\":\"DB consistent?\"}");
  cr_assert_eq(st.waves[1].status, ORCH_WAVE_AWAITING_APPROVAL);
  struct orch_error err = {0};
  cr_assert_eq(apply_e("JobRequested", "{\"wave\":\"app\",\"attempt\":1,\"chunk\":0,\"tag\":\"t1\",\"servers\":[\"s-00000000000000002\"]}", &err),
               ORCH_EVALIDATION, "no launch while the gate is closed");
  cr_assert_str_eq(err.message, "wave is AWAITING_APPROVAL: cannot launch");
  apply("ApprovalGranted", "{\"wave\":\"app\",\"by\":\"alice\"}");
  cr_assert(st.waves[1].approved);
  apply("JobRequested", "{\"wave\":\"app\",\"attempt\":1,\"chunk\":0,\"tag\":\"t1\",\"servers\":[\"s-00000000000000002\",\"s-00000000000000003\"]}");
  apply("JobStarted", "{\"tag\":\"t1\",\"job_id\":\"drsjob-1\"}");
  apply("ServerStatus", "{\"server\":\"s-00000000000000002\",\"launch_status\":\"LAUNCHED\"}");
  apply("ServerStatus", "{\"server\":\"s-00000000000000003\",\"launch_status\":\"FAILED\",\"failure\":\"LAUNCH_FAILED\"}");
  cr_assert_neq(st.waves[1].recovered_ms, 0);
  apply("WaveRetry", "{\"wave\":\"app\",\"attempt\":2}");
  cr_assert_eq(st.waves[1].status, ORCH_WAVE_WAITING);
  cr_assert(st.waves[1].approved, "a retry does not ask for approval again");
  apply("JobRequested", "{\"wave\":\"app\",\"attempt\":2,\"chunk\":0,\"tag\":\"t2\",\"servers\":[\"s-00000000000000003\"]}");
  cr_assert_eq(st.servers[1].attempt, 1, "the launched server keeps its instance");
  cr_assert_eq(st.servers[1].launch, ORCH_LAUNCH_LAUNCHED);
  cr_assert_eq(st.servers[2].attempt, 2);
  cr_assert_str_eq(st.servers[2].failure, "", "the new attempt clears the old failure");
  apply("JobStartFailed", "{\"tag\":\"t2\",\"error\":\"ConflictException: server in another job\"}");
  cr_assert_eq(st.servers[2].launch, ORCH_LAUNCH_FAILED);
  cr_assert_str_eq(st.servers[2].failure, "ConflictException: server in another job");
  cr_assert_eq(st.waves[1].status, ORCH_WAVE_RECOVERING);
  cr_assert_neq(st.waves[1].recovered_ms, 0);
}

Test(reduce, pause_resume_cancel_end_cleanup) {
  start_three_waves();
  apply("Paused", "{\"by\":\"op\"}");
  cr_assert_eq(st.status, ORCH_EXEC_PAUSED);
  apply("Paused", "{\"by\":\"op\"}");
  apply("Resumed", "{\"by\":\"op\"}");
  cr_assert_eq(st.status, ORCH_EXEC_RUNNING, "pausing twice still resumes to RUNNING");
  apply("CancelRequested", "{\"by\":\"op\"}");
  cr_assert(st.cancel_requested);
  apply("ExecutionEnded", "{\"status\":\"CANCELLED\",\"reason\":\"cancelled by op\"}");
  cr_assert_eq(st.status, ORCH_EXEC_CANCELLED);
  for (size_t i = 0; i < st.nwaves; i++) cr_assert_eq(st.waves[i].status, ORCH_WAVE_CANCELLED);
  apply("CleanupStarted", "{\"after_ms\":0}");
  cr_assert_eq(st.status, ORCH_EXEC_CLEANING_UP);
  struct orch_error err = {0};
  cr_assert_eq(apply_e("TerminateRequested", "{\"chunks\":[{\"chunk\":0,\"recovery_instance_ids\":[]}]}", &err), ORCH_EVALIDATION);
  apply("TerminateRequested", "{\"chunks\":[{\"chunk\":0,\"account\":\"111122223333\",\"region\":\"us-east-1\","
                              "\"recovery_instance_ids\":[\"i-1\",\"i-2\"]},{\"chunk\":1,\"recovery_instance_ids\":[\"i-3\"]}]}");
  cr_assert_eq(st.nterms, 2);
  cr_assert_eq(json_array_size(st.terms[0].ids), 2);
  apply("TerminateStarted", "{\"chunk\":1,\"job_id\":\"drsjob-t\"}");
  cr_assert_str_eq(st.terms[1].job_id, "drsjob-t");
  cr_assert_eq(orch_exec_term_index_by_job(&st, "drsjob-t"), 1);
  cr_assert_eq(apply_e("TerminateStarted", "{\"chunk\":2,\"job_id\":\"x\"}", &err), ORCH_EVALIDATION);
  cr_assert_str_eq(err.message, "no termination chunk 2");
  apply("TerminateEnded", "{\"chunk\":1,\"job_id\":\"drsjob-t\",\"status\":\"COMPLETED\"}");
  cr_assert(st.terms[1].ended);
  cr_assert_not(st.terms[0].ended);
  apply("CleanupDone", "{}");
  cr_assert_eq(st.status, ORCH_EXEC_CLEANED);
}

Test(reduce, journals_that_do_not_fit_are_rejected_with_the_event_named) {
  struct orch_error err = {0};
  cr_assert_eq(apply_e("WaveReady", "{\"wave\":\"db\"}", &err), ORCH_EVALIDATION);
  cr_assert_str_eq(err.message, "the first event must be ExecutionCreated");
  start_three_waves();
  int64_t seq = st.seq;
  cr_assert_eq(apply_e("WaveReady", "{\"wave\":\"dbx\"}", &err), ORCH_EVALIDATION);
  cr_assert_str_eq(err.context, "event 6 (WaveReady)");
  cr_assert_str_eq(err.message, "unknown wave 'dbx'");
  cr_assert_eq(st.seq, seq, "a rejected event is not counted");
  cr_assert_eq(apply_e("WaveReady", "{\"wave\":7}", &err), ORCH_ETYPE);
  cr_assert_str_eq(err.context, "event 6 (WaveReady).wave");
  cr_assert_eq(apply_e("Teleported", "{}", &err), ORCH_EVALIDATION);
  cr_assert_str_eq(err.message, "unknown event type");
  cr_assert_eq(apply_e("WaveCompleted", "{\"wave\":\"db\",\"status\":\"RUNNING\"}", &err), ORCH_EVALIDATION);
  cr_assert_eq(apply_e("ExecutionEnded", "{\"status\":\"PAUSED\"}", &err), ORCH_EVALIDATION);
  cr_assert_eq(apply_e("ExecutionCreated", created, &err), ORCH_EVALIDATION);
  cr_assert_eq(apply_e("JobStarted", "{\"tag\":\"nope\",\"job_id\":\"j\"}", &err), ORCH_EVALIDATION);
  cr_assert_str_eq(err.message, "no job requested with tag nope");
  apply("WaveReady", "{\"wave\":\"db\"}");
  apply("JobRequested", "{\"wave\":\"db\",\"attempt\":1,\"chunk\":0,\"tag\":\"t\",\"servers\":[\"s-00000000000000001\"]}");
  cr_assert_eq(apply_e("JobRequested", "{\"wave\":\"db\",\"attempt\":1,\"chunk\":0,\"tag\":\"t\",\"servers\":[\"s-00000000000000001\"]}", &err),
               ORCH_EVALIDATION, "the same launch journaled twice is refused");
  cr_assert_eq(apply_e("JobRequested", "{\"wave\":\"db\",\"attempt\":1,\"chunk\":1,\"tag\":\"u\",\"servers\":[\"s-00000000000000004\"]}", &err),
               ORCH_EVALIDATION);
  cr_assert_str_eq(err.message, "server s-00000000000000004 is not in this wave");
  struct orch_exec_event skip = {.seq = st.seq + 2, .at_ms = at, .type = "Paused", .data = NULL};
  json_t *empty = json_object();
  skip.data = empty;
  cr_assert_eq(orch_exec_apply(&st, &skip, &err), ORCH_EVALIDATION, "a gap in the journal");
  json_decref(empty);
}

Test(reduce, bad_creation_data) {
  struct orch_error err = {0};
  cr_assert_eq(apply_e("ExecutionCreated", "{\"execution_id\":\"e\",\"mode\":\"rehearsal\",\"waves\":[{\"name\":\"a\"}]}", &err),
               ORCH_EVALIDATION);
  cr_assert_str_eq(err.message, "mode 'rehearsal' is not drill, recovery or dry-run");
  orch_exec_state_release(&st);
  orch_exec_state_init(&st);
  cr_assert_eq(apply_e("ExecutionCreated", "{\"execution_id\":\"e\",\"mode\":\"drill\",\"waves\":[{\"name\":\"a\",\"depends_on\":[\"b\"]}]}", &err),
               ORCH_EVALIDATION);
  cr_assert_str_eq(err.message, "depends_on names unknown wave 'b'");
  cr_assert_str_eq(err.context, "event 1 (ExecutionCreated).waves[0]");
  orch_exec_state_release(&st);
  orch_exec_state_init(&st);
  cr_assert_eq(apply_e("ExecutionCreated", "{\"execution_id\":\"e\",\"mode\":\"drill\",\"waves\":[{\"name\":\"a\"},{\"name\":\"a\"}]}", &err),
               ORCH_EVALIDATION);
  cr_assert_str_eq(err.message, "duplicate wave 'a'");
}

/* A rejected event leaves the state exactly as it was: events whose first parts would have applied and
 * whose last part is wrong change nothing (the reducer checks everything, then changes). */
Test(reduce, a_rejected_event_is_never_half_applied) {
  struct orch_error err = {0};
  /* creation with a bad second wave leaves no execution behind */
  cr_assert_eq(apply_e("ExecutionCreated", "{\"execution_id\":\"e\",\"mode\":\"drill\",\"waves\":[{\"name\":\"a\"},{\"name\":\"b\",\"on_failure\":\"explode\"}]}", &err),
               ORCH_EVALIDATION);
  cr_assert_eq(st.nwaves, 0);
  cr_assert_str_eq(st.id, "");
  cr_assert_eq(st.seq, 0);
  start_three_waves();
  apply("WaveReady", "{\"wave\":\"app\"}");
  apply("ApprovalRequested", "{\"wave\":\"app\",\"prompt\":\"DB consistent?\"}");
  apply("ApprovalGranted", "{\"wave\":\"app\",\"by\":\"alice\"}");
  /* the second server is not in the wave: the first must not be marked REQUESTED */
  cr_assert_eq(apply_e("JobRequested", "{\"wave\":\"app\",\"attempt\":1,\"chunk\":0,\"tag\":\"t\",\"servers\":[\"s-00000000000000002\",\"s-00000000000000004\"]}", &err),
               ORCH_EVALIDATION);
  cr_assert_eq(st.servers[1].launch, ORCH_LAUNCH_NONE);
  cr_assert_eq(st.servers[1].attempt, 0);
  cr_assert_eq(st.servers[1].requested_ms, 0);
  cr_assert_eq(st.njobs, 0);
  cr_assert_eq(st.waves[1].status, ORCH_WAVE_WAITING);
  /* the same server twice */
  cr_assert_eq(apply_e("JobRequested", "{\"wave\":\"app\",\"attempt\":1,\"chunk\":0,\"tag\":\"t\",\"servers\":[\"s-00000000000000002\",\"s-00000000000000002\"]}", &err),
               ORCH_EVALIDATION);
  cr_assert_eq(st.njobs, 0);
  /* a snapshot list naming a stranger after a known server changes neither */
  cr_assert_eq(apply_e("WavePrepared", "{\"wave\":\"app\",\"snapshots\":{\"s-00000000000000002\":\"snap-1\",\"s-0000000000000000f\":\"snap-2\"}}", &err),
               ORCH_EVALIDATION);
  cr_assert_str_eq(st.servers[1].snapshot_id, "");
  cr_assert(!st.waves[1].prepared);
  /* a hook finishing with bad data: warnings are not counted, the hook still runs */
  apply("HookStarted", "{\"wave\":\"app\",\"hook\":\"before\"}");
  cr_assert_eq(apply_e("HookFinished", "{\"wave\":\"app\",\"hook\":\"after\",\"ok\":true,\"warnings\":3}", &err), ORCH_EVALIDATION);
  cr_assert_eq(st.warnings, 0);
  cr_assert_eq(st.waves[1].hook_running, ORCH_HOOK_BEFORE);
  cr_assert_not_null(st.waves[1].hook_calls);
  /* more servers resolved after the last part: refused, nothing added */
  size_t n = st.nservers;
  cr_assert_eq(apply_e("ServersResolved", "{\"servers\":[{\"id\":\"s-0000000000000000a\",\"wave\":\"db\"}]}", &err), ORCH_EVALIDATION);
  cr_assert_eq(st.nservers, n);
}
