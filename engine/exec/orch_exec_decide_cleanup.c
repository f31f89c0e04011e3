/* orch_exec_decide_cleanup: decide for a drill's clean-up: when the drill has ended (completed, failed or
 * cancelled) and its keep-for time has passed (or an operator asked for it now), run the plan's cleanup
 * hook, wait for its launch jobs to end, then terminate every recovery instance it launched, in chunks
 * admitted like launches. A chunk that fails is tried again with a growing back-off; after
 * ORCH_EXEC_CLEANUP_TRIES failures the clean-up gives up as CLEANUP_FAILED, naming the instances left
 * to terminate, and says so by notification. Pure. Uses orch_exec_decide_int. */
#include <stdio.h>
#include <string.h>

#include "core/orch_time.h"
#include "exec/orch_exec_decide_int.h"

#define TERMINATE_IDS_MAX 200 /* TerminateRecoveryInstances takes at most 200 ids */

/* The clean-up's requests: instances grouped by account+region, in chunks that fit one request and the
 * DRS servers-per-job quota. */
static json_t *termination_chunks(struct dctx *d) {
  const struct orch_exec_state *st = d->st;
  json_t *chunks = json_array();
  for (size_t i = 0; chunks && i < st->nservers; i++) {
    const struct orch_exec_server *sv = &st->servers[i];
    if (!sv->recovery_instance_id[0] || sv->launch == ORCH_LAUNCH_TERMINATED) continue;
    const char *account = d_account(d, sv->account), *region = d_region(d, sv->region);
    struct orch_exec_quotas q = orch_exec_admission_quotas(d->env->admission, account, region);
    size_t cap = (size_t)q.servers_per_job < TERMINATE_IDS_MAX ? (size_t)q.servers_per_job : TERMINATE_IDS_MAX;
    json_t *chunk = NULL, *c;
    size_t k;
    json_array_foreach(chunks, k, c) {
      if (strcmp(json_string_value(json_object_get(c, "account")), account) == 0 &&
          strcmp(json_string_value(json_object_get(c, "region")), region) == 0 &&
          json_array_size(json_object_get(c, "recovery_instance_ids")) < cap)
        chunk = c;
    }
    if (!chunk) {
      chunk = json_pack("{s:I, s:s, s:s, s:[]}", "chunk", (json_int_t)json_array_size(chunks), "account", account,
                        "region", region, "recovery_instance_ids");
      if (!chunk || json_array_append_new(chunks, chunk)) goto oom;
    }
    if (json_array_append_new(json_object_get(chunk, "recovery_instance_ids"), json_string(sv->recovery_instance_id)))
      goto oom;
  }
  return chunks;
oom:
  json_decref(chunks);
  return NULL;
}

static int64_t backoff_ms(int failures) {
  int64_t ms = ORCH_EXEC_CLEANUP_BACKOFF_MS;
  for (int i = 1; i < failures && ms < ORCH_EXEC_CLEANUP_BACKOFF_MAX_MS; i++) ms *= 2;
  return ms < ORCH_EXEC_CLEANUP_BACKOFF_MAX_MS ? ms : ORCH_EXEC_CLEANUP_BACKOFF_MAX_MS;
}

/* Give up: CLEANUP_FAILED with the instances left to terminate by hand. */
static bool give_up(struct dctx *d, const struct orch_exec_termination *t) {
  const struct orch_exec_state *st = d->st;
  json_t *left = json_array();
  for (size_t c = 0; left && c < st->nterms; c++)
    if (!st->terms[c].ended) {
      size_t i;
      json_t *id;
      json_array_foreach(st->terms[c].ids, i, id) json_array_append(left, id);
    }
  char why[600];
  snprintf(why, sizeof why, "TerminateRecoveryInstances failed %d times (last: %s); %zu recovery instance(s) are left "
           "to terminate", t->failures, t->error, json_array_size(left));
  if (!d_event(d, "CleanupFailed", json_pack("{s:s, s:o*}", "reason", why, "recovery_instance_ids", left))) return false;
  d_notify(d, "cleanup_failed", "DRS orchestration: drill clean-up failed", "The clean-up of drill %s of %s gave up: %s",
           st->id, st->plan_name, why);
  return true;
}

