// stepfunctions: AWS Step Functions played on 127.0.0.1 for the offline proof. The state machine definition
// from cfn/ runs in aws-local-stepfunctions (an independent ASL interpreter); its Task states invoke a Lambda
// function, here the real `drsorch lambda runtime` behind the Runtime API emulator (LambdaFunction: a crashed
// runtime is Runtime.ExitError, as Lambda reports it, and the next invocation gets a fresh one). The service
// side the engine calls (StartExecution, SendTaskSuccess, SendTaskFailure; awsJson1_0 with X-Amz-Target
// AWSStepFunctions.*) is served by StepFunctionsService, which starts runs and settles the
// `lambda:invoke.waitForTaskToken` task with the token it minted.
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { StateMachine } from 'aws-local-stepfunctions';
import { start } from './drsorch.mjs';
import { RuntimeApi } from './runtime-api.mjs';

// aws-local-stepfunctions 3 calls Promise.withResolvers (Node 22); Node 20 lacks it.
if (!Promise.withResolvers) {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new this((res, rej) => { resolve = res; reject = rej; });
    return { promise, resolve, reject };
  };
}

class TaskError extends Error {
  constructor(name, message) {
    super(message);
    this.name = name; // what Retry and Catch match
  }
}

/** One Lambda function: a drsorch runtime process fed by its own Runtime API emulator. */
export class LambdaFunction {
  constructor(name, env) {
    this.name = name;
    this.env = env;
    this.invocations = 0;
    this.crashes = 0;
  }

  async #ensure() {
    if (this.proc) return;
    this.api = await new RuntimeApi().start();
    const proc = start(['lambda', 'runtime'], { env: { ...this.env, AWS_LAMBDA_RUNTIME_API: this.api.address } });
    this.proc = proc;
    proc.exited.then((out) => {
      if (this.proc === proc) this.proc = null;
      this.lastExit = out;
      this.api.abandon(`Runtime.ExitError: the runtime exited (${out.signal || out.status})`);
    });
  }

  /** Invoke with `event`: the response, or a TaskError named by the errorType. */
  async invoke(event) {
    await this.#ensure();
    this.invocations++;
    let r;
    try {
      r = await this.api.invoke(event, { remainingMs: 900000 });
    } catch (e) {
      this.crashes++;
      await this.api.stop();
      throw new TaskError('Runtime.ExitError', e.message);
    }
    if (r.response !== undefined) return r.response;
    throw new TaskError(r.errorType || 'Lambda.Unknown', r.errorMessage || 'error');
  }

  /** SIGKILL the runtime (mid-invocation); resolves once it is gone and reaped. */
  async kill() {
    const proc = this.proc;
    if (!proc) return;
    proc.child.kill('SIGKILL');
    await proc.exited;
  }

  async stop() {
    const proc = this.proc;
    this.proc = null;
    if (proc) {
      proc.child.kill('SIGTERM');
      await proc.exited;
    }
    if (this.api) await this.api.stop();
  }
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The Step Functions service on loopback, running `definition` for every StartExecution.
 *  `taskHandler(stateName, input)` performs a plain Task (the orchestration function);
 *  `onWaitForToken(token, payload)` is told when a waitForTaskToken task has invoked its function. */
