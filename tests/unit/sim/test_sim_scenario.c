/* Scenario files: the shipped examples load; every validation error names its JSON path; defaults;
 * the 1,000-server scenario loads fast. Uses orch_sim_scenario, orch_sim_world. */
#include <criterion/criterion.h>
#include <time.h>
#include <unistd.h>

#include "sim/orch_sim_scenario.h"
#include "sim_test.h"

static struct orch_sim_world *build(const char *text, struct orch_error *err) {
  struct orch_sim_world *w = NULL;
  orch_json_init();
  json_t *sc = json_loads(text, 0, NULL);
  cr_assert_not_null(sc, "bad test JSON: %s", text);
  int rc = orch_sim_scenario_build(sc, 1, T0, &w, err);
  json_decref(sc);
  if (rc) return NULL;
  return w;
}

static void expect_error(const char *text, const char *context, const char *msg_part) {
  struct orch_error err = {0};
  struct orch_sim_world *w = build(text, &err);
  cr_assert_null(w, "accepted: %s", text);
  cr_expect_str_eq(err.context, context, "context of %s: %s", text, err.message);
  cr_expect(strstr(err.message, msg_part) != NULL, "message '%s' lacks '%s'", err.message, msg_part);
}

static size_t count_servers(const struct orch_sim_world *w) {
  size_t n = 0;
  for (size_t i = 0; i < w->envs.n; i++) n += ((struct orch_sim_env *)w->envs.items[i])->servers.n;
  return n;
}

static struct orch_sim_world *load_file(const char *name) {
  char path[1024];
  json_t *sc = NULL;
  struct orch_error err = {0};
  struct orch_sim_world *w = NULL;
  orch_json_init();
  cr_assert_eq(orch_sim_scenario_read(scenario_path(path, sizeof path, name), &sc, &err), 0, "%s", err.message);
  cr_assert_eq(orch_sim_scenario_build(sc, 7, T0, &w, &err), 0, "%s: %s", err.context, err.message);
  json_decref(sc);
  return w;
}

Test(sim_scenario, demo_loads_with_default_credentials) {
  struct orch_sim_world *w = load_file("three-tier-demo.json");
  cr_assert_eq(count_servers(w), 24);
  const struct orch_sim_credential *c = orch_sim_world_credential(w, ORCH_SIM_DEFAULT_ACCESS_KEY);
  cr_assert_not_null(c);
  cr_assert_str_eq(c->secret, ORCH_SIM_DEFAULT_SECRET);
  cr_assert_str_eq(w->accounts[c->account].id, ORCH_SIM_DEFAULT_ACCOUNT);
  struct orch_sim_env *e = w->envs.items[0];
  cr_assert_str_eq(e->region, "us-east-1");
  cr_assert_eq(e->nsubnets, 3);
  const struct orch_sim_server *s = ORCH_SIM_SERVER(e, 0);
  cr_assert_str_eq(s->hostname, "orders-db-1");
  cr_assert_eq(strlen(s->id), 19);
  cr_assert(strncmp(s->id, "s-", 2) == 0);
  cr_assert_str_eq(json_string_value(json_object_get(s->tags, "Tier")), "db");
  cr_assert_eq(s->nsnaps, 12);
  cr_assert(s->copy_private_ip);
  cr_assert(strstr(s->arn, ":drs:us-east-1:111122223333:source-server/s-") != NULL, "%s", s->arn);
  cr_assert(strncmp(s->arn, "arn:aws:", 8) == 0);
  orch_sim_world_free(w);
}

Test(sim_scenario, large_loads_under_a_second_over_two_accounts_and_regions) {
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  struct orch_sim_world *w = load_file("large-1000.json");
  clock_gettime(CLOCK_MONOTONIC, &b);
  double secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
  cr_assert_eq(count_servers(w), 1000);
  cr_assert_eq(w->envs.n, 4);
  cr_assert_eq(w->naccounts, 2);
  cr_assert_null(orch_sim_world_credential(w, ORCH_SIM_DEFAULT_ACCESS_KEY), "named keys replace the default");
  cr_assert_not_null(orch_sim_world_credential(w, "AKIASIMPAYEXAMPLE002"));
  cr_expect_lt(secs, 1.0, "1,000-server scenario took %.3f s", secs);
  orch_sim_world_free(w);
}

