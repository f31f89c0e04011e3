// The state machine in cfn/statemachine-stack.yaml: valid Amazon States Language (asl-validator), and
// the shape the engine relies on: every Task calls the orchestration function with a known action and
// the execution id, retries the failures a crashed or throttled runtime produces, and catches the rest
// into a recorded failure; every Choice reads only fields the engine returns; waits come from the engine.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { loadTemplate, cfnDir, stateMachineDefinition } from '../lib/templates.mjs';
import path from 'node:path';

const require = createRequire(import.meta.url);
const aslValidator = require('asl-validator');

// The fields the orchestration function's answer carries for the Choice states (docs/deploy.md).
const resultFields = new Set(['$.Done', '$.Status', '$.WaitingForDependencies', '$.WaitingForApproval',
  '$.WaveInProgress', '$.WaitSeconds']);

test('asl-validator accepts the definition', () => {
  const { isValid, errorsText } = aslValidator(stateMachineDefinition());
  assert.ok(isValid, errorsText('\n'));
});

test('asl-validator rejects a broken definition (the check is live)', () => {
  const def = stateMachineDefinition();
  def.States.ExecuteWave.Next = 'NoSuchState';
  delete def.States.ExecutionFailed.Type;
  const { isValid } = aslValidator(def);
  assert.equal(isValid, false);
});

test('the seed\'s states are all there, with logging ALL and tracing', () => {
  const def = stateMachineDefinition();
  for (const s of ['BeginExecution', 'CheckMoreWaves', 'ExecuteWave', 'CheckWaveDependencies', 'WaitForDependencies',
    'WaitForWaveCompletion', 'UpdateWaveStatus', 'CheckWaveStatus', 'CompleteExecution', 'ExecutionSucceeded',
    'ExecutionFailed']) assert.ok(def.States[s], `state ${s} missing`);
  const sm = loadTemplate(path.join(cfnDir, 'statemachine-stack.yaml')).Resources.OrchestrationStateMachine.Properties;
  assert.equal(sm.LoggingConfiguration.Level, 'ALL');
  assert.equal(sm.LoggingConfiguration.IncludeExecutionData, true);
  assert.equal(sm.TracingConfiguration.Enabled, true);
});

test('every task passes an action and the execution id, retries runtime crashes, catches the rest', () => {
  const def = stateMachineDefinition();
  const actions = new Set();
  for (const [name, s] of Object.entries(def.States)) {
    if (s.Type !== 'Task') continue;
    const params = s.Parameters.Payload || s.Parameters;
    assert.match(params.action, /^[A-Z_]+$/, `${name}: action`);
    actions.add(params.action);
    assert.ok(params['ExecutionId.$'], `${name}: ExecutionId`);
    assert.ok(s.Catch?.some((c) => c.ErrorEquals.includes('States.ALL')), `${name}: no Catch of States.ALL`);
    const retried = new Set((s.Retry || []).flatMap((r) => r.ErrorEquals));
    for (const e of ['Runtime.ExitError', 'Lambda.Unknown', 'Drsorch.Retryable'])
      assert.ok(retried.has(e) || retried.has('States.ALL'), `${name}: ${e} is not retried`);
    const next = s.Catch.find((c) => c.ErrorEquals.includes('States.ALL')).Next;
    assert.ok(['RecordFailure', 'ExecutionFailed'].includes(next), `${name}: caught errors go to ${next}`);
  }
  assert.deepEqual([...actions].sort(), ['AWAIT_APPROVAL', 'BEGIN', 'COMPLETE', 'EXECUTE_WAVE', 'UPDATE_WAVE_STATUS']);
  assert.equal(def.States.WaitForApproval.Resource, 'arn:aws:states:::lambda:invoke.waitForTaskToken');
  assert.equal(def.States.WaitForApproval.Parameters.Payload['TaskToken.$'], '$$.Task.Token');
});

test('the approval wait re-arms hourly (the engine parks it with WaitSeconds 3600) and a cancelled or timed-out wait steps on', () => {
  const w = stateMachineDefinition().States.WaitForApproval;
  assert.equal(w.TimeoutSeconds, 3600, 'ORCH_LAMBDA_SFN_APPROVAL_WAIT_S');
  assert.deepEqual(w.Catch[0], { ErrorEquals: ['States.Timeout', 'Drsorch.Cancelled'], ResultPath: '$.Approval', Next: 'ExecuteWave' });
  assert.equal(stateMachineDefinition().States.BeginExecution.Parameters['ExecutionId.$'], '$.ExecutionId',
    'the API starts it with {"ExecutionId"}');
});

test('choices read only what the engine returns; waits are the engine\'s', () => {
  const def = stateMachineDefinition();
  for (const [name, s] of Object.entries(def.States)) {
    if (s.Type === 'Choice') for (const c of s.Choices) assert.ok(resultFields.has(c.Variable), `${name}: ${c.Variable}`);
    if (s.Type === 'Wait') assert.equal(s.SecondsPath, '$.WaitSeconds', `${name}`);
  }
});