/* Look for the TERMINATE job of chunk c: DescribeJobs since shortly before it was first requested. */
static void send_find(struct dctx *d, size_t c) {
  const struct orch_exec_termination *t = &d->st->terms[c];
  char from[ORCH_TIME_ISO_MAX], key[24];
  orch_time_iso8601_s(from, t->requested_ms - 10 * 60 * 1000);
  snprintf(key, sizeof key, "%zu", c);
  struct orch_exec_effect *e = d_effect(d, ORCH_FX_TERMINATE_FIND, key, t->account, t->region, "drs", "DescribeJobs",
                                        json_pack("{s:{s:s}}", "filters", "fromDate", from));
  if (!e) return;
  e->paginate = true;
  d->fl->terms[c].out = true;
}

/* Chunk c's fate is unknown from now: look for its job before sending or checking anything. */
static void term_unclear(struct dctx *d, size_t c) {
  struct orch_exec_term_memo *m = &d->fl->terms[c];
  m->clear = false;
  m->misses = 0;
  m->since_ms = d->now;
  m->next_find_ms = d->now;
}

void d_terms_unanswered(const struct dctx *d, int *jobs, int *servers) {
  const struct orch_exec_state *st = d->st;
  for (size_t c = 0; c < st->nterms && c < d->fl->nterms; c++) {
    const struct orch_exec_term_memo *m = &d->fl->terms[c];
    if (!st->terms[c].ended && !st->terms[c].job_id[0] && (m->out || !m->clear))
      (*jobs)++, *servers += (int)json_array_size(st->terms[c].ids);
  }
}

/* Send chunk c when admission lets it: false when it must wait (later chunks wait behind it). */
static bool send_terminate(struct dctx *d, size_t c, const char *waiter, bool *queued) {
  struct orch_exec_state *st = d->st;
  const struct orch_exec_termination *t = &st->terms[c];
  const char *account = d_account(d, t->account), *region = d_region(d, t->region);
  int n = (int)json_array_size(t->ids), allowed = 0, used_jobs = 0, used_servers = 0;
  orch_exec_admission_usage(d->env->lives, d->env->nlives, d->env->default_account, d->env->default_region, account,
                            region, &used_jobs, &used_servers);
  d_terms_unanswered(d, &used_jobs, &used_servers);
  *queued = true;
  if (orch_exec_admission_enqueue(d->env->admission, account, region, waiter)) return d_oom(d);
  if (!orch_exec_admission_try(d->env->admission, account, region, waiter, n, used_jobs, used_servers, &allowed) ||
      allowed < n)
    return false;
  char key[24];
  snprintf(key, sizeof key, "%zu", c);
  if (!d_effect(d, ORCH_FX_TERMINATE, key, t->account, t->region, "drs", "TerminateRecoveryInstances",
                json_pack("{s:O}", "recoveryInstanceIDs", t->ids)))
    return false;
  d->fl->terms[c].out = true;
  *queued = false;
  return true;
}

static bool send_terminations(struct dctx *d) {
  struct orch_exec_state *st = d->st;
  char waiter[ORCH_ID_UUID_LEN + 16];
  snprintf(waiter, sizeof waiter, "%s/clean-up", st->id);
  bool all_ended = true, queued = false;
  for (size_t c = 0; c < st->nterms && !d->rc; c++) {
    const struct orch_exec_termination *t = &st->terms[c];
    struct orch_exec_term_memo *m = &d->fl->terms[c];
    if (!t->ended) all_ended = false;
    if (t->ended || t->job_id[0] || m->out) continue;
    if (!m->clear) { /* requested before this process, or refused: find its job before anything else */
      if (!m->since_ms) term_unclear(d, c);
      if (d->now < m->next_find_ms) d_wake(d, m->next_find_ms);
      else send_find(d, c);
      continue;
    }
    if (t->failures >= ORCH_EXEC_CLEANUP_TRIES) return give_up(d, t);
    if (t->failures) {
      int64_t due = t->failed_ms + backoff_ms(t->failures);
      if (d->now < due) {
        d_wake(d, due);
        continue;
      }
    }
    if (!send_terminate(d, c, waiter, &queued)) break;
  }
  if (!queued) orch_exec_admission_dequeue(d->env->admission, waiter);
  if (!all_ended || d->rc) return false;
  if (!d_event(d, "CleanupDone", json_pack("{s:I}", "terminations", (json_int_t)st->nterms))) return false;
  d_notify(d, "cleanup_done", "DRS orchestration: drill cleaned up", "Drill %s of %s is cleaned up (%zu termination job(s))",
           st->id, st->plan_name, st->nterms);
  return true;
}

