/* SSM and EC2 around recovered instances: instances become managed after boot, SendCommand to an
 * unmanaged instance fails as AWS does, InvocationDoesNotExist right after sending, invocations move
 * Pending -> InProgress -> Success | Failed | TimedOut per the scenario, automations; documents
 * (DescribeDocument for AWS's and the scenario's, which SendCommand and automations accept by name);
 * EC2 status checks, filters, tags, stop/terminate, launch templates, subnets and security groups.
 * Uses orch_sim. */
#include "sim_test.h"

static const char *SCEN =
    "{\"regions\": [{\"region\": \"us-east-1\","
    " \"documents\": [{\"name\": \"Custom-Slow\"},"
    "  {\"name\": \"Acme-WinCheck\", \"platforms\": [\"Windows\"], \"format\": \"YAML\", \"description\": \"IIS is serving\"},"
    "  {\"name\": \"Acme-Failover\", \"type\": \"Automation\"}, {\"name\": \"Acme-Draft\", \"status\": \"Creating\"}],"
    " \"server_groups\": ["
    "{\"count\": 2, \"hostname\": \"web-{n}\", \"tags\": {\"Tier\": \"web\"}},"
    "{\"count\": 1, \"hostname\": \"noagent\", \"tags\": {\"Tier\": \"app\"}, \"ssm_agent\": false}]}],"
    " \"timing\": {\"job_start\": \"1s\", \"snapshot\": \"10s\", \"conversion\": \"10s\", \"launch\": \"10s\","
    "  \"boot\": \"30s\", \"ssm_ready\": \"30s\", \"command_start\": \"2s\", \"command_run\": \"5s\", \"automation\": \"20s\"},"
    " \"failures\": {\"ssm\": [{\"document\": \"AWS-RunShellScript\", \"tags\": {\"Tier\": \"web\"}, \"status\": \"Failed\","
    "   \"output\": \"service down\", \"response_code\": 3},"
    "  {\"document\": \"Custom-Slow\", \"status\": \"TimedOut\", \"duration\": \"1m\"},"
    "  {\"document\": \"AWS-RestartEC2Instance\", \"status\": \"Failed\", \"output\": \"step failed\"}]}}";

/* Launch every server; return the EC2 instance ids in server order (caller owns). */
static json_t *launch_all(struct orch_sim *sim) {
  json_t *ss = sim_ok(sim, "drs", "DescribeSourceServers", NULL);
  json_t *list = json_array();
  size_t i;
  json_t *s;
  json_array_foreach(json_object_get(ss, "items"), i, s)
      json_array_append_new(list, json_pack("{s:O}", "sourceServerID", json_object_get(s, "sourceServerID")));
  json_decref(ss);
  json_t *r = sim_ok(sim, "drs", "StartRecovery", json_pack("{s:o, s:b}", "sourceServers", list, "isDrill", 1));
  json_decref(r);
  orch_sim_advance(sim, 40000); /* launched (~33s), not yet booted */
  json_t *ri = sim_ok(sim, "drs", "DescribeRecoveryInstances", NULL);
  json_t *ids = json_array();
  json_array_foreach(json_object_get(ri, "items"), i, s) json_array_append(ids, json_object_get(s, "ec2InstanceID"));
  json_decref(ri);
  cr_assert_eq(json_array_size(ids), 3);
  return ids;
}

static size_t managed(struct orch_sim *sim) {
  json_t *out = sim_ok(sim, "ssm", "DescribeInstanceInformation",
                       json_pack("{s:[{s:s, s:[s]}]}", "Filters", "Key", "PingStatus", "Values", "Online"));
  size_t n = json_array_size(json_object_get(out, "InstanceInformationList"));
  json_decref(out);
  return n;
}

