// Test helpers: a fetch that answers from a table of routes (and records what it was asked), and a render
// inside the console's router and sign-in state with that fetch behind the API client.
import { render } from "@testing-library/react";
import type { ReactNode } from "react";
import { MemoryRouter } from "react-router";
import { Api } from "../api/client";
import { AuthProvider } from "../auth/auth";

export interface Seen {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

export type Route = (req: Seen) => Response | Promise<Response> | undefined;

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });
}

/** A fetch answering each request with the first route that answers; records every request in `seen`. */
export function fakeFetch(routes: Route[]): { fetch: typeof fetch; seen: Seen[] } {
  const seen: Seen[] = [];
  const f = async (input: RequestInfo | URL, init?: RequestInit) => {
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((v, k) => (headers[k.toLowerCase()] = v));
    const req: Seen = { method: init?.method ?? "GET", url: String(input), headers, body: init?.body ? JSON.parse(String(init.body)) : undefined };
    seen.push(req);
    for (const r of routes) {
      const a = await r(req);
      if (a) return a;
    }
    return json(404, { error: { code: "NotFound", message: `no such resource: ${req.url}`, request_id: "test" } });
  };
  return { fetch: f as typeof fetch, seen };
}

export const ADMIN_ME = {
  kind: "token", name: "token:admin", roles: ["Admin"], user_id: null, csrf_token: null,
  permissions: ["groups:read", "groups:write", "plans:read", "plans:write", "executions:read", "executions:start", "executions:control",
    "executions:approve", "drs:read", "accounts:read", "accounts:write", "users:admin", "audit:read", "metrics:read"],
};

export const VIEWER_ME = { ...ADMIN_ME, name: "token:viewer", roles: ["Viewer"], permissions: ["groups:read", "plans:read", "executions:read", "drs:read", "accounts:read", "metrics:read"] };

/** Render `ui` signed in as `me` (a token kept in sessionStorage), the API answering from `routes`. */
export function renderSignedIn(ui: ReactNode, routes: Route[], me: unknown = ADMIN_ME, path = "/") {
  sessionStorage.setItem("drsorch.credentials", JSON.stringify({ kind: "token", token: "drs_test" }));
  const f = fakeFetch([(r) => (r.url.endsWith("/api/v1/me") ? json(200, me) : undefined), ...routes]);
  const api = new Api({ fetch: f.fetch });
  const view = render(<MemoryRouter initialEntries={[path]}><AuthProvider api={api}>{ui}</AuthProvider></MemoryRouter>);
  return { ...view, api, seen: f.seen };
}
