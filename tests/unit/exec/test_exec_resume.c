/* Crash safety of the engine, made deterministic: the journal is left exactly as a crash would leave
 * it (a JobRequested with no answer; a hook stopped half-way) and a new engine on the same store must
 * finish the execution without launching anything twice: it adopts a job found by its tag, sends one
 * that never left, and replays a hook from its journal without repeating its SSM command. */
#include <time.h>

#include "exec_harness.h"

static struct harness h;
static void teardown(void) { h_stop(&h); }

static json_t *scenario(void) {
  json_error_t jerr;
  json_t *j = json_loads(
      "{\"name\":\"resume\",\"regions\":[{\"region\":\"us-east-1\",\"servers\":["
      "{\"id\":\"s-000000000000000a1\",\"hostname\":\"db-1\",\"tags\":{\"Tier\":\"db\"}},"
      "{\"id\":\"s-000000000000000b1\",\"hostname\":\"app-1\",\"tags\":{\"Tier\":\"app\"}},"
      "{\"id\":\"s-000000000000000b2\",\"hostname\":\"app-2\",\"tags\":{\"Tier\":\"app\"}}]}],"
      "\"timing\":{\"job_start\":\"5s\",\"snapshot\":\"30s\",\"conversion\":\"1m\",\"launch\":\"30s\",\"boot\":\"30s\",\"ssm_ready\":\"30s\"}}",
      0, &jerr);
  cr_assert_not_null(j, "%s", jerr.text);
  return j;
}

static const char *gated =
    "return plan { name = \"gated\", region = \"us-east-1\", waves = {\n"
    "  wave \"db\" { servers = tags { Tier = \"db\" } },\n"
    "  wave \"app\" { depends_on = { \"db\" }, servers = tags { Tier = \"app\" }, approval = \"go?\" },\n"
    "} }\n";

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
  nanosleep(&ts, NULL);
}

static void wait_wave(const char *id, const char *wave, const char *status) {
  for (int i = 0; i < 600; i++) {
    json_t *s = orch_exec_engine_snapshot(h.eng, id);
    size_t k;
    json_t *w;
    const char *got = NULL;
    json_array_foreach(json_object_get(s, "waves"), k, w) if (strcmp(json_string_value(json_object_get(w, "name")), wave) == 0)
        got = json_string_value(json_object_get(w, "status"));
    bool done = got && strcmp(got, status) == 0;
    json_decref(s);
    if (done) return;
    sleep_ms(50);
  }
  cr_assert_fail("wave %s never reached %s", wave, status);
}

/* Append an event as the engine would have, before "crashing". */
static void journal(const char *id, const char *type, json_t *data) {
  int64_t seq = 0;
  struct orch_error err = {0};
  cr_assert_eq(orch_store_event_last_seq(h.store, id, &seq, &err), 0);
  struct orch_store_event_spec ev = {.seq = seq + 1, .at_ms = orch_clock_now_ms(orch_sim_clock(h.sim)), .type = type, .data = data};
  cr_assert_eq(orch_store_event_append(h.store, id, &ev, &err), 0, "%s", err.message);
  json_decref(data);
}

/* Run the gated plan to its gate, stop the engine, and journal the approval and the launch request. */
static void crash_after_job_requested(char id[ORCH_ID_UUID_LEN + 1], char tag[96]) {
  json_t *sc = scenario();
  h_start_sim(&h, NULL, sc, 600, 3);
  json_decref(sc);
  h_plan(&h, gated);
  h_engine(&h, false, 5000);
  struct orch_error err = {0};
  cr_assert_eq(orch_exec_engine_create(h.eng, h.plan_id, 0, ORCH_MODE_DRILL, "tester", id, &err), 0);
  wait_wave(id, "app", "AWAITING_APPROVAL");
  h_stop_engine(&h);
  snprintf(tag, 96, "%s/app/1/0", id);
  journal(id, "ApprovalGranted", json_pack("{s:s, s:s}", "wave", "app", "by", "tester"));
  journal(id, "JobRequested", json_pack("{s:s, s:i, s:i, s:s, s:s, s:s, s:[s,s]}", "wave", "app", "attempt", 1, "chunk", 0,
                                        "tag", tag, "account", ORCH_SIM_ACCOUNT_ID, "region", "us-east-1", "servers",
                                        "s-000000000000000b1", "s-000000000000000b2"));
}

static json_t *resume_and_finish(const char *id) {
  h_engine(&h, true, 5000);
  json_t *final = NULL;
  struct orch_error err = {0};
  cr_assert_eq(orch_exec_engine_wait(h.eng, id, 60000, &final, &err), 0, "%s", err.message);
  return final;
}

Test(exec_resume, adopts_the_job_a_crash_left_unanswered, .fini = teardown, .timeout = 120) {
  char id[ORCH_ID_UUID_LEN + 1], tag[96];
  crash_after_job_requested(id, tag);
  /* The request did leave before the crash: DRS has the job, carrying our tag. */
  json_t *input = json_pack("{s:b, s:[{s:s},{s:s}], s:{s:s, s:s}}", "isDrill", 1, "sourceServers", "sourceServerID",
                            "s-000000000000000b1", "sourceServerID", "s-000000000000000b2", "tags", "drsorch:launch", tag,
                            "drsorch:execution", id);
  json_t *out = NULL;
  struct orch_aws_error aerr = {.retry_after_ms = -1};
  struct orch_error err = {0};
  cr_assert_eq(orch_exec_aws_ops()->call(h.aws, ORCH_SIM_ACCOUNT_ID, "us-east-1", "drs", "StartRecovery", input, false,
                                         &out, &aerr, &err), 0, "%s", err.message);
  const char *job_id = json_string_value(json_object_get(json_object_get(out, "job"), "jobID"));
  json_t *final = resume_and_finish(id);
  cr_assert_str_eq(json_string_value(json_object_get(final, "status")), "CLEANED");
  cr_assert_eq(h_calls(&h, "drs", "StartRecovery"), 2, "db once, app once (by the engine before the crash)");
  json_t *app = json_array_get(json_object_get(final, "waves"), 1);
  cr_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(app, "jobs"), 0), "job_id")), job_id,
                   "the engine adopted the job it found by tag");
  json_t *stats = orch_exec_engine_stats(h.eng);
  cr_assert_eq(json_integer_value(json_object_get(stats, "jobs_adopted")), 1);
  json_decref(stats);
  json_decref(final);
  json_decref(input);
  json_decref(out);
}

