/* orch_exec_step: the scheduler's decisions for one execution, and what it does with AWS answers.
 * Every decision is journaled before it is acted on (exec_append, then exec_io_submit), so a crash at
 * any point is resumed by folding the journal and reconciling: a job requested but never answered is
 * looked up by its tag before it is ever sent again. Uses orch_exec_int (engine, admission, hooks),
 * orch_log. */
#include <stdio.h>
#include <string.h>

#include "core/orch_alloc.h"
#include "core/orch_log.h"
#include "core/orch_time.h"
#include "exec/orch_exec_int.h"

#define MAX_STEPS 256        /* decisions per step call: far above any real plan's fan-out */

/* ---- runtime bookkeeping ------------------------------------------------------------------------ */

static int rt_reserve_jobs(struct exec_live *lv) {
  size_t need = lv->st.njobs + 1;
  if (need <= lv->rt.job_cap) return 0;
  size_t cap = lv->rt.job_cap ? lv->rt.job_cap * 2 : 16;
  while (cap < need) cap *= 2;
  unsigned char *inflight = orch_realloc(lv->rt.job_inflight, cap);
  if (!inflight) return ORCH_ENOMEM;
  lv->rt.job_inflight = inflight;
  int *sends = orch_realloc(lv->rt.job_sends, cap * sizeof *sends);
  if (!sends) return ORCH_ENOMEM;
  lv->rt.job_sends = sends;
  memset(inflight + lv->rt.job_cap, 0, cap - lv->rt.job_cap);
  memset(sends + lv->rt.job_cap, 0, (cap - lv->rt.job_cap) * sizeof *sends);
  lv->rt.job_cap = cap;
  return 0;
}

static bool job_inflight(const struct exec_live *lv, size_t j) { return j < lv->rt.job_cap && lv->rt.job_inflight[j]; }

static void waiter_key(char *out, size_t n, const struct exec_live *lv, size_t w) {
  snprintf(out, n, "%s/%s", lv->st.id, lv->st.waves[w].name);
}

/* ---- sending ------------------------------------------------------------------------------------ */

/* Send job j's StartRecovery, tagged so that it can be found again after a crash. */
void exec_send_start(struct orch_exec_engine *eng, struct exec_live *lv, size_t j) {
  const struct orch_exec_state *st = &lv->st;
  const struct orch_exec_job *job = &st->jobs[j];
  json_t *servers = json_array(), *tags = NULL, *input = NULL;
  if (!servers) goto oom;
  for (size_t i = 0; i < job->nservers; i++) {
    const struct orch_exec_server *sv = &st->servers[job->servers[i]];
    if (json_array_append_new(servers, json_pack("{s:s, s:s*}", "sourceServerID", sv->id, "recoverySnapshotID",
                                                 sv->snapshot_id[0] ? sv->snapshot_id : NULL)))
      goto oom;
  }
  char attempt[16];
  snprintf(attempt, sizeof attempt, "%d", job->attempt);
  tags = json_pack("{s:s, s:s, s:s, s:s, s:s}", "drsorch:execution", st->id, "drsorch:wave", st->waves[job->wave].name,
                   "drsorch:attempt", attempt, "drsorch:launch", job->tag, "drsorch:plan", st->plan_name);
  input = json_pack("{s:b, s:o, s:o}", "isDrill", st->mode == ORCH_MODE_DRILL, "sourceServers", servers, "tags", tags);
  servers = tags = NULL;
  struct exec_io *io = exec_io_new(IO_START, st->id, job->account, job->region, "drs", "StartRecovery", input);
  input = NULL;
  if (!io) goto oom;
  snprintf(io->key, sizeof io->key, "%s", job->tag);
  lv->rt.job_inflight[j] = 1;
  lv->rt.job_sends[j]++;
  exec_count(eng, "start_recovery_sent", 1);
  exec_io_submit(eng, io);
  return;
oom:
  json_decref(servers);
  json_decref(tags);
  json_decref(input);
  orch_log_error("exec %s: out of memory sending StartRecovery for %s; will retry", st->id, job->tag);
}

