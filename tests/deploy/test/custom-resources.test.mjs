// The two custom resources the frontend stack uses, through the real runtime loop (Runtime API emulator),
// against `drsorch sim` serving S3 and CloudFront on 127.0.0.1: Custom::BucketCleanup empties a versioned
// bucket (every version and delete marker, 1,000 per DeleteObjects) on Delete, tolerates a missing bucket,
// and reports a bucket it may not touch; Custom::ConsoleDeployment uploads the package's built console
// ($LAMBDA_TASK_ROOT/web) byte for byte (the simulator keeps each object's MD5), writes runtime-config.json,
// and invalidates the distribution once per request. Every outcome reaches the ResponseURL.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { bin, run, start } from '../lib/drsorch.mjs';
import { cfnEvent, ResponseUrl, RuntimeApi } from '../lib/runtime-api.mjs';
import { startSim } from '../lib/sim.mjs';
import { cfnDir, loadTemplate } from '../lib/templates.mjs';

const skip = bin ? false : 'DRSORCH_BIN is not set (run through ctest)';
const ACCOUNT = '111122223333';
const BUCKET = `drsorch-console-${ACCOUNT}-us-east-1`;
const CREDS = { AWS_ACCESS_KEY_ID: 'AKIASIMULATOREXAMPLE', AWS_SECRET_ACCESS_KEY: 'simulator/secret/EXAMPLEKEY' };

const scenarioDoc = {
  accounts: [
    { id: ACCOUNT, distributions: [{ id: 'E2QWRUHEXAMPLE' }],
      access_keys: [{ id: CREDS.AWS_ACCESS_KEY_ID, secret: CREDS.AWS_SECRET_ACCESS_KEY }] },
    { id: '444455556666', access_keys: [{ id: 'AKIAOTHERACCOUNT0001', secret: 'o' }] },
  ],
  regions: [
    { region: 'us-east-1', buckets: [
      { name: BUCKET, versioning: 'Enabled', objects: [
        { key: 'assets/{n}.js', count: 1100, versions: 2 },
        { key: 'old/{n}.css', count: 300, deleted: true },
        { key: 'index.html', size: 512 }] },
      { name: 'drsorch-console-empty', versioning: 'Enabled' }] },
    { account: '444455556666', region: 'us-east-1', buckets: [{ name: 'not-yours', objects: [{ key: 'a' }] }] },
  ],
  timing: { invalidation: '90s' },
};

test("the custom resources' role reaches the console bucket the frontend stack makes", () => {
  const lambda = loadTemplate(path.join(cfnDir, 'lambda-stack.yaml'));
  const frontend = loadTemplate(path.join(cfnDir, 'frontend-stack.yaml'));
  const bucket = frontend.Resources.ConsoleBucket.Properties.BucketName['Fn::Sub'];
  const policy = lambda.Resources.CustomResourceRole.Properties.Policies.find((p) => p.PolicyName === 'console');
  const resources = policy.PolicyDocument.Statement.flatMap((st) => [st.Resource].flat())
    .map((r) => (r['Fn::Sub'] || '')).filter((r) => r.includes(':s3:::'));
  assert.deepEqual(resources, [`arn:\${AWS::Partition}:s3:::${bucket}`, `arn:\${AWS::Partition}:s3:::${bucket}/*`]);
  for (const type of ['Custom::BucketCleanup', 'Custom::ConsoleDeployment'])
    assert.ok(Object.values(frontend.Resources).some((r) => r.Type === type), type);
});

/** Every version and delete marker of a bucket, as the simulator lists them (all pages). */
async function versions(sim, bucket) {
  const r = await run(['aws', 's3', 'ListObjectVersions', JSON.stringify({ Bucket: bucket }), '--endpoint-url', sim.url,
    '--region', 'us-east-1'], { env: CREDS });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  return [...(out.Versions || []), ...(out.DeleteMarkers || [])];
}

