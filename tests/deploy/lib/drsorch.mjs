// drsorch: running the drsorch binary under test (DRSORCH_BIN, set by ctest) and waiting for it.
import { spawn } from 'node:child_process';

export const bin = process.env.DRSORCH_BIN;

/** Start drsorch with args; resolves the exit once it ends. Output is collected. */
export function start(args, { env = {}, input } = {}) {
  // DRSORCH_BIN names the binary for the tests; drsorch itself would refuse it as an unknown setting.
  const { DRSORCH_BIN: _, ...inherited } = process.env;
  const child = spawn(bin, args, { env: { ...inherited, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '', status: null, signal: null };
  child.stdout.on('data', (d) => { out.stdout += d; });
  child.stderr.on('data', (d) => { out.stderr += d; });
  out.exited = new Promise((resolve) => child.on('close', (status, signal) => {
    out.status = status;
    out.signal = signal;
    resolve(out);
  }));
  if (input !== undefined) child.stdin.end(input);
  else child.stdin.end();
  out.child = child;
  return out;
}

/** Run to the end. */
export async function run(args, opts) {
  return start(args, opts).exited;
}
