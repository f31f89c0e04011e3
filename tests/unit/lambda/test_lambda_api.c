/* test_lambda_api: API Gateway proxy events through the Lambda handler, as the deployed API function gets
 * them behind the Cognito authorizer: the caller is the authorizer's verified claims (user from username or
 * cognito:username, roles from cognito:groups through auth.cognito_groups, in a REST API's "a,b" form and
 * an HTTP API's "[a b]"), recorded as such in the audit log; claims win over whatever Authorization says (a
 * forged JWT, even a valid Admin API token); a user in no mapped group gets 403 saying so; without claims
 * the request's own credentials count (none: 401). Uses orch_lambda, orch_api, a scratch sqlite store. */
#include <criterion/criterion.h>

#include "scratch_dir.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/orch_api_secret.h"
#include "api/orch_api_users.h"
#include "core/orch_json.h"
#include "lambda/orch_lambda.h"
#include "store/orch_store.h"

#define GROUPS "auth.cognito_groups=Admin=Admin,PlanAuthor=PlanAuthor,Operator=Operator,Approver=Approver,Viewer=Viewer"

static char dir[64];
static struct orch_store *store;
static struct orch_config *cfg;
static struct orch_api *api;
static struct orch_lambda_backend backend;
static struct orch_lambda_env env;

static void setup(void) {
  orch_json_init();
  scratch_dir_make(dir, sizeof dir, "/tmp", "lambda-api");
  char spec[128];
  snprintf(spec, sizeof spec, "sqlite:%s/drsorch.db", dir);
  struct orch_error err = {0};
  cr_assert_eq(orch_store_open(spec, NULL, &store, &err), 0, "%s", err.message);
  cr_assert_eq(orch_config_new(&cfg), 0);
  cr_assert_eq(orch_config_set_pair(cfg, GROUPS, "test", &err), 0, "%s", err.message);
  cr_assert_eq(orch_config_set_pair(cfg, "server.token_rate_limit=0", "test", &err), 0, "%s", err.message);
  struct orch_api_config ac = {.settings = cfg, .store = store, .listen_address = "lambda"};
  cr_assert_eq(orch_api_new(&ac, &api, &err), 0, "%s", err.message);
  backend = (struct orch_lambda_backend){.store = store, .api = api};
  env = (struct orch_lambda_env){.cfg = cfg, .backend = &backend};
}

static void teardown(void) {
  orch_api_free(api);
  orch_store_close(store);
  orch_config_free(cfg);
  scratch_dir_remove(dir);
}

TestSuite(lambda_api, .init = setup, .fini = teardown, .timeout = 60);

/* The proxy response's status, and its body parsed into *body (caller frees). `claims` is JSON text or
 * NULL (no authorizer), `authorization` a header value or NULL. */
static int call(const char *method, const char *path, const char *claims, const char *authorization, const char *body_text,
                json_t **body) {
  json_t *event = json_pack("{s:s, s:s, s:{s:s}, s:{s:{s:s}}}", "httpMethod", method, "path", path, "headers",
                            "Content-Type", "application/json", "requestContext", "identity", "sourceIp", "192.0.2.1");
  cr_assert(event);
  if (authorization) json_object_set_new(json_object_get(event, "headers"), "Authorization", json_string(authorization));
  if (body_text) json_object_set_new(event, "body", json_string(body_text));
  if (claims) {
    json_t *c = json_loads(claims, 0, NULL);
    cr_assert(c, "claims parse: %s", claims);
    json_object_set_new(json_object_get(event, "requestContext"), "authorizer", json_pack("{s:o}", "claims", c));
  }
  char *text = json_dumps(event, 0);
  json_decref(event);
  struct orch_lambda_result res;
  int rc = orch_lambda_invoke(&env, text, strlen(text), NULL, &res);
  free(text);
  cr_assert_eq(rc, 0, "invocation failed: %s", res.error.message);
  json_t *resp = json_loads(res.response, 0, NULL);
  cr_assert(resp, "%s", res.response);
  int status = (int)json_integer_value(json_object_get(resp, "statusCode"));
  *body = json_loads(json_string_value(json_object_get(resp, "body")), 0, NULL);
  json_decref(resp);
  orch_lambda_result_release(&res);
  return status;
}

static const char *str_at(const json_t *j, const char *a, const char *b) {
  const json_t *v = json_object_get(j, a);
  if (b) v = json_object_get(v, b);
  return json_is_string(v) ? json_string_value(v) : "";
}

/* An access token's claims as a REST API's authorizer hands them over: every value a string. */
#define ACCESS(groups) "{\"sub\": \"5a1e\", \"username\": \"alice\", \"token_use\": \"access\", \"scope\": \"openid\", " \
                       "\"client_id\": \"c1\", \"cognito:groups\": \"" groups "\"}"

