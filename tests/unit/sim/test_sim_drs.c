/* DRS through the whole request path (model-driven client, SigV4, orch_sim_handle): source servers and
 * pagination, a drill's job timeline on a frozen clock, log items, recovery instances and their EC2
 * instances, quotas (402) and conflicts (409), the StartRecovery record, termination, launch
 * configuration, snapshots, failback, tags, failure rules, determinism. Uses orch_sim. */
#include <pthread.h>

#include "sim_test.h"

static const char *SMALL =
    "{\"regions\": [{\"region\": \"us-east-1\", \"server_groups\": ["
    "{\"count\": 6, \"hostname\": \"db-{n}\", \"tags\": {\"Tier\": \"db\"}},"
    "{\"count\": 6, \"hostname\": \"web-{n}\", \"tags\": {\"Tier\": \"web\"}}]}],"
    " \"timing\": {\"job_start\": \"10s\", \"snapshot\": \"30s\", \"conversion\": \"1m\", \"launch\": \"30s\","
    "  \"boot\": \"40s\", \"ssm_ready\": \"20s\", \"terminate\": \"30s\"},"
    " \"quotas\": {\"servers_per_job\": 4, \"concurrent_jobs\": 3, \"servers_in_active_jobs\": 6}}";

/* The ids of all source servers, in order. */
static json_t *server_ids(struct orch_sim *sim) {
  json_t *out = sim_ok(sim, "drs", "DescribeSourceServers", json_pack("{s:i}", "maxResults", 100));
  json_t *ids = json_array();
  size_t i;
  json_t *s;
  json_array_foreach(json_object_get(out, "items"), i, s) json_array_append(ids, json_object_get(s, "sourceServerID"));
  json_decref(out);
  return ids;
}

static json_t *recover(json_t *ids, size_t from, size_t n, bool drill) {
  json_t *list = json_array();
  for (size_t i = from; i < from + n; i++)
    json_array_append_new(list, json_pack("{s:O}", "sourceServerID", json_array_get(ids, i)));
  return json_pack("{s:o, s:b, s:{s:s, s:s}}", "sourceServers", list, "isDrill", drill, "tags", "drsorch:execution",
                   "exec-1", "drsorch:wave", "db");
}

/* Recover the first two servers (a drill or not), let ten minutes pass; the DescribeRecoveryInstances answer. */
static json_t *recover_two(struct orch_sim *sim, json_t *ids, bool drill) {
  json_decref(sim_ok(sim, "drs", "StartRecovery", recover(ids, 0, 2, drill)));
  orch_sim_advance(sim, 600000);
  return sim_ok(sim, "drs", "DescribeRecoveryInstances", NULL);
}

static json_t *describe_job(struct orch_sim *sim, const char *job_id) {
  json_t *out = sim_ok(sim, "drs", "DescribeJobs", json_pack("{s:{s:[s]}}", "filters", "jobIDs", job_id));
  json_t *job = json_incref(json_array_get(json_object_get(out, "items"), 0));
  json_decref(out);
  cr_assert_not_null(job, "job %s not found", job_id);
  return job;
}

Test(sim_drs, describe_source_servers_paginates_and_filters) {
  struct orch_sim *sim = sim_open(NULL, SMALL, 1);
  json_t *p1 = sim_ok(sim, "drs", "DescribeSourceServers", json_pack("{s:i}", "maxResults", 5));
  cr_assert_eq(json_array_size(json_object_get(p1, "items")), 5);
  const char *tok = jstr(p1, "nextToken");
  cr_assert_not_null(tok);
  json_t *p2 = sim_ok(sim, "drs", "DescribeSourceServers", json_pack("{s:i, s:s}", "maxResults", 10, "nextToken", tok));
  cr_assert_eq(json_array_size(json_object_get(p2, "items")), 7);
  cr_assert_null(json_object_get(p2, "nextToken"));
  const json_t *s = jget(p1, "items.0");
  jexpect(s, (const char *const[]){
      "sourceProperties.identificationHints.hostname", "db-1",
      "dataReplicationInfo.dataReplicationState", "CONTINUOUS",
      "lastLaunchResult", "NOT_STARTED",
      "tags.Tier", "db",
      NULL});
  cr_assert(strncmp(jstr(s, "arn"), "arn:aws:drs:us-east-1:111122223333:source-server/s-", 51) == 0);
  const char *id = jstr(s, "sourceServerID");
  json_t *one = sim_ok(sim, "drs", "DescribeSourceServers", json_pack("{s:{s:[s]}}", "filters", "sourceServerIDs", id));
  cr_assert_eq(json_array_size(json_object_get(one, "items")), 1);
  json_t *bad = sim_err(sim, "drs", "DescribeSourceServers", json_pack("{s:s}", "nextToken", "garbage"), 400,
                        "ValidationException");
  json_decref(bad);
  json_decref(one);
  json_decref(p1);
  json_decref(p2);
  orch_sim_stop(sim);
}