bool d_step_cleanup(struct dctx *d) {
  struct orch_exec_state *st = d->st;
  if (st->mode != ORCH_MODE_DRILL || st->status == ORCH_EXEC_CLEANED || st->status == ORCH_EXEC_CLEANUP_FAILED) return false;
  if (st->status != ORCH_EXEC_CLEANING_UP)
    return d_event(d, "CleanupStarted", json_pack("{s:I}", "after_ms", (json_int_t)(st->ended_ms + d->env->keep_for_ms)));
  if (d->now < st->cleanup_after_ms && !st->cleanup_expedited) {
    d_wake(d, st->cleanup_after_ms);
    return false;
  }
  if (!st->cleanup_hook_done) {
    if (st->cleanup_hook_running) return false; /* decide_hooks drives it */
    return d_hook_start(d, -1, 0);
  }
  /* DRS will not terminate the instances of a job still running: wait for every launch job to end. */
  for (size_t j = 0; j < st->njobs; j++)
    if (st->jobs[j].status == ORCH_JOB_REQUESTED || st->jobs[j].status == ORCH_JOB_STARTED) return false;
  if (!st->terminate_requested) {
    json_t *chunks = termination_chunks(d);
    if (!chunks) return d_oom(d);
    if (!json_array_size(chunks)) {
      json_decref(chunks);
      if (!d_event(d, "CleanupDone", json_pack("{s:s}", "note", "no recovery instances to terminate"))) return false;
      d_notify(d, "cleanup_done", "DRS orchestration: drill cleaned up", "Drill %s of %s is cleaned up (it launched nothing)",
               st->id, st->plan_name);
      return true;
    }
    if (!d_event(d, "TerminateRequested", json_pack("{s:o}", "chunks", chunks)) || !d_reserve(d)) return false;
    for (size_t c = 0; c < st->nterms; c++) d->fl->terms[c].clear = true; /* decided here: nothing of ours is out */
    return true;
  }
  return send_terminations(d);
}

/* The newest TERMINATE job in a DescribeJobs answer that names one of chunk t's recovery instances. */
static const char *find_job(const struct orch_exec_termination *t, const json_t *items) {
  const char *best = NULL, *best_at = "";
  size_t i;
  json_t *item;
  json_array_foreach(items, i, item) {
    const char *type = json_string_value(json_object_get(item, "type"));
    const char *job_id = json_string_value(json_object_get(item, "jobID"));
    const char *at = json_string_value(json_object_get(item, "creationDateTime"));
    if (!type || strcmp(type, "TERMINATE") != 0 || !job_id) continue;
    bool ours = false;
    size_t k, x;
    json_t *ps, *id;
    json_array_foreach(json_object_get(item, "participatingServers"), k, ps) {
      const char *ri = json_string_value(json_object_get(ps, "recoveryInstanceID"));
      json_array_foreach(t->ids, x, id) if (ri && strcmp(ri, json_string_value(id)) == 0) ours = true;
    }
    if (ours && (!best || (at && strcmp(at, best_at) > 0))) best = job_id, best_at = at ? at : "";
  }
  return best;
}

/* Are chunk c's instances gone already? */
static void send_check(struct dctx *d, size_t c, const char *key) {
  const struct orch_exec_termination *t = &d->st->terms[c];
  struct orch_exec_effect *e = d_effect(d, ORCH_FX_TERMINATE_CHECK, key, t->account, t->region, "drs",
                                        "DescribeRecoveryInstances", json_pack("{s:{s:O}}", "filters", "recoveryInstanceIDs", t->ids));
  if (!e) return;
  e->paginate = true;
  e->context = json_pack("{s:s}", "error", d->fl->terms[c].error);
  d->fl->terms[c].out = true;
}

