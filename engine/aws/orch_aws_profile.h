/* orch_aws_profile: the AWS shared config and credentials files (~/.aws/config, ~/.aws/credentials,
 * or AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE) as the SDKs read them: "[profile x]" sections in
 * the config file (and "[default]"), "[x]" in the credentials file, which wins for a key both set;
 * indented sub-keys ("drs =\n  endpoint_url = ..."); "[services x]" sections; the profile name
 * from an explicit choice, then AWS_PROFILE, then "default". Uses orch_buf, orch_str, orch_alloc. */
#ifndef ORCH_AWS_PROFILE_H
#define ORCH_AWS_PROFILE_H

#include <stdbool.h>

#include "core/orch_error.h"

#define ORCH_AWS_PROFILE_MAX_FILE (1024 * 1024)

struct orch_aws_profiles;

/* Load both files. NULL paths mean the environment variable, then ~/.aws/<name>; a file that does not
 * exist is an empty one (not an error); an unreadable or malformed one is ORCH_ECONFIG naming
 * "path:line". Caller frees with orch_aws_profiles_free (accepts NULL). */
int orch_aws_profiles_load(const char *config_path, const char *credentials_path, struct orch_aws_profiles **out,
                           struct orch_error *err) ORCH_MUST_CHECK;
void orch_aws_profiles_free(struct orch_aws_profiles *p);
/* The same from texts in memory (either may be NULL); errors name "config:LINE" / "credentials:LINE". */
int orch_aws_profiles_parse(const char *config_text, const char *credentials_text, struct orch_aws_profiles **out,
                            struct orch_error *err) ORCH_MUST_CHECK;

/* The value of `key` (lower-case; "sub.key" for an indented sub-key) in profile `profile`, the
 * credentials file first; NULL when unset. Lives as long as `p`. */
const char *orch_aws_profile_get(const struct orch_aws_profiles *p, const char *profile, const char *key);
/* As above, but from one file only (credentials_file true: the credentials file). */
const char *orch_aws_profile_get_from(const struct orch_aws_profiles *p, bool credentials_file, const char *profile,
                                      const char *key);
/* true when either file has a section for `profile`. */
bool orch_aws_profile_exists(const struct orch_aws_profiles *p, const char *profile);
/* A key of a service in the profile's "services" section: profile P with "services = S" and
 * "[services S]\n<service_key> =\n  <key> = value". `service_key` is the service id lower-cased with
 * spaces as underscores ("service_quotas", "drs"). NULL when unset. */
const char *orch_aws_profile_service_get(const struct orch_aws_profiles *p, const char *profile,
                                         const char *service_key, const char *key);

/* The profile to use: `explicit_name` when non-empty, else AWS_PROFILE, else "default". */
const char *orch_aws_profile_name(const char *explicit_name);

#endif
