// The API Gateway stack forwards to the engine's router: every path it names explicitly (the routes it
// lets through without the Cognito authorizer) is a route drsorch answers without credentials, through the
// same handler the function runs (`drsorch lambda invoke` with an API Gateway proxy event), and the
// authenticated {proxy+} reaches the router's authentication (401 without a token, never 404).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { bin, run } from '../lib/drsorch.mjs';
import { cfnDir, loadTemplate } from '../lib/templates.mjs';

const skip = bin ? false : 'DRSORCH_BIN is not set (run through ctest)';
const api = loadTemplate(path.join(cfnDir, 'api-stack.yaml'));

// "/api/v1/health" for each AWS::ApiGateway::Resource, from its PathPart up through its parents.
function resourcePath(name) {
  const r = api.Resources[name];
  const parent = r.Properties.ParentId;
  const up = parent && parent.Ref ? resourcePath(parent.Ref) : '';
  return `${up}/${r.Properties.PathPart}`;
}

const methods = Object.values(api.Resources).filter((r) => r.Type === 'AWS::ApiGateway::Method');
const open = methods.filter((m) => m.Properties.AuthorizationType === 'NONE' && m.Properties.HttpMethod !== 'OPTIONS')
  .map((m) => ({ method: m.Properties.HttpMethod, path: resourcePath(m.Properties.ResourceId.Ref) }));

function event(method, p) {
  return { resource: p, path: p, httpMethod: method, headers: { Accept: 'application/json' },
    queryStringParameters: null, multiValueQueryStringParameters: null, pathParameters: null,
    requestContext: { identity: { sourceIp: '127.0.0.1' }, requestId: 'r-1', stage: 'prod' },
    body: null, isBase64Encoded: false };
}

async function invoke(dir, ev) {
  const file = path.join(dir, 'event.json');
  fs.writeFileSync(file, JSON.stringify(ev));
  const r = await run(['lambda', 'invoke', '--event', file], {
    // As Lambda gives a function: a region and the role's credentials in the environment.
    env: { DRSORCH_LAMBDA_STORE: `sqlite:${path.join(dir, 'store.db')}`, HOME: dir, AWS_EC2_METADATA_DISABLED: 'true',
      AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIDLAMBDAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'lambda/secret/EXAMPLE',
      AWS_SESSION_TOKEN: 'session-token' } });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('the API stack names its unauthenticated routes', () => {
  assert.ok(open.length >= 2, JSON.stringify(open));
});

test('every route the API stack lets through unauthenticated is a public route of the router', { skip }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drsorch-routes-'));
  try {
    for (const r of open) {
      const answer = await invoke(dir, event(r.method, r.path));
      assert.equal(answer.statusCode, 200, `${r.method} ${r.path}: ${answer.body}`);
    }
    const proxied = await invoke(dir, event('GET', '/api/v1/executions'));
    assert.equal(proxied.statusCode, 401, `a route behind the authorizer needs credentials: ${proxied.body}`);
    const unknown = await invoke(dir, event('GET', '/api/v1/no-such-route'));
    assert.equal(unknown.statusCode, 404, unknown.body);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
