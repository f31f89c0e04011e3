/* orch_api_h_executions: executions: list (status, plan, mode, time filters; newest first), start (202 +
 * Location; a recovery needs confirm equal to the plan's name), get (the view: waves, servers, hooks with
 * output, gates, RTO), report, and the commands POST .../{pause|resume|cancel|approve|retry-wave|skip-wave|
 * cleanup} (409 saying why when the state does not allow it; approvals honour the plan's approvers).
 * Uses orch_api_int, orch_api_views, orch_store, orch_exec_state. */
#include <stdio.h>
#include <string.h>

#include "api/orch_api_int.h"
#include "api/orch_api_views.h"
#include "store/orch_store_valid.h"

static json_t *opt_str(const char *s) { return s && *s ? json_string(s) : json_null(); }

static json_t *summary_json(struct orch_api *api, const struct orch_store_exec *x) {
  char outcome[32];
  orch_api_view_outcome(api->views, x->id, x->status, outcome, sizeof outcome);
  const char *name = json_string_value(json_object_get(x->summary, "plan_name"));
  return json_pack("{s:s, s:s, s:o, s:I, s:s, s:s, s:o, s:b, s:o, s:o, s:o, s:o}", "id", x->id, "plan_id", x->plan_id,
                   "plan_name", opt_str(name), "plan_version", (json_int_t)x->plan_version, "mode",
                   orch_store_mode_name(x->mode), "status", orch_store_status_name(x->status), "outcome",
                   opt_str(outcome), "finished", x->ended_ms != 0, "started_by", opt_str(x->started_by), "created_at",
                   api_time(x->created_ms), "started_at", api_time(x->started_ms), "ended_at", api_time(x->ended_ms));
}

/* A plan named by id or by name; ORCH_ENOTFOUND names what was looked for. */
static int find_plan(struct orch_store *store, const char *ref, struct orch_store_plan *p, struct orch_error *err) {
  if (orch_store_valid_id(ref, "plan", NULL) == 0) return orch_store_plan_get(store, ref, p, err);
  int rc = orch_store_plan_find(store, ref, p, err);
  if (rc == ORCH_EINVAL) rc = orch_error_setc(err, ORCH_ENOTFOUND, "plan", "no recovery plan named '%.128s'", ref);
  return rc;
}

/* ?status=A,B into a mask; -1 with 400 answered for an unknown status. */
static int status_mask(struct api_call *c, unsigned *mask) {
  const char *list = api_query(c, "status");
  *mask = 0;
  for (const char *p = list; p && *p;) {
    const char *comma = strchr(p, ',');
    char one[32];
    snprintf(one, sizeof one, "%.*s", (int)(comma ? (size_t)(comma - p) : strlen(p)), p);
    enum orch_store_status s;
    struct orch_error err = {0};
    if (orch_store_status_parse(one, &s, &err))
      return api_error(c, 400, "BadRequest", json_pack("{s:s}", "field", "status"), "%s", err.message), -1;
    *mask |= ORCH_STORE_BIT(s);
    p = comma ? comma + 1 : NULL;
  }
  return 0;
}

int api_h_executions_list(struct api_call *c) {
  struct orch_store_page page;
  struct orch_store_exec_filter f = {0};
  struct orch_store_plan p;
  struct orch_error err = {0};
  if (api_query_page(c, &page) || status_mask(c, &f.status_mask) || api_query_time(c, "from", &f.created_from_ms) ||
      api_query_time(c, "to", &f.created_to_ms))
    return 0;
  const char *mode = api_query(c, "mode"), *plan = api_query(c, "plan");
  enum orch_store_mode m;
  if (mode && !orch_store_mode_parse(mode, &m, NULL)) f.mode_mask = ORCH_STORE_BIT(m);
  if (plan) {
    int rc = find_plan(c->api->cfg.store, plan, &p, &err);
    if (rc == ORCH_ENOTFOUND) return api_page(c, json_array(), NULL); /* no such plan: no executions of it */
    if (rc) return api_fail(c, rc, &err);
    f.plan_id = p.id;
  }
  struct orch_store_exec_list l = {0};
  int rc = orch_store_exec_list(c->api->cfg.store, &f, &page, &l, &err);
  if (rc) return api_fail(c, rc, &err);
  json_t *items = json_array();
  for (size_t i = 0; items && i < l.count; i++) json_array_append_new(items, summary_json(c->api, &l.items[i]));
  api_page(c, items, l.next_cursor);
  orch_store_exec_list_release(&l);
  return 0;
}

