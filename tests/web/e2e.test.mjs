// The console end to end, in Debian's Chromium against a real `drsorch serve --demo` (through a loopback
// proxy the test can cut): sign in; create a protection group from discovered servers (conflicts shown
// first, the server's refusal in its words); write a plan with a mistake and see it at its line; fix it;
// run a drill; lose the network and get every event back; approve the gate; watch it finish live; read the
// RTO; clean up; the report; history; settings (a token shown once); a Viewer cannot start anything; an
// expired session returns to sign-in and back to the page. axe-core on every page, screenshots of every
// page under <build>/web-e2e/screenshots, tablet width, no layout shift while events stream. Every wait polls
// for a condition and the RTO read on the page is compared with the API's (simulated time, so its verdict
// depends on how long the gate waited), so the outcome never depends on the machine's speed.
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { axeProblems, call, OUT, rawStatus, SRC, screenshot, startBrowser, startProxy, startServer, until, WEB } from "./lib.mjs";

const BAD_PLAN = `return plan {
  name = "web-drill",
  rto_target = "8h",
  waves = {
    wave "database" { servers = group "orders-db" },
    wave "web" {
      depends_on = { "database" },  servers = group "orders-webb",
      approval = "Database recovered: bring up the web tier?",
    },
  },
}
`;
/** "1h 2m 3s" -> 3723 (an independent reading of the console's durations). */
function seconds(text) {
  const m = text.match(/^(?:(\d+)h)? ?(?:(\d+)m)? ?(?:(\d+)s)?$/);
  assert.ok(m && text, `a duration: "${text}"`);
  return 3600 * Number(m[1] ?? 0) + 60 * Number(m[2] ?? 0) + Number(m[3] ?? 0);
}
const GOOD_PLAN = BAD_PLAN.replace('"orders-webb"', '"orders-web"');
const DOCS = process.env.UPDATE_DOCS_SCREENSHOTS === "1";
const DOC_SHOTS = ["sign-in", "dashboard", "group-create", "plan-editor-problem", "plan-editor", "run-dialog", "execution-gate",
  "execution-finished", "report", "history", "settings-tokens", "viewer-plan"];

