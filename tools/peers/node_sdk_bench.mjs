#!/usr/bin/env node
// Throughput benchmark of the official Junction (Vital) Node SDK,
// @tryvital/vital-node@3.1.551 (installed into tools/peers/node by setup.sh).
//
// Makes the same call as the Rust runtime's `get_user` operation,
// GET {baseUrl}/v2/user/{user_id} with header `x-vital-api-key`, in a closed
// loop against a local HTTP server, and prints ONE JSON line:
//
//   {"peer":"node-sdk","mode":"async","concurrency":...,"requests":...,
//    "seconds":...,"req_per_s":...,"errors":...}
//
//   node tools/peers/node_sdk_bench.mjs --base-url http://127.0.0.1:18080 \
//       --user-id 3fa85f64-5717-4562-b3fc-2c963f66afa6 --concurrency 8 --duration 10
//
// How the SDK is pointed at the server (found by reading dist/*/BaseClient.d.ts
// and the user client): `new VitalClient({ apiKey, baseUrl: URL })`. `baseUrl`
// wins over `environment` (a `VitalEnvironment` value or any string; default
// VitalEnvironment.Production = https://api.tryvital.io). Retries: the client
// option `maxRetries` (default 2, exponential back-off, on 408/429/5xx) is set
// to 0 so server errors show up as errors.
//
// Concurrency model: ONE VitalClient shared by N concurrent async loops on the
// single Node event loop (the normal Node usage). The SDK uses the runtime's
// global fetch (undici in Node 20), which keeps connections alive and opens as
// many per origin as there are requests in flight. Only --mode async exists
// (Node has no synchronous HTTP client); --mode sync is rejected.
//
// Timing: all loops start together; the first --warmup seconds (default 1) are
// discarded; calls that COMPLETE inside the next --duration seconds are
// counted; `seconds` is the length of that window. `errors` counts calls that
// rejected inside the window (non-2xx, network error, response validation
// error); the first error is printed to stderr.

import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const PEER = "node-sdk";
const API_KEY = "sk_us_bench_key";

function usage(msg) {
  if (msg) console.error(`node_sdk_bench: ${msg}`);
  console.error(
    "usage: node node_sdk_bench.mjs --base-url URL --user-id ID [--concurrency N] " +
      "[--duration SECS] [--mode async] [--warmup SECS] [--timeout SECS] [--allow-non-loopback]",
  );
  process.exit(2);
}

function parseArgs(argv) {
  const a = { concurrency: 1, duration: 10, mode: "async", warmup: 1, timeout: 10, allowNonLoopback: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) usage(`${k} needs a value`);
      return argv[++i];
    };
    switch (k) {
      case "--base-url": a.baseUrl = v(); break;
      case "--user-id": a.userId = v(); break;
      case "--concurrency": a.concurrency = Number.parseInt(v(), 10); break;
      case "--duration": a.duration = Number(v()); break;
      case "--mode": a.mode = v(); break;
      case "--warmup": a.warmup = Number(v()); break;
      case "--timeout": a.timeout = Number(v()); break;
      case "--allow-non-loopback": a.allowNonLoopback = true; break;
      case "-h": case "--help": usage(); break;
      default: usage(`unknown argument ${k}`);
    }
  }
  if (!a.baseUrl || !a.userId) usage("--base-url and --user-id are required");
  if (!(a.concurrency >= 1)) usage("--concurrency must be >= 1");
  if (!(a.duration > 0) || !(a.warmup >= 0)) usage("--duration must be > 0 and --warmup >= 0");
  if (a.mode !== "async") usage(`--mode ${a.mode} not supported: the Node SDK is async only`);
  if (!a.allowNonLoopback && !isLoopback(a.baseUrl)) {
    usage(`refusing non-loopback base URL ${a.baseUrl} (use --allow-non-loopback to override)`);
  }
  return a;
}

function isLoopback(u) {
  let host;
  try {
    host = new URL(u).hostname;
  } catch {
    return false;
  }
  host = host.replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

// Load the SDK from tools/peers/node/node_modules wherever we are run from
// (bare-specifier resolution would look next to this file, not in node/).
async function loadSdk() {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const require = createRequire(path.join(here, "node", "package.json"));
  // Resolve the package through its own "exports" (import condition -> ESM build).
  const pkgJson = require.resolve("@tryvital/vital-node/package.json");
  const pkg = require(pkgJson);
  const entry = path.join(path.dirname(pkgJson), pkg.exports["."].import.default);
  return import(pathToFileURL(entry).href);
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const { VitalClient } = await loadSdk();
  const client = new VitalClient({
    apiKey: API_KEY,
    baseUrl: a.baseUrl,
    maxRetries: 0,
    timeoutInSeconds: a.timeout,
  });

  const now = () => performance.now() / 1000;
  const t0 = now();
  const start = t0 + a.warmup;
  const end = start + a.duration;
  let firstError = true;

  async function worker() {
    let n = 0;
    let e = 0;
    for (;;) {
      let ok;
      try {
        await client.user.get(a.userId);
        ok = true;
      } catch (err) {
        ok = false;
        if (firstError) {
          firstError = false;
          console.error(`[${PEER}] first error: ${String(err?.stack ?? err).slice(0, 2000)}`);
        }
      }
      const t = now();
      if (t >= end) return [n, e];
      if (t >= start) {
        if (ok) n++;
        else e++;
      }
    }
  }

  const results = await Promise.all(Array.from({ length: a.concurrency }, worker));
  const requests = results.reduce((s, r) => s + r[0], 0);
  const errors = results.reduce((s, r) => s + r[1], 0);
  const seconds = end - start;
  console.log(
    JSON.stringify({
      peer: PEER,
      mode: a.mode,
      concurrency: a.concurrency,
      requests,
      seconds: Math.round(seconds * 1000) / 1000,
      req_per_s: Math.round((requests / seconds) * 10) / 10,
      errors,
    }),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
