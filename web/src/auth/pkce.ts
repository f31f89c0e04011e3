// Cognito Hosted UI sign-in: the OAuth 2.0 authorization-code flow with PKCE (RFC 7636), for a public
// client (no secret in the browser). The verifier and state wait in sessionStorage during the round trip;
// the callback checks the state, exchanges the code at the token endpoint and keeps the access token.
export interface CognitoOptions {
  authorize_url: string;
  token_url: string;
  logout_url?: string | null;
  client_id: string;
  scope: string;
}

const KEY = "drsorch.pkce";

export function base64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function randomString(n = 32): string {
  const b = new Uint8Array(n);
  crypto.getRandomValues(b);
  return base64url(b);
}

/** S256: base64url(SHA-256(verifier)). */
export async function challengeOf(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

export function redirectUri(): string {
  return `${window.location.origin}/auth/callback`;
}

/** The Hosted UI address to send the browser to; remembers the verifier, the state and where to return. */
export async function authorizeUrl(c: CognitoOptions, next: string): Promise<string> {
  const verifier = randomString(48), state = randomString(16);
  sessionStorage.setItem(KEY, JSON.stringify({ verifier, state, next, token_url: c.token_url, client_id: c.client_id }));
  const q = new URLSearchParams({
    response_type: "code", client_id: c.client_id, redirect_uri: redirectUri(), scope: c.scope,
    state, code_challenge: await challengeOf(verifier), code_challenge_method: "S256",
  });
  return `${c.authorize_url}?${q.toString()}`;
}

export interface Exchanged {
  accessToken: string;
  expiresIn: number;
  next: string;
}

/** The callback: check the state, trade the code for tokens. Throws with the words to show. */
export async function exchangeCode(search: string, fetcher: typeof fetch = fetch): Promise<Exchanged> {
  const q = new URLSearchParams(search);
  const raw = sessionStorage.getItem(KEY);
  sessionStorage.removeItem(KEY);
  if (q.get("error")) throw new Error(`Cognito refused the sign-in: ${q.get("error_description") ?? q.get("error")}`);
  if (!raw) throw new Error("this sign-in was not started from this browser tab (no PKCE verifier): start it again");
  const saved = JSON.parse(raw) as { verifier: string; state: string; next: string; token_url: string; client_id: string };
  if (!q.get("code") || q.get("state") !== saved.state) throw new Error("the sign-in answer does not match the request (state): start it again");
  const r = await fetcher(saved.token_url, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", client_id: saved.client_id, code: q.get("code")!,
      redirect_uri: redirectUri(), code_verifier: saved.verifier }).toString(),
  });
  const body = (await r.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; error?: string; error_description?: string };
  if (!r.ok || !body.access_token) throw new Error(`Cognito did not give a token: ${body.error_description ?? body.error ?? `HTTP ${r.status}`}`);
  return { accessToken: body.access_token, expiresIn: body.expires_in ?? 3600, next: saved.next };
}

/** Where signing out of the Hosted UI goes (its /logout, back to the console's sign-in page, which the
 * client lists among its LogoutURLs); null without a logout endpoint. */
export function hostedUiLogout(c: CognitoOptions, origin: string): string | null {
  if (!c.logout_url) return null;
  const q = new URLSearchParams({ client_id: c.client_id, logout_uri: `${origin}/sign-in` });
  return `${c.logout_url}?${q.toString()}`;
}