/* Look for a job we asked for but never heard back about (a crash, a timeout): by its tag. */
void exec_send_find(struct orch_exec_engine *eng, struct exec_live *lv, size_t j) {
  const struct orch_exec_job *job = &lv->st.jobs[j];
  char from[ORCH_TIME_ISO_MAX];
  orch_time_iso8601_s(from, job->requested_ms - 10 * 60 * 1000);
  json_t *input = json_pack("{s:{s:s}}", "filters", "fromDate", from);
  struct exec_io *io = exec_io_new(IO_FIND, lv->st.id, job->account, job->region, "drs", "DescribeJobs", input);
  if (!io) {
    orch_log_error("exec %s: out of memory reconciling %s; will retry", lv->st.id, job->tag);
    return;
  }
  io->paginate = true;
  snprintf(io->key, sizeof io->key, "%s", job->tag);
  lv->rt.job_inflight[j] = 1;
  exec_io_submit(eng, io);
}

/* ---- launching ---------------------------------------------------------------------------------- */

/* Servers of wave w still to launch in attempt `attempt`: never launched, or failed in an earlier one. */
static bool server_pending(const struct orch_exec_server *s, int attempt) {
  return s->attempt < attempt && (s->launch_status[0] == '\0' || strcmp(s->launch_status, "FAILED") == 0);
}

static size_t pending_count(const struct orch_exec_state *st, size_t w, int attempt) {
  size_t n = 0;
  for (size_t i = 0; i < st->nservers; i++)
    if (st->servers[i].wave == w && server_pending(&st->servers[i], attempt)) n++;
  return n;
}

/* Launch as many chunks of wave w as admission allows. Returns true when something was journaled. */
static bool launch_wave(struct orch_exec_engine *eng, struct exec_live *lv, size_t w, int attempt) {
  struct orch_exec_state *st = &lv->st;
  char waiter[160];
  waiter_key(waiter, sizeof waiter, lv, w);
  bool progressed = false;
  for (;;) {
    /* The first pending server decides the account+region of the next chunk. */
    long first = -1;
    for (size_t i = 0; i < st->nservers && first < 0; i++)
      if (st->servers[i].wave == w && server_pending(&st->servers[i], attempt)) first = (long)i;
    if (first < 0) {
      orch_exec_admission_dequeue(eng->admission, waiter);
      return progressed;
    }
    const char *account = exec_account(eng, st->servers[first].account);
    const char *region = exec_region(eng, st->servers[first].region);
    int want = 0;
    for (size_t i = 0; i < st->nservers; i++)
      if (st->servers[i].wave == w && server_pending(&st->servers[i], attempt) &&
          strcmp(exec_account(eng, st->servers[i].account), account) == 0 &&
          strcmp(exec_region(eng, st->servers[i].region), region) == 0)
        want++;
    int allowed = 0;
    if (!exec_quotas_ready(eng, account, region)) return progressed; /* the account's real quotas first */
    if (orch_exec_admission_enqueue(eng->admission, account, region, waiter) ||
        !orch_exec_admission_try(eng->admission, account, region, waiter, want, &allowed))
      return progressed;
    int chunk = 0;
    for (size_t j = 0; j < st->njobs; j++)
      if (st->jobs[j].wave == w && st->jobs[j].attempt == attempt) chunk++;
    char tag[96];
    snprintf(tag, sizeof tag, "%s/%s/%d/%d", st->id, st->waves[w].name, attempt, chunk);
    json_t *ids = json_array();
    for (size_t i = 0; ids && i < st->nservers && (int)json_array_size(ids) < allowed; i++)
      if (st->servers[i].wave == w && server_pending(&st->servers[i], attempt) &&
          strcmp(exec_account(eng, st->servers[i].account), account) == 0 &&
          strcmp(exec_region(eng, st->servers[i].region), region) == 0)
        if (json_array_append_new(ids, json_string(st->servers[i].id))) {
          json_decref(ids);
          ids = NULL;
        }
    if (rt_reserve_jobs(lv) || !ids) {
      json_decref(ids);
      orch_log_error("exec %s: out of memory launching wave %s; will retry", st->id, st->waves[w].name);
      return progressed;
    }
    json_t *data = json_pack("{s:s, s:i, s:i, s:s, s:s, s:s, s:o}", "wave", st->waves[w].name, "attempt", attempt,
                             "chunk", chunk, "tag", tag, "account", account, "region", region, "servers", ids);
    if (exec_append(eng, lv, "JobRequested", data)) return progressed;
    size_t j = st->njobs - 1;
    if (orch_exec_admission_job_started(eng->admission, account, region, (int)st->jobs[j].nservers))
      orch_log_warn("exec %s: admission could not count job %s (out of memory)", st->id, tag);
    exec_send_start(eng, lv, j);
    progressed = true;
  }
}

