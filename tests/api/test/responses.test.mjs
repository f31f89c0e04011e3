// Real answers against the OpenAPI document: a scenario through every operation of the API (successes and
// the errors each documents) on `drsorch serve --demo`, each answer checked with ajv against the schema the
// document gives for that operation and status; an answer with a status the document does not list fails.
// Ends by checking that every operation of the document was seen.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startServer, call, fill, documentChecker } from "./lib.mjs";

const GATED = `return plan {
  name = "gated",
  waves = {
    wave "db" { servers = tags { App = "orders", Tier = "db" } },
    wave "web" { depends_on = { "db" }, servers = tags { App = "orders", Tier = "web" }, approval = "go?" },
    wave "batch" { depends_on = { "web" }, servers = tags { App = "orders", Tier = "app" } },
  },
}
`;

test("every operation answers as the document says", { timeout: 300000 }, async () => {
  const srv = await startServer(["--demo", "--speed", "600"]);
  try {
    const doc = (await call(srv.base, null, "GET", "/api/v1/openapi.json")).json;
    const { check, checked } = documentChecker(doc);
    const T = srv.token;
    const go = async (token, method, pattern, params, opts) => {
      const a = await call(srv.base, token, method, fill(pattern, params), opts);
      check(pattern, method, a);
      return a;
    };
    const V = "/api/v1";
    // system
    await go(null, "GET", `${V}/health`);
    await go(null, "HEAD", `${V}/health`);
    await go(null, "GET", `${V}/ready`);
    await go(null, "GET", `${V}/openapi.json`);
    await go(null, "GET", `${V}/auth/options`);
    await go(T, "GET", `${V}/metrics`);
    await go(null, "GET", `${V}/metrics`); // 401
    // users and tokens
    const user = (await go(T, "POST", `${V}/users`, {}, { body: { name: "alice", role: "Operator", password: "a long passphrase here" } })).json;
    await go(T, "POST", `${V}/users`, {}, { body: { name: "alice", role: "Operator" } }); // 409
    await go(T, "POST", `${V}/users`, {}, { body: { name: "bob", role: "Boss" } }); // 422
    await go(T, "GET", `${V}/users`);
    await go(T, "GET", `${V}/users/{id}`, { id: user.id });
    await go(T, "GET", `${V}/users/{id}`, { id: "01890000-0000-7000-8000-000000000000" }); // 404
    await go(T, "GET", `${V}/users/{id}`, { id: "nope" }); // 400
    await go(T, "PATCH", `${V}/users/{id}`, { id: user.id }, { body: { role: "Operator" } });
    const viewer = (await go(T, "POST", `${V}/tokens`, {}, { body: { name: "viewer", role: "Viewer", expires_in: "1h" } })).json;
    await go(T, "GET", `${V}/tokens`);
    await go(T, "GET", `${V}/tokens/{id}`, { id: viewer.id });
    await go(viewer.token, "GET", `${V}/tokens`); // 403
    // sessions
    const login = await go(null, "POST", `${V}/sessions`, {}, { body: { username: "alice", password: "a long passphrase here" } });
    const cookie = login.headers.get("set-cookie").split(";")[0];
    const csrf = login.json.csrf_token;
    await go(null, "POST", `${V}/sessions`, {}, { body: { username: "alice", password: "wrong" } }); // 401
    await go(null, "GET", `${V}/me`, {}, { headers: { Cookie: cookie } });
    await go(null, "PUT", `${V}/me/password`, {}, { headers: { Cookie: cookie, "X-CSRF-Token": csrf },
      body: { current_password: "wrong", new_password: "another long passphrase" } }); // 403
    await go(T, "PUT", `${V}/me/password`, {}, { body: { current_password: "x", new_password: "another long passphrase" } }); // 409
    await go(null, "DELETE", `${V}/sessions/current`, {}, { headers: { Cookie: cookie } }); // 403 (CSRF)
    await go(null, "DELETE", `${V}/sessions/current`, {}, { headers: { Cookie: cookie, "X-CSRF-Token": csrf } });
    const again = await go(null, "POST", `${V}/sessions`, {}, { body: { username: "alice", password: "a long passphrase here" } });
    await go(null, "PUT", `${V}/me/password`, {}, { headers: { Cookie: again.headers.get("set-cookie").split(";")[0],
      "X-CSRF-Token": again.json.csrf_token }, body: { current_password: "a long passphrase here", new_password: "another long passphrase" } });
    // groups
    const group = await go(T, "POST", `${V}/protection-groups`, {}, { body: { name: "orders-web", account: "111122223333",
      region: "us-east-1", selector: { tags: { App: "orders", Tier: "web" } } } });
    const gid = group.json.id;
    await go(T, "POST", `${V}/protection-groups`, {}, { body: { name: "orders-web", account: "111122223333",
      region: "us-east-1", selector: { tags: { Tier: "x" } } } }); // 409
    await go(T, "POST", `${V}/protection-groups`, {}, { raw: "{", headers: { "Content-Type": "application/json" } }); // 400
    await go(T, "POST", `${V}/protection-groups`, {}, { raw: "{}", headers: { "Content-Type": "text/plain" } }); // 415
    await go(T, "POST", `${V}/protection-groups`, {}, { body: { name: "x".repeat(3 << 20) } }); // 413
    await go(T, "GET", `${V}/protection-groups`);
    await go(T, "GET", `${V}/protection-groups/{id}`, { id: gid });
    await go(T, "GET", `${V}/protection-groups/{id}/servers`, { id: gid });
    const body = { name: "orders-web", account: "111122223333", region: "us-east-1", selector: { tags: { App: "orders", Tier: "web" } } };
    await go(T, "PUT", `${V}/protection-groups/{id}`, { id: gid }, { body, headers: { "If-Match": '"1"' } });
    await go(T, "PUT", `${V}/protection-groups/{id}`, { id: gid }, { body, headers: { "If-Match": '"1"' } }); // 412
    // plans
    await go(T, "POST", `${V}/plans/validate`, {}, { body: { source: GATED } });
    await go(T, "POST", `${V}/plans`, {}, { body: { source: "return plan {" } }); // 422 PlanInvalid
    const plan = (await go(T, "POST", `${V}/plans`, {}, { body: { source: GATED, description: "three waves" } })).json.plan;
    await go(T, "POST", `${V}/plans`, {}, { body: { source: GATED } }); // 409
    await go(T, "GET", `${V}/plans`);
    await go(T, "GET", `${V}/plans/{id}`, { id: plan.id });
    await go(T, "POST", `${V}/plans/{id}/versions`, { id: plan.id }, { body: { source: GATED + "\n-- v2\n" }, headers: { "If-Match": '"1"' } });
    await go(T, "POST", `${V}/plans/{id}/versions`, { id: plan.id }, { body: { source: GATED }, headers: { "If-Match": '"1"' } }); // 412
    await go(T, "GET", `${V}/plans/{id}/versions`, { id: plan.id });
    await go(T, "GET", `${V}/plans/{id}/versions/{version}`, { id: plan.id, version: 2 });
    await go(T, "GET", `${V}/plans/{id}/versions/{version}/diff`, { id: plan.id, version: 1 }); // 400: no ?to
    const diff = await call(srv.base, T, "GET", `${V}/plans/${plan.id}/versions/1/diff?to=2`);
    check(`${V}/plans/{id}/versions/{version}/diff`, "GET", diff);
    assert.match(diff.json.source_diff, /^\+-- v2$/m);
    // DRS and accounts
    await go(T, "GET", `${V}/drs/source-servers`);
    await go(T, "GET", `${V}/drs/quotas`);
    await go(T, "GET", `${V}/drs/recovery-instances`);
    await go(T, "POST", `${V}/accounts`, {}, { body: { account_id: "999988887777", role_arn: "arn:aws:iam::999988887777:role/R" } }); // 422
    await go(T, "POST", `${V}/accounts`, {}, { body: { account_id: "111122223333", role_arn: "arn:aws:iam::111122223333:role/DRSOrchestratorCrossAccount" } });
    await go(T, "GET", `${V}/accounts`);
    await go(T, "GET", `${V}/accounts/{account_id}`, { account_id: "111122223333" });
    await go(T, "DELETE", `${V}/accounts/{account_id}`, { account_id: "111122223333" });
    // executions
    await go(T, "POST", `${V}/executions`, {}, { body: { plan: "gated", mode: "recovery" } }); // 422
    const start = await go(T, "POST", `${V}/executions`, {}, { body: { plan: "gated", mode: "drill" } });
    const id = start.json.id;
    const cancelled = (await go(T, "POST", `${V}/executions`, {}, { body: { plan: "gated", mode: "dry-run" } })).json.id;
    await go(T, "POST", `${V}/executions/{id}/cancel`, { id: cancelled }, { body: { reason: "not needed" } });
    let x;
    for (let i = 0; i < 3000; i++) {
      x = await go(T, "GET", `${V}/executions/{id}`, { id });
      if (x.json.gates[0]?.status === "waiting") break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(x.json.gates[0].status, "waiting");
    await go(T, "POST", `${V}/executions/{id}/pause`, { id });
    await go(T, "POST", `${V}/executions/{id}/pause`, { id }); // 409
    await go(T, "POST", `${V}/executions/{id}/resume`, { id });
    await go(T, "POST", `${V}/executions/{id}/skip-wave`, { id }, { body: { wave: "batch", reason: "not in this drill" } });
    await go(T, "POST", `${V}/executions/{id}/retry-wave`, { id }, { body: { wave: "db" } }); // 409
    await go(T, "POST", `${V}/executions/{id}/cleanup`, { id }); // 409
    await go(viewer.token, "POST", `${V}/executions/{id}/approve`, { id }, { body: { wave: "web" } }); // 403
    await go(T, "POST", `${V}/executions/{id}/approve`, { id }, { body: { wave: "web" } });
    for (let i = 0; i < 3000; i++) {
      x = await go(T, "GET", `${V}/executions/{id}`, { id });
      if (x.json.status === "CLEANED") break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(x.json.outcome, "COMPLETED");
    await go(T, "GET", `${V}/executions/{id}`, { id: "01890000-0000-7000-8000-000000000000" }); // 404
    await go(T, "GET", `${V}/executions/{id}/report`, { id });
    await go(T, "GET", `${V}/executions/{id}/events`, { id });
    await go(T, "GET", `${V}/executions`);
    // deletions and the audit log
    await go(T, "DELETE", `${V}/protection-groups/{id}`, { id: gid });
    await go(T, "DELETE", `${V}/plans/{id}`, { id: plan.id });
    await go(T, "DELETE", `${V}/tokens/{id}`, { id: viewer.id });
    await go(T, "GET", `${V}/audit`);
    const missing = Object.values(doc.paths).flatMap((item) => Object.values(item).map((op) => op.operationId))
      .filter((opId) => !checked.has(opId));
    assert.deepEqual(missing, [], "operations never exercised");
  } finally {
    await srv.stop();
  }
});
