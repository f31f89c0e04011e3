// S3 and CloudFront through @aws-sdk/client-s3 and @aws-sdk/client-cloudfront, as the deployment's custom
// resources call them: a versioned bucket emptied (every version and delete marker, batches of 1,000, with the
// SDK's own checksums), uploads, HeadBucket and GetBucketLocation, S3's errors as the SDK's classes, in both
// path-style and virtual-hosted addressing; CloudFront invalidations.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import {
  S3Client, ListObjectVersionsCommand, DeleteObjectsCommand, PutObjectCommand, HeadBucketCommand,
  GetBucketLocationCommand,
} from '@aws-sdk/client-s3';
import {
  CloudFrontClient, CreateInvalidationCommand, GetInvalidationCommand, NoSuchDistribution,
} from '@aws-sdk/client-cloudfront';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { startSim, rejectsWith } from './sim.mjs';

const DIST = 'E2QWRUHEXAMPLE';
let sim, dir;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drsorch-s3-'));
  const file = path.join(dir, 'scenario.json');
  fs.writeFileSync(file, JSON.stringify({
    accounts: [{ id: '111122223333', distributions: [{ id: DIST }],
      access_keys: [{ id: 'AKIASIMULATOREXAMPLE', secret: 'simulator/secret/EXAMPLEKEY' }] }],
    regions: [
      { region: 'us-east-1', buckets: [
        { name: 'console-assets', versioning: 'Enabled', objects: [
          { key: 'assets/{n}.js', count: 1100, versions: 2 }, { key: 'old/{n}.css', count: 200, deleted: true }] },
        { name: 'path-style-bucket', versioning: 'Enabled', objects: [{ key: 'f/{n}', count: 1500 }] }] },
      { region: 'us-west-2', buckets: [{ name: 'west-logs' }] }],
    timing: { invalidation: '60s' },
  }));
  sim = await startSim(file);
});
after(async () => {
  await sim.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

// Virtual-hosted requests go to <bucket>.localhost:<port>; the agent connects those names to 127.0.0.1.
function s3(virtualHosted) {
  const port = new URL(sim.url).port;
  const lookup = (host, opts, cb) => (opts && opts.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4));
  return sim.client(S3Client, { extra: virtualHosted
    ? { endpoint: `http://localhost:${port}`, forcePathStyle: false,
      requestHandler: new NodeHttpHandler({ httpAgent: new http.Agent({ lookup }) }) }
    : { forcePathStyle: true } });
}

// The bucket clean-up custom resource: list versions and delete markers, delete them 1,000 at a time.
async function emptyBucket(client, bucket) {
  let removed = 0, batches = 0;
  for (;;) {
    const page = await client.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    const objects = [...(page.Versions || []), ...(page.DeleteMarkers || [])].slice(0, 1000)
      .map((v) => ({ Key: v.Key, VersionId: v.VersionId }));
    if (!objects.length) return { removed, batches };
    const res = await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }));
    assert.equal(res.Errors, undefined, JSON.stringify(res.Errors));
    removed += objects.length;
    batches++;
  }
}

test('a versioned bucket is emptied in batches of 1,000, virtual-hosted', async () => {
  const client = s3(true);
  const first = await client.send(new ListObjectVersionsCommand({ Bucket: 'console-assets', MaxKeys: 3, Prefix: 'assets/1' }));
  assert.equal(first.IsTruncated, true);
  assert.deepEqual(first.Versions.map((v) => [v.Key, v.IsLatest]), [['assets/1.js', true], ['assets/1.js', false], ['assets/10.js', true]]);
  assert.ok(first.Versions[0].LastModified instanceof Date);
  assert.equal(first.NextKeyMarker, 'assets/10.js');
  const markers = await client.send(new ListObjectVersionsCommand({ Bucket: 'console-assets', Prefix: 'old/1.' }));
  assert.equal(markers.DeleteMarkers.length, 1);
  assert.equal(markers.DeleteMarkers[0].IsLatest, true);
  const { removed, batches } = await emptyBucket(client, 'console-assets');
  assert.equal(removed, 1100 * 2 + 200 * 2);
  assert.equal(batches, 3);
});

test('path style: the same clean-up, and uploads with the SDK checksums', async () => {
  const client = s3(false);
  const put = await client.send(new PutObjectCommand({ Bucket: 'path-style-bucket', Key: 'config/runtime config.json',
    Body: '{"apiUrl":"https://example"}', ContentType: 'application/json' }));
  assert.match(put.ETag, /^"[0-9a-f]{32}"$/);
  assert.equal(put.VersionId.length, 32);
  const { removed } = await emptyBucket(client, 'path-style-bucket');
  assert.equal(removed, 1501);
});

test('HeadBucket, GetBucketLocation and S3 errors as the SDK reads them', async () => {
  const client = s3(true);
  await client.send(new HeadBucketCommand({ Bucket: 'console-assets' }));
  const e = await rejectsWith(assert, client.send(new HeadBucketCommand({ Bucket: 'no-such-bucket' })), null, 404);
  assert.equal(e.name, 'NotFound');
  const west = await s3(false).send(new GetBucketLocationCommand({ Bucket: 'west-logs' }));
  assert.equal(west.LocationConstraint, 'us-west-2');
  // Not a modeled error of ListObjectVersions: the SDK's generic S3 exception, named by S3's code.
  const nb = await rejectsWith(assert, client.send(new ListObjectVersionsCommand({ Bucket: 'no-such-bucket' })), null, 404);
  assert.equal(nb.name, 'NoSuchBucket');
  assert.equal(nb.message, 'The specified bucket does not exist');
});

test('CloudFront invalidations: InProgress, then Completed; caller references', async () => {
  const cf = sim.client(CloudFrontClient);
  const batch = (ref, items) => ({ DistributionId: DIST, InvalidationBatch: { CallerReference: ref, Paths: { Quantity: items.length, Items: items } } });
  const created = await cf.send(new CreateInvalidationCommand(batch('deploy-1', ['/index.html', '/config/*'])));
  assert.equal(created.$metadata.httpStatusCode, 201);
  assert.equal(created.Invalidation.Status, 'InProgress');
  assert.ok(created.Location.endsWith(`/distribution/${DIST}/invalidation/${created.Invalidation.Id}`));
  assert.deepEqual(created.Invalidation.InvalidationBatch.Paths.Items, ['/index.html', '/config/*']);
  assert.ok(created.Invalidation.CreateTime instanceof Date);
  const again = await cf.send(new CreateInvalidationCommand(batch('deploy-1', ['/index.html', '/config/*'])));
  assert.equal(again.Invalidation.Id, created.Invalidation.Id);
  const dup = await rejectsWith(assert, cf.send(new CreateInvalidationCommand(batch('deploy-1', ['/other']))), null, 409);
  assert.equal(dup.name, 'InvalidationBatchAlreadyExists');
  await rejectsWith(assert, cf.send(new CreateInvalidationCommand({ ...batch('x', ['/a']), DistributionId: 'E0000000000000' })),
    NoSuchDistribution, 404);
  await sim.advance('60s');
  const done = await cf.send(new GetInvalidationCommand({ DistributionId: DIST, Id: created.Invalidation.Id }));
  assert.equal(done.Invalidation.Status, 'Completed');
});
