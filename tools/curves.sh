#!/usr/bin/env bash
# The cost curves of BENCHMARKS.md "Cost curves" (issue 14), measured and plotted in one go:
#
#   bash tools/curves.sh        # → target/bench-results/curves/*.jsonl and docs/curves-*.svg
#
# 1. spec load time and memory against spec size, every file in specs/ and tests/fixtures/corpus/
#    (`naftiko-curves load`; memory counted by the binary's allocator);
# 2. output mapping 1 KB → 100 MB against serde_json::from_slice, with peak memory (`… map`);
# 3. concurrency 1 → 1024: req/s, p99 and peak RSS, Runtime::call beside hand-written reqwest,
#    against the external nginx of tools/nginx.sh; one fresh process per client, concurrency
#    and repeat (`naftiko-loadgen --curve-child`), the two clients alternating;
# 4. MCP: tools/list (every page) against tool count 1 → 2000, and tools/call beside
#    Runtime::call (`naftiko-curves mcp`, built with the loadgen's `mcp` feature);
# 5. the plots: tools/plot_curves.py with matplotlib (pinned) in a venv under target/.
#
# Env: PORT (19080, nginx), REPEATS (3), SECS (1.0), WARMUP (0.3), STEPS="load map conc plot"
#      (add `mcp` for step 4).
# Uses 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${PORT:-19080}"; REPEATS="${REPEATS:-3}"; SECS="${SECS:-1.0}"; WARMUP="${WARMUP:-0.3}"
STEPS="${STEPS:-load map conc plot}"
OUT=target/bench-results/curves
mkdir -p "$OUT"
has() { [[ " $STEPS " == *" $1 "* ]]; }

# The MCP step needs the MCP server in the tools (the loadgen's `mcp` feature): a different
# build of the library, so it is built only when asked for.
if has mcp; then cargo build --release -p naftiko-loadgen --features mcp >&2; else cargo build --release -p naftiko-loadgen >&2; fi
URL=$(bash tools/nginx.sh start "$PORT")
trap 'bash tools/nginx.sh stop "$PORT"' EXIT

if has load; then
  echo "[curves] spec load" >&2
  target/release/naftiko-curves load > "$OUT/load.jsonl"
fi
if has map; then
  echo "[curves] output mapping" >&2
  target/release/naftiko-curves map > "$OUT/map.jsonl"
fi
if has conc; then
  echo "[curves] concurrency against $URL" >&2
  : > "$OUT/concurrency.jsonl"
  for c in 1 2 4 8 16 32 64 128 256 512 1024; do
    for r in $(seq "$REPEATS"); do
      if [ $((r % 2)) = 1 ]; then order="naftiko reqwest"; else order="reqwest naftiko"; fi
      for client in $order; do
        target/release/naftiko-loadgen --curve-child "$client" --url "$URL" --conc "$c" \
          --secs "$SECS" --warmup "$WARMUP" >> "$OUT/concurrency.jsonl"
      done
    done
    tail -n $((2 * REPEATS)) "$OUT/concurrency.jsonl" >&2
  done
fi
if has mcp; then
  echo "[curves] MCP" >&2
  target/release/naftiko-curves mcp "$URL" > "$OUT/mcp.jsonl"
fi
if has plot; then
  VENV=target/plot-venv
  if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import matplotlib' 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q "matplotlib==3.11.2"
  fi
  "$VENV/bin/python" tools/plot_curves.py "$OUT" docs
fi