test("the console, end to end", { timeout: 900000 }, async (t) => {
  // the simulated region at the API tests' fixed speed (the documentation's screenshots at make run's 60x, so
  // they show what a newcomer sees); a drill's instances kept 30 simulated days so "Clean up now" is still
  // there however slowly the browser gets to it
  const srv = await startServer({ speed: DOCS ? "60" : "1200", env: { DRSORCH_EXEC_KEEP_FOR: "720h" } });
  const proxy = await startProxy(srv.base);
  const browser = await startBrowser();
  const B = proxy.base;
  const A = srv.token;
  const pageErrors = [];
  const shots = [];
  const axe = {};
  const watch = (page) => {
    page.on("pageerror", (e) => pageErrors.push(`${page.url()}: ${e.message}`));
    page.on("console", (m) => { if (/Content Security Policy|Refused to/.test(m.text())) pageErrors.push(`${page.url()}: ${m.text()}`); });
    return page;
  };
  const check = async (page, name) => {
    shots.push(await screenshot(page, name));
    axe[name] = await axeProblems(page);
  };
  const started = Date.now();
  let failed = null;
  const step = (name, fn) => t.test(name, async (st) => {
    if (failed) return st.skip(`an earlier step failed: ${failed}`);
    try {
      await fn(st);
    } catch (e) {
      failed = name;
      const open = browser.context.pages();
      for (let i = 0; i < open.length; i++) await screenshot(open[i], `failed-${i}`).catch(() => undefined);
      throw e;
    }
  });
  try {
    const page = watch(await browser.context.newPage());
    // layout shifts not caused by the user, summed per page (the execution page must stay put as events stream)
    await browser.context.addInitScript(() => {
      window.__shift = 0;
      new PerformanceObserver((l) => { for (const e of l.getEntries()) if (!e.hadRecentInput) window.__shift += e.value; })
        .observe({ type: "layout-shift", buffered: true });
    });
    let planId, execId, rtoWords;

    await step("the committed API types match the server's OpenAPI document", async () => {
      const { generate } = await import(join(WEB, "scripts", "openapi-types.mjs"));
      const doc = await (await fetch(`${srv.base}/api/v1/openapi.json`)).json();
      for (const [name, text] of Object.entries(generate(doc)))
        assert.equal(text, readFileSync(join(WEB, "src", "api", name), "utf8"),
          `web/src/api/${name} is out of date: run node web/scripts/openapi-types.mjs <server>/api/v1/openapi.json`);
    });

    await step("the engine serves the console: caching, SPA fallback, no traversal, API 404s in the envelope", async () => {
      const index = await fetch(`${B}/`);
      assert.equal(index.status, 200);
      assert.equal(index.headers.get("cache-control"), "no-cache");
      assert.match(index.headers.get("content-security-policy"), /script-src 'self'/);
      const html = await index.text();
      const asset = html.match(/src="(\/assets\/[^"]+\.js)"/)[1];
      const js = await fetch(B + asset);
      assert.equal(js.status, 200);
      assert.match(js.headers.get("content-type"), /javascript/);
      assert.equal(js.headers.get("cache-control"), "public, max-age=31536000, immutable");
      const route = await fetch(`${B}/plans/some-plan?version=2`);
      assert.equal(route.status, 200);
      assert.equal(await route.text(), html, "a console route gets index.html");
      const missing = await fetch(`${B}/assets/nothing-here.js`);
      assert.equal(missing.status, 404);
      assert.equal((await missing.json()).error.code, "NotFound");
      for (const p of ["/%2e%2e/%2e%2e/etc/passwd", "/../../etc/passwd", "/.env", "/assets/..%2f..%2fCMakeLists.txt", "/assets/../index.html"])
        assert.equal(await rawStatus(B, p), 404, p);
      const api = await fetch(`${B}/api/v1/no-such-thing`);
      assert.equal(api.status, 404);
      assert.equal((await api.json()).error.code, "NotFound");
      assert.equal((await fetch(`${B}/`, { method: "POST" })).status, 405);
    });

    await step("sign in: a page asked for before signing in is where the console goes after", async () => {
      await page.goto(`${B}/groups`);
      await until("the sign-in page", () => page.url().includes("/sign-in?next=%2Fgroups"));
      await page.getByRole("textbox", { name: "API token" }).waitFor();
      // keyboard: the token field is reached with Tab
      await page.locator("body").click({ position: { x: 5, y: 5 } });
      await until("Tab to reach the token field", async () => {
        await page.keyboard.press("Tab");
        return (await page.evaluate(() => document.activeElement?.getAttribute("aria-label"))) === "API token";
      }, { timeoutMs: 30000, everyMs: 0 });
      await page.getByRole("textbox", { name: "API token" }).fill("drs_not_a_real_token_at_all_not_at_all_not_at_all");
      await page.getByRole("button", { name: "Sign in with token" }).click();
      await page.getByText("Sign-in failed").waitFor();
      await check(page, "sign-in");
      await page.getByRole("textbox", { name: "API token" }).fill(A);
      await page.getByRole("button", { name: "Sign in with token" }).click();
      await until("the groups page", () => new URL(page.url()).pathname === "/groups");
      await page.getByRole("heading", { name: /Protection groups/ }).waitFor();
    });

    await step("dashboard: readiness, capacity", async () => {
      await page.goto(`${B}/`);
      await page.getByRole("link", { name: "orders-three-tier" }).waitFor();
      await page.getByText("111122223333 · us-east-1").waitFor();
      await check(page, "dashboard");
    });

    await step("create a protection group from discovered servers, with conflicts shown before saving", async () => {
      await page.goto(`${B}/groups`);
      await page.getByRole("link", { name: "Create group" }).click();
      await page.getByRole("textbox", { name: "Group name" }).fill("orders-web");
      await page.getByRole("textbox", { name: "Tag key 1" }).fill("App");
      await page.getByRole("textbox", { name: "Tag value 1" }).fill("orders");
      // App=orders takes the database servers too, which are in orders-db: shown as conflicts
      await page.getByTestId("conflicts").getByText("is in 'orders-db'").first().waitFor();
      await check(page, "group-create");
      await page.getByRole("button", { name: "Add tag" }).click();
      await page.getByRole("textbox", { name: "Tag key 2" }).fill("Tier");
      await page.getByRole("textbox", { name: "Tag value 2" }).fill("web");
      await until("the preview to show only the web tier", async () =>
        (await page.getByRole("cell", { name: "orders-web-1", exact: true }).count()) === 1 && (await page.getByTestId("conflicts").count()) === 0);
      await page.getByRole("button", { name: "Create group" }).click();
      await until("the new group's page", () => /\/groups\/[0-9a-f-]{36}$/.test(page.url()));
      await page.getByRole("cell", { name: "orders-web-1", exact: true }).waitFor();
      await check(page, "group-detail");

      // the server's refusal, in its words, where it was asked
      await page.goto(`${B}/groups/new`);
      await page.getByRole("textbox", { name: "Group name" }).fill("orders-db");
      await page.getByRole("textbox", { name: "Tag key 1" }).fill("Tier");
      await page.getByRole("textbox", { name: "Tag value 1" }).fill("db");
      await page.getByRole("button", { name: "Create group" }).click();
      const said = (await call(srv.base, A, "POST", "/api/v1/protection-groups", { name: "orders-db", account: "111122223333", region: "us-east-1", selector: { tags: { Tier: "db" } } })).json.error.message;
      await until("the form to show the API's error", async () => (await page.getByTestId("api-error").textContent()) === said);
      await page.goto(`${B}/groups`);
      await page.getByRole("link", { name: "orders-web" }).waitFor();
      await check(page, "groups");
    });

    await step("write a plan with a mistake, see it at its line, fix it, save it", async () => {
      await page.goto(`${B}/plans`);
      await check(page, "plans");
      await page.getByRole("link", { name: "Write a plan" }).click();
      const editor = page.locator(".cm-content");
      await until("the starter plan", async () => ((await editor.textContent()) ?? "").includes("return plan"));
      await editor.click();
      await page.keyboard.press("Control+A");
      await page.keyboard.insertText(BAD_PLAN);
      await until("the problem on line 7", async () => /Line 7, column \d+: unknown protection group 'orders-webb'/.test((await page.getByTestId("problems").textContent()) ?? ""));
      const line = await until("the underline", () => page.evaluate(() => {
        const mark = document.querySelector(".cm-lintRange-error");
        const l = mark?.closest(".cm-line");
        return l ? [...document.querySelectorAll(".cm-content > .cm-line")].indexOf(l) + 1 : 0;
      }));
      assert.equal(line, 7, "the inline diagnostic is on line 7");
      assert.ok((await page.locator(".cm-lint-marker-error").count()) >= 1, "a gutter mark");
      await check(page, "plan-editor-problem");
      await page.keyboard.press("Control+A");
      await page.keyboard.insertText(GOOD_PLAN);
      await until("the plan to be valid", async () => ((await page.getByTestId("problems").textContent()) ?? "") === "" && (await page.getByText("valid", { exact: true }).count()) > 0);
      await page.locator('g.node[data-wave="web"]').waitFor();
      await page.locator('g.node[data-wave="database"]').waitFor();
      await check(page, "plan-editor");
      await page.getByRole("button", { name: "Create plan" }).click();
      planId = (await until("the saved plan's page", () => page.url().match(/\/plans\/([0-9a-f-]{36})$/)))[1];
      await page.getByRole("heading", { name: "web-drill" }).waitFor();
    });

    await step("run a drill: the Run dialog says what each mode does; recovery needs the plan's name", async () => {
      await page.getByRole("button", { name: "Run…" }).click();
      const dialog = page.getByRole("dialog");
      await dialog.getByText(/terminates every drill instance/).waitFor();
      await dialog.getByText("Recovery", { exact: true }).click();
      await dialog.getByText(/REAL recovery/).waitFor();
      assert.equal(await page.getByTestId("start-run").isDisabled(), true, "recovery waits for the plan's name");
      await check(page, "run-dialog");
      await dialog.getByText("Drill", { exact: true }).click();
      await page.getByTestId("start-run").click();
      execId = (await until("the execution's page", () => page.url().match(/\/executions\/([0-9a-f-]{36})$/)))[1];
    });

    await step("watch it live: a network drop loses nothing, approve the gate, read the RTO, clean up", async () => {
      await page.getByRole("button", { name: "Approve web" }).waitFor({ timeout: 180000 });
      await page.evaluate(() => { window.__shift = 0; });
      await check(page, "execution-gate");
      const before = proxy.heads.filter((h) => h.includes(`/executions/${execId}/events`)).length;
      proxy.drop();
      await until("the stream to reconnect with Last-Event-ID", () =>
        proxy.heads.filter((h) => h.includes(`/executions/${execId}/events`)).length > before &&
        proxy.heads.some((h) => h.includes(`/executions/${execId}/events`) && /\r\nLast-Event-ID: \d+/i.test(h)));
      await page.getByRole("button", { name: "Approve web" }).click();
      await until("the drill to finish", async () => /against a target of 8h/.test((await page.getByTestId("rto").textContent().catch(() => "")) ?? ""), { timeoutMs: 300000 });
      // the RTO the page reads is the engine's (simulated time, gate wait included), whatever the machine's speed
      const rto = await page.getByTestId("rto").textContent();
      const truth = (await call(srv.base, A, "GET", `/api/v1/executions/${execId}`)).json.rto;
      assert.equal(typeof truth.actual_ms, "number");
      const m = rto.match(/^(.+) against a target of 8h \((met|missed)\)$/);
      assert.ok(m, `the RTO reads "${rto}"`);
      assert.equal(seconds(m[1]), Math.round(truth.actual_ms / 1000), `the page's RTO "${m[1]}" is the API's ${truth.actual_ms} ms`);
      assert.equal(m[2], truth.met ? "met" : "missed");
      assert.equal(truth.target_ms, 8 * 3600 * 1000);
      rtoWords = `${m[1]} against 8h (${m[2]})`;
      const shift = await page.evaluate(() => window.__shift);
      assert.ok(shift < 0.1, `layout shift while events streamed: ${shift}`);
      await check(page, "execution-finished");
      await page.getByRole("button", { name: "Clean up now" }).click();
      await until("the clean-up", async () => /Cleaned up/.test((await page.getByTestId("cleanup-state").textContent()) ?? ""), { timeoutMs: 300000 });
      await page.getByText("Finished: no more events").waitFor({ timeout: 60000 });
      const last = (await call(srv.base, A, "GET", `/api/v1/executions/${execId}/events?limit=1`)).json.last_seq;
      await until(`the page to hold all ${last} events`, async () => ((await page.getByText(/newest first; \d+ events/).textContent()) ?? "").includes(`; ${last} events`));
      await check(page, "execution-cleaned");
    });

    await step("the report reads the same RTO and prints", async () => {
      await page.getByRole("link", { name: "Report" }).click();
      await until("the report", async () => ((await page.getByTestId("report-rto").textContent().catch(() => "")) ?? "") === rtoWords);
      await check(page, "report");
    });

    await step("history with filters; a page the console does not have", async () => {
      await page.goto(`${B}/history`);
      await page.getByRole("cell", { name: "web-drill" }).first().waitFor();
      await check(page, "history");
      await page.goto(`${B}/history?mode=dry-run`);
      await page.getByText("No execution matches").waitFor();
      await page.goto(`${B}/no-such-page`);
      await page.getByRole("heading", { name: "Page not found" }).waitFor();
      await check(page, "not-found");
    });

    let viewerToken;
    await step("settings: a token shown once, accounts, users, notification targets, audit", async () => {
      await page.goto(`${B}/settings/tokens`);
      await page.getByRole("button", { name: "Create token" }).click();
      await page.getByRole("textbox", { name: "Token name" }).fill("viewer-e2e");
      await page.getByRole("button", { name: "Token role" }).click();
      await page.getByRole("option", { name: /^Viewer/ }).click();
      await page.getByRole("dialog").getByRole("button", { name: "Create token" }).click();
      viewerToken = (await page.getByTestId("new-token").textContent()).trim();
      assert.match(viewerToken, /^drs_[A-Za-z0-9_-]{43}$/);
      await check(page, "settings-tokens");
      for (const tab of ["accounts", "users", "notifications", "audit"]) {
        await page.goto(`${B}/settings/${tab}`);
        await page.getByRole("tab", { selected: true }).waitFor();
        await page.waitForSelector("table");
        if (tab === "notifications") await page.getByText("arn:aws:sns:us-east-1:111122223333:dr-events").first().waitFor();
        if (tab === "audit") await page.getByText("execution.approve").first().waitFor();
        await check(page, `settings-${tab}`);
      }
    });

    await step("a Viewer sees no way to start or change anything, and the server refuses it anyway", async () => {
      const v = watch(await browser.context.newPage());
      await v.goto(`${B}/plans/${planId}`);
      await v.getByRole("textbox", { name: "API token" }).fill(viewerToken);
      await v.getByRole("button", { name: "Sign in with token" }).click();
      await v.getByRole("heading", { name: "web-drill" }).waitFor();
      await v.locator(".cm-content").waitFor();
      assert.equal(await v.getByRole("button", { name: "Run…" }).count(), 0);
      assert.equal(await v.getByRole("button", { name: "Save version" }).count(), 0);
      assert.equal(await v.locator(".cm-content").getAttribute("contenteditable"), "false");
      await check(v, "viewer-plan");
      await v.goto(`${B}/executions/${execId}`);
      await v.getByTestId("status").waitFor();
      for (const name of ["Pause", "Resume", "Cancel…", "Clean up now"]) assert.equal(await v.getByRole("button", { name }).count(), 0, name);
      await v.goto(`${B}/groups`);
      await v.getByRole("link", { name: "orders-web" }).waitFor();
      assert.equal(await v.getByRole("link", { name: "Create group" }).count(), 0);
      await v.goto(`${B}/`);
      await v.getByRole("link", { name: "web-drill" }).waitFor();
      assert.equal(await v.getByRole("link", { name: "Run a plan" }).count(), 0);
      const refused = await call(srv.base, viewerToken, "POST", "/api/v1/executions", { plan: "web-drill", mode: "drill" });
      assert.equal(refused.status, 403);
      assert.equal(refused.json.error.code, "Forbidden");
      await v.close();
    });

    await step("an expired session returns to sign-in and back to the same page", async () => {
      const user = (await call(srv.base, A, "POST", "/api/v1/users", { name: "erin", role: "Operator", password: "a long passphrase here" })).json;
      const p = watch(await browser.context.newPage());
      await p.goto(`${B}/history?mode=drill`);
      await p.getByRole("tab", { name: "User name and password" }).click();
      await p.getByRole("textbox", { name: "User name" }).fill("erin");
      await p.getByRole("textbox", { name: "Password" }).fill("a long passphrase here");
      await p.getByRole("button", { name: "Sign in", exact: true }).click();
      await until("history after signing in", () => p.url().endsWith("/history?mode=drill"));
      await p.getByRole("cell", { name: "web-drill" }).first().waitFor();
      assert.equal((await call(srv.base, A, "PATCH", `/api/v1/users/${user.id}`, { disabled: true })).status, 200);
      // the page's next call (history refreshes itself) is refused: back to sign-in, remembering the page
      await until("the sign-in page", () => p.url().includes("/sign-in?next=%2Fhistory%3Fmode%3Ddrill"), { timeoutMs: 60000 });
      await p.getByText(/no longer valid/).waitFor();
      await check(p, "session-ended");
      assert.equal((await call(srv.base, A, "PATCH", `/api/v1/users/${user.id}`, { disabled: false })).status, 200);
      await p.getByRole("tab", { name: "User name and password" }).click();
      await p.getByRole("textbox", { name: "User name" }).fill("erin");
      await p.getByRole("textbox", { name: "Password" }).fill("a long passphrase here");
      await p.getByRole("button", { name: "Sign in", exact: true }).click();
      await until("back on the same page", () => p.url().endsWith("/history?mode=drill"));
      await p.close();
    });

    await step("tablet width: nothing needs a sideways scroll", async () => {
      await page.setViewportSize({ width: 768, height: 1024 });
      for (const [name, path, ready] of [["dashboard-tablet", "/", "DRS capacity"], ["execution-tablet", `/executions/${execId}`, "Wave status"], ["plan-editor-tablet", `/plans/${planId}`, "Waves"]]) {
        await page.goto(B + path);
        await page.getByRole("heading", { name: ready }).first().waitFor();
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.ok(overflow <= 1, `${name}: the page is ${overflow}px wider than the window`);
        shots.push(await screenshot(page, name));
      }
      await page.setViewportSize({ width: 1280, height: 900 });
    });

    await step("axe-core finds no serious or critical violation on any page", () => {
      const bad = Object.entries(axe).filter(([, v]) => v.length);
      assert.deepEqual(bad, [], bad.map(([k, v]) => `${k}:\n  ${v.join("\n  ")}`).join("\n"));
    });

    await step("no script error and no CSP violation on any page", () => {
      assert.deepEqual(pageErrors, []);
    });
  } finally {
    await browser.close();
    await proxy.stop();
    await srv.stop();
    console.log(`# e2e: ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots: ${shots.length} in ${join(OUT, "screenshots")}`);
    if (DOCS && !failed) {
      mkdirSync(join(SRC, "docs", "console"), { recursive: true });
      for (const s of shots) {
        const name = s.split("/").pop().replace(/\.png$/, "");
        if (DOC_SHOTS.includes(name)) copyFileSync(s, join(SRC, "docs", "console", `${name}.png`));
      }
    }
  }
});
