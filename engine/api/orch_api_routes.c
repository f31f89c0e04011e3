/* orch_api_routes: the route table: every operation's method, path pattern, permission, handler, request
 * schema, query parameters and answers. The router dispatches, authorises and validates from it; the
 * OpenAPI document is generated from it; the RBAC test walks it. Nothing about a route lives anywhere
 * else. Uses orch_api_int. */
#include "api/orch_api_int.h"

/* ---- Query parameters ------------------------------------------------------------------------ */

#define S_STR(max) "{\"type\":\"string\",\"minLength\":1,\"maxLength\":" #max "}"
#define S_ACCOUNT "{\"type\":\"string\",\"pattern\":\"^[0-9]{12}$\"}"
#define S_REGION "{\"type\":\"string\",\"pattern\":\"^[a-z]{2}(-[a-z]+)+-[0-9]+$\",\"maxLength\":32}"
#define S_TIME "{\"type\":\"string\",\"format\":\"date-time\"}"
#define Q_LIMIT {"limit", "{\"type\":\"integer\",\"minimum\":1,\"maximum\":1000}", "page size (default 50, at most 1000)"}
#define Q_CURSOR {"cursor", "{\"type\":\"string\",\"minLength\":1,\"maxLength\":160}", "next_cursor of the previous page"}
#define Q_END {NULL, NULL, NULL}

static const struct api_param q_page[] = {Q_LIMIT, Q_CURSOR, Q_END};
static const struct api_param q_groups[] = {
  {"name", S_STR(128), "groups whose name contains this text (case-insensitive)"},
  {"account", S_ACCOUNT, "groups in this account"},
  {"region", S_REGION, "groups in this region"},
  Q_LIMIT, Q_CURSOR, Q_END};
static const struct api_param q_diff[] = {
  {"to", "{\"type\":\"integer\",\"minimum\":1}", "the version to compare with (required)"}, Q_END};
static const struct api_param q_executions[] = {
  {"status", "{\"type\":\"string\",\"pattern\":\"^[A-Z_]+(,[A-Z_]+)*$\"}",
   "comma-separated statuses (PENDING, PREFLIGHT, RUNNING, PAUSED, COMPLETED, PARTIAL, FAILED, CANCELLED, "
   "CLEANING_UP, CLEANED)"},
  {"plan", S_STR(128), "a plan id or name"},
  {"mode", "{\"type\":\"string\",\"enum\":[\"drill\",\"recovery\",\"dry-run\"]}", "drill, recovery or dry-run"},
  {"from", S_TIME, "created at or after this time (ISO-8601)"},
  {"to", S_TIME, "created before this time (ISO-8601)"},
  Q_LIMIT, Q_CURSOR, Q_END};
static const struct api_param q_events[] = {
  {"from", "{\"type\":\"integer\",\"minimum\":1}", "the first sequence number to return (default 1)"},
  Q_LIMIT, Q_CURSOR, Q_END};
static const struct api_param q_scope[] = {
  {"account", S_ACCOUNT, "the account (default: the engine's home account)"},
  {"region", S_REGION, "the region (default: the engine's region)"}, Q_END};
static const struct api_param q_source_servers[] = {
  {"account", S_ACCOUNT, "the account (default: the engine's home account)"},
  {"region", S_REGION, "the region (default: the engine's region)"},
  {"tag", "{\"type\":\"string\",\"pattern\":\"^[^=]+=.*$\",\"maxLength\":400}",
   "only servers with this tag, KEY=VALUE (repeat for several; all must match)"},
  {"hostname", S_STR(255), "servers whose hostname contains this text"},
  {"refresh", "{\"type\":\"boolean\"}", "ask DRS now instead of the short cache"},
  Q_LIMIT, Q_CURSOR, Q_END};
static const struct api_param q_instances[] = {
  {"account", S_ACCOUNT, "the account (default: the engine's home account)"},
  {"region", S_REGION, "the region (default: the engine's region)"},
  {"refresh", "{\"type\":\"boolean\"}", "ask DRS now instead of the short cache"},
  Q_LIMIT, Q_CURSOR, Q_END};