/* ---- hooks and wave completion ------------------------------------------------------------------ */

static bool start_hook(struct orch_exec_engine *eng, struct exec_live *lv, size_t w, int kind) {
  if (lv->st.waves[w].hook_running) return false;
  return exec_hooks_start(eng, lv, (long)w, kind) == 0;
}

static size_t failed_servers(const struct orch_exec_state *st, size_t w, size_t *total) {
  size_t failed = 0, n = 0;
  for (size_t i = 0; i < st->nservers; i++) {
    if (st->servers[i].wave != w) continue;
    n++;
    if (strcmp(st->servers[i].launch_status, "FAILED") == 0) failed++;
  }
  *total = n;
  return failed;
}

/* Launched servers still missing their EC2 details: hooks need instance ids and addresses. */
static bool instances_known(const struct orch_exec_state *st, size_t w) {
  for (size_t i = 0; i < st->nservers; i++)
    if (st->servers[i].wave == w && strcmp(st->servers[i].launch_status, "LAUNCHED") == 0 &&
        !st->servers[i].private_ip[0])
      return false;
  return true;
}

static bool complete_wave(struct orch_exec_engine *eng, struct exec_live *lv, size_t w, const char *status,
                          const char *reason) {
  json_t *data = reason ? json_pack("{s:s, s:s, s:s}", "wave", lv->st.waves[w].name, "status", status, "reason", reason)
                        : json_pack("{s:s, s:s}", "wave", lv->st.waves[w].name, "status", status);
  if (exec_append(eng, lv, "WaveCompleted", data)) return false;
  if (strcmp(status, "FAILED") == 0) {
    char msg[512];
    snprintf(msg, sizeof msg, "Wave %s of %s failed: %s", lv->st.waves[w].name, lv->st.plan_name, reason ? reason : "");
    exec_notify(eng, lv, "wave_failed", "DRS orchestration: wave failed", msg);
  }
  return true;
}

/* A wave whose servers are all final: hooks, retry, or its verdict. */
static bool settle_wave(struct orch_exec_engine *eng, struct exec_live *lv, size_t w) {
  struct orch_exec_state *st = &lv->st;
  struct orch_exec_wave *wv = &st->waves[w];
  if (wv->hook_running) return false;
  size_t total = 0, failed = failed_servers(st, w, &total);
  if (!failed) {
    if (!instances_known(st, w)) return false;
    if ((wv->hooks & ORCH_HOOK_AFTER) && !(wv->hooks_done & ORCH_HOOK_AFTER)) {
      if (st->status == ORCH_EXEC_PAUSED || st->cancel_requested) return false;
      return start_hook(eng, lv, w, ORCH_HOOK_AFTER);
    }
    if (wv->hooks_failed & ORCH_HOOK_AFTER) {
      char why[300];
      snprintf(why, sizeof why, "after hook failed: %s", wv->reason[0] ? wv->reason : "see the hook log");
      return complete_wave(eng, lv, w, "FAILED", why);
    }
    return complete_wave(eng, lv, w, "COMPLETED", NULL);
  }
  if (wv->on_failure == ORCH_ON_FAILURE_RETRY && wv->attempt <= wv->retries && !st->cancel_requested) {
    return exec_append(eng, lv, "WaveRetry", json_pack("{s:s, s:i}", "wave", wv->name, "attempt", wv->attempt + 1)) == 0;
  }
  if ((wv->hooks & ORCH_HOOK_ON_FAILURE) && !(wv->hooks_done & ORCH_HOOK_ON_FAILURE) && !st->cancel_requested)
    return start_hook(eng, lv, w, ORCH_HOOK_ON_FAILURE);
  char why[300];
  const char *first = "";
  for (size_t i = 0; i < st->nservers; i++)
    if (st->servers[i].wave == w && strcmp(st->servers[i].launch_status, "FAILED") == 0 && st->servers[i].failure[0]) {
      first = st->servers[i].failure;
      break;
    }
  snprintf(why, sizeof why, "%zu of %zu servers failed to launch%s%s", failed, total, *first ? ": " : "", first);
  return complete_wave(eng, lv, w, "FAILED", why);
}

