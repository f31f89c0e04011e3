import { beforeEach, describe, expect, it } from "vitest";
import { json } from "../test/helpers";
import { authorizeUrl, exchangeCode, hostedUiLogout } from "./pkce";

const cognito = { authorize_url: "https://drs.auth.eu-west-1.amazoncognito.com/oauth2/authorize", token_url: "https://drs.auth.eu-west-1.amazoncognito.com/oauth2/token", client_id: "client1", scope: "openid" };

describe("Cognito sign-in with PKCE", () => {
  beforeEach(() => sessionStorage.clear());

  it("sends the browser to the Hosted UI with an S256 challenge, and trades the code with the verifier", async () => {
    const url = new URL(await authorizeUrl(cognito, "/history?mode=drill"));
    expect(url.origin + url.pathname).toBe(cognito.authorize_url);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({ response_type: "code", client_id: "client1", scope: "openid", code_challenge_method: "S256", redirect_uri: `${window.location.origin}/auth/callback` });
    const state = url.searchParams.get("state")!;
    let sent: URLSearchParams | null = null;
    const t = await exchangeCode(`?code=abc&state=${state}`, (async (_u: RequestInfo | URL, init?: RequestInit) => {
      sent = new URLSearchParams(String(init?.body));
      return json(200, { access_token: "eyJ.access", expires_in: 3600, token_type: "Bearer" });
    }) as typeof fetch);
    expect(t).toEqual({ accessToken: "eyJ.access", expiresIn: 3600, next: "/history?mode=drill" });
    expect(sent!.get("grant_type")).toBe("authorization_code");
    expect(sent!.get("code")).toBe("abc");
    expect(sent!.get("code_verifier")!.length).toBeGreaterThanOrEqual(43);
  });

  it("refuses an answer whose state does not match, one not started here, and Cognito's own refusal", async () => {
    await authorizeUrl(cognito, "/");
    await expect(exchangeCode("?code=abc&state=forged")).rejects.toThrow(/does not match/);
    await expect(exchangeCode("?code=abc&state=x")).rejects.toThrow(/not started from this browser tab/);
    await authorizeUrl(cognito, "/");
    await expect(exchangeCode("?error=access_denied&error_description=User+is+disabled")).rejects.toThrow("Cognito refused the sign-in: User is disabled");
  });
});

describe("hostedUiLogout", () => {
  it("ends the Hosted UI session and comes back to the sign-in page the client lists", () => {
    const c = { authorize_url: "https://drs.auth.eu-west-1.amazoncognito.com/oauth2/authorize",
      token_url: "https://drs.auth.eu-west-1.amazoncognito.com/oauth2/token",
      logout_url: "https://drs.auth.eu-west-1.amazoncognito.com/logout", client_id: "c1", scope: "openid" };
    expect(hostedUiLogout(c, "https://d111.cloudfront.net")).toBe(
      "https://drs.auth.eu-west-1.amazoncognito.com/logout?client_id=c1&logout_uri=https%3A%2F%2Fd111.cloudfront.net%2Fsign-in");
    expect(hostedUiLogout({ ...c, logout_url: null }, "https://d111.cloudfront.net")).toBeNull();
  });
});
