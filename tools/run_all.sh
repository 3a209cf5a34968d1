#!/usr/bin/env bash
# Every benchmark in BENCHMARKS.md, in one session, against one loopback server:
#
#   bash tools/run_all.sh
#
# 1. criterion: spec load, prepare (19 operations), output mapping (1 MB / 10 MB)
#      → target/bench-results/criterion.md (tools/criterion_table.py)
# 2. the bench server, standalone: `naftiko-loadgen --serve $PORT` (raw tokio HTTP/1.1, user.json)
# 3. peers against that server (skipped with PEERS=0 or when tools/peers/setup.sh fails):
#      Python SDK sync and async, Node SDK, at concurrency 1 4 16 64 256, then startup.sh
#      → target/bench-results/peers.jsonl, peers-startup.jsonl
# 4. e2e against the same server: naftiko Runtime::call vs hand-written reqwest,
#      interleaved pairs, memory with 1 000 calls in flight, the chart
#      → target/bench-results/e2e.json, docs/throughput.svg
# 5. tools/cli.sh against the same server → target/bench-results/cli.md
# 6. tools/profile.sh (callgrind; skipped without valgrind) → target/bench-results/profile.md
#
# Env: PEERS=0|1 (1), PEER_SECS (5), PORT (18180), E2E_ARGS (extra e2e options, e.g. --quick),
#      PROFILE=0|1 (1), CRITERION=0|1 (1), CLI=0|1 (1),
#      NGINX=1: the server is the external nginx of tools/nginx.sh (on PORT, 19080 by default)
#      instead of `naftiko-loadgen --serve` (issue 14: the numbers of the headline table).
# Never run in CI: it takes ~10 minutes and wants a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=target/bench-results
mkdir -p "$OUT"
NGINX="${NGINX:-0}"
if [ "$NGINX" = 1 ]; then PORT="${PORT:-19080}"; else PORT="${PORT:-18180}"; fi
PEERS="${PEERS:-1}"
PEER_SECS="${PEER_SECS:-5}"
URL="http://127.0.0.1:$PORT"
UID_=3fa85f64-5717-4562-b3fc-2c963f66afa6

{
  echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src Cargo.toml || echo ' (src or Cargo.toml modified)')"
  echo "date: $(date -u +%FT%TZ)"
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -r)"
  echo "rustc: $(rustc --version)"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT/meta.txt" >&2

echo "[run_all] building benches and tools" >&2
[ "${CRITERION:-1}" = 1 ] && cargo bench --no-run >&2
cargo build --release -p naftiko-loadgen >&2
E2E=target/release/naftiko-loadgen

if [ "${CRITERION:-1}" = 1 ]; then
  echo "[run_all] criterion" >&2
  cargo bench --bench load --bench prepare --bench map >"$OUT/criterion.log" 2>&1
  python3 tools/criterion_table.py > "$OUT/criterion.md"
  cat "$OUT/criterion.md" >&2
fi

if [ "$NGINX" = 1 ]; then
  bash tools/nginx.sh start "$PORT" >&2
  SERVER_PID=
  trap 'bash tools/nginx.sh stop "$PORT"' EXIT
  echo "server: nginx $(nginx -v 2>&1 | sed 's/.*nginx\///'), worker_processes 1 (tools/nginx.sh)" >> "$OUT/meta.txt"
else
  "$E2E" --serve "$PORT" >/dev/null &
  SERVER_PID=$!
  trap 'kill "$SERVER_PID" 2>/dev/null || true' EXIT
fi
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null && break; sleep 0.1; done

: > "$OUT/peers.jsonl"
: > "$OUT/peers-startup.jsonl"
if [ "$PEERS" = 1 ] && bash tools/peers/setup.sh >&2; then
  PY=tools/peers/.venv/bin/python
  for c in 1 4 16 64 256; do
    for mode in sync async; do
      echo "[run_all] python-sdk $mode c=$c" >&2
      "$PY" tools/peers/py_sdk_bench.py --base-url "$URL" --user-id "$UID_" --concurrency "$c" --duration "$PEER_SECS" --mode "$mode" >> "$OUT/peers.jsonl" || true
    done
    echo "[run_all] node-sdk c=$c" >&2
    node tools/peers/node_sdk_bench.mjs --base-url "$URL" --user-id "$UID_" --concurrency "$c" --duration "$PEER_SECS" >> "$OUT/peers.jsonl" || true
  done
  bash tools/peers/startup.sh "$URL" "$UID_" > "$OUT/peers-startup.jsonl" || true
  tools/peers/.venv/bin/pip freeze > "$OUT/peers-pip-freeze.txt" 2>/dev/null || true
  cat "$OUT/peers.jsonl" "$OUT/peers-startup.jsonl" >&2
fi

echo "[run_all] e2e" >&2
# shellcheck disable=SC2086
"$E2E" --control --url "$URL" --peers "$OUT/peers.jsonl" --svg docs/throughput.svg --out "$OUT/e2e.json" ${E2E_ARGS:-} 2> >(tee "$OUT/e2e.log" >&2)

if [ "${CLI:-1}" = 1 ]; then
  echo "[run_all] cli" >&2
  bash tools/cli.sh "$URL" >&2
fi

[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
if [ "${PROFILE:-1}" = 1 ] && command -v valgrind >/dev/null; then
  echo "[run_all] profile" >&2
  bash tools/profile.sh > /dev/null
fi
python3 tools/summary.py "$OUT" | tee "$OUT/summary.md"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/meta.txt" >&2
