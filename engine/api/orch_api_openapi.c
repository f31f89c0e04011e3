/* orch_api_openapi: the OpenAPI 3.1 document, generated from the route table (paths, methods, operation
 * ids, parameters, request bodies, answers, permissions and the roles that hold them as x-permission and
 * x-roles) and the schemas (components), and the GET /openapi.json handler. Nothing in it is written by
 * hand apart from the prose. Uses orch_api_int, orch_api_schema, orch_api_roles, jansson. */
#include <stdio.h>
#include <string.h>

#include "api/orch_api_int.h"
#include "api/orch_api_schema.h"

#define REF(name) json_pack("{s:s}", "$ref", "#/components/schemas/" name)

static const struct {
  const char *name, *description;
} tags[] = {
  {"System", "Health, readiness, metrics and this document (no credentials needed but for metrics)"},
  {"Authentication", "Console sessions (cookie + CSRF token) and who the caller is"},
  {"Users", "Local users (Admin)"},
  {"Tokens", "API tokens for automation (Admin): random, shown once, stored hashed"},
  {"Protection groups", "Sets of DRS source servers in one account and region"},
  {"Plans", "Recovery plans in Lua, every version kept, validated and diffable"},
  {"Executions", "Drills, recoveries and dry runs: start, watch, steer, report"},
  {"DRS", "What DRS knows now: source servers, quotas, recovery instances"},
  {"Accounts", "Target accounts reached by assuming a role"},
  {"Audit", "Every change made through the API (Admin)"},
};

static json_t *error_response(const char *description) {
  return json_pack("{s:s, s:{s:{s:o}}}", "description", description, "content", "application/json", "schema",
                   REF("Error"));
}

/* The generic error answers, shared by reference. */
static json_t *components_responses(void) {
  return json_pack(
      "{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "BadRequest",
      error_response("Malformed: the target, a query parameter, a header or the JSON (code BadRequest or InvalidJson)"),
      "Unauthorized", error_response("No credentials, or credentials that are not valid (WWW-Authenticate: Bearer)"),
      "Forbidden", error_response("The credentials' roles do not hold the operation's permission, or a session's "
                                  "change lacks X-CSRF-Token"),
      "NotFound", error_response("Nothing has that id"), "PayloadTooLarge",
      error_response("The body is larger than server.max_body"), "UnsupportedMediaType",
      error_response("The body is not application/json"), "ValidationError",
      error_response("The JSON does not fit the request schema; details.problems lists each field and why"),
      "TooManyRequests",
      json_pack("{s:s, s:{s:{s:s, s:{s:s}}}, s:{s:{s:o}}}", "description",
                "Rate limited (server.rate_limit, server.token_rate_limit)", "headers", "Retry-After", "description",
                "seconds to wait", "schema", "type", "integer", "content", "application/json", "schema", REF("Error")),
      "ServiceUnavailable", error_response("The store, the engine or memory failed; retry later"));
}

static json_t *path_param(const char *name) {
  json_t *schema = strcmp(name, "version") == 0      ? json_pack("{s:s, s:i}", "type", "integer", "minimum", 1)
                   : strcmp(name, "account_id") == 0 ? REF("AccountId")
                                                     : REF("Id");
  return json_pack("{s:s, s:s, s:b, s:o}", "name", name, "in", "path", "required", 1, "schema", schema);
}

