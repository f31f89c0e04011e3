// The OpenAPI document the server generates: @redocly/cli lint passes on it without a warning, and each
// path's methods in the document are exactly the methods the server's router accepts for that path (its
// OPTIONS answer, which comes from matching, not from the document).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startServer, call } from "./lib.mjs";

test("the document lints clean and lists what the router serves", { timeout: 120000 }, async () => {
  const srv = await startServer([]);
  try {
    const doc = (await call(srv.base, null, "GET", "/api/v1/openapi.json")).json;
    assert.equal(doc.openapi, "3.1.0");
    const file = join(srv.dir, "openapi.json");
    writeFileSync(file, JSON.stringify(doc));
    const lint = spawnSync(join(process.cwd(), "node_modules/.bin/redocly"), ["lint", file], {
      encoding: "utf8", env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" } });
    const out = lint.stdout + lint.stderr; /* the report goes to stderr */
    assert.equal(lint.status, 0, "redocly lint failed:\n" + out);
    assert.match(out, /Your API description is valid/);
    assert.doesNotMatch(out, /You have \d+ warnings?/, out);
    let paths = 0;
    for (const [pattern, item] of Object.entries(doc.paths)) {
      const concrete = pattern.replace(/\{version\}/, "1").replace(/\{account_id\}/, "111122223333")
        .replace(/\{[a-z_]+\}/g, "01890000-0000-7000-8000-000000000000");
      const a = await call(srv.base, null, "OPTIONS", concrete);
      assert.equal(a.status, 204, `OPTIONS ${concrete}: ${a.text}`);
      const served = a.headers.get("allow").split(", ").filter((m) => m !== "OPTIONS").sort();
      const documented = Object.keys(item).map((m) => m.toUpperCase()).sort();
      assert.deepEqual(served, documented, pattern);
      paths++;
    }
    assert.ok(paths >= 35, `${paths} paths`);
  } finally {
    await srv.stop();
  }
});
