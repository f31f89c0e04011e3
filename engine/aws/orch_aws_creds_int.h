/* orch_aws_creds_int: what the credentials source files share and nobody else needs: copied options
 * (so lazily built providers outlive the caller's strings), transports a provider may own, the raw
 * cached get that keeps "not configured" distinct, and the chain's internal links.
 * Uses orch_aws_creds, orch_aws_curl. */
#ifndef ORCH_AWS_CREDS_INT_H
#define ORCH_AWS_CREDS_INT_H

#include "aws/orch_aws_creds.h"

/* A transport a provider uses: borrowed from the options, or created and owned. */
struct creds_transport {
  struct orch_http_transport t;
  bool owned;
};
/* `given` may be NULL: then a libcurl transport is created (metadata: 1 s connect, 2 s total). */
int creds_transport_hold(struct creds_transport *h, struct orch_http_transport *given, bool metadata,
                         struct orch_error *err) ORCH_MUST_CHECK;
void creds_transport_release(struct creds_transport *h);

/* Options with their strings copied and the profiles loaded when the caller gave none. */
struct creds_opts {
  struct orch_aws_creds_options o; /* its pointers point into this struct's copies */
  char *profile, *region, *endpoint_url, *ecs_host, *imds_endpoint;
  struct orch_aws_profiles *owned_profiles;
};
int creds_opts_copy(struct creds_opts *dst, const struct orch_aws_creds_options *src, bool load_profiles,
                    struct orch_error *err) ORCH_MUST_CHECK;
void creds_opts_free(struct creds_opts *o);
/* The region STS calls use: the options', the profile's, AWS_REGION, AWS_DEFAULT_REGION, us-east-1. */
void creds_sts_region(const struct orch_aws_creds_options *o, char out[64]);

/* Read a token file (a container authorization token, a web identity JWT) into `out`, trimmed;
 * `what` names it in errors ("web identity token file"). ORCH_ECREDS when unreadable, too large for
 * `out`'s cap, or empty. */
int creds_read_token_file(const char *path, const char *what, struct orch_buf *out, struct orch_error *err)
    ORCH_MUST_CHECK;

/* orch_aws_creds_get without mapping ORCH_ENOTFOUND ("not configured") to ORCH_ECREDS. */
int creds_get_raw(struct orch_aws_creds *p, struct orch_aws_credentials *out, struct orch_error *err) ORCH_MUST_CHECK;

/* The profile source in one of two phases, as the chain interleaves them with web identity. */
enum creds_profile_phase {
  CREDS_PROFILE_ALL,   /* everything (orch_aws_creds_profile) */
  CREDS_PROFILE_ROLE,  /* only role_arn profiles; others are "not configured" */
  CREDS_PROFILE_OTHER, /* static keys and web_identity_token_file; role_arn profiles are skipped */
};
int creds_profile_new(const struct orch_aws_creds_options *o, enum creds_profile_phase phase,
                      struct orch_aws_creds **out, struct orch_error *err) ORCH_MUST_CHECK;
/* Web identity from AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN (+ AWS_ROLE_SESSION_NAME), read at the
 * first fetch; "not configured" when they are unset. */
int creds_web_identity_env_new(const struct orch_aws_creds_options *o, struct orch_aws_creds **out,
                               struct orch_error *err) ORCH_MUST_CHECK;

#endif