static int no_engine(struct api_call *c) {
  return api_error(c, 503, "ServiceUnavailable", NULL, "no execution engine runs in this server (yet: it may be starting)");
}

int api_h_execution_start(struct api_call *c) {
  const struct orch_api *api = c->api;
  const char *plan = json_string_value(json_object_get(c->body, "plan"));
  const char *mode_name = json_string_value(json_object_get(c->body, "mode"));
  const char *confirm = json_string_value(json_object_get(c->body, "confirm"));
  int64_t version = json_integer_value(json_object_get(c->body, "version"));
  int mode = orch_exec_mode_parse(mode_name);
  struct orch_store_plan p;
  struct orch_error err = {0};
  const struct orch_api_backends *b = api_backends(api);
  if (!b || !b->engine) return no_engine(c);
  int rc = find_plan(api->cfg.store, plan, &p, &err);
  if (rc) return api_fail(c, rc, &err);
  if (mode == ORCH_MODE_RECOVERY && (!confirm || strcmp(confirm, p.name) != 0))
    return api_error(c, 422, "ConfirmationRequired", json_pack("{s:s}", "field", "confirm"),
                     "a recovery launches real instances that are not cleaned up: send \"confirm\": \"%s\" (the plan's "
                     "name) to start it",
                     p.name);
  char id[ORCH_ID_UUID_LEN + 1];
  if ((rc = b->engine->create(b->engine_ctx, p.id, version, (enum orch_exec_mode)mode, c->who.name, id, &err)))
    return api_fail(c, rc, &err);
  int64_t ran = version ? version : p.latest_version;
  char target[64], location[96];
  snprintf(target, sizeof target, "execution/%s", id);
  snprintf(location, sizeof location, "/api/v1/executions/%s", id);
  api_audit(c, target, NULL, NULL, json_pack("{s:s, s:s, s:I, s:s}", "plan_id", p.id, "plan", p.name, "version",
                                             (json_int_t)ran, "mode", mode_name));
  api_header(c, "Location", "%s", location);
  return api_json(c, 202, json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:s}", "id", id, "status", "PENDING", "plan_id", p.id,
                                    "plan_name", p.name, "plan_version", (json_int_t)ran, "mode", mode_name, "location",
                                    location));
}

int api_h_execution_get(struct api_call *c) {
  const char *id;
  if (api_param_id(c, 0, "execution id", &id)) return 0;
  struct orch_error err = {0};
  orch_buf_reset(&c->resp->body);
  int rc = orch_api_view_execution(c->api->views, id, &c->resp->body, &err);
  if (rc) return api_fail(c, rc, &err);
  c->resp->status = 200;
  c->resp->content_type = "application/json";
  return 0;
}

int api_h_execution_report(struct api_call *c) {
  const char *id;
  if (api_param_id(c, 0, "execution id", &id)) return 0;
  struct orch_exec_state st;
  struct orch_store_event_list events;
  char outcome[32];
  struct orch_error err = {0};
  int rc = orch_api_exec_fold(c->api->cfg.store, id, &st, &events, outcome, sizeof outcome, &err);
  if (rc) api_fail(c, rc, &err);
  else api_json(c, 200, orch_api_exec_report_json(&st, &events, outcome));
  orch_exec_state_release(&st);
  orch_store_event_list_release(&events);
  return 0;
}

/* ---- Commands -------------------------------------------------------------------------------- */

struct finish_check {
  bool finished;
  char status[24];
};

static void finish_of(void *ctx, const struct orch_exec_state *st) {
  struct finish_check *f = ctx;
  f->finished = orch_api_exec_finished(st);
  snprintf(f->status, sizeof f->status, "%s", orch_exec_status_name(st->status));
}

