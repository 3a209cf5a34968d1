#!/usr/bin/env bash
# CLI process cost (BENCHMARKS.md § 5): wall time and peak RSS of one `naftiko` process.
#
#   bash tools/cli.sh [URL]
#
#   * `naftiko call specs/vital/users.yaml get_user_v2_user__user_id__get user_id=… --dry-run`
#   * `naftiko call … --base-uri URL` against the loopback bench server (a real call)
#   * baseline: one hand-written reqwest call in a fresh process (`naftiko-loadgen --oneshot URL`)
#
# URL: a running bench server (`cargo run --release -p naftiko-loadgen -- --serve PORT`); without it the
# script starts one on 127.0.0.1:18181 and stops it at the end.
# Each command: 1 untimed run, then RUNS (default 20) runs under `/usr/bin/time -f '%e %M'`
# (peak RSS in KiB) timed with bash's $EPOCHREALTIME (µs clock; includes ~1 ms for starting
# /usr/bin/time). One `/usr/bin/time -v` report per command is kept in target/bench-results/.
# With hyperfine installed (apt-get install -y hyperfine) it also runs hyperfine -N.
# Targets: ≤ 10 ms and ≤ 15 MB. Writes target/bench-results/cli.md and cli.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-20}"
UID_="3fa85f64-5717-4562-b3fc-2c963f66afa6"
OUT=target/bench-results; mkdir -p "$OUT"
[ -x /usr/bin/time ] || { echo "cli.sh: /usr/bin/time missing (apt-get install -y time)" >&2; exit 2; }

cargo build --release --bin naftiko >&2
BIN=target/release/naftiko
cargo build --release -p naftiko-loadgen >&2
E2E=target/release/naftiko-loadgen

URL="${1:-}"
SERVER_PID=""
if [ -z "$URL" ]; then
  "$E2E" --serve 18181 >/dev/null &
  SERVER_PID=$!
  trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true' EXIT
  URL=http://127.0.0.1:18181
  for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/18181) 2>/dev/null && break; sleep 0.1; done
fi

: > "$OUT/cli.jsonl"
measure() { # name, command...
  local name=$1; shift
  "$@" >/dev/null 2>&1 || { echo "cli.sh: $name failed: $*" >&2; "$@"; exit 1; }
  /usr/bin/time -v "$@" >/dev/null 2>"$OUT/cli-$name.time-v.txt"
  local walls=() rss=()
  for _ in $(seq "$RUNS"); do
    local t0=$EPOCHREALTIME
    /usr/bin/time -o "$OUT/.time" -f '%e %M' "$@" >/dev/null 2>&1
    local t1=$EPOCHREALTIME
    walls+=("$(python3 -c "print(($t1-$t0)*1000)")")
    rss+=("$(tail -1 "$OUT/.time" | awk '{print $2}')")
  done
  python3 - "$name" "${walls[*]}" "${rss[*]}" "$*" >> "$OUT/cli.jsonl" <<'PY'
import json, statistics, sys
name, walls, rss, cmd = sys.argv[1], list(map(float, sys.argv[2].split())), list(map(int, sys.argv[3].split())), sys.argv[4]
print(json.dumps({"measure": name, "runs": len(walls), "wall_ms_median": round(statistics.median(walls), 2),
                  "wall_ms_min": round(min(walls), 2), "wall_ms_max": round(max(walls), 2),
                  "peak_rss_kb_median": int(statistics.median(rss)), "peak_rss_kb_max": max(rss), "command": cmd}))
PY
  tail -1 "$OUT/cli.jsonl" >&2
  if command -v hyperfine >/dev/null; then
    hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$OUT/cli-$name.hyperfine.json" "$*" >/dev/null 2>&1 || true
  fi
}

measure dry_run "$BIN" call specs/vital/users.yaml get_user_v2_user__user_id__get "user_id=$UID_" --dry-run
VITAL_API_KEY=sk_bench measure call "$BIN" call specs/vital/users.yaml get_user_v2_user__user_id__get "user_id=$UID_" --base-uri "$URL"
measure reqwest_oneshot "$E2E" --oneshot "$URL"

python3 - "$OUT" <<'PY' | tee "$OUT/cli.md"
import json, os, sys
out = sys.argv[1]
rows = [json.loads(l) for l in open(os.path.join(out, "cli.jsonl"))]
print("| process | wall ms median [min – max] | hyperfine mean ± σ | peak RSS (MiB) median | ≤ 10 ms | ≤ 15 MB |")
print("| --- | --- | --- | --- | --- | --- |")
for r in rows:
    hf = os.path.join(out, f"cli-{r['measure']}.hyperfine.json")
    h = ""
    if os.path.exists(hf):
        res = json.load(open(hf))["results"][0]
        h = f"{res['mean'] * 1e3:.2f} ± {res['stddev'] * 1e3:.2f} ms"
    mb = r["peak_rss_kb_median"] / 1024
    ok_t = "met" if (float(h.split()[0]) if h else r["wall_ms_median"]) <= 10 else "MISSED"
    ok_m = "met" if r["peak_rss_kb_median"] * 1024 <= 15e6 else "MISSED"
    if r["measure"] == "reqwest_oneshot":
        ok_t = ok_m = "(baseline)"
    print(f"| `{r['measure']}` | {r['wall_ms_median']} [{r['wall_ms_min']} – {r['wall_ms_max']}] | {h} | {mb:.1f} | {ok_t} | {ok_m} |")
PY
