// Shared by the API's node checks: start `drsorch serve` on a free loopback port (no real AWS reachable),
// call it, and check answers against the OpenAPI document the server generates, with ajv (JSON Schema
// 2020-12, formats). Every answer checked must be a status the document lists for that operation.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

export const BIN = process.env.DRSORCH_BIN;
export const SRC = process.env.ORCH_SOURCE_DIR;

// Start the server with `args`; resolves once it has logged its address (and, with --demo, its token).
export async function startServer(args, { settings = [] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "drsorch-api-node-"));
  const env = { PATH: process.env.PATH, HOME: dir, AWS_EC2_METADATA_DISABLED: "true",
                ASAN_OPTIONS: process.env.ASAN_OPTIONS || "detect_leaks=1" };
  const full = ["serve", "--listen", "127.0.0.1:0", "--data-dir", join(dir, "data"), ...args];
  for (const s of settings) full.push("--set", s);
  const proc = spawn(BIN, full, { cwd: SRC, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "", log = "";
  proc.stdout.on("data", (d) => (out += d));
  proc.stderr.on("data", (d) => (log += d));
  const demo = args.includes("--demo");
  for (let i = 0; i < 600; i++) {
    const m = log.match(/listening on (https?:\/\/[0-9.]+:[0-9]+)/);
    const t = out.match(/^admin token: (\S+)$/m);
    if (m && (!demo || t)) {
      const stop = async () => {
        proc.kill("SIGTERM");
        await new Promise((r) => proc.once("exit", r));
        rmSync(dir, { recursive: true, force: true });
      };
      return { base: m[1], token: t && t[1], dir, proc, stop, log: () => log };
    }
    if (proc.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  proc.kill("SIGKILL");
  throw new Error("the server did not start:\n" + log);
}

export function fill(pattern, params = {}) {
  return pattern.replace(/\{([a-z_]+)\}/g, (_, k) => encodeURIComponent(params[k]));
}

// One call: {status, headers, json, text}.
export async function call(base, token, method, path, { body, headers = {}, raw } = {}) {
  const h = { ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  let payload;
  if (raw !== undefined) payload = raw;
  else if (body !== undefined) {
    payload = JSON.stringify(body);
    h["Content-Type"] = "application/json";
  }
  const res = await fetch(base + path, { method, headers: h, body: payload });
  const text = await res.text();
  let json;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  return { status: res.status, headers: res.headers, json, text };
}

// A checker of answers against the document: check(pattern, method, answer) throws with the reason.
export function documentChecker(doc) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(doc, "doc");
  const esc = (s) => s.replace(/~/g, "~0").replace(/\//g, "~1");
  const checked = new Set();
  function check(pattern, method, answer) {
    const op = doc.paths?.[pattern]?.[method.toLowerCase()];
    if (!op) throw new Error(`${method} ${pattern} is not in the document`);
    let resp = op.responses[String(answer.status)];
    let pointer = `doc#/paths/${esc(pattern)}/${method.toLowerCase()}/responses/${answer.status}`;
    if (!resp) throw new Error(`${method} ${pattern} answered ${answer.status}, which the document does not list: ${answer.text.slice(0, 300)}`);
    if (resp.$ref) {
      const name = resp.$ref.split("/").pop();
      resp = doc.components.responses[name];
      pointer = `doc#/components/responses/${esc(name)}`;
    }
    const type = (answer.headers.get("content-type") || "").split(";")[0];
    if (!resp.content) {
      if (answer.text) throw new Error(`${method} ${pattern} ${answer.status}: a body where the document has none`);
    } else if (type === "application/json") {
      if (!resp.content["application/json"]) throw new Error(`${method} ${pattern} ${answer.status}: JSON not documented`);
      const validate = ajv.getSchema(`${pointer}/content/application~1json/schema`);
      if (!validate(answer.json)) {
        throw new Error(`${method} ${pattern} ${answer.status} does not fit the document: ` +
          ajv.errorsText(validate.errors) + "\n" + answer.text.slice(0, 600));
      }
    } else if (!Object.keys(resp.content).some((k) => k.split(";")[0] === type)) {
      throw new Error(`${method} ${pattern} ${answer.status}: ${type} is not documented`);
    }
    checked.add(op.operationId);
  }
  return { check, checked };
}
