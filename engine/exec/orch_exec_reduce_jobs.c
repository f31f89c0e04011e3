/* orch_exec_reduce_jobs: the reducer's handlers for DRS work: launch jobs and the servers they launch,
 * drill terminations, and SNS notifications. Each checks the whole event before it changes anything.
 * Uses orch_exec_reduce_int, orch_alloc. */
#include <stdint.h>
#include <string.h>

#include "core/orch_alloc.h"
#include "exec/orch_exec_reduce_int.h"

/* ---- launch jobs ---------------------------------------------------------------------------------- */

/* A RECOVERING wave whose servers of the current attempt are all final has recovered (at `at`). */
static void wave_check_recovered(struct orch_exec_state *st, size_t widx, int64_t at) {
  struct orch_exec_wave *w = &st->waves[widx];
  if (w->status != ORCH_WAVE_RECOVERING || w->recovered_ms) return;
  for (size_t k = 0; k < st->nservers; k++)
    if (st->servers[k].wave == widx && st->servers[k].attempt == w->attempt && !orch_exec_server_final(&st->servers[k]))
      return;
  w->recovered_ms = at;
}

/* LAUNCHING becomes RECOVERING once every job of the current attempt has an answer. */
static void wave_check_started(struct orch_exec_state *st, size_t widx) {
  struct orch_exec_wave *w = &st->waves[widx];
  if (w->status != ORCH_WAVE_LAUNCHING) return;
  for (size_t i = 0; i < st->njobs; i++)
    if (st->jobs[i].wave == widx && st->jobs[i].attempt == w->attempt && st->jobs[i].status == ORCH_JOB_REQUESTED) return;
  w->status = ORCH_WAVE_RECOVERING;
}

int orch_exec_on_job_requested(struct orch_exec_state *st, struct rd *r) {
  size_t widx = 0;
  const char *tag = NULL, *account = "", *region = "";
  long long attempt = 0, chunk = 0;
  json_t *servers = NULL;
  int rc = 0;
  struct orch_exec_wave *w = rd_wave(st, r, &rc, &widx);
  if (!w) return rc;
  rc = rd_str(r, "tag", true, &tag);
  if (!rc) rc = rd_str(r, "account", false, &account);
  if (!rc) rc = rd_str(r, "region", false, &region);
  if (!rc) rc = rd_int(r, "attempt", true, &attempt);
  if (!rc) rc = rd_int(r, "chunk", true, &chunk);
  if (!rc) rc = orch_json_get_array(r->ev->data, r->path, "servers", true, &servers, r->err);
  if (rc) return rc;
  if (strlen(tag) >= ORCH_EXEC_TAG_MAX) return rd_bad(r, "tag is longer than %d characters", ORCH_EXEC_TAG_MAX - 1);
  if (orch_exec_job_index_by_tag(st, tag) >= 0) return rd_bad(r, "job tag %s requested twice", tag);
  if (w->status != ORCH_WAVE_WAITING && w->status != ORCH_WAVE_LAUNCHING && w->status != ORCH_WAVE_RECOVERING)
    return rd_bad(r, "wave is %s: cannot launch", orch_wave_status_name(w->status));
  if (attempt < 1 || attempt > ORCH_EXEC_ATTEMPT_MAX || chunk < 0 || chunk > INT32_MAX)
    return rd_bad(r, "attempt %lld / chunk %lld out of range", attempt, chunk);
  size_t n = json_array_size(servers);
  if (!n) return rd_bad(r, "%s: a job needs servers", "servers");
  size_t *idx = orch_calloc(n, sizeof *idx);
  struct orch_exec_job *jobs = idx ? orch_realloc(st->jobs, (st->njobs + 1) * sizeof *jobs) : NULL;
  if (!jobs) {
    orch_free(idx);
    return ORCH_ENOMEM;
  }
  st->jobs = jobs; /* the array grew; njobs is unchanged until every check passed */
  for (size_t i = 0; i < n; i++) {
    const char *sid = json_string_value(json_array_get(servers, i));
    long s = orch_exec_server_index(st, sid);
    if (s < 0 || st->servers[s].wave != widx) {
      orch_free(idx);
      return rd_bad(r, "server %s is not in this wave", sid ? sid : "(not a string)");
    }
    for (size_t k = 0; k < i; k++)
      if (idx[k] == (size_t)s) {
        orch_free(idx);
        return rd_bad(r, "server %s is listed twice", sid);
      }
    idx[i] = (size_t)s;
  }
  struct orch_exec_job *j = &st->jobs[st->njobs++];
  memset(j, 0, sizeof *j);
  j->servers = idx;
  j->nservers = n;
  for (size_t i = 0; i < n; i++) {
    struct orch_exec_server *sv = &st->servers[idx[i]];
    sv->attempt = (int)attempt;
    sv->requested_ms = r->ev->at_ms;
    sv->launched_ms = 0;
    sv->job_id[0] = sv->recovery_instance_id[0] = sv->ec2_instance_id[0] = sv->failure[0] = '\0';
    sv->ec2_state[0] = sv->private_ip[0] = '\0';
    sv->launch = ORCH_LAUNCH_REQUESTED;
  }
  j->wave = widx;
  j->attempt = (int)attempt;
  j->chunk = (int)chunk;
  j->status = ORCH_JOB_REQUESTED;
  j->requested_ms = r->ev->at_ms;
  rd_copy(j->tag, sizeof j->tag, tag);
  rd_copy(j->account, sizeof j->account, account);
  rd_copy(j->region, sizeof j->region, region);
  w->attempt = (int)attempt;
  w->status = ORCH_WAVE_LAUNCHING;
  w->recovered_ms = 0;
  if (!w->launch_ms) w->launch_ms = r->ev->at_ms;
  return 0;
}

