/* test_api_resources: protection groups (create, filters, ETag and If-Match with 412, membership conflicts
 * naming the other group, delete refused while a plan uses the group, servers resolved against the
 * simulated DRS), plans (create with the report on problems, name rules, versions with If-Match, the wave
 * graph, diff, validate = `drsorch validate --format json`, delete rules), DRS discovery and quotas, target
 * accounts (AssumeRole checked first), and the audit entry every change leaves. Uses api_harness. */
#define _GNU_SOURCE
#include "api_harness.h"

static struct api_h h;
static struct api_r r;

static void setup(void) {
  ah_start(&h, NULL, false, 0);
  ah_r_init(&r);
}
static void teardown(void) {
  ah_r_release(&r);
  ah_stop(&h);
}

TestSuite(resources, .init = setup, .fini = teardown, .timeout = 120);

#define GROUP_DB                                                                                                   \
  "{\"name\": \"orders-db\", \"account\": \"111122223333\", \"region\": \"us-east-1\", \"selector\": {\"tags\": " \
  "{\"App\": \"orders\", \"Tier\": \"db\"}}}"

static const char PLAN[] = "{\"source\": \"return plan { name = \\\"orders\\\", description = \\\"the orders app\\\", waves = {"
                           " wave \\\"db\\\" { servers = group \\\"orders-db\\\" } } }\"}";
static const char PLAN_V2[] = "{\"source\": \"return plan { name = \\\"orders\\\", waves = {"
                              " wave \\\"db\\\" { servers = group \\\"orders-db\\\" },"
                              " wave \\\"web\\\" { depends_on = { \\\"db\\\" }, servers = tags { Tier = \\\"web\\\" },"
                              " approval = \\\"go?\\\" } } }\"}";

static void location_id(char *out, size_t n) {
  char loc[200];
  cr_assert(orch_api_response_header(&r.raw, "Location", loc, sizeof loc), "no Location: %s", r.text);
  snprintf(out, n, "%s", strrchr(loc, '/') + 1);
}

Test(resources, protection_groups) {
  char id[64], path[128], v[64];
  ah_req(&h, &r, "POST", "/api/v1/protection-groups", h.admin, GROUP_DB, NULL);
  AH_STATUS(&r, 201);
  location_id(id, sizeof id);
  cr_assert_str_eq(ah_str(&r, "id"), id);
  cr_assert(orch_api_response_header(&r.raw, "ETag", v, sizeof v));
  cr_assert_str_eq(v, "\"1\"");
  ah_req(&h, &r, "POST", "/api/v1/protection-groups", h.admin, GROUP_DB, NULL);
  AH_STATUS(&r, 409);
  ah_envelope(&r, "AlreadyExists");
  ah_req(&h, &r, "POST", "/api/v1/protection-groups", h.admin,
         "{\"name\": \"a\", \"account\": \"111122223333\", \"region\": \"us-east-1\", \"selector\": {\"server_ids\": [\"s-00000000000000001\"]}}",
         NULL);
  AH_STATUS(&r, 201);
  ah_req(&h, &r, "POST", "/api/v1/protection-groups", h.admin,
         "{\"name\": \"b\", \"account\": \"111122223333\", \"region\": \"us-east-1\", \"selector\": {\"server_ids\": [\"s-00000000000000001\"]}}",
         NULL);
  AH_STATUS(&r, 409);
  cr_assert(strstr(ah_str(&r, "error.message"), "'a'"), "the other group is named: %s", r.text);
  ah_req(&h, &r, "GET", "/api/v1/protection-groups?name=DB", h.admin, NULL, NULL);
  AH_STATUS(&r, 200);
  cr_assert_eq(json_array_size(json_object_get(r.body, "items")), 1);
  cr_assert_str_eq(ah_str(&r, "items.0.name"), "orders-db");

  snprintf(path, sizeof path, "/api/v1/protection-groups/%s", id);
  const char *update = "{\"name\": \"orders-db\", \"account\": \"111122223333\", \"region\": \"us-east-1\","
                       " \"selector\": {\"tags\": {\"Tier\": \"db\"}}, \"launch_overrides\": {\"copyTags\": true}}";
  ah_req(&h, &r, "PUT", path, h.admin, update, "If-Match", "\"1\"", NULL);
  AH_STATUS(&r, 200);
  cr_assert_eq(json_integer_value(json_object_get(r.body, "version")), 2);
  ah_req(&h, &r, "PUT", path, h.admin, update, "If-Match", "\"1\"", NULL);
  AH_STATUS(&r, 412);
  ah_envelope(&r, "PreconditionFailed");
  ah_req(&h, &r, "PUT", path, h.admin, update, "If-Match", "soon", NULL);
  AH_STATUS(&r, 400);
  ah_req(&h, &r, "PUT", path, h.admin, update, "If-Match", "W/\"2\"", NULL);
  AH_STATUS(&r, 200);
  ah_req(&h, &r, "GET", path, h.token[4], NULL, NULL);
  AH_STATUS(&r, 200);
  cr_assert(orch_api_response_header(&r.raw, "ETag", v, sizeof v) && strcmp(v, "\"3\"") == 0, "%s", v);

  /* resolved against the simulated DRS: the scenario has 4 database servers */
  char sp[160];
  snprintf(sp, sizeof sp, "%s/servers", path);
  ah_req(&h, &r, "GET", sp, h.token[4], NULL, NULL);
  AH_STATUS(&r, 200);
  cr_assert_eq(json_array_size(json_object_get(r.body, "servers")), 4, "%s", r.text);
  cr_assert_str_eq(ah_str(&r, "servers.0.groups.0"), "orders-db");
  cr_assert(orch_str_starts_with(ah_str(&r, "servers.0.hostname"), "orders-db-"));

  /* a plan naming it keeps it */
  ah_req(&h, &r, "POST", "/api/v1/plans", h.admin, PLAN, NULL);
  AH_STATUS(&r, 201);
  ah_req(&h, &r, "DELETE", path, h.admin, NULL, NULL);
  AH_STATUS(&r, 409);
  cr_assert(strstr(ah_str(&r, "error.message"), "orders"), "%s", r.text);
  ah_req(&h, &r, "GET", "/api/v1/audit?action=group.update", h.admin, NULL, NULL);
  cr_assert_eq(json_integer_value(json_object_get(json_object_get(json_array_get(json_object_get(r.body, "items"), 0), "details"), "after")), 3);
}

