// sim: a `drsorch sim` (the simulated region) on 127.0.0.1 for the deployment tests, on a frozen clock that
// only the test moves (POST /_sim/clock), and its admin API.
import { spawn } from 'node:child_process';
import { bin } from './drsorch.mjs';

export const SIM_CREDS = { AWS_ACCESS_KEY_ID: 'AKIASIMULATOREXAMPLE', AWS_SECRET_ACCESS_KEY: 'simulator/secret/EXAMPLEKEY' };
export const SIM_ACCOUNT = '111122223333';

/** Start the simulator on `scenario` (a file); resolves {url, admin(method, path, body), stop()}. */
export async function startSim(scenario) {
  const proc = spawn(bin, ['sim', '--scenario', scenario, '--listen', '127.0.0.1:0', '--speed', '0'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => proc.on('close', resolve));
  let err = '';
  proc.stderr.on('data', (d) => { err += d; });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) resolve(m[1]);
    });
    exited.then(() => reject(new Error(`drsorch sim exited: ${err}`)));
  });
  async function admin(method, path, body) {
    const r = await fetch(`${url}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
    return r.json();
  }
  async function stop() {
    proc.kill('SIGTERM');
    await exited;
  }
  return { url, admin, stop };
}