static const struct api_param q_audit[] = {
  {"actor", S_STR(128), "entries by this actor"},
  {"action", S_STR(64), "entries of this action (group.create, execution.start, ...)"},
  {"target", S_STR(256), "entries on this target (protection-group/<id>, execution/<id>, ...)"},
  {"from", S_TIME, "at or after this time (ISO-8601)"},
  {"to", S_TIME, "before this time (ISO-8601)"},
  Q_LIMIT, Q_CURSOR, Q_END};

/* ---- Answers --------------------------------------------------------------------------------- */

#define R_END {0, NULL, NULL}
static const struct api_resp r_health[] = {{200, "Health", "every subsystem is ok"},
                                           {503, "Health", "a subsystem is not ok"}, R_END};
static const struct api_resp r_ready[] = {{200, "Ready", "ready for traffic"},
                                          {503, "Ready", "not ready: the store or the scheduler is not"}, R_END};
static const struct api_resp r_openapi[] = {{200, "OpenApiDocument", "this document"}, R_END};
static const struct api_resp r_metrics[] = {{200, NULL, "Prometheus text exposition format 0.0.4"}, R_END};
static const struct api_resp r_auth_options[] = {{200, "AuthOptions", "the ways to sign in"}, R_END};
static const struct api_resp r_login[] = {{201, "Session", "signed in; the session cookie is set"},
                                          {401, "Error", "wrong user name or password, or a disabled user"}, R_END};
static const struct api_resp r_logout[] = {{204, NULL, "signed out; the cookie is cleared"},
                                           {409, "Error", "the credentials are not a console session"}, R_END};
static const struct api_resp r_none[] = {{204, NULL, "done"}, R_END};
static const struct api_resp r_me[] = {{200, "Me", "who the credentials belong to"}, R_END};
static const struct api_resp r_password[] = {{204, NULL, "changed; every session of the user ends (sign in again)"},
                                             {409, "Error", "the credentials are not a local user's"}, R_END};
static const struct api_resp r_users[] = {{200, "UserPage", "a page of users"}, R_END};
static const struct api_resp r_user_new[] = {{201, "User", "created"}, {409, "Error", "the name is taken"}, R_END};
static const struct api_resp r_user[] = {{200, "User", "the user"}, R_END};
static const struct api_resp r_tokens[] = {{200, "TokenPage", "a page of API tokens, newest first"}, R_END};
static const struct api_resp r_token_new[] = {{201, "TokenCreated", "created: the token is shown this once"},
                                              {409, "Error", "the name is taken"}, R_END};
static const struct api_resp r_token[] = {{200, "Token", "the token's record (never its secret)"}, R_END};
static const struct api_resp r_groups[] = {{200, "ProtectionGroupPage", "a page of groups, by name"}, R_END};
static const struct api_resp r_group_new[] = {
  {201, "ProtectionGroup", "created"},
  {409, "Error", "the name is taken, or a server is already in another group (named in the message)"}, R_END};
static const struct api_resp r_group[] = {{200, "ProtectionGroup", "the group (ETag: its version)"}, R_END};
static const struct api_resp r_group_put[] = {
  {200, "ProtectionGroup", "updated"},
  {409, "Error", "the name is taken, or a server is already in another group"},
  {412, "Error", "If-Match names a version that is no longer the group's"}, R_END};
static const struct api_resp r_group_del[] = {
  {204, NULL, "deleted"}, {409, "Error", "a plan in use names the group (the plan is named)"},
  {412, "Error", "If-Match names a version that is no longer the group's"}, R_END};
static const struct api_resp r_group_servers[] = {{200, "GroupServers", "the group's servers as DRS knows them now"},
                                                  {502, "Error", "DRS could not be asked"}, R_END};
static const struct api_resp r_plans[] = {{200, "PlanPage", "a page of plans, by name"}, R_END};
static const struct api_resp r_plan_new[] = {
  {201, "PlanCreated", "created with its version 1"}, {409, "Error", "the name is taken"},
  {422, "PlanInvalid", "the source has problems (the validation report is in details)"}, R_END};
static const struct api_resp r_validate[] = {{200, "ValidationReport", "the report (ok is false with problems)"},
                                             R_END};
static const struct api_resp r_plan[] = {{200, "Plan", "the plan (ETag: its latest version)"}, R_END};
static const struct api_resp r_plan_del[] = {{204, NULL, "deleted with its versions"},
                                             {409, "Error", "an execution of it has not ended"}, R_END};
