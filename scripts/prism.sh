#!/usr/bin/env bash
# The OpenAPI round trip through Prism: import SPEC (default: Junction's OpenAPI) and send
# every imported operation with its example arguments through `naftiko call` to
# `prism proxy --errors` (issue 13's mode: it validates each request against the document and
# answers 422 when one does not conform, then validates the upstream's response). The
# upstream is a second Prism, `prism mock`, on the next port: the real API is not on
# 127.0.0.1, and nothing leaves it. Proxy mode works, so there is no mock-only fallback.
# Prism is installed locally, pinned, under target/prism (gitignored). Prints the acceptance
# count and the time taken; exits 1 unless every request is accepted.
set -euo pipefail
cd "$(dirname "$0")/.."
SPEC=${1:-tests/fixtures/openapi/junction.json}
PORT=${PORT:-4010}
UPSTREAM_PORT=$((PORT + 1))
STARTED=$(date +%s)
PRISM_VERSION=5.16.0
DIR=target/prism
mkdir -p "$DIR"
if [ ! -x "$DIR/node_modules/.bin/prism" ]; then
  (cd "$DIR" && { [ -f package.json ] || npm init -y >/dev/null; } \
    && npm install --no-audit --no-fund --loglevel=error "@stoplight/prism-cli@$PRISM_VERSION")
fi
cargo build --quiet --bin naftiko
BIN=target/debug/naftiko
"$BIN" import openapi "$SPEC" --namespace api -o "$DIR/cap.yaml" --examples "$DIR/examples.json"
"$DIR/node_modules/.bin/prism" mock -h 127.0.0.1 -p "$UPSTREAM_PORT" "$SPEC" >"$DIR/upstream.log" 2>&1 &
UPSTREAM=$!
"$DIR/node_modules/.bin/prism" proxy --errors -h 127.0.0.1 -p "$PORT" "$SPEC" \
  "http://127.0.0.1:$UPSTREAM_PORT" >"$DIR/prism.log" 2>&1 &
PRISM=$!
trap 'kill $PRISM $UPSTREAM 2>/dev/null || true' EXIT
for port in "$UPSTREAM_PORT" "$PORT"; do
  for _ in $(seq 1 120); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.5
  done
done
BIN="$BIN" CAP="$DIR/cap.yaml" EXAMPLES="$DIR/examples.json" PORT="$PORT" node -e '
const { spawnSync } = require("child_process");
const examples = require(require("path").resolve(process.env.EXAMPLES));
// Every bound secret (the `NAME: NAME` lines under binds) gets a dummy value.
const secrets = {};
for (const m of require("fs").readFileSync(process.env.CAP, "utf8").matchAll(/^\s+([A-Z][A-Z0-9_]*): \1$/gm)) secrets[m[1]] = "sk_test";
let ok = 0; const rejected = []; const limited = [];
function prismMultipartArray(argv, stdout, args) {
  let v;
  try { v = JSON.parse(stdout).validation; } catch (_) { return false; }
  if (!Array.isArray(v) || v.length === 0) return false;
  const arrays = v.every((x) => x.location.length === 2 && x.location[0] === "body"
    && /must be array/.test(x.message) && Array.isArray(args[x.location[1]]));
  if (!arrays) return false;
  const dry = spawnSync(process.env.BIN, [...argv, "--dry-run"], { env: { ...process.env, ...secrets }, encoding: "utf8" });
  try { return JSON.parse(dry.stdout).headers["content-type"].startsWith("multipart/form-data;"); } catch (_) { return false; }
}
// Four calls at a time (each a `naftiko call` process); results are reported in file order.
const { execFile } = require("child_process");
const run = (argv) => new Promise((resolve) => {
  execFile(process.env.BIN, argv, { env: { ...process.env, ...secrets }, encoding: "utf8" },
    (err, stdout, stderr) => resolve({ status: err ? (err.code ?? 1) : 0, stdout, stderr }));
});
async function check(name, args) {
  // No retries: a response-only violation comes back as a 5xx, and one attempt says it all.
  const argv = ["call", process.env.CAP, name, "--no-retry", "--base-uri", `api=http://127.0.0.1:${process.env.PORT}`];
  for (const [k, v] of Object.entries(args)) argv.push(`${k}:=${JSON.stringify(v)}`);
  const r = await run(argv);
  // Under --errors the proxy also checks the response of the (mock) upstream; a violation found
  // only there (location `response`) means our request was valid.
  let responseOnly = false;
  try {
    const v = JSON.parse(r.stdout).validation;
    responseOnly = Array.isArray(v) && v.length > 0 && v.every((x) => x.location[0] === "response");
  } catch (_) {}
  if (r.status === 0 || responseOnly) return { ok: true };
  // Prism 5.16 reads every multipart part as one string (validators/body.js,
  // parseMultipartFormDataParams; repeated names overwrite, stoplightio/prism#2654), so an
  // `array` property of a multipart body can never pass, even from curl -F. Such a refusal
  // (only "must be array" on array arguments of a multipart body) is counted apart, not as
  // accepted; by hand, the same request passes once the document makes `file` one binary string.
  if (prismMultipartArray(argv, r.stdout, args)) return { limited: true };
  return { rejected: `${name}: exit ${r.status}: ${(r.stdout + r.stderr).replace(/\s+/g, " ").slice(0, 300)}` };
}
(async () => {
const entries = Object.entries(examples);
const results = new Array(entries.length);
let next = 0;
await Promise.all([0, 1, 2, 3].map(async () => {
  while (next < entries.length) {
    const i = next++;
    results[i] = await check(...entries[i]);
  }
}));
entries.forEach(([name], i) => {
  if (results[i].ok) ok++;
  else if (results[i].limited) limited.push(name);
  else rejected.push(results[i].rejected);
});
const total = Object.keys(examples).length;
console.log(rejected.join("\n"));
console.log(`prism: ${ok}/${total} requests accepted`);
if (limited.length) console.log(`prism: ${limited.length} refused only for the Prism multipart-array limitation: ${limited.join(", ")}`);
process.exit(ok + limited.length === total ? 0 : 1);
})();
' || STATUS=$?
echo "prism: $(($(date +%s) - STARTED)) s (import, two Prism instances, every call)"
exit "${STATUS:-0}"