static int job_by_tag(struct orch_exec_state *st, struct rd *r, struct orch_exec_job **out) {
  const char *tag = NULL;
  int rc = rd_str(r, "tag", true, &tag);
  if (rc) return rc;
  long j = orch_exec_job_index_by_tag(st, tag);
  if (j < 0) return rd_bad(r, "no job requested with tag %s", tag);
  *out = &st->jobs[j];
  return 0;
}

/* The servers of job `j` that it still speaks for: launched by it, not relaunched since. */
static bool job_owns(const struct orch_exec_job *j, const struct orch_exec_server *s) {
  return s->attempt == j->attempt && (!s->job_id[0] || !j->job_id[0] || strcmp(s->job_id, j->job_id) == 0);
}

int orch_exec_on_job_started(struct orch_exec_state *st, struct rd *r) {
  struct orch_exec_job *j = NULL;
  const char *job_id = NULL;
  int rc = job_by_tag(st, r, &j);
  if (!rc) rc = rd_str(r, "job_id", true, &job_id);
  if (rc) return rc;
  if (j->status != ORCH_JOB_REQUESTED) return rd_bad(r, "job %s already answered", j->tag);
  if (strlen(job_id) >= sizeof j->job_id) return rd_bad(r, "job id too long");
  if (orch_exec_job_index_by_id(st, job_id) >= 0) return rd_bad(r, "job %s already belongs to another launch", job_id);
  for (size_t i = 0; i < j->nservers; i++) {
    struct orch_exec_server *s = &st->servers[j->servers[i]];
    if (!job_owns(j, s)) continue;
    rd_copy(s->job_id, sizeof s->job_id, job_id);
    s->launch = ORCH_LAUNCH_PENDING;
  }
  rd_copy(j->job_id, sizeof j->job_id, job_id);
  j->status = ORCH_JOB_STARTED;
  j->started_ms = r->ev->at_ms;
  wave_check_started(st, j->wave);
  return 0;
}

int orch_exec_on_job_start_failed(struct orch_exec_state *st, struct rd *r) {
  struct orch_exec_job *j = NULL;
  const char *why = "StartRecovery failed";
  int rc = job_by_tag(st, r, &j);
  if (!rc) rc = rd_str(r, "error", false, &why);
  if (rc) return rc;
  if (j->status != ORCH_JOB_REQUESTED) return rd_bad(r, "job %s already answered", j->tag);
  j->status = ORCH_JOB_START_FAILED;
  for (size_t i = 0; i < j->nservers; i++) {
    struct orch_exec_server *s = &st->servers[j->servers[i]];
    if (!job_owns(j, s)) continue;
    s->launch = ORCH_LAUNCH_FAILED;
    rd_copy(s->failure, sizeof s->failure, why);
  }
  wave_check_started(st, j->wave);
  wave_check_recovered(st, j->wave, r->ev->at_ms);
  return 0;
}

