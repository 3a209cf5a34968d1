#!/usr/bin/env bash
# Fuzz every response decoder in turn (one job, one target at a time), each seeded with
# upstream's sample documents of its format, for SECS seconds each (default 180).
# Targets: the arguments (default: all five). Prints each run's final libFuzzer line; the figures in BENCHMARKS.md "Fuzzing" come from it.
set -euo pipefail
cd "$(dirname "$0")"
SECS=${SECS:-180}
SAMPLES=../tests/fixtures/naftiko/test-resources/schemas
seed() { # target, files…
  local dir=corpus/$1; shift
  mkdir -p "$dir"
  for f in "$@"; do [ -f "$f" ] && cp "$f" "$dir/"; done
}
seed decode_xml "$SAMPLES"/*.xml
seed decode_csv "$SAMPLES"/*.csv "$SAMPLES"/*.tsv
seed decode_yaml ../specs/vital/users.yaml
seed decode_markdown "$SAMPLES"/*.md ../README.md
seed decode_html "$SAMPLES"/*.html
TARGETS=${*:-decode_xml decode_yaml decode_csv decode_markdown decode_html}
for t in $TARGETS; do
  RUSTC_BOOTSTRAP=1 cargo fuzz build "$t" >/dev/null 2>&1 || { echo "$t: build failed"; exit 1; }
  log=$(mktemp)
  /usr/bin/time -f "peak RSS %M KiB" env RUSTC_BOOTSTRAP=1 cargo fuzz run "$t" "corpus/$t" -- \
    -max_len=65536 -timeout=10 -max_total_time="$SECS" -print_final_stats=1 >"$log" 2>&1 || {
    echo "$t: FAILED (see $log)"; tail -30 "$log"; exit 1; }
  echo "$t: $(grep -aE '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1) | $(grep -E 'peak RSS' "$log")"
  corpus=$(find "corpus/$t" -type f | wc -l)
  echo "$t: corpus $corpus files, $(du -sh "corpus/$t" | cut -f1)"
done