Test(sim_ssm, managed_after_boot_and_commands) {
  struct orch_sim *sim = sim_open(NULL, SCEN, 1);
  json_t *ids = launch_all(sim);
  const char *web1 = json_string_value(json_array_get(ids, 0)), *noagent = json_string_value(json_array_get(ids, 2));
  cr_assert_eq(managed(sim), 0);
  json_t *st = sim_ok(sim, "ec2", "DescribeInstanceStatus", json_pack("{s:[s]}", "InstanceIds", web1));
  cr_assert_str_eq(jstr(st, "InstanceStatuses.0.InstanceStatus.Status"), "initializing");
  json_decref(st);
  json_decref(sim_err(sim, "ssm", "SendCommand",
                      json_pack("{s:s, s:[s], s:{s:[s]}}", "DocumentName", "AWS-RunShellScript", "InstanceIds", web1,
                                "Parameters", "commands", "systemctl is-active nginx"),
                      400, "InvalidInstanceId"));
  orch_sim_advance(sim, 70000);
  st = sim_ok(sim, "ec2", "DescribeInstanceStatus", json_pack("{s:[s]}", "InstanceIds", web1));
  cr_assert_str_eq(jstr(st, "InstanceStatuses.0.InstanceStatus.Status"), "ok");
  cr_assert_str_eq(jstr(st, "InstanceStatuses.0.InstanceStatus.Details.0.Status"), "passed");
  json_decref(st);
  cr_assert_eq(managed(sim), 2, "the instance without an agent never becomes managed");
  json_decref(sim_err(sim, "ssm", "SendCommand",
                      json_pack("{s:s, s:[s]}", "DocumentName", "AWS-RunShellScript", "InstanceIds", noagent), 400,
                      "InvalidInstanceId"));

  json_t *sent = sim_ok(sim, "ssm", "SendCommand",
                        json_pack("{s:s, s:[s], s:{s:[s]}}", "DocumentName", "AWS-RunShellScript", "InstanceIds", web1,
                                  "Parameters", "commands", "systemctl is-active nginx"));
  char cid[40];
  snprintf(cid, sizeof cid, "%s", jstr(sent, "Command.CommandId"));
  cr_assert_eq(strlen(cid), 36);
  json_decref(sent);
  json_decref(sim_err(sim, "ssm", "GetCommandInvocation", json_pack("{s:s, s:s}", "CommandId", cid, "InstanceId", web1),
                      400, "InvocationDoesNotExist"));
  orch_sim_advance(sim, 2000);
  json_t *inv = sim_ok(sim, "ssm", "GetCommandInvocation", json_pack("{s:s, s:s}", "CommandId", cid, "InstanceId", web1));
  cr_assert_str_eq(jstr(inv, "Status"), "Pending");
  cr_assert_eq(json_integer_value(json_object_get(inv, "ResponseCode")), -1);
  json_decref(inv);
  orch_sim_advance(sim, 3000);
  inv = sim_ok(sim, "ssm", "GetCommandInvocation", json_pack("{s:s, s:s}", "CommandId", cid, "InstanceId", web1));
  cr_assert_str_eq(jstr(inv, "Status"), "InProgress");
  json_decref(inv);
  orch_sim_advance(sim, 10000);
  inv = sim_ok(sim, "ssm", "GetCommandInvocation", json_pack("{s:s, s:s}", "CommandId", cid, "InstanceId", web1));
  cr_assert_str_eq(jstr(inv, "Status"), "Failed", "the web rule fails it");
  cr_assert_eq(json_integer_value(json_object_get(inv, "ResponseCode")), 3);
  cr_assert_str_eq(jstr(inv, "StandardErrorContent"), "service down");
  json_decref(inv);
  json_t *list = sim_ok(sim, "ssm", "ListCommandInvocations", json_pack("{s:s, s:b}", "CommandId", cid, "Details", 1));
  cr_assert_eq(json_array_size(json_object_get(list, "CommandInvocations")), 1);
  cr_assert_str_eq(jstr(list, "CommandInvocations.0.CommandPlugins.0.Status"), "Failed");
  json_decref(list);

  /* a command with no matching rule succeeds; a TimedOut rule times out */
  sent = sim_ok(sim, "ssm", "SendCommand", json_pack("{s:s, s:[{s:s, s:[s]}]}", "DocumentName", "Custom-Slow", "Targets",
                                                     "Key", "tag:Tier", "Values", "web"));
  snprintf(cid, sizeof cid, "%s", jstr(sent, "Command.CommandId"));
  cr_assert_eq(json_integer_value(jget(sent, "Command.TargetCount")), 2);
  json_decref(sent);
  orch_sim_advance(sim, 120000);
  inv = sim_ok(sim, "ssm", "GetCommandInvocation", json_pack("{s:s, s:s}", "CommandId", cid, "InstanceId", web1));
  cr_assert_str_eq(jstr(inv, "Status"), "TimedOut", "the scenario's document follows its rules by name");
  cr_assert_str_eq(jstr(inv, "DocumentName"), "Custom-Slow");
  cr_assert_str_eq(jstr(inv, "PluginName"), "aws:runShellScript");
  json_decref(inv);

  /* a Windows-only document runs under the PowerShell plugin, with no rule: Success */
  sent = sim_ok(sim, "ssm", "SendCommand",
                json_pack("{s:s, s:[s]}", "DocumentName", "Acme-WinCheck", "InstanceIds", web1));
  snprintf(cid, sizeof cid, "%s", jstr(sent, "Command.CommandId"));
  json_decref(sent);
  orch_sim_advance(sim, 60000);
  inv = sim_ok(sim, "ssm", "GetCommandInvocation", json_pack("{s:s, s:s}", "CommandId", cid, "InstanceId", web1));
  cr_assert_str_eq(jstr(inv, "Status"), "Success");
  cr_assert_str_eq(jstr(inv, "PluginName"), "aws:runPowerShellScript");
  json_decref(inv);
  json_decref(ids);
  orch_sim_stop(sim);
}

