#!/usr/bin/env bash
# An external nginx serving the seed's `GET /v2/user/{uuid}` (issue 14): the server the
# end-to-end numbers are measured against, started the way a user would run nginx.
#
#   bash tools/nginx.sh start [PORT]   # 19080 by default; prints the base URL, returns at once
#   bash tools/nginx.sh stop  [PORT]
#
# One worker process (`worker_processes 1`), keep-alive connections that are never closed by
# the server during a run (`keepalive_requests 10000000`, `keepalive_timeout 300s`), access
# log off, and one location: any `GET /v2/user/<id>` answers 200 `application/json` with the
# body the loopback server returns (tools/peers/user.json, 574 bytes), served as a static
# file. Everything nginx writes (config, pid, logs, temp dirs) lives in target/nginx-PORT/.
# Listens on 127.0.0.1 only.
#
# Then: target/release/naftiko-loadgen --url http://127.0.0.1:19080        (req/s, pairs)
#       TARGET=http://127.0.0.1:19080 bash tools/profile.sh                (callgrind, Ir/req)
set -euo pipefail
cd "$(dirname "$0")/.."

CMD="${1:-start}"
PORT="${2:-${NGINX_PORT:-19080}}"
NGINX_BIN=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX_BIN" ] || { echo "nginx.sh: nginx not installed (apt-get install -y nginx)" >&2; exit 2; }
DIR="$PWD/target/nginx-$PORT"

case "$CMD" in
  stop)
    if [ -f "$DIR/nginx.pid" ]; then
      kill "$(cat "$DIR/nginx.pid")" 2>/dev/null || true
      rm -f "$DIR/nginx.pid"
    fi
    exit 0
    ;;
  start) ;;
  *) echo "usage: tools/nginx.sh start|stop [PORT]" >&2; exit 2 ;;
esac

mkdir -p "$DIR/www" "$DIR/tmp"
cp tools/peers/user.json "$DIR/www/user.json"
cat >"$DIR/nginx.conf" <<CONF
worker_processes 1;
daemon on;
pid $DIR/nginx.pid;
error_log $DIR/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 10000000;
  keepalive_timeout 300s;
  server_tokens off;
  client_body_temp_path $DIR/tmp/body; proxy_temp_path $DIR/tmp/proxy;
  fastcgi_temp_path $DIR/tmp/fcgi; uwsgi_temp_path $DIR/tmp/uwsgi; scgi_temp_path $DIR/tmp/scgi;
  server {
    listen 127.0.0.1:$PORT reuseport backlog=4096;
    root $DIR/www;
    location /v2/user/ {
      default_type application/json;
      etag off;
      try_files /user.json =404;
    }
    location / { return 404; }
  }
}
CONF
[ -f "$DIR/nginx.pid" ] && kill "$(cat "$DIR/nginx.pid")" 2>/dev/null && sleep 0.3
# nginx reads `NGINX` from the environment as inherited sockets (run_all.sh's NGINX=1 is not one).
env -u NGINX "$NGINX_BIN" -p "$DIR" -c "$DIR/nginx.conf" -e "$DIR/error.log"
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
echo "http://127.0.0.1:$PORT"