int orch_exec_on_job_ended(struct orch_exec_state *st, struct rd *r) {
  const char *job_id = NULL;
  int rc = rd_str(r, "job_id", true, &job_id);
  if (rc) return rc;
  long j = orch_exec_job_index_by_id(st, job_id);
  if (j < 0) return rd_bad(r, "unknown job %s", job_id);
  if (st->jobs[j].status != ORCH_JOB_STARTED) return rd_bad(r, "job %s is not running", job_id);
  st->jobs[j].status = ORCH_JOB_ENDED;
  const struct orch_exec_job *job = &st->jobs[j];
  for (size_t k = 0; k < job->nservers; k++) {
    const struct orch_exec_server *sv = &st->servers[job->servers[k]];
    if (sv->attempt == job->attempt && strcmp(sv->job_id, job->job_id) == 0 && sv->launch == ORCH_LAUNCH_FAILED)
      st->jobs[j].log_wanted = true;
  }
  return 0;
}

/* JobLog: DRS's reasons for a job's failed servers (or why its log could not be read): recorded once. */
int orch_exec_on_job_log(struct orch_exec_state *st, struct rd *r) {
  const char *job_id = NULL;
  int rc = rd_str(r, "job_id", true, &job_id);
  if (rc) return rc;
  long j = orch_exec_job_index_by_id(st, job_id);
  if (j < 0) return rd_bad(r, "unknown job %s", job_id);
  if (st->jobs[j].status != ORCH_JOB_ENDED) return rd_bad(r, "job %s has not ended", job_id);
  st->jobs[j].log_read = true;
  return 0;
}

int orch_exec_on_server_status(struct orch_exec_state *st, struct rd *r) {
  const char *id = NULL, *job = NULL, *ls = NULL, *ri = NULL, *ec2 = NULL, *ec2st = NULL, *ip = NULL, *why = NULL;
  int rc = rd_str(r, "server", true, &id);
  if (!rc) rc = rd_str(r, "job_id", false, &job);
  if (!rc) rc = rd_str(r, "launch_status", false, &ls);
  if (!rc) rc = rd_str(r, "recovery_instance_id", false, &ri);
  if (!rc) rc = rd_str(r, "ec2_instance_id", false, &ec2);
  if (!rc) rc = rd_str(r, "ec2_state", false, &ec2st);
  if (!rc) rc = rd_str(r, "private_ip", false, &ip);
  if (!rc) rc = rd_str(r, "failure", false, &why);
  if (rc) return rc;
  long i = orch_exec_server_index(st, id);
  if (i < 0) return rd_bad(r, "unknown server %s", id);
  int launch = ls ? orch_launch_status_parse(ls) : -1;
  if (ls && launch < 0) return rd_bad(r, "launch_status '%s' is not a launch status", ls);
  struct orch_exec_server *s = &st->servers[i];
  if (job && s->job_id[0] && strcmp(job, s->job_id) != 0)
    return rd_bad(r, "server %s is in job %s now, not %s", id, s->job_id, job);
  if (job) rd_copy(s->job_id, sizeof s->job_id, job);
  if (ri) rd_copy(s->recovery_instance_id, sizeof s->recovery_instance_id, ri);
  if (ec2) rd_copy(s->ec2_instance_id, sizeof s->ec2_instance_id, ec2);
  if (ec2st) rd_copy(s->ec2_state, sizeof s->ec2_state, ec2st);
  if (ip) rd_copy(s->private_ip, sizeof s->private_ip, ip);
  if (why) rd_copy(s->failure, sizeof s->failure, why);
  if (launch >= 0) {
    if (launch == ORCH_LAUNCH_LAUNCHED && s->launch != ORCH_LAUNCH_LAUNCHED) s->launched_ms = r->ev->at_ms;
    s->launch = (enum orch_launch_status)launch;
  }
  wave_check_recovered(st, s->wave, r->ev->at_ms);
  return 0;
}

/* ---- drill terminations --------------------------------------------------------------------------- */

int orch_exec_on_terminate_requested(struct orch_exec_state *st, struct rd *r) {
  json_t *chunks = NULL;
  int rc = orch_json_get_array(r->ev->data, r->path, "chunks", true, &chunks, r->err);
  if (rc) return rc;
  if (!st->ended_ms) return rd_bad(r, "%s: the execution has not ended", "TerminateRequested");
  if (st->terminate_requested) return rd_bad(r, "%s: termination already requested", "TerminateRequested");
  size_t n = json_array_size(chunks);
  for (size_t i = 0; i < n; i++) {
    json_t *ids = json_object_get(json_array_get(chunks, i), "recovery_instance_ids");
    if (!json_is_array(ids) || !json_array_size(ids)) return rd_bad(r, "chunks[%zu] has no recovery instance ids", i);
  }
  struct orch_exec_termination *terms = orch_calloc(n ? n : 1, sizeof *terms);
  if (!terms) return ORCH_ENOMEM;
  for (size_t i = 0; i < n; i++) {
    json_t *c = json_array_get(chunks, i);
    rd_copy(terms[i].account, sizeof terms[i].account, json_string_value(json_object_get(c, "account")));
    rd_copy(terms[i].region, sizeof terms[i].region, json_string_value(json_object_get(c, "region")));
    terms[i].ids = json_incref(json_object_get(c, "recovery_instance_ids"));
    terms[i].requested_ms = r->ev->at_ms;
  }
  st->terms = terms;
  st->nterms = n;
  st->terminate_requested = true;
  return 0;
}