static json_t *parameters(const struct orch_api *api, const struct api_route *r) {
  json_t *ps = json_array();
  for (const char *p = strchr(r->pattern, '{'); ps && p; p = strchr(p + 1, '{')) {
    char name[64];
    const char *close = strchr(p, '}');
    snprintf(name, sizeof name, "%.*s", (int)(close - p - 1), p + 1);
    json_array_append_new(ps, path_param(name));
  }
  for (size_t i = 0; ps && r->query && r->query[i].name; i++) {
    const json_t *schema = orch_api_route_param_schema(api, r, i);
    json_t *p = json_pack("{s:s, s:s, s:s, s:O}", "name", r->query[i].name, "in", "query", "description", r->query[i].doc,
                          "schema", schema);
    if (p && strcmp(r->query[i].name, "tag") == 0) json_object_set_new(p, "explode", json_true());
    json_array_append_new(ps, p);
  }
  if (ps && (r->flags & API_F_IF_MATCH))
    json_array_append_new(ps, json_pack("{s:s, s:s, s:s, s:{s:s}}", "name", "If-Match", "in", "header", "description",
                                        "the version the change started from (the ETag): a newer one stored is 412",
                                        "schema", "type", "string"));
  if (ps && (r->flags & API_F_STREAM))
    json_array_append_new(ps, json_pack("{s:s, s:s, s:s, s:{s:s}}", "name", "Last-Event-ID", "in", "header",
                                        "description", "event stream: resume after this sequence number", "schema",
                                        "type", "string"));
  return ps;
}

/* One answer of the route's own list. */
static json_t *own_response(const struct api_route *r, const struct api_resp *a) {
  json_t *resp = json_pack("{s:s}", "description", a->doc);
  json_t *headers = json_object();
  if (!resp || !headers) return json_decref(resp), json_decref(headers), NULL;
  if (a->status == 201 || a->status == 202)
    json_object_set_new(headers, "Location", json_pack("{s:s, s:{s:s}}", "description", "the new resource", "schema", "type", "string"));
  if ((a->status == 200 || a->status == 201) && a->schema &&
      (strcmp(a->schema, "ProtectionGroup") == 0 || strcmp(a->schema, "Plan") == 0))
    json_object_set_new(headers, "ETag", json_pack("{s:s, s:{s:s}}", "description", "the version, for If-Match", "schema", "type", "string"));
  if (json_object_size(headers)) json_object_set(resp, "headers", headers);
  json_decref(headers);
  if (strcmp(r->method, "HEAD") == 0) return resp;
  char ref[128];
  if (r->flags & API_F_TEXT) {
    json_object_set_new(resp, "content", json_pack("{s:{s:{s:s}}}", "text/plain; version=0.0.4", "schema", "type", "string"));
  } else if (a->schema) {
    snprintf(ref, sizeof ref, "#/components/schemas/%s", a->schema);
    json_t *content = json_pack("{s:{s:{s:s}}}", "application/json", "schema", "$ref", ref);
    if (content && a->status == 200 && (r->flags & API_F_STREAM))
      json_object_set_new(content, "text/event-stream",
                          json_pack("{s:{s:s, s:s}}", "schema", "type", "string", "description",
                                    "id: <seq>, event: <type>, data: the Event as JSON; ': heartbeat' comments; "
                                    "event: end once the execution has finished; event: dropped when too far behind"));
    json_object_set_new(resp, "content", content);
  }
  return resp;
}

static void generic(json_t *responses, int status, const char *name) {
  char code[8], ref[96];
  snprintf(code, sizeof code, "%d", status);
  if (json_object_get(responses, code)) return;
  snprintf(ref, sizeof ref, "#/components/responses/%s", name);
  json_object_set_new(responses, code, json_pack("{s:s}", "$ref", ref));
}

static json_t *responses(const struct api_route *r) {
  json_t *out = json_object();
  char code[8];
  for (size_t i = 0; out && r->responses && r->responses[i].status; i++) {
    snprintf(code, sizeof code, "%d", r->responses[i].status);
    json_object_set_new(out, code, own_response(r, &r->responses[i]));
  }
  if (!out) return NULL;
  generic(out, 400, "BadRequest");
  if (r->perm != ORCH_PERM_PUBLIC) generic(out, 401, "Unauthorized"), generic(out, 403, "Forbidden");
  if (strchr(r->pattern, '{')) generic(out, 404, "NotFound");
  if (r->flags & API_F_BODY) generic(out, 413, "PayloadTooLarge"), generic(out, 415, "UnsupportedMediaType"), generic(out, 422, "ValidationError");
  if (!(r->flags & API_F_UNLIMITED)) generic(out, 429, "TooManyRequests");
  generic(out, 503, "ServiceUnavailable");
  return out;
}