static const struct api_resp r_versions[] = {{200, "PlanVersionPage", "a page of versions, newest first"}, R_END};
static const struct api_resp r_version_new[] = {
  {201, "PlanVersion", "the new version"},
  {412, "Error", "If-Match names a version that is no longer the latest"},
  {422, "PlanInvalid", "the source has problems (the validation report is in details)"}, R_END};
static const struct api_resp r_version[] = {{200, "PlanVersion", "the version with its source and wave graph"},
                                            R_END};
static const struct api_resp r_diff[] = {{200, "PlanDiff", "what changed between the two versions"}, R_END};
static const struct api_resp r_executions[] = {{200, "ExecutionPage", "a page of executions, newest first"}, R_END};
static const struct api_resp r_exec_start[] = {
  {202, "ExecutionAccepted", "started (Location: the execution)"},
  {422, "Error", "a recovery needs confirm equal to the plan's name; or the request is not valid"}, R_END};
static const struct api_resp r_execution[] = {{200, "Execution", "the execution as its journal says now"}, R_END};
static const struct api_resp r_report[] = {{200, "Report", "the report: outcome, RTO, waves, servers, hooks"},
                                           R_END};
static const struct api_resp r_events[] = {
  {200, "EventPage", "a page of journal events (or text/event-stream when asked for)"}, R_END};
static const struct api_resp r_command[] = {
  {200, "CommandResult", "journaled: the execution acts on it"},
  {409, "Error", "the execution's state does not allow it (the message says why)"}, R_END};
static const struct api_resp r_approve[] = {
  {200, "CommandResult", "journaled: the gate opens"},
  {403, "Error", "the plan names approvers for this gate and the caller is not one"},
  {409, "Error", "no such gate is waiting (the message says why)"}, R_END};
static const struct api_resp r_servers[] = {{200, "SourceServerPage", "a page of source servers"},
                                            {502, "Error", "DRS could not be asked"}, R_END};
static const struct api_resp r_quotas[] = {{200, "Quotas", "DRS quotas with their current use"},
                                           {502, "Error", "Service Quotas or DRS could not be asked"}, R_END};
static const struct api_resp r_instances[] = {{200, "RecoveryInstancePage", "a page of recovery instances"},
                                              {502, "Error", "DRS could not be asked"}, R_END};
static const struct api_resp r_accounts[] = {{200, "AccountPage", "a page of target accounts"}, R_END};
static const struct api_resp r_account_new[] = {
  {201, "Account", "validated (AssumeRole and GetCallerIdentity) and stored"},
  {409, "Error", "the account is already a target"},
  {422, "Error", "the role could not be assumed, or it is not in the account (AWS's answer is in details)"}, R_END};
static const struct api_resp r_account[] = {{200, "Account", "the account"}, R_END};
static const struct api_resp r_audit[] = {{200, "AuditPage", "a page of audit entries, newest first"}, R_END};

/* ---- The table ------------------------------------------------------------------------------- */

#define V1 "/api/v1"
#define EXEC_CMD(name, perm, id, summary, resp)                                                          \
  {"POST", V1 "/executions/{id}/" name, perm, api_h_execution_command, id, "Executions", summary,          \
   "ExecutionCommand", NULL, resp, "execution." name, API_F_BODY | API_F_BODY_OPT}

