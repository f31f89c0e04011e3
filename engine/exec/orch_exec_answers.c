/* orch_exec_answers: what the scheduler does with an AWS answer for one execution: StartRecovery
 * results (or their reconciliation by tag), instance details, terminations, notifications, preflight
 * reports. Each answer becomes journal events; nothing here calls AWS directly.
 * Uses orch_exec_int, orch_log. */
#include <stdio.h>
#include <string.h>

#include "core/orch_alloc.h"
#include "core/orch_log.h"
#include "core/orch_str.h"
#include "core/orch_time.h"
#include "exec/orch_exec_int.h"

#define MAX_START_SENDS 3

static void aws_error_text(const struct exec_io *io, char *out, size_t n) {
  if (io->aerr.code[0])
    snprintf(out, n, "%s: %s", io->aerr.code, io->aerr.message);
  else
    snprintf(out, n, "%s", io->err.message[0] ? io->err.message : orch_error_str(io->rc));
}

/* An error that proves the request was refused (so no job exists): a 4xx that is not throttling. */
static bool definitely_refused(const struct exec_io *io) {
  return io->aerr.http_status >= 400 && io->aerr.http_status < 500 && !io->aerr.throttling &&
         io->aerr.http_status != 408;
}

static void job_failed(struct orch_exec_engine *eng, struct exec_live *lv, size_t j, const char *why) {
  struct orch_exec_job *job = &lv->st.jobs[j];
  int n = (int)job->nservers;
  char account[16], region[32], tag[96];
  snprintf(account, sizeof account, "%s", exec_account(eng, job->account));
  snprintf(region, sizeof region, "%s", exec_region(eng, job->region));
  snprintf(tag, sizeof tag, "%s", job->tag);
  if (exec_append(eng, lv, "JobStartFailed", json_pack("{s:s, s:s}", "tag", tag, "error", why)) == 0)
    orch_exec_admission_job_ended(eng->admission, account, region, n);
}

static void job_started(struct orch_exec_engine *eng, struct exec_live *lv, size_t j, const char *job_id) {
  exec_append(eng, lv, "JobStarted", json_pack("{s:s, s:s}", "tag", lv->st.jobs[j].tag, "job_id", job_id));
}

static void resend_or_fail(struct orch_exec_engine *eng, struct exec_live *lv, size_t j, const char *why) {
  if (lv->rt.job_sends[j] >= MAX_START_SENDS) {
    char msg[512];
    snprintf(msg, sizeof msg, "StartRecovery did not succeed after %d attempts: %s", MAX_START_SENDS, why);
    job_failed(eng, lv, j, msg);
    return;
  }
  /* Not found by its tag: it was never created, so sending it again cannot launch twice. */
  exec_send_start(eng, lv, j);
}

static void on_start(struct orch_exec_engine *eng, struct exec_live *lv, struct exec_io *io) {
  long j = orch_exec_job_index_by_tag(&lv->st, io->key);
  if (j < 0 || lv->st.jobs[j].status != ORCH_JOB_REQUESTED) return;
  lv->rt.job_inflight[j] = 0;
  if (io->rc == 0) {
    const char *job_id = json_string_value(json_object_get(json_object_get(io->output, "job"), "jobID"));
    if (job_id) {
      job_started(eng, lv, (size_t)j, job_id);
      return;
    }
    orch_log_warn("exec %s: StartRecovery for %s answered without a job id; looking it up by tag", lv->st.id, io->key);
  }
  char why[1200];
  aws_error_text(io, why, sizeof why);
  if (io->rc && definitely_refused(io)) {
    job_failed(eng, lv, (size_t)j, why);
    return;
  }
  /* A time-out or a server error: the job may exist. Find it by its tag before anything else. */
  orch_log_warn("exec %s: StartRecovery for %s unclear (%s); looking it up by tag", lv->st.id, io->key, why);
  exec_send_find(eng, lv, (size_t)j);
}

static void on_find(struct orch_exec_engine *eng, struct exec_live *lv, struct exec_io *io) {
  long j = orch_exec_job_index_by_tag(&lv->st, io->key);
  if (j < 0 || lv->st.jobs[j].status != ORCH_JOB_REQUESTED) return;
  lv->rt.job_inflight[j] = 0;
  if (io->rc) {
    char why[1200];
    aws_error_text(io, why, sizeof why);
    orch_log_warn("exec %s: cannot look up job %s yet (%s); will retry", lv->st.id, io->key, why);
    return; /* the step finds the job unanswered and not in flight, and asks again */
  }
  size_t i;
  json_t *job;
  json_array_foreach(json_object_get(io->output, "items"), i, job) {
    const char *tag = json_string_value(json_object_get(json_object_get(job, "tags"), "drsorch:launch"));
    if (tag && strcmp(tag, io->key) == 0) {
      const char *job_id = json_string_value(json_object_get(job, "jobID"));
      if (job_id) {
        orch_log_info("exec %s: adopted job %s for %s (found by tag)", lv->st.id, job_id, io->key);
        exec_count(eng, "jobs_adopted", 1);
        job_started(eng, lv, (size_t)j, job_id);
        return;
      }
    }
  }
  resend_or_fail(eng, lv, (size_t)j, "no job carries its tag");
}