static bool deps_done(const struct orch_exec_state *st, const struct orch_exec_wave *wv) {
  for (size_t d = 0; d < wv->ndeps; d++) {
    const struct orch_exec_wave *dep = &st->waves[wv->deps[d]];
    bool ok = dep->status == ORCH_WAVE_COMPLETED || dep->status == ORCH_WAVE_SKIPPED ||
              (dep->status == ORCH_WAVE_FAILED && dep->on_failure == ORCH_ON_FAILURE_CONTINUE);
    if (!ok) return false;
  }
  return true;
}

/* A wave past its timeout (counted from when it became ready) fails: its hook is stopped and it is given
 * up on. Jobs already running go on in DRS; a drill's clean-up still terminates what they launch. */
static bool wave_timed_out(struct orch_exec_engine *eng, struct exec_live *lv, size_t w) {
  struct orch_exec_wave *wv = &lv->st.waves[w];
  if (!wv->timeout_ms || !wv->ready_ms || orch_wave_status_final(wv->status) || wv->status == ORCH_WAVE_PENDING)
    return false;
  if (orch_clock_now_ms(eng->clock) < wv->ready_ms + wv->timeout_ms) return false;
  char d[64], why[160];
  orch_duration_format(d, sizeof d, wv->timeout_ms);
  snprintf(why, sizeof why, "timed out: not done %s after it became ready", d);
  if (wv->hook_running && exec_hooks_cancel_wave(lv, (long)w, why)) return true; /* HookFinished first */
  char waiter[160];
  waiter_key(waiter, sizeof waiter, lv, w);
  orch_exec_admission_dequeue(eng->admission, waiter);
  return complete_wave(eng, lv, w, "FAILED", why);
}

static bool step_wave(struct orch_exec_engine *eng, struct exec_live *lv, size_t w) {
  struct orch_exec_state *st = &lv->st;
  struct orch_exec_wave *wv = &st->waves[w];
  bool paused = st->status == ORCH_EXEC_PAUSED || st->cancel_requested;
  if (wave_timed_out(eng, lv, w)) return true;
  if (wv->status == ORCH_WAVE_AWAITING_APPROVAL && wv->approval_timeout_ms &&
      orch_clock_now_ms(eng->clock) >= wv->approval_asked_ms + wv->approval_timeout_ms) {
    char d[64], why[160];
    orch_duration_format(d, sizeof d, wv->approval_timeout_ms);
    snprintf(why, sizeof why, "not approved within %s", d);
    return complete_wave(eng, lv, w, "FAILED", why);
  }
  switch (wv->status) {
    case ORCH_WAVE_PENDING:
      if (!deps_done(st, wv)) return false;
      return exec_append(eng, lv, "WaveReady", json_pack("{s:s}", "wave", wv->name)) == 0;
    case ORCH_WAVE_WAITING:
      if (paused) return false;
      if (wv->approval && !wv->approved) {
        if (exec_append(eng, lv, "ApprovalRequested", json_pack("{s:s, s:s}", "wave", wv->name, "prompt", wv->approval)))
          return false;
        if (eng->cfg.approve_all)
          return exec_append(eng, lv, "ApprovalGranted", json_pack("{s:s, s:s}", "wave", wv->name, "by", "--approve-all")) == 0;
        char msg[512];
        snprintf(msg, sizeof msg, "Wave %s of %s waits for approval: %s", wv->name, st->plan_name, wv->approval);
        exec_notify(eng, lv, "gate_waiting", "DRS orchestration: approval needed", msg);
        return true;
      }
      if ((wv->hooks & ORCH_HOOK_BEFORE) && !(wv->hooks_done & ORCH_HOOK_BEFORE))
        return start_hook(eng, lv, w, ORCH_HOOK_BEFORE);
      if (wv->hooks_failed & ORCH_HOOK_BEFORE) {
        char why[300];
        snprintf(why, sizeof why, "before hook failed: %s", wv->reason[0] ? wv->reason : "see the hook log");
        return complete_wave(eng, lv, w, "FAILED", why);
      }
      if (!pending_count(st, w, wv->attempt + 1)) /* nothing to launch (a retry with no failures) */
        return settle_wave(eng, lv, w);
      if (!wv->prepared && exec_wave_needs_prepare(lv, w)) {
        if (!lv->rt.prepare_inflight) exec_prepare_submit(eng, lv, w);
        return false;
      }
      return launch_wave(eng, lv, w, wv->attempt + 1);
    case ORCH_WAVE_LAUNCHING:
    case ORCH_WAVE_RECOVERING: {
      bool progressed = false;
      for (size_t j = 0; j < st->njobs; j++) {
        if (st->jobs[j].wave != w || st->jobs[j].status != ORCH_JOB_REQUESTED || job_inflight(lv, j)) continue;
        if (rt_reserve_jobs(lv)) return false;
        exec_send_find(eng, lv, j); /* requested before a restart: find it by tag before sending again */
      }
      if (!paused && pending_count(st, w, wv->attempt)) progressed = launch_wave(eng, lv, w, wv->attempt);
      if (wv->status == ORCH_WAVE_RECOVERING && wv->recovered_ms && !pending_count(st, w, wv->attempt))
        progressed = settle_wave(eng, lv, w) || progressed;
      return progressed;
    }
    case ORCH_WAVE_HOOKS:
      return settle_wave(eng, lv, w);
    case ORCH_WAVE_AWAITING_APPROVAL:
    case ORCH_WAVE_COMPLETED:
    case ORCH_WAVE_FAILED:
    case ORCH_WAVE_SKIPPED:
    case ORCH_WAVE_CANCELLED: return false;
  }
  return false;
}

