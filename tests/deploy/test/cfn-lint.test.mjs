// cfn-lint over every template in cfn/, with realistic parameter values (an ARN where an ARN goes), so
// property types, required properties, references, Fn::Sub/GetAtt targets and ARN formats are checked.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import { loadTemplate, templateFiles } from '../lib/templates.mjs';

const require = createRequire(import.meta.url);
const { lint, specificationVersion } = require('../lib/cfnlint.cjs');

const account = '111122223333';
const sample = {
  KmsKeyArn: `arn:aws:kms:us-east-1:${account}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
  TableArn: `arn:aws:dynamodb:us-east-1:${account}:table/drsorch-state`,
  TopicArn: `arn:aws:sns:us-east-1:${account}:drsorch-events`,
  ApiHandlerFunctionArn: `arn:aws:lambda:us-east-1:${account}:function:drsorch-api-handler`,
  OrchestrationFunctionArn: `arn:aws:lambda:us-east-1:${account}:function:drsorch-orchestration`,
  CustomResourceFunctionArn: `arn:aws:lambda:us-east-1:${account}:function:drsorch-custom-resources`,
  ApiEndpoint: 'https://abc123.execute-api.us-east-1.amazonaws.com/dev',
  AdminEmail: 'admin@example.com',
  ExternalId: 'example-external-id-0123456789',
  OrchestratorAccountId: '444455556666',
  CodeBucket: 'drsorch-artifacts',
};

function parametersFor(template) {
  const out = {};
  for (const [name, p] of Object.entries(template.Parameters || {})) {
    if (name in sample) out[name] = sample[name];
    else if (p.Default !== undefined) out[name] = p.Default;
    else if (p.AllowedValues) out[name] = p.AllowedValues[0];
    else if (p.Type === 'Number') out[name] = p.MinValue ?? 30;
    else out[name] = `sample-${name.toLowerCase()}`;
  }
  return out;
}

test(`cfn-lint (resource specification ${specificationVersion})`, async (t) => {
  const files = templateFiles();
  assert.ok(files.length >= 9, `expected the nested templates in cfn/, found ${files.length}`);
  for (const file of files) {
    await t.test(path.basename(file), () => {
      const result = lint(file, parametersFor(loadTemplate(file)));
      const problems = [...result.errors.crit, ...result.errors.warn]
        .map((e) => `${e.resource}: ${e.message}`);
      assert.deepEqual(problems, [], `${path.basename(file)}:\n  ${problems.join('\n  ')}`);
      assert.equal(result.templateValid, true);
    });
  }
});

test('cfn-lint catches what it is here to catch', () => {
  // A broken template must fail, or the check above proves nothing.
  const broken = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'fixtures', 'broken-template.yaml');
  const result = lint(broken, {});
  const messages = result.errors.crit.map((e) => e.message).join('\n');
  assert.equal(result.templateValid, false);
  assert.match(messages, /NoSuchProperty is not a valid property/);
  assert.match(messages, /Expecting an ARN/);
  assert.match(messages, /MissingResource/);
});
