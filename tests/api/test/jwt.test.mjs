// Cognito JWTs, cross-checked: the same tokens (minted here with test keys; the pool's JWKS served on
// loopback) go to drsorch's verifier (GET /api/v1/me) and to aws-jwt-verify's CognitoJwtVerifier, which
// must agree on every one: valid ones accepted by both, and alg none, HS256 signed with the public key, a
// wrong or unknown kid, expired, not yet valid, wrong issuer, audience (client) or token_use refused by both.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { createHmac, generateKeyPairSync, sign } from "node:crypto";
import { CognitoJwtVerifier } from "aws-jwt-verify";
import { SimpleJwksCache } from "aws-jwt-verify/jwk";
import { startServer, call } from "./lib.mjs";

const POOL = "us-east-1_TestPool1";
const ISSUER = `https://cognito-idp.us-east-1.amazonaws.com/${POOL}`;
const b64 = (x) => Buffer.from(typeof x === "string" ? x : JSON.stringify(x)).toString("base64url");

function keyPair(kid) {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { kid, privateKey, publicKey, jwk: { ...publicKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" } };
}

function mint({ alg = "RS256", kid, key, payload, hmacKey }) {
  const head = b64({ alg, kid, typ: "JWT" }), body = b64(payload);
  const input = `${head}.${body}`;
  if (alg === "none") return `${input}.`;
  if (alg === "HS256") return `${input}.${createHmac("sha256", hmacKey).update(input).digest("base64url")}`;
  return `${input}.${sign(alg === "RS512" ? "sha512" : "sha256", Buffer.from(input), key).toString("base64url")}`;
}

test("drsorch and aws-jwt-verify agree on Cognito tokens", { timeout: 120000 }, async () => {
  const k1 = keyPair("k1"), k2 = keyPair("k2");
  const jwks = { keys: [k1.jwk] };
  const jwksServer = createServer((req, res) => {
    res.writeHead(req.url === "/pool/.well-known/jwks.json" ? 200 : 404, { "Content-Type": "application/json" });
    res.end(JSON.stringify(jwks));
  });
  await new Promise((r) => jwksServer.listen(0, "127.0.0.1", r));
  const port = jwksServer.address().port;
  const srv = await startServer([], { settings: [
    `auth.cognito_issuer=${ISSUER}`, "auth.cognito_client_ids=client1", "auth.cognito_token_use=access",
    `auth.cognito_jwks_url=http://127.0.0.1:${port}/pool/.well-known/jwks.json`, "auth.cognito_groups=dr-ops=Operator",
    "auth.jwt_leeway=30s"] });
  const fetcher = { fetch: async () => new TextEncoder().encode(JSON.stringify(jwks)) };
  const verifier = CognitoJwtVerifier.create({ userPoolId: POOL, tokenUse: "access", clientId: "client1", graceSeconds: 30 },
                                             { jwksCache: new SimpleJwksCache({ fetcher }) });
  const now = Math.floor(Date.now() / 1000);
  const claims = (over = {}) => ({ sub: "0a1b", username: "alice", iss: ISSUER, token_use: "access", client_id: "client1",
                                    exp: now + 3600, iat: now - 60, "cognito:groups": ["dr-ops"], ...over });
  const cases = [
    ["valid", true, { kid: "k1", key: k1.privateKey, payload: claims() }],
    ["expired 10 s ago, within the grace", true, { kid: "k1", key: k1.privateKey, payload: claims({ exp: now - 10 }) }],
    ["nbf in 10 s, within the grace", true, { kid: "k1", key: k1.privateKey, payload: claims({ nbf: now + 10 }) }],
    ["alg none", false, { alg: "none", kid: "k1", payload: claims() }],
    ["HS256 keyed with the public key", false, { alg: "HS256", kid: "k1", payload: claims(),
      hmacKey: k1.publicKey.export({ format: "pem", type: "spki" }) }],
    ["RS512", false, { alg: "RS512", kid: "k1", key: k1.privateKey, payload: claims() }],
    ["signed by another key under k1", false, { kid: "k1", key: k2.privateKey, payload: claims() }],
    ["unknown kid", false, { kid: "k2", key: k2.privateKey, payload: claims() }],
    ["expired", false, { kid: "k1", key: k1.privateKey, payload: claims({ exp: now - 120 }) }],
    ["not yet valid", false, { kid: "k1", key: k1.privateKey, payload: claims({ nbf: now + 600 }) }],
    ["wrong issuer", false, { kid: "k1", key: k1.privateKey, payload: claims({ iss: ISSUER + "x" }) }],
    ["wrong client", false, { kid: "k1", key: k1.privateKey, payload: claims({ client_id: "client2" }) }],
    ["an id token", false, { kid: "k1", key: k1.privateKey, payload: claims({ token_use: "id", aud: "client1" }) }],
    ["no token_use", false, { kid: "k1", key: k1.privateKey, payload: claims({ token_use: undefined }) }],
  ];
  try {
    for (const [what, valid, spec] of cases) {
      const token = mint(spec);
      const ours = await call(srv.base, token, "GET", "/api/v1/me");
      let theirs = true;
      try { await verifier.verify(token); } catch { theirs = false; }
      assert.equal(theirs, valid, `aws-jwt-verify on "${what}"`);
      assert.equal(ours.status, valid ? 200 : 401, `drsorch on "${what}": ${ours.text}`);
      if (valid) {
        assert.equal(ours.json.name, "cognito:alice");
        assert.deepEqual(ours.json.roles, ["Operator"]);
      } else {
        assert.equal(ours.json.error.code, "Unauthorized");
      }
    }
  } finally {
    await srv.stop();
    jwksServer.close();
  }
});
