/* Every simulated operation's answer, as it goes on the wire, against the embedded botocore model
 * (model_check.h): a scripted life of a small region (launch, mid-launch, launched, an instance stopping
 * and stopped, SSM commands and automations, failback, termination) calls every operation of every
 * simulated service in each state it can be in, and each response body must use only the model's members,
 * types and enum values. The script must cover every handler the simulator has, so a new operation
 * without a case here fails. Uses orch_sim, orch_sim_ops (the handler tables), model_check. */
#include "model_check.h"
#include "sim/orch_sim_drs_int.h"
#include "sim_test.h"

static const char *REGION =
    "{\"regions\": [{\"region\": \"us-east-1\", \"topics\": [\"dr\"],"
    "  \"documents\": [{\"name\": \"Acme-HealthCheck\"}],"
    "  \"servers\": [{\"hostname\": \"db-1\", \"tags\": {\"Tier\": \"db\"}},"
    "               {\"hostname\": \"app-1\", \"launch_configuration\": {\"launchDisposition\": \"STOPPED\"}},"
    "               {\"hostname\": \"web-1\", \"os_type\": \"windows\"},"
    "               {\"hostname\": \"web-2\", \"replication_state\": \"INITIAL_SYNC\"},"
    "               {\"hostname\": \"web-3\"}],"
    "  \"buckets\": [{\"name\": \"walker-assets\", \"versioning\": \"Enabled\","
    "    \"objects\": [{\"key\": \"a/{n}\", \"count\": 3, \"versions\": 2, \"deleted\": true}]},"
    "   {\"name\": \"walker-plain\", \"objects\": [{\"key\": \"x y\"}]}]}],"
    " \"timing\": {\"job_start\": \"10s\", \"snapshot\": \"30s\", \"conversion\": \"1m\", \"launch\": \"30s\","
    "  \"boot\": \"40s\", \"ssm_ready\": \"20s\", \"terminate\": \"30s\", \"stop\": \"30s\"}}";

/* One call: `input` is JSON text where ${name} is replaced by a value captured earlier; `save` lists
 * "name=path" captures from the output ("" for none). */
struct step {
  const char *service, *op, *input, *save;
};

#define READS_DRS                                                                                                     \
  {"drs", "DescribeSourceServers", "{}", ""}, {"drs", "DescribeJobs", "{}", ""},                                     \
      {"drs", "DescribeRecoveryInstances", "{}", ""}, {"drs", "GetLaunchConfiguration", "{\"sourceServerID\": \"${s0}\"}", ""}, \
      {"drs", "DescribeRecoverySnapshots", "{\"sourceServerID\": \"${s0}\"}", ""},                                   \
      {"drs", "ListTagsForResource", "{\"resourceArn\": \"${s0arn}\"}", ""}
#define READS_EC2                                                                                                     \
  {"ec2", "DescribeInstances", "{}", ""}, {"ec2", "DescribeInstanceStatus", "{\"IncludeAllInstances\": true}", ""},  \
      {"ec2", "DescribeSubnets", "{}", ""}, {"ec2", "DescribeSecurityGroups", "{}", ""},                              \
      {"ec2", "DescribeLaunchTemplateVersions", "{\"LaunchTemplateId\": \"${lt}\"}", ""}
#define READS_SSM                                                                                                     \
  {"ssm", "DescribeInstanceInformation", "{}", ""}, {"ssm", "DescribeDocument", "{\"Name\": \"AWS-RunShellScript\"}", ""}, \
      {"ssm", "DescribeDocument", "{\"Name\": \"Acme-HealthCheck\"}", ""},                                           \
      {"ssm", "DescribeDocument", "{\"Name\": \"AWS-RestartEC2Instance\"}", ""}
#define READS READS_DRS, READS_EC2, READS_SSM

