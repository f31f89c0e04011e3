// sdk_crosscheck: holds orch_aws_proto up against the official AWS SDK for JavaScript v3. Reads the
// exchanges tests/unit/aws/test_proto_roundtrip.c writes to $ORCH_BINARY_DIR/aws-fixtures/ and
//  - feeds every server-built response and error to the SDK client (through a fake request handler)
//    and checks the SDK reads back the output (or error code, message, status, request id) we meant;
//  - has the SDK build every request from the same input and checks ours is equivalent (method, path,
//    query parameters, protocol headers, body as JSON or as form parameters).
// Uses the SDK clients installed under tests/sdk/node_modules (npm ci there). Run:
//   node engine/aws/tools/sdk_crosscheck.mjs build/awsproto/aws-fixtures [tests/sdk]
import { createRequire } from 'node:module';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';

const fixtures = process.argv[2];
const sdkDir = path.resolve(process.argv[3] || path.join(path.dirname(new URL(import.meta.url).pathname), '../../../tests/sdk'));
const require = createRequire(path.join(sdkDir, 'package.json'));

const clients = {
  cloudfront: ['@aws-sdk/client-cloudfront', 'CloudFrontClient'],
  drs: ['@aws-sdk/client-drs', 'DrsClient'],
  dynamodb: ['@aws-sdk/client-dynamodb', 'DynamoDBClient'],
  ec2: ['@aws-sdk/client-ec2', 'EC2Client'],
  s3: ['@aws-sdk/client-s3', 'S3Client'],
  'service-quotas': ['@aws-sdk/client-service-quotas', 'ServiceQuotasClient'],
  sns: ['@aws-sdk/client-sns', 'SNSClient'],
  ssm: ['@aws-sdk/client-ssm', 'SSMClient'],
  sts: ['@aws-sdk/client-sts', 'STSClient'],
};

function client(service, handle) {
  const [pkg, cls] = clients[service];
  const mod = require(pkg);
  return {
    mod,
    c: new mod[cls]({
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      requestHandler: { handle, updateHttpClientConfig() {}, httpHandlerConfigs: () => ({}) },
      maxAttempts: 1,
      // Our fixtures are the protocol's path-style requests (bucket addressing is the client's, after it).
      ...(service === 's3' ? { forcePathStyle: true } : {}),
    }),
  };
}

// SDK output -> our JSON form: Dates as ISO strings, $metadata dropped, undefined members gone.
function plain(v) {
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') {
    const o = {};
    for (const [k, x] of Object.entries(v)) if (k !== '$metadata' && x !== undefined) o[k] = plain(x);
    return o;
  }
  return v;
}

const canon = (v) => JSON.stringify(v, (k, x) => (x && typeof x === 'object' && !Array.isArray(x)
  ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x));

