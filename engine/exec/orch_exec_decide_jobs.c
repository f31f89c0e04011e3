/* orch_exec_decide_jobs: decide for DRS work in flight and for notifications: sending StartRecovery for a
 * job just decided, finding by its tag a job whose fate is unknown (after a restart, a time-out or a 5xx)
 * and sending it again only when it cannot exist, asking DRS for the status of started jobs on every
 * poll and folding the answers into server statuses (a job's answers only ever touch the attempt that
 * sent it), looking up launched instances' EC2 details, publishing SNS notifications at least once.
 * Pure. Uses orch_exec_decide_int. */
#include <stdio.h>
#include <string.h>

#include "core/orch_str.h"
#include "core/orch_time.h"
#include "exec/orch_exec_decide_int.h"

#define INSTANCE_IDS_MAX 200 /* recoveryInstanceIDs in one DescribeRecoveryInstances filter */
#define POLL_IDS_MAX 100     /* jobIDs in one DescribeJobs filter */

/* ---- StartRecovery and its reconciliation --------------------------------------------------------- */

static void send_start(struct dctx *d, size_t j) {
  const struct orch_exec_state *st = d->st;
  const struct orch_exec_job *job = &st->jobs[j];
  json_t *servers = json_array();
  for (size_t i = 0; servers && i < job->nservers; i++) {
    const struct orch_exec_server *sv = &st->servers[job->servers[i]];
    if (sv->attempt != job->attempt) continue;
    if (json_array_append_new(servers, json_pack("{s:s, s:s*}", "sourceServerID", sv->id, "recoverySnapshotID",
                                                 sv->snapshot_id[0] ? sv->snapshot_id : NULL))) {
      json_decref(servers);
      servers = NULL;
    }
  }
  char attempt[16];
  snprintf(attempt, sizeof attempt, "%d", job->attempt);
  json_t *tags = json_pack("{s:s, s:s, s:s, s:s, s:s}", "drsorch:execution", st->id, "drsorch:wave",
                           st->waves[job->wave].name, "drsorch:attempt", attempt, "drsorch:launch", job->tag,
                           "drsorch:plan", st->plan_name);
  json_t *input = servers && tags ? json_pack("{s:b, s:o, s:o}", "isDrill", st->mode == ORCH_MODE_DRILL, "sourceServers",
                                              servers, "tags", tags)
                                  : NULL;
  if (!input) {
    json_decref(servers);
    json_decref(tags);
    d_oom(d);
    return;
  }
  if (!d_effect(d, ORCH_FX_START, job->tag, job->account, job->region, "drs", "StartRecovery", input)) return;
  struct orch_exec_job_memo *m = &d->fl->jobs[j];
  m->out = true;
  m->fresh = false;
  m->sends++;
  m->sent_ms = d->now;
}

static void send_find(struct dctx *d, size_t j) {
  const struct orch_exec_job *job = &d->st->jobs[j];
  char from[ORCH_TIME_ISO_MAX];
  orch_time_iso8601_s(from, job->requested_ms - 10 * 60 * 1000);
  struct orch_exec_effect *e = d_effect(d, ORCH_FX_FIND, job->tag, job->account, job->region, "drs", "DescribeJobs",
                                        json_pack("{s:{s:s}}", "filters", "fromDate", from));
  if (!e) return;
  e->paginate = true;
  d->fl->jobs[j].out = true;
}

/* When a job of unknown fate may be sent again: its request's deadline and the grace for DRS's
 * eventually consistent reads have passed. */
static int64_t resend_after(const struct orch_exec_job *job, const struct orch_exec_job_memo *m) {
  int64_t sent = m->sent_ms > job->requested_ms ? m->sent_ms : job->requested_ms;
  return sent + ORCH_EXEC_REQUEST_DEADLINE_MS + ORCH_EXEC_FIND_GRACE_MS;
}

