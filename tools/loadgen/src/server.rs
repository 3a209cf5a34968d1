//! The loopback HTTP/1.1 server of the load driver and of the profile binary.
//!
//! Raw tokio on 127.0.0.1, one OS thread of its own (a current-thread runtime), keep-alive,
//! pre-built response bytes: `GET /v2/user/{id}` → 200 with `tools/peers/user.json`;
//! `GET /__stats` → `{"requests":N,"cpu_ns":N}` (the server thread's CPU time); anything
//! else → 404. Optional fixed delay before each response (memory-under-load test).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub const BODY: &[u8] = include_bytes!("../../peers/user.json");

// ------------------------------------------------------------------------------------------

pub fn http_response(status: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

pub fn ok_response() -> Vec<u8> {
    http_response("200 OK", "application/json", BODY)
}

/// CPU time of the calling thread in ns (first field of schedstat).
pub fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|f| f.parse().ok()))
        .unwrap_or(0)
}

/// Starts the server on its own OS thread (current-thread tokio runtime) and returns its address.
pub fn start_server(port: u16, delay: Option<Duration>) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("bench-server".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let socket = tokio::net::TcpSocket::new_v4().unwrap();
                socket.set_reuseaddr(true).unwrap();
                socket
                    .bind(SocketAddr::from(([127, 0, 0, 1], port)))
                    .unwrap();
                let listener = socket.listen(4096).unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                let requests = Arc::new(AtomicU64::new(0));
                let ok = Arc::new(ok_response());
                loop {
                    let Ok((sock, _)) = listener.accept().await else {
                        continue;
                    };
                    tokio::spawn(connection(sock, requests.clone(), ok.clone(), delay));
                }
            });
        })
        .unwrap();
    rx.recv().unwrap()
}

pub fn head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n")
}

async fn connection(
    mut sock: TcpStream,
    requests: Arc<AtomicU64>,
    ok: Arc<Vec<u8>>,
    delay: Option<Duration>,
) {
    let _ = sock.set_nodelay(true);
    let mut buf = vec![0u8; 16 * 1024];
    let mut filled = 0usize;
    let mut out: Vec<u8> = Vec::with_capacity(4096);
    loop {
        // Answer every complete request head in the buffer (pipelining works too). The bench
        // only sends body-less GETs.
        let mut start = 0;
        out.clear();
        while let Some(end) = head_end(&buf[start..filled]) {
            let head = &buf[start..start + end];
            if head.starts_with(b"GET /v2/user/") {
                requests.fetch_add(1, Ordering::Relaxed);
                out.extend_from_slice(&ok);
            } else if head.starts_with(b"GET /__stats") {
                let stats = json!({"requests": requests.load(Ordering::Relaxed), "cpu_ns": thread_cpu_ns()}).to_string();
                out.extend_from_slice(&http_response(
                    "200 OK",
                    "application/json",
                    stats.as_bytes(),
                ));
            } else {
                out.extend_from_slice(&http_response(
                    "404 Not Found",
                    "application/json",
                    br#"{"detail":"Not Found"}"#,
                ));
            }
            start += end + 4;
        }
        if start > 0 {
            buf.copy_within(start..filled, 0);
            filled -= start;
        }
        if !out.is_empty() {
            if let Some(d) = delay {
                tokio::time::sleep(d).await;
            }
            if sock.write_all(&out).await.is_err() {
                return;
            }
        }
        if filled == buf.len() {
            return; // a head larger than 16 KiB: not ours
        }
        match sock.read(&mut buf[filled..]).await {
            Ok(0) | Err(_) => return,
            Ok(n) => filled += n,
        }
    }
}

/// `GET /__stats` on a fresh connection: (requests answered, server CPU ns).
pub async fn server_stats(addr: SocketAddr) -> (u64, u64) {
    let fetch = async {
        let mut s = TcpStream::connect(addr).await.ok()?;
        s.write_all(b"GET /__stats HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .await
            .ok()?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 1024];
        loop {
            let n = s.read(&mut chunk).await.ok()?;
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
            if let Some(h) = head_end(&buf) {
                if serde_json::from_slice::<Value>(&buf[h + 4..]).is_ok() {
                    break;
                }
            }
        }
        let h = head_end(&buf)?;
        let v: Value = serde_json::from_slice(&buf[h + 4..]).ok()?;
        Some((v["requests"].as_u64()?, v["cpu_ns"].as_u64()?))
    };
    fetch.await.unwrap_or((0, 0))
}
