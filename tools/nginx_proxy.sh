# Sourced by restbench.sh and mcpbench.sh: nginx from the Debian registry as a reverse proxy
# (`proxy_pass` to a keep-alive upstream block, HTTP/1.1, one worker, access log off), the
# tool users would otherwise put in front of an upstream: the thinnest process hop there is.
# Installed when missing, pinned to the candidate version apt-cache reports, so a rerun on the
# same release installs the same build.
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  VER=$(apt-cache policy nginx | awk '/Candidate:/ {print $2}')
  $SUDO apt-get install -y -qq "nginx=$VER"
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

# start_nginx_proxy DIR LISTEN_PORT UPSTREAM_PORT: runs it with its files in DIR (pid in
# DIR/nginx.pid, for the caller's cleanup); prints the worker's pid.
start_nginx_proxy() {
  local dir=$1 listen=$2 up=$3
  cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/nginx.err warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir/body; proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fcgi; uwsgi_temp_path $dir/uwsgi; scgi_temp_path $dir/scgi;
  upstream up { server 127.0.0.1:$up; keepalive 128; }
  server {
    listen 127.0.0.1:$listen;
    location / { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
CONF
  "$NGINX" -c "$dir/nginx.conf" -p "$dir"
  for _ in $(seq 100); do [ -s "$dir/nginx.pid" ] && pgrep -P "$(cat "$dir/nginx.pid")" >/dev/null && break; sleep 0.05; done
  pgrep -P "$(cat "$dir/nginx.pid")" | head -1
}
