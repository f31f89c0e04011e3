// The offline proof of the serverless shape: a drill of a two-wave plan with one approval gate, started
// through the API function (an API Gateway proxy event: the router, an API token, StartExecution), driven by
// the state machine of cfn/statemachine-stack.yaml in an independent ASL interpreter (aws-local-stepfunctions)
// whose Tasks invoke the orchestration function (the real `drsorch lambda runtime` behind the Runtime API
// emulator), against `drsorch sim`, with the store on DynamoDB (dynalite) as deployed. The gate parks the state machine on a task token
// until the approval, sent through the API function, releases it. The orchestration runtime is killed while
// the first StartRecovery is in flight; the retried step adopts the job instead of launching again. The
// simulated clock moves only by the WaitSeconds the engine asks for, so nothing depends on the machine's speed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { bin, run } from '../lib/drsorch.mjs';
import { startDynalite } from '../lib/dynalite.mjs';
import { SIM_ACCOUNT, SIM_CREDS, startSim } from '../lib/sim.mjs';
import { LambdaFunction, StepFunctionsService } from '../lib/stepfunctions.mjs';
import { repoRoot, stateMachineDefinition } from '../lib/templates.mjs';

const skip = bin ? false : 'DRSORCH_BIN is not set (run through ctest)';
const MACHINE = `arn:aws:states:us-east-1:${SIM_ACCOUNT}:stateMachine:drsorch-orchestration`;
const PLAN = `return plan { name = "sfn-proof", region = "us-east-1", waves = {
  wave "db" { servers = tags { Tier = "db" } },
  wave "app" { depends_on = { "db" }, servers = tags { Tier = "app" }, approval = "db consistent?" },
} }
`;

/** An API Gateway REST proxy event. */
function apiEvent(method, p, token, body) {
  return {
    resource: '/{proxy+}', path: p, httpMethod: method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Accept: 'application/json' },
    queryStringParameters: null, multiValueQueryStringParameters: null, pathParameters: { proxy: p.slice(1) },
    requestContext: { identity: { sourceIp: '127.0.0.1' }, requestId: 'r-1', stage: 'prod' },
    body: body === undefined ? null : JSON.stringify(body), isBase64Encoded: false,
  };
}