Test(sim_drs, drill_runs_its_timeline) {
  struct orch_sim *sim = sim_open(NULL, SMALL, 1);
  json_t *ids = server_ids(sim);
  json_t *r = sim_ok(sim, "drs", "StartRecovery", recover(ids, 0, 2, true));
  const char *job_id = jstr(r, "job.jobID");
  cr_assert_eq(strlen(job_id), 24);
  cr_assert(strncmp(job_id, "drsjob-", 7) == 0);
  jexpect(r, (const char *const[]){
      "job.status", "PENDING",
      "job.type", "LAUNCH",
      "job.initiatedBy", "START_DRILL",
      "job.tags.drsorch:execution", "exec-1",
      "job.participatingServers.0.launchStatus", "PENDING",
      NULL});
  char id[32];
  snprintf(id, sizeof id, "%s", job_id);
  json_decref(r);

  orch_sim_advance(sim, 11000); /* started, snapshotting */
  json_t *j = describe_job(sim, id);
  cr_assert_str_eq(jstr(j, "status"), "STARTED");
  cr_assert_str_eq(jstr(j, "participatingServers.0.launchStatus"), "IN_PROGRESS");
  json_decref(j);

  orch_sim_advance(sim, 95000); /* conversion done (at +10s+~2s+30s+60s): launching, instance pending */
  j = describe_job(sim, id);
  const char *ri = jstr(j, "participatingServers.0.recoveryInstanceID");
  cr_assert_not_null(ri, "a launching server names its recovery instance");
  char rid[32];
  snprintf(rid, sizeof rid, "%s", ri);
  json_decref(j);

  orch_sim_advance(sim, 40000); /* launched */
  j = describe_job(sim, id);
  cr_assert_str_eq(jstr(j, "status"), "COMPLETED");
  cr_assert_str_eq(jstr(j, "participatingServers.0.launchStatus"), "LAUNCHED");
  cr_assert_str_eq(jstr(j, "participatingServers.1.launchStatus"), "LAUNCHED");
  cr_assert_not_null(jstr(j, "endDateTime"));
  json_decref(j);

  json_t *logs = sim_ok(sim, "drs", "DescribeJobLogItems", json_pack("{s:s}", "jobID", id));
  const json_t *items = json_object_get(logs, "items");
  cr_assert_str_eq(jstr(items, "0.event"), "JOB_START");
  cr_assert_str_eq(json_string_value(json_object_get(json_array_get(items, json_array_size(items) - 1), "event")), "JOB_END");
  const char *want[] = {"SNAPSHOT_START", "SNAPSHOT_END", "CONVERSION_START", "CONVERSION_END", "LAUNCH_START"};
  for (size_t w = 0; w < 5; w++) {
    size_t n = 0, i;
    json_t *it;
    json_array_foreach(items, i, it) n += strcmp(json_string_value(json_object_get(it, "event")), want[w]) == 0;
    cr_assert_eq(n, 2, "%s appears %zu times", want[w], n);
  }
  json_decref(logs);

  json_t *rin = sim_ok(sim, "drs", "DescribeRecoveryInstances", json_pack("{s:{s:[s]}}", "filters", "recoveryInstanceIDs", rid));
  const json_t *inst = jget(rin, "items.0");
  cr_assert_not_null(inst);
  cr_assert(json_is_true(json_object_get(inst, "isDrill")));
  cr_assert_str_eq(jstr(inst, "jobID"), id);
  cr_assert_str_eq(jstr(inst, "ec2InstanceID"), rid);
  cr_assert_str_eq(jstr(inst, "ec2InstanceState"), "RUNNING");
  json_decref(rin);

  json_t *ec2 = sim_ok(sim, "ec2", "DescribeInstances", json_pack("{s:[s]}", "InstanceIds", rid));
  const json_t *e = jget(ec2, "Reservations.0.Instances.0");
  cr_assert_str_eq(jstr(e, "State.Name"), "running");
  cr_assert_str_eq(jstr(e, "InstanceId"), rid);
  cr_assert(strncmp(jstr(e, "PrivateIpAddress"), "10.0.", 5) == 0, "%s", jstr(e, "PrivateIpAddress"));
  json_decref(ec2);

  json_t *srv = sim_ok(sim, "drs", "DescribeSourceServers", json_pack("{s:{s:[O]}}", "filters", "sourceServerIDs", json_array_get(ids, 0)));
  cr_assert_str_eq(jstr(srv, "items.0.lastLaunchResult"), "SUCCEEDED");
  cr_assert_str_eq(jstr(srv, "items.0.recoveryInstanceId"), rid);
  cr_assert_str_eq(jstr(srv, "items.0.lifeCycle.lastLaunch.initiated.type"), "DRILL");
  json_decref(srv);
  json_decref(ids);
  orch_sim_stop(sim);
}

