/* Tests for orch_aws_profile (shared config/credentials files) and orch_aws_endpoint (partitions,
 * region resolution order, endpoint overrides and their precedence, Host derivation). Fixtures in
 * tests/unit/aws/fixtures/. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/orch_aws_endpoint.h"
#include "aws/orch_aws_profile.h"
#include "core/orch_alloc.h"

static char config_path[1024], creds_path[1024];

static void fixtures(void) {
  const char *src = getenv("ORCH_SOURCE_DIR");
  cr_assert(src, "ORCH_SOURCE_DIR is set by ctest");
  snprintf(config_path, sizeof config_path, "%s/tests/unit/aws/fixtures/config", src);
  snprintf(creds_path, sizeof creds_path, "%s/tests/unit/aws/fixtures/credentials", src);
  const char *vars[] = {"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_ENDPOINT_URL",
                        "AWS_ENDPOINT_URL_DRS", "AWS_ENDPOINT_URL_SERVICE_QUOTAS", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
                        "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"};
  for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) unsetenv(vars[i]);
}

static struct orch_aws_profiles *load(void) {
  struct orch_aws_profiles *p = NULL;
  struct orch_error err = {0};
  cr_assert_eq(orch_aws_profiles_load(config_path, creds_path, &p, &err), 0, "%s %s", err.context, err.message);
  return p;
}

TestSuite(aws_profile, .init = fixtures);
TestSuite(aws_endpoint, .init = fixtures);

Test(aws_profile, reads_both_files_with_credentials_precedence) {
  struct orch_aws_profiles *p = load();
  cr_expect_str_eq(orch_aws_profile_get(p, "default", "region"), "us-west-2");
  cr_expect_str_eq(orch_aws_profile_get(p, "default", "aws_access_key_id"), "AKIDDEFAULT");
  cr_expect_str_eq(orch_aws_profile_get(p, "dev", "region"), "ap-south-1", "credentials file wins");
  cr_expect_str_eq(orch_aws_profile_get_from(p, false, "dev", "region"), "eu-west-1");
  cr_expect_str_eq(orch_aws_profile_get(p, "dev", "s3.max_concurrent_requests"), "20");
  cr_expect_str_eq(orch_aws_profile_get(p, "assume", "role_arn"), "arn:aws:iam::111122223333:role/DrsOrchestrator");
  cr_expect_null(orch_aws_profile_get(p, "assume", "nothing"));
  cr_expect_null(orch_aws_profile_get(p, "nosuch", "region"));
  cr_expect(orch_aws_profile_exists(p, "empty"), "a section without keys still exists");
  cr_expect(orch_aws_profile_exists(p, "base"));
  cr_expect_not(orch_aws_profile_exists(p, "nosuch"));
  cr_expect_not(orch_aws_profile_exists(p, "ignored"), "sso-session sections are not profiles");
  cr_expect_str_eq(orch_aws_profile_service_get(p, "dev", "drs", "endpoint_url"), "http://127.0.0.1:5000");
  cr_expect_null(orch_aws_profile_service_get(p, "default", "drs", "endpoint_url"));
  orch_aws_profiles_free(p);
}

Test(aws_profile, environment_names_the_files_and_missing_files_are_empty) {
  setenv("AWS_CONFIG_FILE", config_path, 1);
  setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
  struct orch_aws_profiles *p = NULL;
  struct orch_error err = {0};
  cr_assert_eq(orch_aws_profiles_load(NULL, NULL, &p, &err), 0, "%s", err.message);
  cr_expect_str_eq(orch_aws_profile_get(p, "dev", "region"), "eu-west-1");
  cr_expect_null(orch_aws_profile_get(p, "default", "aws_access_key_id"));
  orch_aws_profiles_free(p);
}

Test(aws_profile, malformed_file_names_path_and_line) {
  char bad[1100];
  snprintf(bad, sizeof bad, "%s/tests/unit/aws/fixtures/bad-config", getenv("ORCH_SOURCE_DIR"));
  struct orch_aws_profiles *p = NULL;
  struct orch_error err = {0};
  cr_expect_eq(orch_aws_profiles_load(bad, "/nonexistent", &p, &err), ORCH_ECONFIG);
  cr_expect(strstr(err.context, "bad-config:3"), "%s", err.context);
  snprintf(bad, sizeof bad, "%s/tests/unit/aws/fixtures/orphan-config", getenv("ORCH_SOURCE_DIR"));
  cr_expect_eq(orch_aws_profiles_load(bad, "/nonexistent", &p, &err), ORCH_ECONFIG);
  cr_expect(strstr(err.message, "outside"), "%s", err.message);
}

Test(aws_profile, profile_name_order) {
  cr_expect_str_eq(orch_aws_profile_name(NULL), "default");
  setenv("AWS_PROFILE", "dev", 1);
  cr_expect_str_eq(orch_aws_profile_name(NULL), "dev");
  cr_expect_str_eq(orch_aws_profile_name(""), "dev");
  cr_expect_str_eq(orch_aws_profile_name("assume"), "assume");
}

Test(aws_endpoint, partitions) {
  cr_expect_str_eq(orch_aws_partition_of("us-east-1")->name, "aws");
  cr_expect_str_eq(orch_aws_partition_of("cn-north-1")->dns_suffix, "amazonaws.com.cn");
  cr_expect_str_eq(orch_aws_partition_of("us-gov-west-1")->name, "aws-us-gov");
  cr_expect_str_eq(orch_aws_partition_of("us-iso-east-1")->name, "aws-iso");
  cr_expect_str_eq(orch_aws_partition_of("us-isob-east-1")->name, "aws-iso-b");
}

static char *resolve(const char *service_id, const char *prefix, const char *region, const char *explicit_url,
                     const struct orch_aws_profiles *p, const char *profile, int *rc) {
  static char out[512];
  struct orch_buf b = ORCH_BUF_INIT(0);
  struct orch_aws_endpoint_params ep = {.service_id = service_id, .endpoint_prefix = prefix, .region = region,
                                        .explicit_url = explicit_url, .profiles = p, .profile = profile};
  struct orch_error err = {0};
  *rc = orch_aws_endpoint_resolve(&ep, &b, &err);
  snprintf(out, sizeof out, "%s", *rc ? err.message : orch_buf_cstr(&b));
  orch_buf_free(&b);
  return out;
}

Test(aws_endpoint, standard_endpoints_per_partition) {
  int rc;
  cr_expect_str_eq(resolve("drs", "drs", "us-east-1", NULL, NULL, NULL, &rc), "https://drs.us-east-1.amazonaws.com");
  cr_expect_str_eq(resolve("drs", "drs", "cn-north-1", NULL, NULL, NULL, &rc), "https://drs.cn-north-1.amazonaws.com.cn");
  cr_expect_str_eq(resolve("drs", "drs", "us-gov-west-1", NULL, NULL, NULL, &rc), "https://drs.us-gov-west-1.amazonaws.com");
  cr_expect_str_eq(resolve("STS", "sts", "eu-west-1", NULL, NULL, NULL, &rc), "https://sts.eu-west-1.amazonaws.com",
                   "STS regional, never the global endpoint");
  cr_expect_str_eq(resolve("Service Quotas", "servicequotas", "ap-southeast-2", NULL, NULL, NULL, &rc),
                   "https://servicequotas.ap-southeast-2.amazonaws.com");
  resolve("drs", "drs", "us-east-1.evil.com/x", NULL, NULL, NULL, &rc);
  cr_expect_eq(rc, ORCH_EINVAL, "a region cannot smuggle a host");
}

Test(aws_endpoint, override_precedence) {
  struct orch_aws_profiles *p = load();
  int rc;
  cr_expect_str_eq(resolve("drs", "drs", "eu-west-1", NULL, p, "dev", &rc), "http://127.0.0.1:5000", "profile services section");
  cr_expect_str_eq(resolve("SSM", "ssm", "eu-west-1", NULL, p, "dev", &rc), "http://127.0.0.1:4566", "profile endpoint_url, no trailing slash");
  cr_expect_str_eq(resolve("Service Quotas", "servicequotas", "eu-west-1", NULL, p, "dev", &rc), "http://127.0.0.1:5001");
  setenv("AWS_ENDPOINT_URL", "http://global.example:1", 1);
  cr_expect_str_eq(resolve("drs", "drs", "eu-west-1", NULL, p, "dev", &rc), "http://global.example:1", "env beats profile");
  setenv("AWS_ENDPOINT_URL_DRS", "http://drs.example:2", 1);
  setenv("AWS_ENDPOINT_URL_SERVICE_QUOTAS", "http://sq.example:3", 1);
  cr_expect_str_eq(resolve("drs", "drs", "eu-west-1", NULL, p, "dev", &rc), "http://drs.example:2", "service env beats global env");
  cr_expect_str_eq(resolve("Service Quotas", "servicequotas", "eu-west-1", NULL, p, "dev", &rc), "http://sq.example:3");
  cr_expect_str_eq(resolve("SSM", "ssm", "eu-west-1", NULL, p, "dev", &rc), "http://global.example:1");
  cr_expect_str_eq(resolve("drs", "drs", "eu-west-1", "http://explicit:9", p, "dev", &rc), "http://explicit:9", "explicit wins");
  setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
  cr_expect_str_eq(resolve("drs", "drs", "eu-west-1", NULL, p, "dev", &rc), "https://drs.eu-west-1.amazonaws.com");
  cr_expect_str_eq(resolve("drs", "drs", "eu-west-1", "http://explicit:9", p, "dev", &rc), "http://explicit:9");
  unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
  setenv("AWS_ENDPOINT_URL_DRS", "ftp://nope", 1);
  cr_expect(strstr(resolve("drs", "drs", "eu-west-1", NULL, p, "dev", &rc), "AWS_ENDPOINT_URL_DRS"));
  cr_expect_eq(rc, ORCH_ECONFIG);
  orch_aws_profiles_free(p);
}

Test(aws_endpoint, env_name) {
  struct orch_buf b = ORCH_BUF_INIT(0);
  cr_assert_eq(orch_aws_endpoint_env_name("Service Quotas", &b), 0);
  cr_expect_str_eq(orch_buf_cstr(&b), "AWS_ENDPOINT_URL_SERVICE_QUOTAS");
  orch_buf_reset(&b);
  cr_assert_eq(orch_aws_endpoint_env_name("elastic-disaster-recovery x", &b), 0);
  cr_expect_str_eq(orch_buf_cstr(&b), "AWS_ENDPOINT_URL_ELASTIC_DISASTER_RECOVERY_X");
  orch_buf_free(&b);
}

Test(aws_endpoint, region_resolution_order) {
  struct orch_aws_profiles *p = load();
  char r[ORCH_AWS_REGION_MAX];
  struct orch_error err = {0};
  cr_assert_eq(orch_aws_region_resolve(NULL, p, "empty", "ca-central-1", r, &err), 0);
  cr_expect_str_eq(r, "ca-central-1", "the engine setting is the last resort");
  cr_assert_eq(orch_aws_region_resolve(NULL, p, "default", "ca-central-1", r, &err), 0);
  cr_expect_str_eq(r, "us-west-2", "profile region");
  setenv("AWS_DEFAULT_REGION", "eu-north-1", 1);
  cr_assert_eq(orch_aws_region_resolve(NULL, p, "default", "ca-central-1", r, &err), 0);
  cr_expect_str_eq(r, "eu-north-1");
  setenv("AWS_REGION", "eu-south-1", 1);
  cr_assert_eq(orch_aws_region_resolve(NULL, p, "default", NULL, r, &err), 0);
  cr_expect_str_eq(r, "eu-south-1", "AWS_REGION beats AWS_DEFAULT_REGION");
  cr_assert_eq(orch_aws_region_resolve("sa-east-1", p, "default", NULL, r, &err), 0);
  cr_expect_str_eq(r, "sa-east-1", "explicit wins");
  cr_expect_eq(orch_aws_region_resolve("US East", p, "default", NULL, r, &err), ORCH_EINVAL);
  cr_expect(strstr(err.message, "explicit"), "%s", err.message);
  unsetenv("AWS_REGION");
  unsetenv("AWS_DEFAULT_REGION");
  cr_expect_eq(orch_aws_region_resolve(NULL, p, "empty", NULL, r, &err), ORCH_ECONFIG);
  cr_expect(strstr(err.message, "AWS_REGION"), "%s", err.message);
  orch_aws_profiles_free(p);
}

Test(aws_endpoint, host_of_url) {
  const char *cases[][2] = {
      {"https://drs.us-east-1.amazonaws.com", "drs.us-east-1.amazonaws.com"},
      {"https://drs.us-east-1.amazonaws.com:443/", "drs.us-east-1.amazonaws.com"},
      {"http://127.0.0.1:4566", "127.0.0.1:4566"},
      {"http://localhost:80/path", "localhost"},
      {"https://h:8443?x", "h:8443"},
      {"http://user:pw@h:81", "h:81"},
      {"http://[::1]:4566/", "[::1]:4566"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct orch_buf b = ORCH_BUF_INIT(0);
    cr_assert_eq(orch_aws_endpoint_host(cases[i][0], &b), 0);
    cr_expect_str_eq(orch_buf_cstr(&b), cases[i][1], "%s", cases[i][0]);
    orch_buf_free(&b);
  }
}

Test(aws_profile, parse_from_text_and_allocation_failures) {
  const char *config = "[default]\nregion = us-east-1\n[profile p]\nrole_arn = r\ns3 =\n  a = b\n";
  const char *creds = "[p]\naws_access_key_id = K\n";
  struct orch_aws_profiles *p = NULL;
  struct orch_error err = {0};
  cr_assert_eq(orch_aws_profiles_parse(config, creds, &p, &err), 0, "%s", err.message);
  cr_expect_str_eq(orch_aws_profile_get(p, "p", "aws_access_key_id"), "K");
  cr_expect_str_eq(orch_aws_profile_get(p, "p", "s3.a"), "b");
  orch_aws_profiles_free(p);
  cr_expect_eq(orch_aws_profiles_parse("[x]\nno equals sign\n", NULL, &p, &err), ORCH_ECONFIG);
  cr_expect_str_eq(err.context, "config:2");
  bool done = false;
  for (long n = 0; n < 200 && !done; n++) {
    orch_alloc_fail_after(n);
    int rc = orch_aws_profiles_parse(config, creds, &p, &err);
    orch_alloc_fail_after(-1);
    if (rc == 0) {
      done = true;
      orch_aws_profiles_free(p);
    } else {
      cr_expect_eq(rc, ORCH_ENOMEM, "allocation %ld: %s", n, err.message);
    }
  }
  cr_expect(done);
}