/* Whether the execution has finished, by its record or by its journal (which says so a moment before the
 * record does); when it has, or cannot be read, the answer is given and true returned. */
static bool answered_finished(struct api_call *c, const char *id, const char *command) {
  struct orch_store_exec x = {0};
  struct orch_error err = {0};
  struct finish_check f = {0};
  int rc = orch_store_exec_get(c->api->cfg.store, id, &x, &err);
  if (!rc && x.ended_ms) f.finished = true, snprintf(f.status, sizeof f.status, "%s", orch_store_status_name(x.status));
  orch_store_exec_release(&x);
  if (!rc && !f.finished) rc = orch_api_view_with(c->api->views, id, finish_of, &f, &err);
  if (rc) return api_fail(c, rc, &err), true;
  if (!f.finished) return false;
  api_error(c, 409, "InvalidState", json_pack("{s:s}", "status", f.status),
            "execution %s has finished (%s): nothing is left to %s", id, f.status, command);
  return true;
}

int api_h_execution_command(struct api_call *c) {
  const char *id;
  if (api_param_id(c, 0, "execution id", &id)) return 0;
  const struct orch_api *api = c->api;
  const char *command = strrchr(c->route->pattern, '/') + 1;
  const char *wave = json_string_value(json_object_get(c->body, "wave"));
  const char *gate = json_string_value(json_object_get(c->body, "gate"));
  const char *reason = json_string_value(json_object_get(c->body, "reason"));
  bool needs_wave = strcmp(command, "approve") == 0 || strcmp(command, "retry-wave") == 0 || strcmp(command, "skip-wave") == 0;
  const struct orch_api_backends *b = api_backends(api);
  if (!b || !b->engine) return no_engine(c);
  if (needs_wave && !wave && !gate)
    return api_error(c, 422, "ValidationError", json_pack("{s:s}", "field", "wave"), "%s needs the wave (\"wave\": \"name\")",
                     command);
  bool cleanup = strcmp(command, "cleanup") == 0; /* a failed clean-up is retried after the drill has finished */
  if (!cleanup && answered_finished(c, id, command)) return 0;
  struct orch_store_exec x = {0};
  struct orch_error err = {0};
  int rc;
  char roles[64];
  orch_api_roles_format(c->who.roles, roles, sizeof roles);
  struct orch_api_command cmd = {.exec_id = id, .command = command, .wave = wave, .gate = gate, .reason = reason,
                                 .actor = c->who.name, .actor_roles = roles};
  if ((rc = b->engine->command(b->engine_ctx, &cmd, &err))) {
    if (rc == ORCH_ENOTFOUND && strstr(err.message, "wave") != NULL) /* the execution has no such wave */
      return api_error(c, 422, "ValidationError", json_pack("{s:s}", "field", "wave"), "%s", err.message);
    if (rc == ORCH_ENOTFOUND && answered_finished(c, id, command)) return 0; /* it ended meanwhile */
    if (rc == ORCH_ENOTFOUND)
      return api_error(c, 409, "InvalidState", NULL, "execution %s is not driven by this server (another process owns it)", id);
    return api_fail(c, rc, &err);
  }
  int64_t seq = 0;
  if (orch_store_event_last_seq(api->cfg.store, id, &seq, NULL) || orch_store_exec_get(api->cfg.store, id, &x, NULL))
    seq = seq ? seq : 0; /* the command is journaled; the answer shows what could be read */
  char target[64];
  snprintf(target, sizeof target, "execution/%s", id);
  api_audit(c, target, NULL, json_integer(seq), json_pack("{s:o, s:o}", "wave", opt_str(wave ? wave : gate), "reason", opt_str(reason)));
  api_json(c, 200, json_pack("{s:s, s:s, s:s, s:I}", "id", id, "command", command, "status",
                             orch_store_status_name(x.status) ? orch_store_status_name(x.status) : "PENDING", "seq",
                             (json_int_t)seq));
  orch_store_exec_release(&x);
  return 0;
}
