#!/usr/bin/env bash
# The OpenAPI round trip through Prism: import SPEC (default: Junction's OpenAPI), start
# `prism mock --errors` on 127.0.0.1 (it validates each request against the document and
# answers 4xx when one does not conform; proxy mode would need a reachable upstream), and
# send every imported operation with its example arguments through `naftiko call`.
# Prism is installed locally, pinned, under target/prism (gitignored). Nothing leaves
# 127.0.0.1. Prints the acceptance count; exits 1 unless every request is accepted.
set -euo pipefail
cd "$(dirname "$0")/.."
SPEC=${1:-tests/fixtures/openapi/junction.json}
PORT=${PORT:-4010}
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
"$DIR/node_modules/.bin/prism" mock --errors -h 127.0.0.1 -p "$PORT" "$SPEC" >"$DIR/prism.log" 2>&1 &
PRISM=$!
trap 'kill $PRISM 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  sleep 0.5
done
BIN="$BIN" CAP="$DIR/cap.yaml" EXAMPLES="$DIR/examples.json" PORT="$PORT" node -e '
const { spawnSync } = require("child_process");
const examples = require(require("path").resolve(process.env.EXAMPLES));
// Every bound secret (the `NAME: NAME` lines under binds) gets a dummy value.
const secrets = {};
for (const m of require("fs").readFileSync(process.env.CAP, "utf8").matchAll(/^\s+([A-Z][A-Z0-9_]*): \1$/gm)) secrets[m[1]] = "sk_test";
let ok = 0; const rejected = [];
for (const [name, args] of Object.entries(examples)) {
  const argv = ["call", process.env.CAP, name, "--base-uri", `api=http://127.0.0.1:${process.env.PORT}`];
  for (const [k, v] of Object.entries(args)) argv.push(`${k}:=${JSON.stringify(v)}`);
  const r = spawnSync(process.env.BIN, argv, { env: { ...process.env, ...secrets }, encoding: "utf8" });
  // Under --errors Prism also checks the response it mocks; a violation found only there
  // (location `response`) means our request was valid.
  let responseOnly = false;
  try {
    const v = JSON.parse(r.stdout).validation;
    responseOnly = Array.isArray(v) && v.length > 0 && v.every((x) => x.location[0] === "response");
  } catch (_) {}
  if (r.status === 0 || responseOnly) ok++;
  else rejected.push(`${name}: exit ${r.status}: ${(r.stdout + r.stderr).replace(/\s+/g, " ").slice(0, 300)}`);
}
const total = Object.keys(examples).length;
console.log(rejected.join("\n"));
console.log(`prism: ${ok}/${total} requests accepted`);
process.exit(ok === total ? 0 : 1);
'
