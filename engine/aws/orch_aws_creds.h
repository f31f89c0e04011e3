/* orch_aws_creds: AWS credentials providers behind one interface (an ops table), each wrapped in a
 * thread-safe cache that refreshes before expiry (one refresh at a time), and the SDKs' default chain:
 * environment, shared config/credentials profiles (static keys, role_arn with source_profile or
 * credential_source, web_identity_token_file), web identity from the environment, the ECS container
 * endpoint, and EC2 IMDSv2. AssumeRole (with ExternalId, for per-target-account plans) and
 * AssumeRoleWithWebIdentity go through orch_aws_client to STS.
 * Uses orch_aws_profile, orch_aws_client (STS), orch_http transports (ECS, IMDS), orch_clock, pthreads. */
#ifndef ORCH_AWS_CREDS_H
#define ORCH_AWS_CREDS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "aws/orch_aws_profile.h"
#include "aws/orch_http.h"
#include "core/orch_clock.h"
#include "core/orch_error.h"

#define ORCH_AWS_CREDS_REFRESH_EARLY_MS ((int64_t)5 * 60 * 1000)
#define ORCH_AWS_CREDS_TOKEN_MAX 4096
#define ORCH_AWS_ECS_HOST "169.254.170.2"
#define ORCH_AWS_IMDS_ENDPOINT "http://169.254.169.254"
#define ORCH_AWS_IMDS_ENDPOINT_IPV6 "http://[fd00:ec2::254]"

struct orch_aws_credentials {
  char access_key_id[128];
  char secret_access_key[128];
  char session_token[ORCH_AWS_CREDS_TOKEN_MAX]; /* "" when none */
  int64_t expires_ms;                           /* 0: does not expire */
  char source[160];                             /* where they came from, for logs and errors */
};

/* Wipe a credentials record (secrets) before it goes out of scope. */
void orch_aws_credentials_clear(struct orch_aws_credentials *c);

/* A source of credentials. fetch returns fresh credentials, or ORCH_ENOTFOUND when this source is not
 * configured at all (a chain moves on to the next), or another code when it is configured but failed
 * (a chain stops there: the user meant this source). fetch calls are serialised by the cache.
 * destroy (optional) frees ctx. */
struct orch_aws_creds_ops {
  const char *name;
  int (*fetch)(void *ctx, struct orch_aws_credentials *out, struct orch_error *err);
  void (*destroy)(void *ctx);
};

/* A provider: a source plus its cache. Thread-safe. */
struct orch_aws_creds;

/* Wrap a source. Takes ownership of ctx (destroyed even when this fails). `clock` (NULL = real) must
 * outlive the provider. Caller frees with orch_aws_creds_free (accepts NULL). */
int orch_aws_creds_new(const struct orch_aws_creds_ops *ops, void *ctx, const struct orch_clock *clock,
                       struct orch_aws_creds **out) ORCH_MUST_CHECK;
void orch_aws_creds_free(struct orch_aws_creds *p);

/* Current credentials: the cached ones while more than ORCH_AWS_CREDS_REFRESH_EARLY_MS from expiry,
 * else a refresh. While one thread refreshes, others keep using still-valid cached credentials (or
 * wait when there are none). A failed refresh while the cached ones have not yet expired returns the
 * cached ones (and logs a warning). ORCH_ECREDS when none can be had, with the reason in err;
 * ORCH_ECONFIG when a profile is broken (missing, a source_profile loop, a bad credential_source). */
int orch_aws_creds_get(struct orch_aws_creds *p, struct orch_aws_credentials *out, struct orch_error *err)
    ORCH_MUST_CHECK;
/* Drop the cache (after the service said ExpiredToken): the next get fetches. */
void orch_aws_creds_invalidate(struct orch_aws_creds *p);
/* The source's name ("environment", "chain", "assume-role", ...). */
const char *orch_aws_creds_name(const struct orch_aws_creds *p);

/* ---- sources ---- */

/* Fixed credentials (token may be NULL). */
int orch_aws_creds_static(const char *access_key_id, const char *secret_access_key, const char *session_token,
                          struct orch_aws_creds **out) ORCH_MUST_CHECK;
/* AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, read at each fetch. */
int orch_aws_creds_env(const struct orch_clock *clock, struct orch_aws_creds **out) ORCH_MUST_CHECK;

/* What providers that talk to STS, ECS or IMDS need. Everything is optional. Transports are borrowed
 * (must outlive the providers); NULL ones are created (libcurl) and owned by the provider. */