static const struct api_route routes[] = {
  /* System */
  {"GET", V1 "/health", ORCH_PERM_PUBLIC, api_h_health, "getHealth", "System",
   "Liveness and the state of each subsystem", NULL, NULL, r_health, NULL, API_F_UNLIMITED},
  {"HEAD", V1 "/health", ORCH_PERM_PUBLIC, api_h_health, "headHealth", "System", "Liveness without a body", NULL,
   NULL, r_health, NULL, API_F_UNLIMITED},
  {"GET", V1 "/ready", ORCH_PERM_PUBLIC, api_h_ready, "getReady", "System",
   "Readiness: the store takes writes and the scheduler is alive", NULL, NULL, r_ready, NULL, API_F_UNLIMITED},
  {"GET", V1 "/openapi.json", ORCH_PERM_PUBLIC, api_h_openapi, "getOpenApi", "System",
   "This OpenAPI 3.1 document, generated from the route table", NULL, NULL, r_openapi, NULL, 0},
  {"GET", V1 "/metrics", ORCH_PERM_METRICS_READ, api_h_metrics, "getMetrics", "System",
   "Prometheus metrics: requests, latency, executions, DRS calls, event-stream subscribers", NULL, NULL, r_metrics,
   NULL, API_F_TEXT},

  /* Sign-in */
  {"GET", V1 "/auth/options", ORCH_PERM_PUBLIC, api_h_auth_options, "getAuthOptions", "Authentication",
   "How to sign in: passwords and tokens, and Cognito's Hosted UI (code flow with PKCE) when configured", NULL, NULL,
   r_auth_options, NULL, 0},
  {"POST", V1 "/sessions", ORCH_PERM_PUBLIC, api_h_session_create, "createSession", "Authentication",
   "Sign in with a local user's name and password: sets the session cookie, returns the CSRF token", "Login",
   NULL, r_login, "session.create", API_F_BODY},
  {"DELETE", V1 "/sessions/current", ORCH_PERM_SIGNED_IN, api_h_session_delete, "deleteSession",
   "Authentication", "Sign out: ends the session of the cookie", NULL, NULL, r_logout, "session.delete", 0},
  {"GET", V1 "/me", ORCH_PERM_SIGNED_IN, api_h_me, "getMe", "Authentication",
   "Who the credentials belong to, their roles and permissions", NULL, NULL, r_me, NULL, 0},
  {"PUT", V1 "/me/password", ORCH_PERM_SIGNED_IN, api_h_me_password, "changePassword", "Authentication",
   "Change the signed-in local user's password", "PasswordChange", NULL, r_password, "user.password", API_F_BODY},

  /* Users and tokens */
  {"GET", V1 "/users", ORCH_PERM_USERS_ADMIN, api_h_users_list, "listUsers", "Users", "List local users", NULL,
   q_page, r_users, NULL, 0},
  {"POST", V1 "/users", ORCH_PERM_USERS_ADMIN, api_h_user_create, "createUser", "Users", "Add a local user",
   "UserCreate", NULL, r_user_new, "user.create", API_F_BODY},
  {"GET", V1 "/users/{id}", ORCH_PERM_USERS_ADMIN, api_h_user_get, "getUser", "Users", "One user", NULL, NULL,
   r_user, NULL, 0},
  {"PATCH", V1 "/users/{id}", ORCH_PERM_USERS_ADMIN, api_h_user_update, "updateUser", "Users",
   "Change a user's role or password, disable or enable them (disabling ends their sessions)", "UserUpdate", NULL,
   r_user, "user.update", API_F_BODY},
  {"GET", V1 "/tokens", ORCH_PERM_USERS_ADMIN, api_h_tokens_list, "listTokens", "Tokens", "List API tokens", NULL,
   q_page, r_tokens, NULL, 0},
  {"POST", V1 "/tokens", ORCH_PERM_USERS_ADMIN, api_h_token_create, "createToken", "Tokens",
   "Create an API token with a role and an optional expiry; the token is in the answer only", "TokenCreate", NULL,
   r_token_new, "token.create", API_F_BODY},
  {"GET", V1 "/tokens/{id}", ORCH_PERM_USERS_ADMIN, api_h_token_get, "getToken", "Tokens", "One API token's record",
   NULL, NULL, r_token, NULL, 0},
  {"DELETE", V1 "/tokens/{id}", ORCH_PERM_USERS_ADMIN, api_h_token_revoke, "revokeToken", "Tokens",
   "Revoke an API token", NULL, NULL, r_none, "token.revoke", 0},

  /* Protection groups */
  {"GET", V1 "/protection-groups", ORCH_PERM_GROUPS_READ, api_h_groups_list, "listProtectionGroups",
   "Protection groups", "List protection groups, filtered by name, account and region", NULL, q_groups, r_groups,
   NULL, 0},
  {"POST", V1 "/protection-groups", ORCH_PERM_GROUPS_WRITE, api_h_group_create, "createProtectionGroup",
   "Protection groups", "Create a protection group (server ids or a tag query)", "ProtectionGroupInput", NULL,
   r_group_new, "group.create", API_F_BODY},
  {"GET", V1 "/protection-groups/{id}", ORCH_PERM_GROUPS_READ, api_h_group_get, "getProtectionGroup",
   "Protection groups", "One protection group", NULL, NULL, r_group, NULL, 0},
  {"PUT", V1 "/protection-groups/{id}", ORCH_PERM_GROUPS_WRITE, api_h_group_update, "updateProtectionGroup",
   "Protection groups", "Replace a protection group; If-Match: its version", "ProtectionGroupInput", NULL,
   r_group_put, "group.update", API_F_BODY | API_F_IF_MATCH},
  {"DELETE", V1 "/protection-groups/{id}", ORCH_PERM_GROUPS_WRITE, api_h_group_delete, "deleteProtectionGroup",
   "Protection groups", "Delete a protection group no plan in use names", NULL, NULL, r_group_del, "group.delete",
   API_F_IF_MATCH},
  {"GET", V1 "/protection-groups/{id}/servers", ORCH_PERM_GROUPS_READ, api_h_group_servers,
   "getProtectionGroupServers", "Protection groups", "The group's servers, resolved against DRS now", NULL, NULL,
   r_group_servers, NULL, 0},

  /* Plans */
  {"GET", V1 "/plans", ORCH_PERM_PLANS_READ, api_h_plans_list, "listPlans", "Plans", "List recovery plans", NULL,
   q_page, r_plans, NULL, 0},
  {"POST", V1 "/plans", ORCH_PERM_PLANS_WRITE, api_h_plan_create, "createPlan", "Plans",
   "Create a plan from Lua source (validated first)", "PlanCreate", NULL, r_plan_new, "plan.create", API_F_BODY},
  {"POST", V1 "/plans/validate", ORCH_PERM_PLANS_WRITE, api_h_plan_validate, "validatePlan", "Plans",
   "Validate Lua source: the diagnostics of drsorch validate --format json", "PlanValidate", NULL, r_validate, NULL,
   API_F_BODY},
  {"GET", V1 "/plans/{id}", ORCH_PERM_PLANS_READ, api_h_plan_get, "getPlan", "Plans", "One plan", NULL, NULL, r_plan,
   NULL, 0},
  {"DELETE", V1 "/plans/{id}", ORCH_PERM_PLANS_WRITE, api_h_plan_delete, "deletePlan", "Plans",
   "Delete a plan and its versions (not while an execution of it runs)", NULL, NULL, r_plan_del, "plan.delete", 0},
  {"GET", V1 "/plans/{id}/versions", ORCH_PERM_PLANS_READ, api_h_versions_list, "listPlanVersions", "Plans",
   "List a plan's versions", NULL, q_page, r_versions, NULL, 0},
  {"POST", V1 "/plans/{id}/versions", ORCH_PERM_PLANS_WRITE, api_h_version_create, "createPlanVersion", "Plans",
   "Save a new version; If-Match: the latest version the edit started from", "PlanVersionCreate", NULL,
   r_version_new, "plan.version.create", API_F_BODY | API_F_IF_MATCH},
  {"GET", V1 "/plans/{id}/versions/{version}", ORCH_PERM_PLANS_READ, api_h_version_get, "getPlanVersion", "Plans",
   "One version with its source and its compiled wave graph", NULL, NULL, r_version, NULL, 0},
  {"GET", V1 "/plans/{id}/versions/{version}/diff", ORCH_PERM_PLANS_READ, api_h_version_diff, "diffPlanVersions",
   "Plans", "Unified diff of two versions' sources, with added and removed waves and dependencies", NULL, q_diff,
   r_diff, NULL, 0},

  /* Executions */
  {"GET", V1 "/executions", ORCH_PERM_EXECUTIONS_READ, api_h_executions_list, "listExecutions", "Executions",
   "List executions, newest first, filtered by status, plan, mode and time", NULL, q_executions, r_executions, NULL,
   0},
  {"POST", V1 "/executions", ORCH_PERM_EXECUTIONS_START, api_h_execution_start, "startExecution", "Executions",
   "Start a drill, a recovery (confirm: the plan's name) or a dry run", "ExecutionStart", NULL, r_exec_start,
   "execution.start", API_F_BODY},
  {"GET", V1 "/executions/{id}", ORCH_PERM_EXECUTIONS_READ, api_h_execution_get, "getExecution", "Executions",
   "One execution: waves, servers, hooks with their output, gates, RTO", NULL, NULL, r_execution, NULL, 0},
  {"GET", V1 "/executions/{id}/report", ORCH_PERM_EXECUTIONS_READ, api_h_execution_report, "getExecutionReport",
   "Executions", "The execution's report", NULL, NULL, r_report, NULL, 0},
  {"GET", V1 "/executions/{id}/events", ORCH_PERM_EXECUTIONS_READ, api_h_execution_events, "getExecutionEvents",
   "Executions",
   "Journal events from a sequence number: a JSON page, or Server-Sent Events (Accept: text/event-stream) resuming "
   "after Last-Event-ID, with heartbeats",
   NULL, q_events, r_events, NULL, API_F_STREAM},
  EXEC_CMD("pause", ORCH_PERM_EXECUTIONS_CONTROL, "pauseExecution", "Pause: no new wave starts", r_command),
  EXEC_CMD("resume", ORCH_PERM_EXECUTIONS_CONTROL, "resumeExecution", "Resume a paused execution", r_command),
  EXEC_CMD("cancel", ORCH_PERM_EXECUTIONS_CONTROL, "cancelExecution", "Cancel (a drill then cleans up)",
           r_command),
  EXEC_CMD("approve", ORCH_PERM_EXECUTIONS_APPROVE, "approveExecution",
           "Open a wave's approval gate (wave, or gate, names it)", r_approve),
  EXEC_CMD("retry-wave", ORCH_PERM_EXECUTIONS_CONTROL, "retryWave", "Retry a failed wave", r_command),
  EXEC_CMD("skip-wave", ORCH_PERM_EXECUTIONS_CONTROL, "skipWave", "Skip a wave that has not started", r_command),
  EXEC_CMD("cleanup", ORCH_PERM_EXECUTIONS_CONTROL, "cleanupExecution",
           "Clean a drill up now, or retry a failed clean-up", r_command),

  /* DRS */
  {"GET", V1 "/drs/source-servers", ORCH_PERM_DRS_READ, api_h_drs_source_servers, "listSourceServers", "DRS",
   "Source servers in an account and region: hostname, tags, replication state, lag (cached briefly)", NULL,
   q_source_servers, r_servers, NULL, 0},
  {"GET", V1 "/drs/quotas", ORCH_PERM_DRS_READ, api_h_drs_quotas, "getQuotas", "DRS",
   "DRS quotas from Service Quotas, with their current use", NULL, q_scope, r_quotas, NULL, 0},
  {"GET", V1 "/drs/recovery-instances", ORCH_PERM_DRS_READ, api_h_drs_recovery_instances, "listRecoveryInstances",
   "DRS", "Recovery instances in an account and region", NULL, q_instances, r_instances, NULL, 0},

  /* Target accounts */
  {"GET", V1 "/accounts", ORCH_PERM_ACCOUNTS_READ, api_h_accounts_list, "listAccounts", "Accounts",
   "List target accounts", NULL, q_page, r_accounts, NULL, 0},
  {"POST", V1 "/accounts", ORCH_PERM_ACCOUNTS_WRITE, api_h_account_create, "createAccount", "Accounts",
   "Add a target account: its role is assumed and GetCallerIdentity checked first; nothing secret is stored",
   "AccountCreate", NULL, r_account_new, "account.create", API_F_BODY},
  {"GET", V1 "/accounts/{account_id}", ORCH_PERM_ACCOUNTS_READ, api_h_account_get, "getAccount", "Accounts",
   "One target account", NULL, NULL, r_account, NULL, 0},
  {"DELETE", V1 "/accounts/{account_id}", ORCH_PERM_ACCOUNTS_WRITE, api_h_account_delete, "deleteAccount",
   "Accounts", "Remove a target account", NULL, NULL, r_none, "account.delete", 0},

  /* Audit */
  {"GET", V1 "/audit", ORCH_PERM_AUDIT_READ, api_h_audit_list, "listAudit", "Audit",
   "The audit log, newest first, filtered by actor, action, target and time", NULL, q_audit, r_audit, NULL, 0},
};

_Static_assert(sizeof routes / sizeof routes[0] <= API_ROUTES_MAX, "raise API_ROUTES_MAX");

const struct api_route *orch_api_routes(size_t *n) {
  *n = sizeof routes / sizeof routes[0];
  return routes;
}
