/* orch_api_aws: the production way to AWS for `drsorch serve`: the engine's orch_exec_aws for the home
 * account and accounts reached by the aws.role_name convention, and, for every target account stored
 * through the API, a client that assumes that account's own role (with its ExternalId). Both the API
 * (discovery, quotas, account checks) and the engine (executions) call through it, so a stored account
 * is reached the same way everywhere. Uses orch_exec_aws, orch_aws_creds, orch_aws_client, orch_store,
 * pthreads. */
#ifndef ORCH_API_AWS_H
#define ORCH_API_AWS_H

#include "api/orch_api.h"
#include "aws/orch_aws_creds.h"
#include "exec/orch_exec_aws.h"

struct orch_api_aws_config {
  struct orch_aws_creds *base;   /* borrowed: the home account's credentials */
  const char *home_account;      /* "" = learn it with sts:GetCallerIdentity */
  const char *region;            /* the default region (STS calls, checks) */
  const char *endpoint_url;      /* every service here (the simulator); NULL = AWS's endpoints */
  const char *role_name;         /* the convention for accounts not stored; NULL = the engine's default */
  const char *external_id;
  const struct orch_clock *clock;
  bool no_ratelimit;
  struct orch_store *store;      /* borrowed: target accounts */
};

struct orch_api_aws;

int orch_api_aws_new(const struct orch_api_aws_config *cfg, struct orch_api_aws **out, struct orch_error *err)
    ORCH_MUST_CHECK;
/* No call may be in flight. Accepts NULL. */
void orch_api_aws_free(struct orch_api_aws *a);

/* The API's ops (ctx: the orch_api_aws). */
const struct orch_api_aws_ops *orch_api_aws_ops(void);
/* The same calls as an engine's ops table (ctx: the orch_api_aws). */
const struct orch_exec_aws_ops *orch_api_aws_exec_ops(void);

#endif