static void start_answer(struct dctx *d, const struct orch_exec_answer *a) {
  long j = orch_exec_job_index_by_tag(d->st, a->key);
  if (j < 0) return;
  struct orch_exec_job_memo *m = &d->fl->jobs[j];
  m->out = false;
  if (d->st->jobs[j].status != ORCH_JOB_REQUESTED) return;
  if (!a->rc) {
    const char *job_id = json_string_value(json_object_get(json_object_get(a->output, "job"), "jobID"));
    if (job_id) {
      d_event(d, "JobStarted", json_pack("{s:s, s:s}", "tag", a->key, "job_id", job_id));
      return;
    }
  }
  char why[1200];
  d_answer_error(a, why, sizeof why);
  if (a->rc && d_refused(a)) {
    d_event(d, "JobStartFailed", json_pack("{s:s, s:s}", "tag", a->key, "error", why));
    return;
  }
  /* A time-out or a server error: the job may exist. Look for it by its tag before anything else. */
  d_note(d, "warn", "execution %s: StartRecovery for %s unclear (%s); looking it up by its tag", d->st->id, a->key,
         a->rc ? why : "no job id in the answer");
  m->unclear = true;
  m->misses = 0;
  m->next_find_ms = d->now;
}

static void find_answer(struct dctx *d, const struct orch_exec_answer *a) {
  long j = orch_exec_job_index_by_tag(d->st, a->key);
  if (j < 0) return;
  struct orch_exec_job_memo *m = &d->fl->jobs[j];
  const struct orch_exec_job *job = &d->st->jobs[j];
  m->out = false;
  if (job->status != ORCH_JOB_REQUESTED) return;
  if (a->rc) {
    char why[1200];
    d_answer_error(a, why, sizeof why);
    d_note(d, "warn", "execution %s: cannot look up job %s yet (%s)", d->st->id, a->key, why);
    m->next_find_ms = d->now + ORCH_EXEC_FIND_SPACING_MS;
    return;
  }
  size_t i;
  json_t *item;
  json_array_foreach(json_object_get(a->output, "items"), i, item) {
    const char *tag = json_string_value(json_object_get(json_object_get(item, "tags"), "drsorch:launch"));
    const char *job_id = json_string_value(json_object_get(item, "jobID"));
    if (tag && job_id && strcmp(tag, a->key) == 0) {
      d_note(d, "info", "execution %s: adopted job %s for %s (found by its tag)", d->st->id, job_id, a->key);
      d_event(d, "JobStarted", json_pack("{s:s, s:s, s:b}", "tag", a->key, "job_id", job_id, "adopted", 1));
      return;
    }
  }
  m->misses++;
  int64_t after = resend_after(job, m);
  if (m->misses >= 2 && d->now >= after) {
    if (m->sends >= ORCH_EXEC_START_SENDS_MAX) {
      char msg[300];
      snprintf(msg, sizeof msg, "StartRecovery did not succeed after %d attempts (no job carries its tag)", m->sends);
      d_event(d, "JobStartFailed", json_pack("{s:s, s:s}", "tag", a->key, "error", msg));
      return;
    }
    /* Two spaced look-ups missed it after its deadline and the grace: it was never created. */
    m->unclear = false;
    m->fresh = true;
    return;
  }
  int64_t next = d->now + ORCH_EXEC_FIND_SPACING_MS;
  if (m->misses >= 1 && next < after) next = after;
  m->next_find_ms = next;
}

static bool step_requested(struct dctx *d) {
  const struct orch_exec_state *st = d->st;
  for (size_t j = 0; j < st->njobs && !d->rc; j++) {
    if (st->jobs[j].status != ORCH_JOB_REQUESTED) continue;
    struct orch_exec_job_memo *m = &d->fl->jobs[j];
    if (m->out) continue;
    if (m->fresh) {
      send_start(d, j);
      continue;
    }
    if (!m->unclear) { /* requested before this process: find it by its tag before sending it again */
      m->unclear = true;
      m->next_find_ms = d->now;
    }
    if (d->now < m->next_find_ms) d_wake(d, m->next_find_ms);
    else send_find(d, j);
  }
  return false;
}

/* ---- polling -------------------------------------------------------------------------------------- */

