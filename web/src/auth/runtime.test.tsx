import { render, screen, waitFor } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Api } from "../api/client";
import SignIn from "../pages/SignIn";
import { fakeFetch, json } from "../test/helpers";
import { AuthProvider } from "./auth";
import { authorizeUrl } from "./pkce";
import { loadRuntimeConfig, type RuntimeConfig } from "./runtime";

const DEPLOYED = {
  apiUrl: "https://abc123.execute-api.us-east-1.amazonaws.com/dev", userPoolId: "us-east-1_AbCdEf123",
  userPoolClientId: "1example23456789", cognitoDomain: "https://drsorch-111122223333.auth.us-east-1.amazoncognito.com",
  scopes: "openid", region: "us-east-1", build: "drsorch-lambda-0123456789ab.zip",
};

const answering = (r: Response) => (async () => r) as unknown as typeof fetch;

describe("the deployment's runtime configuration", () => {
  it("is the API's address and the Hosted UI when the deployment wrote it", async () => {
    const c = await loadRuntimeConfig(answering(json(200, DEPLOYED)));
    expect(c).toEqual({
      apiUrl: DEPLOYED.apiUrl,
      cognito: { authorize_url: `${DEPLOYED.cognitoDomain}/oauth2/authorize`, token_url: `${DEPLOYED.cognitoDomain}/oauth2/token`,
        logout_url: `${DEPLOYED.cognitoDomain}/logout`, client_id: DEPLOYED.userPoolClientId, scope: "openid" },
    });
    // the Hosted UI is asked for the client and scope the deployment names, returning to the console's callback
    const url = new URL(await authorizeUrl(c!.cognito, "/"));
    expect(url.origin + url.pathname).toBe(`${DEPLOYED.cognitoDomain}/oauth2/authorize`);
    expect(url.searchParams.get("client_id")).toBe(DEPLOYED.userPoolClientId);
    expect(url.searchParams.get("scope")).toBe("openid");
  });

  it("is none under drsorch serve: no file, or the console's page in its place", async () => {
    expect(await loadRuntimeConfig(answering(json(404, { error: { code: "NotFound", message: "x" } })))).toBeNull();
    expect(await loadRuntimeConfig(answering(new Response("<!doctype html>", { status: 200, headers: { "Content-Type": "text/html" } })))).toBeNull();
    expect(await loadRuntimeConfig((async () => { throw new TypeError("offline"); }) as unknown as typeof fetch)).toBeNull();
  });

  it("says what is wrong with a file that cannot sign anybody in", async () => {
    const { cognitoDomain: _, ...noDomain } = DEPLOYED;
    await expect(loadRuntimeConfig(answering(json(200, noDomain)))).rejects.toThrow(/lacks cognitoDomain/);
    await expect(loadRuntimeConfig(answering(json(200, { ...DEPLOYED, cognitoDomain: "http://x" })))).rejects.toThrow(/not an https/);
  });
});

describe("signing in", () => {
  beforeEach(() => sessionStorage.clear());
  afterEach(() => vi.unstubAllGlobals());

  it("deployed: only the Hosted UI, and the API at apiUrl", async () => {
    const f = fakeFetch([(r) => (r.url.endsWith("/api/v1/me") ? json(401, { message: "Unauthorized" }) : undefined)]);
    vi.stubGlobal("fetch", f.fetch);
    const runtime: RuntimeConfig = (await loadRuntimeConfig(answering(json(200, DEPLOYED))))!;
    render(<MemoryRouter initialEntries={["/sign-in"]}><AuthProvider runtime={runtime}><SignIn /></AuthProvider></MemoryRouter>);
    expect(await screen.findByRole("button", { name: "Continue to Cognito sign-in" })).toBeTruthy();
    expect(screen.queryByRole("tab", { name: "API token" })).toBeNull();
    expect(screen.queryByRole("tab", { name: "User name and password" })).toBeNull();
    await waitFor(() => expect(f.seen.length).toBeGreaterThan(0));
    expect(f.seen.map((s) => s.url)).toEqual([`${DEPLOYED.apiUrl}/api/v1/me`]);
  });

  it("under drsorch serve: as GET /api/v1/auth/options says, on the console's own origin", async () => {
    const options = { password: true, token: true, cognito: { authorize_url: "https://drs.auth.eu-west-1.amazoncognito.com/oauth2/authorize",
      token_url: "https://drs.auth.eu-west-1.amazoncognito.com/oauth2/token", logout_url: "https://drs.auth.eu-west-1.amazoncognito.com/logout",
      client_id: "client1", scope: "openid" } };
    const f = fakeFetch([
      (r) => (r.url.endsWith("/api/v1/me") ? json(401, { error: { code: "Unauthorized", message: "credentials needed", request_id: "t" } }) : undefined),
      (r) => (r.url === "/api/v1/auth/options" ? json(200, options) : undefined),
    ]);
    render(<MemoryRouter initialEntries={["/sign-in"]}><AuthProvider api={new Api({ fetch: f.fetch })}><SignIn /></AuthProvider></MemoryRouter>);
    expect(await screen.findByRole("tab", { name: "Cognito" })).toBeTruthy();
    expect(screen.getByRole("tab", { name: "API token" })).toBeTruthy();
    expect(screen.getByRole("tab", { name: "User name and password" })).toBeTruthy();
    expect(f.seen.some((s) => s.url === "/api/v1/auth/options")).toBe(true);
  });
});
