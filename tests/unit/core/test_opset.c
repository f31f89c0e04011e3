/* test_opset: "service:Operation" patterns: their forms, matching, coverage of one entry by a set, the
 * plans.aws_allow_ceiling setting, and the default ceiling checked against the operations the engine
 * embeds (engine/aws/operations.txt). Uses orch_opset, orch_config. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/orch_config.h"
#include "core/orch_opset.h"
#include "core/orch_str.h"

static struct orch_opset *set(const char *text, bool prefix) {
  struct orch_opset *s = NULL;
  struct orch_error err = {0};
  cr_assert_eq(orch_opset_parse(text, prefix, &s, &err), 0, "%s: %s", text, err.message);
  return s;
}

Test(opset, forms_and_matching) {
  struct orch_opset *s = set("ec2:DescribeInstances, drs:*  ssm:Get*\n*", true);
  cr_expect(orch_opset_permits(s, "ec2", "DescribeInstances"));
  cr_expect(orch_opset_permits(s, "iam", "CreateUser"), "'*' permits everything");
  orch_opset_free(s);
  s = set("ec2:DescribeInstances, drs:*, ssm:Get*", true);
  cr_expect(orch_opset_permits(s, "ec2", "DescribeInstances"));
  cr_expect_not(orch_opset_permits(s, "ec2", "DescribeInstancesX"), "exact means exact");
  cr_expect_not(orch_opset_permits(s, "ec2", "Describe"));
  cr_expect(orch_opset_permits(s, "drs", "StartRecovery"));
  cr_expect(orch_opset_permits(s, "ssm", "GetCommandInvocation"));
  cr_expect_not(orch_opset_permits(s, "ssm", "SendCommand"));
  cr_expect_not(orch_opset_permits(s, "drsx", "StartRecovery"), "service names match whole");
  cr_expect_not(orch_opset_permits(s, NULL, "X"));
  orch_opset_free(s);
  s = set("none", false);
  cr_expect_not(orch_opset_permits(s, "ec2", "DescribeInstances"));
  orch_opset_free(s);
}

Test(opset, malformed_entries_are_named) {
  static const char *const bad[] = {"ec2", "ec2:", ":Op", "EC2:DescribeInstances", "ec2:describeInstances", "ec2:Desc-ribe",
                                    "ec2:**", "ec2:*Describe", "", " , ", "none ec2:*", NULL};
  for (const char *const *b = bad; *b; b++) {
    struct orch_opset *s = NULL;
    struct orch_error err = {0};
    cr_expect_neq(orch_opset_parse(*b, true, &s, &err), 0, "'%s' was accepted", *b);
    cr_expect_null(s);
    cr_expect(err.message[0], "'%s' fails without a message", *b);
  }
  struct orch_error err = {0};
  cr_expect_eq(orch_opset_entry_check("ec2:Describe*", false, &err), ORCH_EINVAL, "plans may not use prefixes");
  cr_expect(strstr(err.message, "ec2:Describe*"), "%s", err.message);
  cr_expect_eq(orch_opset_entry_check("ec2:Describe*", true, NULL), 0);
}

Test(opset, coverage_of_one_entry) {
  struct orch_opset *c = set("ec2:Describe*, drs:*, sns:Publish", true);
  cr_expect(orch_opset_covers(c, "ec2:DescribeInstances"));
  cr_expect(orch_opset_covers(c, "ec2:DescribeInstance*"), "a narrower prefix");
  cr_expect_not(orch_opset_covers(c, "ec2:Desc*"), "a wider prefix");
  cr_expect_not(orch_opset_covers(c, "ec2:*"), "the whole service is more than its Describe operations");
  cr_expect(orch_opset_covers(c, "drs:*"));
  cr_expect(orch_opset_covers(c, "drs:StartRecovery"));
  cr_expect(orch_opset_covers(c, "sns:Publish"));
  cr_expect_not(orch_opset_covers(c, "sns:*"));
  cr_expect_not(orch_opset_covers(c, "*"));
  cr_expect_not(orch_opset_covers(c, "not an entry"));
  orch_opset_free(c);
  c = set("*", true);
  cr_expect(orch_opset_covers(c, "*"));
  orch_opset_free(c);
}

Test(opset, describe_lists_one_service) {
  struct orch_opset *c = set("ec2:Describe*, drs:*, ec2:CreateTags", true);
  struct orch_buf b = ORCH_BUF_INIT(0);
  cr_assert_eq(orch_opset_describe(c, "ec2", &b), 0);
  cr_expect_str_eq(orch_buf_cstr(&b), "ec2:Describe*, ec2:CreateTags");
  orch_buf_reset(&b);
  cr_assert_eq(orch_opset_describe(c, "iam", &b), 0);
  cr_expect_str_eq(orch_buf_cstr(&b), "nothing");
  orch_buf_free(&b);
  orch_opset_free(c);
}

Test(opset, the_setting_is_checked_where_it_is_set) {
  struct orch_config *cfg = NULL;
  struct orch_error err = {0};
  cr_assert_eq(orch_config_new(&cfg), 0);
  cr_expect_str_eq(orch_config_str(cfg, "plans.aws_allow_ceiling"), ORCH_OPSET_DEFAULT_CEILING);
  cr_expect_eq(orch_config_set(cfg, "plans.aws_allow_ceiling", "ec2:*, route53:Change*", ORCH_CFG_SRC_FLAG, "--set", &err), 0,
               "%s", err.message);
  cr_expect_eq(orch_config_set(cfg, "plans.aws_allow_ceiling", "", ORCH_CFG_SRC_FLAG, "--set", &err), 0, "empty: the default");
  cr_expect_eq(orch_config_set(cfg, "plans.aws_allow_ceiling", "ec2 DescribeInstances", ORCH_CFG_SRC_FLAG, "--set", &err),
               ORCH_ECONFIG);
  cr_expect(strstr(err.message, "plans.aws_allow_ceiling") && strstr(err.message, "'ec2'"), "%s", err.message);
  orch_config_free(cfg);
}

/* Every entry of the default ceiling names operations the engine can call: an exact entry is a line of
 * engine/aws/operations.txt, a prefix matches at least one; and it leaves out what would step around
 * w:ssm_run, w:notify, the credentials or the store. */