/* Add job_id to the poll of its account+region in `groups` ({"acct/region": {account, region, ids}}). */
static int group_add(json_t *groups, const char *account, const char *region, const char *job_id) {
  char key[64];
  snprintf(key, sizeof key, "%s/%s", account, region);
  json_t *g = json_object_get(groups, key);
  if (!g) {
    g = json_pack("{s:s, s:s, s:[]}", "account", account, "region", region, "ids");
    if (!g || json_object_set_new(groups, key, g)) return ORCH_ENOMEM;
  }
  return json_array_append_new(json_object_get(g, "ids"), json_string(job_id)) ? ORCH_ENOMEM : 0;
}

static void ask_poll(struct dctx *d) {
  const struct orch_exec_state *st = d->st;
  json_t *groups = json_object();
  int rc = groups ? 0 : ORCH_ENOMEM;
  for (size_t j = 0; !rc && j < st->njobs; j++)
    if (st->jobs[j].status == ORCH_JOB_STARTED)
      rc = group_add(groups, d_account(d, st->jobs[j].account), d_region(d, st->jobs[j].region), st->jobs[j].job_id);
  for (size_t c = 0; !rc && c < st->nterms; c++)
    if (st->terms[c].job_id[0] && !st->terms[c].ended)
      rc = group_add(groups, d_account(d, st->terms[c].account), d_region(d, st->terms[c].region), st->terms[c].job_id);
  if (rc) {
    json_decref(groups);
    d_oom(d);
    return;
  }
  const char *key;
  json_t *g;
  json_object_foreach(groups, key, g) {
    json_t *ids = json_object_get(g, "ids");
    for (size_t from = 0; from < json_array_size(ids); from += POLL_IDS_MAX) {
      json_t *part = json_array();
      for (size_t i = from; part && i < json_array_size(ids) && i < from + POLL_IDS_MAX; i++)
        json_array_append(part, json_array_get(ids, i));
      struct orch_exec_effect *e =
          d_effect(d, ORCH_FX_POLL, key, json_string_value(json_object_get(g, "account")),
                   json_string_value(json_object_get(g, "region")), "drs", "DescribeJobs",
                   part ? json_pack("{s:{s:o}}", "filters", "jobIDs", part) : NULL);
      if (!e) break;
      e->paginate = true;
      e->context = json_pack("{s:O}", "ids", json_object_get(json_object_get(e->input, "filters"), "jobIDs"));
      d->fl->polls_out++;
    }
  }
  json_decref(groups);
}

/* Launch status of one server in a job's answer, as an event when it changed. Only the attempt the job
 * launched is touched: a server relaunched since belongs to its new job. */
static void server_update(struct dctx *d, const struct orch_exec_job *job, const json_t *ps, bool completed) {
  struct orch_exec_state *st = d->st;
  const char *id = json_string_value(json_object_get(ps, "sourceServerID"));
  const char *status = json_string_value(json_object_get(ps, "launchStatus"));
  const char *ri = json_string_value(json_object_get(ps, "recoveryInstanceID"));
  long s = orch_exec_server_index(st, id);
  if (s < 0) return;
  const struct orch_exec_server *sv = &st->servers[s];
  if (sv->attempt != job->attempt || strcmp(sv->job_id, job->job_id) != 0) return; /* an older attempt's job */
  const char *failure = NULL;
  if (status && strcmp(status, "TERMINATED") == 0) status = "FAILED", failure = "recovery instance terminated during launch";
  if (completed && status && strcmp(status, "LAUNCHED") != 0 && strcmp(status, "FAILED") != 0)
    status = "FAILED", failure = "the job ended before the server launched";
  if (status && strcmp(status, "FAILED") == 0 && !failure) failure = "LAUNCH_FAILED reported by DRS";
  int launch = status ? orch_launch_status_parse(status) : -1;
  bool changed = (launch >= 0 && (int)sv->launch != launch) || (ri && strcmp(sv->recovery_instance_id, ri) != 0);
  if (!changed) return;
  if (launch == ORCH_LAUNCH_LAUNCHED) d->fl->instances_wanted = true;
  d_event(d, "ServerStatus", json_pack("{s:s, s:s, s:s*, s:s*, s:s*}", "server", id, "job_id", job->job_id,
                                       "launch_status", launch >= 0 ? status : NULL, "recovery_instance_id", ri,
                                       "failure", failure));
}

