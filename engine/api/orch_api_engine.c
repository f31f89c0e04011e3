/* orch_api_engine: the in-process execution engine behind orch_api_engine_ops, and the engine listener
 * that feeds the event-stream hub. api_exec_command is the one place an API command becomes an engine
 * command: when orch_exec_engine_command_ex lands (ORCH_CMD_CLEANUP, gate, reason and the actor's roles
 * for the plan's approvers), only this function changes. Uses orch_exec_engine, orch_api_hub. */
#include <string.h>

#include "api/orch_api_hub.h"
#include "api/orch_api_int.h"
#include "api/orch_api_views.h"

/* Today's engine takes (command, wave, by). `cleanup` has no engine command yet: a drill cleans itself
 * up exec.keep_for after it ends; `gate` names a gate by its wave; `reason` is kept in the audit log
 * by the caller; the plan's approvers are checked by the caller (api_h_execution_command). */
static int api_exec_command(void *ctx, const struct orch_api_command *cmd, struct orch_error *err) {
  static const struct {
    const char *name;
    enum orch_exec_command cmd;
  } map[] = {
    {"pause", ORCH_CMD_PAUSE},           {"resume", ORCH_CMD_RESUME},         {"cancel", ORCH_CMD_CANCEL},
    {"approve", ORCH_CMD_APPROVE},       {"retry-wave", ORCH_CMD_RETRY_WAVE}, {"skip-wave", ORCH_CMD_SKIP_WAVE},
  };
  struct orch_exec_engine *eng = ctx;
  if (strcmp(cmd->command, "cleanup") == 0)
    return orch_error_set(err, ORCH_ESTATE,
                          "this engine cleans a drill up by itself, exec.keep_for after it ends; cleaning up on "
                          "demand or retrying a failed clean-up needs the engine's clean-up command");
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
    if (strcmp(map[i].name, cmd->command) != 0) continue;
    const char *wave = cmd->wave ? cmd->wave : cmd->gate;
    return orch_exec_engine_command(eng, cmd->exec_id, map[i].cmd, wave, cmd->actor, err);
  }
  return orch_error_set(err, ORCH_EINVAL, "unknown command '%s'", cmd->command);
}

static int local_create(void *ctx, const char *plan_id, int64_t version, enum orch_exec_mode mode, const char *by,
                        char id_out[ORCH_ID_UUID_LEN + 1], struct orch_error *err) {
  return orch_exec_engine_create(ctx, plan_id, version, mode, by, id_out, err);
}

/* A command for an execution that cannot exist goes through the scheduler's queue and comes back
 * "not found" when the scheduler runs, "not running" when it does not. */
static bool local_alive(void *ctx) {
  struct orch_error err = {0};
  int rc = orch_exec_engine_command(ctx, "00000000-0000-7000-8000-000000000000", ORCH_CMD_PAUSE, NULL, "probe", &err);
  return rc == ORCH_ENOTFOUND;
}

static const struct orch_api_engine_ops local_ops = {
  .create = local_create,
  .command = api_exec_command,
  .alive = local_alive,
};

const struct orch_api_engine_ops *orch_api_engine_local(void) { return &local_ops; }

void orch_api_exec_listener(void *ctx, const struct orch_exec_state *st, const char *type, const json_t *data) {
  struct orch_api *api = ctx;
  const struct orch_api_backends *b = api_backends(api);
  /* the listener is told right after the append: the engine's clock now is the event's time */
  orch_api_hub_publish(api->hub, st->id, st->seq, orch_clock_now_ms(b ? b->exec_clock : api->clock), type, data,
                       orch_api_exec_finished(st));
}