Test(sim_scenario, failures_scenario_loads_rules) {
  struct orch_sim_world *w = load_file("with-failures.json");
  cr_assert_eq(count_servers(w), 8);
  cr_assert_eq(w->faults.nlaunch, 2);
  cr_assert_eq(w->faults.nssm, 2);
  struct orch_sim_op_fault f = orch_sim_faults_lookup(&w->faults, "drs", "DescribeJobs");
  cr_assert_float_eq(f.throttle, 0.2, 1e-9);
  f = orch_sim_faults_lookup(&w->faults, "drs", "StartRecovery");
  cr_assert_eq(f.latency_ms, 50);
  struct orch_sim_env *e = w->envs.items[0];
  int i = orch_sim_idx_get(e->server_idx, "s-00000000000000db2");
  cr_assert_geq(i, 0);
  cr_assert_str_eq(ORCH_SIM_SERVER(e, i)->repl_state, "STALLED");
  orch_sim_world_free(w);
}

Test(sim_scenario, same_seed_same_ids) {
  struct orch_error err = {0};
  const char *text = "{\"regions\":[{\"region\":\"us-east-1\",\"server_groups\":[{\"count\":3,\"hostname\":\"h{n}\"}]}]}";
  struct orch_sim_world *a = build(text, &err), *b = build(text, &err);
  cr_assert_not_null(a);
  cr_assert_not_null(b);
  for (size_t i = 0; i < 3; i++)
    cr_assert_str_eq(ORCH_SIM_SERVER((struct orch_sim_env *)a->envs.items[0], i)->id,
                     ORCH_SIM_SERVER((struct orch_sim_env *)b->envs.items[0], i)->id);
  cr_assert_str_eq(ORCH_SIM_SERVER((struct orch_sim_env *)a->envs.items[0], 2)->hostname, "h3");
  orch_sim_world_free(a);
  orch_sim_world_free(b);
}