static void job_update(struct dctx *d, const json_t *item) {
  struct orch_exec_state *st = d->st;
  const char *job_id = json_string_value(json_object_get(item, "jobID"));
  const char *status = json_string_value(json_object_get(item, "status"));
  bool completed = status && strcmp(status, "COMPLETED") == 0;
  long c = orch_exec_term_index_by_job(st, job_id);
  if (c >= 0) {
    if (completed && !st->terms[c].ended)
      d_event(d, "TerminateEnded", json_pack("{s:I, s:s, s:s}", "chunk", (json_int_t)c, "job_id", job_id, "status", status));
    return;
  }
  long j = orch_exec_job_index_by_id(st, job_id);
  if (j < 0 || st->jobs[j].status != ORCH_JOB_STARTED) return;
  d->fl->jobs[j].unknown_polls = 0;
  size_t i;
  json_t *ps;
  json_array_foreach(json_object_get(item, "participatingServers"), i, ps) {
    server_update(d, &st->jobs[j], ps, completed);
    if (d->rc) return;
  }
  if (!completed) return;
  /* Servers of this job's attempt that it never reported did not launch either. */
  const struct orch_exec_job *job = &st->jobs[j];
  for (size_t k = 0; k < job->nservers && !d->rc; k++) {
    const struct orch_exec_server *sv = &st->servers[job->servers[k]];
    if (sv->attempt == job->attempt && strcmp(sv->job_id, job->job_id) == 0 && !orch_exec_server_final(sv))
      d_event(d, "ServerStatus", json_pack("{s:s, s:s, s:s, s:s}", "server", sv->id, "job_id", job->job_id,
                                           "launch_status", "FAILED", "failure", "not reported by its job"));
  }
  d_event(d, "JobEnded", json_pack("{s:s, s:s}", "job_id", job_id, "status", status));
}

/* DRS says why a server failed only in its job's log: read it once per job that ended with failed servers,
 * for the report (it decides nothing). The execution is not done until it is recorded. */
static void ask_job_logs(struct dctx *d) {
  const struct orch_exec_state *st = d->st;
  for (size_t j = 0; j < st->njobs && j < d->fl->njobs && !d->rc; j++) {
    const struct orch_exec_job *job = &st->jobs[j];
    if (!job->log_wanted || job->log_read || d->fl->jobs[j].log_out) continue;
    struct orch_exec_effect *e = d_effect(d, ORCH_FX_JOB_LOG, job->job_id, job->account, job->region, "drs",
                                          "DescribeJobLogItems", json_pack("{s:s}", "jobID", job->job_id));
    if (!e) return;
    e->paginate = true;
    d->fl->jobs[j].log_out = true;
  }
}

/* DRS's reasons for the failed servers of a job (its LAUNCH_FAILED and SNAPSHOT_FAIL log items), as a
 * JobLog event: evidence for the report. A log that cannot be read is only noted. */
static void job_log_answer(struct dctx *d, const struct orch_exec_answer *a) {
  long j = orch_exec_job_index_by_id(d->st, a->key);
  if (j < 0 || d->st->jobs[j].log_read) return;
  if ((size_t)j < d->fl->njobs) d->fl->jobs[j].log_out = false;
  if (a->rc) {
    char why[800];
    d_answer_error(a, why, sizeof why);
    d_note(d, "warn", "execution %s: the log of job %s could not be read (%s): DRS's failure reasons are not in the report",
           d->st->id, a->key, why);
    d_event(d, "JobLog", json_pack("{s:s, s:[], s:s}", "job_id", a->key, "failures", "error", why));
    return;
  }
  json_t *failures = json_array();
  size_t i;
  json_t *item;
  json_array_foreach(json_object_get(a->output, "items"), i, item) {
    const char *event = json_string_value(json_object_get(item, "event"));
    const json_t *data = json_object_get(item, "eventData");
    const char *server = json_string_value(json_object_get(data, "sourceServerID"));
    const char *raw = json_string_value(json_object_get(data, "rawError"));
    if (!event || !server || (strcmp(event, "LAUNCH_FAILED") != 0 && strcmp(event, "SNAPSHOT_FAIL") != 0)) continue;
    if (orch_exec_server_index(d->st, server) < 0 || json_array_size(failures) >= ORCH_EXEC_EVENT_ITEMS_MAX) continue;
    json_array_append_new(failures, json_pack("{s:s, s:s, s:s?, s:O*}", "server", server, "event", event, "error", raw,
                                              "at", json_object_get(item, "logDateTime")));
  }
  d_event(d, "JobLog", json_pack("{s:s, s:o}", "job_id", a->key, "failures", failures));
}