/* Two stages: DescribeRecoveryInstances gives the EC2 instance ids, EC2 DescribeInstances the rest. */
static void on_instances(struct orch_exec_engine *eng, struct exec_live *lv, struct exec_io *io) {
  struct orch_exec_state *st = &lv->st;
  if (io->rc) {
    char why[1200];
    aws_error_text(io, why, sizeof why);
    orch_log_warn("exec %s: %s:%s failed (%s); will retry on the next poll", st->id, io->service, io->operation, why);
    lv->rt.instances_inflight = false;
    return;
  }
  size_t i;
  json_t *item;
  if (strcmp(io->operation, "DescribeRecoveryInstances") == 0) {
    json_t *ec2_ids = json_array();
    json_array_foreach(json_object_get(io->output, "items"), i, item) {
      const char *src = json_string_value(json_object_get(item, "sourceServerID"));
      const char *ec2 = json_string_value(json_object_get(item, "ec2InstanceID"));
      const char *state = json_string_value(json_object_get(item, "ec2InstanceState"));
      long s = orch_exec_server_index(st, src);
      if (s < 0 || !ec2) continue;
      if (strcmp(st->servers[s].ec2_instance_id, ec2) != 0)
        exec_append(eng, lv, "ServerStatus", json_pack("{s:s, s:s, s:s*}", "server", src, "ec2_instance_id", ec2, "ec2_state", state));
      if (ec2_ids) json_array_append_new(ec2_ids, json_string(ec2));
    }
    if (!json_array_size(ec2_ids)) {
      json_decref(ec2_ids);
      lv->rt.instances_inflight = false;
      exec_ask_instances(eng, lv);
      return;
    }
    struct exec_io *next = exec_io_new(IO_INSTANCES, st->id, io->account, io->region, "ec2", "DescribeInstances",
                                       json_pack("{s:o}", "InstanceIds", ec2_ids));
    if (!next) {
      lv->rt.instances_inflight = false;
      return;
    }
    exec_io_submit(eng, next);
    return;
  }
  size_t r;
  json_t *res;
  json_array_foreach(json_object_get(io->output, "Reservations"), r, res) {
    json_array_foreach(json_object_get(res, "Instances"), i, item) {
      const char *id = json_string_value(json_object_get(item, "InstanceId"));
      const char *ip = json_string_value(json_object_get(item, "PrivateIpAddress"));
      const char *state = json_string_value(json_object_get(json_object_get(item, "State"), "Name"));
      for (size_t s = 0; id && s < st->nservers; s++) {
        if (strcmp(st->servers[s].ec2_instance_id, id) != 0) continue;
        if ((ip && strcmp(st->servers[s].private_ip, ip) != 0) || (state && strcmp(st->servers[s].ec2_state, state) != 0))
          exec_append(eng, lv, "ServerStatus", json_pack("{s:s, s:s*, s:s*}", "server", st->servers[s].id, "private_ip", ip, "ec2_state", state));
      }
    }
  }
  lv->rt.instances_inflight = false;
  exec_ask_instances(eng, lv); /* more than one request's worth of servers: the rest now */
}

static struct orch_exec_termination *term_of(struct exec_live *lv, const struct exec_io *io, size_t *chunk) {
  long long c = -1;
  if (orch_str_to_ll(io->key, 0, (long long)lv->st.nterms - 1, &c)) return NULL;
  *chunk = (size_t)c;
  return &lv->st.terms[c];
}

static void term_released(struct orch_exec_engine *eng, const struct orch_exec_termination *t) {
  orch_exec_admission_job_ended(eng->admission, exec_account(eng, t->account), exec_region(eng, t->region),
                                (int)json_array_size(t->ids));
}

static void on_terminate(struct orch_exec_engine *eng, struct exec_live *lv, struct exec_io *io) {
  size_t c = 0;
  struct orch_exec_termination *t = term_of(lv, io, &c);
  if (!t) return;
  if (io->rc) {
    char why[1200];
    aws_error_text(io, why, sizeof why);
    term_released(eng, t);
    /* Refused, perhaps because a request before a restart already terminated them: look before retrying. */
    orch_log_warn("exec %s: TerminateRecoveryInstances (chunk %zu) failed (%s); checking the instances", lv->st.id, c, why);
    struct exec_io *check = exec_io_new(IO_TERMINATE_CHECK, lv->st.id, t->account, t->region, "drs",
                                        "DescribeRecoveryInstances", json_pack("{s:{s:O}}", "filters", "recoveryInstanceIDs", t->ids));
    if (!check) {
      lv->rt.term_inflight[c] = 0;
      return;
    }
    check->paginate = true;
    snprintf(check->key, sizeof check->key, "%zu", c);
    exec_io_submit(eng, check);
    return;
  }
  lv->rt.term_inflight[c] = 0;
  const char *job_id = json_string_value(json_object_get(json_object_get(io->output, "job"), "jobID"));
  if (!job_id) {
    term_released(eng, t);
    orch_log_warn("exec %s: TerminateRecoveryInstances answered without a job id; will retry", lv->st.id);
    return;
  }
  exec_append(eng, lv, "TerminateStarted", json_pack("{s:I, s:s}", "chunk", (json_int_t)c, "job_id", job_id));
}