/* L-DD6D028C, concurrent jobs per source server: a scenario may raise it, and then the same server may take
 * part in two active jobs (and no more); at the default 1 the second job is a conflict naming the server. */
Test(sim_drs, jobs_per_server_quota_from_the_scenario) {
  static const char *two =
      "{\"regions\": [{\"region\": \"us-east-1\", \"server_groups\": [{\"count\": 2, \"hostname\": \"db-{n}\"}]}],"
      " \"quotas\": {\"concurrent_jobs_per_server\": 2}}";
  struct orch_sim *sim = sim_open(NULL, two, 1);
  json_t *ids = server_ids(sim);
  json_decref(sim_ok(sim, "drs", "StartRecovery", recover(ids, 0, 1, true)));
  json_decref(sim_ok(sim, "drs", "StartRecovery", recover(ids, 0, 1, true)));
  json_t *e = sim_err(sim, "drs", "StartRecovery", recover(ids, 0, 1, true), 409, "ConflictException");
  cr_assert_str_eq(jstr(e, "resourceId"), json_string_value(json_array_get(ids, 0)));
  json_decref(e);
  json_t *q = sim_ok(sim, "service-quotas", "GetServiceQuota",
                     json_pack("{s:s, s:s}", "ServiceCode", "drs", "QuotaCode", "L-DD6D028C"));
  cr_assert_float_eq(json_number_value(jget(q, "Quota.Value")), 2.0, 1e-9);
  cr_assert_str_eq(jstr(q, "Quota.QuotaName"), "Max concurrent Jobs per source server");
  json_decref(q);
  json_decref(ids);
  orch_sim_stop(sim);
}

/* Does an unfiltered DescribeJobs, and one filtered by the id, list `job_id`? */
static bool jobs_list(struct orch_sim *sim, const char *job_id) {
  bool all = false, by_id = false;
  json_t *out = sim_ok(sim, "drs", "DescribeJobs", NULL);
  size_t i;
  json_t *j;
  json_array_foreach(json_object_get(out, "items"), i, j) all = all || strcmp(jstr(j, "jobID"), job_id) == 0;
  json_decref(out);
  out = sim_ok(sim, "drs", "DescribeJobs", json_pack("{s:{s:[s]}}", "filters", "jobIDs", job_id));
  by_id = json_array_size(json_object_get(out, "items")) == 1;
  json_decref(out);
  cr_assert_eq(all, by_id, "listing and lookup by id disagree about %s", job_id);
  return all;
}

/* Eventual consistency: a new job is invisible to DescribeJobs for the scenario's delay, yet it exists (its
 * servers conflict at once); PUT /_sim/faults turns it on and off at run time; the delay is seeded. */