Test(sim_ssm, automations) {
  struct orch_sim *sim = sim_open(NULL, SCEN, 1);
  json_t *a = sim_ok(sim, "ssm", "StartAutomationExecution", json_pack("{s:s}", "DocumentName", "AWS-RestartEC2Instance"));
  char id[40];
  snprintf(id, sizeof id, "%s", jstr(a, "AutomationExecutionId"));
  json_decref(a);
  json_t *g = sim_ok(sim, "ssm", "GetAutomationExecution", json_pack("{s:s}", "AutomationExecutionId", id));
  cr_assert_str_eq(jstr(g, "AutomationExecution.AutomationExecutionStatus"), "Pending");
  json_decref(g);
  orch_sim_advance(sim, 30000);
  g = sim_ok(sim, "ssm", "GetAutomationExecution", json_pack("{s:s}", "AutomationExecutionId", id));
  cr_assert_str_eq(jstr(g, "AutomationExecution.AutomationExecutionStatus"), "Failed");
  cr_assert_str_eq(jstr(g, "AutomationExecution.FailureMessage"), "step failed");
  json_decref(g);
  json_decref(sim_err(sim, "ssm", "GetAutomationExecution",
                      json_pack("{s:s}", "AutomationExecutionId", "00000000-0000-4000-8000-000000000000"), 400,
                      "AutomationExecutionNotFoundException"));
  orch_sim_stop(sim);
}

static json_t *describe_doc(struct orch_sim *sim, const char *name) {
  json_t *out = sim_ok(sim, "ssm", "DescribeDocument", json_pack("{s:s}", "Name", name));
  cr_assert_not_null(jget(out, "Document"), "%s", name);
  return out;
}

