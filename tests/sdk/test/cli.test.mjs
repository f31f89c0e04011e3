// `drsorch sim` as a command: exit 2 with usage on bad arguments, one clear line on a bad scenario,
// --help names the default credentials.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DRSORCH, scenario } from './sim.mjs';

const run = (...args) => spawnSync(DRSORCH, ['sim', ...args], { encoding: 'utf8', timeout: 30000 });

test('bad arguments exit 2 with usage', () => {
  for (const args of [[], ['--scenario'], ['--scenario', scenario('three-tier-demo.json'), '--speed', 'fast'],
    ['--scenario', scenario('three-tier-demo.json'), '--seed', '-1'], ['--scenario', scenario('three-tier-demo.json'), '--bogus'],
    ['--scenario', scenario('three-tier-demo.json'), '--listen', 'nowhere'], ['--scenario', scenario('three-tier-demo.json'), 'extra']]) {
    const r = run(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /Try 'drsorch sim --help'/);
  }
});

test('a bad scenario is one clear line naming the file and JSON path', () => {
  const file = path.join(os.tmpdir(), `sim-bad-${process.pid}.json`);
  fs.writeFileSync(file, JSON.stringify({ regions: [{ region: 'us-east-1', servers: [{ hostname: 'a', tags: { Tier: 3 } }] }] }));
  const r = run('--scenario', file, '--listen', '127.0.0.1:0');
  fs.unlinkSync(file);
  assert.equal(r.status, 1);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.equal(lines[0], `drsorch sim: ${file}: regions[0].servers[0].tags.Tier: expected string, got number`);
  const missing = run('--scenario', '/nonexistent/s.json');
  assert.equal(missing.status, 1);
  assert.match(missing.stderr.trim(), /^drsorch sim: \/nonexistent\/s\.json: cannot open scenario/);
});

test('--help documents the default credentials', () => {
  const r = run('--help');
  assert.equal(r.status, 0);
  assert.match(r.stdout, /AKIASIMULATOREXAMPLE/);
  assert.match(r.stdout, /simulator\/secret\/EXAMPLEKEY/);
  assert.match(r.stdout, /111122223333/);
});