Test(opset, default_ceiling_against_the_embedded_operations) {
  const char *src = getenv("ORCH_SOURCE_DIR");
  cr_assert_not_null(src, "ORCH_SOURCE_DIR is not set (run through ctest)");
  char path[1024];
  snprintf(path, sizeof path, "%s/engine/aws/operations.txt", src);
  FILE *f = fopen(path, "r");
  cr_assert_not_null(f, "cannot open %s", path);
  static char ops[256][128];
  size_t n = 0;
  char line[256];
  while (fgets(line, sizeof line, f) && n < 256) {
    char svc[64], op[64];
    if (line[0] == '#' || sscanf(line, "%63s %63s", svc, op) != 2) continue;
    snprintf(ops[n++], sizeof ops[0], "%s:%s", svc, op);
  }
  fclose(f);
  cr_assert_gt(n, 10);
  struct orch_opset *c = set(ORCH_OPSET_DEFAULT_CEILING, true);
  struct orch_strview parts[ORCH_OPSET_MAX];
  const char *text = ORCH_OPSET_DEFAULT_CEILING;
  size_t np = orch_str_split((struct orch_strview){text, strlen(text)}, ',', parts, ORCH_OPSET_MAX);
  cr_assert_gt(np, 5);
  for (size_t k = 0; k < np; k++) {
    struct orch_strview t = orch_str_trim(parts[k]);
    char e[ORCH_OPSET_ENTRY_MAX];
    snprintf(e, sizeof e, "%.*s", (int)t.n, t.p);
    struct orch_opset *one = set(e, true);
    size_t hits = 0;
    for (size_t i = 0; i < n; i++) {
      char *colon = strchr(ops[i], ':');
      *colon = '\0';
      hits += orch_opset_permits(one, ops[i], colon + 1);
      *colon = ':';
    }
    cr_expect_gt(hits, 0, "default ceiling entry %s names no operation the engine embeds", e);
    orch_opset_free(one);
  }
  static const char *const left_out[][2] = {{"ssm", "SendCommand"}, {"ssm", "StartAutomationExecution"}, {"sns", "Publish"},
                                            {"sts", "AssumeRole"},  {"dynamodb", "GetItem"},             {"dynamodb", "Query"},
                                            {"ec2", "TerminateInstances"}};
  for (size_t i = 0; i < sizeof left_out / sizeof left_out[0]; i++)
    cr_expect_not(orch_opset_permits(c, left_out[i][0], left_out[i][1]), "the default ceiling permits %s:%s",
                  left_out[i][0], left_out[i][1]);
  cr_expect(orch_opset_permits(c, "ec2", "DescribeInstances"));
  cr_expect(orch_opset_permits(c, "drs", "DescribeJobs"));
  orch_opset_free(c);
}
