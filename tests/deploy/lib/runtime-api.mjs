// runtime-api: an emulator of the AWS Lambda Runtime API (2018-06-01) on 127.0.0.1, for driving the real
// `drsorch lambda runtime` (or the packaged bootstrap) in tests: invoke(event) queues an invocation,
// the runtime's GET .../invocation/next receives it with the headers Lambda sends, and its POST of a
// response or an error settles the promise invoke() returned. Init errors are recorded. Also: a
// loopback server standing in for CloudFormation's pre-signed response URL.
import http from 'node:http';
import { randomUUID } from 'node:crypto';

const PREFIX = '/2018-06-01/runtime';
const MAX_RESPONSE = 6 * 1024 * 1024;

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export class RuntimeApi {
  constructor() {
    this.queue = [];       // invocations not yet fetched
    this.waiting = [];     // GET next responses held open
    this.inflight = new Map();
    this.initErrors = [];
    this.nextCalls = 0;
    this.server = http.createServer((req, res) => this.#handle(req, res).catch((e) => {
      res.writeHead(500).end(String(e));
    }));
  }

  async start() {
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.address = `127.0.0.1:${this.server.address().port}`;
    return this;
  }

  async stop() {
    for (const res of this.waiting) res.destroy();
    this.waiting = [];
    this.server.closeAllConnections?.();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** The runtime is gone: every invocation not yet answered (and any later one) rejects with `why`. */
  abandon(why) {
    this.abandoned = why;
    for (const inv of this.inflight.values()) inv.reject(new Error(why));
    this.inflight.clear();
    this.queue = [];
  }

  /** Queue one invocation; resolves with {response} or {errorMessage, errorType, headerType}. */
  invoke(event, { remainingMs = 60000, functionArn = 'arn:aws:lambda:us-east-1:111122223333:function:drsorch',
    raw = false } = {}) {
    const id = randomUUID();
    const body = raw ? Buffer.from(event) : Buffer.from(JSON.stringify(event));
    return new Promise((resolve, reject) => {
      if (this.abandoned) return reject(new Error(this.abandoned));
      const inv = { id, body, deadline: Date.now() + remainingMs, functionArn, resolve, reject };
      this.inflight.set(id, inv);
      const res = this.waiting.shift();
      if (res) this.#deliver(res, inv);
      else this.queue.push(inv);
    });
  }

  #deliver(res, inv) {
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Lambda-Runtime-Aws-Request-Id': inv.id,
      'Lambda-Runtime-Deadline-Ms': String(inv.deadline),
      'Lambda-Runtime-Invoked-Function-Arn': inv.functionArn,
      'Lambda-Runtime-Trace-Id': `Root=1-${Date.now().toString(16)}-${inv.id.replaceAll('-', '').slice(0, 24)};Sampled=0`,
    });
    res.end(inv.body);
  }

  async #handle(req, res) {
    const url = new URL(req.url, 'http://x');
    const body = await readBody(req);
    if (req.method === 'GET' && url.pathname === `${PREFIX}/invocation/next`) {
      this.nextCalls++;
      const inv = this.queue.shift();
      if (inv) this.#deliver(res, inv);
      else this.waiting.push(res);
      return;
    }
    if (req.method === 'POST' && url.pathname === `${PREFIX}/init/error`) {
      this.initErrors.push({ errorType: req.headers['lambda-runtime-function-error-type'], ...JSON.parse(body) });
      res.writeHead(202, { 'Content-Type': 'application/json' }).end('{"status":"OK"}');
      return;
    }
    const m = url.pathname.match(new RegExp(`^${PREFIX}/invocation/([^/]+)/(response|error)$`));
    if (req.method === 'POST' && m) {
      const inv = this.inflight.get(m[1]);
      if (!inv) {
        res.writeHead(400, { 'Content-Type': 'application/json' })
          .end('{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}');
        return;
      }
      if (m[2] === 'response' && body.length > MAX_RESPONSE) {
        res.writeHead(413).end('{"errorMessage":"response too large","errorType":"RequestEntityTooLarge"}');
        return;
      }
      this.inflight.delete(m[1]);
      res.writeHead(202, { 'Content-Type': 'application/json' }).end('{"status":"OK"}');
      if (m[2] === 'response') inv.resolve({ response: JSON.parse(body.toString('utf8')) });
      else inv.resolve({ ...JSON.parse(body.toString('utf8')), headerType: req.headers['lambda-runtime-function-error-type'] });
      return;
    }
    res.writeHead(404).end();
  }
}

/** A stand-in for CloudFormation's pre-signed S3 response URL: records every PUT; `statuses` are the
 *  HTTP statuses to answer, in order (then 200). */
export class ResponseUrl {
  constructor(statuses = []) {
    this.statuses = [...statuses];
    this.requests = [];
    this.server = http.createServer(async (req, res) => {
      const body = await readBody(req);
      this.requests.push({ method: req.method, url: req.url, headers: req.headers, body: body.toString('utf8') });
      res.writeHead(this.statuses.shift() ?? 200).end();
    });
  }
  async start() {
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${this.server.address().port}/cfn-responses/stack%2Fresource?X-Amz-Signature=abc&X-Amz-Expires=7200`;
    return this;
  }
  async stop() { await new Promise((resolve) => this.server.close(resolve)); }
  /** The documents PUT so far. */
  get documents() { return this.requests.map((r) => JSON.parse(r.body)); }
}

/** A custom-resource request as CloudFormation sends it. */
export function cfnEvent(requestType, resourceType, responseURL, extra = {}) {
  return {
    RequestType: requestType,
    ServiceToken: 'arn:aws:lambda:us-east-1:111122223333:function:drsorch-custom-resources',
    ResponseURL: responseURL,
    StackId: 'arn:aws:cloudformation:us-east-1:111122223333:stack/drsorch/00000000-0000-0000-0000-000000000000',
    RequestId: randomUUID(),
    LogicalResourceId: 'ConsoleThing',
    ResourceType: resourceType,
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:us-east-1:111122223333:function:x', BucketName: 'b' },
    ...extra,
  };
}
