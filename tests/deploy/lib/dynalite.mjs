// dynalite: a local DynamoDB (npm dynalite, in this lockfile) on 127.0.0.1 for the deployment tests, started
// through lib/dynalite-server.cjs on a free port and stopped by closing its stdin.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './templates.mjs';

/** dynalite on a free port; resolves {port, endpoint, stop()}. */
export async function startDynalite() {
  const child = spawn(process.execPath, [path.join(repoRoot, 'tests/deploy/lib/dynalite-server.cjs')],
    { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      if (buf.includes('\n')) resolve(Number(buf.trim()));
    });
    child.on('exit', () => reject(new Error('dynalite exited')));
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  return { port, endpoint: `http://127.0.0.1:${port}`, stop: () => { child.stdin.end(); return exited; } };
}