Test(resources, plans_and_versions) {
  char id[64], path[200], v[64];
  ah_req(&h, &r, "POST", "/api/v1/protection-groups", h.admin, GROUP_DB, NULL);
  ah_req(&h, &r, "POST", "/api/v1/plans", h.admin, "{\"source\": \"return plan { name = \\\"x\\\", waves = {} }\"}", NULL);
  AH_STATUS(&r, 422);
  ah_envelope(&r, "PlanInvalid");
  cr_assert_eq(json_is_false(json_object_get(json_object_get(json_object_get(r.body, "error"), "details"), "ok")), 1, "%s", r.text);
  ah_req(&h, &r, "POST", "/api/v1/plans", h.admin, "{\"name\": \"other\", \"source\": \"return plan { name = \\\"orders\\\", waves = { wave \\\"db\\\" { servers = group \\\"orders-db\\\" } } }\"}", NULL);
  AH_STATUS(&r, 422);
  ah_req(&h, &r, "POST", "/api/v1/plans", h.admin, PLAN, NULL);
  AH_STATUS(&r, 201);
  location_id(id, sizeof id);
  cr_assert_str_eq(ah_str(&r, "plan.description"), "the orders app");
  cr_assert_str_eq(ah_str(&r, "version.graph.nodes.0.id"), "db");
  ah_req(&h, &r, "POST", "/api/v1/plans", h.admin, PLAN, NULL);
  AH_STATUS(&r, 409);

  snprintf(path, sizeof path, "/api/v1/plans/%s/versions", id);
  ah_req(&h, &r, "POST", path, h.admin, PLAN_V2, "If-Match", "\"1\"", NULL);
  AH_STATUS(&r, 201);
  cr_assert_eq(json_integer_value(json_object_get(r.body, "version")), 2);
  cr_assert(orch_api_response_header(&r.raw, "ETag", v, sizeof v) && strcmp(v, "\"2\"") == 0);
  cr_assert_str_eq(ah_str(&r, "graph.nodes.1.approval"), "go?");
  cr_assert_str_eq(ah_str(&r, "graph.edges.0.from"), "db");
  cr_assert_eq(json_integer_value(json_object_get(json_array_get(json_object_get(json_object_get(r.body, "graph"), "nodes"), 1), "level")), 1);
  ah_req(&h, &r, "POST", path, h.admin, PLAN_V2, "If-Match", "\"1\"", NULL);
  AH_STATUS(&r, 412);
  ah_req(&h, &r, "POST", path, h.admin, "{\"source\": \"return plan { name = \\\"renamed\\\", waves = { wave \\\"db\\\" { servers = group \\\"orders-db\\\" } } }\"}", NULL);
  AH_STATUS(&r, 422);
  snprintf(path, sizeof path, "/api/v1/plans/%s/versions/1/diff?to=2", id);
  ah_req(&h, &r, "GET", path, h.token[4], NULL, NULL);
  AH_STATUS(&r, 200);
  cr_assert_str_eq(ah_str(&r, "waves.added.0"), "web");
  cr_assert_eq(json_array_size(json_object_get(json_object_get(r.body, "waves"), "removed")), 0);
  cr_assert_str_eq(ah_str(&r, "dependencies.added.0.to"), "web");
  cr_assert(strstr(ah_str(&r, "source_diff"), "--- version 1\n+++ version 2\n@@ -1 +1 @@\n-return plan"), "%s", r.text);
  snprintf(path, sizeof path, "/api/v1/plans/%s/versions/1/diff", id);
  ah_req(&h, &r, "GET", path, h.token[4], NULL, NULL);
  AH_STATUS(&r, 400);
  snprintf(path, sizeof path, "/api/v1/plans/%s/versions/9", id);
  ah_req(&h, &r, "GET", path, h.token[4], NULL, NULL);
  AH_STATUS(&r, 404);
  snprintf(path, sizeof path, "/api/v1/plans/%s/versions/x1", id);
  ah_req(&h, &r, "GET", path, h.token[4], NULL, NULL);
  AH_STATUS(&r, 400);
  snprintf(path, sizeof path, "/api/v1/plans/%s/versions?limit=1", id);
  ah_req(&h, &r, "GET", path, h.token[4], NULL, NULL);
  cr_assert_eq(json_integer_value(json_object_get(json_array_get(json_object_get(r.body, "items"), 0), "version")), 2);
  cr_assert(ah_str(&r, "next_cursor")[0]);

  snprintf(path, sizeof path, "/api/v1/plans/%s", id);
  ah_req(&h, &r, "DELETE", path, h.token[1], NULL, NULL);
  AH_STATUS(&r, 204);
  ah_req(&h, &r, "GET", path, h.token[1], NULL, NULL);
  AH_STATUS(&r, 404);
  ah_req(&h, &r, "GET", "/api/v1/audit?action=plan.delete", h.admin, NULL, NULL);
  cr_assert_str_eq(ah_str(&r, "items.0.actor"), "token:test-PlanAuthor");
}

