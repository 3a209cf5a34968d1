#!/usr/bin/env bash
# Every benchmark in BENCHMARKS.md, in one session, against one loopback server:
#
#   bash bench/run_all.sh
#
# 1. criterion: spec load, prepare (19 operations), output mapping (1 MB / 10 MB)
#      → target/bench-results/criterion.md (bench/criterion_table.py)
# 2. the bench server, standalone: `e2e --serve $PORT` (raw tokio HTTP/1.1, user.json)
# 3. peers against that server (skipped with PEERS=0 or when bench/peers/setup.sh fails):
#      Python SDK sync and async, Node SDK, at concurrency 1 4 16 64 256, then startup.sh
#      → target/bench-results/peers.jsonl, peers-startup.jsonl
# 4. e2e against the same server: naftiko Runtime::call vs hand-written reqwest,
#      interleaved pairs, memory with 1 000 calls in flight, the chart
#      → target/bench-results/e2e.json, docs/throughput.svg
# 5. bench/cli.sh against the same server → target/bench-results/cli.md
# 6. bench/profile.sh (callgrind; skipped without valgrind) → target/bench-results/profile.md
#
# Env: PEERS=0|1 (1), PEER_SECS (5), PORT (18180), E2E_ARGS (extra e2e options, e.g. --quick),
#      PROFILE=0|1 (1). Never run in CI: it takes ~10 minutes and wants a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=target/bench-results
mkdir -p "$OUT"
PORT="${PORT:-18180}"
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

echo "[run_all] building benches" >&2
cargo bench --no-run >&2
exe() {
  cargo bench --no-run --bench "$1" --message-format=json 2>/dev/null | python3 -c 'import sys,json
for l in sys.stdin:
    m=json.loads(l)
    if m.get("reason")=="compiler-artifact" and m["target"]["name"]==sys.argv[1] and m.get("executable"): print(m["executable"])' "$1" | tail -1
}
E2E="$(exe e2e)"

echo "[run_all] criterion" >&2
cargo bench --bench load --bench prepare --bench map >"$OUT/criterion.log" 2>&1
python3 bench/criterion_table.py > "$OUT/criterion.md"
cat "$OUT/criterion.md" >&2

"$E2E" --serve "$PORT" >/dev/null &
SERVER_PID=$!
trap 'kill "$SERVER_PID" 2>/dev/null || true' EXIT
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null && break; sleep 0.1; done

: > "$OUT/peers.jsonl"
: > "$OUT/peers-startup.jsonl"
if [ "$PEERS" = 1 ] && bash bench/peers/setup.sh >&2; then
  PY=bench/peers/.venv/bin/python
  for c in 1 4 16 64 256; do
    for mode in sync async; do
      echo "[run_all] python-sdk $mode c=$c" >&2
      "$PY" bench/peers/py_sdk_bench.py --base-url "$URL" --user-id "$UID_" --concurrency "$c" --duration "$PEER_SECS" --mode "$mode" >> "$OUT/peers.jsonl" || true
    done
    echo "[run_all] node-sdk c=$c" >&2
    node bench/peers/node_sdk_bench.mjs --base-url "$URL" --user-id "$UID_" --concurrency "$c" --duration "$PEER_SECS" >> "$OUT/peers.jsonl" || true
  done
  bash bench/peers/startup.sh "$URL" "$UID_" > "$OUT/peers-startup.jsonl" || true
  bench/peers/.venv/bin/pip freeze > "$OUT/peers-pip-freeze.txt" 2>/dev/null || true
  cat "$OUT/peers.jsonl" "$OUT/peers-startup.jsonl" >&2
fi

echo "[run_all] e2e" >&2
# shellcheck disable=SC2086
"$E2E" --control --url "$URL" --peers "$OUT/peers.jsonl" --svg docs/throughput.svg --out "$OUT/e2e.json" ${E2E_ARGS:-} 2> >(tee "$OUT/e2e.log" >&2)

echo "[run_all] cli" >&2
bash bench/cli.sh "$URL" >&2

kill "$SERVER_PID" 2>/dev/null || true
if [ "${PROFILE:-1}" = 1 ] && command -v valgrind >/dev/null; then
  echo "[run_all] profile" >&2
  bash bench/profile.sh > /dev/null
fi
python3 bench/summary.py "$OUT" | tee "$OUT/summary.md"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/meta.txt" >&2
