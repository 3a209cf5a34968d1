#!/usr/bin/env bash
# Three `naftiko serve` replicas behind a loopback nginx, MCP traffic through it, one replica
# stopped (SIGTERM: drain) and restarted midway. Reports requests, failures and req/s; the
# run in BENCHMARKS.md § "Many replicas" comes from here. Not part of `cargo test` (long).
#
#   scripts/replicas.sh                  # 20 s, 8 clients, the debug binary
#   DURATION=60 CLIENTS=32 NAFTIKO=target/release/naftiko scripts/replicas.sh
#   SPEC=cap.yaml REST_NS=api REST_PATH=/v2/user/u-1 TOOL=… ARGS='{…}' scripts/replicas.sh
#   PORT_BASE=19600 scripts/replicas.sh  # ports PORT_BASE…PORT_BASE+10 instead of free ones
#
# REST traffic (guarded): with REST_NS set, each replica also serves that `type: rest`
# adapter (`--listen REST_NS=…`), nginx proxies /rest/ to them and the driver adds a
# GET REST_PATH per round; without it only MCP traffic runs.
#
# Needs Debian's nginx (installed with apt-get when missing; skipped with a reason when it
# cannot be) and python3 (the stub upstream and the load driver, standard library only).
# Everything listens on 127.0.0.1; nothing leaves the machine.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-20}
CLIENTS=${CLIENTS:-8}
NAFTIKO=${NAFTIKO:-target/debug/naftiko}
SPEC=${SPEC:-specs/vital/users.yaml}
TOOL=${TOOL:-get_user_v2_user__user_id__get}
ARGS=${ARGS:-'{"user_id":"u-1"}'}
REST_NS=${REST_NS:-}
REST_PATH=${REST_PATH:-/v2/user/u-1}
WORK=$(mktemp -d /tmp/naftiko-replicas.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT

if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    apt-get install -y -qq nginx-light >/dev/null 2>&1 || apt-get install -y -qq nginx >/dev/null 2>&1 || true
  fi
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [ ! -x "$NGINX" ]; then
  echo "replicas: SKIP: nginx is not installed and apt-get could not install it"; exit 0
fi
command -v python3 >/dev/null || { echo "replicas: SKIP: python3 is missing"; exit 0; }
[ -x "$NAFTIKO" ] || cargo build --locked --bin naftiko

PORT_BASE=${PORT_BASE:-}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# pick N: port PORT_BASE+N when PORT_BASE is set (a fixed range, e.g. on a shared machine), else a free one.
pick() { if [ -n "$PORT_BASE" ]; then echo $((PORT_BASE + $1)); else free_port; fi; }

# The stub upstream: GET /v2/user/{id} → 200 JSON (what tools/loadgen's server answers).
UP=$(pick 0)
python3 - "$UP" <<'PY' &
import http.server, json, sys
body = json.dumps({"user_id": "u-1", "client_user_id": "c-1", "team_id": "t-1"}).encode()
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        ok = self.path.startswith("/v2/user/")
        self.send_response(200 if ok else 404)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body) if ok else 0))
        self.end_headers()
        if ok: self.wfile.write(body)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer.daemon_threads = True
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
PIDS+=($!)

# Three replicas, each with its control port.
declare -a MCP CTL REST RPID
start_replica() {
  local i=$1 rest=()
  [ -n "$REST_NS" ] && rest=(--listen "$REST_NS=127.0.0.1:${REST[$i]}")
  VITAL_API_KEY=sk_test "$NAFTIKO" serve "$SPEC" "${rest[@]}" \
    --mcp "127.0.0.1:${MCP[$i]}" --control "127.0.0.1:${CTL[$i]}" \
    --base-uri "http://127.0.0.1:$UP" >"$WORK/r$i.out" 2>"$WORK/r$i.err" &
  RPID[$i]=$!
  PIDS+=($!)
  for _ in $(seq 1 200); do
    curl -fs "http://127.0.0.1:${CTL[$i]}/health/ready" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "replicas: replica $i did not become ready"; cat "$WORK/r$i.err"; exit 1
}
for i in 0 1 2; do
  MCP[$i]=$(pick $((1 + 3 * i))); CTL[$i]=$(pick $((2 + 3 * i))); REST[$i]=$(pick $((3 + 3 * i))); start_replica "$i"
done
REST_UPSTREAM=""
REST_LOCATION=""
if [ -n "$REST_NS" ]; then
  REST_UPSTREAM="upstream naftiko_rest { server 127.0.0.1:${REST[0]} max_fails=1 fail_timeout=1s; server 127.0.0.1:${REST[1]} max_fails=1 fail_timeout=1s; server 127.0.0.1:${REST[2]} max_fails=1 fail_timeout=1s; keepalive 32; }"
  REST_LOCATION="location /rest/ { proxy_pass http://naftiko_rest/; proxy_http_version 1.1; proxy_set_header Connection \"\"; proxy_next_upstream error timeout http_502 http_503; proxy_next_upstream_tries 3; }"