test('a drill through Step Functions: gate approved through the API, a crashed step never launches twice',
  { skip, timeout: 240000 }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drsorch-sfn-'));
    const dl = await startDynalite();
    const db = `dynamodb:sfn?region=us-east-1&endpoint=${dl.endpoint}&create=true`;
    const sim = await startSim(path.join(repoRoot, 'plans', 'scenarios', 'three-tier-demo.json'));
    const created = await run(['tokens', 'create', '--role', 'Admin', '--name', 'proof', '--db', db], { env: SIM_CREDS });
    assert.equal(created.status, 0, created.stderr);
    const token = created.stdout.trim();

    let approvalPending = null;
    const steps = [];
    let last = null;
    let killed = false;
    const fns = {};
    const sfnService = new StepFunctionsService(stateMachineDefinition({ OrchestrationFunctionArn: 'orchestration' }), {
      waitStates: ['WaitForDependencies', 'WaitForWaveCompletion'],
      retryStates: ['BeginExecution', 'ExecuteWave', 'WaitForApproval', 'UpdateWaveStatus', 'CompleteExecution', 'RecordFailure'],
      onWaitForToken: (tok, payload) => { approvalPending = { tok, payload }; },
      taskHandler: (state, input) => step(state, input).catch((e) => {
        if (process.env.SFN_DEBUG) console.error('TASK', state, e.name, e.message);
        throw e;
      }),
    });
    async function step(state, input) {
      {
        // A Wait state before this task: the simulated region moves on by what the engine asked for.
        if (last && !last.WaitingForApproval && ['EXECUTE_WAVE', 'UPDATE_WAVE_STATUS'].includes(input.action))
          await sim.admin('POST', '/_sim/clock', { advance: last.WaitSeconds });
        const crashHere = !killed && input.action !== 'AWAIT_APPROVAL';
        if (crashHere) await sim.admin('PUT', '/_sim/faults', { latency: { 'drs:StartRecovery': '60s' } });
        const pending = fns.orch.invoke(input);
        if (crashHere) {
          // Kill the runtime once StartRecovery reached the region (its answer is held back 60 s, the
          // simulator's cap: the poll below has all that time to see the call, however busy the machine).
          let done = false;
          pending.then(() => { done = true; }, () => { done = true; });
          while (!done) {
            const calls = await sim.admin('GET', '/_sim/calls');
            if ((calls.operations['drs:StartRecovery']?.calls || 0) >= 1) {
              await sim.admin('PUT', '/_sim/faults', { latency: {} });
              killed = true;
              await fns.orch.kill();
              break;
            }
            await new Promise((r) => setTimeout(r, 20));
          }
          if (!killed) await sim.admin('PUT', '/_sim/faults', { latency: {} });
        }
        const result = await pending;
        steps.push({ state, action: input.action, result });
        if (input.action !== 'AWAIT_APPROVAL') last = result;
        return result;
      }
    }
    await sfnService.start();
    const env = {
      ...SIM_CREDS, AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: sim.url, AWS_ENDPOINT_URL_SFN: sfnService.url,
      DRSORCH_LAMBDA_STORE: db, DRSORCH_LAMBDA_STATE_MACHINE_ARN: MACHINE, DRSORCH_AWS_ACCOUNT: SIM_ACCOUNT,
      DRSORCH_LOG_LEVEL: 'warn', DRSORCH_STORAGE_DATA_DIR: dir,
    };
    fns.orch = new LambdaFunction('orchestration', env);
    fns.api = new LambdaFunction('api', env);
    try {
      const call = async (method, p, body) => {
        const r = await fns.api.invoke(apiEvent(method, p, token, body));
        return { status: r.statusCode, body: JSON.parse(r.body), headers: r.headers };
      };
      const plan = await call('POST', '/api/v1/plans', { source: PLAN });
      assert.equal(plan.status, 201, JSON.stringify(plan.body));
      const started = await call('POST', '/api/v1/executions', { plan: 'sfn-proof', mode: 'drill' });
      assert.equal(started.status, 202, JSON.stringify(started.body));
      const id = started.body.id;
      const startCall = sfnService.calls.find((c) => c.op === 'StartExecution');
      assert.ok(startCall.signed, 'StartExecution is SigV4-signed');
      assert.equal(startCall.body.stateMachineArn, MACHINE);
      assert.equal(startCall.body.name, id);
      assert.deepEqual(JSON.parse(startCall.body.input), { ExecutionId: id });

      // The gate: the state machine parks on a token; the approval goes through the API function.
      const runEntry = sfnService.runs.get(id);
      let outcome = null;
      runEntry.result.then((o) => { outcome = o; });
      while (!approvalPending && !outcome) await new Promise((r) => setTimeout(r, 20));
      assert.ok(approvalPending, `the state machine waits for the approval (${outcome?.error?.message} ${outcome?.error?.cause?.message})`);
      assert.deepEqual(last.ApprovalWaves, ['app']);
      assert.equal(last.WaitingForApproval, true);
      const approved = await call('POST', `/api/v1/executions/${id}/approve`, { wave: 'app', reason: 'checked' });
      assert.equal(approved.status, 200, JSON.stringify(approved.body));
      const result = await runEntry.result;
      assert.ok(result.output, `the state machine succeeded: ${result.error}`);
      assert.equal(result.output.Status, 'CLEANED');
      assert.equal(result.output.Done, true);

      // What the run did.
      assert.equal(fns.orch.crashes, 1, 'the runtime was killed once, mid-step');
      const calls = await sim.admin('GET', '/_sim/calls');
      assert.equal(calls.operations['drs:StartRecovery'].calls, 2, 'one launch per wave, the killed step included');
      assert.equal(calls.startRecovery.length, 2);
      assert.deepEqual(sfnService.calls.filter((c) => c.op === 'SendTaskSuccess').length, 1, 'the approval released the wait once');
      const actions = steps.map((s) => s.action);
      assert.equal(actions[0], 'BEGIN');
      assert.ok(actions.includes('AWAIT_APPROVAL'));
      assert.equal(actions.at(-1), 'COMPLETE');
      for (const s of steps) {
        if (s.action === 'AWAIT_APPROVAL') continue;
        const flags = [s.result.WaitingForApproval, s.result.WaitingForDependencies, s.result.WaveInProgress];
        assert.ok(flags.filter(Boolean).length <= 1, `exclusive flags: ${JSON.stringify(s.result)}`);
        assert.ok(Number.isInteger(s.result.WaitSeconds) && s.result.WaitSeconds >= 1);
      }
      const view = await call('GET', `/api/v1/executions/${id}`);
      assert.equal(view.status, 200);
      assert.equal(view.body.status, 'CLEANED');
      assert.deepEqual(view.body.waves.map((w) => w.status), ['COMPLETED', 'COMPLETED']);
      const events = await run(['executions', 'show', id, '--db', db, '--json'], { env: SIM_CREDS });
      assert.match(events.stdout + events.stderr, /ApprovalWaitStarted|CLEANED/);
    } catch (e) {
      if (process.env.SFN_DEBUG) {
        console.error('FAILED', e, JSON.stringify(steps), fns.orch.lastExit?.stderr);
        for (const r of sfnService.runs.values()) for (const ev of r.events || []) console.error('EV', JSON.stringify(ev).slice(0, 300));
      }
      throw e;
    } finally {
      await fns.orch.stop();
      await fns.api.stop();
      await sfnService.stop();
      await sim.stop();
      await dl.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