Test(sim_ssm, describe_document) {
  struct orch_sim *sim = sim_open(NULL, SCEN, 1);
  json_t *d = describe_doc(sim, "AWS-RunShellScript");
  jexpect(d, (const char *const[]){
      "Document.Name", "AWS-RunShellScript",
      "Document.DocumentType", "Command",
      "Document.DocumentFormat", "JSON",
      "Document.Status", "Active",
      "Document.Owner", "Amazon",
      "Document.SchemaVersion", "1.2",
      "Document.DocumentVersion", "1",
      "Document.LatestVersion", "1",
      "Document.DefaultVersion", "1",
      "Document.HashType", "Sha256",
      NULL});
  cr_assert_eq(strlen(jstr(d, "Document.Hash")), 64);
  cr_assert_not_null(jget(d, "Document.CreatedDate"));
  cr_assert_eq(json_array_size(jget(d, "Document.PlatformTypes")), 2);
  jexpect(d, (const char *const[]){
      "Document.PlatformTypes.0", "Linux",
      "Document.PlatformTypes.1", "MacOS",
      "Document.Parameters.0.Name", "commands",
      "Document.Parameters.0.Type", "StringList",
      "Document.Parameters.2.DefaultValue", "3600",
      NULL});
  cr_assert_null(jget(d, "Document.TargetType"));
  char hash[65];
  snprintf(hash, sizeof hash, "%s", jstr(d, "Document.Hash"));
  json_decref(d);

  d = sim_ok(sim, "ssm", "DescribeDocument",
             json_pack("{s:s, s:s}", "Name", "AWS-RunShellScript", "DocumentVersion", "$LATEST"));
  cr_assert_str_eq(jstr(d, "Document.Hash"), hash, "the same document, the same hash");
  json_decref(d);
  d = describe_doc(sim, "arn:aws:ssm:us-east-1::document/AWS-RunPowerShellScript");
  cr_assert_str_eq(jstr(d, "Document.Name"), "AWS-RunPowerShellScript");
  cr_assert_eq(json_array_size(jget(d, "Document.PlatformTypes")), 1);
  cr_assert_str_eq(jstr(d, "Document.PlatformTypes.0"), "Windows");
  cr_assert_str_neq(jstr(d, "Document.Hash"), hash);
  json_decref(d);
  d = describe_doc(sim, "AWS-RestartEC2Instance");
  jexpect(d, (const char *const[]){
      "Document.DocumentType", "Automation",
      "Document.SchemaVersion", "0.3",
      "Document.TargetType", "/AWS::EC2::Instance",
      "Document.Parameters.0.Name", "InstanceId",
      NULL});
  cr_assert_eq(json_array_size(jget(d, "Document.PlatformTypes")), 3);
  json_decref(d);

  /* the scenario's own, owned by the account */
  d = describe_doc(sim, "Acme-WinCheck");
  jexpect(d, (const char *const[]){
      "Document.Owner", "111122223333",
      "Document.DocumentType", "Command",
      "Document.SchemaVersion", "2.2",
      "Document.DocumentFormat", "YAML",
      "Document.Description", "IIS is serving",
      "Document.PlatformTypes.0", "Windows",
      NULL});
  cr_assert_eq(json_array_size(jget(d, "Document.Parameters")), 0);
  json_decref(d);
  d = describe_doc(sim, "arn:aws:ssm:us-east-1:111122223333:document/Custom-Slow");
  cr_assert_str_eq(jstr(d, "Document.Name"), "Custom-Slow");
  cr_assert_eq(json_array_size(jget(d, "Document.PlatformTypes")), 2);
  json_decref(d);
  d = describe_doc(sim, "Acme-Draft");
  cr_assert_str_eq(jstr(d, "Document.Status"), "Creating");
  json_decref(d);
  d = describe_doc(sim, "Acme-Failover");
  cr_assert_str_eq(jstr(d, "Document.DocumentType"), "Automation");
  cr_assert_str_eq(jstr(d, "Document.SchemaVersion"), "0.3");
  json_decref(d);

  /* unknown names, versions and version names, as AWS answers them */
  json_t *e =
      sim_err(sim, "ssm", "DescribeDocument", json_pack("{s:s}", "Name", "Acme-Missing"), 400, "InvalidDocument");
  cr_assert_str_eq(jstr(e, "message"), "No matching value was found for Name.");
  json_decref(e);
  json_decref(sim_err(sim, "ssm", "DescribeDocument", json_pack("{s:s}", "Name", "aws-runshellscript"), 400,
                      "InvalidDocument"));
  json_decref(sim_err(sim, "ssm", "DescribeDocument", json_pack("{s:s, s:s}", "Name", "AWS-RunShellScript",
                                                                "DocumentVersion", "2"),
                      400, "InvalidDocumentVersion"));
  json_decref(sim_err(sim, "ssm", "DescribeDocument", json_pack("{s:s, s:s}", "Name", "Custom-Slow", "VersionName",
                                                                "v1"),
                      400, "InvalidDocument"));

  /* a region's documents are its own; AWS's are everywhere */
  struct sim_creds west = DEFAULT_CREDS;
  west.region = "us-west-2";
  json_t *out = NULL, *custom = json_pack("{s:s}", "Name", "Custom-Slow");
  json_t *shell = json_pack("{s:s}", "Name", "AWS-RunShellScript");
  cr_assert_eq(sim_call_as(sim, &west, "ssm", "DescribeDocument", custom, &out, 0), 400);
  cr_assert_str_eq(jstr(out, "code"), "InvalidDocument");
  json_decref(out);
  cr_assert_eq(sim_call_as(sim, &west, "ssm", "DescribeDocument", shell, &out, 0), 200);
  json_decref(out);
  json_decref(custom);
  json_decref(shell);
  orch_sim_stop(sim);
}

