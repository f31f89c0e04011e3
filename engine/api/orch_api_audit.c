/* orch_api_audit: one audit entry per mutation: actor, role, the route's action, target, before/after
 * versions, request id and client address. Uses orch_api_int, orch_store, orch_log. */
#include "api/orch_api_int.h"
#include "core/orch_log.h"

void api_audit(struct api_call *c, const char *target, json_t *before, json_t *after, json_t *details) {
  char roles[64];
  orch_api_roles_format(c->who.roles, roles, sizeof roles);
  json_t *d = details ? details : json_object();
  if (d && before) json_object_set(d, "before", before);
  if (d && after) json_object_set(d, "after", after);
  json_decref(before);
  json_decref(after);
  struct orch_store_audit_spec spec = {
    .actor = c->who.name[0] ? c->who.name : "anonymous", .role = roles[0] ? roles : NULL,
    .source = c->req->remote_addr && *c->req->remote_addr ? c->req->remote_addr : NULL,
    .action = c->route && c->route->action ? c->route->action : "unknown", .target = target,
    .details = d && json_object_size(d) ? d : NULL, .request_id = c->resp->request_id};
  struct orch_error err = {0};
  if (orch_store_audit_append(c->api->cfg.store, &spec, NULL, &err))
    orch_log_error("audit: %s on %s by %s was not recorded: %s", spec.action, target ? target : "-", spec.actor,
                   err.message);
  json_decref(d);
}