Test(exec_resume, sends_the_job_whose_request_never_left, .fini = teardown, .timeout = 120) {
  char id[ORCH_ID_UUID_LEN + 1], tag[96];
  crash_after_job_requested(id, tag);
  json_t *final = resume_and_finish(id);
  cr_assert_str_eq(json_string_value(json_object_get(final, "status")), "CLEANED");
  cr_assert_eq(h_calls(&h, "drs", "StartRecovery"), 2, "db, then app sent once after the restart");
  json_t *calls = orch_sim_calls(h.sim);
  cr_assert_str_eq(json_string_value(json_object_get(json_object_get(json_array_get(json_object_get(calls, "startRecovery"), 1),
                                                                     "tags"), "drsorch:launch")), tag);
  json_decref(calls);
  json_decref(final);
}

static const char *hooked =
    "return plan { name = \"hooked\", region = \"us-east-1\", waves = {\n"
    "  wave \"db\" {\n"
    "    servers = tags { Tier = \"db\" },\n"
    "    after = function(w)\n"
    "      local r = w:ssm_run { commands = { \"systemctl is-active postgresql\" } }\n"
    "      w:assert(r and r.ok, \"postgresql active\")\n"
    "      w:sleep(\"10m\")\n"
    "      w:log(\"slept after %s\", r.command_id)\n"
    "    end,\n"
    "  },\n"
    "} }\n";

Test(exec_resume, hook_replays_its_journal_without_repeating_effects, .fini = teardown, .timeout = 120) {
  json_t *sc = scenario();
  h_start_sim(&h, NULL, sc, 600, 5);
  json_decref(sc);
  h_plan(&h, hooked);
  h_engine(&h, true, 5000);
  char id[ORCH_ID_UUID_LEN + 1];
  struct orch_error err = {0};
  cr_assert_eq(orch_exec_engine_create(h.eng, h.plan_id, 0, ORCH_MODE_RECOVERY, "tester", id, &err), 0);
  /* Wait until the hook sleeps (its SSM command done), then "crash". */
  for (int i = 0; i < 600; i++) {
    struct orch_store_event_list ev = {0};
    cr_assert_eq(orch_store_event_read(h.store, id, 1, 0, &ev, &err), 0);
    bool sleeping = false;
    for (size_t k = 0; k < ev.count; k++)
      if (strcmp(ev.items[k].type, "HookCallRequested") == 0 &&
          strcmp(json_string_value(json_object_get(ev.items[k].data, "op")), "sleep") == 0)
        sleeping = true;
    orch_store_event_list_release(&ev);
    if (sleeping) break;
    sleep_ms(20);
  }
  h_stop_engine(&h);
  cr_assert_eq(h_calls(&h, "ssm", "SendCommand"), 1);
  json_t *final = NULL;
  h_engine(&h, true, 5000);
  cr_assert_eq(orch_exec_engine_wait(h.eng, id, 60000, &final, &err), 0, "%s", err.message);
  cr_assert_str_eq(json_string_value(json_object_get(final, "status")), "COMPLETED");
  cr_assert_eq(h_calls(&h, "ssm", "SendCommand"), 1, "the replayed hook must not run its command again");
  cr_assert_eq(h_calls(&h, "drs", "StartRecovery"), 1);
  json_decref(final);
}

/* A process that stopped between creating an execution's record and journaling its first event left an
 * execution with an empty journal: the next engine starts it as it was asked for (plan version, mode, who)
 * instead of failing to load it on every start. */
Test(exec_resume, starts_an_execution_whose_creator_stopped_before_its_first_event, .fini = teardown, .timeout = 120) {
  json_t *sc = scenario();
  h_start_sim(&h, NULL, sc, 0, 7);
  json_decref(sc);
  h_plan(&h, gated);
  struct orch_store_exec rec = {0};
  struct orch_store_exec_spec spec = {.plan_id = h.plan_id, .mode = ORCH_STORE_MODE_DRILL, .started_by = "carol"};
  struct orch_error err = {0};
  cr_assert_eq(orch_store_exec_create(h.store, &spec, &rec, &err), 0, "%s", err.message);
  json_t *final = resume_and_finish(rec.id);
  cr_assert_str_eq(json_string_value(json_object_get(final, "status")), "CLEANED");
  cr_assert_str_eq(json_string_value(json_object_get(final, "mode")), "drill");
  cr_assert_eq(h_calls(&h, "drs", "StartRecovery"), 2, "both waves launched once");
  struct orch_store_event_list ev = {0};
  cr_assert_eq(orch_store_event_read(h.store, rec.id, 1, 1, &ev, &err), 0);
  cr_assert_str_eq(ev.items[0].type, "ExecutionCreated");
  cr_assert_str_eq(json_string_value(json_object_get(ev.items[0].data, "started_by")), "carol");
  cr_assert_eq(json_integer_value(json_object_get(ev.items[0].data, "plan_version")), 1);
  orch_store_event_list_release(&ev);
  orch_store_exec_release(&rec);
  json_decref(final);
}