// Idempotency tokens are random on both sides, and the SDK's Smithy models mark some the botocore models
// do not (ec2 CreateLaunchTemplateVersion ClientToken): they are left out of the comparison.
const TOKENS = new Set(['ClientToken', 'ClientRequestToken']);
// The S3 SDK marks some requests with an x-id=<Operation> query parameter of its own, which S3 ignores.
const SDK_ONLY = new Set(['x-id']);
function params(s) {
  return [...new URLSearchParams(s)].filter(([k]) => !TOKENS.has(k) && !SDK_ONLY.has(k)).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

let passed = 0, failed = 0;
function check(name, ok, detail) {
  if (ok) passed++;
  else { failed++; console.log(`FAIL ${name}: ${detail}`); }
}

for (const file of readdirSync(fixtures).filter((f) => f.endsWith('.json')).sort()) {
  const fx = JSON.parse(readFileSync(path.join(fixtures, file), 'utf8'));
  const name = file.replace(/\.json$/, '');
  if (!clients[fx.service]) { check(`${name} client`, false, `no SDK client for ${fx.service}: add it to tests/sdk/package.json and clients here`); continue; }
  if (fx.kind === 'request') {
    let captured;
    const { mod, c } = client(fx.service, async (req) => {
      captured = req;
      throw new Error('captured');
    });
    // Our JSON carries blobs as base64; the SDK takes their bytes (S3 PutObject's Body payload).
    const sdkInput = fx.operation === 'PutObject' ? { ...fx.expect, Body: Buffer.from(fx.expect.Body, 'base64') } : fx.expect;
    try { await c.send(new mod[`${fx.operation}Command`](sdkInput)); } catch (e) { if (!captured) throw e; }
    const sdkBody = typeof captured.body === 'string' ? captured.body : Buffer.from(captured.body || '').toString();
    const sdkQuery = new URLSearchParams(captured.query || {}).toString();
    check(`${name} method`, captured.method === fx.method, `${captured.method} vs ${fx.method}`);
    // S3 reads "/bucket/" (the SDK's) and "/bucket" (botocore's) alike.
    const samePath = captured.path === fx.path || (fx.service === 's3' && captured.path === `${fx.path}/`);
    check(`${name} path`, samePath, `${captured.path} vs ${fx.path}`);
    check(`${name} query`, canon(params(sdkQuery)) === canon(params(fx.query)), `${sdkQuery} vs ${fx.query}`);
    for (const h of ['content-type', 'x-amz-target']) {
      const want = Object.entries(captured.headers).find(([k]) => k.toLowerCase() === h)?.[1];
      const got = Object.entries(fx.headers).find(([k]) => k.toLowerCase() === h)?.[1];
      check(`${name} ${h}`, (want || '').split(';')[0] === (got || '').split(';')[0], `sdk '${want}' vs ours '${got}'`);
    }
    const json = (fx.headers['Content-Type'] || '').includes('json');
    const xml = (fx.headers['Content-Type'] || '').includes('xml');
    // XML documents compared without the declaration and without whitespace between elements.
    const xmlNorm = (t) => String(t || '').replace(/^<\?xml[^>]*\?>/, '').replace(/>\s+</g, '><').replace(/\s*\/>/g, '/>').trim();
    const untokened = (text) => Object.fromEntries(Object.entries(JSON.parse(text || '{}')).filter(([k]) => !TOKENS.has(k)));
    const same = xml ? xmlNorm(sdkBody) === xmlNorm(fx.body) : json ? canon(untokened(sdkBody)) === canon(untokened(fx.body))
      : canon(params(sdkBody)) === canon(params(fx.body));
    check(`${name} body`, same, `\n  sdk  ${sdkBody}\n  ours ${fx.body}`);
    continue;
  }
  const { mod, c } = client(fx.service, async () => ({
    response: { statusCode: fx.status, headers: Object.fromEntries(Object.entries(fx.headers).map(([k, v]) => [k.toLowerCase(), v])),
      body: Readable.from([Buffer.from(fx.body)]) },
  }));
  // Operations with URI labels need them before the SDK sends anything.
  const batch = { CallerReference: 'r', Paths: { Quantity: 1, Items: ['/*'] } };
  const input = {
    ListTagsForResource: { resourceArn: 'arn:aws:drs:us-east-1:111122223333:job/drsjob-1' },
    ListObjectVersions: { Bucket: 'console-assets' },
    DeleteObjects: { Bucket: 'console-assets', Delete: { Objects: [{ Key: 'k' }] } },
    GetBucketLocation: { Bucket: 'console-assets' },
    CreateInvalidation: { DistributionId: 'E2QWRUHEXAMPLE', InvalidationBatch: batch },
    GetInvalidation: { DistributionId: 'E2QWRUHEXAMPLE', Id: 'I2J0I21PCUYOIK' },
  }[fx.operation] || {};
  try {
    const out = await c.send(new mod[`${fx.operation}Command`](input));
    if (fx.kind === 'error') check(name, false, 'the SDK read an error as a success');
    else check(name, canon(plain(out)) === canon(fx.expect), `\n  sdk  ${canon(plain(out))}\n  want ${canon(fx.expect)}`);
  } catch (e) {
    if (fx.kind !== 'error') { check(name, false, `SDK error ${e.name}: ${e.message}`); continue; }
    // Query errors with an awsQueryError code ("NotFound") surface as the modeled exception
    // ("NotFoundException"): the SDK recognizing it is the point.
    const codeOk = e.name === fx.expect.code || e.name === `${fx.expect.code}Exception` || e.Code === fx.expect.code;
    check(`${name} code`, codeOk, `${e.name} vs ${fx.expect.code}`);
    check(`${name} message`, e.message === fx.expect.message, `${e.message} vs ${fx.expect.message}`);
    check(`${name} status`, e.$metadata?.httpStatusCode === fx.expect.status, `${e.$metadata?.httpStatusCode}`);
    check(`${name} request id`, !!e.$metadata?.requestId, 'no request id');
    for (const [k, v] of Object.entries(fx.expect.details || {}))
      check(`${name} ${k}`, canon(plain(e[k])) === canon(v), `${canon(plain(e[k]))} vs ${canon(v)}`);
  }
}
console.log(`sdk crosscheck: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
