/* orch_exec_aws: the engine's way to AWS in production: an orch_exec_aws_ops backed by orch_aws_call,
 * with one client per account+region (created on first use, shared by the I/O threads). The home
 * account uses the base credentials; any other account is reached by sts:AssumeRole into
 * arn:<partition>:iam::<account>:role/<role_name> with the configured ExternalId.
 * A new account+region is set up (GetCallerIdentity, AssumeRole) outside any lock, so one slow STS call
 * never holds up calls to the other accounts. Uses orch_aws_client, orch_aws_creds, pthreads. */
#ifndef ORCH_EXEC_AWS_H
#define ORCH_EXEC_AWS_H

#include "aws/orch_aws_client.h"
#include "aws/orch_aws_creds.h"
#include "exec/orch_exec_engine.h"

struct orch_exec_aws_config {
  struct orch_aws_creds *base;   /* borrowed: the home account's credentials */
  const char *home_account;      /* 12 digits; "" = learn it with sts:GetCallerIdentity on first use */
  const char *endpoint_url;      /* every service at this URL (the simulator); NULL = AWS's endpoints */
  const char *role_name;         /* cross-account role; NULL = "DRSOrchestratorCrossAccount" */
  const char *external_id;       /* NULL = none */
  const struct orch_clock *clock;  /* the engine's clock: backoff sleeps, credential expiry (NULL = real) */
  const struct orch_clock *sign_clock; /* request signing (NULL = real: the simulator checks real time) */
  bool no_ratelimit;
  uint64_t jitter_seed;            /* non-zero: retry jitter from this seed (a deterministic simulation) */
};

struct orch_exec_aws;

int orch_exec_aws_new(const struct orch_exec_aws_config *cfg, struct orch_exec_aws **out, struct orch_error *err)
    ORCH_MUST_CHECK;
void orch_exec_aws_free(struct orch_exec_aws *a);
/* The ops table to hand the engine, with the orch_exec_aws as its context. */
const struct orch_exec_aws_ops *orch_exec_aws_ops(void);
/* Per-operation counters of every client: {"<account>/<region>": {"drs.DescribeJobs": {...}}}. */
json_t *orch_exec_aws_stats(struct orch_exec_aws *a);

#endif