static const struct step START[] = {
    {"drs", "DescribeSourceServers", "{}",
     "s0=items.0.sourceServerID s1=items.1.sourceServerID s2=items.2.sourceServerID s3=items.3.sourceServerID "
     "s4=items.4.sourceServerID "
     "s0arn=items.0.arn"},
    {"drs", "GetLaunchConfiguration", "{\"sourceServerID\": \"${s0}\"}", "lt=ec2LaunchTemplateID"},
    READS,
    {"sts", "GetCallerIdentity", "{}", ""},
    {"sts", "AssumeRole", "{\"RoleArn\": \"arn:aws:iam::111122223333:role/R\", \"RoleSessionName\": \"walker\"}", ""},
    {"service-quotas", "ListServiceQuotas", "{\"ServiceCode\": \"drs\"}", ""},
    {"service-quotas", "GetServiceQuota", "{\"ServiceCode\": \"drs\", \"QuotaCode\": \"L-D88FAC3A\"}", ""},
    {"sns", "Publish", "{\"TopicArn\": \"arn:aws:sns:us-east-1:111122223333:dr\", \"Message\": \"m\", \"Subject\": \"s\"}", ""},
    {"s3", "PutObject", "{\"Bucket\": \"walker-assets\", \"Key\": \"k.txt\", \"Body\": \"aGVsbG8=\"}", ""},
    {"s3", "PutObject", "{\"Bucket\": \"walker-plain\", \"Key\": \"k.txt\", \"Body\": \"\"}", ""},
    {"s3", "ListObjectVersions", "{\"Bucket\": \"walker-assets\"}", ""},
    {"s3", "ListObjectVersions", "{\"Bucket\": \"walker-assets\", \"MaxKeys\": 2, \"Prefix\": \"a/\"}",
     "km=NextKeyMarker vm=NextVersionIdMarker"},
    {"s3", "ListObjectVersions", "{\"Bucket\": \"walker-assets\", \"KeyMarker\": \"${km}\", \"VersionIdMarker\": \"${vm}\"}", ""},
    {"s3", "ListObjectVersions", "{\"Bucket\": \"walker-plain\", \"EncodingType\": \"url\"}", ""},
    {"s3", "DeleteObjects", "{\"Bucket\": \"walker-assets\", \"Delete\": {\"Objects\": [{\"Key\": \"k.txt\"}, {\"Key\": \"a/1\"}]}}", ""},
    {"s3", "DeleteObjects", "{\"Bucket\": \"walker-plain\", \"Delete\": {\"Objects\": [{\"Key\": \"x y\"}], \"Quiet\": true}}", ""},
    {"s3", "HeadBucket", "{\"Bucket\": \"walker-assets\"}", ""},
    {"s3", "GetBucketLocation", "{\"Bucket\": \"walker-assets\"}", ""},
    {"cloudfront", "CreateInvalidation",
     "{\"DistributionId\": \"E2QWRUHEXAMPLE\", \"InvalidationBatch\": {\"Paths\": {\"Quantity\": 1, \"Items\": [\"/*\"]},"
     " \"CallerReference\": \"walker\"}}", "inv=Invalidation.Id"},
    {"cloudfront", "GetInvalidation", "{\"DistributionId\": \"E2QWRUHEXAMPLE\", \"Id\": \"${inv}\"}", ""},
    {"drs", "TagResource", "{\"resourceArn\": \"${s0arn}\", \"tags\": {\"k\": \"v\"}}", ""},
    {"drs", "UpdateLaunchConfiguration", "{\"sourceServerID\": \"${s2}\", \"copyTags\": true}", ""},
    {"ec2", "CreateLaunchTemplateVersion",
     "{\"LaunchTemplateId\": \"${lt}\", \"SourceVersion\": \"1\", \"LaunchTemplateData\": {\"InstanceType\": \"m5.xlarge\"}}", ""},
    {"ec2", "ModifyLaunchTemplate", "{\"LaunchTemplateId\": \"${lt}\", \"DefaultVersion\": \"2\"}", ""},
    {"drs", "StartRecovery",
     "{\"sourceServers\": [{\"sourceServerID\": \"${s0}\"}, {\"sourceServerID\": \"${s1}\"},"
     " {\"sourceServerID\": \"${s2}\"}, {\"sourceServerID\": \"${s3}\"}, {\"sourceServerID\": \"${s4}\"}],"
     " \"tags\": {\"drsorch:wave\": \"db\"}}",
     "job=job.jobID"},
};

