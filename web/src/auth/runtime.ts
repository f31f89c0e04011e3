// The deployment's runtime configuration: on AWS the console is served by CloudFront and the API is API
// Gateway's, so the ConsoleDeployment custom resource writes /runtime-config.json next to the console
// (apiUrl, userPoolId, userPoolClientId, cognitoDomain, scopes, region, build). When it is there the
// console calls the API at apiUrl and signs in only through Cognito's Hosted UI (API Gateway's authorizer
// takes nothing else); without it (`drsorch serve`, which has no such file) the API is the console's own
// origin and GET /api/v1/auth/options says how to sign in.
import type { AuthOptions } from "../api/schema.gen";
import type { CognitoOptions } from "./pkce";

export const RUNTIME_CONFIG_PATH = "/runtime-config.json";

export interface RuntimeConfig {
  apiUrl: string;
  cognito: CognitoOptions;
}

/** The Hosted UI's endpoints for a domain (https://<prefix>.auth.<region>.amazoncognito.com). */
export function hostedUi(domain: string, clientId: string, scope: string): CognitoOptions {
  const base = domain.replace(/\/+$/, "");
  return { authorize_url: `${base}/oauth2/authorize`, token_url: `${base}/oauth2/token`, logout_url: `${base}/logout`,
    client_id: clientId, scope };
}

function text(v: unknown): string | null {
  return typeof v === "string" && v.trim() ? v.trim() : null;
}

/** The configuration the deployment wrote, or null when there is none (a page, not JSON, is none too:
 * a server without the file may answer any path with the console). Throws when the file is there but
 * unusable, saying what is wrong: signing in could not work. */
export async function loadRuntimeConfig(fetcher: typeof fetch = fetch): Promise<RuntimeConfig | null> {
  let r: Response;
  try {
    r = await fetcher(RUNTIME_CONFIG_PATH, { cache: "no-store", headers: { Accept: "application/json" } });
  } catch {
    return null;
  }
  if (!r.ok || !(r.headers.get("Content-Type") ?? "").includes("json")) return null;
  let c: Record<string, unknown>;
  try {
    c = (await r.json()) as Record<string, unknown>;
  } catch {
    return null;
  }
  const apiUrl = text(c?.apiUrl), domain = text(c?.cognitoDomain), client = text(c?.userPoolClientId);
  const missing = [!apiUrl && "apiUrl", !domain && "cognitoDomain", !client && "userPoolClientId"].filter(Boolean);
  if (missing.length) throw new Error(`${RUNTIME_CONFIG_PATH} lacks ${missing.join(", ")}: redeploy the console (its ConsoleDeployment resource writes them)`);
  if (!/^https?:\/\//.test(apiUrl!)) throw new Error(`${RUNTIME_CONFIG_PATH}: apiUrl '${apiUrl}' is not an http(s) address`);
  if (!domain!.startsWith("https://")) throw new Error(`${RUNTIME_CONFIG_PATH}: cognitoDomain '${domain}' is not an https:// address`);
  return { apiUrl: apiUrl!.replace(/\/+$/, ""), cognito: hostedUi(domain!, client!, text(c.scopes) ?? "openid") };
}

/** How to sign in: from the deployment's configuration (Cognito only), else as the server says. */
export function signInOptions(runtime: RuntimeConfig): AuthOptions {
  return { password: false, token: false, cognito: { ...runtime.cognito, logout_url: runtime.cognito.logout_url ?? "" } };
}
