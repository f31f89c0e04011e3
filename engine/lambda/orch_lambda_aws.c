/* orch_lambda_aws: the AWS client the function's handlers use (custom resources), made as any AWS client
 * of the engine is: region and endpoint from the settings and the environment, credentials from the
 * default chain, which inside Lambda is the function's role (AWS_ACCESS_KEY_ID and friends).
 * Uses orch_aws_client, orch_aws_creds, orch_aws_endpoint, orch_aws_profile, orch_config. */
#include <string.h>

#include "aws/orch_aws_creds.h"
#include "aws/orch_aws_endpoint.h"
#include "lambda/orch_lambda_int.h"

static const char *setting(const struct orch_lambda_env *env, const char *key) {
  const char *v = env->cfg ? orch_config_str(env->cfg, key) : "";
  return v && *v ? v : NULL;
}

int orch_lambda_aws_open(const struct orch_lambda_env *env, struct orch_lambda_aws *out, struct orch_error *err) {
  char region[ORCH_AWS_REGION_MAX];
  memset(out, 0, sizeof *out);
  const struct orch_clock *clock = env->clock ? env->clock : orch_clock_real();
  const char *profile = orch_aws_profile_name(setting(env, "aws.profile"));
  int rc = orch_aws_profiles_load(NULL, NULL, &out->profiles, err);
  if (!rc) rc = orch_aws_region_resolve(NULL, out->profiles, profile, setting(env, "aws.region"), region, err);
  struct orch_aws_creds_options co = {.profile = setting(env, "aws.profile"), .profiles = out->profiles,
                                      .region = region, .endpoint_url = setting(env, "aws.endpoint_url"),
                                      .clock = clock, .sleep_ms = env->sleep_ms, .sleep_ctx = env->sleep_ctx};
  if (!rc) rc = orch_aws_creds_chain(&co, &out->creds, err);
  struct orch_aws_client_config cfg = {.region = region, .creds = out->creds,
                                       .endpoint_url = setting(env, "aws.endpoint_url"), .profiles = out->profiles,
                                       .profile = profile, .clock = clock, .sleep_ms = env->sleep_ms,
                                       .sleep_ctx = env->sleep_ctx};
  if (!rc) rc = orch_aws_client_new(&cfg, &out->client, err);
  if (rc) orch_lambda_aws_close(out);
  return rc;
}

void orch_lambda_aws_close(struct orch_lambda_aws *a) {
  orch_aws_client_free(a->client);
  orch_aws_creds_free(a->creds);
  orch_aws_profiles_free(a->profiles);
  memset(a, 0, sizeof *a);
}