static const struct step MID[] = {READS, {"drs", "DescribeJobLogItems", "{\"jobID\": \"${job}\"}", ""}};

static const struct step LAUNCHED[] = {
    READS,
    {"drs", "DescribeJobLogItems", "{\"jobID\": \"${job}\"}", ""},
    {"drs", "DescribeRecoveryInstances", "{\"filters\": {\"sourceServerIDs\": [\"${s0}\"]}}", "ri0=items.0.recoveryInstanceID"},
    {"drs", "DescribeRecoveryInstances", "{\"filters\": {\"sourceServerIDs\": [\"${s1}\"]}}", "ri1=items.0.recoveryInstanceID"},
    {"drs", "DescribeRecoveryInstances", "{\"filters\": {\"sourceServerIDs\": [\"${s2}\"]}}", "ri2=items.0.recoveryInstanceID"},
    {"drs", "DescribeRecoveryInstances", "{\"filters\": {\"sourceServerIDs\": [\"${s4}\"]}}", "ri4=items.0.recoveryInstanceID"},
    {"ssm", "SendCommand",
     "{\"DocumentName\": \"AWS-RunShellScript\", \"InstanceIds\": [\"${ri0}\"], \"Parameters\": {\"commands\": [\"true\"]}}",
     "cmd=Command.CommandId"},
    {"ssm", "SendCommand", "{\"DocumentName\": \"Acme-HealthCheck\", \"InstanceIds\": [\"${ri0}\"]}", ""},
    {"ssm", "StartAutomationExecution",
     "{\"DocumentName\": \"AWS-RestartEC2Instance\", \"Parameters\": {\"InstanceId\": [\"${ri0}\"]}}",
     "auto=AutomationExecutionId"},
    {"ec2", "CreateTags", "{\"Resources\": [\"${ri0}\"], \"Tags\": [{\"Key\": \"k\", \"Value\": \"v\"}]}", ""},
    {"ec2", "StopInstances", "{\"InstanceIds\": [\"${ri2}\"]}", ""},
};

/* Seconds after the stop: instance ri2 is stopping, the command pending or running. */
static const struct step STOPPING[] = {
    READS,
    {"ssm", "GetCommandInvocation", "{\"CommandId\": \"${cmd}\", \"InstanceId\": \"${ri0}\"}", ""},
    {"ssm", "ListCommandInvocations", "{\"CommandId\": \"${cmd}\", \"Details\": true}", ""},
    {"ssm", "GetAutomationExecution", "{\"AutomationExecutionId\": \"${auto}\"}", ""},
};

static const struct step STOPPED[] = {
    READS,
    {"ssm", "GetCommandInvocation", "{\"CommandId\": \"${cmd}\", \"InstanceId\": \"${ri0}\"}", ""},
    {"ssm", "ListCommandInvocations", "{\"CommandId\": \"${cmd}\", \"Details\": true}", ""},
    {"ssm", "ListCommandInvocations", "{}", ""},
    {"ssm", "GetAutomationExecution", "{\"AutomationExecutionId\": \"${auto}\"}", ""},
    {"drs", "ReverseReplication", "{\"recoveryInstanceID\": \"${ri0}\"}", ""},
    {"drs", "StartFailbackLaunch", "{\"recoveryInstanceIDs\": [\"${ri0}\"]}", ""},
    {"drs", "TerminateRecoveryInstances", "{\"recoveryInstanceIDs\": [\"${ri1}\"]}", ""},
    {"ec2", "TerminateInstances", "{\"InstanceIds\": [\"${ri2}\"]}", ""},
    {"ec2", "TerminateInstances", "{\"InstanceIds\": [\"${ri4}\"]}", ""},
};

