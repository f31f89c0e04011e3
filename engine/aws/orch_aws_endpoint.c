/* orch_aws_endpoint: partitions, region choice, endpoint overrides and Host derivation.
 * Uses orch_aws_profile, orch_buf, orch_str, libc getenv. */
#include "aws/orch_aws_endpoint.h"

#include <stdlib.h>
#include <string.h>

#include "core/orch_str.h"

static const struct orch_aws_partition partitions[] = {
    {"aws", "amazonaws.com"},
    {"aws-cn", "amazonaws.com.cn"},
    {"aws-us-gov", "amazonaws.com"},
    {"aws-iso", "c2s.ic.gov"},
    {"aws-iso-b", "sc2s.sgov.gov"},
};

const struct orch_aws_partition *orch_aws_partition_of(const char *region) {
  if (!region) return &partitions[0];
  if (orch_str_starts_with(region, "cn-")) return &partitions[1];
  if (orch_str_starts_with(region, "us-gov-")) return &partitions[2];
  if (orch_str_starts_with(region, "us-isob-")) return &partitions[4];
  if (orch_str_starts_with(region, "us-iso-")) return &partitions[3];
  return &partitions[0];
}

bool orch_aws_region_valid(const char *region) {
  size_t n = region ? strlen(region) : 0;
  if (n == 0 || n >= ORCH_AWS_REGION_MAX || region[0] == '-' || region[n - 1] == '-') return false;
  for (size_t i = 0; i < n; i++) {
    char c = region[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

int orch_aws_region_resolve(const char *explicit_region, const struct orch_aws_profiles *profiles,
                            const char *profile, const char *config_region, char out[ORCH_AWS_REGION_MAX],
                            struct orch_error *err) {
  struct {
    const char *value, *source;
  } sources[] = {
      {explicit_region, "the explicit region"},
      {getenv("AWS_REGION"), "AWS_REGION"},
      {getenv("AWS_DEFAULT_REGION"), "AWS_DEFAULT_REGION"},
      {profiles && profile ? orch_aws_profile_get(profiles, profile, "region") : NULL, "the profile's region"},
      {config_region, "the aws.region setting"},
  };
  for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++) {
    const char *v = sources[i].value;
    if (!v || !*v) continue;
    if (!orch_aws_region_valid(v))
      return orch_error_set(err, ORCH_EINVAL, "%s '%.64s' is not a valid AWS region name", sources[i].source, v);
    memcpy(out, v, strlen(v) + 1);
    return 0;
  }
  return orch_error_set(err, ORCH_ECONFIG,
                        "no AWS region: pass --region, set AWS_REGION, a profile 'region', or the aws.region setting");
}

int orch_aws_endpoint_env_name(const char *service_id, struct orch_buf *out) {
  int rc = orch_buf_puts(out, "AWS_ENDPOINT_URL_");
  for (const char *s = service_id; s && *s && !rc; s++) {
    char c = *s;
    if (c == ' ' || c == '-') c = '_';
    else if (c >= 'a' && c <= 'z') c = (char)(c - 'a' + 'A');
    rc = orch_buf_putc(out, c);
  }
  return rc;
}

/* The services-section key of a service: its id lower-cased, spaces and hyphens as underscores. */
static void service_key(const char *service_id, char *out, size_t outsz) {
  size_t i = 0;
  for (; service_id && service_id[i] && i + 1 < outsz; i++) {
    char c = service_id[i];
    if (c == ' ' || c == '-') c = '_';
    else if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    out[i] = c;
  }
  out[i] = '\0';
}

static bool is_http_url(const char *u) {
  return (orch_str_starts_with(u, "http://") && u[7]) || (orch_str_starts_with(u, "https://") && u[8]);
}

static int use_url(const char *url, const char *source, struct orch_buf *out, struct orch_error *err) {
  if (!is_http_url(url))
    return orch_error_set(err, ORCH_ECONFIG, "%s '%.200s' is not an http:// or https:// URL", source, url);
  size_t n = strlen(url);
  while (n > 8 && url[n - 1] == '/') n--;
  int rc = orch_buf_append(out, url, n);
  return rc ? orch_error_set(err, rc, "endpoint URL: %s", orch_error_str(rc)) : 0;
}

static bool env_true(const char *name) {
  const char *v = getenv(name);
  return v && orch_str_iequal(v, "true");
}

int orch_aws_endpoint_resolve(const struct orch_aws_endpoint_params *p, struct orch_buf *out, struct orch_error *err) {
  if (p->explicit_url && *p->explicit_url) return use_url(p->explicit_url, "the endpoint URL", out, err);
  if (!env_true("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) {
    struct orch_buf name = ORCH_BUF_INIT(256);
    int rc = orch_aws_endpoint_env_name(p->service_id ? p->service_id : p->endpoint_prefix, &name);
    const char *v = rc ? NULL : getenv(orch_buf_cstr(&name));
    if (v && *v) {
      rc = use_url(v, orch_buf_cstr(&name), out, err);
      orch_buf_free(&name);
      return rc;
    }
    orch_buf_free(&name);
    v = getenv("AWS_ENDPOINT_URL");
    if (v && *v) return use_url(v, "AWS_ENDPOINT_URL", out, err);
    if (p->profiles && p->profile) {
      char key[128];
      service_key(p->service_id ? p->service_id : p->endpoint_prefix, key, sizeof key);
      v = orch_aws_profile_service_get(p->profiles, p->profile, key, "endpoint_url");
      if (v && *v) return use_url(v, "the profile's services endpoint_url", out, err);
      v = orch_aws_profile_get(p->profiles, p->profile, "endpoint_url");
      if (v && *v) return use_url(v, "the profile's endpoint_url", out, err);
    }
  }
  if (!p->endpoint_prefix || !*p->endpoint_prefix)
    return orch_error_set(err, ORCH_EINVAL, "the service has no endpoint prefix");
  if (!orch_aws_region_valid(p->region))
    return orch_error_set(err, ORCH_EINVAL, "'%.64s' is not a valid AWS region name", p->region ? p->region : "");
  const struct orch_aws_partition *part = orch_aws_partition_of(p->region);
  int rc = orch_buf_printf(out, "https://%s.%s.%s", p->endpoint_prefix, p->region, part->dns_suffix);
  return rc ? orch_error_set(err, rc, "endpoint URL: %s", orch_error_str(rc)) : 0;
}

int orch_aws_endpoint_host(const char *url, struct orch_buf *out) {
  const char *s = strstr(url, "://");
  bool https = orch_str_starts_with(url, "https://");
  s = s ? s + 3 : url;
  size_t n = strcspn(s, "/?#");
  const char *at = memchr(s, '@', n); /* drop user info */
  if (at) {
    n -= (size_t)(at + 1 - s);
    s = at + 1;
  }
  if (n == 0) return ORCH_EINVAL;
  const char *port = NULL;
  if (s[0] != '[') port = memchr(s, ':', n);
  else {
    const char *close = memchr(s, ']', n);
    if (close && (size_t)(close - s) + 1 < n && close[1] == ':') port = close + 1;
  }
  if (port) {
    size_t plen = n - (size_t)(port + 1 - s);
    if ((https && plen == 3 && memcmp(port + 1, "443", 3) == 0) || (!https && plen == 2 && memcmp(port + 1, "80", 2) == 0))
      n = (size_t)(port - s);
  }
  return orch_buf_append(out, s, n);
}