/* ---- the execution ------------------------------------------------------------------------------ */

static bool end_execution(struct orch_exec_engine *eng, struct exec_live *lv, const char *status, const char *reason) {
  json_t *data = json_pack("{s:s, s:s}", "status", status, "reason", reason);
  if (exec_append(eng, lv, "ExecutionEnded", data)) return false;
  for (size_t w = 0; w < lv->st.nwaves; w++) {
    char waiter[160];
    waiter_key(waiter, sizeof waiter, lv, w);
    orch_exec_admission_dequeue(eng->admission, waiter);
  }
  char msg[600];
  snprintf(msg, sizeof msg, "%s %s of %s ended %s: %s", orch_exec_mode_name(lv->st.mode), lv->st.id, lv->st.plan_name,
           status, reason);
  exec_notify(eng, lv, "ended", "DRS orchestration: execution ended", msg);
  return true;
}

static bool any_job_unanswered(const struct orch_exec_state *st) {
  for (size_t j = 0; j < st->njobs; j++)
    if (st->jobs[j].status == ORCH_JOB_REQUESTED) return true;
  return false;
}

static bool step_running(struct orch_exec_engine *eng, struct exec_live *lv) {
  struct orch_exec_state *st = &lv->st;
  if (st->cancel_requested) {
    /* Stop launching; wait only for launches whose fate is unknown, so their instances are known
     * to the drill's clean-up. */
    for (size_t w = 0; w < st->nwaves; w++)
      if (st->waves[w].status == ORCH_WAVE_LAUNCHING || st->waves[w].status == ORCH_WAVE_RECOVERING)
        if (step_wave(eng, lv, w)) return true;
    if (any_job_unanswered(st)) return false;
    return end_execution(eng, lv, "CANCELLED", "cancelled by an operator");
  }
  /* A wave failed without on_failure = "continue": stop launching and end FAILED, before any other
   * wave takes a further step. */
  size_t final = 0, failed = 0;
  const char *fatal = NULL;
  for (size_t w = 0; w < st->nwaves; w++) {
    const struct orch_exec_wave *wv = &st->waves[w];
    if (!orch_wave_status_final(wv->status)) continue;
    final++;
    if (wv->status == ORCH_WAVE_FAILED) {
      failed++;
      if (wv->on_failure != ORCH_ON_FAILURE_CONTINUE && !fatal) fatal = wv->name;
    }
  }
  if (fatal) {
    if (any_job_unanswered(st)) return false; /* know every launched instance before ending */
    char why[300];
    snprintf(why, sizeof why, "wave %s failed", fatal);
    return end_execution(eng, lv, "FAILED", why);
  }
  bool progressed = false;
  for (size_t w = 0; w < st->nwaves && !progressed; w++) progressed = step_wave(eng, lv, w);
  if (progressed) return true;
  if (final < st->nwaves) return false;
  if (failed) {
    char why[160];
    snprintf(why, sizeof why, "%zu of %zu waves failed (on_failure = continue)", failed, st->nwaves);
    return end_execution(eng, lv, "PARTIAL", why);
  }
  return end_execution(eng, lv, "COMPLETED", st->warnings ? "completed with warnings from hook checks" : "all waves completed");
}

