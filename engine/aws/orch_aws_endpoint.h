/* orch_aws_endpoint: where a call goes and in which region. Regions come from an explicit choice,
 * AWS_REGION, AWS_DEFAULT_REGION, the profile's region, then the engine's aws.region; endpoints from an
 * explicit URL (--endpoint-url, the aws.endpoint_url setting), AWS_ENDPOINT_URL_<SERVICE>,
 * AWS_ENDPOINT_URL, the profile's services section and endpoint_url, else the partition's standard
 * https://<prefix>.<region>.<dns suffix> (aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b; STS regional).
 * Uses orch_aws_profile, orch_buf, orch_str. */
#ifndef ORCH_AWS_ENDPOINT_H
#define ORCH_AWS_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>

#include "aws/orch_aws_profile.h"
#include "core/orch_buf.h"
#include "core/orch_error.h"

#define ORCH_AWS_REGION_MAX 64

struct orch_aws_partition {
  const char *name;       /* "aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b" */
  const char *dns_suffix; /* "amazonaws.com", "amazonaws.com.cn", ... */
};

/* The partition a region belongs to (by its prefix; unknown regions are in "aws"). */
const struct orch_aws_partition *orch_aws_partition_of(const char *region);

/* true when `region` is a plausible region name: lower-case letters, digits and '-', 1..63 bytes. */
bool orch_aws_region_valid(const char *region);

/* Pick the region (see the file comment for the order) into out (ORCH_AWS_REGION_MAX bytes). Every
 * argument may be NULL or empty. ORCH_ECONFIG when no source names one (the message says how to set
 * it), ORCH_EINVAL when the chosen one is not a valid name (naming where it came from). */
int orch_aws_region_resolve(const char *explicit_region, const struct orch_aws_profiles *profiles,
                            const char *profile, const char *config_region, char out[ORCH_AWS_REGION_MAX],
                            struct orch_error *err) ORCH_MUST_CHECK;

struct orch_aws_endpoint_params {
  const char *service_id;      /* the model's serviceId ("drs", "Service Quotas"), for override names */
  const char *endpoint_prefix; /* the model's endpointPrefix ("drs", "servicequotas") */
  const char *region;
  const char *explicit_url;    /* --endpoint-url or aws.endpoint_url: wins over everything */
  const struct orch_aws_profiles *profiles; /* optional */
  const char *profile;         /* profile name for endpoint_url / services; optional */
};

/* The endpoint URL ("https://drs.us-east-1.amazonaws.com", or an override without a trailing '/')
 * appended to `out`. Overrides must be http:// or https:// URLs (ORCH_ECONFIG naming the source).
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true skips the environment and profile overrides. */
int orch_aws_endpoint_resolve(const struct orch_aws_endpoint_params *p, struct orch_buf *out,
                              struct orch_error *err) ORCH_MUST_CHECK;

/* "AWS_ENDPOINT_URL_" + the service id upper-cased with spaces and hyphens as underscores. */
int orch_aws_endpoint_env_name(const char *service_id, struct orch_buf *out) ORCH_MUST_CHECK;

/* The host part ("drs.us-east-1.amazonaws.com" or "127.0.0.1:4566") of an endpoint URL, for the Host
 * header: scheme and path dropped, default ports (80 for http, 443 for https) dropped. */
int orch_aws_endpoint_host(const char *url, struct orch_buf *out) ORCH_MUST_CHECK;

#endif