export class StepFunctionsService {
  constructor(definition, { taskHandler, onWaitForToken, waitStates = [], retryStates = [] }) {
    this.definition = definition;
    this.taskHandler = taskHandler;
    this.onWaitForToken = onWaitForToken;
    this.waitStates = waitStates;
    this.retryStates = retryStates;
    this.tokens = new Map(); // token -> {resolve, reject}
    this.calls = [];
    this.runs = new Map();   // name -> {arn, result}
    this.server = http.createServer((req, res) => this.#handle(req, res).catch((e) => {
      res.writeHead(500, { 'Content-Type': 'application/x-amz-json-1.0' })
        .end(JSON.stringify({ __type: 'InternalError', message: String(e) }));
    }));
  }

  async start() {
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${this.server.address().port}`;
    return this;
  }

  async stop() {
    this.stopped = true;
    for (const r of this.runs.values()) r.abort?.();
    for (const t of this.tokens.values()) t.reject(new TaskError('States.Runtime', 'the service stopped'));
    this.server.closeAllConnections?.();
    await new Promise((resolve) => this.server.close(resolve));
  }

  #reply(res, status, body) {
    res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.0' }).end(JSON.stringify(body));
  }

  async #handle(req, res) {
    const target = req.headers['x-amz-target'] || '';
    const body = JSON.parse((await readBody(req)) || '{}');
    const op = target.replace(/^AWSStepFunctions\./, '');
    this.calls.push({ op, body, signed: /^AWS4-HMAC-SHA256 /.test(req.headers.authorization || '') });
    if (op === 'StartExecution') {
      const arn = `${body.stateMachineArn.replace(':stateMachine:', ':execution:')}:${body.name}`;
      if (!this.runs.has(body.name)) {
        const entry = { arn };
        entry.result = this.#run(body.name, arn, JSON.parse(body.input), entry);
        this.runs.set(body.name, entry);
      }
      return this.#reply(res, 200, { executionArn: arn, startDate: Date.now() / 1000 });
    }
    if (op === 'SendTaskSuccess' || op === 'SendTaskFailure') {
      const t = this.tokens.get(body.taskToken);
      if (!t) return this.#reply(res, 400, { __type: 'TaskDoesNotExist', message: 'Task does not exist anymore' });
      this.tokens.delete(body.taskToken);
      if (op === 'SendTaskSuccess') t.resolve(JSON.parse(body.output));
      else t.reject(new TaskError(body.error || 'States.TaskFailed', body.cause || ''));
      return this.#reply(res, 200, {});
    }
    return this.#reply(res, 400, { __type: 'UnknownOperationException', message: `unknown operation ${target}` });
  }

  /** One run of the state machine: every Task through the handlers, waits and retry intervals at 0 ms (the
   *  handlers move the simulated clock instead). Resolves {output} or {error}. */
  async #run(name, arn, input, entry) {
    const handlers = {};
    for (const [state, def] of Object.entries(this.definition.States)) {
      if (def.Type !== 'Task') continue;
      handlers[state] = def.Resource.endsWith('.waitForTaskToken')
        ? (params) => this.#waitForToken(params)
        : (params) => (this.stopped ? Promise.reject(new TaskError('States.Runtime', 'stopped')) : this.taskHandler(state, params));
    }
    const overrides = {
      taskResourceLocalHandlers: handlers,
      waitTimeOverrides: Object.fromEntries(this.waitStates.map((s) => [s, 0])),
      retryIntervalOverrides: Object.fromEntries(this.retryStates.map((s) => [s, 0])),
    };
    const machine = new StateMachine(this.definition, { validationOptions: { checkArn: false } });
    const execution = machine.run(input, {
      overrides, noThrowOnAbort: true,
      context: { Execution: { Id: arn, Name: name }, Task: { Token: 'replaced-per-task' } },
    });
    entry.abort = execution.abort;
    entry.events = [];
    (async () => { for await (const ev of execution.eventLogs) entry.events.push(ev); })().catch(() => {});
    try {
      return { output: await execution.result };
    } catch (e) {
      return { error: e };
    }
  }

  /** lambda:invoke.waitForTaskToken: a fresh token in the payload, the function invoked, then the task
   *  waits until SendTaskSuccess / SendTaskFailure names the token. */
  async #waitForToken(params) {
    const token = `token-${randomUUID()}`;
    const settled = new Promise((resolve, reject) => this.tokens.set(token, { resolve, reject }));
    settled.catch(() => {});
    try {
      await this.taskHandler('WaitForApproval', { ...params.Payload, TaskToken: token });
    } catch (e) {
      this.tokens.delete(token);
      throw e;
    }
    this.onWaitForToken?.(token, params.Payload);
    return settled;
  }
}
