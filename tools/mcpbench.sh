#!/usr/bin/env bash
# The MCP server benchmark (BENCHMARKS.md "MCP server (issue 9)"): `tools/call` of
# get_user over streamable HTTP (stateless JSON-RPC POSTs) and over stdio, at concurrency 1
# and 64, all against the same loopback upstream (`naftiko-loadgen --serve`):
#   runtime        `Runtime::call` in the driver's process (the limit)
#   naftiko-http   `naftiko serve specs/vital/users.yaml --mcp …`
#   naftiko-http-1t  the same with `--threads 1` (one worker thread)
#   naftiko-stdio  `naftiko mcp specs/vital/users.yaml`
#   fastmcp-http   FastMCP `from_openapi` on Junction's Users OpenAPI, stateless HTTP, JSON answers
#   fastmcp-stdio  the same over stdio
#   http-hop       a plain GET of the upstream: one loopback HTTP exchange, no MCP
#   nginx-hop      the same GET through nginx `proxy_pass` (tools/nginx_proxy.sh): the thinnest
#                  process hop there is, what any server in front of the upstream costs at least
#   naftiko-rest   the same upstream call through `naftiko serve`'s REST adapter
#                  (tools/restbench/capability.yaml, route `/call/{{user_id}}`): the process
#                  hop without MCP, so naftiko-http − naftiko-rest is the MCP layer itself
# interleaved rounds, added µs per call over `runtime`, the server process's CPU per call; then the peak RSS (VmHWM) of
# `naftiko serve` and of FastMCP with 1 000 tools/call in flight (upstream delays 200 ms).
# Run by hand: bash tools/mcpbench.sh   (PAIRS=7 SECS=2 to change the rounds; BUSY=1 to keep the
# cores out of idle states, see below; FASTMCP=0 to
# skip the peer; OUT=DIR also keeps the raw output there; BEFORE=PATH/TO/naftiko adds
# `before-http` and `before-stdio` targets served by that binary, interleaved in the same run)
set -euo pipefail
cd "$(dirname "$0")/.."