#define TERMINATE_IDS_MAX 200 /* TerminateRecoveryInstances takes at most 200 ids */

/* The clean-up's requests: instances grouped by account+region, in chunks that fit one request and the
 * DRS servers-per-job quota. */
static json_t *termination_chunks(struct orch_exec_engine *eng, const struct orch_exec_state *st) {
  json_t *chunks = json_array();
  for (size_t i = 0; chunks && i < st->nservers; i++) {
    const struct orch_exec_server *sv = &st->servers[i];
    if (!sv->recovery_instance_id[0] || strcmp(sv->launch_status, "TERMINATED") == 0) continue;
    const char *account = exec_account(eng, sv->account), *region = exec_region(eng, sv->region);
    struct orch_exec_quotas q = orch_exec_admission_quotas(eng->admission, account, region);
    size_t cap = (size_t)q.servers_per_job < TERMINATE_IDS_MAX ? (size_t)q.servers_per_job : TERMINATE_IDS_MAX;
    json_t *chunk = NULL;
    size_t k;
    json_t *c;
    json_array_foreach(chunks, k, c) if (strcmp(json_string_value(json_object_get(c, "account")), account) == 0 &&
                                         strcmp(json_string_value(json_object_get(c, "region")), region) == 0 &&
                                         json_array_size(json_object_get(c, "recovery_instance_ids")) < cap) chunk = c;
    if (!chunk) {
      chunk = json_pack("{s:I, s:s, s:s, s:[]}", "chunk", (json_int_t)json_array_size(chunks), "account", account, "region",
                        region, "recovery_instance_ids");
      if (!chunk || json_array_append_new(chunks, chunk)) {
        json_decref(chunks);
        return NULL;
      }
    }
    if (json_array_append_new(json_object_get(chunk, "recovery_instance_ids"), json_string(sv->recovery_instance_id))) {
      json_decref(chunks);
      return NULL;
    }
  }
  return chunks;
}

static int rt_reserve_terms(struct exec_live *lv) {
  size_t need = lv->st.nterms;
  if (need <= lv->rt.term_cap) return 0;
  unsigned char *p = orch_realloc(lv->rt.term_inflight, need);
  if (!p) return ORCH_ENOMEM;
  memset(p + lv->rt.term_cap, 0, need - lv->rt.term_cap);
  lv->rt.term_inflight = p;
  lv->rt.term_cap = need;
  return 0;
}

/* Drill clean-up: the cleanup hook, then TerminateRecoveryInstances per chunk (admitted like launches:
 * DRS counts a TERMINATE job against the same quotas), then wait for those jobs to end. */