static void find_answer(struct dctx *d, size_t c, const struct orch_exec_answer *a) {
  const struct orch_exec_termination *t = &d->st->terms[c];
  struct orch_exec_term_memo *m = &d->fl->terms[c];
  char why[600];
  if (a->rc) {
    d_answer_error(a, why, sizeof why);
    d_note(d, "warn", "execution %s: cannot look up clean-up chunk %zu's job yet (%s)", d->st->id, c, why);
    m->next_find_ms = d->now + ORCH_EXEC_FIND_SPACING_MS;
    return;
  }
  const char *job_id = find_job(t, json_object_get(a->output, "items"));
  if (job_id) {
    d_note(d, "info", "execution %s: adopted TERMINATE job %s for clean-up chunk %zu", d->st->id, job_id, c);
    d_event(d, "TerminateStarted", json_pack("{s:I, s:s, s:b}", "chunk", (json_int_t)c, "job_id", job_id, "adopted", 1));
    return;
  }
  if (m->refused) { /* DRS refused our request, so it made no job; an older one would have been listed */
    char key[24];
    snprintf(key, sizeof key, "%zu", c);
    m->clear = true;
    m->since_ms = 0;
    send_check(d, c, key); /* perhaps they are gone already */
    m->error[0] = '\0';
    return;
  }
  /* Unknown fate (a restart, a time-out, a 5xx): any request of ours went out before that was noticed.
   * Two spaced look-ups after its deadline and the grace for DRS's eventually consistent reads. */
  int64_t after = m->since_ms + ORCH_EXEC_REQUEST_DEADLINE_MS + ORCH_EXEC_FIND_GRACE_MS;
  if (++m->misses >= 2 && d->now >= after) { /* no job: it was never created */
    m->clear = true;
    m->since_ms = 0;
    if (m->error[0]) { /* a time-out or a 5xx: a failure, tried again after the back-off */
      d_note(d, "warn", "execution %s: clean-up chunk %zu failed (%s); trying again later", d->st->id, c, m->error);
      d_event(d, "TerminateFailed", json_pack("{s:I, s:s}", "chunk", (json_int_t)c, "error", m->error));
    }
    m->error[0] = '\0';
    return;
  }
  int64_t next = d->now + ORCH_EXEC_FIND_SPACING_MS;
  m->next_find_ms = m->misses >= 1 && next < after ? after : next;
}

void d_cleanup_answer(struct dctx *d, const struct orch_exec_answer *a) {
  struct orch_exec_state *st = d->st;
  long long c = -1;
  if (sscanf(a->key, "%lld", &c) != 1 || c < 0 || (size_t)c >= st->nterms) return;
  const struct orch_exec_termination *t = &st->terms[c];
  struct orch_exec_term_memo *m = &d->fl->terms[c];
  m->out = false;
  if (t->ended || t->job_id[0]) return;
  char why[1000];
  if (a->purpose == ORCH_FX_TERMINATE_FIND) {
    find_answer(d, (size_t)c, a);
    return;
  }
  if (a->purpose == ORCH_FX_TERMINATE) {
    const char *job_id = a->rc ? NULL : json_string_value(json_object_get(json_object_get(a->output, "job"), "jobID"));
    m->refused = false;
    if (job_id) {
      d_event(d, "TerminateStarted", json_pack("{s:I, s:s}", "chunk", (json_int_t)c, "job_id", job_id));
      return;
    }
    if (!a->rc) {
      d_event(d, "TerminateFailed", json_pack("{s:I, s:s}", "chunk", (json_int_t)c, "error", "answered without a job id"));
      return;
    }
    /* Refused (perhaps a job of ours from before a restart holds them), timed out or a 5xx: a job may
     * exist. Find it and adopt it; only when it cannot exist send again or check the instances. */
    d_answer_error(a, m->error, sizeof m->error);
    m->refused = d_refused(a);
    d_note(d, "warn", "execution %s: TerminateRecoveryInstances for clean-up chunk %lld unclear (%s); looking for its job",
           st->id, c, m->error);
    term_unclear(d, (size_t)c);
    return;
  }
  size_t alive = 0, i;
  json_t *item;
  json_array_foreach(json_object_get(a->output, "items"), i, item) {
    const char *state = json_string_value(json_object_get(item, "ec2InstanceState"));
    if (!state || (strcmp(state, "TERMINATED") != 0 && strcmp(state, "SHUTTING-DOWN") != 0)) alive++;
  }
  if (!a->rc && !alive) {
    d_event(d, "TerminateEnded", json_pack("{s:I, s:s}", "chunk", (json_int_t)c, "status", "ALREADY_TERMINATED"));
    return;
  }
  const char *first = json_string_value(json_object_get(a->context, "error"));
  snprintf(why, sizeof why, "%s", first && *first ? first : "TerminateRecoveryInstances failed");
  d_note(d, "warn", "execution %s: clean-up chunk %lld failed (%s); trying again later", st->id, c, why);
  d_event(d, "TerminateFailed", json_pack("{s:I, s:s}", "chunk", (json_int_t)c, "error", why));
}