/* ri2 (stopped) and ri4 (running, managed) shutting down, ri1's termination job running, ri0's failback
 * running. */
static const struct step ENDING[] = {
    READS,
    {"cloudfront", "GetInvalidation", "{\"DistributionId\": \"E2QWRUHEXAMPLE\", \"Id\": \"${inv}\"}", ""},
};

static const struct step AFTER[] = {
    READS,
    {"drs", "StopFailback", "{\"recoveryInstanceID\": \"${ri0}\"}", ""},
    {"drs", "DisconnectRecoveryInstance", "{\"recoveryInstanceID\": \"${ri0}\"}", ""},
    {"drs", "DescribeRecoveryInstances", "{}", ""},
};

#define PHASE(steps, advance_ms) {steps, sizeof steps / sizeof steps[0], advance_ms}
static const struct {
  const struct step *steps;
  size_t n;
  int64_t advance_ms; /* before the phase */
} PHASES[] = {PHASE(START, 0),          PHASE(MID, 60000),  PHASE(LAUNCHED, 20 * 60000), PHASE(STOPPING, 3000),
              PHASE(STOPPED, 10 * 60000), PHASE(ENDING, 5000), PHASE(AFTER, 60 * 60000)};

/* ${name} replaced by vars[name]. Caller frees. */
static char *expand(const char *in, const json_t *vars) {
  struct orch_buf b = ORCH_BUF_INIT(1 << 16);
  for (const char *p = in; *p;) {
    const char *d = strstr(p, "${");
    if (!d) {
      cr_assert_eq(orch_buf_puts(&b, p), 0);
      break;
    }
    cr_assert_eq(orch_buf_append(&b, p, (size_t)(d - p)), 0);
    const char *e = strchr(d, '}');
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)(e - d - 2), d + 2);
    const char *v = json_string_value(json_object_get(vars, name));
    cr_assert_not_null(v, "no value captured for ${%s} (in %s)", name, in);
    cr_assert_eq(orch_buf_puts(&b, v), 0);
    p = e + 1;
  }
  char *s = strdup(orch_buf_cstr(&b));
  orch_buf_free(&b);
  return s;
}