fi

# nginx in front: retries the next replica on a refused or broken connection, also for
# POST (the tools called are read-only), keep-alive to the replicas.
LB=$(pick 10)
mkdir -p "$WORK/tmp" && chmod 777 "$WORK/tmp"
cat >"$WORK/nginx.conf" <<NGX
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $WORK/tmp/body;
  proxy_temp_path $WORK/tmp/proxy;
  fastcgi_temp_path $WORK/tmp/fcgi;
  uwsgi_temp_path $WORK/tmp/uwsgi;
  scgi_temp_path $WORK/tmp/scgi;
  upstream naftiko {
    server 127.0.0.1:${MCP[0]} max_fails=1 fail_timeout=1s;
    server 127.0.0.1:${MCP[1]} max_fails=1 fail_timeout=1s;
    server 127.0.0.1:${MCP[2]} max_fails=1 fail_timeout=1s;
    keepalive 32;
  }
  $REST_UPSTREAM
  server {
    listen 127.0.0.1:$LB;
    $REST_LOCATION
    location / {
      proxy_pass http://naftiko;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$http_host;
      proxy_next_upstream error timeout http_502 http_503 non_idempotent;
      proxy_next_upstream_tries 3;
    }
  }
}
NGX
"$NGINX" -p "$WORK" -c "$WORK/nginx.conf"
for _ in $(seq 1 100); do [ -f "$WORK/nginx.pid" ] && break; sleep 0.05; done

# The driver: CLIENTS keep-alive connections alternating tools/list and a read-only
# tools/call; a failure is any status but 200, or a JSON-RPC error, or isError.
REST_GET=""
[ -n "$REST_NS" ] && REST_GET="/rest$REST_PATH"
python3 - "$LB" "$DURATION" "$CLIENTS" "$TOOL" "$ARGS" "$REST_GET" >"$WORK/driver.json" <<'PY' &
import http.client, json, sys, threading, time
port, duration, clients = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
tool, tool_args, rest_get = sys.argv[4], json.loads(sys.argv[5]), sys.argv[6]
calls = [
    ("POST", "/mcp", json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})),
    ("POST", "/mcp", json.dumps({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                                 "params": {"name": tool, "arguments": tool_args}})),
]
if rest_get:
    calls.append(("GET", rest_get, None))
headers = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
lock = threading.Lock()
total = {"requests": 0, "failures": 0, "examples": []}
stop = time.monotonic() + duration
def client():
    conn, n, fail, i, examples = None, 0, 0, 0, []
    while time.monotonic() < stop:
        verb, target, body = calls[i % len(calls)]; i += 1
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request(verb, target, body, headers if body else {})
            r = conn.getresponse(); data = r.read()
            ok = r.status == 200
            if ok and verb == "POST":
                v = json.loads(data)
                ok = "error" not in v and not v.get("result", {}).get("isError", False)
            if not ok:
                examples.append(f"{r.status} {data[:120]!r}")
        except Exception as e:
            ok = False; examples.append(repr(e)); conn = None
        n += 1; fail += 0 if ok else 1
    with lock:
        total["requests"] += n; total["failures"] += fail
        total["examples"] = (total["examples"] + examples)[:5]
threads = [threading.Thread(target=client) for _ in range(clients)]
t0 = time.monotonic()
for t in threads: t.start()
for t in threads: t.join()
total["seconds"] = round(time.monotonic() - t0, 2)
total["req_per_s"] = round(total["requests"] / total["seconds"], 1)
print(json.dumps(total))
PY
DRIVER=$!

# Midway: SIGTERM replica 1 (readiness 503, calls in flight finish), then start it again.
sleep "$(python3 -c "print($DURATION/2)")"
kill -TERM "${RPID[1]}"
STOP_STATUS=0; wait "${RPID[1]}" || STOP_STATUS=$?
READY_AFTER_KILL=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${CTL[1]}/health/ready" || true)
sleep 1
start_replica 1
wait "$DRIVER"

RESULT=$(cat "$WORK/driver.json")
echo "replicas: 3 × naftiko serve ($NAFTIKO) behind nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///'), $CLIENTS clients, ${DURATION}s"
echo "replicas: replica 1 stopped with SIGTERM midway (exit $STOP_STATUS; control port after exit: ${READY_AFTER_KILL:-closed}) and restarted"
echo "replicas: $RESULT"
python3 -c "import json,sys; r=json.loads(sys.argv[1]); sys.exit(1 if r['failures'] else 0)" "$RESULT" \
  || { echo "replicas: FAILED: failed requests"; tail -5 "$WORK/nginx-error.log" || true; exit 1; }
echo "replicas: OK: 0 failed requests"
