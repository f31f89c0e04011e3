// The Lambda functions' environment is settings drsorch knows: every DRSORCH_* variable a template gives a
// function is a setting (drsorch refuses an unknown one at start-up, so a wrong name stops the function
// on its first invocation), with a value of the right type once CloudFormation resolved it. Values are
// resolved from the template's parameter defaults and typical pseudo parameters, then checked by
// `drsorch config show --json` with exactly that environment: each variable must come back as its
// setting, from the environment, with that value.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { run } from '../lib/drsorch.mjs';
import { loadTemplate, templateFiles } from '../lib/templates.mjs';

const pseudo = { 'AWS::Region': 'us-east-1', 'AWS::AccountId': '123456789012', 'AWS::Partition': 'aws',
  'AWS::StackName': 'drsorch', 'AWS::URLSuffix': 'amazonaws.com' };

// A parameter's value as CloudFormation would give it: its default, or a plausible value of its type.
function parameter(tpl, name) {
  if (name in pseudo) return pseudo[name];
  const p = (tpl.Parameters || {})[name];
  assert.ok(p, `a reference to ${name}, which is neither a parameter nor a pseudo parameter`);
  if (p.Default !== undefined && p.Default !== '') return String(p.Default);
  if (p.Type === 'Number') return '1';
  if (/Arn$/.test(name)) return `arn:aws:sns:us-east-1:123456789012:${name}`;
  if (/Origin/.test(name)) return 'https://console.example.com';
  return `${name.toLowerCase()}-value`;
}

function resolve(tpl, v) {
  if (typeof v === 'string' || typeof v === 'number') return String(v);
  if (v && v.Ref) return parameter(tpl, v.Ref);
  if (v && v['Fn::Sub'] !== undefined) {
    const [text, vars = {}] = Array.isArray(v['Fn::Sub']) ? v['Fn::Sub'] : [v['Fn::Sub']];
    return text.replace(/\$\{([^}]+)\}/g, (_, n) => (n in vars ? resolve(tpl, vars[n]) : parameter(tpl, n)));
  }
  if (v && v['Fn::GetAtt']) return `arn:aws:states:us-east-1:123456789012:stateMachine:${v['Fn::GetAtt'][0]}`;
  if (v && v['Fn::ImportValue']) return 'imported-value';
  assert.fail(`a value drsorch's test cannot resolve: ${JSON.stringify(v)}`);
}

const functions = [];
for (const file of templateFiles()) {
  const tpl = loadTemplate(file);
  for (const [name, r] of Object.entries(tpl.Resources || {})) {
    if (r.Type !== 'AWS::Lambda::Function' && r.Type !== 'AWS::Serverless::Function') continue;
    const vars = ((r.Properties || {}).Environment || {}).Variables || {};
    const env = {};
    for (const [k, v] of Object.entries(vars)) if (k.startsWith('DRSORCH_')) env[k] = resolve(tpl, v);
    functions.push({ where: `${path.basename(file)} ${name}`, env });
  }
}

test('the templates define Lambda functions with drsorch settings', () => {
  assert.ok(functions.length >= 3, `${functions.length} functions`);
  assert.ok(functions.some((f) => Object.keys(f.env).length > 0));
});

for (const f of functions) {
  test(`${f.where}: every DRSORCH_* variable is a setting drsorch accepts`, async () => {
    const r = await run(['config', 'show', '--json'], { env: { ...f.env, HOME: '/nonexistent' } });
    assert.equal(r.status, 0, `drsorch refused the function's environment: ${r.stderr}`);
    const shown = JSON.parse(r.stdout);
    const settings = shown.settings || shown;
    for (const [k, v] of Object.entries(f.env)) {
      const key = k.slice('DRSORCH_'.length).toLowerCase();
      const match = Object.entries(settings).find(([name]) => name.replace(/\./g, '_') === key);
      assert.ok(match, `${k} is not a setting`);
      const [name, s] = match;
      assert.equal(s.source, 'env', `${name} comes from ${s.source}`);
      assert.equal(String(s.value), v, `${name}`);
    }
  });
}