static bool step_cleanup(struct orch_exec_engine *eng, struct exec_live *lv) {
  struct orch_exec_state *st = &lv->st;
  if (st->status != ORCH_EXEC_CLEANING_UP)
    return exec_append(eng, lv, "CleanupStarted", json_pack("{s:I}", "after_ms", (json_int_t)(st->ended_ms + eng->cfg.keep_for_ms))) == 0;
  if (orch_clock_now_ms(eng->clock) < st->cleanup_after_ms) return false;
  if (!st->cleanup_hook_done) {
    if (st->cleanup_hook_running) return false;
    return exec_hooks_start(eng, lv, -1, 0) == 0;
  }
  /* DRS will not terminate the instances of a job still running: wait for every launch job to end. */
  for (size_t j = 0; j < st->njobs; j++)
    if (st->jobs[j].status == ORCH_JOB_REQUESTED || st->jobs[j].status == ORCH_JOB_STARTED) return false;
  if (!st->terminate_requested) {
    json_t *chunks = termination_chunks(eng, st);
    if (!chunks) return false;
    if (!json_array_size(chunks)) {
      json_decref(chunks);
      return exec_append(eng, lv, "CleanupDone", json_pack("{s:s}", "note", "no recovery instances to terminate")) == 0;
    }
    return exec_append(eng, lv, "TerminateRequested", json_pack("{s:o}", "chunks", chunks)) == 0;
  }
  if (rt_reserve_terms(lv)) return false;
  bool all_ended = true;
  char waiter[160];
  snprintf(waiter, sizeof waiter, "%s/clean-up", st->id);
  for (size_t c = 0; c < st->nterms; c++) {
    struct orch_exec_termination *t = &st->terms[c];
    if (!t->ended) all_ended = false;
    if (t->ended || t->job_id[0] || lv->rt.term_inflight[c]) continue;
    const char *account = exec_account(eng, t->account), *region = exec_region(eng, t->region);
    int n = (int)json_array_size(t->ids), allowed = 0;
    if (orch_exec_admission_enqueue(eng->admission, account, region, waiter) ||
        !orch_exec_admission_try(eng->admission, account, region, waiter, n, &allowed) || allowed < n)
      break; /* first come, first served: later chunks wait behind this one */
    struct exec_io *io = exec_io_new(IO_TERMINATE, st->id, t->account, t->region, "drs", "TerminateRecoveryInstances",
                                     json_pack("{s:O}", "recoveryInstanceIDs", t->ids));
    if (!io || orch_exec_admission_job_started(eng->admission, account, region, n)) {
      exec_io_free(io);
      return false;
    }
    snprintf(io->key, sizeof io->key, "%zu", c);
    lv->rt.term_inflight[c] = 1;
    exec_io_submit(eng, io);
  }
  bool queued = false;
  for (size_t c = 0; c < st->nterms; c++)
    if (!st->terms[c].ended && !st->terms[c].job_id[0]) queued = true;
  if (!queued) orch_exec_admission_dequeue(eng->admission, waiter);
  if (all_ended) return exec_append(eng, lv, "CleanupDone", json_pack("{s:I}", "terminations", (json_int_t)st->nterms)) == 0;
  return false; /* the poll sees the TERMINATE jobs end */
}

static bool step_once(struct orch_exec_engine *eng, struct exec_live *lv) {
  struct orch_exec_state *st = &lv->st;
  if (lv->rt.stalled) return false;
  if (st->ended_ms) {
    if (st->mode == ORCH_MODE_DRILL && st->status != ORCH_EXEC_CLEANED) return step_cleanup(eng, lv);
    return false;
  }
  switch (st->status) {
    case ORCH_EXEC_PENDING:
      return exec_append(eng, lv, "PreflightStarted", json_object()) == 0;
    case ORCH_EXEC_PREFLIGHT:
      if (!st->preflight_done) {
        if (lv->rt.preflight_inflight) return false;
        struct exec_io *io = exec_io_new(IO_PREFLIGHT, st->id, "", "", "drs", "DescribeSourceServers", NULL);
        if (!io) return false;
        io->context = json_pack("{s:O, s:I, s:s, s:O*, s:O*, s:O*}", "waves", st->wave_specs ? st->wave_specs : json_null(),
                                "rpo_target_ms", (json_int_t)st->rpo_target_ms, "mode", orch_exec_mode_name(st->mode),
                                "ssm_documents", json_object_get(st->plan, "ssm_documents"), "account",
                                json_object_get(st->plan, "account"), "region", json_object_get(st->plan, "region"));
        lv->rt.preflight_inflight = true;
        exec_io_submit(eng, io);
        return false;
      }
      if (st->cancel_requested) return end_execution(eng, lv, "CANCELLED", "cancelled during preflight");
      if (!st->preflight_ok) return end_execution(eng, lv, "FAILED", "preflight failed: see the preflight report");
      if (st->mode == ORCH_MODE_DRY_RUN) return end_execution(eng, lv, "COMPLETED", "dry run: every preflight check passed");
      if (exec_append(eng, lv, "ExecutionRunning", json_object())) return false;
      {
        char msg[400];
        snprintf(msg, sizeof msg, "%s of %s started (%zu waves, %zu servers)", orch_exec_mode_name(st->mode), st->plan_name,
                 st->nwaves, st->nservers);
        exec_notify(eng, lv, "started", "DRS orchestration: execution started", msg);
      }
      return true;
    case ORCH_EXEC_RUNNING:
    case ORCH_EXEC_PAUSED: return step_running(eng, lv);
    default: return false;
  }
}

