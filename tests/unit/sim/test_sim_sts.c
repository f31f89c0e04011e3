/* Temporary credentials: AssumeRole's Expiration (1 h by default, DurationSeconds within AWS's limits), expired
 * keys refused by every simulated service in its own words, and the AWS layer's credential cache, on the sim
 * clock, refreshing assumed-role credentials before they expire so a client keeps working for hours of sim
 * time; on another clock it recovers from the refusal by refreshing once. Uses orch_sim, orch_aws_client,
 * orch_aws_creds (through an in-process transport: orch_sim_handle). */
#include "aws/orch_aws_client.h"
#include "sim_test.h"

static const char *ACCOUNTS =
    "{\"accounts\": [{\"id\": \"111122223333\","
    "  \"access_keys\": [{\"id\": \"AKIASIMULATOREXAMPLE\", \"secret\": \"simulator/secret/EXAMPLEKEY\"}]},"
    " {\"id\": \"444455556666\", \"access_keys\": [{\"id\": \"AKIATARGETEXAMPLE0001\", \"secret\": \"t\"}],"
    "  \"roles\": [{\"name\": \"DRSOrchestratorRole\", \"external_id\": \"xyz\"},"
    "             {\"name\": \"Long\", \"max_session_duration\": \"2h\"}]}],"
    " \"regions\": [{\"account\": \"444455556666\", \"region\": \"us-east-1\", \"topics\": [\"dr\"],"
    "   \"server_groups\": [{\"count\": 2, \"hostname\": \"db-{n}\"}]}]}";

#define ROLE "arn:aws:iam::444455556666:role/DRSOrchestratorRole"
#define LONG_ROLE "arn:aws:iam::444455556666:role/Long"

struct temp_creds {
  char akid[32], secret[64], token[256];
  struct sim_creds c;
};

/* AssumeRole as `as`, with DurationSeconds `seconds` (0: none); the HTTP status, and the keys into tc. */
static int assume(struct orch_sim *sim, const struct sim_creds *as, const char *arn, int seconds,
                  struct temp_creds *tc, json_t **out) {
  json_t *in = json_pack("{s:s, s:s, s:s}", "RoleArn", arn, "RoleSessionName", "drsorch", "ExternalId", "xyz");
  if (seconds) json_object_set_new(in, "DurationSeconds", json_integer(seconds));
  int status = sim_call_as(sim, as, "sts", "AssumeRole", in, out, 0);
  json_decref(in);
  if (status == 200) {
    snprintf(tc->akid, sizeof tc->akid, "%s", jstr(*out, "Credentials.AccessKeyId"));
    snprintf(tc->secret, sizeof tc->secret, "%s", jstr(*out, "Credentials.SecretAccessKey"));
    snprintf(tc->token, sizeof tc->token, "%s", jstr(*out, "Credentials.SessionToken"));
    tc->c = (struct sim_creds){tc->akid, tc->secret, tc->token, "us-east-1"};
  }
  return status;
}

static int64_t expiration(const json_t *out) {
  int64_t ms = 0;
  cr_assert_eq(orch_time_parse_iso8601(jstr(out, "Credentials.Expiration"), &ms), 0);
  return ms;
}

static const struct {
  const char *service, *op, *input;
  int status;
  const char *expired_code;
} EVERY[] = {
    {"drs", "DescribeJobs", "{}", 403, "ExpiredTokenException"},
    {"ssm", "DescribeInstanceInformation", "{}", 403, "ExpiredTokenException"},
    {"service-quotas", "ListServiceQuotas", "{\"ServiceCode\": \"drs\"}", 403, "ExpiredTokenException"},
    {"ec2", "DescribeInstances", "{}", 400, "RequestExpired"},
    {"sns", "Publish", "{\"TopicArn\": \"arn:aws:sns:us-east-1:444455556666:dr\", \"Message\": \"m\"}", 403,
     "ExpiredToken"},
    {"sts", "GetCallerIdentity", "{}", 403, "ExpiredToken"},
};

