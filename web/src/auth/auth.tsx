// Who is signed in, and how: an API token or a Cognito access token (kept in this tab's sessionStorage and
// sent as a bearer token), or a local user's console session (an HttpOnly cookie the browser keeps; its
// CSRF token comes back from GET /me). When the API answers 401 the credentials are dropped and the
// console returns to sign-in, remembering the page to come back to.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { useLocation, useNavigate } from "react-router";
import { Api, ApiError, allowed, type Credentials } from "../api/client";
import type { OperationId } from "../api/operations.gen";
import type { Me } from "../api/schema.gen";
import { hostedUiLogout } from "./pkce";
import type { RuntimeConfig } from "./runtime";

const STORE_KEY = "drsorch.credentials";

export interface Auth {
  api: Api;
  /** The deployment's configuration (/runtime-config.json): the API's address and the Hosted UI; null under
   * `drsorch serve`. */
  runtime: RuntimeConfig | null;
  me: Me | null;
  /** The first look at who is signed in has not finished. */
  loading: boolean;
  /** Why the last session ended, to say on the sign-in page. */
  ended: string | null;
  signInToken(token: string, kind?: "token" | "cognito"): Promise<Me>;
  signInPassword(username: string, password: string): Promise<Me>;
  signOut(): Promise<void>;
  /** Whether the signed-in roles allow the operation (the server refuses it anyway when not). */
  can(op: OperationId): boolean;
}

const AuthContext = createContext<Auth | null>(null);

export function useAuth(): Auth {
  const a = useContext(AuthContext);
  if (!a) throw new Error("useAuth outside AuthProvider");
  return a;
}

/** The API client of the signed-in user. */
export function useApi(): Api {
  return useAuth().api;
}

function storedCredentials(): Credentials | null {
  try {
    const raw = sessionStorage.getItem(STORE_KEY);
    const c = raw ? (JSON.parse(raw) as Credentials) : null;
    return c && (c.kind === "token" || c.kind === "cognito") && typeof c.token === "string" ? c : null;
  } catch {
    return null;
  }
}

function storeCredentials(c: Credentials | null) {
  try {
    if (c && c.kind !== "session") sessionStorage.setItem(STORE_KEY, JSON.stringify(c));
    else sessionStorage.removeItem(STORE_KEY);
  } catch {
    /* storage refused (private mode): the sign-in lasts until the page reloads */
  }
}

const METHOD_KEY = "drsorch.sign-in-method";

/** How this browser signed in last ("token", "password", "cognito"): the sign-in page opens on it. */
export function lastMethod(): string {
  try {
    return localStorage.getItem(METHOD_KEY) ?? "token";
  } catch {
    return "token";
  }
}

function rememberMethod(m: string) {
  try {
    localStorage.setItem(METHOD_KEY, m);
  } catch {
    /* not kept: the sign-in page opens on the token */
  }
}

/** The page to return to after signing in: only a path of this console, never another site. */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/sign-in")) return "/";
  return next;
}

export function AuthProvider({ children, api: given, runtime = null }: { children: ReactNode; api?: Api; runtime?: RuntimeConfig | null }) {
  const api = useMemo(() => given ?? new Api({ base: runtime?.apiUrl }), [given, runtime]);
  const [me, setMe] = useState<Me | null>(null);
  const [loading, setLoading] = useState(true);
  const [ended, setEnded] = useState<string | null>(null);
  const navigate = useNavigate();
  const location = useLocation();
  const here = useRef("/");
  here.current = location.pathname + location.search;

  const forget = useCallback(() => {
    api.credentials = null;
    storeCredentials(null);
    setMe(null);
  }, [api]);

  useEffect(() => {
    api.onUnauthorized = (e: ApiError) => {
      if (!api.credentials) return;
      forget();
      setEnded(`Your sign-in is no longer valid: ${e.message.replace(/[.:;]?\s*sign in again\.?$/i, "")}. Sign in again to go on where you were.`);
      if (!here.current.startsWith("/sign-in")) navigate(`/sign-in?next=${encodeURIComponent(here.current)}`, { replace: true });
    };
  }, [api, forget, navigate]);

  useEffect(() => {
    let cancelled = false;
    (async () => {
      const stored = storedCredentials();
      api.credentials = stored;
      try {
        const who = await api.call("getMe");
        if (cancelled) return;
        if (!stored) api.credentials = { kind: "session", csrf: who.csrf_token ?? "" };
        setMe(who);
      } catch {
        if (!cancelled) forget();
      } finally {
        if (!cancelled) setLoading(false);
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [api, forget]);

  const signInToken = useCallback(
    async (token: string, kind: "token" | "cognito" = "token") => {
      const creds: Credentials = { kind, token: token.trim() };
      const before = api.credentials;
      api.credentials = creds;
      try {
        const who = await api.call("getMe");
        storeCredentials(creds);
        rememberMethod(kind === "cognito" ? "cognito" : "token");
        setEnded(null);
        setMe(who);
        return who;
      } catch (e) {
        api.credentials = before;
        throw e;
      }
    },
    [api],
  );

  const signInPassword = useCallback(
    async (username: string, password: string) => {
      api.credentials = null;
      const s = await api.call("createSession", { body: { username, password } });
      api.credentials = { kind: "session", csrf: s.csrf_token };
      storeCredentials(null);
      rememberMethod("password");
      const who = await api.call("getMe");
      setEnded(null);
      setMe(who);
      return who;
    },
    [api],
  );

  const signOut = useCallback(async () => {
    const kind = api.credentials?.kind;
    try {
      if (kind === "session") await api.call("deleteSession");
    } finally {
      forget();
      setEnded(null);
    }
    /* A Cognito sign-in also ends at the Hosted UI, or "Continue to Cognito" would sign straight back in. */
    if (kind === "cognito") {
      const cognito = runtime?.cognito ?? (await api.call("getAuthOptions").catch(() => null))?.cognito;
      const url = cognito ? hostedUiLogout(cognito, window.location.origin) : null;
      if (url) window.location.assign(url);
    }
  }, [api, forget, runtime]);

  const can = useCallback((op: OperationId) => allowed(me?.permissions, op), [me]);

  const value = useMemo<Auth>(
    () => ({ api, runtime, me, loading, ended, signInToken, signInPassword, signOut, can }),
    [api, runtime, me, loading, ended, signInToken, signInPassword, signOut, can],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}