/* Started jobs the poll asked about that DRS did not list (after the grace for new jobs): a region or
 * endpoint that does not know them. Reported, and the execution is left for a resume against the
 * right one instead of waiting for ever. */
static void unknown_jobs(struct dctx *d, const json_t *asked, const json_t *items) {
  struct orch_exec_state *st = d->st;
  char list[400] = "";
  size_t n = 0, i;
  long first = -1;
  json_t *id;
  json_array_foreach(asked, i, id) {
    long j = orch_exec_job_index_by_id(st, json_string_value(id));
    if (j < 0 || st->jobs[j].status != ORCH_JOB_STARTED) continue;
    bool listed = false;
    size_t k;
    json_t *item;
    json_array_foreach(items, k, item) if (json_equal(json_object_get(item, "jobID"), id)) listed = true;
    /* DRS lists a new job only after a while (eventual consistency): the grace counts from its answer, which
     * is later than the request when the request was sent again after a restart. */
    int64_t since = st->jobs[j].started_ms > st->jobs[j].requested_ms ? st->jobs[j].started_ms : st->jobs[j].requested_ms;
    if (listed) d->fl->jobs[j].unknown_polls = 0;
    if (listed || d->now < since + ORCH_EXEC_FIND_GRACE_MS) continue;
    if (++d->fl->jobs[j].unknown_polls < ORCH_EXEC_UNKNOWN_POLLS) continue;
    size_t len = strlen(list);
    if (len + 40 < sizeof list) (void)orch_str_fmt(list + len, sizeof list - len, "%s%s", n ? ", " : "", json_string_value(id));
    if (first < 0) first = j;
    n++;
  }
  if (!n) return;
  const struct orch_exec_job *any = &st->jobs[first];
  d->out->halt = true;
  (void)orch_str_fmt(d->out->halt_reason, sizeof d->out->halt_reason,
           "DRS in account %s, region %s does not know %zu job(s) this execution started (%s): it is not the region "
           "or endpoint that launched them; resume the execution against the right --region / --endpoint-url",
           d_account(d, any->account), d_region(d, any->region), n, list);
}

static void poll_answer(struct dctx *d, const struct orch_exec_answer *a) {
  if (d->fl->polls_out > 0) d->fl->polls_out--;
  if (a->rc) {
    char why[1200];
    d_answer_error(a, why, sizeof why);
    d_note(d, "warn", "execution %s: DescribeJobs failed (%s); the next poll asks again", d->st->id, why);
    return;
  }
  size_t i;
  json_t *item;
  json_array_foreach(json_object_get(a->output, "items"), i, item) {
    job_update(d, item);
    if (d->rc) return;
  }
  unknown_jobs(d, json_object_get(a->context, "ids"), json_object_get(a->output, "items"));
}

/* ---- instance details ----------------------------------------------------------------------------- */

static bool needs_details(const struct orch_exec_server *s) {
  return s->launch == ORCH_LAUNCH_LAUNCHED && !s->private_ip[0] && s->recovery_instance_id[0];
}

