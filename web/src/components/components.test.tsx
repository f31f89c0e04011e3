import { Text } from "@codemirror/state";
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { ApiError } from "../api/client";
import { safeNext } from "../auth/auth";
import { challengeOf } from "../auth/pkce";
import { conflictsOf, tagsOf } from "../pages/GroupForm";
import { historyQuery } from "../pages/History";
import { graphWaves, starterSource } from "../pages/PlanEditor";
import { json, renderSignedIn, VIEWER_ME } from "../test/helpers";
import { DiffView } from "./DiffView";
import { ErrorAlert } from "./ErrorAlert";
import { duration, tagText } from "./format";
import { problemRange, toDiagnostics } from "./LuaEditor";
import { consequences, RunDialog } from "./RunDialog";
import { layoutWaves } from "./WaveGraph";
import { App } from "../App";

describe("format", () => {
  it("says durations the way the report does", () => {
    expect(duration(1513000)).toBe("25m 13s");
    expect(duration(45000)).toBe("45s");
    expect(duration(3723000)).toBe("1h 2m 3s");
    expect(duration(3600000)).toBe("1h");
    expect(duration(0)).toBe("0s");
    expect(duration(null)).toBe("—");
    expect(tagText({ App: "orders", Tier: "db" })).toBe("App=orders, Tier=db");
  });
});

describe("the editor's diagnostics", () => {
  const doc = Text.of(["return plan {", '  waves = { wave "db" { servers = group "orders-dbx" } },', "}"]);
  it("puts a problem at its line and column, over the word there", () => {
    const col = doc.line(2).text.indexOf('"orders-dbx"') + 1;
    const r = problemRange(doc, 2, col);
    expect(doc.sliceString(r.from, r.to)).toBe('"orders-dbx"');
    const [d] = toDiagnostics(doc, [{ file: "plan.lua", line: 2, column: col, code: "unknown_group", message: "unknown protection group 'orders-dbx'", hint: "did you mean 'orders-db'?" }]);
    expect(d).toMatchObject({ from: r.from, severity: "error", message: "unknown protection group 'orders-dbx' (did you mean 'orders-db'?)" });
  });
  it("keeps a position past the end inside the document", () => {
    const r = problemRange(doc, 99, 99);
    expect(r.from).toBeLessThanOrEqual(doc.length);
    expect(r.to).toBeLessThanOrEqual(doc.length);
  });
});

describe("the wave graph", () => {
  it("lays a wave out right of every wave it depends on", () => {
    const l = layoutWaves([{ name: "web", depends_on: ["app"] }, { name: "db", depends_on: [] }, { name: "app", depends_on: ["db"] }, { name: "cache", depends_on: ["db"] }]);
    const x = Object.fromEntries(l.nodes.map((n) => [n.name, n.x]));
    expect(x.db).toBeLessThan(x.app);
    expect(x.app).toBeLessThan(x.web);
    expect(x.cache).toBeGreaterThan(x.db);
    expect(l.edges).toHaveLength(3);
  });
  it("reads the compiled plan's waves, gates and selectors", () => {
    expect(graphWaves({ waves: [{ name: "db", depends_on: [], servers: { kind: "group", group: "orders-db" } }, { name: "web", depends_on: ["db"], approval: { message: "go?" }, servers: { kind: "tags", tags: { Tier: "web" } } }] }))
      .toEqual([{ name: "db", depends_on: [], approval: null, detail: "group orders-db" }, { name: "web", depends_on: ["db"], approval: "go?", detail: "tags Tier=web" }]);
    expect(starterSource([{ name: "orders-db" }])).toContain('servers = group "orders-db"');
  });
});

