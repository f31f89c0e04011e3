/* orch_exec_decide_run: decide's view of the whole execution: operator commands, the preflight (asked
 * for as one composite effect, its answer journaled in bounded events), the step that moves the
 * execution through its lifecycle, and the verdict at its end. Pure. Uses orch_exec_decide_int. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/orch_exec_decide_int.h"

/* ---- commands ------------------------------------------------------------------------------------- */

static int refuse(struct dctx *d, int code, const char *fmt, ...) ORCH_PRINTF(3, 4);
static int refuse(struct dctx *d, int code, const char *fmt, ...) {
  char msg[ORCH_ERROR_MESSAGE_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  d->out->command_rc = orch_error_set(&d->out->command_err, code, "%s", msg);
  return d->out->command_rc;
}

static const char *who(const struct orch_exec_command_in *c) { return c->by && *c->by ? c->by : "operator"; }

static json_t *by_data(const struct orch_exec_command_in *c, const char *wave) {
  return json_pack("{s:s, s:s*, s:s*, s:s*}", "by", who(c), "role", c->role && *c->role ? c->role : NULL, "reason",
                   c->reason && *c->reason ? c->reason : NULL, "wave", wave);
}

static void command_cleanup(struct dctx *d, const struct orch_exec_command_in *c) {
  struct orch_exec_state *st = d->st;
  if (st->mode != ORCH_MODE_DRILL) {
    refuse(d, ORCH_ESTATE, "only a drill is cleaned up (execution %s is a %s)", st->id, orch_exec_mode_name(st->mode));
    return;
  }
  if (!st->ended_ms) {
    refuse(d, ORCH_ESTATE, "execution %s is %s: cancel it first, or let it end; its clean-up follows", st->id,
           orch_exec_status_name(st->status));
    return;
  }
  if (st->status == ORCH_EXEC_CLEANED) {
    refuse(d, ORCH_ESTATE, "execution %s is already cleaned up", st->id);
    return;
  }
  if (st->status == ORCH_EXEC_CLEANUP_FAILED) {
    d_event(d, "CleanupRetried", by_data(c, NULL));
    return;
  }
  if (st->cleanup_expedited || (st->status == ORCH_EXEC_CLEANING_UP && st->cleanup_after_ms <= d->now)) {
    refuse(d, ORCH_ESTATE, "the clean-up of execution %s is already under way", st->id);
    return;
  }
  d_event(d, "CleanupExpedited", by_data(c, NULL));
}

static void command_approve(struct dctx *d, const struct orch_exec_command_in *c, long w) {
  struct orch_exec_wave *wv = &d->st->waves[w];
  if (!d_approvers_allow(wv, who(c), c->role)) {
    char names[300];
    char *txt = json_dumps(wv->approvers, JSON_COMPACT);
    snprintf(names, sizeof names, "%s", txt ? txt : "");
    free(txt);
    refuse(d, ORCH_EPERM, "only the wave's approvers may approve it: %s (not %s)", names, who(c));
    return;
  }
  if (wv->status != ORCH_WAVE_AWAITING_APPROVAL && d_hook_approve(d, w, who(c))) return;
  if (wv->status != ORCH_WAVE_AWAITING_APPROVAL) {
    refuse(d, ORCH_ESTATE, "wave %s is not waiting for approval (it is %s)", wv->name, orch_wave_status_name(wv->status));
    return;
  }
  d_event(d, "ApprovalGranted", by_data(c, wv->name));
}

void d_command(struct dctx *d, const struct orch_exec_command_in *c) {
  struct orch_exec_state *st = d->st;
  if (c->cmd == ORCH_CMD_CLEANUP) {
    command_cleanup(d, c);
    return;
  }
  if (st->ended_ms) {
    refuse(d, ORCH_ESTATE, "execution %s has ended (%s)", st->id, orch_exec_status_name(st->status));
    return;
  }
  long w = -1;
  if (c->cmd == ORCH_CMD_APPROVE || c->cmd == ORCH_CMD_RETRY_WAVE || c->cmd == ORCH_CMD_SKIP_WAVE) {
    w = orch_exec_wave_index(st, c->wave);
    if (w < 0) {
      refuse(d, ORCH_ENOTFOUND, "execution %s has no wave '%s'", st->id, c->wave ? c->wave : "");
      return;
    }
  }
  switch (c->cmd) {
    case ORCH_CMD_PAUSE:
      if (st->status != ORCH_EXEC_RUNNING)
        refuse(d, ORCH_ESTATE, "only a RUNNING execution can be paused (it is %s)", orch_exec_status_name(st->status));
      else d_event(d, "Paused", by_data(c, NULL));
      break;
    case ORCH_CMD_RESUME:
      if (st->status != ORCH_EXEC_PAUSED) refuse(d, ORCH_ESTATE, "execution %s is not paused (it is %s)", st->id, orch_exec_status_name(st->status));
      else d_event(d, "Resumed", by_data(c, NULL));
      break;
    case ORCH_CMD_CANCEL:
      if (st->cancel_requested) refuse(d, ORCH_ESTATE, "execution %s is already being cancelled", st->id);
      else d_event(d, "CancelRequested", by_data(c, NULL));
      break;
    case ORCH_CMD_APPROVE: command_approve(d, c, w); break;
    case ORCH_CMD_RETRY_WAVE:
      if (st->waves[w].status != ORCH_WAVE_FAILED)
        refuse(d, ORCH_ESTATE, "only a FAILED wave can be retried (%s is %s)", st->waves[w].name, orch_wave_status_name(st->waves[w].status));
      else {
        json_t *data = by_data(c, st->waves[w].name);
        if (data) json_object_set_new(data, "attempt", json_integer(st->waves[w].attempt + 1));
        d_event(d, "WaveRetry", data);
      }
      break;
    case ORCH_CMD_SKIP_WAVE:
      if (st->waves[w].status != ORCH_WAVE_PENDING && st->waves[w].status != ORCH_WAVE_WAITING &&
          st->waves[w].status != ORCH_WAVE_AWAITING_APPROVAL)
        refuse(d, ORCH_ESTATE, "wave %s has started (%s): it can no longer be skipped", st->waves[w].name, orch_wave_status_name(st->waves[w].status));
      else if (st->waves[w].hook_running)
        refuse(d, ORCH_ESTATE, "wave %s is running its before hook: it can no longer be skipped", st->waves[w].name);
      else {
        char waiter[ORCH_ID_UUID_LEN + ORCH_EXEC_NAME_MAX + 2];
        d_waiter(d, (size_t)w, waiter, sizeof waiter);
        orch_exec_admission_dequeue(d->env->admission, waiter);
        char why[200];
        snprintf(why, sizeof why, "skipped by %s", who(c));
        d_event(d, "WaveCompleted", json_pack("{s:s, s:s, s:s, s:s}", "wave", st->waves[w].name, "status", "SKIPPED",
                                              "reason", why, "by", who(c)));
      }
      break;
    case ORCH_CMD_CLEANUP: break;
  }
}

/* ---- preflight ------------------------------------------------------------------------------------ */

static bool preflight_ask(struct dctx *d) {
  struct orch_exec_state *st = d->st;
  if (d->fl->preflight) return false;
  /* A preflight that could not read what it checks is asked again after poll x 2^n. */
  if (st->preflight_failures) {
    int64_t due = st->preflight_ms + (d->env->poll_ms << (st->preflight_failures > 6 ? 6 : st->preflight_failures));
    if (d->now < due) {
      d_wake(d, due);
      return false;
    }
  }
  struct orch_exec_effect *e = d_effect(d, ORCH_FX_PREFLIGHT, st->id, "", "", "drs", "DescribeSourceServers", NULL);
  if (!e) return false;
  e->context = json_pack("{s:O, s:I, s:s, s:O*, s:O*, s:O*, s:s}", "waves", st->wave_specs ? st->wave_specs : json_null(),
                         "rpo_target_ms", (json_int_t)st->rpo_target_ms, "mode", orch_exec_mode_name(st->mode),
                         "ssm_documents", json_object_get(st->plan, "ssm_documents"), "account",
                         json_object_get(st->plan, "account"), "region", json_object_get(st->plan, "region"),
                         "execution_id", st->id);
  if (!e->context) return d_oom(d);
  d->fl->preflight = true;
  return false;
}

/* Servers already in another live execution would make StartRecovery fail (or worse, be launched twice). */
static void conflicts(struct dctx *d, json_t *result) {
  size_t i;
  json_t *s;
  json_t *checks = json_object_get(result, "checks");
  json_array_foreach(json_object_get(result, "servers"), i, s) {
    const char *id = json_string_value(json_object_get(s, "id"));
    for (size_t k = 0; k < d->env->nlives; k++) {
      const struct orch_exec_state *other = d->env->lives[k];
      if (other == d->st || other->ended_ms || orch_exec_server_index(other, id) < 0) continue;
      char detail[300];
      snprintf(detail, sizeof detail, "server %s is in running execution %s (%s)", id, other->id, other->plan_name);
      json_array_append_new(checks, json_pack("{s:s, s:b, s:s, s:s, s:O}", "name", "not in another execution", "ok", 0,
                                              "detail", detail, "server", id, "wave", json_object_get(s, "wave")));
      json_object_set_new(result, "ok", json_false());
    }
  }
}

void d_preflight_answer(struct dctx *d, const struct orch_exec_answer *a) {
  struct orch_exec_state *st = d->st;
  d->fl->preflight = false;
  if (st->status != ORCH_EXEC_PREFLIGHT || st->preflight_done) return;
  if (a->rc || !a->output) {
    char why[1200];
    d_answer_error(a, why, sizeof why);
    d_event(d, "PreflightResult", json_pack("{s:b, s:I, s:I, s:[{s:s, s:b, s:s}]}", "ok", 0, "passed", (json_int_t)0,
                                            "failed", (json_int_t)1, "failures", "name", "preflight", "ok", 0, "detail", why));
    return;
  }
  const char *unread = json_string_value(json_object_get(a->output, "unreadable"));
  if (unread && st->preflight_failures < ORCH_EXEC_READ_RETRIES) {
    d_note(d, "warn", "execution %s: preflight could not read everything (%s); asking again", st->id, unread);
    d_event(d, "PreflightRetry", json_pack("{s:s}", "error", unread));
    return;
  }
  json_t *result = json_deep_copy(a->output);
  if (!result) {
    d_oom(d);
    return;
  }
  conflicts(d, result);
  json_t *servers = json_object_get(result, "servers"), *checks = json_object_get(result, "checks");
  if (!st->servers_resolved && !d_event_chunks(d, "ServersResolved", json_object(), "servers", servers)) goto out;
  json_t *failures = json_array();
  size_t passed = 0, failed = 0, warned = 0, i;
  json_t *c;
  json_array_foreach(checks, i, c) {
    if (json_is_true(json_object_get(c, "ok"))) {
      passed++;
      if (json_is_true(json_object_get(c, "warning"))) warned++;
    } else {
      failed++;
      if (failures && json_array_size(failures) < 20) json_array_append(failures, c);
    }
  }
  if (!d_event_chunks(d, "PreflightChecks", json_object(), "checks", checks)) {
    json_decref(failures);
    goto out;
  }
  d_event(d, "PreflightResult", json_pack("{s:O, s:I, s:I, s:I, s:o*}", "ok", json_object_get(result, "ok"), "passed",
                                          (json_int_t)passed, "failed", (json_int_t)failed, "warnings", (json_int_t)warned,
                                          "failures", failures));
out:
  json_decref(result);
}


/* ---- the lifecycle -------------------------------------------------------------------------------- */

bool d_end(struct dctx *d, const char *status, const char *reason) {
  struct orch_exec_state *st = d->st;
  if (!d_event(d, "ExecutionEnded", json_pack("{s:s, s:s}", "status", status, "reason", reason))) return false;
  char prefix[ORCH_ID_UUID_LEN + 2];
  snprintf(prefix, sizeof prefix, "%s/", st->id);
  orch_exec_admission_dequeue_prefix(d->env->admission, prefix);
  bool good = strcmp(status, "COMPLETED") == 0 || strcmp(status, "PARTIAL") == 0;
  d_notify(d, good ? "execution_completed" : strcmp(status, "CANCELLED") == 0 ? "execution_cancelled" : "execution_failed",
           "DRS orchestration: execution ended", "%s %s of %s ended %s: %s", orch_exec_mode_name(st->mode), st->id,
           st->plan_name, status, reason);
  return true;
}

static bool any_job_unanswered(const struct orch_exec_state *st) {
  for (size_t j = 0; j < st->njobs; j++)
    if (st->jobs[j].status == ORCH_JOB_REQUESTED) return true;
  return false;
}

static bool step_running(struct dctx *d) {
  struct orch_exec_state *st = d->st;
  if (st->cancel_requested) {
    /* Stop launching (decide_wave launches nothing once cancelled) and stop hooks (decide_hooks); wait
     * only for launches whose fate is unknown, so a drill's clean-up knows every instance. */
    if (any_job_unanswered(st)) return false;
    for (size_t w = 0; w < st->nwaves; w++)
      if (st->waves[w].hook_running) return false; /* HookFinished first */
    return d_end(d, "CANCELLED", st->cancel_reason[0] ? st->cancel_reason : "cancelled by an operator");
  }
  /* A wave failed without on_failure = "continue": stop launching and end FAILED before any other wave
   * takes a further step. */
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
    for (size_t w = 0; w < st->nwaves; w++)
      if (st->waves[w].hook_running) {
        d_hook_cancel(d, (long)w, "another wave failed");
        return false;
      }
    char why[300];
    snprintf(why, sizeof why, "wave %s failed: %s", fatal, st->waves[orch_exec_wave_index(st, fatal)].reason);
    return d_end(d, "FAILED", why);
  }
  bool progressed = false;
  if (!d_step_waves(d, &progressed)) return false;
  if (progressed) return true;
  if (final < st->nwaves) return false;
  if (failed == st->nwaves) return d_end(d, "FAILED", "every wave failed");
  if (failed) {
    char why[160];
    snprintf(why, sizeof why, "%zu of %zu waves failed (on_failure = continue)", failed, st->nwaves);
    return d_end(d, "PARTIAL", why);
  }
  return d_end(d, "COMPLETED", st->warnings ? "completed with warnings from hook checks" : "all waves completed");
}