Test(sim_drs, new_jobs_are_listed_after_the_consistency_delay) {
  static const char *lagging =
      "{\"regions\": [{\"region\": \"us-east-1\", \"server_groups\": [{\"count\": 4, \"hostname\": \"db-{n}\"}]}],"
      " \"consistency\": {\"new_jobs\": \"30s\"}}";
  struct orch_sim *sim = sim_open(NULL, lagging, 1);
  json_t *ids = server_ids(sim);
  json_t *started = sim_ok(sim, "drs", "StartRecovery", recover(ids, 0, 1, true));
  char job[32];
  snprintf(job, sizeof job, "%s", jstr(started, "job.jobID"));
  json_decref(started);
  cr_assert_not(jobs_list(sim, job));
  json_decref(sim_err(sim, "drs", "StartRecovery", recover(ids, 0, 1, true), 409, "ConflictException"));
  orch_sim_advance(sim, 29999);
  cr_assert_not(jobs_list(sim, job));
  orch_sim_advance(sim, 1);
  cr_assert(jobs_list(sim, job));

  struct orch_error err = {0};
  json_t *off = json_pack("{s:{s:s}}", "consistency", "new_jobs", "0s");
  cr_assert_eq(orch_sim_set_faults(sim, off, &err), 0, "%s", err.message);
  json_decref(off);
  started = sim_ok(sim, "drs", "StartRecovery", recover(ids, 1, 1, true));
  cr_assert(jobs_list(sim, jstr(started, "job.jobID")));
  json_decref(started);
  json_t *on = json_pack("{s:{s:{s:s, s:s}}}", "consistency", "new_jobs", "min", "1s", "max", "20s");
  cr_assert_eq(orch_sim_set_faults(sim, on, &err), 0, "%s", err.message);
  json_decref(on);
  started = sim_ok(sim, "drs", "StartRecovery", recover(ids, 2, 1, true));
  cr_assert_not(jobs_list(sim, jstr(started, "job.jobID")));
  orch_sim_advance(sim, 20000);
  cr_assert(jobs_list(sim, jstr(started, "job.jobID")));
  json_decref(started);
  json_decref(ids);
  orch_sim_stop(sim);

  /* The same seed gives the same delays: sample the first job's delay twice, 1 ms at a time. */
  static const char *uniform =
      "{\"regions\": [{\"region\": \"us-east-1\", \"server_groups\": [{\"count\": 1, \"hostname\": \"db-{n}\"}]}],"
      " \"consistency\": {\"new_jobs\": {\"min\": \"1s\", \"max\": \"2s\"}}}";
  int64_t seen[2];
  for (int run = 0; run < 2; run++) {
    sim = sim_open(NULL, uniform, 7);
    ids = server_ids(sim);
    started = sim_ok(sim, "drs", "StartRecovery", recover(ids, 0, 1, true));
    int64_t waited = 0;
    while (!jobs_list(sim, jstr(started, "job.jobID"))) {
      orch_sim_advance(sim, 50);
      waited += 50;
      cr_assert(waited <= 2000, "listed only after %lld ms", (long long)waited);
    }
    cr_assert(waited >= 1000, "listed after %lld ms", (long long)waited);
    seen[run] = waited;
    json_decref(started);
    json_decref(ids);
    orch_sim_stop(sim);
  }
  cr_assert_eq(seen[0], seen[1]);
}

/* A recovery's instances are listed as isDrill=false with their source server, on the instance and on the
 * source server. A later launch of the same server (a drill here) replaces the server's recovery instance, as
 * DRS keeps one per source server: the recovery instance's EC2 instance is terminated and it leaves
 * DescribeRecoveryInstances. This is what the engine's preflight must refuse for a drill. */
Test(sim_drs, a_drill_replaces_a_live_recovery_instance) {
  struct orch_sim *sim = sim_open(NULL, SMALL, 1);
  json_t *ids = server_ids(sim);
  const char *s0 = json_string_value(json_array_get(ids, 0));
  json_t *list = recover_two(sim, ids, false);
  cr_assert_eq(json_array_size(json_object_get(list, "items")), 2);
  const json_t *ri = jget(list, "items.0");
  cr_assert(json_is_false(json_object_get(ri, "isDrill")));
  cr_assert_str_eq(jstr(ri, "sourceServerID"), s0);
  cr_assert_str_eq(jstr(ri, "ec2InstanceState"), "RUNNING");
  char rec_id[24];
  snprintf(rec_id, sizeof rec_id, "%s", jstr(ri, "recoveryInstanceID"));
  json_decref(list);
  json_t *srv = sim_ok(sim, "drs", "DescribeSourceServers", json_pack("{s:{s:[s]}}", "filters", "sourceServerIDs", s0));
  cr_assert_str_eq(jstr(srv, "items.0.recoveryInstanceId"), rec_id);
  cr_assert_str_eq(jstr(srv, "items.0.lifeCycle.lastLaunch.initiated.type"), "RECOVERY");
  json_decref(srv);
  /* Only the recovery's: a filter by isDrill is the caller's, on the listed field. */
  list = sim_ok(sim, "drs", "DescribeRecoveryInstances", json_pack("{s:{s:[s]}}", "filters", "sourceServerIDs", s0));
  cr_assert_eq(json_array_size(json_object_get(list, "items")), 1);
  json_decref(list);

  json_decref(sim_ok(sim, "drs", "StartRecovery", recover(ids, 0, 1, true)));
  orch_sim_advance(sim, 600000);
  list = sim_ok(sim, "drs", "DescribeRecoveryInstances", json_pack("{s:{s:[s]}}", "filters", "sourceServerIDs", s0));
  cr_assert_eq(json_array_size(json_object_get(list, "items")), 1);
  cr_assert(json_is_true(jget(list, "items.0.isDrill")), "the drill's instance replaced the recovery's");
  cr_assert_str_neq(jstr(list, "items.0.recoveryInstanceID"), rec_id);
  json_decref(list);
  json_t *ec2 = sim_ok(sim, "ec2", "DescribeInstances", json_pack("{s:[s]}", "InstanceIds", rec_id));
  cr_assert_str_eq(jstr(ec2, "Reservations.0.Instances.0.State.Name"), "terminated");
  json_decref(ec2);
  json_decref(ids);
  orch_sim_stop(sim);
}

