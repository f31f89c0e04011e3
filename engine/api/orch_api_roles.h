/* orch_api_roles: the five roles, the permissions routes require, and which roles hold which: the one
 * place RBAC is decided (the router asks orch_api_roles_allow for every request; the OpenAPI document
 * lists the roles of every operation from the same table). Uses nothing but libc. */
#ifndef ORCH_API_ROLES_H
#define ORCH_API_ROLES_H

#include <stdbool.h>
#include <stddef.h>

enum orch_api_role {
  ORCH_ROLE_ADMIN = 1u << 0,
  ORCH_ROLE_PLAN_AUTHOR = 1u << 1,
  ORCH_ROLE_OPERATOR = 1u << 2,
  ORCH_ROLE_APPROVER = 1u << 3,
  ORCH_ROLE_VIEWER = 1u << 4,
};
#define ORCH_ROLE_COUNT 5
#define ORCH_ROLE_ALL 0x1fu

enum orch_api_perm {
  ORCH_PERM_PUBLIC,        /* no credentials needed */
  ORCH_PERM_SIGNED_IN,     /* any valid credentials, whatever the role */
  ORCH_PERM_GROUPS_READ,
  ORCH_PERM_GROUPS_WRITE,
  ORCH_PERM_PLANS_READ,
  ORCH_PERM_PLANS_WRITE,
  ORCH_PERM_EXECUTIONS_READ,
  ORCH_PERM_EXECUTIONS_START,
  ORCH_PERM_EXECUTIONS_CONTROL, /* pause, resume, cancel, retry-wave, skip-wave, cleanup */
  ORCH_PERM_EXECUTIONS_APPROVE,
  ORCH_PERM_DRS_READ,
  ORCH_PERM_ACCOUNTS_READ,
  ORCH_PERM_ACCOUNTS_WRITE,
  ORCH_PERM_USERS_ADMIN, /* users and API tokens */
  ORCH_PERM_AUDIT_READ,
  ORCH_PERM_METRICS_READ,
  ORCH_PERM_COUNT
};

/* "Admin", "PlanAuthor", ... for one role bit; NULL for anything else. */
const char *orch_api_role_name(unsigned role);
/* Exact name (case-insensitive) to its bit; 0 when unknown. */
unsigned orch_api_role_parse(const char *name);
/* "Admin, PlanAuthor, Operator, Approver, Viewer": for messages. */
const char *orch_api_role_names(void);
/* Role names of `roles` joined by ",", into out ("" for none). */
void orch_api_roles_format(unsigned roles, char *out, size_t n);

/* "groups:read", ... ; "public" and "signed-in" for the first two. */
const char *orch_api_perm_name(enum orch_api_perm p);
/* The roles holding permission p (ORCH_ROLE_ALL for public and signed-in). */
unsigned orch_api_perm_roles(enum orch_api_perm p);
/* Whether a principal with `roles` may use a route requiring p (public and signed-in: always; the router
 * has made sure the caller is signed in for the latter). */
bool orch_api_roles_allow(unsigned roles, enum orch_api_perm p);

#endif