async function withEverything(fn, extraEnv = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drsorch-cr-'));
  const scenario = path.join(dir, 'scenario.json');
  fs.writeFileSync(scenario, JSON.stringify(scenarioDoc));
  const sim = await startSim(scenario);
  const url = await new ResponseUrl().start();
  const api = await new RuntimeApi().start();
  const proc = start(['lambda', 'runtime'], {
    env: { AWS_LAMBDA_RUNTIME_API: api.address, AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: sim.url,
      AWS_EC2_METADATA_DISABLED: 'true', HOME: dir, LAMBDA_TASK_ROOT: dir, ...CREDS, ...extraEnv },
  });
  proc.exited.then((out) => api.abandon(`the runtime exited (${out.status}): ${out.stderr}`));
  try {
    await fn({ sim, url, api, dir });
  } finally {
    await api.stop();
    await proc.exited;
    await url.stop();
    await sim.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('BucketCleanup empties a versioned bucket on Delete, and only then', { skip }, async () => {
  await withEverything(async ({ sim, url, api }) => {
    const props = { ServiceToken: 'arn:aws:lambda:us-east-1:111122223333:function:x', BucketName: BUCKET };
    const create = cfnEvent('Create', 'Custom::BucketCleanup', url.url, { ResourceProperties: props });
    assert.equal((await api.invoke(create)).response.Status, 'SUCCESS');
    assert.equal((await versions(sim, BUCKET)).length, 2200 + 600 + 1, 'Create touches nothing');

    const del = cfnEvent('Delete', 'Custom::BucketCleanup', url.url, { ResourceProperties: props, PhysicalResourceId: 'p' });
    const r = await api.invoke(del);
    assert.equal(r.response.Status, 'SUCCESS', r.response.Reason);
    const doc = url.documents.at(-1);
    assert.equal(doc.Status, 'SUCCESS');
    assert.equal(doc.Data.Deleted, 2801, 'every version and delete marker');
    assert.deepEqual(await versions(sim, BUCKET), [], 'the bucket is empty');

    // a bucket already gone is fine; one of another account is a failure that says so
    const gone = cfnEvent('Delete', 'Custom::BucketCleanup', url.url,
      { ResourceProperties: { ...props, BucketName: 'drsorch-console-deleted' }, PhysicalResourceId: 'p' });
    assert.equal((await api.invoke(gone)).response.Status, 'SUCCESS');
    const theirs = cfnEvent('Delete', 'Custom::BucketCleanup', url.url,
      { ResourceProperties: { ...props, BucketName: 'not-yours' }, PhysicalResourceId: 'p' });
    assert.equal((await api.invoke(theirs)).response.Status, 'FAILED');
    assert.match(url.documents.at(-1).Reason, /AccessDenied/);
    // a Create without a bucket is refused; deleting that never-made resource succeeds
    const bad = cfnEvent('Create', 'Custom::BucketCleanup', url.url, { ResourceProperties: { ServiceToken: 'x' } });
    assert.equal((await api.invoke(bad)).response.Status, 'FAILED');
    assert.match(url.documents.at(-1).Reason, /BucketName/);
    const undo = cfnEvent('Delete', 'Custom::BucketCleanup', url.url, { ResourceProperties: { ServiceToken: 'x' }, PhysicalResourceId: 'p' });
    assert.equal((await api.invoke(undo)).response.Status, 'SUCCESS');
  });
});

test('ConsoleDeployment uploads the built console and its configuration, and invalidates once', { skip }, async () => {
  await withEverything(async ({ sim, url, api, dir }) => {
    const web = path.join(dir, 'web');
    fs.mkdirSync(path.join(web, 'assets'), { recursive: true });
    const files = {
      'index.html': '<!doctype html><title>DRS Orchestrator</title><script src="assets/app.js"></script>\n',
      'assets/app.js': `console.log(${JSON.stringify('x'.repeat(200000))});\n`,
      'assets/logo.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>\n',
    };
    for (const [k, v] of Object.entries(files)) fs.writeFileSync(path.join(web, k), v);
    // the properties the frontend stack passes, each with a value of what it names: a property the
    // template passes that the resource does not read (or the other way round) fails here
    const sample = { ServiceToken: 'arn:aws:lambda:us-east-1:111122223333:function:x', BucketName: 'drsorch-console-empty',
      DistributionId: 'E2QWRUHEXAMPLE', ApiUrl: 'https://abc123.execute-api.us-east-1.amazonaws.com/prod',
      UserPoolId: 'us-east-1_AbCdEf123', UserPoolClientId: '1example23456789',
      CognitoDomain: 'https://drsorch-111122223333.auth.us-east-1.amazoncognito.com', Scopes: 'openid',
      Region: 'us-east-1', PackageKey: 'drsorch-lambda-0123456789ab.zip' };
    const passed = loadTemplate(path.join(cfnDir, 'frontend-stack.yaml')).Resources.ConsoleDeployment.Properties;
    assert.deepEqual(Object.keys(passed).sort(), Object.keys(sample).sort(), 'the template passes what the resource reads');
    const props = sample;
    const create = cfnEvent('Create', 'Custom::ConsoleDeployment', url.url, { ResourceProperties: props });
    const r = await api.invoke(create);
    assert.equal(r.response.Status, 'SUCCESS', r.response.Reason);
    const doc = url.documents.at(-1);
    assert.equal(doc.Data.Files, 4);
    assert.match(doc.Data.InvalidationId, /^I/);

    const md5 = (s) => `"${crypto.createHash('md5').update(s).digest('hex')}"`;
    const config = JSON.stringify({ apiUrl: props.ApiUrl, userPoolId: props.UserPoolId,
      userPoolClientId: props.UserPoolClientId, cognitoDomain: props.CognitoDomain, scopes: 'openid',
      region: 'us-east-1', build: props.PackageKey }, null, 2);
    const got = Object.fromEntries((await versions(sim, 'drsorch-console-empty')).map((v) => [v.Key, v.ETag]));
    assert.deepEqual(Object.keys(got).sort(), ['assets/app.js', 'assets/logo.svg', 'index.html', 'runtime-config.json']);
    for (const [k, v] of Object.entries(files)) assert.equal(got[k], md5(v), `${k} uploaded byte for byte`);
    assert.equal(got['runtime-config.json'], md5(config), 'the runtime configuration');

    // CloudFormation resending the same request: the same invalidation, not a second one
    await api.invoke(create);
    assert.equal(url.documents.at(-1).Data.InvalidationId, doc.Data.InvalidationId);
    const inv = await run(['aws', 'cloudfront', 'GetInvalidation', JSON.stringify({ DistributionId: 'E2QWRUHEXAMPLE',
      Id: doc.Data.InvalidationId }), '--endpoint-url', sim.url, '--region', 'us-east-1'], { env: CREDS });
    assert.equal(inv.status, 0, inv.stderr);
    assert.deepEqual(JSON.parse(inv.stdout).Invalidation.InvalidationBatch.Paths.Items, ['/*']);

    // a Hosted UI that is not https is refused, naming the property
    const plain = cfnEvent('Update', 'Custom::ConsoleDeployment', url.url,
      { ResourceProperties: { ...props, CognitoDomain: 'http://x.auth.us-east-1.amazoncognito.com' }, PhysicalResourceId: 'p' });
    assert.equal((await api.invoke(plain)).response.Status, 'FAILED');
    assert.match(url.documents.at(-1).Reason, /CognitoDomain/);
    // an unknown distribution fails the deployment, naming it; Delete leaves the files to the clean-up
    const wrong = cfnEvent('Update', 'Custom::ConsoleDeployment', url.url,
      { ResourceProperties: { ...props, DistributionId: 'ENOTTHERE' }, PhysicalResourceId: 'p' });
    assert.equal((await api.invoke(wrong)).response.Status, 'FAILED');
    assert.match(url.documents.at(-1).Reason, /ENOTTHERE/);
    const del = cfnEvent('Delete', 'Custom::ConsoleDeployment', url.url, { ResourceProperties: props, PhysicalResourceId: 'p' });
    assert.equal((await api.invoke(del)).response.Status, 'SUCCESS');
    const left = await versions(sim, 'drsorch-console-empty');
    assert.equal(left.length, 12, 'three deployments of four files, all still there for BucketCleanup');
    assert.ok(left.every((v) => v.ETag), 'no delete markers');
  });
});