/* POST /plans/validate answers what `drsorch validate --format json` prints for the same source. */
Test(resources, validate_matches_the_cli) {
  char file[300], cmd[700];
  snprintf(file, sizeof file, "%s/plan.lua", h.rig.dir);
  FILE *f = fopen(file, "w");
  fputs("return plan {\n  name = \"p\",\n  waves = {\n    wave \"a\" { servers = tags { X = \"1\" }, depnds_on = {} },\n  },\n}\n", f);
  fclose(f);
  snprintf(cmd, sizeof cmd, "cd %s && %s/drsorch validate plan.lua --format json > out.json", h.rig.dir, getenv("ORCH_BINARY_DIR"));
  cr_assert_neq(system(cmd), -1);
  snprintf(file, sizeof file, "%s/out.json", h.rig.dir);
  struct orch_error err = {0};
  struct orch_buf cli = ORCH_BUF_INIT(0);
  cr_assert_eq(orch_plan_read_file(file, 1 << 20, &cli, &err), 0, "%s", err.message);
  json_t *want = orch_json_parse(cli.data, cli.len, 0, &err);
  cr_assert_not_null(want, "%s", err.message);
  ah_req(&h, &r, "POST", "/api/v1/plans/validate", h.token[1],
         "{\"file\": \"plan.lua\", \"source\": \"return plan {\\n  name = \\\"p\\\",\\n  waves = {\\n    wave \\\"a\\\" { servers = tags { X = \\\"1\\\" }, depnds_on = {} },\\n  },\\n}\\n\"}",
         NULL);
  AH_STATUS(&r, 200);
  char a[4096], b[4096];
  cr_assert(json_equal(r.body, want), "API %s\nCLI %s", ah_dump(r.body, a, sizeof a), ah_dump(want, b, sizeof b));
  cr_assert_eq(json_integer_value(json_object_get(json_array_get(json_object_get(r.body, "problems"), 0), "line")), 4);
  json_decref(want);
  orch_buf_free(&cli);
}