Test(sim_ssm, commands_and_automations_need_a_known_document) {
  struct orch_sim *sim = sim_open(NULL, SCEN, 1);
  json_t *ids = launch_all(sim);
  orch_sim_advance(sim, 70000);
  const char *web1 = json_string_value(json_array_get(ids, 0));
  json_t *e = sim_err(sim, "ssm", "SendCommand",
                      json_pack("{s:s, s:[s]}", "DocumentName", "Acme-Missing", "InstanceIds", web1), 400,
                      "InvalidDocument");
  cr_assert(strstr(jstr(e, "message"), "Acme-Missing") != NULL, "%s", jstr(e, "message"));
  json_decref(e);
  json_decref(sim_err(sim, "ssm", "SendCommand",
                      json_pack("{s:s, s:[s]}", "DocumentName", "AWS-RestartEC2Instance", "InstanceIds", web1), 400,
                      "InvalidDocument"));
  json_decref(sim_err(sim, "ssm", "SendCommand",
                      json_pack("{s:s, s:[s]}", "DocumentName", "Acme-Draft", "InstanceIds", web1), 400,
                      "InvalidDocument"));
  json_t *sent = sim_ok(sim, "ssm", "SendCommand", json_pack("{s:s, s:[s]}", "DocumentName",
                                                             "arn:aws:ssm:us-east-1::document/AWS-RunShellScript",
                                                             "InstanceIds", web1));
  cr_assert_str_eq(jstr(sent, "Command.DocumentName"), "AWS-RunShellScript");
  json_decref(sent);

  json_t *a = sim_ok(sim, "ssm", "StartAutomationExecution", json_pack("{s:s}", "DocumentName", "Acme-Failover"));
  char id[40];
  snprintf(id, sizeof id, "%s", jstr(a, "AutomationExecutionId"));
  json_decref(a);
  orch_sim_advance(sim, 30000);
  json_t *g = sim_ok(sim, "ssm", "GetAutomationExecution", json_pack("{s:s}", "AutomationExecutionId", id));
  cr_assert_str_eq(jstr(g, "AutomationExecution.DocumentName"), "Acme-Failover");
  cr_assert_str_eq(jstr(g, "AutomationExecution.AutomationExecutionStatus"), "Success");
  json_decref(g);
  json_decref(sim_err(sim, "ssm", "StartAutomationExecution", json_pack("{s:s}", "DocumentName", "Acme-Missing"), 400,
                      "AutomationDefinitionNotFoundException"));
  json_decref(sim_err(sim, "ssm", "StartAutomationExecution",
                      json_pack("{s:s}", "DocumentName", "AWS-RunShellScript"), 400,
                      "AutomationDefinitionNotFoundException"));
  json_decref(ids);
  orch_sim_stop(sim);
}

Test(sim_ec2, filters_tags_and_state_changes) {
  struct orch_sim *sim = sim_open(NULL, SCEN, 1);
  json_t *ids = launch_all(sim);
  const char *web1 = json_string_value(json_array_get(ids, 0)), *web2 = json_string_value(json_array_get(ids, 1));
  json_t *d = sim_ok(sim, "ec2", "DescribeInstances",
                     json_pack("{s:[{s:s, s:[s]}, {s:s, s:[s]}]}", "Filters", "Name", "tag:Tier", "Values", "web", "Name",
                               "instance-state-name", "Values", "running"));
  cr_assert_eq(json_array_size(json_object_get(d, "Reservations")), 2);
  cr_assert_str_eq(jstr(d, "Reservations.0.Instances.0.Tags.0.Key"), "Tier");
  json_decref(d);
  json_decref(sim_ok(sim, "ec2", "CreateTags", json_pack("{s:[s], s:[{s:s, s:s}]}", "Resources", web1, "Tags", "Key",
                                                         "drsorch:checked", "Value", "yes")));
  d = sim_ok(sim, "ec2", "DescribeInstances", json_pack("{s:[{s:s, s:[s]}]}", "Filters", "Name", "tag-key", "Values",
                                                        "drsorch:checked"));
  cr_assert_eq(json_array_size(json_object_get(d, "Reservations")), 1);
  json_decref(d);
  json_decref(sim_err(sim, "ec2", "DescribeInstances", json_pack("{s:[s]}", "InstanceIds", "i-0123456789abcdef0"), 400,
                      "InvalidInstanceID.NotFound"));
  json_t *stop = sim_ok(sim, "ec2", "StopInstances", json_pack("{s:[s]}", "InstanceIds", web1));
  cr_assert_str_eq(jstr(stop, "StoppingInstances.0.CurrentState.Name"), "stopping");
  cr_assert_str_eq(jstr(stop, "StoppingInstances.0.PreviousState.Name"), "running");
  json_decref(stop);
  json_t *term = sim_ok(sim, "ec2", "TerminateInstances", json_pack("{s:[s]}", "InstanceIds", web2));
  cr_assert_str_eq(jstr(term, "TerminatingInstances.0.CurrentState.Name"), "shutting-down");
  json_decref(term);
  orch_sim_advance(sim, 120000);
  d = sim_ok(sim, "ec2", "DescribeInstances", json_pack("{s:[s, s]}", "InstanceIds", web1, web2));
  cr_assert_str_eq(jstr(d, "Reservations.0.Instances.0.State.Name"), "stopped");
  cr_assert_str_eq(jstr(d, "Reservations.1.Instances.0.State.Name"), "terminated");
  json_decref(d);
  json_decref(sim_err(sim, "ec2", "StopInstances", json_pack("{s:[s]}", "InstanceIds", web2), 400, "IncorrectInstanceState"));
  json_decref(ids);
  orch_sim_stop(sim);
}