Test(sim_sts, assumed_role_keys_expire_after_an_hour_on_every_service) {
  struct orch_sim *sim = sim_open(NULL, ACCOUNTS, 1);
  struct temp_creds tc;
  json_t *out = NULL, *in;
  cr_assert_eq(assume(sim, &DEFAULT_CREDS, ROLE, 0, &tc, &out), 200);
  cr_assert_eq(expiration(out), T0 + 3600000, "AWS's default is one hour");
  json_decref(out);
  for (size_t i = 0; i < sizeof EVERY / sizeof EVERY[0]; i++) {
    in = json_loads(EVERY[i].input, 0, NULL);
    int st = sim_call_as(sim, &tc.c, EVERY[i].service, EVERY[i].op, in, &out, 0);
    cr_assert_eq(st, 200, "%s:%s before expiry: %d %s", EVERY[i].service, EVERY[i].op, st, jstr(out, "code"));
    json_decref(out);
    json_decref(in);
  }
  orch_sim_advance(sim, 3600000 - 1);
  cr_assert_eq(sim_call_as(sim, &tc.c, "sts", "GetCallerIdentity", NULL, &out, 0), 200, "valid until Expiration");
  json_decref(out);
  orch_sim_advance(sim, 1);
  for (size_t i = 0; i < sizeof EVERY / sizeof EVERY[0]; i++) {
    in = json_loads(EVERY[i].input, 0, NULL);
    int st = sim_call_as(sim, &tc.c, EVERY[i].service, EVERY[i].op, in, &out, 0);
    cr_assert_eq(st, EVERY[i].status, "%s:%s after expiry: HTTP %d", EVERY[i].service, EVERY[i].op, st);
    cr_assert_str_eq(jstr(out, "code"), EVERY[i].expired_code, "%s:%s", EVERY[i].service, EVERY[i].op);
    json_decref(out);
    json_decref(in);
  }
  /* The long-term keys are not affected. */
  json_decref(sim_ok(sim, "sts", "GetCallerIdentity", NULL));
  orch_sim_stop(sim);
}

Test(sim_sts, duration_seconds_within_aws_limits) {
  struct orch_sim *sim = sim_open(NULL, ACCOUNTS, 1);
  struct temp_creds tc, chained;
  json_t *out = NULL;
  /* 15 minutes is the least (the model's minimum, which the client itself enforces); a role allows its MaxSessionDuration, 1 h unless set. */
  cr_assert_eq(assume(sim, &DEFAULT_CREDS, ROLE, 900, &tc, &out), 200);
  cr_assert_eq(expiration(out), T0 + 900000);
  json_decref(out);
  cr_assert_eq(assume(sim, &DEFAULT_CREDS, ROLE, 7200, &tc, &out), 400);
  cr_assert(strstr(jstr(out, "message"), "MaxSessionDuration"), "%s", jstr(out, "message"));
  json_decref(out);
  cr_assert_eq(assume(sim, &DEFAULT_CREDS, LONG_ROLE, 7200, &tc, &out), 200);
  cr_assert_eq(expiration(out), T0 + 7200000);
  json_decref(out);
  cr_assert_eq(assume(sim, &DEFAULT_CREDS, LONG_ROLE, 7201, &tc, &out), 400);
  json_decref(out);
  /* Role chaining: an assumed role may assume another for at most one hour. */
  cr_assert_eq(assume(sim, &tc.c, LONG_ROLE, 3601, &chained, &out), 400);
  cr_assert(strstr(jstr(out, "message"), "role chaining"), "%s", jstr(out, "message"));
  json_decref(out);
  cr_assert_eq(assume(sim, &tc.c, LONG_ROLE, 3600, &chained, &out), 200);
  json_decref(out);
  orch_sim_stop(sim);
}

/* ---- the AWS layer over an in-process transport ---- */

static long long calls_of(struct orch_sim *sim, const char *key) {
  json_t *c = orch_sim_calls(sim);
  long long n = json_integer_value(json_object_get(json_object_get(json_object_get(c, "operations"), key), "calls"));
  json_decref(c);
  return n;
}

struct rig {
  struct orch_sim *sim;
  struct orch_http_transport tr;
  struct orch_aws_creds *base, *role;
  struct orch_aws_client *client;
};

/* A client of account 444455556666 through AssumeRole, whose credential cache reads the sim clock (or the real
 * one, which knows nothing of sim time). Requests are signed with the real clock, as the simulator checks. */
