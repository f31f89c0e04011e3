// cold_start: the Lambda package's cold start and memory. Packages the release build (scripts/
// package-lambda.sh), unpacks it, and N times starts the packaged bootstrap against the Runtime API
// emulator with an invocation already waiting (as Lambda does on a cold start): the time from exec to
// the response posted, and the peak resident memory (VmHWM) of the runtime after that response. Target
// (DESIGN §10): < 150 ms to the first response (the reference's Python Lambdas: 850-920 ms).
//   node bench/lambda/cold_start.mjs [--runs N] [--zip FILE]
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cfnEvent, ResponseUrl, RuntimeApi } from '../../tests/deploy/lib/runtime-api.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const runs = Number(opt('--runs', '20'));
let zip = opt('--zip', null);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'drsorch-cold-'));
process.on('exit', () => fs.rmSync(work, { recursive: true, force: true }));
if (!zip) {
  zip = path.join(work, 'drsorch-lambda.zip');
  execFileSync('bash', [path.join(root, 'scripts', 'package-lambda.sh'), '--output', zip], { stdio: ['ignore', 'ignore', 'inherit'] });
}
const task = path.join(work, 'task');
execFileSync('unzip', ['-q', zip, '-d', task]);

function vmHwmKb(pid) {
  const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmHWM:\s+(\d+) kB/m);
  return m ? Number(m[1]) : NaN;
}

async function once() {
  const api = await new RuntimeApi().start();
  const url = await new ResponseUrl().start();
  const pending = api.invoke(cfnEvent('Delete', 'Custom::Unheard', url.url, { PhysicalResourceId: 'bench' }));
  const t0 = process.hrtime.bigint();
  const child = spawn(path.join(task, 'bootstrap'), [], {
    env: { AWS_LAMBDA_RUNTIME_API: api.address, LAMBDA_TASK_ROOT: task, DRSORCH_LOG_LEVEL: 'warn' }, stdio: 'ignore',
  });
  const r = await pending;
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.response?.Status !== 'SUCCESS') throw new Error(`unexpected answer ${JSON.stringify(r)}`);
  const kb = vmHwmKb(child.pid);
  const exited = new Promise((resolve) => child.on('close', resolve));
  await api.stop();
  await url.stop();
  await exited;
  return { ms, kb };
}

const results = [];
for (let i = 0; i < runs; i++) results.push(await once());
const ms = results.map((r) => r.ms).sort((a, b) => a - b);
const kb = results.map((r) => r.kb).sort((a, b) => a - b);
const q = (a, p) => a[Math.min(a.length - 1, Math.floor(p * a.length))];
console.log(`lambda cold start (packaged bootstrap -> first response, ${runs} runs): ` +
  `p50 ${q(ms, 0.5).toFixed(1)} ms, p95 ${q(ms, 0.95).toFixed(1)} ms, max ${ms.at(-1).toFixed(1)} ms (target < 150 ms)`);
console.log(`lambda memory (VmHWM after the first response): p50 ${(q(kb, 0.5) / 1024).toFixed(1)} MiB, ` +
  `max ${(kb.at(-1) / 1024).toFixed(1)} MiB; package ${(fs.statSync(zip).size / 1048576).toFixed(1)} MiB zipped`);