Test(sim_drs, quotas_and_conflicts) {
  struct orch_sim *sim = sim_open(NULL, SMALL, 1);
  json_t *ids = server_ids(sim);
  json_t *e = sim_err(sim, "drs", "StartRecovery", recover(ids, 0, 5, true), 402, "ServiceQuotaExceededException");
  cr_assert_str_eq(jstr(e, "quotaCode"), "L-B827C881");
  cr_assert_str_eq(jstr(e, "serviceCode"), "drs");
  json_decref(e);
  json_decref(sim_ok(sim, "drs", "StartRecovery", recover(ids, 0, 4, true)));
  e = sim_err(sim, "drs", "StartRecovery", recover(ids, 3, 1, true), 409, "ConflictException");
  cr_assert_str_eq(jstr(e, "resourceId"), json_string_value(json_array_get(ids, 3)));
  json_decref(e);
  /* 4 active + 3 > 6 servers across active jobs */
  e = sim_err(sim, "drs", "StartRecovery", recover(ids, 4, 3, true), 402, "ServiceQuotaExceededException");
  cr_assert_str_eq(jstr(e, "quotaCode"), "L-05AFA8C6");
  json_decref(e);
  json_decref(sim_ok(sim, "drs", "StartRecovery", recover(ids, 4, 1, true)));
  json_decref(sim_ok(sim, "drs", "StartRecovery", recover(ids, 5, 1, true)));
  e = sim_err(sim, "drs", "StartRecovery", recover(ids, 6, 1, true), 402, "ServiceQuotaExceededException");
  cr_assert_str_eq(jstr(e, "quotaCode"), "L-D88FAC3A");
  json_decref(e);
  /* unknown server and duplicates */
  json_decref(sim_err(sim, "drs", "StartRecovery",
                      json_pack("{s:[{s:s}]}", "sourceServers", "sourceServerID", "s-0123456789abcdef0"), 400,
                      "ValidationException"));
  /* once everything completes, the same servers can launch again */
  orch_sim_advance(sim, 3600000);
  json_decref(sim_ok(sim, "drs", "StartRecovery", recover(ids, 0, 4, false)));

  json_t *calls = orch_sim_calls(sim);
  const json_t *rec = json_object_get(calls, "startRecovery");
  cr_assert_eq(json_array_size(rec), 9);
  size_t ok = 0, i;
  json_t *r;
  json_array_foreach(rec, i, r) ok += json_is_string(json_object_get(r, "jobID"));
  cr_assert_eq(ok, 4);
  cr_assert_str_eq(jstr(rec, "0.error"), "ServiceQuotaExceededException");
  cr_assert_str_eq(jstr(rec, "1.tags.drsorch:wave"), "db");
  cr_assert_eq(json_array_size(jget(rec, "1.sourceServerIDs")), 4);
  cr_assert_eq(json_integer_value(jget(calls, "operations.drs:StartRecovery.calls")), 9);
  json_decref(calls);
  json_decref(ids);
  orch_sim_stop(sim);
}

Test(sim_drs, describe_jobs_newest_first_with_dates_and_pages) {
  struct orch_sim *sim = sim_open(NULL, SMALL, 1);
  json_t *ids = server_ids(sim);
  char first[32];
  json_t *r = sim_ok(sim, "drs", "StartRecovery", recover(ids, 0, 1, true));
  snprintf(first, sizeof first, "%s", jstr(r, "job.jobID"));
  json_decref(r);
  orch_sim_advance(sim, 3600000);
  json_decref(sim_ok(sim, "drs", "StartRecovery", recover(ids, 1, 1, true)));
  json_decref(sim_ok(sim, "drs", "StartRecovery", recover(ids, 2, 1, true)));
  json_t *all = sim_ok(sim, "drs", "DescribeJobs", NULL);
  cr_assert_eq(json_array_size(json_object_get(all, "items")), 3);
  cr_assert_str_eq(jstr(all, "items.2.jobID"), first, "newest first");
  json_t *page = sim_ok(sim, "drs", "DescribeJobs", json_pack("{s:i}", "maxResults", 2));
  cr_assert_eq(json_array_size(json_object_get(page, "items")), 2);
  json_t *rest = sim_ok(sim, "drs", "DescribeJobs", json_pack("{s:s}", "nextToken", jstr(page, "nextToken")));
  cr_assert_str_eq(jstr(rest, "items.0.jobID"), first);
  char from[ORCH_TIME_ISO_MAX];
  orch_time_iso8601_s(from, T0 + 1800000);
  json_t *recent = sim_ok(sim, "drs", "DescribeJobs", json_pack("{s:{s:s}}", "filters", "fromDate", from));
  cr_assert_eq(json_array_size(json_object_get(recent, "items")), 2);
  json_decref(recent);
  json_decref(rest);
  json_decref(page);
  json_decref(all);
  json_decref(ids);
  orch_sim_stop(sim);
}

