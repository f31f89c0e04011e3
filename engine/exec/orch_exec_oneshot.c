/* orch_exec_oneshot: one step of an execution on the caller's thread, for a synchronous engine (the AWS
 * deployment's Lambda runs one per Step Functions task): the same decide and executor as the scheduler,
 * driven once: the execution's lease taken, its journal folded (hooks replay from theirs), one poll of its
 * DRS jobs, every effect performed inline until nothing more can happen now, the lease given back, and a
 * summary of what the next step waits for; or one record event journaled under the lease (the token of a
 * Step Functions task waiting for an approval). Uses orch_exec_int, orch_exec_lease, orch_clock. */
#include <string.h>

#include "core/orch_log.h"
#include "exec/orch_exec_int.h"

#define STEP_ROUNDS 256   /* decide rounds in one step: far above what one moment asks for; a loop guard */
#define STEP_WAIT_MS 5000 /* a wake-up this close is waited for within the step (an SSM read, a retry),
                             since what is only in flight (not journaled) would be lost between steps */

static json_t *summary(const struct exec_live *lv, int64_t now) {
  return orch_exec_step_summary(&lv->st, lv->next_wake_ms > now ? lv->next_wake_ms - now : 0);
}

json_t *orch_exec_step_summary(const struct orch_exec_state *st, int64_t wake_in_ms) {
  bool approval = false, deps = false, in_progress = false;
  json_t *gates = json_array();
  for (size_t w = 0; w < st->nwaves; w++) {
    const struct orch_exec_wave *wv = &st->waves[w];
    switch (wv->status) {
      case ORCH_WAVE_AWAITING_APPROVAL:
        approval = true;
        if (gates) json_array_append_new(gates, json_string(wv->name));
        break;
      case ORCH_WAVE_PENDING: deps = true; break;
      case ORCH_WAVE_WAITING:
      case ORCH_WAVE_LAUNCHING:
      case ORCH_WAVE_RECOVERING:
      case ORCH_WAVE_HOOKS: in_progress = true; break;
      default: break;
    }
  }
  bool done = orch_exec_done(st);
  int64_t wake = wake_in_ms > 0 ? wake_in_ms : 0;
  const char *reason = st->cleanup_error[0] ? st->cleanup_error : st->end_reason[0] ? st->end_reason : NULL;
  return json_pack("{s:s, s:s, s:b, s:b, s:o*, s:b, s:b, s:I, s:s*, s:I}", "execution_id", st->id, "status",
                   orch_exec_status_name(st->status), "done", done, "waiting_for_approval", approval && !done,
                   "approval_waves", gates, "waiting_for_dependencies", deps && !in_progress && !approval && !done,
                   "wave_in_progress", (in_progress || st->ended_ms) && !done, "wake_in_ms", (json_int_t)wake, "reason",
                   reason, "seq", (json_int_t)st->seq);
}

/* The live execution `exec_id`, taken for one call: its lease, its journal folded. */
static int take(struct orch_exec_engine *eng, const char *exec_id, struct exec_live **out, struct orch_error *err) {
  if (!eng->cfg.synchronous)
    return orch_error_set(err, ORCH_EINVAL, "only a synchronous engine is stepped by its caller");
  struct exec_live *lv = exec_live_find(eng, exec_id);
  int rc = 0;
  if (!lv) {
    if ((rc = exec_lease_take(eng, exec_id, err))) return rc;
    if ((rc = exec_live_load(eng, exec_id, &lv, err))) {
      exec_lease_give(eng, exec_id);
      return rc;
    }
    exec_live_add(eng, lv);
  }
  *out = lv;
  return 0;
}

int orch_exec_engine_step(struct orch_exec_engine *eng, const char *exec_id, json_t **out, struct orch_error *err) {
  struct exec_live *lv = NULL;
  int rc = take(eng, exec_id, &lv, err);
  if (rc) return rc;
  /* One poll of its jobs (with the merged-poll path the scheduler uses), then decide until quiet. */
  exec_poll_tick(eng);
  struct orch_exec_input tick = {.kind = ORCH_IN_TICK};
  for (int i = 0; i < STEP_ROUNDS && !lv->halted; i++) {
    lv->dirty = false;
    exec_run(eng, lv, &tick, NULL);
    int64_t now = orch_clock_now_ms(eng->clock);
    if (lv->dirty) continue;
    if (!lv->next_wake_ms || lv->next_wake_ms - now > STEP_WAIT_MS) break;
    if (lv->next_wake_ms > now) orch_clock_sleep_until(eng->clock, lv->next_wake_ms);
  }
  int64_t now = orch_clock_now_ms(eng->clock);
  *out = lv->halted ? NULL : summary(lv, now);
  if (!lv->halted && !*out) rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
  if (lv->halted) { /* the reason is in the finished list (and the journal, when it could be written) */
    pthread_mutex_lock(&eng->mu);
    const struct finished *f = eng->finished;
    while (f && strcmp(f->id, exec_id) != 0) f = f->next;
    rc = orch_error_set(err, f && f->rc ? f->rc : ORCH_ESTATE, "execution %s stopped: %s", exec_id,
                        f && f->reason[0] ? f->reason : "see its journal");
    pthread_mutex_unlock(&eng->mu);
  }
  exec_live_unload(eng, lv);
  return rc;
}

int orch_exec_engine_record(struct orch_exec_engine *eng, const char *exec_id, const char *type, const json_t *data,
                            json_t **out, struct orch_error *err) {
  static const char *const records[] = {"EngineNote", "ApprovalWaitStarted"};
  bool known = false;
  for (size_t i = 0; i < sizeof records / sizeof records[0]; i++) known = known || strcmp(type, records[i]) == 0;
  if (!known) return orch_error_set(err, ORCH_EINVAL, "'%s' is not a record event (EngineNote, ApprovalWaitStarted)", type);
  if (out) *out = NULL;
  struct exec_live *lv = NULL;
  int rc = take(eng, exec_id, &lv, err);
  if (rc) return rc;
  struct orch_exec_event ev = {.seq = lv->st.seq + 1, .at_ms = orch_clock_now_ms(eng->clock), .type = type, .data = data};
  struct orch_store_event_spec spec = {.seq = ev.seq, .at_ms = ev.at_ms, .type = type, .data = data};
  rc = orch_store_event_append_owned(eng->cfg.store, exec_id, exec_lease_owner(eng), &spec, 1, err);
  if (!rc) rc = orch_exec_apply(&lv->st, &ev, err);
  if (!rc && out && !(*out = summary(lv, ev.at_ms))) rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
  exec_live_unload(eng, lv);
  return rc;
}
