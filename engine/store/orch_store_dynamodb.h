/* orch_store_dynamodb: the DynamoDB store backend, for the serverless deployment (docs/deploy.md): every
 * record in one table, "<prefix>-state", keyed by (pk, sk), reached through the engine's AWS client
 * (orch_aws_client: SigV4, retries, the endpoint and credential chains). No transactions are used: each
 * write commits with one conditional single-item write, so two Lambda invocations can never both append
 * the same journal seq, and a lease holder's append is fenced on the very item it writes.
 * docs/store.md ("DynamoDB") has the layout. Uses orch_aws, orch_store_backend. */
#ifndef ORCH_STORE_DYNAMODB_H
#define ORCH_STORE_DYNAMODB_H

#include "store/orch_store.h"

/* The prefix is what follows "dynamodb:" in a store spec, with options after '?':
 *   dynamodb:<prefix>[?region=R&endpoint=URL&drill_ttl_days=N&create=true]
 * <prefix>        [A-Za-z0-9_.-]{1,249}: the table is "<prefix>-state"
 * region          the table's region (else AWS_REGION, AWS_DEFAULT_REGION, the profile's)
 * endpoint        http(s)://host[:port] to call instead of the region's DynamoDB (a local DynamoDB)
 * drill_ttl_days  1..3650: a finished drill's or dry run's records expire that many days after its end
 *                 (DynamoDB TTL on `expires_at`); absent, they are kept
 * create          true: create the table (on demand) when it does not exist: for local use; deployed
 *                 tables come from cfn/database-stack.yaml
 * Credentials come from the SDKs' default chain (environment, profiles, web identity, ECS, IMDS).
 * Opening checks the table's key schema and the layout version it holds. A bad spec is ORCH_EINVAL
 * naming the option; a missing table ORCH_ESTORE; one of another shape ORCH_ESTORE; a layout newer
 * than this binary ORCH_EUNSUPPORTED; no credentials ORCH_EPERM. Caller owns *out (orch_store_close).
 * orch_store_open("dynamodb:...") calls this. */
int orch_store_dynamodb_open(const char *location, const struct orch_store_options *opts, struct orch_store **out,
                             struct orch_error *err) ORCH_MUST_CHECK;

/* The layout version this binary writes (item meta/schema). */
int orch_store_dynamodb_schema_version(void);

#endif