static json_t *operation(const struct orch_api *api, const struct api_route *r) {
  json_t *roles = json_array();
  unsigned mask = r->perm == ORCH_PERM_PUBLIC ? 0 : orch_api_perm_roles(r->perm);
  for (unsigned b = 0; roles && b < ORCH_ROLE_COUNT; b++)
    if (mask & (1u << b)) json_array_append_new(roles, json_string(orch_api_role_name(1u << b)));
  json_t *op = json_pack("{s:s, s:s, s:[s], s:o, s:o, s:s, s:o}", "operationId", r->op_id, "summary", r->summary, "tags",
                         r->tag, "parameters", parameters(api, r), "responses", responses(r), "x-permission",
                         orch_api_perm_name(r->perm), "x-roles", roles);
  if (!op) return NULL;
  if (r->perm == ORCH_PERM_PUBLIC) json_object_set_new(op, "security", json_array());
  if (r->body_schema) {
    char ref[128];
    snprintf(ref, sizeof ref, "#/components/schemas/%s", r->body_schema);
    json_object_set_new(op, "requestBody", json_pack("{s:b, s:{s:{s:{s:s}}}}", "required", !(r->flags & API_F_BODY_OPT),
                                                     "content", "application/json", "schema", "$ref", ref));
  }
  if (r->action) json_object_set_new(op, "x-audit-action", json_string(r->action));
  return op;
}

static json_t *method_key(const char *method) {
  char lower[16];
  size_t i = 0;
  for (; method[i] && i + 1 < sizeof lower; i++) lower[i] = (char)(method[i] | 0x20);
  lower[i] = '\0';
  return json_string(lower);
}

json_t *orch_api_openapi(struct orch_api *api) {
  size_t n;
  const struct api_route *routes = orch_api_routes(&n);
  json_t *paths = json_object(), *tag_list = json_array();
  for (size_t i = 0; paths && i < n; i++) {
    json_t *item = json_object_get(paths, routes[i].pattern);
    if (!item) json_object_set_new(paths, routes[i].pattern, item = json_object());
    json_t *key = method_key(routes[i].method);
    if (item && key) json_object_set_new(item, json_string_value(key), operation(api, &routes[i]));
    json_decref(key);
  }
  for (size_t i = 0; tag_list && i < sizeof tags / sizeof tags[0]; i++)
    json_array_append_new(tag_list, json_pack("{s:s, s:s}", "name", tags[i].name, "description", tags[i].description));
  return json_pack(
      "{s:s, s:{s:s, s:s, s:s, s:{s:s, s:s}}, s:[{s:s, s:s}], s:o, s:[{s:[]}, {s:[]}], s:o, s:{s:O, s:o, s:{s:{s:s, s:s, s:s}, s:{s:s, s:s, s:s, s:s}}}}",
      "openapi", "3.1.0", "info", "title", "DRS Orchestrator API", "version", ORCH_VERSION, "description",
      "Protection groups, Lua recovery plans, executions (drills, recoveries, dry runs) with live events, DRS "
      "discovery, target accounts, users, tokens and the audit log. Generated from the route table; the guide is "
      "docs/api.md.",
      "license", "name", "Proprietary", "identifier", "LicenseRef-Proprietary", "servers", "url", "/", "description",
      "the server that answered", "tags", tag_list, "security", "bearer", "session", "paths", paths, "components",
      "schemas", orch_api_schemas_components(api->schemas), "responses", components_responses(), "securitySchemes",
      "bearer", "type", "http", "scheme", "bearer", "description",
      "An API token (drs_...) or, when auth.cognito_issuer is set, a Cognito user-pool JWT (RS256)", "session",
      "type", "apiKey", "in", "cookie", "name", "drsorch_session", "description",
      "A console session from POST /api/v1/sessions; changes also need X-CSRF-Token");
}

int api_h_openapi(struct api_call *c) {
  json_t *doc = orch_api_openapi(c->api);
  return doc ? api_json(c, 200, doc) : api_error(c, 503, "ServiceUnavailable", NULL, "out of memory building the document");
}