Test(resources, drs_discovery_and_quotas) {
  ah_req(&h, &r, "GET", "/api/v1/drs/source-servers?tag=Tier=web&limit=5", h.token[4], NULL, NULL);
  AH_STATUS(&r, 200);
  cr_assert_eq(json_array_size(json_object_get(r.body, "items")), 5, "%s", r.text);
  cr_assert_str_eq(ah_str(&r, "next_cursor"), "5");
  cr_assert_str_eq(ah_str(&r, "items.0.tags.Tier"), "web");
  cr_assert_str_eq(ah_str(&r, "items.0.account"), "111122223333");
  cr_assert(ah_str(&r, "items.0.replication_state")[0]);
  cr_assert(json_is_number(json_object_get(json_array_get(json_object_get(r.body, "items"), 0), "lag_seconds")), "%s", r.text);
  ah_req(&h, &r, "GET", "/api/v1/drs/source-servers?tag=Tier=web&limit=5&cursor=10", h.token[4], NULL, NULL);
  AH_STATUS(&r, 200);
  cr_assert_eq(json_array_size(json_object_get(r.body, "items")), 2, "12 web servers");
  cr_assert_null(json_string_value(json_object_get(r.body, "next_cursor")));
  ah_req(&h, &r, "GET", "/api/v1/drs/source-servers?hostname=ORDERS-DB", h.token[4], NULL, NULL);
  cr_assert_eq(json_array_size(json_object_get(r.body, "items")), 4);
  ah_req(&h, &r, "GET", "/api/v1/drs/source-servers?tag=nonsense", h.token[4], NULL, NULL);
  AH_STATUS(&r, 400);
  ah_req(&h, &r, "GET", "/api/v1/drs/quotas", h.token[4], NULL, NULL);
  AH_STATUS(&r, 200);
  cr_assert_eq(json_array_size(json_object_get(r.body, "quotas")), 6, "AWS's six DRS quotas: %s", r.text);
  bool servers_counted = false;
  size_t i;
  json_t *q;
  json_array_foreach(json_object_get(r.body, "quotas"), i, q)
    if (strcasestr(json_string_value(json_object_get(q, "name")), "total source servers"))
      servers_counted = json_number_value(json_object_get(q, "usage")) == 24;
  cr_assert(servers_counted, "the account's 24 source servers are the use of its source-server quota: %s", r.text);
  ah_req(&h, &r, "GET", "/api/v1/drs/recovery-instances", h.token[4], NULL, NULL);
  AH_STATUS(&r, 200);
  ah_req(&h, &r, "GET", "/api/v1/drs/source-servers?region=eu-west-1", h.token[4], NULL, NULL);
  cr_assert(r.status == 200 || r.status == 502, "%d %s", r.status, r.text);
}

Test(resources, target_accounts) {
  ah_req(&h, &r, "POST", "/api/v1/accounts", h.admin,
         "{\"account_id\": \"999988887777\", \"role_arn\": \"arn:aws:iam::999988887777:role/DRS\"}", NULL);
  AH_STATUS(&r, 422);
  cr_assert(strstr(ah_str(&r, "error.message"), "999988887777"), "%s", r.text);
  ah_req(&h, &r, "POST", "/api/v1/accounts", h.admin,
         "{\"account_id\": \"111122223333\", \"role_arn\": \"arn:aws:iam::444455556666:role/DRS\"}", NULL);
  AH_STATUS(&r, 422); /* the role is in another account: refused before any call */
  ah_req(&h, &r, "POST", "/api/v1/accounts", h.admin,
         "{\"account_id\": \"111122223333\", \"name\": \"home\", \"role_arn\": \"arn:aws:iam::111122223333:role/DRSOrchestratorCrossAccount\", \"external_id\": \"drs-1\"}",
         NULL);
  AH_STATUS(&r, 201);
  cr_assert(strstr(ah_str(&r, "caller_arn"), "assumed-role/DRSOrchestratorCrossAccount"), "%s", r.text);
  ah_req(&h, &r, "POST", "/api/v1/accounts", h.admin,
         "{\"account_id\": \"111122223333\", \"role_arn\": \"arn:aws:iam::111122223333:role/DRS\"}", NULL);
  AH_STATUS(&r, 409);
  /* discovery in the stored account goes through its role */
  ah_req(&h, &r, "GET", "/api/v1/drs/source-servers?account=111122223333&refresh=true&limit=1", h.token[4], NULL, NULL);
  AH_STATUS(&r, 200);
  ah_req(&h, &r, "GET", "/api/v1/accounts", h.token[4], NULL, NULL);
  cr_assert_str_eq(ah_str(&r, "items.0.external_id"), "drs-1");
  ah_req(&h, &r, "GET", "/api/v1/accounts/12", h.token[4], NULL, NULL);
  AH_STATUS(&r, 400);
  ah_req(&h, &r, "DELETE", "/api/v1/accounts/111122223333", h.admin, NULL, NULL);
  AH_STATUS(&r, 204);
  ah_req(&h, &r, "GET", "/api/v1/accounts/111122223333", h.token[4], NULL, NULL);
  AH_STATUS(&r, 404);
  ah_req(&h, &r, "GET", "/api/v1/audit?target=account/111122223333", h.admin, NULL, NULL);
  cr_assert_eq(json_array_size(json_object_get(r.body, "items")), 2);
}
