import { describe, expect, it, vi } from "vitest";
import { json, fakeFetch } from "../test/helpers";
import { allowed, Api, ApiError, expandPath, queryString } from "./client";

describe("paths and queries", () => {
  it("fills and encodes path parameters, and refuses a missing one", () => {
    expect(expandPath("/api/v1/plans/{id}/versions/{version}", { id: "a b/c", version: "2" })).toBe("/api/v1/plans/a%20b%2Fc/versions/2");
    expect(() => expandPath("/api/v1/plans/{id}", {})).toThrow(/missing path parameter id/);
  });
  it("leaves out empty parameters and repeats arrays (tag=K=V)", () => {
    expect(queryString({ a: undefined, b: "", c: 0, tag: ["App=orders", "Tier=web"], limit: 5 })).toBe("?c=0&tag=App%3Dorders&tag=Tier%3Dweb&limit=5");
    expect(queryString({})).toBe("");
  });
});

describe("Api", () => {
  it("sends a bearer token, JSON, If-Match, and returns the answer with its headers", async () => {
    const f = fakeFetch([() => json(200, { id: "g", version: 4 }, { ETag: '"4"' })]);
    const api = new Api({ fetch: f.fetch });
    api.credentials = { kind: "token", token: "drs_x" };
    const a = await api.request("updateProtectionGroup", { params: { id: "g1" }, ifMatch: 3,
      body: { name: "n", account: "111122223333", region: "us-east-1", selector: { tags: { A: "b" } } } });
    expect(a.headers.get("ETag")).toBe('"4"');
    expect(f.seen[0]).toMatchObject({ method: "PUT", url: "/api/v1/protection-groups/g1" });
    expect(f.seen[0].headers).toMatchObject({ authorization: "Bearer drs_x", "content-type": "application/json", "if-match": '"3"' });
    expect(f.seen[0].body).toEqual({ name: "n", account: "111122223333", region: "us-east-1", selector: { tags: { A: "b" } } });
  });

  it("sends a session's CSRF token on changes only, and no Authorization", async () => {
    const f = fakeFetch([() => json(200, { items: [], next_cursor: null })]);
    const api = new Api({ fetch: f.fetch });
    api.credentials = { kind: "session", csrf: "c5rf" };
    await api.call("listPlans");
    await api.call("pauseExecution", { params: { id: "x" } }).catch(() => undefined);
    expect(f.seen[0].headers["x-csrf-token"]).toBeUndefined();
    expect(f.seen[1].headers["x-csrf-token"]).toBe("c5rf");
    expect(f.seen[1].headers.authorization).toBeUndefined();
  });

  it("turns the error envelope into an ApiError in the API's words", async () => {
    const f = fakeFetch([() => json(409, { error: { code: "Conflict", message: "server s-1 is already in protection group 'db'", details: { field: "selector" }, request_id: "r-1" } })]);
    const api = new Api({ fetch: f.fetch });
    const e = await api.call("createProtectionGroup", { body: { name: "x", account: "1", region: "r", selector: {} } }).catch((x) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect(e).toMatchObject({ status: 409, code: "Conflict", message: "server s-1 is already in protection group 'db'", requestId: "r-1" });
  });

  it("says what happened when the answer is not the envelope, or the server cannot be reached", async () => {
    const api = new Api({ fetch: (async () => new Response("bad gateway", { status: 502, statusText: "Bad Gateway" })) as typeof fetch });
    await expect(api.call("listPlans")).rejects.toMatchObject({ status: 502, message: "the server answered 502 Bad Gateway: bad gateway" });
    const down = new Api({ fetch: (async () => { throw new TypeError("Failed to fetch"); }) as typeof fetch });
    await expect(down.call("listPlans")).rejects.toMatchObject({ status: 0, code: "NetworkError", message: expect.stringMatching(/could not be reached \(Failed to fetch\)/) });
  });

  it("reports a 401 so the console can return to sign-in, except when signing in", async () => {
    const onUnauthorized = vi.fn();
    const f = fakeFetch([() => json(401, { error: { code: "Unauthorized", message: "the session has ended", request_id: "r" } })]);
    const api = new Api({ fetch: f.fetch, onUnauthorized });
    await api.call("listPlans").catch(() => undefined);
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    await api.call("createSession", { body: { username: "a", password: "b" } }).catch(() => undefined);
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
  });

  it("follows next_cursor through every page", async () => {
    const f = fakeFetch([(r) => (r.url.includes("cursor=2") ? json(200, { items: [3], next_cursor: null }) : json(200, { items: [1, 2], next_cursor: "2" }))]);
    const api = new Api({ fetch: f.fetch });
    expect(await api.all("listPlans")).toEqual([1, 2, 3]);
    expect(f.seen.map((s) => s.url)).toEqual(["/api/v1/plans?limit=1000", "/api/v1/plans?limit=1000&cursor=2"]);
  });
});

describe("allowed", () => {
  it("reads the operation's permission from the OpenAPI document", () => {
    expect(allowed(["executions:read"], "startExecution")).toBe(false);
    expect(allowed(["executions:start"], "startExecution")).toBe(true);
    expect(allowed(undefined, "getHealth")).toBe(true);
    expect(allowed([], "getMe")).toBe(true);
    expect(allowed(undefined, "getMe")).toBe(false);
  });
});
