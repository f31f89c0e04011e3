/* orch_exec_poll: engine-wide progress polling. Every poll interval, one DescribeJobs per
 * account+region covers every active job of every execution (launches and drill terminations), whatever
 * their number; answers become ServerStatus / JobEnded / CleanupDone events. Launched servers missing
 * their EC2 details are looked up right away, and DRS quotas are read once per account+region.
 * Uses orch_exec_int, orch_log. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/orch_log.h"
#include "exec/orch_exec_int.h"

#define POLL_IDS_MAX 100 /* DescribeJobs' jobIDs filter takes at most 100 ids */

static void scope_key(char *out, size_t n, const char *account, const char *region) {
  snprintf(out, n, "%s/%s", account, region);
}

/* Add `job_id` to the poll of its account+region in `groups` ({"acct/region": {account, region, ids}}). */
static int group_add(json_t *groups, const char *account, const char *region, const char *job_id) {
  char key[64];
  scope_key(key, sizeof key, account, region);
  json_t *g = json_object_get(groups, key);
  if (!g) {
    g = json_pack("{s:s, s:s, s:[]}", "account", account, "region", region, "ids");
    if (!g || json_object_set_new(groups, key, g)) return ORCH_ENOMEM;
  }
  return json_array_append_new(json_object_get(g, "ids"), json_string(job_id)) ? ORCH_ENOMEM : 0;
}

/* Ask Service Quotas once per account+region; "asked" until it answers, then "known". */
static void ask_quotas(struct orch_exec_engine *eng, const char *account, const char *region) {
  char key[64];
  scope_key(key, sizeof key, account, region);
  if (json_object_get(eng->quotas_known, key)) return;
  if (json_object_set_new(eng->quotas_known, key, json_string("asked"))) return;
  struct exec_io *io = exec_io_new(IO_QUOTAS, "", account, region, "service-quotas", "ListServiceQuotas",
                                   json_pack("{s:s}", "ServiceCode", "drs"));
  if (!io) {
    json_object_del(eng->quotas_known, key);
    return;
  }
  io->paginate = true;
  exec_io_submit(eng, io);
}

bool exec_quotas_ready(struct orch_exec_engine *eng, const char *account, const char *region) {
  char key[64];
  scope_key(key, sizeof key, account, region);
  const char *state = json_string_value(json_object_get(eng->quotas_known, key));
  if (!state) ask_quotas(eng, account, region);
  return state && strcmp(state, "known") == 0;
}

#define INSTANCE_IDS_MAX 200 /* recoveryInstanceIDs in one DescribeRecoveryInstances filter */

/* Launched servers without an address: DescribeRecoveryInstances, then EC2 (orch_exec_answers.c). */
void exec_ask_instances(struct orch_exec_engine *eng, struct exec_live *lv) {
  const struct orch_exec_state *st = &lv->st;
  if (lv->rt.instances_inflight || st->ended_ms) return;
  json_t *ids = json_array();
  const char *account = "", *region = "";
  for (size_t i = 0; ids && i < st->nservers && json_array_size(ids) < INSTANCE_IDS_MAX; i++) {
    const struct orch_exec_server *s = &st->servers[i];
    if (strcmp(s->launch_status, "LAUNCHED") != 0 || s->private_ip[0] || !s->recovery_instance_id[0]) continue;
    if (json_array_size(ids) && (strcmp(account, s->account) != 0 || strcmp(region, s->region) != 0)) continue;
    account = s->account;
    region = s->region;
    if (json_array_append_new(ids, json_string(s->recovery_instance_id))) break;
  }
  if (!json_array_size(ids)) {
    json_decref(ids);
    return;
  }
  struct exec_io *io = exec_io_new(IO_INSTANCES, st->id, account, region, "drs", "DescribeRecoveryInstances",
                                   json_pack("{s:{s:o}}", "filters", "recoveryInstanceIDs", ids));
  if (!io) return;
  lv->rt.instances_inflight = true;
  exec_io_submit(eng, io);
}

