/* orch_api_roles: role names and the permission matrix. Viewers read everything but users, tokens and
 * the audit log; Approvers also open gates; Operators also start and steer executions; PlanAuthors also
 * write groups and plans; Admins do everything. Uses libc. */
#include "api/orch_api_roles.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const role_names[ORCH_ROLE_COUNT] = {"Admin", "PlanAuthor", "Operator", "Approver", "Viewer"};

#define R_ADMIN ORCH_ROLE_ADMIN
#define R_AUTHOR ORCH_ROLE_PLAN_AUTHOR
#define R_OPER ORCH_ROLE_OPERATOR
#define R_APPR ORCH_ROLE_APPROVER
#define R_VIEW ORCH_ROLE_VIEWER
#define R_READERS (R_ADMIN | R_AUTHOR | R_OPER | R_APPR | R_VIEW)

static const struct {
  const char *name;
  unsigned roles;
} perms[ORCH_PERM_COUNT] = {
  [ORCH_PERM_PUBLIC] = {"public", ORCH_ROLE_ALL},
  [ORCH_PERM_SIGNED_IN] = {"signed-in", ORCH_ROLE_ALL},
  [ORCH_PERM_GROUPS_READ] = {"groups:read", R_READERS},
  [ORCH_PERM_GROUPS_WRITE] = {"groups:write", R_ADMIN | R_AUTHOR},
  [ORCH_PERM_PLANS_READ] = {"plans:read", R_READERS},
  [ORCH_PERM_PLANS_WRITE] = {"plans:write", R_ADMIN | R_AUTHOR},
  [ORCH_PERM_EXECUTIONS_READ] = {"executions:read", R_READERS},
  [ORCH_PERM_EXECUTIONS_START] = {"executions:start", R_ADMIN | R_OPER},
  [ORCH_PERM_EXECUTIONS_CONTROL] = {"executions:control", R_ADMIN | R_OPER},
  [ORCH_PERM_EXECUTIONS_APPROVE] = {"executions:approve", R_ADMIN | R_OPER | R_APPR},
  [ORCH_PERM_DRS_READ] = {"drs:read", R_READERS},
  [ORCH_PERM_ACCOUNTS_READ] = {"accounts:read", R_READERS},
  [ORCH_PERM_ACCOUNTS_WRITE] = {"accounts:write", R_ADMIN},
  [ORCH_PERM_USERS_ADMIN] = {"users:admin", R_ADMIN},
  [ORCH_PERM_AUDIT_READ] = {"audit:read", R_ADMIN},
  [ORCH_PERM_METRICS_READ] = {"metrics:read", R_READERS},
};

const char *orch_api_role_name(unsigned role) {
  for (unsigned i = 0; i < ORCH_ROLE_COUNT; i++)
    if (role == 1u << i) return role_names[i];
  return NULL;
}

unsigned orch_api_role_parse(const char *name) {
  for (unsigned i = 0; name && i < ORCH_ROLE_COUNT; i++)
    if (strcasecmp(name, role_names[i]) == 0) return 1u << i;
  return 0;
}

const char *orch_api_role_names(void) { return "Admin, PlanAuthor, Operator, Approver, Viewer"; }

void orch_api_roles_format(unsigned roles, char *out, size_t n) {
  size_t used = 0;
  if (n) out[0] = '\0';
  for (unsigned i = 0; i < ORCH_ROLE_COUNT; i++) {
    if (!(roles & (1u << i))) continue;
    int w = snprintf(out + used, n - used, "%s%s", used ? "," : "", role_names[i]);
    if (w < 0 || (size_t)w >= n - used) break;
    used += (size_t)w;
  }
}

const char *orch_api_perm_name(enum orch_api_perm p) { return (unsigned)p < ORCH_PERM_COUNT ? perms[p].name : "?"; }

unsigned orch_api_perm_roles(enum orch_api_perm p) { return (unsigned)p < ORCH_PERM_COUNT ? perms[p].roles : 0; }

bool orch_api_roles_allow(unsigned roles, enum orch_api_perm p) {
  if (p == ORCH_PERM_PUBLIC || p == ORCH_PERM_SIGNED_IN) return true; /* the caller has credentials: enough */
  if ((unsigned)p >= ORCH_PERM_COUNT) return false;
  return (roles & perms[p].roles) != 0;
}
