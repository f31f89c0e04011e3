/* orch_aws_proto_validate_input: unknown members with the nearest valid name, missing required members,
 * wrong types, enum values, length and range constraints; err->context is the exact member path. */
#include <criterion/criterion.h>
#include <string.h>

#include "aws/orch_aws_model.h"
#include "aws/orch_aws_proto.h"

static int check(const char *service, const char *op_name, const char *input_text, struct orch_error *err) {
  const struct orch_aws_operation *op = orch_aws_model_operation(orch_aws_model_service(service), op_name);
  cr_assert_not_null(op);
  json_error_t je;
  json_t *input = json_loads(input_text, 0, &je);
  cr_assert_not_null(input, "%s", je.text);
  memset(err, 0, sizeof *err);
  int rc = orch_aws_proto_validate_input(op, input, err);
  json_decref(input);
  return rc;
}


Test(validate, the_path_names_the_element) {
  struct orch_error err;
  cr_assert_eq(check("drs", "StartRecovery",
                     "{\"sourceServers\":[{\"sourceServerID\":\"s-1111111111111111a\"},{\"sourceServerID\":\"s-2222222222222222b\"},"
                     "{\"sourceServerID\":\"s-3333333333333333c\"},{\"sourceServerID\":\"s-44\"}]}",
                     &err),
               ORCH_EVALIDATION);
  cr_assert_str_eq(err.context, "sourceServers[3].sourceServerID");
  cr_assert(strstr(err.message, "under the minimum of 19"), "%s", err.message);
  cr_assert(strstr(err.message, "StartRecovery"), "%s", err.message);
}

Test(validate, unknown_member_suggests) {
  struct orch_error err;
  cr_assert_eq(check("drs", "StartRecovery", "{\"sourceServers\":[{\"sourceServerId\":\"s-1111111111111111a\"}]}", &err),
               ORCH_EVALIDATION);
  cr_assert_str_eq(err.context, "sourceServers[0].sourceServerId");
  cr_assert(strstr(err.message, "did you mean 'sourceServerID'?"), "%s", err.message);
  cr_assert_eq(check("drs", "StartRecovery", "{\"sourceServer\":[]}", &err), ORCH_EVALIDATION);
  cr_assert(strstr(err.message, "did you mean 'sourceServers'?"), "%s", err.message);
  cr_assert_eq(check("sts", "GetCallerIdentity", "{\"x\":1}", &err), ORCH_EVALIDATION);
  cr_assert(strstr(err.message, "has no members"), "%s", err.message);
}

Test(validate, required_members) {
  struct orch_error err;
  cr_assert_eq(check("drs", "StartRecovery", "{\"isDrill\":true}", &err), ORCH_EVALIDATION);
  cr_assert_str_eq(err.context, "sourceServers");
  cr_assert(strstr(err.message, "missing required member 'sourceServers'"), "%s", err.message);
  cr_assert_eq(check("drs", "StartRecovery", "{\"sourceServers\":[{}]}", &err), ORCH_EVALIDATION);
  cr_assert_str_eq(err.context, "sourceServers[0].sourceServerID");
  cr_assert_eq(check("sts", "AssumeRole", "{\"RoleArn\":\"arn:aws:iam::111122223333:role/x\"}", &err), ORCH_EVALIDATION);
  cr_assert_str_eq(err.context, "RoleSessionName");
}