describe("small pieces", () => {
  it("returns only to a page of the console after sign-in", () => {
    expect(safeNext("/history?mode=drill")).toBe("/history?mode=drill");
    expect(safeNext("//evil.example/x")).toBe("/");
    expect(safeNext("https://evil.example")).toBe("/");
    expect(safeNext("/sign-in?next=/x")).toBe("/");
    expect(safeNext(null)).toBe("/");
  });
  it("computes the PKCE S256 challenge of RFC 7636's example", async () => {
    expect(await challengeOf("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  });
  it("builds a group's tags and finds servers already in another group", () => {
    expect(tagsOf([{ key: " App ", value: "orders" }, { key: "", value: "x" }])).toEqual({ App: "orders" });
    const s = (id: string, groups: string[]) => ({ id, groups }) as never;
    expect(conflictsOf([s("a", ["db"]), s("b", []), s("c", ["web"])], "web").map((c: { server: { id: string } }) => c.server.id)).toEqual(["a"]);
  });
  it("turns the history filters into the API's query", () => {
    const q = historyQuery(new URLSearchParams("status=RUNNING,PAUSED&mode=drill&plan=orders&from=2026-01-02"));
    expect(q).toMatchObject({ status: "RUNNING,PAUSED", mode: "drill", plan: "orders", to: undefined });
    expect(new Date(q.from!).getDate()).toBe(2);
  });
});

describe("DiffView and ErrorAlert", () => {
  it("marks added and removed lines, and the waves that changed", () => {
    render(<DiffView diff={{ plan_id: "p", from: 1, to: 2, source_diff: "--- v1\n+++ v2\n@@ -1 +1 @@\n-old line\n+new line\n same\n", waves: { added: ["web"], removed: [], changed: ["db"] }, dependencies: { added: [{ from: "db", to: "web" }], removed: [] } }} />);
    expect(screen.getByText("+new line").closest(".add")).not.toBeNull();
    expect(screen.getByText("-old line").closest(".del")).not.toBeNull();
    expect(screen.getByText("web")).toBeInTheDocument();
    expect(screen.getByText("+ db → web")).toBeInTheDocument();
  });
  it("shows the API's message, each problem and the request id", () => {
    render(<ErrorAlert error={new ApiError(422, "ValidationError", "body.name: is required", { problems: [{ path: "body.name", message: "is required" }, { path: "body.region", message: "does not match" }] }, "req-9")} />);
    expect(screen.getByTestId("api-error")).toHaveTextContent("body.name: is required");
    expect(screen.getByText("body.region: does not match")).toBeInTheDocument();
    expect(screen.getByText("Request id req-9")).toBeInTheDocument();
  });
});

describe("the Run dialog", () => {
  const target = { id: "p1", name: "orders", version: 3, waves: [{ name: "db" }, { name: "web", approval: "go?" }], rtoTargetMs: 2700000, scope: "111122223333, us-east-1" };
  it("says in plain words what each mode does", () => {
    expect(consequences("drill", target)).toMatch(/Launches drill instances for the 2 waves of orders \(version 3\).*against its 45m target, then terminates every drill instance.*1 wave waits for your approval/);
    expect(consequences("dry-run", target)).toMatch(/Nothing is launched/);
    expect(consequences("recovery", target)).toMatch(/REAL recovery of orders.*in 111122223333, us-east-1.*nothing is cleaned up/);
  });
  it("starts a recovery only once the plan's name is typed, and shows the server's refusal", async () => {
    const user = userEvent.setup();
    const { seen } = renderSignedIn(<RunDialog target={target} visible onDismiss={() => undefined} onStarted={() => undefined} />, [
      (r) => (r.url === "/api/v1/executions" ? json(422, { error: { code: "ConfirmationRequired", message: "a recovery launches real instances", request_id: "r" } }) : undefined),
    ]);
    await user.click(screen.getByText("Recovery"));
    const start = screen.getByTestId("start-run");
    expect(start).toBeDisabled();
    await user.type(screen.getByRole("textbox", { name: "Plan name to confirm the recovery" }), "orders");
    expect(start).toBeEnabled();
    await user.click(start);
    await waitFor(() => expect(screen.getByTestId("api-error")).toHaveTextContent("a recovery launches real instances"));
    expect(seen.find((s) => s.url === "/api/v1/executions")?.body).toEqual({ plan: "p1", version: 3, mode: "recovery", confirm: "orders" });
  });
});

describe("the console for a Viewer", () => {
  it("hides what a Viewer may not do", async () => {
    renderSignedIn(<App />, [
      (r) => (r.url.startsWith("/api/v1/protection-groups") ? json(200, { items: [{ id: "g", name: "orders-db", account: "111122223333", region: "us-east-1", selector: { tags: { Tier: "db" } }, launch_overrides: null, version: 1, created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z" }], next_cursor: null }) : undefined),
    ], VIEWER_ME, "/groups");
    await screen.findByText("orders-db");
    expect(screen.queryByText("Create group")).toBeNull();
    expect(screen.queryByText("Delete")).toBeNull();
    expect(screen.queryByRole("checkbox")).toBeNull();
    expect(screen.queryByRole("radio")).toBeNull();
  });
});