static struct orch_exec_termination *term_chunk(struct orch_exec_state *st, struct rd *r, int *rc) {
  long long chunk = -1;
  *rc = rd_int(r, "chunk", true, &chunk);
  if (*rc) return NULL;
  if (chunk < 0 || (size_t)chunk >= st->nterms) {
    *rc = rd_bad(r, "no termination chunk %lld", chunk);
    return NULL;
  }
  return &st->terms[chunk];
}

int orch_exec_on_terminate_started(struct orch_exec_state *st, struct rd *r) {
  int rc = 0;
  struct orch_exec_termination *t = term_chunk(st, r, &rc);
  const char *job = NULL;
  if (!t) return rc;
  rc = rd_str(r, "job_id", true, &job);
  if (rc) return rc;
  if (t->ended) return rd_bad(r, "termination chunk already ended");
  rd_copy(t->job_id, sizeof t->job_id, job);
  return 0;
}

int orch_exec_on_terminate_failed(struct orch_exec_state *st, struct rd *r) {
  int rc = 0;
  struct orch_exec_termination *t = term_chunk(st, r, &rc);
  const char *why = "TerminateRecoveryInstances failed";
  if (!t) return rc;
  rc = rd_str(r, "error", false, &why);
  if (rc) return rc;
  if (t->ended) return rd_bad(r, "termination chunk already ended");
  t->job_id[0] = '\0'; /* a failed job: the chunk is asked for again */
  t->failures++;
  t->failed_ms = r->ev->at_ms;
  rd_copy(t->error, sizeof t->error, why);
  return 0;
}

int orch_exec_on_terminate_ended(struct orch_exec_state *st, struct rd *r) {
  int rc = 0;
  struct orch_exec_termination *t = term_chunk(st, r, &rc);
  if (!t) return rc;
  t->ended = true;
  /* Their instances are gone: the servers' records say so. */
  size_t i;
  json_t *id;
  json_array_foreach(t->ids, i, id) {
    for (size_t k = 0; k < st->nservers; k++)
      if (json_is_string(id) && strcmp(st->servers[k].recovery_instance_id, json_string_value(id)) == 0)
        st->servers[k].launch = ORCH_LAUNCH_TERMINATED;
  }
  return 0;
}

/* ---- notifications -------------------------------------------------------------------------------- */

static struct orch_exec_notice *notice_find(struct orch_exec_state *st, long long id) {
  for (size_t i = 0; i < st->nnotices; i++)
    if (st->notices[i].id == id) return &st->notices[i];
  return NULL;
}

int orch_exec_on_notification(struct orch_exec_state *st, struct rd *r, const char *type) {
  long long id = 0;
  int rc = rd_int(r, "id", false, &id);
  if (rc) return rc;
  if (strcmp(type, "NotificationRequested") == 0) {
    const char *kind = NULL, *topic = NULL;
    rc = rd_str(r, "kind", true, &kind);
    if (!rc) rc = rd_str(r, "topic", true, &topic);
    if (rc) return rc;
    struct orch_exec_notice *n = orch_realloc(st->notices, (st->nnotices + 1) * sizeof *n);
    if (!n) return ORCH_ENOMEM;
    st->notices = n;
    n[st->nnotices++] = (struct orch_exec_notice){.id = r->ev->seq, .data = json_incref((json_t *)(uintptr_t)r->ev->data)};
    return 0;
  }
  if (!id) return 0; /* an older journal's NotificationSent {kind, message_id}: a record only */
  struct orch_exec_notice *n = notice_find(st, id);
  if (!n) return rd_bad(r, "no notification %lld was requested", id);
  if (n->sent || n->failed) return rd_bad(r, "notification %lld already settled", id);
  if (strcmp(type, "NotificationSent") == 0) {
    n->sent = true;
    return 0;
  }
  bool final = json_is_true(json_object_get(r->ev->data, "final"));
  n->failures++;
  n->failed_ms = r->ev->at_ms;
  n->failed = final;
  return 0;
}