static void on_terminate_check(struct orch_exec_engine *eng, struct exec_live *lv, struct exec_io *io) {
  size_t c = 0;
  struct orch_exec_termination *t = term_of(lv, io, &c);
  if (!t) return;
  lv->rt.term_inflight[c] = 0;
  size_t alive = 0, i;
  json_t *item;
  json_array_foreach(json_object_get(io->output, "items"), i, item) {
    const char *state = json_string_value(json_object_get(item, "ec2InstanceState"));
    if (!state || (strcmp(state, "TERMINATED") != 0 && strcmp(state, "SHUTTING-DOWN") != 0)) alive++;
  }
  if (!io->rc && !alive) {
    exec_append(eng, lv, "TerminateEnded", json_pack("{s:I, s:s}", "chunk", (json_int_t)c, "status", "ALREADY_TERMINATED"));
    return;
  }
  /* Still there: try again after a pause rather than hammer the API. */
  lv->rt.stalled = true;
  lv->rt.stalled_until_ms = orch_clock_now_ms(eng->clock) + 1000;
}

static void on_notify(struct orch_exec_engine *eng, struct exec_live *lv, struct exec_io *io) {
  if (io->rc) {
    char why[1200];
    aws_error_text(io, why, sizeof why);
    orch_log_warn("exec %s: notification '%s' not sent: %s", lv->st.id, io->key, why);
    return;
  }
  exec_append(eng, lv, "NotificationSent",
              json_pack("{s:s, s:s*}", "kind", io->key, "message_id", json_string_value(json_object_get(io->output, "MessageId"))));
}

static void on_preflight(struct orch_exec_engine *eng, struct exec_live *lv, struct exec_io *io) {
  lv->rt.preflight_inflight = false;
  json_t *result = io->output;
  if (io->rc || !result) {
    char why[1200];
    aws_error_text(io, why, sizeof why);
    exec_append(eng, lv, "PreflightResult",
                json_pack("{s:b, s:[{s:s, s:b, s:s}]}", "ok", 0, "checks", "name", "preflight", "ok", 0, "detail", why));
    return;
  }
  if (exec_preflight_conflicts(eng, lv, result)) return;
  json_t *servers = json_object_get(result, "servers");
  if (servers && !lv->st.servers_resolved &&
      exec_append(eng, lv, "ServersResolved", json_pack("{s:O}", "servers", servers)))
    return;
  exec_append(eng, lv, "PreflightResult",
              json_pack("{s:O, s:O}", "ok", json_object_get(result, "ok"), "checks", json_object_get(result, "checks")));
}

static void on_prepare(struct orch_exec_engine *eng, struct exec_live *lv, struct exec_io *io) {
  lv->rt.prepare_inflight = false;
  long w = orch_exec_wave_index(&lv->st, io->key);
  if (w < 0 || lv->st.waves[w].status != ORCH_WAVE_WAITING) return;
  json_t *errors = json_object_get(io->output, "errors");
  if (io->rc || json_array_size(errors)) {
    char why[800];
    if (io->rc) snprintf(why, sizeof why, "launch settings not applied: %s", io->err.message);
    else snprintf(why, sizeof why, "launch preparation failed for %zu server(s): %s", json_array_size(errors),
                  json_string_value(json_array_get(errors, 0)));
    exec_append(eng, lv, "WaveCompleted", json_pack("{s:s, s:s, s:s}", "wave", io->key, "status", "FAILED", "reason", why));
    return;
  }
  exec_append(eng, lv, "WavePrepared", json_pack("{s:s, s:O}", "wave", io->key, "snapshots", json_object_get(io->output, "snapshots")));
}

void exec_io_done(struct orch_exec_engine *eng, struct exec_live *lv, struct exec_io *io) {
  switch (io->kind) {
    case IO_PREPARE: on_prepare(eng, lv, io); break;
    case IO_PREFLIGHT: on_preflight(eng, lv, io); break;
    case IO_START: on_start(eng, lv, io); break;
    case IO_FIND: on_find(eng, lv, io); break;
    case IO_INSTANCES: on_instances(eng, lv, io); break;
    case IO_TERMINATE: on_terminate(eng, lv, io); break;
    case IO_TERMINATE_CHECK: on_terminate_check(eng, lv, io); break;
    case IO_NOTIFY: on_notify(eng, lv, io); break;
    case IO_HOOK: exec_hooks_io_done(eng, lv, io); return; /* the hooks module owns io now */
    case IO_POLL:
    case IO_QUOTAS: break;
  }
  exec_io_free(io);
}
