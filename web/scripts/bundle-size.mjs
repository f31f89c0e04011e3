// The JavaScript a first visit to the console downloads: the entry script dist/index.html names and every
// chunk it imports statically (followed through the files, as the browser would), measured raw and gzipped.
// Used by the build (vite.config.ts writes dist/bundle-size.json) and by `make bench` (scripts/bench.sh).
//   node scripts/bundle-size.mjs [dist]   prints the figures; exits 1 past the budget (600 KB gzip)
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

export const BUDGET_GZIP_BYTES = 600 * 1024;

export function initialJs(dist) {
  const html = readFileSync(join(dist, "index.html"), "utf8");
  const start = [...html.matchAll(/<script[^>]+type="module"[^>]+src="([^"]+)"/g)].map((m) => m[1]);
  const preload = [...html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="([^"]+)"/g)].map((m) => m[1]);
  const seen = new Set();
  const queue = [...start, ...preload].map((p) => p.replace(/^\//, ""));
  while (queue.length) {
    const f = queue.shift();
    if (seen.has(f)) continue;
    seen.add(f);
    const text = readFileSync(join(dist, f), "utf8");
    // static imports only: `import ... from "./x.js"` and `import "./x.js"` (dynamic import() is a later chunk)
    for (const m of text.matchAll(/(?:^|[;\n}])\s*import\s*(?:[\w*{}\s,$]+from\s*)?["']([^"']+\.js)["']/g)) {
      queue.push(join(dirname(f), m[1]).replace(/^\.\//, ""));
    }
    for (const m of text.matchAll(/\bfrom\s*["'](\.\/[^"']+\.js)["']/g)) queue.push(join(dirname(f), m[1]));
  }
  let raw = 0, gz = 0;
  const files = [...seen].sort();
  for (const f of files) {
    const b = readFileSync(join(dist, f));
    raw += b.length;
    gz += gzipSync(b, { level: 9 }).length;
  }
  let totalGz = 0;
  const all = readdirJs(join(dist, "assets"));
  for (const f of all) totalGz += gzipSync(readFileSync(f), { level: 9 }).length;
  return { initial_js_files: files, initial_js_bytes: raw, initial_js_gzip_bytes: gz, total_js_gzip_bytes: totalGz, budget_gzip_bytes: BUDGET_GZIP_BYTES };
}

function readdirJs(d) {
  try {
    return readdirSync(d).filter((f) => f.endsWith(".js")).map((f) => join(d, f));
  } catch {
    return [];
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const dist = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), "..", "dist");
  const s = initialJs(dist);
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  console.log(`console initial JS: ${kb(s.initial_js_gzip_bytes)} gzip, ${kb(s.initial_js_bytes)} raw, ${s.initial_js_files.length} file${s.initial_js_files.length === 1 ? "" : "s"} (budget ${kb(BUDGET_GZIP_BYTES)} gzip); all JS ${kb(s.total_js_gzip_bytes)} gzip`);
  if (s.initial_js_gzip_bytes > BUDGET_GZIP_BYTES) {
    console.error("console initial JS is over its budget");
    process.exit(1);
  }
}