/* Send one step through the real request path; check the raw answer against the model; capture. */
static void run_step(struct orch_sim *sim, const struct step *st, json_t *vars, json_t *covered, int *problems,
                     struct orch_buf *report) {
  const struct orch_aws_service *svc = orch_aws_model_service(st->service);
  const struct orch_aws_operation *o = orch_aws_model_operation(svc, st->op);
  cr_assert_not_null(o, "%s:%s is not embedded", st->service, st->op);
  char *text = expand(st->input, vars);
  json_t *in = json_loads(text, 0, NULL);
  cr_assert_not_null(in, "step input is not JSON: %s", text);
  struct orch_http_request req = {0};
  struct orch_http_response resp = {0};
  struct orch_error err = {0};
  struct orch_aws_error aerr = {0};
  cr_assert_eq(orch_aws_proto_build_request(o, in, &req, &err), 0, "%s: %s %s", st->op, err.context, err.message);
  cr_assert_eq(orch_http_headers_set(&req.headers, "Host", "127.0.0.1:4566"), 0);
  bool s3 = strcmp(st->service, "s3") == 0;
  struct orch_sigv4_params p = {.mode = ORCH_SIGV4_HEADER, .access_key_id = ORCH_SIM_ACCESS_KEY_ID,
                                .secret_access_key = ORCH_SIM_SECRET_ACCESS_KEY, .region = "us-east-1",
                                .service = signing_name(st->service), .time_ms = orch_clock_now_ms(orch_clock_real()),
                                .sign_body = s3, .no_normalize = s3, .single_encode = s3};
  cr_assert_eq(orch_sigv4_sign(&req, &p, NULL, &err), 0);
  cr_assert_eq(orch_sim_handle(sim, &req, &resp), 0);
  cr_assert(resp.status >= 200 && resp.status < 300, "%s:%s %s -> HTTP %d %s", st->service, st->op, text, resp.status,
            orch_buf_cstr(&resp.body));
  struct mc m = {.problems = ORCH_BUF_INIT(1 << 16)};
  if (mc_check(&m, o, orch_buf_cstr(&resp.body), resp.body.len)) {
    *problems += m.n;
    cr_assert_eq(orch_buf_printf(report, "%s:%s (sim +%llds):\n%s", st->service, st->op,
                                 (long long)((orch_clock_now_ms(orch_sim_clock(sim)) - T0) / 1000),
                                 orch_buf_cstr(&m.problems)),
                 0);
  }
  orch_buf_free(&m.problems);
  json_t *out = NULL;
  cr_assert_eq(orch_aws_proto_parse_response(o, &resp, &out, &aerr, &err), 0, "%s: %s", st->op, err.message);
  char key[128];
  snprintf(key, sizeof key, "%s:%s", signing_name(st->service), st->op);
  json_object_set_new(covered, key, json_true());
  /* captures */
  char save[512];
  snprintf(save, sizeof save, "%s", st->save);
  for (char *tok = save; *tok;) {
    char *sp = strchr(tok, ' ');
    if (sp) *sp = '\0';
    char *eq = strchr(tok, '=');
    const json_t *v = jget(out, eq + 1);
    cr_assert(json_is_string(v), "%s: no string at %s", st->op, eq + 1);
    *eq = '\0';
    json_object_set_new(vars, tok, json_string(json_string_value(v)));
    tok = sp ? sp + 1 : tok + strlen(tok);
  }
  json_decref(out);
  json_decref(in);
  free(text);
  orch_http_request_free(&req);
  orch_http_response_free(&resp);
}

Test(sim_model, every_simulated_answer_fits_the_model_in_every_state) {
  struct orch_sim *sim = sim_open(NULL, REGION, 3);
  json_t *vars = json_object(), *covered = json_object();
  struct orch_buf report = ORCH_BUF_INIT(1 << 20);
  int problems = 0;
  for (size_t ph = 0; ph < sizeof PHASES / sizeof PHASES[0]; ph++) {
    if (PHASES[ph].advance_ms) orch_sim_advance(sim, PHASES[ph].advance_ms);
    for (size_t i = 0; i < PHASES[ph].n; i++) run_step(sim, &PHASES[ph].steps[i], vars, covered, &problems, &report);
  }
  cr_expect_eq(problems, 0, "%d answers do not fit the model:\n%s", problems, orch_buf_cstr(&report));

  /* Every handler the simulator has was called. */
  static const struct {
    const char *service;
    const struct orch_sim_op *ops;
  } tables[] = {{"drs", orch_sim_drs_ops}, {"drs", orch_sim_drs_instance_ops}, {"ec2", orch_sim_ec2_ops}, {"ssm", orch_sim_ssm_ops},
                {"sns", orch_sim_sns_ops}, {"sts", orch_sim_sts_ops}, {"servicequotas", orch_sim_quotas_ops},
                {"s3", orch_sim_s3_ops},   {"cloudfront", orch_sim_cloudfront_ops}};
  for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
    for (const struct orch_sim_op *op = tables[t].ops; op->name; op++) {
      char key[128];
      snprintf(key, sizeof key, "%s:%s", tables[t].service, op->name);
      cr_expect(json_object_get(covered, key), "%s is simulated but this test never calls it", key);
    }
  orch_buf_free(&report);
  json_decref(vars);
  json_decref(covered);
  orch_sim_stop(sim);
}