void exec_poll(struct orch_exec_engine *eng) {
  json_t *groups = json_object();
  if (!groups) return;
  for (struct exec_live *lv = eng->lives; lv; lv = lv->next) {
    const struct orch_exec_state *st = &lv->st;
    for (size_t j = 0; j < st->njobs; j++) {
      const struct orch_exec_job *job = &st->jobs[j];
      if (job->status != ORCH_JOB_STARTED) continue;
      if (group_add(groups, exec_account(eng, job->account), exec_region(eng, job->region), job->job_id)) goto oom;
    }
    for (size_t c = 0; c < st->nterms; c++) {
      const struct orch_exec_termination *t = &st->terms[c];
      if (t->ended || !t->job_id[0]) continue;
      if (group_add(groups, exec_account(eng, t->account), exec_region(eng, t->region), t->job_id)) goto oom;
    }
    exec_ask_instances(eng, lv);
  }
  const char *key;
  json_t *g;
  json_object_foreach(groups, key, g) {
    const char *account = json_string_value(json_object_get(g, "account"));
    const char *region = json_string_value(json_object_get(g, "region"));
    ask_quotas(eng, account, region);
    if (json_object_get(eng->polls_inflight, key)) continue; /* the last poll has not answered yet */
    json_t *ids = json_object_get(g, "ids");
    /* Past 100 active jobs (beyond any DRS quota) the ids are split into several calls. */
    for (size_t from = 0; from < json_array_size(ids); from += POLL_IDS_MAX) {
      json_t *part = json_array();
      for (size_t i = from; part && i < json_array_size(ids) && i < from + POLL_IDS_MAX; i++)
        json_array_append(part, json_array_get(ids, i));
      struct exec_io *io = part ? exec_io_new(IO_POLL, "", account, region, "drs", "DescribeJobs",
                                              json_pack("{s:{s:o}}", "filters", "jobIDs", part))
                                : NULL;
      if (!io) goto oom;
      io->paginate = true;
      snprintf(io->key, sizeof io->key, "%s", key);
      if (json_object_set_new(eng->polls_inflight, key, json_integer(json_integer_value(json_object_get(eng->polls_inflight, key)) + 1)))
        orch_log_warn("exec: poll bookkeeping lost (out of memory)");
      exec_count(eng, "describe_jobs_polls", 1);
      exec_io_submit(eng, io);
    }
  }
  exec_count(eng, "poll_ticks", 1);
  json_decref(groups);
  return;
oom:
  orch_log_error("exec: out of memory preparing the poll; will retry on the next tick");
  json_decref(groups);
}

/* Launch status of one participating server, as an event when it changed. */
static void server_update(struct orch_exec_engine *eng, struct exec_live *lv, const json_t *ps, const char *job_id,
                          bool job_completed) {
  struct orch_exec_state *st = &lv->st;
  const char *id = json_string_value(json_object_get(ps, "sourceServerID"));
  const char *status = json_string_value(json_object_get(ps, "launchStatus"));
  const char *ri = json_string_value(json_object_get(ps, "recoveryInstanceID"));
  long s = orch_exec_server_index(st, id);
  if (s < 0 || strcmp(st->servers[s].job_id, job_id) != 0) return; /* an older attempt's job */
  const struct orch_exec_server *sv = &st->servers[s];
  const char *failure = NULL;
  if (status && strcmp(status, "TERMINATED") == 0) status = "FAILED", failure = "recovery instance terminated during launch";
  if (job_completed && status && strcmp(status, "LAUNCHED") != 0 && strcmp(status, "FAILED") != 0)
    status = "FAILED", failure = "the job ended before the server launched";
  if (status && strcmp(status, "FAILED") == 0 && !failure) failure = "LAUNCH_FAILED reported by DRS";
  bool changed = (status && strcmp(sv->launch_status, status) != 0) || (ri && strcmp(sv->recovery_instance_id, ri) != 0);
  if (!changed) return;
  exec_append(eng, lv, "ServerStatus", json_pack("{s:s, s:s, s:s*, s:s*, s:s*}", "server", id, "job_id", job_id,
                                                 "launch_status", status, "recovery_instance_id", ri, "failure", failure));
}