void exec_step(struct orch_exec_engine *eng, struct exec_live *lv) {
  for (int i = 0; i < MAX_STEPS; i++)
    if (!step_once(eng, lv)) return;
  orch_log_warn("exec %s: more than %d decisions in one step; continuing on the next tick", lv->st.id, MAX_STEPS);
}

/* ---- operator commands -------------------------------------------------------------------------- */

int exec_command(struct orch_exec_engine *eng, struct exec_live *lv, enum orch_exec_command cmd, const char *wave,
                 const char *by, struct orch_error *err) {
  struct orch_exec_state *st = &lv->st;
  const char *who = by && *by ? by : "operator";
  if (st->ended_ms && cmd != ORCH_CMD_CANCEL)
    return orch_error_set(err, ORCH_ESTATE, "execution %s has ended (%s)", st->id, orch_exec_status_name(st->status));
  long w = -1;
  if (cmd == ORCH_CMD_APPROVE || cmd == ORCH_CMD_RETRY_WAVE || cmd == ORCH_CMD_SKIP_WAVE) {
    w = orch_exec_wave_index(st, wave);
    if (w < 0) return orch_error_set(err, ORCH_ENOTFOUND, "execution %s has no wave '%s'", st->id, wave ? wave : "");
  }
  const char *type = NULL;
  json_t *data = NULL;
  switch (cmd) {
    case ORCH_CMD_PAUSE:
      if (st->status != ORCH_EXEC_RUNNING) return orch_error_set(err, ORCH_ESTATE, "only a RUNNING execution can be paused (it is %s)", orch_exec_status_name(st->status));
      type = "Paused";
      data = json_pack("{s:s}", "by", who);
      break;
    case ORCH_CMD_RESUME:
      if (st->status != ORCH_EXEC_PAUSED) return orch_error_set(err, ORCH_ESTATE, "execution %s is not paused", st->id);
      type = "Resumed";
      data = json_pack("{s:s}", "by", who);
      break;
    case ORCH_CMD_CANCEL:
      if (st->ended_ms || st->cancel_requested)
        return orch_error_set(err, ORCH_ESTATE, "execution %s is already %s", st->id, st->ended_ms ? "over" : "being cancelled");
      type = "CancelRequested";
      data = json_pack("{s:s}", "by", who);
      break;
    case ORCH_CMD_APPROVE:
      if (st->waves[w].status != ORCH_WAVE_AWAITING_APPROVAL && exec_hooks_approve(eng, lv, w, who)) return 0;
      if (st->waves[w].status != ORCH_WAVE_AWAITING_APPROVAL)
        return orch_error_set(err, ORCH_ESTATE, "wave %s is not waiting for approval (it is %s)", wave, orch_wave_status_name(st->waves[w].status));
      type = "ApprovalGranted";
      data = json_pack("{s:s, s:s}", "wave", wave, "by", who);
      break;
    case ORCH_CMD_RETRY_WAVE:
      if (st->waves[w].status != ORCH_WAVE_FAILED)
        return orch_error_set(err, ORCH_ESTATE, "only a FAILED wave can be retried (%s is %s)", wave, orch_wave_status_name(st->waves[w].status));
      type = "WaveRetry";
      data = json_pack("{s:s, s:i, s:s}", "wave", wave, "attempt", st->waves[w].attempt + 1, "by", who);
      break;
    case ORCH_CMD_SKIP_WAVE:
      if (st->waves[w].status != ORCH_WAVE_PENDING && st->waves[w].status != ORCH_WAVE_WAITING &&
          st->waves[w].status != ORCH_WAVE_AWAITING_APPROVAL)
        return orch_error_set(err, ORCH_ESTATE, "wave %s has started (%s): it can no longer be skipped", wave, orch_wave_status_name(st->waves[w].status));
      type = "WaveCompleted";
      data = json_pack("{s:s, s:s, s:s}", "wave", wave, "status", "SKIPPED", "reason", "skipped by an operator");
      break;
  }
  int rc = exec_append(eng, lv, type, data);
  if (rc) return orch_error_set(err, rc, "cannot journal the command");
  if (cmd == ORCH_CMD_SKIP_WAVE) {
    char waiter[160];
    waiter_key(waiter, sizeof waiter, lv, (size_t)w);
    orch_exec_admission_dequeue(eng->admission, waiter);
  }
  return 0;
}
