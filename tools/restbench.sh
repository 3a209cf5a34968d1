#!/usr/bin/env bash
# The REST adapter benchmark (BENCHMARKS.md "REST adapter"): GET req/s and p50/p99 at
# concurrency 1 and 64 through `naftiko serve` (a `call` route and a `forward` route), through
# nginx `proxy_pass` (keep-alive upstream) and sent directly, all to the same loopback
# upstream (`naftiko-loadgen --serve`), interleaved rounds, ratios to nginx, and the CPU
# time of the process answering each (loadgen server, naftiko serve, the nginx worker).
# Then the peak RSS (VmHWM) of `naftiko serve` with 1 000 connections at once on the call
# route and on the forward route (one process each; the upstream delays every answer 200 ms).
# Run by hand from anywhere: bash tools/restbench.sh   (PAIRS=5 SECS=2 to change the rounds;
# BUSY=1 keeps the cores out of idle states, see below)
set -euo pipefail
cd "$(dirname "$0")/.."

PAIRS=${PAIRS:-5}
SECS=${SECS:-2}
# Ports 19500–19505 on 127.0.0.1 (the capability's declared ones are overridden).
UP=19500 NAF=19501 NGX=19502 SLOW=19503 NAFCALL=19504 NAFFWD=19505
WORK=$(mktemp -d /tmp/naftiko-restbench.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT

source tools/nginx_proxy.sh
"$NGINX" -v

# One cargo invocation for both packages: the workspace's features unify, so the runtime's
# dependencies are built once.
cargo build --locked --release -p naftiko -p naftiko-loadgen --bin naftiko --bin naftiko-loadgen
LOADGEN=target/release/naftiko-loadgen
NAFTIKO=target/release/naftiko

source tools/busy.sh
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return; sleep 0.1; done; echo "port $1 never opened" >&2; exit 1; }

"$LOADGEN" --serve "$UP" >"$WORK/upstream.log" 2>&1 & UP_PID=$!; PIDS+=($!)
"$LOADGEN" --serve "$SLOW" --delay-ms 200 >"$WORK/slow.log" 2>&1 & PIDS+=($!)
wait_port "$UP"; wait_port "$SLOW"
serve() { # PORT UPSTREAM_PORT
  exec "$NAFTIKO" serve tools/restbench/capability.yaml --listen "bench=127.0.0.1:$1" \
    --base-uri "http://127.0.0.1:$2" >"$WORK/naftiko-$1.log" 2>&1
}
serve "$NAF" "$UP" & NAF_PID=$!; PIDS+=($!)
serve "$NAFCALL" "$SLOW" & CALL_PID=$!; PIDS+=($!)
serve "$NAFFWD" "$SLOW" & FWD_PID=$!; PIDS+=($!)
wait_port "$NAF"; wait_port "$NAFCALL"; wait_port "$NAFFWD"

NGX_WORKER=$(start_nginx_proxy "$WORK" "$NGX" "$UP")
wait_port "$NGX"

for u in "http://127.0.0.1:$NAF/call/u-1" "http://127.0.0.1:$NAF/fwd/v2/user/u-1" "http://127.0.0.1:$NGX/v2/user/u-1"; do
  curl -fsS -o /dev/null "$u" || { echo "GET $u failed; logs in $WORK" >&2; exit 1; }
done

echo "# $(date -u +%FT%TZ) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $("$NGINX" -v 2>&1)"
"$LOADGEN" --get "http://127.0.0.1:$UP/v2/user/u-1,http://127.0.0.1:$NAF/call/u-1,http://127.0.0.1:$NAF/fwd/v2/user/u-1,http://127.0.0.1:$NGX/v2/user/u-1" \
  --pids "$UP_PID,$NAF_PID,$NAF_PID,$NGX_WORKER" \
  --conc 1,64 --pairs "$PAIRS" --secs "$SECS" --warmup 0.3
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "# peak RSS of naftiko serve, 1 000 connections at once (upstream delays every answer 200 ms)"
"$LOADGEN" --burst 1000 --pid "$CALL_PID" --get "http://127.0.0.1:$NAFCALL/call/u-1"
"$LOADGEN" --burst 1000 --pid "$FWD_PID" --get "http://127.0.0.1:$NAFFWD/fwd/v2/user/u-1"