Test(sim_scenario, errors_name_the_path) {
  expect_error("[]", "(root)", "expected object");
  expect_error("{\"regoins\": []}", "regoins", "did you mean 'regions'");
  expect_error("{\"accounts\": [{\"id\": \"12345\"}]}", "accounts[0].id", "12 digits");
  expect_error("{\"accounts\": [{\"id\": \"111122223333\", \"access_keys\": [{\"id\": \"short\", \"secret\": \"x\"}]}]}",
               "accounts[0].access_keys[0].id", "access key id");
  expect_error("{\"regions\": [{\"region\": \"Mars\"}]}", "regions[0].region", "not a region name");
  expect_error("{\"regions\": [{\"region\": \"us-east-1\", \"account\": \"999999999999\"}]}", "regions[0].account",
               "not in 'accounts'");
  expect_error("{\"regions\": [{\"region\": \"us-east-1\", \"servers\": [{\"hostname\": \"a\", \"tags\": {\"Tier\": 3}}]}]}",
               "regions[0].servers[0].tags.Tier", "expected string");
  expect_error("{\"regions\": [{\"region\": \"us-east-1\", \"servers\": [{\"hostname\": \"a\", \"replication_state\": \"CONTINOUS\"}]}]}",
               "regions[0].servers[0].replication_state", "did you mean 'CONTINUOUS'");
  expect_error("{\"regions\": [{\"region\": \"us-east-1\", \"servers\": [{\"hostname\": \"a\", \"id\": \"s-123\"}]}]}",
               "regions[0].servers[0].id", "17 hex");
  expect_error("{\"regions\": [{\"region\": \"us-east-1\", \"servers\": [{\"hostname\": \"a\", \"id\": \"s-0000000000000000a\"},"
               "{\"hostname\": \"b\", \"id\": \"s-0000000000000000a\"}]}]}",
               "regions[0].servers[1].id", "listed twice");
  expect_error("{\"regions\": [{\"region\": \"us-east-1\", \"servers\": [{\"id\": \"s-0000000000000000a\"}]}]}",
               "regions[0].servers[0].hostname", "missing");
  expect_error("{\"timing\": {\"snapshot\": {\"min\": \"2m\", \"max\": \"1m\"}}}", "timing.snapshot", "min is greater");
  expect_error("{\"timing\": {\"boot\": \"soon\"}}", "timing.boot", "invalid duration");
  expect_error("{\"quotas\": {\"servers_per_jobs\": 5}}", "quotas.servers_per_jobs", "did you mean 'servers_per_job'");
  expect_error("{\"throttling\": {\"drs:DescribeJobs\": 2}}", "throttling.drs:DescribeJobs", "between 0 and 1");
  expect_error("{\"throttling\": {\"lambda:Invoke\": 0.1}}", "throttling.lambda:Invoke", "unknown service");
  expect_error("{\"failures\": {\"ssm\": [{\"status\": \"Done\"}]}}", "failures.ssm[0].status", "Success, Failed or TimedOut");
  expect_error("{\"failures\": {\"launch\": [{\"probability\": -1}]}}", "failures.launch[0].probability", "between 0 and 1");
  expect_error("{\"consistency\": {\"new_job\": \"5s\"}}", "consistency.new_job", "did you mean 'new_jobs'");
  expect_error("{\"consistency\": {\"new_jobs\": \"later\"}}", "consistency.new_jobs", "invalid duration");
  expect_error("{\"consistency\": {\"new_jobs\": \"2h\"}}", "consistency.new_jobs", "capped at 1h");
  expect_error("{\"regions\": [{\"region\": \"us-east-1\", \"subnets\": [{\"cidr\": \"10.0.0.0/33\"}]}]}",
               "regions[0].subnets[0].cidr", "CIDR");
  expect_error("{\"regions\": [{\"region\": \"us-east-1\", \"servers\": [{\"hostname\": \"a\", \"subnet\": \"subnet-nope\"}]}]}",
               "regions[0].servers[0].subnet", "no subnet");
}

#define DOCS(list) "{\"regions\": [{\"region\": \"us-east-1\", \"documents\": " list "}]}"

