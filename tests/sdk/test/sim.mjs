// Start `drsorch sim` on an ephemeral port for a test file, and build official AWS SDK v3 clients
// pointed at it. The simulator runs with a frozen clock (--speed 0); tests move it with POST /_sim/clock.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SOURCE_DIR = process.env.ORCH_SOURCE_DIR || path.resolve(here, '../../..');
export const DRSORCH = process.env.DRSORCH_BIN ||
  path.join(process.env.ORCH_BINARY_DIR || path.join(SOURCE_DIR, 'build/asan'), 'drsorch');

export const DEFAULT_CREDS = {
  accessKeyId: 'AKIASIMULATOREXAMPLE',
  secretAccessKey: 'simulator/secret/EXAMPLEKEY',
};

export function scenario(name) {
  return path.join(SOURCE_DIR, 'plans/scenarios', name);
}

// Start the simulator; resolves when it prints its "listening on URL" line.
export async function startSim(scenarioFile, { seed = 1, speed = 0, extra = [] } = {}) {
  const args = ['sim', '--scenario', scenarioFile, '--listen', '127.0.0.1:0', '--speed', String(speed),
    '--seed', String(seed), ...extra];
  const proc = spawn(DRSORCH, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`drsorch sim did not start: ${stderr}`)), 15000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/^listening on (http:\/\/\S+)$/m);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`drsorch sim exited ${code}: ${stderr}`)); });
  });
  const sim = {
    url,
    proc,
    async admin(method, p, body) {
      const res = await fetch(url + p, {
        method,
        headers: body ? { 'content-type': 'application/json' } : {},
        body: body ? JSON.stringify(body) : undefined,
      });
      const json = await res.json();
      if (!res.ok) throw Object.assign(new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`), { status: res.status, json });
      return json;
    },
    advance(duration) { return this.admin('POST', '/_sim/clock', { advance: duration }); },
    client(Client, opts = {}) {
      return new Client({
        endpoint: url,
        region: opts.region || 'us-east-1',
        credentials: opts.credentials || DEFAULT_CREDS,
        maxAttempts: opts.maxAttempts || 1,
        ...opts.extra,
      });
    },
    // Stop with SIGTERM; the simulator must exit 0 (under ASan that also means no leak at exit).
    async stop() {
      if (proc.exitCode !== null) throw new Error(`drsorch sim had already exited ${proc.exitCode}: ${stderr}`);
      const exited = once(proc, 'exit');
      proc.kill('SIGTERM');
      const [code, signal] = await exited;
      if (code !== 0) throw new Error(`drsorch sim exited ${code ?? signal}: ${stderr}`);
    },
  };
  return sim;
}

// Expect `promise` to reject with the SDK's exception class `Cls` (and the given HTTP status).
export async function rejectsWith(assert, promise, Cls, status) {
  try {
    await promise;
  } catch (e) {
    if (Cls) assert.ok(e instanceof Cls, `expected ${Cls.name}, got ${e.name}: ${e.message}`);
    if (status) assert.equal(e.$metadata?.httpStatusCode, status, `${e.name}: ${e.message}`);
    return e;
  }
  assert.fail(`expected ${Cls ? Cls.name : 'an error'}, but the call succeeded`);
}
