#!/usr/bin/env python3
"""Server-side user-space instructions per request, with callgrind (stable where wall-clock
time is not): the server runs under `valgrind --tool=callgrind`, a keep-alive client sends
200 warm-up requests, the counters are zeroed, N more requests are sent and the counters
dumped; Ir of that dump / N is printed. Kernel time is not counted (see BENCHMARKS.md).

    python3 tools/servercg.py KIND [BINARY] [N]

KIND: mcp (tools/call get_user on specs/vital/users.yaml, `serve --mcp`), mcp-stdio (the same
line over stdio, `naftiko mcp`, after the initialize handshake), rest-call and
rest-fwd (tools/restbench/capability.yaml's two routes), nginx (proxy_pass, keep-alive
upstream, `worker_processes 1`: the reference the REST issue names). BINARY defaults to
target/release/naftiko (build it with `cargo build --release`). Upstream:
`naftiko-loadgen --serve` on 127.0.0.1:19520; the server listens on 127.0.0.1:19521.
"""
import glob, http.client, json, os, socket, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UP, SRV = 19520, 19521
USER = "3fa85f64-5717-4562-b3fc-2c963f66afa6"


def wait(port):
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port)).close()
            return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"port {port} never opened")


def nginx_args(work):
    with open(f"{work}/nginx.conf", "w") as f:
        f.write(f"""error_log {work}/err warn; pid {work}/pid;
events {{ worker_connections 1024; }}
http {{ access_log off;
  client_body_temp_path {work}/b; proxy_temp_path {work}/p; fastcgi_temp_path {work}/f;
  uwsgi_temp_path {work}/u; scgi_temp_path {work}/s;
  upstream up {{ server 127.0.0.1:{UP}; keepalive 128; }}
  server {{ listen 127.0.0.1:{SRV};
    location / {{ proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; }} }} }}
""")
    return ["/usr/sbin/nginx", "-c", f"{work}/nginx.conf", "-p", work, "-g", "daemon off; master_process off;"]


def server_args(kind, binary, work):
    if kind == "nginx":
        return nginx_args(work)
    if kind == "mcp-stdio":
        args = ["mcp", "specs/vital/users.yaml"]
    elif kind == "mcp":
        args = ["serve", "specs/vital/users.yaml", "--mcp", f"127.0.0.1:{SRV}"]
    else:
        args = ["serve", "tools/restbench/capability.yaml", "--listen", f"bench=127.0.0.1:{SRV}"]
    return [binary] + args + ["--base-uri", f"http://127.0.0.1:{UP}"]


RPC = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
    "name": "get_user_v2_user__user_id__get", "arguments": {"user_id": USER}}})


def stdio_requester(srv):
    """Handshake on the child's stdin/stdout, then one tools/call line per request."""
    def send(msg):
        srv.stdin.write((msg + "\n").encode())
        srv.stdin.flush()
    send(json.dumps({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": {"name": "servercg", "version": "1"}}}))
    srv.stdout.readline()
    send(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}))
    def one():
        send(RPC)
        line = srv.stdout.readline()
        if b'"result"' not in line or b'"isError":true' in line:
            sys.exit(f"mcp-stdio: {line[:200]!r}")
    return one


def requester(kind):
    conn = http.client.HTTPConnection("127.0.0.1", SRV)
    rpc = RPC
    def one():
        if kind == "mcp":
            conn.request("POST", "/mcp", rpc, {"content-type": "application/json",
                                               "accept": "application/json, text/event-stream"})
        else:
            path = {"rest-call": f"/call/{USER}", "rest-fwd": f"/fwd/v2/user/{USER}",
                    "nginx": f"/v2/user/{USER}"}[kind]
            conn.request("GET", path)
        r = conn.getresponse()
        body = r.read()
        if r.status != 200 or b'"isError":true' in body:
            sys.exit(f"{kind}: HTTP {r.status}: {body[:200]!r}")
    return one


def main():
    kind = sys.argv[1]
    binary = sys.argv[2] if len(sys.argv) > 2 else f"{ROOT}/target/release/naftiko"
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
    work = tempfile.mkdtemp(prefix="naftiko-servercg.")
    out = f"{work}/callgrind.out"
    quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    up = subprocess.Popen([f"{ROOT}/target/release/naftiko-loadgen", "--serve", str(UP)], **quiet)
    stdio = kind == "mcp-stdio"
    pipes = dict(stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    srv = subprocess.Popen(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
                           + server_args(kind, binary, work), cwd=ROOT,
                           env=dict(os.environ, VITAL_API_KEY="sk_bench"),
                           **(pipes if stdio else quiet))
    try:
        wait(UP)
        if stdio:
            one = stdio_requester(srv)
        else:
            wait(SRV)
            one = requester(kind)
        for _ in range(200):
            one()
        subprocess.run(["callgrind_control", "-z", str(srv.pid)], check=True, **quiet)
        for _ in range(n):
            one()
        subprocess.run(["callgrind_control", "-d", str(srv.pid)], check=True, **quiet)
        time.sleep(1)
    finally:
        if stdio:
            srv.stdin.close()
        srv.terminate()
        up.terminate()
        srv.wait()
        up.wait()
    for f in sorted(glob.glob(out + ".*")):
        for line in open(f, errors="replace"):
            if line.startswith(("summary:", "totals:")):
                total = int(line.split()[1])
                who = "/usr/sbin/nginx" if kind == "nginx" else binary
                print(f"{kind}\t{who}\t{total / n / 1000:.1f} k Ir/request\t{f}")
                return


main()