Test(sim_drs, terminate_recovery_instances) {
  struct orch_sim *sim = sim_open(NULL, SMALL, 1);
  json_t *ids = server_ids(sim);
  json_t *ri = recover_two(sim, ids, true);
  cr_assert_eq(json_array_size(json_object_get(ri, "items")), 2);
  json_t *list = json_array();
  json_array_append_new(list, json_string(jstr(ri, "items.0.recoveryInstanceID")));
  json_array_append_new(list, json_string(jstr(ri, "items.1.recoveryInstanceID")));
  json_t *t = sim_ok(sim, "drs", "TerminateRecoveryInstances", json_pack("{s:O}", "recoveryInstanceIDs", list));
  cr_assert_str_eq(jstr(t, "job.type"), "TERMINATE");
  cr_assert_str_eq(jstr(t, "job.initiatedBy"), "TERMINATE_RECOVERY_INSTANCES");
  char jid[32];
  snprintf(jid, sizeof jid, "%s", jstr(t, "job.jobID"));
  json_decref(t);
  json_decref(sim_err(sim, "drs", "TerminateRecoveryInstances", json_pack("{s:O}", "recoveryInstanceIDs", list), 409,
                      "ConflictException"));
  orch_sim_advance(sim, 120000);
  json_t *j = describe_job(sim, jid);
  cr_assert_str_eq(jstr(j, "status"), "COMPLETED");
  cr_assert_str_eq(jstr(j, "participatingServers.0.launchStatus"), "TERMINATED");
  json_decref(j);
  json_t *after = sim_ok(sim, "drs", "DescribeRecoveryInstances", NULL);
  cr_assert_eq(json_array_size(json_object_get(after, "items")), 0);
  json_t *ec2 = sim_ok(sim, "ec2", "DescribeInstances", json_pack("{s:O}", "InstanceIds", list));
  cr_assert_str_eq(jstr(ec2, "Reservations.0.Instances.0.State.Name"), "terminated");
  json_decref(ec2);
  json_decref(after);
  json_decref(list);
  json_decref(ri);
  json_decref(ids);
  orch_sim_stop(sim);
}

Test(sim_drs, launch_configuration_snapshots_tags) {
  struct orch_sim *sim = sim_open(NULL, SMALL, 1);
  json_t *ids = server_ids(sim);
  const char *sid = json_string_value(json_array_get(ids, 0));
  json_t *lc = sim_ok(sim, "drs", "GetLaunchConfiguration", json_pack("{s:s}", "sourceServerID", sid));
  cr_assert_str_eq(jstr(lc, "launchDisposition"), "STARTED");
  cr_assert(strncmp(jstr(lc, "ec2LaunchTemplateID"), "lt-", 3) == 0);
  json_decref(lc);
  lc = sim_ok(sim, "drs", "UpdateLaunchConfiguration",
              json_pack("{s:s, s:b, s:s}", "sourceServerID", sid, "copyPrivateIp", 1, "targetInstanceTypeRightSizingMethod", "NONE"));
  cr_assert(json_is_true(json_object_get(lc, "copyPrivateIp")));
  cr_assert_str_eq(jstr(lc, "targetInstanceTypeRightSizingMethod"), "NONE");
  json_decref(lc);
  json_t *nf = sim_err(sim, "drs", "GetLaunchConfiguration", json_pack("{s:s}", "sourceServerID", "s-0123456789abcdef0"),
                       404, "ResourceNotFoundException");
  cr_assert_str_eq(jstr(nf, "resourceId"), "s-0123456789abcdef0");
  json_decref(nf);
  json_t *snaps = sim_ok(sim, "drs", "DescribeRecoverySnapshots", json_pack("{s:s, s:s}", "sourceServerID", sid, "order", "DESC"));
  cr_assert_eq(json_array_size(json_object_get(snaps, "items")), 6);
  cr_assert(strncmp(jstr(snaps, "items.0.snapshotID"), "pit-", 4) == 0);
  cr_assert_gt(strcmp(jstr(snaps, "items.0.timestamp"), jstr(snaps, "items.5.timestamp")), 0);
  json_decref(snaps);
  char arn[256];
  snprintf(arn, sizeof arn, "arn:aws:drs:us-east-1:111122223333:source-server/%s", sid);
  json_decref(sim_ok(sim, "drs", "TagResource", json_pack("{s:s, s:{s:s}}", "resourceArn", arn, "tags", "Owner", "dr-team")));
  json_t *tags = sim_ok(sim, "drs", "ListTagsForResource", json_pack("{s:s}", "resourceArn", arn));
  cr_assert_str_eq(jstr(tags, "tags.Owner"), "dr-team");
  cr_assert_str_eq(jstr(tags, "tags.Tier"), "db");
  json_decref(tags);
  json_decref(sim_err(sim, "drs", "ListTagsForResource",
                      json_pack("{s:s}", "resourceArn", "arn:aws:drs:us-east-1:111122223333:job/drsjob-00000000000000000"),
                      404, "ResourceNotFoundException"));
  json_decref(ids);
  orch_sim_stop(sim);
}