static void ask_instances(struct dctx *d) {
  const struct orch_exec_state *st = d->st;
  json_t *ids = json_array();
  const char *account = "", *region = "";
  for (size_t i = 0; ids && i < st->nservers && json_array_size(ids) < INSTANCE_IDS_MAX; i++) {
    const struct orch_exec_server *s = &st->servers[i];
    if (!needs_details(s)) continue;
    if (json_array_size(ids) && (strcmp(account, s->account) != 0 || strcmp(region, s->region) != 0)) continue;
    account = s->account;
    region = s->region;
    if (json_array_append_new(ids, json_string(s->recovery_instance_id))) break;
  }
  if (!json_array_size(ids)) {
    json_decref(ids);
    return;
  }
  struct orch_exec_effect *e = d_effect(d, ORCH_FX_INSTANCES, "", account, region, "drs", "DescribeRecoveryInstances",
                                        json_pack("{s:{s:o}}", "filters", "recoveryInstanceIDs", ids));
  if (!e) return;
  e->context = json_pack("{s:s, s:s}", "account", account, "region", region);
  d->fl->instances = true;
}

static void instances_answer(struct dctx *d, const struct orch_exec_answer *a) {
  struct orch_exec_state *st = d->st;
  if (a->rc) {
    char why[1200];
    d_answer_error(a, why, sizeof why);
    d_note(d, "warn", "execution %s: %s failed (%s); asking again on the next poll", st->id,
           a->purpose == ORCH_FX_EC2 ? "ec2:DescribeInstances" : "drs:DescribeRecoveryInstances", why);
    d->fl->instances = false;
    return;
  }
  size_t i;
  json_t *item;
  if (a->purpose == ORCH_FX_INSTANCES) {
    json_t *ec2_ids = json_array();
    json_array_foreach(json_object_get(a->output, "items"), i, item) {
      const char *src = json_string_value(json_object_get(item, "sourceServerID"));
      const char *ec2 = json_string_value(json_object_get(item, "ec2InstanceID"));
      const char *state = json_string_value(json_object_get(item, "ec2InstanceState"));
      long s = orch_exec_server_index(st, src);
      if (s < 0 || !ec2) continue;
      if (strcmp(st->servers[s].ec2_instance_id, ec2) != 0 &&
          !d_event(d, "ServerStatus", json_pack("{s:s, s:s, s:s*}", "server", src, "ec2_instance_id", ec2, "ec2_state", state)))
        break;
      if (ec2_ids) json_array_append_new(ec2_ids, json_string(ec2));
    }
    if (d->rc || !json_array_size(ec2_ids)) {
      json_decref(ec2_ids);
      d->fl->instances = false;
      return;
    }
    d_effect(d, ORCH_FX_EC2, "", a->context ? json_string_value(json_object_get(a->context, "account")) : "",
             a->context ? json_string_value(json_object_get(a->context, "region")) : "", "ec2", "DescribeInstances",
             json_pack("{s:o}", "InstanceIds", ec2_ids));
    return;
  }
  size_t r;
  json_t *res;
  json_array_foreach(json_object_get(a->output, "Reservations"), r, res) {
    json_array_foreach(json_object_get(res, "Instances"), i, item) {
      const char *id = json_string_value(json_object_get(item, "InstanceId"));
      const char *ip = json_string_value(json_object_get(item, "PrivateIpAddress"));
      const char *state = json_string_value(json_object_get(json_object_get(item, "State"), "Name"));
      for (size_t s = 0; id && s < st->nservers && !d->rc; s++) {
        if (strcmp(st->servers[s].ec2_instance_id, id) != 0) continue;
        if ((ip && strcmp(st->servers[s].private_ip, ip) != 0) || (state && strcmp(st->servers[s].ec2_state, state) != 0))
          d_event(d, "ServerStatus", json_pack("{s:s, s:s*, s:s*}", "server", st->servers[s].id, "private_ip", ip, "ec2_state", state));
      }
    }
  }
  d->fl->instances = false;
  d->fl->instances_wanted = true; /* more than one request's worth: the rest now (none left: nothing asked) */
}

/* ---- notifications -------------------------------------------------------------------------------- */

/* arn:aws:sns:REGION:ACCOUNT:NAME */
static void topic_scope(const char *arn, char *account, size_t an, char *region, size_t rn) {
  account[0] = region[0] = '\0';
  const char *p = arn;
  for (int field = 0; field < 3 && p; field++) p = strchr(p, ':') ? strchr(p, ':') + 1 : NULL;
  const char *colon = p ? strchr(p, ':') : NULL;
  if (!colon) return;
  snprintf(region, rn, "%.*s", (int)(colon - p), p);
  const char *acct = colon + 1, *end = strchr(acct, ':');
  if (end) snprintf(account, an, "%.*s", (int)(end - acct), acct);
}