static void job_update(struct orch_exec_engine *eng, const json_t *job) {
  const char *job_id = json_string_value(json_object_get(job, "jobID"));
  const char *status = json_string_value(json_object_get(job, "status"));
  if (!job_id) return;
  bool completed = status && strcmp(status, "COMPLETED") == 0;
  for (struct exec_live *lv = eng->lives; lv; lv = lv->next) {
    struct orch_exec_state *st = &lv->st;
    long c = orch_exec_term_index_by_job(st, job_id);
    if (c >= 0) {
      const struct orch_exec_termination *t = &st->terms[c];
      if (completed && !t->ended) {
        int n = (int)json_array_size(t->ids);
        char account[16], region[32];
        snprintf(account, sizeof account, "%s", exec_account(eng, t->account));
        snprintf(region, sizeof region, "%s", exec_region(eng, t->region));
        if (exec_append(eng, lv, "TerminateEnded", json_pack("{s:I, s:s, s:s}", "chunk", (json_int_t)c, "job_id", job_id,
                                                             "status", status)) == 0)
          orch_exec_admission_job_ended(eng->admission, account, region, n);
        exec_step(eng, lv);
      }
      return;
    }
    long j = orch_exec_job_index_by_id(st, job_id);
    if (j < 0) continue;
    if (st->jobs[j].status != ORCH_JOB_STARTED) return;
    size_t i;
    json_t *ps;
    json_array_foreach(json_object_get(job, "participatingServers"), i, ps) server_update(eng, lv, ps, job_id, completed);
    if (completed) {
      /* Servers the job never mentioned did not launch either. */
      for (size_t k = 0; k < st->jobs[j].nservers; k++) {
        const struct orch_exec_server *sv = &st->servers[st->jobs[j].servers[k]];
        if (!orch_exec_server_final(sv))
          exec_append(eng, lv, "ServerStatus", json_pack("{s:s, s:s, s:s}", "server", sv->id, "launch_status", "FAILED",
                                                         "failure", "not reported by its job"));
      }
      int n = (int)st->jobs[j].nservers;
      char account[16], region[32];
      snprintf(account, sizeof account, "%s", exec_account(eng, st->jobs[j].account));
      snprintf(region, sizeof region, "%s", exec_region(eng, st->jobs[j].region));
      if (exec_append(eng, lv, "JobEnded", json_pack("{s:s, s:s}", "job_id", job_id, "status", status)) == 0)
        orch_exec_admission_job_ended(eng->admission, account, region, n);
    }
    exec_ask_instances(eng, lv);
    exec_step(eng, lv);
    return;
  }
}

/* DRS quota names in Service Quotas ("Max number of source servers in a single Drill or Recovery Job",
 * "Max number of concurrent Jobs", "Max number of source servers in all Jobs"), matched without regard
 * to case, mapped to admission's three limits. */
static void quotas_update(struct orch_exec_engine *eng, struct exec_io *io) {
  struct orch_exec_quotas q = orch_exec_admission_quotas(eng->admission, io->account, io->region);
  size_t i;
  json_t *item;
  int found = 0;
  json_array_foreach(json_object_get(io->output, "Quotas"), i, item) {
    const char *name = json_string_value(json_object_get(item, "QuotaName"));
    double v = json_number_value(json_object_get(item, "Value"));
    if (!name || v < 1) continue;
    char lower[256];
    size_t n = 0;
    for (; name[n] && n + 1 < sizeof lower; n++) lower[n] = (char)tolower((unsigned char)name[n]);
    lower[n] = '\0';
    if (strstr(lower, "single") || strstr(lower, "per job")) q.servers_per_job = (int)v, found++;
    else if (strstr(lower, "concurrent")) q.concurrent_jobs = (int)v, found++;
    else if (strstr(lower, "all jobs") || strstr(lower, "active jobs")) q.servers_in_active_jobs = (int)v, found++;
  }
  if (found && orch_exec_admission_set_quotas(eng->admission, io->account, io->region, &q) == 0)
    orch_log_info("exec: DRS quotas for %s/%s: %d servers per job, %d concurrent jobs, %d servers in active jobs",
                  io->account, io->region, q.servers_per_job, q.concurrent_jobs, q.servers_in_active_jobs);
}

void exec_poll_done(struct orch_exec_engine *eng, struct exec_io *io) {
  if (io->kind == IO_QUOTAS) {
    char key[64];
    scope_key(key, sizeof key, io->account, io->region);
    if (io->rc)
      orch_log_info("exec: Service Quotas unreadable for %s/%s (%s); using safe defaults", io->account, io->region,
                    io->aerr.code[0] ? io->aerr.code : io->err.message);
    else
      quotas_update(eng, io);
    json_object_set_new(eng->quotas_known, key, json_string("known"));
    exec_io_free(io);
    for (struct exec_live *lv = eng->lives; lv; lv = lv->next) exec_step(eng, lv); /* launches waited for this */
    return;
  }
  json_int_t left = json_integer_value(json_object_get(eng->polls_inflight, io->key)) - 1;
  if (left > 0) json_object_set_new(eng->polls_inflight, io->key, json_integer(left));
  else json_object_del(eng->polls_inflight, io->key);
  if (io->rc) {
    orch_log_warn("exec: DescribeJobs for %s failed (%s); will poll again", io->key,
                  io->aerr.code[0] ? io->aerr.code : io->err.message);
    exec_io_free(io);
    return;
  }
  size_t i;
  json_t *job;
  json_array_foreach(json_object_get(io->output, "items"), i, job) job_update(eng, job);
  exec_io_free(io);
}
