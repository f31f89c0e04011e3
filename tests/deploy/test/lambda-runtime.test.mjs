// The engine as a Lambda custom runtime, driven through the Runtime API emulator (lib/runtime-api.mjs):
// the loop fetches, handles and posts; custom-resource requests are answered at their ResponseURL on every
// path (unknown type, unknown request type, bad properties, a 5xx from the URL); bad events get a typed
// error; a broken configuration is an init error; `drsorch lambda invoke` takes the same path.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { bin, run, start } from '../lib/drsorch.mjs';
import { cfnEvent, ResponseUrl, RuntimeApi } from '../lib/runtime-api.mjs';

const skip = bin ? false : 'DRSORCH_BIN is not set (run through ctest)';

async function withRuntime(fn, env = {}) {
  const api = await new RuntimeApi().start();
  const proc = start(['lambda', 'runtime'], {
    env: { AWS_LAMBDA_RUNTIME_API: api.address, AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/drsorch-custom-resources',
      AWS_LAMBDA_LOG_STREAM_NAME: '2026/01/01/[$LATEST]abc', ...env },
  });
  proc.exited.then((out) => api.abandon(`the runtime exited (${out.status}): ${out.stderr}`));
  try {
    await fn(api, proc);
  } finally {
    await api.stop();
    const out = await proc.exited;
    assert.equal(out.status, 1, `the runtime ends when the Runtime API goes away\n${out.stderr}`);
    assert.match(out.stderr, /Runtime API/);
  }
}

test('custom resources are always answered at their ResponseURL', { skip }, async () => {
  const url = await new ResponseUrl().start();
  try {
    await withRuntime(async (api) => {
      // Delete of a type this build does not know: nothing to delete, SUCCESS (rollbacks must finish).
      const del = cfnEvent('Delete', 'Custom::Unheard', url.url, { PhysicalResourceId: 'phys-1' });
      const r1 = await api.invoke(del);
      assert.equal(r1.response.Status, 'SUCCESS');
      let doc = url.documents.at(-1);
      assert.equal(doc.Status, 'SUCCESS');
      assert.equal(doc.PhysicalResourceId, 'phys-1');
      assert.equal(doc.RequestId, del.RequestId);
      assert.equal(doc.StackId, del.StackId);
      assert.equal(doc.LogicalResourceId, del.LogicalResourceId);
      const put = url.requests.at(-1);
      assert.equal(put.method, 'PUT');
      assert.equal(put.url, '/cfn-responses/stack%2Fresource?X-Amz-Signature=abc&X-Amz-Expires=7200', 'the pre-signed URL as given');
      assert.equal(put.headers['content-type'], undefined, 'a pre-signed PUT must not carry a Content-Type');

      // Create of an unknown type: FAILED, a reason naming the type and the logs, a physical id.
      const create = cfnEvent('Create', 'Custom::Unheard', url.url);
      const r2 = await api.invoke(create);
      assert.equal(r2.response.Status, 'FAILED');
      doc = url.documents.at(-1);
      assert.equal(doc.Status, 'FAILED');
      assert.match(doc.Reason, /unknown resource type 'Custom::Unheard'/);
      assert.match(doc.Reason, /\/aws\/lambda\/drsorch-custom-resources/);
      assert.equal(doc.PhysicalResourceId, `ConsoleThing-${create.RequestId.slice(0, 8)}`);

      // An unknown request type and a wrong property type are answered too.
      await api.invoke(cfnEvent('Replace', 'Custom::Unheard', url.url));
      assert.match(url.documents.at(-1).Reason, /unknown request type 'Replace'/);
      await api.invoke(cfnEvent('Update', 'Custom::Unheard', url.url, { ResourceProperties: 'x', PhysicalResourceId: 'p' }));
      assert.equal(url.documents.at(-1).Status, 'FAILED');
      assert.match(url.documents.at(-1).Reason, /ResourceProperties/);
      assert.equal(url.documents.length, 4);
    });
  } finally {
    await url.stop();
  }
});