static void step_notices(struct dctx *d) {
  const struct orch_exec_state *st = d->st;
  for (size_t i = 0; i < st->nnotices && !d->rc; i++) {
    const struct orch_exec_notice *n = &st->notices[i];
    if (n->sent || n->failed || d->fl->notices[i]) continue;
    if (n->failures) {
      int64_t due = n->failed_ms + ((int64_t)5000 << (n->failures - 1));
      if (d->now < due) {
        d_wake(d, due);
        continue;
      }
    }
    const char *topic = json_string_value(json_object_get(n->data, "topic"));
    char account[16], region[32], key[32];
    topic_scope(topic, account, sizeof account, region, sizeof region);
    snprintf(key, sizeof key, "%lld", (long long)n->id);
    json_t *attrs = json_pack("{s:{s:s, s:s}, s:{s:s, s:O}}", "execution", "DataType", "String", "StringValue", st->id,
                              "event", "DataType", "String", "StringValue", json_object_get(n->data, "kind"));
    if (d_effect(d, ORCH_FX_NOTIFY, key, account, region, "sns", "Publish",
                 json_pack("{s:s, s:O, s:O, s:o*}", "TopicArn", topic, "Subject", json_object_get(n->data, "subject"),
                           "Message", json_object_get(n->data, "message"), "MessageAttributes", attrs)))
      d->fl->notices[i] = 1;
  }
}

static void notify_answer(struct dctx *d, const struct orch_exec_answer *a) {
  long long id = 0;
  if (sscanf(a->key, "%lld", &id) != 1) return;
  const struct orch_exec_state *st = d->st;
  for (size_t i = 0; i < st->nnotices; i++) {
    const struct orch_exec_notice *n = &st->notices[i];
    if (n->id != id) continue;
    d->fl->notices[i] = 0;
    if (n->sent || n->failed) return;
    if (!a->rc) {
      d_event(d, "NotificationSent", json_pack("{s:I, s:O*}", "id", (json_int_t)id, "message_id",
                                               json_object_get(a->output, "MessageId")));
      return;
    }
    char why[800];
    d_answer_error(a, why, sizeof why);
    bool final = n->failures + 1 >= ORCH_EXEC_NOTIFY_TRIES || d_refused(a);
    d_note(d, "warn", "execution %s: notification '%s' not sent: %s%s", st->id,
           json_string_value(json_object_get(n->data, "kind")), why, final ? " (given up)" : " (will retry)");
    d_event(d, "NotificationFailed", json_pack("{s:I, s:s, s:b}", "id", (json_int_t)id, "error", why, "final", final));
    return;
  }
}

/* ---- entry points --------------------------------------------------------------------------------- */

bool d_step_jobs(struct dctx *d) {
  size_t before = json_array_size(d->out->events);
  step_requested(d);
  if (d->fl->poll_wanted && !d->fl->polls_out) {
    d->fl->poll_wanted = false;
    ask_poll(d);
  }
  if (d->fl->instances_wanted && !d->fl->instances && !d->st->ended_ms) {
    d->fl->instances_wanted = false;
    ask_instances(d);
  }
  step_notices(d);
  ask_job_logs(d);
  return json_array_size(d->out->events) > before;
}

void d_jobs_answer(struct dctx *d, const struct orch_exec_answer *a) {
  switch (a->purpose) {
    case ORCH_FX_START: start_answer(d, a); break;
    case ORCH_FX_FIND: find_answer(d, a); break;
    case ORCH_FX_POLL: poll_answer(d, a); break;
    case ORCH_FX_INSTANCES:
    case ORCH_FX_EC2: instances_answer(d, a); break;
    case ORCH_FX_NOTIFY: notify_answer(d, a); break;
    case ORCH_FX_JOB_LOG: job_log_answer(d, a); break;
    default: break;
  }
}
