// scripts/package-lambda.sh: the zip is reproducible (two runs, the same bytes), carries bootstrap, drsorch,
// the loader, the libraries and the CA bundle, and runs on its own: the packaged bootstrap, started in an
// empty root holding only the zip's files (chroot), serves an invocation through the Runtime API emulator;
// and started in place, the loader opens nothing outside the package (LD_DEBUG=libs audit).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { cfnEvent, ResponseUrl, RuntimeApi } from '../lib/runtime-api.mjs';
import { repoRoot } from '../lib/templates.mjs';

const script = path.join(repoRoot, 'scripts', 'package-lambda.sh');
const work = fs.mkdtempSync(path.join(process.env.ORCH_BINARY_DIR || os.tmpdir(), 'lambda-package-'));
process.on('exit', () => fs.rmSync(work, { recursive: true, force: true }));

function pack(name) {
  const out = path.join(work, name);
  execFileSync('bash', [script, '--output', out], { stdio: ['ignore', 'pipe', 'inherit'], timeout: 900000 });
  return out;
}
const chroot = ['/usr/sbin/chroot', '/usr/bin/chroot', '/sbin/chroot'].find((p) => fs.existsSync(p));
const sha = (file) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** Start `cmd` (in `root` via chroot when asked) as the runtime against `api`; one Delete for an
 *  unknown type must come back SUCCESS with the answer PUT to the response URL. */
async function serveOne(cmd, args, env) {
  const api = await new RuntimeApi().start();
  const url = await new ResponseUrl().start();
  const child = spawn(cmd, args, { env: { AWS_LAMBDA_RUNTIME_API: api.address, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  child.on('error', (e) => { stderr += String(e); });
  const exited = new Promise((resolve) => child.on('close', (status) => resolve(status)));
  exited.then((status) => api.abandon(`runtime exited (${status}): ${stderr}`));
  try {
    const r = await api.invoke(cfnEvent('Delete', 'Custom::Unheard', url.url, { PhysicalResourceId: 'pkg' }));
    assert.equal(r.response?.Status, 'SUCCESS', JSON.stringify(r) + stderr);
    assert.equal(url.documents.at(-1).PhysicalResourceId, 'pkg');
  } finally {
    await api.stop();
    await url.stop();
    await exited;
  }
  return stderr;
}

let zip;
test('the package builds, twice to the same bytes', { timeout: 1200000 }, () => {
  zip = pack('a.zip');
  const again = pack('b.zip');
  assert.equal(sha(zip), sha(again), 'package-lambda.sh is not reproducible');
  const names = execFileSync('unzip', ['-Z1', zip], { encoding: 'utf8' }).trim().split('\n');
  for (const f of ['bootstrap', 'bin/drsorch', 'lib/ld-linux-x86-64.so.2', 'lib/libc.so.6', 'lib/libcurl.so.4',
    'lib/libjansson.so.4', 'lib/liblua5.4.so.0', 'etc/ssl/certs/ca-certificates.crt'])
    assert.ok(names.includes(f), `${f} is not in the package: ${names.join(' ')}`);
  assert.deepEqual(names, [...names].sort(), 'entries are sorted');
  const listing = execFileSync('unzip', ['-Zl', zip], { encoding: 'utf8' });
  assert.match(listing, /-rwxr-xr-x .* bootstrap\n/);
  assert.doesNotMatch(listing, /\b(19[0-7]\d|198[1-9]|199\d|20\d\d)-?\w{3}-?\d\d /, 'timestamps are fixed');
});

function unpack(into) {
  fs.mkdirSync(into, { recursive: true });
  execFileSync('unzip', ['-q', '-o', zip, '-d', into]);
}

test('the packaged bootstrap runs in an empty root with only the zip\'s files', async (t) => {
  assert.ok(zip, 'the package test ran first');
  const root = path.join(work, 'root');
  unpack(path.join(root, 'var', 'task'));
  if (!chroot) {
    t.skip('no chroot program here; the loader audit below still runs');
    return;
  }
  const probe = spawn(chroot, [root, '/var/task/bootstrap'], { stdio: 'ignore' });
  const probeStatus = await new Promise((resolve) => {
    probe.on('error', () => resolve('no-chroot'));
    probe.on('close', (status) => resolve(status));
  });
  if (probeStatus === 'no-chroot' || probeStatus === 125) {
    t.skip('chroot is not available or not permitted here; the loader audit below still runs');
    return;
  }
  // Without AWS_LAMBDA_RUNTIME_API the runtime stops at once with a usage error (2): it started.
  assert.equal(probeStatus, 2, 'bootstrap -> loader -> drsorch inside the empty root');
  assert.deepEqual(fs.readdirSync(root), ['var'], 'the root holds nothing but the package');
  await serveOne(chroot, [root, '/var/task/bootstrap'], { LAMBDA_TASK_ROOT: '/var/task' });
});

test('in place, the loader opens nothing outside the package', async () => {
  assert.ok(zip, 'the package test ran first');
  const task = path.join(work, 'task');
  unpack(task);
  const stderr = await serveOne(path.join(task, 'bootstrap'), [], { LAMBDA_TASK_ROOT: task, LD_DEBUG: 'libs' });
  const opened = [...stderr.matchAll(/trying file=(\S+)/g)].map((m) => m[1]);
  const inits = [...stderr.matchAll(/calling init: (\S+)/g)].map((m) => m[1]);
  assert.ok(opened.length > 5 && inits.length > 5, `LD_DEBUG output not seen:\n${stderr.slice(0, 2000)}`);
  for (const f of [...opened, ...inits]) assert.ok(f.startsWith(task + '/'), `loaded from outside the package: ${f}`);
});
