/* fuzz_aws_profile: the shared config/credentials file reader on hostile text: the input is split at
 * its first NUL into a config file and a credentials file, then a few lookups run over the result.
 * Uses orch_aws_profile. */
#include <stdint.h>
#include <string.h>

#include "aws/orch_aws_profile.h"
#include "core/orch_alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 1 << 16) return 0;
  char *text = orch_malloc(size + 2);
  if (!text) return 0;
  memcpy(text, data, size);
  text[size] = text[size + 1] = '\0';
  const char *creds = text + strlen(text) + (strlen(text) < size ? 1 : 0);
  struct orch_aws_profiles *p = NULL;
  struct orch_error err;
  if (orch_aws_profiles_parse(text, strlen(text) < size ? creds : NULL, &p, &err) == 0) {
    static const char *const keys[] = {"region", "role_arn", "source_profile", "aws_access_key_id", "s3.k", NULL};
    static const char *const profiles[] = {"default", "a", "dev", "profile", "", NULL};
    for (size_t i = 0; profiles[i]; i++) {
      for (size_t k = 0; keys[k]; k++) {
        const char *v = orch_aws_profile_get(p, profiles[i], keys[k]);
        if (v && strlen(v) > size) __builtin_trap(); /* values come from the input */
      }
      (void)orch_aws_profile_exists(p, profiles[i]);
      (void)orch_aws_profile_service_get(p, profiles[i], "drs", "endpoint_url");
    }
    orch_aws_profiles_free(p);
  } else if (err.code != ORCH_ECONFIG && err.code != ORCH_ENOMEM) {
    __builtin_trap();
  }
  orch_free(text);
  return 0;
}
