/* orch_api_engine: the in-process execution engine behind orch_api_engine_ops, and the engine listener
 * that feeds the event-stream hub. orch_api_exec_command_spec is the one place an API command becomes an engine
 * command (the engine checks the plan's approvers against the actor and its roles).
 * Uses orch_exec_engine, orch_api_hub. */
#include <string.h>

#include "api/orch_api_hub.h"
#include "api/orch_api_int.h"
#include "api/orch_api_views.h"

/* The API's command names are the engine's (pause, resume, approve, cancel, retry-wave, skip-wave,
 * cleanup); `gate` names a gate by its wave; the reason is journaled with the command. */
int orch_api_exec_command_spec(const struct orch_api_command *cmd, struct orch_exec_command_spec *out,
                               struct orch_error *err) {
  int c = orch_exec_command_parse(cmd->command);
  if (c < 0) return orch_error_set(err, ORCH_EINVAL, "unknown command '%s'", cmd->command);
  *out = (struct orch_exec_command_spec){.exec_id = cmd->exec_id, .cmd = (enum orch_exec_command)c,
                                         .wave = cmd->wave ? cmd->wave : cmd->gate, .by = cmd->actor,
                                         .role = cmd->actor_roles, .reason = cmd->reason};
  return 0;
}

static int api_exec_command(void *ctx, const struct orch_api_command *cmd, struct orch_error *err) {
  struct orch_exec_command_spec spec;
  int rc = orch_api_exec_command_spec(cmd, &spec, err);
  return rc ? rc : orch_exec_engine_command_ex(ctx, &spec, err);
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

void orch_api_exec_listener(void *ctx, const struct orch_exec_state *st, int64_t seq, int64_t at_ms, const char *type,
                            const json_t *data) {
  struct orch_api *api = ctx;
  /* `st` is the state after the step's whole batch: only its last event can be the stream's last */
  orch_api_hub_publish(api->hub, st->id, seq, at_ms, type, data, seq >= st->seq && orch_api_exec_finished(st));
}
