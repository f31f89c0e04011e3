// The SSM documents (cfn/ssm-documents.yaml): schema 2.2 Command documents with a Linux and a Windows step
// each, every {{ parameter }} declared and constrained (allowedPattern / allowedValues, so no value can
// inject code), the shell steps syntactically valid, and the Linux health-check and network-validation
// steps run for real on this machine against a loopback server: passing checks print OK and exit 0, a
// failing one prints FAIL and exits 1.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { test } from 'node:test';
import { cfnDir, loadTemplate } from '../lib/templates.mjs';

const template = loadTemplate(path.join(cfnDir, 'ssm-documents.yaml'));
const docs = Object.fromEntries(Object.values(template.Resources)
  .filter((r) => r.Type === 'AWS::SSM::Document')
  .map((r) => [r.Properties.Name['Fn::Sub'].replace('${ProjectName}-', ''), r.Properties]));

/** The step's script with parameters substituted the way SSM does ({{ name }} -> value). */
function script(doc, platform, values = {}) {
  const step = doc.Content.mainSteps.find((s) => s.precondition.StringEquals[1] === platform);
  const params = doc.Content.parameters;
  return step.inputs.runCommand.join('\n').replace(/\{\{ *(\w+) *\}\}/g, (_, n) => {
    const v = n in values ? values[n] : params[n].default;
    assert.notEqual(v, undefined, `no value for ${n}`);
    if (params[n].allowedPattern) assert.match(v, new RegExp(params[n].allowedPattern), `${n}=${v}`);
    return v;
  });
}

/** Run a script without blocking the event loop (the loopback server answers meanwhile). */
function runBash(text) {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', text], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

test('three documents, schema 2.2, a Linux and a Windows step each', () => {
  assert.deepEqual(Object.keys(docs).sort(), ['app-startup', 'health-check', 'network-validation']);
  for (const [name, d] of Object.entries(docs)) {
    assert.equal(d.DocumentType, 'Command', name);
    assert.equal(d.Content.schemaVersion, '2.2', name);
    const platforms = d.Content.mainSteps.map((s) => s.precondition.StringEquals);
    assert.deepEqual(platforms, [['platformType', 'Linux'], ['platformType', 'Windows']], name);
    assert.deepEqual(d.Content.mainSteps.map((s) => s.action), ['aws:runShellScript', 'aws:runPowerShellScript'], name);
  }
});

test('every parameter is declared, used and constrained', () => {
  for (const [name, d] of Object.entries(docs)) {
    const declared = d.Content.parameters;
    const used = new Set();
    for (const step of d.Content.mainSteps)
      for (const m of step.inputs.runCommand.join('\n').matchAll(/\{\{ *(\w+) *\}\}/g)) used.add(m[1]);
    for (const u of used) assert.ok(declared[u], `${name}: {{ ${u} }} is not declared`);
    for (const [p, spec] of Object.entries(declared)) {
      assert.ok(used.has(p), `${name}: parameter ${p} is never used`);
      assert.ok(spec.allowedPattern || spec.allowedValues, `${name}: parameter ${p} is unconstrained`);
      for (const bad of ["x'; rm -rf /", 'a$(id)', 'a`id`', 'a|b', 'a b"'])
        if (spec.allowedPattern) assert.doesNotMatch(bad, new RegExp(spec.allowedPattern), `${name}.${p} accepts ${bad}`);
    }
  }
});

test('the Linux steps are valid bash', () => {
  const values = { services: 'nginx,app', healthUrl: 'http://127.0.0.1:8080/health', dependencies: 'db:5432' };
  for (const [name, d] of Object.entries(docs)) {
    const r = spawnSync('bash', ['-n'], { input: script(d, 'Linux', values), encoding: 'utf8' });
    assert.equal(r.status, 0, `${name}: ${r.stderr}`);
  }
});

async function withServer(fn) {
  const server = http.createServer((req, res) => res.writeHead(req.url === '/health' ? 200 : 503).end());
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await fn(server.address().port);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

test('health-check runs: OK when healthy, FAIL and exit 1 otherwise', async () => {
  await withServer(async (port) => {
    const good = await runBash(script(docs['health-check'], 'Linux', {
      processes: 'bash', ports: String(port), httpEndpoints: `http://127.0.0.1:${port}/health`, minFreeDiskPercent: '0',
    }));
    assert.equal(good.status, 0, good.stdout + good.stderr);
    assert.match(good.stdout, /^OK process bash is running$/m);
    assert.match(good.stdout, new RegExp(`^OK port ${port} is listening$`, 'm'));
    assert.match(good.stdout, /^OK http .*\/health answered 200$/m);
    assert.match(good.stdout, /^OK disk \/\S* has \d+% free$/m);
    assert.doesNotMatch(good.stdout, /FAIL/);

    const bad = await runBash(script(docs['health-check'], 'Linux', {
      processes: 'no-such-process-drsorch', ports: '1', httpEndpoints: `http://127.0.0.1:${port}/down`,
      minFreeDiskPercent: '0',
    }));
    assert.equal(bad.status, 1, bad.stdout + bad.stderr);
    assert.match(bad.stdout, /^FAIL process no-such-process-drsorch is not running$/m);
    assert.match(bad.stdout, /^FAIL port 1 is not listening$/m);
    assert.match(bad.stdout, /^FAIL http .*\/down answered 503$/m);
  });
});

test('network-validation runs: names, routes and TCP reachability', async () => {
  await withServer(async (port) => {
    const good = await runBash(script(docs['network-validation'], 'Linux', {
      dnsNames: 'localhost', dependencies: `127.0.0.1:${port}`, requireDefaultRoute: 'false',
    }));
    assert.equal(good.status, 0, good.stdout + good.stderr);
    assert.match(good.stdout, /^OK dns localhost resolves to /m);
    assert.match(good.stdout, /^OK route to 127\.0\.0\.1: /m);
    assert.match(good.stdout, new RegExp(`^OK tcp 127.0.0.1:${port} accepts connections$`, 'm'));

    const bad = await runBash(script(docs['network-validation'], 'Linux', {
      dnsNames: 'no-such-name.invalid', dependencies: '127.0.0.1:1', requireDefaultRoute: 'false',
    }));
    assert.equal(bad.status, 1, bad.stdout + bad.stderr);
    assert.match(bad.stdout, /^FAIL dns no-such-name\.invalid does not resolve$/m);
    assert.match(bad.stdout, /^FAIL tcp 127\.0\.0\.1:1 does not accept connections$/m);
  });
});