Test(sim_drs, failback_and_disconnect) {
  struct orch_sim *sim = sim_open(NULL, SMALL, 1);
  json_t *ids = server_ids(sim);
  json_t *ri = recover_two(sim, ids, false);
  char a[32], b[32];
  snprintf(a, sizeof a, "%s", jstr(ri, "items.0.recoveryInstanceID"));
  snprintf(b, sizeof b, "%s", jstr(ri, "items.1.recoveryInstanceID"));
  cr_assert_str_eq(jstr(ri, "items.0.failback.state"), "FAILBACK_NOT_STARTED");
  json_decref(ri);
  json_t *rr = sim_ok(sim, "drs", "ReverseReplication", json_pack("{s:s}", "recoveryInstanceID", a));
  cr_assert_not_null(jstr(rr, "reversedDirectionSourceServerArn"));
  json_decref(rr);
  json_decref(sim_err(sim, "drs", "ReverseReplication", json_pack("{s:s}", "recoveryInstanceID", a), 409, "ConflictException"));
  json_t *fb = sim_ok(sim, "drs", "StartFailbackLaunch", json_pack("{s:[s]}", "recoveryInstanceIDs", a));
  cr_assert_str_eq(jstr(fb, "job.initiatedBy"), "FAILBACK");
  json_decref(fb);
  ri = sim_ok(sim, "drs", "DescribeRecoveryInstances", json_pack("{s:{s:[s]}}", "filters", "recoveryInstanceIDs", a));
  cr_assert_str_eq(jstr(ri, "items.0.failback.state"), "FAILBACK_IN_PROGRESS");
  json_decref(ri);
  orch_sim_advance(sim, 600000);
  ri = sim_ok(sim, "drs", "DescribeRecoveryInstances", json_pack("{s:{s:[s]}}", "filters", "recoveryInstanceIDs", a));
  cr_assert_str_eq(jstr(ri, "items.0.failback.state"), "FAILBACK_COMPLETED");
  json_decref(ri);
  json_decref(sim_ok(sim, "drs", "StopFailback", json_pack("{s:s}", "recoveryInstanceID", a)));
  json_decref(sim_ok(sim, "drs", "DisconnectRecoveryInstance", json_pack("{s:s}", "recoveryInstanceID", b)));
  ri = sim_ok(sim, "drs", "DescribeRecoveryInstances", NULL);
  cr_assert_eq(json_array_size(json_object_get(ri, "items")), 1);
  json_decref(ri);
  json_decref(sim_err(sim, "drs", "DisconnectRecoveryInstance", json_pack("{s:s}", "recoveryInstanceID", b), 404,
                      "ResourceNotFoundException"));
  json_decref(ids);
  orch_sim_stop(sim);
}