Test(sim_ec2, launch_templates_subnets_security_groups) {
  struct orch_sim *sim = sim_open("three-tier-demo.json", NULL, 1);
  json_t *ss = sim_ok(sim, "drs", "DescribeSourceServers", json_pack("{s:i}", "maxResults", 1));
  json_t *lc = sim_ok(sim, "drs", "GetLaunchConfiguration",
                      json_pack("{s:O}", "sourceServerID", jget(ss, "items.0.sourceServerID")));
  char lt[32];
  snprintf(lt, sizeof lt, "%s", jstr(lc, "ec2LaunchTemplateID"));
  json_decref(lc);
  json_decref(ss);
  json_t *v = sim_ok(sim, "ec2", "DescribeLaunchTemplateVersions", json_pack("{s:s, s:[s]}", "LaunchTemplateId", lt,
                                                                            "Versions", "$Latest"));
  cr_assert_eq(json_integer_value(jget(v, "LaunchTemplateVersions.0.VersionNumber")), 1);
  cr_assert_str_eq(jstr(v, "LaunchTemplateVersions.0.LaunchTemplateData.InstanceType"), "r5.xlarge");
  json_decref(v);
  json_t *c = sim_ok(sim, "ec2", "CreateLaunchTemplateVersion",
                     json_pack("{s:s, s:s, s:s, s:{s:s}}", "LaunchTemplateId", lt, "SourceVersion", "1",
                               "VersionDescription", "bigger", "LaunchTemplateData", "InstanceType", "r5.2xlarge"));
  cr_assert_eq(json_integer_value(jget(c, "LaunchTemplateVersion.VersionNumber")), 2);
  cr_assert_str_eq(jstr(c, "LaunchTemplateVersion.LaunchTemplateData.InstanceType"), "r5.2xlarge");
  cr_assert_not_null(jget(c, "LaunchTemplateVersion.LaunchTemplateData.NetworkInterfaces"), "kept from version 1");
  json_decref(c);
  json_t *m = sim_ok(sim, "ec2", "ModifyLaunchTemplate", json_pack("{s:s, s:s}", "LaunchTemplateId", lt, "DefaultVersion", "2"));
  cr_assert_eq(json_integer_value(jget(m, "LaunchTemplate.DefaultVersionNumber")), 2);
  json_decref(m);
  json_decref(sim_err(sim, "ec2", "DescribeLaunchTemplateVersions", json_pack("{s:s}", "LaunchTemplateId", "lt-0000000000000000f"),
                      400, "InvalidLaunchTemplateId.NotFound"));
  json_t *sn = sim_ok(sim, "ec2", "DescribeSubnets", json_pack("{s:[{s:s, s:[s]}]}", "Filters", "Name", "availability-zone",
                                                               "Values", "us-east-1b"));
  cr_assert_eq(json_array_size(json_object_get(sn, "Subnets")), 1);
  cr_assert_str_eq(jstr(sn, "Subnets.0.CidrBlock"), "10.20.2.0/24");
  json_decref(sn);
  json_t *sg = sim_ok(sim, "ec2", "DescribeSecurityGroups", json_pack("{s:[s]}", "GroupIds", "sg-0a1b2c3d4e5f60001"));
  cr_assert_str_eq(jstr(sg, "SecurityGroups.0.GroupName"), "orders-recovery");
  json_decref(sg);
  json_decref(sim_err(sim, "ec2", "DescribeSubnets", json_pack("{s:[s]}", "SubnetIds", "subnet-00000000"), 400,
                      "InvalidSubnetID.NotFound"));
  orch_sim_stop(sim);
}
