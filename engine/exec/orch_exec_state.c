/* orch_exec_state: lifetime, names, lookups and the JSON view of an execution's state.
 * The reducer that changes it is orch_exec_reduce.c. Uses jansson, orch_alloc, orch_time. */
#include "exec/orch_exec_state.h"

#include <string.h>

#include "core/orch_alloc.h"
#include "core/orch_time.h"

static const char *const mode_names[] = {"drill", "recovery", "dry-run"};
static const char *const exec_status_names[] = {"PENDING",  "PREFLIGHT", "RUNNING",   "PAUSED",      "COMPLETED",
                                                "PARTIAL",  "FAILED",    "CANCELLED", "CLEANING_UP", "CLEANED",
                                                "CLEANUP_FAILED"};
static const char *const wave_status_names[] = {"PENDING", "WAITING",   "AWAITING_APPROVAL", "LAUNCHING", "RECOVERING",
                                                "HOOKS",   "COMPLETED", "FAILED",            "SKIPPED",   "CANCELLED"};
static const char *const policy_names[] = {"fail", "continue", "retry"};
static const char *const launch_names[] = {"", "REQUESTED", "PENDING", "IN_PROGRESS", "LAUNCHED", "FAILED", "TERMINATED"};

#define NAMES_LEN(a) (sizeof(a) / sizeof((a)[0]))

static int name_parse(const char *const *names, size_t n, const char *s) {
  for (size_t i = 0; s && i < n; i++)
    if (strcmp(names[i], s) == 0) return (int)i;
  return -1;
}

const char *orch_exec_mode_name(enum orch_exec_mode m) { return (size_t)m < NAMES_LEN(mode_names) ? mode_names[m] : "?"; }
const char *orch_exec_status_name(enum orch_exec_status s) {
  return (size_t)s < NAMES_LEN(exec_status_names) ? exec_status_names[s] : "?";
}
const char *orch_wave_status_name(enum orch_wave_status s) {
  return (size_t)s < NAMES_LEN(wave_status_names) ? wave_status_names[s] : "?";
}
const char *orch_failure_policy_name(enum orch_failure_policy p) {
  return (size_t)p < NAMES_LEN(policy_names) ? policy_names[p] : "?";
}
int orch_exec_mode_parse(const char *s) { return name_parse(mode_names, NAMES_LEN(mode_names), s); }
int orch_exec_status_parse(const char *s) { return name_parse(exec_status_names, NAMES_LEN(exec_status_names), s); }
int orch_wave_status_parse(const char *s) { return name_parse(wave_status_names, NAMES_LEN(wave_status_names), s); }
const char *orch_launch_status_name(enum orch_launch_status s) {
  return (size_t)s < NAMES_LEN(launch_names) ? launch_names[s] : "?";
}
int orch_launch_status_parse(const char *s) { return name_parse(launch_names, NAMES_LEN(launch_names), s); }

bool orch_exec_status_final(enum orch_exec_status s) {
  return s == ORCH_EXEC_COMPLETED || s == ORCH_EXEC_PARTIAL || s == ORCH_EXEC_FAILED || s == ORCH_EXEC_CANCELLED ||
         s == ORCH_EXEC_CLEANED || s == ORCH_EXEC_CLEANUP_FAILED;
}

bool orch_wave_status_final(enum orch_wave_status s) {
  return s == ORCH_WAVE_COMPLETED || s == ORCH_WAVE_FAILED || s == ORCH_WAVE_SKIPPED || s == ORCH_WAVE_CANCELLED;
}

bool orch_exec_server_final(const struct orch_exec_server *s) {
  return s->launch == ORCH_LAUNCH_LAUNCHED || s->launch == ORCH_LAUNCH_FAILED || s->launch == ORCH_LAUNCH_TERMINATED;
}

bool orch_exec_jobs_quiet(const struct orch_exec_state *st) {
  for (size_t j = 0; j < st->njobs; j++)
    if (st->jobs[j].status == ORCH_JOB_REQUESTED || st->jobs[j].status == ORCH_JOB_STARTED) return false;
  for (size_t c = 0; c < st->nterms; c++)
    if (st->terms[c].job_id[0] && !st->terms[c].ended) return false;
  return true;
}

bool orch_exec_done(const struct orch_exec_state *st) {
  if (!st->ended_ms || !orch_exec_jobs_quiet(st)) return false;
  if (st->mode == ORCH_MODE_DRILL) return st->status == ORCH_EXEC_CLEANED || st->status == ORCH_EXEC_CLEANUP_FAILED;
  return true;
}

void orch_exec_state_init(struct orch_exec_state *st) { memset(st, 0, sizeof *st); }

void orch_exec_state_release(struct orch_exec_state *st) {
  if (!st) return;
  for (size_t i = 0; i < st->nwaves; i++) {
    orch_free(st->waves[i].deps);
    orch_free(st->waves[i].approval);
    json_decref(st->waves[i].approvers);
    json_decref(st->waves[i].hook_calls);
  }
  for (size_t i = 0; i < st->nservers; i++) json_decref(st->servers[i].launch_overrides);
  for (size_t i = 0; i < st->nnotices; i++) json_decref(st->notices[i].data);
  orch_free(st->notices);
  json_decref(st->notify_topics);
  json_decref(st->notify_events);
  for (size_t i = 0; i < st->njobs; i++) orch_free(st->jobs[i].servers);
  for (size_t i = 0; i < st->nterms; i++) json_decref(st->terms[i].ids);
  orch_free(st->terms);
  orch_free(st->waves);
  orch_free(st->servers);
  orch_free(st->jobs);
  json_decref(st->plan);
  json_decref(st->wave_specs);
  json_decref(st->cleanup_calls);
  memset(st, 0, sizeof *st);
}

