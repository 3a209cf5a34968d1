#!/usr/bin/env bash
# Instruction counts (valgrind --tool=callgrind) for spec load, prepare and the call path.
#
#   bash tools/profile.sh            # writes target/bench-results/profile.md (+ raw callgrind files)
#
# Ir per operation = (Ir(N) - Ir(0)) / N, from the `naftiko-profile` binary (tools/loadgen/src/bin/profile.rs)
# run at N = 0 and at N > 0, so start-up (loading the spec, building the runtime, the first
# connection) cancels out. For `call` and `hand` the client runs on the main thread and the
# loopback server on a thread of its own; only the main thread's instructions are counted
# (--separate-threads=yes, file suffix -01). Hotspots are exclusive (self) Ir per function
# from callgrind_annotate on the N > 0 run.
# decode / map-root / map-ids: a 1 MB PaginatedUsersResponse, serde_json::from_slice vs
# Operation::map_response (the output-mapping target, as an instruction-count ratio).
# Env: N_LOAD (50) N_PREPARE (20000) N_CALL (2000) N_MAP (5) TOP (15);
#      TARGET=http://IP:PORT: `call` and `hand` against that external server (tools/nginx.sh)
#      instead of the in-process one (the main thread is then the only one that does work);
#      MODES="call hand" (all): only those measures (`call-args`: `Runtime::call_args`, not in all); PROCS=0: skip the whole-process counts;
#      PORT (18183): the loopback server of the process counts.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "profile.sh: valgrind missing (apt-get install -y valgrind)" >&2; exit 2; }
MODES="${MODES:-load prepare prepare-all call hand decode map-root map-ids}"; PORT="${PORT:-18183}"
export TARGET="${TARGET:-}"
N_LOAD="${N_LOAD:-50}"; N_PREPARE="${N_PREPARE:-20000}"; N_CALL="${N_CALL:-2000}"; N_MAP="${N_MAP:-5}"; TOP="${TOP:-15}"
OUT=target/bench-results/callgrind; mkdir -p "$OUT"
cargo build --release -p naftiko-loadgen >&2 || { echo "profile.sh: cannot build tools/loadgen" >&2; exit 1; }
EXE=target/release/naftiko-profile

ir_of() { # total Ir of a callgrind file
  grep -E '^(summary|totals):' "$1" | head -1 | awk '{print $2}'
}
cg() { # mode n -> callgrind file of the main thread
  local mode=$1 n=$2 f="$OUT/$1.$2"
  valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$f" "$EXE" "$mode" "$n" >/dev/null 2>"$f.log"
  if [ -f "$f-01" ]; then echo "$f-01"; else echo "$f"; fi
}

REPORT=target/bench-results/profile.md
{
  echo "valgrind $(valgrind --version | sed 's/valgrind-//'), $(rustc --version), binary: release profile ( codegen-units=4, no debuginfo)"
  echo
  echo "| measure | N | Ir(0) | Ir(N) | Ir per op |"
  echo "| --- | --- | --- | --- | --- |"
} > "$REPORT"
declare -A FILES
declare -A NS=([load]=$N_LOAD [prepare]=$N_PREPARE [prepare-all]=$((N_PREPARE / 19)) [call]=$N_CALL [call-args]=$N_CALL [hand]=$N_CALL [hand-hyper]=$N_CALL
               [decode]=$N_MAP [map-root]=$N_MAP [map-ids]=$N_MAP)
[ -n "$TARGET" ] && echo "target of call/hand: $TARGET (external)" >> "$REPORT" && echo >> "$REPORT"
for mode in $MODES; do
  n=${NS[$mode]}
  f0=$(cg "$mode" 0); fn=$(cg "$mode" "$n")
  i0=$(ir_of "$f0"); i1=$(ir_of "$fn")
  per=$(( (i1 - i0) / n ))
  [ "$mode" = prepare-all ] && per=$(( (i1 - i0) / (n * 19) ))
  printf '| %s | %s | %s | %s | **%s** |\n' "$mode" "$n" "$i0" "$i1" "$per" >> "$REPORT"
  FILES[$mode]=$fn
  echo "[profile] $mode: $per Ir/op" >&2
done
# Whole-process instruction counts of one CLI invocation (tools/cli.sh measures their time).
top() { # mode -> the hotspot block of the report
  echo
  echo "### Top $TOP functions by self Ir: \`$1\` (N run, whole main thread)"
  echo
  echo '```'
  callgrind_annotate --threshold=100 "${FILES[$1]}" 2>/dev/null \
    | sed -n '/^Ir/,$p' | grep -E '^ *[0-9,]+ \(' | head -"$TOP" \
    | sed -E 's/ \[[^]]*\]$//' | cut -c1-200 || true
  echo '```'
}
if [ "${PROCS:-1}" = 0 ]; then
  for mode in "${!FILES[@]}"; do top "$mode" >> "$REPORT"; done
  cat "$REPORT"
  exit 0
fi
cargo build --release --bin naftiko >&2 || { echo "profile.sh: cannot build the CLI; skipping the process counts" >&2; cat "$REPORT"; exit 0; }
E2E=target/release/naftiko-loadgen
"$E2E" --serve $PORT >/dev/null &
SERVER_PID=$!
trap 'kill "$SERVER_PID" 2>/dev/null || true' EXIT
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done
UID_=3fa85f64-5717-4562-b3fc-2c963f66afa6
{
  echo
  echo "| one process | Ir (whole process, all threads) |"
  echo "| --- | --- |"
} >> "$REPORT"
proc_ir() { # name, command...
  local name=$1; shift
  valgrind --tool=callgrind --callgrind-out-file="$OUT/$name" "$@" >/dev/null 2>"$OUT/$name.log"
  FILES[$name]="$OUT/$name"
  printf '| `%s` | %s |\n' "$name" "$(ir_of "$OUT/$name")" >> "$REPORT"
}
proc_ir cli-dry-run target/release/naftiko call specs/vital/users.yaml get_user_v2_user__user_id__get "user_id=$UID_" --dry-run
VITAL_API_KEY=sk_bench proc_ir cli-call target/release/naftiko call specs/vital/users.yaml get_user_v2_user__user_id__get "user_id=$UID_" --base-uri http://127.0.0.1:$PORT
proc_ir reqwest-oneshot "$E2E" --oneshot http://127.0.0.1:$PORT

for mode in load prepare call hand cli-call; do
  [ -n "${FILES[$mode]:-}" ] && top "$mode" >> "$REPORT"
done
cat "$REPORT"
