// The console's build: React, one chunk per page (React.lazy in App.tsx) plus shared vendor chunks, a gzip
// copy of every text file beside it (drsorch serve sends it to browsers that accept gzip), and the size of
// the JavaScript a first visit downloads written to dist/bundle-size.json (printed by make bench).
import react from "@vitejs/plugin-react";
import { gzipSync } from "node:zlib";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";
import { initialJs } from "./scripts/bundle-size.mjs";

function gzipAndMeasure(): Plugin {
  let outDir = "dist";
  return {
    name: "drsorch-gzip-and-measure",
    apply: "build",
    configResolved(c) {
      outDir = c.build.outDir;
    },
    closeBundle() {
      const walk = (d: string): string[] => readdirSync(d).flatMap((f) => {
        const p = join(d, f);
        return statSync(p).isDirectory() ? walk(p) : [p];
      });
      for (const f of walk(outDir)) {
        if (!/\.(js|css|html|svg|json|txt|map)$/.test(f) || statSync(f).size < 1024) continue;
        writeFileSync(`${f}.gz`, gzipSync(readFileSync(f), { level: 9 }));
      }
      const size = initialJs(outDir);
      writeFileSync(join(outDir, "bundle-size.json"), JSON.stringify(size, null, 2) + "\n");
      const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
      console.log(`initial JS: ${kb(size.initial_js_gzip_bytes)} gzip (${kb(size.initial_js_bytes)} raw) in ${size.initial_js_files.length} file${size.initial_js_files.length === 1 ? "" : "s"}; all JS ${kb(size.total_js_gzip_bytes)} gzip`);
    },
  };
}

export default defineConfig({
  plugins: [react(), gzipAndMeasure()],
  build: {
    target: "es2022",
    sourcemap: false,
    chunkSizeWarningLimit: 2000,
  },
  server: {
    proxy: { "/api": { target: process.env.DRSORCH_URL ?? "http://127.0.0.1:8080", changeOrigin: false } },
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    css: false,
    testTimeout: 60000,
  },
});
