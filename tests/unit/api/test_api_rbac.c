/* test_api_rbac: every route of the OpenAPI document (generated from the route table) with every role and
 * without credentials: a role the operation lists in x-roles is never refused 403, any other always is,
 * and only public operations answer without credentials. A hand-written matrix of what each role is for
 * checks the table itself. Uses api_harness. */
#include "api_harness.h"

static struct api_h h;

static void setup(void) { ah_start(&h, NULL, true, 0); }
static void teardown(void) { ah_stop(&h); }

TestSuite(rbac, .init = setup, .fini = teardown, .timeout = 120);

/* A concrete target for a path pattern: ids that do not exist, a version, an account. */
static void concrete(const char *pattern, char *out, size_t n) {
  size_t o = 0;
  for (const char *p = pattern; *p && o + 40 < n;) {
    if (*p != '{') {
      out[o++] = *p++;
      continue;
    }
    const char *close = strchr(p, '}');
    const char *v = strncmp(p, "{version}", 9) == 0      ? "1"
                    : strncmp(p, "{account_id}", 12) == 0 ? "444455556666"
                                                          : "01890000-0000-7000-8000-000000000000";
    o += (size_t)snprintf(out + o, n - o, "%s", v);
    p = close + 1;
  }
  out[o] = '\0';
}

static void upper(const char *in, char *out) {
  size_t i = 0;
  for (; in[i]; i++) out[i] = (char)(in[i] & ~0x20);
  out[i] = '\0';
}

Test(rbac, every_route_with_every_role_matches_the_table) {
  json_t *doc = orch_api_openapi(h.api);
  const char *path;
  json_t *item;
  size_t operations = 0;
  struct api_r r;
  ah_r_init(&r);
  json_object_foreach(json_object_get(doc, "paths"), path, item) {
    const char *m;
    json_t *op;
    json_object_foreach(item, m, op) {
      char method[16], target[256];
      upper(m, method);
      concrete(path, target, sizeof target);
      const char *body = json_object_get(op, "requestBody") ? "{}" : NULL;
      bool public = json_array_size(json_object_get(op, "security")) == 0 && json_object_get(op, "security");
      operations++;
      ah_req(&h, &r, method, target, NULL, body, NULL);
      if (public) cr_expect_neq(r.status, 401, "%s %s without credentials: %d %s", method, path, r.status, r.text);
      else cr_expect_eq(r.status, 401, "%s %s without credentials: %d %s", method, path, r.status, r.text);
      for (unsigned b = 0; b < ORCH_ROLE_COUNT; b++) {
        const char *role = orch_api_role_name(1u << b);
        bool listed = public;
        size_t i;
        json_t *x;
        json_array_foreach(json_object_get(op, "x-roles"), i, x) listed = listed || strcmp(json_string_value(x), role) == 0;
        ah_req(&h, &r, method, target, h.token[b], body, NULL);
        cr_expect_neq(r.status, 401, "%s %s as %s: %s", method, path, role, r.text);
        if (listed) cr_expect_neq(r.status, 403, "%s %s as %s is allowed by the table: %s", method, path, role, r.text);
        else cr_expect_eq(r.status, 403, "%s %s as %s is not allowed by the table: %d %s", method, path, role, r.status, r.text);
        cr_expect_lt(r.status, 500, "%s %s as %s: %d %s", method, path, role, r.status, r.text);
      }
    }
  }
  cr_assert_geq(operations, 50, "the document lists %zu operations", operations);
  ah_r_release(&r);
  json_decref(doc);
}

/* What each role is for, written down independently of the table. */
Test(rbac, the_roles_mean_what_they_say) {
  static const struct {
    const char *method, *path;
    const char *allowed; /* roles, by initial: A PlanAuthor=P Operator=O Approver=R Viewer=V */
  } cases[] = {
    {"GET", "/api/v1/executions", "APORV"},
    {"POST", "/api/v1/executions", "AO"},
    {"POST", "/api/v1/executions/01890000-0000-7000-8000-000000000000/pause", "AO"},
    {"POST", "/api/v1/executions/01890000-0000-7000-8000-000000000000/approve", "AOR"},
    {"POST", "/api/v1/plans", "AP"},
    {"PUT", "/api/v1/protection-groups/01890000-0000-7000-8000-000000000000", "AP"},
    {"POST", "/api/v1/accounts", "A"},
    {"GET", "/api/v1/accounts", "APORV"},
    {"GET", "/api/v1/users", "A"},
    {"POST", "/api/v1/tokens", "A"},
    {"GET", "/api/v1/audit", "A"},
    {"GET", "/api/v1/metrics", "APORV"},
    {"GET", "/api/v1/drs/quotas", "APORV"},
  };
  static const char initials[ORCH_ROLE_COUNT] = {'A', 'P', 'O', 'R', 'V'};
  struct api_r r;
  ah_r_init(&r);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    for (unsigned b = 0; b < ORCH_ROLE_COUNT; b++) {
      bool allowed = strchr(cases[i].allowed, initials[b]) != NULL;
      bool body = strcmp(cases[i].method, "GET") != 0;
      ah_req(&h, &r, cases[i].method, cases[i].path, h.token[b], body ? "{}" : NULL, NULL);
      if (allowed) cr_expect_neq(r.status, 403, "%s %s as %s: %s", cases[i].method, cases[i].path, orch_api_role_name(1u << b), r.text);
      else {
        cr_expect_eq(r.status, 403, "%s %s as %s: %d", cases[i].method, cases[i].path, orch_api_role_name(1u << b), r.status);
        if (r.status == 403) ah_envelope(&r, "Forbidden");
      }
    }
  ah_r_release(&r);
}

/* A token whose role is not one the server knows has no permission at all. */
Test(rbac, unknown_roles_hold_nothing) {
  struct orch_store_token t;
  char secret[ORCH_API_TOKEN_LEN + 1];
  struct orch_error err = {0};
  cr_assert_eq(orch_api_token_issue(h.rig.store, "odd", "Superuser", 0, "test", &t, secret, sizeof secret, &err), 0);
  struct api_r r;
  ah_r_init(&r);
  ah_req(&h, &r, "GET", "/api/v1/plans", secret, NULL, NULL);
  AH_STATUS(&r, 403);
  cr_assert(strstr(ah_str(&r, "error.message"), "no role"), "%s", r.text);
  ah_req(&h, &r, "GET", "/api/v1/me", secret, NULL, NULL);
  AH_STATUS(&r, 200);
  ah_r_release(&r);
}