Test(lambda_api, claims_are_the_caller_and_groups_its_roles) {
  json_t *b = NULL;
  cr_assert_eq(call("GET", "/api/v1/me", ACCESS("Operator,Approver"), NULL, NULL, &b), 200);
  cr_assert_str_eq(str_at(b, "name", NULL), "cognito:alice");
  cr_assert_str_eq(str_at(b, "kind", NULL), "cognito");
  cr_assert_eq(json_array_size(json_object_get(b, "roles")), 2, "Operator and Approver");
  json_decref(b);
  /* an id token names its user cognito:username; an HTTP API's authorizer writes groups as "[a b]" */
  cr_assert_eq(call("GET", "/api/v1/me", "{\"sub\": \"5a1e\", \"cognito:username\": \"bob\", \"token_use\": \"id\", "
                                          "\"cognito:groups\": \"[Viewer Operator]\"}", NULL, NULL, &b), 200);
  cr_assert_str_eq(str_at(b, "name", NULL), "cognito:bob");
  cr_assert_eq(json_array_size(json_object_get(b, "roles")), 2);
  json_decref(b);
  /* the roles are enforced: an Operator may read executions, not manage tokens */
  cr_assert_eq(call("GET", "/api/v1/tokens", ACCESS("Operator"), NULL, NULL, &b), 403);
  json_decref(b);
  /* an Admin's change is audited as the Cognito user */
  cr_assert_eq(call("POST", "/api/v1/tokens", ACCESS("Admin"), NULL, "{\"name\": \"ci\", \"role\": \"Viewer\"}", &b), 201);
  json_decref(b);
  cr_assert_eq(call("GET", "/api/v1/audit?action=token.create", ACCESS("Admin"), NULL, NULL, &b), 200);
  const json_t *items = json_object_get(b, "items");
  cr_assert_eq(json_array_size(items), 1, "%s", json_dumps(b, 0));
  cr_assert_str_eq(str_at(json_array_get(items, 0), "actor", NULL), "cognito:alice");
  json_decref(b);
}

Test(lambda_api, a_user_in_no_mapped_group_is_refused_saying_why) {
  json_t *b = NULL;
  cr_assert_eq(call("GET", "/api/v1/plans", ACCESS("dr-nobody"), NULL, NULL, &b), 403);
  const char *msg = str_at(b, "error", "message");
  cr_assert(strstr(msg, "cognito:alice has no role") && strstr(msg, "dr-nobody") && strstr(msg, "auth.cognito_groups"),
            "%s", msg);
  json_decref(b);
  cr_assert_eq(call("GET", "/api/v1/plans", "{\"sub\": \"5a1e\", \"username\": \"carol\"}", NULL, NULL, &b), 403);
  cr_assert(strstr(str_at(b, "error", "message"), "(none)"), "%s", str_at(b, "error", "message"));
  json_decref(b);
  /* claims that name nobody are not a caller */
  cr_assert_eq(call("GET", "/api/v1/plans", "{\"cognito:groups\": \"Admin\"}", NULL, NULL, &b), 401);
  json_decref(b);
}

Test(lambda_api, claims_win_over_the_authorization_header) {
  struct orch_store_token t;
  char admin[ORCH_API_TOKEN_LEN + 1], bearer[ORCH_API_TOKEN_LEN + 16];
  struct orch_error err = {0};
  cr_assert_eq(orch_api_token_issue(store, "admin", "Admin", 0, "test", &t, admin, sizeof admin, &err), 0, "%s", err.message);
  snprintf(bearer, sizeof bearer, "Bearer %s", admin);
  json_t *b = NULL;
  /* the token alone is an Admin (no authorizer in front: `drsorch lambda invoke`) */
  cr_assert_eq(call("GET", "/api/v1/tokens", NULL, bearer, NULL, &b), 200);
  json_decref(b);
  /* with claims, the claims are the caller: a Viewer, whatever the header carries */
  cr_assert_eq(call("GET", "/api/v1/tokens", ACCESS("Viewer"), bearer, NULL, &b), 403);
  json_decref(b);
  /* a forged, unsigned JWT claiming Admin next to a Viewer's claims: still the Viewer */
  const char *forged = "Bearer eyJhbGciOiJub25lIn0.eyJ1c2VybmFtZSI6Im1hbGxvcnkiLCJjb2duaXRvOmdyb3VwcyI6WyJBZG1pbiJdfQ.";
  cr_assert_eq(call("GET", "/api/v1/me", ACCESS("Viewer"), forged, NULL, &b), 200);
  cr_assert_str_eq(str_at(b, "name", NULL), "cognito:alice");
  cr_assert_str_eq(json_string_value(json_array_get(json_object_get(b, "roles"), 0)), "Viewer");
  json_decref(b);
}

Test(lambda_api, without_claims_or_credentials_401) {
  json_t *b = NULL;
  cr_assert_eq(call("GET", "/api/v1/plans", NULL, NULL, NULL, &b), 401);
  cr_assert_str_eq(str_at(b, "error", "code"), "Unauthorized");
  json_decref(b);
  /* this function has no pool of its own: a JWT without the authorizer is not accepted */
  cr_assert_eq(call("GET", "/api/v1/plans", NULL, "Bearer eyJhbGciOiJub25lIn0.e30.", NULL, &b), 401);
  json_decref(b);
  /* the unauthenticated routes need nothing */
  cr_assert_eq(call("GET", "/api/v1/health", NULL, NULL, NULL, &b), 200);
  json_decref(b);
}