long orch_exec_wave_index(const struct orch_exec_state *st, const char *name) {
  for (size_t i = 0; name && i < st->nwaves; i++)
    if (strcmp(st->waves[i].name, name) == 0) return (long)i;
  return -1;
}

long orch_exec_server_index(const struct orch_exec_state *st, const char *id) {
  for (size_t i = 0; id && i < st->nservers; i++)
    if (strcmp(st->servers[i].id, id) == 0) return (long)i;
  return -1;
}

long orch_exec_job_index_by_tag(const struct orch_exec_state *st, const char *tag) {
  for (size_t i = 0; tag && i < st->njobs; i++)
    if (strcmp(st->jobs[i].tag, tag) == 0) return (long)i;
  return -1;
}

long orch_exec_job_index_by_id(const struct orch_exec_state *st, const char *job_id) {
  for (size_t i = 0; job_id && *job_id && i < st->njobs; i++)
    if (strcmp(st->jobs[i].job_id, job_id) == 0) return (long)i;
  return -1;
}

long orch_exec_term_index_by_job(const struct orch_exec_state *st, const char *job_id) {
  for (size_t i = 0; job_id && *job_id && i < st->nterms; i++)
    if (strcmp(st->terms[i].job_id, job_id) == 0) return (long)i;
  return -1;
}

/* A timestamp field: ISO-8601, or JSON null when the moment has not come. */
static json_t *ts_json(int64_t ms) {
  if (!ms) return json_null();
  char buf[ORCH_TIME_ISO_MAX];
  orch_time_iso8601(buf, ms);
  return json_string(buf);
}

static json_t *str_or_null(const char *s) { return s && *s ? json_string(s) : json_null(); }

static json_t *server_json(const struct orch_exec_server *s) {
  return json_pack("{s:s, s:s, s:s, s:s, s:i, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id", s->id,
                   "hostname", s->hostname, "account", s->account, "region", s->region, "attempt", s->attempt,
                   "launch_status", str_or_null(orch_launch_status_name(s->launch)), "job_id", str_or_null(s->job_id),
                   "recovery_instance_id", str_or_null(s->recovery_instance_id), "ec2_instance_id",
                   str_or_null(s->ec2_instance_id), "ec2_state", str_or_null(s->ec2_state), "private_ip",
                   str_or_null(s->private_ip), "failure", str_or_null(s->failure), "requested_at",
                   ts_json(s->requested_ms), "launched_at", ts_json(s->launched_ms), "hooks_passed_at",
                   ts_json(s->hooks_passed_ms));
}

static json_t *wave_json(const struct orch_exec_state *st, size_t w) {
  const struct orch_exec_wave *wv = &st->waves[w];
  json_t *deps = json_array(), *servers = json_array(), *jobs = json_array();
  json_t *out = NULL;
  if (!deps || !servers || !jobs) goto out;
  for (size_t i = 0; i < wv->ndeps; i++)
    if (json_array_append_new(deps, json_string(st->waves[wv->deps[i]].name))) goto out;
  for (size_t i = 0; i < st->nservers; i++)
    if (st->servers[i].wave == w && json_array_append_new(servers, server_json(&st->servers[i]))) goto out;
  for (size_t i = 0; i < st->njobs; i++)
    if (st->jobs[i].wave == w &&
        json_array_append_new(jobs, json_pack("{s:o, s:i, s:i, s:i}", "job_id", str_or_null(st->jobs[i].job_id),
                                              "attempt", st->jobs[i].attempt, "chunk", st->jobs[i].chunk,
                                              "servers", (int)st->jobs[i].nservers)))
      goto out;
  out = json_pack("{s:s, s:s, s:O, s:o, s:s, s:i, s:i, s:b, s:o, s:o, s:o, s:o, s:o, s:O, s:O}", "name", wv->name,
                  "status", orch_wave_status_name(wv->status), "depends_on", deps, "approval", str_or_null(wv->approval),
                  "on_failure", orch_failure_policy_name(wv->on_failure), "retries", wv->retries, "attempt", wv->attempt,
                  "approved", wv->approved, "reason", str_or_null(wv->reason), "ready_at", ts_json(wv->ready_ms),
                  "launched_at", ts_json(wv->launch_ms), "recovered_at", ts_json(wv->recovered_ms), "completed_at",
                  ts_json(wv->completed_ms), "servers", servers, "jobs", jobs);
out:
  json_decref(deps);
  json_decref(servers);
  json_decref(jobs);
  return out;
}

json_t *orch_exec_state_json(const struct orch_exec_state *st) {
  json_t *waves = json_array();
  if (!waves) return NULL;
  for (size_t i = 0; i < st->nwaves; i++) {
    if (json_array_append_new(waves, wave_json(st, i))) {
      json_decref(waves);
      return NULL;
    }
  }
  return json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:b, s:o, s:o, s:o, s:o, s:I, s:I, s:o}", "id", st->id, "plan_id",
                   st->plan_id, "plan_version", (json_int_t)st->plan_version, "plan_name", st->plan_name, "mode",
                   orch_exec_mode_name(st->mode), "status", orch_exec_status_name(st->status), "cancel_requested",
                   st->cancel_requested, "reason", str_or_null(st->end_reason), "created_at", ts_json(st->created_ms),
                   "started_at", ts_json(st->started_ms), "ended_at", ts_json(st->ended_ms), "rto_target_ms",
                   (json_int_t)st->rto_target_ms, "seq", (json_int_t)st->seq, "waves", waves);
}