PAIRS=${PAIRS:-7}
SECS=${SECS:-2}
FASTMCP=${FASTMCP:-1}
FASTMCP_VERSION=4.1.6
OPENAPI=${OPENAPI:-../shared/vital/openapi.users.json}
[ -f "$OPENAPI" ] || OPENAPI=/work/shared/vital/openapi.users.json
# Ports 19510–19519 on 127.0.0.1.
UP=19510 MCP=19511 FMCP=19512 SLOW=19513 MCPSLOW=19514 FMCPSLOW=19515 MCPBEFORE=19516 REST=19517 MCP1T=19518 NGX=19519
BEFORE=${BEFORE:-}
WORK=$(mktemp -d /tmp/naftiko-mcpbench.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT

# One cargo invocation for both packages: the workspace's features unify, so the runtime's
# dependencies are built once.
cargo build --locked --release -p naftiko -p naftiko-loadgen --bin naftiko --bin naftiko-loadgen
LOADGEN=target/release/naftiko-loadgen
NAFTIKO=target/release/naftiko
VENV=target/fastmcp-venv
PY=$VENV/bin/python
if [ "$FASTMCP" = 1 ] && ! "$PY" -c "import fastmcp, sys; sys.exit(fastmcp.__version__ != '$FASTMCP_VERSION')" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "fastmcp==$FASTMCP_VERSION"
fi

wait_port() { for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return; sleep 0.1; done; echo "port $1 never opened; logs in $WORK" >&2; exit 1; }
rpc='{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"%s","arguments":{"user_id":"3fa85f64-5717-4562-b3fc-2c963f66afa6"}}}'
check() { # URL TOOL: one tools/call must succeed
  local out
  out=$(curl -fsS -X POST "$1" -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' \
    -d "$(printf "$rpc" "$2")") || { echo "POST $1 failed; logs in $WORK" >&2; exit 1; }
  case "$out" in *'"isError":true'*|*'"error"'*) echo "tools/call $2 at $1 failed: $out" >&2; exit 1;; esac
}

source tools/busy.sh
export VITAL_API_KEY=sk_bench
"$LOADGEN" --serve "$UP" >"$WORK/upstream.log" 2>&1 & UP_PID=$!; PIDS+=($!)
"$LOADGEN" --serve "$SLOW" --delay-ms 200 >"$WORK/slow.log" 2>&1 & PIDS+=($!)
wait_port "$UP"; wait_port "$SLOW"
"$NAFTIKO" serve specs/vital/users.yaml --mcp "127.0.0.1:$MCP" --base-uri "http://127.0.0.1:$UP" >"$WORK/serve.log" 2>&1 & SERVE=$!; PIDS+=($!)
"$NAFTIKO" serve specs/vital/users.yaml --mcp "127.0.0.1:$MCPSLOW" --base-uri "http://127.0.0.1:$SLOW" >"$WORK/serve-slow.log" 2>&1 &
SERVE_SLOW=$!; PIDS+=($!)
"$NAFTIKO" serve tools/restbench/capability.yaml --listen "bench=127.0.0.1:$REST" --base-uri "http://127.0.0.1:$UP" >"$WORK/serve-rest.log" 2>&1 & REST_PID=$!; PIDS+=($!)
"$NAFTIKO" serve specs/vital/users.yaml --mcp "127.0.0.1:$MCP1T" --threads 1 --base-uri "http://127.0.0.1:$UP" >"$WORK/serve-1t.log" 2>&1 & SERVE1T=$!; PIDS+=($!)
wait_port "$MCP"; wait_port "$MCPSLOW"; wait_port "$REST"; wait_port "$MCP1T"
source tools/nginx_proxy.sh
NGX_WORKER=$(start_nginx_proxy "$WORK" "$NGX" "$UP")
wait_port "$NGX"
check "http://127.0.0.1:$MCP/mcp" get_user_v2_user__user_id__get
TARGETS="runtime=runtime=http://127.0.0.1:$UP"
TARGETS+=";http-hop=get:http://127.0.0.1:$UP/v2/user/3fa85f64-5717-4562-b3fc-2c963f66afa6"
TARGETS+=";nginx-hop=get:http://127.0.0.1:$NGX/v2/user/3fa85f64-5717-4562-b3fc-2c963f66afa6"
TARGETS+=";naftiko-rest=get:http://127.0.0.1:$REST/call/3fa85f64-5717-4562-b3fc-2c963f66afa6"
TARGETS+=";naftiko-http=http://127.0.0.1:$MCP/mcp"
TARGETS+=";naftiko-http-1t=http://127.0.0.1:$MCP1T/mcp"
TARGETS+=";naftiko-stdio=stdio:$NAFTIKO mcp specs/vital/users.yaml --base-uri http://127.0.0.1:$UP"
# The process whose CPU per call is reported, per target (0: none; stdio: the child).
SERVERS="0,$UP_PID,$NGX_WORKER,$REST_PID,$SERVE,$SERVE1T,0"
if [ -n "$BEFORE" ]; then
  "$BEFORE" serve specs/vital/users.yaml --mcp "127.0.0.1:$MCPBEFORE" --base-uri "http://127.0.0.1:$UP" >"$WORK/serve-before.log" 2>&1 & BEFORE_PID=$!; PIDS+=($!)
  wait_port "$MCPBEFORE"
  check "http://127.0.0.1:$MCPBEFORE/mcp" get_user_v2_user__user_id__get
  TARGETS+=";before-http=http://127.0.0.1:$MCPBEFORE/mcp"
  TARGETS+=";before-stdio=stdio:$BEFORE mcp specs/vital/users.yaml --base-uri http://127.0.0.1:$UP"
  SERVERS+=",$BEFORE_PID,0"
fi
if [ "$FASTMCP" = 1 ]; then
  "$PY" tools/mcpbench/fastmcp_users.py "$OPENAPI" "http://127.0.0.1:$UP" http "$FMCP" >"$WORK/fastmcp.log" 2>&1 & FMCP_PID=$!; PIDS+=($!)
  "$PY" tools/mcpbench/fastmcp_users.py "$OPENAPI" "http://127.0.0.1:$SLOW" http "$FMCPSLOW" >"$WORK/fastmcp-slow.log" 2>&1 &
  FMCP_SLOW=$!; PIDS+=($!)
  wait_port "$FMCP"; wait_port "$FMCPSLOW"
  check "http://127.0.0.1:$FMCP/mcp" get_user_v2_user
  TARGETS+=";fastmcp-http@get_user_v2_user=http://127.0.0.1:$FMCP/mcp"
  TARGETS+=";fastmcp-stdio@get_user_v2_user=stdio:$PY tools/mcpbench/fastmcp_users.py $OPENAPI http://127.0.0.1:$UP stdio"
  SERVERS+=",$FMCP_PID,0"
fi

echo "# $(date -u +%FT%TZ) $(git rev-parse --short HEAD) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); fastmcp $FASTMCP_VERSION ($("$PY" -c 'import mcp.types, importlib.metadata as m; print("mcp", m.version("mcp"))' 2>/dev/null || echo absent)), $("$PY" --version 2>&1)"
"$LOADGEN" --mcp "$TARGETS" --pids "$SERVERS" --conc 1,64 --pairs "$PAIRS" --secs "$SECS" --warmup 0.3
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "# peak RSS, 1 000 tools/call in flight (upstream delays every answer 200 ms)"
"$LOADGEN" --burst 1000 --pid "$SERVE_SLOW" --mcp "naftiko-serve=http://127.0.0.1:$MCPSLOW/mcp"
if [ "$FASTMCP" = 1 ]; then
  "$LOADGEN" --burst 1000 --pid "$FMCP_SLOW" --mcp "fastmcp-http@get_user_v2_user=http://127.0.0.1:$FMCPSLOW/mcp"
fi