Test(validate, types) {
  struct orch_error err;
  cr_assert_eq(check("drs", "StartRecovery", "{\"sourceServers\":[],\"isDrill\":\"yes\"}", &err), ORCH_EVALIDATION);
  cr_assert_eq(check("drs", "StartRecovery", "{\"sourceServers\":[{\"sourceServerID\":\"s-1111111111111111a\"}],"
                     "\"isDrill\":\"yes\"}", &err),
               ORCH_EVALIDATION);
  cr_assert_str_eq(err.context, "isDrill");
  cr_assert(strstr(err.message, "expected true or false"), "%s", err.message);
  cr_assert_eq(check("drs", "DescribeJobs", "{\"maxResults\":\"10\"}", &err), ORCH_EVALIDATION);
  cr_assert(strstr(err.message, "expected an integer"), "%s", err.message);
  cr_assert_eq(check("drs", "DescribeJobs", "{\"filters\":[]}", &err), ORCH_EVALIDATION);
  cr_assert(strstr(err.message, "expected an object"), "%s", err.message);
  cr_assert_eq(check("ssm", "SendCommand", "{\"DocumentName\":\"x\",\"Parameters\":{\"commands\":\"ls\"}}", &err),
               ORCH_EVALIDATION);
  cr_assert_str_eq(err.context, "Parameters.commands");
}

Test(validate, enums) {
  struct orch_error err;
  cr_assert_eq(check("ssm", "ListCommandInvocations", "{\"Filters\":[{\"key\":\"Status\",\"value\":\"x\"}]}", &err), 0,
               "%s", err.message);
  cr_assert_eq(check("ssm", "ListCommandInvocations", "{\"Filters\":[{\"key\":\"Stat\",\"value\":\"x\"}]}", &err),
               ORCH_EVALIDATION);
  cr_assert_str_eq(err.context, "Filters[0].key");
  cr_assert(strstr(err.message, "expected one of InvokedAfter, InvokedBefore, Status, ExecutionStage, DocumentName"),
            "%s", err.message);
  cr_assert(strstr(err.message, "did you mean 'Status'?"), "%s", err.message);
}

Test(validate, ranges_and_lengths) {
  struct orch_error err;
  cr_assert_eq(check("drs", "DescribeJobs", "{\"maxResults\":0}", &err), ORCH_EVALIDATION);
  cr_assert_str_eq(err.context, "maxResults");
  cr_assert(strstr(err.message, "under the minimum of 1"), "%s", err.message);
  cr_assert_eq(check("drs", "StartRecovery", "{\"sourceServers\":[]}", &err), ORCH_EVALIDATION);
  cr_assert(strstr(err.message, "0 items long, under the minimum of 1"), "%s", err.message);
  cr_assert_eq(check("sts", "AssumeRole", "{\"RoleArn\":\"arn:aws:iam::111122223333:role/x\",\"RoleSessionName\":\"x\"}",
                     &err),
               ORCH_EVALIDATION);
  cr_assert_str_eq(err.context, "RoleSessionName");
  cr_assert_eq(check("sts", "AssumeRole", "{\"RoleArn\":\"arn:aws:iam::111122223333:role/x\",\"RoleSessionName\":\"orch\","
                     "\"DurationSeconds\":99999999}", &err),
               ORCH_EVALIDATION);
  cr_assert(strstr(err.message, "over the maximum of 43200"), "%s", err.message);
}

Test(validate, timestamps_blobs_and_good_input) {
  struct orch_error err;
  cr_assert_eq(check("dynamodb", "PutItem", "{\"TableName\":\"orch\",\"Item\":{\"b\":{\"B\":\"not base64!\"}}}", &err),
               ORCH_EVALIDATION);
  cr_assert_str_eq(err.context, "Item.b.B");
  cr_assert_eq(check("dynamodb", "PutItem", "{\"TableName\":\"orch\",\"Item\":{\"b\":{\"B\":\"AAEC\"}}}", &err), 0, "%s",
               err.message);
  cr_assert_eq(check("ec2", "DescribeInstanceStatus", "{\"IncludeAllInstances\":true,\"MaxResults\":5}", &err), 0, "%s",
               err.message);
  cr_assert_eq(check("drs", "StartRecovery", "{\"sourceServers\":[{\"sourceServerID\":\"s-1111111111111111a\"}],"
                     "\"isDrill\":true,\"tags\":{\"k\":\"v\"}}", &err),
               0, "%s", err.message);
}