static void rig_up(struct rig *r, bool cache_on_sim_clock) {
  struct orch_error err = {0};
  r->sim = sim_open(NULL, ACCOUNTS, 1);

  r->tr = (struct orch_http_transport){.ops = &SIM_TRANSPORT, .ctx = r->sim};
  cr_assert_eq(orch_aws_creds_static(ORCH_SIM_ACCESS_KEY_ID, ORCH_SIM_SECRET_ACCESS_KEY, NULL, &r->base), 0);
  struct orch_aws_assume_role role = {.role_arn = ROLE, .external_id = "xyz", .session_name = "drsorch"};
  struct orch_aws_creds_options o = {.region = "us-east-1", .endpoint_url = "http://127.0.0.1:4566",
                                     .expiry_clock = cache_on_sim_clock ? orch_sim_clock(r->sim) : NULL,
                                     .transport = &r->tr, .sleep_ms = sim_no_sleep};
  cr_assert_eq(orch_aws_creds_assume_role(r->base, true, &role, &o, &r->role, &err), 0, "%s", err.message);
  struct orch_aws_client_config cc = {.region = "us-east-1", .creds = r->role, .endpoint_url = "http://127.0.0.1:4566",
                                      .transport = &r->tr, .sleep_ms = sim_no_sleep, .no_ratelimit = true};
  cr_assert_eq(orch_aws_client_new(&cc, &r->client, &err), 0, "%s", err.message);
}

static void rig_down(struct rig *r) {
  orch_aws_client_free(r->client);
  orch_aws_creds_free(r->role);
  orch_sim_stop(r->sim);
}

static void call_ok(struct rig *r, const char *service, const char *op, const char *input) {
  struct orch_error err = {0};
  struct orch_aws_error aerr = {0};
  json_t *in = json_loads(input, 0, NULL), *out = NULL;
  int rc = orch_aws_call(r->client, service, op, in, &out, &aerr, &err);
  cr_assert_eq(rc, 0, "%s:%s at sim %lld: %s %s", service, op,
               (long long)(orch_clock_now_ms(orch_sim_clock(r->sim)) - T0), aerr.code, err.message);
  json_decref(in);
  json_decref(out);
}

/* Three hours of sim time in 7-minute steps: the cache, on the sim clock, assumes the role again in the last
 * five minutes of each hour, so no call is ever refused (every call reached the service exactly once). */
Test(sim_sts, a_client_keeps_working_across_hours_of_sim_time) {
  struct rig r;
  rig_up(&r, true);
  int steps = 0;
  for (int64_t t = 0; t <= 3 * 3600000; t += 7 * 60000, steps++) {
    if (t) orch_sim_advance(r.sim, 7 * 60000);
    call_ok(&r, "drs", "DescribeJobs", "{}");
    call_ok(&r, "ec2", "DescribeInstances", "{}");
  }
  cr_assert_eq(calls_of(r.sim, "drs:DescribeJobs"), steps, "a DescribeJobs was refused and sent again");
  cr_assert_eq(calls_of(r.sim, "ec2:DescribeInstances"), steps);
  /* 0, 56, 112 and 168 minutes: the first step inside each credential's last five minutes. */
  cr_assert_eq(calls_of(r.sim, "sts:AssumeRole"), 4);
  rig_down(&r);
}

/* A cache that does not know sim time learns of the expiry from the service: ExpiredTokenException (and
 * EC2's RequestExpired) make the client drop the cached keys, assume the role again and send once more. */
Test(sim_sts, an_expired_token_answer_refreshes_once_and_the_call_succeeds) {
  struct rig r;
  rig_up(&r, false);
  call_ok(&r, "drs", "DescribeJobs", "{}");
  orch_sim_advance(r.sim, 3600000);
  call_ok(&r, "drs", "DescribeJobs", "{}");
  cr_assert_eq(calls_of(r.sim, "drs:DescribeJobs"), 3, "the refused attempt, then the one with fresh keys");
  cr_assert_eq(calls_of(r.sim, "sts:AssumeRole"), 2);
  orch_sim_advance(r.sim, 3600000);
  call_ok(&r, "ec2", "DescribeInstances", "{}");
  cr_assert_eq(calls_of(r.sim, "ec2:DescribeInstances"), 2);
  cr_assert_eq(calls_of(r.sim, "sts:AssumeRole"), 3);
  rig_down(&r);
}