static bool step_preflight(struct dctx *d) {
  struct orch_exec_state *st = d->st;
  if (!st->preflight_done) {
    if (st->cancel_requested && !d->fl->preflight) return d_end(d, "CANCELLED", "cancelled during preflight");
    return preflight_ask(d);
  }
  if (st->cancel_requested) return d_end(d, "CANCELLED", "cancelled during preflight");
  if (!st->preflight_ok) {
    char why[900];
    snprintf(why, sizeof why, "preflight failed: %s (the report lists every check)",
             st->preflight_error[0] ? st->preflight_error : "a check failed");
    return d_end(d, "FAILED", why);
  }
  if (st->mode == ORCH_MODE_DRY_RUN) return d_end(d, "COMPLETED", "dry run: every preflight check passed");
  if (!d_event(d, "ExecutionRunning", json_object())) return false;
  d_notify(d, "execution_started", "DRS orchestration: execution started", "%s of %s started (%zu waves, %zu servers)",
           orch_exec_mode_name(st->mode), st->plan_name, st->nwaves, st->nservers);
  return true;
}

bool d_step_execution(struct dctx *d) {
  struct orch_exec_state *st = d->st;
  /* Work that goes on whatever the lifecycle: DRS job progress, instance details, notifications. */
  bool jobs = d_step_jobs(d);
  if (d->rc) return false;
  if (jobs) return true;
  bool hooks = d_step_hooks(d);
  if (d->rc) return false;
  if (hooks) return true;
  if (st->ended_ms) return d_step_cleanup(d);
  switch (st->status) {
    case ORCH_EXEC_PENDING: return d_event(d, "PreflightStarted", json_object());
    case ORCH_EXEC_PREFLIGHT: return step_preflight(d);
    case ORCH_EXEC_RUNNING:
    case ORCH_EXEC_PAUSED: return step_running(d);
    default: return false;
  }
}
