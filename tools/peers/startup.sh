#!/usr/bin/env bash
# One-request-per-process cost of the official Junction (Vital) SDKs.
#
#   tools/peers/startup.sh URL USER_ID
#
# For each SDK, starts a fresh interpreter that imports the SDK, builds a
# client pointed at URL, makes ONE get_user call (GET URL/v2/user/USER_ID with
# x-vital-api-key) and exits. Each process runs under `/usr/bin/time -f '%e %M'`
# (wall seconds, peak RSS in KiB). One untimed run first (fills the .pyc and OS
# page caches), then RUNS (default 10) timed runs. Prints one JSON line per peer:
#
#   {"peer":"python-sdk","measure":"startup","runs":10,"ok":10,
#    "wall_s_mean":..,"wall_ms_mean":..,"wall_ms_min":..,"wall_ms_max":..,
#    "peak_rss_kb_mean":..,"peak_rss_kb_max":..}
#
# wall_s_mean is GNU time's %e (10 ms resolution); wall_ms_* come from bash's
# $EPOCHREALTIME around the same process (µs clock, includes the ~1 ms of
# starting /usr/bin/time itself). "ok" counts runs that exited 0, i.e. whose
# call returned a validated ClientFacingUser; failed runs are still timed.
# With BASELINE=1 (default) it also prints "python-bare" / "node-bare" lines:
# the bare interpreter doing nothing, to separate interpreter start-up from the
# SDK's import + one call. Exits 1 if any timed run failed, 2 on bad usage.
# Needs setup.sh to have been run.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
URL="${1:?usage: startup.sh URL USER_ID}"
USER_ID="${2:?usage: startup.sh URL USER_ID}"
RUNS="${RUNS:-10}"
BASELINE="${BASELINE:-1}"
PY="$HERE/.venv/bin/python"
TIME=/usr/bin/time

if [ ! -x "$TIME" ]; then
  echo "startup.sh: $TIME missing (run setup.sh, or: apt-get install -y time)" >&2
  exit 2
fi
[ -x "$PY" ] || { echo "startup.sh: $PY missing; run setup.sh first" >&2; exit 2; }
[ -d "$HERE/node/node_modules/@tryvital/vital-node" ] || { echo "startup.sh: node SDK missing; run setup.sh first" >&2; exit 2; }

# Loopback only: nothing here may talk to anything but this machine.
host="$("$PY" -c 'import sys,urllib.parse; print(urllib.parse.urlsplit(sys.argv[1]).hostname or "")' "$URL")"
case "$host" in
  localhost|127.*|::1) ;;
  *) if [ "${ALLOW_NON_LOOPBACK:-0}" != "1" ]; then
       echo "startup.sh: refusing non-loopback URL $URL (ALLOW_NON_LOOPBACK=1 to override)" >&2; exit 2
     fi ;;
esac
unset http_proxy https_proxy all_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY

# The programs: import the SDK, one call with retries off, check the result.
PY_PROG='
import sys, warnings
warnings.filterwarnings("ignore", message="Valid config keys have changed in V2")
from vital import Vital
u = Vital(api_key="sk_us_bench_key", base_url=sys.argv[1]).user.get(sys.argv[2], request_options={"max_retries": 0})
assert u.user_id, "empty user_id"
'
NODE_PROG='
import { VitalClient } from "@tryvital/vital-node";
const u = await new VitalClient({ apiKey: "sk_us_bench_key", baseUrl: process.argv[1], maxRetries: 0 }).user.get(process.argv[2]);
if (!u.userId) throw new Error("empty userId");
'

FAILED=0
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# measure PEER CWD CMD... -> one JSON line
measure() {
  local peer="$1" cwd="$2"; shift 2
  local out="$TMP/$peer.tsv" i t0 t1 rc
  : > "$out"
  (cd "$cwd" && "$@" >/dev/null 2>"$TMP/warm.err") || {
    echo "startup.sh: $peer warm-up run failed:" >&2; tail -5 "$TMP/warm.err" >&2; }
  for ((i = 0; i < RUNS; i++)); do
    t0=$EPOCHREALTIME
    rc=0
    (cd "$cwd" && "$TIME" -f '%e %M' -o "$TMP/time.out" "$@" >/dev/null 2>"$TMP/run.err") || rc=$?
    t1=$EPOCHREALTIME
    if [ "$rc" != 0 ]; then
      echo "startup.sh: $peer run $i exited $rc:" >&2; tail -3 "$TMP/run.err" >&2
    fi
    # GNU time may prefix "Command exited with non-zero status N"; take the last line.
    printf '%s %s %s %s\n' "$(tail -n1 "$TMP/time.out")" "$t0" "$t1" "$rc" >> "$out"
  done
  if awk '$5 != 0 { bad = 1 } END { exit !bad }' "$out"; then FAILED=1; fi
  awk -v peer="$peer" -v runs="$RUNS" '
    { e += $1; rss += $2; if ($2 > rssmax) rssmax = $2
      ms = ($4 - $3) * 1000; wall += ms
      if (NR == 1 || ms < mn) mn = ms; if (ms > mx) mx = ms
      if ($5 == 0) ok++ }
    END { printf "{\"peer\":\"%s\",\"measure\":\"startup\",\"runs\":%d,\"ok\":%d,\"wall_s_mean\":%.3f,\"wall_ms_mean\":%.1f,\"wall_ms_min\":%.1f,\"wall_ms_max\":%.1f,\"peak_rss_kb_mean\":%d,\"peak_rss_kb_max\":%d}\n",
            peer, runs, ok + 0, e / NR, wall / NR, mn, mx, rss / NR, rssmax }' "$out"
}

if [ "$BASELINE" = 1 ]; then
  measure python-bare "$HERE" "$PY" -c 'pass'
fi
measure python-sdk "$HERE" "$PY" -c "$PY_PROG" "$URL" "$USER_ID"
if [ "$BASELINE" = 1 ]; then
  measure node-bare "$HERE/node" node -e '0'
fi
# cwd = node/ so the bare specifier resolves to node/node_modules (ESM build).
measure node-sdk "$HERE/node" node --input-type=module -e "$NODE_PROG" "$URL" "$USER_ID"

# Non-zero exit if any timed run's call failed (the JSON lines are still printed).
exit "$FAILED"