test('a 5xx from the response URL is retried; an expired URL fails the invocation', { skip }, async () => {
  const url = await new ResponseUrl([503]).start();
  try {
    await withRuntime(async (api) => {
      const r = await api.invoke(cfnEvent('Delete', 'Custom::Unheard', url.url, { PhysicalResourceId: 'p' }));
      assert.equal(r.response.Status, 'SUCCESS');
      assert.equal(url.requests.length, 2, 'one retry after the 503');
      url.statuses.push(403);
      const r2 = await api.invoke(cfnEvent('Delete', 'Custom::Unheard', url.url, { PhysicalResourceId: 'p' }));
      assert.equal(r2.errorType, 'Drsorch.Failed');
      assert.equal(r2.headerType, 'Drsorch.Failed');
      assert.match(r2.errorMessage, /answered HTTP 403/);
    });
  } finally {
    await url.stop();
  }
});

test('events of no known shape get Drsorch.BadEvent, and the loop goes on', { skip }, async () => {
  await withRuntime(async (api) => {
    const notJson = await api.invoke('{"action": ', { raw: true });
    assert.equal(notJson.errorType, 'Drsorch.BadEvent');
    assert.match(notJson.errorMessage, /event is not JSON/);
    const array = await api.invoke([1, 2]);
    assert.equal(array.errorType, 'Drsorch.BadEvent');
    assert.match(array.errorMessage, /a JSON array/);
    const unknown = await api.invoke({ hello: 'world' });
    assert.match(unknown.errorMessage, /event not recognised: an object with keys 'hello'; this function handles: CloudFormation custom resource/);
    // A custom-resource request without the fields needed to answer it cannot be answered: say so.
    const partial = await api.invoke({ RequestType: 'Create', ResponseURL: 'http://127.0.0.1:1/x', StackId: 's', LogicalResourceId: 'L' });
    assert.equal(partial.errorType, 'Drsorch.BadEvent');
    assert.match(partial.errorMessage, /RequestId.*cannot be answered/);
    assert.ok(api.nextCalls >= 4, "one fetch per event");
  });
});

test('a configuration error is reported as an init error', { skip }, async () => {
  const api = await new RuntimeApi().start();
  try {
    const out = await run(['lambda', 'runtime'], { env: { AWS_LAMBDA_RUNTIME_API: api.address, DRSORCH_LOG_LEVEL: 'loud' } });
    assert.equal(out.status, 1);
    assert.equal(api.initErrors.length, 1);
    assert.equal(api.initErrors[0].errorType, 'Runtime.InitError');
    assert.match(api.initErrors[0].errorMessage, /DRSORCH_LOG_LEVEL/);
    assert.equal(api.nextCalls, 0, 'no event is fetched after an init error');
  } finally {
    await api.stop();
  }
  const none = await run(['lambda', 'runtime'], { env: { AWS_LAMBDA_RUNTIME_API: '' } });
  assert.equal(none.status, 2);
  assert.match(none.stderr, /AWS_LAMBDA_RUNTIME_API is not set/);
});

test('drsorch lambda invoke: the same handler, locally', { skip }, async () => {
  const url = await new ResponseUrl().start();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drsorch-invoke-'));
  try {
    const file = path.join(dir, 'event.json');
    fs.writeFileSync(file, JSON.stringify(cfnEvent('Delete', 'Custom::Unheard', url.url, { PhysicalResourceId: 'p9' })));
    const ok = await run(['lambda', 'invoke', '--event', file, '--context', '{"request_id": "r-1", "remaining_ms": 30000}']);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).Status, 'SUCCESS');
    assert.equal(url.documents.at(-1).PhysicalResourceId, 'p9');

    fs.writeFileSync(file, '{"nothing": true}');
    const bad = await run(['lambda', 'invoke', '--event', file]);
    assert.equal(bad.status, 1);
    assert.equal(JSON.parse(bad.stdout).errorType, 'Drsorch.BadEvent');

    const stdin = await run(['lambda', 'invoke', '--event', '-'], { input: '[]' });
    assert.equal(stdin.status, 1);
    assert.match(JSON.parse(stdin.stdout).errorMessage, /a JSON array/);

    const ctx = await run(['lambda', 'invoke', '--event', file, '--context', '{"request_idd": "x"}']);
    assert.equal(ctx.status, 2);
    assert.match(ctx.stderr, /did you mean 'request_id'/);
    const missing = await run(['lambda', 'invoke', '--event', path.join(dir, 'none.json')]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /cannot read event file/);
    const noEvent = await run(['lambda', 'invoke']);
    assert.equal(noEvent.status, 2);
    assert.match(noEvent.stderr, /--event FILE is required/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await url.stop();
  }
});
