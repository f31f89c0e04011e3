// Least privilege across every template: no wildcard actions, no NotAction grants, no AWS-managed policies,
// scopable actions never on "*" (lib/policies.mjs says exactly what is checked).
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { statements, violations } from '../lib/policies.mjs';
import { loadTemplate, templateFiles } from '../lib/templates.mjs';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

test('no template grants a wildcard action', async (t) => {
  let total = 0;
  for (const file of templateFiles()) {
    const template = loadTemplate(file);
    total += statements(template).length;
    await t.test(path.basename(file), () => assert.deepEqual(violations(template), []));
  }
  assert.ok(total >= 30, `only ${total} policy statements found: the walk is missing policies`);
});

test('the check fails on each kind of violation', () => {
  const found = violations(loadTemplate(path.join(fixtures, 'overprivileged-template.yaml')));
  const expect = [/wildcard action '\*'/, /wildcard action 's3:\*'/, /wildcard action 'ec2:Describe\*'/,
    /NotAction in an Allow/, /ManagedPolicyArns/, /'dynamodb:GetItem' supports resource-level permissions/,
    /wildcard action 'kms:\*'/];
  for (const re of expect) assert.ok(found.some((v) => re.test(v)), `not reported: ${re}\n${found.join('\n')}`);
});
