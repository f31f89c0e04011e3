// The DynamoDB table the templates deploy is the one the engine's DynamoDB store opens: the layout checks
// (key schema, on demand, point-in-time recovery, KMS, TTL on expires_at, the functions' store spec and
// its table name), then the table created in dynalite from the template's own properties and opened by
// drsorch without `create`: the store accepts it and works on it. Uses dynalite (this lockfile).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { startDynalite } from '../lib/dynalite.mjs';
import { run } from '../lib/drsorch.mjs';
import { cfnDir, loadTemplate, repoRoot } from '../lib/templates.mjs';

const db = loadTemplate(path.join(cfnDir, 'database-stack.yaml'));
const lambda = loadTemplate(path.join(cfnDir, 'lambda-stack.yaml'));
const table = db.Resources.StateTable.Properties;

/** The suffix the engine appends to the store's prefix, read from the engine's source. */
function tableSuffix() {
  const h = fs.readFileSync(path.join(repoRoot, 'engine/store/orch_store_dynamodb_int.h'), 'utf8');
  const m = h.match(/#define ORCH_STORE_DY_TABLE_SUFFIX "([^"]+)"/);
  assert.ok(m, 'ORCH_STORE_DY_TABLE_SUFFIX in orch_store_dynamodb_int.h');
  return m[1];
}

test('the table has the layout the store needs', () => {
  assert.deepEqual(table.KeySchema, [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }]);
  assert.deepEqual(table.AttributeDefinitions, [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }]);
  assert.equal(table.BillingMode, 'PAY_PER_REQUEST', 'on demand');
  assert.equal(table.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled, true, 'point-in-time recovery');
  assert.equal(table.SSESpecification.SSEEnabled, true);
  assert.equal(table.SSESpecification.SSEType, 'KMS', "encrypted with the project's key");
  assert.deepEqual(table.TimeToLiveSpecification, { AttributeName: 'expires_at', Enabled: true }, 'TTL for drills');
  assert.equal(db.Resources.StateTable.DeletionPolicy, 'Retain');
});

test("the functions' store spec names that table", () => {
  const suffix = tableSuffix();
  assert.deepEqual(table.TableName, { 'Fn::Sub': `\${ProjectName}${suffix}` }, 'the table is <prefix>-state');
  assert.deepEqual(db.Outputs.StorePrefix.Value, { Ref: 'ProjectName' });
  for (const fn of ['ApiHandlerFunction', 'OrchestrationFunction']) {
    const spec = lambda.Resources[fn].Properties.Environment.Variables.DRSORCH_LAMBDA_STORE;
    assert.match(spec['Fn::Sub'], /^dynamodb:\$\{StorePrefix\}\?drill_ttl_days=\$\{DrillRetentionDays\}$/, fn);
  }
});

test('the engine opens the table as the template makes it', async () => {
  const dl = await startDynalite();
  try {
    const env = { AWS_ACCESS_KEY_ID: 'AKIDDYNALITE', AWS_SECRET_ACCESS_KEY: 'dynalite-secret',
      AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' };
    const endpoint = `http://127.0.0.1:${dl.port}`;
    const create = { TableName: `drsorch${tableSuffix()}`, BillingMode: table.BillingMode,
      AttributeDefinitions: table.AttributeDefinitions, KeySchema: table.KeySchema };
    let r = await run(['aws', 'dynamodb', 'CreateTable', JSON.stringify(create), '--endpoint-url', endpoint,
      '--region', 'us-east-1'], { env });
    assert.equal(r.status, 0, r.stderr);
    const spec = `dynamodb:drsorch?region=us-east-1&endpoint=${endpoint}&drill_ttl_days=90`;
    r = await run(['executions', 'list', '--db', spec, '--json'], { env });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), [], 'an empty store');
    r = await run(['aws', 'dynamodb', 'GetItem', JSON.stringify({ TableName: create.TableName,
      Key: { pk: { S: 'meta' }, sk: { S: 'schema' } } }), '--endpoint-url', endpoint, '--region', 'us-east-1'], { env });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(JSON.parse(r.stdout).Item.version.N, 'the store wrote its layout version');
  } finally {
    await dl.stop();
  }
});
