// The console's end-to-end harness: `drsorch serve --demo` on a free loopback port (started and stopped
// here), a loopback TCP proxy in front of it that the test can cut (a network drop: every open connection
// closed at once), Debian's Chromium driven by playwright-core (headless, a fresh profile, never a downloaded
// browser), axe-core, screenshots, and waits that poll for a condition (never a fixed sleep).
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const BIN = process.env.DRSORCH_BIN;
export const SRC = process.env.ORCH_SOURCE_DIR;
export const WEB = join(SRC ?? ".", "web");
export const OUT = process.env.WEB_E2E_OUT ?? join(SRC ?? ".", "build", "web-e2e");
export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

// playwright-core and axe come from the console's own node_modules (web/package-lock.json)
const requireWeb = createRequire(join(WEB, "package.json"));
export const { chromium } = requireWeb("playwright-core");
const AxeBuilder = requireWeb("@axe-core/playwright").default;

/** Poll `fn` until it returns a truthy value; throws with `what` after `timeoutMs`. */
export async function until(what, fn, { timeoutMs = 120000, everyMs = 100 } = {}) {
  const end = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ""}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** `drsorch serve --demo` with the built console, its simulated region at a fixed `speed` (the API tests'
 * 1200x by default; no assertion may depend on it); resolves with its address and admin token. */
export async function startServer({ speed = "1200", env = {} } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "drsorch-web-e2e-"));
  const full = ["serve", "--demo", "--speed", speed, "--listen", "127.0.0.1:0", "--data-dir", join(dir, "data")];
  const proc = spawn(BIN, full, {
    cwd: SRC, stdio: ["ignore", "pipe", "pipe"],
    env: { PATH: process.env.PATH, HOME: dir, AWS_EC2_METADATA_DISABLED: "true", ASAN_OPTIONS: process.env.ASAN_OPTIONS ?? "detect_leaks=1",
      DRSORCH_SERVER_WEB_DIR: join(WEB, "dist"), ...env },
  });
  let out = "", log = "";
  proc.stdout.on("data", (d) => (out += d));
  proc.stderr.on("data", (d) => (log += d));
  const stop = async () => {
    if (proc.exitCode === null) {
      proc.kill("SIGTERM");
      await new Promise((r) => proc.once("exit", r));
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ready = await until("the server's address and token", () => {
      if (proc.exitCode !== null) throw new Error(`drsorch serve exited ${proc.exitCode}:\n${log}`);
      const m = out.match(/DRS Orchestrator demo: (http:\/\/[0-9.]+:[0-9]+)\/api\/v1/);
      const t = out.match(/^admin token: (\S+)$/m);
      return m && t ? { base: m[1], token: t[1] } : null;
    }, { timeoutMs: 60000, everyMs: 50 });
    return { ...ready, out: () => out, log: () => log, proc, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** A loopback proxy to `target` (host:port); drop() closes every connection open through it. It records
 * the request heads it forwards, so a test can see a reconnection's Last-Event-ID. */
export async function startProxy(targetBase) {
  const { hostname, port } = new URL(targetBase);
  const sockets = new Set();
  const heads = [];
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), hostname);
    sockets.add(client);
    sockets.add(upstream);
    let head = "";
    client.on("data", (d) => {
      if (head.length < 8192) {
        head += d.toString("latin1");
        const end = head.indexOf("\r\n\r\n");
        if (end >= 0) { heads.push(head.slice(0, end)); head = "\u0000".repeat(8192); }
      } else if (d.toString("latin1").match(/^[A-Z]+ \/[^ ]* HTTP\/1\.1\r\n/)) {
        const s = d.toString("latin1");
        heads.push(s.slice(0, Math.max(0, s.indexOf("\r\n\r\n"))));
      }
    });
    client.pipe(upstream);
    upstream.pipe(client);
    const close = () => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
    client.on("error", close);
    upstream.on("error", close);
    client.on("close", close);
    upstream.on("close", close);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${server.address().port}`;
  return {
    base,
    heads,
    drop() {
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

export const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"];

/** Debian's Chromium, headless, with a fresh profile of its own (removed by close()). */
export async function startBrowser() {
  const profile = mkdtempSync(join(tmpdir(), "drsorch-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 900 },
    timeout: 60000,
  });
  return {
    context,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Serious or critical accessibility violations on the page as it is now (axe-core, WCAG 2 A/AA). */
export async function axeProblems(page) {
  const r = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  return r.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join("; ")}`);
}

export async function screenshot(page, name, { fullPage = true } = {}) {
  mkdirSync(join(OUT, "screenshots"), { recursive: true });
  const path = join(OUT, "screenshots", `${name}.png`);
  await page.screenshot({ path, fullPage });
  return path;
}

/** One API call with a bearer token: {status, json}. */
export async function call(base, token, method, path, body) {
  const r = await fetch(base + path, {
    method, headers: { Authorization: `Bearer ${token}`, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  let json;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  return { status: r.status, json, text, headers: r.headers };
}

/** A request sent as raw bytes (no URL normalisation: "/%2e%2e/" goes to the server as written): its status. */
export function rawStatus(base, target, method = "GET") {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(port), hostname, () => sock.write(`${method} ${target} HTTP/1.1\r\nHost: ${hostname}\r\nConnection: close\r\n\r\n`));
    let got = "";
    sock.on("data", (d) => (got += d.toString("latin1")));
    sock.on("end", () => resolve(Number((got.match(/^HTTP\/1\.1 (\d{3})/) ?? [])[1])));
    sock.on("error", reject);
  });
}