Test(sim_drs, failure_scenario_fails_launches_as_described) {
  struct orch_sim *sim = sim_open("with-failures.json", NULL, 3);
  json_t *in = json_pack("{s:[{s:s}, {s:s}, {s:s}, {s:s}], s:b}", "sourceServers", "sourceServerID", "s-00000000000000db1",
                         "sourceServerID", "s-00000000000000db2", "sourceServerID", "s-0000000000000e002",
                         "sourceServerID", "s-0000000000000e003", "isDrill", 1);
  json_t *r = sim_ok(sim, "drs", "StartRecovery", in);
  char id[32];
  snprintf(id, sizeof id, "%s", jstr(r, "job.jobID"));
  json_decref(r);
  orch_sim_advance(sim, 3600000);
  json_t *j = describe_job(sim, id);
  jexpect(j, (const char *const[]){
      "status", "COMPLETED",
      "participatingServers.0.launchStatus", "LAUNCHED",
      "participatingServers.1.launchStatus", "FAILED",
      "participatingServers.2.launchStatus", "FAILED",
      "participatingServers.3.launchStatus", "FAILED",
      NULL});
  json_decref(j);
  json_t *logs = sim_ok(sim, "drs", "DescribeJobLogItems", json_pack("{s:s}", "jobID", id));
  size_t failed = 0, snapfail = 0, i;
  json_t *it;
  json_array_foreach(json_object_get(logs, "items"), i, it) {
    const char *ev = json_string_value(json_object_get(it, "event"));
    if (strcmp(ev, "LAUNCH_FAILED") == 0) {
      failed++;
      cr_assert(strstr(jstr(it, "eventData.rawError"), "Insufficient capacity") != NULL);
    }
    snapfail += strcmp(ev, "SNAPSHOT_FAIL") == 0;
  }
  cr_assert_eq(failed, 1);
  cr_assert_eq(snapfail, 2);
  json_decref(logs);
  orch_sim_stop(sim);
}

Test(sim_drs, same_seed_same_run) {
  char job[2][32];
  for (int k = 0; k < 2; k++) {
    struct orch_sim *sim = sim_open(NULL, SMALL, 42);
    json_t *ids = server_ids(sim);
    json_t *r = sim_ok(sim, "drs", "StartRecovery", recover(ids, 0, 2, true));
    snprintf(job[k], sizeof job[k], "%s", jstr(r, "job.jobID"));
    json_decref(r);
    json_decref(ids);
    orch_sim_stop(sim);
  }
  cr_assert_str_eq(job[0], job[1]);
}

/* Many threads racing StartRecovery over overlapping servers: accepted jobs never share a server and never
 * exceed the quotas (the clock is frozen, so every accepted job stays active). */
struct racer {
  struct orch_sim *sim;
  json_t *ids;
  unsigned seed;
};

static void *race(void *arg) {
  struct racer *r = arg;
  for (int i = 0; i < 40; i++) {
    r->seed = r->seed * 1103515245u + 12345u;
    size_t from = (r->seed >> 8) % 10, n = 1 + (r->seed >> 16) % 3;
    json_t *out = NULL;
    json_t *in = recover(r->ids, from, n, true);
    (void)sim_call(r->sim, "drs", "StartRecovery", in, &out);
    json_decref(in);
    json_decref(out);
  }
  return NULL;
}

Test(sim_drs, concurrent_start_recovery_respects_conflicts_and_quotas) {
  struct orch_sim *sim = sim_open(NULL, SMALL, 5);
  json_t *ids = server_ids(sim);
  pthread_t th[4];
  struct racer r[4];
  for (int i = 0; i < 4; i++) {
    r[i] = (struct racer){.sim = sim, .ids = ids, .seed = 17u * (unsigned)(i + 1)};
    cr_assert_eq(pthread_create(&th[i], NULL, race, &r[i]), 0);
  }
  for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
  json_t *calls = orch_sim_calls(sim);
  const json_t *rec = json_object_get(calls, "startRecovery");
  cr_assert_eq(json_array_size(rec), 160);
  json_t *seen = json_object();
  size_t jobs = 0, servers = 0, i;
  json_t *e;
  json_array_foreach(rec, i, e) {
    if (!json_is_string(json_object_get(e, "jobID"))) continue;
    jobs++;
    size_t k;
    json_t *sid;
    json_array_foreach(json_object_get(e, "sourceServerIDs"), k, sid) {
      cr_assert_null(json_object_get(seen, json_string_value(sid)), "%s launched twice", json_string_value(sid));
      json_object_set_new(seen, json_string_value(sid), json_true());
      servers++;
    }
  }
  cr_assert_geq(jobs, 1);
  cr_assert_leq(jobs, 3, "concurrent jobs quota");
  cr_assert_leq(servers, 6, "servers in active jobs quota");
  json_decref(seen);
  json_decref(calls);
  json_decref(ids);
  orch_sim_stop(sim);
}