struct orch_aws_creds_options {
  const char *profile;                      /* explicit profile; NULL = AWS_PROFILE, then "default" */
  const struct orch_aws_profiles *profiles; /* borrowed; NULL = load the shared files */
  const char *region;                       /* for STS; NULL = the profile's, AWS_REGION, ... else us-east-1 */
  const char *endpoint_url;                 /* explicit endpoint for STS (the simulator) */
  const struct orch_clock *clock;           /* NULL = real: signing time (STS calls) and, unless expiry_clock, expiry */
  /* The clock credentials' Expiration is judged on (refresh ORCH_AWS_CREDS_REFRESH_EARLY_MS before it);
   * NULL = clock. A simulated region whose clock runs apart from the wall clock hands out Expirations in
   * its own time: give its clock here, while requests are still signed with `clock`. */
  const struct orch_clock *expiry_clock;
  struct orch_http_transport *transport;    /* for STS */
  struct orch_http_transport *metadata_transport; /* for ECS and IMDS: short timeouts */
  const char *ecs_host;                     /* host[:port] for the relative URI; NULL = 169.254.170.2 */
  const char *imds_endpoint;                /* NULL = AWS_EC2_METADATA_SERVICE_ENDPOINT, then the default */
  void (*sleep_ms)(void *ctx, int64_t ms);  /* for STS retries; NULL = real sleep */
  void *sleep_ctx;
};

/* The ECS container endpoint: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (against ecs_host) or
 * AWS_CONTAINER_CREDENTIALS_FULL_URI (https, or http to a loopback/ECS/EKS address), with
 * AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or AWS_CONTAINER_AUTHORIZATION_TOKEN as Authorization. */
int orch_aws_creds_ecs(const struct orch_aws_creds_options *o, struct orch_aws_creds **out,
                       struct orch_error *err) ORCH_MUST_CHECK;
/* EC2 instance metadata, IMDSv2 (PUT token, GET role, GET credentials; falls back to IMDSv1 when the
 * token call is not supported). ORCH_ENOTFOUND when AWS_EC2_METADATA_DISABLED=true or unreachable. */
int orch_aws_creds_imds(const struct orch_aws_creds_options *o, struct orch_aws_creds **out,
                        struct orch_error *err) ORCH_MUST_CHECK;

struct orch_aws_assume_role {
  const char *role_arn;     /* required */
  const char *external_id;  /* optional */
  const char *session_name; /* NULL = "drsorch-<epoch ms>" */
  int duration_s;           /* 0 = STS default (1 h) */
};

/* sts:AssumeRole with `base`'s credentials: the per-target-account provider. `base` is borrowed
 * (must outlive it) unless own_base, in which case it is freed with the new provider (also on error). */
int orch_aws_creds_assume_role(struct orch_aws_creds *base, bool own_base, const struct orch_aws_assume_role *role,
                               const struct orch_aws_creds_options *o, struct orch_aws_creds **out,
                               struct orch_error *err) ORCH_MUST_CHECK;
/* sts:AssumeRoleWithWebIdentity with the token read from `token_file` at each refresh. */
int orch_aws_creds_web_identity(const char *token_file, const char *role_arn, const char *session_name,
                                const struct orch_aws_creds_options *o, struct orch_aws_creds **out,
                                struct orch_error *err) ORCH_MUST_CHECK;

/* A profile's credentials: static keys, role_arn + source_profile / credential_source (Environment,
 * Ec2InstanceMetadata, EcsContainer) + external_id / role_session_name / duration_seconds, or
 * web_identity_token_file. Resolved at the first fetch; an explicitly named profile that does not
 * exist is ORCH_ECONFIG, "default" missing is ORCH_ENOTFOUND. */
int orch_aws_creds_profile(const struct orch_aws_creds_options *o, struct orch_aws_creds **out,
                           struct orch_error *err) ORCH_MUST_CHECK;

/* The default chain, in the SDKs' order: environment (skipped when a profile is named explicitly),
 * profile role_arn, web identity from AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN, profile static keys
 * or web_identity_token_file, ECS container, IMDS. */
int orch_aws_creds_chain(const struct orch_aws_creds_options *o, struct orch_aws_creds **out,
                         struct orch_error *err) ORCH_MUST_CHECK;

/* ---- shared by the source files ---- */

/* The clock a provider built from `o` caches on: o->expiry_clock, else o->clock (NULL = real). */
const struct orch_clock *orch_aws_creds_cache_clock(const struct orch_aws_creds_options *o);

/* Fill `out` from a JSON object with AccessKeyId, SecretAccessKey, Token/SessionToken, Expiration
 * (ISO-8601), as ECS, IMDS and STS return them. `what` names the source in errors. */
int orch_aws_creds_from_json(const json_t *obj, const char *what, struct orch_aws_credentials *out,
                             struct orch_error *err) ORCH_MUST_CHECK;

#endif