Test(sim_scenario, documents_defaults_and_errors) {
  struct orch_error err = {0};
  struct orch_sim_world *w =
      build(DOCS("[{\"name\": \"Acme-HealthCheck\"},"
                 " {\"name\": \"Acme.Restore_2\", \"type\": \"Automation\", \"format\": \"YAML\", \"status\": \"Creating\"},"
                 " {\"name\": \"Acme-Win\", \"platforms\": [\"Windows\"], \"description\": \"d\"}]"),
            &err);
  cr_assert_not_null(w, "%s: %s", err.context, err.message);
  struct orch_sim_env *e = w->envs.items[0];
  cr_assert_eq(e->ndocs, 3);
  cr_assert_str_eq(e->docs[0].name, "Acme-HealthCheck");
  cr_assert_str_eq(e->docs[0].type, "Command");
  cr_assert_str_eq(e->docs[0].format, "JSON");
  cr_assert_str_eq(e->docs[0].status, "Active");
  cr_assert_eq(e->docs[0].platforms, ORCH_SIM_PLATFORM_LINUX | ORCH_SIM_PLATFORM_MACOS,
               "a command runs where AWS-RunShellScript does");
  cr_assert_str_eq(e->docs[0].description, "");
  cr_assert_str_eq(e->docs[1].type, "Automation");
  cr_assert_str_eq(e->docs[1].format, "YAML");
  cr_assert_str_eq(e->docs[1].status, "Creating");
  cr_assert_eq(e->docs[1].platforms, ORCH_SIM_PLATFORM_WINDOWS | ORCH_SIM_PLATFORM_LINUX | ORCH_SIM_PLATFORM_MACOS);
  cr_assert_eq(e->docs[2].platforms, ORCH_SIM_PLATFORM_WINDOWS);
  cr_assert_str_eq(e->docs[2].description, "d");
  orch_sim_world_free(w);

  w = load_file("three-tier-demo.json");
  e = w->envs.items[0];
  cr_assert_eq(e->ndocs, 1);
  cr_assert_str_eq(e->docs[0].name, "Acme-HealthCheck");
  orch_sim_world_free(w);

  expect_error(DOCS("{}"), "regions[0].documents", "expected array");
  expect_error(DOCS("[\"Acme-HealthCheck\"]"), "regions[0].documents[0]", "expected object");
  expect_error(DOCS("[{\"type\": \"Command\"}]"), "regions[0].documents[0].name", "missing");
  expect_error(DOCS("[{\"name\": \"Acme HealthCheck\"}]"), "regions[0].documents[0].name", "3-128 letters");
  expect_error(DOCS("[{\"name\": \"ab\"}]"), "regions[0].documents[0].name", "3-128 letters");
  expect_error(DOCS("[{\"name\": \"aws-mine\"}]"), "regions[0].documents[0].name", "reserved for AWS");
  expect_error(DOCS("[{\"name\": \"AmazonThing\"}]"), "regions[0].documents[0].name", "reserved for AWS");
  expect_error(DOCS("[{\"name\": \"Acme-A\"}, {\"name\": \"Acme-B\"}, {\"name\": \"Acme-A\"}]"),
               "regions[0].documents[2].name", "listed twice");
  expect_error(DOCS("[{\"name\": \"Acme-A\", \"type\": \"Comand\"}]"), "regions[0].documents[0].type",
               "did you mean 'Command'");
  expect_error(DOCS("[{\"name\": \"Acme-A\", \"platform\": [\"Linux\"]}]"), "regions[0].documents[0].platform",
               "did you mean 'platforms'");
  expect_error(DOCS("[{\"name\": \"Acme-A\", \"platforms\": [\"Linux\", \"Linus\"]}]"),
               "regions[0].documents[0].platforms[1]", "did you mean 'Linux'");
  expect_error(DOCS("[{\"name\": \"Acme-A\", \"platforms\": [\"Linux\", \"Linux\"]}]"),
               "regions[0].documents[0].platforms[1]", "listed twice");
  expect_error(DOCS("[{\"name\": \"Acme-A\", \"platforms\": []}]"), "regions[0].documents[0].platforms",
               "at least one platform");
  expect_error(DOCS("[{\"name\": \"Acme-A\", \"platforms\": \"Linux\"}]"), "regions[0].documents[0].platforms",
               "expected array");
  expect_error(DOCS("[{\"name\": \"Acme-A\", \"format\": \"TEXT\"}]"), "regions[0].documents[0].format",
               "unknown value 'TEXT'");
  expect_error(DOCS("[{\"name\": \"Acme-A\", \"status\": \"Ready\"}]"), "regions[0].documents[0].status",
               "unknown value 'Ready'");
}

Test(sim_scenario, missing_file_and_bad_json_name_the_file) {
  json_t *sc = NULL;
  struct orch_error err = {0};
  cr_assert_neq(orch_sim_scenario_read("/nonexistent/s.json", &sc, &err), 0);
  cr_assert_str_eq(err.context, "/nonexistent/s.json");
  char path[] = "/tmp/sim_bad_XXXXXX";
  int fd = mkstemp(path);
  cr_assert_geq(fd, 0);
  cr_assert_eq(write(fd, "{\"regions\": [", 13), 13);
  close(fd);
  cr_assert_eq(orch_sim_scenario_read(path, &sc, &err), ORCH_EPARSE);
  cr_assert_str_eq(err.context, path);
  cr_assert(strstr(err.message, "line") != NULL, "%s", err.message);
  unlink(path);
}
