// The console's one way to the REST API: typed by the operations generated from the OpenAPI document
// (schema.gen.ts), credentials attached (a bearer token, or the session cookie with its CSRF token on
// changes), every failure turned into an ApiError carrying the API's own words (the error envelope's code,
// message, details and request id), and a 401 reported once so the console can return to sign-in.
import { operations, type OperationId, type OperationTypes } from "./operations.gen";

export type Credentials =
  | { kind: "token"; token: string }
  | { kind: "cognito"; token: string; expiresAt?: number }
  | { kind: "session"; csrf: string };

/** An answer that is not a success, in the API's words. status 0: the server could not be reached. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  readonly requestId: string | null;
  constructor(status: number, code: string, message: string, details?: unknown, requestId?: string | null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
    this.requestId = requestId ?? null;
  }
}

/** Anything thrown, as the words to show: an ApiError's message, or the exception's own. */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}

type Args<K extends OperationId> = {
  params?: OperationTypes[K]["params"];
  query?: OperationTypes[K]["query"];
  body?: OperationTypes[K]["body"];
  ifMatch?: string | number;
  signal?: AbortSignal;
};

export interface Answer<T> {
  data: T;
  status: number;
  headers: Headers;
}

export interface ApiOptions {
  /** Where /api/v1 lives; "" is the page's own origin. */
  base?: string;
  fetch?: typeof fetch;
  /** Called when the credentials stop working (401 on anything but signing in). */
  onUnauthorized?: (e: ApiError) => void;
}

const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Fill "/api/v1/x/{id}" from params, percent-encoding each value. */
export function expandPath(path: string, params: Record<string, string> | undefined): string {
  return path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const v = params?.[name];
    if (v === undefined || v === "") throw new Error(`missing path parameter ${name} for ${path}`);
    return encodeURIComponent(v);
  });
}

/** The query string for an operation's parameters: undefined and "" are left out, arrays repeat the name. */
export function queryString(query: Record<string, unknown> | undefined): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v === undefined || v === null || v === "") continue;
    for (const one of Array.isArray(v) ? v : [v]) q.append(k, String(one));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** An answer's error envelope as an ApiError (or one made from the status when the body is not one). */
export async function toApiError(r: Response): Promise<ApiError> {
  let body: unknown = null;
  const text = await r.text().catch(() => "");
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  const e = (body as { error?: { code?: string; message?: string; details?: unknown; request_id?: string } } | null)?.error;
  if (e && typeof e.message === "string")
    return new ApiError(r.status, e.code ?? "Error", e.message, e.details, e.request_id ?? r.headers.get("X-Request-Id"));
  const what = text && text.length < 300 ? `: ${text.trim()}` : "";
  return new ApiError(r.status, `Http${r.status}`, `the server answered ${r.status} ${r.statusText}${what}`, undefined,
    r.headers.get("X-Request-Id"));
}

export class Api {
  credentials: Credentials | null = null;
  private readonly base: string;
  private readonly fetcher: typeof fetch;
  onUnauthorized?: (e: ApiError) => void;

  constructor(opts: ApiOptions = {}) {
    this.base = opts.base ?? "";
    this.fetcher = opts.fetch ?? ((...a: Parameters<typeof fetch>) => fetch(...a));
    this.onUnauthorized = opts.onUnauthorized;
  }

  /** The headers that carry the credentials (and, for a session's change, its CSRF token). */
  authHeaders(method = "GET"): Record<string, string> {
    const c = this.credentials;
    if (!c) return {};
    if (c.kind === "session") return MUTATING.has(method) ? { "X-CSRF-Token": c.csrf } : {};
    return { Authorization: `Bearer ${c.token}` };
  }

  url(path: string): string {
    return this.base + path;
  }

  /** A request outside the typed operations (the event stream), through the same fetch. */
  raw(path: string, init: RequestInit): Promise<Response> {
    return this.fetcher(this.url(path), init);
  }

  /** One operation, with its status and headers (ETag, Location). Throws ApiError. */
  async request<K extends OperationId>(id: K, args: Args<K> = {}): Promise<Answer<OperationTypes[K]["response"]>> {
    const op = operations[id];
    const path = expandPath(op.path, args.params as Record<string, string> | undefined);
    const headers: Record<string, string> = { Accept: "application/json", ...this.authHeaders(op.method) };
    let body: string | undefined;
    if (args.body !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(args.body);
    }
    if (args.ifMatch !== undefined) headers["If-Match"] = `"${String(args.ifMatch).replace(/"/g, "")}"`;
    let r: Response;
    try {
      r = await this.fetcher(this.url(path + queryString(args.query as Record<string, unknown>)), {
        method: op.method, headers, body, credentials: "same-origin", signal: args.signal,
      });
    } catch (e) {
      if ((e as Error)?.name === "AbortError") throw e;
      throw new ApiError(0, "NetworkError", `the server could not be reached (${errorText(e)}); check that drsorch serve is running`);
    }
    if (!r.ok) {
      const err = await toApiError(r);
      if (r.status === 401 && id !== "createSession") this.onUnauthorized?.(err);
      throw err;
    }
    let data: unknown = undefined;
    if (r.status !== 204) {
      const type = r.headers.get("Content-Type") ?? "";
      data = type.includes("json") ? await r.json() : await r.text();
    }
    return { data: data as OperationTypes[K]["response"], status: r.status, headers: r.headers };
  }

  /** One operation's answer body. Throws ApiError. */
  async call<K extends OperationId>(id: K, args: Args<K> = {}): Promise<OperationTypes[K]["response"]> {
    return (await this.request(id, args)).data;
  }

  /** Every page of a list operation (following next_cursor), up to `max` items. */
  async all<K extends OperationId>(id: K, args: Args<K> = {}, max = 5000): Promise<ItemOf<OperationTypes[K]["response"]>[]> {
    const items: ItemOf<OperationTypes[K]["response"]>[] = [];
    let cursor: string | null | undefined = undefined;
    do {
      const query = { ...(args.query ?? {}), limit: 1000, ...(cursor ? { cursor } : {}) } as OperationTypes[K]["query"];
      const page = (await this.call(id, { ...args, query })) as unknown as { items: ItemOf<OperationTypes[K]["response"]>[]; next_cursor: string | null };
      items.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor && items.length < max);
    return items;
  }
}

type ItemOf<T> = T extends { items: (infer I)[] } ? I : never;

/** Whether the signed-in caller's permissions allow an operation (the server checks it anyway). */
export function allowed(permissions: readonly string[] | undefined, id: OperationId): boolean {
  const need = operations[id].permission;
  if (need === "public") return true;
  if (need === "signed-in") return !!permissions;
  return !!permissions?.includes(need);
}
